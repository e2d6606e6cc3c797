/*
 * Starting weft-compositor: nested in an X server (an Xvfb this test
 * starts), the one-line failure when the parent display of a nested backend
 * is missing, and a headless start without error lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include "client.h"
#include "test.h"

#define RED 0xffff0000
#define WIN_W 640
#define WIN_H 480

struct xvfb {
	pid_t pid;
	char display[16];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -displayfd: Xvfb writes its display number once it accepts connections, so
 * there is no race with a compositor that connects right away. */
static bool xvfb_start(struct xvfb *x)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		return false;
	}
	x->pid = fork();
	if (x->pid < 0) {
		return false;
	}
	if (x->pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (dup2(pfd[1], 9) < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0 ||
			dup2(null, STDERR_FILENO) < 0) {
			_exit(127);
		}
		execlp("Xvfb", "Xvfb", "-displayfd", "9", "-screen", "0", "1024x768x24",
			"-nolisten", "tcp", "-noreset", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	char buf[16] = { 0 };
	size_t len = 0;
	int64_t deadline = now_ms() + 10000;
	while (len < sizeof(buf) - 1 && memchr(buf, '\n', len) == NULL && now_ms() < deadline) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		if (poll(&p, 1, 100) <= 0) {
			continue;
		}
		ssize_t n = read(pfd[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
	}
	close(pfd[0]);
	int number = atoi(buf);
	if (len == 0 || memchr(buf, '\n', len) == NULL) {
		fprintf(stderr, "# Xvfb did not start (is it installed?)\n");
		kill(x->pid, SIGKILL);
		waitpid(x->pid, NULL, 0);
		return false;
	}
	snprintf(x->display, sizeof(x->display), ":%d", number);
	return true;
}

static void xvfb_stop(struct xvfb *x)
{
	kill(x->pid, SIGTERM);
	waitpid(x->pid, NULL, 0);
}

/* The viewable top-level window of the given size, or XCB_NONE. */
static xcb_window_t find_window(xcb_connection_t *conn, xcb_window_t root, int w, int h)
{
	xcb_window_t found = XCB_NONE;
	xcb_query_tree_reply_t *tree = xcb_query_tree_reply(conn, xcb_query_tree(conn, root),
		NULL);
	if (tree == NULL) {
		return XCB_NONE;
	}
	xcb_window_t *children = xcb_query_tree_children(tree);
	for (int i = 0; i < xcb_query_tree_children_length(tree) && found == XCB_NONE; i++) {
		xcb_get_window_attributes_reply_t *attr = xcb_get_window_attributes_reply(conn,
			xcb_get_window_attributes(conn, children[i]), NULL);
		xcb_get_geometry_reply_t *geo = xcb_get_geometry_reply(conn,
			xcb_get_geometry(conn, children[i]), NULL);
		if (attr != NULL && geo != NULL && attr->map_state == XCB_MAP_STATE_VIEWABLE &&
			geo->width == w && geo->height == h) {
			found = children[i];
		}
		free(attr);
		free(geo);
	}
	free(tree);
	return found;
}

/* The colour at (x, y) of window, 0xRRGGBB, on a 24-bit TrueColor screen. */
static uint32_t window_pixel(xcb_connection_t *conn, xcb_window_t window, int x, int y)
{
	xcb_get_image_reply_t *img = xcb_get_image_reply(conn,
		xcb_get_image(conn, XCB_IMAGE_FORMAT_Z_PIXMAP, window, (int16_t)x, (int16_t)y, 1,
			1, ~0u),
		NULL);
	if (img == NULL || xcb_get_image_data_length(img) < 4) {
		free(img);
		return 0xdeadbeef;
	}
	uint32_t px;
	memcpy(&px, xcb_get_image_data(img), sizeof(px));
	free(img);
	return px & 0xffffff;
}

static void nested_window_shows_client(void)
{
	struct xvfb x;
	ASSERT(xvfb_start(&x));
	setenv("DISPLAY", x.display, 1);
	struct tc_compositor c;
	const char *const args[] = { "--size", "640x480", NULL };
	tc_compositor_start(&c, TC_BACKEND_X11, args);

	struct tc_client *client = tc_client_connect(&c);
	struct tc_window *window = tc_xdg_window_create(client, "red", RED);
	const struct tc_window_state *st = tc_window_state(window);
	EXPECT(st->width == WIN_W && st->height == WIN_H);
	EXPECT(tc_window_redraw_presented(window, RED) == 1);

	xcb_connection_t *conn = xcb_connect(x.display, NULL);
	ASSERT(!xcb_connection_has_error(conn));
	xcb_window_t root = xcb_setup_roots_iterator(xcb_get_setup(conn)).data->root;
	xcb_window_t win = XCB_NONE;
	uint32_t centre = 0, corner = 0;
	/* The X side draws asynchronously: give it a moment. */
	for (int64_t deadline = now_ms() + 3000; now_ms() < deadline; usleep(20000)) {
		win = find_window(conn, root, WIN_W, WIN_H);
		if (win == XCB_NONE) {
			continue;
		}
		centre = window_pixel(conn, win, WIN_W / 2, WIN_H / 2);
		corner = window_pixel(conn, win, WIN_W - 1, WIN_H - 1);
		if (centre == 0xff0000 && corner == 0xff0000) {
			break;
		}
	}
	EXPECT(win != XCB_NONE);
	EXPECT(centre == 0xff0000);
	EXPECT(corner == 0xff0000);
	if (centre != 0xff0000) {
		fprintf(stderr, "# X window 0x%x: centre 0x%06x, corner 0x%06x\n", win, centre,
			corner);
	}

	tc_window_destroy(window);
	tc_client_destroy(client);
	EXPECT(tc_compositor_stop(&c) == 0);
	/* Its window goes with it. */
	EXPECT(find_window(conn, root, WIN_W, WIN_H) == XCB_NONE);
	xcb_disconnect(conn);
	unsetenv("DISPLAY");
	xvfb_stop(&x);
}

/* Runs weft-compositor with args and the environment given (NAME=value, or
 * NAME alone to unset it), stopping it with SIGTERM after run_ms if that is
 * not 0; returns its exit status and its stderr. */
static int run_compositor(const char *const *args, const char *const *env, int run_ms, char *err,
	size_t err_size)
{
	char *dir = test_mkdtemp();
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		abort();
	}
	pid_t pid = fork();
	if (pid == 0) {
		if (dup2(pfd[1], STDERR_FILENO) < 0) {
			_exit(127);
		}
		setenv("XDG_RUNTIME_DIR", dir, 1);
		setenv("WLR_RENDERER", "pixman", 1);
		/* The default log level: what a user sees. */
		unsetenv("WEFT_LOG");
		unsetenv("WLR_BACKENDS");
		for (size_t i = 0; env[i] != NULL; i++) {
			const char *eq = strchr(env[i], '=');
			if (eq == NULL) {
				unsetenv(env[i]);
			} else {
				char name[64];
				snprintf(name, sizeof(name), "%.*s", (int)(eq - env[i]), env[i]);
				setenv(name, eq + 1, 1);
			}
		}
		const char *argv[16] = { getenv("WEFT_COMPOSITOR"), "--no-shell", "--no-appd" };
		size_t argc = 3;
		for (size_t i = 0; args[i] != NULL && argc < 15; i++) {
			argv[argc++] = args[i];
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	size_t len = 0;
	int64_t stop_at = run_ms > 0 ? now_ms() + run_ms : INT64_MAX;
	for (;;) {
		if (now_ms() >= stop_at) {
			kill(pid, SIGTERM);
			stop_at = INT64_MAX;
		}
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		if (poll(&p, 1, 20) <= 0) {
			continue;
		}
		ssize_t n = read(pfd[0], err + len, err_size - 1 - len);
		if (n <= 0 || len + (size_t)n >= err_size - 1) {
			break;
		}
		len += (size_t)n;
	}
	err[len] = '\0';
	close(pfd[0]);
	int status = -1;
	waitpid(pid, &status, 0);
	test_rmtree(dir);
	free(dir);
	return status;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s != '\0'; s++) {
		n += *s == '\n';
	}
	return n;
}

/* A display number nobody serves. */
static void free_display(char *buf, size_t size)
{
	for (int n = 200; n < 300; n++) {
		char sock[64], lock[64];
		snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%d", n);
		snprintf(lock, sizeof(lock), "/tmp/.X%d-lock", n);
		if (access(sock, F_OK) != 0 && access(lock, F_OK) != 0) {
			snprintf(buf, size, ":%d", n);
			return;
		}
	}
	snprintf(buf, size, ":299");
}

static void expect_one_line_failure(const char *const *args, const char *const *env,
	const char *needle)
{
	char err[4096];
	int status = run_compositor(args, env, 0, err, sizeof(err));
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	EXPECT(count_lines(err) == 1);
	EXPECT(strstr(err, needle) != NULL);
	if (count_lines(err) != 1 || strstr(err, needle) == NULL || !WIFEXITED(status)) {
		fprintf(stderr, "# status 0x%x, stderr:\n%s", status, err);
	}
}

static void x11_without_server_fails_cleanly(void)
{
	char display[32], env_display[48];
	free_display(display, sizeof(display));
	snprintf(env_display, sizeof(env_display), "DISPLAY=%s", display);
	const char *const args[] = { "--backend", "x11", NULL };
	const char *const env[] = { env_display, "WAYLAND_DISPLAY", NULL };
	expect_one_line_failure(args, env, display);

	const char *const no_display[] = { "DISPLAY", "WAYLAND_DISPLAY", NULL };
	expect_one_line_failure(args, no_display, "DISPLAY is not set");

	/* auto picks x11 from DISPLAY and fails the same way. */
	const char *const auto_args[] = { "--backend", "auto", NULL };
	expect_one_line_failure(auto_args, env, display);
}

static void wayland_without_server_fails_cleanly(void)
{
	const char *const args[] = { "--backend", "wayland", NULL };
	const char *const env[] = { "WAYLAND_DISPLAY=weft-test-nobody-here", "WAYLAND_SOCKET",
		"DISPLAY", NULL };
	expect_one_line_failure(args, env, "weft-test-nobody-here");
}

/* A headless start on a machine without a GPU says nothing alarming: no
 * wlroots error about a missing DRM device. */
static void headless_start_is_quiet(void)
{
	const char *const args[] = { "--backend", "headless", NULL };
	const char *const env[] = { "WLR_RENDERER", "DISPLAY", "WAYLAND_DISPLAY", NULL };
	char err[4096];
	int status = run_compositor(args, env, 1000, err, sizeof(err));
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT(strstr(err, "error") == NULL);
	EXPECT(strstr(err, "running on WAYLAND_DISPLAY=") != NULL);
	if (strstr(err, "error") != NULL || !WIFEXITED(status)) {
		fprintf(stderr, "# status 0x%x, stderr:\n%s", status, err);
	}
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(nested_window_shows_client),
		TEST_CASE(x11_without_server_fails_cleanly),
		TEST_CASE(wayland_without_server_fails_cleanly),
		TEST_CASE(headless_start_is_quiet),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
