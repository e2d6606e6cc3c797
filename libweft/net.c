/*
 * The network broker's rules (weft/net.h): which host and port a net:fetch
 * grant allows, which addresses a granted name may be connected at, and the
 * resolve-and-connect that appd's broker (and weft-runtime's in developer
 * mode) runs for an app.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weft/capability.h"
#include "weft/net.h"

#define HOST_MAX 253

void weft_net_grants_init(struct weft_net_grants *grants)
{
	*grants = (struct weft_net_grants){ 0 };
}

void weft_net_grants_finish(struct weft_net_grants *grants)
{
	for (size_t i = 0; i < grants->len; i++) {
		free(grants->items[i].host);
	}
	free(grants->items);
	weft_net_grants_init(grants);
}

bool weft_net_grants_add(struct weft_net_grants *grants, const char *cap, struct weft_error *err)
{
	const char *host;
	const struct weft_capability *c = weft_capability_parse(cap, &host, err);
	if (c == NULL) {
		return false;
	}
	if (c->grant != WEFT_GRANT_FETCH) {
		return true;
	}
	if (host == NULL) {
		grants->any = true;
		return true;
	}
	/* The parser checked the port: 1..65535, one spelling. */
	const char *colon = strchr(host, ':');
	size_t len = colon != NULL ? (size_t)(colon - host) : strlen(host);
	struct weft_net_grant grant = {
		.host = strndup(host, len),
		.port = colon != NULL ? (unsigned)strtoul(colon + 1, NULL, 10) : 0,
	};
	struct weft_net_grant *items = grant.host != NULL
		? realloc(grants->items, (grants->len + 1) * sizeof(*items))
		: NULL;
	if (items == NULL) {
		free(grant.host);
		weft_error_set(err, "out of memory");
		return false;
	}
	grants->items = items;
	grants->items[grants->len++] = grant;
	return true;
}

bool weft_net_grants_empty(const struct weft_net_grants *grants)
{
	return !grants->any && grants->len == 0;
}

static bool default_port(unsigned port)
{
	return port == 80 || port == 443;
}

static bool port_matches(const struct weft_net_grant *grant, unsigned port)
{
	return grant->port != 0 ? grant->port == port : default_port(port);
}

/* A grant of HOST itself (not net:fetch:*) on port. */
static bool granted_by_name(const struct weft_net_grants *grants, const char *host, unsigned port)
{
	for (size_t i = 0; i < grants->len; i++) {
		if (strcmp(grants->items[i].host, host) == 0 &&
			port_matches(&grants->items[i], port)) {
			return true;
		}
	}
	return false;
}

/* An IPv4 or IPv6 address as text; fills addr when it is one. */
static bool parse_literal(const char *host, unsigned port, struct sockaddr_storage *addr,
	socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
		return true;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return true;
	}
	return false;
}

static bool valid_host(const char *host)
{
	size_t len = strnlen(host, HOST_MAX + 1);
	struct sockaddr_storage addr;
	socklen_t addr_len;
	return len <= HOST_MAX &&
		(weft_capability_host_valid(host, len) ||
			parse_literal(host, 0, &addr, &addr_len));
}

bool weft_net_allowed(const struct weft_net_grants *grants, const char *host, unsigned port,
	struct weft_error *err)
{
	char q[80];
	if (!valid_host(host) || port == 0 || port > 65535) {
		weft_error_set(err, "not a host and port: '%s' %u",
			weft_escape(host, strlen(host), q, sizeof(q)), port);
		return false;
	}
	if (granted_by_name(grants, host, port) || (grants->any && default_port(port))) {
		return true;
	}
	bool other_port = grants->any;
	for (size_t i = 0; i < grants->len; i++) {
		other_port = other_port || strcmp(grants->items[i].host, host) == 0;
	}
	if (other_port) {
		weft_error_set(err, "capability not granted: net:fetch:%s:%u", host, port);
	} else {
		weft_error_set(err, "capability not granted: net:fetch:%s", host);
	}
	return false;
}

static const char *class_v4(uint32_t a)
{
	static const struct {
		uint32_t net, mask;
		const char *name;
	} ranges[] = {
		{ 0x00000000, 0xff000000, "unspecified" }, /* 0.0.0.0/8, "this network" */
		{ 0x7f000000, 0xff000000, "loopback" }, { 0x0a000000, 0xff000000, "private" },
		{ 0xac100000, 0xfff00000, "private" }, { 0xc0a80000, 0xffff0000, "private" },
		{ 0x64400000, 0xffc00000, "private" }, /* 100.64.0.0/10, carrier NAT */
		{ 0xc6120000, 0xfffe0000, "private" }, /* 198.18.0.0/15, benchmarks */
		{ 0xc0000000, 0xffffff00, "private" }, /* 192.0.0.0/24, IETF */
		{ 0xa9fe0000, 0xffff0000, "link-local" }, { 0xe0000000, 0xf0000000, "multicast" },
		{ 0xf0000000, 0xf0000000, "reserved" }, /* broadcast too */
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if ((a & ranges[i].mask) == ranges[i].net) {
			return ranges[i].name;
		}
	}
	return NULL;
}

const char *weft_net_address_class(const struct sockaddr *addr)
{
	if (addr->sa_family == AF_INET) {
		return class_v4(ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr));
	}
	if (addr->sa_family != AF_INET6) {
		return "reserved";
	}
	const uint8_t *b = ((const struct sockaddr_in6 *)addr)->sin6_addr.s6_addr;
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	static const uint8_t zero[15] = { 0 };
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0) {
		/* An IPv4 address in IPv6 clothes is that IPv4 address. */
		return class_v4((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
			(uint32_t)b[14] << 8 | b[15]);
	}
	if (memcmp(b, zero, 15) == 0) {
		return b[15] == 1 ? "loopback" : b[15] == 0 ? "unspecified" : "reserved";
	}
	if (memcmp(b, zero, 12) == 0) {
		return "reserved"; /* IPv4-compatible, deprecated */
	}
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
		return "link-local";
	}
	if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)) {
		return "private"; /* unique-local, and the old site-local */
	}
	if (b[0] == 0xff) {
		return "multicast";
	}
	return NULL;
}

/* Whether an address of class (NULL: public) may be connected at for a
 * request of host, literal when host is an address. */
static bool address_allowed(const struct weft_net_grants *grants, const char *host, unsigned port,
	bool literal, const char *class)
{
	if (class == NULL) {
		return true;
	}
	if (strcmp(class, "unspecified") == 0 || strcmp(class, "multicast") == 0 ||
		strcmp(class, "reserved") == 0) {
		return false;
	}
	if (!granted_by_name(grants, host, port)) {
		return false; /* only net:fetch:* allows it */
	}
	return literal || (strcmp(host, "localhost") == 0 && strcmp(class, "loopback") == 0);
}

static void address_text(const struct sockaddr *addr, char *text)
{
	const void *a = addr->sa_family == AF_INET
		? (const void *)&((const struct sockaddr_in *)addr)->sin_addr
		: (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr;
	if (inet_ntop(addr->sa_family, a, text, WEFT_NET_ADDRESS_MAX) == NULL) {
		snprintf(text, WEFT_NET_ADDRESS_MAX, "?");
	}
}

/* Connects to addr within timeout_ms; the blocking socket, or -1 with errno
 * set (ETIMEDOUT when the time ran out). */
static int connect_within(const struct sockaddr *addr, socklen_t len, int timeout_ms)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		return -1;
	}
	int rc = connect(fd, addr, len);
	if (rc != 0 && errno == EINPROGRESS) {
		int64_t deadline = weft_now_ms() + timeout_ms;
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int e = 0;
		socklen_t elen = sizeof(e);
		for (;;) {
			int64_t left = deadline - weft_now_ms();
			rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
			if (rc < 0 && errno == EINTR) {
				continue;
			}
			break;
		}
		if (rc == 0) {
			errno = ETIMEDOUT;
			rc = -1;
		} else if (rc > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == 0) {
			errno = e;
			rc = e == 0 ? 0 : -1;
		} else {
			rc = -1;
		}
	}
	if (rc != 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The most addresses of one name that are tried. */
#define ADDRS_MAX 16

struct addrs {
	struct sockaddr_storage addr[ADDRS_MAX];
	socklen_t len[ADDRS_MAX];
	size_t n;
};

/* The addresses host stands for: itself when it is one, localhost's own
 * without asking the resolver (whatever /etc/hosts says), else the
 * resolver's answer. */
static bool resolve(const char *host, unsigned port, struct addrs *out, bool *literal,
	const char **code, struct weft_error *err)
{
	out->n = 0;
	*literal = parse_literal(host, port, &out->addr[0], &out->len[0]);
	if (*literal) {
		out->n = 1;
		return true;
	}
	if (strcmp(host, "localhost") == 0) {
		parse_literal("127.0.0.1", port, &out->addr[0], &out->len[0]);
		parse_literal("::1", port, &out->addr[1], &out->len[1]);
		out->n = 2;
		return true;
	}
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV,
	};
	char service[8];
	snprintf(service, sizeof(service), "%u", port);
	struct addrinfo *list = NULL;
	int rc = getaddrinfo(host, service, &hints, &list);
	if (rc != 0) {
		*code = WEFT_RUNTIME_ERR_UNRESOLVED;
		weft_error_set(err, "cannot resolve %s: %s", host,
			rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return false;
	}
	for (struct addrinfo *ai = list; ai != NULL && out->n < ADDRS_MAX; ai = ai->ai_next) {
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
			ai->ai_addrlen <= sizeof(out->addr[0])) {
			memcpy(&out->addr[out->n], ai->ai_addr, ai->ai_addrlen);
			out->len[out->n++] = ai->ai_addrlen;
		}
	}
	freeaddrinfo(list);
	if (out->n == 0) {
		*code = WEFT_RUNTIME_ERR_UNRESOLVED;
		weft_error_set(err, "cannot resolve %s: no IP address", host);
		return false;
	}
	return true;
}

int weft_net_connect(const struct weft_net_grants *grants, const char *host, unsigned port,
	int timeout_ms, char *address, const char **code, struct weft_error *err)
{
	address[0] = '\0';
	if (!weft_net_allowed(grants, host, port, err)) {
		*code = WEFT_RUNTIME_ERR_PERMISSION_DENIED;
		return -1;
	}
	bool literal;
	struct addrs *addrs = malloc(sizeof(*addrs));
	if (addrs == NULL) {
		*code = WEFT_RUNTIME_ERR_INTERNAL;
		weft_error_set(err, "out of memory");
		return -1;
	}
	if (!resolve(host, port, addrs, &literal, code, err)) {
		free(addrs);
		return -1;
	}
	int fd = -1;
	bool tried = false;
	char text[WEFT_NET_ADDRESS_MAX];
	for (size_t i = 0; fd < 0 && i < addrs->n; i++) {
		const struct sockaddr *addr = (const struct sockaddr *)&addrs->addr[i];
		address_text(addr, text);
		const char *class = weft_net_address_class(addr);
		if (!address_allowed(grants, host, port, literal, class)) {
			if (!tried) {
				*code = WEFT_RUNTIME_ERR_PERMISSION_DENIED;
				char what[300];
				snprintf(what, sizeof(what), literal ? "%s" : "%s is at %s", host,
					text);
				weft_error_set(err,
					"%s, a %s address: apps reach those only by address, "
					"granted as such (net:fetch:%s:%u)",
					what, class, text, port);
			}
			continue;
		}
		tried = true;
		fd = connect_within(addr, addrs->len[i], timeout_ms);
		if (fd >= 0) {
			snprintf(address, WEFT_NET_ADDRESS_MAX, "%s", text);
		} else if (errno == ETIMEDOUT) {
			*code = WEFT_RUNTIME_ERR_TIMEOUT;
			weft_error_set(err, "connect to %s:%u (%s): timed out after %d ms", host,
				port, text, timeout_ms);
		} else {
			*code = WEFT_RUNTIME_ERR_CONNECT_FAILED;
			weft_error_errno(err, "connect to %s:%u (%s)", host, port, text);
		}
	}
	free(addrs);
	return fd;
}
