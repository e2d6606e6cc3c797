/*
 * Building component-model values for the Wasmtime C API. Every buffer in
 * a value handed back to Wasmtime must come from Wasmtime's own allocators
 * (wasm_byte_vec_new, wasmtime_component_val_new, ..._new_uninit), because
 * Wasmtime frees it.
 */
#ifndef WEFT_RUNTIME_VAL_H
#define WEFT_RUNTIME_VAL_H

#include <wasmtime.h>

#include "weft/common.h"

void val_string(wasmtime_component_val_t *val, const char *s, size_t len);
/* ok(s) as a string, or ok() when s is NULL. */
void val_result_ok(wasmtime_component_val_t *val, const char *s);
void val_result_err(wasmtime_component_val_t *val, const char *fmt, ...) WEFT_PRINTF(2, 3);

#endif
