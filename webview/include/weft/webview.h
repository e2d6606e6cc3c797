/*
 * libweftview: Servo WebViews for WEFT's C programs (design §1, §7, §10).
 *
 * One engine per process, driven from the thread that created it. The engine
 * owns a file descriptor that becomes readable when Servo has work to do;
 * poll it and call weft_webview_engine_dispatch() then. Every callback runs
 * inside dispatch, on that thread, and may call any function of this header
 * (weft_webview_destroy() of its own view included) except the engine's
 * destroy and dispatch. The log callback is the exception: any thread may
 * call it, at any time.
 *
 * Views render in software into memory and hand each finished frame to the
 * frame callback, or, when the embedder gives them its wl_display and a
 * wl_surface, through EGL straight into that surface (on the GPU when Mesa
 * finds one). Software views render with SWGL, WebRender's own rasteriser
 * (no Mesa, no libLLVM in the process); with WEFT_WEBVIEW_SOFTWARE=llvmpipe
 * in the environment, or when SWGL cannot start (one warning in the log),
 * with Mesa's llvmpipe through surfman instead. For llvmpipe surfman tries a
 * Wayland display (wl_display_connect(NULL), which falls back to wayland-0)
 * and an X11 one before Mesa's surfaceless platform; a program that wants
 * the surfaceless path points WAYLAND_DISPLAY at a socket that cannot exist
 * and unsets DISPLAY before creating a view.
 *
 * A view created with an app id is confined to its app's origin,
 * http://<app id>.localhost/, and to weft-app://<app id>/: every other
 * scheme and origin is refused (logged at WEFT_WEBVIEW_LOG_WARN), and
 * window.weftIpc is defined before the page's own scripts run. The view
 * answers every load of http://<app id>.localhost/ itself, from the
 * directory given to weft_webview_engine_serve_app(), so nothing goes to the
 * network; that origin is a secure context, whereas a weft-app:// document
 * has an opaque origin. A document load of weft-app://<app id>/<path> (the
 * initial URL, weft_webview_load(), or the page navigating its top level
 * there) opens http://<app id>.localhost/<path> instead. Storage is kept per
 * origin and in memory only (localStorage, sessionStorage; IndexedDB is
 * off). Nothing
 * unwinds into C: on an internal failure a function logs and returns
 * false, NULL or nothing.
 */
#ifndef WEFT_WEBVIEW_H
#define WEFT_WEBVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct weft_webview_engine;
struct weft_webview;
struct wl_display;
struct wl_surface;

/* The values of libweft's enum weft_log_level. */
enum weft_webview_log_level {
	WEFT_WEBVIEW_LOG_ERROR = 1,
	WEFT_WEBVIEW_LOG_WARN = 2,
	WEFT_WEBVIEW_LOG_INFO = 3,
	WEFT_WEBVIEW_LOG_DEBUG = 4,
};

typedef void (*weft_webview_log_fn)(void *data, int level, const char *message);

struct weft_webview_engine_options {
	/* NULL: messages go to stderr. */
	weft_webview_log_fn log;
	void *log_data;
	/* The most verbose level of Servo's own diagnostics that reaches log. */
	int log_level;
};

/* The process's engine; a second one fails. options may be NULL. It sets
 * glibc's mmap threshold to 1 MiB (mallopt M_MMAP_THRESHOLD), so that the
 * renderer's large buffers go back to the system when freed. */
struct weft_webview_engine *weft_webview_engine_create(
	const struct weft_webview_engine_options *options);
/* Shuts Servo down; every view must be destroyed first. Accepts NULL. */
void weft_webview_engine_destroy(struct weft_webview_engine *engine);
/* Readable when dispatch has work; owned by the engine. */
int weft_webview_engine_get_fd(struct weft_webview_engine *engine);
void weft_webview_engine_dispatch(struct weft_webview_engine *engine);
/*
 * Serves weft-app://<app_id>/<path> and http://<app_id>.localhost/<path>
 * from the directory dir (the package directory): regular files below it
 * only, never through ".." or a symlink. Other app ids are not found.
 */
bool weft_webview_engine_serve_app(struct weft_webview_engine *engine, const char *app_id,
	const char *dir);

/*
 * Serves weft-system://ui/<path> from dir (the system UI directory), with
 * the same rules as serve_app. Only system views load it.
 */
bool weft_webview_engine_serve_system(struct weft_webview_engine *engine, const char *dir);
/*
 * Serves the UI kit: /.weft/kit/<path> of every app (in its origin and
 * under weft-app://<app_id>/) and weft-system://ui/.weft/kit/<path>, from
 * dir, with the same rules as serve_app. That path is reserved: it is
 * never answered from a package (without a kit it is not found).
 */
bool weft_webview_engine_serve_kit(struct weft_webview_engine *engine, const char *dir);
/*
 * Serves weft-system://app-icon/<app_id> as the file icon (a relative path
 * ending in .png or .svg) below dir (the package directory); false, with a
 * warning logged, for another file type. Unknown app ids are not found.
 */
bool weft_webview_engine_serve_app_icon(struct weft_webview_engine *engine, const char *app_id,
	const char *dir, const char *icon);

enum weft_webview_load_status {
	WEFT_WEBVIEW_LOAD_STARTED = 0,
	WEFT_WEBVIEW_LOAD_HEAD_PARSED = 1,
	WEFT_WEBVIEW_LOAD_COMPLETE = 2,
};

/* Every member may be NULL. data is weft_webview_options.data. */
struct weft_webview_listener {
	/* A new frame: width x height RGBA pixels (BGRA for a view made with
	 * bgra; premultiplied alpha, rows top to bottom, stride bytes apart),
	 * valid only during the call. A view
	 * that renders to its surface calls it with rgba NULL and stride 0 after
	 * each frame it committed there. For a view made with a url, nothing
	 * is drawn of the empty document before the first one is shown: a view
	 * without an app id shows it once its head is parsed; an app's (or the
	 * system UI's) view once it is laid out after its load event (Servo
	 * draws it blank before), or 50 ms after its head was parsed, whichever
	 * comes first, so that its first frame is the page. */
	void (*frame)(void *data, const uint8_t *rgba, uint32_t width, uint32_t height,
		uint32_t stride);
	void (*load_status)(void *data, int status);
	/* Page console output; when NULL it goes to the engine's log. */
	void (*console)(void *data, int level, const char *message);
	/* One weftIpc.send() message: len bytes of UTF-8, not NUL-terminated. */
	void (*ipc_message)(void *data, const char *message, size_t len);
	/* The page closed itself or its content process crashed. */
	void (*closed)(void *data, const char *reason);
};

struct weft_webview_options {
	/* Buffer size in pixels, and the output scale it was computed with. */
	uint32_t width, height;
	double scale;
	/* NULL for an unconfined view without the bridge. Otherwise it must
	 * be a host name label sequence (a-z, 0-9, '-', '.'), as WEFT's app
	 * ids are, or the view is not created. */
	const char *app_id;
	/* The first document; NULL for about:blank. */
	const char *url;
	/* Copied; may be NULL. */
	const struct weft_webview_listener *listener;
	void *data;
	/* Both set: render through EGL into wl_surface, which the view then
	 * commits (the embedder attaches no buffers to it and keeps both alive
	 * until the view is destroyed). When EGL fails the view logs a warning
	 * and renders in software; weft_webview_renders_to_surface() tells. */
	struct wl_display *wl_display;
	struct wl_surface *wl_surface;
	/* The system shell's view (app_id NULL): confined to weft-system://ui/,
	 * with window.weftIpc, and may show weft-system://app-icon/ images. */
	bool system;
	/* NULL, or an open software view of the same engine whose renderer
	 * (WebRender and its GL context, with the shaders, glyphs and images
	 * they hold) the new view draws with instead of a new one; only for a
	 * software view (wl_surface NULL), or the view is not created. That
	 * view is hidden from then on; destroy it once the new one exists.
	 * Frames are drawn apart from the calls that ask for them: hide it,
	 * and wait for its next frame, before making the new view, or the
	 * new view's first frames may still show its page. */
	struct weft_webview *renderer_of;
	/* Software frames as premultiplied B, G, R, A bytes (the byte order
	 * of wl_shm's ARGB8888 on a little-endian machine), not R, G, B, A:
	 * SWGL keeps them so, and they are copied out as they are. */
	bool bgra;
};

struct weft_webview *weft_webview_create(struct weft_webview_engine *engine,
	const struct weft_webview_options *options);
/* Accepts NULL. */
void weft_webview_destroy(struct weft_webview *view);
/* Whether the view draws into its wl_surface (false for NULL). */
bool weft_webview_renders_to_surface(struct weft_webview *view);

bool weft_webview_load(struct weft_webview *view, const char *url);
void weft_webview_resize(struct weft_webview *view, uint32_t width, uint32_t height, double scale);
void weft_webview_set_focused(struct weft_webview *view, bool focused);
/* A hidden view's page is not drawn: its frames show only the background. */
void weft_webview_set_hidden(struct weft_webview *view, bool hidden);

/* Modifier bits for weft_webview_key(). */
enum weft_webview_modifier {
	WEFT_WEBVIEW_MOD_SHIFT = 1 << 0,
	WEFT_WEBVIEW_MOD_CTRL = 1 << 1,
	WEFT_WEBVIEW_MOD_ALT = 1 << 2,
	WEFT_WEBVIEW_MOD_LOGO = 1 << 3,
	WEFT_WEBVIEW_MOD_CAPS = 1 << 4,
	WEFT_WEBVIEW_MOD_NUM = 1 << 5,
	WEFT_WEBVIEW_MOD_ALTGR = 1 << 6,
};

enum weft_webview_touch_type {
	WEFT_WEBVIEW_TOUCH_DOWN = 0,
	WEFT_WEBVIEW_TOUCH_MOTION = 1,
	WEFT_WEBVIEW_TOUCH_UP = 2,
	WEFT_WEBVIEW_TOUCH_CANCEL = 3,
};

/* Positions are surface-local, in logical pixels (as Wayland gives them). */
void weft_webview_pointer_motion(struct weft_webview *view, double x, double y);
/* button: a Linux BTN_* code; at the last motion position. */
void weft_webview_pointer_button(struct weft_webview *view, uint32_t button, bool pressed);
void weft_webview_pointer_leave(struct weft_webview *view);
/* Wayland axis values: logical pixels, positive is down and right. */
void weft_webview_pointer_axis(struct weft_webview *view, double dx, double dy);
/*
 * keycode: the evdev code (XKB keycode - 8); keysym: the XKB keysym; text:
 * the UTF-8 the key produces (NULL or "" when none); modifiers: a
 * WEFT_WEBVIEW_MOD_* mask.
 */
void weft_webview_key(struct weft_webview *view, uint32_t keycode, uint32_t keysym,
	const char *text, uint32_t modifiers, bool pressed, bool repeat);
void weft_webview_touch(struct weft_webview *view, int type, int32_t id, double x, double y);

/* ok says whether it worked; text is the result (a string as is, anything
 * else as JSON) or the error. Runs from dispatch. */
typedef void (*weft_webview_done_fn)(void *data, bool ok, const char *text);

bool weft_webview_evaluate_js(struct weft_webview *view, const char *script,
	weft_webview_done_fn done, void *data);
/* For documents loaded after the call; runs before their own scripts. */
bool weft_webview_add_user_script(struct weft_webview *view, const char *source);
/* Writes the view as a PNG once the page has settled; text is the path. */
bool weft_webview_save_png(struct weft_webview *view, const char *path, weft_webview_done_fn done,
	void *data);

/*
 * The page bridge of a confined view. Messages posted here reach
 * weftIpc.onmessage in order, once the page's bridge is up; messages the
 * page sends arrive at the ipc_message callback while the view is
 * connected. When it is not (the default), weftIpc.send() rejects with
 * "not connected".
 */
bool weft_webview_post_message(struct weft_webview *view, const char *message, size_t len);
void weft_webview_set_ipc_connected(struct weft_webview *view, bool connected);

#endif
