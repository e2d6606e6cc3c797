#include <json-c/json.h>
#include <string.h>

#include "weft/appd-protocol.h"
#include "request.h"
#include "weft/ipc.h"
#include "weft/net.h"
#include "weft/runtime-protocol.h"

static const char *const request_types[] = {
	[APPD_REQUEST_LAUNCH] = WEFT_APPD_REQ_LAUNCH,
	[APPD_REQUEST_TERMINATE] = WEFT_APPD_REQ_TERMINATE,
	[APPD_REQUEST_SESSIONS] = WEFT_APPD_REQ_SESSIONS,
	[APPD_REQUEST_STATE] = WEFT_APPD_REQ_STATE,
	[APPD_REQUEST_APPS] = WEFT_APPD_REQ_APPS,
	[APPD_REQUEST_SUBSCRIBE] = WEFT_APPD_REQ_SUBSCRIBE,
	[APPD_REQUEST_UNSUBSCRIBE] = WEFT_APPD_REQ_UNSUBSCRIBE,
	[APPD_REQUEST_INFO] = WEFT_APPD_REQ_INFO,
};

/* The string member key of msg, or NULL with *reply set: json-c strings
 * have a length, and a NUL inside one would cut it short in C. */
static const char *get_string(struct json_object *msg, const char *key, struct json_object **reply)
{
	struct json_object *v;
	if (!json_object_object_get_ex(msg, key, &v) ||
		!json_object_is_type(v, json_type_string)) {
		*reply = weft_ipc_reply_error(msg, WEFT_APPD_ERR_INVALID_ARGUMENT, "missing %s",
			key);
		return NULL;
	}
	const char *s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v)) {
		*reply = weft_ipc_reply_error(msg, WEFT_APPD_ERR_INVALID_ARGUMENT,
			"%s holds a NUL character", key);
		return NULL;
	}
	return s;
}

static bool decode_args(struct json_object *msg, struct appd_request *req,
	struct json_object **reply)
{
	struct json_object *v;
	switch (req->type) {
	case APPD_REQUEST_LAUNCH:
		return (req->app_id = get_string(msg, WEFT_APPD_KEY_APP_ID, reply)) != NULL;
	case APPD_REQUEST_TERMINATE:
	case APPD_REQUEST_STATE:
		return (req->session_id = get_string(msg, WEFT_APPD_KEY_SESSION_ID, reply)) !=
			NULL;
	case APPD_REQUEST_SESSIONS:
		req->all = json_object_object_get_ex(msg, WEFT_APPD_KEY_ALL, &v) &&
			json_object_get_boolean(v);
		return true;
	case APPD_REQUEST_APPS:
		if (json_object_object_get_ex(msg, WEFT_APPD_KEY_AFTER, &v) &&
			(req->after = get_string(msg, WEFT_APPD_KEY_AFTER, reply)) == NULL) {
			return false;
		}
		if (json_object_object_get_ex(msg, WEFT_APPD_KEY_LIMIT, &v)) {
			req->limit = json_object_is_type(v, json_type_int)
				? json_object_get_int64(v)
				: 0;
			if (req->limit < 1) {
				*reply = weft_ipc_reply_error(msg, WEFT_APPD_ERR_INVALID_ARGUMENT,
					"limit must be a whole number of at least 1");
				return false;
			}
		}
		return true;
	case APPD_REQUEST_SUBSCRIBE:
	case APPD_REQUEST_UNSUBSCRIBE:
	case APPD_REQUEST_INFO:
		return true;
	}
	return true;
}

bool appd_request_decode(struct json_object *msg, struct appd_request *req,
	struct json_object **reply)
{
	*req = (struct appd_request){ .limit = INT64_MAX };
	*reply = NULL;
	struct json_object *id, *type_obj;
	if (json_object_object_get_ex(msg, WEFT_MSG_ID, &id)) {
		size_t len = 0;
		json_object_to_json_string_length(id, JSON_C_TO_STRING_PLAIN, &len);
		if (len > WEFT_APPD_ID_MAX) {
			/* Not echoed: it may be what makes a reply too large. */
			*reply = weft_ipc_reply_error(NULL, WEFT_APPD_ERR_BAD_REQUEST,
				"the id is %zu bytes of JSON, more than %d", len,
				WEFT_APPD_ID_MAX);
			return false;
		}
	}
	if (!json_object_object_get_ex(msg, WEFT_MSG_TYPE, &type_obj) ||
		!json_object_is_type(type_obj, json_type_string)) {
		*reply = weft_ipc_reply_error(msg, WEFT_APPD_ERR_BAD_REQUEST, "missing type");
		return false;
	}
	const char *type = json_object_get_string(type_obj);
	if (strlen(type) != (size_t)json_object_get_string_len(type_obj)) {
		*reply = weft_ipc_reply_error(msg, WEFT_APPD_ERR_BAD_REQUEST,
			"type holds a NUL character");
		return false;
	}
	for (size_t i = 0; i < sizeof(request_types) / sizeof(request_types[0]); i++) {
		if (strcmp(type, request_types[i]) == 0) {
			req->type = (enum appd_request_type)i;
			return decode_args(msg, req, reply);
		}
	}
	*reply = weft_ipc_reply_error(msg, WEFT_APPD_ERR_UNKNOWN_REQUEST,
		"unknown request type %.64s", type);
	return false;
}

struct json_object *appd_runtime_request_decode(const char *buf, size_t len,
	struct appd_runtime_request *req, struct json_object **reply)
{
	*req = (struct appd_runtime_request){ 0 };
	*reply = NULL;
	struct json_tokener *tok = json_tokener_new();
	struct json_object *msg = tok != NULL ? json_tokener_parse_ex(tok, buf, (int)len) : NULL;
	bool whole = tok != NULL && json_tokener_get_error(tok) == json_tokener_success &&
		json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	if (msg == NULL || !whole || !json_object_is_type(msg, json_type_object)) {
		json_object_put(msg);
		*reply = weft_ipc_reply_error(NULL, WEFT_RUNTIME_ERR_BAD_REQUEST,
			"not a JSON object");
		return NULL;
	}
	const char *type = weft_json_get_string(msg, WEFT_MSG_TYPE);
	bool ok = true;
	if (type == NULL) {
		ok = false;
		*reply = weft_ipc_reply_error(msg, WEFT_RUNTIME_ERR_BAD_REQUEST, "missing type");
	} else if (strcmp(type, WEFT_RUNTIME_REQ_NOTIFICATION) == 0) {
		req->type = APPD_RUNTIME_NOTIFICATION;
		req->title = weft_json_get_string(msg, WEFT_RUNTIME_KEY_TITLE);
		req->body = weft_json_get_string(msg, WEFT_RUNTIME_KEY_BODY);
		req->icon = weft_json_get_string(msg, WEFT_RUNTIME_KEY_ICON);
	} else if (strcmp(type, WEFT_RUNTIME_REQ_CLIPBOARD_READ) == 0 ||
		strcmp(type, WEFT_RUNTIME_REQ_CLIPBOARD_READ_OLD) == 0) {
		req->type = APPD_RUNTIME_CLIPBOARD_READ;
	} else if (strcmp(type, WEFT_RUNTIME_REQ_CLIPBOARD_WRITE) == 0 ||
		strcmp(type, WEFT_RUNTIME_REQ_CLIPBOARD_WRITE_OLD) == 0) {
		req->type = APPD_RUNTIME_CLIPBOARD_WRITE;
		req->text = weft_json_get_string(msg, WEFT_RUNTIME_KEY_TEXT);
	} else if (strcmp(type, WEFT_RUNTIME_REQ_CONNECT) == 0) {
		struct json_object *jport = NULL, *jtimeout = NULL;
		json_object_object_get_ex(msg, WEFT_RUNTIME_KEY_PORT, &jport);
		json_object_object_get_ex(msg, WEFT_RUNTIME_KEY_TIMEOUT_MS, &jtimeout);
		int64_t timeout = json_object_is_type(jtimeout, json_type_int)
			? json_object_get_int64(jtimeout)
			: WEFT_NET_TIMEOUT_MAX_MS;
		req->type = APPD_RUNTIME_CONNECT;
		req->host = weft_json_get_string(msg, WEFT_RUNTIME_KEY_HOST);
		req->port = json_object_is_type(jport, json_type_int)
			? json_object_get_int64(jport)
			: 0;
		req->timeout_ms = timeout < 1               ? 1
			: timeout > WEFT_NET_TIMEOUT_MAX_MS ? WEFT_NET_TIMEOUT_MAX_MS
							    : (int)timeout;
	} else {
		ok = false;
		*reply = weft_ipc_reply_error(msg, WEFT_RUNTIME_ERR_UNKNOWN_REQUEST, "%s", type);
	}
	if (!ok) {
		json_object_put(msg);
		return NULL;
	}
	return msg;
}
