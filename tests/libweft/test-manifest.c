/*
 * The manifest parser against a corpus (tests/libweft/manifests): every
 * .toml file under good/ must parse with no error and with exactly the
 * warnings its "# warn: <substring>" lines name; every one under bad/ must
 * fail with an error containing what its first line, "# expect: <substring>",
 * says.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "weft/manifest.h"

#define CORPUS_ENV "WEFT_TEST_MANIFESTS"

static const char *corpus_dir(void)
{
	const char *dir = getenv(CORPUS_ENV);
	if (dir == NULL) {
		fprintf(stderr, "# $%s is not set; run through meson test\n", CORPUS_ENV);
		abort();
	}
	return dir;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		abort();
	}
	char *text = calloc(1, WEFT_MANIFEST_MAX_SIZE + 1);
	if (text == NULL) {
		abort();
	}
	if (fread(text, 1, WEFT_MANIFEST_MAX_SIZE, f) == 0 && ferror(f)) {
		perror(path);
		abort();
	}
	fclose(f);
	return text;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.toml files of corpus/sub as full paths, sorted so that failures are stable. */
static void list_corpus(const char *sub, struct weft_strv *out)
{
	char *dir = weft_path_join(corpus_dir(), sub);
	DIR *d = opendir(dir);
	if (d == NULL) {
		perror(dir);
		abort();
	}
	struct dirent *entry;
	while ((entry = readdir(d)) != NULL) {
		size_t len = strlen(entry->d_name);
		if (len > 5 && strcmp(entry->d_name + len - 5, ".toml") == 0) {
			weft_strv_push_take(out, weft_path_join(dir, entry->d_name));
		}
	}
	closedir(d);
	free(dir);
	if (out->len > 0) {
		qsort(out->items, out->len, sizeof(*out->items), compare_names);
	}
}

/* Values of the "# <tag>: value" comment lines at the top of text. */
static void header_values(const char *text, const char *tag, struct weft_strv *out)
{
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "# %s: ", tag);
	for (const char *line = text; strncmp(line, "# ", 2) == 0;) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			char *value = strndup(line + strlen(prefix), len - strlen(prefix));
			weft_strv_push_take(out, value);
		}
		if (end == NULL) {
			break;
		}
		line = end + 1;
	}
}

static bool has_diag(const struct weft_diags *diags, enum weft_diag_severity severity,
	const char *substring)
{
	for (size_t i = 0; i < diags->len; i++) {
		if (diags->items[i].severity == severity &&
			strstr(diags->items[i].msg, substring) != NULL) {
			return true;
		}
	}
	return false;
}

static void dump_diags(const char *path, const struct weft_diags *diags)
{
	fprintf(stderr, "# %s:\n", path);
	for (size_t i = 0; i < diags->len; i++) {
		fprintf(stderr, "#   %s: %s\n",
			diags->items[i].severity == WEFT_DIAG_ERROR ? "error" : "warning",
			diags->items[i].msg);
	}
}

static void check_good(const char *path)
{
	char *text = read_text(path);
	struct weft_strv warns;
	weft_strv_init(&warns);
	header_values(text, "warn", &warns);

	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *m = weft_manifest_load(path, &diags);
	bool ok = m != NULL && weft_diags_count(&diags, WEFT_DIAG_ERROR) == 0 &&
		weft_diags_count(&diags, WEFT_DIAG_WARNING) == warns.len;
	for (size_t i = 0; i < warns.len; i++) {
		if (!has_diag(&diags, WEFT_DIAG_WARNING, warns.items[i])) {
			fprintf(stderr, "# missing warning \"%s\"\n", warns.items[i]);
			ok = false;
		}
	}
	if (ok) {
		/* Required fields are always there in a manifest that parsed. */
		ok = m->id && m->name && m->version && m->module && m->ui_entry;
	}
	if (!ok) {
		dump_diags(path, &diags);
		test_failed = true;
	}
	weft_manifest_destroy(m);
	weft_diags_finish(&diags);
	weft_strv_finish(&warns);
	free(text);
}

static void check_bad(const char *path, const char *expect)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *m = weft_manifest_load(path, &diags);
	if (m != NULL || !has_diag(&diags, WEFT_DIAG_ERROR, expect)) {
		fprintf(stderr, "# expected an error containing \"%s\"%s\n", expect,
			m != NULL ? ", but it parsed" : "");
		dump_diags(path, &diags);
		test_failed = true;
	}
	weft_manifest_destroy(m);
	weft_diags_finish(&diags);
}

static void test_good_corpus(void)
{
	struct weft_strv files;
	weft_strv_init(&files);
	list_corpus("good", &files);
	EXPECT(files.len >= 8);
	for (size_t i = 0; i < files.len; i++) {
		check_good(files.items[i]);
	}
	weft_strv_finish(&files);
}

static void test_bad_corpus(void)
{
	struct weft_strv files;
	weft_strv_init(&files);
	list_corpus("bad", &files);
	EXPECT(files.len >= 30);
	for (size_t i = 0; i < files.len; i++) {
		char *text = read_text(files.items[i]);
		struct weft_strv expect;
		weft_strv_init(&expect);
		header_values(text, "expect", &expect);
		if (expect.len != 1 || strncmp(text, "# expect: ", 10) != 0) {
			fprintf(stderr, "# %s: first line must be '# expect: ...'\n",
				files.items[i]);
			test_failed = true;
		} else {
			check_bad(files.items[i], expect.items[0]);
		}
		weft_strv_finish(&expect);
		free(text);
	}
	weft_strv_finish(&files);
}

static struct weft_manifest *load_good(const char *name, struct weft_diags *diags)
{
	char *rel = weft_strdup_printf("good/%s", name);
	char *path = weft_path_join(corpus_dir(), rel);
	struct weft_manifest *m = weft_manifest_load(path, diags);
	free(path);
	free(rel);
	return m;
}

static void test_counter_fields(void)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *m = load_good("counter.toml", &diags);
	ASSERT(m != NULL);
	EXPECT(diags.len == 0);
	EXPECT_STR_EQ(m->id, "org.weft.demo.counter");
	EXPECT_STR_EQ(m->name, "Counter");
	EXPECT_STR_EQ(m->version, "0.1.0");
	EXPECT_STR_EQ(m->description, "A simple counter demo");
	EXPECT_STR_EQ(m->author, "WEFT OS");
	EXPECT(m->capabilities.len == 0);
	EXPECT_STR_EQ(m->module, "app.wasm");
	EXPECT_STR_EQ(m->ui_entry, "ui/index.html");
	weft_manifest_destroy(m);
	weft_diags_finish(&diags);
}

static void test_optional_fields_absent(void)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *m = load_good("minimal.toml", &diags);
	ASSERT(m != NULL);
	EXPECT(m->description == NULL);
	EXPECT(m->author == NULL);
	EXPECT(m->capabilities.len == 0);
	weft_manifest_destroy(m);
	weft_diags_finish(&diags);
}

static void test_capabilities_in_order(void)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *m = load_good("all-capabilities.toml", &diags);
	ASSERT(m != NULL);
	ASSERT(m->capabilities.len == 12);
	EXPECT_STR_EQ(m->capabilities.items[0], "fs:rw:app-data");
	EXPECT_STR_EQ(m->capabilities.items[6], "net:fetch:api.example.com:8443");
	EXPECT_STR_EQ(m->capabilities.items[11], "hw:gpu:render");
	weft_manifest_destroy(m);
	weft_diags_finish(&diags);

	/* A duplicate warns once and is kept once. */
	weft_diags_init(&diags);
	m = load_good("unknown-keys.toml", &diags);
	ASSERT(m != NULL);
	EXPECT(m->capabilities.len == 2);
	EXPECT_STR_EQ(m->capabilities.items[0], "sys:notifications");
	EXPECT_STR_EQ(m->capabilities.items[1], "fs:rw:app-data");
	weft_manifest_destroy(m);
	weft_diags_finish(&diags);
}

static void test_multibyte_name(void)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *m = load_good("name-multibyte.toml", &diags);
	ASSERT(m != NULL);
	/* 64 characters in more than 64 bytes. */
	EXPECT(strlen(m->name) > 64);
	EXPECT(strncmp(m->name, "\xc3\xa9", 2) == 0);
	weft_manifest_destroy(m);
	weft_diags_finish(&diags);
}

static const char counter_tail[] = "[runtime]\nmodule = \"app.wasm\"\n"
				   "[ui]\nentry = \"ui/index.html\"\n";

/* Parses "[package]\n" + package + the usual tail from memory as "mem.toml". */
static struct weft_manifest *parse_package(const char *package, struct weft_diags *diags)
{
	char *text = weft_strdup_printf("[package]\n%s%s", package, counter_tail);
	struct weft_manifest *m = weft_manifest_parse(text, strlen(text), "mem.toml", diags);
	free(text);
	return m;
}

static void test_diag_format(void)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	EXPECT(parse_package("id = \"org.Foo.demo\"\nname = \"N\"\n", &diags) == NULL);
	ASSERT(diags.len == 2);
	EXPECT(diags.items[0].severity == WEFT_DIAG_ERROR);
	EXPECT_STR_EQ(diags.items[0].msg,
		"mem.toml:2: package.id: segment 2 'Foo' must start with a lowercase letter");
	EXPECT_STR_EQ(diags.items[1].msg, "mem.toml: package.version: missing required key");
	weft_diags_finish(&diags);

	/* Without a name, messages still have one. */
	weft_diags_init(&diags);
	EXPECT(weft_manifest_parse("", 0, NULL, &diags) == NULL);
	ASSERT(diags.len == 3);
	EXPECT_STR_EQ(diags.items[0].msg, "wapp.toml: package: missing required table");
	EXPECT_STR_EQ(diags.items[1].msg, "wapp.toml: runtime: missing required table");
	EXPECT_STR_EQ(diags.items[2].msg, "wapp.toml: ui: missing required table");
	weft_diags_finish(&diags);
}

static void test_syntax_error(void)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	const char text[] = "[package]\nid = \"a.b.c\"\nname = \n";
	EXPECT(weft_manifest_parse(text, strlen(text), "mem.toml", &diags) == NULL);
	ASSERT(diags.len == 1);
	EXPECT(strncmp(diags.items[0].msg, "mem.toml:3: syntax error: ", 26) == 0);
	EXPECT(strstr(diags.items[0].msg, "(column ") != NULL);
	weft_diags_finish(&diags);
}

static void test_all_errors_collected(void)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	const char text[] = "[package]\n"
			    "id = \"org\"\n"
			    "name = 7\n"
			    "version = \"\"\n"
			    "capabilities = [\"nope\", \"net:fetch:-x\"]\n"
			    "[runtime]\n"
			    "module = \"/app.wasm\"\n"
			    "[ui]\n"
			    "entry = \"../x.html\"\n";
	EXPECT(weft_manifest_parse(text, strlen(text), "mem.toml", &diags) == NULL);
	EXPECT(weft_diags_count(&diags, WEFT_DIAG_ERROR) == 7);
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR, "mem.toml:2: package.id: needs at least 3"));
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR, "mem.toml:3: package.name: must be a string"));
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR, "mem.toml:4: package.version: must not be"));
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR, "mem.toml:5: package.capabilities[0]: unknown"));
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR, "mem.toml:5: package.capabilities[1]: invalid"));
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR, "mem.toml:7: runtime.module: '/app.wasm'"));
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR, "mem.toml:9: ui.entry: '../x.html'"));
	weft_diags_finish(&diags);
}

static void test_warnings_alone_succeed(void)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	/* An error from an earlier call does not fail this one. */
	weft_diags_add(&diags, WEFT_DIAG_ERROR, "earlier");
	struct weft_manifest *m = parse_package("id = \"a.b.c\"\nname = \"N\"\nversion = \"1\"\n"
						"icon = \"icon.png\"\n\"a.b\" = 1\n",
		&diags);
	EXPECT(m != NULL);
	EXPECT(weft_diags_count(&diags, WEFT_DIAG_ERROR) == 1);
	EXPECT(weft_diags_count(&diags, WEFT_DIAG_WARNING) == 2);
	EXPECT(has_diag(&diags, WEFT_DIAG_WARNING, "mem.toml:5: package.icon: unknown key"));
	/* A quoted key is shown quoted, not as a dotted path. */
	EXPECT(has_diag(&diags, WEFT_DIAG_WARNING, "mem.toml:6: package.\"a.b\": unknown key"));
	weft_manifest_destroy(m);
	weft_diags_finish(&diags);
}

static void test_nul_in_key(void)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	/* "id\u0000x" is its own key, not package.id cut short. */
	EXPECT(parse_package("\"id\\u0000x\" = \"org.evil.app\"\nname = \"N\"\nversion = \"1\"\n",
		       &diags) == NULL);
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR, "mem.toml: package.id: missing required key"));
	EXPECT(has_diag(&diags, WEFT_DIAG_WARNING,
		"mem.toml:2: package.\"id\\u0000x\": unknown key, ignored"));
	weft_diags_finish(&diags);
}

static void test_long_value_is_cut(void)
{
	char caps[256];
	snprintf(caps, sizeof(caps), "capabilities = [\"%0200d\\n\"]\n", 0);
	char *pkg = weft_strdup_printf("id = \"a.b.c\"\nname = \"N\"\nversion = \"1\"\n%s", caps);
	struct weft_diags diags;
	weft_diags_init(&diags);
	EXPECT(parse_package(pkg, &diags) == NULL);
	ASSERT(diags.len == 1);
	EXPECT(strstr(diags.items[0].msg, "unknown capability '0000") != NULL);
	EXPECT(strstr(diags.items[0].msg, "000...'") != NULL);
	EXPECT(strlen(diags.items[0].msg) < 150);
	weft_diags_finish(&diags);
	free(pkg);

	/* Control bytes are escaped, not printed. */
	weft_diags_init(&diags);
	EXPECT(parse_package("id = \"a.b.c\"\nname = \"N\"\nversion = \"1\"\n"
			     "capabilities = [\"x\\u001b[31m\"]\n",
		       &diags) == NULL);
	ASSERT(diags.len == 1);
	EXPECT(strstr(diags.items[0].msg, "'x\\x1b[31m'") != NULL);
	weft_diags_finish(&diags);
}

static char *make_oversize(size_t size)
{
	/* A valid manifest padded with comments to exactly size bytes. */
	const char *body = "[package]\nid = \"a.b.c\"\nname = \"N\"\nversion = \"1\"\n"
			   "[runtime]\nmodule = \"app.wasm\"\n[ui]\nentry = \"ui/index.html\"\n";
	char *text = malloc(size + 1);
	if (text == NULL) {
		abort();
	}
	size_t len = strlen(body);
	memcpy(text, body, len);
	while (len < size) {
		size_t line = size - len < 80 ? size - len : 80;
		memset(text + len, '#', line);
		text[len + line - 1] = '\n';
		len += line;
	}
	text[size] = '\0';
	return text;
}

static void test_size_limit(void)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	char *text = make_oversize(WEFT_MANIFEST_MAX_SIZE + 1);
	EXPECT(weft_manifest_parse(text, WEFT_MANIFEST_MAX_SIZE + 1, "big.toml", &diags) == NULL);
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR,
		"big.toml: file is 65537 bytes, more than the 65536 allowed"));
	weft_diags_finish(&diags);

	/* Through the file path too, the way the corpus runs. */
	char *tmp = test_mkdtemp();
	test_write_file(tmp, "oversize.toml", text, WEFT_MANIFEST_MAX_SIZE + 1);
	char *path = weft_path_join(tmp, "oversize.toml");
	check_bad(path, "oversize.toml: file is 65537 bytes, more than the 65536 allowed");
	free(path);
	free(text);

	/* Exactly the limit is fine. */
	text = make_oversize(WEFT_MANIFEST_MAX_SIZE);
	test_write_file(tmp, "limit.toml", text, WEFT_MANIFEST_MAX_SIZE);
	path = weft_path_join(tmp, "limit.toml");
	check_good(path);
	free(path);
	free(text);
	test_rmtree(tmp);
	free(tmp);
}

/* The shapes in which TOML nests; each deep_text() of n puts a value n levels down. */
enum deep_shape {
	DEEP_DOTTED_KEY, /* a.a.a = 1 */
	DEEP_HEADER, /* [a.a.a] */
	DEEP_ARRAY_HEADER, /* [[a.a]]: the array, then the table in it */
	DEEP_INLINE_TABLE, /* a = {a = {a = 1}} */
	DEEP_ARRAY, /* a = [[1]] */
	DEEP_INLINE_DOTTED, /* a = {a.a = 1} */
	DEEP_MIXED, /* [a.a] a.a = [{a = [1]}] */
	DEEP_SHAPES,
};

static void append(char **text, size_t *len, const char *s, size_t times)
{
	size_t n = strlen(s);
	char *grown = realloc(*text, *len + n * times + 1);
	if (grown == NULL) {
		abort();
	}
	*text = grown;
	for (size_t i = 0; i < times; i++) {
		memcpy(*text + *len, s, n);
		*len += n;
	}
	(*text)[*len] = '\0';
}

/* A document, after two harmless lines, whose deepest node is n levels down (n >= 8). */
static char *deep_text(enum deep_shape shape, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	append(&text, &len, "# comment\n\n", 1);
	switch (shape) {
	case DEEP_DOTTED_KEY:
		append(&text, &len, "a.", n - 1);
		append(&text, &len, "a = 1\n", 1);
		break;
	case DEEP_HEADER:
		append(&text, &len, "[a", 1);
		append(&text, &len, ".a", n - 1);
		append(&text, &len, "]\n", 1);
		break;
	case DEEP_ARRAY_HEADER:
		append(&text, &len, "[[a", 1);
		append(&text, &len, ".a", n - 2);
		append(&text, &len, "]]\n", 1);
		break;
	case DEEP_INLINE_TABLE:
		append(&text, &len, "a = ", 1);
		append(&text, &len, "{a = ", n - 1);
		append(&text, &len, "1", 1);
		append(&text, &len, "}", n - 1);
		append(&text, &len, "\n", 1);
		break;
	case DEEP_ARRAY:
		append(&text, &len, "a = ", 1);
		append(&text, &len, "[", n - 1);
		append(&text, &len, "1", 1);
		append(&text, &len, "]", n - 1);
		append(&text, &len, "\n", 1);
		break;
	case DEEP_INLINE_DOTTED:
		append(&text, &len, "a = {", 1);
		append(&text, &len, "a.", n - 2);
		append(&text, &len, "a = 1}\n", 1);
		break;
	case DEEP_MIXED:
		/* Table 2, key 4, array 4, its table 5, keys 5 + k, array, element. */
		append(&text, &len, "[a.a]\na.a = [{", 1);
		append(&text, &len, "a.", n - 7);
		append(&text, &len, "a = [1]}]\n", 1);
		break;
	case DEEP_SHAPES:
		abort();
	}
	return text;
}

/* "<name>:<line>: nesting deeper than 16 levels", the line where the deep part starts. */
static char *deep_error(enum deep_shape shape, const char *name)
{
	return weft_strdup_printf("%s:%d: nesting deeper than %d levels", name,
		shape == DEEP_MIXED ? 4 : 3, WEFT_MANIFEST_MAX_NESTING);
}

static bool has_nesting_error(const struct weft_diags *diags)
{
	return has_diag(diags, WEFT_DIAG_ERROR, "nesting deeper than");
}

static void test_nesting_limit(void)
{
	for (int shape = 0; shape < DEEP_SHAPES; shape++) {
		/* At the limit the parser sees it (and finds no [package]). */
		char *text = deep_text(shape, WEFT_MANIFEST_MAX_NESTING);
		struct weft_diags diags;
		weft_diags_init(&diags);
		EXPECT(weft_manifest_parse(text, strlen(text), "deep.toml", &diags) == NULL);
		if (has_nesting_error(&diags) ||
			!has_diag(&diags, WEFT_DIAG_ERROR, "package: missing required table")) {
			fprintf(stderr, "# shape %d at the limit:\n", shape);
			dump_diags(text, &diags);
			test_failed = true;
		}
		weft_diags_finish(&diags);
		free(text);

		/* One level more is refused before the parser, with one error. */
		text = deep_text(shape, WEFT_MANIFEST_MAX_NESTING + 1);
		char *expect = deep_error(shape, "deep.toml");
		weft_diags_init(&diags);
		EXPECT(weft_manifest_parse(text, strlen(text), "deep.toml", &diags) == NULL);
		if (diags.len != 1 || strcmp(diags.items[0].msg, expect) != 0) {
			fprintf(stderr, "# shape %d over the limit:\n", shape);
			dump_diags(text, &diags);
			test_failed = true;
		}
		weft_diags_finish(&diags);
		free(expect);
		free(text);
	}
}

/* Deep enough to overflow toml++'s recursion, within the size limit. */
static void test_nesting_attack(void)
{
	for (int shape = 0; shape < DEEP_SHAPES; shape++) {
		size_t n = 8;
		char *text = deep_text(shape, n);
		while (strlen(text) < WEFT_MANIFEST_MAX_SIZE - 4096) {
			free(text);
			n *= 2;
			text = deep_text(shape, n);
		}
		free(text);
		text = deep_text(shape, n / 2);
		char *expect = deep_error(shape, "wapp.toml");
		struct weft_diags diags;
		weft_diags_init(&diags);
		EXPECT(weft_manifest_parse(text, strlen(text), NULL, &diags) == NULL);
		EXPECT(diags.len == 1 && has_diag(&diags, WEFT_DIAG_ERROR, expect));
		weft_diags_finish(&diags);

		/* Through a file, as every program loads it. */
		char *tmp = test_mkdtemp();
		test_write_file(tmp, "wapp.toml", text, strlen(text));
		char *path = weft_path_join(tmp, "wapp.toml");
		check_bad(path, expect);
		weft_diags_init(&diags);
		EXPECT(weft_manifest_load_partial(path, &diags) == NULL);
		EXPECT(has_nesting_error(&diags));
		weft_diags_finish(&diags);
		free(path);
		test_rmtree(tmp);
		free(tmp);
		free(expect);
		free(text);
	}
}

/* Dots and brackets that are not structure do not count. */
static void test_nesting_not_fooled(void)
{
	char *text = NULL;
	size_t len = 0;
	append(&text, &len,
		"[package]\nid = \"a.b.c\"\nname = \"N\"\nversion = \"1.2.3\"\n"
		"description = \"",
		1);
	append(&text, &len, "a.[{", 200);
	append(&text, &len, "\"\nauthor = '", 1);
	append(&text, &len, "[a.b]", 200);
	append(&text, &len, "'\n# ", 1);
	append(&text, &len, "a.[{", 200);
	append(&text, &len, "\n\"x.y\".\"z[w]\" = \"\"\"\n", 1);
	append(&text, &len, "[[a.b]]\n\\\"\"\" {a.b = [\n", 100);
	append(&text, &len, "\"\"\"\"\"\nfloats = [", 1);
	append(&text, &len, "1.5, 2.5e3, 1979-05-27 07:32:00.999, ", 200);
	append(&text, &len, "]\ndates.x = 1979-05-27T07:32:00Z # a.b.c\n", 1);
	append(&text, &len, counter_tail, 1);
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *m = weft_manifest_parse(text, len, "mem.toml", &diags);
	EXPECT(m != NULL);
	EXPECT(!has_nesting_error(&diags));
	if (m == NULL) {
		dump_diags("mem.toml", &diags);
	} else {
		EXPECT(strlen(m->description) == 800);
	}
	weft_manifest_destroy(m);
	weft_diags_finish(&diags);
	free(text);
}

static void test_load_errors(void)
{
	char *tmp = test_mkdtemp();
	struct weft_diags diags;
	weft_diags_init(&diags);
	char *missing = weft_path_join(tmp, "missing.toml");
	EXPECT(weft_manifest_load(missing, &diags) == NULL);
	ASSERT(diags.len == 1);
	EXPECT(strstr(diags.items[0].msg, "missing.toml: open: ") != NULL);
	weft_diags_finish(&diags);

	weft_diags_init(&diags);
	EXPECT(weft_manifest_load(tmp, &diags) == NULL);
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR, "not a regular file"));
	weft_diags_finish(&diags);

	/* A FIFO with no writer must not block the loader. */
	char *fifo = weft_path_join(tmp, "fifo.toml");
	ASSERT(mkfifo(fifo, 0600) == 0);
	weft_diags_init(&diags);
	EXPECT(weft_manifest_load(fifo, &diags) == NULL);
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR, "fifo.toml: not a regular file"));
	weft_diags_finish(&diags);

	free(fifo);
	free(missing);
	test_rmtree(tmp);
	free(tmp);
}

static void test_partial(void)
{
	static const char text[] = "[package]\n"
				   "id = \"org.example.partial\"\n"
				   "name = 42\n"
				   "version = \"1.0\"\n"
				   "capabilities = [\"sys:teleport\", \"sys:notifications\"]\n"
				   "[runtime]\n"
				   "module = \"app.wasm\"\n";
	char *tmp = test_mkdtemp();
	test_write_file(tmp, "wapp.toml", text, strlen(text));
	char *path = weft_path_join(tmp, "wapp.toml");
	struct weft_diags diags;
	weft_diags_init(&diags);
	EXPECT(weft_manifest_load(path, &diags) == NULL);
	size_t strict_errors = weft_diags_count(&diags, WEFT_DIAG_ERROR);
	weft_diags_finish(&diags);

	weft_diags_init(&diags);
	struct weft_manifest *m = weft_manifest_load_partial(path, &diags);
	ASSERT(m != NULL);
	/* The same problems, and what was readable. */
	EXPECT(weft_diags_count(&diags, WEFT_DIAG_ERROR) == strict_errors);
	EXPECT(strict_errors == 3);
	EXPECT_STR_EQ(m->id, "org.example.partial");
	EXPECT(m->name == NULL);
	EXPECT_STR_EQ(m->module, "app.wasm");
	EXPECT(m->ui_entry == NULL);
	ASSERT(m->capabilities.len == 1);
	EXPECT_STR_EQ(m->capabilities.items[0], "sys:notifications");
	weft_manifest_destroy(m);
	weft_diags_finish(&diags);

	/* Nothing to return when the file does not parse at all. */
	test_write_file(tmp, "wapp.toml", "[package\n", 9);
	weft_diags_init(&diags);
	EXPECT(weft_manifest_load_partial(path, &diags) == NULL);
	EXPECT(has_diag(&diags, WEFT_DIAG_ERROR, "syntax error"));
	weft_diags_finish(&diags);

	free(path);
	test_rmtree(tmp);
	free(tmp);
}

static void test_destroy_null(void)
{
	weft_manifest_destroy(NULL);
	struct weft_diags diags;
	weft_diags_init(&diags);
	weft_diags_finish(&diags);
	EXPECT(diags.len == 0 && diags.items == NULL);
}

static const struct test_case cases[] = {
	TEST_CASE(test_good_corpus),
	TEST_CASE(test_bad_corpus),
	TEST_CASE(test_counter_fields),
	TEST_CASE(test_optional_fields_absent),
	TEST_CASE(test_capabilities_in_order),
	TEST_CASE(test_multibyte_name),
	TEST_CASE(test_diag_format),
	TEST_CASE(test_syntax_error),
	TEST_CASE(test_all_errors_collected),
	TEST_CASE(test_warnings_alone_succeed),
	TEST_CASE(test_nul_in_key),
	TEST_CASE(test_long_value_is_cut),
	TEST_CASE(test_size_limit),
	TEST_CASE(test_nesting_limit),
	TEST_CASE(test_nesting_attack),
	TEST_CASE(test_nesting_not_fooled),
	TEST_CASE(test_load_errors),
	TEST_CASE(test_partial),
	TEST_CASE(test_destroy_null),
};

int main(int argc, char **argv)
{
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
