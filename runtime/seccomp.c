/*
 * An allowlist: what Wasmtime, WASI (files in preopened directories,
 * clocks, random), our IPC and libcurl on a socket appd connected need.
 * No socket() of any family, with a network grant or without: only
 * socketpair(AF_UNIX); connect() does nothing (below).
 * Everything else fails with EPERM rather than killing the process, so a
 * missing entry shows up as an error message, not a mystery crash.
 */
#include <errno.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "seccomp_policy.h"
#include "weft/sandbox-seccomp.h"

/* The runtime's own, beside weft_sandbox_seccomp_common (memory, threads). */
static const char *const allowed[] = {
	/* threads and signals (Wasmtime's trap handling, tokio's blocking pool) */
	"get_robust_list",
	"rt_sigaction",
	/* files, within what the preopens reach */
	"preadv2",
	"pwritev2",
	"linkat",
	"symlinkat",
	"utimensat",
};

scmp_filter_ctx runtime_seccomp_build(struct weft_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL) {
		weft_error_set(err, "seccomp: cannot create a filter");
		return NULL;
	}
	/* Threads yes, new processes or namespaces no. clone3 passes its flags in
	 * memory, which a filter cannot read: ENOSYS makes glibc fall back to
	 * clone. */
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* io_uring's IORING_OP_SOCKET and IORING_OP_OPENAT would go around this
	 * filter. The default denies it already; ENOSYS, as on a kernel built
	 * without it, makes libraries take their fallback instead of failing. */
	static const int io_uring[] = {
		SCMP_SYS(io_uring_setup),
		SCMP_SYS(io_uring_enter),
		SCMP_SYS(io_uring_register),
	};
	for (size_t i = 0; rc == 0 && i < sizeof(io_uring) / sizeof(io_uring[0]); i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), io_uring[i], 0);
	}
	/* Every socket the runtime holds is connected already (it makes none:
	 * socketpair(AF_UNIX), and what appd hands over), so connect() never
	 * runs: it returns 0 and does nothing. libcurl 7.88 (Debian 12) calls it
	 * again on a socket it was told is connected (curl issue 10626, fixed
	 * in 8.0); a real connect() could disconnect appd's socket, which lives
	 * in appd's network namespace, and connect it elsewhere. */
	if (rc == 0) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), SCMP_SYS(connect), 0);
	}
	const uint32_t allow = SCMP_ACT_ALLOW;
	bool ok = rc == 0 &&
		weft_sandbox_seccomp_rules(ctx, allow, weft_sandbox_seccomp_common,
			WEFT_SANDBOX_SECCOMP_NCOMMON, err) &&
		weft_sandbox_seccomp_rules(ctx, allow, allowed,
			sizeof(allowed) / sizeof(allowed[0]), err);
	ok = ok &&
		weft_sandbox_seccomp_rule(ctx, allow, "clone", 1,
			&SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD), err);
	/* Only the calls curl and tokio make; not TIOCSTI and friends. */
	static const unsigned long ioctls[] = { FIONBIO, FIONREAD, FIOCLEX, TCGETS, TIOCGWINSZ };
	for (size_t i = 0; ok && i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
		ok = weft_sandbox_seccomp_rule(ctx, allow, "ioctl", 1,
			&SCMP_A1(SCMP_CMP_EQ, ioctls[i]), err);
	}
	static const int prctls[] = { PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE };
	for (size_t i = 0; ok && i < sizeof(prctls) / sizeof(prctls[0]); i++) {
		ok = weft_sandbox_seccomp_rule(ctx, allow, "prctl", 1,
			&SCMP_A0(SCMP_CMP_EQ, prctls[i]), err);
	}
	/* abort() signals the calling thread; nothing else may be signalled. */
	ok = ok &&
		weft_sandbox_seccomp_rule(ctx, allow, "tgkill", 1, &SCMP_A0(SCMP_CMP_EQ, getpid()),
			err);
	/* Reading limits is fine, changing them is not. */
	ok = ok &&
		weft_sandbox_seccomp_rule(ctx, allow, "prlimit64", 2,
			(struct scmp_arg_cmp[]){ SCMP_A0(SCMP_CMP_EQ, 0),
				SCMP_A2(SCMP_CMP_EQ, 0) },
			err);
	ok = ok &&
		weft_sandbox_seccomp_rule(ctx, allow, "socketpair", 1,
			&SCMP_A0(SCMP_CMP_EQ, AF_UNIX), err);
	if (rc != 0 && ok) {
		errno = -rc;
		weft_error_errno(err, "seccomp: clone3, io_uring and connect");
		ok = false;
	}
	if (!ok) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

bool runtime_seccomp_install(struct weft_error *err)
{
	/* Threads Wasmtime or tokio already started get the filter too. */
	scmp_filter_ctx ctx = runtime_seccomp_build(err);
	return ctx != NULL && weft_sandbox_seccomp_load(ctx, err);
}
