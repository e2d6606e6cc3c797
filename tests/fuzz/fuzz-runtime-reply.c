/* appd's reply on the runtime control channel, as the runtime decodes it
 * (await_reply() and the callers in runtime/control.c): a notification's or
 * a clipboard's answer, and a connect's from appd's network broker. */
#include <json-c/json.h>

#include "fuzz.h"
#include "runtime.h"
#include "weft/ipc.h"
#include "weft/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The runtime's receive buffer has no NUL after the message. */
	char *buf = malloc(size > 0 ? size : 1);
	FUZZ_CHECK(buf != NULL);
	memcpy(buf, data, size);
	struct json_object *reply = runtime_control_reply_parse(buf, size, 1);
	if (reply != NULL) {
		struct weft_error err = { 0 };
		bool denied = false;
		if (!runtime_control_reply_failed(reply, &denied, &err)) {
			/* As runtime_control_request() reads a clipboard's text and
			 * runtime_control_connect() the address. */
			struct json_object *t;
			if (json_object_object_get_ex(reply, "text", &t) &&
				json_object_is_type(t, json_type_string)) {
				free(strdup(json_object_get_string(t)));
			}
			const char *a = weft_json_get_string(reply, WEFT_RUNTIME_KEY_ADDRESS);
			char address[WEFT_NET_ADDRESS_MAX];
			snprintf(address, sizeof(address), "%s", a != NULL ? a : "");
		} else {
			FUZZ_CHECK(err.msg[0] != '\0' || !denied);
		}
		json_object_put(reply);
	}
	free(buf);
	return 0;
}
