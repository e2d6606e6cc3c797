/*
 * A view is anything placed on screen by the policy: an xdg toplevel or a
 * zweft shell window. Each kind fills in an impl; the policy (policy.c)
 * decides geometry, stacking and focus for all of them alike.
 */
#ifndef WEFT_COMPOSITOR_VIEW_H
#define WEFT_COMPOSITOR_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>
#include <wlr/util/box.h>

#include "server.h"

struct weft_toplevel;
struct weft_view;

struct weft_view_impl {
	/* Tell the client its new geometry and state. */
	void (*configure)(struct weft_view *view);
	void (*set_focused)(struct weft_view *view, bool focused);
	/* The compositor closes the view (Super+Q, appd). */
	void (*close)(struct weft_view *view);
};

struct weft_view {
	struct weft_server *server;
	const struct weft_view_impl *impl;
	struct wl_list link; /* weft_server.views, topmost first */
	struct wl_client *client;
	enum weft_role role;
	char *app_id;
	char *title;

	struct wlr_scene_tree *tree;
	struct wlr_surface *surface; /* may be NULL */
	bool mapped;
	bool occluded; /* under an opaque application: not drawn (policy.c) */
	bool focused;
	bool minimized; /* hidden by a taskbar until activated */
	struct weft_toplevel *toplevel; /* its foreign-toplevel handle, or NULL */

	struct wlr_box requested; /* what the client asked for */
	struct wlr_box geometry; /* what the policy decided */
	uint32_t state;
	bool configured; /* at least one configure sent */
};

/* view.c */
void weft_view_init(struct weft_view *view, struct weft_server *server,
	const struct weft_view_impl *impl, struct wl_client *client, enum weft_role role);
/* Unlinks the view and gives focus to whoever should have it now. */
void weft_view_finish(struct weft_view *view);
void weft_view_set_title(struct weft_view *view, const char *title);
void weft_view_set_app_id(struct weft_view *view, const char *app_id);
void weft_view_map(struct weft_view *view);
void weft_view_unmap(struct weft_view *view);
void weft_view_set_role(struct weft_view *view, enum weft_role role);
void weft_view_set_minimized(struct weft_view *view, bool minimized);
/* Shows the view's scene node when it is mapped and not occluded. */
void weft_view_update_visibility(struct weft_view *view);
struct weft_view *weft_view_from_surface(struct weft_server *server, struct wlr_surface *surface);
bool weft_role_parse(const char *name, enum weft_role *role);

/* policy.c */
/* Recomputes every view's geometry; configures views whose geometry changed. */
void weft_policy_arrange(struct weft_server *server);
/* Raises the view (and its app's dialogs, for an application). */
void weft_policy_raise(struct weft_view *view);
/* Gives keyboard focus to the view, or to the policy's choice when NULL. */
void weft_policy_focus(struct weft_server *server, struct weft_view *view);
/* Super+Tab: brings the lowest application to the top and focuses it. */
void weft_policy_cycle(struct weft_server *server);
/* Hides the windows that an opaque application above them covers. */
void weft_policy_update_occlusion(struct weft_server *server);
/* The panel's reserved zone shrinks this box to the work area. */
void weft_policy_work_area(struct weft_server *server, struct wlr_box *area);

#endif
