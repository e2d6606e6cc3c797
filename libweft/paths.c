#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "weft/app_id.h"
#include "weft/log.h"
#include "weft/manifest.h"
#include "weft/appd-protocol.h"
#include "weft/paths.h"

/* The XDG base directory spec says to ignore a variable that is empty or relative. */
static const char *xdg_env(const char *name)
{
	const char *value = getenv(name);
	return value != NULL && value[0] == '/' ? value : NULL;
}

static char *xdg_dir(const char *var, const char *fallback, struct weft_error *err)
{
	const char *value = xdg_env(var);
	if (value != NULL) {
		char *dir = strdup(value);
		if (dir == NULL) {
			weft_error_set(err, "out of memory");
		}
		return dir;
	}
	const char *home = getenv("HOME");
	if (home == NULL || home[0] == '\0') {
		weft_error_set(err, "neither $%s nor $HOME is set", var);
		return NULL;
	}
	if (home[0] != '/') {
		weft_error_set(err, "$%s is not set and $HOME '%s' is not an absolute path", var,
			home);
		return NULL;
	}
	char *dir = weft_path_join(home, fallback);
	if (dir == NULL) {
		weft_error_set(err, "out of memory");
	}
	return dir;
}

/* Joins base (which this function frees) and rel. */
static char *join_take(char *base, const char *rel, struct weft_error *err)
{
	if (base == NULL) {
		return NULL;
	}
	char *path = weft_path_join(base, rel);
	free(base);
	if (path == NULL) {
		weft_error_set(err, "out of memory");
	}
	return path;
}

/* "/a/b//" and "/a/b" name the same root; keep one spelling so duplicates show. */
static char *strip_trailing_slashes(char *path)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/') {
		path[--len] = '\0';
	}
	return path;
}

char *weft_path_data_home(struct weft_error *err)
{
	return xdg_dir("XDG_DATA_HOME", ".local/share", err);
}

char *weft_path_config_home(struct weft_error *err)
{
	return xdg_dir("XDG_CONFIG_HOME", ".config", err);
}

char *weft_path_cache_home(struct weft_error *err)
{
	return xdg_dir("XDG_CACHE_HOME", ".cache", err);
}

char *weft_path_documents_dir(struct weft_error *err)
{
	return xdg_dir("XDG_DOCUMENTS_DIR", "Documents", err);
}

char *weft_path_runtime_dir(struct weft_error *err)
{
	const char *value = getenv("XDG_RUNTIME_DIR");
	if (value == NULL || value[0] == '\0') {
		weft_error_set(err, "$XDG_RUNTIME_DIR is not set");
		return NULL;
	}
	if (value[0] != '/') {
		weft_error_set(err, "$XDG_RUNTIME_DIR '%s' is not an absolute path", value);
		return NULL;
	}
	char *dir = strdup(value);
	if (dir == NULL) {
		weft_error_set(err, "out of memory");
	}
	return dir;
}

char *weft_path_appd_socket(struct weft_error *err)
{
	const char *env = getenv(WEFT_APPD_SOCKET_ENV);
	if (env != NULL && env[0] != '\0') {
		char *path = strdup(env);
		if (path == NULL) {
			weft_error_set(err, "out of memory");
		}
		return path;
	}
	char *dir = weft_path_runtime_dir(err);
	char *path = dir != NULL ? weft_path_join(dir, WEFT_APPD_SOCKET_NAME) : NULL;
	if (dir != NULL && path == NULL) {
		weft_error_set(err, "out of memory");
	}
	free(dir);
	return path;
}

char *weft_path_user_store(struct weft_error *err)
{
	const char *env = getenv("WEFT_APP_STORE");
	if (env != NULL && env[0] != '\0') {
		char *dir = strdup(env);
		if (dir == NULL) {
			weft_error_set(err, "out of memory");
			return NULL;
		}
		return strip_trailing_slashes(dir);
	}
	return join_take(weft_path_data_home(err), "weft/apps", err);
}

char *weft_path_app_data(const char *app_id, struct weft_error *err)
{
	/* The id becomes a path component: never let "../x" through. */
	if (!weft_app_id_valid(app_id, err)) {
		weft_error_prefix(err, "invalid app id");
		return NULL;
	}
	char *data = join_take(weft_path_data_home(err), "weft/data", err);
	return join_take(data, app_id, err);
}

char *weft_path_user_trust_dir(struct weft_error *err)
{
	return join_take(weft_path_config_home(err), "weft/trusted-keys", err);
}

/* Appends path (taking it) unless out already has it. */
static bool push_unique(struct weft_strv *out, char *path, struct weft_error *err)
{
	if (path == NULL) {
		return false;
	}
	strip_trailing_slashes(path);
	if (weft_strv_contains(out, path)) {
		free(path);
		return true;
	}
	if (!weft_strv_push_take(out, path)) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return true;
}

static bool push_copy(struct weft_strv *out, const char *path, struct weft_error *err)
{
	char *copy = strdup(path);
	if (copy == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return push_unique(out, copy, err);
}

/* Undoes a half-done append, so that a failing call leaves out as it was. */
static void truncate_strv(struct weft_strv *v, size_t len)
{
	while (v->len > len) {
		free(v->items[--v->len]);
		v->items[v->len] = NULL;
	}
}

bool weft_store_roots(struct weft_strv *out, struct weft_error *err)
{
	size_t old_len = out->len;
	const char *env = getenv("WEFT_APP_STORE");
	if (env != NULL && env[0] != '\0' && !push_copy(out, env, err)) {
		goto fail;
	}
	if (!push_unique(out, join_take(weft_path_data_home(err), "weft/apps", err), err) ||
		!push_copy(out, WEFT_SYSTEM_STORE, err)) {
		goto fail;
	}
	return true;
fail:
	truncate_strv(out, old_len);
	return false;
}

bool weft_trust_dirs(struct weft_strv *out, struct weft_error *err)
{
	size_t old_len = out->len;
	if (!push_unique(out, weft_path_user_trust_dir(err), err) ||
		!push_copy(out, WEFT_SYSTEM_TRUST_DIR, err)) {
		goto fail;
	}
	return true;
fail:
	truncate_strv(out, old_len);
	return false;
}

static bool stat_is(const char *path, mode_t type)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR) {
			weft_log_errno(WEFT_WARN, "stat %s", path);
		}
		return false;
	}
	return (st.st_mode & S_IFMT) == type;
}

/* A package directory is one that holds a manifest; anything else is debris. */
static bool is_package_dir(const char *dir, bool *oom)
{
	if (!stat_is(dir, S_IFDIR)) {
		return false;
	}
	char *manifest = weft_path_join(dir, WEFT_MANIFEST_FILE);
	if (manifest == NULL) {
		*oom = true;
		return false;
	}
	bool found = stat_is(manifest, S_IFREG);
	free(manifest);
	return found;
}

char *weft_store_find(const char *app_id, struct weft_error *err)
{
	if (!weft_app_id_valid(app_id, err)) {
		weft_error_prefix(err, "invalid app id");
		return NULL;
	}
	struct weft_strv roots;
	weft_strv_init(&roots);
	if (!weft_store_roots(&roots, err)) {
		weft_strv_finish(&roots);
		return NULL;
	}
	char *found = NULL;
	bool oom = false;
	for (size_t i = 0; i < roots.len && found == NULL && !oom; i++) {
		char *dir = weft_path_join(roots.items[i], app_id);
		if (dir == NULL) {
			oom = true;
		} else if (is_package_dir(dir, &oom)) {
			found = dir;
		} else {
			free(dir);
		}
	}
	weft_strv_finish(&roots);
	if (oom) {
		weft_error_set(err, "out of memory");
	} else if (found == NULL) {
		weft_error_set(err, "%s is not installed", app_id);
	}
	return found;
}

bool weft_make_dirs(const char *path, mode_t mode, struct weft_error *err)
{
	char *copy = strdup(path);
	if (copy == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0') {
			continue;
		}
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) != 0 && errno != EEXIST) {
			weft_error_errno(err, "mkdir %s", copy);
			free(copy);
			return false;
		}
		*p = saved;
		if (saved == '\0') {
			break;
		}
	}
	free(copy);
	struct stat st;
	if (stat(path, &st) != 0) {
		weft_error_errno(err, "%s", path);
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		weft_error_set(err, "%s: not a directory", path);
		return false;
	}
	return true;
}
