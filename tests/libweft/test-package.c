/*
 * Package scan, digest, signing and verification (design §5), on real
 * temporary directories.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "weft/package.h"

static void pathf(char out[PATH_MAX], const char *dir, const char *rel)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, rel);
}

static void write_str(const char *dir, const char *rel, const char *s)
{
	test_write_file(dir, rel, s, strlen(s));
}

static void make_dir(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	pathf(path, dir, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		perror(path);
		abort();
	}
}

/* Nested directories, UTF-8 names and an empty file. */
static char *make_package(void)
{
	char *dir = test_mkdtemp();
	write_str(dir, "wapp.toml", "[package]\nid = \"org.example.app\"\n");
	static const char wasm[] = { 0, 'a', 's', 'm', 1, 0, 0, 0 };
	test_write_file(dir, "app.wasm", wasm, sizeof(wasm));
	write_str(dir, "ui/index.html", "<!doctype html><p>hello</p>\n");
	write_str(dir, "ui/img/\xc3\xa9t\xc3\xa9.svg", "<svg/>");
	write_str(dir, "\xc3\xbc/\xe6\x97\xa5\xe6\x9c\xac.txt", "unicode\n");
	write_str(dir, "ui/empty", "");
	return dir;
}

static struct weft_keypair new_key(void)
{
	struct weft_keypair kp;
	struct weft_error err = { 0 };
	if (!weft_key_generate(&kp, &err)) {
		fprintf(stderr, "# %s\n", err.msg);
		abort();
	}
	return kp;
}

static enum weft_verify_result verify_with(const char *dir, const struct weft_keypair *kp,
	struct weft_error *err)
{
	return weft_pkg_verify(dir, (const unsigned char(*)[WEFT_PUBKEY_LEN])kp->pub, 1, NULL,
		err);
}

/* A fresh package signed with kp. */
static char *signed_package(const struct weft_keypair *kp)
{
	char *dir = make_package();
	struct weft_error err = { 0 };
	if (!weft_pkg_sign(dir, kp, &err)) {
		fprintf(stderr, "# sign: %s\n", err.msg);
		abort();
	}
	return dir;
}

static bool scan_fails(const char *dir, const struct weft_scan_opts *opts, const char *needle)
{
	struct weft_pkg_files files;
	struct weft_error err = { 0 };
	bool ok = weft_pkg_scan(dir, opts, &files, &err);
	if (ok) {
		weft_pkg_files_finish(&files);
		fprintf(stderr, "# scan of %s unexpectedly succeeded\n", dir);
		return false;
	}
	if (files.len != 0 || files.items != NULL) {
		fprintf(stderr, "# failed scan left files behind\n");
		return false;
	}
	if (strstr(err.msg, needle) == NULL) {
		fprintf(stderr, "# error \"%s\" lacks \"%s\"\n", err.msg, needle);
		return false;
	}
	return true;
}

static void test_hex(void)
{
	const unsigned char bin[] = { 0x00, 0x1f, 0xa0, 0xff };
	char hex[2 * sizeof(bin) + 1];
	weft_hex_encode(bin, sizeof(bin), hex);
	EXPECT_STR_EQ(hex, "001fa0ff");

	unsigned char out[4];
	EXPECT(weft_hex_decode("001FA0fF", out, sizeof(out)));
	EXPECT(memcmp(out, bin, sizeof(bin)) == 0);
	EXPECT(!weft_hex_decode("001fa0f", out, sizeof(out)));
	EXPECT(!weft_hex_decode("001fa0ff0", out, sizeof(out)));
	EXPECT(!weft_hex_decode("001fa0fg", out, sizeof(out)));
	EXPECT(!weft_hex_decode("001fa0f ", out, sizeof(out)));
	EXPECT(!weft_hex_decode("", out, sizeof(out)));
}

static void test_known_answer_digest(void)
{
	char *dir = test_mkdtemp();
	write_str(dir, "a.txt", "hello\n");
	write_str(dir, "B", "x");
	write_str(dir, "sub/empty", "");

	struct weft_pkg_files files;
	struct weft_error err = { 0 };
	ASSERT(weft_pkg_scan(dir, NULL, &files, &err));
	ASSERT(files.len == 3);
	/* Bytewise: 'B' (0x42) sorts before 'a' (0x61). */
	EXPECT_STR_EQ(files.items[0].path, "B");
	EXPECT_STR_EQ(files.items[1].path, "a.txt");
	EXPECT_STR_EQ(files.items[2].path, "sub/empty");
	EXPECT(files.items[1].size == 6);
	EXPECT(files.items[2].size == 0);

	char hex[2 * WEFT_SHA256_LEN + 1];
	weft_hex_encode(files.items[1].sha256, WEFT_SHA256_LEN, hex);
	EXPECT_STR_EQ(hex, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");

	/*
	 * Derived with coreutils, independently of this code, from the same tree:
	 *   for f in B a.txt sub/empty; do
	 *     printf '%s\t%s\n' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"
	 *   done | sha256sum
	 */
	unsigned char digest[WEFT_SHA256_LEN];
	weft_pkg_digest(&files, digest);
	weft_hex_encode(digest, sizeof(digest), hex);
	EXPECT_STR_EQ(hex, "530fa3b5f3141b59c8b5584f6a6a3d3a14a4393036e174f5aaffecda6b64fe06");

	weft_pkg_files_finish(&files);
	EXPECT(files.items == NULL && files.len == 0);
	test_rmtree(dir);
	free(dir);
}

static void test_digest_ignores_creation_order(void)
{
	const char *names[] = { "z", "a/b/c", "a/a", "m.txt", "a.b", "\xc3\xa4", "Z" };
	size_t n = sizeof(names) / sizeof(names[0]);
	char *first = test_mkdtemp(), *second = test_mkdtemp();
	for (size_t i = 0; i < n; i++) {
		write_str(first, names[i], names[i]);
		write_str(second, names[n - 1 - i], names[n - 1 - i]);
	}
	struct weft_pkg_files a, b;
	struct weft_error err = { 0 };
	ASSERT(weft_pkg_scan(first, NULL, &a, &err));
	ASSERT(weft_pkg_scan(second, NULL, &b, &err));
	unsigned char da[WEFT_SHA256_LEN], db[WEFT_SHA256_LEN];
	weft_pkg_digest(&a, da);
	weft_pkg_digest(&b, db);
	EXPECT(memcmp(da, db, sizeof(da)) == 0);
	ASSERT(a.len == n);
	for (size_t i = 1; i < a.len; i++) {
		EXPECT(strcmp(a.items[i - 1].path, a.items[i].path) < 0);
	}
	weft_pkg_files_finish(&a);
	weft_pkg_files_finish(&b);
	test_rmtree(first);
	test_rmtree(second);
	free(first);
	free(second);
}

static void test_sign_verify_round_trip(void)
{
	struct weft_keypair kp = new_key(), other = new_key();
	char *dir = signed_package(&kp);
	struct weft_error err = { 0 };
	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_OK);

	/* The matching key is reported by index. */
	unsigned char keys[2][WEFT_PUBKEY_LEN];
	memcpy(keys[0], other.pub, WEFT_PUBKEY_LEN);
	memcpy(keys[1], kp.pub, WEFT_PUBKEY_LEN);
	size_t matched = 99;
	EXPECT(weft_pkg_verify(dir, (const unsigned char(*)[WEFT_PUBKEY_LEN])keys, 2, &matched,
		       &err) == WEFT_VERIFY_OK);
	EXPECT(matched == 1);

	/* 128 lowercase hex digits, no newline. */
	char path[PATH_MAX], sig[200] = { 0 };
	pathf(path, dir, WEFT_SIGNATURE_FILE);
	FILE *f = fopen(path, "r");
	ASSERT(f != NULL);
	size_t n = fread(sig, 1, sizeof(sig) - 1, f);
	fclose(f);
	EXPECT(n == 2 * WEFT_SIGNATURE_LEN);
	EXPECT(strspn(sig, "0123456789abcdef") == 2 * WEFT_SIGNATURE_LEN);

	/* Signing again replaces the signature and leaves no temporary file. */
	EXPECT(weft_pkg_sign(dir, &other, &err));
	EXPECT(verify_with(dir, &other, &err) == WEFT_VERIFY_OK);
	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_MISMATCH);
	struct weft_pkg_files files;
	ASSERT(weft_pkg_scan(dir, NULL, &files, &err));
	EXPECT(files.len == 6);
	for (size_t i = 0; i < files.len; i++) {
		EXPECT(strstr(files.items[i].path, WEFT_SIGNATURE_FILE) == NULL);
	}
	weft_pkg_files_finish(&files);

	/* Empty directories are not part of the digest. */
	make_dir(dir, "nothing-here");
	EXPECT(verify_with(dir, &other, &err) == WEFT_VERIFY_OK);

	/* A trailing newline in signature.sig is accepted. */
	f = fopen(path, "a");
	ASSERT(f != NULL);
	fputc('\n', f);
	fclose(f);
	EXPECT(verify_with(dir, &other, &err) == WEFT_VERIFY_OK);

	test_rmtree(dir);
	free(dir);
}

static void expect_mismatch(const char *dir, const struct weft_keypair *kp)
{
	struct weft_error err = { 0 };
	EXPECT(verify_with(dir, kp, &err) == WEFT_VERIFY_MISMATCH);
	EXPECT(strstr(err.msg, "signature does not match any trusted key") != NULL);
}

/* A package of directories only: no file to sort (found by
 * tests/fuzz/fuzz-package-verify: qsort() of NULL, which UBSan refuses). */
static void test_empty_package(void)
{
	char *dir = test_mkdtemp();
	make_dir(dir, "ui");
	struct weft_pkg_files files;
	struct weft_error err = { 0 };
	EXPECT(weft_pkg_scan(dir, NULL, &files, &err));
	EXPECT(files.len == 0);
	weft_pkg_files_finish(&files);
	struct weft_keypair kp = new_key();
	EXPECT(weft_pkg_sign(dir, &kp, &err));
	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_OK);
	test_rmtree(dir);
	free(dir);
}

static void test_tampering_is_detected(void)
{
	struct weft_keypair kp = new_key();
	char path[PATH_MAX], to[PATH_MAX];

	char *dir = signed_package(&kp);
	pathf(path, dir, "app.wasm");
	int fd = open(path, O_RDWR);
	ASSERT(fd >= 0);
	char c;
	ASSERT(pread(fd, &c, 1, 2) == 1);
	c ^= 1;
	ASSERT(pwrite(fd, &c, 1, 2) == 1);
	close(fd);
	expect_mismatch(dir, &kp);
	test_rmtree(dir);
	free(dir);

	dir = signed_package(&kp);
	write_str(dir, "ui/extra.js", "alert(1)");
	expect_mismatch(dir, &kp);
	test_rmtree(dir);
	free(dir);

	dir = signed_package(&kp);
	pathf(path, dir, "ui/empty");
	ASSERT(unlink(path) == 0);
	expect_mismatch(dir, &kp);
	test_rmtree(dir);
	free(dir);

	dir = signed_package(&kp);
	pathf(path, dir, "ui/index.html");
	pathf(to, dir, "ui/main.html");
	ASSERT(rename(path, to) == 0);
	expect_mismatch(dir, &kp);
	test_rmtree(dir);
	free(dir);

	dir = signed_package(&kp);
	pathf(path, dir, "app.wasm");
	pathf(to, dir, "ui/app.wasm");
	ASSERT(rename(path, to) == 0);
	expect_mismatch(dir, &kp);
	test_rmtree(dir);
	free(dir);
}

static void test_wrong_key(void)
{
	struct weft_keypair kp = new_key(), other = new_key();
	char *dir = signed_package(&kp);
	expect_mismatch(dir, &other);

	struct weft_error err = { 0 };
	EXPECT(weft_pkg_verify(dir, NULL, 0, NULL, &err) == WEFT_VERIFY_MISMATCH);
	EXPECT(strstr(err.msg, "no trusted keys") != NULL);
	test_rmtree(dir);
	free(dir);
}

static void test_unsigned_and_malformed(void)
{
	struct weft_keypair kp = new_key();
	struct weft_error err = { 0 };
	char *dir = make_package();
	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_UNSIGNED);
	EXPECT(strstr(err.msg, "not signed") != NULL);
	test_rmtree(dir);
	free(dir);

	dir = signed_package(&kp);
	char path[PATH_MAX];
	pathf(path, dir, WEFT_SIGNATURE_FILE);
	ASSERT(truncate(path, 100) == 0);
	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_MALFORMED);
	EXPECT(strstr(err.msg, "malformed") != NULL);

	char bad[2 * WEFT_SIGNATURE_LEN + 2];
	memset(bad, 'a', sizeof(bad));
	unlink(path);
	test_write_file(dir, WEFT_SIGNATURE_FILE, bad, sizeof(bad));
	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_MALFORMED);

	bad[10] = 'x';
	unlink(path);
	test_write_file(dir, WEFT_SIGNATURE_FILE, bad, 2 * WEFT_SIGNATURE_LEN);
	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_MALFORMED);

	unlink(path);
	test_write_file(dir, WEFT_SIGNATURE_FILE, bad + 11, 2 * WEFT_SIGNATURE_LEN - 11);
	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_MALFORMED);

	/* Well-formed, but not a signature of this package. */
	unlink(path);
	memset(bad, '0', sizeof(bad));
	test_write_file(dir, WEFT_SIGNATURE_FILE, bad, 2 * WEFT_SIGNATURE_LEN);
	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_MISMATCH);

	/* A symlinked signature is refused, not followed. */
	unlink(path);
	ASSERT(symlink("wapp.toml", path) == 0);
	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_ERROR);

	test_rmtree(dir);
	free(dir);

	EXPECT(verify_with("/nonexistent/weft-package", &kp, &err) == WEFT_VERIFY_ERROR);
	EXPECT(strstr(err.msg, "/nonexistent/weft-package") != NULL);
}

static void test_nested_signature_is_covered(void)
{
	struct weft_keypair kp = new_key();
	char *dir = make_package();
	write_str(dir, "ui/" WEFT_SIGNATURE_FILE, "just a file");
	struct weft_error err = { 0 };
	ASSERT(weft_pkg_sign(dir, &kp, &err));

	struct weft_pkg_files files;
	ASSERT(weft_pkg_scan(dir, NULL, &files, &err));
	bool found = false;
	for (size_t i = 0; i < files.len; i++) {
		found |= strcmp(files.items[i].path, "ui/" WEFT_SIGNATURE_FILE) == 0;
		EXPECT(strcmp(files.items[i].path, WEFT_SIGNATURE_FILE) != 0);
	}
	EXPECT(found);
	weft_pkg_files_finish(&files);

	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_OK);
	char path[PATH_MAX];
	pathf(path, dir, "ui/" WEFT_SIGNATURE_FILE);
	ASSERT(unlink(path) == 0);
	write_str(dir, "ui/" WEFT_SIGNATURE_FILE, "just a fil3");
	expect_mismatch(dir, &kp);
	test_rmtree(dir);
	free(dir);
}

static void test_special_files_refused(void)
{
	char path[PATH_MAX];
	char *dir = make_package();
	pathf(path, dir, "ui/link");
	ASSERT(symlink("index.html", path) == 0);
	EXPECT(scan_fails(dir, NULL, "ui/link is a symbolic link"));
	struct weft_keypair kp = new_key();
	struct weft_error err = { 0 };
	EXPECT(!weft_pkg_sign(dir, &kp, &err));
	pathf(path, dir, WEFT_SIGNATURE_FILE);
	EXPECT(access(path, F_OK) < 0);
	test_rmtree(dir);
	free(dir);

	/* A symlinked directory is refused too, not walked. */
	dir = make_package();
	pathf(path, dir, "etc");
	ASSERT(symlink("/etc", path) == 0);
	EXPECT(scan_fails(dir, NULL, "etc is a symbolic link"));
	test_rmtree(dir);
	free(dir);

	dir = signed_package(&kp);
	pathf(path, dir, "ui/pipe");
	ASSERT(mkfifo(path, 0644) == 0);
	EXPECT(scan_fails(dir, NULL, "ui/pipe is a fifo"));
	EXPECT(verify_with(dir, &kp, &err) == WEFT_VERIFY_ERROR);
	EXPECT(strstr(err.msg, "ui/pipe") != NULL);
	test_rmtree(dir);
	free(dir);

	dir = make_package();
	pathf(path, dir, "sock");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) < sizeof(addr.sun_path)) {
		strcpy(addr.sun_path, path);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ASSERT(fd >= 0);
		ASSERT(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
		EXPECT(scan_fails(dir, NULL, "sock is a socket"));
		close(fd);
	}
	test_rmtree(dir);
	free(dir);

	/* Device nodes need privileges; check them where we have those. */
	dir = make_package();
	pathf(path, dir, "null");
	if (mknod(path, S_IFCHR | 0644, makedev(1, 3)) == 0) {
		EXPECT(scan_fails(dir, NULL, "null is a character device"));
	}
	test_rmtree(dir);
	free(dir);
}

static void test_bad_names_refused(void)
{
	char *dir = make_package();
	write_str(dir, "ui/new\nline", "x");
	EXPECT(scan_fails(dir, NULL, "ui/new\\x0aline: file name with a control character"));
	test_rmtree(dir);
	free(dir);

	dir = make_package();
	write_str(dir, "tab\there", "x");
	EXPECT(scan_fails(dir, NULL, "tab\\x09here: file name with a control character"));
	test_rmtree(dir);
	free(dir);

	/* Not UTF-8: named, escaped. */
	dir = make_package();
	write_str(dir, "ui/caf\xe9.html", "x");
	EXPECT(scan_fails(dir, NULL, "ui/caf\\xe9.html: file name is not UTF-8"));
	test_rmtree(dir);
	free(dir);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_size_limits(void)
{
	char *dir = make_package();
	char path[PATH_MAX];
	pathf(path, dir, "huge");
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ASSERT(fd >= 0);
	/* Sparse: costs no disk, and reading it would take seconds. */
	ASSERT(ftruncate(fd, 2ll * 1024 * 1024 * 1024) == 0);
	close(fd);

	double start = now();
	struct weft_scan_opts opts = { .max_file_size = 256ull * 1024 * 1024 };
	EXPECT(scan_fails(dir, &opts, "huge: file too large (2147483648 bytes, limit 268435456)"));
	EXPECT(scan_fails(dir, NULL, "huge: file too large (2147483648 bytes, limit 268435456)"));
	EXPECT(now() - start < 0.5);

	/* The limit is inclusive. */
	ASSERT(truncate(path, 1000) == 0);
	opts.max_file_size = 1000;
	struct weft_pkg_files files;
	struct weft_error err = { 0 };
	EXPECT(weft_pkg_scan(dir, &opts, &files, &err));
	weft_pkg_files_finish(&files);
	opts.max_file_size = 999;
	EXPECT(scan_fails(dir, &opts, "huge: file too large (1000 bytes, limit 999)"));

	opts = (struct weft_scan_opts){ .max_total_size = 1000 };
	EXPECT(scan_fails(dir, &opts, "package too large (limit 1000 bytes)"));
	test_rmtree(dir);
	free(dir);
}

static void test_hardlinks(void)
{
	char *dir = make_package();
	char path[PATH_MAX], to[PATH_MAX];
	pathf(path, dir, "app.wasm");
	pathf(to, dir, "ui/copy.wasm");
	ASSERT(link(path, to) == 0);

	struct weft_scan_opts opts = { .refuse_hardlinks = true };
	EXPECT(scan_fails(dir, &opts, "hard link"));

	struct weft_pkg_files files;
	struct weft_error err = { 0 };
	EXPECT(weft_pkg_scan(dir, NULL, &files, &err));
	EXPECT(files.len == 7);
	weft_pkg_files_finish(&files);
	test_rmtree(dir);
	free(dir);
}

static void test_depth_limit(void)
{
	char *dir = test_mkdtemp();
	char rel[PATH_MAX] = "";
	/* A path of WEFT_PKG_MAX_DEPTH components is fine, one more is not. */
	for (int i = 0; i < WEFT_PKG_MAX_DEPTH - 1; i++) {
		strcat(rel, "d/");
	}
	char file[PATH_MAX];
	snprintf(file, sizeof(file), "%sf", rel);
	write_str(dir, file, "deep");
	struct weft_pkg_files files;
	struct weft_error err = { 0 };
	EXPECT(weft_pkg_scan(dir, NULL, &files, &err));
	EXPECT(files.len == 1);
	weft_pkg_files_finish(&files);

	snprintf(file, sizeof(file), "%sd/f", rel);
	write_str(dir, file, "too deep");
	EXPECT(scan_fails(dir, NULL, "nested deeper than"));
	test_rmtree(dir);
	free(dir);
}

static void test_file_count_limit(void)
{
	char *dir = test_mkdtemp();
	char name[16];
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "%d", i);
		write_str(dir, name, "");
	}
	struct weft_scan_opts opts = { .max_files = 4 };
	EXPECT(scan_fails(dir, &opts, "too many files (limit 4)"));

	opts.max_files = 5;
	struct weft_pkg_files files;
	struct weft_error err = { 0 };
	EXPECT(weft_pkg_scan(dir, &opts, &files, &err));
	EXPECT(files.len == 5);
	weft_pkg_files_finish(&files);

	/* Directories count too, even empty ones, so that walking stays bounded. */
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		make_dir(dir, name);
	}
	opts.max_dirs = 5;
	EXPECT(scan_fails(dir, &opts, "too many directories (limit 5)"));
	opts.max_dirs = 6;
	EXPECT(weft_pkg_scan(dir, &opts, &files, &err));
	weft_pkg_files_finish(&files);
	test_rmtree(dir);
	free(dir);
}

static bool path_refused(const char *path, const char *want)
{
	struct weft_error err = { 0 };
	if (weft_pkg_path_check(path, &err)) {
		fprintf(stderr, "# path accepted: %s\n", path);
		return false;
	}
	if (strcmp(err.msg, want) != 0) {
		fprintf(stderr, "# want: %s\n# got:  %s\n", want, err.msg);
		return false;
	}
	return true;
}

static void test_path_check(void)
{
	struct weft_error err = { 0 };
	EXPECT(weft_pkg_path_check("ui/index.html", &err));
	EXPECT(weft_pkg_path_check("ui/caf\xc3\xa9 \xe2\x9c\x93.html", &err));
	EXPECT(path_refused("", "empty path"));
	EXPECT(path_refused("/etc/passwd", "/etc/passwd: absolute path refused"));
	EXPECT(path_refused("a//b", "a//b: empty path component refused"));
	EXPECT(path_refused("a/", "a/: empty path component refused"));
	EXPECT(path_refused("a/../b", "a/../b: '..' path component refused"));
	EXPECT(path_refused("./b", "./b: '.' path component refused"));
	EXPECT(path_refused("a\tb", "a\\x09b: file name with a control character refused"));
	EXPECT(path_refused("a\x7f", "a\\x7f: file name with a control character refused"));
	/* Latin-1, an overlong '/', a surrogate, a cut sequence. */
	EXPECT(path_refused("caf\xe9", "caf\\xe9: file name is not UTF-8"));
	EXPECT(path_refused("a\xc0\xaf"
			    "b",
		"a\\xc0\\xafb: file name is not UTF-8"));
	EXPECT(path_refused("\xed\xa0\x80", "\\xed\\xa0\\x80: file name is not UTF-8"));
	EXPECT(path_refused("x\xe2\x9c", "x\\xe2\\x9c: file name is not UTF-8"));

	char name[WEFT_PKG_MAX_NAME + 2];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	EXPECT(!weft_pkg_path_check(name, &err) &&
		strstr(err.msg, "name longer than 255") != NULL);
	name[WEFT_PKG_MAX_NAME] = '\0';
	EXPECT(weft_pkg_path_check(name, &err));

	char deep[3 * WEFT_PKG_MAX_DEPTH + 8] = "";
	for (int i = 0; i < WEFT_PKG_MAX_DEPTH; i++) {
		strcat(deep, i == 0 ? "d" : "/d");
	}
	EXPECT(weft_pkg_path_check(deep, &err));
	strcat(deep, "/d");
	EXPECT(!weft_pkg_path_check(deep, &err) && strstr(err.msg, "nested deeper than 32"));

	char *longpath = calloc(1, WEFT_PKG_MAX_PATH + 2);
	ASSERT(longpath != NULL);
	for (size_t i = 0; i <= WEFT_PKG_MAX_PATH; i++) {
		longpath[i] = i % 200 == 199 ? '/' : 'p';
	}
	EXPECT(!weft_pkg_path_check(longpath, &err) &&
		strstr(err.msg, "path longer than 4095 bytes") != NULL);
	free(longpath);
}

static void test_tally(void)
{
	struct weft_error err = { 0 };
	struct weft_pkg_tally tally = { 0 };
	for (int i = 0; i < WEFT_PKG_MAX_DIRS; i++) {
		ASSERT(weft_pkg_tally_add(&tally, "d", true, 0, &err));
	}
	EXPECT(!weft_pkg_tally_add(&tally, "d", true, 0, &err));
	EXPECT_STR_EQ(err.msg, "too many directories (limit 10000)");
	for (int i = 0; i < WEFT_PKG_MAX_FILES; i++) {
		ASSERT(weft_pkg_tally_add(&tally, "f", false, 1, &err));
	}
	EXPECT(!weft_pkg_tally_add(&tally, "f", false, 0, &err));
	EXPECT_STR_EQ(err.msg, "too many files (limit 10000)");

	tally = (struct weft_pkg_tally){ 0 };
	EXPECT(weft_pkg_tally_add(&tally, "big", false, WEFT_PKG_MAX_FILE_SIZE, &err));
	EXPECT(!weft_pkg_tally_add(&tally, "big\n", false, WEFT_PKG_MAX_FILE_SIZE + 1, &err));
	EXPECT_STR_EQ(err.msg, "big\\x0a: file too large (268435457 bytes, limit 268435456)");
	for (int i = 0; i < 3; i++) {
		EXPECT(weft_pkg_tally_add(&tally, "big", false, WEFT_PKG_MAX_FILE_SIZE, &err));
	}
	EXPECT(tally.total_size == WEFT_PKG_MAX_TOTAL_SIZE);
	EXPECT(!weft_pkg_tally_add(&tally, "one", false, 1, &err));
	EXPECT_STR_EQ(err.msg, "package too large (limit 1073741824 bytes)");
	EXPECT(weft_pkg_tally_add(&tally, "empty", false, 0, &err));
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_hex),
		TEST_CASE(test_known_answer_digest),
		TEST_CASE(test_digest_ignores_creation_order),
		TEST_CASE(test_sign_verify_round_trip),
		TEST_CASE(test_empty_package),
		TEST_CASE(test_tampering_is_detected),
		TEST_CASE(test_wrong_key),
		TEST_CASE(test_unsigned_and_malformed),
		TEST_CASE(test_nested_signature_is_covered),
		TEST_CASE(test_special_files_refused),
		TEST_CASE(test_bad_names_refused),
		TEST_CASE(test_size_limits),
		TEST_CASE(test_hardlinks),
		TEST_CASE(test_depth_limit),
		TEST_CASE(test_file_count_limit),
		TEST_CASE(test_path_check),
		TEST_CASE(test_tally),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
