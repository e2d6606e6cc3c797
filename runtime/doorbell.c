#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doorbell.h"
#include "weft/log.h"

static sigset_t doorbell_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	return set;
}

bool doorbell_block_signal(struct weft_error *err)
{
	sigset_t set = doorbell_signals();
	int rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (rc != 0) {
		errno = rc;
		weft_error_errno(err, "doorbell: block SIGIO");
		return false;
	}
	return true;
}

/* Every message that arrives on fd raises SIGIO for this process. */
static bool ring_on_input(int fd, struct weft_error *err)
{
	int flags = fcntl(fd, F_GETFL);
	if (fcntl(fd, F_SETOWN, getpid()) != 0 || flags < 0 ||
		fcntl(fd, F_SETFL, flags | O_ASYNC) != 0) {
		weft_error_errno(err, "doorbell: O_ASYNC on fd %d", fd);
		return false;
	}
	return true;
}

bool doorbell_init(struct doorbell *bell, int ipc_fd, struct weft_error *err)
{
	sigset_t set = doorbell_signals();
	bell->ipc_fd = ipc_fd;
	bell->stdin_fd = -1;
	bell->guest_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (bell->guest_fd < 0) {
		weft_error_errno(err, "doorbell: signalfd");
		return false;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, bell->poke) != 0) {
		weft_error_errno(err, "doorbell: socketpair");
		close(bell->guest_fd);
		return false;
	}
	if (!ring_on_input(ipc_fd, err) || !ring_on_input(bell->poke[0], err)) {
		close(bell->guest_fd);
		close(bell->poke[0]);
		close(bell->poke[1]);
		return false;
	}
	return true;
}

void doorbell_close(struct doorbell *bell)
{
	/* The guest's next read of stdin ends it; a read already waiting
	 * returns once the poke rings, and the next one ends. */
	if (bell->stdin_fd >= 0) {
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null_fd >= 0) {
			dup3(null_fd, bell->stdin_fd, 0);
			close(null_fd);
		}
	}
	if (send(bell->poke[1], "", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		weft_log_errno(WEFT_WARN, "doorbell: poke");
	}
}
