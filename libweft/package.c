/*
 * Package scanning, digest, signing and verification (design §5).
 *
 * The whole tree is walked relative to directory fds with O_NOFOLLOW, so that
 * a package swapped under us cannot lead the scan outside of it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "weft/package.h"

/* Large reads keep hashing, not syscalls, the cost of a scan. */
#define READ_BUF_SIZE (256 * 1024)

struct scan {
	struct weft_pkg_tally tally; /* its limits filled in */
	bool refuse_hardlinks;
	unsigned char *buf;
	struct weft_pkg_files *out;
	struct weft_error *err;
};

bool weft_crypto_init(struct weft_error *err)
{
	/* sodium_init() takes its own lock and does nothing after the first call. */
	if (sodium_init() < 0) {
		weft_error_set(err, "libsodium failed to initialise");
		return false;
	}
	return true;
}

void weft_hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	} else if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	} else if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

static bool hex_decode_n(const char *in, size_t n, unsigned char *out, size_t len)
{
	if (n != 2 * len) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			return false;
		}
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

bool weft_hex_decode(const char *in, unsigned char *out, size_t len)
{
	return hex_decode_n(in, strnlen(in, 2 * len + 1), out, len);
}

enum weft_hexfile_result weft_hexfile_read(int dirfd, const char *path, int open_flags,
	unsigned char *out, size_t len, struct stat *st, struct weft_error *err)
{
	/* O_NONBLOCK: a fifo in place of the file must not hang us in open(). */
	int fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | open_flags);
	if (fd < 0) {
		int saved = errno;
		weft_error_errno(err, "open %s", path);
		return saved == ENOENT ? WEFT_HEXFILE_MISSING : WEFT_HEXFILE_ERROR;
	}
	struct stat fst;
	if (fstat(fd, &fst) < 0) {
		weft_error_errno(err, "stat %s", path);
		close(fd);
		return WEFT_HEXFILE_ERROR;
	}
	if (!S_ISREG(fst.st_mode)) {
		weft_error_set(err, "%s is not a regular file", path);
		close(fd);
		return WEFT_HEXFILE_ERROR;
	}
	if (st != NULL) {
		*st = fst;
	}

	/* One byte more than the longest valid content tells "too long" apart. */
	char buf[2 * WEFT_SIGNATURE_LEN + 2];
	size_t want = 2 * len + 2, n = 0;
	enum weft_hexfile_result result = WEFT_HEXFILE_OK;
	while (n < want) {
		ssize_t r = read(fd, buf + n, want - n);
		if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0) {
			weft_error_errno(err, "read %s", path);
			result = WEFT_HEXFILE_ERROR;
			break;
		} else if (r == 0) {
			break;
		}
		n += (size_t)r;
	}
	close(fd);

	if (result == WEFT_HEXFILE_OK) {
		size_t digits = n > 0 && buf[n - 1] == '\n' ? n - 1 : n;
		if (!hex_decode_n(buf, digits, out, len)) {
			weft_error_set(err, "%s: expected %zu hex digits and an optional newline",
				path, 2 * len);
			result = WEFT_HEXFILE_MALFORMED;
		}
	}
	/* The buffer may have held a private key. */
	sodium_memzero(buf, sizeof(buf));
	return result;
}

static bool push_file(struct weft_pkg_files *files, char *path, uint64_t size,
	const unsigned char sha256[WEFT_SHA256_LEN])
{
	if (files->len == files->cap) {
		size_t cap = files->cap ? files->cap * 2 : 64;
		struct weft_pkg_file *items = realloc(files->items, cap * sizeof(*items));
		if (items == NULL) {
			return false;
		}
		files->items = items;
		files->cap = cap;
	}
	struct weft_pkg_file *file = &files->items[files->len++];
	file->path = path;
	file->size = size;
	memcpy(file->sha256, sha256, WEFT_SHA256_LEN);
	return true;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISLNK(mode)) {
		return "a symbolic link";
	} else if (S_ISCHR(mode)) {
		return "a character device";
	} else if (S_ISBLK(mode)) {
		return "a block device";
	} else if (S_ISFIFO(mode)) {
		return "a fifo";
	} else if (S_ISSOCK(mode)) {
		return "a socket";
	}
	return "not a regular file or directory";
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Takes ownership of rel, which becomes the file's path in s->out. */
static bool hash_file(struct scan *s, int dirfd, const char *name, char *rel,
	const struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		weft_error_errno(s->err, "open %s", rel);
		free(rel);
		return false;
	}
	struct stat fst;
	if (fstat(fd, &fst) < 0) {
		weft_error_errno(s->err, "stat %s", rel);
		goto fail;
	}
	if (!S_ISREG(fst.st_mode) || !same_file(st, &fst)) {
		weft_error_set(s->err, "%s changed while the package was read", rel);
		goto fail;
	}
	/* Only advice: the scan is correct whether or not the kernel takes it. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	crypto_hash_sha256_state state;
	crypto_hash_sha256_init(&state);
	uint64_t size = 0;
	for (;;) {
		ssize_t r = read(fd, s->buf, READ_BUF_SIZE);
		if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0) {
			weft_error_errno(s->err, "read %s", rel);
			goto fail;
		} else if (r == 0) {
			break;
		}
		size += (uint64_t)r;
		/* The size was counted before reading; a file that grows is caught here. */
		if (size > s->tally.max_file_size) {
			weft_error_set(s->err,
				"%s grew over the file size limit of %" PRIu64
				" bytes while being read",
				rel, s->tally.max_file_size);
			goto fail;
		}
		crypto_hash_sha256_update(&state, s->buf, (unsigned long long)r);
	}
	close(fd);

	/* Account for what was read, not for what stat said before. */
	s->tally.total_size = s->tally.total_size - (uint64_t)st->st_size + size;
	if (s->tally.total_size > s->tally.max_total_size) {
		weft_error_set(s->err, "package too large (limit %" PRIu64 " bytes)",
			s->tally.max_total_size);
		free(rel);
		return false;
	}
	unsigned char sha256[WEFT_SHA256_LEN];
	crypto_hash_sha256_final(&state, sha256);
	if (!push_file(s->out, rel, size, sha256)) {
		weft_error_set(s->err, "out of memory");
		free(rel);
		return false;
	}
	return true;

fail:
	close(fd);
	free(rel);
	return false;
}

static bool scan_dir(struct scan *s, int fd, const char *prefix, int depth);

static bool scan_entry(struct scan *s, int dirfd, const char *name, const char *prefix, int depth)
{
	char *rel = prefix[0] == '\0' ? strdup(name) : weft_path_join(prefix, name);
	if (rel == NULL) {
		weft_error_set(s->err, "out of memory");
		return false;
	}
	if (!weft_pkg_path_check(rel, s->err)) {
		goto fail;
	}

	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		weft_error_errno(s->err, "stat %s", rel);
		goto fail;
	}

	if (S_ISDIR(st.st_mode)) {
		if (!weft_pkg_tally_add(&s->tally, rel, true, 0, s->err)) {
			goto fail;
		}
		int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			weft_error_errno(s->err, "open %s", rel);
			goto fail;
		}
		struct stat fst;
		if (fstat(fd, &fst) < 0 || !same_file(&st, &fst)) {
			weft_error_set(s->err, "%s changed while the package was read", rel);
			close(fd);
			goto fail;
		}
		bool ok = scan_dir(s, fd, rel, depth + 1);
		free(rel);
		return ok;
	}

	if (!S_ISREG(st.st_mode)) {
		weft_error_set(s->err,
			"%s is %s; a package holds only regular files and directories", rel,
			file_kind(st.st_mode));
		goto fail;
	}
	if (depth == 0 && strcmp(name, WEFT_SIGNATURE_FILE) == 0) {
		free(rel);
		return true;
	}
	if (s->refuse_hardlinks && st.st_nlink > 1) {
		weft_error_set(s->err, "%s has %ju hard links", rel, (uintmax_t)st.st_nlink);
		goto fail;
	}
	/* Counted before reading, so that a huge sparse file costs nothing. */
	if (!weft_pkg_tally_add(&s->tally, rel, false, (uint64_t)st.st_size, s->err)) {
		goto fail;
	}
	return hash_file(s, dirfd, name, rel, &st);

fail:
	free(rel);
	return false;
}

/* Takes ownership of fd. */
static bool scan_dir(struct scan *s, int fd, const char *prefix, int depth)
{
	DIR *dir = fdopendir(fd);
	if (dir == NULL) {
		weft_error_errno(s->err, "open %s", prefix[0] == '\0' ? "." : prefix);
		close(fd);
		return false;
	}
	bool ok = true;
	for (;;) {
		errno = 0;
		struct dirent *ent = readdir(dir);
		if (ent == NULL) {
			if (errno != 0) {
				weft_error_errno(s->err, "read directory %s",
					prefix[0] == '\0' ? "." : prefix);
				ok = false;
			}
			break;
		}
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) {
			continue;
		}
		if (!scan_entry(s, dirfd(dir), ent->d_name, prefix, depth)) {
			ok = false;
			break;
		}
	}
	closedir(dir);
	return ok;
}

static int compare_files(const void *a, const void *b)
{
	const struct weft_pkg_file *fa = a, *fb = b;
	/* strcmp() compares as unsigned char: bytewise, as the digest requires. */
	return strcmp(fa->path, fb->path);
}

/* Scans the directory open at dirfd; dirfd stays the caller's. */
static bool scan_fd(int dirfd, const struct weft_scan_opts *opts, struct weft_pkg_files *out,
	struct weft_error *err)
{
	*out = (struct weft_pkg_files){ 0 };
	struct scan s = {
		.out = out,
		.err = err,
	};
	if (opts != NULL) {
		s.tally.max_file_size = opts->max_file_size;
		s.tally.max_total_size = opts->max_total_size;
		s.tally.max_files = opts->max_files;
		s.tally.max_dirs = opts->max_dirs;
		s.refuse_hardlinks = opts->refuse_hardlinks;
	}
	/* Filled in, for the checks made while reading. */
	if (s.tally.max_file_size == 0) {
		s.tally.max_file_size = WEFT_PKG_MAX_FILE_SIZE;
	}
	if (s.tally.max_total_size == 0) {
		s.tally.max_total_size = WEFT_PKG_MAX_TOTAL_SIZE;
	}
	if (!weft_crypto_init(err)) {
		return false;
	}
	s.buf = malloc(READ_BUF_SIZE);
	if (s.buf == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	/* A descriptor of our own: readdir() moves its offset. */
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = fd >= 0;
	if (!ok) {
		weft_error_errno(err, "open .");
	} else {
		ok = scan_dir(&s, fd, "", 0);
	}
	free(s.buf);
	if (!ok) {
		weft_pkg_files_finish(out);
		return false;
	}
	/* items is NULL when there is no file: qsort() may not be given it. */
	if (out->len > 1) {
		qsort(out->items, out->len, sizeof(*out->items), compare_files);
	}
	return true;
}

static int open_package(const char *dir, struct weft_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		weft_error_errno(err, "open %s", dir);
	}
	return fd;
}

bool weft_pkg_scan(const char *dir, const struct weft_scan_opts *opts, struct weft_pkg_files *out,
	struct weft_error *err)
{
	*out = (struct weft_pkg_files){ 0 };
	int fd = open_package(dir, err);
	if (fd < 0) {
		return false;
	}
	bool ok = scan_fd(fd, opts, out, err);
	close(fd);
	if (!ok) {
		weft_error_prefix(err, "%s", dir);
	}
	return ok;
}

void weft_pkg_files_finish(struct weft_pkg_files *files)
{
	for (size_t i = 0; i < files->len; i++) {
		free(files->items[i].path);
	}
	free(files->items);
	*files = (struct weft_pkg_files){ 0 };
}

void weft_pkg_digest(const struct weft_pkg_files *files, unsigned char digest[WEFT_SHA256_LEN])
{
	crypto_hash_sha256_state state;
	crypto_hash_sha256_init(&state);
	for (size_t i = 0; i < files->len; i++) {
		const struct weft_pkg_file *file = &files->items[i];
		char hex[2 * WEFT_SHA256_LEN + 2];
		weft_hex_encode(file->sha256, WEFT_SHA256_LEN, hex);
		hex[2 * WEFT_SHA256_LEN] = '\n';
		crypto_hash_sha256_update(&state, (const unsigned char *)file->path,
			strlen(file->path));
		crypto_hash_sha256_update(&state, (const unsigned char *)"\t", 1);
		crypto_hash_sha256_update(&state, (const unsigned char *)hex, sizeof(hex) - 1);
	}
	crypto_hash_sha256_final(&state, digest);
}

static bool digest_fd(int dirfd, unsigned char digest[WEFT_SHA256_LEN], struct weft_error *err)
{
	struct weft_pkg_files files;
	if (!scan_fd(dirfd, NULL, &files, err)) {
		return false;
	}
	weft_pkg_digest(&files, digest);
	weft_pkg_files_finish(&files);
	return true;
}

/* Temp file, fsync, rename: a reader sees the old signature or the new one, whole. */
static bool write_signature(int dirfd, const char *hex, struct weft_error *err)
{
	char tmp[64];
	int fd = -1;
	for (int attempt = 0; fd < 0 && attempt < 16; attempt++) {
		snprintf(tmp, sizeof(tmp), ".%s.%08" PRIx32, WEFT_SIGNATURE_FILE,
			randombytes_random());
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0644);
		if (fd < 0 && errno != EEXIST) {
			break;
		}
	}
	if (fd < 0) {
		weft_error_errno(err, "create %s", tmp);
		return false;
	}
	if (!weft_write_all(fd, hex, strlen(hex)) || fsync(fd) < 0) {
		weft_error_errno(err, "write %s", tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		weft_error_errno(err, "write %s", tmp);
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, WEFT_SIGNATURE_FILE) < 0) {
		weft_error_errno(err, "rename %s to %s", tmp, WEFT_SIGNATURE_FILE);
		goto fail;
	}
	/* Makes the rename itself durable. */
	if (fsync(dirfd) < 0) {
		weft_error_errno(err, "sync package directory");
		return false;
	}
	return true;

fail:
	if (fd >= 0) {
		close(fd);
	}
	unlinkat(dirfd, tmp, 0);
	return false;
}

bool weft_pkg_sign(const char *dir, const struct weft_keypair *kp, struct weft_error *err)
{
	if (!weft_crypto_init(err)) {
		return false;
	}
	int dirfd = open_package(dir, err);
	if (dirfd < 0) {
		return false;
	}
	/* Scan before the temp file exists, so that it is not part of the digest. */
	unsigned char digest[WEFT_SHA256_LEN];
	if (!digest_fd(dirfd, digest, err)) {
		weft_error_prefix(err, "sign %s", dir);
		close(dirfd);
		return false;
	}

	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sig[WEFT_SIGNATURE_LEN];
	bool ok = crypto_sign_seed_keypair(pk, sk, kp->seed) == 0 &&
		crypto_sign_detached(sig, NULL, digest, sizeof(digest), sk) == 0;
	sodium_memzero(sk, sizeof(sk));
	if (!ok) {
		weft_error_set(err, "sign %s: signing failed", dir);
		close(dirfd);
		return false;
	}

	char hex[2 * WEFT_SIGNATURE_LEN + 1];
	weft_hex_encode(sig, sizeof(sig), hex);
	ok = write_signature(dirfd, hex, err);
	if (!ok) {
		weft_error_prefix(err, "sign %s", dir);
	}
	close(dirfd);
	return ok;
}

enum weft_verify_result weft_pkg_verify(const char *dir,
	const unsigned char (*keys)[WEFT_PUBKEY_LEN], size_t nkeys, size_t *matched,
	struct weft_error *err)
{
	if (!weft_crypto_init(err)) {
		return WEFT_VERIFY_ERROR;
	}
	int dirfd = open_package(dir, err);
	if (dirfd < 0) {
		return WEFT_VERIFY_ERROR;
	}

	enum weft_verify_result result = WEFT_VERIFY_ERROR;
	unsigned char sig[WEFT_SIGNATURE_LEN];
	switch (weft_hexfile_read(dirfd, WEFT_SIGNATURE_FILE, O_NOFOLLOW, sig, sizeof(sig), NULL,
		err)) {
	case WEFT_HEXFILE_OK:
		break;
	case WEFT_HEXFILE_MISSING:
		weft_error_set(err, "%s is not signed (no %s)", dir, WEFT_SIGNATURE_FILE);
		result = WEFT_VERIFY_UNSIGNED;
		goto out;
	case WEFT_HEXFILE_MALFORMED:
		weft_error_set(err, "%s: %s is malformed: expected %d hex digits", dir,
			WEFT_SIGNATURE_FILE, 2 * WEFT_SIGNATURE_LEN);
		result = WEFT_VERIFY_MALFORMED;
		goto out;
	case WEFT_HEXFILE_ERROR:
		weft_error_prefix(err, "%s", dir);
		goto out;
	}

	unsigned char digest[WEFT_SHA256_LEN];
	if (!digest_fd(dirfd, digest, err)) {
		weft_error_prefix(err, "%s", dir);
		goto out;
	}
	result = WEFT_VERIFY_MISMATCH;
	for (size_t i = 0; i < nkeys; i++) {
		if (crypto_sign_verify_detached(sig, digest, sizeof(digest), keys[i]) == 0) {
			if (matched != NULL) {
				*matched = i;
			}
			result = WEFT_VERIFY_OK;
			goto out;
		}
	}
	if (nkeys == 0) {
		weft_error_set(err, "%s: no trusted keys to verify the signature against", dir);
	} else {
		weft_error_set(err, "%s: signature does not match any trusted key", dir);
	}

out:
	close(dirfd);
	return result;
}
