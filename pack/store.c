/*
 * The app store: `info`, `list`, `install` and `uninstall`.
 *
 * Install never lets a half-written or unverified package be seen: it builds
 * the package in a temporary directory inside the store (same filesystem),
 * verifies and syncs it there, and only then renames it into place, or
 * atomically exchanges it with the installed version. A crash at any moment
 * leaves the old package or the new one, plus perhaps a ".tmp-*" directory
 * that the next install removes and that `list` never shows.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pack.h"
#include "weft/app_id.h"
#include "weft/capability.h"
#include "weft/log.h"
#include "weft/manifest.h"
#include "weft/package.h"
#include "weft/paths.h"

#define STORE_LOCK_FILE ".lock"

static const char usage_info[] =
	"Usage: weft-pack info DIR|ID\n"
	"\n"
	"Describe a package: its id, name, version, description, author, location,\n"
	"capabilities (with what each grants) and whether a trusted key signed it.\n"
	"The argument is a package directory if one exists at that path, otherwise\n"
	"the id of an installed app, looked up in the store roots in order.\n"
	"\n"
	"Options:\n"
	"  -h, --help  show this help\n";

static const char usage_list[] =
	"Usage: weft-pack list\n"
	"\n"
	"List the packages installed in every store root ($WEFT_APP_STORE if set,\n"
	"$XDG_DATA_HOME/weft/apps, " WEFT_SYSTEM_STORE "): id, name, version,\n"
	"and whether a trusted key signed it.\n"
	"\n"
	"Options:\n"
	"  -h, --help  show this help\n";

static const char usage_install[] =
	"Usage: weft-pack install DIR|BUNDLE [--allow-untrusted] [--replace]\n"
	"\n"
	"Install a package directory or a bundle (see weft-pack bundle) into the\n"
	"user store ($WEFT_APP_STORE if set, else $XDG_DATA_HOME/weft/apps).\n"
	"The package is copied into a temporary directory in the store, refusing\n"
	"symlinks, hard links, devices, fifos, sockets, absolute or '..' paths and\n"
	"oversized files; the copy's signature is verified against the trust store\n"
	"and its manifest checked before it is moved into place atomically.\n"
	"\n"
	"Options:\n"
	"  --allow-untrusted  install even if no trusted key signed the package\n"
	"                     (for developers; prints a warning)\n"
	"  --replace          replace an installed package with the same id\n"
	"  -h, --help         show this help\n";

static const char usage_uninstall[] =
	"Usage: weft-pack uninstall ID [--purge]\n"
	"\n"
	"Remove the app ID from the user store. Its data\n"
	"($XDG_DATA_HOME/weft/data/ID) is kept unless --purge is given.\n"
	"\n"
	"Options:\n"
	"  --purge     also remove the app's data\n"
	"  -h, --help  show this help\n";

/* A short status: "trusted", "untrusted", "unsigned"... and, when detail is
 * set, the key that signed it. */
static char *trust_status(const struct weft_trust *trust, const char *dir, bool detail)
{
	struct weft_error err = { 0 };
	const struct weft_trusted_key *key = NULL;
	char hex[2 * WEFT_PUBKEY_LEN + 1];
	switch (weft_trust_verify(trust, dir, &key, &err)) {
	case WEFT_VERIFY_OK:
		if (!detail) {
			return strdup("trusted");
		}
		weft_hex_encode(key->pub, WEFT_PUBKEY_LEN, hex);
		return weft_strdup_printf("trusted (signed by %s, %s)", hex, key->path);
	case WEFT_VERIFY_UNSIGNED:
		return strdup("unsigned");
	case WEFT_VERIFY_MALFORMED:
		return strdup(detail ? "untrusted (malformed signature)" : "untrusted");
	case WEFT_VERIFY_MISMATCH:
		return strdup(
			detail ? "untrusted (no trusted key signed these files)" : "untrusted");
	case WEFT_VERIFY_ERROR:
		return detail ? weft_strdup_printf("unreadable (%s)", err.msg)
			      : strdup("unreadable");
	}
	return NULL;
}

struct weft_manifest *pack_load_manifest(const char *dir, struct weft_error *err)
{
	char *path = weft_path_join(dir, WEFT_MANIFEST_FILE);
	if (path == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *manifest = weft_manifest_load(path, &diags);
	if (manifest == NULL) {
		weft_error_set(err, "%s: invalid manifest", path);
		for (size_t i = 0; i < diags.len; i++) {
			if (diags.items[i].severity == WEFT_DIAG_ERROR) {
				weft_error_set(err, "%s", diags.items[i].msg);
				break;
			}
		}
	}
	weft_diags_finish(&diags);
	free(path);
	return manifest;
}

/* info */

static void print_capabilities(const struct weft_manifest *manifest)
{
	if (manifest->capabilities.len == 0) {
		printf("capabilities: none\n");
		return;
	}
	printf("capabilities:\n");
	for (size_t i = 0; i < manifest->capabilities.len; i++) {
		const char *name = manifest->capabilities.items[i];
		const char *host = NULL;
		const struct weft_capability *cap = weft_capability_lookup(name, &host);
		if (cap == NULL) {
			printf("  %-24s unknown capability\n", name);
		} else if (host != NULL) {
			printf("  %-24s %s (host %s)\n", name, cap->summary, host);
		} else {
			printf("  %-24s %s\n", name, cap->summary);
		}
	}
}

int cmd_info(int argc, char *argv[])
{
	const char *cmd = "info";
	static const char *const names[] = { "DIR|ID" };
	int status = pack_parse_help_only(cmd, usage_info, argc, argv, 1, 1, names);
	if (status >= 0) {
		return status;
	}
	const char *arg = argv[optind];
	struct weft_error err = { 0 };
	char *dir = NULL;
	struct stat st;
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = realpath(arg, NULL);
		if (dir == NULL) {
			return pack_fail(cmd, "%s: %s", arg, strerror(errno));
		}
	} else if (weft_app_id_valid(arg, NULL)) {
		dir = weft_store_find(arg, &err);
		if (dir == NULL) {
			return pack_fail(cmd, "%s", err.msg);
		}
	} else {
		return pack_fail(cmd, "%s: no such package directory or installed app id", arg);
	}

	struct weft_manifest *manifest = pack_load_manifest(dir, &err);
	if (manifest == NULL) {
		pack_fail(cmd, "%s: %s (see weft-pack check)", dir, err.msg);
		free(dir);
		return PACK_EXIT_FAIL;
	}
	struct weft_trust trust = { 0 };
	char *signature = NULL;
	if (!weft_trust_load(&trust, &err)) {
		signature = weft_strdup_printf("unknown (%s)", err.msg);
	} else {
		signature = trust_status(&trust, dir, true);
	}
	printf("id:           %s\n", manifest->id);
	printf("name:         %s\n", manifest->name);
	printf("version:      %s\n", manifest->version);
	if (manifest->description != NULL) {
		printf("description:  %s\n", manifest->description);
	}
	if (manifest->author != NULL) {
		printf("author:       %s\n", manifest->author);
	}
	printf("location:     %s\n", dir);
	printf("module:       %s\n", manifest->module);
	printf("ui entry:     %s\n", manifest->ui_entry);
	print_capabilities(manifest);
	printf("signature:    %s\n", signature != NULL ? signature : "unknown");
	free(signature);
	weft_trust_finish(&trust);
	weft_manifest_destroy(manifest);
	free(dir);
	return PACK_EXIT_OK;
}

/* list */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_package(const struct weft_trust *trust, const char *root, const char *name)
{
	char *dir = weft_path_join(root, name);
	char *manifest_path = dir != NULL ? weft_path_join(dir, WEFT_MANIFEST_FILE) : NULL;
	struct stat st;
	if (manifest_path == NULL) {
		printf("  %s  (out of memory)\n", name);
	} else if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		/* Not a package directory: nothing to list. */
	} else if (lstat(manifest_path, &st) < 0) {
		printf("  %-32s malformed: no %s\n", name, WEFT_MANIFEST_FILE);
	} else {
		struct weft_error err = { 0 };
		struct weft_manifest *manifest = pack_load_manifest(dir, &err);
		if (manifest == NULL) {
			printf("  %-32s malformed: %s\n", name, err.msg);
		} else if (strcmp(manifest->id, name) != 0) {
			printf("  %-32s malformed: its id is %s\n", name, manifest->id);
		} else {
			char *trusted = trust_status(trust, dir, false);
			printf("  %-32s %-24s %-12s %s\n", manifest->id, manifest->name,
				manifest->version, trusted != NULL ? trusted : "unknown");
			free(trusted);
		}
		weft_manifest_destroy(manifest);
	}
	free(manifest_path);
	free(dir);
}

static void list_root(const struct weft_trust *trust, const char *root)
{
	DIR *d = opendir(root);
	if (d == NULL) {
		if (errno != ENOENT) {
			printf("%s:\n  (unreadable: %s)\n", root, strerror(errno));
		}
		return;
	}
	struct weft_strv names;
	weft_strv_init(&names);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		/* Dot names are the store's own: temporaries and the lock. */
		if (de->d_name[0] != '.' && !weft_strv_push(&names, de->d_name)) {
			printf("%s:\n  (out of memory)\n", root);
			closedir(d);
			weft_strv_finish(&names);
			return;
		}
	}
	closedir(d);
	if (names.len > 0) {
		qsort(names.items, names.len, sizeof(*names.items), name_cmp);
	}
	printf("%s:\n", root);
	if (names.len == 0) {
		printf("  (no packages)\n");
	}
	for (size_t i = 0; i < names.len; i++) {
		list_package(trust, root, names.items[i]);
	}
	weft_strv_finish(&names);
}

int cmd_list(int argc, char *argv[])
{
	const char *cmd = "list";
	int status = pack_parse_help_only(cmd, usage_list, argc, argv, 0, 0, NULL);
	if (status >= 0) {
		return status;
	}
	struct weft_error err = { 0 };
	struct weft_strv roots, seen;
	weft_strv_init(&roots);
	weft_strv_init(&seen);
	if (!weft_store_roots(&roots, &err)) {
		return pack_fail(cmd, "%s", err.msg);
	}
	struct weft_trust trust = { 0 };
	if (!weft_trust_load(&trust, &err)) {
		weft_strv_finish(&roots);
		return pack_fail(cmd, "%s", err.msg);
	}
	for (size_t i = 0; i < roots.len; i++) {
		/* $WEFT_APP_STORE may name the same directory as another root. */
		char *real = realpath(roots.items[i], NULL);
		if (real != NULL && weft_strv_contains(&seen, real)) {
			free(real);
			continue;
		}
		if (real != NULL) {
			weft_strv_push_take(&seen, real);
		}
		list_root(&trust, roots.items[i]);
	}
	weft_trust_finish(&trust);
	weft_strv_finish(&seen);
	weft_strv_finish(&roots);
	return PACK_EXIT_OK;
}

/* install */

struct store {
	char *path;
	int fd;
	int lock_fd;
};

static void store_close(struct store *store)
{
	if (store->lock_fd >= 0) {
		close(store->lock_fd); /* releases the lock */
	}
	if (store->fd >= 0) {
		close(store->fd);
	}
	free(store->path);
}

/*
 * Opens the user store and takes its lock, so that one install's temporary
 * directory is never taken for a stale one by another. With create, the
 * store is created if missing; without, a missing store is ENOENT.
 */
static bool store_open(struct store *store, bool create, struct weft_error *err)
{
	*store = (struct store){ .fd = -1, .lock_fd = -1 };
	store->path = weft_path_user_store(err);
	if (store->path == NULL) {
		return false;
	}
	if (create && !weft_make_dirs(store->path, 0755, err)) {
		return false;
	}
	store->fd = open(store->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (store->fd < 0) {
		weft_error_errno(err, "%s", store->path);
		return false;
	}
	store->lock_fd = openat(store->fd, STORE_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (store->lock_fd < 0) {
		weft_error_errno(err, "%s/%s", store->path, STORE_LOCK_FILE);
		return false;
	}
	while (flock(store->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			weft_error_errno(err, "lock %s", store->path);
			return false;
		}
	}
	return true;
}

/* Removes what an interrupted install or uninstall left behind. */
static void store_clean(const struct store *store)
{
	int fd = fcntl(store->fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0) {
			close(fd);
		}
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, PACK_TMP_PREFIX, strlen(PACK_TMP_PREFIX)) != 0) {
			continue;
		}
		struct weft_error err = { 0 };
		if (!pack_rmtree_at(store->fd, de->d_name, &err)) {
			weft_log(WEFT_WARN, "%s: removing a stale temporary directory: %s",
				store->path, err.msg);
		}
	}
	closedir(d);
}

static bool fill_copy(const char *src, bool bundle, int tmpfd, struct weft_error *err)
{
	if (bundle) {
		return pack_bundle_extract(src, tmpfd, err);
	}
	int srcfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (srcfd < 0) {
		weft_error_errno(err, "%s", src);
		return false;
	}
	struct pack_tree tree;
	bool ok = pack_tree_scan(srcfd, &tree, err);
	if (ok) {
		ok = pack_tree_copy(srcfd, &tree, tmpfd, err);
		pack_tree_finish(&tree);
	}
	if (!ok) {
		weft_error_prefix(err, "%s", src);
	}
	close(srcfd);
	return ok;
}

/* msg without a leading "<copy>/" or "<copy>: ": messages name the source,
 * not the temporary copy. */
static const char *strip_prefix(const char *msg, const char *copy)
{
	size_t len = strlen(copy);
	if (strncmp(msg, copy, len) != 0) {
		return msg;
	}
	if (msg[len] == '/') {
		return msg + len + 1;
	}
	if (msg[len] == ':' && msg[len + 1] == ' ') {
		return msg + len + 2;
	}
	return msg;
}

/* Verifies the copy against the trust store; false after reporting. */
static bool verify_copy(const char *cmd, const char *src, const char *copy, bool allow_untrusted)
{
	struct weft_error err = { 0 };
	struct weft_trust trust = { 0 };
	if (!weft_trust_load(&trust, &err)) {
		pack_fail(cmd, "%s", err.msg);
		return false;
	}
	const struct weft_trusted_key *key = NULL;
	enum weft_verify_result result = weft_trust_verify(&trust, copy, &key, &err);
	weft_trust_finish(&trust);
	const char *why = NULL;
	switch (result) {
	case WEFT_VERIFY_OK:
		return true;
	case WEFT_VERIFY_ERROR:
		pack_fail(cmd, "%s: %s", src, strip_prefix(err.msg, copy));
		return false;
	case WEFT_VERIFY_UNSIGNED:
		why = "not signed";
		break;
	case WEFT_VERIFY_MALFORMED:
		why = "malformed signature";
		break;
	case WEFT_VERIFY_MISMATCH:
		why = "not signed by a trusted key (or modified since)";
		break;
	}
	if (!allow_untrusted) {
		pack_fail(cmd,
			"%s: %s; refusing to install it (see weft-pack trust, or "
			"--allow-untrusted)",
			src, why);
		return false;
	}
	weft_log(WEFT_WARN, "%s: %s; installing it anyway (--allow-untrusted)", src, why);
	return true;
}

/* Validates the copy's manifest and files; false after reporting. */
static struct weft_manifest *validate_copy(const char *cmd, const char *src, int tmpfd,
	const char *copy)
{
	struct weft_error err = { 0 };
	struct weft_manifest *manifest = pack_load_manifest(copy, &err);
	if (manifest == NULL) {
		pack_fail(cmd, "%s: %s (see weft-pack check)", src, strip_prefix(err.msg, copy));
		return NULL;
	}
	if (!weft_app_id_valid(manifest->id, &err)) {
		pack_fail(cmd, "%s: %s", src, err.msg);
		weft_manifest_destroy(manifest);
		return NULL;
	}
	struct weft_strv problems;
	weft_strv_init(&problems);
	pack_check_files(tmpfd, manifest, &problems);
	if (problems.len > 0) {
		pack_fail(cmd, "%s: %s%s", src, problems.items[0],
			problems.len > 1 ? " (and more: see weft-pack check)" : "");
		weft_strv_finish(&problems);
		weft_manifest_destroy(manifest);
		return NULL;
	}
	weft_strv_finish(&problems);
	return manifest;
}

/* Moves the verified copy into place; false after reporting. */
static bool publish(const char *cmd, const struct store *store, const char *tmpname,
	const char *id, bool replace, bool *replaced)
{
	*replaced = false;
	int r = renameat2(store->fd, tmpname, store->fd, id, RENAME_NOREPLACE);
	if (r < 0 && errno == EINVAL) {
		/* No RENAME_NOREPLACE here; rename() still never replaces a
		 * non-empty directory. */
		r = renameat(store->fd, tmpname, store->fd, id);
	}
	if (r == 0) {
		return true;
	}
	if (errno != EEXIST && errno != ENOTEMPTY) {
		pack_fail(cmd, "rename into %s/%s: %s", store->path, id, strerror(errno));
		return false;
	}
	if (!replace) {
		pack_fail(cmd, "%s: already installed (use --replace)", id);
		return false;
	}
	if (renameat2(store->fd, tmpname, store->fd, id, RENAME_EXCHANGE) < 0) {
		pack_fail(cmd, "replace %s/%s: %s", store->path, id, strerror(errno));
		return false;
	}
	*replaced = true;
	return true;
}

int cmd_install(int argc, char *argv[])
{
	const char *cmd = "install";
	enum { OPT_ALLOW_UNTRUSTED = 1, OPT_REPLACE = 2 };
	static const struct option opts[] = {
		{ "allow-untrusted", no_argument, NULL, OPT_ALLOW_UNTRUSTED },
		{ "replace", no_argument, NULL, OPT_REPLACE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const names[] = { "DIR|BUNDLE" };
	bool allow_untrusted = false, replace = false;
	pack_getopt_reset();
	int c;
	while ((c = pack_getopt(cmd, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case OPT_ALLOW_UNTRUSTED:
			allow_untrusted = true;
			break;
		case OPT_REPLACE:
			replace = true;
			break;
		case 'h':
			return pack_help(usage_install);
		default:
			return PACK_EXIT_USAGE;
		}
	}
	if (!pack_positionals(cmd, argc, argv, 1, 1, names)) {
		return PACK_EXIT_USAGE;
	}
	const char *src = argv[optind];
	struct stat st;
	if (stat(src, &st) < 0) {
		return pack_fail(cmd, "%s: %s", src, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		return pack_fail(cmd, "%s: is a %s, not a package directory or bundle", src,
			pack_file_type(st.st_mode));
	}

	struct weft_error err = { 0 };
	struct store store;
	if (!store_open(&store, true, &err)) {
		store_close(&store);
		return pack_fail(cmd, "%s", err.msg);
	}
	store_clean(&store);

	int status = PACK_EXIT_FAIL;
	char *tmpname = NULL, *copy = NULL;
	struct weft_manifest *manifest = NULL;
	int tmpfd = pack_mkdtemp_at(store.path, &tmpname, &err);
	if (tmpfd < 0) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	copy = weft_path_join(store.path, tmpname);
	if (copy == NULL) {
		pack_fail(cmd, "out of memory");
		goto out;
	}
	if (!fill_copy(src, S_ISREG(st.st_mode), tmpfd, &err)) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	/* Everything below looks at the copy, which nobody else writes. */
	if (!verify_copy(cmd, src, copy, allow_untrusted)) {
		goto out;
	}
	manifest = validate_copy(cmd, src, tmpfd, copy);
	if (manifest == NULL) {
		goto out;
	}
	if (fchmod(tmpfd, 0755) < 0) {
		pack_fail(cmd, "%s: %s", copy, strerror(errno));
		goto out;
	}
	/* On disk before it becomes visible: a crash after the rename must not
	 * leave a package with empty files. */
	if (!pack_sync(tmpfd, &err)) {
		pack_fail(cmd, "%s: %s", copy, err.msg);
		goto out;
	}
	bool replaced;
	if (!publish(cmd, &store, tmpname, manifest->id, replace, &replaced)) {
		goto out;
	}
	if (fsync(store.fd) < 0) {
		weft_log_errno(WEFT_WARN, "fsync %s", store.path);
	}
	/* After an exchange, tmpname holds the old version. */
	if (replaced && !pack_rmtree_at(store.fd, tmpname, &err)) {
		weft_log(WEFT_WARN, "removing the replaced version: %s", err.msg);
	}
	free(tmpname);
	tmpname = NULL;
	printf("installed %s %s to %s/%s\n", manifest->id, manifest->version, store.path,
		manifest->id);
	status = PACK_EXIT_OK;
out:
	if (tmpname != NULL && !pack_rmtree_at(store.fd, tmpname, &err)) {
		weft_log(WEFT_WARN, "%s/%s: %s", store.path, tmpname, err.msg);
	}
	if (tmpfd >= 0) {
		close(tmpfd);
	}
	weft_manifest_destroy(manifest);
	free(copy);
	free(tmpname);
	store_close(&store);
	return status;
}

/* uninstall */

static int purge_data(const char *cmd, const char *id, bool installed)
{
	struct weft_error err = { 0 };
	char *data = weft_path_app_data(id, &err);
	if (data == NULL) {
		return pack_fail(cmd, "%s", err.msg);
	}
	struct stat st;
	bool had_data = lstat(data, &st) == 0;
	if (had_data && !pack_rmtree_at(AT_FDCWD, data, &err)) {
		pack_fail(cmd, "%s", err.msg);
		free(data);
		return PACK_EXIT_FAIL;
	}
	if (!installed && !had_data) {
		free(data);
		return pack_fail(cmd, "%s: not installed and has no data", id);
	}
	printf("%s %s; %s %s\n", installed ? "uninstalled" : "not installed:", id,
		had_data ? "removed its data" : "it had no data in", data);
	free(data);
	return PACK_EXIT_OK;
}

int cmd_uninstall(int argc, char *argv[])
{
	const char *cmd = "uninstall";
	enum { OPT_PURGE = 1 };
	static const struct option opts[] = {
		{ "purge", no_argument, NULL, OPT_PURGE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const names[] = { "ID" };
	bool purge = false;
	pack_getopt_reset();
	int c;
	while ((c = pack_getopt(cmd, argc, argv, "h", opts)) != -1) {
		switch (c) {
		case OPT_PURGE:
			purge = true;
			break;
		case 'h':
			return pack_help(usage_uninstall);
		default:
			return PACK_EXIT_USAGE;
		}
	}
	if (!pack_positionals(cmd, argc, argv, 1, 1, names)) {
		return PACK_EXIT_USAGE;
	}
	const char *id = argv[optind];
	struct weft_error err = { 0 };
	if (!weft_app_id_valid(id, &err)) {
		return pack_fail(cmd, "%s", err.msg);
	}

	struct store store;
	bool installed = false;
	if (!store_open(&store, false, &err)) {
		if (errno != ENOENT) {
			store_close(&store);
			return pack_fail(cmd, "%s", err.msg);
		}
	} else {
		struct stat st;
		installed = fstatat(store.fd, id, &st, AT_SYMLINK_NOFOLLOW) == 0;
	}
	if (!installed) {
		char *elsewhere = weft_store_find(id, NULL);
		if (purge && elsewhere == NULL) {
			/* Data of an app uninstalled earlier with its data kept. */
			store_close(&store);
			return purge_data(cmd, id, false);
		}
		if (elsewhere != NULL) {
			pack_fail(cmd, "%s: not in the user store %s (it is installed in %s)", id,
				store.path ? store.path : "", elsewhere);
		} else {
			pack_fail(cmd, "%s: not installed", id);
		}
		free(elsewhere);
		store_close(&store);
		return PACK_EXIT_FAIL;
	}

	int status = PACK_EXIT_FAIL;
	char *tmpname = NULL;
	int tmpfd = pack_mkdtemp_at(store.path, &tmpname, &err);
	if (tmpfd < 0) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	close(tmpfd);
	/* Renaming onto the fresh empty directory replaces it: the package
	 * disappears from the store in one step. */
	if (renameat(store.fd, id, store.fd, tmpname) < 0) {
		pack_fail(cmd, "%s/%s: %s", store.path, id, strerror(errno));
		pack_rmtree_at(store.fd, tmpname, NULL);
		goto out;
	}
	if (fsync(store.fd) < 0) {
		weft_log_errno(WEFT_WARN, "fsync %s", store.path);
	}
	if (!pack_rmtree_at(store.fd, tmpname, &err)) {
		weft_log(WEFT_WARN, "%s/%s: %s (removed at the next install)", store.path, tmpname,
			err.msg);
	}
	if (purge) {
		status = purge_data(cmd, id, true);
		goto out;
	}
	char *data = weft_path_app_data(id, &err);
	struct stat st;
	if (data != NULL && lstat(data, &st) == 0) {
		printf("uninstalled %s; its data is kept in %s (--purge removes it)\n", id, data);
	} else {
		printf("uninstalled %s; it had no data\n", id);
	}
	free(data);
	status = PACK_EXIT_OK;
out:
	free(tmpname);
	store_close(&store);
	return status;
}
