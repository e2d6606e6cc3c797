/*
 * The seat: keyboards (real, headless and virtual), the pointer and its
 * cursor, touchpad gestures (touch is in touch.c), and the clipboard and
 * drag-and-drop requests that clients make through it. One object, whose
 * destroy removes every listener it added.
 */
#include <stdlib.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <wlr/backend/headless.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_input_device.h>
#include <wlr/types/wlr_keyboard.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_primary_selection.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_virtual_keyboard_v1.h>
#include <wlr/types/wlr_virtual_pointer_v1.h>
#include <wlr/types/wlr_xcursor_manager.h>
#include <xkbcommon/xkbcommon.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "seat.h"
#include "server.h"
#include "view.h"
#include "weft/common.h"
#include "weft/log.h"

struct weft_keyboard {
	struct weft_seat *seat;
	struct wlr_input_device *device;
	struct wl_list link; /* weft_seat.keyboards */
	struct wl_listener modifiers;
	struct wl_listener key;
	struct wl_listener keymap;
	struct wl_listener destroy;
};

void weft_seat_update_capabilities(struct weft_seat *seat)
{
	/* A pointer is always offered: virtual pointers may come at any time. */
	uint32_t caps = WL_SEAT_CAPABILITY_POINTER;
	if (!wl_list_empty(&seat->keyboards)) {
		caps |= WL_SEAT_CAPABILITY_KEYBOARD;
	}
	if (weft_touch_has_devices(seat->touch)) {
		caps |= WL_SEAT_CAPABILITY_TOUCH;
	}
	wlr_seat_set_capabilities(seat->seat, caps);
}

static void handle_keyboard_modifiers(struct wl_listener *listener, void *data)
{
	struct weft_keyboard *keyboard = wl_container_of(listener, keyboard, modifiers);
	struct wlr_seat *seat = keyboard->seat->seat;
	wlr_seat_set_keyboard(seat, keyboard->device);
	wlr_seat_keyboard_notify_modifiers(seat, &keyboard->device->keyboard->modifiers);
	weft_keybinding_modifiers(keyboard->seat->server,
		wlr_keyboard_get_modifiers(keyboard->device->keyboard));
}

/*
 * wlroots 0.15 hands every client the same keymap fd: a file in /dev/shm
 * reopened read-only and chmodded to 0, which its owner (an app running as
 * the compositor's user, outside the sandbox) can chmod back, reopen
 * read-write through /proc/self/fd and write into, retyping every other
 * app's keys. Replace it, before the seat sends it, by a sealed memfd that
 * nobody can write. wlroots closes keymap_fd when the keymap changes or
 * the keyboard goes. Runs first of the keymap listeners: it is added when
 * the keyboard comes, before the seat adds its own.
 */
static void handle_keyboard_keymap(struct wl_listener *listener, void *data)
{
	struct weft_keyboard *keyboard = wl_container_of(listener, keyboard, keymap);
	struct wlr_keyboard *wlr_keyboard = keyboard->device->keyboard;
	if (wlr_keyboard->keymap_string == NULL) {
		return;
	}
	struct weft_error err;
	int fd = weft_memfd_sealed("weft-keymap", wlr_keyboard->keymap_string,
		wlr_keyboard->keymap_size, &err);
	if (fd < 0) {
		weft_log(WEFT_ERROR, "keyboard %s: clients get wlroots' keymap: %s",
			keyboard->device->name, err.msg);
		return;
	}
	if (wlr_keyboard->keymap_fd >= 0) {
		close(wlr_keyboard->keymap_fd);
	}
	wlr_keyboard->keymap_fd = fd;
}

static void handle_keyboard_key(struct wl_listener *listener, void *data)
{
	struct weft_keyboard *keyboard = wl_container_of(listener, keyboard, key);
	struct weft_seat *seat = keyboard->seat;
	struct wlr_event_keyboard_key *event = data;
	struct wlr_keyboard *wlr_keyboard = keyboard->device->keyboard;

	weft_idle_notify_activity(seat->server->idle);
	weft_session_lock_end_grabs(seat->server->session_lock);
	bool handled = false;
	if (event->state == WL_KEYBOARD_KEY_STATE_PRESSED && wlr_keyboard->xkb_state != NULL) {
		uint32_t modifiers = wlr_keyboard_get_modifiers(wlr_keyboard);
		const xkb_keysym_t *syms;
		int n = xkb_state_key_get_syms(wlr_keyboard->xkb_state, event->keycode + 8, &syms);
		for (int i = 0; i < n && !handled; i++) {
			handled = weft_keybinding_handle(seat->server, modifiers, syms[i]);
		}
	} else if (wlr_keyboard->xkb_state != NULL) {
		const xkb_keysym_t *syms;
		int n = xkb_state_key_get_syms(wlr_keyboard->xkb_state, event->keycode + 8, &syms);
		for (int i = 0; i < n; i++) {
			weft_keybinding_release(seat->server, syms[i]);
		}
	}
	if (!handled) {
		wlr_seat_set_keyboard(seat->seat, keyboard->device);
		wlr_seat_keyboard_notify_key(seat->seat, event->time_msec, event->keycode,
			event->state);
	}
}

static void keyboard_destroy(struct weft_keyboard *keyboard)
{
	wl_list_remove(&keyboard->modifiers.link);
	wl_list_remove(&keyboard->key.link);
	wl_list_remove(&keyboard->keymap.link);
	wl_list_remove(&keyboard->destroy.link);
	wl_list_remove(&keyboard->link);
	free(keyboard);
}

static void handle_keyboard_destroy(struct wl_listener *listener, void *data)
{
	struct weft_keyboard *keyboard = wl_container_of(listener, keyboard, destroy);
	struct weft_seat *seat = keyboard->seat;
	struct wlr_keyboard *gone = keyboard->device->keyboard;
	keyboard_destroy(keyboard);
	/* Hand the seat to a keyboard that is left (a virtual keyboard's client
	 * may go while its keyboard is the seat's). */
	struct wlr_keyboard *current = wlr_seat_get_keyboard(seat->seat);
	if (current == NULL || current == gone) {
		struct weft_keyboard *other;
		wl_list_for_each (other, &seat->keyboards, link) {
			if (other->device->keyboard->keymap != NULL) {
				wlr_seat_set_keyboard(seat->seat, other->device);
				break;
			}
		}
	}
	weft_seat_update_capabilities(seat);
}

static void add_keyboard(struct weft_seat *seat, struct wlr_input_device *device, bool set_keymap)
{
	struct weft_keyboard *keyboard = calloc(1, sizeof(*keyboard));
	if (keyboard == NULL) {
		weft_log(WEFT_ERROR, "out of memory");
		return;
	}
	keyboard->seat = seat;
	keyboard->device = device;
	keyboard->keymap.notify = handle_keyboard_keymap;
	wl_signal_add(&device->keyboard->events.keymap, &keyboard->keymap);

	if (set_keymap) {
		/* NULL names: xkbcommon reads XKB_DEFAULT_{RULES,MODEL,LAYOUT,...}. */
		struct xkb_context *context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
		struct xkb_keymap *keymap = context != NULL
			? xkb_keymap_new_from_names(context, NULL, XKB_KEYMAP_COMPILE_NO_FLAGS)
			: NULL;
		if (keymap == NULL || !wlr_keyboard_set_keymap(device->keyboard, keymap)) {
			weft_log(WEFT_ERROR, "keyboard %s: cannot set the keymap", device->name);
		}
		xkb_keymap_unref(keymap);
		xkb_context_unref(context);
		wlr_keyboard_set_repeat_info(device->keyboard, 25, 600);
	}

	keyboard->modifiers.notify = handle_keyboard_modifiers;
	wl_signal_add(&device->keyboard->events.modifiers, &keyboard->modifiers);
	keyboard->key.notify = handle_keyboard_key;
	wl_signal_add(&device->keyboard->events.key, &keyboard->key);
	keyboard->destroy.notify = handle_keyboard_destroy;
	wl_signal_add(&device->events.destroy, &keyboard->destroy);
	wl_list_insert(&seat->keyboards, &keyboard->link);

	/* A virtual keyboard has no keymap until its client sends one, and
	 * wlroots 0.15 would hand the seat's clients a keymap fd of -1, which
	 * breaks their connections: it becomes the seat's keyboard at its first
	 * key or modifier instead. */
	if (device->keyboard->keymap != NULL) {
		wlr_seat_set_keyboard(seat->seat, device);
	}
	weft_seat_update_capabilities(seat);
}

static void handle_new_input(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, new_input);
	struct wlr_input_device *device = data;
	weft_log(WEFT_DEBUG, "input device '%s' (type %d)", device->name, (int)device->type);
	switch (device->type) {
	case WLR_INPUT_DEVICE_KEYBOARD:
		add_keyboard(seat, device, true);
		break;
	case WLR_INPUT_DEVICE_POINTER:
		wlr_cursor_attach_input_device(seat->cursor, device);
		break;
	case WLR_INPUT_DEVICE_TOUCH:
		weft_touch_add_device(seat->touch, device);
		break;
	default:
		break;
	}
}

static void handle_new_virtual_keyboard(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, new_virtual_keyboard);
	struct wlr_virtual_keyboard_v1 *keyboard = data;
#if defined(__SANITIZE_ADDRESS__)
	/* wlroots 0.15 never frees a virtual keyboard's wlr_keyboard (its destroy
	 * hook is empty); not ours to free, so keep LeakSanitizer quiet about it. */
	__lsan_ignore_object(keyboard->input_device.keyboard);
#endif
	/* The client sends its own keymap. */
	add_keyboard(seat, &keyboard->input_device, false);
}

static void handle_new_virtual_pointer(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, new_virtual_pointer);
	struct wlr_virtual_pointer_v1_new_pointer_event *event = data;
	struct wlr_input_device *device = &event->new_pointer->input_device;
	wlr_cursor_attach_input_device(seat->cursor, device);
	if (event->suggested_output != NULL) {
		wlr_cursor_map_input_to_output(seat->cursor, device, event->suggested_output);
	}
}

void weft_seat_add_headless_keyboard(struct weft_seat *seat)
{
	/* wlr_seat_get_keyboard() is NULL without a keyboard; give headless one. */
	if (wlr_headless_add_input_device(seat->server->headless, WLR_INPUT_DEVICE_KEYBOARD) ==
		NULL) {
		weft_log(WEFT_ERROR, "cannot add a headless keyboard");
	}
}

void weft_seat_focus_surface(struct weft_seat *seat, struct wlr_surface *surface)
{
	struct wlr_seat *wlr_seat = seat->seat;
	if (!weft_session_lock_allows_focus(seat->server->session_lock, surface)) {
		return; /* the lock keeps the keyboard */
	}
	if (surface == NULL) {
		wlr_seat_keyboard_notify_clear_focus(wlr_seat);
		return;
	}
	if (wlr_seat->keyboard_state.focused_surface == surface) {
		return;
	}
	struct wlr_keyboard *keyboard = wlr_seat_get_keyboard(wlr_seat);
	if (keyboard != NULL) {
		wlr_seat_keyboard_notify_enter(wlr_seat, surface, keyboard->keycodes,
			keyboard->num_keycodes, &keyboard->modifiers);
	} else {
		wlr_seat_keyboard_notify_enter(wlr_seat, surface, NULL, 0, NULL);
	}
}

struct weft_view *weft_seat_view_at(struct weft_seat *seat, double lx, double ly,
	struct wlr_surface **surface, double *sx, double *sy)
{
	struct wlr_scene_node *node = wlr_scene_node_at(&seat->server->scene->node, lx, ly, sx,
		sy);
	*surface = NULL;
	if (node == NULL || node->type != WLR_SCENE_NODE_SURFACE) {
		return NULL;
	}
	*surface = wlr_scene_surface_from_node(node)->surface;
	/* The view's tree is the first ancestor that carries a view. */
	for (struct wlr_scene_node *n = node; n != NULL; n = n->parent) {
		if (n->data != NULL) {
			return n->data;
		}
	}
	return NULL;
}

static void process_motion(struct weft_seat *seat, uint32_t time)
{
	weft_idle_notify_activity(seat->server->idle);
	weft_session_lock_end_grabs(seat->server->session_lock);
	if (!seat->cursor_shown) {
		/* Loading a theme reads every cursor in it: only once one is needed. */
		if (!wlr_xcursor_manager_load(seat->cursor_manager, 1)) {
			weft_log(WEFT_WARN, "cannot load the cursor theme");
		}
		wlr_xcursor_manager_set_cursor_image(seat->cursor_manager, "left_ptr",
			seat->cursor);
		seat->cursor_shown = true;
	}
	double sx, sy;
	struct wlr_surface *surface;
	weft_seat_view_at(seat, seat->cursor->x, seat->cursor->y, &surface, &sx, &sy);
	if (surface == NULL) {
		wlr_seat_pointer_clear_focus(seat->seat);
		return;
	}
	wlr_seat_pointer_notify_enter(seat->seat, surface, sx, sy);
	wlr_seat_pointer_notify_motion(seat->seat, time, sx, sy);
}

static void handle_cursor_motion(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, cursor_motion);
	struct wlr_event_pointer_motion *event = data;
	double dx = event->delta_x, dy = event->delta_y;
	weft_pointer_motion(seat->server, event->time_msec, &dx, &dy, event->unaccel_dx,
		event->unaccel_dy);
	wlr_cursor_move(seat->cursor, event->device, dx, dy);
	process_motion(seat, event->time_msec);
}

static void handle_cursor_motion_absolute(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, cursor_motion_absolute);
	struct wlr_event_pointer_motion_absolute *event = data;
	wlr_cursor_warp_absolute(seat->cursor, event->device, event->x, event->y);
	process_motion(seat, event->time_msec);
}

static void handle_cursor_button(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, cursor_button);
	struct wlr_event_pointer_button *event = data;
	weft_idle_notify_activity(seat->server->idle);
	weft_session_lock_end_grabs(seat->server->session_lock);
	wlr_seat_pointer_notify_button(seat->seat, event->time_msec, event->button, event->state);
	if (event->state != WLR_BUTTON_PRESSED) {
		return;
	}
	/* Click to focus, for every role but the panel. */
	double sx, sy;
	struct wlr_surface *surface;
	struct weft_view *view = weft_seat_view_at(seat, seat->cursor->x, seat->cursor->y,
		&surface, &sx, &sy);
	if (view != NULL && view->role != WEFT_ROLE_PANEL) {
		weft_policy_raise(view);
		weft_policy_focus(seat->server, view);
	} else if (surface != NULL && weft_session_lock_is_locked(seat->server->session_lock)) {
		/* A lock surface: the only kind under the pointer while locked. */
		weft_seat_focus_surface(seat, surface);
	} else if (view == NULL) {
		weft_layer_shell_click(seat->server, surface);
	}
}

static void handle_cursor_axis(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, cursor_axis);
	struct wlr_event_pointer_axis *event = data;
	weft_idle_notify_activity(seat->server->idle);
	wlr_seat_pointer_notify_axis(seat->seat, event->time_msec, event->orientation,
		event->delta, event->delta_discrete, event->source);
}

static void handle_cursor_frame(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, cursor_frame);
	wlr_seat_pointer_notify_frame(seat->seat);
}

/* Gestures with three or more fingers are the system's, not the client's. */
static void gesture_begin(struct weft_seat *seat, uint32_t fingers)
{
	seat->gesture.fingers = fingers;
	seat->gesture.dx = seat->gesture.dy = 0;
	seat->gesture.scale = 1;
	seat->gesture.rotation = 0;
}

static void gesture_end(struct weft_seat *seat, uint32_t type, bool cancelled)
{
	uint32_t fingers = seat->gesture.fingers;
	seat->gesture.fingers = 0;
	weft_idle_notify_activity(seat->server->idle);
	if (cancelled || fingers < 3 || weft_session_lock_is_locked(seat->server->session_lock)) {
		return;
	}
	double dx = seat->gesture.dx, dy = seat->gesture.dy;
	if (type == 1) {
		dx = seat->gesture.scale;
		dy = seat->gesture.rotation;
	}
	weft_zweft_send_gesture(seat->server, type, fingers, dx, dy);
	weft_control_send_gesture(seat->server->control, type, fingers, dx, dy);
}

static void handle_swipe_begin(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, swipe_begin);
	struct wlr_event_pointer_swipe_begin *event = data;
	gesture_begin(seat, event->fingers);
}

static void handle_swipe_update(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, swipe_update);
	struct wlr_event_pointer_swipe_update *event = data;
	seat->gesture.dx += event->dx;
	seat->gesture.dy += event->dy;
}

static void handle_swipe_end(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, swipe_end);
	struct wlr_event_pointer_swipe_end *event = data;
	gesture_end(seat, 0, event->cancelled);
}

static void handle_pinch_begin(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, pinch_begin);
	struct wlr_event_pointer_pinch_begin *event = data;
	gesture_begin(seat, event->fingers);
}

static void handle_pinch_update(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, pinch_update);
	struct wlr_event_pointer_pinch_update *event = data;
	seat->gesture.scale = event->scale;
	seat->gesture.rotation += event->rotation;
}

static void handle_pinch_end(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, pinch_end);
	struct wlr_event_pointer_pinch_end *event = data;
	gesture_end(seat, 1, event->cancelled);
}

static void handle_hold_begin(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, hold_begin);
	struct wlr_event_pointer_hold_begin *event = data;
	gesture_begin(seat, event->fingers);
}

static void handle_hold_end(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, hold_end);
	struct wlr_event_pointer_hold_end *event = data;
	gesture_end(seat, 2, event->cancelled);
}

static void handle_request_set_cursor(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, request_set_cursor);
	struct wlr_seat_pointer_request_set_cursor_event *event = data;
	/* Only the client under the pointer may change its image. */
	if (event->seat_client == seat->seat->pointer_state.focused_client) {
		wlr_cursor_set_surface(seat->cursor, event->surface, event->hotspot_x,
			event->hotspot_y);
	}
}

static void handle_request_set_selection(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, request_set_selection);
	struct wlr_seat_request_set_selection_event *event = data;
	wlr_seat_set_selection(seat->seat, event->source, event->serial);
}

static void handle_request_set_primary_selection(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, request_set_primary_selection);
	struct wlr_seat_request_set_primary_selection_event *event = data;
	wlr_seat_set_primary_selection(seat->seat, event->source, event->serial);
}

static void handle_request_start_drag(struct wl_listener *listener, void *data)
{
	struct weft_seat *seat = wl_container_of(listener, seat, request_start_drag);
	struct wlr_seat_request_start_drag_event *event = data;
	if (wlr_seat_validate_pointer_grab_serial(seat->seat, event->origin, event->serial)) {
		wlr_seat_start_pointer_drag(seat->seat, event->drag, event->serial);
	} else {
		wlr_data_source_destroy(event->drag->source);
	}
}

static void listen(struct wl_signal *signal, struct wl_listener *listener, wl_notify_func_t notify)
{
	listener->notify = notify;
	wl_signal_add(signal, listener);
}

struct weft_seat *weft_seat_create(struct weft_server *server, struct weft_error *err)
{
	struct weft_seat *seat = calloc(1, sizeof(*seat));
	if (seat == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	seat->server = server;
	wl_list_init(&seat->keyboards);
	seat->seat = wlr_seat_create(server->display, "seat0");
	seat->cursor = wlr_cursor_create();
	seat->cursor_manager = wlr_xcursor_manager_create(NULL, 24);
	seat->virtual_keyboard = wlr_virtual_keyboard_manager_v1_create(server->display);
	seat->virtual_pointer = wlr_virtual_pointer_manager_v1_create(server->display);
	if (seat->seat == NULL || seat->cursor == NULL || seat->cursor_manager == NULL ||
		seat->virtual_keyboard == NULL || seat->virtual_pointer == NULL) {
		weft_error_set(err, "cannot create the seat");
		goto fail;
	}
	seat->touch = weft_touch_create(seat);
	if (seat->touch == NULL) {
		weft_error_set(err, "out of memory");
		goto fail;
	}
	/* XCURSOR_THEME and XCURSOR_SIZE are read by wlroots, at the first motion. */
	wlr_cursor_attach_output_layout(seat->cursor, server->output_layout);

	struct wlr_cursor *cursor = seat->cursor;
	listen(&cursor->events.motion, &seat->cursor_motion, handle_cursor_motion);
	listen(&cursor->events.motion_absolute, &seat->cursor_motion_absolute,
		handle_cursor_motion_absolute);
	listen(&cursor->events.button, &seat->cursor_button, handle_cursor_button);
	listen(&cursor->events.axis, &seat->cursor_axis, handle_cursor_axis);
	listen(&cursor->events.frame, &seat->cursor_frame, handle_cursor_frame);
	listen(&cursor->events.swipe_begin, &seat->swipe_begin, handle_swipe_begin);
	listen(&cursor->events.swipe_update, &seat->swipe_update, handle_swipe_update);
	listen(&cursor->events.swipe_end, &seat->swipe_end, handle_swipe_end);
	listen(&cursor->events.pinch_begin, &seat->pinch_begin, handle_pinch_begin);
	listen(&cursor->events.pinch_update, &seat->pinch_update, handle_pinch_update);
	listen(&cursor->events.pinch_end, &seat->pinch_end, handle_pinch_end);
	listen(&cursor->events.hold_begin, &seat->hold_begin, handle_hold_begin);
	listen(&cursor->events.hold_end, &seat->hold_end, handle_hold_end);

	struct wlr_seat *wlr_seat = seat->seat;
	listen(&wlr_seat->events.request_set_cursor, &seat->request_set_cursor,
		handle_request_set_cursor);
	listen(&wlr_seat->events.request_set_selection, &seat->request_set_selection,
		handle_request_set_selection);
	listen(&wlr_seat->events.request_set_primary_selection,
		&seat->request_set_primary_selection, handle_request_set_primary_selection);
	listen(&wlr_seat->events.request_start_drag, &seat->request_start_drag,
		handle_request_start_drag);

	listen(&server->backend->events.new_input, &seat->new_input, handle_new_input);
	listen(&seat->virtual_keyboard->events.new_virtual_keyboard, &seat->new_virtual_keyboard,
		handle_new_virtual_keyboard);
	listen(&seat->virtual_pointer->events.new_virtual_pointer, &seat->new_virtual_pointer,
		handle_new_virtual_pointer);
	weft_seat_update_capabilities(seat);
	return seat;

fail:
	/* The globals (wlr_seat, virtual input managers) go with the display. */
	if (seat->cursor_manager != NULL) {
		wlr_xcursor_manager_destroy(seat->cursor_manager);
	}
	if (seat->cursor != NULL) {
		wlr_cursor_destroy(seat->cursor);
	}
	free(seat);
	return NULL;
}

void weft_seat_destroy(struct weft_seat *seat)
{
	if (seat == NULL) {
		return;
	}
	wl_list_remove(&seat->new_input.link);
	wl_list_remove(&seat->new_virtual_keyboard.link);
	wl_list_remove(&seat->new_virtual_pointer.link);

	wl_list_remove(&seat->cursor_motion.link);
	wl_list_remove(&seat->cursor_motion_absolute.link);
	wl_list_remove(&seat->cursor_button.link);
	wl_list_remove(&seat->cursor_axis.link);
	wl_list_remove(&seat->cursor_frame.link);
	wl_list_remove(&seat->swipe_begin.link);
	wl_list_remove(&seat->swipe_update.link);
	wl_list_remove(&seat->swipe_end.link);
	wl_list_remove(&seat->pinch_begin.link);
	wl_list_remove(&seat->pinch_update.link);
	wl_list_remove(&seat->pinch_end.link);
	wl_list_remove(&seat->hold_begin.link);
	wl_list_remove(&seat->hold_end.link);

	wl_list_remove(&seat->request_set_cursor.link);
	wl_list_remove(&seat->request_set_selection.link);
	wl_list_remove(&seat->request_set_primary_selection.link);
	wl_list_remove(&seat->request_start_drag.link);

	/* Devices still there (the backend's own) go after us. */
	struct weft_keyboard *keyboard, *tmp;
	wl_list_for_each_safe (keyboard, tmp, &seat->keyboards, link) {
		keyboard_destroy(keyboard);
	}
	weft_touch_destroy(seat->touch);

	weft_server_check_unheard(seat->server, "wlr_seat", WEFT_EVENTS(seat->seat));
	weft_server_check_unheard(seat->server, "wlr_virtual_keyboard_manager_v1",
		WEFT_EVENTS(seat->virtual_keyboard));
	weft_server_check_unheard(seat->server, "wlr_virtual_pointer_manager_v1",
		WEFT_EVENTS(seat->virtual_pointer));
	weft_server_check_unheard(seat->server, "wlr_cursor", WEFT_EVENTS(seat->cursor));
	wlr_xcursor_manager_destroy(seat->cursor_manager);
	wlr_cursor_destroy(seat->cursor);
	free(seat);
}
