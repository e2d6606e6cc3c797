/*
 * Touch: each point goes to the surface under it, except that a point that
 * lands at an output's edge belongs to the system. Dragged far enough inward
 * it is an edge swipe, reported as a one-finger navigation_gesture of type
 * swipe (design §8), with the drag's total dx, dy; clients never see it. One
 * that hardly moved was a tap, and the client under it gets it when it ends:
 * buttons at the screen's edge (a taskbar) keep working.
 */
#include <stdlib.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_touch.h>

#include "seat.h"
#include "server.h"
#include "view.h"
#include "weft/log.h"

/* How close to an edge a swipe must start, and how far inward it must go. */
#define EDGE_ZONE 20
#define EDGE_SWIPE_MIN 64
/* An edge touch that moved less than this is a tap. */
#define TAP_SLOP 10

enum edge {
	EDGE_NONE,
	EDGE_LEFT,
	EDGE_RIGHT,
	EDGE_TOP,
	EDGE_BOTTOM,
};

#define POINTS_MAX 10

struct weft_touch_point {
	bool used;
	int32_t id;
	enum edge edge; /* EDGE_NONE: the point belongs to a client */
	double start_x, start_y; /* layout coordinates */
	double x, y;
	double origin_x, origin_y; /* of the surface it went to */
};

struct weft_touch {
	struct weft_seat *seat;
	struct weft_touch_point points[POINTS_MAX];
	struct wl_list devices; /* weft_touch_device.link */
	struct wl_listener down;
	struct wl_listener motion;
	struct wl_listener up;
	struct wl_listener cancel;
	struct wl_listener frame;
};

struct weft_touch_device {
	struct weft_touch *touch;
	struct wl_list link; /* weft_touch.devices */
	struct wl_listener destroy;
};

static void device_destroy(struct weft_touch_device *device)
{
	wl_list_remove(&device->destroy.link);
	wl_list_remove(&device->link);
	free(device);
}

static struct weft_touch_point *point_get(struct weft_touch *touch, int32_t id)
{
	for (size_t i = 0; i < POINTS_MAX; i++) {
		struct weft_touch_point *p = &touch->points[i];
		if (p->used && p->id == id) {
			return p;
		}
	}
	return NULL;
}

static struct weft_touch_point *point_add(struct weft_touch *touch, int32_t id)
{
	for (size_t i = 0; i < POINTS_MAX; i++) {
		struct weft_touch_point *p = &touch->points[i];
		if (!p->used) {
			*p = (struct weft_touch_point){ .used = true, .id = id };
			return p;
		}
	}
	return NULL;
}

static enum edge edge_at(struct weft_server *server, double lx, double ly)
{
	if (weft_session_lock_is_locked(server->session_lock)) {
		return EDGE_NONE; /* no system gestures on the lock screen */
	}
	struct wlr_output *output = wlr_output_layout_output_at(server->output_layout, lx, ly);
	struct wlr_box *box = output != NULL
		? wlr_output_layout_get_box(server->output_layout, output)
		: NULL;
	if (box == NULL) {
		return EDGE_NONE;
	}
	if (lx < box->x + EDGE_ZONE) {
		return EDGE_LEFT;
	}
	if (lx >= box->x + box->width - EDGE_ZONE) {
		return EDGE_RIGHT;
	}
	if (ly < box->y + EDGE_ZONE) {
		return EDGE_TOP;
	}
	if (ly >= box->y + box->height - EDGE_ZONE) {
		return EDGE_BOTTOM;
	}
	return EDGE_NONE;
}

/* How far the point went away from its edge, towards the output's middle. */
static double inward_distance(const struct weft_touch_point *p)
{
	switch (p->edge) {
	case EDGE_LEFT:
		return p->x - p->start_x;
	case EDGE_RIGHT:
		return p->start_x - p->x;
	case EDGE_TOP:
		return p->y - p->start_y;
	case EDGE_BOTTOM:
		return p->start_y - p->y;
	case EDGE_NONE:
		break;
	}
	return 0;
}

/* Gives the point to the surface under it, which is raised and focused. */
static void deliver_down(struct weft_seat *seat, struct weft_touch_point *p, uint32_t time_msec)
{
	double sx, sy;
	struct wlr_surface *surface;
	struct weft_view *view = weft_seat_view_at(seat, p->x, p->y, &surface, &sx, &sy);
	if (view != NULL && view->role != WEFT_ROLE_PANEL) {
		weft_policy_raise(view);
		weft_policy_focus(seat->server, view);
	} else if (view == NULL) {
		weft_layer_shell_click(seat->server, surface);
	}
	if (surface == NULL) {
		return;
	}
	p->origin_x = p->x - sx;
	p->origin_y = p->y - sy;
	wlr_seat_touch_notify_down(seat->seat, surface, time_msec, p->id, sx, sy);
}

static void handle_touch_down(struct wl_listener *listener, void *data)
{
	struct weft_touch *touch = wl_container_of(listener, touch, down);
	struct weft_seat *seat = touch->seat;
	struct wlr_event_touch_down *event = data;
	weft_idle_notify_activity(seat->server->idle);
	double lx, ly;
	wlr_cursor_absolute_to_layout_coords(seat->cursor, event->device, event->x, event->y, &lx,
		&ly);
	struct weft_touch_point *p = point_add(touch, event->touch_id);
	if (p == NULL) {
		return;
	}
	p->start_x = p->x = lx;
	p->start_y = p->y = ly;
	p->edge = edge_at(seat->server, lx, ly);
	if (p->edge == EDGE_NONE) {
		deliver_down(seat, p, event->time_msec);
	}
}

static void handle_touch_motion(struct wl_listener *listener, void *data)
{
	struct weft_touch *touch = wl_container_of(listener, touch, motion);
	struct weft_seat *seat = touch->seat;
	struct wlr_event_touch_motion *event = data;
	weft_idle_notify_activity(seat->server->idle);
	struct weft_touch_point *p = point_get(touch, event->touch_id);
	if (p == NULL) {
		return;
	}
	wlr_cursor_absolute_to_layout_coords(seat->cursor, event->device, event->x, event->y,
		&p->x, &p->y);
	if (p->edge == EDGE_NONE) {
		wlr_seat_touch_notify_motion(seat->seat, event->time_msec, event->touch_id,
			p->x - p->origin_x, p->y - p->origin_y);
	}
}

static void handle_touch_up(struct wl_listener *listener, void *data)
{
	struct weft_touch *touch = wl_container_of(listener, touch, up);
	struct weft_seat *seat = touch->seat;
	struct wlr_event_touch_up *event = data;
	struct weft_touch_point *p = point_get(touch, event->touch_id);
	if (p == NULL) {
		return;
	}
	p->used = false;
	if (p->edge == EDGE_NONE) {
		wlr_seat_touch_notify_up(seat->seat, event->time_msec, event->touch_id);
		return;
	}
	double dx = p->x - p->start_x, dy = p->y - p->start_y;
	if (dx * dx + dy * dy < TAP_SLOP * TAP_SLOP) {
		/* The frame event that follows ends the pair. */
		p->x = p->start_x;
		p->y = p->start_y;
		deliver_down(seat, p, event->time_msec);
		wlr_seat_touch_notify_up(seat->seat, event->time_msec, event->touch_id);
		return;
	}
	if (inward_distance(p) < EDGE_SWIPE_MIN) {
		return;
	}
	weft_log(WEFT_DEBUG, "edge swipe %d: %.0f, %.0f", (int)p->edge, dx, dy);
	weft_zweft_send_gesture(seat->server, 0, 1, dx, dy);
	weft_control_send_gesture(seat->server->control, 0, 1, dx, dy);
}

static void handle_touch_cancel(struct wl_listener *listener, void *data)
{
	struct weft_touch *touch = wl_container_of(listener, touch, cancel);
	struct weft_seat *seat = touch->seat;
	struct wlr_event_touch_cancel *event = data;
	struct weft_touch_point *p = point_get(touch, event->touch_id);
	if (p == NULL) {
		return;
	}
	p->used = false;
	if (p->edge == EDGE_NONE) {
		struct wlr_touch_point *point = wlr_seat_touch_get_point(seat->seat,
			event->touch_id);
		if (point != NULL && point->surface != NULL) {
			wlr_seat_touch_notify_cancel(seat->seat, point->surface);
		}
	}
}

static void handle_touch_frame(struct wl_listener *listener, void *data)
{
	struct weft_touch *touch = wl_container_of(listener, touch, frame);
	struct weft_seat *seat = touch->seat;
	wlr_seat_touch_notify_frame(seat->seat);
}

static void handle_device_destroy(struct wl_listener *listener, void *data)
{
	struct weft_touch_device *device = wl_container_of(listener, device, destroy);
	struct weft_touch *touch = device->touch;
	device_destroy(device);
	weft_seat_update_capabilities(touch->seat);
}

void weft_touch_add_device(struct weft_touch *touch, struct wlr_input_device *wlr_device)
{
	struct weft_touch_device *device = calloc(1, sizeof(*device));
	if (device == NULL) {
		weft_log(WEFT_ERROR, "out of memory");
		return;
	}
	device->touch = touch;
	device->destroy.notify = handle_device_destroy;
	wl_signal_add(&wlr_device->events.destroy, &device->destroy);
	wl_list_insert(&touch->devices, &device->link);
	wlr_cursor_attach_input_device(touch->seat->cursor, wlr_device);
	weft_seat_update_capabilities(touch->seat);
}

bool weft_touch_has_devices(struct weft_touch *touch)
{
	return touch != NULL && !wl_list_empty(&touch->devices);
}

struct weft_touch *weft_touch_create(struct weft_seat *seat)
{
	struct weft_touch *touch = calloc(1, sizeof(*touch));
	if (touch == NULL) {
		return NULL;
	}
	touch->seat = seat;
	wl_list_init(&touch->devices);
	struct wlr_cursor *cursor = seat->cursor;
	touch->down.notify = handle_touch_down;
	wl_signal_add(&cursor->events.touch_down, &touch->down);
	touch->motion.notify = handle_touch_motion;
	wl_signal_add(&cursor->events.touch_motion, &touch->motion);
	touch->up.notify = handle_touch_up;
	wl_signal_add(&cursor->events.touch_up, &touch->up);
	touch->cancel.notify = handle_touch_cancel;
	wl_signal_add(&cursor->events.touch_cancel, &touch->cancel);
	touch->frame.notify = handle_touch_frame;
	wl_signal_add(&cursor->events.touch_frame, &touch->frame);
	return touch;
}

void weft_touch_destroy(struct weft_touch *touch)
{
	if (touch == NULL) {
		return;
	}
	struct weft_touch_device *device, *tmp;
	wl_list_for_each_safe (device, tmp, &touch->devices, link) {
		device_destroy(device);
	}
	wl_list_remove(&touch->down.link);
	wl_list_remove(&touch->motion.link);
	wl_list_remove(&touch->up.link);
	wl_list_remove(&touch->cancel.link);
	wl_list_remove(&touch->frame.link);
	free(touch);
}
