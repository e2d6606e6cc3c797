#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft/log.h"

/* Process-wide by nature, like wlroots' log state: set once in main(). */
static const char *log_prog = "weft";
static enum weft_log_level log_level = WEFT_WARN;

static const char *const level_names[] = {
	[WEFT_SILENT] = "silent",
	[WEFT_ERROR] = "error",
	[WEFT_WARN] = "warning",
	[WEFT_INFO] = "info",
	[WEFT_DEBUG] = "debug",
};

static bool parse_level(const char *s, enum weft_log_level *out)
{
	static const struct {
		const char *name;
		enum weft_log_level level;
	} names[] = {
		{ "silent", WEFT_SILENT },
		{ "error", WEFT_ERROR },
		{ "warn", WEFT_WARN },
		{ "warning", WEFT_WARN },
		{ "info", WEFT_INFO },
		{ "debug", WEFT_DEBUG },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return true;
		}
	}
	return false;
}

void weft_log_init(const char *prog, enum weft_log_level level)
{
	const char *slash = strrchr(prog, '/');
	log_prog = slash != NULL ? slash + 1 : prog;
	log_level = level;
	const char *env = getenv("WEFT_LOG");
	if (env != NULL && !parse_level(env, &log_level)) {
		fprintf(stderr, "%s: warning: ignoring unknown WEFT_LOG level '%s'\n", log_prog,
			env);
	}
}

enum weft_log_level weft_log_get_level(void)
{
	return log_level;
}

void _weft_log(enum weft_log_level level, const char *fmt, ...)
{
	if (level > log_level || level == WEFT_SILENT) {
		return;
	}
	/* One write per line, so that lines from several processes do not mix. */
	char line[4096];
	int n = snprintf(line, sizeof(line), "%s: %s: ", log_prog, level_names[level]);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		return;
	}
	va_list args;
	va_start(args, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, args);
	va_end(args);
	fprintf(stderr, "%s\n", line);
}

/* The length of the UTF-8 character at s that a terminal may show as it is,
 * or 0 for a byte to escape. */
static size_t printable_char_len(const char *s, size_t len, bool keep_backslash)
{
	unsigned char c = (unsigned char)s[0];
	if (c < 0x80) {
		return c >= 0x20 && c != 0x7f && (c != '\\' || keep_backslash) ? 1 : 0;
	}
	size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	if (n > len || weft_utf8_invalid_at(s, n) != n) {
		return 0;
	}
	/* C1 controls: CSI (U+009B) and OSC (U+009D) to some terminals. */
	if (c == 0xc2 && (unsigned char)s[1] < 0xa0) {
		return 0;
	}
	return n;
}

static size_t escape(const char *text, size_t len, char *out, size_t size, bool keep_backslash)
{
	size_t i = 0, o = 0;
	while (i < len) {
		size_t n = printable_char_len(text + i, len - i, keep_backslash);
		const char *piece = text + i;
		size_t piece_len = n;
		char esc[5];
		if (n == 0) {
			if (text[i] == '\\') {
				memcpy(esc, "\\\\", 3);
			} else {
				snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)text[i]);
			}
			piece = esc;
			piece_len = strlen(esc);
			n = 1;
		}
		if (o + piece_len >= size) {
			break;
		}
		memcpy(out + o, piece, piece_len);
		o += piece_len;
		i += n;
	}
	if (size > 0) {
		out[o] = '\0';
	}
	return i;
}

size_t weft_log_escape(const char *text, size_t len, char *out, size_t size)
{
	return escape(text, len, out, size, false);
}

/* weft_escape (weft/common.h) shares the log's rules, but a backslash stays
 * as it is in a message that quotes a value. */
const char *weft_escape(const char *s, size_t len, char *buf, size_t size)
{
	if (escape(s, len, buf, size, true) < len) {
		escape(s, len, buf, size - 3, true);
		memcpy(buf + strlen(buf), "...", 4);
	}
	return buf;
}
