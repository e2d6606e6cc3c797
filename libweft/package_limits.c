/*
 * What a package may hold, judged entry by entry: its names and how much of
 * everything. Every program that reads or writes a package tree or a bundle
 * asks here, so that bundle, check, sign and install never disagree.
 */
#include <inttypes.h>
#include <string.h>

#include "weft/package.h"

/* How much of a path a message shows. */
#define SHOWN_PATH_SIZE 200

static const char *shown(const char *path, char buf[SHOWN_PATH_SIZE])
{
	return weft_escape(path, strlen(path), buf, SHOWN_PATH_SIZE);
}

bool weft_pkg_path_check(const char *path, struct weft_error *err)
{
	char buf[SHOWN_PATH_SIZE];
	size_t len = strlen(path);
	if (len == 0) {
		weft_error_set(err, "empty path");
		return false;
	}
	if (path[0] == '/') {
		weft_error_set(err, "%s: absolute path refused", shown(path, buf));
		return false;
	}
	if (weft_utf8_invalid_at(path, len) != len) {
		weft_error_set(err, "%s: file name is not UTF-8", shown(path, buf));
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f) {
			weft_error_set(err, "%s: file name with a control character refused",
				shown(path, buf));
			return false;
		}
	}
	if (len > WEFT_PKG_MAX_PATH) {
		weft_error_set(err, "%s: path longer than %d bytes", shown(path, buf),
			WEFT_PKG_MAX_PATH);
		return false;
	}
	int depth = 0;
	for (const char *p = path;;) {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 0) {
			weft_error_set(err, "%s: empty path component refused", shown(path, buf));
			return false;
		}
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			weft_error_set(err, "%s: '%.*s' path component refused", shown(path, buf),
				(int)n, p);
			return false;
		}
		if (n > WEFT_PKG_MAX_NAME) {
			weft_error_set(err, "%s: name longer than %d bytes", shown(path, buf),
				WEFT_PKG_MAX_NAME);
			return false;
		}
		if (++depth > WEFT_PKG_MAX_DEPTH) {
			weft_error_set(err, "%s: nested deeper than %d", shown(path, buf),
				WEFT_PKG_MAX_DEPTH);
			return false;
		}
		if (*end == '\0') {
			return true;
		}
		p = end + 1;
	}
}

bool weft_pkg_tally_add(struct weft_pkg_tally *tally, const char *path, bool dir, uint64_t size,
	struct weft_error *err)
{
	char buf[SHOWN_PATH_SIZE];
	if (dir) {
		size_t max = tally->max_dirs != 0 ? tally->max_dirs : WEFT_PKG_MAX_DIRS;
		if (tally->dirs >= max) {
			weft_error_set(err, "too many directories (limit %zu)", max);
			return false;
		}
		tally->dirs++;
		return true;
	}
	uint64_t max_size = tally->max_file_size != 0 ? tally->max_file_size
						      : WEFT_PKG_MAX_FILE_SIZE;
	uint64_t max_total = tally->max_total_size != 0 ? tally->max_total_size
							: WEFT_PKG_MAX_TOTAL_SIZE;
	size_t max_files = tally->max_files != 0 ? tally->max_files : WEFT_PKG_MAX_FILES;
	if (size > max_size) {
		weft_error_set(err, "%s: file too large (%" PRIu64 " bytes, limit %" PRIu64 ")",
			shown(path, buf), size, max_size);
		return false;
	}
	if (tally->files >= max_files) {
		weft_error_set(err, "too many files (limit %zu)", max_files);
		return false;
	}
	if (size > max_total - tally->total_size) {
		weft_error_set(err, "package too large (limit %" PRIu64 " bytes)", max_total);
		return false;
	}
	tally->files++;
	tally->total_size += size;
	return true;
}
