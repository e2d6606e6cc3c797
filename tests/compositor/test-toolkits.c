/*
 * Programs built with the usual toolkits, from Debian, against the real
 * weft-compositor headless: an X11 program under Xwayland (--xwayland, off
 * by default), a GTK 4 program and a Qt 5 program on Wayland, each checked
 * on screen and by what it said on the wire. Screenshots are left in
 * $WEFT_TEST_OUTPUT_DIR.
 */
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
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

#define DEADLINE_MS 30000

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool have(const char *prog)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/*
 * Starts argv as an ordinary client: Wayland (when wayland), or X at
 * display; env is a NULL-terminated list of NAME=value. Its stderr goes to
 * err_path when not NULL.
 */
static pid_t spawn(struct tc_compositor *c, const char *const *argv, bool wayland,
	const char *display, const char *const *env, const char *err_path)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		setenv("XDG_RUNTIME_DIR", c->runtime_dir, 1);
		unsetenv("WAYLAND_DISPLAY");
		unsetenv("DISPLAY");
		if (wayland) {
			setenv("WAYLAND_DISPLAY", c->socket, 1);
		}
		if (display != NULL) {
			setenv("DISPLAY", display, 1);
		}
		for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
			putenv((char *)env[i]);
		}
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int err = err_path != NULL
			? open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)
			: null;
		if (null < 0 || err < 0 || dup2(null, STDIN_FILENO) < 0 ||
			dup2(null, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) {
			_exit(127);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static void stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		return NULL;
	}
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	size_t n = buf != NULL ? fread(buf, 1, cap - 1, f) : 0;
	fclose(f);
	if (buf != NULL) {
		buf[n] = '\0';
	}
	return buf;
}

/* The first line the compositor's shell wrote to path, waiting for it. */
static bool wait_line(const char *path, char *line, size_t size)
{
	for (int64_t end = now_ms() + DEADLINE_MS; now_ms() < end; usleep(20 * 1000)) {
		char *text = read_file(path);
		char *nl = text != NULL ? strchr(text, '\n') : NULL;
		if (nl != NULL) {
			*nl = '\0';
			snprintf(line, size, "%s", text);
			free(text);
			return true;
		}
		free(text);
	}
	return false;
}

/* Starts the compositor with a shell command that writes what DISPLAY it
 * got into dir/display; returns that value in display. */
static bool start_with_display_probe(struct tc_compositor *c, int flags, bool xwayland,
	const char *dir, char *display, size_t size)
{
	char path[512], cmd[1024];
	snprintf(path, sizeof(path), "%s/display", dir);
	snprintf(cmd, sizeof(cmd),
		"echo \"${DISPLAY-unset}\" > %s.tmp && mv %s.tmp %s; "
		"exec sleep 600",
		path, path, path);
	const char *const args[] = { "--shell", cmd, xwayland ? "--xwayland" : NULL, NULL };
	tc_compositor_start(c, flags, args);
	return wait_line(path, display, size);
}

/* How many X11 sockets (/tmp/.X11-unix/X*, named or abstract) pid listens on. */
static int x11_sockets_of(pid_t pid)
{
	char dir_path[64];
	snprintf(dir_path, sizeof(dir_path), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(dir_path);
	if (dir == NULL) {
		return -1;
	}
	unsigned long inodes[256];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(dir)) != NULL && n < sizeof(inodes) / sizeof(inodes[0])) {
		char link[600], target[128];
		snprintf(link, sizeof(link), "%s/%s", dir_path, e->d_name);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0) {
			continue;
		}
		target[len] = '\0';
		if (sscanf(target, "socket:[%lu]", &inodes[n]) == 1) {
			n++;
		}
	}
	closedir(dir);
	FILE *f = fopen("/proc/net/unix", "re");
	if (f == NULL) {
		return -1;
	}
	int count = 0;
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long inode;
		char path[256] = "";
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %255s", &inode, path) < 2 ||
			strstr(path, "/tmp/.X11-unix/X") == NULL) {
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			count += inodes[i] == inode;
		}
	}
	fclose(f);
	return count;
}

/* A screenshot by grim (a real client) into the output directory. */
static void save_screenshot(struct tc_compositor *c, const char *name)
{
	const char *dir = getenv("WEFT_TEST_OUTPUT_DIR");
	if (dir == NULL || !have("grim")) {
		return;
	}
	mkdir(dir, 0755);
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s.png", dir, name);
	const char *const argv[] = { "grim", path, NULL };
	pid_t pid = spawn(c, argv, true, NULL, NULL, NULL);
	int status = 0;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "# grim could not write %s\n", path);
	} else {
		fprintf(stderr, "# screenshot: %s\n", path);
	}
}

static bool near(uint32_t a, uint32_t b)
{
	for (int shift = 0; shift < 24; shift += 8) {
		int d = (int)((a >> shift) & 0xff) - (int)((b >> shift) & 0xff);
		if (d < -8 || d > 8) {
			return false;
		}
	}
	return true;
}

struct probe {
	int x, y;
	uint32_t rgb;
};

/* Waits until every probe shows its colour; the last shot stays in image. */
static bool wait_screen(struct tc_client *screen, const struct probe *probes, size_t n,
	struct tc_image *image)
{
	for (int64_t end = now_ms() + DEADLINE_MS; now_ms() < end; usleep(50 * 1000)) {
		tc_image_finish(image);
		if (!tc_screencopy(screen, image)) {
			continue;
		}
		bool all = true;
		for (size_t i = 0; i < n && all; i++) {
			all = near(tc_image_pixel(image, probes[i].x, probes[i].y), probes[i].rgb);
		}
		if (all) {
			return true;
		}
	}
	for (size_t i = 0; i < n && image->pixels != NULL; i++) {
		fprintf(stderr, "# at %d,%d: %06x, want %06x\n", probes[i].x, probes[i].y,
			tc_image_pixel(image, probes[i].x, probes[i].y) & 0xffffff, probes[i].rgb);
	}
	return false;
}

/* Without --xwayland no X server listens, and children get no DISPLAY, not
 * even the one the compositor was started with. */
static void xwayland_off_by_default(void)
{
	char *dir = test_mkdtemp();
	setenv("DISPLAY", ":4242", 1);
	struct tc_compositor c;
	char display[64] = "";
	bool got = start_with_display_probe(&c, TC_KEEP_DISPLAY, false, dir, display,
		sizeof(display));
	unsetenv("DISPLAY");
	EXPECT(got);
	EXPECT_STR_EQ(display, "unset");
	EXPECT(x11_sockets_of(c.pid) == 0);
	EXPECT(tc_compositor_alive(&c));
	EXPECT(tc_compositor_stop(&c) == 0);
	test_rmtree(dir);
	free(dir);
}

/* An override-redirect window of one colour, mapped at once. */
static xcb_window_t override_redirect_window(xcb_connection_t *x, xcb_screen_t *screen, int x0,
	int y0, int w, int h, uint32_t pixel)
{
	xcb_window_t win = xcb_generate_id(x);
	uint32_t values[] = { pixel, 1 };
	xcb_create_window(x, XCB_COPY_FROM_PARENT, win, screen->root, x0, y0, w, h, 0,
		XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual,
		XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT, values);
	xcb_map_window(x, win);
	xcb_flush(x);
	return win;
}

/*
 * With --xwayland an X11 program (xlogo from x11-apps) maps a window that
 * the policy places like any application (it fills the work area) and
 * focuses; an override-redirect window (what menus and tooltips are) shows
 * where it asked, above it, unmanaged; both go when their program does.
 */
static void xwayland_runs_x11_program(void)
{
	if (!have("Xwayland") || !have("xlogo")) {
		test_skip("Xwayland (xwayland) or xlogo (x11-apps) not installed");
		return;
	}
	char *dir = test_mkdtemp();
	struct tc_compositor c;
	char display[64] = "";
	ASSERT(start_with_display_probe(&c, 0, true, dir, display, sizeof(display)));
	EXPECT(display[0] == ':');
	/* wlroots listens for the first X client itself. */
	EXPECT(x11_sockets_of(c.pid) > 0);

	struct tc_client *screen = tc_client_connect(&c);
	const char *const xlogo[] = { "xlogo", "-bg", "red", "-fg", "blue", NULL };
	pid_t logo = spawn(&c, xlogo, false, display, NULL, NULL);
	/* Red from corner to corner: placed over the whole work area. */
	const struct probe filled[] = {
		{ 2, 2, 0xff0000 },
		{ 1277, 2, 0xff0000 },
		{ 2, 717, 0xff0000 },
		{ 1277, 717, 0xff0000 },
	};
	struct tc_image image = { 0 };
	EXPECT(wait_screen(screen, filled, 4, &image));
	save_screenshot(&c, "xwayland-xlogo");

	xcb_connection_t *x = xcb_connect(display, NULL);
	ASSERT(xcb_connection_has_error(x) == 0);
	xcb_screen_t *root = xcb_setup_roots_iterator(xcb_get_setup(x)).data;
	/* The focused X window is xlogo's, at the size the policy gave it. */
	xcb_get_input_focus_reply_t *focus = xcb_get_input_focus_reply(x, xcb_get_input_focus(x),
		NULL);
	EXPECT(focus != NULL && focus->focus != XCB_NONE && focus->focus != root->root);
	if (focus != NULL && focus->focus != XCB_NONE && focus->focus != root->root) {
		xcb_get_geometry_reply_t *geo = xcb_get_geometry_reply(x,
			xcb_get_geometry(x, focus->focus), NULL);
		EXPECT(geo != NULL && geo->width == 1280 && geo->height == 720);
		free(geo);
	}
	free(focus);

	/* 24-bit TrueColor: the pixel is the colour. */
	override_redirect_window(x, root, 100, 60, 200, 100, 0x00ff00);
	const struct probe menu[] = {
		{ 101, 61, 0x00ff00 },
		{ 298, 158, 0x00ff00 },
		{ 98, 58, 0xff0000 },
		{ 302, 162, 0xff0000 },
	};
	EXPECT(wait_screen(screen, menu, 4, &image));
	save_screenshot(&c, "xwayland-override-redirect");
	xcb_disconnect(x);

	/* Its window goes with it: nothing red is left. */
	const struct probe menu_gone[] = { { 200, 110, 0xff0000 } };
	EXPECT(wait_screen(screen, menu_gone, 1, &image));
	stop(logo);
	const struct probe gone[] = { { 2, 2, 0 }, { 1277, 717, 0 } };
	EXPECT(wait_screen(screen, gone, 2, &image));

	/* A quit with an X window up takes it down cleanly: exit status 1 says
	 * a listener of ours was left on an X window (ASan: or a leak). */
	logo = spawn(&c, xlogo, false, display, NULL, NULL);
	EXPECT(wait_screen(screen, filled, 4, &image));
	tc_image_finish(&image);
	tc_client_destroy(screen);
	EXPECT(tc_compositor_alive(&c));
	EXPECT(tc_compositor_stop(&c) == 0);
	stop(logo);
	test_rmtree(dir);
	free(dir);
}

/* Whether the WAYLAND_DEBUG log at path has every needle, waiting for it. */
static bool wait_log(const char *path, const char *const *needles, size_t n)
{
	for (int64_t end = now_ms() + DEADLINE_MS; now_ms() < end; usleep(50 * 1000)) {
		char *log = read_file(path);
		bool all = log != NULL;
		for (size_t i = 0; i < n && all; i++) {
			all = strstr(log, needles[i]) != NULL;
		}
		free(log);
		if (all) {
			return true;
		}
	}
	return false;
}

static bool log_has(const char *path, const char *needle)
{
	char *log = read_file(path);
	bool found = log != NULL && strstr(log, needle) != NULL;
	free(log);
	return found;
}

/* Whether the rows [y0, y1) of the image are all one colour. */
static bool rows_uniform(const struct tc_image *image, int y0, int y1)
{
	uint32_t first = tc_image_pixel(image, 0, y0);
	for (int y = y0; y < y1; y++) {
		for (int x = 0; x < image->width; x++) {
			if (!near(tc_image_pixel(image, x, y), first)) {
				return false;
			}
		}
	}
	return true;
}

/*
 * GTK 4 (gtk4-demo) on Wayland, software rendered. GTK 4.8 does not speak
 * xdg-decoration: it draws its own header bar, and as a maximized window
 * declares its whole surface as the window, exactly the box it was given.
 * A GTK that binds xdg-decoration must be told server side.
 */
static void gtk4_program_maps_window(void)
{
	if (!have("gtk4-demo")) {
		test_skip("gtk4-demo (gtk-4-examples) not installed");
		return;
	}
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	char log[512];
	snprintf(log, sizeof(log), "%s/gtk4.log", c.runtime_dir);
	const char *const env[] = { "GDK_BACKEND=wayland", "GSK_RENDERER=cairo",
		"WAYLAND_DEBUG=client", "GTK_A11Y=none", "NO_AT_BRIDGE=1", NULL };
	const char *const argv[] = { "gtk4-demo", NULL };
	pid_t pid = spawn(&c, argv, true, NULL, env, log);
	const char *const wire[] = {
		"xdg_toplevel@",
		".configure(1280, 720, ",
		".set_window_geometry(0, 0, 1280, 720)",
	};
	EXPECT(wait_log(log, wire, 3));
	if (log_has(log, "zxdg_decoration_manager_v1, 1, new id")) {
		EXPECT(log_has(log, "zxdg_toplevel_decoration_v1@") &&
			log_has(log, ".configure(2)"));
	}
	/* Drawn: the header bar on top, light content below, no black left. */
	struct tc_client *screen = tc_client_connect(&c);
	struct tc_image image = { 0 };
	bool drawn = false;
	for (int64_t end = now_ms() + DEADLINE_MS; !drawn && now_ms() < end; usleep(50 * 1000)) {
		tc_image_finish(&image);
		drawn = tc_screencopy(screen, &image) &&
			(tc_image_pixel(&image, 1277, 717) & 0xffffff) > 0xc0c0c0 &&
			(tc_image_pixel(&image, 640, 2) & 0xffffff) != 0;
	}
	EXPECT(drawn);
	EXPECT(image.pixels != NULL && !rows_uniform(&image, 0, 40)); /* a title */
	save_screenshot(&c, "gtk4-demo");
	tc_image_finish(&image);
	tc_client_destroy(screen);
	EXPECT(waitpid(pid, NULL, WNOHANG) == 0);
	stop(pid);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/*
 * A Qt 5 widgets program on Wayland (qtwayland5). Qt asks through
 * xdg-decoration, is told server side, and so draws no frame of its own:
 * its window is the box it was given, and its top rows are the plain
 * widget background (a client-side frame would draw a title bar there).
 */
static void qt_program_maps_window(void)
{
	glob_t found;
	if (glob("/usr/lib/*/qt5/examples/widgets/tutorials/widgets/toplevel/toplevel", 0, NULL,
		    &found) != 0) {
		test_skip("Qt's toplevel example (qtbase5-examples) not installed");
		return;
	}
	char program[512];
	snprintf(program, sizeof(program), "%s", found.gl_pathv[0]);
	globfree(&found);
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	char log[512];
	snprintf(log, sizeof(log), "%s/qt.log", c.runtime_dir);
	const char *const env[] = { "QT_QPA_PLATFORM=wayland", "WAYLAND_DEBUG=client",
		"QT_ACCESSIBILITY=0", NULL };
	const char *const argv[] = { program, NULL };
	pid_t pid = spawn(&c, argv, true, NULL, env, log);
	const char *const wire[] = {
		"zxdg_decoration_manager_v1@",
		".get_toplevel_decoration(",
		"zxdg_toplevel_decoration_v1@",
		".configure(2)",
		".configure(1280, 720, ",
		".set_window_geometry(0, 0, 1280, 720)",
	};
	bool said = wait_log(log, wire, 6);
	EXPECT(said);
	if (!said && log_has(log, "Could not find the Qt platform plugin")) {
		fprintf(stderr, "# Qt has no wayland platform plugin (qtwayland5)\n");
	}
	struct tc_client *screen = tc_client_connect(&c);
	struct tc_image image = { 0 };
	bool plain = false;
	for (int64_t end = now_ms() + DEADLINE_MS; !plain && now_ms() < end; usleep(50 * 1000)) {
		tc_image_finish(&image);
		plain = tc_screencopy(screen, &image) &&
			(tc_image_pixel(&image, 640, 360) & 0xffffff) > 0xc0c0c0 &&
			rows_uniform(&image, 0, 60);
	}
	EXPECT(plain);
	save_screenshot(&c, "qt-toplevel");
	tc_image_finish(&image);
	tc_client_destroy(screen);
	EXPECT(waitpid(pid, NULL, WNOHANG) == 0);
	stop(pid);
	EXPECT(tc_compositor_stop(&c) == 0);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(xwayland_off_by_default),
		TEST_CASE(xwayland_runs_x11_program),
		TEST_CASE(gtk4_program_maps_window),
		TEST_CASE(qt_program_maps_window),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
