/*
 * wlr-output-management: tools such as wlr-randr read the outputs'
 * configuration and change it (mode, position, scale, transform, on or
 * off). A privileged global: a desktop tool (TRUST in the man page).
 *
 * The configuration advertised is rebuilt whenever the output layout
 * changes, which it does after every change applied here; the layout change
 * is also what lays the windows out again (output.c).
 */
#include <stdlib.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_output_management_v1.h>

#include "output.h"
#include "server.h"
#include "weft/log.h"

struct weft_output_management {
	struct weft_server *server;
	struct wlr_output_manager_v1 *manager;
	struct wl_listener apply;
	struct wl_listener test;
	struct wl_listener layout_change;
};

/* Hands the manager the outputs as they are now. */
void weft_output_management_update(struct weft_server *server)
{
	struct weft_output_management *om = server->output_management;
	if (om == NULL) {
		return;
	}
	struct wlr_output_configuration_v1 *config = wlr_output_configuration_v1_create();
	if (config == NULL) {
		weft_log(WEFT_ERROR, "output management: out of memory");
		return;
	}
	struct weft_output *output;
	wl_list_for_each (output, &server->outputs, link) {
		struct wlr_output_configuration_head_v1 *head =
			wlr_output_configuration_head_v1_create(config, output->wlr_output);
		if (head == NULL) {
			weft_log(WEFT_ERROR, "output management: out of memory");
			wlr_output_configuration_v1_destroy(config);
			return;
		}
		struct wlr_box *box = wlr_output_layout_get_box(server->output_layout,
			output->wlr_output);
		if (box != NULL) {
			head->state.x = box->x;
			head->state.y = box->y;
		}
	}
	wlr_output_manager_v1_set_configuration(om->manager, config);
}

/* Stages head's state on its output; false when it cannot be (a bad custom mode). */
static bool stage(struct wlr_output_configuration_head_v1 *head)
{
	struct wlr_output *output = head->state.output;
	wlr_output_enable(output, head->state.enabled);
	if (!head->state.enabled) {
		return true;
	}
	if (head->state.mode != NULL) {
		wlr_output_set_mode(output, head->state.mode);
	} else {
		int32_t width = head->state.custom_mode.width;
		int32_t height = head->state.custom_mode.height;
		if (width <= 0 || height <= 0 || width > 16384 || height > 16384 ||
			head->state.custom_mode.refresh < 0) {
			weft_log(WEFT_WARN, "output %s: refused custom mode %dx%d@%d",
				output->name, width, height, head->state.custom_mode.refresh);
			return false;
		}
		wlr_output_set_custom_mode(output, width, height, head->state.custom_mode.refresh);
	}
	if (head->state.scale <= 0) {
		weft_log(WEFT_WARN, "output %s: refused scale %f", output->name,
			(double)head->state.scale);
		return false;
	}
	wlr_output_set_scale(output, head->state.scale);
	wlr_output_set_transform(output, head->state.transform);
	return true;
}

/*
 * Tests every head of config; when all pass and apply is true, commits them
 * and moves the outputs in the layout. Whether it all went through.
 */
static bool configure(struct weft_server *server, struct wlr_output_configuration_v1 *config,
	bool apply)
{
	bool ok = true;
	struct wlr_output_configuration_head_v1 *head;
	wl_list_for_each (head, &config->heads, link) {
		if (!stage(head) || !wlr_output_test(head->state.output)) {
			ok = false;
			break;
		}
	}
	if (!ok || !apply) {
		wl_list_for_each (head, &config->heads, link) {
			wlr_output_rollback(head->state.output);
		}
		return ok;
	}
	wl_list_for_each (head, &config->heads, link) {
		struct wlr_output *output = head->state.output;
		if (!wlr_output_commit(output)) {
			weft_log(WEFT_ERROR, "output %s: the tested configuration failed",
				output->name);
			ok = false;
			continue;
		}
		if (head->state.enabled) {
			wlr_output_layout_add(server->output_layout, output, head->state.x,
				head->state.y);
		} else {
			wlr_output_layout_remove(server->output_layout, output);
		}
		weft_log(WEFT_INFO, "output %s: %s %dx%d at %d,%d scale %.2f", output->name,
			output->enabled ? "on" : "off", output->width, output->height,
			head->state.x, head->state.y, (double)output->scale);
	}
	return ok;
}

static void answer(struct weft_output_management *om, struct wlr_output_configuration_v1 *config,
	bool apply)
{
	if (configure(om->server, config, apply)) {
		wlr_output_configuration_v1_send_succeeded(config);
	} else {
		wlr_output_configuration_v1_send_failed(config);
	}
	wlr_output_configuration_v1_destroy(config);
	if (apply) {
		/* Also when nothing in the layout moved (a failure, a scale). */
		weft_output_management_update(om->server);
	}
}

static void handle_apply(struct wl_listener *listener, void *data)
{
	struct weft_output_management *om = wl_container_of(listener, om, apply);
	answer(om, data, true);
}

static void handle_test(struct wl_listener *listener, void *data)
{
	struct weft_output_management *om = wl_container_of(listener, om, test);
	answer(om, data, false);
}

static void handle_layout_change(struct wl_listener *listener, void *data)
{
	struct weft_output_management *om = wl_container_of(listener, om, layout_change);
	weft_output_management_update(om->server);
}

bool weft_output_management_init(struct weft_server *server)
{
	struct weft_output_management *om = calloc(1, sizeof(*om));
	if (om == NULL) {
		return false;
	}
	om->server = server;
	om->manager = wlr_output_manager_v1_create(server->display);
	if (om->manager == NULL ||
		!weft_server_restrict_global(server, om->manager->global,
			WEFT_GLOBAL_DESKTOP_TOOL)) {
		free(om);
		return false;
	}
	om->apply.notify = handle_apply;
	wl_signal_add(&om->manager->events.apply, &om->apply);
	om->test.notify = handle_test;
	wl_signal_add(&om->manager->events.test, &om->test);
	om->layout_change.notify = handle_layout_change;
	wl_signal_add(&server->output_layout->events.change, &om->layout_change);
	server->output_management = om;
	return true;
}

void weft_output_management_finish(struct weft_server *server)
{
	struct weft_output_management *om = server->output_management;
	if (om == NULL) {
		return;
	}
	wl_list_remove(&om->apply.link);
	wl_list_remove(&om->test.link);
	wl_list_remove(&om->layout_change.link);
	/* The manager goes with the display. */
	weft_server_check_unheard(server, "wlr_output_manager_v1", WEFT_EVENTS(om->manager));
	server->output_management = NULL;
	free(om);
}
