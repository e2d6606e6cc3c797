/*
 * Conventions shared by every WEFT module: error reporting and string lists.
 *
 * Functions that can fail return bool (or NULL) and describe the failure in a
 * caller-provided struct weft_error. Callers add context with
 * weft_error_prefix() and the program prints the message once, at the edge.
 */
#ifndef WEFT_COMMON_H
#define WEFT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEFT_ERROR_MAX 512

#define WEFT_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))

struct weft_error {
	char msg[WEFT_ERROR_MAX];
};

/* err may be NULL, in which case the message is dropped. */
void weft_error_set(struct weft_error *err, const char *fmt, ...) WEFT_PRINTF(2, 3);
/* Like weft_error_set(), appending ": strerror(errno)". */
void weft_error_errno(struct weft_error *err, const char *fmt, ...) WEFT_PRINTF(2, 3);
/* Turns "msg" into "context: msg". */
void weft_error_prefix(struct weft_error *err, const char *fmt, ...) WEFT_PRINTF(2, 3);

/* A growable list of owned strings, kept NULL-terminated. */
struct weft_strv {
	char **items;
	size_t len, cap;
};

void weft_strv_init(struct weft_strv *v);
void weft_strv_finish(struct weft_strv *v);
/* Copies s. */
bool weft_strv_push(struct weft_strv *v, const char *s);
/* Takes ownership of s; frees it on failure. */
bool weft_strv_push_take(struct weft_strv *v, char *s);
bool weft_strv_pushf(struct weft_strv *v, const char *fmt, ...) WEFT_PRINTF(2, 3);
bool weft_strv_contains(const struct weft_strv *v, const char *s);

/* Milliseconds of CLOCK_MONOTONIC: for time-outs and durations. */
int64_t weft_now_ms(void);

/* A whole decimal number in [min, max]; false for anything else. */
bool weft_parse_long(const char *s, long min, long max, long *out);

/* The offset of the first byte of s that is not UTF-8 as RFC 3629 defines it
 * (no overlong forms, no surrogates), or len when all of it is. */
size_t weft_utf8_invalid_at(const char *s, size_t len);

/*
 * len bytes of s made fit for a one-line message in buf (size >= 8): control
 * bytes, C1 controls and bytes that are not UTF-8 as \xNN, as
 * weft_log_escape() does but with backslashes kept, cut with "..." when it
 * does not fit. Returns buf.
 */
const char *weft_escape(const char *s, size_t len, char *buf, size_t size);
/* write() until all of it is written; false on an error (errno set). */
bool weft_write_all(int fd, const void *data, size_t len);

/*
 * Writes text to the existing file at path in one write(), as procfs and
 * cgroupfs files want (a uid_map or cgroup.procs takes no partial writes);
 * false with errno kept when it could not. Only syscalls: safe in a child
 * forked from a multi-threaded parent.
 */
bool weft_write_kernel_file(const char *path, const char *text);

/*
 * A gate: a pipe on which a forked child waits, before it execs, until its
 * parent has put it where it belongs (a process group, a cgroup) and says
 * go. Both sides make only syscalls.
 *
 * weft_gate_wait() (the child) is true when told to go, false when the
 * parent closed the gate or died. weft_gate_release() (the parent) says go
 * (or not), closes *fd and sets it to -1; nothing when *fd is -1.
 */
bool weft_gate_wait(int fd);
void weft_gate_release(int *fd, bool go);

/* malloc'd "a/b", or NULL when out of memory. */
char *weft_path_join(const char *a, const char *b);
/* malloc'd printf; NULL when out of memory. */
char *weft_strdup_printf(const char *fmt, ...) WEFT_PRINTF(1, 2);

/* A memfd holding the len bytes at data, sealed so that nobody, not even a
 * receiver that reopens it through /proc/self/fd, can write, shrink or grow
 * it or change its seals: what is handed to an app process read-only.
 * Returns the fd (close-on-exec), or -1 with err set. */
int weft_memfd_sealed(const char *name, const void *data, size_t len, struct weft_error *err);

#endif
