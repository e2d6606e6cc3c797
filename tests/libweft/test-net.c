/*
 * The network broker's rules (weft/net.h): which host and port a grant
 * allows, which addresses are special, and what weft_net_connect() reaches
 * on this machine's loopback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"
#include "weft/net.h"

static void grants_of(struct weft_net_grants *g, const char *const *caps)
{
	weft_net_grants_init(g);
	for (const char *const *c = caps; *c != NULL; c++) {
		struct weft_error err = { 0 };
		ASSERT(weft_net_grants_add(g, *c, &err));
	}
}

/* NULL when host:port is allowed, else why not. */
static const char *refusal(const struct weft_net_grants *g, const char *host, unsigned port)
{
	static struct weft_error err;
	return weft_net_allowed(g, host, port, &err) ? NULL : err.msg;
}

static void test_ports(void)
{
	struct weft_net_grants g;
	grants_of(&g,
		(const char *const[]){ "net:fetch:example.org", "net:fetch:api.example.org:8443",
			"fs:rw:app-data", NULL });
	EXPECT(g.len == 2 && !g.any);
	/* No port: http's and https's. */
	EXPECT(refusal(&g, "example.org", 443) == NULL);
	EXPECT(refusal(&g, "example.org", 80) == NULL);
	EXPECT_STR_EQ(refusal(&g, "example.org", 8080),
		"capability not granted: net:fetch:example.org:8080");
	/* A port: that one only. */
	EXPECT(refusal(&g, "api.example.org", 8443) == NULL);
	EXPECT_STR_EQ(refusal(&g, "api.example.org", 443),
		"capability not granted: net:fetch:api.example.org:443");
	/* Another host, a subdomain, a differently spelt one. */
	EXPECT_STR_EQ(refusal(&g, "example.com", 443),
		"capability not granted: net:fetch:example.com");
	EXPECT_STR_EQ(refusal(&g, "www.example.org", 443),
		"capability not granted: net:fetch:www.example.org");
	EXPECT(refusal(&g, "EXAMPLE.org", 443) != NULL);
	EXPECT(refusal(&g, "example.org.", 443) != NULL);
	EXPECT(refusal(&g, "", 443) != NULL);
	EXPECT(refusal(&g, "example.org", 0) != NULL);
	weft_net_grants_finish(&g);

	grants_of(&g, (const char *const[]){ "net:fetch:*", NULL });
	EXPECT(g.any && !weft_net_grants_empty(&g));
	EXPECT(refusal(&g, "anything.example", 443) == NULL);
	EXPECT(refusal(&g, "203.0.113.9", 80) == NULL);
	EXPECT(refusal(&g, "2001:db8::1", 443) == NULL);
	EXPECT_STR_EQ(refusal(&g, "anything.example", 22),
		"capability not granted: net:fetch:anything.example:22");
	/* Not a host at all: refused before any resolver sees it. */
	EXPECT(refusal(&g, "exa mple.org", 443) != NULL);
	EXPECT(refusal(&g, "a/b", 443) != NULL);
	weft_net_grants_finish(&g);

	grants_of(&g, (const char *const[]){ "sys:notifications", NULL });
	EXPECT(weft_net_grants_empty(&g));
	EXPECT_STR_EQ(refusal(&g, "example.org", 443),
		"capability not granted: net:fetch:example.org");
	weft_net_grants_finish(&g);
}

static const char *class_of(const char *text)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
	} else {
		return "not an address";
	}
	const char *c = weft_net_address_class((struct sockaddr *)&ss);
	return c != NULL ? c : "public";
}

static void test_address_classes(void)
{
	static const char *const cases[][2] = {
		{ "93.184.215.14", "public" },
		{ "8.8.8.8", "public" },
		{ "127.0.0.1", "loopback" },
		{ "127.255.0.9", "loopback" },
		{ "10.1.2.3", "private" },
		{ "172.16.0.1", "private" },
		{ "172.31.255.255", "private" },
		{ "172.32.0.1", "public" },
		{ "192.168.1.1", "private" },
		{ "100.64.0.1", "private" },
		{ "169.254.169.254", "link-local" }, /* cloud metadata */
		{ "0.0.0.0", "unspecified" },
		{ "224.0.0.1", "multicast" },
		{ "255.255.255.255", "reserved" },
		{ "2606:2800:220:1::1", "public" },
		{ "::1", "loopback" },
		{ "::", "unspecified" },
		{ "fe80::1", "link-local" },
		{ "fd00::1", "private" },
		{ "fc00::1", "private" },
		{ "ff02::1", "multicast" },
		{ "::ffff:127.0.0.1", "loopback" },
		{ "::ffff:10.0.0.1", "private" },
		{ "::ffff:8.8.8.8", "public" },
		{ "64:ff9b::a00:1", "private" }, /* NAT64 of 10.0.0.1 */
		{ "::10.0.0.1", "reserved" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = class_of(cases[i][0]);
		if (strcmp(got, cases[i][1]) != 0) {
			fprintf(stderr, "# %s: %s, expected %s\n", cases[i][0], got, cases[i][1]);
		}
		EXPECT_STR_EQ(got, cases[i][1]);
	}
}

/* A listener on 127.0.0.1 and its port; -1 when there is none. */
static int listener(unsigned *port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	*port = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, len) != 0 || listen(fd, 8) != 0 ||
		getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
		return -1;
	}
	*port = ntohs(addr.sin_port);
	return fd;
}

/* weft_net_connect(): its socket's peer, or its error code and message. */
static int try_connect(const char *const *caps, const char *host, unsigned port, char *address,
	const char **code, struct weft_error *err)
{
	struct weft_net_grants g;
	grants_of(&g, caps);
	*code = NULL;
	int fd = weft_net_connect(&g, host, port, 2000, address, code, err);
	weft_net_grants_finish(&g);
	return fd;
}

static void test_connect(void)
{
	unsigned port;
	int lfd = listener(&port);
	ASSERT(lfd >= 0);
	char cap[64], address[WEFT_NET_ADDRESS_MAX];
	const char *code;
	struct weft_error err = { 0 };

	/* A grant of the address itself reaches loopback. */
	snprintf(cap, sizeof(cap), "net:fetch:127.0.0.1:%u", port);
	int fd = try_connect((const char *const[]){ cap, NULL }, "127.0.0.1", port, address, &code,
		&err);
	EXPECT(fd >= 0);
	EXPECT_STR_EQ(address, "127.0.0.1");
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	EXPECT(fd >= 0 && getpeername(fd, (struct sockaddr *)&peer, &len) == 0 &&
		ntohs(peer.sin_port) == port);
	close(fd);

	/* So does net:fetch:localhost, without the resolver. */
	snprintf(cap, sizeof(cap), "net:fetch:localhost:%u", port);
	fd = try_connect((const char *const[]){ cap, NULL }, "localhost", port, address, &code,
		&err);
	EXPECT(fd >= 0);
	EXPECT_STR_EQ(address, "127.0.0.1");
	close(fd);

	/* net:fetch:* is public addresses only. */
	fd = try_connect((const char *const[]){ "net:fetch:*", NULL }, "127.0.0.1", 80, address,
		&code, &err);
	EXPECT(fd < 0);
	EXPECT_STR_EQ(code, WEFT_RUNTIME_ERR_PERMISSION_DENIED);
	EXPECT_STR_EQ(err.msg,
		"127.0.0.1, a loopback address: apps reach those only by address, granted as "
		"such (net:fetch:127.0.0.1:80)");

	/* Not granted: nothing is resolved or connected. */
	fd = try_connect((const char *const[]){ cap, NULL }, "127.0.0.1", port, address, &code,
		&err);
	EXPECT(fd < 0);
	EXPECT_STR_EQ(code, WEFT_RUNTIME_ERR_PERMISSION_DENIED);
	EXPECT_STR_EQ(err.msg, "capability not granted: net:fetch:127.0.0.1");

	/* Granted, nobody listening. */
	close(lfd);
	snprintf(cap, sizeof(cap), "net:fetch:127.0.0.1:%u", port);
	fd = try_connect((const char *const[]){ cap, NULL }, "127.0.0.1", port, address, &code,
		&err);
	EXPECT(fd < 0);
	EXPECT_STR_EQ(code, WEFT_RUNTIME_ERR_CONNECT_FAILED);
	char want[128];
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u (127.0.0.1): Connection refused",
		port);
	EXPECT_STR_EQ(err.msg, want);

	/* .invalid never resolves (RFC 2606). */
	fd = try_connect((const char *const[]){ "net:fetch:nowhere.invalid", NULL },
		"nowhere.invalid", 443, address, &code, &err);
	EXPECT(fd < 0);
	EXPECT_STR_EQ(code, WEFT_RUNTIME_ERR_UNRESOLVED);
	EXPECT(strncmp(err.msg, "cannot resolve nowhere.invalid: ", 32) == 0);
}

/* DNS rebinding: a granted name that resolves to loopback or a private
 * address is refused. The name: this machine's own, which /etc/hosts
 * usually puts at such an address. */
static void test_name_at_a_private_address(void)
{
	char name[256] = { 0 }, cap[300];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *list = NULL;
	if (gethostname(name, sizeof(name) - 1) != 0 ||
		getaddrinfo(name, "443", &hints, &list) != 0) {
		test_skip("this machine's name does not resolve");
		return;
	}
	bool special = true;
	for (struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
		special = special && weft_net_address_class(ai->ai_addr) != NULL;
	}
	freeaddrinfo(list);
	snprintf(cap, sizeof(cap), "net:fetch:%s", name);
	struct weft_net_grants g;
	weft_net_grants_init(&g);
	if (!special || !weft_net_grants_add(&g, cap, NULL)) {
		test_skip("this machine's name is no host name, or has a public address");
		return;
	}
	char address[WEFT_NET_ADDRESS_MAX];
	const char *code = NULL;
	struct weft_error err = { 0 };
	int fd = weft_net_connect(&g, name, 443, 2000, address, &code, &err);
	weft_net_grants_finish(&g);
	EXPECT(fd < 0);
	EXPECT_STR_EQ(code, WEFT_RUNTIME_ERR_PERMISSION_DENIED);
	char want[300];
	snprintf(want, sizeof(want), "%s is at ", name);
	EXPECT(strncmp(err.msg, want, strlen(want)) == 0);
	EXPECT(strstr(err.msg, " address: apps reach those only by address, granted as such") !=
		NULL);
	fprintf(stderr, "# %s\n", err.msg);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_ports),
		TEST_CASE(test_address_classes),
		TEST_CASE(test_connect),
		TEST_CASE(test_name_at_a_private_address),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
