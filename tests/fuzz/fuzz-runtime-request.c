/* A runtime's request on its control channel, as appd decodes it
 * (handle_control_request() in appd/session.c), and a connect's host and
 * port checked against grants as appd_net_connect() does before anything
 * is resolved. The runtime runs the app's code: its bytes are hostile. */
#include <json-c/json.h>

#include "fuzz.h"
#include "request.h"
#include "weft/ipc.h"
#include "weft/net.h"

static struct weft_net_grants grants;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const caps[] = {
		"net:fetch:example.org",
		"net:fetch:api.example.org:8443",
		"net:fetch:192.168.1.10:8080",
		"net:fetch:localhost",
	};
	struct weft_error err = { 0 };
	weft_net_grants_init(&grants);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (!weft_net_grants_add(&grants, caps[i], &err)) {
			fprintf(stderr, "fuzz-runtime-request: %s: %s\n", caps[i], err.msg);
			abort();
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstr(data, size);
	struct appd_runtime_request req;
	struct json_object *reply = NULL;
	struct json_object *msg = appd_runtime_request_decode(buf, size, &req, &reply);
	FUZZ_CHECK((msg == NULL) != (reply == NULL));
	if (msg != NULL && req.type == APPD_RUNTIME_CONNECT) {
		FUZZ_CHECK(req.timeout_ms >= 1 && req.timeout_ms <= WEFT_NET_TIMEOUT_MAX_MS);
		if (req.host != NULL && req.port > 0 && req.port <= 65535) {
			struct weft_error err = { 0 };
			char shown[80];
			weft_escape(req.host, strlen(req.host), shown, sizeof(shown));
			if (!weft_net_allowed(&grants, req.host, (unsigned)req.port, &err)) {
				reply = weft_ipc_reply_error(msg,
					WEFT_RUNTIME_ERR_PERMISSION_DENIED, "%s", err.msg);
			}
		}
	}
	if (reply != NULL) {
		size_t len = 0;
		FUZZ_CHECK(json_object_to_json_string_length(reply, JSON_C_TO_STRING_PLAIN,
				   &len) != NULL);
	}
	json_object_put(reply);
	json_object_put(msg);
	free(buf);
	return 0;
}
