/*
 * The runtime control channel (design §3): READY, then JSON requests that
 * appd routes (notifications to the shell, clipboard to the compositor).
 * Each request carries an "id" and waits, with a time-out, for the reply
 * that echoes it. A connect is answered with a connected socket: the
 * runtime has no network of its own. The messages are
 * weft/runtime-protocol.h's.
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
#include "weft/net.h"
#include "weft/runtime-protocol.h"

/* How much longer than a connect's own time-out its answer may take. */
#define CONNECT_SLACK_MS 3000

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
		fputs(WEFT_RUNTIME_READY, stderr);
		return true;
	}
	return control_write(host->control_fd, WEFT_RUNTIME_READY, strlen(WEFT_RUNTIME_READY),
		err);
}

struct json_object *runtime_control_reply_parse(const char *buf, size_t len, uint64_t id)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *msg = tok != NULL ? json_tokener_parse_ex(tok, buf, (int)len) : NULL;
	json_tokener_free(tok);
	struct json_object *jid;
	bool ours = msg != NULL && json_object_is_type(msg, json_type_object) &&
		json_object_object_get_ex(msg, WEFT_MSG_ID, &jid) &&
		(uint64_t)json_object_get_uint64(jid) == id;
	if (!ours) {
		json_object_put(msg);
		return NULL;
	}
	return msg;
}

/* Waits for the reply to request id; other messages are not for us. The
 * first fd the reply carries goes to *fd (when fd is not NULL), every
 * other is closed. */
static struct json_object *await_reply(int fd, uint64_t id, int timeout_ms, int *rfd,
	struct weft_error *err)
{
	long deadline = weft_now_ms() + timeout_ms;
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
		int fds[WEFT_MSG_MAX_FDS];
		size_t nfds = 0;
		ssize_t n = weft_ipc_recv(fd, buf, WEFT_MSG_MAX, fds, &nfds, err);
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			continue;
		}
		if (n <= 0) {
			if (n == 0) {
				weft_error_set(err, "control channel: appd hung up");
			} else {
				weft_error_prefix(err, "control channel");
			}
			break;
		}
		struct json_object *msg = runtime_control_reply_parse(buf, (size_t)n, id);
		bool ours = msg != NULL;
		for (size_t i = 0; i < nfds; i++) {
			if (ours && i == 0 && rfd != NULL) {
				*rfd = fds[0];
			} else {
				close(fds[i]);
			}
		}
		if (ours) {
			reply = msg;
			break;
		}
	}
	free(buf);
	return reply;
}

/* Sends req (taken) with a fresh id on fd and waits for its reply. */
static struct json_object *call(struct runtime_host *host, int fd, struct json_object *req,
	int timeout_ms, int *rfd, struct weft_error *err)
{
	uint64_t id = ++host->next_request;
	json_object_object_add(req, WEFT_MSG_ID, json_object_new_uint64(id));
	size_t len;
	const char *s = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &len);
	bool ok = len <= WEFT_MSG_MAX && control_write(fd, s, len, err);
	if (len > WEFT_MSG_MAX) {
		weft_error_set(err, "request too large");
	}
	json_object_put(req);
	return ok ? await_reply(fd, id, timeout_ms, rfd, err) : NULL;
}

bool runtime_control_reply_failed(struct json_object *reply, bool *denied, struct weft_error *err)
{
	struct json_object *e;
	if (!json_object_object_get_ex(reply, WEFT_MSG_ERROR, &e)) {
		return false;
	}
	/* Strings only: a null code or message is NULL to json-c. */
	const char *m = weft_json_get_string(e, WEFT_MSG_MESSAGE);
	const char *c = weft_json_get_string(e, WEFT_MSG_CODE);
	weft_error_set(err, "%s", m != NULL ? m : "request refused");
	if (denied != NULL) {
		*denied = c != NULL && strcmp(c, WEFT_RUNTIME_ERR_PERMISSION_DENIED) == 0;
	}
	return true;
}

bool runtime_control_request(struct runtime_host *host, const char *type, const char *k1,
	const char *v1, const char *k2, const char *v2, const char *k3, const char *v3,
	char **text, struct weft_error *err)
{
	struct json_object *req = json_object_new_object();
	json_object_object_add(req, WEFT_MSG_TYPE, json_object_new_string(type));
	const char *keys[] = { k1, k2, k3 };
	const char *vals[] = { v1, v2, v3 };
	for (size_t i = 0; i < 3; i++) {
		if (keys[i] != NULL && vals[i] != NULL) {
			json_object_object_add(req, keys[i], json_object_new_string(vals[i]));
		}
	}
	struct json_object *reply = call(host, host->control_fd, req,
		WEFT_RUNTIME_REPLY_TIMEOUT_MS, NULL, err);
	if (reply == NULL) {
		return false;
	}
	bool ok = !runtime_control_reply_failed(reply, NULL, err);
	struct json_object *t;
	if (ok && text != NULL) {
		if (json_object_object_get_ex(reply, WEFT_RUNTIME_KEY_TEXT, &t) &&
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

bool runtime_control_connect(struct runtime_host *host, int fd, const char *name, unsigned port,
	int timeout_ms, int *sock, char *address, bool *denied, struct weft_error *err)
{
	*sock = -1;
	*denied = false;
	address[0] = '\0';
	struct json_object *req = json_object_new_object();
	json_object_object_add(req, WEFT_MSG_TYPE,
		json_object_new_string(WEFT_RUNTIME_REQ_CONNECT));
	json_object_object_add(req, WEFT_RUNTIME_KEY_HOST, json_object_new_string(name));
	json_object_object_add(req, WEFT_RUNTIME_KEY_PORT, json_object_new_int((int)port));
	json_object_object_add(req, WEFT_RUNTIME_KEY_TIMEOUT_MS, json_object_new_int(timeout_ms));
	/* appd answers once it has connected, or given up after timeout_ms. */
	struct json_object *reply = call(host, fd, req, timeout_ms + CONNECT_SLACK_MS, sock, err);
	if (reply == NULL) {
		return false;
	}
	bool ok = !runtime_control_reply_failed(reply, denied, err);
	const char *a = weft_json_get_string(reply, WEFT_RUNTIME_KEY_ADDRESS);
	if (ok && *sock < 0) {
		weft_error_set(err, "appd sent no socket");
		ok = false;
	}
	if (ok) {
		snprintf(address, WEFT_NET_ADDRESS_MAX, "%s", a != NULL ? a : "");
	} else if (*sock >= 0) {
		close(*sock);
		*sock = -1;
	}
	json_object_put(reply);
	return ok;
}
