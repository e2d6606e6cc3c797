#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay.h"
#include "weft/ipc.h"
#include "weft/log.h"

struct queued {
	struct queued *next;
	size_t len;
	char data[];
};

struct app_relay {
	int fd;
	char *buf; /* WEFT_MSG_MAX + 1 bytes */
	struct queued *head, *tail;
	size_t queued_bytes;
	const struct app_relay_listener *listener;
	void *data;
};

struct app_relay *app_relay_create(int fd, const struct app_relay_listener *listener, void *data,
	struct weft_error *err)
{
	struct app_relay *relay = calloc(1, sizeof(*relay));
	if (!relay) {
		weft_error_set(err, "out of memory");
		close(fd);
		return NULL;
	}
	relay->fd = fd;
	relay->listener = listener;
	relay->data = data;
	relay->buf = malloc(WEFT_MSG_MAX + 1);
	if (!relay->buf) {
		weft_error_set(err, "out of memory");
		goto error;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		weft_error_errno(err, "IPC fd %d", fd);
		goto error;
	}
	return relay;

error:
	app_relay_destroy(relay);
	return NULL;
}

void app_relay_destroy(struct app_relay *relay)
{
	if (!relay) {
		return;
	}
	struct queued *q = relay->head;
	while (q) {
		struct queued *next = q->next;
		free(q);
		q = next;
	}
	if (relay->fd >= 0) {
		close(relay->fd);
	}
	free(relay->buf);
	free(relay);
}

int app_relay_get_fd(struct app_relay *relay)
{
	return relay->fd;
}

short app_relay_poll_events(struct app_relay *relay)
{
	return POLLIN | (relay->head ? POLLOUT : 0);
}

/* Sends queued messages until the socket is full. */
static bool flush_queue(struct app_relay *relay, struct weft_error *err)
{
	while (relay->head) {
		struct queued *q = relay->head;
		if (!weft_ipc_send(relay->fd, q->data, q->len, NULL, 0, err)) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				return true;
			}
			return false;
		}
		relay->head = q->next;
		if (!relay->head) {
			relay->tail = NULL;
		}
		relay->queued_bytes -= q->len;
		free(q);
	}
	return true;
}

bool app_relay_send(struct app_relay *relay, const char *message, size_t len,
	struct weft_error *err)
{
	if (len == 0 || len > WEFT_MSG_MAX) {
		weft_error_set(err, "message of %zu bytes (1 to %d allowed)", len, WEFT_MSG_MAX);
		return false;
	}
	if (relay->queued_bytes + len > APP_RELAY_MAX_QUEUED) {
		weft_error_set(err, "the IPC peer is not reading (%zu bytes queued)",
			relay->queued_bytes);
		return false;
	}
	struct queued *q = malloc(sizeof(*q) + len);
	if (!q) {
		weft_error_set(err, "out of memory");
		return false;
	}
	q->next = NULL;
	q->len = len;
	memcpy(q->data, message, len);
	if (relay->tail) {
		relay->tail->next = q;
	} else {
		relay->head = q;
	}
	relay->tail = q;
	relay->queued_bytes += len;
	return flush_queue(relay, err);
}

bool app_relay_dispatch(struct app_relay *relay, short revents, bool *hangup,
	struct weft_error *err)
{
	*hangup = false;
	if (revents & POLLOUT) {
		if (!flush_queue(relay, err)) {
			return false;
		}
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR))) {
		return true;
	}
	for (;;) {
		ssize_t n = weft_ipc_recv(relay->fd, relay->buf, WEFT_MSG_MAX, NULL, NULL, err);
		if (n == 0) {
			*hangup = true;
			return false;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				return true;
			}
			if (errno == EMSGSIZE) {
				weft_log(WEFT_WARN, "dropped an IPC message larger than 1 MiB");
				continue;
			}
			if (errno == ECONNRESET) {
				*hangup = true;
			}
			return false;
		}
		relay->buf[n] = '\0';
		relay->listener->message(relay->data, relay->buf, (size_t)n);
	}
}
