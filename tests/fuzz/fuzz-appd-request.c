/* A request on appd's control socket (appd/protocol.h), from the bytes of
 * one message to the decoded request or its error reply, as serve() and
 * handle_request() in appd/control.c take them. */
#include <json-c/json.h>

#include "fuzz.h"
#include "request.h"
#include "weft/app_id.h"
#include "weft/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstr(data, size);
	struct weft_error err = { 0 };
	struct json_object *msg = weft_ipc_parse_json(buf, size, &err);
	struct json_object *reply;
	if (msg == NULL) {
		FUZZ_CHECK(err.msg[0] != '\0');
		reply = weft_ipc_reply_error(NULL, "bad_request", "%s", err.msg);
	} else {
		struct appd_request req;
		if (appd_request_decode(msg, &req, &reply)) {
			FUZZ_CHECK(reply == NULL);
			/* What the handlers rely on. */
			if (req.type == APPD_REQUEST_LAUNCH) {
				FUZZ_CHECK(req.app_id != NULL);
				weft_app_id_valid(req.app_id, &err);
			} else if (req.type == APPD_REQUEST_TERMINATE ||
				req.type == APPD_REQUEST_STATE) {
				FUZZ_CHECK(req.session_id != NULL);
			} else if (req.type == APPD_REQUEST_APPS) {
				FUZZ_CHECK(req.limit >= 1);
			}
			reply = weft_ipc_reply_ok(msg);
		}
	}
	/* The reply as it goes on the wire. */
	FUZZ_CHECK(reply != NULL);
	size_t len = 0;
	FUZZ_CHECK(json_object_to_json_string_length(reply, JSON_C_TO_STRING_PLAIN, &len) != NULL);
	json_object_put(reply);
	json_object_put(msg);
	free(buf);
	return 0;
}
