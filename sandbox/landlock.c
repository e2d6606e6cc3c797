/*
 * Landlock: which rights this kernel's ABI knows, and the three syscalls,
 * which glibc 2.36 does not wrap. Nothing here allocates: the child adds
 * rules for its own mounts with sandbox_landlock_allow().
 */
#include <errno.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

int weft_sandbox_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

void sandbox_landlock_rights(int abi, struct sandbox_landlock_attr *attr)
{
	attr->handled_access_fs = SANDBOX_FS_READ | SANDBOX_FS_WRITE | LANDLOCK_ACCESS_FS_EXECUTE |
		LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
		LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_IOCTL_DEV;
	attr->handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
	attr->scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	/* Each case removes what its ABI does not know yet. */
	switch (abi) {
	case 0:
		attr->handled_access_fs = 0;
		/* fall through */
	case 1:
		attr->handled_access_fs &= ~LANDLOCK_ACCESS_FS_REFER;
		/* fall through */
	case 2:
		attr->handled_access_fs &= ~LANDLOCK_ACCESS_FS_TRUNCATE;
		/* fall through */
	case 3:
		attr->handled_access_net = 0;
		/* fall through */
	case 4:
		attr->handled_access_fs &= ~LANDLOCK_ACCESS_FS_IOCTL_DEV;
		/* fall through */
	case 5:
		attr->scoped = 0;
		/* fall through */
	default:
		break;
	}
}

size_t sandbox_landlock_attr_size(int abi)
{
	if (abi >= 6) {
		return sizeof(struct sandbox_landlock_attr);
	}
	if (abi >= 4) {
		return offsetof(struct sandbox_landlock_attr, scoped);
	}
	return offsetof(struct sandbox_landlock_attr, handled_access_net);
}

int sandbox_landlock_create(int abi, struct weft_error *err)
{
	struct sandbox_landlock_attr attr;
	sandbox_landlock_rights(abi, &attr);
	long fd = syscall(SYS_landlock_create_ruleset, &attr, sandbox_landlock_attr_size(abi), 0);
	if (fd < 0) {
		weft_error_errno(err, "landlock_create_ruleset (ABI %d)", abi);
		return -1;
	}
	return (int)fd;
}

int sandbox_landlock_allow(int ruleset, int fd, uint64_t access, uint64_t handled, bool is_dir)
{
	struct landlock_path_beneath_attr rule = {
		.allowed_access = access & handled & (is_dir ? ~0ULL : SANDBOX_FS_FILE),
		.parent_fd = fd,
	};
	if (rule.allowed_access == 0) {
		return 0;
	}
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
		return -errno;
	}
	return 0;
}
