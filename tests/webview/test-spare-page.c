/*
 * The spare's page (app-shell/warmup.c, --prewarm): the renderer the
 * adopted app's view takes over keeps what that page made WebRender
 * allocate. So the page draws nothing WebRender renders through render
 * targets its pool keeps (a blurred box-shadow: two R8 2048x2048 targets
 * and an R8 1024x1024 texture), and nothing outside the view's top-left
 * 1024x512, one of WebRender's picture tiles (each tile with something on
 * it is a texture of its own).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page.h"
#include "test.h"
#include "warmup.h"

#define WIDTH 1280
#define HEIGHT 720
#define TILE_WIDTH 1024
#define TILE_HEIGHT 512

struct spare {
	bool drawn; /* the page said so */
	int frames;
	bool inside; /* the last frame had something inside the first tile */
	bool outside; /* some frame had something outside it */
};

static uint32_t pixel(const uint8_t *rgba, uint32_t stride, uint32_t x, uint32_t y)
{
	const uint8_t *p = rgba + (size_t)y * stride + (size_t)x * 4;
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void handle_frame(void *data, const uint8_t *rgba, uint32_t width, uint32_t height,
	uint32_t stride)
{
	struct spare *s = data;
	if (rgba == NULL) {
		return;
	}
	s->frames++;
	s->inside = false;
	/* The page's background, in the corner farthest from its content. */
	uint32_t background = pixel(rgba, stride, width - 1, height - 1);
	for (uint32_t y = 0; y < height; y++) {
		for (uint32_t x = 0; x < width; x++) {
			if (pixel(rgba, stride, x, y) == background) {
				continue;
			}
			if (x < TILE_WIDTH && y < TILE_HEIGHT) {
				s->inside = true;
			} else {
				if (!s->outside) {
					fprintf(stderr, "# drawn at %u,%u: %06x\n", x, y,
						pixel(rgba, stride, x, y));
				}
				s->outside = true;
			}
		}
	}
}

static void handle_console(void *data, int level, const char *message)
{
	struct spare *s = data;
	if (app_spare_page_drawn(message)) {
		s->drawn = true;
	}
}

static const struct weft_webview_listener listener = {
	.frame = handle_frame,
	.console = handle_console,
};

/* The page's text, from its data: URL. */
static char *page_source(void)
{
	char *url = app_spare_page_url();
	if (url == NULL) {
		return NULL;
	}
	const char *s = strchr(url, ',');
	char *text = malloc(strlen(url) + 1);
	if (s == NULL || text == NULL) {
		free(url);
		free(text);
		return NULL;
	}
	char *p = text;
	for (s++; *s; s++) {
		unsigned int c;
		if (*s == '%' && sscanf(s + 1, "%2x", &c) == 1) {
			*p++ = (char)c;
			s += 2;
		} else {
			*p++ = *s;
		}
	}
	*p = '\0';
	free(url);
	return text;
}

static void no_render_target_effects(void)
{
	char *text = page_source();
	ASSERT(text != NULL);
	EXPECT(strstr(text, "<body") != NULL);
	static const char *const effects[] = { "box-shadow", "text-shadow", "filter",
		"mix-blend-mode", "clip-path", "mask" };
	for (size_t i = 0; i < sizeof(effects) / sizeof(effects[0]); i++) {
		if (strstr(text, effects[i]) != NULL) {
			fprintf(stderr, "# the spare's page uses %s\n", effects[i]);
			EXPECT(false);
		}
	}
	free(text);
}

static void drawn_in_one_tile(void)
{
	struct spare s = { 0 };
	char *url = app_spare_page_url();
	ASSERT(url != NULL);
	/* As app-shell's prewarm draws it: a software view of its own size. */
	const struct weft_webview_options options = {
		.width = WIDTH,
		.height = HEIGHT,
		.scale = 1,
		.url = url,
		.listener = &listener,
		.data = &s,
	};
	struct weft_webview *view = weft_webview_create(engine, &options);
	free(url);
	ASSERT(view != NULL);
	int64_t deadline = now_ms() + TIMEOUT_MS;
	while (!s.drawn && now_ms() < deadline) {
		spin();
	}
	ASSERT(s.drawn);
	/* The page is still once drawn, and its last frame may have come
	 * before its message: hidden and shown again, it draws a frame of
	 * all of it. */
	int frames = s.frames;
	weft_webview_set_hidden(view, true);
	while (s.frames == frames && now_ms() < deadline) {
		spin();
	}
	weft_webview_set_hidden(view, false);
	frames = s.frames;
	while (!(s.frames > frames && s.inside) && now_ms() < deadline) {
		spin();
	}
	EXPECT(s.inside);
	EXPECT(!s.outside);
	weft_webview_destroy(view);
}

int main(int argc, char **argv)
{
	if (!start_engine("test-spare-page")) {
		return 1;
	}
	static const struct test_case cases[] = {
		TEST_CASE(no_render_target_effects),
		TEST_CASE(drawn_in_one_tile),
	};
	int rc = test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
	weft_webview_engine_destroy(engine);
	return rc;
}
