#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>

#include "ext-session-lock-v1-client-protocol.h"
#include "weft/log.h"
#include "window.h"
#include "xdg-shell-client-protocol.h"
#include "zweft-shell-unstable-v1-client-protocol.h"

/* Buffers are made as frames need them: two alternate, and a third appears
 * only when the compositor still holds both when a frame arrives. A frame
 * is committed as soon as it arrives, without waiting for the last one's
 * frame callback: Servo paces its own frames (it draws when the page
 * changed, and animations to its own refresh timer), and a wait for the
 * compositor's next refresh cycle made each new frame up to one cycle
 * late: the launched app's first page, a typed key's result. A frame that
 * comes while the compositor still holds all three (a busy compositor
 * behind on its commits) is kept aside, the newest replacing an older one,
 * and committed when a buffer comes back. */
#define MAX_BUFFERS 3
#define DEFAULT_WIDTH 800
#define DEFAULT_HEIGHT 600

struct app_buffer {
	struct app_window *window;
	struct wl_buffer *buffer;
	void *data;
	size_t size;
	uint32_t width, height;
	bool busy; /* attached and not yet released by the compositor */
};

struct app_output {
	struct wl_list link;
	struct app_window *window;
	struct wl_output *output;
	uint32_t name;
	int32_t scale;
	bool entered;
};

struct app_window {
	struct wl_display *display;
	bool owns_display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct zweft_shell_manager_v1 *zweft;
	struct ext_session_lock_manager_v1 *lock_manager;
	struct wl_list outputs;
	/* Seats announced before the surface exists wait for it. */
	struct wl_seat *early_seats[4];
	int n_early_seats;

	struct wl_surface *surface;
	struct zweft_shell_window_v1 *zweft_window;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *xdg_toplevel;
	struct ext_session_lock_v1 *lock;
	struct ext_session_lock_surface_v1 *lock_surface;
	bool locked; /* the lock's locked event came: unlock, never destroy */

	struct app_buffer buffers[MAX_BUFFERS];
	struct app_buffer *pending; /* drawn, waiting to be shown */
	struct app_buffer *last; /* the last one committed */
	bool hidden;
	/* A frame that came while every buffer was held: tightly packed RGBA,
	 * or BGRA. */
	struct {
		uint8_t *rgba;
		size_t capacity;
		uint32_t width, height;
		bool bgra;
		bool waiting;
	} held;

	int32_t width, height, scale;
	int32_t xdg_width, xdg_height; /* until xdg_surface.configure */
	bool configured;

	const struct app_window_listener *listener;
	void *data;
};

/* wl_shm's formats are little-endian, and so is the word read below. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "a little-endian machine");

void app_window_convert(uint32_t *dst, uint32_t dst_stride, const uint8_t *src,
	uint32_t src_stride, uint32_t width, uint32_t height)
{
	for (uint32_t y = 0; y < height; y++) {
		const uint8_t *s = src + (size_t)y * src_stride;
		uint32_t *d = (uint32_t *)((uint8_t *)dst + (size_t)y * dst_stride);
		for (uint32_t x = 0; x < width; x++) {
			/* R, G, B, A in memory: read as one little-endian word, only R
			 * and B trade places; the compiler vectorises this (a quarter
			 * of the byte-by-byte loop's time on a frame). */
			uint32_t p;
			memcpy(&p, s + (size_t)x * 4, sizeof(p));
			d[x] = (p & 0xff00ff00u) | (p & 0xffu) << 16 | (p >> 16 & 0xffu);
		}
	}
}

static void notify_configure(struct app_window *window)
{
	if (window->configured && window->listener->configure) {
		window->listener->configure(window->data, window->width, window->height,
			window->scale);
	}
}

static void update_scale(struct app_window *window)
{
	int32_t scale = 1;
	struct app_output *output;
	wl_list_for_each (output, &window->outputs, link) {
		if (output->entered && output->scale > scale) {
			scale = output->scale;
		}
	}
	if (scale != window->scale) {
		window->scale = scale;
		notify_configure(window);
	}
}

static void output_handle_geometry(void *data, struct wl_output *wl_output, int32_t x, int32_t y,
	int32_t physical_width, int32_t physical_height, int32_t subpixel, const char *make,
	const char *model, int32_t transform)
{
}

static void output_handle_mode(void *data, struct wl_output *wl_output, uint32_t flags,
	int32_t width, int32_t height, int32_t refresh)
{
}

static void output_handle_done(void *data, struct wl_output *wl_output)
{
	struct app_output *output = data;
	update_scale(output->window);
}

static void output_handle_scale(void *data, struct wl_output *wl_output, int32_t factor)
{
	struct app_output *output = data;
	output->scale = factor > 0 ? factor : 1;
}

static const struct wl_output_listener output_listener = {
	.geometry = output_handle_geometry,
	.mode = output_handle_mode,
	.done = output_handle_done,
	.scale = output_handle_scale,
};

static void output_destroy(struct app_output *output)
{
	wl_list_remove(&output->link);
	wl_output_destroy(output->output);
	free(output);
}

static void set_entered(struct app_window *window, struct wl_output *wl_output, bool entered)
{
	struct app_output *output;
	wl_list_for_each (output, &window->outputs, link) {
		if (output->output == wl_output) {
			output->entered = entered;
		}
	}
	update_scale(window);
}

static void surface_handle_enter(void *data, struct wl_surface *surface,
	struct wl_output *wl_output)
{
	set_entered(data, wl_output, true);
}

static void surface_handle_leave(void *data, struct wl_surface *surface,
	struct wl_output *wl_output)
{
	set_entered(data, wl_output, false);
}

static const struct wl_surface_listener surface_listener = {
	.enter = surface_handle_enter,
	.leave = surface_handle_leave,
};

static void wm_base_handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = wm_base_handle_ping,
};

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct app_window *window = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0 && version >= 4) {
		window->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		window->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		window->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(window->wm_base, &wm_base_listener, window);
	} else if (strcmp(interface, ext_session_lock_manager_v1_interface.name) == 0) {
		window->lock_manager = wl_registry_bind(registry, name,
			&ext_session_lock_manager_v1_interface, 1);
	} else if (strcmp(interface, zweft_shell_manager_v1_interface.name) == 0) {
		window->zweft = wl_registry_bind(registry, name, &zweft_shell_manager_v1_interface,
			version < 2 ? version : 2);
	} else if (strcmp(interface, wl_output_interface.name) == 0 && version >= 2) {
		struct app_output *output = calloc(1, sizeof(*output));
		if (!output) {
			weft_log(WEFT_ERROR, "out of memory");
			return;
		}
		output->window = window;
		output->name = name;
		output->scale = 1;
		output->output = wl_registry_bind(registry, name, &wl_output_interface, 2);
		wl_output_add_listener(output->output, &output_listener, output);
		wl_list_insert(&window->outputs, &output->link);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && version >= 5) {
		struct wl_seat *seat = wl_registry_bind(registry, name, &wl_seat_interface, 5);
		if (!window->surface && window->n_early_seats < 4) {
			window->early_seats[window->n_early_seats++] = seat;
		} else if (window->surface && window->listener->seat) {
			window->listener->seat(window->data, seat, window->surface);
		} else {
			wl_seat_destroy(seat);
		}
	}
}

static void registry_handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
	struct app_window *window = data;
	struct app_output *output, *tmp;
	wl_list_for_each_safe (output, tmp, &window->outputs, link) {
		if (output->name == name) {
			output_destroy(output);
			update_scale(window);
			return;
		}
	}
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = registry_handle_global_remove,
};

static void zweft_handle_configure(void *data, struct zweft_shell_window_v1 *zweft_window,
	int32_t x, int32_t y, int32_t width, int32_t height, uint32_t state)
{
	struct app_window *window = data;
	if (width <= 0 || height <= 0) {
		return;
	}
	bool changed = !window->configured || width != window->width || height != window->height;
	window->width = width;
	window->height = height;
	window->configured = true;
	if (changed) {
		notify_configure(window);
	}
}

static void zweft_handle_focus_changed(void *data, struct zweft_shell_window_v1 *zweft_window,
	uint32_t focused)
{
	/* Keyboard focus also arrives through wl_keyboard enter and leave. */
}

static void zweft_handle_window_closed(void *data, struct zweft_shell_window_v1 *zweft_window)
{
	struct app_window *window = data;
	if (window->listener->close) {
		window->listener->close(window->data);
	}
}

static void zweft_handle_presentation_feedback(void *data,
	struct zweft_shell_window_v1 *zweft_window, uint32_t tv_sec, uint32_t tv_nsec,
	uint32_t refresh)
{
}

static void zweft_handle_navigation_gesture(void *data, struct zweft_shell_window_v1 *zweft_window,
	uint32_t type, uint32_t fingers, wl_fixed_t dx, wl_fixed_t dy)
{
	struct app_window *window = data;
	if (window->listener->gesture) {
		window->listener->gesture(window->data, type, fingers, wl_fixed_to_double(dx),
			wl_fixed_to_double(dy));
	}
}

static void lock_handle_locked(void *data, struct ext_session_lock_v1 *lock)
{
	struct app_window *window = data;
	window->locked = true;
	if (window->listener->locked) {
		window->listener->locked(window->data);
	}
}

static void lock_handle_finished(void *data, struct ext_session_lock_v1 *lock)
{
	/* Refused (someone else holds the lock) or ended by the compositor. */
	struct app_window *window = data;
	if (window->listener->close) {
		window->listener->close(window->data);
	}
}

static const struct ext_session_lock_v1_listener lock_listener = {
	.locked = lock_handle_locked,
	.finished = lock_handle_finished,
};

static void lock_surface_handle_configure(void *data,
	struct ext_session_lock_surface_v1 *lock_surface, uint32_t serial, uint32_t width,
	uint32_t height)
{
	struct app_window *window = data;
	ext_session_lock_surface_v1_ack_configure(lock_surface, serial);
	if (width == 0 || height == 0 || width > INT32_MAX || height > INT32_MAX) {
		return;
	}
	bool changed = !window->configured || (int32_t)width != window->width ||
		(int32_t)height != window->height;
	window->width = (int32_t)width;
	window->height = (int32_t)height;
	window->configured = true;
	if (changed) {
		notify_configure(window);
	}
}

static const struct ext_session_lock_surface_v1_listener lock_surface_listener = {
	.configure = lock_surface_handle_configure,
};

static const struct zweft_shell_window_v1_listener zweft_window_listener = {
	.configure = zweft_handle_configure,
	.focus_changed = zweft_handle_focus_changed,
	.window_closed = zweft_handle_window_closed,
	.presentation_feedback = zweft_handle_presentation_feedback,
	.navigation_gesture = zweft_handle_navigation_gesture,
};

static void xdg_surface_handle_configure(void *data, struct xdg_surface *xdg_surface,
	uint32_t serial)
{
	struct app_window *window = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	int32_t width = window->xdg_width > 0
		? window->xdg_width
		: (window->width > 0 ? window->width : DEFAULT_WIDTH);
	int32_t height = window->xdg_height > 0
		? window->xdg_height
		: (window->height > 0 ? window->height : DEFAULT_HEIGHT);
	bool changed = !window->configured || width != window->width || height != window->height;
	window->width = width;
	window->height = height;
	window->configured = true;
	if (changed) {
		notify_configure(window);
	}
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_handle_configure,
};

static void xdg_toplevel_handle_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
	int32_t height, struct wl_array *states)
{
	struct app_window *window = data;
	window->xdg_width = width;
	window->xdg_height = height;
}

static void xdg_toplevel_handle_close(void *data, struct xdg_toplevel *toplevel)
{
	struct app_window *window = data;
	if (window->listener->close) {
		window->listener->close(window->data);
	}
}

static const struct xdg_toplevel_listener xdg_toplevel_listener = {
	.configure = xdg_toplevel_handle_configure,
	.close = xdg_toplevel_handle_close,
};

struct app_window *app_window_create(const char *app_id, const char *title,
	const struct app_window_listener *listener, void *data, struct weft_error *err)
{
	const struct app_window_options options = {
		.app_id = app_id,
		.title = title,
	};
	return app_window_create_with(&options, listener, data, err);
}

/* The session lock and its surface on the first output. */
static bool create_lock(struct app_window *window, struct weft_error *err)
{
	if (!window->lock_manager) {
		weft_error_set(err, "the compositor offers no ext_session_lock_manager_v1");
		return false;
	}
	if (wl_list_empty(&window->outputs)) {
		weft_error_set(err, "no output to lock");
		return false;
	}
	struct app_output *output = wl_container_of(window->outputs.prev, output, link);
	window->lock = ext_session_lock_manager_v1_lock(window->lock_manager);
	ext_session_lock_v1_add_listener(window->lock, &lock_listener, window);
	window->lock_surface = ext_session_lock_v1_get_lock_surface(window->lock, window->surface,
		output->output);
	ext_session_lock_surface_v1_add_listener(window->lock_surface, &lock_surface_listener,
		window);
	return true;
}

struct app_window *app_window_create_with(const struct app_window_options *options,
	const struct app_window_listener *listener, void *data, struct weft_error *err)
{
	const char *app_id = options->app_id, *title = options->title;
	const char *role = options->role != NULL ? options->role : "application";
	struct app_window *window = calloc(1, sizeof(*window));
	if (!window) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	window->listener = listener;
	window->data = data;
	window->scale = 1;
	wl_list_init(&window->outputs);

	window->display = options->display;
	if (!window->display) {
		window->display = wl_display_connect(NULL);
		window->owns_display = true;
	}
	if (!window->display) {
		weft_error_errno(err, "cannot connect to the Wayland compositor");
		goto error;
	}
	window->registry = wl_display_get_registry(window->display);
	wl_registry_add_listener(window->registry, &registry_listener, window);
	if (wl_display_roundtrip(window->display) < 0) {
		weft_error_errno(err, "Wayland roundtrip");
		goto error;
	}
	if (!window->compositor || !window->shm) {
		weft_error_set(err, "the compositor offers no wl_compositor v4 or no wl_shm");
		goto error;
	}
	if (!window->zweft && !window->wm_base) {
		weft_error_set(err, "the compositor offers neither zweft_shell nor xdg_wm_base");
		goto error;
	}

	bool lock = strcmp(role, APP_WINDOW_ROLE_LOCK) == 0;
	if (!lock && strcmp(role, "application") != 0 && !window->zweft) {
		weft_error_set(err, "the compositor offers no zweft_shell for a %s window", role);
		goto error;
	}

	window->surface = wl_compositor_create_surface(window->compositor);
	wl_surface_add_listener(window->surface, &surface_listener, window);
	if (lock) {
		if (!create_lock(window, err)) {
			goto error;
		}
	} else if (window->zweft) {
		window->zweft_window = zweft_shell_manager_v1_create_window(window->zweft, app_id,
			title, role, window->surface, options->x, options->y, options->width,
			options->height);
		zweft_shell_window_v1_add_listener(window->zweft_window, &zweft_window_listener,
			window);
	} else {
		window->xdg_surface = xdg_wm_base_get_xdg_surface(window->wm_base,
			window->surface);
		xdg_surface_add_listener(window->xdg_surface, &xdg_surface_listener, window);
		window->xdg_toplevel = xdg_surface_get_toplevel(window->xdg_surface);
		xdg_toplevel_add_listener(window->xdg_toplevel, &xdg_toplevel_listener, window);
		xdg_toplevel_set_title(window->xdg_toplevel, title);
		xdg_toplevel_set_app_id(window->xdg_toplevel, app_id);
		wl_surface_commit(window->surface);
	}
	for (int i = 0; i < window->n_early_seats; i++) {
		if (window->listener->seat) {
			window->listener->seat(window->data, window->early_seats[i],
				window->surface);
		} else {
			wl_seat_destroy(window->early_seats[i]);
		}
	}
	window->n_early_seats = 0;
	if (wl_display_flush(window->display) < 0 && errno != EAGAIN) {
		weft_error_errno(err, "Wayland flush");
		goto error;
	}
	return window;

error:
	app_window_destroy(window);
	return NULL;
}

static void buffer_finish(struct app_buffer *buffer)
{
	if (buffer->buffer) {
		wl_buffer_destroy(buffer->buffer);
	}
	if (buffer->data) {
		munmap(buffer->data, buffer->size);
	}
	*buffer = (struct app_buffer){ 0 };
}

void app_window_destroy(struct app_window *window)
{
	if (!window) {
		return;
	}
	for (int i = 0; i < MAX_BUFFERS; i++) {
		buffer_finish(&window->buffers[i]);
	}
	free(window->held.rgba);
	if (window->lock_surface) {
		ext_session_lock_surface_v1_destroy(window->lock_surface);
	}
	/* A lock that locked is never destroyed without unlocking (a protocol
	 * error): left alone, it keeps the session locked when we are gone. */
	if (window->lock && !window->locked) {
		ext_session_lock_v1_destroy(window->lock);
	}
	if (window->lock_manager) {
		ext_session_lock_manager_v1_destroy(window->lock_manager);
	}
	if (window->zweft_window) {
		zweft_shell_window_v1_destroy(window->zweft_window);
	}
	if (window->xdg_toplevel) {
		xdg_toplevel_destroy(window->xdg_toplevel);
	}
	if (window->xdg_surface) {
		xdg_surface_destroy(window->xdg_surface);
	}
	if (window->surface) {
		wl_surface_destroy(window->surface);
	}
	for (int i = 0; i < window->n_early_seats; i++) {
		wl_seat_destroy(window->early_seats[i]);
	}
	struct app_output *output, *tmp;
	wl_list_for_each_safe (output, tmp, &window->outputs, link) {
		output_destroy(output);
	}
	if (window->zweft) {
		zweft_shell_manager_v1_destroy(window->zweft);
	}
	if (window->wm_base) {
		xdg_wm_base_destroy(window->wm_base);
	}
	if (window->shm) {
		wl_shm_destroy(window->shm);
	}
	if (window->compositor) {
		wl_compositor_destroy(window->compositor);
	}
	if (window->registry) {
		wl_registry_destroy(window->registry);
	}
	if (window->display) {
		wl_display_flush(window->display);
		if (window->owns_display) {
			wl_display_disconnect(window->display);
		}
	}
	free(window);
}

struct wl_display *app_window_get_display(struct app_window *window)
{
	return window->display;
}

struct wl_surface *app_window_get_surface(struct app_window *window)
{
	return window->surface;
}

bool app_window_is_zweft(struct app_window *window)
{
	return window->zweft_window != NULL;
}

bool app_window_wait_configured(struct app_window *window, struct weft_error *err)
{
	while (!window->configured) {
		if (wl_display_dispatch(window->display) < 0) {
			weft_error_errno(err,
				"Wayland connection lost before the window was configured");
			return false;
		}
	}
	return true;
}

void app_window_get_size(struct app_window *window, int32_t *width, int32_t *height,
	int32_t *scale)
{
	*width = window->width;
	*height = window->height;
	*scale = window->scale;
}

static bool present_frame(struct app_window *window, const uint8_t *rgba, uint32_t width,
	uint32_t height, uint32_t stride, bool bgra, struct weft_error *err);

static void buffer_handle_release(void *data, struct wl_buffer *wl_buffer)
{
	struct app_buffer *buffer = data;
	struct app_window *window = buffer->window;
	buffer->busy = false;
	if (window->held.waiting) {
		window->held.waiting = false;
		struct weft_error err = { 0 };
		if (!present_frame(window, window->held.rgba, window->held.width,
			    window->held.height, window->held.width * 4, window->held.bgra,
			    &err)) {
			weft_log(WEFT_WARN, "dropped a frame: %s", err.msg);
		}
	}
}

static const struct wl_buffer_listener buffer_listener = {
	.release = buffer_handle_release,
};

static bool buffer_init(struct app_window *window, struct app_buffer *buffer, uint32_t width,
	uint32_t height, struct weft_error *err)
{
	if (width == 0 || height == 0 || width > INT32_MAX / 4 ||
		height > INT32_MAX / (width * 4)) {
		weft_error_set(err, "bad frame size %ux%u", width, height);
		return false;
	}
	uint32_t stride = width * 4;
	size_t size = (size_t)stride * height;
	int fd = memfd_create("weft-app-shell", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		weft_error_errno(err, "memfd_create");
		return false;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		weft_error_errno(err, "ftruncate shm buffer");
		close(fd);
		return false;
	}
	void *data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		weft_error_errno(err, "mmap shm buffer");
		close(fd);
		return false;
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(window->shm, fd, (int32_t)size);
	buffer->buffer = wl_shm_pool_create_buffer(pool, 0, (int32_t)width, (int32_t)height,
		(int32_t)stride, WL_SHM_FORMAT_ARGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	wl_buffer_add_listener(buffer->buffer, &buffer_listener, buffer);
	buffer->window = window;
	buffer->data = data;
	buffer->size = size;
	buffer->width = width;
	buffer->height = height;
	buffer->busy = false;
	return true;
}

/* A buffer for the next frame; NULL on failure, or with *held when the
 * compositor holds every one. */
static struct app_buffer *next_buffer(struct app_window *window, uint32_t width, uint32_t height,
	bool *held, struct weft_error *err)
{
	*held = false;
	struct app_buffer *buffer = window->pending;
	if (!buffer) {
		for (int i = 0; i < MAX_BUFFERS; i++) {
			struct app_buffer *b = &window->buffers[i];
			if (b->buffer && !b->busy) {
				buffer = b;
				break;
			}
		}
	}
	if (!buffer) {
		for (int i = 0; i < MAX_BUFFERS; i++) {
			if (!window->buffers[i].buffer) {
				buffer = &window->buffers[i];
				break;
			}
		}
	}
	if (!buffer) {
		*held = true;
		return NULL;
	}
	if (buffer->buffer && (buffer->width != width || buffer->height != height)) {
		buffer_finish(buffer);
	}
	if (!buffer->buffer && !buffer_init(window, buffer, width, height, err)) {
		return NULL;
	}
	return buffer;
}

static void commit_pending(struct app_window *window)
{
	struct app_buffer *buffer = window->pending;
	window->pending = NULL;
	/* A frame rendered before a scale change may not divide by the new scale. */
	int32_t scale = window->scale;
	if (buffer->width % (uint32_t)scale != 0 || buffer->height % (uint32_t)scale != 0) {
		scale = 1;
	}
	wl_surface_attach(window->surface, buffer->buffer, 0, 0);
	wl_surface_set_buffer_scale(window->surface, scale);
	wl_surface_damage_buffer(window->surface, 0, 0, INT32_MAX, INT32_MAX);
	wl_surface_commit(window->surface);
	buffer->busy = true;
	window->last = buffer;
}

/* Keeps a copy of the frame for the first buffer the compositor gives back. */
static bool hold_frame(struct app_window *window, const uint8_t *rgba, uint32_t width,
	uint32_t height, uint32_t stride, bool bgra, struct weft_error *err)
{
	size_t row = (size_t)width * 4, size = row * height;
	if (size > window->held.capacity) {
		uint8_t *grown = realloc(window->held.rgba, size);
		if (grown == NULL) {
			weft_error_set(err, "out of memory for a %ux%u frame", width, height);
			return false;
		}
		window->held.rgba = grown;
		window->held.capacity = size;
	}
	for (uint32_t y = 0; y < height; y++) {
		memcpy(window->held.rgba + row * y, rgba + (size_t)stride * y, row);
	}
	window->held.width = width;
	window->held.height = height;
	window->held.bgra = bgra;
	window->held.waiting = true;
	return true;
}

static bool present_frame(struct app_window *window, const uint8_t *rgba, uint32_t width,
	uint32_t height, uint32_t stride, bool bgra, struct weft_error *err)
{
	bool held;
	struct app_buffer *buffer = next_buffer(window, width, height, &held, err);
	if (!buffer) {
		return held && hold_frame(window, rgba, width, height, stride, bgra, err);
	}
	if (bgra) {
		/* ARGB8888 already, as little-endian words: copied as it is. */
		for (uint32_t y = 0; y < height; y++) {
			memcpy((uint8_t *)buffer->data + (size_t)y * width * 4,
				rgba + (size_t)y * stride, (size_t)width * 4);
		}
	} else {
		app_window_convert(buffer->data, width * 4, rgba, stride, width, height);
	}
	window->pending = buffer;
	if (window->configured && !window->hidden) {
		commit_pending(window);
	}
	return true;
}

bool app_window_present(struct app_window *window, const uint8_t *rgba, uint32_t width,
	uint32_t height, uint32_t stride, struct weft_error *err)
{
	/* This one is newer than any frame held back. */
	window->held.waiting = false;
	return present_frame(window, rgba, width, height, stride, false, err);
}

bool app_window_present_bgra(struct app_window *window, const uint8_t *bgra, uint32_t width,
	uint32_t height, uint32_t stride, struct weft_error *err)
{
	window->held.waiting = false;
	return present_frame(window, bgra, width, height, stride, true, err);
}

void app_window_set_visible(struct app_window *window, bool visible)
{
	if (visible == !window->hidden) {
		return;
	}
	window->hidden = !visible;
	if (!visible) {
		wl_surface_attach(window->surface, NULL, 0, 0);
		wl_surface_commit(window->surface);
		return;
	}
	if (!window->pending && window->last) {
		window->pending = window->last;
	}
	if (window->pending && window->configured) {
		commit_pending(window);
	}
}

bool app_window_is_visible(struct app_window *window)
{
	return !window->hidden;
}

void app_window_unlock(struct app_window *window)
{
	if (window->lock && window->locked) {
		if (window->lock_surface) {
			ext_session_lock_surface_v1_destroy(window->lock_surface);
			window->lock_surface = NULL;
		}
		ext_session_lock_v1_unlock_and_destroy(window->lock);
		window->lock = NULL;
		window->locked = false;
		wl_display_flush(window->display);
	}
}
