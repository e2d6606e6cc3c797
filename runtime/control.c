/*
 * The runtime control channel (design §3): READY, then JSON requests that
 * appd routes (notifications to the shell, clipboard to the compositor).
 * Each request carries an "id" and waits, with a time-out, for the reply
 * that echoes it.
 */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "weft/ipc.h"

#define CONTROL_TIMEOUT_MS 5000

static bool control_write(int fd, const char *data, size_t len, struct weft_error *err)
{
	ssize_t n;
	do {
		n = write(fd, data, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len) {
		weft_error_errno(err, "control channel: write");
		return false;
	}
	return true;
}

bool runtime_control_ready(struct runtime_host *host, struct weft_error *err)
{
	if (host->control_fd < 0) {
		fputs("READY\n", stderr);
		return true;
	}
	return control_write(host->control_fd, "READY\n", 6, err);
}

/* Waits for the reply to request id; other messages are not for us. */
static struct json_object *await_reply(int fd, uint64_t id, struct weft_error *err)
{
	long deadline = weft_now_ms() + CONTROL_TIMEOUT_MS;
	char *buf = malloc(WEFT_MSG_MAX);
	if (buf == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	struct json_object *reply = NULL;
	for (;;) {
		long left = deadline - weft_now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			weft_error_set(err, "control channel: no reply from appd");
			break;
		}
		ssize_t n = read(fd, buf, WEFT_MSG_MAX);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			weft_error_errno(err, "control channel: read");
			if (n == 0) {
				weft_error_set(err, "control channel: appd hung up");
			}
			break;
		}
		struct json_tokener *tok = json_tokener_new();
		struct json_object *msg = tok != NULL ? json_tokener_parse_ex(tok, buf, (int)n)
						      : NULL;
		json_tokener_free(tok);
		struct json_object *jid;
		if (msg != NULL && json_object_is_type(msg, json_type_object) &&
			json_object_object_get_ex(msg, "id", &jid) &&
			(uint64_t)json_object_get_uint64(jid) == id) {
			reply = msg;
			break;
		}
		json_object_put(msg);
	}
	free(buf);
	return reply;
}

bool runtime_control_request(struct runtime_host *host, const char *type, const char *k1,
	const char *v1, const char *k2, const char *v2, const char *k3, const char *v3,
	char **text, struct weft_error *err)
{
	uint64_t id = ++host->next_request;
	struct json_object *req = json_object_new_object();
	json_object_object_add(req, "id", json_object_new_uint64(id));
	json_object_object_add(req, "type", json_object_new_string(type));
	const char *keys[] = { k1, k2, k3 };
	const char *vals[] = { v1, v2, v3 };
	for (size_t i = 0; i < 3; i++) {
		if (keys[i] != NULL && vals[i] != NULL) {
			json_object_object_add(req, keys[i], json_object_new_string(vals[i]));
		}
	}
	size_t len;
	const char *s = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &len);
	bool ok = len <= WEFT_MSG_MAX && control_write(host->control_fd, s, len, err);
	if (len > WEFT_MSG_MAX) {
		weft_error_set(err, "request too large");
	}
	json_object_put(req);
	if (!ok) {
		return false;
	}

	struct json_object *reply = await_reply(host->control_fd, id, err);
	if (reply == NULL) {
		return false;
	}
	struct json_object *e, *msg, *t;
	if (json_object_object_get_ex(reply, "error", &e)) {
		const char *m = json_object_object_get_ex(e, "message", &msg)
			? json_object_get_string(msg)
			: "request refused";
		weft_error_set(err, "%s", m);
		ok = false;
	} else if (text != NULL) {
		if (json_object_object_get_ex(reply, "text", &t) &&
			json_object_is_type(t, json_type_string)) {
			*text = strdup(json_object_get_string(t));
			ok = *text != NULL;
			if (!ok) {
				weft_error_set(err, "out of memory");
			}
		} else {
			weft_error_set(err, "control channel: reply without text");
			ok = false;
		}
	}
	json_object_put(reply);
	return ok;
}
