/*
 * The requests appd receives, decoded from their JSON without touching any
 * state: the control socket's (protocol.h) and those of a session's
 * runtime on its control channel (weft-appd(8)). Pure functions, so that
 * tests/fuzz can feed them bytes; the handlers in control.c and session.c
 * act on what they return.
 */
#ifndef APPD_REQUEST_H
#define APPD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

enum appd_request_type {
	APPD_REQUEST_LAUNCH,
	APPD_REQUEST_TERMINATE,
	APPD_REQUEST_SESSIONS,
	APPD_REQUEST_STATE,
	APPD_REQUEST_APPS,
	APPD_REQUEST_SUBSCRIBE,
	APPD_REQUEST_UNSUBSCRIBE,
	APPD_REQUEST_INFO,
};

/* A control socket request. Strings are msg's, valid as long as it is. */
struct appd_request {
	enum appd_request_type type;
	const char *app_id; /* launch */
	const char *session_id; /* terminate, state */
	bool all; /* sessions */
	const char *after; /* apps; NULL: from the first */
	int64_t limit; /* apps; INT64_MAX: no limit */
};

/* Whether msg, a JSON object, is a valid request, then described in *req;
 * else *reply is the error to send (NULL when out of memory). */
bool appd_request_decode(struct json_object *msg, struct appd_request *req,
	struct json_object **reply);

enum appd_runtime_request_type {
	APPD_RUNTIME_NOTIFICATION,
	APPD_RUNTIME_CLIPBOARD_READ,
	APPD_RUNTIME_CLIPBOARD_WRITE,
	APPD_RUNTIME_CONNECT,
};

/* A runtime's request. Strings are the message's; NULL when absent or not
 * strings: each handler says which it requires, after its capability. */
struct appd_runtime_request {
	enum appd_runtime_request_type type;
	const char *title, *body, *icon; /* notification */
	const char *text; /* clipboard-write */
	const char *host; /* connect */
	int64_t port; /* connect; 0 when absent or not a whole number */
	int timeout_ms; /* connect; clamped to 1..WEFT_NET_TIMEOUT_MAX_MS */
};

/*
 * Parses the len bytes at buf (buf[len] a NUL byte) as a runtime's request.
 * Returns the message, which the caller puts, with *req describing it; or
 * NULL with *reply set to the error to send (bad_request, unknown_request;
 * NULL when out of memory).
 */
struct json_object *appd_runtime_request_decode(const char *buf, size_t len,
	struct appd_runtime_request *req, struct json_object **reply);

#endif
