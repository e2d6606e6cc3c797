/*
 * The system UI (shell/ui) and the UI kit (shell/kit) in Servo 0.7, the
 * engine weft-shell and weft-app-shell render with: the source tree served
 * as one app's package, the page's weftIpc answered here as appd would,
 * keys sent through libweftview's input path as the compositor's are.
 * The sysui lane runs the same pages in Chromium; this says what of them
 * holds in Servo (the kit's fallbacks included).
 */
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test.h"
#include "weft/webview.h"

#define APP_ID "org.weft.test.sysui"
#define TIMEOUT_MS 60000
#define SENT_MAX (64 * 1024)

/* XKB keysyms and evdev codes of the keys the tests type. */
#define KEY_C 46
#define KEY_O 24
#define KEY_U 22
#define KEY_ENTER 28
#define XK_RETURN 0xff0d

static const char apps_json[] =
	"[{\"id\": \"org.weft.demo.counter\", \"name\": \"Counter\", \"version\": \"0.1.0\","
	" \"description\": \"\", \"capabilities\": [], \"path\": \"/x\"},"
	" {\"id\": \"org.weft.demo.notes\", \"name\": \"Notes\", \"version\": \"0.1.0\","
	" \"description\": \"\", \"capabilities\": [], \"path\": \"/x\"}]";

struct probe {
	struct weft_webview_engine *engine;
	struct weft_webview *view;
	bool loaded;
	bool have_result;
	bool result_ok;
	char *result;
	/* What the page sent, one message a line. */
	char sent[SENT_MAX];
	size_t sent_len;
	/* The sessions reply is followed at once by a session's state event,
	 * both posted behind another message still on its way to the page. */
	bool state_after_sessions;
};

static struct weft_webview_engine *engine;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool run_until(struct probe *p, bool (*cond)(struct probe *p), int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	while (!cond(p)) {
		if (now_ms() > deadline) {
			return false;
		}
		struct pollfd pfd = { .fd = weft_webview_engine_get_fd(engine), .events = POLLIN };
		poll(&pfd, 1, 50);
		weft_webview_engine_dispatch(engine);
	}
	return true;
}

/* Every request gets one generic ok reply that serves as each of appd's
 * (apps, sessions, subscribe) and the host's (shell.*). */
static void handle_ipc(void *data, const char *message, size_t len)
{
	struct probe *p = data;
	if (p->sent_len + len + 2 < sizeof(p->sent)) {
		memcpy(p->sent + p->sent_len, message, len);
		p->sent_len += len;
		p->sent[p->sent_len++] = '\n';
		p->sent[p->sent_len] = '\0';
	}
	char *text = strndup(message, len);
	struct json_object *req = text ? json_tokener_parse(text) : NULL;
	free(text);
	struct json_object *id = NULL;
	if (req == NULL || !json_object_object_get_ex(req, "id", &id)) {
		json_object_put(req);
		return;
	}
	struct json_object *type = NULL;
	bool sessions = json_object_object_get_ex(req, "type", &type) &&
		json_object_is_type(type, json_type_string) &&
		strcmp(json_object_get_string(type), "sessions") == 0;
	if (sessions && p->state_after_sessions) {
		/* On its way while the two below are posted, so that they go
		 * together if anything makes batches. */
		static const char busy[] = "{\"event\": \"test.nothing\"}";
		weft_webview_post_message(p->view, busy, strlen(busy));
	}
	struct json_object *reply = json_object_new_object();
	json_object_object_add(reply, "id", json_object_get(id));
	json_object_object_add(reply, "ok", json_object_new_boolean(true));
	json_object_object_add(reply, "apps", json_tokener_parse(apps_json));
	json_object_object_add(reply, "more", json_object_new_boolean(false));
	json_object_object_add(reply, "sessions", json_object_new_array());
	const char *out = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	weft_webview_post_message(p->view, out, strlen(out));
	json_object_put(reply);
	json_object_put(req);
	if (sessions && p->state_after_sessions) {
		static const char state[] =
			"{\"event\": \"state\", \"session\": {\"id\": \"7\", \"app_id\": "
			"\"org.weft.demo.counter\", \"state\": \"running\"}}";
		weft_webview_post_message(p->view, state, strlen(state));
	}
}

static void handle_load_status(void *data, int status)
{
	struct probe *p = data;
	if (status == WEFT_WEBVIEW_LOAD_COMPLETE) {
		p->loaded = true;
	}
}

static void handle_console(void *data, int level, const char *message)
{
	(void)data;
	fprintf(stderr, "# page console (%d): %s\n", level, message);
}

static const struct weft_webview_listener listener = {
	.load_status = handle_load_status,
	.console = handle_console,
	.ipc_message = handle_ipc,
};

static bool loaded(struct probe *p)
{
	return p->loaded;
}

static bool have_result(struct probe *p)
{
	return p->have_result;
}

static void eval_done(void *data, bool ok, const char *text)
{
	struct probe *p = data;
	free(p->result);
	p->result = strdup(text ? text : "");
	p->result_ok = ok;
	p->have_result = true;
}

/* The script's result as a string (owned by p), or NULL. */
static const char *eval(struct probe *p, const char *script)
{
	p->have_result = false;
	if (!weft_webview_evaluate_js(p->view, script, eval_done, p) ||
		!run_until(p, have_result, TIMEOUT_MS) || !p->result_ok) {
		fprintf(stderr, "# evaluating failed: %s\n", p->result ? p->result : "(none)");
		return NULL;
	}
	return p->result;
}

/* Evaluates script until it returns want. */
static bool eval_until(struct probe *p, const char *script, const char *want)
{
	int64_t deadline = now_ms() + TIMEOUT_MS;
	while (now_ms() < deadline) {
		const char *got = eval(p, script);
		if (got != NULL && strcmp(got, want) == 0) {
			return true;
		}
		struct pollfd pfd = { .fd = weft_webview_engine_get_fd(engine), .events = POLLIN };
		poll(&pfd, 1, 50);
		weft_webview_engine_dispatch(engine);
	}
	fprintf(stderr, "# waited for %s to be %s, last %s\n", script, want,
		p->result ? p->result : "(none)");
	return false;
}

static bool open_page_with(struct probe *p, const char *path, bool state_after_sessions)
{
	memset(p, 0, sizeof(*p));
	p->state_after_sessions = state_after_sessions;
	char url[512];
	snprintf(url, sizeof(url), "weft-app://%s/%s", APP_ID, path);
	const struct weft_webview_options options = {
		.width = 1280,
		.height = 720,
		.scale = 1,
		.app_id = APP_ID,
		.url = url,
		.listener = &listener,
		.data = p,
	};
	p->view = weft_webview_create(engine, &options);
	if (p->view == NULL) {
		return false;
	}
	weft_webview_set_ipc_connected(p->view, true);
	return run_until(p, loaded, TIMEOUT_MS);
}

static bool open_page(struct probe *p, const char *path)
{
	return open_page_with(p, path, false);
}

static void close_page(struct probe *p)
{
	weft_webview_destroy(p->view);
	p->view = NULL;
	free(p->result);
	p->result = NULL;
}

static void key(struct probe *p, uint32_t code, uint32_t sym, const char *text)
{
	weft_webview_key(p->view, code, sym, text, 0, true, false);
	weft_webview_key(p->view, code, sym, text, 0, false, false);
}

static bool sent_launch(struct probe *p)
{
	return strstr(p->sent, "{\"type\":\"launch\",\"app_id\":\"org.weft.demo.counter\"") !=
		NULL;
}

/* The overlay's search field has the focus before anything is shown, so
 * "cou" typed at once and Enter launch the counter. */
static void test_launcher_types_and_launches(void)
{
	struct probe p;
	ASSERT(open_page(&p, "shell/ui/system-ui.html?surface=overlay"));
	EXPECT(eval_until(&p, "document.body.dataset.ready || ''", "true"));
	EXPECT(eval_until(&p, "document.activeElement.id", "search"));
	weft_webview_set_focused(p.view, true);
	key(&p, KEY_C, 'c', "c");
	key(&p, KEY_O, 'o', "o");
	key(&p, KEY_U, 'u', "u");
	EXPECT(eval_until(&p, "document.getElementById('search').value", "cou"));
	EXPECT(eval_until(&p,
		"[...document.querySelectorAll('.app-tile .app-name')].map(e => "
		"e.textContent).join()",
		"Counter"));
	key(&p, KEY_ENTER, XK_RETURN, "\r");
	EXPECT(run_until(&p, sent_launch, TIMEOUT_MS));
	/* Served as an app, the page has its app's origin and so a
	 * localStorage (Servo keeps it in memory). */
	EXPECT(eval_until(&p, "String(window.weftShell.store.persistent)", "true"));
	close_page(&p);
}

/* App text in a notification stays text. */
static void test_panel_shows_hostile_text_as_text(void)
{
	struct probe p;
	ASSERT(open_page(&p, "shell/ui/system-ui.html?surface=panel"));
	EXPECT(eval_until(&p, "document.body.dataset.ready || ''", "true"));
	static const char event[] =
		"{\"event\": \"notification\", \"session_id\": \"1\", \"app_id\": "
		"\"org.weft.demo.notes\","
		" \"title\": \"<b id=inj>hi</b>\", \"body\": \"<img src=x onerror=alert(1)>\","
		" \"icon\": \"\"}";
	ASSERT(weft_webview_post_message(p.view, event, strlen(event)));
	EXPECT(eval_until(&p,
		"document.querySelector('.toast .note-title') ?"
		" document.querySelector('.toast .note-title').textContent : ''",
		"<b id=inj>hi</b>"));
	EXPECT(eval_until(&p,
		"String(document.querySelectorAll('#inj, .toasts b, .toasts img[src=x]').length)",
		"0"));
	close_page(&p);
}

/* appd answers in order: a session that starts right after the sessions
 * snapshot comes as a state event just behind it. The panel's model awaits
 * the snapshot, then tracks events: the event must reach the page after
 * what the snapshot's reply set going has run (each message in a task of
 * its own, as message events are), or the snapshot, applied late, wipes
 * the session out and the taskbar misses an app that runs (weft-shell's
 * panel lost its sessions so under load). */
static void test_panel_keeps_a_session_that_follows_the_snapshot(void)
{
	struct probe p;
	ASSERT(open_page_with(&p, "shell/ui/system-ui.html?surface=panel", true));
	EXPECT(eval_until(&p, "document.body.dataset.ready || ''", "true"));
	const char *got = eval(&p, "[...window.weftShell.model.sessions.keys()].join()");
	EXPECT(got != NULL && strcmp(got, "7") == 0);
	if (got != NULL && strcmp(got, "7") != 0) {
		fprintf(stderr, "# the panel's sessions: '%s', not '7'\n", got);
	}
	close_page(&p);
}

static char *read_source(const char *rel)
{
	const char *root = getenv("WEFT_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root ? root : ".", rel);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "# cannot open %s\n", path);
		return NULL;
	}
	char *text = calloc(1, 256 * 1024);
	size_t n = text ? fread(text, 1, 256 * 1024 - 1, f) : 0;
	fclose(f);
	if (text != NULL) {
		text[n] = '\0';
	}
	return text;
}

static const char *field(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v)) {
		return "(missing)";
	}
	return json_object_get_string(v);
}

/* The kit's elements, its form participation (ElementInternals in Servo
 * 0.7), its style fallback and the dialog's focus trap. */
static void test_kit_works(void)
{
	struct probe p;
	char *script = read_source("tests/sysui/servo/kit-probe.js");
	ASSERT(script != NULL);
	ASSERT(open_page(&p, "tests/sysui/fixtures/kit.html"));
	EXPECT(eval_until(&p, "document.body.dataset.ready || ''", "true"));
	EXPECT(eval_until(&p, "String(customElements.get('weft-dialog') !== undefined)", "true"));
	const char *result = eval(&p, script);
	free(script);
	struct json_object *r = result ? json_tokener_parse(result) : NULL;
	if (r == NULL) {
		test_failed = true;
		close_page(&p);
		return;
	}
	printf("# Servo: %s\n", result);
	EXPECT_STR_EQ(field(r, "undefined"), "[ ]");
	/* One or the other carries the value into the form. */
	EXPECT(strcmp(field(r, "internals"), "true") == 0 ||
		strcmp(field(r, "fallback"), "true") == 0);
	EXPECT_STR_EQ(field(r, "formData"), "title=Servo&author=Ada");
	EXPECT_STR_EQ(field(r, "validWhenEmpty"), "false");
	EXPECT_STR_EQ(field(r, "roles"), "button,img,progressbar,menu,listbox,dialog");
	EXPECT_STR_EQ(field(r, "iconPaths"), "3");
	EXPECT_STR_EQ(field(r, "tabOrder"), "New name,cancel,ok,New name,ok");
	EXPECT_STR_EQ(field(r, "closed"), "true");
	EXPECT_STR_EQ(field(r, "focusBack"), "open");
	json_object_put(r);
	close_page(&p);
}

int main(int argc, char **argv)
{
	/* Surfaceless software rendering: no display of our own. */
	setenv("WAYLAND_DISPLAY", "weft-test-sysui-no-such-display", 1);
	unsetenv("DISPLAY");
	const char *root = getenv("WEFT_SOURCE_ROOT");
	engine = weft_webview_engine_create(NULL);
	if (engine == NULL || root == NULL ||
		!weft_webview_engine_serve_app(engine, APP_ID, root)) {
		fprintf(stderr, "test-sysui-servo: no engine, or WEFT_SOURCE_ROOT unset\n");
		return 1;
	}
	static const struct test_case cases[] = {
		TEST_CASE(test_launcher_types_and_launches),
		TEST_CASE(test_panel_shows_hostile_text_as_text),
		TEST_CASE(test_panel_keeps_a_session_that_follows_the_snapshot),
		TEST_CASE(test_kit_works),
	};
	int rc = test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
	weft_webview_engine_destroy(engine);
	return rc;
}
