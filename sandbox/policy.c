/*
 * Policies: what each kind of process sees. Everything here runs in the
 * parent and may allocate; paths are resolved once, when they are added.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"
#include "weft/appd-protocol.h"

#define MIB (1024ULL * 1024)

/* Every process: the system's programs and libraries, the loader's
 * cache, and harmless devices. Never $HOME, $XDG_RUNTIME_DIR or /tmp. */
static const char *const system_paths[] = {
	"/usr",
	"/bin",
	"/sbin",
	"/lib",
	"/lib32",
	"/lib64",
	"/libx32",
	"/etc/ld.so.cache",
};

static const char *const devices[] = {
	"/dev/null",
	"/dev/zero",
	"/dev/full",
	"/dev/random",
	"/dev/urandom",
};

/* What Mesa (llvmpipe or a GPU) and fontconfig read at start-up (see
 * sandbox.md): the app-shell and the spare. */
static const char *const renderer_paths[] = {
	"/etc/fonts",
	"/etc/glvnd",
	"/etc/drirc",
	"/etc/localtime",
	/* Servo's network stack loads the trust store at start, and panics
	 * without one; never all of /etc/ssl, whose private/ is root's keys. */
	"/etc/ssl/certs",
	"/var/cache/fontconfig",
	"/sys/devices/system/cpu",
};

static const char *const renderer_env[] = {
	"HOME=/tmp",
	"XDG_CACHE_HOME=/tmp/.cache",
	/* Otherwise Mesa reads /etc/passwd and writes a cache in $HOME; a
	 * policy with a shader cache replaces it with MESA_SHADER_CACHE_DIR. */
	"MESA_SHADER_CACHE_DISABLE=true",
};

#define SHADER_CACHE_DISABLE "MESA_SHADER_CACHE_DISABLE="
#define SHADER_CACHE_DIR "MESA_SHADER_CACHE_DIR="

const char *sandbox_kind_name(enum weft_sandbox_kind kind)
{
	switch (kind) {
	case WEFT_SANDBOX_RUNTIME:
		return "runtime";
	case WEFT_SANDBOX_APP_SHELL:
		return "app-shell";
	case WEFT_SANDBOX_SPARE:
		return "spare";
	}
	return "?";
}

const char *sandbox_seccomp_name(enum weft_sandbox_kind kind)
{
	/* Installed by the binary itself, first thing in main: weft-runtime
	 * its allowlist, weft-app-shell (and so the spare) its own allowlist,
	 * weft_sandbox_seccomp_app_shell_install(). */
	return kind == WEFT_SANDBOX_RUNTIME ? "weft-runtime allowlist"
					    : "weft-app-shell allowlist";
}

const char *sandbox_shader_cache_name(enum weft_sandbox_shader_cache cache)
{
	switch (cache) {
	case WEFT_SANDBOX_SHADER_CACHE_NONE:
		return WEFT_APPD_SHADER_CACHE_NONE;
	case WEFT_SANDBOX_SHADER_CACHE_APP:
		return WEFT_APPD_SHADER_CACHE_APP;
	case WEFT_SANDBOX_SHADER_CACHE_TRUSTED:
		return WEFT_APPD_SHADER_CACHE_TRUSTED;
	case WEFT_SANDBOX_SHADER_CACHE_WARM_UP:
		return WEFT_APPD_SHADER_CACHE_WARM_UP;
	}
	return "?";
}

static struct sandbox_path *push_path(struct weft_sandbox_policy *policy, struct weft_error *err)
{
	if (policy->npaths == policy->cap) {
		size_t cap = policy->cap ? policy->cap * 2 : 16;
		struct sandbox_path *paths = realloc(policy->paths, cap * sizeof(*paths));
		if (paths == NULL) {
			weft_error_set(err, "out of memory");
			return NULL;
		}
		policy->paths = paths;
		policy->cap = cap;
	}
	struct sandbox_path *p = &policy->paths[policy->npaths];
	*p = (struct sandbox_path){ 0 };
	return p;
}

/* Adds path as it is; optional paths that do not exist are skipped. */
static bool add(struct weft_sandbox_policy *policy, const char *path, bool writable, bool optional,
	struct weft_error *err)
{
	if (path == NULL || path[0] != '/') {
		weft_error_set(err, "sandbox path %s: not absolute", path ? path : "(null)");
		return false;
	}
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (optional && errno == ENOENT) {
			return true;
		}
		weft_error_errno(err, "sandbox path %s", path);
		return false;
	}
	struct sandbox_path *p = push_path(policy, err);
	if (p == NULL) {
		return false;
	}
	char *parent = strdup(path);
	char *slash = parent ? strrchr(parent, '/') : NULL;
	/* A symlink straight under / (the usr-merge links) is recreated as a
	 * link; any other path is shown where it really is. */
	if (S_ISLNK(st.st_mode) && slash == parent) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n < 0) {
			weft_error_errno(err, "readlink %s", path);
			free(parent);
			return false;
		}
		target[n] = '\0';
		p->kind = SANDBOX_PATH_SYMLINK;
		p->path = parent;
		p->link = strdup(target);
		parent = NULL;
	} else {
		free(parent);
		parent = NULL;
		p->path = realpath(path, NULL);
		if (p->path == NULL) {
			if (optional && errno == ENOENT) {
				return true;
			}
			weft_error_errno(err, "sandbox path %s", path);
			return false;
		}
		if (stat(p->path, &st) != 0) {
			weft_error_errno(err, "sandbox path %s", p->path);
			free(p->path);
			return false;
		}
		if (S_ISCHR(st.st_mode) || strncmp(p->path, "/dev/", 5) == 0) {
			p->kind = SANDBOX_PATH_DEVICE;
		} else if (S_ISDIR(st.st_mode)) {
			p->kind = SANDBOX_PATH_DIR;
		} else if (S_ISREG(st.st_mode)) {
			p->kind = SANDBOX_PATH_FILE;
		} else {
			weft_error_set(err, "sandbox path %s: not a file or directory", p->path);
			free(p->path);
			return false;
		}
		p->is_dir = S_ISDIR(st.st_mode);
		p->writable = writable;
	}
	if (p->path == NULL || (p->kind == SANDBOX_PATH_SYMLINK && p->link == NULL)) {
		free(p->path);
		free(p->link);
		weft_error_set(err, "out of memory");
		return false;
	}
	policy->npaths++;
	return true;
}

static bool add_list(struct weft_sandbox_policy *policy, const char *const *paths, size_t n,
	bool optional, struct weft_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!add(policy, paths[i], false, optional, err)) {
			return false;
		}
	}
	return true;
}

static bool add_extra(struct weft_sandbox_policy *policy, const char *const *extra,
	struct weft_error *err)
{
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
		if (!add(policy, extra[i], false, false, err)) {
			return false;
		}
	}
	return true;
}

static bool add_env(struct weft_sandbox_policy *policy, const char *const *env, size_t n,
	struct weft_error *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!weft_sandbox_policy_setenv(policy, env[i], err)) {
			return false;
		}
	}
	return true;
}

static struct weft_sandbox_policy *create(enum weft_sandbox_kind kind, struct weft_error *err)
{
	struct weft_sandbox_policy *policy = calloc(1, sizeof(*policy));
	if (policy == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	policy->kind = kind;
	weft_strv_init(&policy->env);
	static const char *const env[] = {
		"PATH=/usr/bin:/bin",
		"LANG=C.UTF-8",
		"TMPDIR=/tmp",
	};
	if (!add_list(policy, system_paths, sizeof(system_paths) / sizeof(system_paths[0]), true,
		    err) ||
		!add_list(policy, devices, sizeof(devices) / sizeof(devices[0]), false, err) ||
		!add_env(policy, env, sizeof(env) / sizeof(env[0]), err)) {
		weft_sandbox_policy_destroy(policy);
		return NULL;
	}
	return policy;
}

static bool add_app(struct weft_sandbox_policy *policy, const struct weft_sandbox_app *app,
	struct weft_error *err)
{
	if (app == NULL || app->package_dir == NULL) {
		weft_error_set(err, "sandbox: no package directory");
		return false;
	}
	return add(policy, app->package_dir, false, false, err) &&
		(app->data_dir == NULL || add(policy, app->data_dir, app->data_rw, false, err)) &&
		add_extra(policy, app->extra_ro, err);
}

struct weft_sandbox_policy *weft_sandbox_policy_runtime(const struct weft_sandbox_app *app,
	struct weft_error *err)
{
	struct weft_sandbox_policy *policy = create(WEFT_SANDBOX_RUNTIME, err);
	if (policy == NULL) {
		return NULL;
	}
	/* The runtime's seccomp filter forbids fork: a handful of threads. */
	policy->limits = (struct weft_sandbox_limits){
		.data_bytes = 2048 * MIB,
		.nofile = 256,
		.nproc = 64,
		.pids_max = 301,
	};
	if (!add_app(policy, app, err)) {
		weft_sandbox_policy_destroy(policy);
		return NULL;
	}
	return policy;
}

/* The app-shell's policy without the app: the spare's. */
static struct weft_sandbox_policy *create_renderer(enum weft_sandbox_kind kind,
	struct weft_error *err)
{
	struct weft_sandbox_policy *policy = create(kind, err);
	if (policy == NULL) {
		return NULL;
	}
	/* Servo starts dozens of threads; llvmpipe maps 100+ MB of LLVM. */
	policy->limits = (struct weft_sandbox_limits){
		.data_bytes = 4096 * MIB,
		.nofile = 1024,
		.nproc = 256,
		.pids_max = 301,
	};
	/* /dev/dri only where there is a GPU; llvmpipe needs none. */
	if (!add_list(policy, renderer_paths, sizeof(renderer_paths) / sizeof(renderer_paths[0]),
		    true, err) ||
		!add(policy, "/dev/dri", false, true, err) ||
		!add_env(policy, renderer_env, sizeof(renderer_env) / sizeof(renderer_env[0]),
			err)) {
		weft_sandbox_policy_destroy(policy);
		return NULL;
	}
	return policy;
}

struct weft_sandbox_policy *weft_sandbox_policy_app_shell(const struct weft_sandbox_app *app,
	struct weft_error *err)
{
	struct weft_sandbox_policy *policy = create_renderer(WEFT_SANDBOX_APP_SHELL, err);
	if (policy != NULL && !add_app(policy, app, err)) {
		weft_sandbox_policy_destroy(policy);
		return NULL;
	}
	return policy;
}

struct weft_sandbox_policy *weft_sandbox_policy_spare(const char *const *extra_ro,
	struct weft_error *err)
{
	struct weft_sandbox_policy *policy = create_renderer(WEFT_SANDBOX_SPARE, err);
	if (policy != NULL && !add_extra(policy, extra_ro, err)) {
		weft_sandbox_policy_destroy(policy);
		return NULL;
	}
	return policy;
}

void weft_sandbox_policy_destroy(struct weft_sandbox_policy *policy)
{
	if (policy == NULL) {
		return;
	}
	for (size_t i = 0; i < policy->npaths; i++) {
		free(policy->paths[i].path);
		free(policy->paths[i].link);
	}
	free(policy->paths);
	weft_strv_finish(&policy->env);
	free(policy);
}

bool weft_sandbox_policy_setenv(struct weft_sandbox_policy *policy, const char *entry,
	struct weft_error *err)
{
	const char *eq = strchr(entry, '=');
	if (eq == NULL || eq == entry) {
		weft_error_set(err, "sandbox environment: %s is not NAME=value", entry);
		return false;
	}
	size_t len = (size_t)(eq - entry) + 1;
	for (size_t i = 0; i < policy->env.len; i++) {
		if (strncmp(policy->env.items[i], entry, len) == 0) {
			char *copy = strdup(entry);
			if (copy == NULL) {
				weft_error_set(err, "out of memory");
				return false;
			}
			free(policy->env.items[i]);
			policy->env.items[i] = copy;
			return true;
		}
	}
	if (!weft_strv_push(&policy->env, entry)) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return true;
}

bool weft_sandbox_policy_add_path(struct weft_sandbox_policy *policy, const char *path,
	bool writable, struct weft_error *err)
{
	return add(policy, path, writable, false, err);
}

bool weft_sandbox_policy_add_overlay(struct weft_sandbox_policy *policy, const char *dir,
	struct weft_error *err)
{
	if (!add(policy, dir, false, false, err)) {
		return false;
	}
	struct sandbox_path *p = &policy->paths[policy->npaths - 1];
	if (p->kind != SANDBOX_PATH_DIR) {
		weft_error_set(err, "sandbox overlay %s: not a directory", p->path);
		policy->npaths--;
		free(p->path);
		free(p->link);
		return false;
	}
	p->overlay = true;
	return true;
}

/* Drops NAME= from the child's environment. */
static void unset_env(struct weft_sandbox_policy *policy, const char *prefix)
{
	size_t len = strlen(prefix);
	for (size_t i = 0; i < policy->env.len; i++) {
		if (strncmp(policy->env.items[i], prefix, len) == 0) {
			free(policy->env.items[i]);
			memmove(&policy->env.items[i], &policy->env.items[i + 1],
				(policy->env.len - i) * sizeof(policy->env.items[0]));
			policy->env.len--;
			return;
		}
	}
}

bool weft_sandbox_policy_shader_cache(struct weft_sandbox_policy *policy,
	enum weft_sandbox_shader_cache cache, const char *dir, struct weft_error *err)
{
	if (policy->kind == WEFT_SANDBOX_RUNTIME) {
		weft_error_set(err, "sandbox: only a renderer has a shader cache");
		return false;
	}
	if (policy->shader_cache != WEFT_SANDBOX_SHADER_CACHE_NONE) {
		weft_error_set(err, "sandbox: the shader cache is set already");
		return false;
	}
	if (cache == WEFT_SANDBOX_SHADER_CACHE_NONE) {
		return true;
	}
	if (dir == NULL) {
		weft_error_set(err, "sandbox: a shader cache needs a directory");
		return false;
	}
	bool ok = cache == WEFT_SANDBOX_SHADER_CACHE_TRUSTED
		? weft_sandbox_policy_add_overlay(policy, dir, err)
		: add(policy, dir, true, false, err);
	if (!ok) {
		return false;
	}
	/* Where the sandbox shows it: its canonical path. */
	const char *shown = policy->paths[policy->npaths - 1].path;
	char *entry = weft_strdup_printf(SHADER_CACHE_DIR "%s", shown);
	if (entry == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	ok = weft_sandbox_policy_setenv(policy, entry, err);
	free(entry);
	if (!ok) {
		return false;
	}
	unset_env(policy, SHADER_CACHE_DISABLE);
	policy->shader_cache = cache;
	return true;
}

void weft_sandbox_policy_set_limits(struct weft_sandbox_policy *policy,
	const struct weft_sandbox_limits *limits)
{
	policy->limits = *limits;
}

const struct weft_sandbox_limits *weft_sandbox_policy_limits(
	const struct weft_sandbox_policy *policy)
{
	return &policy->limits;
}

void weft_sandbox_policy_allow_degraded(struct weft_sandbox_policy *policy, bool allow)
{
	policy->allow_degraded = allow;
}
