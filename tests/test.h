/*
 * A minimal unit-test harness for the C tests: each test program lists its
 * cases in a table and calls test_main(), which runs them all (or the ones
 * named on the command line) and prints TAP.
 */
#ifndef WEFT_TEST_H
#define WEFT_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

extern bool test_failed;
/* Set by test_skip(): the case is reported "ok ... # SKIP reason". */
extern const char *test_skipped;

/* Marks the current case skipped, for a reason that must stay valid. */
void test_skip(const char *reason);

/* clang-format off */
#define TEST_CASE(fn) { #fn, fn }
/* clang-format on */

#define EXPECT(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "# %s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
			test_failed = true; \
		} \
	} while (0)

#define EXPECT_STR_EQ(a, b) \
	do { \
		const char *_a = (a), *_b = (b); \
		if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0) { \
			fprintf(stderr, "# %s:%d: expected %s == \"%s\", got \"%s\"\n", __FILE__, \
				__LINE__, #a, _b ? _b : "(null)", _a ? _a : "(null)"); \
			test_failed = true; \
		} \
	} while (0)

/* Stops the current case: what follows depends on cond. */
#define ASSERT(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "# %s:%d: assertion %s failed\n", __FILE__, __LINE__, \
				#cond); \
			test_failed = true; \
			return; \
		} \
	} while (0)

int test_main(const struct test_case *cases, size_t n, int argc, char **argv);

/* A fresh temporary directory (removed by test_rmtree()); aborts on failure. */
char *test_mkdtemp(void);
void test_rmtree(const char *path);
/* Writes len bytes to dir/rel, creating parent directories; aborts on failure. */
void test_write_file(const char *dir, const char *rel, const void *data, size_t len);

#endif
