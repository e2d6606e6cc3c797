/*
 * An app view's first frame, through libweftview: Servo lays a document out
 * only once its load event fired, so a frame drawn when its head is parsed
 * is blank. An app's window shows the laid-out page as its first frame
 * (launch -> page shown, design §11), not a blank one first: the blank
 * frame's paint and copy would also hold up the thread that serves the
 * page's stylesheet and scripts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page.h"
#include "test.h"

#define APP "org.weft.test.firstframe"
#define WIDTH 320
#define HEIGHT 240

struct shot {
	int frames;
	/* The last frame's middle pixel, its four bytes as they came. */
	uint8_t middle[4];
	/* Of the first frame: how many of its pixels are the page's black. */
	long first_black;
	bool loaded;
};

static void handle_frame(void *data, const uint8_t *rgba, uint32_t width, uint32_t height,
	uint32_t stride)
{
	struct shot *p = data;
	if (rgba == NULL) {
		return;
	}
	memcpy(p->middle, rgba + (size_t)(height / 2) * stride + (size_t)(width / 2) * 4, 4);
	if (p->frames++ > 0) {
		return;
	}
	long black = 0;
	for (uint32_t y = 0; y < height; y++) {
		const uint8_t *row = rgba + (size_t)y * stride;
		for (uint32_t x = 0; x < width; x++) {
			const uint8_t *px = row + (size_t)x * 4;
			black += px[0] < 0x20 && px[1] < 0x20 && px[2] < 0x20;
		}
	}
	p->first_black = black;
	fprintf(stderr, "# first frame: %ld of %u pixels black\n", black, width * height);
}

static void handle_load_status(void *data, int status)
{
	struct shot *p = data;
	if (status == WEFT_WEBVIEW_LOAD_COMPLETE) {
		p->loaded = true;
	}
}

static const struct weft_webview_listener listener = {
	.frame = handle_frame,
	.load_status = handle_load_status,
};

/* Spins the engine until cond(p), or its time is up: false then. */
static bool spin_until(struct shot *p, bool (*cond)(const struct shot *p))
{
	int64_t deadline = now_ms() + TIMEOUT_MS;
	while (!cond(p)) {
		if (now_ms() > deadline) {
			return false;
		}
		spin();
	}
	return true;
}

static bool drawn(const struct shot *p)
{
	return p->frames > 0;
}

static bool loaded_and_drawn(const struct shot *p)
{
	return p->loaded && drawn(p);
}

static bool loaded_or_drawn(const struct shot *p)
{
	return p->loaded || drawn(p);
}

/* The page's colour is drawn, not the blank before it. */
static bool colour_drawn(const struct shot *p)
{
	return loaded_and_drawn(p) && memcmp(p->middle, "\xff\xff\xff\xff", 4) != 0;
}

/* A view of the app's page PATH at the test's size, its frames in p. */
static struct weft_webview *open_view(const char *path, struct shot *p, bool bgra)
{
	char url[256];
	snprintf(url, sizeof(url), "weft-app://" APP "/%s", path);
	const struct weft_webview_options options = {
		.width = WIDTH,
		.height = HEIGHT,
		.scale = 1,
		.app_id = APP,
		.url = url,
		.listener = &listener,
		.data = p,
		.bgra = bgra,
	};
	return weft_webview_create(engine, &options);
}

/* The page is black from its stylesheet, as the counter's is coloured by
 * its own, with module scripts as the counter has: its first frame is. */
static void test_first_frame_is_the_laid_out_page(void)
{
	/* The first view of an engine waits on WebRender's and SWGL's first
	 * start, longer than a view holds its frames for (a spare has done
	 * that before it is adopted): a view drawn before, as a spare's. */
	for (int i = 0; i < 3; i++) {
		struct shot p = { 0 };
		struct weft_webview *view = open_view("index.html", &p, false);
		ASSERT(view != NULL);
		EXPECT(spin_until(&p, loaded_and_drawn));
		fprintf(stderr, "# view %d: first frame %ld black\n", i, p.first_black);
		if (i == 2) {
			/* All of it but the text. */
			EXPECT(p.first_black > WIDTH * HEIGHT * 9 / 10);
		}
		weft_webview_destroy(view);
	}
}

/* A page whose load event is late (a script busy for 3 s before it) is
 * shown anyway, as it is, well before its load: its frames wait for the
 * load only so long (50 ms after its head). */
static void test_late_load_is_shown_before_it(void)
{
	struct shot p = { 0 };
	struct weft_webview *view = open_view("late.html", &p, false);
	ASSERT(view != NULL);
	spin_until(&p, loaded_or_drawn);
	EXPECT(drawn(&p));
	EXPECT(!p.loaded);
	weft_webview_destroy(view);
}

/* A page of one colour, its first frame's bytes in the order asked for. */
static void frame_bytes(bool bgra, uint8_t out[4])
{
	struct shot p = { 0 };
	struct weft_webview *view = open_view("red.html", &p, bgra);
	memset(out, 0, 4);
	if (view == NULL) {
		return;
	}
	spin_until(&p, colour_drawn);
	memcpy(out, p.middle, 4);
	fprintf(stderr, "# %s: %02x %02x %02x %02x\n", bgra ? "bgra" : "rgba", out[0], out[1],
		out[2], out[3]);
	weft_webview_destroy(view);
}

/* Frames come as R, G, B, A, or as B, G, R, A (wl_shm's order) when asked. */
static void test_frames_in_bgra_when_asked(void)
{
	uint8_t rgba[4], bgra[4];
	frame_bytes(false, rgba);
	frame_bytes(true, bgra);
	EXPECT(rgba[0] == 0xff && rgba[1] == 0x80 && rgba[2] == 0x00 && rgba[3] == 0xff);
	EXPECT(bgra[0] == 0x00 && bgra[1] == 0x80 && bgra[2] == 0xff && bgra[3] == 0xff);
}

int main(int argc, char **argv)
{
	if (!start_engine("test-first-frame")) {
		return 1;
	}
	char *root = test_mkdtemp();
	const char *const files[][2] = {
		{ "index.html",
			"<!DOCTYPE html><meta charset=utf-8><title>first frame</title>"
			"<link rel=stylesheet href=style.css>"
			"<script type=module src=a.js></script>"
			"<script type=module src=b.js></script>"
			"<p id=text>first frame</p>" },
		{ "style.css", "html, body { background: #000; color: #fff; margin: 0; }\n" },
		{ "a.js", "window.a = 1;\n" },
		{ "b.js", "document.getElementById('text').textContent = 'laid out';\n" },
		{ "red.html",
			"<!DOCTYPE html><meta charset=utf-8><title>red</title>"
			"<style>html { background: rgb(255, 128, 0); }</style>" },
		{ "late.html",
			"<!DOCTYPE html><meta charset=utf-8><title>late</title>"
			"<p>late</p><script type=module>"
			"const t = performance.now(); while (performance.now() - t < 3000) {}"
			"</script>" },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		test_write_file(root, files[i][0], files[i][1], strlen(files[i][1]));
	}
	int rc = 1;
	if (!weft_webview_engine_serve_app(engine, APP, root)) {
		fprintf(stderr, "test-first-frame: cannot serve %s\n", root);
	} else {
		static const struct test_case cases[] = {
			TEST_CASE(test_first_frame_is_the_laid_out_page),
			TEST_CASE(test_frames_in_bgra_when_asked),
			TEST_CASE(test_late_load_is_shown_before_it),
		};
		rc = test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
	}
	weft_webview_engine_destroy(engine);
	test_rmtree(root);
	free(root);
	return rc;
}
