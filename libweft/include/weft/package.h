/*
 * Package contents and signatures (design §5).
 *
 * The digest lists every regular file except the top-level signature.sig,
 * sorted bytewise by '/'-separated relative path, as "<path>\t<sha256 hex>\n";
 * SHA-256 over those lines is the 32-byte digest that Ed25519 signs.
 */
#ifndef WEFT_PACKAGE_H
#define WEFT_PACKAGE_H

#include <stdint.h>

#include "weft/common.h"

#define WEFT_SIGNATURE_FILE "signature.sig"
#define WEFT_SHA256_LEN 32
#define WEFT_SEED_LEN 32
#define WEFT_PUBKEY_LEN 32
#define WEFT_SIGNATURE_LEN 64

/*
 * What a package may hold: one set of limits, which bundle, check, sign,
 * install, verify and appd all apply, through weft_pkg_path_check() and
 * weft_pkg_tally_add().
 */
#define WEFT_PKG_MAX_FILE_SIZE (256ull * 1024 * 1024)
#define WEFT_PKG_MAX_TOTAL_SIZE (1024ull * 1024 * 1024)
#define WEFT_PKG_MAX_FILES 10000
#define WEFT_PKG_MAX_DIRS 10000
#define WEFT_PKG_MAX_DEPTH 32 /* components in a path */
#define WEFT_PKG_MAX_NAME 255 /* bytes in one component */
#define WEFT_PKG_MAX_PATH 4095 /* bytes in a path */

/*
 * Whether path, relative and '/'-separated, may name an entry of a package:
 * no empty, "." or ".." component, within the depth and length limits,
 * UTF-8, and no control character (a tab or a newline would make the
 * digest's lines ambiguous). err names the entry, escaped.
 */
bool weft_pkg_path_check(const char *path, struct weft_error *err);

/* A running count of a package's entries against the limits. */
struct weft_pkg_tally {
	/* 0: the WEFT_PKG_MAX_* default. */
	uint64_t max_file_size, max_total_size;
	size_t max_files, max_dirs;
	size_t files, dirs;
	uint64_t total_size;
};

/* Counts one entry at path, a directory or a regular file of size bytes;
 * false, with err saying which limit, once the package is past one. */
bool weft_pkg_tally_add(struct weft_pkg_tally *tally, const char *path, bool dir, uint64_t size,
	struct weft_error *err);

struct weft_pkg_file {
	char *path; /* relative, '/'-separated */
	uint64_t size;
	unsigned char sha256[WEFT_SHA256_LEN];
};

struct weft_pkg_files {
	struct weft_pkg_file *items;
	size_t len, cap;
};

struct weft_scan_opts {
	uint64_t max_file_size; /* 0: WEFT_PKG_MAX_FILE_SIZE */
	uint64_t max_total_size; /* 0: WEFT_PKG_MAX_TOTAL_SIZE */
	bool refuse_hardlinks; /* regular files with more than one link */
	size_t max_files; /* 0: WEFT_PKG_MAX_FILES */
	size_t max_dirs; /* 0: WEFT_PKG_MAX_DIRS */
};

/*
 * Lists and hashes every regular file under dir, sorted. Symlinks, devices,
 * fifos and sockets are refused, as is whatever weft_pkg_path_check() or
 * the limits refuse. opts may be NULL for the defaults.
 */
bool weft_pkg_scan(const char *dir, const struct weft_scan_opts *opts, struct weft_pkg_files *out,
	struct weft_error *err);
void weft_pkg_files_finish(struct weft_pkg_files *files);
void weft_pkg_digest(const struct weft_pkg_files *files, unsigned char digest[WEFT_SHA256_LEN]);

/* Lowercase hex; out holds 2 * len + 1 bytes. */
void weft_hex_encode(const unsigned char *in, size_t len, char *out);
/* Exactly 2 * len hex digits, either case; false otherwise. */
bool weft_hex_decode(const char *in, unsigned char *out, size_t len);

struct weft_keypair {
	unsigned char seed[WEFT_SEED_LEN];
	unsigned char pub[WEFT_PUBKEY_LEN];
};

bool weft_key_generate(struct weft_keypair *kp, struct weft_error *err);
/* Both refuse to overwrite; the private key file is created with mode 0600. */
bool weft_key_write_private(const char *path, const struct weft_keypair *kp,
	struct weft_error *err);
bool weft_key_write_public(const char *path, const unsigned char pub[WEFT_PUBKEY_LEN],
	struct weft_error *err);
/* 64 hex chars, optional trailing newline. Derives the public key. */
bool weft_key_read_private(const char *path, struct weft_keypair *kp, struct weft_error *err);
bool weft_key_read_public(const char *path, unsigned char pub[WEFT_PUBKEY_LEN],
	struct weft_error *err);

/* Scans dir, signs its digest and writes signature.sig atomically. */
bool weft_pkg_sign(const char *dir, const struct weft_keypair *kp, struct weft_error *err);

enum weft_verify_result {
	WEFT_VERIFY_OK,
	WEFT_VERIFY_UNSIGNED, /* no signature.sig */
	WEFT_VERIFY_MALFORMED, /* signature.sig is not 128 hex chars */
	WEFT_VERIFY_MISMATCH, /* no key verifies the signature */
	WEFT_VERIFY_ERROR, /* the package could not be read or is refused */
};

/*
 * Verifies dir against keys. On WEFT_VERIFY_OK, *matched (if not NULL) is
 * the index of the key that verified it. err explains every other result.
 */
enum weft_verify_result weft_pkg_verify(const char *dir,
	const unsigned char (*keys)[WEFT_PUBKEY_LEN], size_t nkeys, size_t *matched,
	struct weft_error *err);

struct weft_trusted_key {
	unsigned char pub[WEFT_PUBKEY_LEN];
	char *path;
};

struct weft_trust {
	struct weft_trusted_key *items;
	size_t len, cap;
};

/* Loads every *.pub in weft_trust_dirs(); malformed files are warned about and skipped. */
bool weft_trust_load(struct weft_trust *trust, struct weft_error *err);
void weft_trust_finish(struct weft_trust *trust);
/* Verifies dir against the trust store. */
enum weft_verify_result weft_trust_verify(const struct weft_trust *trust, const char *dir,
	const struct weft_trusted_key **key, struct weft_error *err);

#endif
