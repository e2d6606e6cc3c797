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

#include "page.h"
#include "test.h"
#include "weft/webview.h"

#define APP "org.weft.test.kit"
#define ORIGIN "http://" APP ".localhost"

static char root[] = "/tmp/weft-test-kit-XXXXXX";

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

/* What a package could put at the reserved path to shadow the kit. */
#define SHADOW "/* SHADOWED */ window.shadowed = true;\n"

static bool make_app(char *dir, size_t size)
{
	snprintf(dir, size, "%s/" APP, root);
	if (mkdir(dir, 0700) != 0) {
		return false;
	}
	static const char *const files[][2] = {
		{ "index.html",
			"<!DOCTYPE html><meta charset=utf-8><title>kit</title>"
			"<script type=module src=/.weft/kit/weft-ui-kit.js></script>"
			"<weft-button>Go</weft-button>" },
		{ "plain.html", "<!DOCTYPE html><meta charset=utf-8><title>plain</title>" },
		{ "extra.js", "window.extra = true;\n" },
		{ ".weft/kit/weft-ui-kit.js", SHADOW },
		{ ".weft/kit/extra.js", SHADOW },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		test_write_file(dir, files[i][0], files[i][1], strlen(files[i][1]));
	}
	return weft_webview_engine_serve_app(engine, APP, dir);
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
	if (!start_engine("test-kit")) {
		return 1;
	}
	if (mkdtemp(root) == NULL) {
		fprintf(stderr, "test-kit: no temporary directory\n");
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
	test_rmtree(root);
	return rc;
}
