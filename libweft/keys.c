/*
 * Ed25519 key files (design §5): the private key is the 32-byte seed and the
 * public key 32 bytes, each stored as hex and one newline.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "weft/log.h"
#include "weft/package.h"

bool weft_key_generate(struct weft_keypair *kp, struct weft_error *err)
{
	if (!weft_crypto_init(err)) {
		return false;
	}
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	randombytes_buf(kp->seed, sizeof(kp->seed));
	bool ok = crypto_sign_seed_keypair(kp->pub, sk, kp->seed) == 0;
	sodium_memzero(sk, sizeof(sk));
	if (!ok) {
		sodium_memzero(kp, sizeof(*kp));
		weft_error_set(err, "key generation failed");
	}
	return ok;
}

/* Creates path with mode, never replacing anything, and writes data to it. */
static bool write_new_file(const char *path, const char *data, size_t len, mode_t mode,
	struct weft_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		if (errno == EEXIST) {
			weft_error_set(err, "%s already exists; refusing to overwrite it", path);
		} else {
			weft_error_errno(err, "create %s", path);
		}
		return false;
	}
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0) {
			goto fail;
		}
		data += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		goto fail;
	}
	if (close(fd) < 0) {
		weft_error_errno(err, "write %s", path);
		unlink(path);
		return false;
	}
	return true;

fail:
	weft_error_errno(err, "write %s", path);
	close(fd);
	/* We created it, so a half-written key is ours to remove. */
	unlink(path);
	return false;
}

/* Seeds and public keys have the same size and format. */
#define KEY_LEN WEFT_SEED_LEN
_Static_assert(WEFT_SEED_LEN == WEFT_PUBKEY_LEN, "seed and public key sizes differ");

static bool write_key(const char *path, const unsigned char key[KEY_LEN], mode_t mode,
	struct weft_error *err)
{
	char hex[2 * KEY_LEN + 2];
	weft_hex_encode(key, KEY_LEN, hex);
	hex[2 * KEY_LEN] = '\n';
	bool ok = write_new_file(path, hex, sizeof(hex) - 1, mode, err);
	sodium_memzero(hex, sizeof(hex));
	return ok;
}

bool weft_key_write_private(const char *path, const struct weft_keypair *kp,
	struct weft_error *err)
{
	return write_key(path, kp->seed, 0600, err);
}

bool weft_key_write_public(const char *path, const unsigned char pub[WEFT_PUBKEY_LEN],
	struct weft_error *err)
{
	return write_key(path, pub, 0644, err);
}

bool weft_key_read_private(const char *path, struct weft_keypair *kp, struct weft_error *err)
{
	if (!weft_crypto_init(err)) {
		return false;
	}
	struct stat st;
	if (weft_hexfile_read(AT_FDCWD, path, 0, kp->seed, sizeof(kp->seed), &st, err) !=
		WEFT_HEXFILE_OK) {
		sodium_memzero(kp, sizeof(*kp));
		return false;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		weft_log(WEFT_WARN,
			"private key %s is accessible by other users (mode %03o); "
			"it should be 0600",
			path, (unsigned)(st.st_mode & 0777));
	}
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	bool ok = crypto_sign_seed_keypair(kp->pub, sk, kp->seed) == 0;
	sodium_memzero(sk, sizeof(sk));
	if (!ok) {
		sodium_memzero(kp, sizeof(*kp));
		weft_error_set(err, "%s: cannot derive the public key", path);
	}
	return ok;
}

bool weft_key_read_public(const char *path, unsigned char pub[WEFT_PUBKEY_LEN],
	struct weft_error *err)
{
	return weft_hexfile_read(AT_FDCWD, path, 0, pub, WEFT_PUBKEY_LEN, NULL, err) ==
		WEFT_HEXFILE_OK;
}
