#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "weft/ipc.h"

/* Deeper nesting than any WEFT message needs; bounds the parser's stack. */
#define JSON_MAX_DEPTH 32

/* Room for the kernel's per-skb bookkeeping on top of the payload. */
#define SNDBUF_SLACK (64 * 1024)

union fd_cmsg {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int) * WEFT_MSG_MAX_FDS)];
};

static void close_fds(const int *fds, size_t nfds)
{
	for (size_t i = 0; i < nfds; i++) {
		close(fds[i]);
	}
}

static bool fill_addr(struct sockaddr_un *addr, const char *path, struct weft_error *err)
{
	*addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
	size_t len = strlen(path);
	if (len == 0) {
		errno = EINVAL;
		weft_error_set(err, "socket path is empty");
		return false;
	}
	if (len >= sizeof(addr->sun_path)) {
		errno = ENAMETOOLONG;
		weft_error_set(err, "socket path %s is too long (%zu bytes, at most %zu)", path,
			len, sizeof(addr->sun_path) - 1);
		return false;
	}
	memcpy(addr->sun_path, path, len + 1);
	return true;
}

/*
 * Decides whether a socket file left at path may be removed: only when nothing
 * listens on it any more. A probe that cannot tell (permission, wrong socket
 * type, full backlog) counts as in use, so a live daemon is never unlinked.
 */
static bool is_stale_socket(const struct sockaddr_un *addr, struct weft_error *err)
{
	int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0) {
		weft_error_errno(err, "socket");
		return false;
	}
	int ret;
	do {
		ret = connect(probe, (const struct sockaddr *)addr, sizeof(*addr));
	} while (ret < 0 && errno == EINTR);
	int saved = errno;
	close(probe);
	if (ret < 0 && (saved == ECONNREFUSED || saved == ENOENT)) {
		return true;
	}
	if (ret == 0 || saved == EAGAIN) {
		errno = EADDRINUSE;
		weft_error_set(err, "%s is already in use by a running process", addr->sun_path);
	} else {
		errno = saved;
		weft_error_errno(err, "probe existing socket %s", addr->sun_path);
	}
	return false;
}

static bool clear_stale_path(const struct sockaddr_un *addr, struct weft_error *err)
{
	const char *path = addr->sun_path;
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT) {
			return true;
		}
		weft_error_errno(err, "stat %s", path);
		return false;
	}
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		weft_error_set(err, "%s exists and is not a socket; not replacing it", path);
		return false;
	}
	if (!is_stale_socket(addr, err)) {
		return false;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		weft_error_errno(err, "remove stale socket %s", path);
		return false;
	}
	return true;
}

static bool bind_listen(int fd, const struct sockaddr_un *addr, struct weft_error *err)
{
	const char *path = addr->sun_path;
	/*
	 * Linux creates the socket file with the socket inode's mode minus the
	 * umask, so this makes it 0600 from the start, without a window where
	 * others could connect and without touching the process-wide umask.
	 * The chmod() below covers kernels that ignore it.
	 */
	if (fchmod(fd, 0600) < 0) {
		weft_error_errno(err, "fchmod socket for %s", path);
		return false;
	}
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		weft_error_errno(err, "bind %s", path);
		return false;
	}
	if (chmod(path, 0600) < 0) {
		weft_error_errno(err, "chmod %s", path);
	} else if (listen(fd, SOMAXCONN) < 0) {
		weft_error_errno(err, "listen %s", path);
	} else {
		return true;
	}
	int saved = errno;
	unlink(path);
	errno = saved;
	return false;
}

int weft_ipc_listen(const char *path, struct weft_error *err)
{
	struct sockaddr_un addr;
	if (!fill_addr(&addr, path, err) || !clear_stale_path(&addr, err)) {
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		weft_error_errno(err, "socket");
		return -1;
	}
	if (!bind_listen(fd, &addr, err)) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int weft_ipc_connect(const char *path, struct weft_error *err)
{
	struct sockaddr_un addr;
	if (!fill_addr(&addr, path, err)) {
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		weft_error_errno(err, "socket");
		return -1;
	}
	int ret;
	do {
		ret = connect(fd, (struct sockaddr *)&addr, sizeof(addr));
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		weft_error_errno(err, "connect %s", path);
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

bool weft_ipc_socketpair(int fds[2], struct weft_error *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
		weft_error_errno(err, "socketpair");
		return false;
	}
	return true;
}

bool weft_ipc_peer_cred(int fd, struct ucred *cred, struct weft_error *err)
{
	socklen_t len = sizeof(*cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0) {
		weft_error_errno(err, "getsockopt SO_PEERCRED");
		return false;
	}
	if (len != sizeof(*cred)) {
		errno = EPROTO;
		weft_error_set(err, "getsockopt SO_PEERCRED: short answer");
		return false;
	}
	return true;
}

/*
 * The kernel refuses a datagram larger than the sender's SO_SNDBUF, and the
 * default (net.core.wmem_default, 208 KiB) is below WEFT_MSG_MAX. Raising it
 * on demand covers every socket, accepted ones included. Returns whether the
 * buffer grew, i.e. whether a retry can succeed.
 */
static bool grow_sndbuf(int fd, size_t len)
{
	int cur = 0;
	socklen_t optlen = sizeof(cur);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &optlen) < 0) {
		return false;
	}
	int want = (int)(len + SNDBUF_SLACK);
	if (cur >= want) {
		return false;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) < 0) {
		return false;
	}
	int now = 0;
	optlen = sizeof(now);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &now, &optlen) < 0) {
		return false;
	}
	return now > cur;
}

bool weft_ipc_fits(size_t len, size_t nfds, struct weft_error *err)
{
	if (len > WEFT_MSG_MAX) {
		errno = EMSGSIZE;
		weft_error_set(err, "send: message of %zu bytes exceeds the %d byte limit", len,
			WEFT_MSG_MAX);
		return false;
	}
	if (nfds > WEFT_MSG_MAX_FDS) {
		errno = EMSGSIZE;
		weft_error_set(err, "send: %zu fds exceed the limit of %d", nfds,
			WEFT_MSG_MAX_FDS);
		return false;
	}
	return true;
}

bool weft_ipc_send(int fd, const void *data, size_t len, const int *fds, size_t nfds,
	struct weft_error *err)
{
	/* On SOCK_SEQPACKET an empty message reads as a hangup. */
	if (len == 0 || (nfds > 0 && fds == NULL)) {
		errno = EINVAL;
		weft_error_set(err, "send: %s", len == 0 ? "empty message" : "no fd array");
		return false;
	}
	if (!weft_ipc_fits(len, nfds, err)) {
		return false;
	}

	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	union fd_cmsg control;
	if (nfds > 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}

	ssize_t n;
	bool grown = false;
	while ((n = sendmsg(fd, &msg, MSG_NOSIGNAL)) < 0) {
		if (errno == EINTR) {
			continue;
		}
		if (errno == EMSGSIZE && !grown && grow_sndbuf(fd, len)) {
			grown = true;
			continue;
		}
		break;
	}
	if (n < 0) {
		if (errno == EMSGSIZE) {
			weft_error_errno(err, "send %zu bytes (is net.core.wmem_max too small?)",
				len);
		} else {
			weft_error_errno(err, "send");
		}
		return false;
	}
	if ((size_t)n != len) {
		/* SOCK_SEQPACKET sends all or nothing; anything else is not ours. */
		errno = EPROTOTYPE;
		weft_error_set(err, "send: short write (%zd of %zu bytes); not a SOCK_SEQPACKET?",
			n, len);
		return false;
	}
	return true;
}

/* Collects the SCM_RIGHTS fds of msg; false when there were more than fit. */
static bool collect_fds(struct msghdr *msg, int *out, size_t *nout)
{
	bool fit = true;
	*nout = 0;
	for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
		cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) {
			continue;
		}
		size_t n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const unsigned char *data = CMSG_DATA(cmsg);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, data + i * sizeof(int), sizeof(fd));
			if (*nout < WEFT_MSG_MAX_FDS) {
				out[(*nout)++] = fd;
			} else {
				close(fd);
				fit = false;
			}
		}
	}
	return fit;
}

ssize_t weft_ipc_recv(int fd, void *buf, size_t cap, int *fds, size_t *nfds,
	struct weft_error *err)
{
	if (nfds != NULL) {
		*nfds = 0;
	}
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	union fd_cmsg control;
	struct msghdr msg;
	ssize_t n;
	do {
		msg = (struct msghdr){
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control.buf,
			.msg_controllen = sizeof(control.buf),
		};
		/* MSG_TRUNC makes the kernel report the message's real length. */
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		weft_error_errno(err, "recv");
		return -1;
	}

	int got[WEFT_MSG_MAX_FDS];
	size_t ngot = 0;
	bool fds_fit = collect_fds(&msg, got, &ngot) && !(msg.msg_flags & MSG_CTRUNC);
	if (!fds_fit || (msg.msg_flags & MSG_TRUNC) || (size_t)n > cap || n > WEFT_MSG_MAX) {
		close_fds(got, ngot);
		errno = EMSGSIZE;
		if (!fds_fit) {
			weft_error_set(err, "recv: message carried more than %d fds",
				WEFT_MSG_MAX_FDS);
		} else if (n > WEFT_MSG_MAX) {
			weft_error_set(err, "recv: message of %zd bytes exceeds the %d byte limit",
				n, WEFT_MSG_MAX);
		} else {
			weft_error_set(err, "recv: message of %zd bytes does not fit %zu bytes", n,
				cap);
		}
		return -1;
	}

	if (fds == NULL || nfds == NULL) {
		/* Nobody asked for fds, so none may leak into this process. */
		close_fds(got, ngot);
	} else {
		memcpy(fds, got, sizeof(int) * ngot);
		*nfds = ngot;
	}
	return n;
}

bool weft_ipc_send_json(int fd, struct json_object *msg, const int *fds, size_t nfds,
	struct weft_error *err)
{
	if (!json_object_is_type(msg, json_type_object)) {
		errno = EINVAL;
		weft_error_set(err, "send: message is not a JSON object");
		return false;
	}
	size_t len = 0;
	const char *s = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
	if (s == NULL) {
		errno = ENOMEM;
		weft_error_errno(err, "send: serialize JSON");
		return false;
	}
	return weft_ipc_send(fd, s, len, fds, nfds, err);
}

struct json_object *weft_ipc_parse_json(const char *buf, size_t len, struct weft_error *err)
{
	/* A NUL would end json-c's parse early and hide what follows it. */
	if (memchr(buf, '\0', len) != NULL) {
		weft_error_set(err, "malformed JSON message: contains a NUL byte");
		return NULL;
	}
	size_t bad = weft_utf8_invalid_at(buf, len);
	if (bad != len) {
		weft_error_set(err, "malformed JSON message at byte %zu: invalid UTF-8", bad);
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (tok == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* Parsing the terminating NUL too ends a top-level number or literal. */
	struct json_object *obj = json_tokener_parse_ex(tok, buf, (int)len + 1);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		weft_error_set(err, "malformed JSON message at byte %zu: %s", end,
			jerr == json_tokener_continue ? "incomplete"
						      : json_tokener_error_desc(jerr));
		json_object_put(obj);
		return NULL;
	}
	/* STRICT already refuses trailing data; this does not depend on it. */
	if (end != len) {
		weft_error_set(err, "malformed JSON message: trailing data at byte %zu", end);
		json_object_put(obj);
		return NULL;
	}
	/* A literal null parses to NULL, which is not an object either. */
	if (!json_object_is_type(obj, json_type_object)) {
		weft_error_set(err, "message is not a JSON object");
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

struct json_object *weft_ipc_recv_json(int fd, int *fds, size_t *nfds, bool *hangup,
	struct weft_error *err)
{
	if (hangup != NULL) {
		*hangup = false;
	}
	if (nfds != NULL) {
		*nfds = 0;
	}
	/* One byte more than the largest message, for the terminating NUL. */
	char *buf = malloc(WEFT_MSG_MAX + 1);
	if (buf == NULL) {
		weft_error_errno(err, "recv");
		return NULL;
	}
	int got[WEFT_MSG_MAX_FDS];
	size_t ngot = 0;
	ssize_t n = weft_ipc_recv(fd, buf, WEFT_MSG_MAX, got, &ngot, err);
	if (n <= 0) {
		int saved = errno;
		free(buf);
		if (n == 0) {
			if (hangup != NULL) {
				*hangup = true;
			}
			weft_error_set(err, "peer hung up");
			saved = 0;
		}
		errno = saved;
		return NULL;
	}
	buf[n] = '\0';
	struct json_object *obj = weft_ipc_parse_json(buf, (size_t)n, err);
	free(buf);
	if (obj == NULL) {
		close_fds(got, ngot);
		errno = EBADMSG;
		return NULL;
	}
	if (fds == NULL || nfds == NULL) {
		close_fds(got, ngot);
	} else {
		memcpy(fds, got, sizeof(int) * ngot);
		*nfds = ngot;
	}
	return obj;
}

/* Takes ownership of val. */
static bool add_field(struct json_object *obj, const char *key, struct json_object *val)
{
	if (val == NULL) {
		return false;
	}
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return false;
	}
	return true;
}

static struct json_object *reply_new(struct json_object *request)
{
	struct json_object *reply = json_object_new_object();
	struct json_object *id = NULL;
	if (reply == NULL || request == NULL ||
		!json_object_object_get_ex(request, WEFT_MSG_ID, &id)) {
		return reply;
	}
	/* A null id is json-c's NULL, which add_field() takes for out of
	 * memory: it is echoed like any other. */
	if (id == NULL) {
		if (json_object_object_add(reply, WEFT_MSG_ID, NULL) != 0) {
			json_object_put(reply);
			return NULL;
		}
		return reply;
	}
	/* Shared with the request; json-c counts references. */
	if (!add_field(reply, WEFT_MSG_ID, json_object_get(id))) {
		json_object_put(reply);
		return NULL;
	}
	return reply;
}

const char *weft_json_get_string(struct json_object *obj, const char *key)
{
	struct json_object *v;
	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
		!json_object_is_type(v, json_type_string)) {
		return NULL;
	}
	return json_object_get_string(v);
}

struct json_object *weft_ipc_reply_ok(struct json_object *request)
{
	struct json_object *reply = reply_new(request);
	if (reply == NULL || !add_field(reply, WEFT_MSG_OK, json_object_new_boolean(1))) {
		json_object_put(reply);
		return NULL;
	}
	return reply;
}

struct json_object *weft_ipc_reply_error(struct json_object *request, const char *code,
	const char *fmt, ...)
{
	char message[WEFT_ERROR_MAX];
	va_list args;
	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);

	struct json_object *reply = reply_new(request);
	struct json_object *error = json_object_new_object();
	if (reply == NULL || error == NULL ||
		!add_field(error, WEFT_MSG_CODE, json_object_new_string(code)) ||
		!add_field(error, WEFT_MSG_MESSAGE, json_object_new_string(message))) {
		json_object_put(error);
		json_object_put(reply);
		return NULL;
	}
	if (!add_field(reply, WEFT_MSG_ERROR, error)) {
		json_object_put(reply);
		return NULL;
	}
	return reply;
}
