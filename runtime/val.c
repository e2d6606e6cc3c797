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
