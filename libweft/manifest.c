#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest_toml.h"
#include "weft/app_id.h"
#include "weft/capability.h"
#include "weft/manifest.h"

#define NAME_MAX_CHARS 64
/* How much of a bad value a message shows, "..." included. */
#define QUOTE_SIZE 72

/* One validation pass over a parsed document. */
struct check {
	const char *file;
	const struct weft_toml_doc *doc;
	struct weft_diags *diags;
	/* Counted here too: a diag lost to a failed allocation must still fail the parse. */
	size_t errors;
};

void weft_diags_init(struct weft_diags *diags)
{
	*diags = (struct weft_diags){ 0 };
}

void weft_diags_finish(struct weft_diags *diags)
{
	for (size_t i = 0; i < diags->len; i++) {
		free(diags->items[i].msg);
	}
	free(diags->items);
	weft_diags_init(diags);
}

void weft_diags_add(struct weft_diags *diags, enum weft_diag_severity severity, const char *fmt,
	...)
{
	char *msg = NULL;
	va_list args;
	va_start(args, fmt);
	int n = vasprintf(&msg, fmt, args);
	va_end(args);
	if (n < 0) {
		return;
	}
	if (diags->len == diags->cap) {
		size_t cap = diags->cap ? diags->cap * 2 : 8;
		struct weft_diag *items = realloc(diags->items, cap * sizeof(*items));
		if (items == NULL) {
			free(msg);
			return;
		}
		diags->items = items;
		diags->cap = cap;
	}
	diags->items[diags->len++] = (struct weft_diag){ .severity = severity, .msg = msg };
}

size_t weft_diags_count(const struct weft_diags *diags, enum weft_diag_severity severity)
{
	size_t n = 0;
	for (size_t i = 0; i < diags->len; i++) {
		n += diags->items[i].severity == severity;
	}
	return n;
}

/* Adds "file:line: key: message"; line 0 and key NULL are left out. */
static void report(struct check *c, enum weft_diag_severity severity, unsigned line,
	const char *key, const char *fmt, ...) WEFT_PRINTF(5, 6);

static void report(struct check *c, enum weft_diag_severity severity, unsigned line,
	const char *key, const char *fmt, ...)
{
	char msg[WEFT_ERROR_MAX];
	va_list args;
	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	if (severity == WEFT_DIAG_ERROR) {
		c->errors++;
	}
	char where[32] = "";
	if (line > 0) {
		snprintf(where, sizeof(where), ":%u", line);
	}
	weft_diags_add(c->diags, severity, "%s%s: %s%s%s", c->file, where, key ? key : "",
		key ? ": " : "", msg);
}

/* A value fit for a message: control bytes escaped, long values cut. */
static const char *quote(const char *s, size_t len, char buf[QUOTE_SIZE])
{
	return weft_escape(s, len, buf, QUOTE_SIZE);
}

static const char *type_name(enum weft_toml_type type)
{
	switch (type) {
	case WEFT_TOML_TABLE:
		return "a table";
	case WEFT_TOML_ARRAY:
		return "an array";
	case WEFT_TOML_STRING:
		return "a string";
	case WEFT_TOML_INTEGER:
		return "an integer";
	case WEFT_TOML_FLOAT:
		return "a float";
	case WEFT_TOML_BOOLEAN:
		return "a boolean";
	case WEFT_TOML_DATE:
		return "a date";
	case WEFT_TOML_TIME:
		return "a time";
	case WEFT_TOML_DATE_TIME:
		return "a date-time";
	}
	return "a value";
}

/* Counts the code points of s; false when s is not valid UTF-8. */
static bool utf8_length(const char *s, size_t len, size_t *count)
{
	size_t n = 0;
	for (size_t i = 0; i < len; n++) {
		unsigned char lead = (unsigned char)s[i];
		size_t extra;
		uint32_t min;
		if (lead < 0x80) {
			i++;
			continue;
		} else if ((lead & 0xe0) == 0xc0) {
			extra = 1;
			min = 0x80;
		} else if ((lead & 0xf0) == 0xe0) {
			extra = 2;
			min = 0x800;
		} else if ((lead & 0xf8) == 0xf0) {
			extra = 3;
			min = 0x10000;
		} else {
			return false;
		}
		/* The lead byte keeps 5, 4 or 3 payload bits. */
		uint32_t cp = lead & (0x3fu >> extra);
		if (extra >= len - i) {
			return false;
		}
		for (size_t k = 1; k <= extra; k++) {
			unsigned char cont = (unsigned char)s[i + k];
			if ((cont & 0xc0) != 0x80) {
				return false;
			}
			cp = (cp << 6) | (cont & 0x3f);
		}
		/* Overlong forms, surrogates and values past Unicode are all invalid. */
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			return false;
		}
		i += extra + 1;
	}
	*count = n;
	return true;
}

static bool has_control_char(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			return true;
		}
	}
	return false;
}

/* strcmp() would take "id\u0000x" for "id". */
static bool key_is(const struct weft_toml_node *node, const char *key)
{
	return node->key != NULL && node->key_len == strlen(key) && strcmp(node->key, key) == 0;
}

static size_t find_child(const struct weft_toml_doc *doc, size_t parent, const char *key)
{
	for (size_t i = 0; i < doc->len; i++) {
		const struct weft_toml_node *node = &doc->nodes[i];
		if (node->parent == parent && key_is(node, key)) {
			return i;
		}
	}
	return WEFT_TOML_NO_PARENT;
}

/* The index of a required top-level table, or WEFT_TOML_NO_PARENT after reporting why not. */
static size_t get_table(struct check *c, const char *name)
{
	size_t i = find_child(c->doc, WEFT_TOML_NO_PARENT, name);
	if (i == WEFT_TOML_NO_PARENT) {
		report(c, WEFT_DIAG_ERROR, 0, name, "missing required table");
		return i;
	}
	const struct weft_toml_node *node = &c->doc->nodes[i];
	if (node->type != WEFT_TOML_TABLE) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "must be a table, not %s",
			type_name(node->type));
		return WEFT_TOML_NO_PARENT;
	}
	return i;
}

/* Reports a string that is not one, or one that C cannot hold. */
static bool check_string(struct check *c, const struct weft_toml_node *node)
{
	if (node->type != WEFT_TOML_STRING) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "must be a string, not %s",
			type_name(node->type));
		return false;
	}
	if (strlen(node->str) != node->str_len) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path,
			"must not contain NUL characters");
		return false;
	}
	return true;
}

/* table.key as a string, or NULL when absent (an error if required) or ill-typed. */
static const struct weft_toml_node *get_string(struct check *c, size_t table, const char *key,
	bool required)
{
	size_t i = find_child(c->doc, table, key);
	if (i == WEFT_TOML_NO_PARENT) {
		if (required) {
			char path[128];
			snprintf(path, sizeof(path), "%s.%s", c->doc->nodes[table].path, key);
			report(c, WEFT_DIAG_ERROR, 0, path, "missing required key");
		}
		return NULL;
	}
	const struct weft_toml_node *node = &c->doc->nodes[i];
	return check_string(c, node) ? node : NULL;
}

/* Copies a checked string into the manifest; failing only when out of memory. */
static char *take(struct check *c, const struct weft_toml_node *node)
{
	char *copy = strdup(node->str);
	if (copy == NULL) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "out of memory");
	}
	return copy;
}

static void check_id(struct check *c, const struct weft_toml_node *node)
{
	struct weft_error err;
	if (!weft_app_id_valid(node->str, &err)) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "%s", err.msg);
	}
}

static void check_name(struct check *c, const struct weft_toml_node *node)
{
	size_t chars;
	if (!utf8_length(node->str, node->str_len, &chars)) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "is not valid UTF-8");
	} else if (chars == 0) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "must not be empty");
	} else if (chars > NAME_MAX_CHARS) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path,
			"is %zu characters long, more than %d", chars, NAME_MAX_CHARS);
	} else if (has_control_char(node->str)) {
		/* The name is shown in the shell's single-line UI. */
		report(c, WEFT_DIAG_ERROR, node->line, node->path,
			"must not contain control characters");
	}
}

static void check_description(struct check *c, const struct weft_toml_node *node)
{
	size_t chars;
	if (!utf8_length(node->str, node->str_len, &chars)) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "is not valid UTF-8");
	} else if (chars > WEFT_MANIFEST_DESCRIPTION_MAX) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path,
			"is %zu characters long, more than %d", chars,
			WEFT_MANIFEST_DESCRIPTION_MAX);
	}
}

static void check_not_empty(struct check *c, const struct weft_toml_node *node)
{
	if (node->str_len == 0) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "must not be empty");
	}
}

/* Why path is not a plain relative path inside the package, or NULL if it is. */
static const char *relative_path_problem(const char *path)
{
	size_t len = strlen(path);
	if (len == 0) {
		return "must not be empty";
	}
	if (path[0] == '/') {
		return "must be a relative path, not an absolute one";
	}
	if (strchr(path, '\\') != NULL) {
		return "must use '/' as separator, not a backslash";
	}
	if (path[len - 1] == '/') {
		return "must name a file, not end in '/'";
	}
	for (const char *seg = path;;) {
		const char *slash = strchr(seg, '/');
		size_t seg_len = slash != NULL ? (size_t)(slash - seg) : strlen(seg);
		if (seg_len == 0) {
			return "must not contain an empty segment";
		}
		if (seg_len == 2 && seg[0] == '.' && seg[1] == '.') {
			return "must not contain a '..' segment";
		}
		if (slash == NULL) {
			return NULL;
		}
		seg = slash + 1;
	}
}

static void check_relative_path(struct check *c, const struct weft_toml_node *node)
{
	const char *problem = relative_path_problem(node->str);
	if (problem != NULL && node->str_len == 0) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "%s", problem);
	} else if (problem != NULL) {
		char q[QUOTE_SIZE];
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "'%s' %s",
			quote(node->str, node->str_len, q), problem);
	}
}

static void check_capability(struct check *c, const struct weft_toml_node *node,
	struct weft_strv *caps)
{
	char q[QUOTE_SIZE];
	if (!check_string(c, node)) {
		return;
	}
	struct weft_error err;
	if (weft_capability_parse(node->str, NULL, &err) == NULL) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "%s", err.msg);
		return;
	}
	quote(node->str, node->str_len, q);
	if (weft_strv_contains(caps, node->str)) {
		report(c, WEFT_DIAG_WARNING, node->line, node->path,
			"capability '%s' is listed more than once", q);
		return;
	}
	if (!weft_strv_push(caps, node->str)) {
		report(c, WEFT_DIAG_ERROR, node->line, node->path, "out of memory");
	}
}

static void check_capabilities(struct check *c, size_t package, struct weft_strv *caps)
{
	size_t i = find_child(c->doc, package, "capabilities");
	if (i == WEFT_TOML_NO_PARENT) {
		return;
	}
	const struct weft_toml_node *array = &c->doc->nodes[i];
	if (array->type != WEFT_TOML_ARRAY) {
		report(c, WEFT_DIAG_ERROR, array->line, array->path,
			"must be an array of strings, not %s", type_name(array->type));
		return;
	}
	for (size_t j = i + 1; j < c->doc->len; j++) {
		if (c->doc->nodes[j].parent == i) {
			check_capability(c, &c->doc->nodes[j], caps);
		}
	}
}

static void check_package(struct check *c, size_t package, struct weft_manifest *m)
{
	const struct weft_toml_node *node;
	if ((node = get_string(c, package, "id", true)) != NULL) {
		check_id(c, node);
		m->id = take(c, node);
	}
	if ((node = get_string(c, package, "name", true)) != NULL) {
		check_name(c, node);
		m->name = take(c, node);
	}
	if ((node = get_string(c, package, "version", true)) != NULL) {
		check_not_empty(c, node);
		m->version = take(c, node);
	}
	if ((node = get_string(c, package, "description", false)) != NULL) {
		check_description(c, node);
		m->description = take(c, node);
	}
	if ((node = get_string(c, package, "author", false)) != NULL) {
		m->author = take(c, node);
	}
	check_capabilities(c, package, &m->capabilities);
}

static char *get_relative_path(struct check *c, size_t table, const char *key)
{
	const struct weft_toml_node *node = get_string(c, table, key, true);
	if (node == NULL) {
		return NULL;
	}
	check_relative_path(c, node);
	return take(c, node);
}

static const char *const package_keys[] = { "id", "name", "version", "description", "author",
	"capabilities", NULL };
static const char *const runtime_keys[] = { "module", NULL };
static const char *const ui_keys[] = { "entry", "icon", NULL };

static bool in_list(const char *const *list, const struct weft_toml_node *node)
{
	for (; *list != NULL; list++) {
		if (key_is(node, *list)) {
			return true;
		}
	}
	return false;
}

/*
 * Unknown keys may come from a newer schema, so they only warn. Only the
 * outermost unknown node is reported, not everything under it.
 */
static void warn_unknown(struct check *c, size_t package, size_t runtime, size_t ui)
{
	static const char *const root_keys[] = { "package", "runtime", "ui", NULL };
	for (size_t i = 0; i < c->doc->len; i++) {
		const struct weft_toml_node *node = &c->doc->nodes[i];
		const char *const *known;
		if (node->parent == WEFT_TOML_NO_PARENT) {
			known = root_keys;
		} else if (node->parent == package) {
			known = package_keys;
		} else if (node->parent == runtime) {
			known = runtime_keys;
		} else if (node->parent == ui) {
			known = ui_keys;
		} else {
			continue;
		}
		if (!in_list(known, node)) {
			report(c, WEFT_DIAG_WARNING, node->line, node->path, "unknown %s, ignored",
				node->type == WEFT_TOML_TABLE ? "table" : "key");
		}
	}
}

static void check_document(struct check *c, struct weft_manifest *m)
{
	size_t package = get_table(c, "package");
	if (package != WEFT_TOML_NO_PARENT) {
		check_package(c, package, m);
	}
	size_t runtime = get_table(c, "runtime");
	if (runtime != WEFT_TOML_NO_PARENT) {
		m->module = get_relative_path(c, runtime, "module");
	}
	size_t ui = get_table(c, "ui");
	if (ui != WEFT_TOML_NO_PARENT) {
		m->ui_entry = get_relative_path(c, ui, "entry");
		/* Optional: the app's icon, a package file (SVG or PNG). */
		const struct weft_toml_node *icon = get_string(c, ui, "icon", false);
		if (icon != NULL) {
			check_relative_path(c, icon);
			m->icon = take(c, icon);
		}
	}
	warn_unknown(c, package, runtime, ui);
}

static struct weft_manifest *parse(const char *text, size_t len, const char *name,
	struct weft_diags *diags, bool partial)
{
	struct check c = {
		.file = name != NULL ? name : WEFT_MANIFEST_FILE,
		.diags = diags,
	};
	if (len > WEFT_MANIFEST_MAX_SIZE) {
		report(&c, WEFT_DIAG_ERROR, 0, NULL, "file is %zu bytes, more than the %d allowed",
			len, WEFT_MANIFEST_MAX_SIZE);
		return NULL;
	}
	/* toml++ recurses per level: a deep document must never reach it. */
	unsigned deep = weft_toml_nesting_exceeds(text != NULL ? text : "", len,
		WEFT_MANIFEST_MAX_NESTING);
	if (deep > 0) {
		report(&c, WEFT_DIAG_ERROR, deep, NULL, "nesting deeper than %d levels",
			WEFT_MANIFEST_MAX_NESTING);
		return NULL;
	}
	struct weft_toml_doc doc;
	if (!weft_toml_parse(text != NULL ? text : "", len, &doc)) {
		const char *why = doc.error != NULL ? doc.error : "out of memory";
		if (doc.error_line > 0) {
			report(&c, WEFT_DIAG_ERROR, doc.error_line, "syntax error",
				"%s (column %u)", why, doc.error_column);
		} else {
			report(&c, WEFT_DIAG_ERROR, 0, NULL, "%s", why);
		}
		weft_toml_doc_finish(&doc);
		return NULL;
	}
	c.doc = &doc;
	struct weft_manifest *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		report(&c, WEFT_DIAG_ERROR, 0, NULL, "out of memory");
	} else {
		check_document(&c, m);
	}
	weft_toml_doc_finish(&doc);
	if (c.errors > 0 && !partial) {
		weft_manifest_destroy(m);
		return NULL;
	}
	return m;
}

struct weft_manifest *weft_manifest_parse(const char *text, size_t len, const char *name,
	struct weft_diags *diags)
{
	return parse(text, len, name, diags, false);
}

static struct weft_manifest *load(const char *path, struct weft_diags *diags, bool partial)
{
	struct check c = { .file = path, .diags = diags };
	/* O_NONBLOCK: a FIFO in place of the manifest must not hang us before fstat. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		report(&c, WEFT_DIAG_ERROR, 0, NULL, "open: %s", strerror(errno));
		return NULL;
	}
	struct weft_manifest *m = NULL;
	char *text = NULL;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		report(&c, WEFT_DIAG_ERROR, 0, NULL, "stat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		report(&c, WEFT_DIAG_ERROR, 0, NULL, "not a regular file");
		goto out;
	}
	if (st.st_size > WEFT_MANIFEST_MAX_SIZE) {
		report(&c, WEFT_DIAG_ERROR, 0, NULL,
			"file is %lld bytes, more than the %d allowed", (long long)st.st_size,
			WEFT_MANIFEST_MAX_SIZE);
		goto out;
	}
	/* One byte over the limit tells a file that grew since fstat. */
	text = malloc(WEFT_MANIFEST_MAX_SIZE + 1);
	if (text == NULL) {
		report(&c, WEFT_DIAG_ERROR, 0, NULL, "out of memory");
		goto out;
	}
	size_t len = 0;
	while (len < WEFT_MANIFEST_MAX_SIZE + 1) {
		ssize_t n = read(fd, text + len, WEFT_MANIFEST_MAX_SIZE + 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			report(&c, WEFT_DIAG_ERROR, 0, NULL, "read: %s", strerror(errno));
			goto out;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	m = parse(text, len, path, diags, partial);
out:
	free(text);
	close(fd);
	return m;
}

struct weft_manifest *weft_manifest_load(const char *path, struct weft_diags *diags)
{
	return load(path, diags, false);
}

struct weft_manifest *weft_manifest_load_partial(const char *path, struct weft_diags *diags)
{
	return load(path, diags, true);
}

void weft_manifest_destroy(struct weft_manifest *manifest)
{
	if (manifest == NULL) {
		return;
	}
	free(manifest->id);
	free(manifest->name);
	free(manifest->version);
	free(manifest->description);
	free(manifest->author);
	weft_strv_finish(&manifest->capabilities);
	free(manifest->module);
	free(manifest->ui_entry);
	free(manifest->icon);
	free(manifest);
}
