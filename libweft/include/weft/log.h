/*
 * Logging to stderr with levels, in the manner of wlr_log().
 *
 * Lines read "prog: level: message". WEFT_LOG=error|warn|info|debug in the
 * environment overrides the level given to weft_log_init().
 */
#ifndef WEFT_LOG_H
#define WEFT_LOG_H

#include <errno.h>
#include <string.h>

#include "weft/common.h"

enum weft_log_level {
	WEFT_SILENT = 0,
	WEFT_ERROR = 1,
	WEFT_WARN = 2,
	WEFT_INFO = 3,
	WEFT_DEBUG = 4,
};

void weft_log_init(const char *prog, enum weft_log_level level);
enum weft_log_level weft_log_get_level(void);
void _weft_log(enum weft_log_level level, const char *fmt, ...) WEFT_PRINTF(2, 3);

/* Writes len bytes of untrusted text into out (size bytes, NUL-terminated) so
 * that a terminal shows it as it is: bytes under 0x20, 0x7f, the C1 controls
 * (U+0080-U+009F) and bytes that are not UTF-8 become \xNN, a backslash \\.
 * Stops where the next character would not fit; returns how many bytes of
 * text it wrote out, which is len when all of it fitted. */
size_t weft_log_escape(const char *text, size_t len, char *out, size_t size);

#define weft_log(level, fmt, ...) _weft_log(level, fmt, ##__VA_ARGS__)
#define weft_log_errno(level, fmt, ...) \
	_weft_log(level, fmt ": %s", ##__VA_ARGS__, strerror(errno))

#endif
