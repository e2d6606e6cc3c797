/*
 * What a sandboxed process got, for a person (one line in appd's log) and
 * for programs (weftctl --json).
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

struct name {
	uint64_t bit;
	const char *name;
};

static const struct name namespaces[] = {
	{ WEFT_SANDBOX_NS_USER, "user" },
	{ WEFT_SANDBOX_NS_MOUNT, "mnt" },
	{ WEFT_SANDBOX_NS_PID, "pid" },
	{ WEFT_SANDBOX_NS_NET, "net" },
	{ WEFT_SANDBOX_NS_IPC, "ipc" },
	{ WEFT_SANDBOX_NS_UTS, "uts" },
	{ WEFT_SANDBOX_NS_CGROUP, "cgroup" },
};

static const struct name fs_rights[] = {
	{ LANDLOCK_ACCESS_FS_EXECUTE, "execute" },
	{ LANDLOCK_ACCESS_FS_WRITE_FILE, "write_file" },
	{ LANDLOCK_ACCESS_FS_READ_FILE, "read_file" },
	{ LANDLOCK_ACCESS_FS_READ_DIR, "read_dir" },
	{ LANDLOCK_ACCESS_FS_REMOVE_DIR, "remove_dir" },
	{ LANDLOCK_ACCESS_FS_REMOVE_FILE, "remove_file" },
	{ LANDLOCK_ACCESS_FS_MAKE_CHAR, "make_char" },
	{ LANDLOCK_ACCESS_FS_MAKE_DIR, "make_dir" },
	{ LANDLOCK_ACCESS_FS_MAKE_REG, "make_reg" },
	{ LANDLOCK_ACCESS_FS_MAKE_SOCK, "make_sock" },
	{ LANDLOCK_ACCESS_FS_MAKE_FIFO, "make_fifo" },
	{ LANDLOCK_ACCESS_FS_MAKE_BLOCK, "make_block" },
	{ LANDLOCK_ACCESS_FS_MAKE_SYM, "make_sym" },
	{ LANDLOCK_ACCESS_FS_REFER, "refer" },
	{ LANDLOCK_ACCESS_FS_TRUNCATE, "truncate" },
	{ LANDLOCK_ACCESS_FS_IOCTL_DEV, "ioctl_dev" },
};

static const struct name net_rights[] = {
	{ LANDLOCK_ACCESS_NET_BIND_TCP, "bind_tcp" },
	{ LANDLOCK_ACCESS_NET_CONNECT_TCP, "connect_tcp" },
};

static const struct name scopes[] = {
	{ LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, "abstract_unix_socket" },
	{ LANDLOCK_SCOPE_SIGNAL, "signal" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct out {
	char *buf;
	size_t size, len;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	if (o->len >= o->size) {
		return;
	}
	va_list args;
	va_start(args, fmt);
	int n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, args);
	va_end(args);
	if (n > 0) {
		o->len += (size_t)n;
	}
}

static void put_names(struct out *o, uint64_t bits, const struct name *names, size_t n)
{
	const char *sep = "";
	for (size_t i = 0; i < n; i++) {
		if (bits & names[i].bit) {
			put(o, "%s%s", sep, names[i].name);
			sep = ",";
		}
	}
}

/* The process's network: none with a namespace of its own (only lo, which
 * nobody else uses); the host's only when degraded, and then what Landlock
 * still refuses. */
static const char *network(const struct weft_sandbox_report *r)
{
	if (r->namespaces & WEFT_SANDBOX_NS_NET) {
		return "none: a namespace of its own";
	}
	if (r->landlock_net & LANDLOCK_ACCESS_NET_CONNECT_TCP) {
		return "the host's, TCP bind and connect refused by Landlock";
	}
	return "the host's";
}

void weft_sandbox_report_format(const struct weft_sandbox_report *r, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
	if (size > 0) {
		buf[0] = '\0';
	}
	put(&o, "sandbox %s: ", sandbox_kind_name(r->kind));
	if (r->namespaces != 0) {
		put_names(&o, r->namespaces, namespaces, N(namespaces));
		put(&o, " namespaces");
	} else {
		put(&o, "no namespaces");
	}
	put(&o, r->new_root ? "; new root" : "; host root");
	if (r->landlock_abi > 0) {
		put(&o, "; landlock ABI %d (kernel %d): %zu fs rights, tcp ", r->landlock_abi,
			r->landlock_kernel_abi, (size_t)__builtin_popcountll(r->landlock_fs));
		if (r->landlock_net != 0) {
			put_names(&o, r->landlock_net, net_rights, N(net_rights));
		} else {
			put(&o, "not handled");
		}
		put(&o, ", scopes ");
		if (r->landlock_scoped != 0) {
			put_names(&o, r->landlock_scoped, scopes, N(scopes));
		} else {
			put(&o, "none");
		}
	} else {
		put(&o, "; NO landlock");
	}
	put(&o, r->caps_dropped ? "; capabilities 0-%d dropped" : "; bounding set kept",
		r->cap_last);
	put(&o, r->no_new_privs ? "; no_new_privs" : "; new privileges possible");
	put(&o, "; rlimits data=");
	if (r->limits.data_bytes != 0) {
		put(&o, "%lluM", (unsigned long long)(r->limits.data_bytes >> 20));
	} else {
		put(&o, "none");
	}
	put(&o, " nofile=%llu nproc=%llu core=0; pid_max=%u; seccomp by the binary: %s",
		(unsigned long long)r->limits.nofile, (unsigned long long)r->limits.nproc,
		r->limits.pids_max, r->seccomp ? r->seccomp : "none");
	if (!(r->namespaces & WEFT_SANDBOX_NS_NET)) {
		put(&o, "; network: %s", network(r));
	}
	if (r->kind != WEFT_SANDBOX_RUNTIME) {
		put(&o, "; mesa shader cache: %s", sandbox_shader_cache_name(r->shader_cache));
	}
	if (r->degraded != NULL) {
		put(&o, "; DEGRADED: %s", r->degraded);
	}
}

static bool add(struct json_object *obj, const char *key, struct json_object *value)
{
	if (value == NULL) {
		return false;
	}
	if (json_object_object_add(obj, key, value) != 0) {
		json_object_put(value);
		return false;
	}
	return true;
}

static struct json_object *names_array(uint64_t bits, const struct name *names, size_t n)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; arr != NULL && i < n; i++) {
		if (!(bits & names[i].bit)) {
			continue;
		}
		struct json_object *s = json_object_new_string(names[i].name);
		if (s == NULL || json_object_array_add(arr, s) != 0) {
			json_object_put(s);
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

struct json_object *weft_sandbox_report_json(const struct weft_sandbox_report *r)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *landlock = json_object_new_object();
	struct json_object *limits = json_object_new_object();
	if (obj == NULL || landlock == NULL || limits == NULL) {
		json_object_put(obj);
		json_object_put(landlock);
		json_object_put(limits);
		return NULL;
	}
	/* Once added, both belong to obj; add() drops what it cannot add. */
	if (!add(obj, "landlock", landlock)) {
		json_object_put(limits);
		json_object_put(obj);
		return NULL;
	}
	bool ok = add(obj, "limits", limits) &&
		add(obj, "kind", json_object_new_string(sandbox_kind_name(r->kind))) &&
		add(obj, "namespaces", names_array(r->namespaces, namespaces, N(namespaces))) &&
		add(obj, "new_root", json_object_new_boolean(r->new_root)) &&
		add(landlock, "abi", json_object_new_int(r->landlock_abi)) &&
		add(landlock, "kernel_abi", json_object_new_int(r->landlock_kernel_abi)) &&
		add(landlock, "fs", names_array(r->landlock_fs, fs_rights, N(fs_rights))) &&
		add(landlock, "net", names_array(r->landlock_net, net_rights, N(net_rights))) &&
		add(landlock, "scoped", names_array(r->landlock_scoped, scopes, N(scopes))) &&
		add(obj, "caps_dropped", json_object_new_boolean(r->caps_dropped)) &&
		add(obj, "cap_last", json_object_new_int(r->cap_last)) &&
		add(obj, "no_new_privs", json_object_new_boolean(r->no_new_privs)) &&
		add(limits, "data", json_object_new_uint64(r->limits.data_bytes)) &&
		add(limits, "nofile", json_object_new_uint64(r->limits.nofile)) &&
		add(limits, "nproc", json_object_new_uint64(r->limits.nproc)) &&
		add(limits, "pid_max", json_object_new_uint64(r->limits.pids_max)) &&
		add(obj, "seccomp", json_object_new_string(r->seccomp ? r->seccomp : "none")) &&
		add(obj, "network", json_object_new_string(network(r))) &&
		(r->kind == WEFT_SANDBOX_RUNTIME ||
			add(obj, "shader_cache",
				json_object_new_string(
					sandbox_shader_cache_name(r->shader_cache)))) &&
		(r->degraded == NULL ? json_object_object_add(obj, "degraded", NULL) == 0
				     : add(obj, "degraded", json_object_new_string(r->degraded)));
	if (!ok) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}
