/*
 * What appd's network broker costs one connection: a plain connect() to a
 * listener on 127.0.0.1 (what the runtime did itself before the broker),
 * weft_net_connect() in-process (the grant and address checks on top), and
 * the broker's way, as appd/net.c does it: a fork, weft_net_connect() in the
 * child, the socket sent back with SCM_RIGHTS, the child reaped by its
 * pidfd. Measured alternately in the same run; medians. Not counted: the
 * runtime's request and appd's reply on the control channel, one
 * SOCK_SEQPACKET round trip each way (about 10 us, bench/runtime).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "weft/ipc.h"
#include "weft/net.h"

#define RUNS 200

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void fail(const char *what)
{
	fprintf(stderr, "bench-net: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Accepts and closes what the three ways connect, so that the backlog
 * never fills. */
static void drain(int lfd)
{
	int fd;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		close(fd);
	}
}

static double direct(const struct sockaddr_in *addr)
{
	double start = now_us();
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0) {
		fail(WEFT_RUNTIME_REQ_CONNECT);
	}
	double t = now_us() - start;
	close(fd);
	return t;
}

static double checked(const struct weft_net_grants *grants, unsigned port)
{
	char address[WEFT_NET_ADDRESS_MAX];
	const char *code;
	struct weft_error err;
	double start = now_us();
	int fd = weft_net_connect(grants, "127.0.0.1", port, 2000, address, &code, &err);
	double t = now_us() - start;
	if (fd < 0) {
		fprintf(stderr, "bench-net: %s\n", err.msg);
		exit(1);
	}
	close(fd);
	return t;
}

static double brokered(const struct weft_net_grants *grants, unsigned port)
{
	double start = now_us();
	int sv[2];
	struct weft_error err;
	if (!weft_ipc_socketpair(sv, &err)) {
		fail("socketpair");
	}
	pid_t pid = fork();
	if (pid < 0) {
		fail("fork");
	}
	if (pid == 0) {
		char address[WEFT_NET_ADDRESS_MAX];
		const char *code;
		int fd = weft_net_connect(grants, "127.0.0.1", port, 2000, address, &code, &err);
		struct json_object *reply = json_object_new_object();
		json_object_object_add(reply, WEFT_RUNTIME_KEY_ADDRESS,
			json_object_new_string(address));
		_exit(fd >= 0 && weft_ipc_send_json(sv[1], reply, &fd, 1, &err) ? 0 : 1);
	}
	close(sv[1]);
	int pidfd = pidfd_open(pid, 0);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	if (pidfd < 0 || poll(&pfd, 1, 5000) != 1) {
		fail("pidfd");
	}
	siginfo_t info = { 0 };
	waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED);
	int fds[WEFT_MSG_MAX_FDS];
	size_t nfds = 0;
	bool hangup;
	struct json_object *reply = weft_ipc_recv_json(sv[0], fds, &nfds, &hangup, &err);
	double t = now_us() - start;
	if (reply == NULL || nfds != 1) {
		fprintf(stderr, "bench-net: the child sent no socket\n");
		exit(1);
	}
	json_object_put(reply);
	close(fds[0]);
	close(sv[0]);
	close(pidfd);
	return t;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		printf("usage: bench-net\n");
		return strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	struct sockaddr_in addr = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, len) != 0 || listen(lfd, 64) != 0 ||
		getsockname(lfd, (struct sockaddr *)&addr, &len) != 0) {
		fail("listen");
	}
	unsigned port = ntohs(addr.sin_port);
	char cap[64];
	snprintf(cap, sizeof(cap), "net:fetch:127.0.0.1:%u", port);
	struct weft_net_grants grants;
	struct weft_error err;
	weft_net_grants_init(&grants);
	if (!weft_net_grants_add(&grants, cap, &err)) {
		fprintf(stderr, "bench-net: %s\n", err.msg);
		return 1;
	}
	static double d[RUNS], c[RUNS], b[RUNS];
	for (int i = 0; i < RUNS; i++) {
		d[i] = direct(&addr);
		drain(lfd);
		c[i] = checked(&grants, port);
		drain(lfd);
		b[i] = brokered(&grants, port);
		drain(lfd);
	}
	double md = median(d, RUNS), mc = median(c, RUNS), mb = median(b, RUNS);
	printf("connect to 127.0.0.1, medians of %d, alternating:\n", RUNS);
	printf("  direct connect()                         %7.1f us\n", md);
	printf("  weft_net_connect() in-process            %7.1f us\n", mc);
	printf("  brokered (fork, connect, SCM_RIGHTS)     %7.1f us\n", mb);
	printf("the broker adds %.0f us to a connection\n", mb - md);
	weft_net_grants_finish(&grants);
	close(lfd);
	return 0;
}
