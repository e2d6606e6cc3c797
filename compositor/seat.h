/*
 * The seat: one object holding the wlr_seat, its cursor and keyboards, and
 * every listener input needs (seat.c; touch points are in touch.c).
 */
#ifndef WEFT_COMPOSITOR_SEAT_H
#define WEFT_COMPOSITOR_SEAT_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>

#include "weft/common.h"

struct weft_server;
struct weft_touch;
struct weft_view;
struct wlr_surface;

struct weft_seat {
	struct weft_server *server;
	struct wlr_seat *seat;
	struct wlr_cursor *cursor;
	struct wlr_xcursor_manager *cursor_manager;
	bool cursor_shown;
	struct wl_list keyboards; /* weft_keyboard.link */
	struct weft_touch *touch;
	/* Virtual input: hidden from clients not entitled to it (client.c). */
	struct wlr_virtual_keyboard_manager_v1 *virtual_keyboard;
	struct wlr_virtual_pointer_manager_v1 *virtual_pointer;

	struct {
		uint32_t fingers;
		double dx, dy, scale, rotation;
	} gesture;

	struct wl_listener new_input;
	struct wl_listener new_virtual_keyboard;
	struct wl_listener new_virtual_pointer;

	struct wl_listener cursor_motion;
	struct wl_listener cursor_motion_absolute;
	struct wl_listener cursor_button;
	struct wl_listener cursor_axis;
	struct wl_listener cursor_frame;
	struct wl_listener swipe_begin, swipe_update, swipe_end;
	struct wl_listener pinch_begin, pinch_update, pinch_end;
	struct wl_listener hold_begin, hold_end;

	struct wl_listener request_set_cursor;
	struct wl_listener request_set_selection;
	struct wl_listener request_set_primary_selection;
	struct wl_listener request_start_drag;
};

/* The seat of server, with its cursor on the server's output layout. */
struct weft_seat *weft_seat_create(struct weft_server *server, struct weft_error *err);
/* Stops listening to everything and frees the seat's own objects; the
 * wlr_seat and the virtual input managers go with the display. */
void weft_seat_destroy(struct weft_seat *seat);
void weft_seat_focus_surface(struct weft_seat *seat, struct wlr_surface *surface);
void weft_seat_add_headless_keyboard(struct weft_seat *seat);
void weft_seat_update_capabilities(struct weft_seat *seat);
/* The view and surface under (lx, ly), with surface-local coordinates. */
struct weft_view *weft_seat_view_at(struct weft_seat *seat, double lx, double ly,
	struct wlr_surface **surface, double *sx, double *sy);

#endif
