#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "doorbell.h"
#include "weft/log.h"

bool doorbell_init(struct doorbell *bell, int ipc_fd, struct weft_error *err)
{
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
		weft_error_errno(err, "doorbell: pipe");
		return false;
	}
	int rearm = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rearm < 0) {
		weft_error_errno(err, "doorbell: eventfd");
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return false;
	}
	bell->ipc_fd = ipc_fd;
	bell->guest_fd = pipe_fds[0];
	bell->ring_fd = pipe_fds[1];
	bell->rearm_fd = rearm;
	atomic_init(&bell->closing, 0);
	atomic_init(&bell->rung, false);
	return true;
}

static void *doorbell_main(void *data)
{
	struct doorbell *bell = data;
	bool armed = true;
	for (;;) {
		/* While a ring is unanswered, only wait to be rearmed: the
		 * message that rang is still queued and would wake us at once. */
		struct pollfd pfds[2] = {
			{ .fd = bell->rearm_fd, .events = POLLIN },
			{ .fd = armed ? bell->ipc_fd : -1, .events = POLLIN },
		};
		if (poll(pfds, 2, -1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			weft_log_errno(WEFT_WARN, "doorbell: poll");
			return NULL;
		}
		if (pfds[0].revents & POLLIN) {
			uint64_t n;
			if (read(bell->rearm_fd, &n, sizeof(n)) == sizeof(n)) {
				armed = true;
			}
		}
		if (armed && (pfds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (atomic_load(&bell->closing)) {
				return NULL;
			}
			/* Set before the byte goes out: the guest clears it when it
			 * next finds the queue empty, which rearms us. */
			atomic_store(&bell->rung, true);
			if (write(bell->ring_fd, "\n", 1) != 1) {
				return NULL;
			}
			armed = false;
			if (!(pfds[1].revents & POLLIN)) {
				/* The peer is gone: one last ring so that the guest
				 * notices, then nothing more will come. */
				return NULL;
			}
		}
	}
}

bool doorbell_start(struct doorbell *bell, struct weft_error *err)
{
	int rc = pthread_create(&bell->thread, NULL, doorbell_main, bell);
	if (rc != 0) {
		errno = rc;
		weft_error_errno(err, "doorbell: start thread");
		return false;
	}
	pthread_detach(bell->thread);
	return true;
}

void doorbell_rearm(struct doorbell *bell)
{
	if (!atomic_exchange(&bell->rung, false)) {
		return;
	}
	uint64_t one = 1;
	if (write(bell->rearm_fd, &one, sizeof(one)) != sizeof(one)) {
		weft_log_errno(WEFT_WARN, "doorbell: rearm");
	}
}

void doorbell_close(struct doorbell *bell)
{
	atomic_store(&bell->closing, 1);
	/* dup2 over the write end instead of close: the thread may be about to
	 * write to it, and a closed number could be reused meanwhile. */
	int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null_fd >= 0) {
		dup3(null_fd, bell->ring_fd, O_CLOEXEC);
		close(null_fd);
	}
}
