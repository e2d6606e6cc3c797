/*
 * A wl_seat's pointer, keyboard (through xkbcommon, with client-side key
 * repeat) and touch, turned into calls shaped like libweftview's input
 * functions. Only events for the window's surface are forwarded.
 */
#ifndef APP_SHELL_INPUT_H
#define APP_SHELL_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "weft/common.h"

struct wl_seat;
struct wl_surface;

struct app_input_listener {
	void (*pointer_motion)(void *data, double x, double y);
	void (*pointer_button)(void *data, uint32_t button, bool pressed);
	void (*pointer_leave)(void *data);
	void (*pointer_axis)(void *data, double dx, double dy);
	/* keycode: evdev; keysym: XKB; text: UTF-8 or ""; modifiers: WEFT_WEBVIEW_MOD_*. */
	void (*key)(void *data, uint32_t keycode, uint32_t keysym, const char *text,
		uint32_t modifiers, bool pressed, bool repeat);
	void (*focus)(void *data, bool focused);
	/* type: WEFT_WEBVIEW_TOUCH_*. */
	void (*touch)(void *data, int type, int32_t id, double x, double y);
};

struct app_input;

/* Takes ownership of seat. */
struct app_input *app_input_create(struct wl_seat *seat, struct wl_surface *surface,
	const struct app_input_listener *listener, void *data, struct weft_error *err);
void app_input_destroy(struct app_input *input);

/* A timerfd that fires key repeats; call app_input_dispatch_repeat() when readable. */
int app_input_get_repeat_fd(struct app_input *input);
void app_input_dispatch_repeat(struct app_input *input);

#endif
