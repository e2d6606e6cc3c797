/*
 * weft-shell's page <-> host contract without Servo: which page messages
 * reach appd (the allowlist), the host's own requests and their arguments,
 * and which package icon paths may be served.
 */
#include <json-c/json.h>
#include <string.h>

#include "host.h"
#include "test.h"

/* The error code of a failed decode's reply, or NULL when it succeeded. */
static const char *decode_error(const char *text, char *code, size_t size)
{
	struct shell_request req;
	struct json_object *reply;
	if (shell_request_decode(text, strlen(text), &req, &reply)) {
		json_object_put(req.msg);
		return NULL;
	}
	struct json_object *error, *c;
	snprintf(code, size, "%s",
		json_object_object_get_ex(reply, "error", &error) &&
				json_object_object_get_ex(error, "code", &c)
			? json_object_get_string(c)
			: "(no code)");
	json_object_put(reply);
	return code;
}

static void appd_requests_pass(void)
{
	static const char *const allowed[] = { "launch", "terminate", "sessions", "state", "apps",
		"subscribe", "info" };
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		char text[128], code[64];
		snprintf(text, sizeof(text), "{\"id\":\"p-%zu\",\"type\":\"%s\"}", i, allowed[i]);
		struct shell_request req;
		struct json_object *reply = NULL;
		EXPECT(shell_request_decode(text, strlen(text), &req, &reply));
		EXPECT(req.kind == SHELL_REQUEST_APPD && req.msg != NULL && reply == NULL);
		json_object_put(req.msg);
		EXPECT(decode_error(text, code, sizeof(code)) == NULL);
	}
}

static void other_requests_are_refused(void)
{
	char code[64];
	/* appd's, but not the shell's business; and made-up ones. */
	static const char *const refused[] = {
		"{\"id\":1,\"type\":\"unsubscribe\"}",
		"{\"id\":1,\"type\":\"create_client\",\"app_id\":\"a.b.c\"}",
		"{\"id\":1,\"type\":\"clipboard_read\"}",
		"{\"id\":1,\"type\":\"LAUNCH\"}",
		"{\"id\":1,\"type\":\"shell.exec\"}",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		EXPECT_STR_EQ(decode_error(refused[i], code, sizeof(code)), "unknown_request");
	}
	EXPECT_STR_EQ(decode_error("{\"id\":1}", code, sizeof(code)), "bad_request");
	EXPECT_STR_EQ(decode_error("not json", code, sizeof(code)), "bad_request");
	EXPECT_STR_EQ(decode_error("{\"type\":7}", code, sizeof(code)), "bad_request");
}

static void refusal_echoes_the_id(void)
{
	const char *text = "{\"id\":\"overlay-9\",\"type\":\"unsubscribe\"}";
	struct shell_request req;
	struct json_object *reply, *id;
	ASSERT(!shell_request_decode(text, strlen(text), &req, &reply));
	EXPECT(json_object_object_get_ex(reply, "id", &id));
	EXPECT_STR_EQ(json_object_get_string(id), "overlay-9");
	json_object_put(reply);
}

/* The page's messages arrive as bytes and a length, with no NUL after them. */
static void message_without_nul(void)
{
	const char text[] = "{\"id\":1,\"type\":\"info\"}XXXX";
	struct shell_request req;
	struct json_object *reply = NULL;
	ASSERT(shell_request_decode(text, strlen(text) - 4, &req, &reply));
	EXPECT(req.kind == SHELL_REQUEST_APPD && reply == NULL);
	json_object_put(req.msg);
}

static void host_requests(void)
{
	char code[64];
	struct shell_request req;
	struct json_object *reply;
	const char *focus = "{\"id\":2,\"type\":\"shell.focus\",\"session_id\":\"7\"}";
	ASSERT(shell_request_decode(focus, strlen(focus), &req, &reply));
	EXPECT(req.kind == SHELL_REQUEST_FOCUS);
	EXPECT_STR_EQ(req.session_id, "7");
	json_object_put(req.msg);

	static const char *const shows[] = { "none", "launcher", "switcher", "lock" };
	for (size_t i = 0; i < 4; i++) {
		char text[128];
		snprintf(text, sizeof(text), "{\"type\":\"shell.surface\",\"show\":\"%s\"}",
			shows[i]);
		ASSERT(shell_request_decode(text, strlen(text), &req, &reply));
		EXPECT(req.kind == SHELL_REQUEST_SURFACE && req.surface == (enum shell_surface)i);
		json_object_put(req.msg);
	}
	const char *unlock = "{\"type\":\"shell.unlock\",\"password\":\"p w\\\"\"}";
	ASSERT(shell_request_decode(unlock, strlen(unlock), &req, &reply));
	EXPECT(req.kind == SHELL_REQUEST_UNLOCK);
	EXPECT_STR_EQ(req.password, "p w\"");
	json_object_put(req.msg);

	EXPECT_STR_EQ(decode_error("{\"type\":\"shell.focus\"}", code, sizeof(code)),
		"invalid_argument");
	EXPECT_STR_EQ(decode_error("{\"type\":\"shell.focus\",\"session_id\":\"\"}", code,
			      sizeof(code)),
		"invalid_argument");
	EXPECT_STR_EQ(decode_error("{\"type\":\"shell.surface\",\"show\":\"desktop\"}", code,
			      sizeof(code)),
		"invalid_argument");
	EXPECT_STR_EQ(decode_error("{\"type\":\"shell.surface\"}", code, sizeof(code)),
		"invalid_argument");
	EXPECT_STR_EQ(decode_error("{\"type\":\"shell.unlock\"}", code, sizeof(code)),
		"invalid_argument");
}

static void icon_paths(void)
{
	EXPECT(shell_icon_path_ok("icon.png"));
	EXPECT(shell_icon_path_ok("ui/icons/app.SVG"));
	EXPECT(shell_icon_path_ok("ui/.hidden/a.png"));
	EXPECT(!shell_icon_path_ok(NULL));
	EXPECT(!shell_icon_path_ok(""));
	EXPECT(!shell_icon_path_ok("/etc/icon.png"));
	EXPECT(!shell_icon_path_ok("../other/icon.png"));
	EXPECT(!shell_icon_path_ok("ui/../../icon.png"));
	EXPECT(!shell_icon_path_ok("ui/./icon.png"));
	EXPECT(!shell_icon_path_ok("ui//icon.png"));
	EXPECT(!shell_icon_path_ok("ui/"));
	EXPECT(!shell_icon_path_ok("wapp.toml"));
	EXPECT(!shell_icon_path_ok("ui/index.html"));
	EXPECT(!shell_icon_path_ok("icon.png/"));
	EXPECT(!shell_icon_path_ok("png"));
	EXPECT(!shell_icon_path_ok("a.png.d/x"));
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(appd_requests_pass),
		TEST_CASE(other_requests_are_refused),
		TEST_CASE(refusal_echoes_the_id),
		TEST_CASE(message_without_nul),
		TEST_CASE(host_requests),
		TEST_CASE(icon_paths),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
