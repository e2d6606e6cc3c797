/*
 * The toml++ side of manifest parsing, behind a C interface so that no C++
 * and no exception reaches the rest of libweft. It knows TOML, not wapp.toml:
 * it flattens a document into a list of nodes with their source lines and
 * leaves every wapp.toml rule to manifest.c.
 */
#ifndef WEFT_MANIFEST_TOML_H
#define WEFT_MANIFEST_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_TOML_NO_PARENT SIZE_MAX

enum weft_toml_type {
	WEFT_TOML_TABLE,
	WEFT_TOML_ARRAY,
	WEFT_TOML_STRING,
	WEFT_TOML_INTEGER,
	WEFT_TOML_FLOAT,
	WEFT_TOML_BOOLEAN,
	WEFT_TOML_DATE,
	WEFT_TOML_TIME,
	WEFT_TOML_DATE_TIME,
};

struct weft_toml_node {
	/* Its key in the enclosing table; NULL for an array element. Keys may hold NUL too. */
	char *key;
	size_t key_len;
	/* For messages: "package.id", "package.capabilities[2]", quoted keys as "a.\"b.c\"". */
	char *path;
	/* Index of the enclosing table or array in the node list, or WEFT_TOML_NO_PARENT. */
	size_t parent;
	enum weft_toml_type type;
	unsigned line; /* 1-based; 0 when unknown */
	/* WEFT_TOML_STRING only; TOML strings may hold NUL ("\u0000"), hence the length. */
	char *str;
	size_t str_len;
};

struct weft_toml_doc {
	/* Depth first: a node's parent always comes before it. */
	struct weft_toml_node *nodes;
	size_t len;
	/* Set when parsing failed; line and column are 0 when unknown. */
	char *error;
	unsigned error_line, error_column;
};

/*
 * Parses len bytes of text into doc. Returns false with doc->error set on a
 * syntax error or when out of memory; doc->error is NULL only when even that
 * message could not be allocated. Call weft_toml_doc_finish() either way.
 */
bool weft_toml_parse(const char *text, size_t len, struct weft_toml_doc *doc);
void weft_toml_doc_finish(struct weft_toml_doc *doc);

/*
 * The 1-based line where text first nests deeper than max levels (each key
 * of a dotted key or header, and each array or inline table, is a level), or
 * 0 when it never does. Cheap and iterative: run it before weft_toml_parse(),
 * whose recursion a deep enough document overflows.
 */
unsigned weft_toml_nesting_exceeds(const char *text, size_t len, unsigned max);

#ifdef __cplusplus
}
#endif

#endif
