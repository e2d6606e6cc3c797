/*
 * An app's origin in Servo 0.7, through libweftview: app pages open at
 * http://<id>.localhost/, answered from the package and never from the
 * network, so they are secure contexts (crypto.subtle works) and storage
 * is kept per app. Two apps are served by one engine, as the storage
 * threads are one per process.
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

#define APP_A "org.weft.test.origina"
#define APP_B "org.weft.test.originb"
#define ORIGIN_A "http://" APP_A ".localhost"

static char root[] = "/tmp/weft-test-origin-XXXXXX";

static const char *logged_url;

static bool log_has_refusal(struct probe *p)
{
	(void)p;
	char want[512];
	snprintf(want, sizeof(want), "refused load of %s\n", logged_url);
	return strstr(log_buf, want) != NULL;
}

/* The page is a secure context in a tuple origin of its own. */
static void test_app_page_is_a_secure_context(void)
{
	struct probe p;
	ASSERT(open_page(&p, APP_A, "weft-app://" APP_A "/index.html"));
	EXPECT(eval_until(&p, "location.href", ORIGIN_A "/index.html"));
	EXPECT(eval_until(&p, "location.origin", ORIGIN_A));
	EXPECT(eval_until(&p, "String(window.isSecureContext)", "true"));
	/* A [SecureContext] interface this Servo build has. */
	EXPECT(eval_until(&p, "typeof window.fetchLater", "function"));
	EXPECT(eval_until(&p, "document.getElementById('from').textContent", "package"));
	/* A relative stylesheet comes from the package too. */
	EXPECT(eval_until(&p, "getComputedStyle(document.getElementById('from')).color",
		"rgb(1, 2, 3)"));
	/* A script named by the old scheme, absolutely, still runs. */
	EXPECT(eval_until(&p, "String(window.fromOldScheme)", "true"));
	close_page(&p);
}

/* SHA-256("abc") from the FIPS 180-2 examples. */
static void test_crypto_subtle_digest(void)
{
	struct probe p;
	ASSERT(open_page(&p, APP_A, ORIGIN_A "/"));
	/* Servo compiles the Crypto interface only with its "webcrypto" feature
	 * (Crypto.webidl: skip-unless CARGO_FEATURE_WEBCRYPTO), which the
	 * webview crate's servo build does not enable. */
	const char *type = eval(&p, "typeof crypto");
	if (type != NULL && strcmp(type, "undefined") == 0) {
		test_skip("Servo built without its webcrypto feature: no crypto at all");
		close_page(&p);
		return;
	}
	EXPECT(eval_until(&p, "typeof crypto.subtle", "object"));
	ASSERT(eval(&p,
		       "window.digest = '';"
		       "crypto.subtle.digest('SHA-256', new TextEncoder().encode('abc'))"
		       ".then(d => { window.digest = [...new Uint8Array(d)]"
		       ".map(b => b.toString(16).padStart(2, '0')).join(''); },"
		       " e => { window.digest = 'error: ' + e; });"
		       "'started'") != NULL);
	EXPECT(eval_until(&p, "window.digest || ''",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	close_page(&p);
}

/* Each app has its own localStorage; neither sees the other's. */
static void test_storage_is_per_app(void)
{
	struct probe a;
	struct probe b;
	ASSERT(open_page(&a, APP_A, "weft-app://" APP_A "/"));
	ASSERT(eval(&a, "localStorage.setItem('secret', 'of-a'); 'set'") != NULL);
	EXPECT(eval_until(&a, "String(localStorage.getItem('secret'))", "of-a"));
	ASSERT(open_page(&b, APP_B, "weft-app://" APP_B "/"));
	EXPECT(eval_until(&b, "location.origin", "http://" APP_B ".localhost"));
	EXPECT(eval_until(&b, "String(localStorage.getItem('secret'))", "null"));
	EXPECT(eval_until(&b, "String(localStorage.length)", "0"));
	ASSERT(eval(&b, "localStorage.setItem('secret', 'of-b'); 'set'") != NULL);
	EXPECT(eval_until(&a, "String(localStorage.getItem('secret'))", "of-a"));
	EXPECT(eval_until(&b, "String(localStorage.getItem('secret'))", "of-b"));
	close_page(&b);
	close_page(&a);
}

/* Another app's origin, or any web origin, is refused as a document. */
static void test_navigation_stays_in_the_origin(void)
{
	static const char *const refused[] = {
		"http://" APP_B ".localhost/index.html",
		"weft-app://" APP_B "/index.html",
		"http://example.com/",
		"https://example.com/",
		"http://localhost/",
		"http://" APP_A ".localhost:8080/",
	};
	struct probe p;
	ASSERT(open_page(&p, APP_A, ORIGIN_A "/"));
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char script[512];
		snprintf(script, sizeof(script), "location.href = '%s'; 'went'", refused[i]);
		ASSERT(eval(&p, script) != NULL);
		logged_url = refused[i];
		EXPECT(run_until(&p, log_has_refusal, TIMEOUT_MS));
		EXPECT(eval_until(&p, "location.href", ORIGIN_A "/"));
	}
	/* Subresources likewise: fetch fails, nothing leaves the process. */
	ASSERT(eval(&p,
		       "window.fetched = '';"
		       "fetch('http://" APP_B ".localhost/index.html').then("
		       " r => { window.fetched = 'got ' + r.status; },"
		       " e => { window.fetched = 'refused'; });"
		       "'started'") != NULL);
	EXPECT(eval_until(&p, "window.fetched || ''", "refused"));
	close_page(&p);
}

/* A link to the old scheme opens in the app's origin; the bridge works from
 * there. */
static void test_old_scheme_link_and_bridge(void)
{
	struct probe p;
	ASSERT(open_page(&p, APP_A, ORIGIN_A "/"));
	p.loaded = false;
	ASSERT(eval(&p, "location.href = 'weft-app://" APP_A "/page2.html?x=1'; 'went'") != NULL);
	EXPECT(eval_until(&p, "location.href", ORIGIN_A "/page2.html?x=1"));
	EXPECT(eval_until(&p, "document.title", "page2"));
	EXPECT(eval_until(&p, "String(window.isSecureContext)", "true"));
	ASSERT(eval(&p, "weftIpc.send('h\\u00e9llo from ' + location.origin); 'sent'") != NULL);
	int64_t deadline = now_ms() + TIMEOUT_MS;
	while (p.ipc[0] == '\0' && now_ms() < deadline) {
		spin();
	}
	EXPECT_STR_EQ(p.ipc, "h\xc3\xa9llo from " ORIGIN_A);
	close_page(&p);
}

static bool make_app(const char *app_id, char *dir, size_t size)
{
	char index[512];
	snprintf(index, sizeof(index),
		"<!DOCTYPE html><meta charset=utf-8><title>index</title>"
		"<link rel=stylesheet href=style.css><p id=from>package</p>"
		"<script src=\"weft-app://%s/old.js\"></script>",
		app_id);
	snprintf(dir, size, "%s/%s", root, app_id);
	if (mkdir(dir, 0700) != 0) {
		return false;
	}
	const char *const files[][2] = {
		{ "index.html", index },
		{ "old.js", "window.fromOldScheme = true;\n" },
		{ "style.css", "#from { color: rgb(1, 2, 3); }\n" },
		{ "page2.html", "<!DOCTYPE html><meta charset=utf-8><title>page2</title>" },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		test_write_file(dir, files[i][0], files[i][1], strlen(files[i][1]));
	}
	return weft_webview_engine_serve_app(engine, app_id, dir);
}

int main(int argc, char **argv)
{
	if (!start_engine("test-origin")) {
		return 1;
	}
	if (mkdtemp(root) == NULL) {
		fprintf(stderr, "test-origin: no temporary directory\n");
		return 1;
	}
	char dir_a[256];
	char dir_b[256];
	bool ok = make_app(APP_A, dir_a, sizeof(dir_a)) && make_app(APP_B, dir_b, sizeof(dir_b));
	int rc = 1;
	if (!ok) {
		fprintf(stderr, "test-origin: cannot set up the packages in %s\n", root);
	} else {
		static const struct test_case cases[] = {
			TEST_CASE(test_app_page_is_a_secure_context),
			TEST_CASE(test_crypto_subtle_digest),
			TEST_CASE(test_storage_is_per_app),
			TEST_CASE(test_navigation_stays_in_the_origin),
			TEST_CASE(test_old_scheme_link_and_bridge),
		};
		rc = test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
	}
	weft_webview_engine_destroy(engine);
	test_rmtree(root);
	return rc;
}
