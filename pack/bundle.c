/*
 * Bundles: a package directory as one file, for moving packages around.
 *
 * The format is a POSIX tar archive (libarchive's "pax restricted": plain
 * ustar headers unless a name needs a pax extension), compressed with gzip,
 * named <id>-<version>.weftpkg by default. gzip is chosen over zstd because
 * every libarchive build reads it. Entries are relative paths in bytewise
 * order, owned by 0:0, with modes 0755/0644 and mtime 0 (or
 * $SOURCE_DATE_EPOCH), so that the same package always gives the same bytes.
 *
 * Reading trusts nothing in the archive: every entry must be a regular file
 * or directory with a clean relative path, within the package limits, and
 * files are written through openat() below a fresh directory, never
 * following a symlink.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pack.h"
#include "weft/manifest.h"
#include "weft/package.h"

#define BUNDLE_SUFFIX ".weftpkg"
#define IO_BUF_SIZE (256 * 1024)
/* Every file and directory, and a few root entries ("./"). */
#define BUNDLE_MAX_ENTRIES (WEFT_PKG_MAX_FILES + WEFT_PKG_MAX_DIRS + 16)

static const char usage_bundle[] =
	"Usage: weft-pack bundle DIR [-o FILE]\n"
	"\n"
	"Pack the package in DIR into one file: a gzip-compressed POSIX tar\n"
	"archive, reproducible (sorted entries, owner 0:0, fixed mtime). The\n"
	"package must have a valid wapp.toml and hold only regular files and\n"
	"directories. An existing FILE is never overwritten.\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE  where to write (default ./<id>-<version>" BUNDLE_SUFFIX ")\n"
	"  -h, --help         show this help\n";

static const char usage_unbundle[] =
	"Usage: weft-pack unbundle FILE [-o DIR]\n"
	"\n"
	"Unpack a bundle into a new directory. Symlinks, hard links, devices, fifos,\n"
	"absolute or '..' paths and oversized entries are refused. An existing DIR\n"
	"is never written into.\n"
	"\n"
	"Options:\n"
	"  -o, --output DIR  where to unpack (default ./<id>, from its wapp.toml)\n"
	"  -h, --help        show this help\n";

static const struct option output_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* Parses "ARG [-o OUT]". Returns -1 to go on. */
static int parse_output(const char *cmd, const char *usage, const char *name, int argc,
	char *argv[], const char **arg, const char **out)
{
	const char *const names[] = { name };
	pack_getopt_reset();
	int c;
	while ((c = pack_getopt(cmd, argc, argv, "o:h", output_options)) != -1) {
		switch (c) {
		case 'o':
			if (optarg[0] == '\0') {
				return pack_usage_error(cmd, "empty output name");
			}
			*out = optarg;
			break;
		case 'h':
			return pack_help(usage);
		default:
			return PACK_EXIT_USAGE;
		}
	}
	if (!pack_positionals(cmd, argc, argv, 1, 1, names)) {
		return PACK_EXIT_USAGE;
	}
	*arg = argv[optind];
	return -1;
}

/* Splits path into malloc'd directory and base names; "dir/" names dir. */
static bool split_path(const char *path, char **dir, char **base)
{
	char *a = strdup(path), *b = strdup(path);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return false;
	}
	for (size_t len = strlen(b); len > 1 && b[len - 1] == '/'; len--) {
		a[len - 1] = b[len - 1] = '\0';
	}
	*dir = strdup(dirname(a));
	*base = strdup(basename(b));
	free(a);
	free(b);
	if (*dir == NULL || *base == NULL) {
		free(*dir);
		free(*base);
		return false;
	}
	return true;
}

static bool archive_failed(struct archive *a, const char *what, struct weft_error *err)
{
	const char *msg = archive_error_string(a);
	weft_error_set(err, "%s: %s", what, msg != NULL ? msg : "archive error");
	return false;
}

/* bundle */

static time_t bundle_mtime(void)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	if (epoch == NULL || epoch[0] == '\0') {
		return 0;
	}
	char *end;
	errno = 0;
	long long value = strtoll(epoch, &end, 10);
	if (errno != 0 || *end != '\0' || value < 0) {
		return 0;
	}
	return (time_t)value;
}

static bool write_entry_data(struct archive *a, int rootfd, const struct pack_entry *e, char *buf,
	struct weft_error *err)
{
	int fd = pack_tree_open(rootfd, e, err);
	if (fd < 0) {
		return false;
	}
	uint64_t done = 0;
	bool ok = true;
	while (ok && done < e->size) {
		size_t want = e->size - done < IO_BUF_SIZE ? (size_t)(e->size - done)
							   : IO_BUF_SIZE;
		ssize_t n = read(fd, buf, want);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			weft_error_errno(err, "read %s", e->path);
			ok = false;
		} else if (n == 0) {
			weft_error_set(err, "%s: changed while being read", e->path);
			ok = false;
		} else if (archive_write_data(a, buf, (size_t)n) != n) {
			ok = archive_failed(a, e->path, err);
		} else {
			done += (uint64_t)n;
		}
	}
	close(fd);
	return ok;
}

static bool write_bundle(int rootfd, const struct pack_tree *tree, int fd, struct weft_error *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *entry = archive_entry_new();
	char *buf = malloc(IO_BUF_SIZE);
	bool ok = false;
	if (a == NULL || entry == NULL || buf == NULL) {
		weft_error_set(err, "out of memory");
		goto out;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
		archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
		archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK) {
		archive_failed(a, "bundle", err);
		goto out;
	}
	/* No timestamp in the gzip header: the output depends on the files only. */
	if (archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK) {
		archive_failed(a, "gzip", err);
		goto out;
	}
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		archive_failed(a, "bundle", err);
		goto out;
	}
	time_t mtime = bundle_mtime();
	for (size_t i = 0; i < tree->len; i++) {
		const struct pack_entry *e = &tree->items[i];
		archive_entry_clear(entry);
		archive_entry_set_pathname(entry, e->path);
		archive_entry_set_filetype(entry, e->dir ? AE_IFDIR : AE_IFREG);
		archive_entry_set_perm(entry, e->dir || (e->mode & 0111) ? 0755 : 0644);
		archive_entry_set_uid(entry, 0);
		archive_entry_set_gid(entry, 0);
		archive_entry_set_mtime(entry, mtime, 0);
		archive_entry_set_size(entry, e->dir ? 0 : (la_int64_t)e->size);
		if (archive_write_header(a, entry) != ARCHIVE_OK) {
			archive_failed(a, e->path, err);
			goto out;
		}
		if (!e->dir && !write_entry_data(a, rootfd, e, buf, err)) {
			goto out;
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		archive_failed(a, "bundle", err);
		goto out;
	}
	ok = true;
out:
	archive_entry_free(entry);
	if (a != NULL) {
		archive_write_free(a);
	}
	free(buf);
	return ok;
}

int cmd_bundle(int argc, char *argv[])
{
	const char *cmd = "bundle";
	const char *dir = NULL, *out = NULL;
	int status = parse_output(cmd, usage_bundle, "DIR", argc, argv, &dir, &out);
	if (status >= 0) {
		return status;
	}
	int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		return pack_fail(cmd, "%s: %s", dir, strerror(errno));
	}
	status = PACK_EXIT_FAIL;
	struct weft_error err = { 0 };
	struct pack_tree tree = { 0 };
	char *default_out = NULL, *outdir = NULL, *base = NULL, *tmpname = NULL;
	char *tmppath = NULL;
	int parentfd = -1, fd = -1;
	struct weft_manifest *manifest = pack_load_manifest(dir, &err);
	if (manifest == NULL) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	if (out == NULL) {
		if (strchr(manifest->version, '/') != NULL) {
			pack_fail(cmd, "version '%s' cannot be part of a file name: use -o",
				manifest->version);
			goto out;
		}
		default_out = weft_strdup_printf("%s-%s%s", manifest->id, manifest->version,
			BUNDLE_SUFFIX);
		if (default_out == NULL) {
			pack_fail(cmd, "out of memory");
			goto out;
		}
		out = default_out;
	}
	struct stat st;
	if (lstat(out, &st) == 0) {
		pack_fail(cmd, "%s: already exists, not overwriting it", out);
		goto out;
	}
	if (!pack_tree_scan(rootfd, &tree, &err)) {
		pack_fail(cmd, "%s: %s", dir, err.msg);
		goto out;
	}
	if (!split_path(out, &outdir, &base)) {
		pack_fail(cmd, "out of memory");
		goto out;
	}
	parentfd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parentfd < 0) {
		pack_fail(cmd, "%s: %s", outdir, strerror(errno));
		goto out;
	}
	/* Written beside the output, then renamed: a reader never sees half a
	 * bundle, and an interrupted run leaves the output name free. */
	tmppath = weft_strdup_printf("%s/%s%sXXXXXX", outdir, base, PACK_TMP_PREFIX);
	if (tmppath == NULL) {
		pack_fail(cmd, "out of memory");
		goto out;
	}
	fd = mkostemp(tmppath, O_CLOEXEC);
	if (fd < 0) {
		pack_fail(cmd, "create %s: %s", tmppath, strerror(errno));
		goto out;
	}
	tmpname = strdup(strrchr(tmppath, '/') + 1);
	if (tmpname == NULL) {
		pack_fail(cmd, "out of memory");
		goto out;
	}
	if (!write_bundle(rootfd, &tree, fd, &err)) {
		pack_fail(cmd, "%s: %s", dir, err.msg);
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		pack_fail(cmd, "%s: %s", out, strerror(errno));
		goto out;
	}
	if (!pack_rename_noreplace(parentfd, tmpname, parentfd, base, &err)) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	free(tmpname);
	tmpname = NULL;
	printf("wrote %s (%zu files, %ju bytes of content)\n", out, tree.tally.files,
		(uintmax_t)tree.tally.total_size);
	status = PACK_EXIT_OK;
out:
	if (tmpname != NULL) {
		unlinkat(parentfd, tmpname, 0);
	}
	if (fd >= 0) {
		close(fd);
	}
	if (parentfd >= 0) {
		close(parentfd);
	}
	free(tmpname);
	free(tmppath);
	free(outdir);
	free(base);
	free(default_out);
	pack_tree_finish(&tree);
	weft_manifest_destroy(manifest);
	close(rootfd);
	return status;
}

/* unbundle, and install of a bundle */

/*
 * The entry's path, made relative: leading "./" and a trailing '/' are
 * dropped. Returns NULL for the archive's root entry, and sets err for a
 * path that is absolute or otherwise unsafe.
 */
static char *entry_path(const char *raw, bool *root, struct weft_error *err)
{
	*root = false;
	if (raw == NULL || raw[0] == '\0') {
		weft_error_set(err, "entry without a name");
		return NULL;
	}
	if (raw[0] == '/') {
		char shown[200];
		weft_error_set(err, "%s: absolute path refused",
			weft_escape(raw, strlen(raw), shown, sizeof(shown)));
		return NULL;
	}
	while (raw[0] == '.' && raw[1] == '/') {
		raw += 2;
		while (raw[0] == '/') {
			raw++;
		}
	}
	char *path = strdup(raw);
	if (path == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	size_t len = strlen(path);
	while (len > 0 && path[len - 1] == '/') {
		path[--len] = '\0';
	}
	if (len == 0 || strcmp(path, ".") == 0) {
		*root = true;
		free(path);
		return NULL;
	}
	if (!weft_pkg_path_check(path, err)) {
		free(path);
		return NULL;
	}
	return path;
}

/* One pass over a bundle: a survey (dstfd -1) that only judges, or the extraction. */
struct extract {
	struct archive *archive;
	int dstfd;
	char *buf;
	size_t entries;
	struct weft_pkg_tally tally;
	/* Every directory counted so far, named or implied by a path (tsearch). */
	void *dirs;
};

static int compare_paths(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Counts path as a directory unless it was already. */
static bool count_dir(struct extract *x, const char *path, size_t len, bool *is_new,
	struct weft_error *err)
{
	char *copy = strndup(path, len);
	if (copy == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	void *found = tsearch(copy, &x->dirs, compare_paths);
	if (found == NULL) {
		weft_error_set(err, "out of memory");
		free(copy);
		return false;
	}
	*is_new = *(char **)found == copy;
	if (!*is_new) {
		free(copy);
		return true;
	}
	return weft_pkg_tally_add(&x->tally, copy, true, 0, err);
}

/*
 * Counts the directories that path makes, dir being whether it is one
 * itself: its parents count too, named in the bundle or not, since
 * extracting creates them.
 */
static bool count_dirs(struct extract *x, const char *path, bool dir, struct weft_error *err)
{
	size_t len = strlen(path);
	if (!dir) {
		const char *slash = strrchr(path, '/');
		len = slash != NULL ? (size_t)(slash - path) : 0;
	}
	/* From the longest down; a known one's parents are known already. */
	while (len > 0) {
		bool is_new;
		if (!count_dir(x, path, len, &is_new, err)) {
			return false;
		}
		if (!is_new) {
			return true;
		}
		while (len > 0 && path[len - 1] != '/') {
			len--;
		}
		len -= len > 0;
	}
	return true;
}

static bool extract_file(struct extract *x, struct archive_entry *entry, const char *path,
	uint64_t size, struct weft_error *err)
{
	mode_t mode = (archive_entry_perm(entry) & 0111) ? 0755 : 0644;
	int fd = pack_open_beneath(x->dstfd, path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0) {
		if (errno == EEXIST) {
			weft_error_set(err, "%s: duplicate entry", path);
		} else {
			weft_error_errno(err, "create %s", path);
		}
		return false;
	}
	uint64_t written = 0;
	bool ok = true;
	while (ok) {
		la_ssize_t n = archive_read_data(x->archive, x->buf, IO_BUF_SIZE);
		if (n < 0) {
			ok = archive_failed(x->archive, path, err);
			break;
		}
		if (n == 0) {
			break;
		}
		/* The header's size was checked; the data must not exceed it. */
		written += (uint64_t)n;
		if (written > size) {
			weft_error_set(err, "%s: more data than its header declares", path);
			ok = false;
		} else if (!weft_write_all(fd, x->buf, (size_t)n)) {
			weft_error_errno(err, "write %s", path);
			ok = false;
		}
	}
	if (ok && written != size) {
		weft_error_set(err, "%s: truncated entry", path);
		ok = false;
	}
	close(fd);
	return ok;
}

static bool extract_entry(struct extract *x, struct archive_entry *entry, struct weft_error *err)
{
	if (++x->entries > BUNDLE_MAX_ENTRIES) {
		weft_error_set(err, "too many entries (limit %d)", BUNDLE_MAX_ENTRIES);
		return false;
	}
	bool root;
	const char *raw = archive_entry_pathname(entry);
	char *path = entry_path(raw, &root, err);
	if (path == NULL && !root) {
		return false;
	}
	const char *name = path != NULL ? path : ".";
	bool ok = false;
	mode_t type = archive_entry_filetype(entry);
	if (archive_entry_hardlink(entry) != NULL) {
		weft_error_set(err, "%s: hard link refused", name);
	} else if (archive_entry_symlink(entry) != NULL || type == AE_IFLNK) {
		weft_error_set(err, "%s: symbolic link refused", name);
	} else if (type != AE_IFREG && type != AE_IFDIR) {
		weft_error_set(err, "%s: %s refused (only regular files and directories)", name,
			pack_file_type(type));
	} else if (root) {
		ok = type == AE_IFDIR;
		if (!ok) {
			weft_error_set(err, "file entry without a name");
		}
	} else if (type == AE_IFDIR) {
		ok = count_dirs(x, path, true, err) &&
			(x->dstfd < 0 || pack_mkdirs_beneath(x->dstfd, path, err));
	} else {
		la_int64_t size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
		if (size < 0) {
			weft_error_set(err, "%s: negative size", path);
		} else if (count_dirs(x, path, false, err) &&
			weft_pkg_tally_add(&x->tally, path, false, (uint64_t)size, err)) {
			ok = x->dstfd < 0 || extract_file(x, entry, path, (uint64_t)size, err);
		}
	}
	free(path);
	return ok;
}

/* A bundle in a file, or in memory (data, len), named file in messages. */
struct bundle_source {
	const char *file;
	const void *data;
	size_t len;
};

/* One pass over the bundle: see struct extract. */
static bool read_bundle(const struct bundle_source *src, int dstfd, struct weft_error *err)
{
	const char *file = src->file;
	struct extract x = { .dstfd = dstfd };
	x.archive = archive_read_new();
	x.buf = malloc(IO_BUF_SIZE);
	bool ok = false;
	if (x.archive == NULL || x.buf == NULL) {
		weft_error_set(err, "out of memory");
		goto out;
	}
	/* Only what bundle writes (and plain tar): no filter that would run an
	 * external program. */
	if (archive_read_support_format_tar(x.archive) != ARCHIVE_OK ||
		archive_read_support_filter_gzip(x.archive) != ARCHIVE_OK) {
		archive_failed(x.archive, file, err);
		goto out;
	}
	int r = src->data != NULL ? archive_read_open_memory(x.archive, src->data, src->len)
				  : archive_read_open_filename(x.archive, file, IO_BUF_SIZE);
	if (r != ARCHIVE_OK) {
		archive_failed(x.archive, file, err);
		goto out;
	}
	while (true) {
		struct archive_entry *entry;
		r = archive_read_next_header(x.archive, &entry);
		if (r == ARCHIVE_EOF) {
			break;
		}
		if (r < ARCHIVE_WARN) {
			archive_failed(x.archive, file, err);
			goto out;
		}
		if (!extract_entry(&x, entry, err)) {
			weft_error_prefix(err, "%s", file);
			goto out;
		}
	}
	if (x.entries == 0) {
		weft_error_set(err, "%s: empty bundle", file);
		goto out;
	}
	ok = true;
out:
	if (x.archive != NULL) {
		archive_read_free(x.archive);
	}
	tdestroy(x.dirs, free);
	free(x.buf);
	return ok;
}

bool pack_bundle_extract(const char *file, int dstfd, struct weft_error *err)
{
	/* Judged whole before anything is written: a bundle past a limit or
	 * with a bad name is refused at the cost of reading it, not of writing
	 * out (and removing again) everything up to where it goes wrong. Every
	 * check runs again while extracting, on what is then read. */
	struct bundle_source src = { .file = file };
	return read_bundle(&src, -1, err) && read_bundle(&src, dstfd, err);
}

bool pack_bundle_extract_memory(const void *data, size_t len, const char *name, int dstfd,
	struct weft_error *err)
{
	struct bundle_source src = { .file = name, .data = data, .len = len };
	return read_bundle(&src, -1, err) && read_bundle(&src, dstfd, err);
}

int cmd_unbundle(int argc, char *argv[])
{
	const char *cmd = "unbundle";
	const char *file = NULL, *out = NULL;
	int status = parse_output(cmd, usage_unbundle, "FILE", argc, argv, &file, &out);
	if (status >= 0) {
		return status;
	}
	struct stat st;
	if (stat(file, &st) < 0) {
		return pack_fail(cmd, "%s: %s", file, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		return pack_fail(cmd, "%s: not a regular file", file);
	}
	if (out != NULL && lstat(out, &st) == 0) {
		return pack_fail(cmd, "%s: already exists, not writing into it", out);
	}

	status = PACK_EXIT_FAIL;
	struct weft_error err = { 0 };
	char *parent = NULL, *base = NULL, *tmpname = NULL, *tmppath = NULL;
	struct weft_manifest *manifest = NULL;
	int tmpfd = -1, parentfd = -1;
	if (out != NULL ? !split_path(out, &parent, &base) : (parent = strdup(".")) == NULL) {
		pack_fail(cmd, "out of memory");
		goto out;
	}
	parentfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parentfd < 0) {
		pack_fail(cmd, "%s: %s", parent, strerror(errno));
		goto out;
	}
	/* Extracted beside its destination, then renamed into place whole. */
	tmpfd = pack_mkdtemp_at(parent, &tmpname, &err);
	if (tmpfd < 0) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	if (!pack_bundle_extract(file, tmpfd, &err)) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	if (out == NULL) {
		/* The directory is named after the id inside. */
		tmppath = weft_path_join(parent, tmpname);
		manifest = tmppath != NULL ? pack_load_manifest(tmppath, &err) : NULL;
		if (manifest == NULL) {
			pack_fail(cmd, "%s: %s (use -o DIR)", file,
				tmppath != NULL ? err.msg : "out of memory");
			goto out;
		}
		free(base);
		base = strdup(manifest->id);
		if (base == NULL) {
			pack_fail(cmd, "out of memory");
			goto out;
		}
	}
	if (fchmod(tmpfd, 0755) < 0) {
		pack_fail(cmd, "%s: %s", tmpname, strerror(errno));
		goto out;
	}
	if (!pack_sync(tmpfd, &err)) {
		pack_fail(cmd, "%s: %s", tmpname, err.msg);
		goto out;
	}
	if (!pack_rename_noreplace(parentfd, tmpname, parentfd, base, &err)) {
		if (errno == EEXIST || errno == ENOTEMPTY) {
			pack_fail(cmd, "%s: already exists, not writing into it",
				out != NULL ? out : base);
		} else {
			pack_fail(cmd, "%s", err.msg);
		}
		goto out;
	}
	fsync(parentfd);
	free(tmpname);
	tmpname = NULL;
	printf("unbundled %s into %s\n", file, out != NULL ? out : base);
	status = PACK_EXIT_OK;
out:
	if (tmpname != NULL && parentfd >= 0 && !pack_rmtree_at(parentfd, tmpname, &err)) {
		fprintf(stderr, "weft-pack: unbundle: warning: %s\n", err.msg);
	}
	if (tmpfd >= 0) {
		close(tmpfd);
	}
	if (parentfd >= 0) {
		close(parentfd);
	}
	weft_manifest_destroy(manifest);
	free(tmppath);
	free(tmpname);
	free(parent);
	free(base);
	return status;
}
