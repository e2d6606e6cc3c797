/*
 * The guest's linear memories, allocated here so that the memory cap is
 * enforced where we can see it. Wasmtime's store limiter would enforce it
 * too, but its C API never tells the embedder that it refused a
 * memory.grow: the guest's malloc fails, the guest aborts, and the trap
 * looks like any other. Refusing the growth ourselves lets main say why the
 * guest stopped.
 *
 * Each memory is one PROT_NONE reservation of the size Wasmtime asks for
 * (its compiled code elides bounds checks within it), with guard regions
 * on both sides; growing makes more of it readable and writable, in place.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime.h"
#include "weft/log.h"

struct guest_memory {
	struct runtime_memory_limit *limit;
	uint8_t *map; /* guard, then capacity bytes, then guard */
	size_t map_len;
	uint8_t *base;
	size_t size; /* bytes the guest may use */
	size_t accessible; /* size rounded up to the host page */
	size_t capacity; /* reserved: the memory never moves */
};

static size_t page_round_up(size_t n, size_t page)
{
	return n > SIZE_MAX - (page - 1) ? SIZE_MAX : (n + page - 1) / page * page;
}

static void note_denied(struct runtime_memory_limit *limit, size_t want)
{
	size_t seen = atomic_load(&limit->denied_bytes);
	while (want > seen && !atomic_compare_exchange_weak(&limit->denied_bytes, &seen, want)) {
	}
}

static wasmtime_error_t *error_new(const char *fmt, ...) WEFT_PRINTF(1, 2);

static wasmtime_error_t *error_new(const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return wasmtime_error_new(msg);
}

static uint8_t *get_memory(void *env, size_t *byte_size, size_t *byte_capacity)
{
	struct guest_memory *m = env;
	*byte_size = m->size;
	*byte_capacity = m->capacity;
	return m->base;
}

static wasmtime_error_t *grow_memory(void *env, size_t new_size)
{
	struct guest_memory *m = env;
	if (new_size > m->limit->max_bytes) {
		note_denied(m->limit, new_size);
		return error_new("memory limit reached: %zu bytes wanted, %zu allowed", new_size,
			m->limit->max_bytes);
	}
	if (new_size > m->capacity) {
		return error_new("memory of %zu bytes cannot grow past its reservation of %zu",
			new_size, m->capacity);
	}
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t accessible = page_round_up(new_size, page);
	if (accessible > m->accessible &&
		mprotect(m->base + m->accessible, accessible - m->accessible,
			PROT_READ | PROT_WRITE) != 0) {
		return error_new("mprotect %zu bytes at offset %zu failed",
			accessible - m->accessible, m->accessible);
	}
	if (accessible > m->accessible) {
		m->accessible = accessible;
	}
	m->size = new_size;
	return NULL;
}

static void free_memory(void *env)
{
	struct guest_memory *m = env;
	if (m->map != NULL) {
		munmap(m->map, m->map_len);
	}
	free(m);
}

static wasmtime_error_t *new_memory(void *env, const wasm_memorytype_t *ty, size_t minimum,
	size_t maximum, size_t reserved, size_t guard, wasmtime_linear_memory_t *out)
{
	(void)ty;
	struct runtime_memory_limit *limit = env;
	if (minimum > limit->max_bytes) {
		note_denied(limit, minimum);
		return error_new("the guest needs %zu bytes of memory to start, over the limit of "
				 "%zu",
			minimum, limit->max_bytes);
	}
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	/* Wasmtime always names a reservation; without one, reserve up to the
	 * cap so that the memory never has to move. */
	size_t capacity = reserved > 0
		? reserved
		: page_round_up(maximum < limit->max_bytes ? maximum : limit->max_bytes, page);
	guard = page_round_up(guard > 0 ? guard : page, page);
	if (capacity < minimum || capacity % page != 0 || capacity > SIZE_MAX - 2 * guard) {
		return error_new("bad memory reservation of %zu bytes for %zu", capacity, minimum);
	}

	struct guest_memory *m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return wasmtime_error_new("out of memory");
	}
	m->limit = limit;
	m->capacity = capacity;
	m->map_len = guard + capacity + guard;
	void *map = mmap(NULL, m->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		-1, 0);
	if (map == MAP_FAILED) {
		int e = errno;
		free(m);
		return error_new("reserve %zu bytes for a linear memory: %s", capacity,
			strerror(e));
	}
	m->map = map;
	m->base = m->map + guard;
	wasmtime_error_t *error = grow_memory(m, minimum);
	if (error != NULL) {
		free_memory(m);
		return error;
	}
	out->env = m;
	out->get_memory = get_memory;
	out->grow_memory = grow_memory;
	out->finalizer = free_memory;
	return NULL;
}

void runtime_memory_configure(wasm_config_t *config, struct runtime_memory_limit *limit)
{
	wasmtime_memory_creator_t creator = {
		.env = limit,
		.new_memory = new_memory,
		.finalizer = NULL,
	};
	wasmtime_config_host_memory_creator_set(config, &creator);
	/* Copy-on-write images need memories Wasmtime mapped itself. */
	wasmtime_config_memory_init_cow_set(config, false);
}
