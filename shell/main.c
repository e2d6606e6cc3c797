/*
 * weft-shell: the system UI (design §1). Two libweftview views of
 * weft-system://ui/system-ui.html: a panel (zweft "panel": the desktop under
 * the apps, with a strip reserved at the top) and an overlay (zweft
 * "overlay": launcher, switcher, lock screen; hidden until the page asks).
 * The page talks to the host through window.weftIpc: appd requests go to
 * appd on the shell's own connection, one per view, and come back as they
 * are; the host's own requests (shell.*) focus apps through the
 * compositor's shell channel, show and hide the overlay, and lock and
 * unlock the session (ext-session-lock: the lock outlives the shell).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <wayland-client.h>

#include "ext-idle-notify-v1-client-protocol.h"
#include "host.h"
#include "input.h"
#include "loop.h"
#include "view-input.h"
#include "weft/appd-protocol.h"
#include "weft/compositor-protocol.h"
#include "weft/ipc.h"
#include "weft/log.h"
#include "weft/manifest.h"
#include "weft/paths.h"
#include "weft/webview.h"
#include "window.h"

#define DEFAULT_PANEL_HEIGHT 48
#define DEFAULT_IDLE_SECONDS 300
#define MAX_FOCUS_WAITS 32
#define SHUTDOWN_SECONDS 5
#define DEFAULT_PAM_SERVICE "weft-shell"
#define FALLBACK_PAM_SERVICE "login"
/* After appd went away (restarted, say), how often to try it again. */
#define APPD_RETRY_MS 250

struct shell;

/* The panel or the overlay: a window, its view, its own appd connection. */
struct shell_view {
	struct shell *shell;
	const char *name;
	struct app_window *window;
	struct app_input *input;
	struct weft_webview *view;
	int appd_fd;
	/* The connection to appd was lost: the page is told when it is back. */
	bool appd_lost;
	/* Frames are shown once the page has loaded (no blank flash): until
	 * then, and for the overlay always, the last one is kept here. */
	bool loaded;
	uint8_t *frame;
	uint32_t frame_width, frame_height, frame_stride;
};

/* A shell.focus waiting for the compositor's reply. */
struct focus_wait {
	long id; /* 0: free */
	struct shell_view *from;
	struct json_object *request;
};

struct shell {
	struct wl_display *display;
	struct weft_webview_engine *engine;
	struct shell_view panel, overlay;
	/* The lock screen: the overlay's frames on an ext-session-lock surface. */
	struct app_window *lock_window;
	struct app_input *lock_input;
	bool locked;
	struct json_object *lock_request; /* shell.lock waiting for "locked" */
	struct shell_view *lock_requester;

	/* shell.idle: ext-idle-notify on a registry of our own. */
	struct wl_registry *registry;
	struct ext_idle_notifier_v1 *idle_notifier;
	struct wl_seat *idle_seat;
	struct ext_idle_notification_v1 *idle;
	long idle_seconds; /* 0: never */

	int channel_fd; /* the compositor's shell channel, -1 without */
	long next_id;
	struct focus_wait focus[MAX_FOCUS_WAITS];
	int signal_fd;
	int appd_retry_fd; /* a timerfd, armed while a view's appd is lost */

	char *ui_dir;
	char *appd_path;
	const char *pam_service;
	const char *pam_confdir; /* for tests: PAM files from another directory */
	int panel_height;
	bool running;
	int status;
};

static char message_buf[WEFT_MSG_MAX];

static void stop(struct shell *shell, int status, const char *fmt, ...) WEFT_PRINTF(3, 4);

static void stop(struct shell *shell, int status, const char *fmt, ...)
{
	if (fmt != NULL) {
		char msg[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		weft_log(status == 0 ? WEFT_INFO : WEFT_ERROR, "%s", msg);
	}
	if (shell->running) {
		shell->status = status;
	}
	shell->running = false;
}

/* Posts msg (taken) to one view's page. */
static void post(struct shell_view *sv, struct json_object *msg)
{
	if (msg == NULL) {
		weft_log(WEFT_WARN, "out of memory");
		return;
	}
	size_t len;
	const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
	if (sv->view != NULL && !weft_webview_post_message(sv->view, text, len)) {
		weft_log(WEFT_WARN, "%s: a message to the page was dropped", sv->name);
	}
	json_object_put(msg);
}

/* Posts an event (taken) to both pages. */
static void post_event(struct shell *shell, struct json_object *msg)
{
	post(&shell->panel, json_object_get(msg));
	post(&shell->overlay, msg);
}

static struct json_object *event_new(const char *name)
{
	struct json_object *msg = json_object_new_object();
	if (msg != NULL) {
		json_object_object_add(msg, WEFT_MSG_EVENT, json_object_new_string(name));
	}
	return msg;
}

static void post_locked(struct shell *shell, bool locked)
{
	struct json_object *msg = event_new(SHELL_EVENT_LOCKED);
	if (msg != NULL) {
		json_object_object_add(msg, "locked", json_object_new_boolean(locked));
	}
	post_event(shell, msg);
}

/* appd */

static void post_appd_connected(struct shell_view *sv, bool connected)
{
	struct json_object *msg = event_new(SHELL_EVENT_APPD);
	if (msg != NULL) {
		json_object_object_add(msg, "connected", json_object_new_boolean(connected));
	}
	post(sv, msg);
}

static void appd_retry_arm(struct shell *shell, bool on)
{
	long ms = on ? APPD_RETRY_MS : 0;
	struct itimerspec when = {
		.it_value = { ms / 1000, (ms % 1000) * 1000000 },
		.it_interval = { ms / 1000, (ms % 1000) * 1000000 },
	};
	if (shell->appd_retry_fd >= 0 &&
		timerfd_settime(shell->appd_retry_fd, 0, &when, NULL) != 0) {
		weft_log_errno(WEFT_WARN, "timerfd_settime");
	}
}

static bool appd_connect(struct shell_view *sv, struct weft_error *err)
{
	if (sv->appd_fd >= 0) {
		return true;
	}
	int fd = weft_ipc_connect(sv->shell->appd_path, err);
	if (fd < 0) {
		return false;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		weft_error_errno(err, "fcntl");
		close(fd);
		return false;
	}
	sv->appd_fd = fd;
	if (sv->appd_lost) {
		/* The page subscribes again and reloads what it shows. */
		sv->appd_lost = false;
		weft_log(WEFT_INFO, "%s: connected to appd again", sv->name);
		post_appd_connected(sv, true);
		struct shell *shell = sv->shell;
		appd_retry_arm(shell, shell->panel.appd_lost || shell->overlay.appd_lost);
	}
	return true;
}

static void appd_close(struct shell_view *sv)
{
	if (sv->appd_fd >= 0) {
		close(sv->appd_fd);
		sv->appd_fd = -1;
	}
}

/* appd hung up (it restarts, or dropped us for not reading): whatever the
 * page subscribed to and asked is gone with the connection. The page is
 * told, and told again once a new connection is made. */
static void appd_lose(struct shell_view *sv)
{
	appd_close(sv);
	if (!sv->appd_lost) {
		sv->appd_lost = true;
		post_appd_connected(sv, false);
		appd_retry_arm(sv->shell, true);
	}
}

static void appd_retry(struct shell *shell)
{
	uint64_t expirations;
	if (read(shell->appd_retry_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) {
		weft_log_errno(WEFT_WARN, "timerfd read");
	}
	struct shell_view *views[] = { &shell->panel, &shell->overlay };
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		struct weft_error ignored = { 0 };
		if (views[i]->appd_lost) {
			appd_connect(views[i], &ignored);
		}
	}
}

/* An apps reply: the icons its packages name become weft-system://app-icon/<id>. */
static void serve_icons(struct shell *shell, const char *text, size_t len)
{
	if (strstr(text, "\"" WEFT_APPD_KEY_APPS "\"") == NULL) {
		return;
	}
	struct weft_error err = { 0 };
	struct json_object *msg = weft_ipc_parse_json(text, len, &err);
	struct json_object *apps;
	if (msg == NULL || !json_object_object_get_ex(msg, WEFT_APPD_KEY_APPS, &apps) ||
		!json_object_is_type(apps, json_type_array)) {
		json_object_put(msg);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(apps); i++) {
		struct json_object *app = json_object_array_get_idx(apps, i);
		const char *id = weft_json_get_string(app, WEFT_APPD_KEY_ID);
		const char *path = weft_json_get_string(app, "path");
		if (id == NULL || path == NULL) {
			continue;
		}
		char *manifest_path = weft_path_join(path, "wapp.toml");
		struct weft_diags diags = { 0 };
		struct weft_manifest *manifest = manifest_path != NULL
			? weft_manifest_load(manifest_path, &diags)
			: NULL;
		if (manifest != NULL && manifest->icon != NULL) {
			if (shell_icon_path_ok(manifest->icon)) {
				weft_webview_engine_serve_app_icon(shell->engine, id, path,
					manifest->icon);
			} else {
				weft_log(WEFT_WARN, "%s: icon '%s' is not a .png or .svg file", id,
					manifest->icon);
			}
		}
		weft_manifest_destroy(manifest);
		weft_diags_finish(&diags);
		free(manifest_path);
	}
	json_object_put(msg);
}

/* Relays whatever appd sent to the view's page, as it is. */
static void appd_dispatch(struct shell_view *sv)
{
	for (;;) {
		struct weft_error err = { 0 };
		ssize_t n = weft_ipc_recv(sv->appd_fd, message_buf, sizeof(message_buf) - 1, NULL,
			NULL, &err);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return;
		}
		if (n <= 0) {
			weft_log(WEFT_WARN, "%s: appd %s", sv->name, n == 0 ? "hung up" : err.msg);
			appd_lose(sv);
			return;
		}
		message_buf[n] = '\0';
		serve_icons(sv->shell, message_buf, (size_t)n);
		if (!weft_webview_post_message(sv->view, message_buf, (size_t)n)) {
			weft_log(WEFT_WARN, "%s: an appd message to the page was dropped",
				sv->name);
		}
	}
}

static void forward_to_appd(struct shell_view *sv, struct json_object *request, const char *text,
	size_t len)
{
	struct weft_error err = { 0 };
	if (!appd_connect(sv, &err)) {
		post(sv, shell_reply_error(request, SHELL_ERR_UNAVAILABLE, err.msg));
		return;
	}
	if (!weft_ipc_send(sv->appd_fd, text, len, NULL, 0, &err)) {
		appd_lose(sv);
		post(sv, shell_reply_error(request, SHELL_ERR_UNAVAILABLE, err.msg));
	}
}

/* The compositor's shell channel */

static void focus_reply(struct shell *shell, struct json_object *reply)
{
	struct json_object *id;
	if (!json_object_object_get_ex(reply, WEFT_MSG_ID, &id)) {
		return;
	}
	long want = (long)json_object_get_int64(id);
	for (size_t i = 0; i < MAX_FOCUS_WAITS; i++) {
		struct focus_wait *w = &shell->focus[i];
		if (w->id == 0 || w->id != want) {
			continue;
		}
		struct json_object *error;
		if (json_object_object_get_ex(reply, WEFT_MSG_ERROR, &error)) {
			const char *code = weft_json_get_string(error, WEFT_MSG_CODE);
			const char *message = weft_json_get_string(error, WEFT_MSG_MESSAGE);
			post(w->from,
				shell_reply_error(w->request,
					code != NULL ? code : SHELL_ERR_NOT_FOUND,
					message != NULL ? message : "not focused"));
		} else {
			post(w->from, shell_reply_ok(w->request));
		}
		json_object_put(w->request);
		*w = (struct focus_wait){ 0 };
		return;
	}
}

static void channel_event(struct shell *shell, struct json_object *msg, const char *event);

static void channel_dispatch(struct shell *shell)
{
	for (;;) {
		struct weft_error err = { 0 };
		bool hangup = false;
		struct json_object *msg = weft_ipc_recv_json(shell->channel_fd, NULL, NULL,
			&hangup, &err);
		if (msg == NULL) {
			if (!hangup && (errno == EAGAIN || errno == EINTR)) {
				return;
			}
			stop(shell, 1, "compositor's shell channel: %s",
				hangup ? "hung up" : err.msg);
			return;
		}
		const char *event = weft_json_get_string(msg, WEFT_MSG_EVENT);
		if (event != NULL) {
			channel_event(shell, msg, event);
		} else {
			focus_reply(shell, msg);
		}
		json_object_put(msg);
	}
}

static void request_focus(struct shell_view *sv, struct shell_request *req)
{
	struct shell *shell = sv->shell;
	if (shell->channel_fd < 0) {
		post(sv,
			shell_reply_error(req->msg, SHELL_ERR_UNAVAILABLE,
				"no shell channel to the compositor"));
		return;
	}
	struct focus_wait *w = NULL;
	for (size_t i = 0; i < MAX_FOCUS_WAITS && w == NULL; i++) {
		if (shell->focus[i].id == 0) {
			w = &shell->focus[i];
		}
	}
	if (w == NULL) {
		post(sv,
			shell_reply_error(req->msg, SHELL_ERR_UNAVAILABLE,
				"too many focus requests in flight"));
		return;
	}
	struct json_object *msg = json_object_new_object();
	long id = ++shell->next_id;
	json_object_object_add(msg, WEFT_MSG_TYPE,
		json_object_new_string(WEFT_COMPOSITOR_REQ_FOCUS_SESSION));
	json_object_object_add(msg, WEFT_COMPOSITOR_KEY_SESSION_ID,
		json_object_new_string(req->session_id));
	json_object_object_add(msg, WEFT_MSG_ID, json_object_new_int64(id));
	struct weft_error err = { 0 };
	bool sent = weft_ipc_send_json(shell->channel_fd, msg, NULL, 0, &err);
	json_object_put(msg);
	if (!sent) {
		post(sv, shell_reply_error(req->msg, SHELL_ERR_UNAVAILABLE, err.msg));
		return;
	}
	*w = (struct focus_wait){ .id = id, .from = sv, .request = json_object_get(req->msg) };
}

/* The lock */

static void present_kept(struct shell_view *sv);

static void lock_window_configure(void *data, int32_t width, int32_t height, int32_t scale)
{
	struct shell *shell = data;
	present_kept(&shell->overlay);
}

static void lock_window_close(void *data)
{
	struct shell *shell = data;
	weft_log(WEFT_WARN, "the session lock was refused or ended");
	if (shell->lock_request != NULL) {
		post(shell->lock_requester,
			shell_reply_error(shell->lock_request, SHELL_ERR_DENIED,
				"the compositor refused the lock"));
		json_object_put(shell->lock_request);
		shell->lock_request = NULL;
	}
}

static void lock_window_locked(void *data)
{
	struct shell *shell = data;
	shell->locked = true;
	weft_log(WEFT_INFO, "session locked");
	if (shell->lock_request != NULL) {
		post(shell->lock_requester, shell_reply_ok(shell->lock_request));
		json_object_put(shell->lock_request);
		shell->lock_request = NULL;
	}
	post_locked(shell, true);
}

static void lock_window_seat(void *data, struct wl_seat *seat, struct wl_surface *surface)
{
	struct shell *shell = data;
	struct weft_error err = { 0 };
	app_input_destroy(shell->lock_input);
	/* Keys on the lock surface go to the overlay's page: the lock screen. */
	shell->lock_input = app_input_create(seat, surface, &app_view_input_listener,
		&shell->overlay.view, &err);
	if (shell->lock_input == NULL) {
		weft_log(WEFT_ERROR, "lock screen input: %s", err.msg);
	}
}

static const struct app_window_listener lock_window_listener = {
	.configure = lock_window_configure,
	.close = lock_window_close,
	.seat = lock_window_seat,
	.locked = lock_window_locked,
};

static bool lock_start(struct shell *shell, struct weft_error *err)
{
	if (shell->lock_window != NULL) {
		return true;
	}
	const struct app_window_options options = {
		.display = shell->display,
		.app_id = "weft-shell",
		.title = "lock",
		.role = APP_WINDOW_ROLE_LOCK,
	};
	shell->lock_window = app_window_create_with(&options, &lock_window_listener, shell, err);
	return shell->lock_window != NULL;
}

static void lock_end(struct shell *shell)
{
	app_input_destroy(shell->lock_input);
	shell->lock_input = NULL;
	if (shell->lock_window != NULL) {
		app_window_unlock(shell->lock_window);
		app_window_destroy(shell->lock_window);
		shell->lock_window = NULL;
	}
	shell->locked = false;
}

static void request_lock(struct shell_view *sv, struct shell_request *req)
{
	struct shell *shell = sv->shell;
	if (shell->locked) {
		post(sv, shell_reply_ok(req->msg));
		return;
	}
	if (shell->lock_request != NULL) {
		post(sv, shell_reply_error(req->msg, SHELL_ERR_UNAVAILABLE, "already locking"));
		return;
	}
	struct weft_error err = { 0 };
	if (!lock_start(shell, &err)) {
		post(sv, shell_reply_error(req->msg, SHELL_ERR_UNAVAILABLE, err.msg));
		return;
	}
	shell->lock_request = json_object_get(req->msg);
	shell->lock_requester = sv;
}

struct pam_password {
	const char *password;
};

static int pam_conversation(int n, const struct pam_message **msgs, struct pam_response **out,
	void *data)
{
	const struct pam_password *pw = data;
	struct pam_response *replies = calloc((size_t)n, sizeof(*replies));
	if (replies == NULL) {
		return PAM_BUF_ERR;
	}
	for (int i = 0; i < n; i++) {
		if (msgs[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
			msgs[i]->msg_style == PAM_PROMPT_ECHO_ON) {
			replies[i].resp = strdup(pw->password);
			if (replies[i].resp == NULL) {
				for (int j = 0; j < i; j++) {
					free(replies[j].resp);
				}
				free(replies);
				return PAM_BUF_ERR;
			}
		}
	}
	*out = replies;
	return PAM_SUCCESS;
}

static bool pam_service_exists(struct shell *shell, const char *service)
{
	const char *dir = shell->pam_confdir != NULL ? shell->pam_confdir : "/etc/pam.d";
	char *path = weft_path_join(dir, service);
	bool exists = path != NULL && access(path, F_OK) == 0;
	free(path);
	return exists;
}

/* Whether password is the user's, as PAM says (blocking: PAM may delay a failure). */
static bool authenticate(struct shell *shell, const char *password, struct weft_error *err)
{
	const char *service = shell->pam_service;
	if (!pam_service_exists(shell, service)) {
		service = FALLBACK_PAM_SERVICE;
	}
	char user[256];
	if (getlogin_r(user, sizeof(user)) != 0) {
		const char *env = getenv("USER");
		snprintf(user, sizeof(user), "%s", env != NULL ? env : "");
	}
	struct pam_password pw = { password };
	const struct pam_conv conv = { pam_conversation, &pw };
	pam_handle_t *pamh = NULL;
	int rc = shell->pam_confdir != NULL
		? pam_start_confdir(service, user, &conv, shell->pam_confdir, &pamh)
		: pam_start(service, user, &conv, &pamh);
	if (rc != PAM_SUCCESS) {
		weft_error_set(err, "PAM: cannot start service %s", service);
		return false;
	}
	rc = pam_authenticate(pamh, 0);
	if (rc == PAM_SUCCESS) {
		rc = pam_acct_mgmt(pamh, 0);
	}
	if (rc != PAM_SUCCESS) {
		weft_error_set(err, "%s", pam_strerror(pamh, rc));
	}
	pam_end(pamh, rc);
	return rc == PAM_SUCCESS;
}

static void request_unlock(struct shell_view *sv, struct shell_request *req)
{
	struct shell *shell = sv->shell;
	if (!shell->locked) {
		post(sv, shell_reply_ok(req->msg));
		return;
	}
	struct weft_error err = { 0 };
	if (!authenticate(shell, req->password, &err)) {
		weft_log(WEFT_INFO, "unlock refused: %s", err.msg);
		post(sv, shell_reply_error(req->msg, SHELL_ERR_DENIED, "authentication failed"));
		return;
	}
	lock_end(shell);
	weft_log(WEFT_INFO, "session unlocked");
	post(sv, shell_reply_ok(req->msg));
	post_locked(shell, false);
}

static void request_surface(struct shell_view *sv, struct shell_request *req)
{
	struct shell *shell = sv->shell;
	weft_log(WEFT_DEBUG, "%s: the overlay %s", sv->name,
		req->surface != SHELL_SURFACE_NONE ? "shows" : "hides");
	/* Mapping it gives it the keyboard (the compositor's policy). */
	app_window_set_visible(shell->overlay.window, req->surface != SHELL_SURFACE_NONE);
	wl_display_flush(shell->display);
	post(sv, shell_reply_ok(req->msg));
}

static void channel_event(struct shell *shell, struct json_object *msg, const char *event)
{
	if (strcmp(event, WEFT_COMPOSITOR_EVENT_SHELL_KEY) == 0) {
		const char *action = weft_json_get_string(msg, WEFT_COMPOSITOR_KEY_ACTION);
		weft_log(WEFT_DEBUG, "key: %s", action != NULL ? action : "(none)");
		struct json_object *out = event_new(SHELL_EVENT_KEY);
		if (out != NULL && action != NULL) {
			json_object_object_add(out, "action", json_object_new_string(action));
		}
		post_event(shell, out);
	} else if (strcmp(event, WEFT_COMPOSITOR_EVENT_FOCUSED) == 0) {
		/* Both pages: the panel's task list and the overlay's switcher
		 * order apps by it, whichever of them (or a click) moved the
		 * focus. */
		const char *session_id = weft_json_get_string(msg, WEFT_COMPOSITOR_KEY_SESSION_ID);
		struct json_object *out = event_new(SHELL_EVENT_FOCUSED);
		if (out != NULL && session_id != NULL) {
			json_object_object_add(out, WEFT_APPD_KEY_SESSION_ID,
				json_object_new_string(session_id));
		}
		post_event(shell, out);
	} else if (strcmp(event, WEFT_COMPOSITOR_EVENT_LOCKED) == 0) {
		/* Our predecessor locked and died: take the lock over. */
		struct weft_error err = { 0 };
		weft_log(WEFT_INFO, "the session is locked: taking the lock over");
		if (!lock_start(shell, &err)) {
			weft_log(WEFT_ERROR, "cannot take the lock over: %s", err.msg);
		}
	}
}

/* Views */

/* The overlay's frames go to the lock surface while there is one. */
static struct app_window *frame_target(struct shell_view *sv)
{
	struct shell *shell = sv->shell;
	return sv == &shell->overlay && shell->lock_window != NULL ? shell->lock_window
								   : sv->window;
}

static void keep_frame(struct shell_view *sv, const uint8_t *rgba, uint32_t width, uint32_t height,
	uint32_t stride)
{
	size_t size = (size_t)stride * height;
	if (sv->frame == NULL || (size_t)sv->frame_stride * sv->frame_height != size) {
		free(sv->frame);
		sv->frame = malloc(size);
	}
	if (sv->frame != NULL) {
		memcpy(sv->frame, rgba, size);
		sv->frame_width = width;
		sv->frame_height = height;
		sv->frame_stride = stride;
	}
}

static void present(struct shell_view *sv, const uint8_t *rgba, uint32_t width, uint32_t height,
	uint32_t stride)
{
	struct weft_error err = { 0 };
	if (!app_window_present(frame_target(sv), rgba, width, height, stride, &err)) {
		stop(sv->shell, 1, "%s: %s", sv->name, err.msg);
	}
}

static void present_kept(struct shell_view *sv)
{
	if (sv->loaded && sv->frame != NULL) {
		present(sv, sv->frame, sv->frame_width, sv->frame_height, sv->frame_stride);
	}
}

static void view_handle_frame(void *data, const uint8_t *rgba, uint32_t width, uint32_t height,
	uint32_t stride)
{
	struct shell_view *sv = data;
	if (rgba == NULL) {
		return;
	}
	/* The overlay's, for a lock surface that comes later. */
	if (!sv->loaded || sv == &sv->shell->overlay) {
		keep_frame(sv, rgba, width, height, stride);
	}
	if (sv->loaded) {
		present(sv, rgba, width, height, stride);
	}
}

static void view_handle_load_status(void *data, int status)
{
	struct shell_view *sv = data;
	if (status == WEFT_WEBVIEW_LOAD_COMPLETE && !sv->loaded) {
		sv->loaded = true;
		present_kept(sv);
		if (sv != &sv->shell->overlay) {
			free(sv->frame);
			sv->frame = NULL;
		}
	}
}

static void view_handle_ipc_message(void *data, const char *message, size_t len)
{
	struct shell_view *sv = data;
	struct shell_request req;
	struct json_object *error_reply;
	if (!shell_request_decode(message, len, &req, &error_reply)) {
		post(sv, error_reply);
		return;
	}
	switch (req.kind) {
	case SHELL_REQUEST_APPD:
		forward_to_appd(sv, req.msg, message, len);
		break;
	case SHELL_REQUEST_FOCUS:
		request_focus(sv, &req);
		break;
	case SHELL_REQUEST_SURFACE:
		request_surface(sv, &req);
		break;
	case SHELL_REQUEST_LOCK:
		request_lock(sv, &req);
		break;
	case SHELL_REQUEST_UNLOCK:
		request_unlock(sv, &req);
		break;
	}
	json_object_put(req.msg);
}

static void view_handle_closed(void *data, const char *reason)
{
	struct shell_view *sv = data;
	stop(sv->shell, 1, "%s: the page closed: %s", sv->name, reason);
}

static void view_handle_console(void *data, int level, const char *message)
{
	struct shell_view *sv = data;
	weft_log(level, "%s: console: %s", sv->name, message);
}

static const struct weft_webview_listener view_listener = {
	.frame = view_handle_frame,
	.load_status = view_handle_load_status,
	.console = view_handle_console,
	.ipc_message = view_handle_ipc_message,
	.closed = view_handle_closed,
};

/* Windows */

static void window_handle_configure(void *data, int32_t width, int32_t height, int32_t scale)
{
	struct shell_view *sv = data;
	if (sv->view != NULL) {
		wl_surface_set_buffer_scale(app_window_get_surface(sv->window), scale);
		weft_webview_resize(sv->view, (uint32_t)(width * scale),
			(uint32_t)(height * scale), scale);
	}
}

static void window_handle_close(void *data)
{
	struct shell_view *sv = data;
	stop(sv->shell, 1, "the compositor closed the %s", sv->name);
}

static void window_handle_seat(void *data, struct wl_seat *seat, struct wl_surface *surface)
{
	struct shell_view *sv = data;
	struct weft_error err = { 0 };
	app_input_destroy(sv->input);
	sv->input = app_input_create(seat, surface, &app_view_input_listener, &sv->view, &err);
	if (sv->input == NULL) {
		weft_log(WEFT_ERROR, "%s input: %s", sv->name, err.msg);
	}
}

static void window_handle_gesture(void *data, uint32_t type, uint32_t fingers, double dx,
	double dy)
{
	struct shell_view *sv = data;
	struct json_object *msg = event_new(SHELL_EVENT_GESTURE);
	if (msg != NULL) {
		json_object_object_add(msg, WEFT_COMPOSITOR_KEY_GESTURE_TYPE,
			json_object_new_int((int)type));
		json_object_object_add(msg, WEFT_COMPOSITOR_KEY_FINGERS,
			json_object_new_int((int)fingers));
		json_object_object_add(msg, WEFT_COMPOSITOR_KEY_DX, json_object_new_double(dx));
		json_object_object_add(msg, WEFT_COMPOSITOR_KEY_DY, json_object_new_double(dy));
	}
	post_event(sv->shell, msg);
}

static const struct app_window_listener window_listener = {
	.configure = window_handle_configure,
	.close = window_handle_close,
	.seat = window_handle_seat,
	.gesture = window_handle_gesture,
};

static bool view_start(struct shell *shell, struct shell_view *sv, const char *role,
	int32_t height, struct weft_error *err)
{
	sv->shell = shell;
	sv->name = role;
	sv->appd_fd = -1;
	const struct app_window_options options = {
		.display = shell->display,
		.app_id = "weft-shell",
		.title = role,
		.role = role,
		/* The panel's zone: a strip along the top (the width only says
		 * it is horizontal). The overlay: the whole output. */
		.width = height > 0 ? INT16_MAX : 0,
		.height = height,
	};
	sv->window = app_window_create_with(&options, &window_listener, sv, err);
	if (sv->window == NULL || !app_window_wait_configured(sv->window, err)) {
		return false;
	}
	if (strcmp(role, "overlay") == 0) {
		app_window_set_visible(sv->window, false);
	}
	int32_t width, h, scale;
	app_window_get_size(sv->window, &width, &h, &scale);
	char url[128];
	snprintf(url, sizeof(url), "weft-system://ui/system-ui.html?surface=%s", role);
	struct weft_webview_options view_options = {
		.width = (uint32_t)(width * scale),
		.height = (uint32_t)(h * scale),
		.scale = scale,
		.url = url,
		.listener = &view_listener,
		.data = sv,
		.system = true,
	};
	sv->view = weft_webview_create(shell->engine, &view_options);
	if (sv->view == NULL) {
		weft_error_set(err, "cannot create the %s's web view", role);
		return false;
	}
	weft_webview_set_ipc_connected(sv->view, true);
	/* Connected now if appd is up; otherwise at the page's first request. */
	struct weft_error ignored = { 0 };
	appd_connect(sv, &ignored);
	return true;
}

static void view_finish(struct shell_view *sv)
{
	weft_webview_destroy(sv->view);
	sv->view = NULL;
	app_input_destroy(sv->input);
	sv->input = NULL;
	appd_close(sv);
	free(sv->frame);
	sv->frame = NULL;
}

/* Idle */

static void idle_handle_idled(void *data, struct ext_idle_notification_v1 *notification)
{
	struct shell *shell = data;
	weft_log(WEFT_INFO, "idle for %ld s", shell->idle_seconds);
	post_event(shell, event_new(SHELL_EVENT_IDLE));
}

static void idle_handle_resumed(void *data, struct ext_idle_notification_v1 *notification)
{
}

static const struct ext_idle_notification_v1_listener idle_listener = {
	.idled = idle_handle_idled,
	.resumed = idle_handle_resumed,
};

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct shell *shell = data;
	if (strcmp(interface, ext_idle_notifier_v1_interface.name) == 0 &&
		shell->idle_notifier == NULL) {
		shell->idle_notifier = wl_registry_bind(registry, name,
			&ext_idle_notifier_v1_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && shell->idle_seat == NULL) {
		shell->idle_seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	}
}

static void registry_handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = registry_handle_global_remove,
};

/* Asks for shell.idle after idle_seconds without input; false when the
 * compositor offers no ext-idle-notify (logged, not fatal). */
static void idle_start(struct shell *shell)
{
	if (shell->idle_seconds == 0) {
		return;
	}
	shell->registry = wl_display_get_registry(shell->display);
	wl_registry_add_listener(shell->registry, &registry_listener, shell);
	if (wl_display_roundtrip(shell->display) < 0 || shell->idle_notifier == NULL ||
		shell->idle_seat == NULL) {
		weft_log(WEFT_WARN, "no ext-idle-notify: no shell.idle");
		return;
	}
	shell->idle = ext_idle_notifier_v1_get_idle_notification(shell->idle_notifier,
		(uint32_t)(shell->idle_seconds * 1000), shell->idle_seat);
	ext_idle_notification_v1_add_listener(shell->idle, &idle_listener, shell);
}

static void idle_finish(struct shell *shell)
{
	if (shell->idle != NULL) {
		ext_idle_notification_v1_destroy(shell->idle);
	}
	if (shell->idle_notifier != NULL) {
		ext_idle_notifier_v1_destroy(shell->idle_notifier);
	}
	if (shell->idle_seat != NULL) {
		wl_seat_destroy(shell->idle_seat);
	}
	if (shell->registry != NULL) {
		wl_registry_destroy(shell->registry);
	}
}

/* Main loop */

enum {
	POLL_WAYLAND,
	POLL_ENGINE,
	POLL_SIGNAL,
	POLL_CHANNEL,
	POLL_PANEL_APPD,
	POLL_OVERLAY_APPD,
	POLL_PANEL_REPEAT,
	POLL_OVERLAY_REPEAT,
	POLL_LOCK_REPEAT,
	POLL_APPD_RETRY,
	POLL_COUNT,
};

static struct pollfd poll_in(int fd)
{
	return (struct pollfd){ fd, fd >= 0 ? POLLIN : 0, 0 };
}

static int repeat_fd(struct app_input *input)
{
	return input != NULL ? app_input_get_repeat_fd(input) : -1;
}

static void run(struct shell *shell)
{
	struct wl_display *display = shell->display;
	struct pollfd fds[POLL_COUNT];
	while (shell->running) {
		struct weft_error err = { 0 };
		if (!app_wayland_before_poll(display, &fds[POLL_WAYLAND], &err)) {
			stop(shell, 1, "%s", err.msg);
			return;
		}
		fds[POLL_ENGINE] = poll_in(weft_webview_engine_get_fd(shell->engine));
		fds[POLL_SIGNAL] = poll_in(shell->signal_fd);
		fds[POLL_CHANNEL] = poll_in(shell->channel_fd);
		fds[POLL_PANEL_APPD] = poll_in(shell->panel.appd_fd);
		fds[POLL_OVERLAY_APPD] = poll_in(shell->overlay.appd_fd);
		fds[POLL_PANEL_REPEAT] = poll_in(repeat_fd(shell->panel.input));
		fds[POLL_OVERLAY_REPEAT] = poll_in(repeat_fd(shell->overlay.input));
		fds[POLL_LOCK_REPEAT] = poll_in(repeat_fd(shell->lock_input));
		fds[POLL_APPD_RETRY] = poll_in(shell->appd_retry_fd);
		if (poll(fds, POLL_COUNT, -1) < 0) {
			wl_display_cancel_read(display);
			if (errno != EINTR) {
				stop(shell, 1, "poll: %s", strerror(errno));
			}
			continue;
		}
		if (!app_wayland_after_poll(display, fds[POLL_WAYLAND].revents, &err)) {
			stop(shell, 1, "%s", err.msg);
			return;
		}
		if (fds[POLL_ENGINE].revents & POLLIN) {
			weft_webview_engine_dispatch(shell->engine);
		}
		if (fds[POLL_CHANNEL].revents) {
			channel_dispatch(shell);
		}
		if (fds[POLL_PANEL_APPD].revents && shell->panel.appd_fd >= 0) {
			appd_dispatch(&shell->panel);
		}
		if (fds[POLL_OVERLAY_APPD].revents && shell->overlay.appd_fd >= 0) {
			appd_dispatch(&shell->overlay);
		}
		if ((fds[POLL_PANEL_REPEAT].revents & POLLIN) && shell->panel.input != NULL) {
			app_input_dispatch_repeat(shell->panel.input);
		}
		if ((fds[POLL_OVERLAY_REPEAT].revents & POLLIN) && shell->overlay.input != NULL) {
			app_input_dispatch_repeat(shell->overlay.input);
		}
		if ((fds[POLL_LOCK_REPEAT].revents & POLLIN) && shell->lock_input != NULL) {
			app_input_dispatch_repeat(shell->lock_input);
		}
		if (fds[POLL_APPD_RETRY].revents & POLLIN) {
			appd_retry(shell);
		}
		if (fds[POLL_SIGNAL].revents & POLLIN) {
			stop(shell, 0, NULL);
		}
	}
}

static void handle_engine_log(void *data, int level, const char *message)
{
	weft_log(level, "%s", message);
}

static volatile sig_atomic_t final_status;

static void handle_alarm(int sig)
{
	_exit(final_status);
}

static void teardown(struct shell *shell)
{
	final_status = shell->status;
	for (size_t i = 0; i < MAX_FOCUS_WAITS; i++) {
		json_object_put(shell->focus[i].request);
	}
	json_object_put(shell->lock_request);
	signal(SIGALRM, handle_alarm);
	alarm(SHUTDOWN_SECONDS);
	view_finish(&shell->panel);
	view_finish(&shell->overlay);
	weft_webview_engine_destroy(shell->engine);
	alarm(0);
	/* A lock still held stays: the session is not unlocked by our going. */
	app_input_destroy(shell->lock_input);
	app_window_destroy(shell->lock_window);
	app_window_destroy(shell->panel.window);
	app_window_destroy(shell->overlay.window);
	idle_finish(shell);
	if (shell->display != NULL) {
		wl_display_disconnect(shell->display);
	}
	if (shell->channel_fd >= 0) {
		close(shell->channel_fd);
	}
	if (shell->signal_fd >= 0) {
		close(shell->signal_fd);
	}
	if (shell->appd_retry_fd >= 0) {
		close(shell->appd_retry_fd);
	}
	free(shell->ui_dir);
	free(shell->appd_path);
}

static void usage(FILE *out)
{
	fputs("Usage: weft-shell [options]\n"
	      "\n"
	      "WEFT's system UI; weft-compositor starts it (with WAYLAND_SOCKET and\n"
	      "WEFT_SHELL_FD) and restarts it when it dies.\n"
	      "\n"
	      "  --ui-dir DIR         the system UI (system-ui.html and its files;\n"
	      "                       default " WEFT_SHELL_UI_DIR ")\n"
	      "  --socket PATH        appd's socket (default $" WEFT_APPD_SOCKET_ENV ", else\n"
	      "                       $XDG_RUNTIME_DIR/" WEFT_APPD_SOCKET_NAME ")\n"
	      "  --panel-height N     the panel's strip at the top, in pixels (default 48)\n"
	      "  --idle-timeout S     shell.idle after S seconds without input (default\n"
	      "                       300; 0: never)\n"
	      "  --pam-service NAME   PAM service that checks the unlock password\n"
	      "                       (default " DEFAULT_PAM_SERVICE ", else " FALLBACK_PAM_SERVICE
	      ")\n"
	      "  -h, --help           show this help\n"
	      "  -v, --version        show the version\n",
		out);
}

static char *default_socket(void)
{
	struct weft_error err = { 0 };
	return weft_path_appd_socket(&err);
}

/* WEFT_SHELL_FD, when the compositor gave one; -1 otherwise. */
static int channel_fd_from_env(void)
{
	const char *env = getenv(WEFT_COMPOSITOR_SHELL_FD_ENV);
	long fd;
	if (env == NULL || !weft_parse_long(env, 3, INT_MAX, &fd)) {
		if (env != NULL) {
			weft_log(WEFT_WARN, "%s=%s: not a descriptor",
				WEFT_COMPOSITOR_SHELL_FD_ENV, env);
		}
		return -1;
	}
	unsetenv(WEFT_COMPOSITOR_SHELL_FD_ENV);
	int flags = fcntl((int)fd, F_GETFD);
	if (flags < 0 || fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC) < 0) {
		weft_log_errno(WEFT_WARN, "%s", WEFT_COMPOSITOR_SHELL_FD_ENV);
		return -1;
	}
	int fl = fcntl((int)fd, F_GETFL);
	if (fl < 0 || fcntl((int)fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		return -1;
	}
	return (int)fd;
}

int main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "ui-dir", required_argument, NULL, 'u' },
		{ "socket", required_argument, NULL, 's' },
		{ "panel-height", required_argument, NULL, 'p' },
		{ "pam-service", required_argument, NULL, 'P' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	weft_log_init("weft-shell", WEFT_INFO);
	struct shell shell = {
		.channel_fd = -1,
		.signal_fd = -1,
		.appd_retry_fd = -1,
		.panel = { .appd_fd = -1 },
		.overlay = { .appd_fd = -1 },
		.pam_service = DEFAULT_PAM_SERVICE,
		.panel_height = DEFAULT_PANEL_HEIGHT,
		.idle_seconds = DEFAULT_IDLE_SECONDS,
		.running = true,
	};
	const char *ui_dir = WEFT_SHELL_UI_DIR, *socket_path = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		long v;
		switch (opt) {
		case 'u':
			ui_dir = optarg;
			break;
		case 's':
			socket_path = optarg;
			break;
		case 'p':
			if (!weft_parse_long(optarg, 1, 1000, &v)) {
				fprintf(stderr, "weft-shell: --panel-height %s: not 1..1000\n",
					optarg);
				return 2;
			}
			shell.panel_height = (int)v;
			break;
		case 'P':
			shell.pam_service = optarg;
			break;
		case 'i':
			if (!weft_parse_long(optarg, 0, 24 * 3600, &shell.idle_seconds)) {
				fprintf(stderr, "weft-shell: --idle-timeout %s: not 0..86400\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'v':
			printf("weft-shell %s\n", WEFT_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "weft-shell: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	/* For the test suite only: PAM's files from elsewhere than /etc/pam.d. */
	shell.pam_confdir = getenv("WEFT_SHELL_PAM_CONFDIR");

	struct weft_error err = { 0 };
	shell.ui_dir = realpath(ui_dir, NULL);
	shell.appd_path = socket_path != NULL ? strdup(socket_path) : default_socket();
	if (shell.ui_dir == NULL) {
		weft_log_errno(WEFT_ERROR, "system UI directory %s", ui_dir);
		return 1;
	}
	if (shell.appd_path == NULL) {
		weft_log(WEFT_ERROR, "cannot find appd's socket (no XDG_RUNTIME_DIR?)");
		free(shell.ui_dir);
		return 1;
	}
	shell.channel_fd = channel_fd_from_env();
	shell.signal_fd = app_signal_fd_create(&err);
	shell.appd_retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (shell.appd_retry_fd < 0 && shell.signal_fd >= 0) {
		weft_error_errno(&err, "timerfd_create");
	}
	shell.display = wl_display_connect(NULL);
	if (shell.signal_fd < 0 || shell.appd_retry_fd < 0 || shell.display == NULL) {
		if (shell.display == NULL) {
			weft_error_errno(&err, "cannot connect to the Wayland compositor");
		}
		stop(&shell, 1, "%s", err.msg);
		teardown(&shell);
		return shell.status;
	}
	/* Servo renders offscreen: surfman must find no Wayland or X display to
	 * open a second connection to (as in weft-app-shell). */
	setenv("WAYLAND_DISPLAY", "/dev/null/surfaceless", 1);
	unsetenv("WAYLAND_SOCKET");
	unsetenv("DISPLAY");
	int servo_level = (int)weft_log_get_level() - 1;
	struct weft_webview_engine_options engine_options = {
		.log = handle_engine_log,
		.log_level = servo_level > WEFT_ERROR ? servo_level : WEFT_ERROR,
	};
	shell.engine = weft_webview_engine_create(&engine_options);
	if (shell.engine == NULL) {
		weft_error_set(&err, "cannot start the web engine");
	} else if (!weft_webview_engine_serve_system(shell.engine, shell.ui_dir)) {
		weft_error_set(&err, "cannot serve the system UI from %s", shell.ui_dir);
	} else if (view_start(&shell, &shell.panel, "panel", shell.panel_height, &err) &&
		view_start(&shell, &shell.overlay, "overlay", 0, &err)) {
		idle_start(&shell);
		weft_log(WEFT_INFO, "system UI from %s, appd at %s%s", shell.ui_dir,
			shell.appd_path, shell.channel_fd < 0 ? ", no shell channel" : "");
		run(&shell);
		teardown(&shell);
		return shell.status;
	}
	stop(&shell, 1, "%s", err.msg);
	teardown(&shell);
	return shell.status;
}
