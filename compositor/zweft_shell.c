/*
 * zweft_shell_unstable_v1 (design §8): windows of the system shell and of
 * tagged app clients. The compositor is authoritative: every request is
 * answered with configure, and a window it closes becomes defunct.
 */
#include <stdlib.h>
#include <string.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_surface.h>

#include "server.h"
#include "view.h"
#include "weft/compositor-protocol.h"
#include "weft/log.h"
#include "zweft-shell-unstable-v1-protocol.h"

#define ZWEFT_SHELL_VERSION 2

struct zweft_window {
	struct weft_view view;
	struct wl_resource *resource;
	/* Closed by the compositor: only destroy is allowed now. */
	bool defunct;
	bool shown_once;
	bool feedback_pending;
	struct wl_listener surface_destroy;
};

static const struct weft_view_impl window_view_impl;

static bool is_window_view(const struct weft_view *view)
{
	return view->impl == &window_view_impl;
}

static void window_configure(struct weft_view *view)
{
	struct zweft_window *win = wl_container_of(view, win, view);
	zweft_shell_window_v1_send_configure(win->resource, view->geometry.x, view->geometry.y,
		view->geometry.width, view->geometry.height, view->state);
}

static void window_set_focused(struct weft_view *view, bool focused)
{
	struct zweft_window *win = wl_container_of(view, win, view);
	zweft_shell_window_v1_send_focus_changed(win->resource, focused ? 1 : 0);
}

/* Takes the window off screen for good; the resource lives on, defunct. */
static void window_teardown(struct zweft_window *win)
{
	if (win->defunct) {
		return;
	}
	win->defunct = true;
	if (win->view.surface != NULL) {
		wl_list_remove(&win->surface_destroy.link);
	}
	weft_view_finish(&win->view);
	win->view.surface = NULL;
}

static void window_close(struct weft_view *view)
{
	struct zweft_window *win = wl_container_of(view, win, view);
	struct weft_server *server = view->server;
	struct wl_client *client = view->client;
	zweft_shell_window_v1_send_window_closed(win->resource);
	window_teardown(win);
	if (weft_client_role(client) == WEFT_CLIENT_APP) {
		weft_control_send_event(server->control, WEFT_COMPOSITOR_EVENT_WINDOW_CLOSED,
			weft_client_app_id(client), weft_client_session_id(client));
	}
}

static const struct weft_view_impl window_view_impl = {
	.configure = window_configure,
	.set_focused = window_set_focused,
	.close = window_close,
};

static void surface_role_commit(struct wlr_surface *surface)
{
	struct zweft_window *win = surface->role_data;
	if (win == NULL || win->defunct) {
		return;
	}
	if (!wlr_surface_has_buffer(surface)) {
		weft_view_unmap(&win->view);
		return;
	}
	win->feedback_pending = true;
	weft_view_map(&win->view);
	if (!win->shown_once) {
		win->shown_once = true;
		struct wl_client *client = win->view.client;
		if (weft_client_role(client) == WEFT_CLIENT_APP) {
			weft_control_send_event(win->view.server->control,
				WEFT_COMPOSITOR_EVENT_FIRST_FRAME, weft_client_app_id(client),
				weft_client_session_id(client));
		}
	}
}

static const struct wlr_surface_role window_surface_role = {
	.name = "zweft_shell_window_v1",
	.commit = surface_role_commit,
};

static void handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct zweft_window *win = wl_container_of(listener, win, surface_destroy);
	wl_list_remove(&win->surface_destroy.link);
	weft_view_unmap(&win->view);
	win->view.surface = NULL;
}

static struct zweft_window *window_from_resource(struct wl_resource *resource);

static void window_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

/* Whether this client may hold a window of this role for this app id. */
static bool entitled(struct wl_client *client, enum weft_role role, const char *app_id)
{
	switch (weft_client_role(client)) {
	case WEFT_CLIENT_SHELL:
		return true;
	case WEFT_CLIENT_APP:
		break;
	case WEFT_CLIENT_ORDINARY:
		return false;
	}
	const char *own = weft_client_app_id(client);
	return (role == WEFT_ROLE_APPLICATION || role == WEFT_ROLE_DIALOG) && own != NULL &&
		app_id != NULL && strcmp(own, app_id) == 0;
}

static void window_handle_update_metadata(struct wl_client *client, struct wl_resource *resource,
	const char *title, const char *role_name)
{
	struct zweft_window *win = window_from_resource(resource);
	if (win->defunct) {
		wl_resource_post_error(resource, ZWEFT_SHELL_WINDOW_V1_ERROR_DEFUNCT_WINDOW,
			"window was closed");
		return;
	}
	enum weft_role role;
	if (!weft_role_parse(role_name, &role)) {
		wl_resource_post_error(resource, ZWEFT_SHELL_WINDOW_V1_ERROR_INVALID_ROLE,
			"unknown role '%s'", role_name);
		return;
	}
	if (!entitled(client, role, win->view.app_id)) {
		wl_resource_post_error(resource, ZWEFT_SHELL_WINDOW_V1_ERROR_FORBIDDEN,
			"role '%s' not allowed for this client", role_name);
		return;
	}
	weft_view_set_title(&win->view, title);
	weft_view_set_role(&win->view, role);
}

static void window_handle_set_geometry(struct wl_client *client, struct wl_resource *resource,
	int32_t x, int32_t y, int32_t width, int32_t height)
{
	struct zweft_window *win = window_from_resource(resource);
	if (win->defunct) {
		wl_resource_post_error(resource, ZWEFT_SHELL_WINDOW_V1_ERROR_DEFUNCT_WINDOW,
			"window was closed");
		return;
	}
	win->view.requested = (struct wlr_box){ x, y, width, height };
	/* Answer even when nothing changes. */
	win->view.configured = false;
	weft_policy_arrange(win->view.server);
}

static const struct zweft_shell_window_v1_interface window_impl = {
	.destroy = window_handle_destroy,
	.update_metadata = window_handle_update_metadata,
	.set_geometry = window_handle_set_geometry,
};

static struct zweft_window *window_from_resource(struct wl_resource *resource)
{
	return wl_resource_get_user_data(resource);
}

static void window_resource_destroy(struct wl_resource *resource)
{
	struct zweft_window *win = window_from_resource(resource);
	struct wlr_surface *surface = win->view.surface;
	window_teardown(win);
	if (surface != NULL && surface->role_data == win) {
		/* Lets the surface take a new window later. */
		surface->role_data = NULL;
	}
	free(win);
}

static void manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void manager_handle_create_window(struct wl_client *client,
	struct wl_resource *manager_resource, uint32_t id, const char *app_id, const char *title,
	const char *role_name, struct wl_resource *surface_resource, int32_t x, int32_t y,
	int32_t width, int32_t height)
{
	struct weft_server *server = wl_resource_get_user_data(manager_resource);
	enum weft_role role;
	if (!weft_role_parse(role_name, &role)) {
		wl_resource_post_error(manager_resource, ZWEFT_SHELL_MANAGER_V1_ERROR_INVALID_ROLE,
			"unknown role '%s'", role_name);
		return;
	}
	if (!entitled(client, role, app_id)) {
		wl_resource_post_error(manager_resource, ZWEFT_SHELL_MANAGER_V1_ERROR_FORBIDDEN,
			"%s window for '%s' not allowed for this client", role_name, app_id);
		return;
	}

	struct zweft_window *win = calloc(1, sizeof(*win));
	if (win == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	win->resource = wl_resource_create(client, &zweft_shell_window_v1_interface,
		wl_resource_get_version(manager_resource), id);
	if (win->resource == NULL) {
		free(win);
		wl_client_post_no_memory(client);
		return;
	}
	struct wlr_surface *surface = surface_resource != NULL
		? wlr_surface_from_resource(surface_resource)
		: NULL;
	if (surface != NULL &&
		!wlr_surface_set_role(surface, &window_surface_role, win, manager_resource,
			ZWEFT_SHELL_MANAGER_V1_ERROR_FORBIDDEN)) {
		wl_resource_destroy(win->resource);
		free(win);
		return;
	}
	/* From here the resource owns the window. */
	wl_resource_set_implementation(win->resource, &window_impl, win, window_resource_destroy);

	weft_view_init(&win->view, server, &window_view_impl, client, role);
	weft_view_set_app_id(&win->view, app_id);
	weft_view_set_title(&win->view, title);
	win->view.requested = (struct wlr_box){ x, y, width, height };
	if (surface != NULL) {
		win->view.surface = surface;
		win->surface_destroy.notify = handle_surface_destroy;
		wl_signal_add(&surface->events.destroy, &win->surface_destroy);
		if (win->view.tree != NULL &&
			wlr_scene_subsurface_tree_create(&win->view.tree->node, surface) == NULL) {
			wl_client_post_no_memory(client);
		}
	}
	weft_policy_arrange(server);
	if (surface != NULL && wlr_surface_has_buffer(surface)) {
		surface_role_commit(surface);
	}
}

static const struct zweft_shell_manager_v1_interface manager_impl = {
	.destroy = manager_handle_destroy,
	.create_window = manager_handle_create_window,
};

static void manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct weft_server *server = data;
	struct wl_resource *resource = wl_resource_create(client,
		&zweft_shell_manager_v1_interface, version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &manager_impl, server, NULL);
}

bool weft_zweft_shell_init(struct weft_server *server)
{
	server->zweft_global = wl_global_create(server->display, &zweft_shell_manager_v1_interface,
		ZWEFT_SHELL_VERSION, server, manager_bind);
	return server->zweft_global != NULL;
}

void weft_zweft_send_presentation(struct weft_server *server, struct wlr_output *output,
	const struct timespec *when, uint32_t refresh)
{
	struct weft_view *view;
	wl_list_for_each (view, &server->views, link) {
		/* An occluded window's content was not shown: no feedback yet. */
		if (!is_window_view(view) || !view->mapped || view->occluded) {
			continue;
		}
		struct zweft_window *win = wl_container_of(view, win, view);
		if (!win->feedback_pending ||
			!wlr_output_layout_intersects(server->output_layout, output,
				&view->geometry)) {
			continue;
		}
		win->feedback_pending = false;
		zweft_shell_window_v1_send_presentation_feedback(win->resource,
			(uint32_t)when->tv_sec, (uint32_t)when->tv_nsec, refresh);
	}
}

void weft_zweft_send_gesture(struct weft_server *server, uint32_t type, uint32_t fingers,
	double dx, double dy)
{
	/* System gestures go to the shell's panel and to the focused window. */
	struct weft_view *view;
	wl_list_for_each (view, &server->views, link) {
		if (!is_window_view(view)) {
			continue;
		}
		bool shell_panel = view->role == WEFT_ROLE_PANEL &&
			weft_client_role(view->client) == WEFT_CLIENT_SHELL;
		if (!shell_panel && view != server->focused) {
			continue;
		}
		struct zweft_window *win = wl_container_of(view, win, view);
		if (wl_resource_get_version(win->resource) >=
			ZWEFT_SHELL_WINDOW_V1_NAVIGATION_GESTURE_SINCE_VERSION) {
			zweft_shell_window_v1_send_navigation_gesture(win->resource, type, fingers,
				wl_fixed_from_double(dx), wl_fixed_from_double(dy));
		}
	}
}
