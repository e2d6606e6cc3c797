/*
 * The app-shell's end of the app IPC channel (design §3): a SOCK_SEQPACKET
 * socket to the runtime, one UTF-8 payload per message. Outgoing messages
 * queue while the socket is full, so a burst from the page never blocks the
 * event loop and nothing is lost or reordered.
 */
#ifndef APP_SHELL_RELAY_H
#define APP_SHELL_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "weft/common.h"

/* Queued outgoing bytes beyond which the peer is considered stuck. */
#define APP_RELAY_MAX_QUEUED (256u * 1024 * 1024)

struct app_relay_listener {
	/* One message from the peer: len bytes, NUL-terminated for convenience. */
	void (*message)(void *data, const char *message, size_t len);
};

struct app_relay;

/* Takes ownership of fd and makes it non-blocking. */
struct app_relay *app_relay_create(int fd, const struct app_relay_listener *listener, void *data,
	struct weft_error *err);
void app_relay_destroy(struct app_relay *relay);

int app_relay_get_fd(struct app_relay *relay);
/* POLLIN, plus POLLOUT while messages wait. */
short app_relay_poll_events(struct app_relay *relay);
/* Copies message; false when it cannot be sent (too large, empty, queue full). */
bool app_relay_send(struct app_relay *relay, const char *message, size_t len,
	struct weft_error *err);
/*
 * Handles poll's revents. Returns false when the channel is finished: *hangup
 * says whether the peer closed it, otherwise err says what failed.
 */
bool app_relay_dispatch(struct app_relay *relay, short revents, bool *hangup,
	struct weft_error *err);

#endif
