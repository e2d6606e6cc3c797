#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "val.h"

void val_string(wasmtime_component_val_t *val, const char *s, size_t len)
{
	val->kind = WASMTIME_COMPONENT_STRING;
	wasm_byte_vec_new(&val->of.string, len, s);
}

void val_result_ok(wasmtime_component_val_t *val, const char *s)
{
	val->kind = WASMTIME_COMPONENT_RESULT;
	val->of.result.is_ok = true;
	val->of.result.val = NULL;
	if (s != NULL) {
		wasmtime_component_val_t inner;
		val_string(&inner, s, strlen(s));
		val->of.result.val = wasmtime_component_val_new(&inner);
	}
}

void val_result_err(wasmtime_component_val_t *val, const char *fmt, ...)
{
	char msg[1024];
	va_list args;
	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);

	wasmtime_component_val_t inner;
	val_string(&inner, msg, strlen(msg));
	val->kind = WASMTIME_COMPONENT_RESULT;
	val->of.result.is_ok = false;
	val->of.result.val = wasmtime_component_val_new(&inner);
}

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
bool val_utf8_valid(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0;
	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n >= len) {
			return false;
		}
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				return false;
			}
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
			(n == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
			return false;
		}
		i += n + 1;
	}
	return true;
}
