/*
 * wlr-foreign-toplevel-management: the list of application windows for
 * taskbars and docks, with their title, app id and state, and the requests
 * they may make of a window: activate, close, minimize.
 */
#include <stdlib.h>
#include <string.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_foreign_toplevel_management_v1.h>

#include "output.h"
#include "server.h"
#include "view.h"
#include "weft/log.h"

struct weft_foreign_toplevels {
	struct weft_server *server;
	struct wlr_foreign_toplevel_manager_v1 *manager;
};

struct weft_toplevel {
	struct weft_view *view;
	struct wlr_foreign_toplevel_handle_v1 *handle;
	struct wlr_output *output; /* the one it was said to be on */
	/* A close asked for: run from the loop, as closing may destroy the
	 * view, and the handle with it, while the handle emits the request. */
	struct wl_event_source *close_idle;
	struct wl_listener request_activate;
	struct wl_listener request_close;
	struct wl_listener request_minimize;
};

static void handle_request_activate(struct wl_listener *listener, void *data)
{
	struct weft_toplevel *toplevel = wl_container_of(listener, toplevel, request_activate);
	struct weft_view *view = toplevel->view;
	weft_view_set_minimized(view, false);
	weft_policy_raise(view);
	weft_policy_focus(view->server, view);
}

static void close_view(void *data)
{
	struct weft_toplevel *toplevel = data;
	struct weft_view *view = toplevel->view;
	toplevel->close_idle = NULL;
	view->impl->close(view);
}

static void handle_request_close(struct wl_listener *listener, void *data)
{
	struct weft_toplevel *toplevel = wl_container_of(listener, toplevel, request_close);
	if (toplevel->close_idle == NULL) {
		toplevel->close_idle = wl_event_loop_add_idle(toplevel->view->server->loop,
			close_view, toplevel);
	}
}

static void handle_request_minimize(struct wl_listener *listener, void *data)
{
	struct weft_toplevel *toplevel = wl_container_of(listener, toplevel, request_minimize);
	struct wlr_foreign_toplevel_handle_v1_minimized_event *event = data;
	weft_view_set_minimized(toplevel->view, event->minimized);
}

static bool listed(const struct weft_view *view)
{
	return view->mapped &&
		(view->role == WEFT_ROLE_APPLICATION || view->role == WEFT_ROLE_DIALOG);
}

void weft_foreign_toplevel_remove(struct weft_view *view)
{
	struct weft_toplevel *toplevel = view->toplevel;
	if (toplevel == NULL) {
		return;
	}
	view->toplevel = NULL;
	if (toplevel->close_idle != NULL) {
		wl_event_source_remove(toplevel->close_idle);
	}
	wl_list_remove(&toplevel->request_activate.link);
	wl_list_remove(&toplevel->request_close.link);
	wl_list_remove(&toplevel->request_minimize.link);
	weft_server_check_unheard(view->server, "wlr_foreign_toplevel_handle_v1",
		WEFT_EVENTS(toplevel->handle));
	wlr_foreign_toplevel_handle_v1_destroy(toplevel->handle);
	free(toplevel);
}

static struct weft_toplevel *toplevel_create(struct weft_view *view)
{
	struct weft_foreign_toplevels *toplevels = view->server->foreign_toplevels;
	struct weft_toplevel *toplevel = calloc(1, sizeof(*toplevel));
	if (toplevel == NULL) {
		return NULL;
	}
	toplevel->handle = wlr_foreign_toplevel_handle_v1_create(toplevels->manager);
	if (toplevel->handle == NULL) {
		free(toplevel);
		return NULL;
	}
	toplevel->view = view;
	toplevel->request_activate.notify = handle_request_activate;
	wl_signal_add(&toplevel->handle->events.request_activate, &toplevel->request_activate);
	toplevel->request_close.notify = handle_request_close;
	wl_signal_add(&toplevel->handle->events.request_close, &toplevel->request_close);
	toplevel->request_minimize.notify = handle_request_minimize;
	wl_signal_add(&toplevel->handle->events.request_minimize, &toplevel->request_minimize);
	return toplevel;
}

static bool same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

void weft_foreign_toplevel_update(struct weft_view *view)
{
	if (view->server->foreign_toplevels == NULL || !listed(view)) {
		weft_foreign_toplevel_remove(view);
		return;
	}
	if (view->toplevel == NULL) {
		view->toplevel = toplevel_create(view);
		if (view->toplevel == NULL) {
			weft_log(WEFT_ERROR, "out of memory for a foreign toplevel handle");
			return;
		}
	}
	struct weft_toplevel *toplevel = view->toplevel;
	struct wlr_foreign_toplevel_handle_v1 *handle = toplevel->handle;
	/* Each set sends an event, even for the same value. */
	const char *title = view->title != NULL ? view->title : "";
	const char *app_id = view->app_id != NULL ? view->app_id : "";
	if (!same(handle->title, title)) {
		wlr_foreign_toplevel_handle_v1_set_title(handle, title);
	}
	if (!same(handle->app_id, app_id)) {
		wlr_foreign_toplevel_handle_v1_set_app_id(handle, app_id);
	}
	wlr_foreign_toplevel_handle_v1_set_activated(handle, view->focused);
	wlr_foreign_toplevel_handle_v1_set_maximized(handle,
		(view->state & WEFT_STATE_MAXIMIZED) != 0);
	wlr_foreign_toplevel_handle_v1_set_minimized(handle, view->minimized);
	/* Windows live on the primary output. */
	struct weft_server *server = view->server;
	struct weft_output *primary = wl_list_empty(&server->outputs)
		? NULL
		: wl_container_of(server->outputs.next, primary, link);
	struct wlr_output *output = primary != NULL ? primary->wlr_output : NULL;
	if (output != toplevel->output) {
		if (toplevel->output != NULL) {
			wlr_foreign_toplevel_handle_v1_output_leave(handle, toplevel->output);
		}
		if (output != NULL) {
			wlr_foreign_toplevel_handle_v1_output_enter(handle, output);
		}
		toplevel->output = output;
	}
}

struct weft_foreign_toplevels *weft_foreign_toplevels_create(struct weft_server *server)
{
	struct weft_foreign_toplevels *toplevels = calloc(1, sizeof(*toplevels));
	if (toplevels == NULL) {
		return NULL;
	}
	/* Goes with the display. */
	toplevels->manager = wlr_foreign_toplevel_manager_v1_create(server->display);
	if (toplevels->manager == NULL ||
		!weft_server_restrict_global(server, toplevels->manager->global,
			WEFT_GLOBAL_DESKTOP_TOOL)) {
		free(toplevels);
		return NULL;
	}
	toplevels->server = server;
	return toplevels;
}

void weft_foreign_toplevels_destroy(struct weft_foreign_toplevels *toplevels)
{
	if (toplevels == NULL) {
		return;
	}
	weft_server_check_unheard(toplevels->server, "wlr_foreign_toplevel_manager_v1",
		WEFT_EVENTS(toplevels->manager));
	free(toplevels);
}
