/*
 * weft-shell's page <-> host contract, the half that needs no Servo: which
 * page messages are appd requests (forwarded verbatim) and which are the
 * host's own, and which package icon paths may be served.
 */
#ifndef SHELL_HOST_H
#define SHELL_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "weft/common.h"

struct json_object;

/* The host's own request types. */
#define SHELL_REQ_FOCUS "shell.focus"
#define SHELL_REQ_SURFACE "shell.surface"
#define SHELL_REQ_LOCK "shell.lock"
#define SHELL_REQ_UNLOCK "shell.unlock"

/* Host -> page events. */
#define SHELL_EVENT_KEY "shell.key"
#define SHELL_EVENT_GESTURE "shell.gesture"
#define SHELL_EVENT_IDLE "shell.idle"
#define SHELL_EVENT_LOCKED "shell.locked"
#define SHELL_EVENT_FOCUSED "shell.focused"
#define SHELL_EVENT_APPD "shell.appd"

/* Error codes of the host's replies (appd's own pass through as they are). */
#define SHELL_ERR_BAD_REQUEST "bad_request"
#define SHELL_ERR_UNKNOWN_REQUEST "unknown_request"
#define SHELL_ERR_INVALID_ARGUMENT "invalid_argument"
#define SHELL_ERR_UNAVAILABLE "unavailable"
#define SHELL_ERR_DENIED "denied"
#define SHELL_ERR_NOT_FOUND "not_found"

enum shell_request_kind {
	SHELL_REQUEST_APPD, /* forwarded to appd as it is */
	SHELL_REQUEST_FOCUS,
	SHELL_REQUEST_SURFACE,
	SHELL_REQUEST_LOCK,
	SHELL_REQUEST_UNLOCK,
};

enum shell_surface {
	SHELL_SURFACE_NONE,
	SHELL_SURFACE_LAUNCHER,
	SHELL_SURFACE_SWITCHER,
	SHELL_SURFACE_LOCK,
};

struct shell_request {
	enum shell_request_kind kind;
	struct json_object *msg; /* the parsed message, owned by the caller */
	const char *session_id; /* focus */
	enum shell_surface surface; /* surface */
	const char *password; /* unlock */
};

/*
 * Decodes one page message (len bytes of JSON). On success req->msg is the
 * parsed object (json_object_put it). On failure returns NULL-free req and
 * an error reply to post back (json_object_put it too), echoing the
 * message's "id" when it had one.
 */
bool shell_request_decode(const char *text, size_t len, struct shell_request *req,
	struct json_object **error_reply);

/* Whether path (a manifest's [ui] icon) is a relative path inside the
 * package, without "." or ".." components, naming a .png or .svg file. */
bool shell_icon_path_ok(const char *path);

/* The reply to request: {"id": ..., "ok": true} or an error. */
struct json_object *shell_reply_ok(struct json_object *request);
struct json_object *shell_reply_error(struct json_object *request, const char *code,
	const char *message);

#endif
