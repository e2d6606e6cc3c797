/* wapp.toml as libweft parses it at install and at every launch, and the
 * net:fetch grants appd's broker reads from a valid one's capabilities. */
#include "fuzz.h"
#include "weft/manifest.h"
#include "weft/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *m = weft_manifest_parse((const char *)data, size, "wapp.toml",
		&diags);
	FUZZ_CHECK(m != NULL || weft_diags_count(&diags, WEFT_DIAG_ERROR) > 0);
	if (m != NULL) {
		FUZZ_CHECK(m->id != NULL && m->name != NULL && m->version != NULL);
		FUZZ_CHECK(m->module != NULL && m->ui_entry != NULL);
		struct weft_net_grants grants;
		weft_net_grants_init(&grants);
		struct weft_error err = { 0 };
		bool ok = true;
		for (size_t i = 0; ok && i < m->capabilities.len; i++) {
			ok = weft_net_grants_add(&grants, m->capabilities.items[i], &err);
		}
		if (ok) {
			weft_net_allowed(&grants, "example.org", 443, &err);
			weft_net_allowed(&grants, "127.0.0.1", 8080, &err);
		}
		weft_net_grants_finish(&grants);
	}
	for (size_t i = 0; i < diags.len; i++) {
		FUZZ_CHECK(diags.items[i].msg != NULL);
	}
	weft_manifest_destroy(m);
	weft_diags_finish(&diags);
	return 0;
}
