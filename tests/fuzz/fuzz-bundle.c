/*
 * A bundle (.weftpkg, pack/bundle.c) extracted into a temporary store as
 * `weft-pack install` and `unbundle` do. Besides the sanitizers, it checks
 * that nothing escapes: the store holds only the package directory and an
 * untouched canary next to it, and the package only regular files and
 * directories, each file with one link.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "pack.h"

#define CANARY "canary"
#define CANARY_TEXT "left alone"
#define PKG "pkg"

static char root[4096]; /* holds only "store" */
static int rootfd = -1, storefd = -1;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_all(void)
{
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(root, sizeof(root), "%s/weft-fuzz-bundle-XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(root) == NULL || (rootfd = open(root, O_RDONLY | O_DIRECTORY)) < 0 ||
		mkdirat(rootfd, "store", 0755) < 0 ||
		(storefd = openat(rootfd, "store", O_RDONLY | O_DIRECTORY)) < 0) {
		perror("fuzz-bundle: temporary store");
		abort();
	}
	int fd = openat(storefd, CANARY, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, CANARY_TEXT, strlen(CANARY_TEXT)) < 0 || close(fd) < 0) {
		perror("fuzz-bundle: canary");
		abort();
	}
	atexit(remove_all);
	return 0;
}

/* Only name (and "." "..") in the directory dirfd. */
static void check_only(int dirfd, const char *a, const char *b)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY);
	FUZZ_CHECK(fd >= 0);
	DIR *dir = fdopendir(fd);
	FUZZ_CHECK(dir != NULL);
	struct dirent *d;
	while ((d = readdir(dir)) != NULL) {
		const char *n = d->d_name;
		FUZZ_CHECK(strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, a) == 0 ||
			(b != NULL && strcmp(n, b) == 0));
	}
	closedir(dir);
}

/* Every entry under dirfd a directory or a regular file with one link;
 * removes them on the way out. */
static void check_and_remove(int dirfd, int depth)
{
	FUZZ_CHECK(depth <= 64);
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY);
	FUZZ_CHECK(fd >= 0);
	DIR *dir = fdopendir(fd);
	FUZZ_CHECK(dir != NULL);
	struct dirent *d;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) {
			continue;
		}
		struct stat st;
		FUZZ_CHECK(fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0);
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			FUZZ_CHECK(sub >= 0);
			check_and_remove(sub, depth + 1);
			close(sub);
			FUZZ_CHECK(unlinkat(dirfd, d->d_name, AT_REMOVEDIR) == 0);
		} else {
			FUZZ_CHECK(S_ISREG(st.st_mode) && st.st_nlink == 1);
			FUZZ_CHECK(unlinkat(dirfd, d->d_name, 0) == 0);
		}
	}
	closedir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FUZZ_CHECK(mkdirat(storefd, PKG, 0755) == 0);
	int pkgfd = openat(storefd, PKG, O_RDONLY | O_DIRECTORY);
	FUZZ_CHECK(pkgfd >= 0);
	struct weft_error err = { 0 };
	bool ok = pack_bundle_extract_memory(data, size, "fuzz.weftpkg", pkgfd, &err);
	FUZZ_CHECK(ok || err.msg[0] != '\0');

	check_only(rootfd, "store", NULL);
	check_only(storefd, CANARY, PKG);
	char text[64] = { 0 };
	int fd = openat(storefd, CANARY, O_RDONLY | O_NOFOLLOW);
	FUZZ_CHECK(fd >= 0 && read(fd, text, sizeof(text) - 1) >= 0);
	close(fd);
	FUZZ_CHECK(strcmp(text, CANARY_TEXT) == 0);

	check_and_remove(pkgfd, 0);
	close(pkgfd);
	FUZZ_CHECK(unlinkat(storefd, PKG, AT_REMOVEDIR) == 0);
	return 0;
}
