/*
 * The UI kit served to every app at /.weft/kit/ of its own origin, through
 * libweftview and Servo: an app page loads the real kit (shell/kit of the
 * source tree, weft_webview_engine_serve_kit) and its elements are defined;
 * a package file at the same path never replaces it, under either the
 * app's origin or weft-app://.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "weft/webview.h"

#define APP "org.weft.test.kit"
#define ORIGIN "http://" APP ".localhost"
#define TIMEOUT_MS 60000
#define LOG_MAX (64 * 1024)

struct probe {
	struct weft_webview *view;
	bool loaded;
	bool have_result;
	bool result_ok;
	char *result;
	char ipc[256];
};

static struct weft_webview_engine *engine;
static char root[] = "/tmp/weft-test-kit-XXXXXX";
/* The engine's log, one message a line: refusals are logged there. */
static char log_buf[LOG_MAX];
static size_t log_len;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void spin(void)
{
	struct pollfd pfd = { .fd = weft_webview_engine_get_fd(engine), .events = POLLIN };
	poll(&pfd, 1, 50);
	weft_webview_engine_dispatch(engine);
}

static bool run_until(struct probe *p, bool (*cond)(struct probe *p), int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	while (!cond(p)) {
		if (now_ms() > deadline) {
			return false;
		}
		spin();
	}
	return true;
}

static void handle_log(void *data, int level, const char *message)
{
	(void)data;
	fprintf(stderr, "# log (%d): %s\n", level, message);
	size_t len = strlen(message);
	if (log_len + len + 2 < sizeof(log_buf)) {
		memcpy(log_buf + log_len, message, len);
		log_len += len;
		log_buf[log_len++] = '\n';
		log_buf[log_len] = '\0';
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

static void handle_ipc(void *data, const char *message, size_t len)
{
	struct probe *p = data;
	snprintf(p->ipc, sizeof(p->ipc), "%.*s", (int)len, message);
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
		fprintf(stderr, "# evaluating %s failed: %s\n", script,
			p->result ? p->result : "(none)");
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
		spin();
	}
	fprintf(stderr, "# waited for %s to be %s, last %s\n", script, want,
		p->result ? p->result : "(none)");
	return false;
}

static bool open_page(struct probe *p, const char *app_id, const char *url)
{
	memset(p, 0, sizeof(*p));
	const struct weft_webview_options options = {
		.width = 320,
		.height = 240,
		.scale = 1,
		.app_id = app_id,
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

static void close_page(struct probe *p)
{
	weft_webview_destroy(p->view);
	p->view = NULL;
	free(p->result);
	p->result = NULL;
}

/* The page's module script imports the kit; its elements are defined. */
static void test_page_script_loads_the_kit(void)
{
	struct probe p;
	ASSERT(open_page(&p, APP, ORIGIN "/index.html"));
	EXPECT(eval_until(&p, "typeof customElements.get('weft-button')", "function"));
	EXPECT(eval_until(&p, "typeof customElements.get('weft-dialog')", "function"));
	/* The package's own file at the reserved path never ran. */
	EXPECT(eval_until(&p, "String(window.shadowed)", "undefined"));
	/* A weft-button on the page upgraded, with its role. */
	EXPECT(eval_until(&p, "document.querySelector('weft-button').getAttribute('role')",
		"button"));
	close_page(&p);
}

/* A dynamic import, and a classic <script src> of a page under the old
 * scheme's name (answered by the scheme handler, not the origin's). */
static void test_import_and_old_scheme(void)
{
	struct probe p;
	ASSERT(open_page(&p, APP, ORIGIN "/plain.html"));
	EXPECT(eval_until(&p, "typeof customElements.get('weft-button')", "undefined"));
	ASSERT(eval(&p,
		       "window.imported = '';"
		       "import('/.weft/kit/weft-ui-kit.js').then("
		       " m => { window.imported = typeof m.iconSvg; },"
		       " e => { window.imported = 'error: ' + e; });"
		       "'started'") != NULL);
	EXPECT(eval_until(&p, "window.imported || ''", "function"));
	EXPECT(eval_until(&p, "typeof customElements.get('weft-list-item')", "function"));
	ASSERT(eval(&p,
		       "window.viaScheme = '';"
		       "fetch('weft-app://" APP "/.weft/kit/weft-ui-kit.js').then(r => r.text())"
		       ".then(t => { window.viaScheme = t.includes('SHADOWED') ? 'package'"
		       " : t.includes('customElements.define') ? 'kit' : 'other'; },"
		       " e => { window.viaScheme = 'error: ' + e; });"
		       "'started'") != NULL);
	EXPECT(eval_until(&p, "window.viaScheme || ''", "kit"));
	close_page(&p);
}

/* A file the kit does not have is not found, even when the package has
 * one there; nothing climbs out of the kit directory. */
static void test_reserved_path_is_the_kits_alone(void)
{
	static const char *const urls[] = {
		"/.weft/kit/extra.js",
		"weft-app://" APP "/.weft/kit/extra.js",
		"/.weft/kit/..%2f..%2fextra.js",
		ORIGIN "//.weft/kit/extra.js",
		"/.weft/kit/",
	};
	struct probe p;
	ASSERT(open_page(&p, APP, ORIGIN "/plain.html"));
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		char script[512];
		snprintf(script, sizeof(script),
			"window.status404 = '';"
			"fetch('%s').then(r => { window.status404 = String(r.status); },"
			" e => { window.status404 = 'error'; });"
			"'started'",
			urls[i]);
		ASSERT(eval(&p, script) != NULL);
		EXPECT(eval_until(&p, "window.status404 || ''", "404"));
	}
	/* The package's other files are still its own. */
	ASSERT(eval(&p,
		       "window.own = '';"
		       "fetch('/extra.js').then(r => { window.own = String(r.status); });"
		       "'started'") != NULL);
	EXPECT(eval_until(&p, "window.own || ''", "200"));
	close_page(&p);
}

static bool write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		return false;
	}
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

/* What a package could put at the reserved path to shadow the kit. */
#define SHADOW "/* SHADOWED */ window.shadowed = true;\n"

static const char *const app_files[] = { "index.html", "plain.html", "extra.js",
	".weft/kit/weft-ui-kit.js", ".weft/kit/extra.js" };

static bool make_app(char *dir, size_t size)
{
	snprintf(dir, size, "%s/" APP, root);
	char sub[512];
	snprintf(sub, sizeof(sub), "%s/.weft", dir);
	char kit[512];
	snprintf(kit, sizeof(kit), "%s/.weft/kit", dir);
	return mkdir(dir, 0700) == 0 && mkdir(sub, 0700) == 0 && mkdir(kit, 0700) == 0 &&
		write_file(dir, "index.html",
			"<!DOCTYPE html><meta charset=utf-8><title>kit</title>"
			"<script type=module src=/.weft/kit/weft-ui-kit.js></script>"
			"<weft-button>Go</weft-button>") &&
		write_file(dir, "plain.html",
			"<!DOCTYPE html><meta charset=utf-8><title>plain</title>") &&
		write_file(dir, "extra.js", "window.extra = true;\n") &&
		write_file(dir, ".weft/kit/weft-ui-kit.js", SHADOW) &&
		write_file(dir, ".weft/kit/extra.js", SHADOW) &&
		weft_webview_engine_serve_app(engine, APP, dir);
}

static void remove_app(const char *dir)
{
	for (size_t i = 0; i < sizeof(app_files) / sizeof(app_files[0]); i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, app_files[i]);
		unlink(path);
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/.weft/kit", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/.weft", dir);
	rmdir(path);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const char *source = getenv("WEFT_SOURCE_ROOT");
	if (source == NULL) {
		fprintf(stderr, "test-kit: WEFT_SOURCE_ROOT is not set\n");
		return 1;
	}
	char kit_dir[512];
	snprintf(kit_dir, sizeof(kit_dir), "%s/shell/kit", source);
	/* Surfaceless software rendering: no display of our own. */
	setenv("WAYLAND_DISPLAY", "weft-test-kit-no-such-display", 1);
	unsetenv("DISPLAY");
	const struct weft_webview_engine_options options = {
		.log = handle_log,
		.log_level = WEFT_WEBVIEW_LOG_WARN,
	};
	engine = weft_webview_engine_create(&options);
	if (engine == NULL || mkdtemp(root) == NULL) {
		fprintf(stderr, "test-kit: no engine or no temporary directory\n");
		return 1;
	}
	char dir[256];
	int rc = 1;
	if (!make_app(dir, sizeof(dir))) {
		fprintf(stderr, "test-kit: cannot set up the package in %s\n", root);
	} else if (!weft_webview_engine_serve_kit(engine, kit_dir)) {
		fprintf(stderr, "test-kit: cannot serve the kit from %s\n", kit_dir);
	} else {
		static const struct test_case cases[] = {
			TEST_CASE(test_page_script_loads_the_kit),
			TEST_CASE(test_import_and_old_scheme),
			TEST_CASE(test_reserved_path_is_the_kits_alone),
		};
		rc = test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
	}
	weft_webview_engine_destroy(engine);
	remove_app(dir);
	rmdir(root);
	return rc;
}
