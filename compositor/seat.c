/*
 * The seat: keyboards (real, headless and virtual), the pointer and its
 * cursor, touchpad gestures (touch is in touch.c), and the clipboard and drag-and-drop requests that
 * clients make through it.
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

#include "server.h"
#include "view.h"
#include "weft/common.h"
#include "weft/log.h"

struct weft_keyboard {
	struct weft_server *server;
	struct wlr_input_device *device;
	struct wl_list link; /* weft_server.keyboards */
	struct wl_listener modifiers;
	struct wl_listener key;
	struct wl_listener keymap;
	struct wl_listener destroy;
};

void weft_seat_update_capabilities(struct weft_server *server)
{
	/* A pointer is always offered: virtual pointers may come at any time. */
	uint32_t caps = WL_SEAT_CAPABILITY_POINTER;
	if (!wl_list_empty(&server->keyboards)) {
		caps |= WL_SEAT_CAPABILITY_KEYBOARD;
	}
	if (weft_touch_has_devices(server->touch)) {
		caps |= WL_SEAT_CAPABILITY_TOUCH;
	}
	wlr_seat_set_capabilities(server->seat, caps);
}

static void handle_keyboard_modifiers(struct wl_listener *listener, void *data)
{
	struct weft_keyboard *keyboard = wl_container_of(listener, keyboard, modifiers);
	struct wlr_seat *seat = keyboard->server->seat;
	wlr_seat_set_keyboard(seat, keyboard->device);
	wlr_seat_keyboard_notify_modifiers(seat, &keyboard->device->keyboard->modifiers);
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
	struct weft_server *server = keyboard->server;
	struct wlr_event_keyboard_key *event = data;
	struct wlr_keyboard *wlr_keyboard = keyboard->device->keyboard;

	bool handled = false;
	if (event->state == WL_KEYBOARD_KEY_STATE_PRESSED && wlr_keyboard->xkb_state != NULL) {
		uint32_t modifiers = wlr_keyboard_get_modifiers(wlr_keyboard);
		const xkb_keysym_t *syms;
		int n = xkb_state_key_get_syms(wlr_keyboard->xkb_state, event->keycode + 8, &syms);
		for (int i = 0; i < n && !handled; i++) {
			handled = weft_keybinding_handle(server, modifiers, syms[i]);
		}
	}
	if (!handled) {
		wlr_seat_set_keyboard(server->seat, keyboard->device);
		wlr_seat_keyboard_notify_key(server->seat, event->time_msec, event->keycode,
			event->state);
	}
}

static void handle_keyboard_destroy(struct wl_listener *listener, void *data)
{
	struct weft_keyboard *keyboard = wl_container_of(listener, keyboard, destroy);
	struct weft_server *server = keyboard->server;
	wl_list_remove(&keyboard->modifiers.link);
	wl_list_remove(&keyboard->key.link);
	wl_list_remove(&keyboard->keymap.link);
	wl_list_remove(&keyboard->destroy.link);
	wl_list_remove(&keyboard->link);
	/* Hand the seat to a keyboard that is left (a virtual keyboard's client
	 * may go while its keyboard is the seat's). */
	struct wlr_keyboard *current = wlr_seat_get_keyboard(server->seat);
	if (current == NULL || current == keyboard->device->keyboard) {
		struct weft_keyboard *other;
		wl_list_for_each (other, &server->keyboards, link) {
			if (other->device->keyboard->keymap != NULL) {
				wlr_seat_set_keyboard(server->seat, other->device);
				break;
			}
		}
	}
	free(keyboard);
	weft_seat_update_capabilities(server);
}

static void add_keyboard(struct weft_server *server, struct wlr_input_device *device,
	bool set_keymap)
{
	struct weft_keyboard *keyboard = calloc(1, sizeof(*keyboard));
	if (keyboard == NULL) {
		weft_log(WEFT_ERROR, "out of memory");
		return;
	}
	keyboard->server = server;
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
	wl_list_insert(&server->keyboards, &keyboard->link);

	/* A virtual keyboard has no keymap until its client sends one, and
	 * wlroots 0.15 would hand the seat's clients a keymap fd of -1, which
	 * breaks their connections: it becomes the seat's keyboard at its first
	 * key or modifier instead. */
	if (device->keyboard->keymap != NULL) {
		wlr_seat_set_keyboard(server->seat, device);
	}
	weft_seat_update_capabilities(server);
}

static void handle_new_input(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, new_input);
	struct wlr_input_device *device = data;
	weft_log(WEFT_DEBUG, "input device '%s' (type %d)", device->name, (int)device->type);
	switch (device->type) {
	case WLR_INPUT_DEVICE_KEYBOARD:
		add_keyboard(server, device, true);
		break;
	case WLR_INPUT_DEVICE_POINTER:
		wlr_cursor_attach_input_device(server->cursor, device);
		break;
	case WLR_INPUT_DEVICE_TOUCH:
		weft_touch_add_device(server->touch, device);
		break;
	default:
		break;
	}
}

static void handle_new_virtual_keyboard(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, new_virtual_keyboard);
	struct wlr_virtual_keyboard_v1 *keyboard = data;
#if defined(__SANITIZE_ADDRESS__)
	/* wlroots 0.15 never frees a virtual keyboard's wlr_keyboard (its destroy
	 * hook is empty); not ours to free, so keep LeakSanitizer quiet about it. */
	__lsan_ignore_object(keyboard->input_device.keyboard);
#endif
	/* The client sends its own keymap. */
	add_keyboard(server, &keyboard->input_device, false);
}

static void handle_new_virtual_pointer(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, new_virtual_pointer);
	struct wlr_virtual_pointer_v1_new_pointer_event *event = data;
	struct wlr_input_device *device = &event->new_pointer->input_device;
	wlr_cursor_attach_input_device(server->cursor, device);
	if (event->suggested_output != NULL) {
		wlr_cursor_map_input_to_output(server->cursor, device, event->suggested_output);
	}
}

void weft_seat_add_headless_keyboard(struct weft_server *server)
{
	/* wlr_seat_get_keyboard() is NULL without a keyboard; give headless one. */
	if (wlr_headless_add_input_device(server->headless, WLR_INPUT_DEVICE_KEYBOARD) == NULL) {
		weft_log(WEFT_ERROR, "cannot add a headless keyboard");
	}
}

void weft_seat_focus_surface(struct weft_server *server, struct wlr_surface *surface)
{
	struct wlr_seat *seat = server->seat;
	if (surface == NULL) {
		wlr_seat_keyboard_notify_clear_focus(seat);
		return;
	}
	if (seat->keyboard_state.focused_surface == surface) {
		return;
	}
	struct wlr_keyboard *keyboard = wlr_seat_get_keyboard(seat);
	if (keyboard != NULL) {
		wlr_seat_keyboard_notify_enter(seat, surface, keyboard->keycodes,
			keyboard->num_keycodes, &keyboard->modifiers);
	} else {
		wlr_seat_keyboard_notify_enter(seat, surface, NULL, 0, NULL);
	}
}

struct weft_view *weft_seat_view_at(struct weft_server *server, double lx, double ly,
	struct wlr_surface **surface, double *sx, double *sy)
{
	struct wlr_scene_node *node = wlr_scene_node_at(&server->scene->node, lx, ly, sx, sy);
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

static void process_motion(struct weft_server *server, uint32_t time)
{
	if (!server->cursor_shown) {
		/* Loading a theme reads every cursor in it: only once one is needed. */
		if (!wlr_xcursor_manager_load(server->cursor_manager, 1)) {
			weft_log(WEFT_WARN, "cannot load the cursor theme");
		}
		wlr_xcursor_manager_set_cursor_image(server->cursor_manager, "left_ptr",
			server->cursor);
		server->cursor_shown = true;
	}
	double sx, sy;
	struct wlr_surface *surface;
	weft_seat_view_at(server, server->cursor->x, server->cursor->y, &surface, &sx, &sy);
	if (surface == NULL) {
		wlr_seat_pointer_clear_focus(server->seat);
		return;
	}
	wlr_seat_pointer_notify_enter(server->seat, surface, sx, sy);
	wlr_seat_pointer_notify_motion(server->seat, time, sx, sy);
}

static void handle_cursor_motion(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, cursor_motion);
	struct wlr_event_pointer_motion *event = data;
	wlr_cursor_move(server->cursor, event->device, event->delta_x, event->delta_y);
	process_motion(server, event->time_msec);
}

static void handle_cursor_motion_absolute(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, cursor_motion_absolute);
	struct wlr_event_pointer_motion_absolute *event = data;
	wlr_cursor_warp_absolute(server->cursor, event->device, event->x, event->y);
	process_motion(server, event->time_msec);
}

static void handle_cursor_button(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, cursor_button);
	struct wlr_event_pointer_button *event = data;
	wlr_seat_pointer_notify_button(server->seat, event->time_msec, event->button,
		event->state);
	if (event->state != WLR_BUTTON_PRESSED) {
		return;
	}
	/* Click to focus, for every role but the panel. */
	double sx, sy;
	struct wlr_surface *surface;
	struct weft_view *view = weft_seat_view_at(server, server->cursor->x, server->cursor->y,
		&surface, &sx, &sy);
	if (view != NULL && view->role != WEFT_ROLE_PANEL) {
		weft_policy_raise(view);
		weft_policy_focus(server, view);
	}
}

static void handle_cursor_axis(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, cursor_axis);
	struct wlr_event_pointer_axis *event = data;
	wlr_seat_pointer_notify_axis(server->seat, event->time_msec, event->orientation,
		event->delta, event->delta_discrete, event->source);
}

static void handle_cursor_frame(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, cursor_frame);
	wlr_seat_pointer_notify_frame(server->seat);
}

/* Gestures with three or more fingers are the system's, not the client's. */
static void gesture_begin(struct weft_server *server, uint32_t fingers)
{
	server->gesture.fingers = fingers;
	server->gesture.dx = server->gesture.dy = 0;
	server->gesture.scale = 1;
	server->gesture.rotation = 0;
}

static void gesture_end(struct weft_server *server, uint32_t type, bool cancelled)
{
	uint32_t fingers = server->gesture.fingers;
	server->gesture.fingers = 0;
	if (cancelled || fingers < 3) {
		return;
	}
	double dx = server->gesture.dx, dy = server->gesture.dy;
	if (type == 1) {
		dx = server->gesture.scale;
		dy = server->gesture.rotation;
	}
	weft_zweft_send_gesture(server, type, fingers, dx, dy);
	weft_control_send_gesture(server->control, type, fingers, dx, dy);
}

static void handle_swipe_begin(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, swipe_begin);
	struct wlr_event_pointer_swipe_begin *event = data;
	gesture_begin(server, event->fingers);
}

static void handle_swipe_update(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, swipe_update);
	struct wlr_event_pointer_swipe_update *event = data;
	server->gesture.dx += event->dx;
	server->gesture.dy += event->dy;
}

static void handle_swipe_end(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, swipe_end);
	struct wlr_event_pointer_swipe_end *event = data;
	gesture_end(server, 0, event->cancelled);
}

static void handle_pinch_begin(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, pinch_begin);
	struct wlr_event_pointer_pinch_begin *event = data;
	gesture_begin(server, event->fingers);
}

static void handle_pinch_update(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, pinch_update);
	struct wlr_event_pointer_pinch_update *event = data;
	server->gesture.scale = event->scale;
	server->gesture.rotation += event->rotation;
}

static void handle_pinch_end(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, pinch_end);
	struct wlr_event_pointer_pinch_end *event = data;
	gesture_end(server, 1, event->cancelled);
}

static void handle_hold_begin(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, hold_begin);
	struct wlr_event_pointer_hold_begin *event = data;
	gesture_begin(server, event->fingers);
}

static void handle_hold_end(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, hold_end);
	struct wlr_event_pointer_hold_end *event = data;
	gesture_end(server, 2, event->cancelled);
}

static void handle_request_set_cursor(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, request_set_cursor);
	struct wlr_seat_pointer_request_set_cursor_event *event = data;
	/* Only the client under the pointer may change its image. */
	if (event->seat_client == server->seat->pointer_state.focused_client) {
		wlr_cursor_set_surface(server->cursor, event->surface, event->hotspot_x,
			event->hotspot_y);
	}
}

static void handle_request_set_selection(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, request_set_selection);
	struct wlr_seat_request_set_selection_event *event = data;
	wlr_seat_set_selection(server->seat, event->source, event->serial);
}

static void handle_request_set_primary_selection(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server,
		request_set_primary_selection);
	struct wlr_seat_request_set_primary_selection_event *event = data;
	wlr_seat_set_primary_selection(server->seat, event->source, event->serial);
}

static void handle_request_start_drag(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, request_start_drag);
	struct wlr_seat_request_start_drag_event *event = data;
	if (wlr_seat_validate_pointer_grab_serial(server->seat, event->origin, event->serial)) {
		wlr_seat_start_pointer_drag(server->seat, event->drag, event->serial);
	} else {
		wlr_data_source_destroy(event->drag->source);
	}
}

static void listen(struct wl_signal *signal, struct wl_listener *listener, wl_notify_func_t notify)
{
	listener->notify = notify;
	wl_signal_add(signal, listener);
}

bool weft_seat_init(struct weft_server *server, struct weft_error *err)
{
	server->seat = wlr_seat_create(server->display, "seat0");
	server->cursor = wlr_cursor_create();
	server->cursor_manager = wlr_xcursor_manager_create(NULL, 24);
	if (server->seat == NULL || server->cursor == NULL || server->cursor_manager == NULL) {
		weft_error_set(err, "cannot create the seat");
		return false;
	}
	server->touch = weft_touch_create(server);
	if (server->touch == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	/* XCURSOR_THEME and XCURSOR_SIZE are read by wlroots, at the first motion. */
	wlr_cursor_attach_output_layout(server->cursor, server->output_layout);

	struct wlr_cursor *cursor = server->cursor;
	listen(&cursor->events.motion, &server->cursor_motion, handle_cursor_motion);
	listen(&cursor->events.motion_absolute, &server->cursor_motion_absolute,
		handle_cursor_motion_absolute);
	listen(&cursor->events.button, &server->cursor_button, handle_cursor_button);
	listen(&cursor->events.axis, &server->cursor_axis, handle_cursor_axis);
	listen(&cursor->events.frame, &server->cursor_frame, handle_cursor_frame);
	listen(&cursor->events.swipe_begin, &server->swipe_begin, handle_swipe_begin);
	listen(&cursor->events.swipe_update, &server->swipe_update, handle_swipe_update);
	listen(&cursor->events.swipe_end, &server->swipe_end, handle_swipe_end);
	listen(&cursor->events.pinch_begin, &server->pinch_begin, handle_pinch_begin);
	listen(&cursor->events.pinch_update, &server->pinch_update, handle_pinch_update);
	listen(&cursor->events.pinch_end, &server->pinch_end, handle_pinch_end);
	listen(&cursor->events.hold_begin, &server->hold_begin, handle_hold_begin);
	listen(&cursor->events.hold_end, &server->hold_end, handle_hold_end);

	struct wlr_seat *seat = server->seat;
	listen(&seat->events.request_set_cursor, &server->request_set_cursor,
		handle_request_set_cursor);
	listen(&seat->events.request_set_selection, &server->request_set_selection,
		handle_request_set_selection);
	listen(&seat->events.request_set_primary_selection, &server->request_set_primary_selection,
		handle_request_set_primary_selection);
	listen(&seat->events.request_start_drag, &server->request_start_drag,
		handle_request_start_drag);

	listen(&server->backend->events.new_input, &server->new_input, handle_new_input);
	/* Virtual input managers are created with the other globals; wired up there. */
	server->new_virtual_keyboard.notify = handle_new_virtual_keyboard;
	server->new_virtual_pointer.notify = handle_new_virtual_pointer;
	weft_seat_update_capabilities(server);
	return true;
}

void weft_seat_finish(struct weft_server *server)
{
	weft_touch_destroy(server->touch);
	server->touch = NULL;
	if (server->cursor_manager != NULL) {
		wlr_xcursor_manager_destroy(server->cursor_manager);
	}
	if (server->cursor != NULL) {
		wlr_cursor_destroy(server->cursor);
	}
}
