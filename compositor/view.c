/*
 * What every view shares, whatever protocol made it: its place in the scene
 * and in the stacking list, mapping, and its metadata.
 */
#include <stdlib.h>
#include <string.h>
#include <wlr/types/wlr_output_damage.h>
#include <wlr/types/wlr_scene.h>

#include "output.h"
#include "view.h"
#include "weft/log.h"

static const struct {
	const char *name;
	enum weft_role role;
} role_names[] = {
	{ "panel", WEFT_ROLE_PANEL },
	{ "overlay", WEFT_ROLE_OVERLAY },
	{ "application", WEFT_ROLE_APPLICATION },
	{ "dialog", WEFT_ROLE_DIALOG },
};

bool weft_role_parse(const char *name, enum weft_role *role)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++) {
		if (strcmp(name, role_names[i].name) == 0) {
			*role = role_names[i].role;
			return true;
		}
	}
	return false;
}

static struct wlr_scene_tree *layer_for(struct weft_server *server, enum weft_role role)
{
	switch (role) {
	case WEFT_ROLE_PANEL:
		return server->layers[WEFT_LAYER_PANEL];
	case WEFT_ROLE_OVERLAY:
		return server->layers[WEFT_LAYER_OVERLAY];
	case WEFT_ROLE_APPLICATION:
	case WEFT_ROLE_DIALOG:
		break;
	}
	return server->layers[WEFT_LAYER_APPS];
}

void weft_view_init(struct weft_view *view, struct weft_server *server,
	const struct weft_view_impl *impl, struct wl_client *client, enum weft_role role)
{
	view->server = server;
	view->impl = impl;
	view->client = client;
	view->role = role;
	view->tree = wlr_scene_tree_create(&layer_for(server, role)->node);
	if (view->tree != NULL) {
		view->tree->node.data = view;
		wlr_scene_node_set_enabled(&view->tree->node, false);
	}
	wl_list_insert(&server->views, &view->link);
}

void weft_view_finish(struct weft_view *view)
{
	struct weft_server *server = view->server;
	bool was_focused = server->focused == view;
	if (was_focused) {
		server->focused = NULL;
	}
	weft_foreign_toplevel_remove(view);
	wl_list_remove(&view->link);
	if (view->tree != NULL) {
		wlr_scene_node_destroy(&view->tree->node);
		view->tree = NULL;
	}
	free(view->app_id);
	free(view->title);
	view->app_id = view->title = NULL;
	weft_policy_arrange(server);
	if (was_focused) {
		weft_policy_focus(server, NULL);
	}
}

void weft_view_set_title(struct weft_view *view, const char *title)
{
	char *copy = strdup(title != NULL ? title : "");
	if (copy == NULL) {
		return;
	}
	free(view->title);
	view->title = copy;
	weft_foreign_toplevel_update(view);
}

void weft_view_set_app_id(struct weft_view *view, const char *app_id)
{
	char *copy = strdup(app_id != NULL ? app_id : "");
	if (copy == NULL) {
		return;
	}
	free(view->app_id);
	view->app_id = copy;
	weft_foreign_toplevel_update(view);
}

void weft_view_set_role(struct weft_view *view, enum weft_role role)
{
	if (view->role == role) {
		return;
	}
	view->role = role;
	if (view->tree != NULL) {
		wlr_scene_node_reparent(&view->tree->node, &layer_for(view->server, role)->node);
	}
	weft_policy_arrange(view->server);
	weft_foreign_toplevel_update(view);
}

void weft_view_set_minimized(struct weft_view *view, bool minimized)
{
	if (view->minimized == minimized) {
		return;
	}
	view->minimized = minimized;
	weft_view_update_visibility(view);
	if (minimized && view->server->focused == view) {
		weft_policy_focus(view->server, NULL);
	}
	weft_foreign_toplevel_update(view);
}

void weft_view_map(struct weft_view *view)
{
	if (view->mapped) {
		return;
	}
	view->mapped = true;
	weft_view_update_visibility(view);
	weft_foreign_toplevel_update(view);
	/* Newest on top; a new application or dialog takes the focus. */
	weft_policy_raise(view);
	weft_policy_arrange(view->server);
	/* The shell's overlay (launcher, switcher, lock screen) takes it too. */
	if (view->role == WEFT_ROLE_APPLICATION || view->role == WEFT_ROLE_DIALOG ||
		(view->role == WEFT_ROLE_OVERLAY &&
			weft_client_role(view->client) == WEFT_CLIENT_SHELL)) {
		weft_policy_focus(view->server, view);
	}
}

void weft_view_unmap(struct weft_view *view)
{
	if (!view->mapped) {
		/* The shell's overlay has the keyboard before it shows; hidden
		 * again without showing, it gives it back. */
		if (view->server->focused == view) {
			weft_policy_focus(view->server, NULL);
		}
		return;
	}
	view->mapped = false;
	weft_view_update_visibility(view);
	/* A surface that let go of its buffer has no size left for wlroots 0.15's
	 * scene to damage when its node is disabled: what it showed would stay
	 * on screen wherever nothing else redraws. */
	struct weft_output *output;
	wl_list_for_each (output, &view->server->outputs, link) {
		struct wlr_scene_output *scene_output =
			wlr_scene_get_scene_output(view->server->scene, output->wlr_output);
		if (scene_output != NULL) {
			wlr_output_damage_add_whole(scene_output->damage);
		}
	}
	weft_foreign_toplevel_update(view);
	if (view->server->focused == view) {
		weft_policy_focus(view->server, NULL);
	}
}

void weft_view_update_visibility(struct weft_view *view)
{
	bool shown = view->mapped && !view->occluded && !view->minimized;
	if (view->tree != NULL && view->tree->node.state.enabled != shown) {
		wlr_scene_node_set_enabled(&view->tree->node, shown);
		weft_idle_update_inhibited(view->server);
	}
}

struct weft_view *weft_view_from_surface(struct weft_server *server, struct wlr_surface *surface)
{
	struct weft_view *view;
	wl_list_for_each (view, &server->views, link) {
		if (view->surface == surface) {
			return view;
		}
	}
	return NULL;
}
