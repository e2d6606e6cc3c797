/*
 * The appd control channel (design §3), the compositor's side: an inherited
 * SOCK_SEQPACKET socket, one JSON object per message, fds by SCM_RIGHTS.
 * Its requests, events and error codes are weft/compositor-protocol.h's.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "server.h"
#include "view.h"
#include "weft/app_id.h"
#include "weft/compositor-protocol.h"
#include "weft/ipc.h"
#include "weft/log.h"

struct weft_control {
	struct weft_server *server;
	int fd;
	bool shell; /* the shell channel: focus_session only */
	struct wl_event_source *source;
	struct wl_list reads; /* control_read.link */
};

/* A clipboard read in flight: its answer comes back to us, or, if the
 * channel goes first, is cancelled with it. */
struct control_read {
	struct wl_list link; /* weft_control.reads */
	struct weft_control *control;
	struct json_object *request; /* for its id */
	struct weft_clipboard_read *reading;
};

/* Takes ownership of msg. The socket is non-blocking: never block the
 * compositor on appd, a full socket drops the message. */
static void send_msg(struct weft_control *control, struct json_object *msg, int fd)
{
	struct weft_error err = { 0 };
	if (msg == NULL) {
		weft_log(WEFT_WARN, "control: out of memory");
		return;
	}
	if (!weft_ipc_send_json(control->fd, msg, &fd, fd >= 0 ? 1 : 0, &err)) {
		weft_log(WEFT_WARN, "control: %s", err.msg);
	}
	json_object_put(msg);
}

static void reply_error(struct weft_control *control, struct json_object *request,
	const char *code, const char *message)
{
	send_msg(control, weft_ipc_reply_error(request, code, "%s", message), -1);
}

static const char *const request_types[] = {
	[WEFT_CONTROL_CREATE_CLIENT] = WEFT_COMPOSITOR_REQ_CREATE_CLIENT,
	[WEFT_CONTROL_FOCUS_SESSION] = WEFT_COMPOSITOR_REQ_FOCUS_SESSION,
	[WEFT_CONTROL_CLOSE_SESSION] = WEFT_COMPOSITOR_REQ_CLOSE_SESSION,
	[WEFT_CONTROL_CLIPBOARD_WRITE] = WEFT_COMPOSITOR_REQ_CLIPBOARD_WRITE,
	[WEFT_CONTROL_CLIPBOARD_READ] = WEFT_COMPOSITOR_REQ_CLIPBOARD_READ,
};

static bool decode_args(struct json_object *msg, struct weft_control_request *req,
	struct weft_error *err)
{
	struct json_object *text;
	switch (req->type) {
	case WEFT_CONTROL_CREATE_CLIENT:
		req->app_id = weft_json_get_string(msg, WEFT_COMPOSITOR_KEY_APP_ID);
		req->session_id = weft_json_get_string(msg, WEFT_COMPOSITOR_KEY_SESSION_ID);
		if (req->app_id == NULL) {
			weft_error_set(err, "missing app_id");
			return false;
		}
		if (!weft_app_id_valid(req->app_id, err)) {
			return false;
		}
		if (req->session_id == NULL || req->session_id[0] == '\0') {
			weft_error_set(err, "missing session_id");
			return false;
		}
		return true;
	case WEFT_CONTROL_FOCUS_SESSION:
	case WEFT_CONTROL_CLOSE_SESSION:
		req->session_id = weft_json_get_string(msg, WEFT_COMPOSITOR_KEY_SESSION_ID);
		if (req->session_id == NULL) {
			weft_error_set(err, "missing session_id");
			return false;
		}
		return true;
	case WEFT_CONTROL_CLIPBOARD_WRITE:
		if (!json_object_object_get_ex(msg, WEFT_COMPOSITOR_KEY_TEXT, &text) ||
			!json_object_is_type(text, json_type_string)) {
			weft_error_set(err, "missing text");
			return false;
		}
		req->text = json_object_get_string(text);
		req->text_len = (size_t)json_object_get_string_len(text);
		return true;
	case WEFT_CONTROL_CLIPBOARD_READ:
		return true;
	}
	return true;
}

bool weft_control_decode(struct json_object *msg, struct weft_control_request *req,
	const char **code, struct weft_error *err)
{
	*req = (struct weft_control_request){ 0 };
	const char *type = weft_json_get_string(msg, WEFT_MSG_TYPE);
	if (type == NULL) {
		*code = WEFT_COMPOSITOR_ERR_BAD_REQUEST;
		weft_error_set(err, "missing type");
		return false;
	}
	for (size_t i = 0; i < sizeof(request_types) / sizeof(request_types[0]); i++) {
		if (strcmp(type, request_types[i]) == 0) {
			req->type = (enum weft_control_type)i;
			*code = WEFT_COMPOSITOR_ERR_INVALID_ARGUMENT;
			return decode_args(msg, req, err);
		}
	}
	*code = WEFT_COMPOSITOR_ERR_UNKNOWN_REQUEST;
	weft_error_set(err, "%s", type);
	return false;
}

static void handle_create_client(struct weft_control *control, struct json_object *request,
	const struct weft_control_request *req)
{
	const char *app_id = req->app_id, *session_id = req->session_id;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		reply_error(control, request, WEFT_COMPOSITOR_ERR_INTERNAL, strerror(errno));
		return;
	}
	if (weft_client_create_tagged(control->server, sv[0], WEFT_CLIENT_APP, app_id,
		    session_id) == NULL) {
		close(sv[1]);
		reply_error(control, request, WEFT_COMPOSITOR_ERR_INTERNAL,
			"cannot create the client");
		return;
	}
	send_msg(control, weft_ipc_reply_ok(request), sv[1]);
	close(sv[1]);
}

static bool in_session(struct weft_view *view, const char *session_id)
{
	const char *own = weft_client_session_id(view->client);
	return own != NULL && strcmp(own, session_id) == 0;
}

static void handle_focus_session(struct weft_control *control, struct json_object *request,
	const struct weft_control_request *req)
{
	const char *session_id = req->session_id;
	struct weft_view *view;
	wl_list_for_each (view, &control->server->views, link) {
		if (view->mapped && view->role == WEFT_ROLE_APPLICATION &&
			in_session(view, session_id)) {
			weft_policy_raise(view);
			weft_policy_focus(control->server, view);
			send_msg(control, weft_ipc_reply_ok(request), -1);
			return;
		}
	}
	reply_error(control, request, WEFT_COMPOSITOR_ERR_NOT_FOUND, "no window for this session");
}

static void handle_close_session(struct weft_control *control, struct json_object *request,
	const struct weft_control_request *req)
{
	const char *session_id = req->session_id;
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
	struct json_object *reply = weft_ipc_reply_ok(request);
	if (reply != NULL) {
		json_object_object_add(reply, WEFT_COMPOSITOR_KEY_CLOSED,
			json_object_new_int(closed));
	}
	send_msg(control, reply, -1);
}

static void handle_clipboard_write(struct weft_control *control, struct json_object *request,
	const struct weft_control_request *req)
{
	const char *code;
	struct weft_error err = { 0 };
	if (!weft_clipboard_write(control->server->clipboard, req->text, req->text_len, &code,
		    &err)) {
		reply_error(control, request, code, err.msg);
		return;
	}
	send_msg(control, weft_ipc_reply_ok(request), -1);
}

static void control_read_free(struct control_read *cr)
{
	wl_list_remove(&cr->link);
	json_object_put(cr->request);
	free(cr);
}

static void handle_read_done(void *data, const char *text, size_t len, const char *code,
	const char *message)
{
	struct control_read *cr = data;
	struct weft_control *control = cr->control;
	struct json_object *reply = NULL;
	if (text != NULL) {
		reply = weft_ipc_reply_ok(cr->request);
		if (reply != NULL) {
			json_object_object_add(reply, WEFT_COMPOSITOR_KEY_TEXT,
				json_object_new_string_len(text, (int)len));
		}
		/* Escaping can make the reply outgrow the message cap. */
		size_t size = 0;
		if (reply != NULL &&
			(json_object_to_json_string_length(reply, JSON_C_TO_STRING_PLAIN, &size) ==
					NULL ||
				size > WEFT_MSG_MAX)) {
			json_object_put(reply);
			reply = weft_ipc_reply_error(cr->request, WEFT_COMPOSITOR_ERR_TOO_LARGE,
				"the selection does not fit in a reply");
		}
	} else {
		reply = weft_ipc_reply_error(cr->request, code, "%s", message);
	}
	send_msg(control, reply, -1);
	control_read_free(cr);
}

static void handle_clipboard_read(struct weft_control *control, struct json_object *request,
	const struct weft_control_request *req)
{
	struct control_read *cr = calloc(1, sizeof(*cr));
	if (cr == NULL) {
		reply_error(control, request, WEFT_COMPOSITOR_ERR_INTERNAL, "out of memory");
		return;
	}
	const char *code;
	struct weft_error err = { 0 };
	cr->control = control;
	cr->request = json_object_get(request);
	cr->reading = weft_clipboard_read(control->server->clipboard, handle_read_done, cr, &code,
		&err);
	if (cr->reading == NULL) {
		reply_error(control, request, code, err.msg);
		json_object_put(cr->request);
		free(cr);
		return;
	}
	wl_list_insert(&control->reads, &cr->link);
}

static void (*const handlers[])(struct weft_control *control, struct json_object *request,
	const struct weft_control_request *req) = {
	[WEFT_CONTROL_CREATE_CLIENT] = handle_create_client,
	[WEFT_CONTROL_FOCUS_SESSION] = handle_focus_session,
	[WEFT_CONTROL_CLOSE_SESSION] = handle_close_session,
	[WEFT_CONTROL_CLIPBOARD_WRITE] = handle_clipboard_write,
	[WEFT_CONTROL_CLIPBOARD_READ] = handle_clipboard_read,
};

static void handle_request(struct weft_control *control, struct json_object *request)
{
	struct weft_control_request req;
	const char *code;
	struct weft_error err = { 0 };
	if (!weft_control_decode(request, &req, &code, &err)) {
		reply_error(control, request, code, err.msg);
		return;
	}
	/* The shell may raise an app, nothing more: windows and the clipboard
	 * are appd's business. */
	if (control->shell && req.type != WEFT_CONTROL_FOCUS_SESSION) {
		reply_error(control, request, WEFT_COMPOSITOR_ERR_UNKNOWN_REQUEST,
			request_types[req.type]);
		return;
	}
	handlers[req.type](control, request, &req);
}

static void control_hangup(struct weft_control *control)
{
	struct weft_server *server = control->server;
	weft_log(WEFT_WARN, "control: %s hung up", control->shell ? "the shell" : "appd");
	if (server->control == control) {
		server->control = NULL;
	}
	if (server->shell_control == control) {
		server->shell_control = NULL;
	}
	weft_control_destroy(control);
}

static int handle_readable(int fd, uint32_t mask, void *data)
{
	struct weft_control *control = data;
	for (;;) {
		struct weft_error err = { 0 };
		bool hangup = false;
		/* No request carries fds: libweft closes any we were sent. */
		struct json_object *request = weft_ipc_recv_json(fd, NULL, NULL, &hangup, &err);
		if (request != NULL) {
			handle_request(control, request);
			json_object_put(request);
		} else if (hangup) {
			control_hangup(control);
			return 0;
		} else if (errno == EAGAIN || errno == EINTR) {
			break;
		} else if (errno == EBADMSG) {
			reply_error(control, NULL, WEFT_COMPOSITOR_ERR_BAD_REQUEST, err.msg);
		} else if (errno == EMSGSIZE) {
			reply_error(control, NULL, WEFT_COMPOSITOR_ERR_TOO_LARGE, err.msg);
		} else {
			weft_log(WEFT_WARN, "control: %s", err.msg);
			control_hangup(control);
			return 0;
		}
	}
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
	wl_list_init(&control->reads);
	/* Neither replies nor events may ever block the compositor. */
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		weft_log_errno(WEFT_ERROR, "control: fcntl");
		close(fd);
		free(control);
		return NULL;
	}
	control->source = wl_event_loop_add_fd(server->loop, fd, WL_EVENT_READABLE,
		handle_readable, control);
	if (control->source == NULL) {
		close(fd);
		free(control);
		return NULL;
	}
	return control;
}

struct weft_control *weft_control_create_shell(struct weft_server *server, int fd)
{
	struct weft_control *control = weft_control_create(server, fd);
	if (control == NULL) {
		return NULL;
	}
	control->shell = true;
	/* A shell that starts while its predecessor's lock holds takes it over. */
	if (weft_session_lock_is_locked(server->session_lock)) {
		struct json_object *msg = json_object_new_object();
		json_object_object_add(msg, WEFT_MSG_EVENT,
			json_object_new_string(WEFT_COMPOSITOR_EVENT_LOCKED));
		send_msg(control, msg, -1);
	}
	return control;
}

void weft_control_send_shell_key(struct weft_control *control, const char *action)
{
	if (control == NULL) {
		return;
	}
	struct json_object *msg = json_object_new_object();
	json_object_object_add(msg, WEFT_MSG_EVENT,
		json_object_new_string(WEFT_COMPOSITOR_EVENT_SHELL_KEY));
	json_object_object_add(msg, WEFT_COMPOSITOR_KEY_ACTION, json_object_new_string(action));
	send_msg(control, msg, -1);
}

void weft_control_destroy(struct weft_control *control)
{
	if (control == NULL) {
		return;
	}
	struct control_read *cr, *tmp;
	wl_list_for_each_safe (cr, tmp, &control->reads, link) {
		weft_clipboard_read_cancel(cr->reading);
		control_read_free(cr);
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
	json_object_object_add(msg, WEFT_MSG_EVENT, json_object_new_string(event));
	json_object_object_add(msg, WEFT_COMPOSITOR_KEY_APP_ID,
		json_object_new_string(app_id ? app_id : ""));
	json_object_object_add(msg, WEFT_COMPOSITOR_KEY_SESSION_ID,
		json_object_new_string(session_id ? session_id : ""));
	send_msg(control, msg, -1);
}

void weft_control_send_gesture(struct weft_control *control, uint32_t type, uint32_t fingers,
	double dx, double dy)
{
	if (control == NULL) {
		return;
	}
	struct json_object *msg = json_object_new_object();
	json_object_object_add(msg, WEFT_MSG_EVENT,
		json_object_new_string(WEFT_COMPOSITOR_EVENT_NAVIGATION_GESTURE));
	json_object_object_add(msg, WEFT_COMPOSITOR_KEY_GESTURE_TYPE,
		json_object_new_int((int)type));
	json_object_object_add(msg, WEFT_COMPOSITOR_KEY_FINGERS,
		json_object_new_int((int)fingers));
	json_object_object_add(msg, WEFT_COMPOSITOR_KEY_DX, json_object_new_double(dx));
	json_object_object_add(msg, WEFT_COMPOSITOR_KEY_DY, json_object_new_double(dy));
	send_msg(control, msg, -1);
}
