/*
 * weft-app-shell's seccomp filter, which the app-shell (and the spare)
 * install first thing in main, before Servo or Mesa start a thread. A
 * separate header, so that the rest of libweftsandbox needs no libseccomp.
 */
#ifndef WEFT_SANDBOX_SECCOMP_H
#define WEFT_SANDBOX_SECCOMP_H

#include <seccomp.h>

#include "weft/common.h"

/* Loads ctx for every thread of the process (TSYNC) and releases it. */
bool weft_sandbox_seccomp_load(scmp_filter_ctx ctx, struct weft_error *err);

/* The filter, not loaded; the caller seccomp_release()s it. */
scmp_filter_ctx weft_sandbox_seccomp_app_shell_build(struct weft_error *err);
/* Builds and loads it for every thread of the process. */
bool weft_sandbox_seccomp_app_shell_install(struct weft_error *err);

#endif
