/*
 * Signatures (design §5): `sign` writes DIR/signature.sig, `verify` checks it
 * against one key or against the trust store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pack.h"
#include "weft/log.h"
#include "weft/manifest.h"
#include "weft/package.h"

static const char usage_sign[] =
	"Usage: weft-pack sign DIR --key KEY\n"
	"\n"
	"Sign the package in DIR with the private key in KEY (from generate-key):\n"
	"every regular file except signature.sig is hashed and the digest signed\n"
	"with Ed25519 into DIR/signature.sig, replacing an older signature.\n"
	"\n"
	"Options:\n"
	"  -k, --key KEY  the private key file (required)\n"
	"  -h, --help     show this help\n";

static const char usage_verify[] =
	"Usage: weft-pack verify DIR [--key PUB]\n"
	"\n"
	"Check DIR/signature.sig against the package's files. Without --key, the\n"
	"signature must come from a key in the trust store (see weft-pack trust).\n"
	"Prints \"OK: signed by <key> (<key file>)\" and exits 0 when it verifies.\n"
	"\n"
	"Options:\n"
	"  -k, --key PUB  verify against this public key file only\n"
	"  -h, --help     show this help\n";

static const struct option key_options[] = {
	{ "key", required_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* Parses "DIR [--key FILE]". Returns -1 to go on. */
static int parse_dir_key(const char *cmd, const char *usage, int argc, char *argv[],
	const char **dir, const char **key)
{
	static const char *const names[] = { "DIR" };
	pack_getopt_reset();
	int c;
	while ((c = pack_getopt(cmd, argc, argv, "k:h", key_options)) != -1) {
		switch (c) {
		case 'k':
			*key = optarg;
			break;
		case 'h':
			return pack_help(usage);
		default:
			return PACK_EXIT_USAGE;
		}
	}
	if (!pack_positionals(cmd, argc, argv, 1, 1, names)) {
		return PACK_EXIT_USAGE;
	}
	*dir = argv[optind];
	return -1;
}

static bool check_dir(const char *cmd, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) < 0) {
		pack_fail(cmd, "%s: %s", dir, strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		pack_fail(cmd, "%s: not a directory", dir);
		return false;
	}
	return true;
}

int cmd_sign(int argc, char *argv[])
{
	const char *cmd = "sign";
	const char *dir = NULL, *key = NULL;
	int status = parse_dir_key(cmd, usage_sign, argc, argv, &dir, &key);
	if (status >= 0) {
		return status;
	}
	if (key == NULL) {
		return pack_usage_error(cmd, "missing --key KEY (see --help)");
	}
	if (!check_dir(cmd, dir)) {
		return PACK_EXIT_FAIL;
	}
	struct weft_error err = { 0 };
	struct weft_keypair kp;
	if (!weft_key_read_private(key, &kp, &err)) {
		return pack_fail(cmd, "%s", err.msg);
	}
	char *manifest = weft_path_join(dir, WEFT_MANIFEST_FILE);
	if (manifest == NULL) {
		explicit_bzero(&kp, sizeof(kp));
		return pack_fail(cmd, "out of memory");
	}
	struct stat st;
	if (lstat(manifest, &st) < 0) {
		weft_log(WEFT_WARN, "%s: no %s; signing it anyway", dir, WEFT_MANIFEST_FILE);
	}
	free(manifest);

	bool ok = weft_pkg_sign(dir, &kp, &err);
	char hex[2 * WEFT_PUBKEY_LEN + 1];
	weft_hex_encode(kp.pub, sizeof(kp.pub), hex);
	explicit_bzero(&kp, sizeof(kp));
	if (!ok) {
		return pack_fail(cmd, "%s", err.msg);
	}
	printf("signed %s with key %s\n", dir, hex);
	return PACK_EXIT_OK;
}

/* The one-line message for a failed verification. */
static void report_verify(const char *cmd, const char *dir, enum weft_verify_result result,
	const char *against, const struct weft_error *err)
{
	switch (result) {
	case WEFT_VERIFY_OK:
		break;
	case WEFT_VERIFY_UNSIGNED:
		pack_fail(cmd, "%s: not signed (no %s)", dir, WEFT_SIGNATURE_FILE);
		break;
	case WEFT_VERIFY_MALFORMED:
		/* libweft's message names the directory already. */
		pack_fail(cmd, "%s", err->msg);
		break;
	case WEFT_VERIFY_MISMATCH:
		pack_fail(cmd, "%s: signature does not match %s", dir, against);
		break;
	case WEFT_VERIFY_ERROR:
		pack_fail(cmd, "%s", err->msg);
		break;
	}
}

int cmd_verify(int argc, char *argv[])
{
	const char *cmd = "verify";
	const char *dir = NULL, *key = NULL;
	int status = parse_dir_key(cmd, usage_verify, argc, argv, &dir, &key);
	if (status >= 0) {
		return status;
	}
	if (!check_dir(cmd, dir)) {
		return PACK_EXIT_FAIL;
	}
	struct weft_error err = { 0 };
	enum weft_verify_result result;
	unsigned char pub[WEFT_PUBKEY_LEN];
	const char *key_path = key;
	struct weft_trust trust = { 0 };
	if (key != NULL) {
		if (!weft_key_read_public(key, pub, &err)) {
			return pack_fail(cmd, "%s", err.msg);
		}
		/* C11 needs the cast to add const to a pointer to array. */
		const unsigned char(
			*keys)[WEFT_PUBKEY_LEN] = (const unsigned char(*)[WEFT_PUBKEY_LEN]) & pub;
		result = weft_pkg_verify(dir, keys, 1, NULL, &err);
		if (result != WEFT_VERIFY_OK) {
			report_verify(cmd, dir, result, key, &err);
			return PACK_EXIT_FAIL;
		}
	} else {
		if (!weft_trust_load(&trust, &err)) {
			return pack_fail(cmd, "%s", err.msg);
		}
		const struct weft_trusted_key *trusted = NULL;
		result = weft_trust_verify(&trust, dir, &trusted, &err);
		if (result != WEFT_VERIFY_OK) {
			report_verify(cmd, dir, result,
				trust.len == 0 ? "any trusted key (the trust store is empty)"
					       : "any trusted key",
				&err);
			weft_trust_finish(&trust);
			return PACK_EXIT_FAIL;
		}
		memcpy(pub, trusted->pub, sizeof(pub));
		key_path = trusted->path;
	}
	char hex[2 * WEFT_PUBKEY_LEN + 1];
	weft_hex_encode(pub, sizeof(pub), hex);
	printf("OK: signed by %s (%s)\n", hex, key_path);
	weft_trust_finish(&trust);
	return PACK_EXIT_OK;
}
