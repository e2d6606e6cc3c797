/*
 * Package verification (weft_pkg_verify(), libweft/package.c) of a package
 * directory in a store, which appd runs at every launch: its names, file
 * types and signature.sig are whatever the package's author made them.
 *
 * The input describes the directory: records separated by NUL bytes, each a
 * type byte, a '/'-separated path, a newline, and the rest:
 *   f PATH \n CONTENT   a regular file
 *   d PATH \n           a directory
 *   l PATH \n TARGET    a symbolic link
 *   h PATH \n           a hard link to the last regular file
 *   p PATH \n           a fifo
 * Parents are made as needed. Paths with an empty, "." or ".." component
 * are skipped: no directory can hold such names. It is verified against
 * the demo key, which signed the seeds.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "weft/package.h"

static char dir[4096];
static unsigned char key[WEFT_PUBKEY_LEN];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level == 0) {
		return 0;
	}
	/* A directory without x or w cannot be emptied: give them back. */
	if (flag == FTW_DP) {
		chmod(path, 0700);
		return rmdir(path);
	}
	return unlink(path);
}

static void empty_dir(void)
{
	chmod(dir, 0700);
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		/* A directory left without x: open it up and go again. */
		if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
			perror("fuzz-package-verify: emptying the package");
			abort();
		}
	}
}

static void remove_all(void)
{
	empty_dir();
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct weft_error err = { 0 };
	if (!weft_key_read_public(WEFT_FUZZ_DEMO_KEY, key, &err)) {
		fprintf(stderr, "fuzz-package-verify: %s\n", err.msg);
		abort();
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/weft-fuzz-verify-XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz-package-verify: mkdtemp");
		abort();
	}
	atexit(remove_all);
	return 0;
}

static bool clean_path(const char *path)
{
	if (path[0] == '\0' || path[0] == '/') {
		return false;
	}
	for (const char *c = path; *c != '\0';) {
		size_t len = strcspn(c, "/");
		if (len == 0 || (len == 1 && c[0] == '.') ||
			(len == 2 && c[0] == '.' && c[1] == '.')) {
			return false;
		}
		c += len;
		if (*c == '/') {
			c++;
			if (*c == '\0') {
				return false;
			}
		}
	}
	return true;
}

/* The directory that holds path's last component, made as needed, never
 * through a symlink; *base is that component. */
static int open_parent(int rootfd, char *path, char **base)
{
	int dirfd = dup(rootfd);
	char *slash;
	while (dirfd >= 0 && (slash = strchr(path, '/')) != NULL) {
		*slash = '\0';
		mkdirat(dirfd, path, 0755);
		int next = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		close(dirfd);
		dirfd = next;
		path = slash + 1;
	}
	*base = path;
	return dirfd;
}

static void make_entry(int rootfd, char type, char *path, const char *content, size_t len,
	int *last)
{
	if (!clean_path(path)) {
		return;
	}
	char *base;
	int dirfd = open_parent(rootfd, path, &base);
	if (dirfd < 0) {
		return;
	}
	if (type == 'f') {
		int fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
		if (fd >= 0) {
			if (write(fd, content, len) != (ssize_t)len) {
				abort();
			}
			if (*last >= 0) {
				close(*last);
			}
			*last = fd;
		}
	} else if (type == 'd') {
		mkdirat(dirfd, base, 0755);
	} else if (type == 'l') {
		char *target = strndup(content, len);
		if (target != NULL) {
			symlinkat(target, dirfd, base);
		}
		free(target);
	} else if (type == 'h' && *last >= 0) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", *last);
		linkat(AT_FDCWD, proc, dirfd, base, AT_SYMLINK_FOLLOW);
	} else if (type == 'p') {
		mkfifoat(dirfd, base, 0644);
	}
	close(dirfd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rootfd = open(dir, O_RDONLY | O_DIRECTORY);
	FUZZ_CHECK(rootfd >= 0);
	char *input = fuzz_cstr(data, size);
	int last = -1;
	for (size_t at = 0; at < size;) {
		char *rec = input + at;
		size_t len = strlen(rec);
		at += len + 1;
		char *nl = strchr(rec, '\n');
		if (len < 2 || nl == NULL) {
			continue;
		}
		*nl = '\0';
		make_entry(rootfd, rec[0], rec + 1, nl + 1, len - (size_t)(nl + 1 - rec), &last);
	}
	if (last >= 0) {
		close(last);
	}
	close(rootfd);

	struct weft_error err = { 0 };
	size_t matched = 99;
	enum weft_verify_result r = weft_pkg_verify(dir,
		(const unsigned char(*)[WEFT_PUBKEY_LEN])key, 1, &matched, &err);
	FUZZ_CHECK(r == WEFT_VERIFY_OK ? matched == 0 : err.msg[0] != '\0');
	empty_dir();
	free(input);
	return 0;
}
