/*
 * weft-app-shell's window without Servo: frames handed to it reach the
 * screen of the real compositor, in a zweft window for a tagged app client
 * and in an xdg toplevel for an ordinary one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wayland-client.h>

#include "client.h"
#include "test.h"
#include "window.h"

struct seen {
	int configures;
	int32_t width, height, scale;
	bool closed;
};

static void handle_configure(void *data, int32_t width, int32_t height, int32_t scale)
{
	struct seen *seen = data;
	seen->configures++;
	seen->width = width;
	seen->height = height;
	seen->scale = scale;
}

static void handle_close(void *data)
{
	struct seen *seen = data;
	seen->closed = true;
}

static const struct app_window_listener listener = {
	.configure = handle_configure,
	.close = handle_close,
};

static void convert_swaps_to_argb(void)
{
	const uint8_t rgba[] = {
		0x11,
		0x22,
		0x33,
		0xff,
		0x80,
		0x00,
		0x40,
		0x80, /* row 0 */
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0, /* padding of the source stride */
		0x01,
		0x02,
		0x03,
		0x04,
		0xfe,
		0xfd,
		0xfc,
		0xfb, /* row 1 */
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
	};
	uint32_t out[2 * 2];
	app_window_convert(out, 2 * 4, rgba, 16, 2, 2);
	EXPECT(out[0] == 0xff112233);
	EXPECT(out[1] == 0x80800040);
	EXPECT(out[2] == 0x04010203);
	EXPECT(out[3] == 0xfbfefdfc);
}

/* Fills the configured size with one colour and hands it to the window. */
/* Fills the configured size with one colour: R, G, B, A bytes through
 * app_window_present, or B, G, R, A through app_window_present_bgra. */
static void present_pixels(struct app_window *window, uint32_t rgb, bool bgra)
{
	int32_t width, height, scale;
	app_window_get_size(window, &width, &height, &scale);
	uint32_t w = (uint32_t)(width * scale), h = (uint32_t)(height * scale);
	uint8_t *pixels = malloc((size_t)w * h * 4);
	ASSERT(pixels != NULL);
	uint8_t r = (uint8_t)(rgb >> 16), g = (uint8_t)(rgb >> 8), b = (uint8_t)rgb;
	for (size_t i = 0; i < (size_t)w * h; i++) {
		pixels[i * 4 + 0] = bgra ? b : r;
		pixels[i * 4 + 1] = g;
		pixels[i * 4 + 2] = bgra ? r : b;
		pixels[i * 4 + 3] = 0xff;
	}
	struct weft_error err = { 0 };
	bool ok = bgra ? app_window_present_bgra(window, pixels, w, h, w * 4, &err)
		       : app_window_present(window, pixels, w, h, w * 4, &err);
	if (!ok) {
		fprintf(stderr, "# present: %s\n", err.msg);
	}
	EXPECT(ok);
	free(pixels);
}

static void present_color(struct app_window *window, uint32_t rgb)
{
	present_pixels(window, rgb, false);
}

/* Fills the configured size with one colour and waits until it is shown. */
static void show_color(struct app_window *window, uint32_t rgb)
{
	present_color(window, rgb);
	struct wl_display *display = app_window_get_display(window);
	for (int i = 0; i < 3; i++) {
		wl_display_roundtrip(display);
	}
}

static uint32_t screen_pixel(struct tc_compositor *c, int x, int y)
{
	struct tc_client *viewer = tc_client_connect(c);
	struct tc_image img;
	uint32_t pixel = 0xdeadbeef;
	if (tc_screencopy(viewer, &img)) {
		pixel = tc_image_pixel(&img, x, y);
		tc_image_finish(&img);
	}
	tc_client_destroy(viewer);
	return pixel;
}

/* The compositor, and the window of a client appd made in it (NULL on
 * failure). */
static struct app_window *app_client_window(struct tc_compositor *c, struct seen *seen,
	struct weft_error *err)
{
	tc_compositor_start(c, TC_WITH_CONTROL, NULL);
	int fd = tc_control_create_client(c, "org.weft.test", "s1");
	if (fd < 0) {
		return NULL;
	}
	char fd_text[16];
	snprintf(fd_text, sizeof(fd_text), "%d", fd);
	setenv("WAYLAND_SOCKET", fd_text, 1);
	return app_window_create("org.weft.test", "Test", &listener, seen, err);
}

static void zweft_window_for_an_app_client(void)
{
	struct tc_compositor c;
	struct seen seen = { 0 };
	struct weft_error err = { 0 };
	struct app_window *window = app_client_window(&c, &seen, &err);
	ASSERT(window != NULL);
	EXPECT(app_window_is_zweft(window));
	EXPECT(app_window_wait_configured(window, &err));
	EXPECT(seen.configures == 1 && seen.width > 0 && seen.height > 0);
	EXPECT(seen.scale == 1);

	show_color(window, 0x336699);
	EXPECT(screen_pixel(&c, seen.width / 2, seen.height / 2) == 0x336699);
	show_color(window, 0xcc2211);
	EXPECT(screen_pixel(&c, seen.width / 2, seen.height / 2) == 0xcc2211);
	/* B, G, R, A frames are shown as they are. */
	present_pixels(window, 0x1188ee, true);
	for (int i = 0; i < 3; i++) {
		wl_display_roundtrip(app_window_get_display(window));
	}
	EXPECT(screen_pixel(&c, seen.width / 2, seen.height / 2) == 0x1188ee);

	app_window_destroy(window);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* Waits, without reading events, for the screen to show rgb there. */
static bool screen_shows(struct tc_compositor *c, int x, int y, uint32_t rgb)
{
	for (int i = 0; i < 500; i++) {
		if (screen_pixel(c, x, y) == rgb) {
			return true;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

/* A frame is committed as it comes, even right after another one: it does
 * not wait for the last one's frame callback (which this client never
 * reads here), nor for the compositor's next refresh cycle. */
static void frames_are_committed_at_once(void)
{
	struct tc_compositor c;
	struct seen seen = { 0 };
	struct weft_error err = { 0 };
	struct app_window *window = app_client_window(&c, &seen, &err);
	ASSERT(window != NULL);
	EXPECT(app_window_wait_configured(window, &err));
	struct wl_display *display = app_window_get_display(window);
	present_color(window, 0x336699);
	present_color(window, 0xcc2211);
	EXPECT(wl_display_flush(display) >= 0);
	EXPECT(screen_shows(&c, seen.width / 2, seen.height / 2, 0xcc2211));

	app_window_destroy(window);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* Frames that come while the compositor holds every buffer (here: while
 * this client reads none of its releases) are not an error; the newest is
 * kept and shown once a buffer comes back. weft-shell exited on such a
 * frame in a busy CI run ("every shm buffer is still held"). */
static void a_frame_waits_for_a_buffer(void)
{
	struct tc_compositor c;
	struct seen seen = { 0 };
	struct weft_error err = { 0 };
	struct app_window *window = app_client_window(&c, &seen, &err);
	ASSERT(window != NULL);
	EXPECT(app_window_wait_configured(window, &err));
	struct wl_display *display = app_window_get_display(window);
	int x = seen.width / 2, y = seen.height / 2;
	present_color(window, 0x111111);
	present_color(window, 0x222222);
	present_color(window, 0x333333);
	/* Every buffer is out: these two wait, the newer in place of the older. */
	present_color(window, 0x444444);
	present_color(window, 0x556677);
	EXPECT(wl_display_flush(display) >= 0);
	EXPECT(screen_shows(&c, x, y, 0x333333));
	/* The releases read, the newest frame is committed. */
	for (int i = 0; i < 3; i++) {
		wl_display_roundtrip(display);
	}
	EXPECT(screen_shows(&c, x, y, 0x556677));

	app_window_destroy(window);
	EXPECT(tc_compositor_stop(&c) == 0);
}

static void xdg_toplevel_for_an_ordinary_client(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", c.runtime_dir, c.socket);
	unsetenv("WAYLAND_SOCKET");
	setenv("WAYLAND_DISPLAY", path, 1);

	struct seen seen = { 0 };
	struct weft_error err = { 0 };
	struct app_window *window = app_window_create("org.weft.test", "Test", &listener, &seen,
		&err);
	ASSERT(window != NULL);
	EXPECT(!app_window_is_zweft(window));
	EXPECT(app_window_wait_configured(window, &err));
	EXPECT(seen.width == 1280 && seen.height == 720);

	show_color(window, 0x00aa55);
	EXPECT(screen_pixel(&c, 640, 360) == 0x00aa55);

	app_window_destroy(window);
	unsetenv("WAYLAND_DISPLAY");
	EXPECT(tc_compositor_stop(&c) == 0);
}

static void no_compositor_is_an_error(void)
{
	unsetenv("WAYLAND_SOCKET");
	setenv("WAYLAND_DISPLAY", "/nonexistent/wayland-0", 1);
	struct seen seen = { 0 };
	struct weft_error err = { 0 };
	struct app_window *window = app_window_create("org.weft.test", "Test", &listener, &seen,
		&err);
	EXPECT(window == NULL);
	EXPECT(strstr(err.msg, "cannot connect") != NULL);
	unsetenv("WAYLAND_DISPLAY");
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(convert_swaps_to_argb),
		TEST_CASE(zweft_window_for_an_app_client),
		TEST_CASE(frames_are_committed_at_once),
		TEST_CASE(a_frame_waits_for_a_buffer),
		TEST_CASE(xdg_toplevel_for_an_ordinary_client),
		TEST_CASE(no_compositor_is_an_error),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
