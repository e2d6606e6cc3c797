/*
 * weft-compositor's shared state: the server object that owns the event loop
 * and everything hanging off it, and the declarations each file exports.
 */
#ifndef WEFT_COMPOSITOR_SERVER_H
#define WEFT_COMPOSITOR_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <wayland-server-core.h>
#include <wlr/util/box.h>

#include "weft/common.h"

struct wlr_output;
struct wlr_surface;

enum weft_backend_choice {
	WEFT_BACKEND_AUTO,
	WEFT_BACKEND_DRM,
	WEFT_BACKEND_WAYLAND,
	WEFT_BACKEND_X11,
	WEFT_BACKEND_HEADLESS,
};

struct weft_options {
	enum weft_backend_choice backend;
	int width, height; /* headless output size */
	bool expose_test_protocols;
	const char *shell_cmd; /* NULL: no shell spawned */
	const char *appd_cmd; /* NULL: no appd spawned */
	int shell_fd; /* -1, or an inherited socket for an already running shell */
	int appd_fd; /* -1, or an inherited control channel of a running appd */
};

/* How a client reached us decides what it may do (design §1). */
enum weft_client_role {
	WEFT_CLIENT_ORDINARY = 0,
	WEFT_CLIENT_SHELL,
	WEFT_CLIENT_APP,
};

/* Scene layers, bottom to top. */
enum weft_layer {
	WEFT_LAYER_PANEL,
	WEFT_LAYER_APPS,
	WEFT_LAYER_OVERLAY,
	WEFT_LAYER_COUNT,
};

enum weft_role {
	WEFT_ROLE_PANEL,
	WEFT_ROLE_OVERLAY,
	WEFT_ROLE_APPLICATION,
	WEFT_ROLE_DIALOG,
};

/* zweft_shell_window_v1 state bits, also used for xdg toplevels. */
enum {
	WEFT_STATE_MAXIMIZED = 1,
	WEFT_STATE_FULLSCREEN = 2,
	WEFT_STATE_ACTIVATED = 4,
	WEFT_STATE_RESIZING = 8,
};

struct json_object;
struct weft_child;
struct weft_clipboard;
struct weft_control;
struct weft_touch;
struct weft_view;
struct wlr_input_device;

struct weft_server {
	struct weft_options options;
	struct wl_display *display;
	struct wl_event_loop *loop;
	const char *socket;

	struct wlr_backend *backend;
	struct wlr_backend *headless; /* the headless sub-backend, if any */
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	struct wlr_compositor *compositor;
	struct wlr_presentation *presentation;

	struct wlr_scene *scene;
	struct wlr_scene_tree *layers[WEFT_LAYER_COUNT];
	struct wlr_output_layout *output_layout;
	struct wl_list outputs; /* weft_output.link */
	struct wl_listener new_output;
	struct wl_listener layout_change;

	struct wlr_xdg_shell *xdg_shell;
	struct wl_listener new_xdg_surface;
	struct wlr_xdg_decoration_manager_v1 *decoration_manager;
	struct wl_listener new_decoration;

	struct wl_global *zweft_global;
	/* Globals the filter hides from clients not entitled to them. */
	const struct wl_global *screencopy_global;
	const struct wl_global *virtual_pointer_global;
	const struct wl_global *virtual_keyboard_global;
	const struct wl_global *data_control_global;
	const struct wl_global *input_method_global;

	struct wlr_seat *seat;
	struct wlr_cursor *cursor;
	struct wlr_xcursor_manager *cursor_manager;
	bool cursor_shown;
	struct wl_list keyboards; /* weft_keyboard.link */
	struct wl_listener new_input;
	struct wl_listener new_virtual_keyboard;
	struct wl_listener new_virtual_pointer;
	struct wl_listener cursor_motion;
	struct wl_listener cursor_motion_absolute;
	struct wl_listener cursor_button;
	struct wl_listener cursor_axis;
	struct wl_listener cursor_frame;
	struct wl_listener swipe_begin, swipe_update, swipe_end;
	struct wl_listener pinch_begin, pinch_update, pinch_end;
	struct wl_listener hold_begin, hold_end;
	struct wl_listener request_set_cursor;
	struct wl_listener request_set_selection;
	struct wl_listener request_set_primary_selection;
	struct wl_listener request_start_drag;
	struct wl_listener start_drag;
	struct {
		uint32_t fingers;
		double dx, dy, scale, rotation;
	} gesture;
	struct weft_touch *touch;

	/* Every view, topmost first. */
	struct wl_list views; /* weft_view.link */
	struct weft_view *focused;

	struct weft_child *shell;
	struct weft_child *appd;
	struct weft_control *control;
	struct weft_clipboard *clipboard;
	struct wl_event_source *sigchld;
	struct wl_event_source *sigterm, *sigint, *sigpipe;
};

/* server.c */
bool weft_server_init(struct weft_server *server, const struct weft_options *options,
	struct weft_error *err);
/* Starts the backend and children; the socket is up when this returns true. */
bool weft_server_start(struct weft_server *server, struct weft_error *err);
void weft_server_finish(struct weft_server *server);

/* client.c: identity of clients we created ourselves */
struct wl_client *weft_client_create_tagged(struct weft_server *server, int fd,
	enum weft_client_role role, const char *app_id, const char *session_id);
enum weft_client_role weft_client_role(struct wl_client *client);
/* The app id / session id of a tagged app client, else NULL. */
const char *weft_client_app_id(struct wl_client *client);
const char *weft_client_session_id(struct wl_client *client);
bool weft_global_filter(const struct wl_client *client, const struct wl_global *global,
	void *data);

/* output.c */
void weft_output_init(struct weft_server *server);
void weft_output_finish(struct weft_server *server);
/* The output windows are laid out on; false when there is none. */
bool weft_output_primary_box(struct weft_server *server, struct wlr_box *box);

/* seat.c */
bool weft_seat_init(struct weft_server *server, struct weft_error *err);
void weft_seat_finish(struct weft_server *server);
void weft_seat_focus_surface(struct weft_server *server, struct wlr_surface *surface);
void weft_seat_add_headless_keyboard(struct weft_server *server);
void weft_seat_update_capabilities(struct weft_server *server);
/* The view and surface under (lx, ly), with surface-local coordinates. */
struct weft_view *weft_seat_view_at(struct weft_server *server, double lx, double ly,
	struct wlr_surface **surface, double *sx, double *sy);

/* touch.c: touch points for clients, edge swipes for the system */
struct weft_touch *weft_touch_create(struct weft_server *server);
void weft_touch_destroy(struct weft_touch *touch);
void weft_touch_add_device(struct weft_touch *touch, struct wlr_input_device *device);
bool weft_touch_has_devices(struct weft_touch *touch);

/* keybindings.c */
bool weft_keybinding_handle(struct weft_server *server, uint32_t modifiers, uint32_t keysym);

/* xdg_shell.c */
void weft_xdg_shell_init(struct weft_server *server);

/* zweft_shell.c */
bool weft_zweft_shell_init(struct weft_server *server);
void weft_zweft_send_presentation(struct weft_server *server, struct wlr_output *output,
	const struct timespec *when, uint32_t refresh);
void weft_zweft_send_gesture(struct weft_server *server, uint32_t type, uint32_t fingers,
	double dx, double dy);

/* spawn.c: trusted children restarted with back-off */
struct weft_child *weft_child_create(struct weft_server *server, const char *name, const char *cmd,
	enum weft_client_role role);
void weft_child_destroy(struct weft_child *child);
/* Reaps exited children and schedules restarts. */
void weft_children_reap(struct weft_server *server);

/* clipboard.c: the seat's selection as text, for apps through appd */
#define WEFT_CLIPBOARD_MAX (1024 * 1024) /* bytes of text, either way */
struct weft_clipboard_read;
/* With text (len bytes of UTF-8, no NUL), or with text NULL and an error:
 * code "empty", "timeout", "too_large", "not_utf8" or "internal". */
typedef void (*weft_clipboard_read_func)(void *data, const char *text, size_t len,
	const char *code, const char *message);
struct weft_clipboard *weft_clipboard_create(struct weft_server *server);
void weft_clipboard_destroy(struct weft_clipboard *clipboard);
/* Makes text the seat's selection, offered as text by the compositor.
 * On failure *code is "too_large", "not_utf8" or "internal". */
bool weft_clipboard_write(struct weft_clipboard *clipboard, const char *text, size_t len,
	const char **code, struct weft_error *err);
/* Starts reading the selection: func runs once, from the event loop, unless
 * the read is cancelled first. NULL when it cannot start, with *code
 * ("empty", "busy", "internal") and err. */
struct weft_clipboard_read *weft_clipboard_read(struct weft_clipboard *clipboard,
	weft_clipboard_read_func func, void *data, const char **code, struct weft_error *err);
void weft_clipboard_read_cancel(struct weft_clipboard_read *reading);

/* control.c: the appd control channel (design §3) */
enum weft_control_type {
	WEFT_CONTROL_CREATE_CLIENT,
	WEFT_CONTROL_FOCUS_SESSION,
	WEFT_CONTROL_CLOSE_SESSION,
	WEFT_CONTROL_CLIPBOARD_WRITE,
	WEFT_CONTROL_CLIPBOARD_READ,
};
/* A request, decoded without touching any state. Strings are the message's. */
struct weft_control_request {
	enum weft_control_type type;
	const char *app_id, *session_id; /* create_client; session_id: focus, close too */
	const char *text; /* clipboard_write, text_len bytes, NULs possible */
	size_t text_len;
};
/* Decodes msg, a JSON object; false with the error reply's code and message
 * (err) when it is no valid request. */
bool weft_control_decode(struct json_object *msg, struct weft_control_request *req,
	const char **code, struct weft_error *err);
struct weft_control *weft_control_create(struct weft_server *server, int fd);
void weft_control_destroy(struct weft_control *control);
void weft_control_send_event(struct weft_control *control, const char *event, const char *app_id,
	const char *session_id);
void weft_control_send_gesture(struct weft_control *control, uint32_t type, uint32_t fingers,
	double dx, double dy);

#endif
