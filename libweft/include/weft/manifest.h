/*
 * wapp.toml, the package manifest (design §5), parsed with toml++ and
 * validated. Problems are collected, not just the first, so that
 * `weft-pack check` can print all of them.
 */
#ifndef WEFT_MANIFEST_H
#define WEFT_MANIFEST_H

#include "weft/common.h"

#define WEFT_MANIFEST_FILE "wapp.toml"
#define WEFT_MANIFEST_MAX_SIZE (64 * 1024)
/* Levels of tables and arrays: a manifest needs 3 ([package] capabilities[i]). */
#define WEFT_MANIFEST_MAX_NESTING 16
/* [package] description, in characters: a summary for lists, which appd
 * sends whole in its replies. */
#define WEFT_MANIFEST_DESCRIPTION_MAX 1024

struct weft_manifest {
	char *id;
	char *name;
	char *version;
	char *description; /* NULL when absent */
	char *author; /* NULL when absent */
	struct weft_strv capabilities;
	char *module; /* [runtime] module, relative to the package */
	char *ui_entry; /* [ui] entry, relative to the package */
	char *icon; /* [ui] icon, relative to the package; NULL when absent */
};

enum weft_diag_severity {
	WEFT_DIAG_WARNING,
	WEFT_DIAG_ERROR,
};

/* One problem, as "file:line: key: message" (line and key when known). */
struct weft_diag {
	enum weft_diag_severity severity;
	char *msg;
};

struct weft_diags {
	struct weft_diag *items;
	size_t len, cap;
};

void weft_diags_init(struct weft_diags *diags);
void weft_diags_finish(struct weft_diags *diags);
void weft_diags_add(struct weft_diags *diags, enum weft_diag_severity severity, const char *fmt,
	...) WEFT_PRINTF(3, 4);
size_t weft_diags_count(const struct weft_diags *diags, enum weft_diag_severity severity);

/*
 * Parses and validates the manifest at path. Returns NULL when any error was
 * found; every error and warning is appended to diags either way.
 */
struct weft_manifest *weft_manifest_load(const char *path, struct weft_diags *diags);
/* The same from memory; name is used in messages in place of a path. */
struct weft_manifest *weft_manifest_parse(const char *text, size_t len, const char *name,
	struct weft_diags *diags);
/*
 * Like weft_manifest_load(), but returns what could be read even when errors
 * were found, for tools that report every problem at once: a key that was
 * missing or of the wrong type is NULL, and only known capabilities are
 * listed. Returns NULL only when the file could not be read or parsed. The
 * result must not be trusted: check diags for errors.
 */
struct weft_manifest *weft_manifest_load_partial(const char *path, struct weft_diags *diags);
void weft_manifest_destroy(struct weft_manifest *manifest);

#endif
