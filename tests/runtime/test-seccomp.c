/*
 * Installs weft-runtime's own seccomp policy (runtime_seccomp_install, the
 * function the runtime calls) in a child process and tries syscalls under
 * it: the ones the runtime needs must work, the dangerous ones must fail.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp_policy.h"
#include "test.h"

enum expect {
	WORKS,
	FAILS_EPERM,
	FAILS_ENOSYS,
};

/* Returns the errno the syscall failed with, or 0 when it worked. */
typedef int (*try_fn)(void);

/* Runs fn in a child under the policy; returns its outcome (errno or 0). */
static int try_under_policy(try_fn fn)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct weft_error err;
		if (!runtime_seccomp_install(&err)) {
			fprintf(stderr, "# %s\n", err.msg);
			_exit(255);
		}
		_exit(fn());
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		return -1;
	}
	if (!WIFEXITED(status)) {
		fprintf(stderr, "# child died with signal %d\n", WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

static int result(long rc)
{
	return rc < 0 ? errno : 0;
}

static int try_getpid(void)
{
	return result(getpid() > 0 ? 0 : -1);
}

static int try_open(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
	}
	return result(fd);
}

static int try_mmap(void)
{
	void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		return errno;
	}
	return result(mprotect(p, 4096, PROT_NONE));
}

static int try_socketpair(void)
{
	int sv[2];
	return result(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
}

static void *thread_main(void *arg)
{
	return arg;
}

static int try_thread(void)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, thread_main, NULL);
	if (rc != 0) {
		return rc;
	}
	return pthread_join(t, NULL);
}

static int try_sigwait(void)
{
	/* The runtime's signal thread waits in sigwait(). */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	struct timespec zero = { 0 };
	int rc = sigtimedwait(&set, NULL, &zero);
	return rc < 0 && errno == EAGAIN ? 0 : result(rc);
}

static int try_ptrace(void)
{
	return result(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
}

static int try_mount(void)
{
	return result(mount("none", "/tmp", "tmpfs", 0, NULL));
}

static int try_inet(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
	}
	return result(fd);
}

static int try_inet6(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
	}
	return result(fd);
}

static int try_udp(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
	}
	return result(fd);
}

static int try_connect(void)
{
	/* A bad fd: a connect that ran would fail with EBADF. */
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(80) };
	return result(connect(-1, (struct sockaddr *)&addr, sizeof(addr)));
}

/* What libcurl does with the socket appd hands over: a TCP connection made
 * before the filter, used under it. */
static int try_connected_tcp(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct sockaddr_in addr = { .sin_family = AF_INET,
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(addr);
		int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (lfd < 0 || cfd < 0 || bind(lfd, (struct sockaddr *)&addr, len) != 0 ||
			listen(lfd, 1) != 0 ||
			getsockname(lfd, (struct sockaddr *)&addr, &len) != 0 ||
			connect(cfd, (struct sockaddr *)&addr, len) != 0) {
			_exit(254);
		}
		int afd = accept(lfd, NULL, NULL);
		struct weft_error err;
		if (afd < 0 || !runtime_seccomp_install(&err)) {
			_exit(255);
		}
		int one = 1;
		char buf[4];
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		bool ok = setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
			fcntl(cfd, F_SETFL, O_NONBLOCK) == 0 &&
			connect(cfd, (struct sockaddr *)&addr, len) == 0 &&
			getpeername(cfd, (struct sockaddr *)&peer, &plen) == 0 &&
			send(cfd, "ping", 4, MSG_NOSIGNAL) == 4 && recv(afd, buf, 4, 0) == 4 &&
			shutdown(cfd, SHUT_WR) == 0;
		_exit(ok ? 0 : errno);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		return -1;
	}
	return WEXITSTATUS(status);
}

static int try_unix_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
	}
	return result(fd);
}

static int try_fork(void)
{
	/* A fork is clone without CLONE_THREAD: no new processes. */
	pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		_exit(0);
	}
	return result(pid);
}

static int try_clone3(void)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		_exit(0);
	}
	return result(pid);
}

static int try_unshare(void)
{
	return result(unshare(CLONE_NEWUSER));
}

static int try_execve(void)
{
	char *argv[] = { "/bin/true", NULL };
	return result(execve("/bin/true", argv, environ));
}

static int try_io_uring(void)
{
	/* IORING_OP_SOCKET and IORING_OP_OPENAT would go around the filter. */
	struct io_uring_params params = { 0 };
	long fd = syscall(SYS_io_uring_setup, 8, &params);
	if (fd >= 0) {
		close((int)fd);
	}
	return result(fd);
}

static int try_kill_parent(void)
{
	return result(kill(getppid(), 0));
}

static void needed_syscalls_work(void)
{
	EXPECT(try_under_policy(try_getpid) == 0);
	EXPECT(try_under_policy(try_open) == 0);
	EXPECT(try_under_policy(try_mmap) == 0);
	EXPECT(try_under_policy(try_socketpair) == 0);
	EXPECT(try_under_policy(try_thread) == 0);
	EXPECT(try_under_policy(try_sigwait) == 0);
}

static void dangerous_syscalls_fail(void)
{
	EXPECT(try_under_policy(try_ptrace) == EPERM);
	EXPECT(try_under_policy(try_mount) == EPERM);
	EXPECT(try_under_policy(try_unshare) == EPERM);
	EXPECT(try_under_policy(try_execve) == EPERM);
	EXPECT(try_under_policy(try_fork) == EPERM);
	EXPECT(try_under_policy(try_kill_parent) == EPERM);
	EXPECT(try_under_policy(try_unix_socket) == EPERM);
	/* glibc falls back from clone3 to clone on ENOSYS. */
	EXPECT(try_under_policy(try_clone3) == ENOSYS);
	/* As on a kernel without io_uring, so that libraries take their
	 * fallback. */
	EXPECT(try_under_policy(try_io_uring) == ENOSYS);
}

/* The same filter with a net:fetch grant or without: no socket of any
 * family, a connect that does nothing; a socket appd connected works,
 * libcurl 7.88's second connect() on it included. */
static void no_network_of_its_own(void)
{
	EXPECT(try_under_policy(try_inet) == EPERM);
	EXPECT(try_under_policy(try_inet6) == EPERM);
	EXPECT(try_under_policy(try_udp) == EPERM);
	/* connect() never runs: it does nothing and returns 0. */
	EXPECT(try_under_policy(try_connect) == 0);
	EXPECT(try_under_policy(try_unix_socket) == EPERM);
	EXPECT(try_connected_tcp() == 0);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(needed_syscalls_work),
		TEST_CASE(dangerous_syscalls_fail),
		TEST_CASE(no_network_of_its_own),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
