/*
 * The app-shell's IPC relay: messages both ways keep their boundaries and
 * their order, a full socket queues instead of blocking or dropping, and a
 * peer hanging up is told apart from an error.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay.h"
#include "test.h"
#include "weft/ipc.h"

struct received {
	int count;
	char last[64];
	size_t last_len;
	bool in_order;
};

static void handle_message(void *data, const char *message, size_t len)
{
	struct received *r = data;
	char want[32];
	snprintf(want, sizeof(want), "m%d", r->count);
	r->in_order = r->in_order && strlen(want) == len && memcmp(want, message, len) == 0;
	r->last_len = len < sizeof(r->last) ? len : sizeof(r->last) - 1;
	memcpy(r->last, message, r->last_len);
	r->last[r->last_len] = '\0';
	r->count++;
}

static const struct app_relay_listener listener = {
	.message = handle_message,
};

static struct app_relay *relay_pair(int *peer, struct received *r)
{
	int sv[2];
	struct weft_error err = { 0 };
	if (!weft_ipc_socketpair(sv, &err)) {
		abort();
	}
	*peer = sv[1];
	return app_relay_create(sv[0], &listener, r, &err);
}

static bool dispatch(struct app_relay *relay, bool *hangup)
{
	struct pollfd pfd = {
		.fd = app_relay_get_fd(relay),
		.events = app_relay_poll_events(relay),
	};
	if (poll(&pfd, 1, 1000) <= 0) {
		*hangup = false;
		return true;
	}
	struct weft_error err = { 0 };
	return app_relay_dispatch(relay, pfd.revents, hangup, &err);
}

static void incoming_in_order(void)
{
	struct received r = { .in_order = true };
	int peer;
	struct app_relay *relay = relay_pair(&peer, &r);
	ASSERT(relay);
	for (int i = 0; i < 100; i++) {
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "m%d", i);
		ASSERT(send(peer, msg, (size_t)len, 0) == len);
	}
	bool hangup = false;
	while (r.count < 100 && dispatch(relay, &hangup)) {
	}
	EXPECT(r.count == 100);
	EXPECT(r.in_order);

	close(peer);
	EXPECT(!dispatch(relay, &hangup));
	EXPECT(hangup);
	app_relay_destroy(relay);
}

static void outgoing_burst_queues(void)
{
	struct received r = { .in_order = true };
	int peer;
	struct app_relay *relay = relay_pair(&peer, &r);
	ASSERT(relay);
	struct weft_error err = { 0 };
	enum { BURST = 10000 };
	/* The peer reads nothing yet: the socket fills and the rest queues. */
	for (int i = 0; i < BURST; i++) {
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "m%d", i);
		ASSERT(app_relay_send(relay, msg, (size_t)len, &err));
	}
	EXPECT(app_relay_poll_events(relay) & POLLOUT);

	char buf[64];
	int got = 0;
	bool in_order = true, hangup = false;
	while (got < BURST) {
		ssize_t n = recv(peer, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN) {
			ASSERT(dispatch(relay, &hangup));
			continue;
		}
		ASSERT(n > 0);
		buf[n] = '\0';
		char want[32];
		snprintf(want, sizeof(want), "m%d", got);
		in_order = in_order && strcmp(buf, want) == 0;
		got++;
	}
	EXPECT(in_order);
	EXPECT(!(app_relay_poll_events(relay) & POLLOUT));
	close(peer);
	app_relay_destroy(relay);
}

static void sizes(void)
{
	struct received r = { .in_order = true };
	int peer;
	struct app_relay *relay = relay_pair(&peer, &r);
	ASSERT(relay);
	struct weft_error err = { 0 };
	EXPECT(!app_relay_send(relay, "", 0, &err));
	char *big = malloc(WEFT_MSG_MAX + 1);
	memset(big, 'x', WEFT_MSG_MAX + 1);
	EXPECT(!app_relay_send(relay, big, WEFT_MSG_MAX + 1, &err));
	/* Exactly 1 MiB goes through whole. */
	EXPECT(app_relay_send(relay, big, WEFT_MSG_MAX, &err));
	char *buf = malloc(WEFT_MSG_MAX + 1);
	ssize_t n = -1;
	bool hangup = false;
	for (int i = 0; i < 100 && n < 0; i++) {
		n = recv(peer, buf, WEFT_MSG_MAX + 1, MSG_DONTWAIT);
		if (n < 0) {
			dispatch(relay, &hangup);
		}
	}
	EXPECT(n == WEFT_MSG_MAX);
	free(buf);
	free(big);
	close(peer);
	app_relay_destroy(relay);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(incoming_in_order),
		TEST_CASE(outgoing_burst_queues),
		TEST_CASE(sizes),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
