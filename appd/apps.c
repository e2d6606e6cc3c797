/*
 * The installed apps: every package directory in the store roots, the
 * first root that has an id winning, as weft_store_find() decides.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "appd.h"
#include "weft/app_id.h"
#include "weft/appd-protocol.h"
#include "weft/log.h"
#include "weft/manifest.h"
#include "weft/paths.h"

static struct json_object *string_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static struct json_object *app_json(const char *dir, const struct weft_manifest *m)
{
	struct json_object *app = json_object_new_object();
	struct json_object *caps = json_object_new_array();
	if (app == NULL || caps == NULL) {
		json_object_put(app);
		json_object_put(caps);
		return NULL;
	}
	json_object_object_add(app, WEFT_APPD_KEY_ID, json_object_new_string(m->id));
	json_object_object_add(app, WEFT_APPD_KEY_NAME, json_object_new_string(m->name));
	json_object_object_add(app, WEFT_APPD_KEY_VERSION, json_object_new_string(m->version));
	json_object_object_add(app, WEFT_APPD_KEY_DESCRIPTION, string_or_null(m->description));
	for (size_t i = 0; i < m->capabilities.len; i++) {
		json_object_array_add(caps, json_object_new_string(m->capabilities.items[i]));
	}
	json_object_object_add(app, WEFT_APPD_KEY_CAPABILITIES, caps);
	json_object_object_add(app, WEFT_APPD_KEY_PATH, json_object_new_string(dir));
	return app;
}

static void scan_root(const char *root, struct json_object *apps, struct weft_strv *seen)
{
	DIR *d = opendir(root);
	if (d == NULL) {
		return;
	}
	struct weft_strv ids, dirs, paths;
	weft_strv_init(&ids);
	weft_strv_init(&dirs);
	weft_strv_init(&paths);
	struct dirent *e;
	bool ok = true;
	while (ok && (e = readdir(d)) != NULL) {
		if (!weft_app_id_valid(e->d_name, NULL) || weft_strv_contains(seen, e->d_name)) {
			continue;
		}
		char *dir = weft_path_join(root, e->d_name);
		char *path = dir != NULL ? weft_path_join(dir, WEFT_MANIFEST_FILE) : NULL;
		ok = path != NULL && weft_strv_push(&ids, e->d_name) &&
			weft_strv_push(&dirs, dir) && weft_strv_push(&paths, path);
		free(path);
		free(dir);
	}
	closedir(d);
	struct weft_manifest **manifests = calloc(paths.len + 1, sizeof(*manifests));
	struct weft_error *errs = calloc(paths.len + 1, sizeof(*errs));
	if (!ok || manifests == NULL || errs == NULL) {
		weft_log(WEFT_WARN, "apps: %s: out of memory", root);
		paths.len = 0;
	}
	appd_manifest_load_many((const char *const *)paths.items, paths.len, manifests, errs);
	for (size_t i = 0; i < paths.len; i++) {
		struct weft_manifest *m = manifests[i];
		if (m == NULL) {
			weft_log(WEFT_WARN, "apps: %s: skipped: %s", dirs.items[i], errs[i].msg);
		} else if (strcmp(m->id, ids.items[i]) == 0) {
			struct json_object *app = app_json(dirs.items[i], m);
			if (app != NULL) {
				json_object_array_add(apps, app);
				weft_strv_push(seen, ids.items[i]);
			}
		}
		weft_manifest_destroy(m);
	}
	free(manifests);
	free(errs);
	weft_strv_finish(&ids);
	weft_strv_finish(&dirs);
	weft_strv_finish(&paths);
}

static int compare_ids(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	struct json_object *ix, *iy;
	json_object_object_get_ex(x, WEFT_APPD_KEY_ID, &ix);
	json_object_object_get_ex(y, WEFT_APPD_KEY_ID, &iy);
	return strcmp(json_object_get_string(ix), json_object_get_string(iy));
}

struct json_object *appd_apps_list(struct weft_error *err)
{
	struct weft_strv roots, seen;
	weft_strv_init(&roots);
	weft_strv_init(&seen);
	if (!weft_store_roots(&roots, err)) {
		weft_strv_finish(&roots);
		return NULL;
	}
	struct json_object *apps = json_object_new_array();
	if (apps == NULL) {
		weft_error_set(err, "out of memory");
	}
	for (size_t i = 0; apps != NULL && i < roots.len; i++) {
		scan_root(roots.items[i], apps, &seen);
	}
	if (apps != NULL) {
		json_object_array_sort(apps, compare_ids);
	}
	weft_strv_finish(&roots);
	weft_strv_finish(&seen);
	return apps;
}
