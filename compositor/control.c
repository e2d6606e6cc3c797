/*
 * The appd control channel (design §3): an inherited SOCK_SEQPACKET socket,
 * one JSON object per message, fds by SCM_RIGHTS.
 *
 * Requests (each may carry "id", echoed in the reply; replies are
 * {"ok": true, ...} or {"error": {"code", "message"}}):
 *   {"type": "create_client", "app_id": A, "session_id": S}
 *       -> ok, with one fd: a Wayland connection tagged (A, S)
 *   {"type": "focus_session", "session_id": S}   -> ok | error not_found
 *   {"type": "close_session", "session_id": S}   -> ok, "closed": N
 * Events, compositor to appd (no "id"):
 *   {"event": "first_frame" | "window_closed" | "client_gone",
 *    "app_id": A, "session_id": S}
 *   {"event": "navigation_gesture", "type": T, "fingers": F, "dx": X, "dy": Y}
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "server.h"
#include "view.h"
#include "weft/log.h"

#define CONTROL_MSG_MAX (64 * 1024)

struct weft_control {
	struct weft_server *server;
	int fd;
	struct wl_event_source *source;
};

static bool send_msg(struct weft_control *control, struct json_object *msg, int fd)
{
	const char *text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cmsg_buf;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&cmsg_buf, 0, sizeof(cmsg_buf));
		mh.msg_control = cmsg_buf.buf;
		mh.msg_controllen = sizeof(cmsg_buf.buf);
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	/* Never block the compositor on appd: a full socket drops the message. */
	if (sendmsg(control->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		weft_log_errno(WEFT_WARN, "control: send");
		return false;
	}
	return true;
}

static struct json_object *reply_new(struct json_object *request)
{
	struct json_object *reply = json_object_new_object();
	struct json_object *id;
	if (request != NULL && json_object_object_get_ex(request, "id", &id)) {
		json_object_object_add(reply, "id", json_object_get(id));
	}
	return reply;
}

static void reply_error(struct weft_control *control, struct json_object *request,
	const char *code, const char *message)
{
	struct json_object *reply = reply_new(request);
	struct json_object *error = json_object_new_object();
	json_object_object_add(error, "code", json_object_new_string(code));
	json_object_object_add(error, "message", json_object_new_string(message));
	json_object_object_add(reply, "error", error);
	send_msg(control, reply, -1);
	json_object_put(reply);
}

static void reply_ok(struct weft_control *control, struct json_object *request,
	struct json_object *reply, int fd)
{
	if (reply == NULL) {
		reply = reply_new(request);
	}
	json_object_object_add(reply, "ok", json_object_new_boolean(true));
	send_msg(control, reply, fd);
	json_object_put(reply);
}

static const char *get_string(struct json_object *obj, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) ||
		!json_object_is_type(v, json_type_string)) {
		return NULL;
	}
	return json_object_get_string(v);
}

/* Design §5: three or more dot-separated [a-z][a-z0-9]* segments. */
static bool app_id_valid(const char *id)
{
	size_t len = strlen(id);
	if (len == 0 || len > 255) {
		return false;
	}
	int segments = 1;
	bool at_start = true;
	for (const char *p = id; *p != '\0'; p++) {
		if (*p == '.') {
			if (at_start) {
				return false;
			}
			segments++;
			at_start = true;
		} else if (at_start ? (*p >= 'a' && *p <= 'z')
				    : ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) {
			at_start = false;
		} else {
			return false;
		}
	}
	return !at_start && segments >= 3;
}

static void handle_create_client(struct weft_control *control, struct json_object *request)
{
	const char *app_id = get_string(request, "app_id");
	const char *session_id = get_string(request, "session_id");
	if (app_id == NULL || !app_id_valid(app_id)) {
		reply_error(control, request, "invalid_argument", "missing or invalid app_id");
		return;
	}
	if (session_id == NULL || session_id[0] == '\0') {
		reply_error(control, request, "invalid_argument", "missing session_id");
		return;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		reply_error(control, request, "internal", strerror(errno));
		return;
	}
	if (weft_client_create_tagged(control->server, sv[0], WEFT_CLIENT_APP, app_id,
		    session_id) == NULL) {
		close(sv[1]);
		reply_error(control, request, "internal", "cannot create the client");
		return;
	}
	reply_ok(control, request, NULL, sv[1]);
	close(sv[1]);
}

static bool in_session(struct weft_view *view, const char *session_id)
{
	const char *own = weft_client_session_id(view->client);
	return own != NULL && strcmp(own, session_id) == 0;
}

static void handle_focus_session(struct weft_control *control, struct json_object *request)
{
	const char *session_id = get_string(request, "session_id");
	if (session_id == NULL) {
		reply_error(control, request, "invalid_argument", "missing session_id");
		return;
	}
	struct weft_view *view;
	wl_list_for_each (view, &control->server->views, link) {
		if (view->mapped && view->role == WEFT_ROLE_APPLICATION &&
			in_session(view, session_id)) {
			weft_policy_raise(view);
			weft_policy_focus(control->server, view);
			reply_ok(control, request, NULL, -1);
			return;
		}
	}
	reply_error(control, request, "not_found", "no window for this session");
}

static void handle_close_session(struct weft_control *control, struct json_object *request)
{
	const char *session_id = get_string(request, "session_id");
	if (session_id == NULL) {
		reply_error(control, request, "invalid_argument", "missing session_id");
		return;
	}
	int closed = 0;
	struct weft_view *view, *tmp;
	/* Closing may drop views from the list; restart after each one. */
	bool again = true;
	while (again) {
		again = false;
		wl_list_for_each_safe (view, tmp, &control->server->views, link) {
			if (in_session(view, session_id)) {
				view->impl->close(view);
				closed++;
				again = true;
				break;
			}
		}
		if (closed > 1000) {
			break;
		}
	}
	struct json_object *reply = reply_new(request);
	json_object_object_add(reply, "closed", json_object_new_int(closed));
	reply_ok(control, request, reply, -1);
}

static void handle_message(struct weft_control *control, const char *buf, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *request = tok != NULL ? json_tokener_parse_ex(tok, buf, (int)len)
						  : NULL;
	bool complete = tok != NULL && json_tokener_get_error(tok) == json_tokener_success &&
		json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (request == NULL || !complete || !json_object_is_type(request, json_type_object)) {
		json_object_put(request);
		reply_error(control, NULL, "bad_request", "not a JSON object");
		return;
	}
	const char *type = get_string(request, "type");
	if (type == NULL) {
		reply_error(control, request, "bad_request", "missing type");
	} else if (strcmp(type, "create_client") == 0) {
		handle_create_client(control, request);
	} else if (strcmp(type, "focus_session") == 0) {
		handle_focus_session(control, request);
	} else if (strcmp(type, "close_session") == 0) {
		handle_close_session(control, request);
	} else {
		reply_error(control, request, "unknown_request", type);
	}
	json_object_put(request);
}

static void control_hangup(struct weft_control *control)
{
	struct weft_server *server = control->server;
	weft_log(WEFT_WARN, "control: appd hung up");
	if (server->control == control) {
		server->control = NULL;
	}
	weft_control_destroy(control);
}

static int handle_readable(int fd, uint32_t mask, void *data)
{
	struct weft_control *control = data;
	char *buf = malloc(CONTROL_MSG_MAX + 1);
	if (buf == NULL) {
		return 0;
	}
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int) * 8)];
		struct iovec iov = { .iov_base = buf, .iov_len = CONTROL_MSG_MAX };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf,
			.msg_controllen = sizeof(cbuf),
		};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			break;
		}
		if (n <= 0) {
			free(buf);
			control_hangup(control);
			return 0;
		}
		/* No request carries fds: close any we were sent. */
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t i = 0; i < nfds; i++) {
					int rfd;
					memcpy(&rfd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
					close(rfd);
				}
			}
		}
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			reply_error(control, NULL, "too_large", "message too large");
			continue;
		}
		buf[n] = '\0';
		handle_message(control, buf, (size_t)n);
	}
	free(buf);
	if (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR)) {
		control_hangup(control);
	}
	return 0;
}

struct weft_control *weft_control_create(struct weft_server *server, int fd)
{
	struct weft_control *control = calloc(1, sizeof(*control));
	if (control == NULL) {
		close(fd);
		return NULL;
	}
	control->server = server;
	control->fd = fd;
	control->source = wl_event_loop_add_fd(server->loop, fd, WL_EVENT_READABLE,
		handle_readable, control);
	if (control->source == NULL) {
		close(fd);
		free(control);
		return NULL;
	}
	return control;
}

void weft_control_destroy(struct weft_control *control)
{
	if (control == NULL) {
		return;
	}
	wl_event_source_remove(control->source);
	close(control->fd);
	free(control);
}

void weft_control_send_event(struct weft_control *control, const char *event, const char *app_id,
	const char *session_id)
{
	if (control == NULL) {
		return;
	}
	struct json_object *msg = json_object_new_object();
	json_object_object_add(msg, "event", json_object_new_string(event));
	json_object_object_add(msg, "app_id", json_object_new_string(app_id ? app_id : ""));
	json_object_object_add(msg, "session_id",
		json_object_new_string(session_id ? session_id : ""));
	send_msg(control, msg, -1);
	json_object_put(msg);
}

void weft_control_send_gesture(struct weft_control *control, uint32_t type, uint32_t fingers,
	double dx, double dy)
{
	if (control == NULL) {
		return;
	}
	struct json_object *msg = json_object_new_object();
	json_object_object_add(msg, "event", json_object_new_string("navigation_gesture"));
	json_object_object_add(msg, "type", json_object_new_int((int)type));
	json_object_object_add(msg, "fingers", json_object_new_int((int)fingers));
	json_object_object_add(msg, "dx", json_object_new_double(dx));
	json_object_object_add(msg, "dy", json_object_new_double(dy));
	send_msg(control, msg, -1);
	json_object_put(msg);
}
