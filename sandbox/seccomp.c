/*
 * weft-app-shell's seccomp filter: an allowlist.
 *
 * The list is what the real app-shell (Servo, SpiderMonkey, Mesa's llvmpipe,
 * fontconfig, sqlite, glibc and our own code) was recorded calling once the
 * filter is in force, under `strace -f` through the servo and servo-e2e
 * lanes, bench/launch and bench/webview (scripts/record-syscalls; how, and
 * the whole record, in sandbox/README.md), plus the siblings a newer glibc
 * or Rust may pick for the same job. Each group says who calls it.
 *
 * What is not allowed gets one of three answers:
 * - EPERM, quietly, for what issue 11 names (sockets, exec, ptrace, the
 *   kernel's riskier corners, mounts and namespaces, SysV IPC, TIOCSTI): a
 *   fixed, documented answer the escape tests check.
 * - ENOSYS, quietly, for io_uring (it would go around this filter:
 *   IORING_OP_SOCKET, IORING_OP_OPENAT) and clone3 (its flags are in memory
 *   a filter cannot read): as on a kernel without them, so glibc and others
 *   take their fallback (glibc 2.36's pthread_create falls back to clone).
 * - anything else: SIGSYS (SECCOMP_RET_TRAP), whose handler writes one line
 *   naming the call (once per call) and makes it return ENOSYS.
 *
 * Why that default: EPERM or ENOSYS alone would leave a rare path of Servo
 * that needs a call missing here failing without a word (or, in a library
 * that retries, hanging), and KILL_PROCESS would end the page (and Mesa
 * crashes under it for a mere probe); ENOSYS is what libraries expect from a
 * kernel too old for a call, so most take a fallback. The handler cannot be
 * replaced (rt_sigaction of SIGSYS is EPERM), and were SIGSYS blocked the
 * kernel kills the process instead: never a silent hang.
 *
 * PROT_EXEC mappings stay allowed: SpiderMonkey's JIT and llvmpipe's compile
 * into writable, then executable (llvmpipe: RWX) memory.
 */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>

#include "weft/sandbox-seccomp.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif

const char *const weft_sandbox_seccomp_common[WEFT_SANDBOX_SECCOMP_NCOMMON] = {
	/* memory: malloc (mozjemalloc in Servo), JIT code (SpiderMonkey,
	 * llvmpipe, Cranelift), a probe at start (mincore), shared memory
	 * (wl_shm buffers, Servo's ipc-channel, Wasmtime's memory images) */
	"brk",
	"mmap",
	"munmap",
	"mprotect",
	"mremap",
	"madvise",
	"mincore",
	"membarrier",
	"memfd_create",
	/* threads (glibc, Rust std, Mesa's util_queue, SpiderMonkey's helper
	 * threads, tokio); clone is allowed by each filter with its flags
	 * checked */
	"futex",
	"set_robust_list",
	"rseq",
	"set_tid_address",
	"sched_yield",
	"sched_getaffinity",
	/* threads and signals */
	"getcpu",
	"rt_sigprocmask",
	"rt_sigreturn",
	"rt_sigtimedwait",
	"sigaltstack",
	"restart_syscall",
	"exit",
	"exit_group",
	/* who and where it runs */
	"getpid",
	"gettid",
	"getppid",
	"getuid",
	"geteuid",
	"getgid",
	"getegid",
	"getrlimit",
	"sysinfo",
	"uname",
	/* time and randomness */
	"clock_gettime",
	"clock_getres",
	"clock_nanosleep",
	"nanosleep",
	"gettimeofday",
	"timerfd_create",
	"timerfd_settime",
	"getrandom",
	/* files, within what the sandbox shows and Landlock allows */
	"read",
	"write",
	"readv",
	"writev",
	"pread64",
	"pwrite64",
	"preadv",
	"pwritev",
	"lseek",
	"close",
	"close_range",
	"openat",
	"open",
	"newfstatat",
	"fstat",
	"stat",
	"lstat",
	"statx",
	"fstatfs",
	"statfs",
	"getdents64",
	"readlink",
	"readlinkat",
	"access",
	"faccessat",
	"faccessat2",
	"mkdirat",
	"unlinkat",
	"renameat",
	"renameat2",
	"ftruncate",
	"fallocate",
	"fsync",
	"fdatasync",
	"fadvise64",
	"flock",
	"fcntl",
	"dup",
	"dup3",
	"pipe2",
	"getcwd",
	"umask",
	/* waiting */
	"poll",
	"ppoll",
	"select",
	"pselect6",
	"epoll_create1",
	"epoll_ctl",
	"epoll_wait",
	"epoll_pwait",
	"epoll_pwait2",
	"eventfd2",
	/* the sockets it was handed (socket() and connect() are each filter's own) */
	"sendmsg",
	"recvmsg",
	"sendto",
	"recvfrom",
	"sendmmsg",
	"recvmmsg",
	"shutdown",
	"getsockopt",
	"setsockopt",
	"getsockname",
	"getpeername",
};

/* The app-shell's own, beside weft_sandbox_seccomp_common. */
static const char *const allowed[] = {
	/* llvmpipe's threads: pinned, SCHED_BATCH, lower priority */
	"sched_setaffinity",
	"sched_getscheduler",
	"sched_setscheduler",
	"sched_getparam",
	"getpriority",
	"setpriority",
	/* signals: the shutdown alarm, the SIGTERM signalfd, SpiderMonkey's
	 * SIGSEGV and SIGILL handlers; rt_sigaction and kill are below */
	"signalfd4",
	"alarm",
	"setitimer", /* alarm() where there is no alarm syscall (arm64) */
	"getitimer",
	/* who am I (glibc, libglvnd's EGL asks getpid on every call, sqlite) */
	"getresuid",
	"getresgid",
	"getgroups",
	"getpgrp",
	"getrusage",
	"setrlimit",
	/* time and randomness */
	"time",
	"timerfd_gettime",
	/* files, within what the sandbox shows and Landlock allows: the
	 * package, fonts and fontconfig's cache, Mesa's drirc and glvnd files,
	 * the CA bundle Servo loads, /proc/self (glibc's pthread_getattr_np),
	 * and Servo's storage (sqlite in the private /tmp: it fchowns as root) */
	"mkdir",
	"rmdir",
	"unlink",
	"rename",
	"fchown",
	"fchmod",
	"dup2",
	"pipe",
};

/* What issue 11 names: EPERM, whatever the arguments. */
static const char *const denied[] = {
	/* sockets: the app-shell has its fds from appd; socketpair is below */
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
	/* kernel attack surface */
	"bpf",
	"perf_event_open",
	"userfaultfd",
	"keyctl",
	"add_key",
	"request_key",
	"kexec_load",
	"kexec_file_load",
	"init_module",
	"finit_module",
	"delete_module",
	"acct",
	"swapon",
	"swapoff",
	"reboot",
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

/* As on a kernel without them; see the top of the file. */
static const char *const missing[] = {
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	"clone3",
};

/* CLONE_NEWTIME is clone3's and unshare's only: in clone's flags, 0x80 is
 * part of the exit signal. */
#define CLONE_NAMESPACES \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | \
		CLONE_NEWUTS | CLONE_NEWCGROUP)

/* The ioctls of glibc (isatty, FIONBIO), Rust std (FIOCLEX) and tokio
 * (FIONREAD). Mesa's with a GPU are matched by type below. */
static const unsigned long ioctls[] = {
	TCGETS,
	TIOCGWINSZ,
	FIONBIO,
	FIONREAD,
	FIOCLEX,
	FIONCLEX,
};

/* The ioctl types of a GPU renderer (--renderer gpu on a DRM render node,
 * which Landlock lets it reach): DRM and its drivers' private calls, dma-buf
 * and sync_file. Not recorded (this machine has no GPU): a call Mesa needs
 * beyond these shows in the log. */
static const unsigned char ioctl_types[] = { 'd', 'b', '>' };

/* What threads name themselves (Servo, Mesa, SpiderMonkey: PR_SET_NAME),
 * glibc's and Rust's names for anonymous mappings (PR_SET_VMA, EINVAL on a
 * kernel without them), and read-only questions. */
static const int prctls[] = {
	PR_SET_NAME,
	PR_GET_NAME,
	PR_SET_VMA,
	PR_GET_DUMPABLE,
	PR_GET_NO_NEW_PRIVS,
	PR_GET_SECCOMP,
};

/* Where the SIGSYS handler puts a call's return value. */
#if defined(__x86_64__)
#define TRAP_RETURN(uc) ((uc)->uc_mcontext.gregs[REG_RAX])
#elif defined(__aarch64__)
#define TRAP_RETURN(uc) ((uc)->uc_mcontext.regs[0])
#endif

#ifdef TRAP_RETURN
/*
 * The SIGSYS handler's state. Process-wide by nature (signal handlers see
 * only globals), set once before the filter is loaded and read-only after,
 * but for which calls were already reported.
 */
#define NAMED_SYSCALLS 512
static const char *syscall_names[NAMED_SYSCALLS];
static atomic_ulong syscall_reported[NAMED_SYSCALLS / (8 * sizeof(unsigned long))];
static const char *trap_prog = "weft";

/* Appends s to buf at *len, within size; async-signal-safe. */
static void put_str(char *buf, size_t size, size_t *len, const char *s)
{
	while (*s != '\0' && *len + 1 < size) {
		buf[(*len)++] = *s++;
	}
}

static void put_int(char *buf, size_t size, size_t *len, long n)
{
	char digits[24];
	size_t i = sizeof(digits) - 1;
	bool negative = n < 0;
	unsigned long u = negative ? -(unsigned long)n : (unsigned long)n;
	digits[i] = '\0';
	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0 && i > 1);
	if (negative) {
		digits[--i] = '-';
	}
	put_str(buf, size, len, digits + i);
}

/* A call outside the allowlist: one line the first time, ENOSYS each time. */
static void handle_sigsys(int sig, siginfo_t *info, void *context)
{
	int saved_errno = errno;
	int nr = info->si_syscall;
	bool first = true;
	if (nr >= 0 && nr < NAMED_SYSCALLS) {
		const size_t bits = 8 * sizeof(unsigned long);
		unsigned long bit = 1UL << (nr % bits);
		first = !(atomic_fetch_or(&syscall_reported[nr / bits], bit) & bit);
	}
	if (first) {
		char line[256];
		size_t len = 0;
		const char *name = nr >= 0 && nr < NAMED_SYSCALLS ? syscall_names[nr] : NULL;
		put_str(line, sizeof(line), &len, trap_prog);
		put_str(line, sizeof(line), &len, ": warning: seccomp: ");
		put_str(line, sizeof(line), &len, name != NULL ? name : "syscall");
		put_str(line, sizeof(line), &len, " (");
		put_int(line, sizeof(line), &len, nr);
		put_str(line, sizeof(line), &len,
			") is not in the app-shell's allowlist: it fails with ENOSYS\n");
		ssize_t unused = write(STDERR_FILENO, line, len);
		(void)unused;
	}
	TRAP_RETURN((ucontext_t *)context) = -ENOSYS;
	errno = saved_errno;
}
#endif

bool weft_sandbox_seccomp_rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
	unsigned int n, const struct scmp_arg_cmp *cmp, struct weft_error *err)
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

bool weft_sandbox_seccomp_rules(scmp_filter_ctx ctx, uint32_t action, const char *const *names,
	size_t n, struct weft_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!weft_sandbox_seccomp_rule(ctx, action, names[i], 0, NULL, err)) {
			return false;
		}
	}
	return true;
}

/* The calls allowed or denied by their arguments. */
static bool argument_rules(scmp_filter_ctx ctx, struct weft_error *err)
{
	const uint32_t allow = SCMP_ACT_ALLOW, eperm = SCMP_ACT_ERRNO(EPERM);
	const scmp_datum_t pid = (scmp_datum_t)getpid();
	/* Threads only: no new namespaces (EPERM) and no new processes (EPERM,
	 * as Chromium's renderer: it could not exec anything anyway). */
	bool ok = weft_sandbox_seccomp_rule(ctx, allow, "clone", 1,
			  &SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_NAMESPACES,
				  CLONE_THREAD),
			  err) &&
		weft_sandbox_seccomp_rule(ctx, eperm, "clone", 1,
			&SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0), err);
	for (unsigned int bit = 0; ok && bit < 64; bit++) {
		unsigned long flag = 1UL << bit;
		if (CLONE_NAMESPACES & flag) {
			ok = weft_sandbox_seccomp_rule(ctx, eperm, "clone", 1,
				&SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | flag,
					CLONE_THREAD | flag),
				err);
		}
	}
	/* Servo's ipc-channel pairs; no other family. */
	ok = ok &&
		weft_sandbox_seccomp_rule(ctx, allow, "socketpair", 1,
			&SCMP_A0(SCMP_CMP_EQ, AF_UNIX), err) &&
		weft_sandbox_seccomp_rule(ctx, eperm, "socketpair", 1,
			&SCMP_A0(SCMP_CMP_NE, AF_UNIX), err);
	/* Typing into a terminal, or the console's, on the user's behalf: the
	 * kernel reads the request as 32 bits, so the high ones are masked. */
	ok = ok &&
		weft_sandbox_seccomp_rule(ctx, eperm, "ioctl", 1,
			&SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI), err) &&
		weft_sandbox_seccomp_rule(ctx, eperm, "ioctl", 1,
			&SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX), err);
	for (size_t i = 0; ok && i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
		ok = weft_sandbox_seccomp_rule(ctx, allow, "ioctl", 1,
			&SCMP_A1(SCMP_CMP_EQ, ioctls[i]), err);
	}
	for (size_t i = 0; ok && i < sizeof(ioctl_types) / sizeof(ioctl_types[0]); i++) {
		ok = weft_sandbox_seccomp_rule(ctx, allow, "ioctl", 1,
			&SCMP_A1(SCMP_CMP_MASKED_EQ, 0xff00u, (scmp_datum_t)ioctl_types[i] << 8),
			err);
	}
	for (size_t i = 0; ok && i < sizeof(prctls) / sizeof(prctls[0]); i++) {
		ok = weft_sandbox_seccomp_rule(ctx, allow, "prctl", 1,
			&SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)prctls[i]), err);
	}
	/* Asking is fine (glibc, ASan); READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE
	 * and the like are not. */
	ok = ok &&
		weft_sandbox_seccomp_rule(ctx, allow, "personality", 1,
			&SCMP_A0(SCMP_CMP_EQ, 0xffffffffu), err) &&
		weft_sandbox_seccomp_rule(ctx, eperm, "personality", 1,
			&SCMP_A0(SCMP_CMP_NE, 0xffffffffu), err);
	/* Its own signals (raise, abort, a signal to one of its threads);
	 * nobody else's (nor its process group's). */
	static const char *const kills[] = { "kill", "tgkill" };
	for (size_t i = 0; ok && i < sizeof(kills) / sizeof(kills[0]); i++) {
		ok = weft_sandbox_seccomp_rule(ctx, allow, kills[i], 1, &SCMP_A0(SCMP_CMP_EQ, pid),
			     err) &&
			weft_sandbox_seccomp_rule(ctx, eperm, kills[i], 1,
				&SCMP_A0(SCMP_CMP_NE, pid), err);
	}
	/* Any handler but SIGSYS's, which reports what this filter refuses;
	 * asking what it is stays allowed (Rust and glibc ask for every signal). */
	ok = ok &&
		weft_sandbox_seccomp_rule(ctx, allow, "rt_sigaction", 1,
			&SCMP_A0(SCMP_CMP_NE, SIGSYS), err) &&
		weft_sandbox_seccomp_rule(ctx, allow, "rt_sigaction", 2,
			(struct scmp_arg_cmp[]){ SCMP_A0(SCMP_CMP_EQ, SIGSYS),
				SCMP_A1(SCMP_CMP_EQ, 0) },
			err) &&
		weft_sandbox_seccomp_rule(ctx, eperm, "rt_sigaction", 2,
			(struct scmp_arg_cmp[]){ SCMP_A0(SCMP_CMP_EQ, SIGSYS),
				SCMP_A1(SCMP_CMP_NE, 0) },
			err);
	/* A prewarmed shell joins the session's process group on adoption. */
	ok = ok &&
		weft_sandbox_seccomp_rule(ctx, allow, "setpgid", 1, &SCMP_A0(SCMP_CMP_EQ, 0), err);
	/* Its own limits (Rust's main-thread stack, glibc; Servo's script
	 * init raises its open-files limit to the hard one); raising a hard limit needs
	 * CAP_SYS_RESOURCE, which the sandbox dropped. Nobody else's. */
	ok = ok &&
		weft_sandbox_seccomp_rule(ctx, allow, "prlimit64", 1, &SCMP_A0(SCMP_CMP_EQ, 0),
			err);
	return ok;
}

scmp_filter_ctx weft_sandbox_seccomp_app_shell_build(struct weft_error *err)
{
#ifdef TRAP_RETURN
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
#else
	/* No handler for this architecture: the same answer, without the line. */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
#endif
	if (ctx == NULL) {
		weft_error_set(err, "seccomp: cannot create a filter");
		return NULL;
	}
	bool ok = weft_sandbox_seccomp_rules(ctx, SCMP_ACT_ALLOW, weft_sandbox_seccomp_common,
			  WEFT_SANDBOX_SECCOMP_NCOMMON, err) &&
		weft_sandbox_seccomp_rules(ctx, SCMP_ACT_ALLOW, allowed,
			sizeof(allowed) / sizeof(allowed[0]), err) &&
		weft_sandbox_seccomp_rules(ctx, SCMP_ACT_ERRNO(EPERM), denied,
			sizeof(denied) / sizeof(denied[0]), err) &&
		weft_sandbox_seccomp_rules(ctx, SCMP_ACT_ERRNO(ENOSYS), missing,
			sizeof(missing) / sizeof(missing[0]), err) &&
		argument_rules(ctx, err);
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

#ifdef TRAP_RETURN
/* The handler, and the names it prints (resolved now: not in a handler). */
static bool install_trap_handler(struct weft_error *err)
{
	trap_prog = program_invocation_short_name;
	for (int nr = 0; nr < NAMED_SYSCALLS; nr++) {
		if (syscall_names[nr] == NULL) {
			/* Kept for the life of the process. */
			syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		}
	}
	struct sigaction sa = { .sa_sigaction = handle_sigsys, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0) {
		weft_error_errno(err, "seccomp: SIGSYS handler");
		return false;
	}
	return true;
}
#endif

bool weft_sandbox_seccomp_app_shell_install(struct weft_error *err)
{
#ifdef TRAP_RETURN
	if (!install_trap_handler(err)) {
		return false;
	}
#endif
	/* Threads started before it get it too. */
	scmp_filter_ctx ctx = weft_sandbox_seccomp_app_shell_build(err);
	return ctx != NULL && weft_sandbox_seccomp_load(ctx, err);
}
