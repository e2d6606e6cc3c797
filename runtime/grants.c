/*
 * Capability strings (design §4) as the runtime enforces them. appd has
 * already checked them against the signed manifest; here they only decide
 * what the guest may do, read by the same libweft parser.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "weft/capability.h"

void runtime_grants_init(struct runtime_grants *grants)
{
	memset(grants, 0, sizeof(*grants));
	weft_strv_init(&grants->caps);
	weft_net_grants_init(&grants->net);
}

bool runtime_grants_add(struct runtime_grants *grants, const char *cap, struct weft_error *err)
{
	/* The rule weft-pack and appd applied, so that what they let through runs. */
	const struct weft_capability *c = weft_capability_parse(cap, NULL, err);
	if (c == NULL) {
		return false;
	}
	switch (c->grant) {
	case WEFT_GRANT_RESERVED:
		break;
	case WEFT_GRANT_DIR: {
		int level = c->writable ? 2 : 1;
		int *grant = c->dir == WEFT_DIR_APP_DATA ? &grants->app_data : &grants->documents;
		*grant = *grant > level ? *grant : level;
		break;
	}
	case WEFT_GRANT_FETCH:
		if (!weft_net_grants_add(&grants->net, cap, err)) {
			return false;
		}
		break;
	case WEFT_GRANT_NOTIFICATIONS:
		grants->notifications = true;
		break;
	case WEFT_GRANT_CLIPBOARD_READ:
		grants->clipboard_read = true;
		break;
	case WEFT_GRANT_CLIPBOARD_WRITE:
		grants->clipboard_write = true;
		break;
	}
	if (!weft_strv_contains(&grants->caps, cap) && !weft_strv_push(&grants->caps, cap)) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return true;
}
