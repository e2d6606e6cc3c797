/*
 * Compiling a component takes far longer than starting it, so the compiled
 * artifact is cached under $XDG_CACHE_HOME/weft/components/. Wasmtime's
 * deserializer trusts its input, so an entry is used only when its own
 * header names this component's hash (SHA-256) and this Wasmtime, and the
 * artifact's BLAKE2b hash matches; anything else is rebuilt. (BLAKE2b
 * because it is three times faster here, and this hash is on the start-up
 * path.)
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"
#include "weft/log.h"

#define CACHE_MAGIC "WEFT-CWASM-2\n\0\0\0"
#define CACHE_MAGIC_LEN 16
#define COMPONENT_MAX_SIZE (256u * 1024 * 1024)

/* Everything that changes the compiled code goes into the key. */
#define CACHE_FLAVOUR "wasmtime " WASMTIME_VERSION " x86_64 epoch-interruption no-memory-init-cow"

struct cache_header {
	char magic[CACHE_MAGIC_LEN];
	uint8_t key[crypto_hash_sha256_BYTES];
	uint8_t artifact_hash[crypto_generichash_BYTES];
	uint64_t artifact_len;
};

/*
 * Wasmtime reports an error as a message, a blank line, "Caused by:" and the
 * causes, one per line (numbered when there are several), some spread over
 * more lines. We want one line: "message: cause: cause".
 */
static void one_line(char *out, size_t cap, const char *text, size_t len)
{
	size_t n = 0;
	bool causes = false, numbered = false, first_cause = true;
	const char *end = text + len;
	for (const char *line = text; line < end && n + 1 < cap;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *stop = nl != NULL ? nl : end;
		const char *p = line;
		while (p < stop && (*p == ' ' || *p == '\t')) {
			p++;
		}
		size_t plen = (size_t)(stop - p);
		const char *sep = n > 0 ? " " : "";
		if (plen == 0) {
			sep = NULL;
		} else if (plen == 10 && memcmp(p, "Caused by:", 10) == 0) {
			causes = true;
			sep = NULL;
		} else if (causes) {
			const char *q = p;
			while (q < stop && *q >= '0' && *q <= '9') {
				q++;
			}
			bool item = q > p && q + 1 < stop && q[0] == ':' && q[1] == ' ';
			if (first_cause) {
				numbered = item;
			}
			if (first_cause || (numbered && item)) {
				sep = ": ";
				if (item) {
					p = q + 2;
					plen = (size_t)(stop - p);
				}
			}
			first_cause = false;
		}
		if (sep != NULL) {
			int w = snprintf(out + n, cap - n, "%s%.*s", sep, (int)plen, p);
			n = w < 0 ? n : n + (size_t)w;
			if (n >= cap) {
				n = cap - 1;
			}
		}
		line = stop + 1;
	}
	out[n < cap ? n : cap - 1] = '\0';
}

void runtime_error_take(struct weft_error *err, wasmtime_error_t *error)
{
	wasm_name_t msg;
	wasmtime_error_message(error, &msg);
	if (err != NULL) {
		one_line(err->msg, sizeof(err->msg), msg.data, msg.size);
	}
	wasm_byte_vec_delete(&msg);
	wasmtime_error_delete(error);
}

static bool read_file(const char *path, size_t max, uint8_t **data, size_t *len,
	struct weft_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		weft_error_errno(err, "open %s", path);
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		weft_error_errno(err, "stat %s", path);
		close(fd);
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		weft_error_set(err, "%s: not a regular file", path);
		close(fd);
		return false;
	}
	if ((uint64_t)st.st_size > max) {
		weft_error_set(err, "%s: too large (%lld bytes)", path, (long long)st.st_size);
		close(fd);
		return false;
	}
	uint8_t *buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL) {
		weft_error_set(err, "out of memory");
		close(fd);
		return false;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			weft_error_errno(err, "read %s", path);
			free(buf);
			close(fd);
			return false;
		}
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*len = got;
	return true;
}

static char *entry_path(const char *cache_dir, const uint8_t key[crypto_hash_sha256_BYTES])
{
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	sodium_bin2hex(hex, sizeof(hex), key, crypto_hash_sha256_BYTES);
	return weft_strdup_printf("%s/%s.cwasm", cache_dir, hex);
}

static wasmtime_component_t *cache_lookup(wasm_engine_t *engine, const char *path,
	const uint8_t key[crypto_hash_sha256_BYTES])
{
	struct weft_error err;
	uint8_t *data;
	size_t len;
	if (!read_file(path, COMPONENT_MAX_SIZE * 4ull, &data, &len, &err)) {
		if (errno != ENOENT) {
			weft_log(WEFT_WARN, "cache: %s", err.msg);
		}
		return NULL;
	}
	wasmtime_component_t *component = NULL;
	struct cache_header hdr;
	uint8_t hash[crypto_generichash_BYTES];
	if (len < sizeof(hdr)) {
		goto stale;
	}
	memcpy(&hdr, data, sizeof(hdr));
	if (memcmp(hdr.magic, CACHE_MAGIC, CACHE_MAGIC_LEN) != 0 ||
		memcmp(hdr.key, key, sizeof(hdr.key)) != 0 ||
		hdr.artifact_len != len - sizeof(hdr)) {
		goto stale;
	}
	crypto_generichash(hash, sizeof(hash), data + sizeof(hdr), hdr.artifact_len, NULL, 0);
	if (sodium_memcmp(hash, hdr.artifact_hash, sizeof(hash)) != 0) {
		goto stale;
	}
	wasmtime_error_t *error = wasmtime_component_deserialize(engine, data + sizeof(hdr),
		hdr.artifact_len, &component);
	if (error != NULL) {
		runtime_error_take(&err, error);
		weft_log(WEFT_WARN, "cache: %s: %s", path, err.msg);
		component = NULL;
		goto stale;
	}
	free(data);
	return component;

stale:
	weft_log(WEFT_INFO, "cache: %s is stale or corrupt, rebuilding", path);
	free(data);
	return NULL;
}

static void cache_store(const char *path, const uint8_t key[crypto_hash_sha256_BYTES],
	const wasmtime_component_t *component)
{
	wasm_byte_vec_t artifact;
	wasmtime_error_t *error = wasmtime_component_serialize(component, &artifact);
	if (error != NULL) {
		struct weft_error err;
		runtime_error_take(&err, error);
		weft_log(WEFT_WARN, "cache: serialize: %s", err.msg);
		return;
	}

	struct cache_header hdr = { 0 };
	memcpy(hdr.magic, CACHE_MAGIC, CACHE_MAGIC_LEN);
	memcpy(hdr.key, key, sizeof(hdr.key));
	crypto_generichash(hdr.artifact_hash, sizeof(hdr.artifact_hash),
		(const uint8_t *)artifact.data, artifact.size, NULL, 0);
	hdr.artifact_len = artifact.size;

	char *tmp = weft_strdup_printf("%s.tmp.%ld", path, (long)getpid());
	int fd = -1;
	if (tmp == NULL) {
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		weft_log_errno(WEFT_WARN, "cache: open %s", tmp);
		goto out;
	}
	/* Renamed only when complete, so a reader never sees half an entry. */
	if (!weft_write_all(fd, &hdr, sizeof(hdr)) ||
		!weft_write_all(fd, artifact.data, artifact.size) || fsync(fd) != 0 ||
		rename(tmp, path) != 0) {
		weft_log_errno(WEFT_WARN, "cache: write %s", path);
		unlink(tmp);
	}

out:
	if (fd >= 0) {
		close(fd);
	}
	free(tmp);
	wasm_byte_vec_delete(&artifact);
}

wasmtime_component_t *runtime_component_load(wasm_engine_t *engine, const char *path,
	const char *cache_dir, struct weft_error *err)
{
	uint8_t *wasm;
	size_t len;
	if (!read_file(path, COMPONENT_MAX_SIZE, &wasm, &len, err)) {
		return NULL;
	}

	uint8_t key[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)CACHE_FLAVOUR, sizeof(CACHE_FLAVOUR));
	crypto_hash_sha256_update(&st, wasm, len);
	crypto_hash_sha256_final(&st, key);

	char *entry = cache_dir != NULL ? entry_path(cache_dir, key) : NULL;
	wasmtime_component_t *component = NULL;
	if (entry != NULL) {
		component = cache_lookup(engine, entry, key);
	}
	if (component == NULL) {
		wasmtime_error_t *error = wasmtime_component_new(engine, wasm, len, &component);
		if (error != NULL) {
			runtime_error_take(err, error);
			weft_error_prefix(err, "%s", path);
			component = NULL;
		} else if (entry != NULL) {
			cache_store(entry, key, component);
		}
	}
	free(entry);
	free(wasm);
	return component;
}
