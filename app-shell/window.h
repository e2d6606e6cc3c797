/*
 * The app-shell's one window: the Wayland connection, a zweft "application"
 * window (or an xdg toplevel when the compositor offers no zweft), and the
 * wl_shm buffers frames are copied into.
 */
#ifndef APP_SHELL_WINDOW_H
#define APP_SHELL_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "weft/common.h"

struct wl_display;
struct wl_seat;
struct wl_surface;

struct app_window_listener {
	/* The logical size or the output scale changed. */
	void (*configure)(void *data, int32_t width, int32_t height, int32_t scale);
	/* The compositor closed the window. */
	void (*close)(void *data);
	/* A seat appeared (ownership passes); input goes to surface. */
	void (*seat)(void *data, struct wl_seat *seat, struct wl_surface *surface);
	/* May be NULL: zweft's navigation_gesture (type 0 swipe, 1 pinch, 2 hold). */
	void (*gesture)(void *data, uint32_t type, uint32_t fingers, double dx, double dy);
	/* May be NULL: a lock window's session is locked (close: refused or ended). */
	void (*locked)(void *data);
};

/* The role of a window that is an ext-session-lock surface, not a zweft window. */
#define APP_WINDOW_ROLE_LOCK "lock"

struct app_window_options {
	/* NULL: connect (WAYLAND_SOCKET, else WAYLAND_DISPLAY) and own the
	 * connection; else share this one, which outlives the window. */
	struct wl_display *display;
	const char *app_id, *title;
	/* A zweft role ("panel", "overlay", ...; NULL: "application") or
	 * APP_WINDOW_ROLE_LOCK: the session is locked while the window lives,
	 * and stays locked if the process dies before app_window_unlock(). */
	const char *role;
	/* The zweft window's requested geometry (0: the compositor's choice). */
	int32_t x, y, width, height;
};

struct app_window;

/*
 * Connects (WAYLAND_SOCKET, else WAYLAND_DISPLAY) and creates the window.
 * Nothing is shown before the first frame.
 */
struct app_window *app_window_create(const char *app_id, const char *title,
	const struct app_window_listener *listener, void *data, struct weft_error *err);
struct app_window *app_window_create_with(const struct app_window_options *options,
	const struct app_window_listener *listener, void *data, struct weft_error *err);
void app_window_destroy(struct app_window *window);
/* Hides (unmaps) or shows again the window; frames presented while hidden
 * are kept for the next show. */
void app_window_set_visible(struct app_window *window, bool visible);
bool app_window_is_visible(struct app_window *window);
/* Unlocks the session of a lock window once it locked. */
void app_window_unlock(struct app_window *window);

struct wl_display *app_window_get_display(struct app_window *window);
struct wl_surface *app_window_get_surface(struct app_window *window);
/* Whether the window is a zweft window (false: xdg toplevel). */
bool app_window_is_zweft(struct app_window *window);
/* Waits for the first configure; false when the connection failed. */
bool app_window_wait_configured(struct app_window *window, struct weft_error *err);
void app_window_get_size(struct app_window *window, int32_t *width, int32_t *height,
	int32_t *scale);

/*
 * Shows a frame of premultiplied RGBA pixels, converted into a free shm
 * buffer and committed at once (see window.c); before the window is
 * configured, or while it is hidden, the newest waits and older ones are
 * dropped; so too while the compositor holds every buffer, until it gives
 * one back. False only on failure (memory, a bad size).
 */
bool app_window_present(struct app_window *window, const uint8_t *rgba, uint32_t width,
	uint32_t height, uint32_t stride, struct weft_error *err);
/* The same with premultiplied B, G, R, A bytes (WL_SHM_FORMAT_ARGB8888 on
 * this little-endian machine), copied without a conversion. */
bool app_window_present_bgra(struct app_window *window, const uint8_t *bgra, uint32_t width,
	uint32_t height, uint32_t stride, struct weft_error *err);

/* Premultiplied RGBA bytes to WL_SHM_FORMAT_ARGB8888 pixels. */
void app_window_convert(uint32_t *dst, uint32_t dst_stride, const uint8_t *src,
	uint32_t src_stride, uint32_t width, uint32_t height);

#endif
