#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "test.h"
#include "weft/ipc.h"

static bool set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

/* A failing test must not hang on a message that never comes. */
static bool limit_wait(int fd)
{
	struct timeval tv = { .tv_sec = 5 };
	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0;
}

static bool make_pair(int sv[2], struct weft_error *err)
{
	return weft_ipc_socketpair(sv, err) && limit_wait(sv[0]) && limit_wait(sv[1]);
}

/* Whether every write end of the pipe whose read end is rfd has been closed. */
static bool pipe_closed(int rfd)
{
	char c;
	if (!set_nonblock(rfd)) {
		return false;
	}
	return read(rfd, &c, 1) == 0;
}

/*
 * Whether this machine lets an unprivileged socket carry n-byte datagrams:
 * SO_SNDBUF is capped by net.core.wmem_max (doubled by the kernel).
 */
static bool kernel_allows(size_t n)
{
	FILE *f = fopen("/proc/sys/net/core/wmem_max", "r");
	long max = 0;
	if (f == NULL) {
		return false;
	}
	if (fscanf(f, "%ld", &max) != 1) {
		max = 0;
	}
	fclose(f);
	return (size_t)max * 2 > n + 64 * 1024;
}

static void fill_pattern(unsigned char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++) {
		buf[i] = (unsigned char)(i * 31 + seed);
	}
}

/* Sends raw bytes and fds past weft_ipc_send's checks, as a hostile peer would. */
static bool raw_send(int fd, const void *data, size_t len, const int *fds, size_t nfds)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	char control[CMSG_SPACE(sizeof(int) * 16)];
	if (nfds > 0) {
		memset(control, 0, sizeof(control));
		msg.msg_control = control;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	return sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)len;
}

static void test_boundaries(void)
{
	int sv[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	static const size_t sizes[] = { 1, 7, 4096, 100000, 3, 65536 };
	const size_t count = sizeof(sizes) / sizeof(sizes[0]);
	unsigned char *out = malloc(100000);
	unsigned char *in = malloc(200000);
	ASSERT(out != NULL && in != NULL);
	for (size_t i = 0; i < count; i++) {
		fill_pattern(out, sizes[i], (unsigned)i);
		EXPECT(weft_ipc_send(sv[0], out, sizes[i], NULL, 0, &err));
	}
	for (size_t i = 0; i < count; i++) {
		ssize_t n = weft_ipc_recv(sv[1], in, 200000, NULL, NULL, &err);
		EXPECT(n == (ssize_t)sizes[i]);
		fill_pattern(out, sizes[i], (unsigned)i);
		EXPECT(n > 0 && memcmp(in, out, (size_t)n) == 0);
	}
	/* The other direction works too. */
	EXPECT(weft_ipc_send(sv[1], "pong", 4, NULL, 0, &err));
	EXPECT(weft_ipc_recv(sv[0], in, 4, NULL, NULL, &err) == 4);
	EXPECT(memcmp(in, "pong", 4) == 0);
	free(out);
	free(in);
	close(sv[0]);
	close(sv[1]);
}

static void test_max_size(void)
{
	int sv[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	unsigned char *out = malloc(WEFT_MSG_MAX);
	unsigned char *in = malloc(WEFT_MSG_MAX);
	ASSERT(out != NULL && in != NULL);
	fill_pattern(out, WEFT_MSG_MAX, 5);
	bool sent = weft_ipc_send(sv[0], out, WEFT_MSG_MAX, NULL, 0, &err);
	if (kernel_allows(WEFT_MSG_MAX)) {
		EXPECT(sent);
		ssize_t n = weft_ipc_recv(sv[1], in, WEFT_MSG_MAX, NULL, NULL, &err);
		EXPECT(n == WEFT_MSG_MAX);
		EXPECT(n > 0 && memcmp(in, out, WEFT_MSG_MAX) == 0);
	} else {
		fprintf(stderr, "# net.core.wmem_max too small for %d byte messages\n",
			WEFT_MSG_MAX);
		EXPECT(!sent && errno == EMSGSIZE);
		EXPECT(strstr(err.msg, "wmem_max") != NULL);
	}
	free(out);
	free(in);
	close(sv[0]);
	close(sv[1]);
}

static void test_send_refuses(void)
{
	int sv[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	ASSERT(set_nonblock(sv[1]));
	char *big = calloc(1, WEFT_MSG_MAX + 1);
	ASSERT(big != NULL);

	errno = 0;
	EXPECT(!weft_ipc_send(sv[0], big, WEFT_MSG_MAX + 1, NULL, 0, &err));
	EXPECT(errno == EMSGSIZE);
	EXPECT(strstr(err.msg, "limit") != NULL);

	errno = 0;
	EXPECT(!weft_ipc_send(sv[0], "", 0, NULL, 0, &err));
	EXPECT(errno == EINVAL);

	int fds[WEFT_MSG_MAX_FDS + 1];
	for (size_t i = 0; i < WEFT_MSG_MAX_FDS + 1; i++) {
		fds[i] = sv[0];
	}
	errno = 0;
	EXPECT(!weft_ipc_send(sv[0], "x", 1, fds, WEFT_MSG_MAX_FDS + 1, &err));
	EXPECT(errno == EMSGSIZE);

	/* Nothing reached the peer. */
	char c;
	errno = 0;
	EXPECT(weft_ipc_recv(sv[1], &c, 1, NULL, NULL, &err) == -1);
	EXPECT(errno == EAGAIN);
	free(big);
	close(sv[0]);
	close(sv[1]);
}

/*
 * The next message on sv[1] is refused with EMSGSIZE (reading into a buffer
 * of size bytes), with an error that mentions why; the pipe whose read end is
 * pipe_read came with it and is closed; then next arrives intact. Closes
 * pipe_read and the pair.
 */
static void expect_refused_then(int sv[2], int pipe_read, size_t size, const char *why,
	const char *next)
{
	struct weft_error err = { 0 };
	char buf[64];
	int fds[WEFT_MSG_MAX_FDS];
	size_t nfds = 99;
	errno = 0;
	EXPECT(weft_ipc_recv(sv[1], buf, size, fds, &nfds, &err) == -1);
	EXPECT(errno == EMSGSIZE);
	EXPECT(nfds == 0);
	EXPECT(strstr(err.msg, why) != NULL);
	EXPECT(pipe_closed(pipe_read));
	EXPECT(weft_ipc_recv(sv[1], buf, size, fds, &nfds, &err) == (ssize_t)strlen(next));
	EXPECT(memcmp(buf, next, strlen(next)) == 0);
	EXPECT(nfds == 0);
	close(pipe_read);
	close(sv[0]);
	close(sv[1]);
}

static void test_truncated_then_next(void)
{
	int sv[2], p[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	ASSERT(pipe2(p, O_CLOEXEC) == 0);
	char big[100];
	memset(big, 'B', sizeof(big));
	EXPECT(weft_ipc_send(sv[0], big, sizeof(big), &p[1], 1, &err));
	close(p[1]);
	EXPECT(weft_ipc_send(sv[0], "hello", 5, NULL, 0, &err));

	/* The fd that came with the refused message is closed. */
	expect_refused_then(sv, p[0], 16, "100 bytes", "hello");
}

static void test_over_max_with_big_cap(void)
{
	if (!kernel_allows(WEFT_MSG_MAX + 1)) {
		fprintf(stderr, "# net.core.wmem_max too small; nothing to test\n");
		return;
	}
	int sv[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	int sndbuf = 2 * WEFT_MSG_MAX;
	ASSERT(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) == 0);
	size_t cap = WEFT_MSG_MAX + 4096;
	char *buf = calloc(1, cap);
	ASSERT(buf != NULL);
	ASSERT(raw_send(sv[0], buf, WEFT_MSG_MAX + 1, NULL, 0));
	EXPECT(weft_ipc_send(sv[0], "after", 5, NULL, 0, &err));
	errno = 0;
	EXPECT(weft_ipc_recv(sv[1], buf, cap, NULL, NULL, &err) == -1);
	EXPECT(errno == EMSGSIZE);
	EXPECT(weft_ipc_recv(sv[1], buf, cap, NULL, NULL, &err) == 5);
	EXPECT(memcmp(buf, "after", 5) == 0);
	free(buf);
	close(sv[0]);
	close(sv[1]);
}

static void test_fd_passing(void)
{
	int sv[2], p[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	ASSERT(pipe2(p, O_CLOEXEC) == 0);
	int send_fds[2] = { p[1], p[1] };
	EXPECT(weft_ipc_send(sv[0], "fd", 2, send_fds, 2, &err));
	close(p[1]);

	char buf[8];
	int fds[WEFT_MSG_MAX_FDS];
	size_t nfds = 0;
	ASSERT(weft_ipc_recv(sv[1], buf, sizeof(buf), fds, &nfds, &err) == 2);
	ASSERT(nfds == 2);
	EXPECT(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	EXPECT(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
	EXPECT(write(fds[0], "through", 7) == 7);
	char got[8] = { 0 };
	EXPECT(read(p[0], got, sizeof(got)) == 7);
	EXPECT_STR_EQ(got, "through");
	close(fds[0]);
	close(fds[1]);
	EXPECT(pipe_closed(p[0]));
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

static void test_unwanted_fds_closed(void)
{
	int sv[2], p[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	ASSERT(pipe2(p, O_CLOEXEC) == 0);
	EXPECT(weft_ipc_send(sv[0], "fd", 2, &p[1], 1, &err));
	close(p[1]);
	char buf[8];
	EXPECT(weft_ipc_recv(sv[1], buf, sizeof(buf), NULL, NULL, &err) == 2);
	EXPECT(pipe_closed(p[0]));
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

static void test_too_many_fds_received(void)
{
	int sv[2], p[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	ASSERT(pipe2(p, O_CLOEXEC) == 0);
	int fds[WEFT_MSG_MAX_FDS + 2];
	for (size_t i = 0; i < WEFT_MSG_MAX_FDS + 2; i++) {
		fds[i] = p[1];
	}
	ASSERT(raw_send(sv[0], "many", 4, fds, WEFT_MSG_MAX_FDS + 2));
	close(p[1]);
	EXPECT(weft_ipc_send(sv[0], "next", 4, NULL, 0, &err));

	/* Every copy of the write end is gone, the ones that fit included. */
	expect_refused_then(sv, p[0], 8, "fds", "next");
}

static void test_hangup(void)
{
	int sv[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	EXPECT(weft_ipc_send(sv[0], "last", 4, NULL, 0, &err));
	close(sv[0]);
	char buf[8];
	/* A queued message is still delivered before the hangup. */
	EXPECT(weft_ipc_recv(sv[1], buf, sizeof(buf), NULL, NULL, &err) == 4);
	EXPECT(weft_ipc_recv(sv[1], buf, sizeof(buf), NULL, NULL, &err) == 0);
	bool hangup = false;
	EXPECT(weft_ipc_recv_json(sv[1], NULL, NULL, &hangup, &err) == NULL);
	EXPECT(hangup);
	close(sv[1]);
}

static void test_nonblocking_empty(void)
{
	int sv[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	ASSERT(set_nonblock(sv[1]));
	char buf[8];
	errno = 0;
	EXPECT(weft_ipc_recv(sv[1], buf, sizeof(buf), NULL, NULL, &err) == -1);
	EXPECT(errno == EAGAIN);
	bool hangup = true;
	errno = 0;
	EXPECT(weft_ipc_recv_json(sv[1], NULL, NULL, &hangup, &err) == NULL);
	EXPECT(errno == EAGAIN);
	EXPECT(!hangup);
	close(sv[0]);
	close(sv[1]);
}

static void test_listen_connect(void)
{
	char *dir = test_mkdtemp();
	char path[512];
	snprintf(path, sizeof(path), "%s/appd.sock", dir);
	struct weft_error err;
	int lfd = weft_ipc_listen(path, &err);
	ASSERT(lfd >= 0);

	struct stat st;
	EXPECT(stat(path, &st) == 0);
	EXPECT(S_ISSOCK(st.st_mode));
	EXPECT((st.st_mode & 07777) == 0600);
	EXPECT(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	EXPECT(fcntl(lfd, F_GETFL) & O_NONBLOCK);
	/* Non-blocking: nobody is waiting yet. */
	errno = 0;
	EXPECT(accept4(lfd, NULL, NULL, SOCK_CLOEXEC) < 0 && errno == EAGAIN);

	int cfd = weft_ipc_connect(path, &err);
	ASSERT(cfd >= 0);
	ASSERT(limit_wait(cfd));
	EXPECT(fcntl(cfd, F_GETFD) & FD_CLOEXEC);
	EXPECT(!(fcntl(cfd, F_GETFL) & O_NONBLOCK));
	int sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ASSERT(sfd >= 0);
	ASSERT(limit_wait(sfd));
	int type = 0;
	socklen_t len = sizeof(type);
	EXPECT(getsockopt(cfd, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
	EXPECT(type == SOCK_SEQPACKET);

	char buf[8];
	EXPECT(weft_ipc_send(cfd, "hi", 2, NULL, 0, &err));
	EXPECT(weft_ipc_recv(sfd, buf, sizeof(buf), NULL, NULL, &err) == 2);
	EXPECT(weft_ipc_send(sfd, "yo", 2, NULL, 0, &err));
	EXPECT(weft_ipc_recv(cfd, buf, sizeof(buf), NULL, NULL, &err) == 2);
	EXPECT(memcmp(buf, "yo", 2) == 0);

	struct ucred cred;
	EXPECT(weft_ipc_peer_cred(sfd, &cred, &err));
	EXPECT(cred.pid == getpid() && cred.uid == getuid() && cred.gid == getgid());

	close(sfd);
	close(cfd);
	close(lfd);
	test_rmtree(dir);
	free(dir);
}

static void test_connect_missing(void)
{
	char *dir = test_mkdtemp();
	char path[512];
	snprintf(path, sizeof(path), "%s/none.sock", dir);
	struct weft_error err;
	errno = 0;
	EXPECT(weft_ipc_connect(path, &err) == -1);
	EXPECT(errno == ENOENT);
	EXPECT(strstr(err.msg, path) != NULL);
	test_rmtree(dir);
	free(dir);
}

static void test_stale_replaced(void)
{
	char *dir = test_mkdtemp();
	char path[512];
	snprintf(path, sizeof(path), "%s/appd.sock", dir);
	struct weft_error err;
	int lfd = weft_ipc_listen(path, &err);
	ASSERT(lfd >= 0);
	/* A crashed daemon leaves its socket file behind. */
	close(lfd);
	struct stat st;
	EXPECT(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));

	lfd = weft_ipc_listen(path, &err);
	ASSERT(lfd >= 0);
	int cfd = weft_ipc_connect(path, &err);
	EXPECT(cfd >= 0);
	int sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	EXPECT(sfd >= 0);
	close(sfd);
	close(cfd);
	close(lfd);
	test_rmtree(dir);
	free(dir);
}

static void test_live_in_use(void)
{
	char *dir = test_mkdtemp();
	char path[512];
	snprintf(path, sizeof(path), "%s/appd.sock", dir);
	struct weft_error err;
	int lfd = weft_ipc_listen(path, &err);
	ASSERT(lfd >= 0);

	errno = 0;
	EXPECT(weft_ipc_listen(path, &err) == -1);
	EXPECT(errno == EADDRINUSE);
	EXPECT(strstr(err.msg, "already in use") != NULL);

	/* The first daemon still owns the path and still answers. */
	int cfd = weft_ipc_connect(path, &err);
	EXPECT(cfd >= 0);
	int sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	EXPECT(sfd >= 0);
	close(sfd);
	close(cfd);
	close(lfd);
	test_rmtree(dir);
	free(dir);
}

static void test_not_a_socket_kept(void)
{
	char *dir = test_mkdtemp();
	char path[512];
	snprintf(path, sizeof(path), "%s/appd.sock", dir);
	test_write_file(dir, "appd.sock", "precious", 8);
	struct weft_error err;
	errno = 0;
	EXPECT(weft_ipc_listen(path, &err) == -1);
	EXPECT(strstr(err.msg, "not a socket") != NULL);

	char buf[16] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	EXPECT(fd >= 0);
	EXPECT(fd >= 0 && read(fd, buf, sizeof(buf)) == 8);
	EXPECT_STR_EQ(buf, "precious");
	if (fd >= 0) {
		close(fd);
	}
	test_rmtree(dir);
	free(dir);
}

static void test_path_too_long(void)
{
	char path[200];
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	struct weft_error err;
	errno = 0;
	EXPECT(weft_ipc_listen(path, &err) == -1);
	EXPECT(errno == ENAMETOOLONG);
	EXPECT(strstr(err.msg, "too long") != NULL);
	errno = 0;
	EXPECT(weft_ipc_connect(path, &err) == -1);
	EXPECT(errno == ENAMETOOLONG);
}

static void test_peer_cred_socketpair(void)
{
	int sv[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	struct ucred cred = { 0 };
	EXPECT(weft_ipc_peer_cred(sv[0], &cred, &err));
	EXPECT(cred.pid == getpid());
	EXPECT(cred.uid == getuid());
	EXPECT(cred.gid == getgid());
	close(sv[0]);
	close(sv[1]);
	errno = 0;
	EXPECT(!weft_ipc_peer_cred(-1, &cred, &err));
	EXPECT(errno == EBADF);
}

static void test_json_round_trip(void)
{
	int sv[2], p[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	ASSERT(pipe2(p, O_CLOEXEC) == 0);
	struct json_object *msg = json_tokener_parse(
		"{\"id\":7,\"method\":\"launch\",\"app\":\"org.example.h\\u00e9llo\","
		"\"args\":[1,2.5,true,null,{\"k\":\"\xe2\x9c\x93\"}]}");
	ASSERT(msg != NULL);
	EXPECT(weft_ipc_send_json(sv[0], msg, &p[1], 1, &err));
	close(p[1]);

	int fds[WEFT_MSG_MAX_FDS];
	size_t nfds = 0;
	bool hangup = true;
	struct json_object *got = weft_ipc_recv_json(sv[1], fds, &nfds, &hangup, &err);
	ASSERT(got != NULL);
	EXPECT(!hangup);
	EXPECT(json_object_equal(msg, got));
	EXPECT(nfds == 1);
	if (nfds == 1) {
		close(fds[0]);
	}
	EXPECT(pipe_closed(p[0]));

	/* Non-objects are refused at the sender too. */
	struct json_object *arr = json_object_new_array();
	errno = 0;
	EXPECT(!weft_ipc_send_json(sv[0], arr, NULL, 0, &err));
	EXPECT(errno == EINVAL);
	json_object_put(arr);

	json_object_put(msg);
	json_object_put(got);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

static void expect_bad_json(int sender, int receiver, const char *data, size_t len,
	const char *why)
{
	struct weft_error err = { 0 };
	if (!weft_ipc_send(sender, data, len, NULL, 0, &err)) {
		fprintf(stderr, "# send: %s\n", err.msg);
		test_failed = true;
		return;
	}
	bool hangup = true;
	errno = 0;
	struct json_object *obj = weft_ipc_recv_json(receiver, NULL, NULL, &hangup, &err);
	if (obj != NULL || hangup || errno != EBADMSG || strstr(err.msg, why) == NULL) {
		fprintf(stderr,
			"# %zu byte message: got %s, errno %d, error \"%s\", want \"%s\"\n", len,
			obj ? json_object_to_json_string(obj) : "NULL", errno, err.msg, why);
		test_failed = true;
	}
	json_object_put(obj);
}

#define BAD(s, why) expect_bad_json(sv[0], sv[1], s, sizeof(s) - 1, why)

static void test_json_malformed(void)
{
	int sv[2];
	struct weft_error err;
	ASSERT(make_pair(sv, &err));
	BAD("{", "malformed");
	BAD("{\"a\":", "malformed");
	BAD("not json", "malformed");
	BAD("[1,2]", "not a JSON object");
	BAD("\"str\"", "not a JSON object");
	BAD("123", "not a JSON object");
	BAD("null", "not a JSON object");
	BAD("{}x", "malformed");
	BAD("{} {}", "malformed");
	BAD("{\"a\":1}\0{}", "NUL");
	BAD("{\"a\":\"x\0y\"}", "NUL");
	BAD("{\"a\":\"\xff\"}", "malformed");
	BAD("{\"a\":\"\xc0\xaf\"}", "malformed");
	BAD("{\"a\":\"\xed\xa0\x80\"}", "malformed");
	BAD("{\"a\":\"\xe2\x9c\"}", "malformed");

	/* Nesting deep enough to exhaust a naive recursive parser. */
	size_t depth = 100000;
	char *deep = malloc(depth + 8);
	ASSERT(deep != NULL);
	memcpy(deep, "{\"a\":", 5);
	memset(deep + 5, '[', depth);
	expect_bad_json(sv[0], sv[1], deep, depth + 5, "malformed");
	free(deep);

	/* A refused message takes its fds with it; the stream goes on. */
	int p[2];
	ASSERT(pipe2(p, O_CLOEXEC) == 0);
	EXPECT(weft_ipc_send(sv[0], "[]", 2, &p[1], 1, &err));
	close(p[1]);
	int fds[WEFT_MSG_MAX_FDS];
	size_t nfds = 99;
	EXPECT(weft_ipc_recv_json(sv[1], fds, &nfds, NULL, &err) == NULL);
	EXPECT(nfds == 0);
	EXPECT(pipe_closed(p[0]));
	close(p[0]);

	EXPECT(weft_ipc_send(sv[0], "{\"ok\":true} \n", 13, NULL, 0, &err));
	struct json_object *obj = weft_ipc_recv_json(sv[1], NULL, NULL, NULL, &err);
	EXPECT(obj != NULL);
	json_object_put(obj);
	close(sv[0]);
	close(sv[1]);
}

static const char *plain(struct json_object *obj)
{
	return obj != NULL ? json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN) : NULL;
}

static void test_replies(void)
{
	struct json_object *req = json_tokener_parse("{\"id\":42,\"method\":\"list\"}");
	struct json_object *sreq = json_tokener_parse("{\"id\":\"abc\"}");
	struct json_object *oreq = json_tokener_parse("{\"id\":{\"n\":[1]}}");
	struct json_object *noid = json_tokener_parse("{\"method\":\"list\"}");
	struct json_object *nullid = json_tokener_parse("{\"id\":null}");
	ASSERT(req != NULL && sreq != NULL && oreq != NULL && noid != NULL && nullid != NULL);

	struct json_object *r = weft_ipc_reply_ok(req);
	EXPECT_STR_EQ(plain(r), "{\"id\":42,\"ok\":true}");
	json_object_put(r);
	r = weft_ipc_reply_ok(sreq);
	EXPECT_STR_EQ(plain(r), "{\"id\":\"abc\",\"ok\":true}");
	json_object_put(r);
	r = weft_ipc_reply_ok(oreq);
	EXPECT_STR_EQ(plain(r), "{\"id\":{\"n\":[1]},\"ok\":true}");
	json_object_put(r);
	r = weft_ipc_reply_ok(noid);
	EXPECT_STR_EQ(plain(r), "{\"ok\":true}");
	json_object_put(r);
	r = weft_ipc_reply_ok(NULL);
	EXPECT_STR_EQ(plain(r), "{\"ok\":true}");
	json_object_put(r);
	/* json-c's null is a NULL object, echoed like any other id. */
	r = weft_ipc_reply_ok(nullid);
	EXPECT_STR_EQ(plain(r), "{\"id\":null,\"ok\":true}");
	json_object_put(r);
	r = weft_ipc_reply_error(nullid, "bad-request", "no");
	EXPECT_STR_EQ(plain(r),
		"{\"id\":null,\"error\":{\"code\":\"bad-request\",\"message\":\"no\"}}");
	json_object_put(r);

	r = weft_ipc_reply_error(req, "not-found", "no app %s (%d)", "org.x", 3);
	EXPECT_STR_EQ(plain(r),
		"{\"id\":42,\"error\":{\"code\":\"not-found\",\"message\":\"no app org.x (3)\"}}");
	/* The reply outlives the request it answers. */
	json_object_put(req);
	EXPECT_STR_EQ(plain(r),
		"{\"id\":42,\"error\":{\"code\":\"not-found\",\"message\":\"no app org.x (3)\"}}");
	json_object_put(r);
	r = weft_ipc_reply_error(NULL, "bad-request", "malformed");
	EXPECT_STR_EQ(plain(r),
		"{\"error\":{\"code\":\"bad-request\",\"message\":\"malformed\"}}");
	json_object_put(r);

	json_object_put(sreq);
	json_object_put(oreq);
	json_object_put(noid);
	json_object_put(nullid);
}

static void test_json_get_string(void)
{
	struct json_object *obj = json_tokener_parse("{\"s\": \"t\", \"n\": 1, \"z\": null}");
	ASSERT(obj != NULL);
	EXPECT_STR_EQ(weft_json_get_string(obj, "s"), "t");
	EXPECT(weft_json_get_string(obj, "n") == NULL);
	EXPECT(weft_json_get_string(obj, "z") == NULL);
	EXPECT(weft_json_get_string(obj, "missing") == NULL);
	EXPECT(weft_json_get_string(NULL, "s") == NULL);
	json_object_put(obj);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_boundaries),
		TEST_CASE(test_max_size),
		TEST_CASE(test_send_refuses),
		TEST_CASE(test_truncated_then_next),
		TEST_CASE(test_over_max_with_big_cap),
		TEST_CASE(test_fd_passing),
		TEST_CASE(test_unwanted_fds_closed),
		TEST_CASE(test_too_many_fds_received),
		TEST_CASE(test_hangup),
		TEST_CASE(test_nonblocking_empty),
		TEST_CASE(test_listen_connect),
		TEST_CASE(test_connect_missing),
		TEST_CASE(test_stale_replaced),
		TEST_CASE(test_live_in_use),
		TEST_CASE(test_not_a_socket_kept),
		TEST_CASE(test_path_too_long),
		TEST_CASE(test_peer_cred_socketpair),
		TEST_CASE(test_json_round_trip),
		TEST_CASE(test_json_malformed),
		TEST_CASE(test_replies),
		TEST_CASE(test_json_get_string),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
