/*
 * From an app id to what the runtime is given (design §2 step 2, §4): the
 * package is found in the store, verified against the trust store at every
 * launch (a package can change between launches), its manifest read, and
 * each declared capability turned into a runtime argument. Nothing that is
 * not declared is granted.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "appd.h"
#include "weft/app_id.h"
#include "weft/appd-protocol.h"
#include "weft/capability.h"
#include "weft/log.h"
#include "weft/manifest.h"
#include "weft/package.h"
#include "weft/paths.h"

/* The sandbox shows every path where it really is: the runtime and the
 * app-shell are given these. */
static bool canonical(char **path, struct weft_error *err)
{
	char *real = realpath(*path, NULL);
	if (real == NULL) {
		weft_error_errno(err, "%s", *path);
		return false;
	}
	free(*path);
	*path = real;
	return true;
}

static bool verify(struct appd_plan *plan, const char *app_id, bool allow_untrusted,
	const char **code, struct weft_error *err)
{
	struct weft_trust trust;
	struct weft_error why = { 0 };
	enum weft_verify_result result = WEFT_VERIFY_ERROR;
	if (weft_trust_load(&trust, &why)) {
		const struct weft_trusted_key *key = NULL;
		result = weft_trust_verify(&trust, plan->package_dir, &key, &why);
		if (result == WEFT_VERIFY_OK) {
			weft_log(WEFT_DEBUG, "%s: signed by %s", app_id, key->path);
		}
		weft_trust_finish(&trust);
	}
	plan->trusted = result == WEFT_VERIFY_OK;
	if (plan->trusted) {
		return true;
	}
	if (result == WEFT_VERIFY_ERROR) {
		/* Unreadable or refused content is never run, developer or not. */
		*code = WEFT_APPD_ERR_INVALID_PACKAGE;
		weft_error_set(err, "%s: %s", app_id, why.msg);
		return false;
	}
	if (allow_untrusted) {
		/* An unsigned package was never scanned: what it holds must still
		 * be what a package may hold. */
		struct weft_pkg_files files = { 0 };
		struct weft_error scan_err = { 0 };
		bool readable = weft_pkg_scan(plan->package_dir, NULL, &files, &scan_err);
		weft_pkg_files_finish(&files);
		if (!readable) {
			*code = WEFT_APPD_ERR_INVALID_PACKAGE;
			weft_error_set(err, "%s: %s", app_id, scan_err.msg);
			return false;
		}
		weft_log(WEFT_WARN, "%s: not trusted (%s); running it anyway (developer mode)",
			app_id, why.msg);
		return true;
	}
	*code = WEFT_APPD_ERR_UNTRUSTED;
	weft_error_set(err, "%s is not trusted: %s", app_id, why.msg);
	return false;
}

static bool grant(struct appd_plan *plan, const char *app_id, const char *cap,
	struct weft_error *err)
{
	const struct weft_capability *c = weft_capability_parse(cap, NULL, err);
	if (c == NULL) {
		return false;
	}
	if (c->grant == WEFT_GRANT_RESERVED) {
		return true;
	}
	if (c->grant == WEFT_GRANT_DIR && c->dir == WEFT_DIR_APP_DATA && plan->data_dir == NULL) {
		plan->data_dir = weft_path_app_data(app_id, err);
		if (plan->data_dir == NULL || !weft_make_dirs(plan->data_dir, 0700, err) ||
			!canonical(&plan->data_dir, err) ||
			!weft_strv_push(&plan->runtime_args, "--data") ||
			!weft_strv_push(&plan->runtime_args, plan->data_dir)) {
			weft_error_prefix(err, "app data");
			return false;
		}
	}
	if (!weft_strv_push(&plan->runtime_args, "--grant") ||
		!weft_strv_push(&plan->runtime_args, cap)) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return true;
}

/* The package installed as an image, mounted: its mount point is the
 * package directory. *exists is false when there is no image. */
static bool mount_image(struct appd_plan *plan, const char *app_id, const char *mount_helper,
	bool *exists, struct weft_error *err)
{
	char *root_hash = NULL;
	char *image = appd_image_find(app_id, &root_hash, exists, err);
	if (image == NULL) {
		return false;
	}
	plan->image_mount = appd_image_mount(mount_helper, image, root_hash, err);
	free(image);
	free(root_hash);
	if (plan->image_mount == NULL) {
		weft_error_prefix(err, "%s", app_id);
		return false;
	}
	plan->package_dir = strdup(plan->image_mount);
	if (plan->package_dir == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return true;
}

bool appd_plan_make(struct appd_plan *plan, const char *app_id, bool allow_untrusted,
	const char *mount_helper, const char **code, struct weft_error *err)
{
	memset(plan, 0, sizeof(*plan));
	weft_strv_init(&plan->capabilities);
	weft_strv_init(&plan->runtime_args);
	*code = WEFT_APPD_ERR_INVALID_ARGUMENT;
	if (!weft_app_id_valid(app_id, err)) {
		weft_error_prefix(err, "invalid app id");
		return false;
	}
	*code = WEFT_APPD_ERR_NOT_INSTALLED;
	plan->package_dir = weft_store_find(app_id, err);
	if (plan->package_dir == NULL) {
		/* Not a directory in any root: an image, maybe. */
		struct weft_error dir_err = *err;
		bool exists;
		if (!mount_image(plan, app_id, mount_helper, &exists, err)) {
			if (exists) {
				*code = WEFT_APPD_ERR_INVALID_PACKAGE;
			} else {
				*err = dir_err;
			}
			return false;
		}
	}
	if (!canonical(&plan->package_dir, err)) {
		return false;
	}
	if (!verify(plan, app_id, allow_untrusted, code, err)) {
		return false;
	}

	*code = WEFT_APPD_ERR_INVALID_PACKAGE;
	char *path = weft_path_join(plan->package_dir, WEFT_MANIFEST_FILE);
	struct weft_manifest *m = path != NULL ? appd_manifest_load(path, err) : NULL;
	if (path == NULL) {
		weft_error_set(err, "out of memory");
	}
	free(path);
	if (m == NULL) {
		weft_error_prefix(err, "%s: invalid manifest", app_id);
		return false;
	}
	bool ok = true;
	if (strcmp(m->id, app_id) != 0) {
		weft_error_set(err, "%s: the manifest says it is %s", plan->package_dir, m->id);
		ok = false;
	}
	if (ok) {
		plan->component = weft_path_join(plan->package_dir, m->module);
		struct stat st;
		if (plan->component == NULL) {
			weft_error_set(err, "out of memory");
			ok = false;
		} else if (stat(plan->component, &st) != 0 || !S_ISREG(st.st_mode)) {
			weft_error_set(err, "%s: no component %s", app_id, m->module);
			ok = false;
		}
	}
	for (size_t i = 0; ok && i < m->capabilities.len; i++) {
		const char *cap = m->capabilities.items[i];
		ok = grant(plan, app_id, cap, err) && weft_strv_push(&plan->capabilities, cap);
		if (!ok && err->msg[0] == '\0') {
			weft_error_set(err, "out of memory");
		}
	}
	weft_manifest_destroy(m);
	if (ok) {
		*code = NULL;
	}
	return ok;
}

static struct json_object *strv_json(const struct weft_strv *v)
{
	struct json_object *array = json_object_new_array();
	for (size_t i = 0; array != NULL && i < v->len; i++) {
		struct json_object *item = json_object_new_string(v->items[i]);
		if (item == NULL || json_object_array_add(array, item) != 0) {
			json_object_put(item);
			json_object_put(array);
			return NULL;
		}
	}
	return array;
}

struct json_object *appd_plan_to_json(const struct appd_plan *plan)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *caps = strv_json(&plan->capabilities);
	struct json_object *args = strv_json(&plan->runtime_args);
	if (obj == NULL || caps == NULL || args == NULL) {
		json_object_put(obj);
		json_object_put(caps);
		json_object_put(args);
		return NULL;
	}
	json_object_object_add(obj, "package_dir", json_object_new_string(plan->package_dir));
	json_object_object_add(obj, "component", json_object_new_string(plan->component));
	if (plan->data_dir != NULL) {
		json_object_object_add(obj, "data_dir", json_object_new_string(plan->data_dir));
	}
	json_object_object_add(obj, "capabilities", caps);
	json_object_object_add(obj, "runtime_args", args);
	json_object_object_add(obj, "trusted", json_object_new_boolean(plan->trusted));
	if (plan->image_mount != NULL) {
		json_object_object_add(obj, "image_mount",
			json_object_new_string(plan->image_mount));
	}
	return obj;
}

/* A copy of the string member key, or NULL when it is missing or not a
 * string without NULs. */
static char *copy_string(struct json_object *obj, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(obj, key, &v) ||
		!json_object_is_type(v, json_type_string) ||
		strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
		return NULL;
	}
	return strdup(json_object_get_string(v));
}

static bool copy_strv(struct json_object *obj, const char *key, struct weft_strv *out)
{
	struct json_object *array;
	if (!json_object_object_get_ex(obj, key, &array) ||
		!json_object_is_type(array, json_type_array)) {
		return false;
	}
	size_t n = json_object_array_length(array);
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(array, i);
		if (!json_object_is_type(item, json_type_string) ||
			!weft_strv_push(out, json_object_get_string(item))) {
			return false;
		}
	}
	return true;
}

bool appd_plan_from_json(struct appd_plan *plan, struct json_object *obj, struct weft_error *err)
{
	memset(plan, 0, sizeof(*plan));
	weft_strv_init(&plan->capabilities);
	weft_strv_init(&plan->runtime_args);
	struct json_object *v;
	plan->package_dir = copy_string(obj, "package_dir");
	plan->component = copy_string(obj, "component");
	bool ok = plan->package_dir != NULL && plan->component != NULL;
	if (ok && json_object_object_get_ex(obj, "data_dir", &v)) {
		plan->data_dir = copy_string(obj, "data_dir");
		ok = plan->data_dir != NULL;
	}
	if (ok && json_object_object_get_ex(obj, "image_mount", &v)) {
		plan->image_mount = copy_string(obj, "image_mount");
		ok = plan->image_mount != NULL;
	}
	ok = ok && copy_strv(obj, "capabilities", &plan->capabilities) &&
		copy_strv(obj, "runtime_args", &plan->runtime_args) &&
		json_object_object_get_ex(obj, "trusted", &v) &&
		json_object_is_type(v, json_type_boolean);
	if (!ok) {
		weft_error_set(err, "the package check sent a malformed plan");
		appd_plan_finish(plan);
		memset(plan, 0, sizeof(*plan));
		return false;
	}
	plan->trusted = json_object_get_boolean(v);
	return true;
}

void appd_plan_finish(struct appd_plan *plan)
{
	free(plan->package_dir);
	free(plan->component);
	free(plan->data_dir);
	free(plan->image_mount);
	weft_strv_finish(&plan->capabilities);
	weft_strv_finish(&plan->runtime_args);
}
