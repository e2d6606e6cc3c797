#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "weft/ipc.h"

extern char **environ;

/* First fd the child's inherited fds are moved to before they are put in place. */
#define CHILD_FD_SCRATCH 64
#define CHILD_MAX_FDS 8

/* The soft RLIMIT_NOFILE appd started with, for unsandboxed children;
 * RLIM_INFINITY: not raised. */
static rlim_t inherited_nofile = RLIM_INFINITY;

unsigned long appd_spawn_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		return 0;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t old = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			return (unsigned long)old;
		}
		inherited_nofile = old;
	}
	return (unsigned long)rl.rlim_cur;
}

/* In the child: nothing here may return. */
static void exec_child(const struct appd_spawn *spawn, pid_t parent, int gate, int null_fd,
	bool in_cgroup)
{
	sigset_t none;
	sigemptyset(&none);
	/* appd blocks the signals its signalfd reads and ignores SIGPIPE;
	 * neither may reach the app. */
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
		_exit(127);
	}
	/* Programs that use select() break past 1024 fds: the old limit. */
	struct rlimit nofile;
	if (inherited_nofile != RLIM_INFINITY && getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
		nofile.rlim_cur = inherited_nofile;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if (setpgid(0, spawn->pgid) != 0) {
		_exit(127);
	}
	if (!in_cgroup && spawn->cgroup_procs_fd >= 0 &&
		write(spawn->cgroup_procs_fd, "0\n", 2) != 2) {
		_exit(127);
	}
	if (!weft_gate_wait(gate)) {
		_exit(127);
	}
	/* Out of the way first, so that putting one in place never clobbers
	 * another; dup2 then clears FD_CLOEXEC on the final numbers. */
	int moved[CHILD_MAX_FDS];
	for (size_t i = 0; i < spawn->nfds; i++) {
		moved[i] = fcntl(spawn->fds[i], F_DUPFD_CLOEXEC, CHILD_FD_SCRATCH);
		if (moved[i] < 0) {
			_exit(127);
		}
	}
	int output = spawn->output_fd >= 0
		? fcntl(spawn->output_fd, F_DUPFD_CLOEXEC, CHILD_FD_SCRATCH)
		: -1;
	if (spawn->output_fd >= 0 &&
		(output < 0 || dup2(output, STDOUT_FILENO) < 0 ||
			dup2(output, STDERR_FILENO) < 0)) {
		_exit(127);
	}
	if (dup2(null_fd, STDIN_FILENO) < 0) {
		_exit(127);
	}
	for (size_t i = 0; i < spawn->nfds; i++) {
		if (dup2(moved[i], 3 + (int)i) < 0) {
			_exit(127);
		}
	}
	/* Everything of appd's is CLOEXEC already; this makes sure. */
	close_range(3 + (unsigned int)spawn->nfds, ~0u, 0);
	execve(spawn->path, spawn->argv, spawn->envp);
	fprintf(stderr, "weft-appd: exec %s: %s\n", spawn->path, strerror(errno));
	_exit(127);
}

/*
 * fork(), with the child born in the cgroup behind cgroup_fd (>= 0) when
 * the kernel can (5.7 on): a move later, a write to cgroup.procs, waits for
 * an RCU grace period (6-13 ms) unless the hierarchy is mounted with
 * favordynmods. *in_cgroup false: it was not, and joins itself. Nothing
 * in the child mallocs, so clone3 without fork()'s handlers is safe.
 */
static pid_t fork_into(int cgroup_fd, bool *in_cgroup)
{
	*in_cgroup = false;
	if (cgroup_fd >= 0) {
		struct clone_args args = {
			.flags = CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)cgroup_fd,
		};
		pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0 || errno == ENOMEM) {
			*in_cgroup = pid >= 0;
			return pid;
		}
	}
	return fork();
}

/* Moves the gated child into the cgroup when the sandbox could not start
 * it there: it is in a new cgroup namespace already, whose root is then
 * ours, so appd does it. */
static bool join_cgroup(int procs_fd, pid_t pid, struct weft_error *err)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (write(procs_fd, buf, (size_t)len) != len) {
		weft_error_errno(err, "move %d into the session's cgroup", (int)pid);
		return false;
	}
	return true;
}

static bool spawn_sandboxed(const struct appd_spawn *spawn, struct appd_child *child,
	struct weft_error *err)
{
	struct weft_sandbox_exec exec = {
		.path = spawn->path,
		.argv = spawn->argv,
		.fds = spawn->fds,
		.nfds = spawn->nfds,
		.output_fd = spawn->output_fd,
		.pgid = spawn->pgid,
		.cgroup_fd = spawn->cgroup_fd,
	};
	if (!weft_sandbox_spawn(spawn->policy, &exec, &child->sandbox, err)) {
		return false;
	}
	child->sandboxed = true;
	child->pid = child->sandbox.pid;
	child->pidfd = child->sandbox.pidfd;
	if (!child->sandbox.in_cgroup && spawn->cgroup_procs_fd >= 0 &&
		!join_cgroup(spawn->cgroup_procs_fd, child->pid, err)) {
		weft_sandbox_child_release(&child->sandbox, false);
		close(child->sandbox.status_fd);
		siginfo_t info;
		while (waitid(P_PIDFD, (id_t)child->pidfd, &info, WEXITED) != 0 &&
			errno == EINTR) {
		}
		close(child->pidfd);
		child->pid = 0;
		child->pidfd = -1;
		return false;
	}
	return true;
}

bool appd_spawn_start(const struct appd_spawn *spawn, struct appd_child *child,
	struct weft_error *err)
{
	*child = (struct appd_child){ .pidfd = -1, .gate_fd = -1 };
	if (spawn->policy != NULL) {
		return spawn_sandboxed(spawn, child, err);
	}
	if (spawn->nfds > CHILD_MAX_FDS) {
		weft_error_set(err, "spawn %s: too many fds", spawn->path);
		return false;
	}
	int gate[2];
	if (pipe2(gate, O_CLOEXEC) != 0) {
		weft_error_errno(err, "pipe");
		return false;
	}
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0) {
		weft_error_errno(err, "open /dev/null");
		close(gate[0]);
		close(gate[1]);
		return false;
	}
	pid_t parent = getpid();
	bool in_cgroup;
	pid_t pid = fork_into(spawn->cgroup_fd, &in_cgroup);
	if (pid < 0) {
		weft_error_errno(err, "fork");
		close(gate[0]);
		close(gate[1]);
		close(null_fd);
		return false;
	}
	if (pid == 0) {
		close(gate[1]);
		exec_child(spawn, parent, gate[0], null_fd, in_cgroup);
	}
	close(gate[0]);
	close(null_fd);
	/* Also here, so that the group exists whichever side runs first. The
	 * child does the same and exits if it fails, so errors (EACCES: it has
	 * joined already and exec'd) need no handling. */
	setpgid(pid, spawn->pgid != 0 ? spawn->pgid : pid);
	child->pid = pid;
	child->gate_fd = gate[1];
	/* Race-free: the child is ours and nobody else can reap it. */
	child->pidfd = pidfd_open(pid, 0);
	if (child->pidfd < 0) {
		weft_error_errno(err, "pidfd_open %d", (int)pid);
		appd_child_release(child, false, err);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		child->pid = 0;
		return false;
	}
	return true;
}

bool appd_child_release(struct appd_child *child, bool go, struct weft_error *err)
{
	if (child->sandboxed) {
		weft_sandbox_child_release(&child->sandbox, go);
		if (!go) {
			close(child->sandbox.status_fd);
			child->sandbox.status_fd = -1;
			return true;
		}
		/* Its setup is a few syscalls: exec follows in a millisecond
		 * or two, and a failure is worth one clear line. */
		return weft_sandbox_child_wait_exec(&child->sandbox, err);
	}
	weft_gate_release(&child->gate_fd, go);
	return true;
}

static bool is_own_variable(const char *entry)
{
	static const char *const names[] = {
		"WEFT_COMPOSITOR_FD",
		"NOTIFY_SOCKET",
		"LISTEN_FDS",
		"LISTEN_PID",
		"LISTEN_FDNAMES",
		"WAYLAND_SOCKET",
		"WAYLAND_DISPLAY",
		"DISPLAY",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len = strlen(names[i]);
		if (strncmp(entry, names[i], len) == 0 && entry[len] == '=') {
			return true;
		}
	}
	return false;
}

bool appd_child_env(struct weft_strv *out, const char *const *extra, struct weft_error *err)
{
	weft_strv_init(out);
	for (char **e = environ; *e != NULL; e++) {
		if (!is_own_variable(*e) && !weft_strv_push(out, *e)) {
			goto oom;
		}
	}
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
		if (!weft_strv_push(out, extra[i])) {
			goto oom;
		}
	}
	return true;
oom:
	weft_strv_finish(out);
	weft_error_set(err, "out of memory");
	return false;
}

bool appd_helper_start(struct appd_helper *helper, const char *name, void (*run)(void *data),
	void *data, struct weft_error *err)
{
	*helper = (struct appd_helper){ .pid = -1, .pidfd = -1, .answer_fd = -1 };
	int sv[2];
	if (!weft_ipc_socketpair(sv, err)) {
		return false;
	}
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) != 0) {
		weft_error_errno(err, "%s: answer socket", name);
		close(sv[0]);
		close(sv[1]);
		return false;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		weft_error_errno(err, "%s: fork", name);
		close(sv[0]);
		close(sv[1]);
		return false;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
			_exit(127);
		}
		prctl(PR_SET_NAME, name);
		/* None of appd's fds stay open in here (its epoll set, sockets,
		 * pidfds): only stdio and the answer. */
		if (dup2(sv[1], APPD_HELPER_ANSWER_FD) < 0) {
			_exit(127);
		}
		close_range(APPD_HELPER_ANSWER_FD + 1, ~0u, 0);
		run(data);
		_exit(127);
	}
	close(sv[1]);
	/* Race-free: the child is ours and nobody else reaps it. */
	int pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		weft_error_errno(err, "%s: pidfd_open %d", name, (int)pid);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(sv[0]);
		return false;
	}
	*helper = (struct appd_helper){ .pid = pid, .pidfd = pidfd, .answer_fd = sv[0] };
	return true;
}

void appd_pidfd_kill(int pidfd)
{
	pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
	siginfo_t info;
	while (waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED) != 0 && errno == EINTR) {
	}
}
