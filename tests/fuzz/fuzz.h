/*
 * What the harnesses share. Each is a libFuzzer target for one decoder that
 * a WEFT daemon runs on bytes it does not trust; a crash, a sanitizer report
 * or an abort() on a broken invariant is a finding (bench/fuzz).
 */
#ifndef WEFT_FUZZ_H
#define WEFT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A malloc'd copy of data with a NUL after it, as the daemons' receive
 * buffers have. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL) {
		abort();
	}
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A broken invariant: says which, and aborts so that libFuzzer keeps the input. */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "fuzz: %s:%d: invariant broken: %s\n", __FILE__, \
				__LINE__, #cond); \
			abort(); \
		} \
	} while (0)

#endif
