/*
 * weft-app-shell's seccomp filter, which the app-shell (and the spare)
 * install first thing in main, before Servo or Mesa start a thread. A
 * separate header, so that the rest of libweftsandbox needs no libseccomp.
 */
#ifndef WEFT_SANDBOX_SECCOMP_H
#define WEFT_SANDBOX_SECCOMP_H

#include <seccomp.h>

#include "weft/common.h"

/* The calls every WEFT filter allows: memory, threads and signals, time,
 * files (Landlock and the sandbox's root decide which), waiting, and the
 * sockets a process was handed. clone, ioctl, prctl, kill and the like are
 * each filter's own, with their arguments checked. */
#define WEFT_SANDBOX_SECCOMP_NCOMMON 104
extern const char *const weft_sandbox_seccomp_common[WEFT_SANDBOX_SECCOMP_NCOMMON];

/* A rule for the call name (skipped where the architecture has no such
 * call) with n argument checks; false with err set if libseccomp refuses. */
bool weft_sandbox_seccomp_rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
	unsigned int n, const struct scmp_arg_cmp *cmp, struct weft_error *err);
/* The same action, no argument checks, for each of n names. */
bool weft_sandbox_seccomp_rules(scmp_filter_ctx ctx, uint32_t action, const char *const *names,
	size_t n, struct weft_error *err);

/* Loads ctx for every thread of the process (TSYNC) and releases it. */
bool weft_sandbox_seccomp_load(scmp_filter_ctx ctx, struct weft_error *err);

/* The filter, not loaded; the caller seccomp_release()s it. */
scmp_filter_ctx weft_sandbox_seccomp_app_shell_build(struct weft_error *err);
/* Builds and loads it for every thread of the process. */
bool weft_sandbox_seccomp_app_shell_install(struct weft_error *err);

#endif
