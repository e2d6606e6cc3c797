/*
 * weft-mount-helper: mounts a package image that `weft-pack build-image`
 * made (an EROFS image, its dm-verity hash tree beside it) read-only under
 * the caller's runtime directory, and unmounts it (design §5). Installed
 * setuid root: appd runs it as the user.
 *
 *     weft-mount-helper mount IMAGE ROOTHASH     prints the mount point
 *     weft-mount-helper unmount MOUNTPOINT
 *
 * What it trusts and what it does not:
 *
 * - Nothing of its caller but the real uid and the arguments: the
 *   environment is cleared (PATH fixed, no locale), every inherited fd
 *   beyond 0-2 is closed, the supplementary groups are dropped.
 * - IMAGE is the canonical absolute path of a file named <app id>.erofs
 *   directly in one of the image stores compiled in (WEFT_IMAGE_STORES); its
 *   hash tree is IMAGE.verity. Each directory from / down to the store, and
 *   both files, are opened one component at a time with O_NOFOLLOW and
 *   checked with fstat (owned by root, writable by nobody else, the files
 *   regular): no symlink, no file the caller could have put there or could
 *   change. The device is then set up from those open fds
 *   (/proc/self/fd/N), never from the path again.
 * - ROOTHASH is exactly 64 lowercase hex digits. The whole image is checked
 *   against it, as the caller, before anything is made
 *   (CRYPT_VERITY_CHECK_HASH, without a device: package images are small),
 *   so a tampered image is refused with a clear line; the kernel's dm-verity
 *   checks every block read from the device afterwards.
 * - It acts only in /run/user/<real uid>/weft/images/, which it makes owned
 *   by root (mode 0755), with one root-owned directory per image named
 *   <app id>-<first 16 digits of the root hash>. Unmount takes only such a
 *   path, and only when what is mounted there is the dm device that its
 *   name gives (weft-<uid>-<app id>-<hash prefix>, a verity device).
 * - Root only for the device-mapper and mount calls: the process runs as
 *   the real uid (all three uids) for everything else, and becomes root in
 *   all three uids only for those calls, so that the caller cannot signal
 *   it meanwhile. Run as root, it simply stays root. Root is not refused: it
 *   gains nothing it does not have, and WEFT runs as root on headless
 *   machines (`make run`).
 *
 * The device is made with libcryptsetup (crypt_init_data_device,
 * crypt_load(CRYPT_VERITY), crypt_activate_by_volume_key), not by running
 * veritysetup: no child process whose environment and output would need
 * care, no output to parse, the device name and flags are set here, and the
 * data and hash devices are given as the fds checked above. Its messages
 * reach stderr as one line through a log callback.
 *
 * Every error is one line on stderr and exit status 1 (2 for usage).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libcryptsetup.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef WEFT_IMAGE_STORES
#define WEFT_IMAGE_STORES "/usr/share/weft/apps:/var/lib/weft/images"
#endif
/* The directory that holds each user's runtime directory. */
#ifndef WEFT_RUNTIME_BASE
#define WEFT_RUNTIME_BASE "/run/user"
#endif

#define PROG "weft-mount-helper"
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define ROOT_HASH_HEX 64
#define HASH_PREFIX 16
/* Keeps the dm name, weft-<uid>-<id>-<prefix>, within DM_NAME_LEN (128). */
#define IMAGE_ID_MAX 80
#define ARG_MAX_LEN 1024
#define IMAGE_SUFFIX ".erofs"
#define VERITY_SUFFIX ".verity"
#define DM_DIR "/dev/mapper"

static const char usage[] = "Usage: " PROG " mount IMAGE ROOTHASH\n"
			    "       " PROG " unmount MOUNTPOINT\n";

static uid_t caller_uid;
static gid_t caller_gid;
/* Installed setuid root (or run by root): the saved uid is 0. */
static bool have_root;

/* A mount point directory that mount made, removed if mount fails. */
static int made_dirfd = -1;
static const char *made_name;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
	if (made_name != NULL) {
		unlinkat(made_dirfd, made_name, AT_REMOVEDIR);
	}
	exit(EXIT_FAIL);
}

static void die_usage(const char *what) __attribute__((noreturn));

static void die_usage(const char *what)
{
	fprintf(stderr, PROG ": %s (usage: " PROG " mount IMAGE ROOTHASH | unmount MOUNTPOINT)\n",
		what);
	exit(EXIT_USAGE);
}

/* fds 0-2 open (on /dev/null when the caller closed them), every other
 * inherited fd closed, no environment but a fixed PATH. */
static void sanitize_process(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) {
			_exit(EXIT_FAIL);
		}
	}
	if (close_range(3, ~0U, 0) < 0) {
		die("close inherited fds: %s", strerror(errno));
	}
	if (clearenv() != 0 || setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1) != 0) {
		die("cannot clear the environment");
	}
	umask(022);
}

/* Runs as the caller from here on, root kept only as the saved uid. */
static void drop_privileges(void)
{
	caller_uid = getuid();
	caller_gid = getgid();
	have_root = geteuid() == 0;
	if (have_root && setgroups(0, NULL) < 0) {
		die("setgroups: %s", strerror(errno));
	}
	if (have_root &&
		(setresgid(caller_gid, caller_gid, caller_gid) < 0 ||
			setresuid(caller_uid, caller_uid, 0) < 0)) {
		die("cannot drop privileges: %s", strerror(errno));
	}
}

static void become_root(void)
{
	if (!have_root) {
		die("not installed setuid root: cannot create the device or mount it");
	}
	if (setresuid(0, 0, 0) < 0 || setresgid(0, 0, 0) < 0) {
		die("cannot regain privileges: %s", strerror(errno));
	}
}

static void become_caller(void)
{
	if (setresgid(caller_gid, caller_gid, caller_gid) < 0 ||
		setresuid(caller_uid, caller_uid, 0) < 0) {
		die("cannot drop privileges: %s", strerror(errno));
	}
}

/* An app id: at least three dot-separated segments, each [a-z][a-z0-9]*. */
static bool app_id_valid(const char *id, size_t len)
{
	if (len == 0 || len > IMAGE_ID_MAX) {
		return false;
	}
	size_t segments = 1;
	bool seg_start = true;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];
		if (c == '.') {
			if (seg_start) {
				return false;
			}
			segments++;
			seg_start = true;
		} else if (seg_start ? (c >= 'a' && c <= 'z')
				     : ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
			seg_start = false;
		} else {
			return false;
		}
	}
	return !seg_start && segments >= 3;
}

static bool hex_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return s[len] == '\0';
}

/* Absolute, no empty, "." or ".." component, no trailing slash. */
static bool path_canonical(const char *path)
{
	if (path[0] != '/' || path[1] == '\0') {
		return false;
	}
	for (const char *p = path + 1;;) {
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);
		if (len == 0 || (len == 1 && p[0] == '.') ||
			(len == 2 && p[0] == '.' && p[1] == '.')) {
			return false;
		}
		if (*end == '\0') {
			return true;
		}
		p = end + 1;
	}
}

/* Owned by root and writable by no one else. */
static bool root_owned(const struct stat *st)
{
	return st->st_uid == 0 && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/*
 * Opens the directory dir (canonical) one component at a time from /, never
 * following a symlink; each must be owned by root and writable by no one
 * else, except that a directory above the last may be a root-owned sticky
 * one such as /tmp: there no one else can rename or remove the root-owned
 * entry below it that the walk checks next. Returns an O_PATH fd.
 */
static int open_trusted_dir(const char *dir)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		die("/: %s", strerror(errno));
	}
	char part[PATH_MAX];
	for (const char *p = dir + 1; *p != '\0';) {
		const char *end = strchrnul(p, '/');
		snprintf(part, sizeof(part), "%.*s", (int)(end - p), p);
		int next = openat(fd, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			die("%.*s: %s", (int)(end - dir), dir,
				errno == ELOOP || errno == ENOTDIR ? "not a directory (a symlink?)"
								   : strerror(errno));
		}
		close(fd);
		fd = next;
		struct stat st;
		if (fstat(fd, &st) < 0) {
			die("%.*s: %s", (int)(end - dir), dir, strerror(errno));
		}
		bool sticky_above = *end != '\0' && st.st_uid == 0 && (st.st_mode & S_ISVTX);
		if (!root_owned(&st) && !sticky_above) {
			die("%.*s: not owned by root or writable by others, refused",
				(int)(end - dir), dir);
		}
		p = *end == '/' ? end + 1 : end;
	}
	return fd;
}

/* A root-owned regular file name in the directory dirfd, read-only. */
static int open_trusted_file(int dirfd, const char *name, const char *path)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		die("%s: %s", path, errno == ELOOP ? "a symbolic link, refused" : strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		die("%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		die("%s: not a regular file", path);
	}
	if (!root_owned(&st)) {
		die("%s: not owned by root or writable by others, refused", path);
	}
	return fd;
}

/* IMAGE's store, a prefix of image in WEFT_IMAGE_STORES, or NULL. */
static char *image_store(const char *image)
{
	const char *base = strrchr(image, '/');
	size_t dir_len = (size_t)(base - image);
	for (const char *p = WEFT_IMAGE_STORES; *p != '\0';) {
		const char *end = strchrnul(p, ':');
		if ((size_t)(end - p) == dir_len && strncmp(p, image, dir_len) == 0) {
			return strndup(image, dir_len);
		}
		p = *end == ':' ? end + 1 : end;
	}
	return NULL;
}

static char *stores_list(void)
{
	char *list = strdup(WEFT_IMAGE_STORES);
	for (char *p = list; p != NULL && *p != '\0'; p++) {
		if (*p == ':') {
			*p = ',';
		}
	}
	return list;
}

struct image {
	char id[IMAGE_ID_MAX + 1];
	int image_fd, verity_fd;
};

/* Checks IMAGE and opens it and its hash tree (as the caller). */
static void image_open(struct image *img, const char *path)
{
	if (path[0] != '/') {
		die("%s: IMAGE must be an absolute path", path);
	}
	if (!path_canonical(path)) {
		die("%s: not a canonical path", path);
	}
	const char *base = strrchr(path, '/') + 1;
	size_t base_len = strlen(base);
	size_t suffix_len = strlen(IMAGE_SUFFIX);
	bool suffix = base_len > suffix_len &&
		strcmp(base + base_len - suffix_len, IMAGE_SUFFIX) == 0;
	if (!suffix || !app_id_valid(base, base_len - suffix_len)) {
		if (suffix && base_len - suffix_len > IMAGE_ID_MAX) {
			die("%s: not named <app id>" IMAGE_SUFFIX
			    " (an id of at most %d characters)",
				path, IMAGE_ID_MAX);
		}
		die("%s: not named <app id>" IMAGE_SUFFIX, path);
	}
	snprintf(img->id, sizeof(img->id), "%.*s", (int)(base_len - suffix_len), base);
	char *store = image_store(path);
	if (store == NULL) {
		char *list = stores_list();
		die("%s: not in an image store (%s)", path, list != NULL ? list : "");
	}
	int dirfd = open_trusted_dir(store);
	free(store);
	img->image_fd = open_trusted_file(dirfd, base, path);
	char verity_name[NAME_MAX + 1], verity_path[PATH_MAX];
	if (snprintf(verity_name, sizeof(verity_name), "%s" VERITY_SUFFIX, base) >=
			(int)sizeof(verity_name) ||
		snprintf(verity_path, sizeof(verity_path), "%s" VERITY_SUFFIX, path) >=
			(int)sizeof(verity_path)) {
		die("%s: name too long", path);
	}
	img->verity_fd = open_trusted_file(dirfd, verity_name, verity_path);
	close(dirfd);
}

/*
 * Opens (making the missing ones) /run/user/UID/weft/images as the caller:
 * the runtime directory must be the caller's, its weft/ too (made 0700 by
 * the caller), images/ owned by root (made 0755 as root). Returns an
 * O_PATH fd of images/, or -1 with errno ENOENT when it does not exist and
 * create is false.
 */
static int open_images_dir(bool create)
{
	char runtime[PATH_MAX];
	snprintf(runtime, sizeof(runtime), WEFT_RUNTIME_BASE "/%u", (unsigned)caller_uid);
	int fd = open(runtime, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		die("%s: %s", runtime, strerror(errno));
	}
	if (st.st_uid != caller_uid) {
		die("%s: not the caller's runtime directory", runtime);
	}
	int weft = openat(fd, "weft", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (weft < 0 && errno == ENOENT && create) {
		if (mkdirat(fd, "weft", 0700) < 0 && errno != EEXIST) {
			die("%s/weft: %s", runtime, strerror(errno));
		}
		weft = openat(fd, "weft", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (weft < 0) {
		if (errno == ENOENT && !create) {
			close(fd);
			return -1;
		}
		die("%s/weft: %s", runtime, strerror(errno));
	}
	close(fd);
	if (fstat(weft, &st) < 0 || st.st_uid != caller_uid) {
		die("%s/weft: not the caller's directory", runtime);
	}
	int images = openat(weft, "images", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (images < 0 && errno == ENOENT && create) {
		become_root();
		int r = mkdirat(weft, "images", 0755);
		int mkdir_errno = errno;
		become_caller();
		if (r < 0 && mkdir_errno != EEXIST) {
			die("%s/weft/images: %s", runtime, strerror(mkdir_errno));
		}
		images = openat(weft, "images", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (images < 0) {
		if (errno == ENOENT && !create) {
			close(weft);
			return -1;
		}
		die("%s/weft/images: %s", runtime, strerror(errno));
	}
	close(weft);
	if (fstat(images, &st) < 0 || !root_owned(&st)) {
		die("%s/weft/images: not owned by root or writable by others, refused", runtime);
	}
	return images;
}

static char crypt_message[512];

/* libcryptsetup's last error, kept for the one line printed on failure. */
static void handle_crypt_log(int level, const char *msg, void *data)
{
	if (level != CRYPT_LOG_ERROR) {
		return;
	}
	snprintf(crypt_message, sizeof(crypt_message), "%s", msg);
	size_t len = strlen(crypt_message);
	while (len > 0 && isspace((unsigned char)crypt_message[len - 1])) {
		crypt_message[--len] = '\0';
	}
	for (char *p = crypt_message; *p != '\0'; p++) {
		if (*p == '\n') {
			*p = ' ';
		}
	}
}

static const char *crypt_why(int r)
{
	return crypt_message[0] != '\0' ? crypt_message : strerror(-r);
}

/* The name (under /dev/mapper) of the device for the mount point name. */
static void dm_name(char *out, size_t size, const char *mp_name)
{
	snprintf(out, size, "weft-%u-%s", (unsigned)caller_uid, mp_name);
}

/* Is the device /dev/mapper/dm what is mounted at the fd mp? */
static bool mounted_from(int mp, const char *dm)
{
	char node[PATH_MAX];
	snprintf(node, sizeof(node), DM_DIR "/%s", dm);
	struct stat dev_st, mp_st;
	return stat(node, &dev_st) == 0 && S_ISBLK(dev_st.st_mode) && fstat(mp, &mp_st) == 0 &&
		mp_st.st_dev == dev_st.st_rdev;
}

/* Is dm a dm-verity device? As root. */
static bool is_verity(const char *dm)
{
	struct crypt_device *cd = NULL;
	bool verity = crypt_init_by_name(&cd, dm) == 0 && crypt_get_type(cd) != NULL &&
		strcmp(crypt_get_type(cd), CRYPT_VERITY) == 0;
	crypt_free(cd);
	return verity;
}

static void hex_decode(const char *hex, char *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (char)v;
	}
}

/*
 * A libcryptsetup context of the image and its hash tree, loaded from the
 * hash tree's superblock, with flags (CRYPT_VERITY_CHECK_HASH or 0).
 */
static struct crypt_device *verity_load(const struct image *img, const char *image_path,
	uint32_t flags)
{
	char data[64], hash_dev[64];
	snprintf(data, sizeof(data), "/proc/self/fd/%d", img->image_fd);
	snprintf(hash_dev, sizeof(hash_dev), "/proc/self/fd/%d", img->verity_fd);
	struct crypt_device *cd = NULL;
	crypt_message[0] = '\0';
	int r = crypt_init_data_device(&cd, hash_dev, data);
	if (r < 0) {
		die("%s: cannot open the image: %s", image_path, crypt_why(r));
	}
	crypt_set_log_callback(cd, handle_crypt_log, NULL);
	struct crypt_params_verity params = { .flags = flags };
	r = crypt_load(cd, CRYPT_VERITY, &params);
	if (r < 0) {
		crypt_free(cd);
		die("%s" VERITY_SUFFIX ": not a dm-verity hash tree: %s", image_path,
			crypt_why(r));
	}
	return cd;
}

/*
 * Reads the whole image, as the caller, and checks it against the root hash:
 * a tampered image is refused here with a clear line, before anything is
 * made (the kernel checks again every block read from the device).
 */
static void verity_verify(const struct image *img, const char *image_path, const char *key)
{
	struct crypt_device *cd = verity_load(img, image_path, CRYPT_VERITY_CHECK_HASH);
	crypt_message[0] = '\0';
	int r = crypt_activate_by_volume_key(cd, NULL, key, ROOT_HASH_HEX / 2,
		CRYPT_ACTIVATE_READONLY);
	crypt_free(cd);
	/* -EPERM: a data block differs, -EFAULT: the root hash. */
	if (r == -EPERM || r == -EFAULT) {
		die("%s: does not match its root hash (tampered, or the wrong hash)", image_path);
	}
	if (r < 0) {
		die("%s: cannot check the image: %s", image_path, crypt_why(r));
	}
}

/* As root: the verity device dm over the image. */
static void verity_activate(const struct image *img, const char *image_path, const char *key,
	const char *dm)
{
	struct crypt_device *cd = verity_load(img, image_path, 0);
	crypt_message[0] = '\0';
	int r = crypt_activate_by_volume_key(cd, dm, key, ROOT_HASH_HEX / 2,
		CRYPT_ACTIVATE_READONLY);
	if (r == -EEXIST) {
		/* Left by a helper that was killed before it mounted: the
		 * mount point was checked to hold no mount. */
		crypt_message[0] = '\0';
		if (crypt_deactivate(cd, dm) == 0) {
			r = crypt_activate_by_volume_key(cd, dm, key, ROOT_HASH_HEX / 2,
				CRYPT_ACTIVATE_READONLY);
		}
	}
	crypt_free(cd);
	if (r == -EPERM || r == -EFAULT) {
		die("%s: does not match its root hash (tampered, or the wrong hash)", image_path);
	}
	if (r < 0) {
		die("%s: cannot create the dm-verity device: %s", image_path, crypt_why(r));
	}
}

static int cmd_mount(const char *image_path, const char *hash)
{
	size_t hash_len = strlen(hash);
	if (hash_len != ROOT_HASH_HEX || !hex_valid(hash, hash_len)) {
		die("ROOTHASH must be %d lowercase hex digits", ROOT_HASH_HEX);
	}
	struct image img;
	image_open(&img, image_path);
	char key[ROOT_HASH_HEX / 2];
	hex_decode(hash, key, sizeof(key));
	verity_verify(&img, image_path, key);

	char mp_name[IMAGE_ID_MAX + HASH_PREFIX + 2], dm[128];
	snprintf(mp_name, sizeof(mp_name), "%s-%.*s", img.id, HASH_PREFIX, hash);
	dm_name(dm, sizeof(dm), mp_name);
	if (!have_root) {
		die("not installed setuid root: cannot create the device or mount it");
	}
	if (access(DM_DIR "/control", F_OK) < 0) {
		die("device-mapper not available (no " DM_DIR "/control)");
	}
	int images = open_images_dir(true);
	char mountpoint[PATH_MAX];
	snprintf(mountpoint, sizeof(mountpoint), WEFT_RUNTIME_BASE "/%u/weft/images/%s",
		(unsigned)caller_uid, mp_name);

	become_root();
	if (mkdirat(images, mp_name, 0755) < 0 && errno != EEXIST) {
		die("%s: %s", mountpoint, strerror(errno));
	}
	int mp = openat(images, mp_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st, images_st;
	if (mp < 0 || fstat(mp, &st) < 0 || fstat(images, &images_st) < 0) {
		die("%s: %s", mountpoint, strerror(errno));
	}
	if (mounted_from(mp, dm) && is_verity(dm)) {
		/* Mounted already, by an earlier call. */
		printf("%s\n", mountpoint);
		return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
	}
	if (!root_owned(&st) || st.st_dev != images_st.st_dev) {
		die("%s: not an empty directory made by " PROG, mountpoint);
	}
	made_dirfd = images;
	made_name = mp_name;

	verity_activate(&img, image_path, key, dm);
	char node[PATH_MAX], target[64];
	snprintf(node, sizeof(node), DM_DIR "/%s", dm);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", mp);
	if (mount(node, target, "erofs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		int mount_errno = errno;
		crypt_deactivate(NULL, dm);
		die("%s: mount: %s", image_path, strerror(mount_errno));
	}
	made_name = NULL;
	become_caller();
	printf("%s\n", mountpoint);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

/* The name of a mount point this helper makes: <app id>-<16 hex>. */
static bool mount_name_valid(const char *name)
{
	size_t len = strlen(name);
	if (len < HASH_PREFIX + 2 || name[len - HASH_PREFIX - 1] != '-') {
		return false;
	}
	return hex_valid(name + len - HASH_PREFIX, HASH_PREFIX) &&
		app_id_valid(name, len - HASH_PREFIX - 1);
}

static int cmd_unmount(const char *mountpoint)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), WEFT_RUNTIME_BASE "/%u/weft/images/", (unsigned)caller_uid);
	if (strncmp(mountpoint, dir, strlen(dir)) != 0) {
		die("%s: not a mount point made by " PROG, mountpoint);
	}
	const char *name = mountpoint + strlen(dir);
	if (strchr(name, '/') != NULL || !mount_name_valid(name)) {
		die("%s: not a mount point made by " PROG, mountpoint);
	}
	int images = open_images_dir(false);
	int mp = images < 0 ? -1
			    : openat(images, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (mp < 0) {
		die("%s: not a mount point made by " PROG, mountpoint);
	}
	char dm[128];
	dm_name(dm, sizeof(dm), name);
	if (!mounted_from(mp, dm)) {
		die("%s: not a mount point made by " PROG, mountpoint);
	}
	become_root();
	if (!is_verity(dm)) {
		die("%s: not a mount point made by " PROG, mountpoint);
	}
	/* The mount the fd is on, whatever became of the path meanwhile;
	 * detached, since the fd itself keeps it busy. */
	char target[64];
	snprintf(target, sizeof(target), "/proc/self/fd/%d", mp);
	if (umount2(target, MNT_DETACH) < 0) {
		die("%s: unmount: %s", mountpoint, strerror(errno));
	}
	close(mp);
	crypt_set_log_callback(NULL, handle_crypt_log, NULL);
	/* Deferred: gone once the last file open on it is closed. */
	int r = crypt_deactivate_by_name(NULL, dm, CRYPT_DEACTIVATE_DEFERRED);
	if (r < 0) {
		die("%s: remove the device %s: %s", mountpoint, dm, crypt_why(r));
	}
	if (unlinkat(images, name, AT_REMOVEDIR) < 0) {
		die("%s: remove the directory: %s", mountpoint, strerror(errno));
	}
	become_caller();
	return 0;
}

int main(int argc, char *argv[])
{
	sanitize_process();
	drop_privileges();
	crypt_set_log_callback(NULL, handle_crypt_log, NULL);

	if (argc < 2) {
		die_usage("missing command");
	}
	for (int i = 1; i < argc; i++) {
		if (strlen(argv[i]) > ARG_MAX_LEN) {
			die_usage("argument too long");
		}
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "mount") == 0) {
		if (argc != 4) {
			die_usage("mount takes IMAGE and ROOTHASH");
		}
		return cmd_mount(argv[2], argv[3]);
	}
	if (strcmp(cmd, "unmount") == 0) {
		if (argc != 3) {
			die_usage("unmount takes MOUNTPOINT");
		}
		return cmd_unmount(argv[2]);
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	die_usage("unknown command");
}
