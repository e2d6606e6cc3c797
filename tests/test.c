#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

bool test_failed;
const char *test_skipped;

void test_skip(const char *reason)
{
	test_skipped = reason;
}

int test_main(const struct test_case *cases, size_t n, int argc, char **argv)
{
	size_t failures = 0, run = 0;
	printf("TAP version 13\n");
	for (size_t i = 0; i < n; i++) {
		bool wanted = argc < 2;
		for (int a = 1; a < argc; a++) {
			wanted |= strcmp(argv[a], cases[i].name) == 0;
		}
		if (!wanted) {
			continue;
		}
		test_failed = false;
		test_skipped = NULL;
		cases[i].fn();
		run++;
		if (test_skipped != NULL && !test_failed) {
			printf("ok %zu - %s # SKIP %s\n", run, cases[i].name, test_skipped);
		} else {
			printf("%s %zu - %s\n", test_failed ? "not ok" : "ok", run, cases[i].name);
		}
		fflush(stdout);
		failures += test_failed;
	}
	printf("1..%zu\n", run);
	return failures == 0 && run > 0 ? 0 : 1;
}

char *test_mkdtemp(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	snprintf(tmpl, sizeof(tmpl), "%s/weft-test-XXXXXX", base ? base : "/tmp");
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return strdup(tmpl);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void test_rmtree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void test_write_file(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			perror(path);
			abort();
		}
		*p = '/';
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		abort();
	}
}
