/*
 * Window policy: where each role goes, what is on top, who has the keyboard.
 *
 * The panel covers the primary output below everything and reserves the
 * strip it declared (its requested rectangle) along the nearest edge;
 * layer-shell surfaces with exclusive zones reserve theirs from what is left
 * (layer_shell.c); applications fill the rest (the work area), newest on top
 * and focused;
 * dialogs are centred over their app; overlays keep their requested box,
 * clipped to the output, above applications.
 */
#include <stdint.h>
#include <string.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_surface.h>

#include "seat.h"
#include "view.h"
#include "weft/compositor-protocol.h"
#include "weft/log.h"

static struct weft_view *find_panel(struct weft_server *server)
{
	struct weft_view *view;
	wl_list_for_each (view, &server->views, link) {
		if (view->role == WEFT_ROLE_PANEL) {
			return view;
		}
	}
	return NULL;
}

/* The output less the panel's zone. */
static void panel_work_area(struct weft_server *server, struct wlr_box *area)
{
	struct wlr_box out;
	if (!weft_output_primary_box(server, &out)) {
		*area = out;
		return;
	}
	*area = out;
	struct weft_view *panel = find_panel(server);
	if (panel == NULL) {
		return;
	}
	const struct wlr_box *zone = &panel->requested;
	if (zone->width <= 0 || zone->height <= 0) {
		return;
	}
	/* The zone is a strip along the edge nearest to it, at most half the output. */
	if (zone->width >= zone->height) {
		int h = zone->height < out.height / 2 ? zone->height : out.height / 2;
		/* In 64 bits: the client chose the zone, INT32_MAX included. */
		bool bottom = (int64_t)zone->y + zone->height / 2 >
			(int64_t)out.y + out.height / 2;
		area->height -= h;
		if (!bottom) {
			area->y += h;
		}
	} else {
		int w = zone->width < out.width / 2 ? zone->width : out.width / 2;
		bool right = (int64_t)zone->x + zone->width / 2 > (int64_t)out.x + out.width / 2;
		area->width -= w;
		if (!right) {
			area->x += w;
		}
	}
}

void weft_policy_work_area(struct weft_server *server, struct wlr_box *area)
{
	panel_work_area(server, area);
	weft_layer_shell_reserve(server, area);
}

/* The topmost mapped application of the dialog's app. */
static struct weft_view *dialog_parent(struct weft_view *dialog)
{
	struct weft_view *view;
	wl_list_for_each (view, &dialog->server->views, link) {
		if (view->role == WEFT_ROLE_APPLICATION && view->mapped &&
			view->client == dialog->client && view->app_id != NULL &&
			dialog->app_id != NULL && strcmp(view->app_id, dialog->app_id) == 0) {
			return view;
		}
	}
	return NULL;
}

static bool box_equal(const struct wlr_box *a, const struct wlr_box *b)
{
	return a->x == b->x && a->y == b->y && a->width == b->width && a->height == b->height;
}

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static struct wlr_box place(struct weft_view *view, const struct wlr_box *output,
	const struct wlr_box *work)
{
	const struct wlr_box *req = &view->requested;
	struct wlr_box box = *work;
	switch (view->role) {
	case WEFT_ROLE_PANEL:
		return *output;
	case WEFT_ROLE_APPLICATION:
		return *work;
	case WEFT_ROLE_OVERLAY:
		if (req->width <= 0 || req->height <= 0) {
			return *output;
		}
		box.width = req->width < output->width ? req->width : output->width;
		box.height = req->height < output->height ? req->height : output->height;
		box.x = clamp(req->x, output->x, output->x + output->width - box.width);
		box.y = clamp(req->y, output->y, output->y + output->height - box.height);
		return box;
	case WEFT_ROLE_DIALOG:
		break;
	}
	struct weft_view *parent = dialog_parent(view);
	const struct wlr_box *over = parent != NULL ? &parent->geometry : work;
	box.width = req->width > 0 ? req->width : work->width / 2;
	box.height = req->height > 0 ? req->height : work->height / 2;
	box.width = box.width < work->width ? box.width : work->width;
	box.height = box.height < work->height ? box.height : work->height;
	box.x = over->x + (over->width - box.width) / 2;
	box.y = over->y + (over->height - box.height) / 2;
	box.x = clamp(box.x, work->x, work->x + work->width - box.width);
	box.y = clamp(box.y, work->y, work->y + work->height - box.height);
	return box;
}

static uint32_t state_of(struct weft_view *view)
{
	uint32_t state = view->focused ? WEFT_STATE_ACTIVATED : 0;
	if (view->role == WEFT_ROLE_APPLICATION) {
		state |= WEFT_STATE_MAXIMIZED;
	} else if (view->role == WEFT_ROLE_PANEL) {
		state |= WEFT_STATE_FULLSCREEN;
	}
	return state;
}

void weft_policy_arrange(struct weft_server *server)
{
	struct wlr_box output, work;
	weft_output_primary_box(server, &output);
	/* Bars and the like keep out of the panel's zone, windows out of both. */
	panel_work_area(server, &work);
	weft_layer_shell_arrange(server, &work);
	weft_policy_work_area(server, &work);

	/* Applications first: dialogs are placed over them. */
	for (int pass = 0; pass < 2; pass++) {
		struct weft_view *view;
		wl_list_for_each (view, &server->views, link) {
			if ((view->role == WEFT_ROLE_DIALOG) != (pass == 1)) {
				continue;
			}
			struct wlr_box box = place(view, &output, &work);
			uint32_t state = state_of(view);
			if (view->tree != NULL) {
				wlr_scene_node_set_position(&view->tree->node, box.x, box.y);
			}
			if (view->configured && box_equal(&box, &view->geometry) &&
				state == view->state) {
				continue;
			}
			view->geometry = box;
			view->state = state;
			view->configured = true;
			view->impl->configure(view);
			weft_foreign_toplevel_update(view);
		}
	}
}

/* Whether the view's own surface is opaque over all of box (layout coordinates). */
static bool opaque_over(struct weft_view *view, const struct wlr_box *box)
{
	struct wlr_surface *surface = view->surface;
	if (!view->mapped || view->minimized || view->tree == NULL || surface == NULL ||
		wlr_box_empty(box)) {
		return false;
	}
	int x = view->tree->node.state.x, y = view->tree->node.state.y;
	pixman_box32_t rect = {
		.x1 = box->x - x,
		.y1 = box->y - y,
		.x2 = box->x - x + box->width,
		.y2 = box->y - y + box->height,
	};
	return pixman_region32_contains_rectangle(&surface->opaque_region, &rect) ==
		PIXMAN_REGION_IN;
}

/*
 * wlroots 0.15's scene draws every node under the damage, hidden or not: 20
 * stacked maximized apps cost 20 full-screen copies a frame. Applications
 * fill the work area, so the topmost one that is opaque hides every
 * application and dialog below it; those are taken out of the scene (which
 * also stops their frame callbacks, as for any hidden window) until it moves.
 */
void weft_policy_update_occlusion(struct weft_server *server)
{
	struct wlr_box work;
	weft_policy_work_area(server, &work);
	bool covered = false;
	struct weft_view *view;
	/* The list is topmost first, in the same order as the apps layer. */
	wl_list_for_each (view, &server->views, link) {
		if (view->role != WEFT_ROLE_APPLICATION && view->role != WEFT_ROLE_DIALOG) {
			continue;
		}
		bool occluded = covered;
		if (occluded != view->occluded) {
			view->occluded = occluded;
			weft_view_update_visibility(view);
		}
		if (!covered && view->role == WEFT_ROLE_APPLICATION && opaque_over(view, &work)) {
			covered = true;
		}
	}
}

static void raise_one(struct weft_view *view)
{
	if (view->tree != NULL) {
		wlr_scene_node_raise_to_top(&view->tree->node);
	}
	wl_list_remove(&view->link);
	wl_list_insert(&view->server->views, &view->link);
}

void weft_policy_raise(struct weft_view *view)
{
	raise_one(view);
	if (view->role != WEFT_ROLE_APPLICATION) {
		return;
	}
	/* The app's dialogs stay above it; keep their relative order. */
	struct weft_view *dialogs[64];
	size_t n = 0;
	struct weft_view *other;
	wl_list_for_each_reverse (other, &view->server->views, link) {
		if (n < sizeof(dialogs) / sizeof(dialogs[0]) && other->role == WEFT_ROLE_DIALOG &&
			other->client == view->client) {
			dialogs[n++] = other;
		}
	}
	for (size_t i = 0; i < n; i++) {
		raise_one(dialogs[i]);
	}
}

static struct weft_view *focus_candidate(struct weft_server *server)
{
	struct weft_view *view;
	wl_list_for_each (view, &server->views, link) {
		if (view->mapped && !view->minimized &&
			(view->role == WEFT_ROLE_APPLICATION || view->role == WEFT_ROLE_DIALOG)) {
			return view;
		}
	}
	return NULL;
}

void weft_policy_focus(struct weft_server *server, struct weft_view *view)
{
	if (view == NULL) {
		view = focus_candidate(server);
	}
	struct weft_view *old = server->focused;
	if (old != view) {
		server->focused = view;
		if (old != NULL) {
			old->focused = false;
			old->impl->set_focused(old, false);
			weft_foreign_toplevel_update(old);
		}
		if (view != NULL) {
			view->focused = true;
			view->impl->set_focused(view, true);
			weft_foreign_toplevel_update(view);
			if (weft_client_role(view->client) == WEFT_CLIENT_APP) {
				weft_control_send_event(server->shell_control,
					WEFT_COMPOSITOR_EVENT_FOCUSED,
					weft_client_app_id(view->client),
					weft_client_session_id(view->client));
			}
		}
	}
	weft_seat_focus_surface(server->seat,
		weft_layer_shell_keyboard_focus(server, view != NULL ? view->surface : NULL));
	weft_policy_arrange(server);
}

void weft_policy_cycle(struct weft_server *server)
{
	struct weft_view *view, *lowest = NULL;
	wl_list_for_each (view, &server->views, link) {
		if (view->mapped && view->role == WEFT_ROLE_APPLICATION) {
			lowest = view;
		}
	}
	if (lowest == NULL) {
		return;
	}
	weft_policy_raise(lowest);
	weft_policy_focus(server, lowest);
}
