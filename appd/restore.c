/*
 * Session restore: appd writes which apps are open (and its next session
 * number, so that ids stay unique) to a small file beside its socket. An
 * appd that starts after one that died, or was stopped, brings those apps
 * back as new sessions, one after the other, in the order they were opened.
 * Apps that are still being checked or brought back count as open. The
 * runtime dir is per login, so a new login starts empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appd.h"
#include "weft/ipc.h"
#include "weft/log.h"

/* The apps a restore has yet to bring back. */
struct appd_restore {
	struct appd *appd;
	struct json_object *apps; /* the saved list */
	size_t next; /* the first not launched yet */
};

void appd_restore_save(struct appd *appd)
{
	if (appd->restore_path == NULL) {
		return;
	}
	struct json_object *state = json_object_new_object();
	struct json_object *apps = json_object_new_array();
	if (state == NULL || apps == NULL) {
		json_object_put(state);
		json_object_put(apps);
		return;
	}
	json_object_object_add(state, "next_session", json_object_new_uint64(appd->next_session));
	/* Oldest first, so that a restore opens them in the same order. */
	struct appd_session *s = appd_session_oldest(appd);
	for (; s != NULL; s = appd_session_newer(s)) {
		if (appd_session_state(s) <= APPD_RUNNING) {
			json_object_array_add(apps,
				json_object_new_string(appd_session_app_id(s)));
		}
	}
	struct json_object *launches = appd_launches_to_json(appd);
	size_t n = launches != NULL ? json_object_array_length(launches) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *app_id = weft_json_get_string(json_object_array_get_idx(launches, i),
			"app_id");
		json_object_array_add(apps, json_object_new_string(app_id));
	}
	json_object_put(launches);
	struct appd_restore *r = appd->restore;
	n = r != NULL ? json_object_array_length(r->apps) : 0;
	for (size_t i = r != NULL ? r->next : 0; i < n; i++) {
		json_object_array_add(apps,
			json_object_get(json_object_array_get_idx(r->apps, i)));
	}
	json_object_object_add(state, "apps", apps);

	char *tmp = weft_strdup_printf("%s.tmp", appd->restore_path);
	const char *text = json_object_to_json_string_ext(state, JSON_C_TO_STRING_PLAIN);
	int fd = tmp != NULL ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	bool ok = fd >= 0;
	if (ok) {
		size_t len = strlen(text);
		ok = write(fd, text, len) == (ssize_t)len;
		ok = close(fd) == 0 && ok;
		ok = ok && rename(tmp, appd->restore_path) == 0;
	}
	if (!ok) {
		weft_log_errno(WEFT_WARN, "restore: write %s", appd->restore_path);
		if (tmp != NULL) {
			unlink(tmp);
		}
	}
	free(tmp);
	json_object_put(state);
}

static void launch_next(struct appd_restore *r);

static void handle_launched(void *data, struct appd_session *session, const char *code,
	const char *message)
{
	struct appd_restore *r = data;
	if (session != NULL) {
		weft_log(WEFT_INFO, "restore: %s", appd_session_app_id(session));
	} else {
		weft_log(WEFT_WARN, "restore: %s", message);
	}
	launch_next(r);
}

/* One at a time, so that the sessions come back in their order. */
static void launch_next(struct appd_restore *r)
{
	struct appd *appd = r->appd;
	size_t n = json_object_array_length(r->apps);
	while (r->next < n && !appd->quitting) {
		struct json_object *item = json_object_array_get_idx(r->apps, r->next++);
		if (!json_object_is_type(item, json_type_string)) {
			continue;
		}
		const char *app_id = json_object_get_string(item);
		const char *code = NULL;
		struct weft_error err = { 0 };
		if (appd_launch_start(appd, app_id, handle_launched, r, &code, &err) != NULL) {
			return;
		}
		weft_log(WEFT_WARN, "restore: %s: %s", app_id, err.msg);
	}
	appd_restore_finish(appd);
}

void appd_restore_load(struct appd *appd, bool launch)
{
	if (appd->restore_path == NULL) {
		return;
	}
	struct json_object *state = json_object_from_file(appd->restore_path);
	if (state == NULL) {
		if (access(appd->restore_path, F_OK) == 0) {
			weft_log(WEFT_WARN, "restore: %s is unreadable; ignored",
				appd->restore_path);
		}
		return;
	}
	struct json_object *next, *apps;
	if (json_object_object_get_ex(state, "next_session", &next)) {
		uint64_t n = json_object_get_uint64(next);
		if (n > appd->next_session) {
			appd->next_session = n;
		}
	}
	if (launch && json_object_object_get_ex(state, "apps", &apps) &&
		json_object_is_type(apps, json_type_array) && json_object_array_length(apps) > 0) {
		struct appd_restore *r = calloc(1, sizeof(*r));
		if (r == NULL) {
			weft_log(WEFT_ERROR, "restore: out of memory");
		} else {
			r->appd = appd;
			r->apps = json_object_get(apps);
			appd->restore = r;
			launch_next(r);
		}
	}
	json_object_put(state);
}

void appd_restore_finish(struct appd *appd)
{
	struct appd_restore *r = appd->restore;
	if (r == NULL) {
		return;
	}
	appd->restore = NULL;
	json_object_put(r->apps);
	free(r);
}
