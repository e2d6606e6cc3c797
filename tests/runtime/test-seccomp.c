/*
 * Installs weft-runtime's own seccomp policy (runtime_seccomp_install, the
 * function the runtime calls) in a child process and tries syscalls under
 * it: the ones the runtime needs must work, the dangerous ones must fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/sched.h>
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
static int try_under_policy(try_fn fn, bool network)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct runtime_seccomp_opts opts = { .network = network };
		struct weft_error err;
		if (!runtime_seccomp_install(&opts, &err)) {
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
	EXPECT(try_under_policy(try_getpid, false) == 0);
	EXPECT(try_under_policy(try_open, false) == 0);
	EXPECT(try_under_policy(try_mmap, false) == 0);
	EXPECT(try_under_policy(try_socketpair, false) == 0);
	EXPECT(try_under_policy(try_thread, false) == 0);
	EXPECT(try_under_policy(try_sigwait, false) == 0);
}

static void dangerous_syscalls_fail(void)
{
	EXPECT(try_under_policy(try_ptrace, false) == EPERM);
	EXPECT(try_under_policy(try_mount, false) == EPERM);
	EXPECT(try_under_policy(try_unshare, false) == EPERM);
	EXPECT(try_under_policy(try_execve, false) == EPERM);
	EXPECT(try_under_policy(try_fork, false) == EPERM);
	EXPECT(try_under_policy(try_kill_parent, false) == EPERM);
	EXPECT(try_under_policy(try_unix_socket, false) == EPERM);
	/* glibc falls back from clone3 to clone on ENOSYS. */
	EXPECT(try_under_policy(try_clone3, false) == ENOSYS);
	/* As on a kernel without io_uring, so that libraries take their
	 * fallback; with or without a network grant. */
	EXPECT(try_under_policy(try_io_uring, false) == ENOSYS);
	EXPECT(try_under_policy(try_io_uring, true) == ENOSYS);
}

static void network_only_with_grant(void)
{
	EXPECT(try_under_policy(try_inet, false) == EPERM);
	EXPECT(try_under_policy(try_inet, true) == 0);
	/* A network grant is not a licence for everything else. */
	EXPECT(try_under_policy(try_unix_socket, true) == EPERM);
	EXPECT(try_under_policy(try_ptrace, true) == EPERM);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(needed_syscalls_work),
		TEST_CASE(dangerous_syscalls_fail),
		TEST_CASE(network_only_with_grant),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
