/*
 * The trust store (design §5): every *.pub in the user's, then the system's,
 * trusted-keys directory.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "weft/log.h"
#include "weft/package.h"
#include "weft/paths.h"

static bool push_key(struct weft_trust *trust, const unsigned char pub[WEFT_PUBKEY_LEN],
	char *path)
{
	if (trust->len == trust->cap) {
		size_t cap = trust->cap ? trust->cap * 2 : 8;
		struct weft_trusted_key *items = realloc(trust->items, cap * sizeof(*items));
		if (items == NULL) {
			free(path);
			return false;
		}
		trust->items = items;
		trust->cap = cap;
	}
	struct weft_trusted_key *key = &trust->items[trust->len++];
	memcpy(key->pub, pub, WEFT_PUBKEY_LEN);
	key->path = path;
	return true;
}

static bool is_key_name(const char *name)
{
	size_t len = strlen(name);
	/* Like the shell's *.pub, which does not match hidden files. */
	return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".pub") == 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A missing or unreadable directory holds no keys; only running out of memory fails. */
static bool list_keys(const char *dir, struct weft_strv *names, struct weft_error *err)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno != ENOENT) {
			weft_log_errno(WEFT_WARN, "skipping trusted keys in %s", dir);
		}
		return true;
	}
	for (;;) {
		errno = 0;
		struct dirent *ent = readdir(d);
		if (ent == NULL) {
			if (errno != 0) {
				weft_log_errno(WEFT_WARN, "reading trusted keys in %s", dir);
			}
			break;
		}
		if (is_key_name(ent->d_name) && !weft_strv_push(names, ent->d_name)) {
			weft_error_set(err, "out of memory");
			closedir(d);
			return false;
		}
	}
	closedir(d);
	/* readdir() order depends on the filesystem; key order should not. */
	if (names->len > 0) {
		qsort(names->items, names->len, sizeof(*names->items), compare_names);
	}
	return true;
}

static bool load_dir(struct weft_trust *trust, const char *dir, struct weft_error *err)
{
	struct weft_strv names;
	weft_strv_init(&names);
	if (!list_keys(dir, &names, err)) {
		return false;
	}
	bool ok = true;
	for (size_t i = 0; ok && i < names.len; i++) {
		char *path = weft_path_join(dir, names.items[i]);
		if (path == NULL) {
			weft_error_set(err, "out of memory");
			ok = false;
			break;
		}
		unsigned char pub[WEFT_PUBKEY_LEN];
		struct weft_error key_err;
		if (!weft_key_read_public(path, pub, &key_err)) {
			weft_log(WEFT_WARN, "ignoring trusted key: %s", key_err.msg);
			free(path);
			continue;
		}
		if (!push_key(trust, pub, path)) {
			weft_error_set(err, "out of memory");
			ok = false;
		}
	}
	weft_strv_finish(&names);
	return ok;
}

bool weft_trust_load(struct weft_trust *trust, struct weft_error *err)
{
	*trust = (struct weft_trust){ 0 };
	struct weft_strv dirs;
	weft_strv_init(&dirs);
	if (!weft_trust_dirs(&dirs, err)) {
		weft_error_prefix(err, "trust store");
		return false;
	}
	bool ok = true;
	for (size_t i = 0; ok && i < dirs.len; i++) {
		ok = load_dir(trust, dirs.items[i], err);
	}
	weft_strv_finish(&dirs);
	if (!ok) {
		weft_error_prefix(err, "trust store");
		weft_trust_finish(trust);
	}
	return ok;
}

void weft_trust_finish(struct weft_trust *trust)
{
	for (size_t i = 0; i < trust->len; i++) {
		free(trust->items[i].path);
	}
	free(trust->items);
	*trust = (struct weft_trust){ 0 };
}

enum weft_verify_result weft_trust_verify(const struct weft_trust *trust, const char *dir,
	const struct weft_trusted_key **key, struct weft_error *err)
{
	if (key != NULL) {
		*key = NULL;
	}
	unsigned char(*keys)[WEFT_PUBKEY_LEN] = NULL;
	if (trust->len > 0) {
		keys = calloc(trust->len, sizeof(*keys));
		if (keys == NULL) {
			weft_error_set(err, "out of memory");
			return WEFT_VERIFY_ERROR;
		}
	}
	for (size_t i = 0; i < trust->len; i++) {
		memcpy(keys[i], trust->items[i].pub, WEFT_PUBKEY_LEN);
	}
	size_t matched = 0;
	enum weft_verify_result result = weft_pkg_verify(dir,
		(const unsigned char(*)[WEFT_PUBKEY_LEN])keys, trust->len, &matched, err);
	free(keys);
	if (result == WEFT_VERIFY_OK && key != NULL) {
		*key = &trust->items[matched];
	}
	return result;
}
