/*
 * The OS-level sandbox of WEFT's untrusted processes: weft-runtime,
 * weft-app-shell and the prewarmed spare app-shell.
 *
 * A policy says what one process may see: which host paths appear in its
 * new root (read-only, or read-write for app data the manifest grants), its
 * environment and its limits. weft_sandbox_spawn() prepares everything in
 * the parent (allocation, path resolution, the Landlock ruleset), starts the
 * child with clone3() in new user, mount, pid, network, ipc, uts and cgroup
 * namespaces, and the child, without allocating, builds its root, drops
 * every capability, sets no_new_privs and its rlimits, restricts itself with
 * Landlock and execs. A child that cannot apply a layer reports it on a pipe
 * and exits with WEFT_SANDBOX_EXIT_SETUP; nothing is applied half-way
 * silently. seccomp is not here: each binary installs its own filter first
 * thing in main (see weft_sandbox_seccomp_app_shell()).
 *
 * The child is pid 1 of its pid namespace: SIGKILL from outside always
 * works, but any other signal (SIGTERM) reaches it only if it handles it
 * (a handler, or blocked and read with sigwait or a signalfd); with the
 * default disposition the kernel drops it. So that a SIGTERM sent before
 * the program handles it is not lost, it starts with SIGTERM, SIGINT and
 * SIGHUP blocked: it reads them (signalfd, sigwait) or installs a handler
 * and unblocks them. When it exits, every process of its namespace is
 * killed. It has no controlling terminal.
 */
#ifndef WEFT_SANDBOX_H
#define WEFT_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "weft/common.h"

/* The status the child exits with when a layer could not be applied. */
#define WEFT_SANDBOX_EXIT_SETUP 121

/* At most this many fds are handed to the child, as fds 3, 4, ... */
#define WEFT_SANDBOX_MAX_FDS 8

enum weft_sandbox_kind {
	WEFT_SANDBOX_RUNTIME,
	WEFT_SANDBOX_APP_SHELL,
	WEFT_SANDBOX_SPARE,
};

/* What an app's processes are given. Paths need not be canonical, but the
 * sandbox shows each at its canonical path (realpath()): pass the process
 * that one. */
struct weft_sandbox_app {
	const char *package_dir; /* read-only */
	const char *data_dir; /* NULL: none */
	bool data_rw; /* the manifest grants fs:rw:app-data */
	const char *const *extra_ro; /* NULL-terminated, or NULL */
};

struct weft_sandbox_policy;

/* Policies for each process type, NULL on failure. The caller
 * weft_sandbox_policy_destroy()s them; a policy can start any number of
 * processes. The spare depends on no app: no package, no app data. */
struct weft_sandbox_policy *weft_sandbox_policy_runtime(const struct weft_sandbox_app *app,
	struct weft_error *err);
struct weft_sandbox_policy *weft_sandbox_policy_app_shell(const struct weft_sandbox_app *app,
	struct weft_error *err);
struct weft_sandbox_policy *weft_sandbox_policy_spare(const char *const *extra_ro,
	struct weft_error *err);
void weft_sandbox_policy_destroy(struct weft_sandbox_policy *policy);

/* Adds "NAME=value" to the child's environment, which holds nothing else
 * but what the policy set. */
bool weft_sandbox_policy_setenv(struct weft_sandbox_policy *policy, const char *entry,
	struct weft_error *err);
/* Shows one more host path, read-only (or read-write). */
bool weft_sandbox_policy_add_path(struct weft_sandbox_policy *policy, const char *path,
	bool writable, struct weft_error *err);

/* Shows a host directory at its path read-only, under a writable layer of
 * the sandbox's own (overlayfs: the directory is the lower layer, a tmpfs
 * of the sandbox the upper): the process may write there, and what it
 * writes stays in its memory and vanishes with it; the host directory is
 * never written. Without a mount namespace (degraded) it is read-only. */
bool weft_sandbox_policy_add_overlay(struct weft_sandbox_policy *policy, const char *dir,
	struct weft_error *err);

/* Mesa's shader cache in a renderer (the app-shell, the spare): compiled
 * shaders Mesa loads and runs, so one app must never write a cache that
 * another app's renderer then trusts. */
enum weft_sandbox_shader_cache {
	WEFT_SANDBOX_SHADER_CACHE_NONE, /* off: Mesa compiles every shader */
	WEFT_SANDBOX_SHADER_CACHE_APP, /* the app's own directory, read-write */
	/* A cache only trusted processes write (the warm-up's), shown as
	 * weft_sandbox_policy_add_overlay() does: read, never written. */
	WEFT_SANDBOX_SHADER_CACHE_TRUSTED,
	/* The trusted cache read-write: only for the trusted warm-up. */
	WEFT_SANDBOX_SHADER_CACHE_WARM_UP,
};
/* Sets the renderer's Mesa shader cache to dir (NULL for NONE, the
 * default); dir must exist. The report says which one it has. */
bool weft_sandbox_policy_shader_cache(struct weft_sandbox_policy *policy,
	enum weft_sandbox_shader_cache cache, const char *dir, struct weft_error *err);

/* Limits; 0 means none. Defaults come from the policy function. */
struct weft_sandbox_limits {
	uint64_t data_bytes; /* RLIMIT_DATA, not RLIMIT_AS: wasm and JS reserve big regions */
	uint64_t nofile; /* RLIMIT_NOFILE */
	uint64_t nproc; /* RLIMIT_NPROC; the kernel ignores it for uid 0, see pids_max */
	uint32_t pids_max; /* tasks in the pid namespace (its pid_max, at least 301) */
};
void weft_sandbox_policy_set_limits(struct weft_sandbox_policy *policy,
	const struct weft_sandbox_limits *limits);
const struct weft_sandbox_limits *weft_sandbox_policy_limits(
	const struct weft_sandbox_policy *policy);
/* Allows starting with fewer layers when the kernel refuses one (no user
 * namespaces, no Landlock); the report says what was left out. Off by
 * default: then such a spawn fails. */
void weft_sandbox_policy_allow_degraded(struct weft_sandbox_policy *policy, bool allow);

/* Layers in force for one process. */
enum weft_sandbox_ns {
	WEFT_SANDBOX_NS_USER = 1 << 0,
	WEFT_SANDBOX_NS_MOUNT = 1 << 1,
	WEFT_SANDBOX_NS_PID = 1 << 2,
	WEFT_SANDBOX_NS_NET = 1 << 3,
	WEFT_SANDBOX_NS_IPC = 1 << 4,
	WEFT_SANDBOX_NS_UTS = 1 << 5,
	WEFT_SANDBOX_NS_CGROUP = 1 << 6,
};

struct weft_sandbox_report {
	enum weft_sandbox_kind kind;
	uint32_t namespaces; /* enum weft_sandbox_ns */
	bool new_root; /* a tmpfs root with the policy's paths only */
	int landlock_abi; /* the ABI the ruleset was built for; 0: no Landlock */
	int landlock_kernel_abi;
	uint64_t landlock_fs; /* handled rights (LANDLOCK_ACCESS_FS_*) */
	uint64_t landlock_net; /* LANDLOCK_ACCESS_NET_* */
	uint64_t landlock_scoped; /* LANDLOCK_SCOPE_* */
	bool caps_dropped; /* every capability up to cap_last, in every set */
	int cap_last;
	bool no_new_privs;
	struct weft_sandbox_limits limits; /* as applied: 0 where none */
	const char *seccomp; /* the filter the binary installs itself */
	const char *degraded; /* why a layer is missing, or NULL */
	/* Renderers only (the app-shell, the spare): Mesa's shader cache. */
	enum weft_sandbox_shader_cache shader_cache;
};

/* One line for a person: "user,mnt,pid,... namespaces; new root; ...". */
void weft_sandbox_report_format(const struct weft_sandbox_report *report, char *buf, size_t size);
/* A new json-c object; the caller json_object_put()s it. NULL when out of
 * memory. */
struct json_object *weft_sandbox_report_json(const struct weft_sandbox_report *report);

struct weft_sandbox_exec {
	const char *path; /* the program; shown read-only in the root */
	char *const *argv;
	const int *fds; /* become 3, 4, ...; stdin is /dev/null */
	size_t nfds;
	/* > 0: the child's stdout and stderr (a pipe, say); 0 or -1: inherited
	 * (fd 0 is stdin, never an output). */
	int output_fd;
	pid_t pgid; /* -1: stay in the caller's group, 0: a group of its own, else join */
	/* > 0: a cgroup v2 directory the child is born in (clone3's
	 * CLONE_INTO_CGROUP), which is then the root of its cgroup namespace;
	 * 0 or -1: the caller's cgroup. */
	int cgroup_fd;
};

struct weft_sandbox_child {
	pid_t pid;
	int pidfd;
	int gate_fd; /* the child waits for weft_sandbox_child_release() */
	int status_fd; /* readable (EOF) once it exec'd, or with its failure */
	/* Born in exec->cgroup_fd's cgroup; false when none was given or the
	 * kernel would not (before 5.7, or that cgroup refused): the caller
	 * moves it, and its cgroup namespace's root is the caller's cgroup. */
	bool in_cgroup;
	struct weft_sandbox_report report;
};

/* Starts the child, stopped before it applies anything. On success the
 * caller owns child->pidfd and must release the child, then reap it. */
bool weft_sandbox_spawn(const struct weft_sandbox_policy *policy,
	const struct weft_sandbox_exec *exec, struct weft_sandbox_child *child,
	struct weft_error *err);
/* Lets the child go on (go) or exit quietly (!go); closes the gate. */
void weft_sandbox_child_release(struct weft_sandbox_child *child, bool go);
/* Waits until the child exec'd (true; also when it was killed before) or
 * reported why it could not (false, with err naming the layer and errno).
 * Closes status_fd. */
bool weft_sandbox_child_wait_exec(struct weft_sandbox_child *child, struct weft_error *err);

/* Adds to dirs the directories the program's DT_RUNPATH (or DT_RPATH)
 * names, $ORIGIN expanded, canonical, that exist: where its loader looks
 * first, and what the sandbox shows read-only. */
bool weft_sandbox_program_runpath(const char *path, struct weft_strv *dirs,
	struct weft_error *err);

/* The Landlock ABI of the running kernel; 0 without Landlock. */
int weft_sandbox_landlock_abi(void);

/* weft-app-shell's seccomp filter is in weft/sandbox-seccomp.h. */

#endif
