/*
 * weft-app-shell's seccomp filter: a denylist over a default of allow.
 *
 * An allowlist is the goal (Chromium's renderer has one), but Servo,
 * SpiderMonkey, Mesa and glibc's start-up use a set of calls that can only
 * be found by running them, and Servo cannot be built on every machine the
 * tests run on. Until the servo lanes record that set, the filter denies
 * what an attacker needs to leave the sandbox or to reach the kernel's
 * riskier corners, and what the sandbox's other layers do not stop on their
 * own. Denied calls fail with EPERM (ENOSYS where a fallback should be taken)
 * rather than kill the process: Mesa crashes when killed for a probe.
 */
#include <errno.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "weft/sandbox-seccomp.h"

/* Calls nothing in the app-shell needs once it runs. */
static const char *const denied[] = {
	/* sockets: the app-shell has its fds (Wayland, IPC) from appd */
	"socket",
	"connect",
	"bind",
	"listen",
	"accept",
	"accept4",
	/* other processes, and running programs */
	"execve",
	"execveat",
	"ptrace",
	"process_vm_readv",
	"process_vm_writev",
	"pidfd_getfd",
	"kcmp",
	/* kernel attack surface */
	"bpf",
	"perf_event_open",
	"userfaultfd",
	"keyctl",
	"add_key",
	"request_key",
	"personality",
	"modify_ldt",
	"syslog",
	"acct",
	"quotactl",
	"kexec_load",
	"kexec_file_load",
	"init_module",
	"finit_module",
	"delete_module",
	"reboot",
	"swapon",
	"swapoff",
	"open_by_handle_at",
	"name_to_handle_at",
	/* mounts and namespaces */
	"mount",
	"umount2",
	"fsopen",
	"fsmount",
	"fsconfig",
	"fspick",
	"move_mount",
	"open_tree",
	"mount_setattr",
	"pivot_root",
	"chroot",
	"unshare",
	"setns",
	/* SysV IPC: memfds instead */
	"shmget",
	"shmat",
	"shmdt",
	"shmctl",
	"semget",
	"semop",
	"semtimedop",
	"semctl",
	"msgget",
	"msgsnd",
	"msgrcv",
	"msgctl",
};

/* ENOSYS, as on a kernel without them: io_uring would bypass this filter
 * (IORING_OP_SOCKET, IORING_OP_OPENAT); clone3's flags sit in memory a
 * filter cannot read, and glibc falls back to clone. */
static const char *const missing[] = {
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	"clone3",
};

static const unsigned long namespace_flags[] = {
	CLONE_NEWUSER,
	CLONE_NEWNS,
	CLONE_NEWPID,
	CLONE_NEWNET,
	CLONE_NEWIPC,
	CLONE_NEWUTS,
	CLONE_NEWCGROUP,
};

static bool rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned int n,
	const struct scmp_arg_cmp *cmp, struct weft_error *err)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR) {
		/* Not every call exists on every architecture. */
		return true;
	}
	int rc = seccomp_rule_add_array(ctx, action, nr, n, cmp);
	if (rc < 0) {
		errno = -rc;
		weft_error_errno(err, "seccomp: rule for %s", name);
		return false;
	}
	return true;
}

scmp_filter_ctx weft_sandbox_seccomp_app_shell_build(struct weft_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL) {
		weft_error_set(err, "seccomp: cannot create a filter");
		return NULL;
	}
	bool ok = true;
	for (size_t i = 0; ok && i < sizeof(denied) / sizeof(denied[0]); i++) {
		ok = rule(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0, NULL, err);
	}
	for (size_t i = 0; ok && i < sizeof(missing) / sizeof(missing[0]); i++) {
		ok = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), missing[i], 0, NULL, err);
	}
	/* Threads and plain forks yes, new namespaces no. */
	for (size_t i = 0; ok && i < sizeof(namespace_flags) / sizeof(namespace_flags[0]); i++) {
		ok = rule(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1,
			&SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i]), err);
	}
	/* Servo's ipc-channel pairs; no other family. */
	ok = ok &&
		rule(ctx, SCMP_ACT_ERRNO(EPERM), "socketpair", 1, &SCMP_A0(SCMP_CMP_NE, AF_UNIX),
			err);
	/* Typing into a terminal, or the console's, on the user's behalf. */
	ok = ok &&
		rule(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1,
			&SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI), err) &&
		rule(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1,
			&SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX), err);
	if (!ok) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

bool weft_sandbox_seccomp_load(scmp_filter_ctx ctx, struct weft_error *err)
{
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0) {
		rc = seccomp_load(ctx);
	}
	seccomp_release(ctx);
	if (rc != 0) {
		errno = -rc;
		weft_error_errno(err, "seccomp: load");
		return false;
	}
	return true;
}

bool weft_sandbox_seccomp_app_shell_install(struct weft_error *err)
{
	/* Threads started before it get it too. */
	scmp_filter_ctx ctx = weft_sandbox_seccomp_app_shell_build(err);
	return ctx != NULL && weft_sandbox_seccomp_load(ctx, err);
}
