/*
 * Xwayland: X11 programs, when --xwayland asks for them. wlroots starts
 * the X server on the first X connection and runs its window manager; each
 * managed X window becomes a view placed by the policy like an xdg
 * toplevel, or a dialog when it has a parent or is modal. Override-redirect
 * windows (menus, tooltips) are not managed: they are drawn where they say,
 * above applications, and take the keyboard only when they ask for it.
 *
 * The X server is one ordinary Wayland client for every X program, so it
 * is never offered a privileged global (client.c). App sessions never reach
 * it: their sandbox has no DISPLAY, no /tmp/.X11-unix and a network
 * namespace of its own, which hides its abstract socket.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/xwayland.h>

#include "seat.h"
#include "server.h"
#include "view.h"
#include "weft/log.h"

struct xwayland_window {
	struct weft_server *server;
	struct wlr_xwayland_surface *xsurface;
	/* A mapped managed window is a view; its tree holds the surface. */
	struct weft_view view;
	bool is_view;
	/* Its X window may be gone already: send it nothing. */
	bool unmapping;
	/* A mapped override-redirect window: a tree of its own. */
	struct wlr_scene_tree *unmanaged;

	struct wl_listener destroy;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener request_configure;
	struct wl_listener request_activate;
	struct wl_listener set_title;
	struct wl_listener set_class;
	struct wl_listener set_geometry;
};

static void view_configure(struct weft_view *view)
{
	struct xwayland_window *window = wl_container_of(view, window, view);
	const struct wlr_box *box = &view->geometry;
	wlr_xwayland_surface_configure(window->xsurface, box->x, box->y, box->width, box->height);
	wlr_xwayland_surface_set_maximized(window->xsurface, view->state & WEFT_STATE_MAXIMIZED);
}

static void view_set_focused(struct weft_view *view, bool focused)
{
	struct xwayland_window *window = wl_container_of(view, window, view);
	if (!window->unmapping) {
		wlr_xwayland_surface_activate(window->xsurface, focused);
	}
}

static void view_close(struct weft_view *view)
{
	struct xwayland_window *window = wl_container_of(view, window, view);
	wlr_xwayland_surface_close(window->xsurface);
}

static const struct weft_view_impl xwayland_view_impl = {
	.configure = view_configure,
	.set_focused = view_set_focused,
	.close = view_close,
};

static enum weft_role role_of(struct wlr_xwayland_surface *xsurface)
{
	return xsurface->parent != NULL || xsurface->modal ? WEFT_ROLE_DIALOG
							   : WEFT_ROLE_APPLICATION;
}

static bool map_view(struct xwayland_window *window)
{
	struct wlr_xwayland_surface *xsurface = window->xsurface;
	struct weft_view *view = &window->view;
	/* X has no protocol error to send: a window we cannot show stays unmapped. */
	weft_view_init(view, window->server, &xwayland_view_impl,
		window->server->xwayland->server->client, role_of(xsurface));
	if (view->tree == NULL ||
		wlr_scene_subsurface_tree_create(&view->tree->node, xsurface->surface) == NULL) {
		weft_view_finish(view);
		return false;
	}
	window->is_view = true;
	view->surface = xsurface->surface;
	view->requested = (struct wlr_box){
		.x = xsurface->x,
		.y = xsurface->y,
		.width = xsurface->width,
		.height = xsurface->height,
	};
	weft_view_set_title(view, xsurface->title);
	weft_view_set_app_id(view, xsurface->class);
	weft_view_map(view);
	return true;
}

static bool map_unmanaged(struct xwayland_window *window)
{
	struct weft_server *server = window->server;
	struct wlr_xwayland_surface *xsurface = window->xsurface;
	window->unmanaged = wlr_scene_tree_create(&server->layers[WEFT_LAYER_OVERLAY]->node);
	if (window->unmanaged == NULL) {
		return false;
	}
	if (wlr_scene_subsurface_tree_create(&window->unmanaged->node, xsurface->surface) ==
		NULL) {
		wlr_scene_node_destroy(&window->unmanaged->node);
		window->unmanaged = NULL;
		return false;
	}
	wlr_scene_node_set_position(&window->unmanaged->node, xsurface->x, xsurface->y);
	/* By its window type: not a menu, tooltip and the like. */
	if (wlr_xwayland_or_surface_wants_focus(xsurface)) {
		weft_seat_focus_surface(server->seat, xsurface->surface);
	}
	return true;
}

static void handle_map(struct wl_listener *listener, void *data)
{
	struct xwayland_window *window = wl_container_of(listener, window, map);
	bool ok = window->xsurface->override_redirect ? map_unmanaged(window) : map_view(window);
	if (!ok) {
		weft_log(WEFT_ERROR, "xwayland: out of memory: window 0x%x not shown",
			(unsigned)window->xsurface->window_id);
	}
}

static void unmap(struct xwayland_window *window)
{
	struct weft_server *server = window->server;
	if (window->is_view) {
		window->unmapping = true;
		weft_view_unmap(&window->view);
		/* Its scene tree and strings go with it; the next map makes a new one. */
		weft_view_finish(&window->view);
		window->view = (struct weft_view){ 0 };
		window->is_view = window->unmapping = false;
	}
	if (window->unmanaged != NULL) {
		wlr_scene_node_destroy(&window->unmanaged->node);
		window->unmanaged = NULL;
		/* Whatever the menu held goes back to the focused view. */
		weft_policy_focus(server, server->focused);
	}
}

static void handle_unmap(struct wl_listener *listener, void *data)
{
	struct xwayland_window *window = wl_container_of(listener, window, unmap);
	unmap(window);
}

static void handle_request_configure(struct wl_listener *listener, void *data)
{
	struct xwayland_window *window = wl_container_of(listener, window, request_configure);
	struct wlr_xwayland_surface_configure_event *event = data;
	if (!window->is_view) {
		/* Not ours to place yet (or ever, for override-redirect). */
		wlr_xwayland_surface_configure(window->xsurface, event->x, event->y, event->width,
			event->height);
		return;
	}
	/* The policy decides; the client hears its place again. */
	struct weft_view *view = &window->view;
	view->requested = (struct wlr_box){
		.x = event->x,
		.y = event->y,
		.width = event->width,
		.height = event->height,
	};
	weft_policy_arrange(window->server);
	view_configure(view);
}

/*
 * _NET_ACTIVE_WINDOW: an X program may move the focus between its own
 * windows, and X programs share one client, so only while an X window has
 * the focus. Anything else would let any X program steal the keyboard.
 */
static void handle_request_activate(struct wl_listener *listener, void *data)
{
	struct xwayland_window *window = wl_container_of(listener, window, request_activate);
	struct weft_server *server = window->server;
	if (!window->is_view || server->focused == NULL ||
		server->focused->client != window->view.client) {
		return;
	}
	weft_policy_raise(&window->view);
	weft_policy_focus(server, &window->view);
}

static void handle_set_title(struct wl_listener *listener, void *data)
{
	struct xwayland_window *window = wl_container_of(listener, window, set_title);
	if (window->is_view) {
		weft_view_set_title(&window->view, window->xsurface->title);
	}
}

static void handle_set_class(struct wl_listener *listener, void *data)
{
	struct xwayland_window *window = wl_container_of(listener, window, set_class);
	if (window->is_view) {
		weft_view_set_app_id(&window->view, window->xsurface->class);
	}
}

/* Override-redirect windows move themselves. */
static void handle_set_geometry(struct wl_listener *listener, void *data)
{
	struct xwayland_window *window = wl_container_of(listener, window, set_geometry);
	if (window->unmanaged != NULL) {
		wlr_scene_node_set_position(&window->unmanaged->node, window->xsurface->x,
			window->xsurface->y);
	}
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct xwayland_window *window = wl_container_of(listener, window, destroy);
	unmap(window);
	wl_list_remove(&window->destroy.link);
	wl_list_remove(&window->map.link);
	wl_list_remove(&window->unmap.link);
	wl_list_remove(&window->request_configure.link);
	wl_list_remove(&window->request_activate.link);
	wl_list_remove(&window->set_title.link);
	wl_list_remove(&window->set_class.link);
	wl_list_remove(&window->set_geometry.link);
	weft_server_check_unheard(window->server, "wlr_xwayland_surface",
		WEFT_EVENTS(window->xsurface));
	window->xsurface->data = NULL;
	free(window);
}

static void handle_new_surface(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, xwayland_new_surface);
	struct wlr_xwayland_surface *xsurface = data;
	struct xwayland_window *window = calloc(1, sizeof(*window));
	if (window == NULL) {
		weft_log(WEFT_ERROR, "xwayland: out of memory: window 0x%x not managed",
			(unsigned)xsurface->window_id);
		return;
	}
	window->server = server;
	window->xsurface = xsurface;
	xsurface->data = window;
	window->destroy.notify = handle_destroy;
	wl_signal_add(&xsurface->events.destroy, &window->destroy);
	window->map.notify = handle_map;
	wl_signal_add(&xsurface->events.map, &window->map);
	window->unmap.notify = handle_unmap;
	wl_signal_add(&xsurface->events.unmap, &window->unmap);
	window->request_configure.notify = handle_request_configure;
	wl_signal_add(&xsurface->events.request_configure, &window->request_configure);
	window->request_activate.notify = handle_request_activate;
	wl_signal_add(&xsurface->events.request_activate, &window->request_activate);
	window->set_title.notify = handle_set_title;
	wl_signal_add(&xsurface->events.set_title, &window->set_title);
	window->set_class.notify = handle_set_class;
	wl_signal_add(&xsurface->events.set_class, &window->set_class);
	window->set_geometry.notify = handle_set_geometry;
	wl_signal_add(&xsurface->events.set_geometry, &window->set_geometry);
}

static void handle_ready(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, xwayland_ready);
	weft_log(WEFT_INFO, "xwayland: X server ready on DISPLAY=%s",
		server->xwayland->display_name);
}

bool weft_xwayland_init(struct weft_server *server, struct weft_error *err)
{
	if (!server->options.xwayland) {
		/* Children must not reach an X server we did not start, such as
		 * the one a nested x11 backend runs in. */
		unsetenv("DISPLAY");
		return true;
	}
	/* Lazy: the X server starts on the first X connection. */
	server->xwayland = wlr_xwayland_create(server->display, server->compositor, true);
	if (server->xwayland == NULL) {
		weft_error_set(err, "cannot start Xwayland (is the xwayland package installed?)");
		return false;
	}
	server->xwayland_new_surface.notify = handle_new_surface;
	wl_signal_add(&server->xwayland->events.new_surface, &server->xwayland_new_surface);
	server->xwayland_ready.notify = handle_ready;
	wl_signal_add(&server->xwayland->events.ready, &server->xwayland_ready);
	wlr_xwayland_set_seat(server->xwayland, server->seat->seat);
	if (setenv("DISPLAY", server->xwayland->display_name, 1) != 0) {
		weft_error_errno(err, "setenv");
		return false;
	}
	weft_log(WEFT_INFO, "xwayland: DISPLAY=%s", server->xwayland->display_name);
	return true;
}

/*
 * wlroots 0.15 destroys its X window manager, and with it every X window,
 * only when its connection to the X server hangs up; wlr_xwayland_destroy()
 * leaves it behind (leaked, pointing at freed memory). So hang it up first
 * and run the loop until the window manager has seen it.
 */
static void stop_window_manager(struct weft_server *server)
{
	struct wlr_xwayland_server *xserver = server->xwayland->server;
	if (server->xwayland->xwm == NULL || xserver == NULL || xserver->wm_fd[0] < 0) {
		return;
	}
	if (shutdown(xserver->wm_fd[0], SHUT_RDWR) != 0) {
		weft_log_errno(WEFT_WARN, "xwayland: cannot hang up the window manager");
		return;
	}
	int64_t deadline = weft_now_ms() + 5000;
	while (server->xwayland->xwm != NULL && weft_now_ms() < deadline) {
		wl_event_loop_dispatch(server->loop, 100);
	}
	if (server->xwayland->xwm != NULL) {
		weft_log(WEFT_ERROR, "xwayland: the window manager did not stop within 5 s");
		return;
	}
	/* Its connection closed that fd: wlroots must not close the number again. */
	xserver->wm_fd[0] = -1;
}

void weft_xwayland_finish(struct weft_server *server)
{
	if (server->xwayland == NULL) {
		return;
	}
	stop_window_manager(server);
	wl_list_remove(&server->xwayland_new_surface.link);
	wl_list_remove(&server->xwayland_ready.link);
	weft_server_check_unheard(server, "wlr_xwayland", WEFT_EVENTS(server->xwayland));
	wlr_xwayland_destroy(server->xwayland);
	server->xwayland = NULL;
}

bool weft_xwayland_is_client(struct weft_server *server, const struct wl_client *client)
{
	return server->xwayland != NULL && server->xwayland->server != NULL &&
		server->xwayland->server->client == client;
}
