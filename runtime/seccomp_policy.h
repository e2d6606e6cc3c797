/*
 * The syscall allowlist weft-runtime runs the guest under. One function
 * builds it, so that tests install exactly the same policy and try
 * syscalls under it. There is one policy for every runtime: with a
 * net:fetch grant or without, it makes no socket() and no connect()
 * (fetch's connections come from appd, net.c).
 */
#ifndef WEFT_RUNTIME_SECCOMP_POLICY_H
#define WEFT_RUNTIME_SECCOMP_POLICY_H

#include <seccomp.h>

#include "weft/common.h"

/* The policy, not yet loaded; the caller seccomp_release()s it. */
scmp_filter_ctx runtime_seccomp_build(struct weft_error *err);
/* Builds and loads the policy for every thread of the process. */
bool runtime_seccomp_install(struct weft_error *err);

#endif
