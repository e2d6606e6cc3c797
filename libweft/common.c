#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "weft/common.h"

void weft_error_set(struct weft_error *err, const char *fmt, ...)
{
	if (err == NULL) {
		return;
	}
	va_list args;
	va_start(args, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, args);
	va_end(args);
}

void weft_error_errno(struct weft_error *err, const char *fmt, ...)
{
	int saved = errno;
	if (err == NULL) {
		return;
	}
	char buf[WEFT_ERROR_MAX];
	va_list args;
	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	snprintf(err->msg, sizeof(err->msg), "%s: %s", buf, strerror(saved));
	errno = saved;
}

void weft_error_prefix(struct weft_error *err, const char *fmt, ...)
{
	if (err == NULL) {
		return;
	}
	char prefix[WEFT_ERROR_MAX];
	va_list args;
	va_start(args, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, args);
	va_end(args);
	char old[WEFT_ERROR_MAX];
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
}

void weft_strv_init(struct weft_strv *v)
{
	*v = (struct weft_strv){ 0 };
}

void weft_strv_finish(struct weft_strv *v)
{
	for (size_t i = 0; i < v->len; i++) {
		free(v->items[i]);
	}
	free(v->items);
	weft_strv_init(v);
}

bool weft_strv_push_take(struct weft_strv *v, char *s)
{
	if (s == NULL) {
		return false;
	}
	/* One slot more than len for the terminating NULL. */
	if (v->len + 1 >= v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		char **items = realloc(v->items, cap * sizeof(*items));
		if (items == NULL) {
			free(s);
			return false;
		}
		v->items = items;
		v->cap = cap;
	}
	v->items[v->len++] = s;
	v->items[v->len] = NULL;
	return true;
}

bool weft_strv_push(struct weft_strv *v, const char *s)
{
	char *copy = strdup(s);
	return copy != NULL && weft_strv_push_take(v, copy);
}

bool weft_strv_pushf(struct weft_strv *v, const char *fmt, ...)
{
	char *s = NULL;
	va_list args;
	va_start(args, fmt);
	int n = vasprintf(&s, fmt, args);
	va_end(args);
	return n >= 0 && weft_strv_push_take(v, s);
}

bool weft_strv_contains(const struct weft_strv *v, const char *s)
{
	for (size_t i = 0; i < v->len; i++) {
		if (strcmp(v->items[i], s) == 0) {
			return true;
		}
	}
	return false;
}

char *weft_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	bool slash = la > 0 && a[la - 1] == '/';
	return weft_strdup_printf("%s%s%s", a, slash ? "" : "/", b);
}

char *weft_strdup_printf(const char *fmt, ...)
{
	char *s = NULL;
	va_list args;
	va_start(args, fmt);
	int n = vasprintf(&s, fmt, args);
	va_end(args);
	return n >= 0 ? s : NULL;
}

int64_t weft_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool weft_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		return false;
	}
	*out = v;
	return true;
}

/* Ours, since json-c's check lets overlong forms and surrogates through. */
size_t weft_utf8_invalid_at(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		/* Continuation bytes are 0x80-0xbf; the second one may be narrower. */
		unsigned char lo = 0x80, hi = 0xbf;
		size_t more;
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			lo = c == 0xe0 ? 0xa0 : 0x80;
			hi = c == 0xed ? 0x9f : 0xbf;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf;
		} else {
			return i;
		}
		if (len - i - 1 < more) {
			return i;
		}
		for (size_t k = 1; k <= more; k++) {
			unsigned char b = s[i + k];
			if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) {
				return i;
			}
		}
		i += more + 1;
	}
	return len;
}

bool weft_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

bool weft_write_kernel_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		return false;
	}
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)len;
}

bool weft_gate_wait(int fd)
{
	char go = 0;
	ssize_t n;
	do {
		n = read(fd, &go, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 && go == '1';
}

void weft_gate_release(int *fd, bool go)
{
	if (*fd < 0) {
		return;
	}
	if (go) {
		ssize_t n;
		do {
			n = write(*fd, "1", 1);
		} while (n < 0 && errno == EINTR);
	}
	close(*fd);
	*fd = -1;
}

int weft_memfd_sealed(const char *name, const void *data, size_t len, struct weft_error *err)
{
	const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		weft_error_errno(err, "memfd_create");
		return -1;
	}
	if (!weft_write_all(fd, data, len)) {
		weft_error_errno(err, "cannot fill the memfd %s", name);
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_ADD_SEALS, seals) != 0) {
		weft_error_errno(err, "cannot seal the memfd %s", name);
		close(fd);
		return -1;
	}
	int applied = fcntl(fd, F_GET_SEALS);
	if (applied < 0 || (applied & seals) != seals) {
		weft_error_set(err, "the memfd %s is not sealed (seals 0x%x)", name,
			applied < 0 ? 0 : (unsigned)applied);
		close(fd);
		return -1;
	}
	return fd;
}
