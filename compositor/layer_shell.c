/*
 * wlr-layer-shell: bars, launchers, notifications and wallpapers of other
 * desktop tools. Each layer surface sits in the scene layer of its protocol
 * layer (server.h), anchored to edges of its output; the exclusive zones of
 * those on the primary output shrink the work area after the zweft panel's
 * zone, so the shell's panel and a third-party bar never overlap.
 */
#include <stdlib.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_layer_shell_v1.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_xdg_shell.h>

#include "output.h"
#include "seat.h"
#include "server.h"
#include "view.h"
#include "weft/log.h"

struct weft_layer_shell {
	struct weft_server *server;
	struct wlr_layer_shell_v1 *wlr;
	struct wl_list surfaces; /* weft_layer_surface.link, oldest first */
	/* The layer surface holding the keyboard, or NULL. */
	struct weft_layer_surface *focused;
	struct wl_listener new_surface;
};

struct weft_layer_surface {
	struct weft_layer_shell *shell;
	struct wlr_layer_surface_v1 *wlr;
	struct wl_list link;
	struct wlr_scene_tree *tree;
	enum zwlr_layer_shell_v1_layer layer; /* the one its tree is in */
	struct wlr_box box; /* where it was placed, layout coordinates */

	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
	struct wl_listener commit;
	struct wl_listener new_popup;
	struct wl_listener output_destroy;
};

static struct wlr_scene_tree *tree_for(struct weft_server *server,
	enum zwlr_layer_shell_v1_layer layer)
{
	switch (layer) {
	case ZWLR_LAYER_SHELL_V1_LAYER_BACKGROUND:
		return server->layers[WEFT_LAYER_SHELL_BACKGROUND];
	case ZWLR_LAYER_SHELL_V1_LAYER_BOTTOM:
		return server->layers[WEFT_LAYER_SHELL_BOTTOM];
	case ZWLR_LAYER_SHELL_V1_LAYER_TOP:
		return server->layers[WEFT_LAYER_SHELL_TOP];
	case ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY:
		break;
	}
	return server->layers[WEFT_LAYER_SHELL_OVERLAY];
}

/* The edge whose strip an exclusive zone reserves, or 0 when there is none:
 * anchored to that edge alone, or to it and both edges beside it. */
static uint32_t exclusive_edge(uint32_t anchor)
{
	const uint32_t top = ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP;
	const uint32_t bottom = ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM;
	const uint32_t left = ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT;
	const uint32_t right = ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT;
	if (anchor == top || anchor == (top | left | right)) {
		return top;
	}
	if (anchor == bottom || anchor == (bottom | left | right)) {
		return bottom;
	}
	if (anchor == left || anchor == (left | top | bottom)) {
		return left;
	}
	if (anchor == right || anchor == (right | top | bottom)) {
		return right;
	}
	return 0;
}

/* One axis: the size and start of a surface anchored to neither, one or both
 * ends of [start, start + length). */
static void place_axis(bool at_start, bool at_end, int32_t start, int32_t length, uint32_t desired,
	int32_t margin_start, int32_t margin_end, int32_t *pos, int32_t *size)
{
	int32_t inner = length - margin_start - margin_end;
	*size = desired == 0 && at_start && at_end ? inner : (int32_t)desired;
	if (at_start && !at_end) {
		*pos = start + margin_start;
	} else if (at_end && !at_start) {
		*pos = start + length - margin_end - *size;
	} else {
		*pos = start + margin_start + (inner - *size) / 2;
	}
}

/* Places surface within bounds; reserves its exclusive zone from area. */
static struct wlr_box place(struct weft_layer_surface *ls, const struct wlr_box *full,
	struct wlr_box *area)
{
	const struct wlr_layer_surface_v1_state *state = &ls->wlr->current;
	const struct wlr_box *bounds = state->exclusive_zone < 0 ? full : area;
	uint32_t anchor = state->anchor;
	struct wlr_box box;
	place_axis(anchor & ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT,
		anchor & ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT, bounds->x, bounds->width,
		state->desired_width, state->margin.left, state->margin.right, &box.x, &box.width);
	place_axis(anchor & ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP,
		anchor & ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM, bounds->y, bounds->height,
		state->desired_height, state->margin.top, state->margin.bottom, &box.y,
		&box.height);
	if (state->exclusive_zone <= 0 || !ls->wlr->mapped) {
		return box;
	}
	int32_t zone = state->exclusive_zone;
	switch (exclusive_edge(anchor)) {
	case ZWLR_LAYER_SURFACE_V1_ANCHOR_TOP:
		zone += state->margin.top;
		zone = zone < area->height ? zone : area->height;
		area->y += zone;
		area->height -= zone;
		break;
	case ZWLR_LAYER_SURFACE_V1_ANCHOR_BOTTOM:
		zone += state->margin.bottom;
		area->height -= zone < area->height ? zone : area->height;
		break;
	case ZWLR_LAYER_SURFACE_V1_ANCHOR_LEFT:
		zone += state->margin.left;
		zone = zone < area->width ? zone : area->width;
		area->x += zone;
		area->width -= zone;
		break;
	case ZWLR_LAYER_SURFACE_V1_ANCHOR_RIGHT:
		zone += state->margin.right;
		area->width -= zone < area->width ? zone : area->width;
		break;
	}
	return box;
}

static struct wlr_output *primary_output(struct weft_server *server)
{
	if (wl_list_empty(&server->outputs)) {
		return NULL;
	}
	struct weft_output *output = wl_container_of(server->outputs.next, output, link);
	return output->wlr_output;
}

/*
 * Walks the layer surfaces of output in the order zones are taken: those
 * with an exclusive zone first, from the overlay layer down, then the rest,
 * which keep out of the reserved zones. area starts as the usable part of
 * the output and ends as what is left of it.
 */
static void place_all(struct weft_layer_shell *shell, struct wlr_output *output,
	const struct wlr_box *full, struct wlr_box *area, bool configure)
{
	for (int pass = 0; pass < 2; pass++) {
		for (int layer = ZWLR_LAYER_SHELL_V1_LAYER_OVERLAY; layer >= 0; layer--) {
			struct weft_layer_surface *ls;
			wl_list_for_each (ls, &shell->surfaces, link) {
				const struct wlr_layer_surface_v1_state *state = &ls->wlr->current;
				if (ls->wlr->output != output || (int)ls->layer != layer ||
					(state->exclusive_zone > 0) != (pass == 0)) {
					continue;
				}
				struct wlr_box box = place(ls, full, area);
				if (!configure) {
					continue;
				}
				if (box.width <= 0 || box.height <= 0) {
					/* Unplaceable: the protocol's invalid_size. */
					wl_resource_post_error(ls->wlr->resource,
						ZWLR_LAYER_SURFACE_V1_ERROR_INVALID_SIZE,
						"layer surface would have no size (%dx%d)",
						box.width, box.height);
					continue;
				}
				ls->box = box;
				wlr_scene_node_set_position(&ls->tree->node, box.x, box.y);
				wlr_layer_surface_v1_configure(ls->wlr, (uint32_t)box.width,
					(uint32_t)box.height);
			}
		}
	}
}

void weft_layer_shell_reserve(struct weft_server *server, struct wlr_box *area)
{
	struct weft_layer_shell *shell = server->layer_shell;
	struct wlr_output *output = primary_output(server);
	struct wlr_box full;
	if (shell == NULL || output == NULL || !weft_output_primary_box(server, &full)) {
		return;
	}
	place_all(shell, output, &full, area, false);
}

void weft_layer_shell_arrange(struct weft_server *server, const struct wlr_box *area)
{
	struct weft_layer_shell *shell = server->layer_shell;
	if (shell == NULL) {
		return;
	}
	struct weft_output *output;
	wl_list_for_each (output, &server->outputs, link) {
		struct wlr_box *box = wlr_output_layout_get_box(server->output_layout,
			output->wlr_output);
		if (box == NULL) {
			continue;
		}
		struct wlr_box full = *box;
		/* Only the primary output has the panel; windows live there. */
		struct wlr_box usable = full;
		if (output->wlr_output == primary_output(server)) {
			usable = *area;
		}
		place_all(shell, output->wlr_output, &full, &usable, true);
	}
}

static bool wants_keyboard(struct weft_layer_surface *ls)
{
	return ls->wlr->mapped &&
		ls->wlr->current.keyboard_interactive !=
		ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_NONE;
}

/* Exclusive keyboard interactivity in the top or overlay layer holds the
 * keyboard for as long as it is mapped; lower down it is on demand. */
static bool grabs_keyboard(struct weft_layer_surface *ls)
{
	return ls->wlr->mapped &&
		ls->wlr->current.keyboard_interactive ==
		ZWLR_LAYER_SURFACE_V1_KEYBOARD_INTERACTIVITY_EXCLUSIVE &&
		ls->layer >= ZWLR_LAYER_SHELL_V1_LAYER_TOP;
}

struct wlr_surface *weft_layer_shell_keyboard_focus(struct weft_server *server,
	struct wlr_surface *surface)
{
	struct weft_layer_shell *shell = server->layer_shell;
	if (shell == NULL || shell->focused == NULL) {
		return surface;
	}
	if (grabs_keyboard(shell->focused)) {
		return shell->focused->wlr->surface;
	}
	shell->focused = NULL;
	return surface;
}

static void set_focus(struct weft_layer_shell *shell, struct weft_layer_surface *ls)
{
	shell->focused = ls;
	weft_seat_focus_surface(shell->server->seat, ls->wlr->surface);
}

/* Gives the keyboard back to the policy's choice when ls had it. */
static void release_focus(struct weft_layer_surface *ls)
{
	struct weft_layer_shell *shell = ls->shell;
	if (shell->focused != ls) {
		return;
	}
	shell->focused = NULL;
	/* Another mapped grabber takes over, the topmost first. */
	struct weft_layer_surface *other;
	wl_list_for_each_reverse (other, &shell->surfaces, link) {
		if (other != ls && grabs_keyboard(other)) {
			set_focus(shell, other);
			return;
		}
	}
	weft_policy_focus(shell->server, shell->server->focused);
}

void weft_layer_shell_click(struct weft_server *server, struct wlr_surface *surface)
{
	struct weft_layer_shell *shell = server->layer_shell;
	if (shell == NULL || surface == NULL || !wlr_surface_is_layer_surface(surface)) {
		return;
	}
	struct wlr_layer_surface_v1 *wlr = wlr_layer_surface_v1_from_wlr_surface(surface);
	struct weft_layer_surface *ls = wlr != NULL ? wlr->data : NULL;
	if (ls == NULL || !wants_keyboard(ls)) {
		return;
	}
	if (shell->focused != NULL && shell->focused != ls && grabs_keyboard(shell->focused)) {
		return;
	}
	set_focus(shell, ls);
}

static void arrange(struct weft_server *server)
{
	/* The policy places the layer surfaces before the windows. */
	weft_policy_arrange(server);
}

static void handle_map(struct wl_listener *listener, void *data)
{
	struct weft_layer_surface *ls = wl_container_of(listener, ls, map);
	wlr_scene_node_set_enabled(&ls->tree->node, true);
	arrange(ls->shell->server);
	if (grabs_keyboard(ls)) {
		set_focus(ls->shell, ls);
	}
}

static void handle_unmap(struct wl_listener *listener, void *data)
{
	struct weft_layer_surface *ls = wl_container_of(listener, ls, unmap);
	wlr_scene_node_set_enabled(&ls->tree->node, false);
	release_focus(ls);
	arrange(ls->shell->server);
}

static void handle_commit(struct wl_listener *listener, void *data)
{
	struct weft_layer_surface *ls = wl_container_of(listener, ls, commit);
	struct wlr_layer_surface_v1 *wlr = ls->wlr;
	uint32_t committed = wlr->current.committed;
	if (wlr->current.layer != ls->layer) {
		ls->layer = wlr->current.layer;
		wlr_scene_node_reparent(&ls->tree->node,
			&tree_for(ls->shell->server, ls->layer)->node);
	}
	if (committed & WLR_LAYER_SURFACE_V1_STATE_KEYBOARD_INTERACTIVITY) {
		if (grabs_keyboard(ls)) {
			set_focus(ls->shell, ls);
		} else if (!wants_keyboard(ls)) {
			release_focus(ls);
		}
	}
	/* After an unmap it waits for a configure again. */
	if (committed != 0 || !wlr->configured) {
		arrange(ls->shell->server);
	}
}

static void handle_new_popup(struct wl_listener *listener, void *data)
{
	struct weft_layer_surface *ls = wl_container_of(listener, ls, new_popup);
	struct wlr_xdg_popup *popup = data;
	struct wlr_scene_node *node = wlr_scene_xdg_surface_create(&ls->tree->node, popup->base);
	if (node == NULL) {
		wl_resource_post_no_memory(popup->resource);
		return;
	}
	/* Its own popups find their parent's node here (xdg_shell.c). */
	popup->base->data = node;
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct weft_layer_surface *ls = wl_container_of(listener, ls, destroy);
	struct weft_server *server = ls->shell->server;
	wl_list_remove(&ls->map.link);
	wl_list_remove(&ls->unmap.link);
	wl_list_remove(&ls->destroy.link);
	wl_list_remove(&ls->commit.link);
	wl_list_remove(&ls->new_popup.link);
	wl_list_remove(&ls->output_destroy.link);
	wl_list_remove(&ls->link);
	release_focus(ls);
	ls->wlr->data = NULL;
	wlr_scene_node_destroy(&ls->tree->node);
	free(ls);
	arrange(server);
}

static void handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct weft_layer_surface *ls = wl_container_of(listener, ls, output_destroy);
	/* Closes it: the destroy handler runs from inside. */
	wlr_layer_surface_v1_destroy(ls->wlr);
}

static void handle_new_surface(struct wl_listener *listener, void *data)
{
	struct weft_layer_shell *shell = wl_container_of(listener, shell, new_surface);
	struct weft_server *server = shell->server;
	struct wlr_layer_surface_v1 *wlr = data;
	if (wlr->output == NULL) {
		wlr->output = primary_output(server);
	}
	if (wlr->output == NULL) {
		weft_log(WEFT_WARN, "layer surface '%s': no output to put it on", wlr->namespace);
		wlr_layer_surface_v1_destroy(wlr);
		return;
	}
	struct weft_layer_surface *ls = calloc(1, sizeof(*ls));
	if (ls == NULL) {
		wl_resource_post_no_memory(wlr->resource);
		return;
	}
	ls->shell = shell;
	ls->wlr = wlr;
	ls->layer = wlr->current.layer;
	ls->tree = wlr_scene_tree_create(&tree_for(server, ls->layer)->node);
	if (ls->tree == NULL ||
		wlr_scene_subsurface_tree_create(&ls->tree->node, wlr->surface) == NULL) {
		if (ls->tree != NULL) {
			wlr_scene_node_destroy(&ls->tree->node);
		}
		free(ls);
		wl_resource_post_no_memory(wlr->resource);
		return;
	}
	wlr_scene_node_set_enabled(&ls->tree->node, false);
	wlr->data = ls;

	ls->map.notify = handle_map;
	wl_signal_add(&wlr->events.map, &ls->map);
	ls->unmap.notify = handle_unmap;
	wl_signal_add(&wlr->events.unmap, &ls->unmap);
	ls->destroy.notify = handle_destroy;
	wl_signal_add(&wlr->events.destroy, &ls->destroy);
	ls->commit.notify = handle_commit;
	wl_signal_add(&wlr->surface->events.commit, &ls->commit);
	ls->new_popup.notify = handle_new_popup;
	wl_signal_add(&wlr->events.new_popup, &ls->new_popup);
	ls->output_destroy.notify = handle_output_destroy;
	wl_signal_add(&wlr->output->events.destroy, &ls->output_destroy);
	wl_list_insert(shell->surfaces.prev, &ls->link);

	/* Its first configure goes out now, in answer to its first commit. */
	arrange(server);
}

struct weft_layer_shell *weft_layer_shell_create(struct weft_server *server)
{
	struct weft_layer_shell *shell = calloc(1, sizeof(*shell));
	if (shell == NULL) {
		return NULL;
	}
	/* Goes with the display. */
	shell->wlr = wlr_layer_shell_v1_create(server->display);
	if (shell->wlr == NULL ||
		!weft_server_restrict_global(server, shell->wlr->global,
			WEFT_GLOBAL_DESKTOP_TOOL)) {
		free(shell);
		return NULL;
	}
	shell->server = server;
	wl_list_init(&shell->surfaces);
	shell->new_surface.notify = handle_new_surface;
	wl_signal_add(&shell->wlr->events.new_surface, &shell->new_surface);
	return shell;
}

void weft_layer_shell_destroy(struct weft_layer_shell *shell)
{
	if (shell == NULL) {
		return;
	}
	/* The clients, and their layer surfaces, are gone by now. */
	wl_list_remove(&shell->new_surface.link);
	weft_server_check_unheard(shell->server, "wlr_layer_shell_v1", WEFT_EVENTS(shell->wlr));
	free(shell);
}
