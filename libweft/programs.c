/*
 * How WEFT's programs find each other (weft/programs.h): the same lookup
 * in a build tree, a DESTDIR-staged tree and an installed prefix.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "weft/install-paths.h"
#include "weft/programs.h"

static bool executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *weft_find_program(const char *name, const char *build_dir)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		const char *dir = dirname(self);
		/* Installed side by side, then the build tree's layout. */
		char *candidates[] = {
			weft_strdup_printf("%s/%s", dir, name),
			weft_strdup_printf("%s/../%s/%s", dir, build_dir, name),
		};
		char *found = NULL;
		bool oom = false;
		for (size_t i = 0; i < 2; i++) {
			oom = oom || candidates[i] == NULL;
			if (found == NULL && candidates[i] != NULL && executable(candidates[i])) {
				found = realpath(candidates[i], NULL);
			}
			free(candidates[i]);
		}
		if (found != NULL || oom) {
			return found;
		}
	}
	return weft_strdup_printf("%s/%s", WEFT_BINDIR, name);
}

char *weft_find_data_dir(const char *exe, const char *name)
{
	char self[PATH_MAX];
	if (exe == NULL) {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
	} else {
		snprintf(self, sizeof(self), "%s", exe);
	}
	if (self[0] == '/') {
		char *candidate = weft_strdup_printf("%s/../%s", dirname(self), name);
		if (candidate == NULL) {
			return NULL;
		}
		struct stat st;
		char *found = stat(candidate, &st) == 0 && S_ISDIR(st.st_mode)
			? realpath(candidate, NULL)
			: NULL;
		free(candidate);
		if (found != NULL) {
			return found;
		}
	}
	return weft_strdup_printf("%s/%s", WEFT_DATADIR, name);
}

char *weft_shell_quote(const char *path)
{
	size_t len = 3;
	for (const char *p = path; *p != '\0'; p++) {
		len += *p == '\'' ? 4 : 1;
	}
	char *quoted = malloc(len);
	if (quoted == NULL) {
		return NULL;
	}
	char *q = quoted;
	*q++ = '\'';
	for (const char *p = path; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(q, "'\\''", 4);
			q += 4;
		} else {
			*q++ = *p;
		}
	}
	*q++ = '\'';
	*q = '\0';
	return quoted;
}
