#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>

#include "input.h"
#include "weft/log.h"
#include "weft/webview.h"

#define MAX_TOUCH_POINTS 10

struct touch_point {
	bool active;
	int32_t id;
	double x, y;
};

struct app_input {
	struct wl_seat *seat;
	struct wl_surface *surface;
	struct wl_pointer *pointer;
	struct wl_keyboard *keyboard;
	struct wl_touch *touch;

	struct xkb_context *xkb;
	struct xkb_keymap *keymap;
	struct xkb_state *state;
	/* The text keymap was compiled from: the compositor sends the same one
	 * again whenever another keyboard types (each virtual keyboard, e.g.
	 * weft-test-input's), and compiling it takes milliseconds before the key. */
	char *keymap_text;
	uint32_t keymap_size;

	bool pointer_inside;
	/* Whether our surface has the keyboard: a client with several surfaces
	 * (weft-shell) gets each key on every wl_keyboard it made. */
	bool keyboard_inside;
	double axis_dx, axis_dy; /* summed until the pointer frame */
	struct touch_point touch_points[MAX_TOUCH_POINTS];

	int repeat_fd;
	int32_t repeat_rate, repeat_delay;
	uint32_t repeat_key; /* evdev code of the repeating key, 0 for none */

	const struct app_input_listener *listener;
	void *data;
};

static void pointer_handle_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
	struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y)
{
	struct app_input *input = data;
	input->pointer_inside = surface == input->surface;
	if (input->pointer_inside) {
		input->listener->pointer_motion(input->data, wl_fixed_to_double(x),
			wl_fixed_to_double(y));
	}
}

static void pointer_handle_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
	struct wl_surface *surface)
{
	struct app_input *input = data;
	if (input->pointer_inside) {
		input->pointer_inside = false;
		input->listener->pointer_leave(input->data);
	}
}

static void pointer_handle_motion(void *data, struct wl_pointer *pointer, uint32_t time,
	wl_fixed_t x, wl_fixed_t y)
{
	struct app_input *input = data;
	if (input->pointer_inside) {
		input->listener->pointer_motion(input->data, wl_fixed_to_double(x),
			wl_fixed_to_double(y));
	}
}

static void pointer_handle_button(void *data, struct wl_pointer *pointer, uint32_t serial,
	uint32_t time, uint32_t button, uint32_t state)
{
	struct app_input *input = data;
	if (input->pointer_inside) {
		input->listener->pointer_button(input->data, button,
			state == WL_POINTER_BUTTON_STATE_PRESSED);
	}
}

static void pointer_handle_axis(void *data, struct wl_pointer *pointer, uint32_t time,
	uint32_t axis, wl_fixed_t value)
{
	struct app_input *input = data;
	if (axis == WL_POINTER_AXIS_VERTICAL_SCROLL) {
		input->axis_dy += wl_fixed_to_double(value);
	} else if (axis == WL_POINTER_AXIS_HORIZONTAL_SCROLL) {
		input->axis_dx += wl_fixed_to_double(value);
	}
}

static void pointer_handle_frame(void *data, struct wl_pointer *pointer)
{
	struct app_input *input = data;
	if (input->pointer_inside && (input->axis_dx != 0 || input->axis_dy != 0)) {
		input->listener->pointer_axis(input->data, input->axis_dx, input->axis_dy);
	}
	input->axis_dx = input->axis_dy = 0;
}

static void pointer_handle_axis_source(void *data, struct wl_pointer *pointer, uint32_t source)
{
}

static void pointer_handle_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time,
	uint32_t axis)
{
}

static void pointer_handle_axis_discrete(void *data, struct wl_pointer *pointer, uint32_t axis,
	int32_t discrete)
{
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_handle_enter,
	.leave = pointer_handle_leave,
	.motion = pointer_handle_motion,
	.button = pointer_handle_button,
	.axis = pointer_handle_axis,
	.frame = pointer_handle_frame,
	.axis_source = pointer_handle_axis_source,
	.axis_stop = pointer_handle_axis_stop,
	.axis_discrete = pointer_handle_axis_discrete,
};

static uint32_t modifiers(struct app_input *input)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} map[] = {
		{ XKB_MOD_NAME_SHIFT, WEFT_WEBVIEW_MOD_SHIFT },
		{ XKB_MOD_NAME_CTRL, WEFT_WEBVIEW_MOD_CTRL },
		{ XKB_MOD_NAME_ALT, WEFT_WEBVIEW_MOD_ALT },
		{ XKB_MOD_NAME_LOGO, WEFT_WEBVIEW_MOD_LOGO },
		{ XKB_MOD_NAME_CAPS, WEFT_WEBVIEW_MOD_CAPS },
		{ XKB_MOD_NAME_NUM, WEFT_WEBVIEW_MOD_NUM },
		{ "Mod5", WEFT_WEBVIEW_MOD_ALTGR },
	};
	uint32_t mods = 0;
	if (!input->state) {
		return 0;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (xkb_state_mod_name_is_active(input->state, map[i].name,
			    XKB_STATE_MODS_EFFECTIVE) > 0) {
			mods |= map[i].bit;
		}
	}
	return mods;
}

static bool is_control(const char *text)
{
	unsigned char c = (unsigned char)text[0];
	return c != 0 && (c < 0x20 || c == 0x7f);
}

static void send_key(struct app_input *input, uint32_t key, bool pressed, bool repeat)
{
	if (!input->state) {
		return;
	}
	xkb_keycode_t code = key + 8;
	xkb_keysym_t sym = xkb_state_key_get_one_sym(input->state, code);
	char text[64] = "";
	xkb_state_key_get_utf8(input->state, code, text, sizeof(text));
	if (is_control(text)) {
		/* Ctrl turns letters into control characters; the page wants the letter. */
		if (xkb_keysym_to_utf8(sym, text, sizeof(text)) <= 0 || is_control(text)) {
			text[0] = '\0';
		}
	}
	input->listener->key(input->data, key, sym, text, modifiers(input), pressed, repeat);
}

static void repeat_arm(struct app_input *input, uint32_t key)
{
	struct itimerspec spec = { 0 };
	input->repeat_key = key;
	if (key != 0 && input->repeat_rate > 0) {
		int64_t interval_ns = 1000000000LL / input->repeat_rate;
		spec.it_value.tv_sec = input->repeat_delay / 1000;
		spec.it_value.tv_nsec = (long)(input->repeat_delay % 1000) * 1000000L;
		if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) {
			spec.it_value.tv_nsec = 1;
		}
		spec.it_interval.tv_sec = interval_ns / 1000000000LL;
		spec.it_interval.tv_nsec = interval_ns % 1000000000LL;
	}
	if (timerfd_settime(input->repeat_fd, 0, &spec, NULL) < 0) {
		weft_log_errno(WEFT_WARN, "timerfd_settime");
	}
}

static void keyboard_handle_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
	int32_t fd, uint32_t size)
{
	struct app_input *input = data;
	if (format != WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1) {
		close(fd);
		return;
	}
	char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		weft_log_errno(WEFT_ERROR, "mmap keymap");
		return;
	}
	if (input->keymap != NULL && size == input->keymap_size &&
		memcmp(map, input->keymap_text, size) == 0) {
		munmap(map, size);
		/* The same keymap: a fresh state, as a new one would start. */
		struct xkb_state *state = xkb_state_new(input->keymap);
		if (!state) {
			weft_log(WEFT_ERROR, "xkb_state_new failed");
			return;
		}
		xkb_state_unref(input->state);
		input->state = state;
		return;
	}
	struct xkb_keymap *keymap = xkb_keymap_new_from_string(input->xkb, map,
		XKB_KEYMAP_FORMAT_TEXT_V1, XKB_KEYMAP_COMPILE_NO_FLAGS);
	char *text = keymap ? malloc(size) : NULL;
	if (text != NULL) {
		memcpy(text, map, size);
	}
	munmap(map, size);
	if (!keymap) {
		weft_log(WEFT_ERROR, "the compositor sent a keymap xkbcommon cannot compile");
		return;
	}
	struct xkb_state *state = xkb_state_new(keymap);
	if (!state) {
		weft_log(WEFT_ERROR, "xkb_state_new failed");
		xkb_keymap_unref(keymap);
		free(text);
		return;
	}
	xkb_state_unref(input->state);
	xkb_keymap_unref(input->keymap);
	free(input->keymap_text);
	input->keymap = keymap;
	input->state = state;
	/* Without the copy (out of memory) the next one is compiled again. */
	input->keymap_text = text;
	input->keymap_size = text != NULL ? size : 0;
}

static void keyboard_handle_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	struct wl_surface *surface, struct wl_array *keys)
{
	struct app_input *input = data;
	if (surface == input->surface) {
		input->keyboard_inside = true;
		input->listener->focus(input->data, true);
	}
}

static void keyboard_handle_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	struct wl_surface *surface)
{
	struct app_input *input = data;
	repeat_arm(input, 0);
	if (surface == input->surface) {
		input->keyboard_inside = false;
		input->listener->focus(input->data, false);
	}
}

static void keyboard_handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	uint32_t time, uint32_t key, uint32_t state)
{
	struct app_input *input = data;
	if (!input->keyboard_inside) {
		return;
	}
	bool pressed = state == WL_KEYBOARD_KEY_STATE_PRESSED;
	send_key(input, key, pressed, false);
	if (pressed && input->keymap && xkb_keymap_key_repeats(input->keymap, key + 8)) {
		repeat_arm(input, key);
	} else if (!pressed && key == input->repeat_key) {
		repeat_arm(input, 0);
	}
}

static void keyboard_handle_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group)
{
	struct app_input *input = data;
	if (input->state) {
		xkb_state_update_mask(input->state, depressed, latched, locked, 0, 0, group);
	}
}

static void keyboard_handle_repeat_info(void *data, struct wl_keyboard *keyboard, int32_t rate,
	int32_t delay)
{
	struct app_input *input = data;
	input->repeat_rate = rate;
	input->repeat_delay = delay;
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_handle_keymap,
	.enter = keyboard_handle_enter,
	.leave = keyboard_handle_leave,
	.key = keyboard_handle_key,
	.modifiers = keyboard_handle_modifiers,
	.repeat_info = keyboard_handle_repeat_info,
};

static struct touch_point *touch_find(struct app_input *input, int32_t id, bool create)
{
	struct touch_point *free_point = NULL;
	for (int i = 0; i < MAX_TOUCH_POINTS; i++) {
		struct touch_point *p = &input->touch_points[i];
		if (p->active && p->id == id) {
			return p;
		}
		if (!p->active && !free_point) {
			free_point = p;
		}
	}
	if (create && free_point) {
		free_point->active = true;
		free_point->id = id;
		return free_point;
	}
	return NULL;
}

static void touch_handle_down(void *data, struct wl_touch *touch, uint32_t serial, uint32_t time,
	struct wl_surface *surface, int32_t id, wl_fixed_t x, wl_fixed_t y)
{
	struct app_input *input = data;
	if (surface != input->surface) {
		return;
	}
	struct touch_point *p = touch_find(input, id, true);
	if (!p) {
		return;
	}
	p->x = wl_fixed_to_double(x);
	p->y = wl_fixed_to_double(y);
	input->listener->touch(input->data, WEFT_WEBVIEW_TOUCH_DOWN, id, p->x, p->y);
}

static void touch_handle_up(void *data, struct wl_touch *touch, uint32_t serial, uint32_t time,
	int32_t id)
{
	struct app_input *input = data;
	struct touch_point *p = touch_find(input, id, false);
	if (p) {
		p->active = false;
		input->listener->touch(input->data, WEFT_WEBVIEW_TOUCH_UP, id, p->x, p->y);
	}
}

static void touch_handle_motion(void *data, struct wl_touch *touch, uint32_t time, int32_t id,
	wl_fixed_t x, wl_fixed_t y)
{
	struct app_input *input = data;
	struct touch_point *p = touch_find(input, id, false);
	if (p) {
		p->x = wl_fixed_to_double(x);
		p->y = wl_fixed_to_double(y);
		input->listener->touch(input->data, WEFT_WEBVIEW_TOUCH_MOTION, id, p->x, p->y);
	}
}

static void touch_handle_frame(void *data, struct wl_touch *touch)
{
}

static void touch_handle_cancel(void *data, struct wl_touch *touch)
{
	struct app_input *input = data;
	for (int i = 0; i < MAX_TOUCH_POINTS; i++) {
		struct touch_point *p = &input->touch_points[i];
		if (p->active) {
			p->active = false;
			input->listener->touch(input->data, WEFT_WEBVIEW_TOUCH_CANCEL, p->id, p->x,
				p->y);
		}
	}
}

static void touch_handle_shape(void *data, struct wl_touch *touch, int32_t id, wl_fixed_t major,
	wl_fixed_t minor)
{
}

static void touch_handle_orientation(void *data, struct wl_touch *touch, int32_t id,
	wl_fixed_t orientation)
{
}

static const struct wl_touch_listener touch_listener = {
	.down = touch_handle_down,
	.up = touch_handle_up,
	.motion = touch_handle_motion,
	.frame = touch_handle_frame,
	.cancel = touch_handle_cancel,
	.shape = touch_handle_shape,
	.orientation = touch_handle_orientation,
};

static void seat_handle_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
	struct app_input *input = data;
	bool want_pointer = caps & WL_SEAT_CAPABILITY_POINTER;
	bool want_keyboard = caps & WL_SEAT_CAPABILITY_KEYBOARD;
	bool want_touch = caps & WL_SEAT_CAPABILITY_TOUCH;

	if (want_pointer && !input->pointer) {
		input->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(input->pointer, &pointer_listener, input);
	} else if (!want_pointer && input->pointer) {
		wl_pointer_release(input->pointer);
		input->pointer = NULL;
		input->pointer_inside = false;
	}
	if (want_keyboard && !input->keyboard) {
		input->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(input->keyboard, &keyboard_listener, input);
	} else if (!want_keyboard && input->keyboard) {
		wl_keyboard_release(input->keyboard);
		input->keyboard = NULL;
		repeat_arm(input, 0);
	}
	if (want_touch && !input->touch) {
		input->touch = wl_seat_get_touch(seat);
		wl_touch_add_listener(input->touch, &touch_listener, input);
	} else if (!want_touch && input->touch) {
		wl_touch_release(input->touch);
		input->touch = NULL;
	}
}

static void seat_handle_name(void *data, struct wl_seat *seat, const char *name)
{
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = seat_handle_capabilities,
	.name = seat_handle_name,
};

struct app_input *app_input_create(struct wl_seat *seat, struct wl_surface *surface,
	const struct app_input_listener *listener, void *data, struct weft_error *err)
{
	struct app_input *input = calloc(1, sizeof(*input));
	if (!input) {
		weft_error_set(err, "out of memory");
		wl_seat_destroy(seat);
		return NULL;
	}
	input->seat = seat;
	input->surface = surface;
	input->listener = listener;
	input->data = data;
	input->repeat_rate = 25;
	input->repeat_delay = 600;
	input->repeat_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (input->repeat_fd < 0) {
		weft_error_errno(err, "timerfd_create");
		goto error;
	}
	input->xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (!input->xkb) {
		weft_error_set(err, "xkb_context_new failed");
		goto error;
	}
	wl_seat_add_listener(seat, &seat_listener, input);
	return input;

error:
	app_input_destroy(input);
	return NULL;
}

void app_input_destroy(struct app_input *input)
{
	if (!input) {
		return;
	}
	if (input->pointer) {
		wl_pointer_release(input->pointer);
	}
	if (input->keyboard) {
		wl_keyboard_release(input->keyboard);
	}
	if (input->touch) {
		wl_touch_release(input->touch);
	}
	if (input->seat) {
		wl_seat_release(input->seat);
	}
	xkb_state_unref(input->state);
	xkb_keymap_unref(input->keymap);
	free(input->keymap_text);
	xkb_context_unref(input->xkb);
	if (input->repeat_fd >= 0) {
		close(input->repeat_fd);
	}
	free(input);
}

int app_input_get_repeat_fd(struct app_input *input)
{
	return input->repeat_fd;
}

void app_input_dispatch_repeat(struct app_input *input)
{
	uint64_t expirations = 0;
	if (read(input->repeat_fd, &expirations, sizeof(expirations)) != sizeof(expirations)) {
		return;
	}
	/* A stalled loop must not turn into a burst of characters. */
	if (expirations > 5) {
		expirations = 5;
	}
	for (uint64_t i = 0; i < expirations && input->repeat_key != 0; i++) {
		send_key(input, input->repeat_key, true, true);
	}
}
