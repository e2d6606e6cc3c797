/*
 * Starting a sandboxed process. The parent resolves and allocates
 * everything into a plan (mounts in order, the Landlock ruleset, the id
 * maps as text); the child follows it with syscalls only, because a
 * multi-threaded parent may have left malloc's locks held. A child that
 * fails writes one record (step, errno, path) on the status pipe and exits
 * with WEFT_SANDBOX_EXIT_SETUP; the pipe is O_CLOEXEC, so EOF means exec.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
/* ASan's shadow memory is a private writable mapping, so RLIMIT_DATA would
 * stop an instrumented program before main. */
#define SANDBOX_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_UNDER_ASAN 1
#endif
#endif

#define NS_FLAGS \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | \
		CLONE_NEWUTS | CLONE_NEWCGROUP)

enum mount_kind {
	MOUNT_BIND,
	MOUNT_SYMLINK,
	MOUNT_TMPFS,
	MOUNT_PROC,
	MOUNT_OVERLAY, /* source read-only, under a writable tmpfs layer */
};

struct plan_mount {
	const char *target; /* absolute; the same path as on the host for binds */
	const char *source; /* MOUNT_BIND: host path; MOUNT_SYMLINK: link text */
	enum mount_kind kind;
	bool is_dir, writable, device;
	bool covered; /* inside a read-only bind already: a Landlock rule only */
	uint64_t access; /* Landlock rights (for MOUNT_BIND: added by the parent) */
};

enum step {
	STEP_GATE,
	STEP_TERMINAL,
	STEP_FDS,
	STEP_ID_MAP,
	STEP_MOUNT_PRIVATE,
	STEP_OPEN_SOURCE,
	STEP_ROOT,
	STEP_MKDIR,
	STEP_MOUNT,
	STEP_MOUNT_ATTR,
	STEP_SYSCTL,
	STEP_PIVOT_ROOT,
	STEP_HOSTNAME,
	STEP_RLIMIT,
	STEP_CAPS,
	STEP_NO_NEW_PRIVS,
	STEP_LANDLOCK,
	STEP_EXEC,
};

static const char *const step_names[] = {
	[STEP_GATE] = "gate",
	[STEP_TERMINAL] = "controlling terminal",
	[STEP_FDS] = "fds",
	[STEP_ID_MAP] = "uid/gid map",
	[STEP_MOUNT_PRIVATE] = "make mounts private",
	[STEP_OPEN_SOURCE] = "open",
	[STEP_ROOT] = "tmpfs root",
	[STEP_MKDIR] = "mount point",
	[STEP_MOUNT] = "mount",
	[STEP_MOUNT_ATTR] = "mount_setattr",
	[STEP_SYSCTL] = "namespace sysctl",
	[STEP_PIVOT_ROOT] = "pivot_root",
	[STEP_HOSTNAME] = "sethostname",
	[STEP_RLIMIT] = "setrlimit",
	[STEP_CAPS] = "drop capabilities",
	[STEP_NO_NEW_PRIVS] = "no_new_privs",
	[STEP_LANDLOCK] = "landlock",
	[STEP_EXEC] = "exec",
};

struct failure {
	int32_t step;
	int32_t error;
	char what[256];
};

struct plan {
	struct plan_mount *mounts;
	size_t nmounts;
	int *source_fds;
	bool namespaces;
	bool drop_bounding;
	int cap_last;
	int ruleset; /* -1: no Landlock */
	uint64_t handled_fs;
	char uid_map[64], gid_map[64], pid_max[16];
	struct weft_sandbox_limits limits;
	const char *path;
	char *const *argv;
	char *const *envp;
	const int *fds;
	size_t nfds;
	int output_fd; /* -1: inherited */
	int gate, status, null_fd;
};

static const char *const namespace_sysctls[] = {
	"proc/sys/user/max_user_namespaces",
	"proc/sys/user/max_mnt_namespaces",
	"proc/sys/user/max_pid_namespaces",
	"proc/sys/user/max_net_namespaces",
	"proc/sys/user/max_ipc_namespaces",
	"proc/sys/user/max_uts_namespaces",
	"proc/sys/user/max_cgroup_namespaces",
	"proc/sys/user/max_time_namespaces",
};

/* Where an overlay's upper layer is made, in the new root, before it is
 * detached: the process never sees it. */
#define OVERLAY_STAGING ".weft-overlay"

/* The child's side. Nothing below allocates or returns on failure. */

static size_t child_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = 0;
	for (; src != NULL && src[n] != '\0' && n + 1 < size; n++) {
		dst[n] = src[n];
	}
	dst[n] = '\0';
	return n;
}

static _Noreturn void child_fail(const struct plan *plan, enum step step, int error,
	const char *what)
{
	struct failure f = { .step = step, .error = error };
	child_strlcpy(f.what, what, sizeof(f.what));
	ssize_t n;
	do {
		n = write(plan->status, &f, sizeof(f));
	} while (n < 0 && errno == EINTR);
	_exit(WEFT_SANDBOX_EXIT_SETUP);
}

/* "/proc/self/fd/N" into buf. */
static void child_fd_path(char *buf, size_t size, int fd)
{
	char digits[16];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + fd % 10);
		fd /= 10;
	} while (fd > 0 && n < sizeof(digits));
	size_t len = child_strlcpy(buf, "/proc/self/fd/", size);
	while (n > 0 && len + 1 < size) {
		buf[len++] = digits[--n];
	}
	buf[len] = '\0';
}

/* Appends "/proc/self/fd/N" to buf, which holds len bytes. */
static size_t child_append_fd(char *buf, size_t len, size_t size, int fd)
{
	char path[64];
	child_fd_path(path, sizeof(path), fd);
	return len + child_strlcpy(buf + len, path, size - len);
}

/* mkdir -p of rel (relative to the new root), with or without its last
 * component. */
static void child_mkdirs(const struct plan *plan, const char *rel, bool last)
{
	char buf[PATH_MAX];
	if (child_strlcpy(buf, rel, sizeof(buf)) >= sizeof(buf) - 1) {
		child_fail(plan, STEP_MKDIR, ENAMETOOLONG, rel);
	}
	for (char *p = buf;; p++) {
		if (*p != '/' && *p != '\0') {
			continue;
		}
		bool end = *p == '\0';
		if (end && !last) {
			break;
		}
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
			child_fail(plan, STEP_MKDIR, errno, buf);
		}
		if (end) {
			break;
		}
		*p = '/';
	}
}

static void child_setattr(const struct plan *plan, const char *rel, uint64_t attr,
	unsigned int flags)
{
	struct mount_attr ma = { .attr_set = attr };
	if (mount_setattr(AT_FDCWD, rel, flags, &ma, sizeof(ma)) != 0) {
		child_fail(plan, STEP_MOUNT_ATTR, errno, rel);
	}
}

/*
 * An overlay over the read-only bind at rel: its upper layer and work
 * directory on a tmpfs of their own, detached once the overlay holds them.
 * The process writes into that tmpfs only; the bind below is never
 * written, and what it wrote ends with its mount namespace.
 */
static void child_overlay(const struct plan *plan, const char *rel, const char *target)
{
	if (mkdir(OVERLAY_STAGING, 0700) != 0 && errno != EEXIST) {
		child_fail(plan, STEP_MKDIR, errno, "/" OVERLAY_STAGING);
	}
	if (mount("tmpfs", OVERLAY_STAGING, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") != 0) {
		child_fail(plan, STEP_MOUNT, errno, "/" OVERLAY_STAGING);
	}
	if (mkdir(OVERLAY_STAGING "/upper", 0755) != 0 ||
		mkdir(OVERLAY_STAGING "/work", 0700) != 0) {
		child_fail(plan, STEP_MKDIR, errno, "/" OVERLAY_STAGING);
	}
	/* By fd, so that no character of a path needs escaping. */
	int lower = open(rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int upper = open(OVERLAY_STAGING "/upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int work = open(OVERLAY_STAGING "/work", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (lower < 0 || upper < 0 || work < 0) {
		child_fail(plan, STEP_OPEN_SOURCE, errno, target);
	}
	char options[256];
	size_t len = child_strlcpy(options, "lowerdir=", sizeof(options));
	len = child_append_fd(options, len, sizeof(options), lower);
	len += child_strlcpy(options + len, ",upperdir=", sizeof(options) - len);
	len = child_append_fd(options, len, sizeof(options), upper);
	len += child_strlcpy(options + len, ",workdir=", sizeof(options) - len);
	child_append_fd(options, len, sizeof(options), work);
	if (mount("overlay", rel, "overlay", MS_NOSUID | MS_NODEV, options) != 0) {
		child_fail(plan, STEP_MOUNT, errno, target);
	}
	close(lower);
	close(upper);
	close(work);
	if (umount2(OVERLAY_STAGING, MNT_DETACH) != 0 || rmdir(OVERLAY_STAGING) != 0) {
		child_fail(plan, STEP_MOUNT, errno, "/" OVERLAY_STAGING);
	}
}

static void child_mount(const struct plan *plan, size_t i)
{
	const struct plan_mount *m = &plan->mounts[i];
	const char *rel = m->target + 1;
	char fd_path[64];
	switch (m->kind) {
	case MOUNT_BIND:
	case MOUNT_OVERLAY:
		child_mkdirs(plan, rel, m->is_dir);
		if (!m->is_dir) {
			int fd = open(rel, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd < 0) {
				child_fail(plan, STEP_MKDIR, errno, m->target);
			}
			close(fd);
		}
		child_fd_path(fd_path, sizeof(fd_path), plan->source_fds[i]);
		if (mount(fd_path, rel, NULL, MS_BIND | MS_REC, NULL) != 0) {
			child_fail(plan, STEP_MOUNT, errno, m->target);
		}
		close(plan->source_fds[i]);
		child_setattr(plan, rel,
			MOUNT_ATTR_NOSUID | (m->device ? 0 : MOUNT_ATTR_NODEV) |
				(m->writable ? 0 : MOUNT_ATTR_RDONLY),
			AT_RECURSIVE);
		if (m->kind == MOUNT_OVERLAY) {
			child_overlay(plan, rel, m->target);
		}
		break;
	case MOUNT_SYMLINK:
		child_mkdirs(plan, rel, false);
		if (symlink(m->source, rel) != 0) {
			child_fail(plan, STEP_MOUNT, errno, m->target);
		}
		break;
	case MOUNT_TMPFS:
		child_mkdirs(plan, rel, true);
		if (mount("tmpfs", rel, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
			child_fail(plan, STEP_MOUNT, errno, m->target);
		}
		break;
	case MOUNT_PROC:
		child_mkdirs(plan, rel, true);
		if (mount("proc", rel, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			    "hidepid=invisible") != 0) {
			child_fail(plan, STEP_MOUNT, errno, m->target);
		}
		/* Limits that belong to this pid and user namespace, while the
		 * child still may write them. */
		if (plan->pid_max[0] != '\0' &&
			!weft_write_kernel_file("proc/sys/kernel/pid_max", plan->pid_max)) {
			child_fail(plan, STEP_SYSCTL, errno, "/proc/sys/kernel/pid_max");
		}
		for (size_t s = 0; s < sizeof(namespace_sysctls) / sizeof(namespace_sysctls[0]);
			s++) {
			if (!weft_write_kernel_file(namespace_sysctls[s], "0\n")) {
				child_fail(plan, STEP_SYSCTL, errno, namespace_sysctls[s]);
			}
		}
		child_setattr(plan, rel, MOUNT_ATTR_RDONLY, 0);
		break;
	}
}

static void child_build_root(const struct plan *plan)
{
	if (!weft_write_kernel_file("/proc/self/setgroups", "deny") ||
		!weft_write_kernel_file("/proc/self/uid_map", plan->uid_map) ||
		!weft_write_kernel_file("/proc/self/gid_map", plan->gid_map)) {
		child_fail(plan, STEP_ID_MAP, errno, "/proc/self/uid_map");
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		child_fail(plan, STEP_MOUNT_PRIVATE, errno, "/");
	}
	/* Sources first: the root tmpfs goes over /tmp, where some may be. */
	for (size_t i = 0; i < plan->nmounts; i++) {
		const struct plan_mount *m = &plan->mounts[i];
		plan->source_fds[i] = -1;
		if ((m->kind == MOUNT_BIND || m->kind == MOUNT_OVERLAY) && !m->covered) {
			plan->source_fds[i] = open(m->source, O_PATH | O_CLOEXEC);
			if (plan->source_fds[i] < 0) {
				child_fail(plan, STEP_OPEN_SOURCE, errno, m->source);
			}
		}
	}
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0 ||
		chdir("/tmp") != 0) {
		child_fail(plan, STEP_ROOT, errno, "/tmp");
	}
	for (size_t i = 0; i < plan->nmounts; i++) {
		if (!plan->mounts[i].covered) {
			child_mount(plan, i);
		}
	}
	child_setattr(plan, ".", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0);
	/* The old root ends up on top of the new one, and is detached. */
	if (syscall(SYS_pivot_root, ".", ".") != 0 || umount2(".", MNT_DETACH) != 0 ||
		chdir("/") != 0) {
		child_fail(plan, STEP_PIVOT_ROOT, errno, "/");
	}
	if (sethostname("weft", 4) != 0) {
		child_fail(plan, STEP_HOSTNAME, errno, "weft");
	}
}

static void child_rlimit(const struct plan *plan, int resource, uint64_t value, const char *name)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };
	if (value != 0 && setrlimit(resource, &rl) != 0) {
		child_fail(plan, STEP_RLIMIT, errno, name);
	}
}

static void child_drop_caps(const struct plan *plan)
{
	if (plan->drop_bounding) {
		/* Root inside gets nothing from exec, and nobody may raise
		 * ambient capabilities again. */
		if (prctl(PR_SET_SECUREBITS,
			    SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
				    SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) != 0) {
			child_fail(plan, STEP_CAPS, errno, "securebits");
		}
		for (int cap = 0; cap <= plan->cap_last; cap++) {
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
				child_fail(plan, STEP_CAPS, errno, "bounding set");
			}
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
		child_fail(plan, STEP_CAPS, errno, "ambient set");
	}
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	if (syscall(SYS_capset, &hdr, data) != 0) {
		child_fail(plan, STEP_CAPS, errno, "capset");
	}
}

static void child_landlock(const struct plan *plan)
{
	/* Rules for the mounts the child made itself; without a new root they
	 * would name the host's /tmp and /proc. */
	for (size_t i = 0; plan->namespaces && i < plan->nmounts; i++) {
		const struct plan_mount *m = &plan->mounts[i];
		if (m->kind != MOUNT_TMPFS && m->kind != MOUNT_PROC && m->kind != MOUNT_OVERLAY) {
			continue;
		}
		int fd = open(m->target, O_PATH | O_CLOEXEC);
		if (fd < 0) {
			child_fail(plan, STEP_LANDLOCK, errno, m->target);
		}
		int rc = sandbox_landlock_allow(plan->ruleset, fd, m->access, plan->handled_fs,
			true);
		close(fd);
		if (rc != 0) {
			child_fail(plan, STEP_LANDLOCK, -rc, m->target);
		}
	}
	if (syscall(SYS_landlock_restrict_self, plan->ruleset, 0) != 0) {
		child_fail(plan, STEP_LANDLOCK, errno, "landlock_restrict_self");
	}
	close(plan->ruleset);
}

/*
 * The terminal appd was started from, if any, is not the app's: a process
 * without a controlling terminal gets EPERM from TIOCSTI on any terminal fd
 * that reaches it, and cannot acquire one (it leads no session).
 * TIOCNOTTY rather than setsid(): the child stays in the caller's session,
 * where the parent can still put it in a process group it chose.
 */
static void child_drop_terminal(const struct plan *plan)
{
	int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (tty < 0 && errno == ENXIO) {
		return; /* it has none */
	}
	if (tty < 0 || ioctl(tty, TIOCNOTTY) != 0) {
		child_fail(plan, STEP_TERMINAL, errno, "/dev/tty");
	}
	close(tty);
}

static _Noreturn void child_main(struct plan *plan)
{
	/* The caller's blocked signals and ignored SIGPIPE are not the
	 * program's. As pid 1 of its namespace, though, it starts with the
	 * ending signals blocked: the kernel drops a signal to a namespace's
	 * init that is neither handled nor blocked, so a SIGTERM sent before
	 * the program handles it would be lost. Blocked, it waits (across
	 * exec) for the program's signalfd, sigwait or handler. */
	sigset_t mask;
	sigemptyset(&mask);
	if (plan->namespaces) {
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGINT);
		sigaddset(&mask, SIGHUP);
	}
	sigprocmask(SIG_SETMASK, &mask, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* Before the gate: if the parent is gone already, the gate reads EOF. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
		child_fail(plan, STEP_GATE, errno, "PR_SET_PDEATHSIG");
	}
	if (!weft_gate_wait(plan->gate)) {
		_exit(127);
	}
	close(plan->gate);
	child_drop_terminal(plan);

	/* Everything of ours goes above the final numbers first, so that
	 * putting one fd in place never clobbers another. */
	int low = 3 + (int)plan->nfds;
	int moved[WEFT_SANDBOX_MAX_FDS];
	for (size_t i = 0; i < plan->nfds; i++) {
		moved[i] = fcntl(plan->fds[i], F_DUPFD_CLOEXEC, low);
	}
	int output = plan->output_fd >= 0 ? fcntl(plan->output_fd, F_DUPFD_CLOEXEC, low) : -1;
	int status = fcntl(plan->status, F_DUPFD_CLOEXEC, low);
	if (status >= 0) {
		plan->status = status;
	}
	plan->null_fd = fcntl(plan->null_fd, F_DUPFD_CLOEXEC, low);
	if (plan->ruleset >= 0) {
		plan->ruleset = fcntl(plan->ruleset, F_DUPFD_CLOEXEC, low);
	}
	if (status < 0 || plan->null_fd < 0 || (plan->ruleset < 0 && plan->handled_fs != 0) ||
		(plan->output_fd >= 0 && output < 0)) {
		child_fail(plan, STEP_FDS, errno, "fcntl");
	}
	for (size_t i = 0; i < plan->nfds; i++) {
		if (moved[i] < 0 || dup2(moved[i], 3 + (int)i) < 0) {
			child_fail(plan, STEP_FDS, errno, "dup2");
		}
	}
	if (dup2(plan->null_fd, STDIN_FILENO) < 0) {
		child_fail(plan, STEP_FDS, errno, "/dev/null");
	}
	if (output >= 0 && (dup2(output, STDOUT_FILENO) < 0 || dup2(output, STDERR_FILENO) < 0)) {
		child_fail(plan, STEP_FDS, errno, "stdout");
	}
	/* The rest, ours included, closes at exec. */
	if (close_range((unsigned int)low, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
		child_fail(plan, STEP_FDS, errno, "close_range");
	}

	if (plan->namespaces) {
		child_build_root(plan);
	}
	struct rlimit core = { 0 };
	if (setrlimit(RLIMIT_CORE, &core) != 0) {
		child_fail(plan, STEP_RLIMIT, errno, "RLIMIT_CORE");
	}
	child_rlimit(plan, RLIMIT_DATA, plan->limits.data_bytes, "RLIMIT_DATA");
	child_rlimit(plan, RLIMIT_NPROC, plan->limits.nproc, "RLIMIT_NPROC");
	child_drop_caps(plan);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		child_fail(plan, STEP_NO_NEW_PRIVS, errno, "prctl");
	}
	if (plan->ruleset >= 0) {
		child_landlock(plan);
	}
	/* Last: until exec the child still holds the parent's fds (closed on
	 * exec), which may number more than the limit, and every open above
	 * would fail with EMFILE. */
	child_rlimit(plan, RLIMIT_NOFILE, plan->limits.nofile, "RLIMIT_NOFILE");
	execve(plan->path, plan->argv, plan->envp);
	child_fail(plan, STEP_EXEC, errno, plan->path);
}

/* The parent's side: the plan. */

static int compare_mounts(const void *a, const void *b)
{
	return strcmp(((const struct plan_mount *)a)->target,
		((const struct plan_mount *)b)->target);
}

static bool is_beneath(const char *path, const char *dir)
{
	size_t len = strlen(dir);
	return strncmp(path, dir, len) == 0 && (path[len] == '/' || dir[len - 1] == '/');
}

/* The ELF interpreter of path (malloc'd), or NULL with err->msg empty when
 * it has none. The kernel opens it for exec, so Landlock must allow that. */
static char *elf_interpreter(const char *path, struct weft_error *err)
{
	err->msg[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		weft_error_errno(err, "open %s", path);
		return NULL;
	}
	char *interp = NULL;
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
		memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		weft_error_set(err, "%s: not a 64-bit ELF program", path);
		goto out;
	}
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		off_t off = (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize);
		if (pread(fd, &ph, sizeof(ph), off) != sizeof(ph)) {
			weft_error_set(err, "%s: truncated program headers", path);
			goto out;
		}
		if (ph.p_type != PT_INTERP) {
			continue;
		}
		if (ph.p_filesz == 0 || ph.p_filesz > PATH_MAX) {
			weft_error_set(err, "%s: bad PT_INTERP", path);
			goto out;
		}
		interp = calloc(1, ph.p_filesz + 1);
		if (interp == NULL ||
			pread(fd, interp, ph.p_filesz, (off_t)ph.p_offset) !=
				(ssize_t)ph.p_filesz) {
			weft_error_set(err, "%s: cannot read PT_INTERP", path);
			free(interp);
			interp = NULL;
		}
		break;
	}
out:
	close(fd);
	return interp;
}

/* The canonical path of the program a "#!" script names (malloc'd), or NULL
 * with err->msg empty when path is no script. The kernel execs it, so
 * Landlock must allow that; it must be shown in the root (under /usr). */
static char *script_interpreter(const char *path, struct weft_error *err)
{
	err->msg[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		weft_error_errno(err, "open %s", path);
		return NULL;
	}
	char line[256];
	ssize_t n = pread(fd, line, sizeof(line) - 1, 0);
	close(fd);
	if (n < 2 || line[0] != '#' || line[1] != '!') {
		return NULL;
	}
	line[n] = '\0';
	char *start = line + 2;
	while (*start == ' ' || *start == '\t') {
		start++;
	}
	size_t len = strcspn(start, " \t\n");
	if (start[len] == '\0' || len == 0) {
		weft_error_set(err, "%s: bad \"#!\" line", path);
		return NULL;
	}
	start[len] = '\0';
	char *interp = realpath(start, NULL);
	if (interp == NULL) {
		weft_error_errno(err, "%s: interpreter %s", path, start);
	}
	return interp;
}

/* File offset of virtual address addr, from the program's PT_LOAD
 * segments; -1 when none holds it. */
static off_t elf_offset(int fd, const Elf64_Ehdr *eh, uint64_t addr)
{
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		off_t off = (off_t)(eh->e_phoff + (uint64_t)i * eh->e_phentsize);
		if (pread(fd, &ph, sizeof(ph), off) != sizeof(ph)) {
			return -1;
		}
		if (ph.p_type == PT_LOAD && addr >= ph.p_vaddr &&
			addr < ph.p_vaddr + ph.p_filesz) {
			return (off_t)(ph.p_offset + (addr - ph.p_vaddr));
		}
	}
	return -1;
}

/*
 * The directories the program's DT_RUNPATH (or DT_RPATH) names, with
 * $ORIGIN expanded, canonical, those that exist (a weft-app-shell in the
 * build tree finds libweftview.so in $ORIGIN/../webview): the sandbox shows
 * them read-only, as the loader needs them. Entries with other dynamic
 * tokens are left out. false only when out of memory.
 */
static bool elf_runpath(const char *path, struct weft_strv *dirs)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return true;
	}
	Elf64_Ehdr eh;
	uint64_t strtab = 0, runpath = 0;
	bool have_runpath = false, have_strtab = false;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
		memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
		eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256) {
		close(fd);
		return true;
	}
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		off_t off = (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize);
		if (pread(fd, &ph, sizeof(ph), off) != sizeof(ph)) {
			break;
		}
		if (ph.p_type != PT_DYNAMIC) {
			continue;
		}
		size_t n = ph.p_filesz / sizeof(Elf64_Dyn);
		for (size_t j = 0; j < n && j < 4096; j++) {
			Elf64_Dyn d;
			if (pread(fd, &d, sizeof(d), (off_t)(ph.p_offset + j * sizeof(d))) !=
				sizeof(d)) {
				break;
			}
			if (d.d_tag == DT_NULL) {
				break;
			} else if (d.d_tag == DT_STRTAB) {
				strtab = d.d_un.d_ptr;
				have_strtab = true;
			} else if (d.d_tag == DT_RUNPATH ||
				(d.d_tag == DT_RPATH && !have_runpath)) {
				runpath = d.d_un.d_val;
				have_runpath = true;
			}
		}
		break;
	}
	char list[PATH_MAX];
	off_t at = have_runpath && have_strtab ? elf_offset(fd, &eh, strtab) : -1;
	ssize_t got = at >= 0 ? pread(fd, list, sizeof(list) - 1, at + (off_t)runpath) : -1;
	close(fd);
	if (got <= 0) {
		return true;
	}
	list[got] = '\0';
	char origin[PATH_MAX];
	snprintf(origin, sizeof(origin), "%s", path);
	char *slash = strrchr(origin, '/');
	if (slash != NULL) {
		*slash = '\0';
	}
	char *save = NULL;
	for (char *entry = strtok_r(list, ":", &save); entry != NULL;
		entry = strtok_r(NULL, ":", &save)) {
		char dir[PATH_MAX];
		const char *rest = NULL;
		if (strncmp(entry, "$ORIGIN", 7) == 0) {
			rest = entry + 7;
		} else if (strncmp(entry, "${ORIGIN}", 9) == 0) {
			rest = entry + 9;
		}
		if (rest != NULL) {
			snprintf(dir, sizeof(dir), "%s%s", origin, rest);
		} else {
			snprintf(dir, sizeof(dir), "%s", entry);
		}
		struct stat st;
		char *real = dir[0] == '/' && strchr(dir, '$') == NULL ? realpath(dir, NULL)
								       : NULL;
		if (real == NULL || stat(real, &st) != 0 || !S_ISDIR(st.st_mode) ||
			weft_strv_contains(dirs, real)) {
			free(real);
			continue;
		}
		if (!weft_strv_push_take(dirs, real)) {
			return false;
		}
	}
	return true;
}

bool weft_sandbox_program_runpath(const char *path, struct weft_strv *dirs, struct weft_error *err)
{
	char *real = realpath(path, NULL);
	if (real == NULL) {
		weft_error_errno(err, "%s", path);
		return false;
	}
	bool ok = elf_runpath(real, dirs);
	free(real);
	if (!ok) {
		weft_error_set(err, "out of memory");
	}
	return ok;
}

/*
 * Whether this kernel keeps a pid_max per pid namespace (Linux 6.14 and
 * later). Before, the sysctl is the host's alone and a namespace's write is
 * refused (EACCES), so the limit is left out rather than failing every spawn
 * (Debian 12's 6.1 refused every launch so); the report then says pid_max=0.
 * RLIMIT_NPROC still bounds an unprivileged user's tasks.
 */
static bool pid_max_per_namespace(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;
	if (uname(&u) != 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2) {
		return false;
	}
	return major > 6 || (major == 6 && minor >= 14);
}

static int read_cap_last(void)
{
	int last = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f != NULL) {
		if (fscanf(f, "%d", &last) != 1) {
			last = CAP_LAST_CAP;
		}
		fclose(f);
	}
	return last;
}

/* Whether this process may empty its bounding set. */
static bool have_setpcap(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	return syscall(SYS_capget, &hdr, data) == 0 &&
		(data[CAP_TO_INDEX(CAP_SETPCAP)].effective & CAP_TO_MASK(CAP_SETPCAP)) != 0;
}

struct spawn_state {
	struct plan plan;
	char *exec_path;
	char *interp; /* the program's ELF interpreter, or its script interpreter's */
	char *script_interp; /* a script's "#!" program (canonical), or NULL */
	struct weft_strv runpath; /* the program's DT_RUNPATH directories */
	int gate[2], status[2];
};

static void state_finish(struct spawn_state *s)
{
	free(s->plan.mounts);
	free(s->plan.source_fds);
	free(s->exec_path);
	free(s->interp);
	free(s->script_interp);
	weft_strv_finish(&s->runpath);
	int *fds[] = { &s->plan.ruleset, &s->plan.null_fd, &s->gate[0], &s->gate[1], &s->status[0],
		&s->status[1] };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
	}
}

static uint64_t path_access(const struct sandbox_path *p)
{
	switch (p->kind) {
	case SANDBOX_PATH_DEVICE:
		return SANDBOX_FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE |
			LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV;
	case SANDBOX_PATH_SYMLINK:
		return 0;
	default:
		return SANDBOX_FS_READ | (p->writable ? SANDBOX_FS_WRITE : 0);
	}
}

/* Allows access beneath path, opened here, in the parent's ruleset. */
static bool allow_path(struct plan *plan, const char *path, uint64_t access,
	struct weft_error *err)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		weft_error_errno(err, "sandbox: open %s", path);
		return false;
	}
	struct stat st;
	int rc = fstat(fd, &st) != 0 ? -errno
				     : sandbox_landlock_allow(plan->ruleset, fd, access,
					       plan->handled_fs, S_ISDIR(st.st_mode));
	close(fd);
	if (rc != 0) {
		errno = -rc;
		weft_error_errno(err, "sandbox: landlock rule for %s", path);
		return false;
	}
	return true;
}

static bool plan_mounts(struct spawn_state *s, const struct weft_sandbox_policy *policy,
	struct weft_error *err)
{
	struct plan *plan = &s->plan;
	static const struct plan_mount extra[] = {
		{ .target = "/tmp",
			.kind = MOUNT_TMPFS,
			.access = SANDBOX_FS_READ | SANDBOX_FS_WRITE },
		{ .target = "/dev/shm",
			.kind = MOUNT_TMPFS,
			.access = SANDBOX_FS_READ | SANDBOX_FS_WRITE },
		{ .target = "/proc", .kind = MOUNT_PROC, .access = SANDBOX_FS_READ },
		{ .target = "/dev/fd", .source = "/proc/self/fd", .kind = MOUNT_SYMLINK },
		{ .target = "/dev/stdin", .source = "/proc/self/fd/0", .kind = MOUNT_SYMLINK },
		{ .target = "/dev/stdout", .source = "/proc/self/fd/1", .kind = MOUNT_SYMLINK },
		{ .target = "/dev/stderr", .source = "/proc/self/fd/2", .kind = MOUNT_SYMLINK },
	};
	size_t nextra = sizeof(extra) / sizeof(extra[0]);
	size_t n = policy->npaths + nextra + 1 + s->runpath.len;
	plan->mounts = calloc(n, sizeof(*plan->mounts));
	plan->source_fds = calloc(n, sizeof(*plan->source_fds));
	if (plan->mounts == NULL || plan->source_fds == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	for (size_t i = 0; i < policy->npaths; i++) {
		const struct sandbox_path *p = &policy->paths[i];
		enum mount_kind kind = p->kind == SANDBOX_PATH_SYMLINK ? MOUNT_SYMLINK
			: p->overlay                                   ? MOUNT_OVERLAY
								       : MOUNT_BIND;
		plan->mounts[plan->nmounts++] = (struct plan_mount){
			.target = p->path,
			.source = p->kind == SANDBOX_PATH_SYMLINK ? p->link : p->path,
			.kind = kind,
			.is_dir = p->kind == SANDBOX_PATH_DIR ||
				(p->kind == SANDBOX_PATH_DEVICE &&
					strcmp(p->path, "/dev/dri") == 0),
			.writable = p->writable,
			.device = p->kind == SANDBOX_PATH_DEVICE,
			.access = path_access(p),
		};
		/* The child allows the overlay's merged view (the parent, the
		 * host directory read-only, for a child without namespaces). */
		if (p->overlay) {
			plan->mounts[plan->nmounts - 1].access = SANDBOX_FS_READ |
				SANDBOX_FS_WRITE;
		}
	}
	plan->mounts[plan->nmounts++] = (struct plan_mount){
		.target = s->exec_path,
		.source = s->exec_path,
		.kind = MOUNT_BIND,
		.access = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE,
	};
	for (size_t i = 0; i < nextra; i++) {
		plan->mounts[plan->nmounts++] = extra[i];
	}
	for (size_t i = 0; i < s->runpath.len; i++) {
		bool listed = false;
		for (size_t j = 0; j < policy->npaths && !listed; j++) {
			listed = strcmp(policy->paths[j].path, s->runpath.items[i]) == 0;
		}
		if (!listed) {
			plan->mounts[plan->nmounts++] = (struct plan_mount){
				.target = s->runpath.items[i],
				.source = s->runpath.items[i],
				.kind = MOUNT_BIND,
				.is_dir = true,
				.access = SANDBOX_FS_READ,
			};
		}
	}
	qsort(plan->mounts, plan->nmounts, sizeof(*plan->mounts), compare_mounts);
	/* Read-only paths inside a read-only bind need no mount of their own
	 * (the program in /usr/bin); anything else shown twice is a mistake. */
	for (size_t i = 0; i < plan->nmounts; i++) {
		struct plan_mount *m = &plan->mounts[i];
		for (size_t j = 0; j < i; j++) {
			const struct plan_mount *d = &plan->mounts[j];
			if (d->kind != MOUNT_BIND || !d->is_dir || d->writable ||
				m->kind != MOUNT_BIND || m->writable) {
				continue;
			}
			if (is_beneath(m->target, d->target)) {
				m->covered = true;
			}
		}
		if (i > 0 && strcmp(m->target, plan->mounts[i - 1].target) == 0 &&
			!(m->covered || plan->mounts[i - 1].covered)) {
			weft_error_set(err, "sandbox: %s is shown twice", m->target);
			return false;
		}
	}
	return true;
}

static bool plan_landlock(struct spawn_state *s, struct weft_sandbox_report *report,
	struct weft_error *err)
{
	struct plan *plan = &s->plan;
	struct sandbox_landlock_attr attr;
	sandbox_landlock_rights(report->landlock_abi, &attr);
	plan->handled_fs = attr.handled_access_fs;
	report->landlock_fs = attr.handled_access_fs;
	report->landlock_net = attr.handled_access_net;
	report->landlock_scoped = attr.scoped;
	plan->ruleset = sandbox_landlock_create(report->landlock_abi, err);
	if (plan->ruleset < 0) {
		return false;
	}
	for (size_t i = 0; i < plan->nmounts; i++) {
		const struct plan_mount *m = &plan->mounts[i];
		uint64_t access = m->kind == MOUNT_OVERLAY ? SANDBOX_FS_READ : m->access;
		if ((m->kind == MOUNT_BIND || m->kind == MOUNT_OVERLAY) &&
			!allow_path(plan, m->source, access, err)) {
			return false;
		}
	}
	if (s->script_interp != NULL &&
		!allow_path(plan, s->script_interp,
			LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE, err)) {
		return false;
	}
	return s->interp == NULL ||
		allow_path(plan, s->interp,
			LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE, err);
}

static bool plan_create(struct spawn_state *s, const struct weft_sandbox_policy *policy,
	const struct weft_sandbox_exec *exec, struct weft_sandbox_report *report,
	struct weft_error *err)
{
	struct plan *plan = &s->plan;
	if (exec->nfds > WEFT_SANDBOX_MAX_FDS) {
		weft_error_set(err, "sandbox: spawn %s: too many fds", exec->path);
		return false;
	}
	if (policy->limits.pids_max != 0 && policy->limits.pids_max < 301) {
		weft_error_set(err, "sandbox: pids_max %u is below the kernel's minimum, 301",
			policy->limits.pids_max);
		return false;
	}
	s->exec_path = realpath(exec->path, NULL);
	if (s->exec_path == NULL) {
		weft_error_errno(err, "sandbox: %s", exec->path);
		return false;
	}
	s->script_interp = script_interpreter(s->exec_path, err);
	if (s->script_interp == NULL && err->msg[0] != '\0') {
		weft_error_prefix(err, "sandbox");
		return false;
	}
	if (!elf_runpath(s->exec_path, &s->runpath)) {
		weft_error_set(err, "out of memory");
		return false;
	}
	s->interp = elf_interpreter(s->script_interp != NULL ? s->script_interp : s->exec_path,
		err);
	if (s->interp == NULL && err->msg[0] != '\0') {
		weft_error_prefix(err, "sandbox");
		return false;
	}
	if (!plan_mounts(s, policy, err)) {
		return false;
	}

	*report = (struct weft_sandbox_report){
		.kind = policy->kind,
		.landlock_kernel_abi = weft_sandbox_landlock_abi(),
		.cap_last = read_cap_last(),
		.limits = policy->limits,
		.seccomp = sandbox_seccomp_name(policy->kind),
		.shader_cache = policy->shader_cache,
	};
#ifdef SANDBOX_UNDER_ASAN
	report->limits.data_bytes = 0;
#endif
	report->landlock_abi = report->landlock_kernel_abi < SANDBOX_LANDLOCK_ABI_KNOWN
		? report->landlock_kernel_abi
		: SANDBOX_LANDLOCK_ABI_KNOWN;
	if (report->landlock_abi > 0) {
		if (!plan_landlock(s, report, err)) {
			return false;
		}
	} else if (!policy->allow_degraded) {
		weft_error_set(err,
			"sandbox: the kernel offers no Landlock (not built in, or not "
			"in its lsm= list); refusing to start %s without it",
			exec->path);
		return false;
	} else {
		report->degraded = "no Landlock in this kernel";
	}

	plan->cap_last = report->cap_last;
	plan->limits = report->limits;
	snprintf(plan->uid_map, sizeof(plan->uid_map), "%u %u 1\n", getuid(), getuid());
	snprintf(plan->gid_map, sizeof(plan->gid_map), "%u %u 1\n", getgid(), getgid());
	if (policy->limits.pids_max != 0 && pid_max_per_namespace()) {
		snprintf(plan->pid_max, sizeof(plan->pid_max), "%u\n", policy->limits.pids_max);
	} else {
		report->limits.pids_max = 0;
	}
	plan->path = s->exec_path;
	plan->argv = exec->argv;
	plan->envp = policy->env.items;
	plan->fds = exec->fds;
	plan->nfds = exec->nfds;
	plan->output_fd = exec->output_fd > 0 ? exec->output_fd : -1;
	plan->null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (plan->null_fd < 0) {
		weft_error_errno(err, "open /dev/null");
		return false;
	}
	if (pipe2(s->gate, O_CLOEXEC) != 0 || pipe2(s->status, O_CLOEXEC) != 0) {
		weft_error_errno(err, "pipe");
		return false;
	}
	plan->gate = s->gate[0];
	plan->status = s->status[1];
	return true;
}

static pid_t clone_child(uint64_t flags, int cgroup_fd, int *pidfd)
{
	struct clone_args args = {
		.flags = CLONE_PIDFD | flags,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
	};
	if (cgroup_fd > 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

/*
 * Born in the cgroup when one is given: moving a process later (a write to
 * cgroup.procs) waits for an RCU grace period, 6-13 ms, unless the
 * hierarchy is mounted with favordynmods. A kernel that cannot (E2BIG or
 * EINVAL before 5.7, or the cgroup refuses) gets the clone without it, and
 * the caller moves the child; what else made the clone fail, the retry
 * says again.
 */
static pid_t clone_child_into(uint64_t flags, int cgroup_fd, int *pidfd, bool *in_cgroup)
{
	*in_cgroup = false;
	if (cgroup_fd > 0) {
		pid_t pid = clone_child(flags, cgroup_fd, pidfd);
		if (pid >= 0 || errno == ENOMEM) {
			*in_cgroup = pid >= 0;
			return pid;
		}
	}
	return clone_child(flags, -1, pidfd);
}

bool weft_sandbox_spawn(const struct weft_sandbox_policy *policy,
	const struct weft_sandbox_exec *exec, struct weft_sandbox_child *child,
	struct weft_error *err)
{
	*child = (struct weft_sandbox_child){ .pidfd = -1, .gate_fd = -1, .status_fd = -1 };
	struct spawn_state s = {
		.plan = { .ruleset = -1, .null_fd = -1 },
		.gate = { -1, -1 },
		.status = { -1, -1 },
	};
	struct weft_sandbox_report *report = &child->report;
	if (!plan_create(&s, policy, exec, report, err)) {
		state_finish(&s);
		return false;
	}

	int pidfd = -1;
	s.plan.namespaces = true;
	s.plan.drop_bounding = true;
	uint64_t ns_flags = NS_FLAGS;
	bool in_cgroup;
	pid_t pid = clone_child_into(ns_flags, exec->cgroup_fd, &pidfd, &in_cgroup);
	if (pid < 0 && policy->allow_degraded && errno != ENOMEM) {
		/* No user namespaces: the other layers still hold, and without
		 * CAP_SETPCAP the bounding set stays as it is. */
		report->degraded = "no user namespaces: no namespaces, no new root";
		s.plan.namespaces = false;
		s.plan.drop_bounding = have_setpcap();
		pid = clone_child_into(0, exec->cgroup_fd, &pidfd, &in_cgroup);
	} else if (pid < 0) {
		weft_error_errno(err,
			"sandbox: clone3 with new user, mount, pid and network namespaces "
			"(unprivileged user namespaces disabled?)");
		state_finish(&s);
		return false;
	}
	if (pid < 0) {
		weft_error_errno(err, "sandbox: clone3");
		state_finish(&s);
		return false;
	}
	if (pid == 0) {
		/* Only the parent may hold the gate's write end: released with
		 * no go, the child reads EOF and exits. */
		close(s.gate[1]);
		close(s.status[0]);
		child_main(&s.plan);
	}

	if (s.plan.namespaces) {
		report->namespaces = WEFT_SANDBOX_NS_USER | WEFT_SANDBOX_NS_MOUNT |
			WEFT_SANDBOX_NS_PID | WEFT_SANDBOX_NS_NET | WEFT_SANDBOX_NS_IPC |
			WEFT_SANDBOX_NS_UTS | WEFT_SANDBOX_NS_CGROUP;
		report->new_root = true;
	} else {
		report->limits.pids_max = 0;
	}
	report->caps_dropped = s.plan.drop_bounding;
	report->no_new_privs = true;
	child->pid = pid;
	child->pidfd = pidfd;
	child->in_cgroup = in_cgroup;
	child->gate_fd = s.gate[1];
	child->status_fd = s.status[0];
	s.gate[1] = s.status[0] = -1;
	state_finish(&s);

	if (exec->pgid >= 0 && setpgid(pid, exec->pgid != 0 ? exec->pgid : pid) != 0) {
		weft_error_errno(err, "sandbox: setpgid %d", (int)pid);
		weft_sandbox_child_release(child, false);
		close(child->status_fd);
		waitid(P_PIDFD, (id_t)child->pidfd, NULL, WEXITED);
		close(child->pidfd);
		*child = (struct weft_sandbox_child){ .pidfd = -1,
			.gate_fd = -1,
			.status_fd = -1 };
		return false;
	}
	return true;
}

void weft_sandbox_child_release(struct weft_sandbox_child *child, bool go)
{
	weft_gate_release(&child->gate_fd, go);
}

bool weft_sandbox_child_wait_exec(struct weft_sandbox_child *child, struct weft_error *err)
{
	if (child->status_fd < 0) {
		return true;
	}
	struct failure f;
	ssize_t n;
	do {
		n = read(child->status_fd, &f, sizeof(f));
	} while (n < 0 && errno == EINTR);
	close(child->status_fd);
	child->status_fd = -1;
	if (n == 0) {
		return true;
	}
	if (n != sizeof(f) || f.step < 0 || f.step > STEP_EXEC) {
		weft_error_set(err, "sandbox: the child's status pipe said nonsense");
		return false;
	}
	f.what[sizeof(f.what) - 1] = '\0';
	weft_error_set(err, "sandbox: %s %s: %s", step_names[f.step], f.what, strerror(f.error));
	return false;
}
