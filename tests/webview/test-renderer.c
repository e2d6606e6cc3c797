/*
 * weft_webview_options.renderer_of: a view that takes over another view's
 * renderer, as a prewarmed app-shell's app view takes over its spare's.
 * It draws its own page at its own size, never the other view's once that
 * is gone, and only a software view of the same engine can lend one.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "page.h"
#include "test.h"

#define APP_ID "org.weft.test.renderer"

static char *root;

struct frames {
	bool head; /* the head was parsed (or the load completed) */
	bool frame_before_head; /* a frame came before that */
	bool loaded;
	int count;
	uint32_t width, height;
	uint32_t centre; /* 0xRRGGBB of the last frame's centre */
	bool saw_red; /* some frame had the first view's red in its centre */
};

static void handle_frame(void *data, const uint8_t *rgba, uint32_t width, uint32_t height,
	uint32_t stride)
{
	struct frames *f = data;
	if (rgba == NULL) {
		return;
	}
	const uint8_t *p = rgba + (size_t)(height / 2) * stride + (size_t)(width / 2) * 4;
	f->count++;
	f->frame_before_head |= !f->head;
	f->width = width;
	f->height = height;
	f->centre = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	f->saw_red |= f->centre == 0xff0000;
}

static void handle_load_status(void *data, int status)
{
	struct frames *f = data;
	if (status != WEFT_WEBVIEW_LOAD_STARTED) {
		f->head = true;
	}
	if (status == WEFT_WEBVIEW_LOAD_COMPLETE) {
		f->loaded = true;
	}
}

static const struct weft_webview_listener listener = {
	.frame = handle_frame,
	.load_status = handle_load_status,
};

/* Spins until the view has loaded and its last frame's centre is rgb. */
static bool wait_centre(struct frames *f, uint32_t rgb)
{
	int64_t deadline = now_ms() + TIMEOUT_MS;
	while (!(f->loaded && f->count > 0 && f->centre == rgb)) {
		if (now_ms() > deadline) {
			fprintf(stderr, "# waited for %06x, last frame %ux%u %06x (%d frames)\n",
				rgb, f->width, f->height, f->centre, f->count);
			return false;
		}
		spin();
	}
	return true;
}

static struct weft_webview *red_view(struct frames *f)
{
	const struct weft_webview_options options = {
		.width = 400,
		.height = 300,
		.scale = 1,
		.url = "data:text/html,<body style='background:%23ff0000'>",
		.listener = &listener,
		.data = f,
	};
	return weft_webview_create(engine, &options);
}

/* The app's view, made with the first view's renderer once that view was
 * hidden and drew a frame without its page, as a spare does: its frames
 * are its size and its page, with nothing of the first view's. */
static void takes_over_the_renderer(void)
{
	struct frames red = { 0 };
	struct weft_webview *first = red_view(&red);
	ASSERT(first != NULL);
	ASSERT(wait_centre(&red, 0xff0000));
	weft_webview_set_hidden(first, true);
	int64_t deadline = now_ms() + TIMEOUT_MS;
	while (red.centre == 0xff0000 && now_ms() < deadline) {
		spin();
	}
	ASSERT(red.centre != 0xff0000);

	struct frames green = { 0 };
	const struct weft_webview_options options = {
		.width = 320,
		.height = 240,
		.scale = 1,
		.app_id = APP_ID,
		.url = "weft-app://" APP_ID "/index.html",
		.listener = &listener,
		.data = &green,
		.renderer_of = first,
	};
	struct weft_webview *view = weft_webview_create(engine, &options);
	weft_webview_destroy(first);
	ASSERT(view != NULL);
	EXPECT(wait_centre(&green, 0x00ff00));
	EXPECT(green.width == 320 && green.height == 240);
	EXPECT(!green.saw_red);
	/* It is the app's view: confined to its origin. */
	struct probe p = { .view = view };
	EXPECT(eval_until(&p, "location.origin", "http://org.weft.test.renderer.localhost"));
	free(p.result);
	weft_webview_destroy(view);
}

/* A view's first frame is of its document, once its head is parsed: none
 * of the empty initial one, whose paint and copy would only hold up the
 * thread the page's loads wait on. */
static void no_frame_before_the_head(void)
{
	struct frames f = { 0 };
	const struct weft_webview_options options = {
		.width = 320,
		.height = 240,
		.scale = 1,
		.app_id = APP_ID,
		.url = "weft-app://" APP_ID "/slow-head.html",
		.listener = &listener,
		.data = &f,
	};
	struct weft_webview *view = weft_webview_create(engine, &options);
	ASSERT(view != NULL);
	EXPECT(wait_centre(&f, 0x00ff00));
	EXPECT(!f.frame_before_head);
	weft_webview_destroy(view);
}

/* A view drawing into a Wayland surface cannot take over a renderer. */
static void only_for_software_views(void)
{
	struct frames red = { 0 };
	struct weft_webview *first = red_view(&red);
	ASSERT(first != NULL);
	/* Refused before either pointer is used. */
	const struct weft_webview_options options = {
		.width = 320,
		.height = 240,
		.scale = 1,
		.wl_display = (struct wl_display *)&red,
		.wl_surface = (struct wl_surface *)&red,
		.renderer_of = first,
	};
	EXPECT(weft_webview_create(engine, &options) == NULL);
	EXPECT(strstr(log_buf, "renderer_of must be") != NULL);
	weft_webview_destroy(first);
}

int main(int argc, char **argv)
{
	if (!start_engine("test-renderer")) {
		return 1;
	}
	root = test_mkdtemp();
	static const char index[] = "<!DOCTYPE html><meta charset=utf-8>"
				    "<body style='background: #00ff00'>";
	test_write_file(root, "index.html", index, strlen(index));
	/* A head that takes its time: the initial empty document has long
	 * been drawn by the time the page's own head is parsed. */
	static const char slow_head[] =
		"<!DOCTYPE html><html><head><meta charset=utf-8><script>"
		"const t = Date.now(); while (Date.now() - t < 500) {}</script></head>"
		"<body style='background: #00ff00'></body></html>";
	test_write_file(root, "slow-head.html", slow_head, strlen(slow_head));
	int rc = 1;
	if (!weft_webview_engine_serve_app(engine, APP_ID, root)) {
		fprintf(stderr, "test-renderer: cannot serve %s\n", root);
	} else {
		static const struct test_case cases[] = {
			TEST_CASE(takes_over_the_renderer),
			TEST_CASE(no_frame_before_the_head),
			TEST_CASE(only_for_software_views),
		};
		rc = test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
	}
	weft_webview_engine_destroy(engine);
	test_rmtree(root);
	free(root);
	return rc;
}
