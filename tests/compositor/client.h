/*
 * A small Wayland test-client library for weft-compositor's tests: start the
 * real compositor headless, connect ordinary or privileged clients, make
 * zweft or xdg windows filled with one colour, read the screen back through
 * screencopy and inject input through the virtual keyboard and pointer.
 *
 * Every function aborts the test program on failures that are not what a
 * test checks (out of memory, no compositor), so tests read as a story.
 */
#ifndef WEFT_TEST_COMPOSITOR_CLIENT_H
#define WEFT_TEST_COMPOSITOR_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;
struct tc_client;
struct wl_display;
struct wl_interface;
struct wl_seat;
struct wl_surface;

struct tc_compositor {
	pid_t pid;
	char *runtime_dir;
	char socket[64];
	int shell_fd; /* our end of the shell's privileged connection, or -1 */
	int control_fd; /* our end of the appd control channel, or -1 */
};

enum {
	TC_WITH_SHELL = 1, /* a privileged shell connection in shell_fd */
	TC_WITH_CONTROL = 2, /* the appd control channel in control_fd */
	TC_NO_TEST_PROTOCOLS = 4, /* leave out --expose-test-protocols */
	TC_BACKEND_X11 = 8, /* nested in the X server at $DISPLAY, not headless */
	TC_BACKEND_WAYLAND = 16, /* nested in the compositor at $WAYLAND_DISPLAY */
	TC_KEEP_DISPLAY = 32, /* headless, with the test's DISPLAY in its environment */
};

/* Starts weft-compositor headless (or nested, see TC_BACKEND_X11) at 1280x720
 * with extra args (NULL-terminated, may be NULL) and waits for its READY=1. */
void tc_compositor_start(struct tc_compositor *c, int flags, const char *const *extra_args);
bool tc_compositor_alive(struct tc_compositor *c);
/* The number of fds the compositor holds open. */
int tc_compositor_fd_count(struct tc_compositor *c);
/* The same, with nothing that client's requests so far made it open for a
 * moment (a keymap, a pipe it sent) still open. */
int tc_compositor_settled_fd_count(struct tc_compositor *c, struct tc_client *client);
/* Waits up to timeout_ms for the compositor to hold n fds: it lets go of
 * them in its own time, after the reply or the hangup that ends their use.
 * Its count then (n, or what it held at the deadline, said on stderr). */
int tc_compositor_wait_fd_count(struct tc_compositor *c, int n, int timeout_ms);
/* A deadline for what the compositor does in its own time, generous for a
 * loaded machine and a sanitizer build. */
#define TC_SETTLE_MS 20000
/* SIGTERM, wait, and remove the runtime dir. Returns the exit status. */
int tc_compositor_stop(struct tc_compositor *c);

/* Control channel: sends request, returns the reply (caller puts it); *fd gets
 * a received fd or -1. Events that arrive first are queued for tc_control_event. */
struct json_object *tc_control_request(struct tc_compositor *c, const char *json, int *fd);
/* Sends a request without waiting for its reply. */
void tc_control_send(struct tc_compositor *c, const char *json);
/* The next reply to a request sent by other means, within 5 s, or NULL. */
struct json_object *tc_control_reply(struct tc_compositor *c, int *fd);
/* Likewise within timeout_ms. */
struct json_object *tc_control_reply_within(struct tc_compositor *c, int timeout_ms, int *fd);
/* The next event named name within timeout_ms, or NULL. */
struct json_object *tc_control_event(struct tc_compositor *c, const char *name, int timeout_ms);
/* A Wayland connection fd tagged as the app (app_id, session_id). */
int tc_control_create_client(struct tc_compositor *c, const char *app_id, const char *session_id);

struct tc_window;

struct tc_client *tc_client_connect(struct tc_compositor *c);
/* Takes ownership of fd. */
struct tc_client *tc_client_connect_fd(int fd);
void tc_client_destroy(struct tc_client *client);
bool tc_client_has_global(struct tc_client *client, const char *interface);
/* Binds the global of interface at version; NULL if the client has none. */
void *tc_client_bind(struct tc_client *client, const struct wl_interface *interface,
	uint32_t version);
/* For protocols the library does not speak: the client's display and seat. */
struct wl_display *tc_client_display(struct tc_client *client);
struct wl_seat *tc_client_seat(struct tc_client *client);
/* The latest input serial the client got (keyboard enter, key). */
uint32_t tc_client_serial(struct tc_client *client);
/* wl_touch.down events the client received so far. */
int tc_client_touch_downs(struct tc_client *client);
/* Key presses this client's wl_keyboard received, and the last key's evdev code. */
int tc_client_keys_pressed(struct tc_client *client, uint32_t *last_key);
/* The fd of the last wl_keyboard.keymap the client got (the caller owns
 * it), waiting up to timeout_ms for one; -1 if none came. */
int tc_client_keymap_fd(struct tc_client *client, int timeout_ms);
/* False once the connection has failed (e.g. a protocol error). */
bool tc_client_roundtrip(struct tc_client *client);
/* Whether the compositor sent a protocol error; if so its code and interface. */
bool tc_client_protocol_error(struct tc_client *client, uint32_t *code, const char **interface);

/* The clipboard, as an ordinary client uses it (wl_data_device). The client
 * needs keyboard focus, e.g. a window of its own, to paste. */

enum tc_copy_mode {
	TC_COPY_WRITE, /* write the text and close the pipe */
	TC_COPY_SILENT, /* keep the pipe open and never write */
	TC_COPY_FLOOD, /* write the text again and again, ignoring EPIPE */
};

/* Offers text as the selection under mime_type (NULL: the usual text types),
 * with the latest serial the client got. Answers send requests (mode) as
 * long as the client dispatches, until the selection is replaced. */
void tc_client_copy(struct tc_client *client, const char *text, const char *mime_type,
	enum tc_copy_mode mode);
/* How many send requests the client's source got, and whether it was cancelled. */
int tc_client_copy_sends(struct tc_client *client, bool *cancelled);
/* Waits up to timeout_ms for the reader of the pipe a TC_COPY_SILENT source
 * kept last to close its end; whether it did. */
bool tc_client_wait_reader_gone(struct tc_client *client, int timeout_ms);
/* Whether the client has been offered a selection holding mime_type. */
bool tc_client_offered(struct tc_client *client, const char *mime_type);
/* Asks for the selection offered to the client as mime_type; the read end
 * of the pipe it comes through, or -1 when there is no selection. */
int tc_client_receive(struct tc_client *client, const char *mime_type);
/* The selection offered to the client, received as mime_type and read to
 * the end within 3 s (dispatching meanwhile); NULL when there is none. */
char *tc_client_paste(struct tc_client *client, const char *mime_type);

struct tc_window_state {
	int32_t x, y, width, height;
	uint32_t state;
	int configures;
	int focused; /* last focus_changed, -1 before any */
	int focus_events;
	bool closed;
	int presentation_feedbacks;
	int gestures; /* navigation_gesture events, the last one below */
	uint32_t gesture_type, gesture_fingers;
	double gesture_dx, gesture_dy;
};

/* A zweft window with a surface; draws color (0xAARRGGBB) at the configured
 * size once the first configure arrived. */
struct tc_window *tc_zweft_window_create(struct tc_client *client, const char *app_id,
	const char *role, int x, int y, int width, int height, uint32_t color);
struct tc_window *tc_xdg_window_create(struct tc_client *client, const char *title,
	uint32_t color);
const struct tc_window_state *tc_window_state(struct tc_window *window);
struct wl_surface *tc_window_surface(struct tc_window *window);
void tc_window_set_geometry(struct tc_window *window, int x, int y, int width, int height);
void tc_window_update_metadata(struct tc_window *window, const char *title, const char *role);
/* Draws again at the configured size (after a configure). */
void tc_window_redraw(struct tc_window *window, uint32_t color);
/* Whether later draws declare the whole surface opaque (wl_surface.set_opaque_region). */
void tc_window_set_opaque(struct tc_window *window, bool opaque);
/* Redraws with a frame callback; whether it was done within timeout_ms. */
bool tc_window_redraw_frame(struct tc_window *window, uint32_t color, int timeout_ms);
/* Redraws with a wp_presentation feedback and waits up to 2 s for it:
 * 1 presented, 0 discarded, -1 no answer. */
int tc_window_redraw_presented(struct tc_window *window, uint32_t color);
void tc_window_destroy(struct tc_window *window);

struct tc_image {
	int width, height;
	uint32_t *pixels; /* 0xXXRRGGBB, top row first */
};

/* Captures the first output; false on failure. */
bool tc_screencopy(struct tc_client *client, struct tc_image *image);
uint32_t tc_image_pixel(const struct tc_image *image, int x, int y);
void tc_image_finish(struct tc_image *image);

/* image.c: the whole screen against a reference image, as weston's
 * check_screen does. */
/* How far a channel may be off: the compositor draws solid colours
 * exactly, but a renderer may round a blend differently. */
#define TC_TOLERANCE 2
/* Whether image matches $WEFT_TEST_REFERENCES/<name>.png, no channel of any
 * pixel off by more than tolerance. If not, says how on stderr and leaves
 * the shot (<name>.png) and the differences (<name>-diff.png, in magenta)
 * in $WEFT_TEST_OUTPUT_DIR. WEFT_TEST_WRITE_REFERENCES=1 writes the
 * reference instead (once, from a known-good run, then reviewed). */
bool tc_image_check(const struct tc_image *image, const char *name, int tolerance);

/* Virtual keyboard: press and release key (an evdev KEY_* code) with modifiers
 * held, named by xkb ("Mod4", "Control", "Mod1", "Shift"); mods may be NULL. */
void tc_key(struct tc_client *client, const char *const *mods, uint32_t key);
/* Virtual keyboard, a step at a time: the modifiers (as for tc_key, NULL:
 * none) held from now on, and a press and release of key that leaves them so. */
void tc_key_modifiers(struct tc_client *client, const char *const *mods);
void tc_key_tap(struct tc_client *client, uint32_t key);
/* Virtual pointer: move to (x, y) on the 1280x720 output and click the left button. */
void tc_click(struct tc_client *client, int x, int y);
/* Virtual pointer: a relative motion (dx, dy), from the output's middle at first. */
void tc_pointer_move_by(struct tc_client *client, double dx, double dy);
/* Dispatches the client's events until done(data) or timeout_ms; whether done. */
bool tc_client_wait(struct tc_client *client, bool (*done)(void *data), void *data,
	int timeout_ms);
/* A wheel turn of dy (surface-local units, positive: down) with the pointer at (x, y). */
void tc_scroll(struct tc_client *client, int x, int y, double dy);

#endif
