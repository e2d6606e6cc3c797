/*
 * Ed25519 key files: generation, the on-disk format, modes and refusals.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "weft/package.h"

/* RFC 8032 section 7.1, test 1. */
#define RFC_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC_PUB "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

static void pathf(char out[PATH_MAX], const char *dir, const char *rel)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, rel);
}

static size_t read_all(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return 0;
	}
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

static void test_round_trip(void)
{
	umask(022);
	char *dir = test_mkdtemp();
	char priv[PATH_MAX], pub[PATH_MAX];
	pathf(priv, dir, "key");
	pathf(pub, dir, "key.pub");

	struct weft_keypair kp, other, back;
	struct weft_error err = { 0 };
	ASSERT(weft_key_generate(&kp, &err));
	ASSERT(weft_key_generate(&other, &err));
	EXPECT(memcmp(kp.seed, other.seed, WEFT_SEED_LEN) != 0);
	ASSERT(weft_key_write_private(priv, &kp, &err));
	ASSERT(weft_key_write_public(pub, kp.pub, &err));

	memset(&back, 0xaa, sizeof(back));
	ASSERT(weft_key_read_private(priv, &back, &err));
	EXPECT(memcmp(back.seed, kp.seed, WEFT_SEED_LEN) == 0);
	/* The public key is derived from the seed. */
	EXPECT(memcmp(back.pub, kp.pub, WEFT_PUBKEY_LEN) == 0);
	unsigned char pk[WEFT_PUBKEY_LEN];
	ASSERT(weft_key_read_public(pub, pk, &err));
	EXPECT(memcmp(pk, kp.pub, WEFT_PUBKEY_LEN) == 0);

	/* 64 lowercase hex digits and one newline. */
	char buf[256], hex[2 * WEFT_PUBKEY_LEN + 1];
	EXPECT(read_all(pub, buf, sizeof(buf)) == 65);
	weft_hex_encode(kp.pub, WEFT_PUBKEY_LEN, hex);
	EXPECT(strncmp(buf, hex, 64) == 0 && buf[64] == '\n');
	EXPECT(read_all(priv, buf, sizeof(buf)) == 65);
	EXPECT(strspn(buf, "0123456789abcdef") == 64 && buf[64] == '\n');

	struct stat st;
	ASSERT(stat(priv, &st) == 0);
	EXPECT((st.st_mode & 07777) == 0600);
	ASSERT(stat(pub, &st) == 0);
	EXPECT((st.st_mode & 07777) == 0644);

	test_rmtree(dir);
	free(dir);
}

static void test_never_overwrites(void)
{
	char *dir = test_mkdtemp();
	char priv[PATH_MAX], pub[PATH_MAX], buf[256], before[256];
	pathf(priv, dir, "key");
	pathf(pub, dir, "key.pub");
	struct weft_keypair kp, other;
	struct weft_error err = { 0 };
	ASSERT(weft_key_generate(&kp, &err));
	ASSERT(weft_key_generate(&other, &err));
	ASSERT(weft_key_write_private(priv, &kp, &err));
	ASSERT(weft_key_write_public(pub, kp.pub, &err));
	read_all(priv, before, sizeof(before));

	EXPECT(!weft_key_write_private(priv, &other, &err));
	EXPECT(strstr(err.msg, "already exists") != NULL);
	EXPECT(strstr(err.msg, priv) != NULL);
	read_all(priv, buf, sizeof(buf));
	EXPECT_STR_EQ(buf, before);
	EXPECT(!weft_key_write_public(pub, other.pub, &err));
	EXPECT(strstr(err.msg, "already exists") != NULL);

	/* A dangling symlink must not redirect the write elsewhere. */
	char link[PATH_MAX], target[PATH_MAX];
	pathf(link, dir, "link");
	pathf(target, dir, "target");
	ASSERT(symlink(target, link) == 0);
	EXPECT(!weft_key_write_private(link, &kp, &err));
	EXPECT(access(target, F_OK) < 0);

	char missing[PATH_MAX];
	pathf(missing, dir, "missing/key");
	EXPECT(!weft_key_write_private(missing, &kp, &err));
	EXPECT(strstr(err.msg, "missing/key") != NULL);

	test_rmtree(dir);
	free(dir);
}

static bool reads(const char *dir, const char *content, struct weft_keypair *kp)
{
	char path[PATH_MAX];
	pathf(path, dir, "k");
	unlink(path);
	test_write_file(dir, "k", content, strlen(content));
	struct weft_error err = { 0 };
	unsigned char pub[WEFT_PUBKEY_LEN];
	bool priv_ok = weft_key_read_private(path, kp, &err);
	bool pub_ok = weft_key_read_public(path, pub, &err);
	if (priv_ok != pub_ok) {
		fprintf(stderr, "# private and public reads disagree on \"%s\"\n", content);
		test_failed = true;
	}
	return priv_ok;
}

static void test_format(void)
{
	char *dir = test_mkdtemp();
	struct weft_keypair kp;
	char hex[2 * WEFT_PUBKEY_LEN + 1];

	EXPECT(reads(dir, RFC_SEED, &kp));
	weft_hex_encode(kp.pub, WEFT_PUBKEY_LEN, hex);
	EXPECT_STR_EQ(hex, RFC_PUB);

	/* Uppercase is accepted on read. */
	char upper[] = RFC_SEED "\n";
	for (char *p = upper; *p; p++) {
		if (*p >= 'a' && *p <= 'f') {
			*p = (char)(*p - 'a' + 'A');
		}
	}
	memset(&kp, 0, sizeof(kp));
	EXPECT(reads(dir, upper, &kp));
	weft_hex_encode(kp.pub, WEFT_PUBKEY_LEN, hex);
	EXPECT_STR_EQ(hex, RFC_PUB);

	EXPECT(!reads(dir, "", &kp));
	EXPECT(!reads(dir, "\n", &kp));
	EXPECT(!reads(dir, RFC_SEED "\n\n", &kp));
	EXPECT(!reads(dir, RFC_SEED " ", &kp));
	EXPECT(!reads(dir, RFC_SEED "\r\n", &kp));
	EXPECT(!reads(dir, "\n" RFC_SEED, &kp));
	EXPECT(!reads(dir, RFC_SEED "00", &kp));
	EXPECT(!reads(dir, RFC_SEED "0", &kp));
	EXPECT(!reads(dir, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f6",
		&kp));
	EXPECT(!reads(dir, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f6g",
		&kp));
	EXPECT(!reads(dir, "0x61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		&kp));

	/* A failed private read leaves no key material behind. */
	static const struct weft_keypair zero;
	EXPECT(memcmp(&kp, &zero, sizeof(kp)) == 0);

	test_rmtree(dir);
	free(dir);
}

static void test_read_errors(void)
{
	char *dir = test_mkdtemp();
	char path[PATH_MAX];
	struct weft_keypair kp;
	struct weft_error err = { 0 };

	pathf(path, dir, "absent");
	EXPECT(!weft_key_read_private(path, &kp, &err));
	EXPECT(strstr(err.msg, path) != NULL);

	/* Not hanging on a fifo, and not reading a directory. */
	pathf(path, dir, "fifo");
	ASSERT(mkfifo(path, 0600) == 0);
	EXPECT(!weft_key_read_private(path, &kp, &err));
	EXPECT(strstr(err.msg, "not a regular file") != NULL);
	EXPECT(!weft_key_read_private(dir, &kp, &err));

	/* Too permissive: a warning, but the key still works. */
	pathf(path, dir, "open-key");
	test_write_file(dir, "open-key", RFC_SEED "\n", 65);
	ASSERT(chmod(path, 0644) == 0);
	EXPECT(weft_key_read_private(path, &kp, &err));

	test_rmtree(dir);
	free(dir);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_round_trip),
		TEST_CASE(test_never_overwrites),
		TEST_CASE(test_format),
		TEST_CASE(test_read_errors),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
