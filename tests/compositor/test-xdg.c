/*
 * weft-compositor with ordinary (untagged) clients: what they see, where
 * their xdg windows go, the compositor's keys, and robustness.
 */
#include <errno.h>
#include <linux/input-event-codes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "test.h"

#define RED 0xffff0000
#define GREEN 0xff00ff00

static const char *const super[] = { "Mod4", NULL };

static void ordinary_client_globals(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, TC_NO_TEST_PROTOCOLS, NULL);
	struct tc_client *client = tc_client_connect(&c);
	EXPECT(tc_client_has_global(client, "xdg_wm_base"));
	EXPECT(tc_client_has_global(client, "wl_data_device_manager"));
	EXPECT(tc_client_has_global(client, "zwp_primary_selection_device_manager_v1"));
	EXPECT(tc_client_has_global(client, "wp_presentation"));
	EXPECT(tc_client_has_global(client, "wp_viewporter"));
	EXPECT(tc_client_has_global(client, "zxdg_output_manager_v1"));
	EXPECT(tc_client_has_global(client, "zxdg_decoration_manager_v1"));
	EXPECT(!tc_client_has_global(client, "zweft_shell_manager_v1"));
	EXPECT(!tc_client_has_global(client, "zwlr_screencopy_manager_v1"));
	EXPECT(!tc_client_has_global(client, "zwlr_virtual_pointer_manager_v1"));
	EXPECT(!tc_client_has_global(client, "zwp_virtual_keyboard_manager_v1"));
	EXPECT(!tc_client_has_global(client, "zwlr_data_control_manager_v1"));
	EXPECT(!tc_client_has_global(client, "zwp_input_method_manager_v2"));
	tc_client_destroy(client);
	EXPECT(tc_compositor_stop(&c) == 0);
}

static void test_protocols_flag(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	struct tc_client *client = tc_client_connect(&c);
	EXPECT(tc_client_has_global(client, "zwlr_screencopy_manager_v1"));
	EXPECT(tc_client_has_global(client, "zwlr_virtual_pointer_manager_v1"));
	EXPECT(tc_client_has_global(client, "zwp_virtual_keyboard_manager_v1"));
	/* The flag never exposes the shell's own globals. */
	EXPECT(!tc_client_has_global(client, "zweft_shell_manager_v1"));
	EXPECT(!tc_client_has_global(client, "zwlr_data_control_manager_v1"));
	tc_client_destroy(client);
	EXPECT(tc_compositor_stop(&c) == 0);
}

static const char *const privileged_globals[] = {
	"zwlr_screencopy_manager_v1",
	"zwlr_virtual_pointer_manager_v1",
	"zwp_virtual_keyboard_manager_v1",
	"zwlr_data_control_manager_v1",
	"zwp_input_method_manager_v2",
};

static void desktop_tools_flag(void)
{
	static const char *const args[] = { "--allow-desktop-tools", NULL };
	struct tc_compositor c;
	tc_compositor_start(&c, TC_NO_TEST_PROTOCOLS, args);
	struct tc_client *client = tc_client_connect(&c);
	for (size_t i = 0; i < sizeof(privileged_globals) / sizeof(privileged_globals[0]); i++) {
		EXPECT(tc_client_has_global(client, privileged_globals[i]));
	}
	/* WEFT's own protocol stays the shell's and the apps'. */
	EXPECT(!tc_client_has_global(client, "zweft_shell_manager_v1"));
	tc_client_destroy(client);
	EXPECT(tc_compositor_stop(&c) == 0);
}

static void xdg_window_fills_output(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	struct tc_client *client = tc_client_connect(&c);
	struct tc_window *window = tc_xdg_window_create(client, "red", RED);
	const struct tc_window_state *st = tc_window_state(window);
	/* No panel: the work area is the whole output. */
	EXPECT(st->width == 1280 && st->height == 720);
	EXPECT(st->state & 1);

	struct tc_image img;
	ASSERT(tc_screencopy(client, &img));
	EXPECT(img.width == 1280 && img.height == 720);
	EXPECT(tc_image_check(&img, "xdg-window-fills-output", TC_TOLERANCE));
	tc_image_finish(&img);

	/* Gone from the screen once destroyed. */
	tc_window_destroy(window);
	tc_client_roundtrip(client);
	ASSERT(tc_screencopy(client, &img));
	EXPECT(tc_image_check(&img, "xdg-window-destroyed", TC_TOLERANCE));
	tc_image_finish(&img);
	tc_client_destroy(client);
	EXPECT(tc_compositor_stop(&c) == 0);
}

static void newest_on_top_and_super_tab(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	struct tc_client *client = tc_client_connect(&c);
	struct tc_window *red = tc_xdg_window_create(client, "red", RED);
	struct tc_window *green = tc_xdg_window_create(client, "green", GREEN);
	tc_client_roundtrip(client);
	EXPECT(tc_window_state(green)->state & 4);
	EXPECT(!(tc_window_state(red)->state & 4));

	struct tc_image img;
	ASSERT(tc_screencopy(client, &img));
	EXPECT(tc_image_check(&img, "xdg-newest-on-top", TC_TOLERANCE));
	tc_image_finish(&img);

	tc_key(client, super, KEY_TAB);
	tc_client_roundtrip(client);
	EXPECT(tc_window_state(red)->state & 4);
	EXPECT(!(tc_window_state(green)->state & 4));
	ASSERT(tc_screencopy(client, &img));
	EXPECT(tc_image_check(&img, "xdg-super-tab", TC_TOLERANCE));
	tc_image_finish(&img);

	/* Super+Q asks the focused toplevel to close. */
	tc_key(client, super, KEY_Q);
	tc_client_roundtrip(client);
	EXPECT(tc_window_state(red)->closed);
	EXPECT(!tc_window_state(green)->closed);

	tc_window_destroy(red);
	tc_window_destroy(green);
	tc_client_destroy(client);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* Keys typed on a virtual keyboard reach the focused window's client, and the
 * keyboard's arrival breaks no client's connection. */
static void virtual_keys_reach_the_focused_client(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	struct tc_client *client = tc_client_connect(&c);
	struct tc_window *window = tc_xdg_window_create(client, "typed into", RED);
	tc_client_roundtrip(client);
	EXPECT(tc_window_state(window)->state & 4);

	struct tc_client *typist = tc_client_connect(&c);
	tc_key(typist, NULL, KEY_A);
	const char *const shift[] = { "Shift", NULL };
	tc_key(typist, shift, KEY_B);
	EXPECT(tc_client_roundtrip(client));
	uint32_t code;
	const char *interface;
	EXPECT(!tc_client_protocol_error(client, &code, &interface));
	uint32_t last = 0;
	EXPECT(tc_client_keys_pressed(client, &last) == 2);
	EXPECT(last == KEY_B);
	EXPECT(tc_client_keys_pressed(typist, NULL) == 0);

	/* The typist goes, its keyboard with it; a new one types on. */
	tc_client_destroy(typist);
	typist = tc_client_connect(&c);
	tc_key(typist, NULL, KEY_C);
	EXPECT(tc_client_roundtrip(client));
	EXPECT(tc_client_keys_pressed(client, &last) == 3);
	EXPECT(last == KEY_C);

	tc_client_destroy(typist);
	tc_window_destroy(window);
	tc_client_destroy(client);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* wp_presentation: every frame shown is reported presented, one per commit. */
static void presentation_time_feedback(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	struct tc_client *client = tc_client_connect(&c);
	struct tc_window *window = tc_xdg_window_create(client, "red", RED);
	for (int i = 0; i < 5; i++) {
		int result = tc_window_redraw_presented(window, i % 2 ? RED : GREEN);
		EXPECT(result == 1);
		if (result != 1) {
			fprintf(stderr, "# frame %d: %s\n", i,
				result == 0 ? "discarded" : "no answer");
		}
	}
	tc_window_destroy(window);
	tc_client_destroy(client);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* A window under an opaque application is not drawn and gets no frame
 * callbacks until it is on top again; one under a translucent one is drawn. */
static void covered_windows_rest(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	struct tc_client *client = tc_client_connect(&c);
	struct tc_window *below = tc_xdg_window_create(client, "below", RED);
	struct tc_window *top = tc_xdg_window_create(client, "top", GREEN);
	/* Not declared opaque (ARGB buffers): the one below still draws. */
	EXPECT(tc_window_redraw_frame(below, RED, 1000));

	tc_window_set_opaque(top, true);
	EXPECT(tc_window_redraw_frame(top, GREEN, 1000));
	EXPECT(!tc_window_redraw_frame(below, RED, 300));
	EXPECT(tc_window_redraw_frame(top, GREEN, 1000));
	struct tc_image img;
	ASSERT(tc_screencopy(client, &img));
	EXPECT(tc_image_check(&img, "xdg-opaque-covers", TC_TOLERANCE));
	tc_image_finish(&img);

	/* On top again, it is drawn and its frames come. */
	tc_key(client, super, KEY_TAB);
	EXPECT(tc_window_redraw_frame(below, RED, 1000));
	ASSERT(tc_screencopy(client, &img));
	EXPECT(tc_image_check(&img, "xdg-covered-raised", TC_TOLERANCE));
	tc_image_finish(&img);

	/* And once the opaque window is gone, whatever it covered shows. */
	tc_key(client, super, KEY_TAB);
	EXPECT(tc_window_redraw_frame(top, GREEN, 1000));
	tc_window_destroy(top);
	EXPECT(tc_window_redraw_frame(below, RED, 1000));
	ASSERT(tc_screencopy(client, &img));
	EXPECT(tc_image_check(&img, "xdg-opaque-gone", TC_TOLERANCE));
	tc_image_finish(&img);

	tc_window_destroy(below);
	tc_client_destroy(client);
	EXPECT(tc_compositor_stop(&c) == 0);
}

static void garbage_writer_is_disconnected(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", c.runtime_dir, c.socket);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	ASSERT(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	char garbage[4096];
	for (size_t i = 0; i < sizeof(garbage); i++) {
		garbage[i] = (char)(i * 37 + 11);
	}
	ssize_t n = send(fd, garbage, sizeof(garbage), MSG_NOSIGNAL);
	EXPECT(n > 0);
	/* The compositor hangs up on us. */
	char buf[256];
	bool closed = false;
	for (int i = 0; i < 2000 && !closed; i++) {
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		closed = r == 0 || (r < 0 && errno != EAGAIN);
		usleep(10000);
	}
	EXPECT(closed);
	close(fd);
	EXPECT(tc_compositor_alive(&c));
	struct tc_client *client = tc_client_connect(&c);
	EXPECT(tc_client_roundtrip(client));
	tc_client_destroy(client);
	EXPECT(tc_compositor_stop(&c) == 0);
}

static void many_clients_leak_nothing(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	/* Counted with one client connected: the compositor has nothing of a
	 * client that left still to let go of. */
	struct tc_client *first = tc_client_connect(&c);
	int baseline = tc_compositor_settled_fd_count(&c, first);
	for (int i = 0; i < 200; i++) {
		struct tc_client *client = tc_client_connect(&c);
		tc_xdg_window_create(client, "crash", 0xff000000 | (uint32_t)i);
		/* Vanish without cleaning up, as a crashing client would. */
		tc_client_destroy(client);
		if (!tc_compositor_alive(&c)) {
			break;
		}
	}
	ASSERT(tc_compositor_alive(&c));
	struct tc_client *client = tc_client_connect(&c);
	EXPECT(tc_client_roundtrip(client));
	tc_client_destroy(client);
	/* The hangups are the compositor's to handle in its own time. */
	EXPECT(tc_compositor_wait_fd_count(&c, baseline, TC_SETTLE_MS) == baseline);
	tc_client_destroy(first);
	/* A clean exit: under ASan this is where leaks are reported. */
	int status = tc_compositor_stop(&c);
	EXPECT(status == 0);
	if (status != 0) {
		fprintf(stderr, "# exit status 0x%x\n", status);
	}
}

/*
 * At the quit, every listener the compositor added is off the objects it
 * listened to before they go: the compositor checks that and exits 1 if not,
 * naming the object (wlroots 0.15 does not check). Every kind of listener is
 * added first: windows, virtual keyboard and pointer, a client that left and
 * one still connected.
 */
static void quit_leaves_no_listener_behind(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	struct tc_client *left = tc_client_connect(&c);
	tc_xdg_window_create(left, "left", RED);
	tc_click(left, 640, 360);
	tc_key(left, NULL, KEY_A);
	tc_client_destroy(left);

	struct tc_client *stays = tc_client_connect(&c);
	tc_xdg_window_create(stays, "stays", GREEN);
	tc_click(stays, 10, 10);
	tc_key(stays, super, KEY_TAB);
	EXPECT(tc_client_roundtrip(stays));

	int status = tc_compositor_stop(&c);
	EXPECT(status == 0);
	if (status != 0) {
		fprintf(stderr, "# exit status 0x%x\n", status);
	}
	tc_client_destroy(stays);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(ordinary_client_globals),
		TEST_CASE(test_protocols_flag),
		TEST_CASE(desktop_tools_flag),
		TEST_CASE(xdg_window_fills_output),
		TEST_CASE(newest_on_top_and_super_tab),
		TEST_CASE(virtual_keys_reach_the_focused_client),
		TEST_CASE(presentation_time_feedback),
		TEST_CASE(covered_windows_rest),
		TEST_CASE(garbage_writer_is_disconnected),
		TEST_CASE(many_clients_leak_nothing),
		TEST_CASE(quit_leaves_no_listener_behind),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
