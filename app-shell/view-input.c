#include "view-input.h"
#include "weft/webview.h"

static void handle_pointer_motion(void *data, double x, double y)
{
	struct weft_webview **view = data;
	weft_webview_pointer_motion(*view, x, y);
}

static void handle_pointer_button(void *data, uint32_t button, bool pressed)
{
	struct weft_webview **view = data;
	weft_webview_pointer_button(*view, button, pressed);
}

static void handle_pointer_leave(void *data)
{
	struct weft_webview **view = data;
	weft_webview_pointer_leave(*view);
}

static void handle_pointer_axis(void *data, double dx, double dy)
{
	struct weft_webview **view = data;
	weft_webview_pointer_axis(*view, dx, dy);
}

static void handle_key(void *data, uint32_t keycode, uint32_t keysym, const char *text,
	uint32_t modifiers, bool pressed, bool repeat)
{
	struct weft_webview **view = data;
	weft_webview_key(*view, keycode, keysym, text, modifiers, pressed, repeat);
}

static void handle_focus(void *data, bool focused)
{
	struct weft_webview **view = data;
	weft_webview_set_focused(*view, focused);
}

static void handle_touch(void *data, int type, int32_t id, double x, double y)
{
	struct weft_webview **view = data;
	weft_webview_touch(*view, type, id, x, y);
}

const struct app_input_listener app_view_input_listener = {
	.pointer_motion = handle_pointer_motion,
	.pointer_button = handle_pointer_button,
	.pointer_leave = handle_pointer_leave,
	.pointer_axis = handle_pointer_axis,
	.key = handle_key,
	.focus = handle_focus,
	.touch = handle_touch,
};
