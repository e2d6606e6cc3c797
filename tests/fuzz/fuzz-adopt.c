/* The message that gives a prewarmed app-shell its session
 * (app-shell/adopt.h), as app_adoption_recv() decodes it. */
#include <json-c/json.h>

#include "adopt.h"
#include "fuzz.h"
#include "weft/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstr(data, size);
	struct weft_error err = { 0 };
	struct json_object *msg = weft_ipc_parse_json(buf, size, &err);
	if (msg != NULL) {
		struct app_adoption a = { .ipc_fd = -1, .wayland_fd = -1 };
		if (app_adoption_decode(msg, &a, &err)) {
			FUZZ_CHECK(a.app_id != NULL && a.session != NULL && a.package_dir != NULL);
			FUZZ_CHECK(a.pgid == 0 || a.pgid > 1);
		}
		app_adoption_finish(&a);
		json_object_put(msg);
	}
	free(buf);
	return 0;
}
