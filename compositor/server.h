/*
 * weft-compositor's shared state: the server object that owns the event loop
 * and everything hanging off it, and the declarations each file exports.
 */
#ifndef WEFT_COMPOSITOR_SERVER_H
#define WEFT_COMPOSITOR_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <wayland-server-core.h>
#include <wlr/util/box.h>

#include "weft/common.h"

struct wlr_output;
struct wlr_xwayland;
struct wlr_surface;

enum weft_backend_choice {
	WEFT_BACKEND_AUTO,
	WEFT_BACKEND_DRM,
	WEFT_BACKEND_WAYLAND,
	WEFT_BACKEND_X11,
	WEFT_BACKEND_HEADLESS,
};

/* Who may bind a restricted global (design §1; TRUST in the man page).
 * App sessions never bind a privileged one. */
enum weft_global_class {
	/* The shell; ordinary clients with --allow-desktop-tools. */
	WEFT_GLOBAL_DESKTOP_TOOL,
	/* A desktop tool that test suites need (the screen, input injection):
	 * ordinary clients also with --expose-test-protocols. */
	WEFT_GLOBAL_TEST_TOOL,
	/* Harmless to the user's own programs, no app's business: every
	 * ordinary client gets it, apps never. */
	WEFT_GLOBAL_NOT_FOR_APPS,
};

struct weft_restricted_global {
	const struct wl_global *global;
	enum weft_global_class class;
};

#define WEFT_MAX_RESTRICTED_GLOBALS 32

struct weft_options {
	enum weft_backend_choice backend;
	int width, height; /* headless output size */
	bool expose_test_protocols;
	bool allow_desktop_tools; /* privileged globals for ordinary clients */
	bool xwayland; /* X11 programs through Xwayland */
	const char *shell_cmd; /* NULL: no shell spawned */
	const char *appd_cmd; /* NULL: no appd spawned */
	int shell_fd; /* -1, or an inherited socket for an already running shell */
	int appd_fd; /* -1, or an inherited control channel of a running appd */
	const char *appd_socket; /* NULL, or where appd connects (a unit of its own) */
	bool export_environment; /* WAYLAND_DISPLAY to the systemd user manager */
};

/* How a client reached us decides what it may do (design §1). */
enum weft_client_role {
	WEFT_CLIENT_ORDINARY = 0,
	WEFT_CLIENT_SHELL,
	WEFT_CLIENT_APP,
};

/* Scene layers, bottom to top. The zweft panel is the shell's desktop and
 * covers layer-shell backgrounds; the shell's overlays (system prompts) stay
 * above every third-party layer surface. */
enum weft_layer {
	WEFT_LAYER_SHELL_BACKGROUND,
	WEFT_LAYER_PANEL,
	WEFT_LAYER_SHELL_BOTTOM,
	WEFT_LAYER_APPS,
	WEFT_LAYER_SHELL_TOP,
	WEFT_LAYER_SHELL_OVERLAY,
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
struct weft_idle;
struct weft_session_lock;
struct weft_seat;
struct weft_control;
struct weft_appd_listener;
struct weft_output_management;
struct weft_pointer;
struct weft_shortcuts_inhibit;
struct weft_text_input;
struct weft_foreign_toplevels;
struct weft_layer_shell;
struct weft_activation;
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
	/* Globals the filter shows only to clients entitled to them. */
	struct weft_restricted_global restricted[WEFT_MAX_RESTRICTED_GLOBALS];
	size_t nrestricted;

	struct weft_seat *seat;
	struct weft_output_management *output_management;
	struct weft_text_input *text_input;
	struct weft_pointer *pointer;
	struct weft_shortcuts_inhibit *shortcuts_inhibit;

	struct wlr_xwayland *xwayland; /* NULL without --xwayland */
	struct wl_listener xwayland_new_surface;
	struct wl_listener xwayland_ready;

	/* Every view, topmost first. */
	struct wl_list views; /* weft_view.link */
	struct weft_view *focused;

	struct weft_child *shell;
	struct weft_child *appd;
	struct weft_control *control;
	struct weft_appd_listener *appd_listener; /* --appd-socket */
	bool exported_environment; /* --export-environment: unset it at exit */
	struct weft_control *shell_control; /* the shell channel, NULL without a shell */
	/* Shell keys (keybindings.c): Super went down with no key since; an
	 * Alt+Tab switch is under way until Alt goes up. */
	bool super_alone;
	bool switching;
	struct weft_clipboard *clipboard;
	struct weft_session_lock *session_lock;
	struct weft_idle *idle;
	struct weft_layer_shell *layer_shell;
	struct weft_foreign_toplevels *foreign_toplevels;
	struct weft_activation *activation;
	struct wl_event_source *sigchld;
	struct wl_event_source *sigterm, *sigint, *sigpipe;
	/* Found at teardown: a listener of ours left on an object (a bug). */
	bool listeners_left;
};

/* server.c */
bool weft_server_init(struct weft_server *server, const struct weft_options *options,
	struct weft_error *err);
/* Starts the backend and children; the socket is up when this returns true. */
bool weft_server_start(struct weft_server *server, struct weft_error *err);
void weft_server_finish(struct weft_server *server);
/*
 * Before an object goes: logs each listener of ours still on one of its n
 * signals (its events, see WEFT_EVENTS) and sets listeners_left.
 */
void weft_server_check_unheard(struct weft_server *server, const char *what,
	struct wl_signal *signals, size_t n);
/* The signals of a wlroots object, whose events struct holds only signals. */
#define WEFT_EVENTS(obj) \
	(struct wl_signal *)&(obj)->events, sizeof((obj)->events) / sizeof(struct wl_signal)

/* client.c: identity of clients we created ourselves */
struct wl_client *weft_client_create_tagged(struct weft_server *server, int fd,
	enum weft_client_role role, const char *app_id, const char *session_id);
enum weft_client_role weft_client_role(struct wl_client *client);
/* The app id / session id of a tagged app client, else NULL. */
const char *weft_client_app_id(struct wl_client *client);
const char *weft_client_session_id(struct wl_client *client);
/* Shows global only to the clients its class allows; false when the table
 * is full (a programming error: raise WEFT_MAX_RESTRICTED_GLOBALS). */
bool weft_server_restrict_global(struct weft_server *server, const struct wl_global *global,
	enum weft_global_class class);
bool weft_global_filter(const struct wl_client *client, const struct wl_global *global,
	void *data);

/* output.c */
bool weft_output_init(struct weft_server *server);
void weft_output_finish(struct weft_server *server);
/* The output windows are laid out on; false when there is none. */
bool weft_output_primary_box(struct weft_server *server, struct wlr_box *box);

/* output_management.c: wlr-output-management (privileged) */
bool weft_output_management_init(struct weft_server *server);
void weft_output_management_finish(struct weft_server *server);
void weft_output_management_update(struct weft_server *server);

/* text_input.c: text-input-v3 relayed to an input-method-v2 (privileged) */
bool weft_text_input_init(struct weft_server *server);
void weft_text_input_finish(struct weft_server *server);

/* pointer.c: relative pointer, pointer constraints, gestures for clients */
bool weft_pointer_init(struct weft_server *server);
void weft_pointer_finish(struct weft_server *server);
/* Sends relative motion to the focused client and narrows (dx, dy) to what
 * an active lock or confinement allows. */
void weft_pointer_motion(struct weft_server *server, uint32_t time_msec, double *dx, double *dy,
	double unaccel_dx, double unaccel_dy);

/* shortcuts_inhibit.c: keyboard-shortcuts-inhibit */
bool weft_shortcuts_inhibit_init(struct weft_server *server);
void weft_shortcuts_inhibit_finish(struct weft_server *server);
/* Whether the focused surface inhibits the compositor's shortcuts. */
bool weft_shortcuts_inhibited(struct weft_server *server);
/* Turns the focused surface's inhibitor off until it has the keyboard again. */
void weft_shortcuts_inhibit_lift(struct weft_server *server);

/* touch.c: touch points for clients, edge swipes for the system */
struct weft_touch *weft_touch_create(struct weft_seat *seat);
void weft_touch_destroy(struct weft_touch *touch);
void weft_touch_add_device(struct weft_touch *touch, struct wlr_input_device *device);
bool weft_touch_has_devices(struct weft_touch *touch);

/* keybindings.c */
bool weft_keybinding_handle(struct weft_server *server, uint32_t modifiers, uint32_t keysym);
/* A key went up: Super alone opens the shell's launcher, Alt ends a switch. */
void weft_keybinding_release(struct weft_server *server, uint32_t keysym);
void weft_keybinding_modifiers(struct weft_server *server, uint32_t modifiers);

/* session_lock.c: ext-session-lock-v1; the lock outlives its locker */
struct weft_session_lock *weft_session_lock_create(struct weft_server *server);
void weft_session_lock_destroy(struct weft_session_lock *manager);
const struct wl_global *weft_session_lock_global(struct weft_session_lock *manager);
bool weft_session_lock_is_locked(struct weft_session_lock *manager);
/* While locked, ends every input grab (the lock surfaces need none). */
void weft_session_lock_end_grabs(struct weft_session_lock *manager);
/* Whether surface may have input: always unless locked, then only the
 * current locker's lock surfaces. */
bool weft_session_lock_allows_focus(struct weft_session_lock *manager,
	struct wlr_surface *surface);

/* idle.c: ext-idle-notify-v1, org_kde_kwin_idle and idle-inhibit */
struct weft_idle *weft_idle_create(struct weft_server *server);
void weft_idle_destroy(struct weft_idle *idle);
/* Hides the idle notifiers from apps (server.c says why). */
bool weft_idle_restrict_notifiers(struct weft_idle *idle);
/* Input happened: every idle timer starts again. */
void weft_idle_notify_activity(struct weft_idle *idle);
/* Something was shown or hidden: whether an inhibitor is visible may change. */
void weft_idle_update_inhibited(struct weft_server *server);

/* xdg_shell.c */
bool weft_xdg_shell_init(struct weft_server *server, struct weft_error *err);
void weft_xdg_shell_finish(struct weft_server *server);

/* zweft_shell.c */
bool weft_zweft_shell_init(struct weft_server *server);
void weft_zweft_send_presentation(struct weft_server *server, struct wlr_output *output,
	const struct timespec *when, uint32_t refresh);
void weft_zweft_send_gesture(struct weft_server *server, uint32_t type, uint32_t fingers,
	double dx, double dy);

/* xwayland.c: X11 programs (--xwayland); without it, children get no DISPLAY */
#ifdef HAVE_XWAYLAND
bool weft_xwayland_init(struct weft_server *server, struct weft_error *err);
void weft_xwayland_finish(struct weft_server *server);
bool weft_xwayland_is_client(struct weft_server *server, const struct wl_client *client);
#else
static inline bool weft_xwayland_init(struct weft_server *server, struct weft_error *err)
{
	unsetenv("DISPLAY");
	if (server->options.xwayland) {
		weft_error_set(err, "this weft-compositor was built without Xwayland");
		return false;
	}
	return true;
}
static inline void weft_xwayland_finish(struct weft_server *server)
{
}
static inline bool weft_xwayland_is_client(struct weft_server *server,
	const struct wl_client *client)
{
	return false;
}
#endif

/* layer_shell.c: wlr-layer-shell bars, launchers, notifications */
struct weft_layer_shell *weft_layer_shell_create(struct weft_server *server);
void weft_layer_shell_destroy(struct weft_layer_shell *shell);
/* Shrinks area (the output box less the panel's zone) by the exclusive zones
 * of the mapped layer surfaces on the primary output. */
void weft_layer_shell_reserve(struct weft_server *server, struct wlr_box *area);
/* Places and configures every layer surface; area as for reserve. */
void weft_layer_shell_arrange(struct weft_server *server, const struct wlr_box *area);
/* The surface that should have the keyboard when the policy would give it to
 * surface: an exclusive layer surface keeps it; an on-demand one lets go. */
struct wlr_surface *weft_layer_shell_keyboard_focus(struct weft_server *server,
	struct wlr_surface *surface);
/* A click on surface, which belongs to no view: an interactive layer surface
 * takes the keyboard. */
void weft_layer_shell_click(struct weft_server *server, struct wlr_surface *surface);

/* foreign_toplevel.c: the window list for taskbars and docks */
struct weft_foreign_toplevels *weft_foreign_toplevels_create(struct weft_server *server);
void weft_foreign_toplevels_destroy(struct weft_foreign_toplevels *toplevels);
/* Creates, updates or removes the view's handle to match the view. */
void weft_foreign_toplevel_update(struct weft_view *view);
void weft_foreign_toplevel_remove(struct weft_view *view);

/* activation.c: xdg-activation, focus only for a valid token */
struct weft_activation *weft_activation_create(struct weft_server *server);
void weft_activation_destroy(struct weft_activation *activation);

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

/* appd_socket.c: the control channel appd connects to (--appd-socket) */
struct weft_appd_listener *weft_appd_listener_create(struct weft_server *server, const char *path,
	struct weft_error *err);
void weft_appd_listener_destroy(struct weft_appd_listener *listener);

/* systemd.c: WAYLAND_DISPLAY (and DISPLAY) in the user manager's environment */
bool weft_systemd_export_environment(struct weft_server *server, struct weft_error *err);
void weft_systemd_unexport_environment(struct weft_server *server);

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
/* The shell channel: only focus_session, and shell_key events. */
struct weft_control *weft_control_create_shell(struct weft_server *server, int fd);
void weft_control_send_shell_key(struct weft_control *control, const char *action);
void weft_control_destroy(struct weft_control *control);
void weft_control_send_event(struct weft_control *control, const char *event, const char *app_id,
	const char *session_id);
void weft_control_send_gesture(struct weft_control *control, uint32_t type, uint32_t fingers,
	double dx, double dy);

#endif
