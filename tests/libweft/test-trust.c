/*
 * The trust store: *.pub files under $XDG_CONFIG_HOME/weft/trusted-keys,
 * and verification of packages against them.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "weft/package.h"

static void write_pub(const char *dir, const char *rel, const struct weft_keypair *kp)
{
	char hex[2 * WEFT_PUBKEY_LEN + 2];
	weft_hex_encode(kp->pub, WEFT_PUBKEY_LEN, hex);
	hex[2 * WEFT_PUBKEY_LEN] = '\n';
	test_write_file(dir, rel, hex, sizeof(hex) - 1);
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

/* Keys from dir only: the machine may have a system trust store as well. */
static size_t keys_under(const struct weft_trust *trust, const char *dir,
	const struct weft_trusted_key **out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < trust->len; i++) {
		if (strncmp(trust->items[i].path, dir, strlen(dir)) == 0 && n < cap) {
			out[n++] = &trust->items[i];
		}
	}
	return n;
}

static void test_load_and_verify(void)
{
	char *home = test_mkdtemp();
	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_HOME", home, 1);

	/* No trust directory at all is not an error. */
	struct weft_trust trust;
	struct weft_error err = { 0 };
	const struct weft_trusted_key *found[8];
	ASSERT(weft_trust_load(&trust, &err));
	EXPECT(keys_under(&trust, home, found, 8) == 0);
	weft_trust_finish(&trust);

	struct weft_keypair a = new_key(), b = new_key(), stranger = new_key();
	write_pub(home, "weft/trusted-keys/b.pub", &b);
	write_pub(home, "weft/trusted-keys/a.pub", &a);
	write_pub(home, "weft/trusted-keys/stranger.txt", &stranger);
	write_pub(home, "weft/trusted-keys/.stranger.pub", &stranger);
	test_write_file(home, "weft/trusted-keys/broken.pub", "not a key\n", 10);

	ASSERT(weft_trust_load(&trust, &err));
	size_t n = keys_under(&trust, home, found, 8);
	EXPECT(n == 2);
	if (n == 2) {
		/* Sorted by name, whatever order readdir() gives. */
		EXPECT(strstr(found[0]->path, "/weft/trusted-keys/a.pub") != NULL);
		EXPECT(memcmp(found[0]->pub, a.pub, WEFT_PUBKEY_LEN) == 0);
		EXPECT(strstr(found[1]->path, "/weft/trusted-keys/b.pub") != NULL);
		EXPECT(memcmp(found[1]->pub, b.pub, WEFT_PUBKEY_LEN) == 0);
	}

	char *pkg = test_mkdtemp();
	test_write_file(pkg, "wapp.toml", "[package]\n", 10);
	const struct weft_trusted_key *key = NULL;
	EXPECT(weft_trust_verify(&trust, pkg, &key, &err) == WEFT_VERIFY_UNSIGNED);

	ASSERT(weft_pkg_sign(pkg, &b, &err));
	EXPECT(weft_trust_verify(&trust, pkg, &key, &err) == WEFT_VERIFY_OK);
	ASSERT(key != NULL);
	EXPECT(strstr(key->path, "b.pub") != NULL);
	EXPECT(weft_trust_verify(&trust, pkg, NULL, &err) == WEFT_VERIFY_OK);

	ASSERT(weft_pkg_sign(pkg, &stranger, &err));
	EXPECT(weft_trust_verify(&trust, pkg, &key, &err) == WEFT_VERIFY_MISMATCH);
	EXPECT(key == NULL);
	EXPECT(strstr(err.msg, "signature does not match any trusted key") != NULL);

	weft_trust_finish(&trust);
	EXPECT(trust.items == NULL && trust.len == 0);
	test_rmtree(pkg);
	test_rmtree(home);
	free(pkg);
	free(home);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_load_and_verify),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
