/*
 * What the files of libweftsandbox share: the policy's innards, the
 * Landlock constants newer than Debian 12's header, and the plan one spawn
 * follows.
 */
#ifndef WEFT_SANDBOX_PRIVATE_H
#define WEFT_SANDBOX_PRIVATE_H

#include <linux/landlock.h>
#include <stdint.h>

#include "weft/sandbox.h"

/* Landlock past linux-libc-dev 6.1 (ABI 2). */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0) /* ABI 4 */
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
/* The newest ABI this code knows; a newer kernel is used at this one. */
#define SANDBOX_LANDLOCK_ABI_KNOWN 7

/* The ruleset attribute as of ABI 6; older kernels get a prefix of it. */
struct sandbox_landlock_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

/* Rights of read-only paths, of read-write ones, and of device nodes. */
#define SANDBOX_FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define SANDBOX_FS_WRITE \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
		LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR | \
		LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM | \
		LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_REFER | \
		LANDLOCK_ACCESS_FS_TRUNCATE)
/* Rights that make sense on a file rather than a directory. */
#define SANDBOX_FS_FILE \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
		LANDLOCK_ACCESS_FS_IOCTL_DEV)

enum sandbox_path_kind {
	SANDBOX_PATH_DIR,
	SANDBOX_PATH_FILE,
	SANDBOX_PATH_DEVICE, /* a character device, or a directory of them (/dev/dri) */
	SANDBOX_PATH_SYMLINK, /* recreated in the root, e.g. /lib64 -> usr/lib64 */
};

struct sandbox_path {
	char *path; /* canonical, absolute */
	char *link; /* SANDBOX_PATH_SYMLINK: its target */
	enum sandbox_path_kind kind;
	bool is_dir;
	bool writable;
	bool overlay; /* read-only, under a private writable layer */
};

struct weft_sandbox_policy {
	enum weft_sandbox_kind kind;
	struct sandbox_path *paths;
	size_t npaths, cap;
	struct weft_strv env;
	struct weft_sandbox_limits limits;
	bool allow_degraded;
	enum weft_sandbox_shader_cache shader_cache;
};

/* policy.c */
const char *sandbox_kind_name(enum weft_sandbox_kind kind);
const char *sandbox_seccomp_name(enum weft_sandbox_kind kind);
const char *sandbox_shader_cache_name(enum weft_sandbox_shader_cache cache);

/* landlock.c: the rights this ABI knows, masked as the kernel's
 * samples/landlock/sandboxer.c does. */
void sandbox_landlock_rights(int abi, struct sandbox_landlock_attr *attr);
size_t sandbox_landlock_attr_size(int abi);
/* Every right the ABI knows is handled: with no port rule, no TCP bind or
 * connect at all. */
int sandbox_landlock_create(int abi, struct weft_error *err);
/* Allows access (masked to what the ruleset handles, and to file rights for
 * a non-directory) beneath the O_PATH fd. */
int sandbox_landlock_allow(int ruleset, int fd, uint64_t access, uint64_t handled, bool is_dir);

#endif
