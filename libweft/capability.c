#include <string.h>

#include "weft/capability.h"

#define FETCH_PREFIX "net:fetch:"
#define FETCH_HOST_PATTERN FETCH_PREFIX "<host>"
#define HOSTNAME_MAX 253
#define LABEL_MAX 63
#define PORT_MAX 65535
/* How much of a bad capability a message shows. */
#define CAP_QUOTE_SIZE 72

const struct weft_capability weft_capabilities[] = {
	{
		.name = "fs:rw:app-data",
		.grant = WEFT_GRANT_DIR,
		.dir = WEFT_DIR_APP_DATA,
		.guest_path = "/data",
		.writable = true,
		.summary = "read and write its own data directory",
	},
	{
		.name = "fs:read:app-data",
		.grant = WEFT_GRANT_DIR,
		.dir = WEFT_DIR_APP_DATA,
		.guest_path = "/data",
		.writable = false,
		.summary = "read its own data directory",
	},
	{
		.name = "fs:rw:xdg-documents",
		.grant = WEFT_GRANT_DIR,
		.dir = WEFT_DIR_XDG_DOCUMENTS,
		.guest_path = "/xdg/documents",
		.writable = true,
		.summary = "read and write your documents",
	},
	{
		.name = "fs:read:xdg-documents",
		.grant = WEFT_GRANT_DIR,
		.dir = WEFT_DIR_XDG_DOCUMENTS,
		.guest_path = "/xdg/documents",
		.writable = false,
		.summary = "read your documents",
	},
	{
		.name = FETCH_PREFIX "*",
		.grant = WEFT_GRANT_FETCH,
		.interface = "weft:app/fetch",
		.summary = "fetch from any host on the network",
	},
	{
		.name = FETCH_HOST_PATTERN,
		.grant = WEFT_GRANT_FETCH,
		.interface = "weft:app/fetch",
		.summary = "fetch from one host on the network",
	},
	{
		.name = "sys:notifications",
		.grant = WEFT_GRANT_NOTIFICATIONS,
		.interface = "weft:app/notifications",
		.summary = "show notifications",
	},
	{
		.name = "sys:clipboard:read",
		.grant = WEFT_GRANT_CLIPBOARD_READ,
		.interface = "weft:app/clipboard",
		.summary = "read the clipboard",
	},
	{
		.name = "sys:clipboard:write",
		.grant = WEFT_GRANT_CLIPBOARD_WRITE,
		.interface = "weft:app/clipboard",
		.summary = "write the clipboard",
	},
	{
		.name = "hw:gpu:compute",
		.grant = WEFT_GRANT_RESERVED,
		.summary = "use the GPU for computing (reserved, grants nothing yet)",
	},
	{
		.name = "hw:gpu:render",
		.grant = WEFT_GRANT_RESERVED,
		.summary = "use the GPU for rendering (reserved, grants nothing yet)",
	},
};

const size_t weft_capabilities_len = sizeof(weft_capabilities) / sizeof(weft_capabilities[0]);

static bool is_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

bool weft_capability_host_valid(const char *host, size_t len)
{
	if (len == 0 || len > HOSTNAME_MAX) {
		return false;
	}
	size_t label = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || host[i] == '.') {
			if (label == 0 || label > LABEL_MAX || host[i - label] == '-' ||
				host[i - 1] == '-') {
				return false;
			}
			label = 0;
		} else if (is_label_char(host[i])) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* Decimal 1..65535, without sign or leading zero: one spelling per port. */
static bool valid_port(const char *port)
{
	if (port[0] < '1' || port[0] > '9') {
		return false;
	}
	unsigned long value = 0;
	for (const char *p = port; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			return false;
		}
		value = value * 10 + (unsigned long)(*p - '0');
		if (value > PORT_MAX) {
			return false;
		}
	}
	return true;
}

static bool valid_host_port(const char *s)
{
	const char *colon = strchr(s, ':');
	if (colon == NULL) {
		return weft_capability_host_valid(s, strlen(s));
	}
	return weft_capability_host_valid(s, (size_t)(colon - s)) && valid_port(colon + 1);
}

const struct weft_capability *weft_capability_parse(const char *cap, const char **host,
	struct weft_error *err)
{
	if (host != NULL) {
		*host = NULL;
	}
	if (cap == NULL) {
		weft_error_set(err, "no capability");
		return NULL;
	}
	const struct weft_capability *pattern = NULL;
	for (size_t i = 0; i < weft_capabilities_len; i++) {
		const struct weft_capability *entry = &weft_capabilities[i];
		/* The pattern's own spelling, "<host>" included, is not a host. */
		if (strcmp(entry->name, FETCH_HOST_PATTERN) == 0) {
			pattern = entry;
		} else if (strcmp(entry->name, cap) == 0) {
			return entry;
		}
	}
	char q[CAP_QUOTE_SIZE];
	size_t prefix_len = strlen(FETCH_PREFIX);
	if (strncmp(cap, FETCH_PREFIX, prefix_len) != 0) {
		weft_error_set(err, "unknown capability '%s'",
			weft_escape(cap, strlen(cap), q, sizeof(q)));
		return NULL;
	}
	if (!valid_host_port(cap + prefix_len)) {
		weft_error_set(err,
			"invalid host in capability '%s' (expected net:fetch:* or "
			"net:fetch:<host>[:<port>], with a lowercase host name)",
			weft_escape(cap, strlen(cap), q, sizeof(q)));
		return NULL;
	}
	if (host != NULL) {
		*host = cap + prefix_len;
	}
	return pattern;
}

const struct weft_capability *weft_capability_lookup(const char *cap, const char **host)
{
	return weft_capability_parse(cap, host, NULL);
}
