/*
 * The server: display, backend, renderer, globals, and the order in which
 * they come up and go down.
 */
#include <fcntl.h>
#include <linux/vt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/backend/headless.h>
#include <wlr/backend/multi.h>
#include <wlr/render/allocator.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_data_control_v1.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_input_method_v2.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_presentation_time.h>
#include <wlr/types/wlr_primary_selection_v1.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_screencopy_v1.h>
#include <wlr/types/wlr_viewporter.h>
#include <wlr/types/wlr_virtual_keyboard_v1.h>
#include <wlr/types/wlr_virtual_pointer_v1.h>
#include <wlr/types/wlr_xdg_output_v1.h>

#include "server.h"
#include "weft/log.h"

/* A VT on the console means we may drive the hardware through libseat. */
static bool on_vt(void)
{
	struct vt_stat st;
	return ioctl(STDIN_FILENO, VT_GETSTATE, &st) == 0;
}

static const char *backends_for(enum weft_backend_choice choice)
{
	switch (choice) {
	case WEFT_BACKEND_DRM:
		return "drm,libinput";
	case WEFT_BACKEND_WAYLAND:
		return "wayland";
	case WEFT_BACKEND_X11:
		return "x11";
	case WEFT_BACKEND_HEADLESS:
		return "headless";
	case WEFT_BACKEND_AUTO:
		break;
	}
	if (getenv("WLR_BACKENDS") != NULL) {
		return getenv("WLR_BACKENDS");
	}
	if (getenv("WAYLAND_DISPLAY") != NULL || getenv("WAYLAND_SOCKET") != NULL) {
		return "wayland";
	}
	if (getenv("DISPLAY") != NULL) {
		return "x11";
	}
	return on_vt() ? "drm,libinput" : "headless";
}

static void find_headless(struct wlr_backend *backend, void *data)
{
	struct weft_server *server = data;
	if (wlr_backend_is_headless(backend)) {
		server->headless = backend;
	}
}

static int handle_sigchld(int signo, void *data)
{
	weft_children_reap(data);
	return 0;
}

static int handle_terminate(int signo, void *data)
{
	struct weft_server *server = data;
	weft_log(WEFT_INFO, "signal %d: quitting", signo);
	wl_display_terminate(server->display);
	return 0;
}

static bool create_globals(struct weft_server *server, struct weft_error *err)
{
	struct wl_display *display = server->display;

	server->compositor = wlr_compositor_create(display, server->renderer);
	if (server->compositor == NULL || wlr_data_device_manager_create(display) == NULL ||
		wlr_primary_selection_v1_device_manager_create(display) == NULL ||
		wlr_viewporter_create(display) == NULL) {
		weft_error_set(err, "cannot create core globals");
		return false;
	}
	server->presentation = wlr_presentation_create(display, server->backend);
	if (server->presentation == NULL) {
		weft_error_set(err, "cannot create the presentation-time global");
		return false;
	}
	wlr_scene_set_presentation(server->scene, server->presentation);
	if (wlr_xdg_output_manager_v1_create(display, server->output_layout) == NULL) {
		weft_error_set(err, "cannot create the xdg-output global");
		return false;
	}

	struct wlr_screencopy_manager_v1 *screencopy = wlr_screencopy_manager_v1_create(display);
	struct wlr_virtual_pointer_manager_v1 *vpointer = wlr_virtual_pointer_manager_v1_create(
		display);
	struct wlr_virtual_keyboard_manager_v1 *vkeyboard = wlr_virtual_keyboard_manager_v1_create(
		display);
	struct wlr_data_control_manager_v1 *data_control = wlr_data_control_manager_v1_create(
		display);
	struct wlr_input_method_manager_v2 *input_method = wlr_input_method_manager_v2_create(
		display);
	if (screencopy == NULL || vpointer == NULL || vkeyboard == NULL || data_control == NULL ||
		input_method == NULL) {
		weft_error_set(err, "cannot create privileged globals");
		return false;
	}
	server->screencopy_global = screencopy->global;
	server->virtual_pointer_global = vpointer->global;
	server->virtual_keyboard_global = vkeyboard->global;
	server->data_control_global = data_control->global;
	server->input_method_global = input_method->global;
	wl_signal_add(&vkeyboard->events.new_virtual_keyboard, &server->new_virtual_keyboard);
	wl_signal_add(&vpointer->events.new_virtual_pointer, &server->new_virtual_pointer);

	if (!weft_zweft_shell_init(server)) {
		weft_error_set(err, "cannot create the zweft shell global");
		return false;
	}
	wl_display_set_global_filter(display, weft_global_filter, server);
	return true;
}

bool weft_server_init(struct weft_server *server, const struct weft_options *options,
	struct weft_error *err)
{
	server->options = *options;
	wl_list_init(&server->outputs);
	wl_list_init(&server->views);
	wl_list_init(&server->keyboards);

	server->display = wl_display_create();
	if (server->display == NULL) {
		weft_error_set(err, "cannot create the Wayland display");
		return false;
	}
	server->loop = wl_display_get_event_loop(server->display);

	/* wlroots picks its backends from WLR_BACKENDS; we choose them for it. */
	if (setenv("WLR_BACKENDS", backends_for(options->backend), 1) != 0) {
		weft_error_errno(err, "setenv");
		return false;
	}
	weft_log(WEFT_INFO, "backends: %s", getenv("WLR_BACKENDS"));
	server->backend = wlr_backend_autocreate(server->display);
	if (server->backend == NULL) {
		weft_error_set(err, "cannot create the %s backend", getenv("WLR_BACKENDS"));
		return false;
	}
	if (wlr_backend_is_multi(server->backend)) {
		wlr_multi_for_each_backend(server->backend, find_headless, server);
	} else {
		find_headless(server->backend, server);
	}

	server->renderer = wlr_renderer_autocreate(server->backend);
	if (server->renderer == NULL) {
		weft_error_set(err, "cannot create a renderer");
		return false;
	}
	if (!wlr_renderer_init_wl_display(server->renderer, server->display)) {
		weft_error_set(err, "cannot initialise the renderer's globals");
		return false;
	}
	server->allocator = wlr_allocator_autocreate(server->backend, server->renderer);
	if (server->allocator == NULL) {
		weft_error_set(err, "cannot create an allocator");
		return false;
	}

	server->scene = wlr_scene_create();
	server->output_layout = wlr_output_layout_create();
	if (server->scene == NULL || server->output_layout == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	for (int i = 0; i < WEFT_LAYER_COUNT; i++) {
		server->layers[i] = wlr_scene_tree_create(&server->scene->node);
		if (server->layers[i] == NULL) {
			weft_error_set(err, "out of memory");
			return false;
		}
	}

	weft_output_init(server);
	if (!weft_seat_init(server, err) || !create_globals(server, err)) {
		return false;
	}
	weft_xdg_shell_init(server);

	server->sigchld = wl_event_loop_add_signal(server->loop, SIGCHLD, handle_sigchld, server);
	server->sigterm = wl_event_loop_add_signal(server->loop, SIGTERM, handle_terminate,
		server);
	server->sigint = wl_event_loop_add_signal(server->loop, SIGINT, handle_terminate, server);
	if (server->sigchld == NULL || server->sigterm == NULL || server->sigint == NULL) {
		weft_error_set(err, "cannot watch signals");
		return false;
	}
	return true;
}

bool weft_server_start(struct weft_server *server, struct weft_error *err)
{
	const struct weft_options *options = &server->options;

	server->socket = wl_display_add_socket_auto(server->display);
	if (server->socket == NULL) {
		weft_error_errno(err, "cannot open a Wayland socket");
		return false;
	}
	if (server->headless != NULL) {
		weft_seat_add_headless_keyboard(server);
	}
	if (!wlr_backend_start(server->backend)) {
		weft_error_set(err, "cannot start the backend");
		return false;
	}
	/* Children (and nested clients started by hand) connect to us, not our parent. */
	unsetenv("WAYLAND_SOCKET");
	if (setenv("WAYLAND_DISPLAY", server->socket, 1) != 0) {
		weft_error_errno(err, "setenv");
		return false;
	}
	weft_log(WEFT_INFO, "running on WAYLAND_DISPLAY=%s", server->socket);

	if (options->shell_fd >= 0) {
		if (weft_client_create_tagged(server, options->shell_fd, WEFT_CLIENT_SHELL, NULL,
			    NULL) == NULL) {
			weft_error_set(err, "cannot create the shell client on fd %d",
				options->shell_fd);
			return false;
		}
	} else if (options->shell_cmd != NULL) {
		server->shell = weft_child_create(server, "shell", options->shell_cmd,
			WEFT_CLIENT_SHELL);
		if (server->shell == NULL) {
			weft_error_set(err, "cannot start the shell");
			return false;
		}
	}
	if (options->appd_fd >= 0) {
		server->control = weft_control_create(server, options->appd_fd);
		if (server->control == NULL) {
			weft_error_set(err, "cannot watch the appd control fd %d",
				options->appd_fd);
			return false;
		}
	} else if (options->appd_cmd != NULL) {
		server->appd = weft_child_create(server, "appd", options->appd_cmd,
			WEFT_CLIENT_ORDINARY);
		if (server->appd == NULL) {
			weft_error_set(err, "cannot start appd");
			return false;
		}
	}

	sd_notify(0, "READY=1");
	return true;
}

void weft_server_finish(struct weft_server *server)
{
	if (server->display == NULL) {
		return;
	}
	weft_child_destroy(server->shell);
	weft_child_destroy(server->appd);
	weft_control_destroy(server->control);
	server->shell = server->appd = NULL;
	server->control = NULL;
	wl_display_destroy_clients(server->display);
	if (server->sigchld != NULL) {
		wl_event_source_remove(server->sigchld);
	}
	if (server->sigterm != NULL) {
		wl_event_source_remove(server->sigterm);
	}
	if (server->sigint != NULL) {
		wl_event_source_remove(server->sigint);
	}
	weft_seat_finish(server);
	if (server->backend != NULL) {
		wlr_backend_destroy(server->backend);
	}
	/* The scene listens to the layout: the layout goes first. */
	if (server->output_layout != NULL) {
		wlr_output_layout_destroy(server->output_layout);
	}
	if (server->scene != NULL) {
		wlr_scene_node_destroy(&server->scene->node);
	}
	wl_display_destroy(server->display);
	if (server->allocator != NULL) {
		wlr_allocator_destroy(server->allocator);
	}
	if (server->renderer != NULL) {
		wlr_renderer_destroy(server->renderer);
	}
	server->display = NULL;
}
