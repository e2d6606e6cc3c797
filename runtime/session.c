#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "doorbell.h"
#include "session.h"
#include "weft/ipc.h"
#include "weft/log.h"

/* How long a guest may take to stop once interrupted. */
#define END_GRACE_MS 2000
/* Developer mode: after stdin ends, how long the guest may take to finish
 * with what it was sent before we end it anyway. */
#define DEV_MAX_WAIT_MS 30000

void session_end(struct session *session, int exit_code)
{
	if (atomic_exchange(&session->ending, true)) {
		return;
	}
	session->exit_code = exit_code;
	wasmtime_engine_increment_epoch(session->engine);
	/* A guest waiting in ipc.wait sits in a host call: wake it. */
	if (session->ending_fd >= 0 && write(session->ending_fd, "", 1) < 0) {
		weft_log_errno(WEFT_WARN, "session: wake ipc.wait");
	}
	/* A guest waiting for the doorbell sits in a host call; end its stdin. */
	if (session->host->doorbell != NULL) {
		doorbell_close(session->host->doorbell);
	}
	/* A guest blocked in a host call (a long sleep, a full socket) does not
	 * see the epoch; do not let it keep the session alive. */
	struct timespec ts = { END_GRACE_MS / 1000, (END_GRACE_MS % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	fflush(stdout);
	weft_log(WEFT_WARN, "guest did not stop within %d ms; exiting", END_GRACE_MS);
	_exit(exit_code);
}

static sigset_t ending_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	return set;
}

static void *signal_main(void *data)
{
	struct session *session = data;
	sigset_t set = ending_signals();
	int sig;
	while (sigwait(&set, &sig) != 0) {
	}
	weft_log(WEFT_INFO, "%s: ending the guest", strsignal(sig));
	session_end(session, 0);
	return NULL;
}

bool session_block_signals(struct weft_error *err)
{
	sigset_t set = ending_signals();
	int rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (rc != 0) {
		errno = rc;
		weft_error_errno(err, "block signals");
		return false;
	}
	return true;
}

bool session_start(struct session *session, struct weft_error *err)
{
	int rc = pthread_create(&session->signal_thread, NULL, signal_main, session);
	if (rc != 0) {
		errno = rc;
		weft_error_errno(err, "start signal thread");
		return false;
	}
	pthread_detach(session->signal_thread);
	return true;
}

struct line_buf {
	char *data;
	size_t len, cap;
};

/* Sends every complete line in buf to the guest; returns how many. */
static uint64_t send_lines(int fd, struct line_buf *buf, bool flush_partial)
{
	uint64_t sent = 0;
	char *start = buf->data;
	char *end = buf->data + buf->len;
	for (;;) {
		char *nl = memchr(start, '\n', (size_t)(end - start));
		if (nl == NULL && !(flush_partial && start < end)) {
			break;
		}
		char *stop = nl != NULL ? nl : end;
		size_t len = (size_t)(stop - start);
		if (len > 0 && start[len - 1] == '\r') {
			len--;
		}
		if (len > WEFT_MSG_MAX) {
			weft_log(WEFT_WARN, "dev: line too long (%zu bytes), not sent", len);
		} else if (send(fd, start, len, MSG_NOSIGNAL) < 0) {
			weft_log_errno(WEFT_WARN, "dev: send");
		} else {
			sent++;
		}
		start = nl != NULL ? nl + 1 : end;
	}
	buf->len = (size_t)(end - start);
	memmove(buf->data, start, buf->len);
	return sent;
}

/* Copies every message the guest sent so far to stdout, one per line. */
static void drain_guest(int fd, char *msg)
{
	for (;;) {
		ssize_t len = recv(fd, msg, WEFT_MSG_MAX, MSG_DONTWAIT);
		if (len < 0) {
			return;
		}
		msg[len] = '\n';
		if (!weft_write_all(STDOUT_FILENO, msg, (size_t)len + 1)) {
			weft_log_errno(WEFT_WARN, "dev: write stdout");
		}
	}
}

static void *dev_main(void *data)
{
	struct session *session = data;
	struct runtime_host *host = session->host;
	struct line_buf in = { 0 };
	char *msg = malloc(WEFT_MSG_MAX + 1);
	if (msg == NULL) {
		weft_log(WEFT_ERROR, "dev: out of memory");
		session_end(session, 1);
		return NULL;
	}
	bool eof = false;
	uint64_t sent = 0;
	long eof_at = 0;

	for (;;) {
		struct pollfd pfds[2] = {
			{ .fd = session->dev_fd, .events = POLLIN },
			{ .fd = eof ? -1 : session->dev_in, .events = POLLIN },
		};
		int r = poll(pfds, 2, eof ? 50 : -1);
		if (r < 0 && errno != EINTR) {
			weft_log_errno(WEFT_ERROR, "dev: poll");
			break;
		}
		if (pfds[0].revents & POLLIN) {
			drain_guest(session->dev_fd, msg);
		}
		if (!eof && (pfds[1].revents & (POLLIN | POLLHUP))) {
			if (in.cap - in.len < 65536) {
				size_t cap = in.cap > 0 ? in.cap * 2 : 131072;
				char *p = realloc(in.data, cap);
				if (p == NULL) {
					weft_log(WEFT_ERROR, "dev: out of memory");
					break;
				}
				in.data = p;
				in.cap = cap;
			}
			ssize_t n = read(session->dev_in, in.data + in.len, in.cap - in.len);
			if (n < 0 && errno == EINTR) {
				continue;
			}
			if (n <= 0) {
				eof = true;
				eof_at = weft_now_ms();
				sent += send_lines(session->dev_fd, &in, true);
			} else {
				in.len += (size_t)n;
				sent += send_lines(session->dev_fd, &in, false);
			}
		}
		if (eof) {
			/* Done once the guest has taken every message and then found
			 * its queue empty: it answered all it was going to. ipc.recv
			 * clears idle before it counts a message, so idle seen after
			 * the count covers the last message. */
			uint64_t received = atomic_load(&host->received);
			if (sent == 0 || (received >= sent && atomic_load(&host->idle))) {
				break;
			}
			if (weft_now_ms() - eof_at > DEV_MAX_WAIT_MS) {
				weft_log(WEFT_WARN, "dev: the guest did not finish within %d s",
					DEV_MAX_WAIT_MS / 1000);
				break;
			}
		}
	}
	drain_guest(session->dev_fd, msg);
	free(msg);
	free(in.data);
	session_end(session, 0);
	return NULL;
}

bool session_start_dev(struct session *session, int fd, struct weft_error *err)
{
	session->dev_fd = fd;
	int rc = pthread_create(&session->dev_thread, NULL, dev_main, session);
	if (rc != 0) {
		errno = rc;
		weft_error_errno(err, "start developer mode thread");
		return false;
	}
	pthread_detach(session->dev_thread);
	return true;
}
