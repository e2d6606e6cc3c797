/*
 * net:fetch grants as the network broker enforces them (design §4,
 * issue 11). An app's runtime has no network of its own: the process that
 * has one (appd, or in developer mode weft-runtime's helper) checks a host
 * and port against the grants, resolves the host, connects, and hands the
 * runtime the connected socket. What it may connect to:
 *
 *   - net:fetch:HOST:PORT grants that port of HOST; net:fetch:HOST and
 *     net:fetch:* the ports 80 and 443 (http's and https's) only.
 *   - A name is connected to only at public addresses. Loopback,
 *     link-local, private (RFC 1918, unique-local, 100.64.0.0/10) and the
 *     other special-purpose ranges are refused, so that a granted name
 *     cannot be pointed at the user's own machine or network (DNS
 *     rebinding). Such an address is reached only through a grant that
 *     names it literally (net:fetch:192.168.1.10:8080), or, for loopback,
 *     through net:fetch:localhost, which is 127.0.0.1 and ::1 without
 *     asking the resolver. The unspecified address, multicast and the
 *     reserved 240.0.0.0/4 are never reached.
 *   - net:fetch:* grants any name or address, at public addresses only.
 *
 * The request is the runtime control channel's "connect"
 * (weft/runtime-protocol.h).
 */
#ifndef WEFT_NET_H
#define WEFT_NET_H

#include <sys/socket.h>

#include "weft/common.h"
#include "weft/runtime-protocol.h"

/* The longest a connect may take, resolving included. */
#define WEFT_NET_TIMEOUT_MAX_MS 10000
/* An address as text: INET6_ADDRSTRLEN. */
#define WEFT_NET_ADDRESS_MAX 46

struct weft_net_grant {
	char *host;
	unsigned port; /* 0: 80 and 443 */
};

struct weft_net_grants {
	bool any; /* net:fetch:* */
	struct weft_net_grant *items;
	size_t len;
};

void weft_net_grants_init(struct weft_net_grants *grants);
void weft_net_grants_finish(struct weft_net_grants *grants);
/* Adds cap, read by libweft's capability parser, when it is a net:fetch
 * grant; any other valid capability is left alone. */
bool weft_net_grants_add(struct weft_net_grants *grants, const char *cap, struct weft_error *err);
bool weft_net_grants_empty(const struct weft_net_grants *grants);

/* Whether host:port may be asked for at all, before anything is resolved;
 * else err says "capability not granted: net:fetch:HOST" (HOST is granted
 * on no port) or "...:HOST:PORT" (on others), or that host is no host. */
bool weft_net_allowed(const struct weft_net_grants *grants, const char *host, unsigned port,
	struct weft_error *err);

/* The special-purpose range addr is in ("loopback", "private", ...), or
 * NULL for a public address. */
const char *weft_net_address_class(const struct sockaddr *addr);

/*
 * Checks host:port against grants, resolves host and connects, within
 * timeout_ms for each address tried (resolving is bounded by the resolver's
 * own time-outs: appd bounds the whole from outside). Returns the connected
 * socket (blocking, close-on-exec) and its address as text in address
 * (WEFT_NET_ADDRESS_MAX bytes); -1 with *code the error code
 * (WEFT_RUNTIME_ERR_PERMISSION_DENIED, _UNRESOLVED, _CONNECT_FAILED,
 * _TIMEOUT or _INTERNAL) and err the reason.
 */
int weft_net_connect(const struct weft_net_grants *grants, const char *host, unsigned port,
	int timeout_ms, char *address, const char **code, struct weft_error *err);

#endif
