/*
 * The page's messages, decided without touching any state: a page may ask
 * appd only what the shell needs (launch, terminate, sessions, state, apps,
 * subscribe, info), and the host for focus, its overlay and the lock.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host.h"
#include "weft/appd-protocol.h"
#include "weft/ipc.h"

static const char *const appd_types[] = {
	WEFT_APPD_REQ_LAUNCH,
	WEFT_APPD_REQ_TERMINATE,
	WEFT_APPD_REQ_SESSIONS,
	WEFT_APPD_REQ_STATE,
	WEFT_APPD_REQ_APPS,
	WEFT_APPD_REQ_SUBSCRIBE,
	WEFT_APPD_REQ_INFO,
};

static const char *const surfaces[] = {
	[SHELL_SURFACE_NONE] = "none",
	[SHELL_SURFACE_LAUNCHER] = "launcher",
	[SHELL_SURFACE_SWITCHER] = "switcher",
	[SHELL_SURFACE_LOCK] = "lock",
};

struct json_object *shell_reply_ok(struct json_object *request)
{
	return weft_ipc_reply_ok(request);
}

struct json_object *shell_reply_error(struct json_object *request, const char *code,
	const char *message)
{
	return weft_ipc_reply_error(request, code, "%s", message);
}

static bool fail(struct shell_request *req, struct json_object *msg, const char *code,
	const char *message, struct json_object **error_reply)
{
	*error_reply = shell_reply_error(msg, code, message);
	json_object_put(msg);
	*req = (struct shell_request){ 0 };
	return false;
}

bool shell_request_decode(const char *text, size_t len, struct shell_request *req,
	struct json_object **error_reply)
{
	*req = (struct shell_request){ 0 };
	*error_reply = NULL;
	struct weft_error err = { 0 };
	/* The page's bytes are not NUL-terminated; the parser wants them so. */
	char *copy = malloc(len + 1);
	if (copy == NULL) {
		*error_reply = shell_reply_error(NULL, SHELL_ERR_UNAVAILABLE, "out of memory");
		return false;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	struct json_object *msg = weft_ipc_parse_json(copy, len, &err);
	free(copy);
	if (msg == NULL) {
		*error_reply = shell_reply_error(NULL, SHELL_ERR_BAD_REQUEST, err.msg);
		return false;
	}
	const char *type = weft_json_get_string(msg, WEFT_MSG_TYPE);
	if (type == NULL) {
		return fail(req, msg, SHELL_ERR_BAD_REQUEST, "missing type", error_reply);
	}
	for (size_t i = 0; i < sizeof(appd_types) / sizeof(appd_types[0]); i++) {
		if (strcmp(type, appd_types[i]) == 0) {
			req->kind = SHELL_REQUEST_APPD;
			req->msg = msg;
			return true;
		}
	}
	if (strcmp(type, SHELL_REQ_FOCUS) == 0) {
		req->session_id = weft_json_get_string(msg, WEFT_APPD_KEY_SESSION_ID);
		if (req->session_id == NULL || req->session_id[0] == '\0') {
			return fail(req, msg, SHELL_ERR_INVALID_ARGUMENT, "missing session_id",
				error_reply);
		}
		req->kind = SHELL_REQUEST_FOCUS;
	} else if (strcmp(type, SHELL_REQ_SURFACE) == 0) {
		const char *show = weft_json_get_string(msg, "show");
		size_t n = sizeof(surfaces) / sizeof(surfaces[0]);
		size_t i = 0;
		while (show != NULL && i < n && strcmp(show, surfaces[i]) != 0) {
			i++;
		}
		if (show == NULL || i == n) {
			return fail(req, msg, SHELL_ERR_INVALID_ARGUMENT,
				"show: not launcher, switcher, lock or none", error_reply);
		}
		req->kind = SHELL_REQUEST_SURFACE;
		req->surface = (enum shell_surface)i;
	} else if (strcmp(type, SHELL_REQ_LOCK) == 0) {
		req->kind = SHELL_REQUEST_LOCK;
	} else if (strcmp(type, SHELL_REQ_UNLOCK) == 0) {
		req->password = weft_json_get_string(msg, "password");
		if (req->password == NULL) {
			return fail(req, msg, SHELL_ERR_INVALID_ARGUMENT, "missing password",
				error_reply);
		}
		req->kind = SHELL_REQUEST_UNLOCK;
	} else {
		return fail(req, msg, SHELL_ERR_UNKNOWN_REQUEST, type, error_reply);
	}
	req->msg = msg;
	return true;
}

bool shell_icon_path_ok(const char *path)
{
	if (path == NULL || path[0] == '\0' || path[0] == '/') {
		return false;
	}
	const char *p = path;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			return false;
		}
		if (slash == NULL) {
			break;
		}
		p = slash + 1;
	}
	const char *dot = strrchr(path, '.');
	return dot != NULL && strchr(dot, '/') == NULL &&
		(strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".svg") == 0);
}
