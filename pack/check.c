/*
 * `check DIR`: everything that can be known about a package without running
 * it. Problems are collected rather than stopping at the first, so that one
 * run shows all that needs fixing.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pack.h"
#include "weft/capability.h"
#include "weft/manifest.h"
#include "weft/package.h"

static const char usage_check[] =
	"Usage: weft-pack check DIR\n"
	"\n"
	"Check the package in DIR: its wapp.toml (schema, id, capabilities), that\n"
	"the module is a WebAssembly component (not a core module, not garbage),\n"
	"that the UI entry exists, and that the package holds only regular files\n"
	"and directories, with UTF-8 names, within the package limits (see\n"
	"weft-pack(1), SAFETY). Prints every warning and problem found, or OK.\n"
	"\n"
	"Options:\n"
	"  -h, --help  show this help\n";

static const unsigned char wasm_magic[4] = { 0x00, 0x61, 0x73, 0x6d };
/* Core modules are version 1; components are version 0x0d, layer 1. */
static const unsigned char wasm_core_version[4] = { 0x01, 0x00, 0x00, 0x00 };
static const unsigned char wasm_component_version[4] = { 0x0d, 0x00, 0x01, 0x00 };
/* Highest section id of the component binary format (12: value). */
#define COMPONENT_SECTION_MAX 12

static size_t read_at(int fd, unsigned char *buf, size_t len, off_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		done += (size_t)n;
	}
	return done;
}

/*
 * Checks the header, then walks the top-level sections (an id byte and a
 * LEB128 u32 size each) to the end of the file, which catches truncated
 * files and most garbage after a valid header.
 */
static bool check_component(int fd, uint64_t size, struct weft_error *err)
{
	unsigned char hdr[8];
	size_t n = read_at(fd, hdr, sizeof(hdr), 0);
	if (n < sizeof(wasm_magic) || memcmp(hdr, wasm_magic, sizeof(wasm_magic)) != 0) {
		weft_error_set(err, "not a WebAssembly file (no \\0asm magic)");
		return false;
	}
	if (n < sizeof(hdr)) {
		weft_error_set(err, "truncated WebAssembly header");
		return false;
	}
	if (memcmp(hdr + 4, wasm_core_version, 4) == 0) {
		weft_error_set(err, "a core WebAssembly module, not a component");
		return false;
	}
	if (memcmp(hdr + 4, wasm_component_version, 4) != 0) {
		weft_error_set(err,
			"unsupported WebAssembly version %02x %02x %02x %02x "
			"(a component is 0d 00 01 00)",
			hdr[4], hdr[5], hdr[6], hdr[7]);
		return false;
	}
	uint64_t off = sizeof(hdr);
	while (off < size) {
		unsigned char sec[6];
		size_t got = read_at(fd, sec, sizeof(sec), (off_t)off);
		if (got == 0) {
			weft_error_set(err, "file shrank while being read");
			return false;
		}
		if (sec[0] > COMPONENT_SECTION_MAX) {
			weft_error_set(err, "unknown section id %u at offset %ju (corrupt file?)",
				sec[0], (uintmax_t)off);
			return false;
		}
		uint32_t len = 0;
		size_t i = 1;
		bool done = false;
		for (; i < got && i <= 5; i++) {
			/* The fifth byte holds only 4 bits of a u32. */
			if (i == 5 && (sec[i] & 0xf0) != 0) {
				break;
			}
			len |= (uint32_t)(sec[i] & 0x7f) << (7 * (i - 1));
			if ((sec[i] & 0x80) == 0) {
				done = true;
				i++;
				break;
			}
		}
		if (!done) {
			if (got < sizeof(sec) && i == got) {
				weft_error_set(err, "truncated section header at offset %ju",
					(uintmax_t)off);
			} else {
				weft_error_set(err, "malformed section size at offset %ju",
					(uintmax_t)off);
			}
			return false;
		}
		uint64_t end = off + i + len;
		if (end > size) {
			weft_error_set(err,
				"section %u at offset %ju runs %ju bytes past the end of the file "
				"(truncated?)",
				sec[0], (uintmax_t)off, (uintmax_t)(end - size));
			return false;
		}
		off = end;
	}
	return true;
}

/* A problem lost to a failed allocation could turn into a wrong "OK". */
WEFT_PRINTF(2, 3) static void add_problem(struct weft_strv *problems, const char *fmt, ...)
{
	char *msg = NULL;
	va_list args;
	va_start(args, fmt);
	int n = vasprintf(&msg, fmt, args);
	va_end(args);
	if (n < 0 || !weft_strv_push_take(problems, msg)) {
		fputs("weft-pack: error: out of memory\n", stderr);
		exit(PACK_EXIT_FAIL);
	}
}

/* Relative, and no ".." component: cannot leave the package. */
static bool relative_inside(const char *path)
{
	if (path[0] == '\0' || path[0] == '/') {
		return false;
	}
	for (const char *p = path;;) {
		const char *end = strchrnul(p, '/');
		if (end - p == 2 && p[0] == '.' && p[1] == '.') {
			return false;
		}
		if (*end == '\0') {
			return true;
		}
		p = end + 1;
	}
}

/* Opens a regular file named by the manifest, or adds a problem. */
static int open_named(int rootfd, const char *what, const char *path, struct weft_strv *problems)
{
	/* The manifest parser checks these paths too; this check is the one that
	 * keeps the open inside the package. */
	if (!relative_inside(path)) {
		add_problem(problems, "%s '%s': must be a relative path inside the package", what,
			path);
		return -1;
	}
	int fd = pack_open_beneath(rootfd, path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0) {
		if (errno == ENOENT) {
			add_problem(problems, "%s '%s': missing", what, path);
		} else if (errno == ELOOP) {
			add_problem(problems, "%s '%s': is or goes through a symbolic link", what,
				path);
		} else {
			add_problem(problems, "%s '%s': %s", what, path, strerror(errno));
		}
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		add_problem(problems, "%s '%s': %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		add_problem(problems, "%s '%s': is a %s, not a regular file", what, path,
			pack_file_type(st.st_mode));
		close(fd);
		return -1;
	}
	return fd;
}

void pack_check_files(int rootfd, const struct weft_manifest *manifest, struct weft_strv *problems)
{
	/* A partial manifest has NULL for what it could not read. */
	int fd = manifest->module != NULL
		? open_named(rootfd, "module", manifest->module, problems)
		: -1;
	if (fd >= 0) {
		struct stat st;
		struct weft_error err = { 0 };
		if (fstat(fd, &st) < 0) {
			add_problem(problems, "module '%s': %s", manifest->module,
				strerror(errno));
		} else if (!check_component(fd, (uint64_t)st.st_size, &err)) {
			add_problem(problems, "module '%s': %s", manifest->module, err.msg);
		}
		/* TODO: read the component's import section and fail a component
		 * that imports a weft:app interface its capabilities do not grant
		 * (design §4, enforcement in depth). */
		close(fd);
	}
	fd = manifest->ui_entry != NULL
		? open_named(rootfd, "UI entry", manifest->ui_entry, problems)
		: -1;
	if (fd >= 0) {
		close(fd);
	}
	for (size_t i = 0; i < manifest->capabilities.len; i++) {
		struct weft_error err;
		if (weft_capability_parse(manifest->capabilities.items[i], NULL, &err) == NULL) {
			add_problem(problems, "%s", err.msg);
		}
	}
}

static void check_contents(int rootfd, const char *dir, struct weft_strv *problems)
{
	struct weft_error err = { 0 };
	struct pack_tree tree;
	if (!pack_tree_scan(rootfd, &tree, &err)) {
		add_problem(problems, "%s", err.msg);
		return;
	}
	pack_tree_finish(&tree);
	/* The view the signature takes of the package. */
	struct weft_pkg_files files = { 0 };
	struct weft_scan_opts opts = { .refuse_hardlinks = true };
	if (!weft_pkg_scan(dir, &opts, &files, &err)) {
		add_problem(problems, "%s", err.msg);
	}
	weft_pkg_files_finish(&files);
}

/* One problem per line, whatever the file names in it hold. */
static void print_line(const char *severity, const char *msg)
{
	printf("%s: ", severity);
	for (const char *c = msg; *c != '\0'; c++) {
		putchar((unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c);
	}
	putchar('\n');
}

static void warn_dir_name(const char *dir, const char *id)
{
	char *real = realpath(dir, NULL);
	if (real == NULL) {
		return;
	}
	const char *base = strrchr(real, '/');
	base = base != NULL ? base + 1 : real;
	if (strcmp(base, id) != 0) {
		printf("warning: directory name '%s' differs from the id '%s' (installed "
		       "packages live in a directory named by their id)\n",
			base, id);
	}
	free(real);
}

int cmd_check(int argc, char *argv[])
{
	const char *cmd = "check";
	static const char *const names[] = { "DIR" };
	int status = pack_parse_help_only(cmd, usage_check, argc, argv, 1, 1, names);
	if (status >= 0) {
		return status;
	}
	const char *dir = argv[optind];
	int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		return pack_fail(cmd, "%s: %s", dir, strerror(errno));
	}

	struct weft_strv problems;
	weft_strv_init(&problems);
	struct weft_diags diags;
	weft_diags_init(&diags);
	char *path = weft_path_join(dir, WEFT_MANIFEST_FILE);
	struct weft_manifest *manifest = NULL;
	if (path == NULL) {
		close(rootfd);
		return pack_fail(cmd, "out of memory");
	}
	struct stat st;
	if (lstat(path, &st) < 0 && errno == ENOENT) {
		add_problem(&problems, "%s: missing", path);
	} else {
		manifest = weft_manifest_load_partial(path, &diags);
	}
	free(path);

	for (size_t i = 0; i < diags.len; i++) {
		bool error = diags.items[i].severity == WEFT_DIAG_ERROR;
		print_line(error ? "error" : "warning", diags.items[i].msg);
	}
	size_t diag_errors = weft_diags_count(&diags, WEFT_DIAG_ERROR);
	if (manifest == NULL && diag_errors == 0 && problems.len == 0) {
		/* Never let a failed load pass, whatever the diags say. */
		add_problem(&problems, "%s: could not be loaded", WEFT_MANIFEST_FILE);
	}
	if (manifest != NULL) {
		pack_check_files(rootfd, manifest, &problems);
		if (manifest->id != NULL) {
			warn_dir_name(dir, manifest->id);
		}
	}
	check_contents(rootfd, dir, &problems);
	for (size_t i = 0; i < problems.len; i++) {
		print_line("error", problems.items[i]);
	}

	status = PACK_EXIT_OK;
	size_t total = problems.len + diag_errors;
	if (total == 0) {
		printf("OK\n");
	} else {
		status = pack_fail(cmd, "%s: %zu problem%s found", dir, total,
			total == 1 ? "" : "s");
	}
	weft_manifest_destroy(manifest);
	weft_diags_finish(&diags);
	weft_strv_finish(&problems);
	close(rootfd);
	return status;
}
