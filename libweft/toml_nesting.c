/*
 * How deep a TOML document nests, found without building it. toml++ recurses
 * once per level of a dotted key, a [table.header] or an inline value, so a
 * crafted file of a few KiB overflows the stack of whatever parses it; this
 * scan runs first and refuses such a file.
 *
 * It follows TOML's structure only as far as depth needs: strings and
 * comments are skipped exactly (a '.' or '[' in them is not structure),
 * everything else leniently. On text that is not TOML it may count wrongly,
 * but only past the first error, where toml++ stops too.
 */
#include <stdbool.h>
#include <stddef.h>

#include "manifest_toml.h"

/* Every push nests one level deeper, and no level past the limit is pushed. */
#define STACK_MAX 64

enum ctx_kind {
	CTX_TOP, /* the document, in the table its last [header] named */
	CTX_ARRAY,
	CTX_TABLE, /* an inline table */
};

struct ctx {
	enum ctx_kind kind;
	unsigned depth; /* of the table or array itself; 0 for the root table */
};

enum state {
	LINE_START, /* CTX_TOP only: a key, a [header], or nothing */
	KEY, /* in a key; depth is that of the node it names so far */
	VALUE, /* where a value starts; depth is that of the value */
	AFTER_VALUE,
};

struct nesting {
	const char *p, *end;
	unsigned line;
	struct ctx stack[STACK_MAX];
	size_t top;
};

static void skip_comment(struct nesting *n)
{
	while (n->p < n->end && *n->p != '\n') {
		n->p++;
	}
}

/* Skips "…", '…', """…""" or '''…''' from its opening quote. */
static void skip_string(struct nesting *n)
{
	char q = *n->p;
	bool basic = q == '"';
	if (n->end - n->p >= 3 && n->p[1] == q && n->p[2] == q) {
		n->p += 3;
		while (n->p < n->end) {
			if (basic && *n->p == '\\' && n->end - n->p >= 2) {
				n->line += n->p[1] == '\n';
				n->p += 2;
			} else if (n->end - n->p >= 3 && n->p[0] == q && n->p[1] == q &&
				n->p[2] == q) {
				n->p += 3;
				/* Up to two more quotes belong to the string: """a""""" */
				for (int extra = 0; extra < 2 && n->p < n->end && *n->p == q;
					extra++) {
					n->p++;
				}
				return;
			} else {
				n->line += *n->p == '\n';
				n->p++;
			}
		}
		return;
	}
	n->p++;
	while (n->p < n->end && *n->p != '\n') {
		if (basic && *n->p == '\\' && n->end - n->p >= 2 && n->p[1] != '\n') {
			n->p += 2;
		} else if (*n->p++ == q) {
			return;
		}
	}
}

/* Skips a [header] or [[header]] line up to its newline; returns its table's depth. */
static unsigned header_depth(struct nesting *n)
{
	unsigned depth = 1;
	n->p++;
	if (n->p < n->end && *n->p == '[') {
		/* The array of tables, then the table in it. */
		depth++;
		n->p++;
	}
	while (n->p < n->end && *n->p != '\n' && *n->p != ']' && *n->p != '#') {
		if (*n->p == '"' || *n->p == '\'') {
			skip_string(n);
		} else {
			depth += *n->p == '.';
			n->p++;
		}
	}
	return depth;
}

static struct ctx *current(struct nesting *n)
{
	return &n->stack[n->top];
}

unsigned weft_toml_nesting_exceeds(const char *text, size_t len, unsigned max)
{
	if (max >= STACK_MAX) {
		max = STACK_MAX - 1;
	}
	struct nesting n = { .p = text, .end = text + len, .line = 1 };
	n.stack[0] = (struct ctx){ .kind = CTX_TOP, .depth = 0 };
	enum state state = LINE_START;
	unsigned depth = 0;
	while (n.p < n.end) {
		char c = *n.p;
		struct ctx *ctx = current(&n);
		if (c == ' ' || c == '\t' || c == '\r') {
			n.p++;
			continue;
		}
		if (c == '#') {
			skip_comment(&n);
			continue;
		}
		if (c == '\n') {
			n.line++;
			n.p++;
			if (ctx->kind == CTX_TOP) {
				state = LINE_START;
			}
			continue;
		}
		switch (state) {
		case LINE_START:
			if (c == '[') {
				ctx->depth = header_depth(&n);
				if (ctx->depth > max) {
					return n.line;
				}
				state = AFTER_VALUE;
			} else {
				state = KEY;
				depth = ctx->depth + 1;
			}
			break;
		case KEY:
			if (c == '"' || c == '\'') {
				skip_string(&n);
				break;
			}
			if (depth > max) {
				return n.line;
			}
			n.p++;
			if (c == '.') {
				depth++;
			} else if (c == '=') {
				state = VALUE;
			} else if (c == '}' && ctx->kind == CTX_TABLE) {
				n.top--;
				state = AFTER_VALUE;
			}
			break;
		case VALUE:
			if ((c == ']' && ctx->kind == CTX_ARRAY) ||
				(c == '}' && ctx->kind == CTX_TABLE)) {
				/* [] or {}, or a trailing comma */
				n.p++;
				n.top--;
				state = AFTER_VALUE;
				break;
			}
			if (depth > max) {
				return n.line;
			}
			if (c == '[' || c == '{') {
				/* depth <= max < STACK_MAX and every level pushes at most once. */
				n.p++;
				n.stack[++n.top] = (struct ctx){
					.kind = c == '[' ? CTX_ARRAY : CTX_TABLE,
					.depth = depth,
				};
				state = c == '[' ? VALUE : KEY;
				depth++;
			} else if (c == '"' || c == '\'') {
				skip_string(&n);
				state = AFTER_VALUE;
			} else {
				/* A number, boolean or date (which may hold a space). */
				n.p++;
				while (n.p < n.end && *n.p != '\n' && *n.p != ',' && *n.p != ']' &&
					*n.p != '}' && *n.p != '#') {
					n.p++;
				}
				state = AFTER_VALUE;
			}
			break;
		case AFTER_VALUE:
			if (ctx->kind == CTX_TOP) {
				/* Only a comment may follow; anything else is toml++'s error. */
				skip_comment(&n);
			} else if (c == ',' || c == ']' || c == '}') {
				n.p++;
				if (c != ',') {
					n.top -= n.top > 0;
				} else if (ctx->kind == CTX_ARRAY) {
					state = VALUE;
					depth = ctx->depth + 1;
				} else {
					state = KEY;
					depth = ctx->depth + 1;
				}
			} else {
				/* A missing comma: read on as if it were there. */
				state = ctx->kind == CTX_ARRAY ? VALUE : KEY;
				depth = ctx->depth + 1;
			}
			break;
		}
	}
	return 0;
}
