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
	json_object_object_add(app, "id", json_object_new_string(m->id));
	json_object_object_add(app, "name", json_object_new_string(m->name));
	json_object_object_add(app, "version", json_object_new_string(m->version));
	json_object_object_add(app, "description", string_or_null(m->description));
	for (size_t i = 0; i < m->capabilities.len; i++) {
		json_object_array_add(caps, json_object_new_string(m->capabilities.items[i]));
	}
	json_object_object_add(app, "capabilities", caps);
	json_object_object_add(app, "path", json_object_new_string(dir));
	return app;
}

static void scan_root(const char *root, struct json_object *apps, struct weft_strv *seen)
{
	DIR *d = opendir(root);
	if (d == NULL) {
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!weft_app_id_valid(e->d_name, NULL) || weft_strv_contains(seen, e->d_name)) {
			continue;
		}
		char *dir = weft_path_join(root, e->d_name);
		char *path = dir != NULL ? weft_path_join(dir, WEFT_MANIFEST_FILE) : NULL;
		struct weft_error err = { 0 };
		struct weft_manifest *m = path != NULL ? appd_manifest_load(path, &err) : NULL;
		if (m == NULL) {
			weft_log(WEFT_WARN, "apps: %s: skipped: %s", dir != NULL ? dir : e->d_name,
				path != NULL ? err.msg : "out of memory");
		} else if (strcmp(m->id, e->d_name) == 0) {
			struct json_object *app = app_json(dir, m);
			if (app != NULL) {
				json_object_array_add(apps, app);
				weft_strv_push(seen, e->d_name);
			}
		}
		weft_manifest_destroy(m);
		free(path);
		free(dir);
	}
	closedir(d);
}

static int compare_ids(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	struct json_object *ix, *iy;
	json_object_object_get_ex(x, "id", &ix);
	json_object_object_get_ex(y, "id", &iy);
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
