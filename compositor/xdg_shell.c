/*
 * xdg-shell: what ordinary clients get. Every toplevel is placed like an
 * application; popups hang off their parent's scene node; decorations are
 * server side, and the server draws none.
 */
#include <stdlib.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_xdg_decoration_v1.h>
#include <wlr/types/wlr_xdg_shell.h>

#include "server.h"
#include "view.h"
#include "weft/log.h"

struct xdg_view {
	struct weft_view view;
	struct wlr_xdg_surface *xdg_surface;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener set_title;
	struct wl_listener set_app_id;
};

static void xdg_configure(struct weft_view *view)
{
	struct xdg_view *xdg = wl_container_of(view, xdg, view);
	wlr_xdg_toplevel_set_size(xdg->xdg_surface, view->geometry.width, view->geometry.height);
	wlr_xdg_toplevel_set_maximized(xdg->xdg_surface, view->state & WEFT_STATE_MAXIMIZED);
	wlr_xdg_toplevel_set_activated(xdg->xdg_surface, view->state & WEFT_STATE_ACTIVATED);
}

static void xdg_set_focused(struct weft_view *view, bool focused)
{
	/* The activated state goes out with the next configure. */
}

static void xdg_close(struct weft_view *view)
{
	struct xdg_view *xdg = wl_container_of(view, xdg, view);
	wlr_xdg_toplevel_send_close(xdg->xdg_surface);
}

static const struct weft_view_impl xdg_view_impl = {
	.configure = xdg_configure,
	.set_focused = xdg_set_focused,
	.close = xdg_close,
};

static void handle_map(struct wl_listener *listener, void *data)
{
	struct xdg_view *xdg = wl_container_of(listener, xdg, map);
	weft_view_map(&xdg->view);
}

static void handle_unmap(struct wl_listener *listener, void *data)
{
	struct xdg_view *xdg = wl_container_of(listener, xdg, unmap);
	weft_view_unmap(&xdg->view);
}

static void handle_set_title(struct wl_listener *listener, void *data)
{
	struct xdg_view *xdg = wl_container_of(listener, xdg, set_title);
	weft_view_set_title(&xdg->view, xdg->xdg_surface->toplevel->title);
}

static void handle_set_app_id(struct wl_listener *listener, void *data)
{
	struct xdg_view *xdg = wl_container_of(listener, xdg, set_app_id);
	weft_view_set_app_id(&xdg->view, xdg->xdg_surface->toplevel->app_id);
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct xdg_view *xdg = wl_container_of(listener, xdg, destroy);
	wl_list_remove(&xdg->map.link);
	wl_list_remove(&xdg->unmap.link);
	wl_list_remove(&xdg->destroy.link);
	wl_list_remove(&xdg->set_title.link);
	wl_list_remove(&xdg->set_app_id.link);
	xdg->xdg_surface->data = NULL;
	weft_view_finish(&xdg->view);
	free(xdg);
}

static void add_popup(struct wlr_xdg_surface *xdg_surface)
{
	/* A layer surface's popup gets its parent later (layer_shell.c). */
	struct wlr_surface *parent_surface = xdg_surface->popup->parent;
	if (parent_surface == NULL || !wlr_surface_is_xdg_surface(parent_surface)) {
		return;
	}
	struct wlr_xdg_surface *parent = wlr_xdg_surface_from_wlr_surface(parent_surface);
	struct wlr_scene_node *parent_node = parent != NULL ? parent->data : NULL;
	if (parent_node == NULL) {
		return;
	}
	struct wlr_scene_node *node = wlr_scene_xdg_surface_create(parent_node, xdg_surface);
	if (node == NULL) {
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	xdg_surface->data = node;
}

static void handle_new_xdg_surface(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, new_xdg_surface);
	struct wlr_xdg_surface *xdg_surface = data;

	if (xdg_surface->role == WLR_XDG_SURFACE_ROLE_POPUP) {
		add_popup(xdg_surface);
		return;
	}
	if (xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL) {
		return;
	}

	struct xdg_view *xdg = calloc(1, sizeof(*xdg));
	if (xdg == NULL) {
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	xdg->xdg_surface = xdg_surface;
	struct wl_client *client = wl_resource_get_client(xdg_surface->resource);
	weft_view_init(&xdg->view, server, &xdg_view_impl, client, WEFT_ROLE_APPLICATION);
	xdg->view.surface = xdg_surface->surface;
	weft_view_set_title(&xdg->view, xdg_surface->toplevel->title);
	weft_view_set_app_id(&xdg->view, xdg_surface->toplevel->app_id);
	struct wlr_scene_node *node = xdg->view.tree != NULL
		? wlr_scene_xdg_surface_create(&xdg->view.tree->node, xdg_surface)
		: NULL;
	if (node == NULL) {
		/* The view's tree (whose data points at the view) and its
		 * strings go with it. */
		weft_view_finish(&xdg->view);
		free(xdg);
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	/* Popups find their parent's node here. */
	xdg_surface->data = node;

	xdg->map.notify = handle_map;
	wl_signal_add(&xdg_surface->events.map, &xdg->map);
	xdg->unmap.notify = handle_unmap;
	wl_signal_add(&xdg_surface->events.unmap, &xdg->unmap);
	xdg->destroy.notify = handle_destroy;
	wl_signal_add(&xdg_surface->events.destroy, &xdg->destroy);
	xdg->set_title.notify = handle_set_title;
	wl_signal_add(&xdg_surface->toplevel->events.set_title, &xdg->set_title);
	xdg->set_app_id.notify = handle_set_app_id;
	wl_signal_add(&xdg_surface->toplevel->events.set_app_id, &xdg->set_app_id);

	weft_policy_arrange(server);
}

struct decoration {
	struct wlr_xdg_toplevel_decoration_v1 *decoration;
	struct wl_listener request_mode;
	struct wl_listener destroy;
};

static void handle_decoration_request_mode(struct wl_listener *listener, void *data)
{
	struct decoration *deco = wl_container_of(listener, deco, request_mode);
	/* Server side, and we draw nothing: WEFT windows have no title bars. */
	wlr_xdg_toplevel_decoration_v1_set_mode(deco->decoration,
		WLR_XDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
}

static void handle_decoration_destroy(struct wl_listener *listener, void *data)
{
	struct decoration *deco = wl_container_of(listener, deco, destroy);
	wl_list_remove(&deco->request_mode.link);
	wl_list_remove(&deco->destroy.link);
	free(deco);
}

static void handle_new_decoration(struct wl_listener *listener, void *data)
{
	struct wlr_xdg_toplevel_decoration_v1 *decoration = data;
	struct decoration *deco = calloc(1, sizeof(*deco));
	if (deco == NULL) {
		return;
	}
	deco->decoration = decoration;
	deco->request_mode.notify = handle_decoration_request_mode;
	wl_signal_add(&decoration->events.request_mode, &deco->request_mode);
	deco->destroy.notify = handle_decoration_destroy;
	wl_signal_add(&decoration->events.destroy, &deco->destroy);
	handle_decoration_request_mode(&deco->request_mode, decoration);
}

bool weft_xdg_shell_init(struct weft_server *server, struct weft_error *err)
{
	/* Both go with the display. */
	server->xdg_shell = wlr_xdg_shell_create(server->display);
	server->decoration_manager = wlr_xdg_decoration_manager_v1_create(server->display);
	if (server->xdg_shell == NULL || server->decoration_manager == NULL) {
		weft_error_set(err, "cannot create the xdg-shell globals");
		return false;
	}
	server->new_xdg_surface.notify = handle_new_xdg_surface;
	wl_signal_add(&server->xdg_shell->events.new_surface, &server->new_xdg_surface);
	server->new_decoration.notify = handle_new_decoration;
	wl_signal_add(&server->decoration_manager->events.new_toplevel_decoration,
		&server->new_decoration);
	return true;
}

void weft_xdg_shell_finish(struct weft_server *server)
{
	if (server->new_xdg_surface.notify == NULL) {
		return;
	}
	wl_list_remove(&server->new_xdg_surface.link);
	wl_list_remove(&server->new_decoration.link);
	server->new_xdg_surface.notify = server->new_decoration.notify = NULL;
	weft_server_check_unheard(server, "wlr_xdg_shell", WEFT_EVENTS(server->xdg_shell));
	weft_server_check_unheard(server, "wlr_xdg_decoration_manager_v1",
		WEFT_EVENTS(server->decoration_manager));
}
