/*
 * Starting session processes so that none outlives appd: each child asks
 * for SIGKILL when appd dies, joins its session's process group (and
 * cgroup, when limits have one), and waits at a gate until appd has put it
 * wherever limits want it before it runs anything.
 *
 * With a policy (always, unless appd runs with --insecure-no-sandbox) the
 * child is started by libweftsandbox: new namespaces, a root of only what
 * the policy shows, no capabilities, Landlock (sandbox/README.md). It is
 * then pid 1 of its own pid namespace: SIGKILL from appd always works, any
 * other signal only if the program handles it (weft-runtime and the
 * app-shell read SIGTERM from a signalfd; it starts blocked, so one sent
 * before they do waits), and when it exits everything it started inside
 * goes with it.
 */
#ifndef APPD_SPAWN_H
#define APPD_SPAWN_H

#include <sys/types.h>

#include "weft/common.h"
#include "weft/sandbox.h"

struct appd_spawn {
	const char *path;
	char *const *argv;
	/* The sandbox's environment is its policy's: envp is for a child
	 * started without one. */
	char *const *envp;
	const struct weft_sandbox_policy *policy; /* NULL: no sandbox */
	/* These become fds 3, 4, ... in the child; nothing else is inherited
	 * but stdin (/dev/null), stdout and stderr. */
	const int *fds;
	size_t nfds;
	/* The child's stdout and stderr (a pipe appd relays), or -1 for appd's
	 * own. */
	int output_fd;
	pid_t pgid; /* 0: lead a new process group */
	/* The session's cgroup: its directory, which the child is born in
	 * (clone3's CLONE_INTO_CGROUP), and its cgroup.procs, which the child
	 * joins when the kernel cannot do that; -1 each for none. */
	int cgroup_fd;
	int cgroup_procs_fd;
};

struct appd_child {
	pid_t pid;
	int pidfd;
	int gate_fd; /* write end: appd_child_release() lets the child exec */
	bool sandboxed;
	struct weft_sandbox_child sandbox; /* when sandboxed: its gate, status and report */
};

/* Raises appd's soft RLIMIT_NOFILE to its hard limit (appd holds a few fds
 * per session and client, and its loop a dup of each it watches); children
 * started without a sandbox get the old soft limit back, sandboxed ones
 * their policy's. Returns the new soft limit. */
unsigned long appd_spawn_raise_nofile(void);

/* Forks the child, which waits at its gate. */
bool appd_spawn_start(const struct appd_spawn *spawn, struct appd_child *child,
	struct weft_error *err);
/* Lets the child go on to exec (go true) or makes it exit 127 (go false).
 * A sandboxed child is waited for until it exec'd: false, with err naming
 * the layer it could not apply, when it could not (it exits). */
bool appd_child_release(struct appd_child *child, bool go, struct weft_error *err);

/* A short-lived helper of appd's own (the package check, the network
 * broker's connect): forked, not exec'd, it dies with appd, has the answer
 * socket on APPD_HELPER_ANSWER_FD and no other fd of appd's but stdio, and
 * runs run(data), which must end with _exit(). The parent gets the
 * non-blocking other end of the answer socket, the pid and a pidfd. */
#define APPD_HELPER_ANSWER_FD 3

struct appd_helper {
	pid_t pid;
	int pidfd;
	int answer_fd;
};

bool appd_helper_start(struct appd_helper *helper, const char *name, void (*run)(void *data),
	void *data, struct weft_error *err);

/* SIGKILL to the child behind pidfd, then reaps it (retried on EINTR);
 * the pidfd stays open. */
void appd_pidfd_kill(int pidfd);

/* A copy of environ without the variables that are appd's own (its
 * compositor fd, systemd's notify socket, any display), plus extra
 * ("NAME=value" strings, NULL-terminated, may be NULL). */
bool appd_child_env(struct weft_strv *out, const char *const *extra, struct weft_error *err);

#endif
