/*
 * libweft internals shared by package.c, keys.c and trust.c; not installed.
 */
#ifndef WEFT_CRYPTO_H
#define WEFT_CRYPTO_H

#include <sys/stat.h>

#include "weft/common.h"

/* Initialises libsodium; safe to call any number of times, from any thread. */
bool weft_crypto_init(struct weft_error *err);

enum weft_hexfile_result {
	WEFT_HEXFILE_OK,
	WEFT_HEXFILE_MISSING, /* ENOENT */
	WEFT_HEXFILE_MALFORMED, /* not exactly 2 * len hex digits and an optional newline */
	WEFT_HEXFILE_ERROR, /* unreadable, or not a regular file */
};

/*
 * Reads path (relative to dirfd, or AT_FDCWD) as exactly 2 * len hex digits,
 * either case, optionally followed by one newline. open_flags are added to
 * O_RDONLY (e.g. O_NOFOLLOW). The file's stat goes to *st when st is not NULL.
 * len is at most WEFT_SIGNATURE_LEN.
 */
enum weft_hexfile_result weft_hexfile_read(int dirfd, const char *path, int open_flags,
	unsigned char *out, size_t len, struct stat *st, struct weft_error *err);

#endif
