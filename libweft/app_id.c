#include <string.h>

#include "weft/app_id.h"

#define MIN_SEGMENTS 3
/* Enough of a bad segment to recognise it without flooding the message. */
#define SHOWN_SEGMENT_MAX 32

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_printable(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

static bool check_segment(const char *seg, size_t len, size_t n, struct weft_error *err)
{
	if (len == 0) {
		weft_error_set(err, "segment %zu is empty", n);
		return false;
	}
	/* Name the segment only when it is safe to print. */
	for (size_t i = 0; i < len; i++) {
		if (!is_printable((unsigned char)seg[i])) {
			weft_error_set(err, "segment %zu has invalid byte 0x%02x", n,
				(unsigned char)seg[i]);
			return false;
		}
	}
	int shown = len > SHOWN_SEGMENT_MAX ? SHOWN_SEGMENT_MAX : (int)len;
	const char *more = len > SHOWN_SEGMENT_MAX ? "..." : "";
	if (!is_lower(seg[0])) {
		weft_error_set(err, "segment %zu '%.*s%s' must start with a lowercase letter", n,
			shown, seg, more);
		return false;
	}
	for (size_t i = 1; i < len; i++) {
		if (!is_lower(seg[i]) && !is_digit(seg[i])) {
			weft_error_set(err,
				"segment %zu '%.*s%s' has invalid character '%c' "
				"(only a-z and 0-9 are allowed)",
				n, shown, seg, more, seg[i]);
			return false;
		}
	}
	return true;
}

bool weft_app_id_valid(const char *id, struct weft_error *err)
{
	if (id == NULL || id[0] == '\0') {
		weft_error_set(err, "is empty");
		return false;
	}
	size_t len = strlen(id);
	if (len > WEFT_APP_ID_MAX) {
		weft_error_set(err, "is %zu bytes long, more than %d", len, WEFT_APP_ID_MAX);
		return false;
	}
	size_t n = 0;
	const char *seg = id;
	for (;;) {
		const char *dot = strchr(seg, '.');
		size_t seg_len = dot != NULL ? (size_t)(dot - seg) : strlen(seg);
		if (!check_segment(seg, seg_len, ++n, err)) {
			return false;
		}
		if (dot == NULL) {
			break;
		}
		seg = dot + 1;
	}
	if (n < MIN_SEGMENTS) {
		weft_error_set(err, "needs at least %d segments, has %zu", MIN_SEGMENTS, n);
		return false;
	}
	return true;
}
