/*
 * What clients may ask of the pointer beyond wl_pointer: relative motion
 * (relative-pointer), a lock or a confinement (pointer-constraints) while
 * their surface has the keyboard, and touchpad gestures (pointer-gestures).
 * Gestures of three or more fingers stay the system's (seat.c sends them
 * to the shell and appd); fewer go to the client under the pointer.
 */
#include <pixman.h>
#include <stdlib.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_pointer_constraints_v1.h>
#include <wlr/types/wlr_pointer_gestures_v1.h>
#include <wlr/types/wlr_relative_pointer_v1.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/util/region.h>

#include "seat.h"
#include "server.h"
#include "weft/log.h"

/* Gestures with this many fingers or more are the system's. */
#define SYSTEM_FINGERS 3

struct weft_pointer {
	struct weft_server *server;
	struct wlr_relative_pointer_manager_v1 *relative;
	struct wlr_pointer_constraints_v1 *constraints;
	struct wlr_pointer_gestures_v1 *gestures;
	struct wlr_pointer_constraint_v1 *active; /* the constraint in force, or NULL */
	uint32_t gesture_fingers; /* of the gesture being forwarded, else 0 */

	struct wl_listener new_constraint;
	struct wl_listener focus_change;
	struct wl_listener active_destroy;
	struct wl_listener swipe_begin, swipe_update, swipe_end;
	struct wl_listener pinch_begin, pinch_update, pinch_end;
	struct wl_listener hold_begin, hold_end;
};

static void deactivate(struct weft_pointer *pointer)
{
	struct wlr_pointer_constraint_v1 *constraint = pointer->active;
	if (constraint == NULL) {
		return;
	}
	wl_list_remove(&pointer->active_destroy.link);
	pointer->active = NULL;
	wlr_pointer_constraint_v1_send_deactivated(constraint);
}

/* Where a lock asked the cursor to be left, when it is lifted. */
static void warp_to_hint(struct weft_pointer *pointer,
	struct wlr_pointer_constraint_v1 *constraint)
{
	struct wlr_seat *seat = pointer->server->seat->seat;
	if (constraint->type != WLR_POINTER_CONSTRAINT_V1_LOCKED ||
		!(constraint->current.committed & WLR_POINTER_CONSTRAINT_V1_STATE_CURSOR_HINT) ||
		seat->pointer_state.focused_surface != constraint->surface) {
		return;
	}
	struct wlr_cursor *cursor = pointer->server->seat->cursor;
	double ox = cursor->x - seat->pointer_state.sx;
	double oy = cursor->y - seat->pointer_state.sy;
	wlr_cursor_warp(cursor, NULL, ox + constraint->current.cursor_hint.x,
		oy + constraint->current.cursor_hint.y);
}

static void handle_active_destroy(struct wl_listener *listener, void *data)
{
	struct weft_pointer *pointer = wl_container_of(listener, pointer, active_destroy);
	struct wlr_pointer_constraint_v1 *constraint = pointer->active;
	wl_list_remove(&pointer->active_destroy.link);
	pointer->active = NULL;
	warp_to_hint(pointer, constraint);
}

static void activate(struct weft_pointer *pointer, struct wlr_pointer_constraint_v1 *constraint)
{
	if (pointer->active == constraint) {
		return;
	}
	deactivate(pointer);
	if (constraint == NULL) {
		return;
	}
	pointer->active = constraint;
	pointer->active_destroy.notify = handle_active_destroy;
	wl_signal_add(&constraint->events.destroy, &pointer->active_destroy);
	wlr_pointer_constraint_v1_send_activated(constraint);
}

/* The constraint of the keyboard-focused surface is the one in force. */
static void update(struct weft_pointer *pointer, struct wlr_surface *focused)
{
	struct wlr_pointer_constraint_v1 *constraint = NULL;
	if (focused != NULL) {
		constraint =
			wlr_pointer_constraints_v1_constraint_for_surface(pointer->constraints,
				focused, pointer->server->seat->seat);
	}
	activate(pointer, constraint);
}

static void handle_new_constraint(struct wl_listener *listener, void *data)
{
	struct weft_pointer *pointer = wl_container_of(listener, pointer, new_constraint);
	update(pointer, pointer->server->seat->seat->keyboard_state.focused_surface);
}

static void handle_focus_change(struct wl_listener *listener, void *data)
{
	struct weft_pointer *pointer = wl_container_of(listener, pointer, focus_change);
	struct wlr_seat_keyboard_focus_change_event *event = data;
	update(pointer, event->new_surface);
}

void weft_pointer_motion(struct weft_server *server, uint32_t time_msec, double *dx, double *dy,
	double unaccel_dx, double unaccel_dy)
{
	struct weft_pointer *pointer = server->pointer;
	if (pointer == NULL) {
		return;
	}
	struct wlr_seat *seat = server->seat->seat;
	wlr_relative_pointer_manager_v1_send_relative_motion(pointer->relative, seat,
		(uint64_t)time_msec * 1000, *dx, *dy, unaccel_dx, unaccel_dy);

	struct wlr_pointer_constraint_v1 *constraint = pointer->active;
	if (constraint == NULL || seat->pointer_state.focused_surface != constraint->surface) {
		return;
	}
	if (constraint->type == WLR_POINTER_CONSTRAINT_V1_LOCKED) {
		*dx = *dy = 0;
		return;
	}
	/* Confined: the motion stops at the region's edge. */
	double sx = seat->pointer_state.sx, sy = seat->pointer_state.sy;
	double x, y;
	if (wlr_region_confine(&constraint->region, sx, sy, sx + *dx, sy + *dy, &x, &y)) {
		*dx = x - sx;
		*dy = y - sy;
	}
}

static void forward_begin(struct weft_pointer *pointer, uint32_t fingers)
{
	pointer->gesture_fingers = fingers < SYSTEM_FINGERS ? fingers : 0;
}

static void handle_swipe_begin(struct wl_listener *listener, void *data)
{
	struct weft_pointer *pointer = wl_container_of(listener, pointer, swipe_begin);
	struct wlr_event_pointer_swipe_begin *event = data;
	forward_begin(pointer, event->fingers);
	if (pointer->gesture_fingers != 0) {
		wlr_pointer_gestures_v1_send_swipe_begin(pointer->gestures,
			pointer->server->seat->seat, event->time_msec, event->fingers);
	}
}

static void handle_swipe_update(struct wl_listener *listener, void *data)
{
	struct weft_pointer *pointer = wl_container_of(listener, pointer, swipe_update);
	struct wlr_event_pointer_swipe_update *event = data;
	if (pointer->gesture_fingers != 0) {
		wlr_pointer_gestures_v1_send_swipe_update(pointer->gestures,
			pointer->server->seat->seat, event->time_msec, event->dx, event->dy);
	}
}

static void handle_swipe_end(struct wl_listener *listener, void *data)
{
	struct weft_pointer *pointer = wl_container_of(listener, pointer, swipe_end);
	struct wlr_event_pointer_swipe_end *event = data;
	if (pointer->gesture_fingers != 0) {
		wlr_pointer_gestures_v1_send_swipe_end(pointer->gestures,
			pointer->server->seat->seat, event->time_msec, event->cancelled);
	}
	pointer->gesture_fingers = 0;
}

static void handle_pinch_begin(struct wl_listener *listener, void *data)
{
	struct weft_pointer *pointer = wl_container_of(listener, pointer, pinch_begin);
	struct wlr_event_pointer_pinch_begin *event = data;
	forward_begin(pointer, event->fingers);
	if (pointer->gesture_fingers != 0) {
		wlr_pointer_gestures_v1_send_pinch_begin(pointer->gestures,
			pointer->server->seat->seat, event->time_msec, event->fingers);
	}
}

static void handle_pinch_update(struct wl_listener *listener, void *data)
{
	struct weft_pointer *pointer = wl_container_of(listener, pointer, pinch_update);
	struct wlr_event_pointer_pinch_update *event = data;
	if (pointer->gesture_fingers != 0) {
		wlr_pointer_gestures_v1_send_pinch_update(pointer->gestures,
			pointer->server->seat->seat, event->time_msec, event->dx, event->dy,
			event->scale, event->rotation);
	}
}

static void handle_pinch_end(struct wl_listener *listener, void *data)
{
	struct weft_pointer *pointer = wl_container_of(listener, pointer, pinch_end);
	struct wlr_event_pointer_pinch_end *event = data;
	if (pointer->gesture_fingers != 0) {
		wlr_pointer_gestures_v1_send_pinch_end(pointer->gestures,
			pointer->server->seat->seat, event->time_msec, event->cancelled);
	}
	pointer->gesture_fingers = 0;
}

static void handle_hold_begin(struct wl_listener *listener, void *data)
{
	struct weft_pointer *pointer = wl_container_of(listener, pointer, hold_begin);
	struct wlr_event_pointer_hold_begin *event = data;
	forward_begin(pointer, event->fingers);
	if (pointer->gesture_fingers != 0) {
		wlr_pointer_gestures_v1_send_hold_begin(pointer->gestures,
			pointer->server->seat->seat, event->time_msec, event->fingers);
	}
}

static void handle_hold_end(struct wl_listener *listener, void *data)
{
	struct weft_pointer *pointer = wl_container_of(listener, pointer, hold_end);
	struct wlr_event_pointer_hold_end *event = data;
	if (pointer->gesture_fingers != 0) {
		wlr_pointer_gestures_v1_send_hold_end(pointer->gestures,
			pointer->server->seat->seat, event->time_msec, event->cancelled);
	}
	pointer->gesture_fingers = 0;
}

static void listen(struct wl_signal *signal, struct wl_listener *listener, wl_notify_func_t notify)
{
	listener->notify = notify;
	wl_signal_add(signal, listener);
}

bool weft_pointer_init(struct weft_server *server)
{
	struct weft_pointer *pointer = calloc(1, sizeof(*pointer));
	if (pointer == NULL) {
		return false;
	}
	pointer->server = server;
	pointer->relative = wlr_relative_pointer_manager_v1_create(server->display);
	pointer->constraints = wlr_pointer_constraints_v1_create(server->display);
	pointer->gestures = wlr_pointer_gestures_v1_create(server->display);
	if (pointer->relative == NULL || pointer->constraints == NULL ||
		pointer->gestures == NULL) {
		free(pointer);
		return false;
	}
	listen(&pointer->constraints->events.new_constraint, &pointer->new_constraint,
		handle_new_constraint);
	listen(&server->seat->seat->keyboard_state.events.focus_change, &pointer->focus_change,
		handle_focus_change);
	struct wlr_cursor *cursor = server->seat->cursor;
	listen(&cursor->events.swipe_begin, &pointer->swipe_begin, handle_swipe_begin);
	listen(&cursor->events.swipe_update, &pointer->swipe_update, handle_swipe_update);
	listen(&cursor->events.swipe_end, &pointer->swipe_end, handle_swipe_end);
	listen(&cursor->events.pinch_begin, &pointer->pinch_begin, handle_pinch_begin);
	listen(&cursor->events.pinch_update, &pointer->pinch_update, handle_pinch_update);
	listen(&cursor->events.pinch_end, &pointer->pinch_end, handle_pinch_end);
	listen(&cursor->events.hold_begin, &pointer->hold_begin, handle_hold_begin);
	listen(&cursor->events.hold_end, &pointer->hold_end, handle_hold_end);
	server->pointer = pointer;
	return true;
}

void weft_pointer_finish(struct weft_server *server)
{
	struct weft_pointer *pointer = server->pointer;
	if (pointer == NULL) {
		return;
	}
	if (pointer->active != NULL) {
		wl_list_remove(&pointer->active_destroy.link);
		pointer->active = NULL;
	}
	wl_list_remove(&pointer->new_constraint.link);
	wl_list_remove(&pointer->focus_change.link);
	wl_list_remove(&pointer->swipe_begin.link);
	wl_list_remove(&pointer->swipe_update.link);
	wl_list_remove(&pointer->swipe_end.link);
	wl_list_remove(&pointer->pinch_begin.link);
	wl_list_remove(&pointer->pinch_update.link);
	wl_list_remove(&pointer->pinch_end.link);
	wl_list_remove(&pointer->hold_begin.link);
	wl_list_remove(&pointer->hold_end.link);
	/* The managers go with the display. */
	weft_server_check_unheard(server, "wlr_pointer_constraints_v1",
		WEFT_EVENTS(pointer->constraints));
	weft_server_check_unheard(server, "wlr_relative_pointer_manager_v1",
		WEFT_EVENTS(pointer->relative));
	server->pointer = NULL;
	free(pointer);
}
