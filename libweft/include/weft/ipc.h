/*
 * SOCK_SEQPACKET messaging shared by WEFT's daemons (design §3).
 *
 * SOCK_SEQPACKET keeps message boundaries, so one message is one
 * send()/recv() and no framing code exists. Every message is capped at
 * WEFT_MSG_MAX bytes; a larger or truncated one is an error, never a partial
 * read. Control messages are JSON objects; a request may carry "id", and its
 * reply echoes it with either "ok": true or "error": {"code", "message"}.
 */
#ifndef WEFT_IPC_H
#define WEFT_IPC_H

#include <sys/socket.h>
#include <sys/types.h>

#include "weft/common.h"

struct json_object;

#define WEFT_MSG_MAX (1024 * 1024)
#define WEFT_MSG_MAX_FDS 8

/*
 * The envelope the control protocols share (weft/appd-protocol.h,
 * weft/compositor-protocol.h, weft/runtime-protocol.h): a request is
 * {"type": T, "id": I, ...}, its reply {"id": I, "ok": true, ...} or
 * {"id": I, "error": {"code": C, "message": M}}, an event {"event": E, ...}.
 */
#define WEFT_MSG_TYPE "type"
#define WEFT_MSG_ID "id"
#define WEFT_MSG_OK "ok"
#define WEFT_MSG_ERROR "error"
#define WEFT_MSG_CODE "code"
#define WEFT_MSG_MESSAGE "message"
#define WEFT_MSG_EVENT "event"

/* A listening SOCK_SEQPACKET socket at path (CLOEXEC, NONBLOCK, mode 0600). A
 * stale socket file is replaced; a live one is an error. */
int weft_ipc_listen(const char *path, struct weft_error *err);
/* A connected SOCK_SEQPACKET socket (CLOEXEC, blocking). */
int weft_ipc_connect(const char *path, struct weft_error *err);
/* A connected pair (CLOEXEC). */
bool weft_ipc_socketpair(int fds[2], struct weft_error *err);
/* The peer's pid, uid and gid as the kernel saw them at connect time. */
bool weft_ipc_peer_cred(int fd, struct ucred *cred, struct weft_error *err);

/* Whether a message of len bytes with nfds fds may be sent; else false,
 * with errno EMSGSIZE. */
bool weft_ipc_fits(size_t len, size_t nfds, struct weft_error *err);

/*
 * Sends one message of len bytes (<= WEFT_MSG_MAX) with up to WEFT_MSG_MAX_FDS fds.
 * len == 0 is refused (EINVAL): on SOCK_SEQPACKET an empty message cannot be
 * told from a hangup. Fails with errno EAGAIN when a non-blocking socket is full.
 * Large messages raise the socket's SO_SNDBUF, which net.core.wmem_max caps.
 */
bool weft_ipc_send(int fd, const void *data, size_t len, const int *fds, size_t nfds,
	struct weft_error *err);
/*
 * Receives one message into buf. Returns its length, 0 when the peer hung up,
 * -1 on error with errno set (EAGAIN when nothing is pending; EMSGSIZE when the
 * message did not fit buf or carried too many fds, in which case every fd it
 * carried is closed). fds/nfds may be NULL; received fds are CLOEXEC.
 * fds, when given, has room for WEFT_MSG_MAX_FDS; without it, received fds
 * are closed.
 */
ssize_t weft_ipc_recv(int fd, void *buf, size_t cap, int *fds, size_t *nfds,
	struct weft_error *err);

/* msg must be a JSON object. */
bool weft_ipc_send_json(int fd, struct json_object *msg, const int *fds, size_t nfds,
	struct weft_error *err);
/*
 * Receives one message that must be a JSON object. Returns NULL on hangup
 * (*hangup set), error or malformed JSON (err says which; errno is EAGAIN
 * when nothing is pending and EBADMSG for malformed JSON). The caller owns
 * the result (json_object_put). On failure no fds are returned.
 */
struct json_object *weft_ipc_recv_json(int fd, int *fds, size_t *nfds, bool *hangup,
	struct weft_error *err);

/*
 * The decoding half of weft_ipc_recv_json(), for tests and fuzzers: the
 * len bytes at buf as one JSON object, or NULL with err saying why (a NUL
 * byte, invalid UTF-8, malformed or trailing data, not an object). buf[len]
 * must be a NUL byte, which ends a top-level number or literal.
 */
struct json_object *weft_ipc_parse_json(const char *buf, size_t len, struct weft_error *err);

/*
 * {"id": <request id if any>, "ok": true}; add fields to it before sending.
 * request may be NULL. Both replies return NULL when out of memory.
 */
struct json_object *weft_ipc_reply_ok(struct json_object *request);
/* The string member key of obj; NULL when obj is NULL, or key is missing or
 * not a string. Valid as long as obj is. */
const char *weft_json_get_string(struct json_object *obj, const char *key);

/* {"id": ..., "error": {"code": code, "message": ...}} */
struct json_object *weft_ipc_reply_error(struct json_object *request, const char *code,
	const char *fmt, ...) WEFT_PRINTF(3, 4);

#endif
