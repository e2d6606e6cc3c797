/*
 * Capability strings (design §4) as the runtime enforces them. appd has
 * already checked them against the signed manifest; here they only decide
 * what the guest may do.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime.h"

void runtime_grants_init(struct runtime_grants *grants)
{
	memset(grants, 0, sizeof(*grants));
	weft_strv_init(&grants->caps);
	weft_strv_init(&grants->fetch_hosts);
}

void runtime_grants_finish(struct runtime_grants *grants)
{
	weft_strv_finish(&grants->caps);
	weft_strv_finish(&grants->fetch_hosts);
}

static bool valid_host(const char *host)
{
	if (host[0] == '\0' || strlen(host) > 253) {
		return false;
	}
	for (const char *p = host; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.') {
			return false;
		}
	}
	return true;
}

bool runtime_grants_add(struct runtime_grants *grants, const char *cap, struct weft_error *err)
{
	static const char fetch_prefix[] = "net:fetch:";

	if (strcmp(cap, "fs:rw:app-data") == 0) {
		grants->app_data = 2;
	} else if (strcmp(cap, "fs:read:app-data") == 0) {
		grants->app_data = grants->app_data > 1 ? 2 : 1;
	} else if (strcmp(cap, "fs:rw:xdg-documents") == 0) {
		grants->documents = 2;
	} else if (strcmp(cap, "fs:read:xdg-documents") == 0) {
		grants->documents = grants->documents > 1 ? 2 : 1;
	} else if (strcmp(cap, "net:fetch:*") == 0) {
		grants->fetch_any = true;
	} else if (strncmp(cap, fetch_prefix, strlen(fetch_prefix)) == 0) {
		const char *host = cap + strlen(fetch_prefix);
		if (!valid_host(host)) {
			weft_error_set(err, "bad host in capability %s", cap);
			return false;
		}
		char *lower = strdup(host);
		if (lower == NULL) {
			weft_error_set(err, "out of memory");
			return false;
		}
		for (char *p = lower; *p != '\0'; p++) {
			*p = (char)tolower((unsigned char)*p);
		}
		if (!weft_strv_push_take(&grants->fetch_hosts, lower)) {
			weft_error_set(err, "out of memory");
			return false;
		}
	} else if (strcmp(cap, "sys:notifications") == 0) {
		grants->notifications = true;
	} else if (strcmp(cap, "sys:clipboard:read") == 0) {
		grants->clipboard_read = true;
	} else if (strcmp(cap, "sys:clipboard:write") == 0) {
		grants->clipboard_write = true;
	} else if (strcmp(cap, "hw:gpu:compute") != 0 && strcmp(cap, "hw:gpu:render") != 0) {
		weft_error_set(err, "unknown capability %s", cap);
		return false;
	}
	if (!weft_strv_contains(&grants->caps, cap) && !weft_strv_push(&grants->caps, cap)) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return true;
}

bool runtime_grants_allow_host(const struct runtime_grants *grants, const char *host)
{
	if (grants->fetch_any) {
		return true;
	}
	for (size_t i = 0; i < grants->fetch_hosts.len; i++) {
		if (strcasecmp(grants->fetch_hosts.items[i], host) == 0) {
			return true;
		}
	}
	return false;
}
