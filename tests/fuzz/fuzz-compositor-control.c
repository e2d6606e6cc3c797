/* A request on the compositor's control channel from appd, from the bytes
 * of one message to the decoded request or its error, as handle_readable()
 * and handle_request() in compositor/control.c take them. */
#include <json-c/json.h>

#include "fuzz.h"
#include "server.h"
#include "weft/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstr(data, size);
	struct weft_error err = { 0 };
	struct json_object *msg = weft_ipc_parse_json(buf, size, &err);
	struct json_object *reply;
	if (msg == NULL) {
		reply = weft_ipc_reply_error(NULL, "bad_request", "%s", err.msg);
	} else {
		struct weft_control_request req;
		const char *code = NULL;
		if (weft_control_decode(msg, &req, &code, &err)) {
			if (req.type == WEFT_CONTROL_CREATE_CLIENT) {
				FUZZ_CHECK(req.app_id != NULL && req.session_id != NULL &&
					req.session_id[0] != '\0');
			} else if (req.type == WEFT_CONTROL_FOCUS_SESSION ||
				req.type == WEFT_CONTROL_CLOSE_SESSION) {
				FUZZ_CHECK(req.session_id != NULL);
			} else if (req.type == WEFT_CONTROL_CLIPBOARD_WRITE) {
				FUZZ_CHECK(req.text != NULL);
			}
			reply = weft_ipc_reply_ok(msg);
		} else {
			FUZZ_CHECK(code != NULL);
			reply = weft_ipc_reply_error(msg, code, "%s", err.msg);
		}
	}
	FUZZ_CHECK(reply != NULL);
	size_t len = 0;
	FUZZ_CHECK(json_object_to_json_string_length(reply, JSON_C_TO_STRING_PLAIN, &len) != NULL);
	json_object_put(reply);
	json_object_put(msg);
	free(buf);
	return 0;
}
