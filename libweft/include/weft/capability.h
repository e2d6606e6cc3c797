/*
 * The capability table of design §4, as data. A capability string in
 * wapp.toml maps to exactly one entry; nothing undeclared is granted.
 */
#ifndef WEFT_CAPABILITY_H
#define WEFT_CAPABILITY_H

#include "weft/common.h"

enum weft_grant {
	WEFT_GRANT_RESERVED, /* accepted, grants nothing yet (hw:gpu:*) */
	WEFT_GRANT_DIR, /* a host directory preopened for the guest */
	WEFT_GRANT_FETCH, /* weft:app/fetch, to any host or to one */
	WEFT_GRANT_NOTIFICATIONS,
	WEFT_GRANT_CLIPBOARD_READ,
	WEFT_GRANT_CLIPBOARD_WRITE,
};

enum weft_dir_base {
	WEFT_DIR_NONE,
	WEFT_DIR_APP_DATA, /* $XDG_DATA_HOME/weft/data/<id> */
	WEFT_DIR_XDG_DOCUMENTS, /* the user's documents directory */
};

struct weft_capability {
	/* The string as written in wapp.toml; "net:fetch:<host>" is a pattern. */
	const char *name;
	enum weft_grant grant;
	enum weft_dir_base dir; /* WEFT_GRANT_DIR only */
	const char *guest_path; /* WEFT_GRANT_DIR only: where the guest sees it */
	bool writable; /* WEFT_GRANT_DIR only */
	const char *interface; /* the WIT interface it unlocks, or NULL */
	const char *summary; /* one line for humans */
};

extern const struct weft_capability weft_capabilities[];
extern const size_t weft_capabilities_len;

/*
 * Parses a capability string: the one rule wapp.toml, weft-pack, appd and
 * weft-runtime all apply. For "net:fetch:<host>", *host (when host is not
 * NULL) points at the host part of cap, with its ":port" if it has one; it
 * is NULL for every other entry, "net:fetch:*" included. Returns NULL for an
 * unknown or malformed string, with err saying which and why, in the same
 * words wherever it is refused.
 */
const struct weft_capability *weft_capability_parse(const char *cap, const char **host,
	struct weft_error *err);
/* Whether the len bytes at host are a host name as net:fetch:<host> may name
 * it: lowercase labels of letters, digits and inner hyphens, dot-separated
 * (an IPv4 address is one). */
bool weft_capability_host_valid(const char *host, size_t len);
/* weft_capability_parse() without the reason. */
const struct weft_capability *weft_capability_lookup(const char *cap, const char **host);

#endif
