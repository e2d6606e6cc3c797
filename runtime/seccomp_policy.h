/*
 * The syscall allowlist weft-runtime runs the guest under. One function
 * builds it, so that tests install exactly the same policy and try
 * syscalls under it.
 */
#ifndef WEFT_RUNTIME_SECCOMP_POLICY_H
#define WEFT_RUNTIME_SECCOMP_POLICY_H

#include <seccomp.h>

#include "weft/common.h"

struct runtime_seccomp_opts {
	/* socket(AF_INET/AF_INET6) and connect, for weft:app/fetch. */
	bool network;
};

/* The policy, not yet loaded; the caller seccomp_release()s it. */
scmp_filter_ctx runtime_seccomp_build(
	const struct runtime_seccomp_opts *opts, struct weft_error *err);
/* Builds and loads the policy for every thread of the process. */
bool runtime_seccomp_install(const struct runtime_seccomp_opts *opts, struct weft_error *err);

#endif
