/*
 * Desktop tools against weft-compositor, as a user runs them with
 * --allow-desktop-tools: waybar, fuzzel and mako on the layer shell, a
 * taskbar's view of the windows (foreign-toplevel management), and focus
 * through xdg-activation. Screenshots go to $WEFT_TEST_OUTPUT_DIR.
 */
#include <fcntl.h>
#include <linux/input-event-codes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "client.h"
#include "test.h"
#include "wlr-foreign-toplevel-management-unstable-v1-client-protocol.h"
#include "xdg-activation-v1-client-protocol.h"

/* Programs take a while to map on a loaded machine or under a sanitizer. */
#define DEADLINE_MS 30000

static const char *const desktop_tools[] = { "--allow-desktop-tools", NULL };

static bool have(const char *prog)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv against the compositor with the extra environment env
 * ("NAME=value", NULL-terminated, may be NULL), in its own process group. */
static pid_t spawn(struct tc_compositor *c, const char *const *argv, const char *const *env)
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		setenv("XDG_RUNTIME_DIR", c->runtime_dir, 1);
		setenv("WAYLAND_DISPLAY", c->socket, 1);
		for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
			putenv((char *)env[i]);
		}
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0 && getenv("WEFT_TEST_VERBOSE") == NULL) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static void stop(pid_t pid)
{
	kill(-pid, SIGTERM);
	int status;
	waitpid(pid, &status, 0);
}

/* A screenshot by grim in the output directory, for people to look at. */
static void save_shot(struct tc_compositor *c, const char *name)
{
	const char *dir = getenv("WEFT_TEST_OUTPUT_DIR");
	if (dir == NULL || !have("grim")) {
		return;
	}
	mkdir(dir, 0755);
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.png", dir, name);
	const char *const argv[] = { "grim", path, NULL };
	pid_t pid = spawn(c, argv, NULL);
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "# grim %s failed\n", path);
	}
}

/* Whether any pixel of the box is not black. */
static bool lit(const struct tc_image *img, int x, int y, int w, int h)
{
	for (int j = y; j < y + h; j++) {
		for (int i = x; i < x + w; i++) {
			if ((tc_image_pixel(img, i, j) & 0xffffff) != 0) {
				return true;
			}
		}
	}
	return false;
}

/* Waits until the screen shows something in the box. */
static bool wait_lit(struct tc_client *shooter, int x, int y, int w, int h)
{
	for (long end = now_ms() + DEADLINE_MS; now_ms() < end; usleep(50 * 1000)) {
		struct tc_image img;
		if (!tc_screencopy(shooter, &img)) {
			return false;
		}
		bool on = lit(&img, x, y, w, h);
		tc_image_finish(&img);
		if (on) {
			return true;
		}
	}
	return false;
}

/* Waits until the window was configured to height h, then draws at it. */
static bool wait_height(struct tc_client *client, struct tc_window *window, int h, uint32_t color)
{
	for (long end = now_ms() + DEADLINE_MS; now_ms() < end; usleep(20 * 1000)) {
		if (!tc_client_roundtrip(client)) {
			return false;
		}
		if (tc_window_state(window)->height == h) {
			tc_window_redraw(window, color);
			return tc_client_roundtrip(client);
		}
	}
	fprintf(stderr, "# window height %d, waited for %d\n", tc_window_state(window)->height, h);
	return false;
}

#define PANEL_COLOR 0xff2040c0
#define APP_COLOR 0xff20c040

/*
 * The shell's panel reserves 40 rows at the top; waybar, 30 rows high and
 * red, goes right below it, and the application window fills the rest.
 */
static void waybar_and_panel_share_the_top(void)
{
	if (!have("waybar")) {
		test_skip("waybar not installed");
		return;
	}
	struct tc_compositor c;
	tc_compositor_start(&c, TC_WITH_SHELL, desktop_tools);
	struct tc_client *shell = tc_client_connect_fd(c.shell_fd);
	struct tc_window *panel = tc_zweft_window_create(shell, "weft.shell", "panel", 0, 0, 1280,
		40, PANEL_COLOR);
	struct tc_client *app = tc_client_connect(&c);
	struct tc_window *win = tc_xdg_window_create(app, "app", APP_COLOR);
	ASSERT(panel != NULL && win != NULL);
	EXPECT(wait_height(app, win, 680, APP_COLOR));

	char *dir = test_mkdtemp();
	const char *config = "{ \"layer\": \"top\", \"position\": \"top\", \"height\": 30,"
			     " \"modules-left\": [\"clock\"], \"modules-center\": [],"
			     " \"modules-right\": [] }\n";
	const char *style = "* { border: none; min-height: 0; }\n"
			    "window#waybar { background: #ff0000; color: #ffffff; }\n";
	test_write_file(dir, "config", config, strlen(config));
	test_write_file(dir, "style.css", style, strlen(style));
	char config_path[512], style_path[512];
	snprintf(config_path, sizeof(config_path), "%s/config", dir);
	snprintf(style_path, sizeof(style_path), "%s/style.css", dir);
	const char *const argv[] = { "waybar", "-c", config_path, "-s", style_path, NULL };
	pid_t bar = spawn(&c, argv, NULL);

	/* Its exclusive zone moves the window down by 30 more rows. */
	EXPECT(wait_height(app, win, 650, APP_COLOR));
	struct tc_image img;
	bool red = false;
	for (long end = now_ms() + DEADLINE_MS; !red && now_ms() < end; usleep(50 * 1000)) {
		ASSERT(tc_screencopy(shell, &img));
		red = (tc_image_pixel(&img, 640, 55) & 0xffffff) == 0xff0000;
		if (!red) {
			tc_image_finish(&img);
		}
	}
	EXPECT(red);
	if (red) {
		/* Panel, bar and window, one below the other. */
		EXPECT((tc_image_pixel(&img, 640, 20) & 0xffffff) == (PANEL_COLOR & 0xffffff));
		EXPECT((tc_image_pixel(&img, 640, 41) & 0xffffff) == 0xff0000);
		EXPECT((tc_image_pixel(&img, 640, 69) & 0xffffff) == 0xff0000);
		EXPECT((tc_image_pixel(&img, 640, 71) & 0xffffff) == (APP_COLOR & 0xffffff));
		EXPECT((tc_image_pixel(&img, 640, 719) & 0xffffff) == (APP_COLOR & 0xffffff));
		tc_image_finish(&img);
	}
	save_shot(&c, "waybar");

	/* Without the bar, the window has its rows back. */
	stop(bar);
	EXPECT(wait_height(app, win, 680, APP_COLOR));
	tc_client_destroy(app);
	tc_client_destroy(shell);
	EXPECT(tc_compositor_stop(&c) == 0);
	test_rmtree(dir);
	free(dir);
}

static void type_word(struct tc_client *client, const char *word)
{
	static const uint32_t letters[26] = { KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G,
		KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S,
		KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z };
	for (const char *p = word; *p != '\0'; p++) {
		tc_key(client, NULL, letters[*p - 'a']);
	}
}

/* fuzzel opens over a window, takes the keyboard, and starts what is typed. */
static void fuzzel_starts_a_program(void)
{
	if (!have("fuzzel")) {
		test_skip("fuzzel not installed");
		return;
	}
	struct tc_compositor c;
	tc_compositor_start(&c, 0, desktop_tools);
	struct tc_client *app = tc_client_connect(&c);
	struct tc_window *win = tc_xdg_window_create(app, "app", 0xff000000);
	ASSERT(win != NULL);

	/* Its only application: one that leaves a marker. */
	char *dir = test_mkdtemp();
	char marker[512], entry[1024];
	snprintf(marker, sizeof(marker), "%s/launched", dir);
	snprintf(entry, sizeof(entry),
		"[Desktop Entry]\nType=Application\nName=Weftmarker\nExec=touch %s\n", marker);
	test_write_file(dir, "data/applications/weftmarker.desktop", entry, strlen(entry));
	test_write_file(dir, "none/.keep", "", 0);
	char data_home[600], data_dirs[600], config_home[600], cache_home[600];
	snprintf(data_home, sizeof(data_home), "XDG_DATA_HOME=%s/data", dir);
	snprintf(data_dirs, sizeof(data_dirs), "XDG_DATA_DIRS=%s/none", dir);
	snprintf(config_home, sizeof(config_home), "XDG_CONFIG_HOME=%s/none", dir);
	snprintf(cache_home, sizeof(cache_home), "XDG_CACHE_HOME=%s/cache", dir);
	const char *const env[] = { data_home, data_dirs, config_home, cache_home, NULL };
	const char *const argv[] = { "fuzzel", NULL };
	pid_t fuzzel = spawn(&c, argv, env);

	/* The window is black: anything in the middle is fuzzel. */
	EXPECT(wait_lit(app, 600, 340, 80, 40));
	save_shot(&c, "fuzzel");
	type_word(app, "weftm");
	tc_key(app, NULL, KEY_ENTER);
	bool launched = false;
	for (long end = now_ms() + DEADLINE_MS; !launched && now_ms() < end; usleep(50 * 1000)) {
		launched = access(marker, F_OK) == 0;
	}
	EXPECT(launched);
	/* The keys went to fuzzel, not to the window under it. */
	uint32_t last;
	EXPECT(tc_client_keys_pressed(app, &last) == 0);
	stop(fuzzel);
	tc_client_destroy(app);
	EXPECT(tc_compositor_stop(&c) == 0);
	test_rmtree(dir);
	free(dir);
}

/* mako shows what notify-send sends, in the top right corner. */
static void mako_shows_a_notification(void)
{
	if (!have("mako") || !have("notify-send") || !have("dbus-run-session")) {
		test_skip("mako, notify-send or dbus-run-session not installed");
		return;
	}
	struct tc_compositor c;
	tc_compositor_start(&c, 0, desktop_tools);
	struct tc_client *shooter = tc_client_connect(&c);
	char *dir = test_mkdtemp();
	char config_home[600], bus_config[600], log_env[600], log[600];
	snprintf(config_home, sizeof(config_home), "XDG_CONFIG_HOME=%s", dir);
	snprintf(log, sizeof(log), "%s/mako.log", dir);
	snprintf(log_env, sizeof(log_env), "MAKO_LOG=%s", log);
	/* A bus of its own, which starts no service: Debian's mako package
	 * has one for the notifications name, and a notify-send sent before
	 * our mako owned the name started a second mako, racing the first
	 * (no notification on screen in 30 s, once in a busy CI run). */
	static const char bus[] =
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration "
		"1.0//EN\" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen>"
		"<auth>EXTERNAL</auth>"
		"<policy context=\"default\">"
		"<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/>"
		"<allow own=\"*\"/></policy></busconfig>\n";
	test_write_file(dir, "bus.conf", bus, sizeof(bus) - 1);
	snprintf(bus_config, sizeof(bus_config), "--config-file=%s/bus.conf", dir);
	const char *const env[] = { config_home, log_env, NULL };
	/* The session lives as long as mako. notify-send fails until mako
	 * owns the notifications name, so it is sent again until it is
	 * taken, for a minute at most. */
	const char *const argv[] = { "dbus-run-session", bus_config, "--", "sh", "-c",
		"mako 2>\"$MAKO_LOG\" & for i in $(seq 600); do "
		"notify-send -t 0 'WEFT' 'hello from notify-send' 2>/dev/null && break; "
		"sleep 0.1; done; wait",
		NULL };
	pid_t session = spawn(&c, argv, env);
	/* Nothing else is on screen. */
	bool shown = wait_lit(shooter, 1000, 10, 260, 60);
	EXPECT(shown);
	if (!shown) {
		char cmd[700];
		snprintf(cmd, sizeof(cmd), "sed 's/^/# mako: /' '%s' >&2", log);
		if (system(cmd) != 0) {
			fprintf(stderr, "# no log from mako\n");
		}
	}
	save_shot(&c, "mako");
	stop(session);
	tc_client_destroy(shooter);
	EXPECT(tc_compositor_stop(&c) == 0);
	test_rmtree(dir);
	free(dir);
}

/* An app session is never offered the desktop tools' globals; an ordinary
 * client is, with --allow-desktop-tools. xdg-activation is for everyone. */
static void apps_cannot_bind_desktop_tools(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, TC_WITH_CONTROL, desktop_tools);
	struct tc_client *app = tc_client_connect_fd(
		tc_control_create_client(&c, "org.example.app", "s1"));
	struct tc_client *tool = tc_client_connect(&c);
	EXPECT(!tc_client_has_global(app, "zwlr_layer_shell_v1"));
	EXPECT(!tc_client_has_global(app, "zwlr_foreign_toplevel_manager_v1"));
	EXPECT(tc_client_has_global(app, "xdg_activation_v1"));
	EXPECT(tc_client_has_global(tool, "zwlr_layer_shell_v1"));
	EXPECT(tc_client_has_global(tool, "zwlr_foreign_toplevel_manager_v1"));
	tc_client_destroy(app);
	tc_client_destroy(tool);
	EXPECT(tc_compositor_stop(&c) == 0);

	tc_compositor_start(&c, 0, NULL);
	tool = tc_client_connect(&c);
	EXPECT(!tc_client_has_global(tool, "zwlr_layer_shell_v1"));
	EXPECT(!tc_client_has_global(tool, "zwlr_foreign_toplevel_manager_v1"));
	EXPECT(tc_client_has_global(tool, "xdg_activation_v1"));
	tc_client_destroy(tool);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* A taskbar's view of the windows. */
struct taskbar {
	struct zwlr_foreign_toplevel_manager_v1 *manager;
	struct xdg_activation_v1 *activation;
	struct {
		struct zwlr_foreign_toplevel_handle_v1 *handle;
		char title[64];
		bool activated, minimized, closed;
	} items[8];
	int n;
};

static int item_of(struct taskbar *bar, struct zwlr_foreign_toplevel_handle_v1 *handle)
{
	for (int i = 1; i <= bar->n && i < 8; i++) {
		if (bar->items[i].handle == handle) {
			return i;
		}
	}
	return 0;
}

static void handle_title(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
	const char *title)
{
	struct taskbar *bar = data;
	snprintf(bar->items[item_of(bar, handle)].title, 64, "%s", title);
}

static void handle_app_id(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
	const char *app_id)
{
}

static void handle_output_enter(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
	struct wl_output *output)
{
}

static void handle_output_leave(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
	struct wl_output *output)
{
}

static void handle_state(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
	struct wl_array *states)
{
	struct taskbar *bar = data;
	bool activated = false, minimized = false;
	uint32_t *s;
	wl_array_for_each (s, states) {
		activated |= *s == ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_ACTIVATED;
		minimized |= *s == ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_MINIMIZED;
	}
	bar->items[item_of(bar, handle)].activated = activated;
	bar->items[item_of(bar, handle)].minimized = minimized;
}

static void handle_done(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle)
{
}

static void handle_closed(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle)
{
	struct taskbar *bar = data;
	bar->items[item_of(bar, handle)].closed = true;
}

static void handle_parent(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
	struct zwlr_foreign_toplevel_handle_v1 *parent)
{
}

static const struct zwlr_foreign_toplevel_handle_v1_listener handle_listener = {
	.title = handle_title,
	.app_id = handle_app_id,
	.output_enter = handle_output_enter,
	.output_leave = handle_output_leave,
	.state = handle_state,
	.done = handle_done,
	.closed = handle_closed,
	.parent = handle_parent,
};

static void manager_toplevel(void *data, struct zwlr_foreign_toplevel_manager_v1 *manager,
	struct zwlr_foreign_toplevel_handle_v1 *handle)
{
	struct taskbar *bar = data;
	if (bar->n == 8) {
		return;
	}
	/* Slot 0 is the overflow for handles we do not know. */
	int i = ++bar->n;
	if (i >= 8) {
		return;
	}
	bar->items[i].handle = handle;
	zwlr_foreign_toplevel_handle_v1_add_listener(handle, &handle_listener, bar);
}

static void manager_finished(void *data, struct zwlr_foreign_toplevel_manager_v1 *manager)
{
}

static const struct zwlr_foreign_toplevel_manager_v1_listener manager_listener = {
	.toplevel = manager_toplevel,
	.finished = manager_finished,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct taskbar *bar = data;
	if (strcmp(interface, zwlr_foreign_toplevel_manager_v1_interface.name) == 0) {
		bar->manager = wl_registry_bind(registry, name,
			&zwlr_foreign_toplevel_manager_v1_interface, 3);
		zwlr_foreign_toplevel_manager_v1_add_listener(bar->manager, &manager_listener,
			bar);
	} else if (strcmp(interface, xdg_activation_v1_interface.name) == 0) {
		bar->activation = wl_registry_bind(registry, name, &xdg_activation_v1_interface,
			1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static int find_item(struct taskbar *bar, const char *title)
{
	for (int i = 1; i <= bar->n && i < 8; i++) {
		if (strcmp(bar->items[i].title, title) == 0) {
			return i;
		}
	}
	return -1;
}

/* Dispatches both clients until cond holds or the deadline passes. */
#define WAIT_FOR(a, b, cond) \
	({ \
		bool ok_ = false; \
		for (long end_ = now_ms() + DEADLINE_MS; now_ms() < end_; usleep(10 * 1000)) { \
			tc_client_roundtrip(a); \
			tc_client_roundtrip(b); \
			if (cond) { \
				ok_ = true; \
				break; \
			} \
		} \
		ok_; \
	})

static void taskbar_lists_activates_and_closes(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, desktop_tools);
	struct tc_client *app = tc_client_connect(&c);
	struct tc_window *one = tc_xdg_window_create(app, "one", 0xff101010);
	struct tc_window *two = tc_xdg_window_create(app, "two", 0xff202020);
	ASSERT(one != NULL && two != NULL);

	struct tc_client *tool = tc_client_connect(&c);
	struct taskbar bar = { 0 };
	struct wl_registry *registry = wl_display_get_registry(tc_client_display(tool));
	wl_registry_add_listener(registry, &registry_listener, &bar);
	tc_client_roundtrip(tool);
	ASSERT(bar.manager != NULL);
	EXPECT(WAIT_FOR(app, tool, find_item(&bar, "one") > 0 && find_item(&bar, "two") > 0));
	EXPECT(bar.n == 2);
	int i1 = find_item(&bar, "one"), i2 = find_item(&bar, "two");
	ASSERT(i1 > 0 && i2 > 0);
	/* The newest window has the focus. */
	EXPECT(bar.items[i2].activated && !bar.items[i1].activated);

	zwlr_foreign_toplevel_handle_v1_activate(bar.items[i1].handle, tc_client_seat(tool));
	EXPECT(WAIT_FOR(app, tool, (tc_window_state(one)->state & 4) && bar.items[i1].activated));
	EXPECT(!bar.items[i2].activated);

	/* Minimized, it gives up the focus until it is activated again. */
	zwlr_foreign_toplevel_handle_v1_set_minimized(bar.items[i1].handle);
	EXPECT(WAIT_FOR(app, tool,
		bar.items[i1].minimized && bar.items[i2].activated &&
			(tc_window_state(two)->state & 4)));
	EXPECT(!bar.items[i1].activated);
	zwlr_foreign_toplevel_handle_v1_activate(bar.items[i1].handle, tc_client_seat(tool));
	EXPECT(WAIT_FOR(app, tool, !bar.items[i1].minimized && bar.items[i1].activated));

	zwlr_foreign_toplevel_handle_v1_close(bar.items[i2].handle);
	EXPECT(WAIT_FOR(app, tool, tc_window_state(two)->closed));
	/* The client closes it; the handle goes with the window. */
	tc_window_destroy(two);
	EXPECT(WAIT_FOR(app, tool, bar.items[i2].closed));

	for (int i = 1; i <= bar.n && i < 8; i++) {
		zwlr_foreign_toplevel_handle_v1_destroy(bar.items[i].handle);
	}
	zwlr_foreign_toplevel_manager_v1_destroy(bar.manager);
	if (bar.activation != NULL) {
		xdg_activation_v1_destroy(bar.activation);
	}
	wl_registry_destroy(registry);
	tc_client_destroy(tool);
	tc_client_destroy(app);
	EXPECT(tc_compositor_stop(&c) == 0);
}

static void token_done(void *data, struct xdg_activation_token_v1 *token, const char *name)
{
	snprintf(data, 128, "%s", name);
}

static const struct xdg_activation_token_v1_listener token_listener = {
	.done = token_done,
};

/* A token of the client's own making, from serial and surface (either may be 0/NULL). */
static void request_token(struct tc_client *client, struct taskbar *bar, uint32_t serial,
	struct wl_surface *surface, char name[128])
{
	name[0] = '\0';
	struct xdg_activation_token_v1 *token = xdg_activation_v1_get_activation_token(
		bar->activation);
	xdg_activation_token_v1_add_listener(token, &token_listener, name);
	if (serial != 0) {
		xdg_activation_token_v1_set_serial(token, serial, tc_client_seat(client));
	}
	if (surface != NULL) {
		xdg_activation_token_v1_set_surface(token, surface);
	}
	xdg_activation_token_v1_commit(token);
	for (int i = 0; i < 100 && name[0] == '\0'; i++) {
		tc_client_roundtrip(client);
	}
	xdg_activation_token_v1_destroy(token);
}

/*
 * A focused window's token, from its input, gives another window the focus;
 * a token from a window without the focus, or without a serial, does not.
 */
static void activation_needs_a_valid_token(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	struct tc_client *other = tc_client_connect(&c);
	struct tc_window *background = tc_xdg_window_create(other, "background", 0xff101010);
	struct tc_client *app = tc_client_connect(&c);
	struct tc_window *front = tc_xdg_window_create(app, "front", 0xff202020);
	ASSERT(background != NULL && front != NULL);
	struct taskbar a = { 0 }, o = { 0 };
	struct wl_registry *ra = wl_display_get_registry(tc_client_display(app));
	struct wl_registry *ro = wl_display_get_registry(tc_client_display(other));
	wl_registry_add_listener(ra, &registry_listener, &a);
	wl_registry_add_listener(ro, &registry_listener, &o);
	tc_client_roundtrip(app);
	tc_client_roundtrip(other);
	ASSERT(a.activation != NULL && o.activation != NULL);
	/* front has the keyboard, and an input serial. */
	EXPECT(WAIT_FOR(app, other,
		(tc_window_state(front)->state & 4) && tc_client_serial(app) != 0));

	/* The unfocused client's own token does not take the focus. */
	char name[128];
	request_token(other, &o, tc_client_serial(other), tc_window_surface(background), name);
	ASSERT(name[0] != '\0');
	xdg_activation_v1_activate(o.activation, name, tc_window_surface(background));
	tc_client_roundtrip(other);
	tc_client_roundtrip(app);
	tc_client_roundtrip(other);
	EXPECT(!(tc_window_state(background)->state & 4));
	EXPECT(tc_window_state(front)->state & 4);

	/* Nor does one of the focused client's without a serial. */
	request_token(app, &a, 0, tc_window_surface(front), name);
	xdg_activation_v1_activate(o.activation, name, tc_window_surface(background));
	tc_client_roundtrip(other);
	tc_client_roundtrip(app);
	tc_client_roundtrip(other);
	EXPECT(!(tc_window_state(background)->state & 4));

	/* The focused client's token from its input does, as a launcher's would. */
	request_token(app, &a, tc_client_serial(app), tc_window_surface(front), name);
	xdg_activation_v1_activate(o.activation, name, tc_window_surface(background));
	EXPECT(WAIT_FOR(app, other,
		(tc_window_state(background)->state & 4) && !(tc_window_state(front)->state & 4)));

	xdg_activation_v1_destroy(a.activation);
	xdg_activation_v1_destroy(o.activation);
	wl_registry_destroy(ra);
	wl_registry_destroy(ro);
	tc_client_destroy(app);
	tc_client_destroy(other);
	EXPECT(tc_compositor_stop(&c) == 0);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(waybar_and_panel_share_the_top),
		TEST_CASE(fuzzel_starts_a_program),
		TEST_CASE(mako_shows_a_notification),
		TEST_CASE(apps_cannot_bind_desktop_tools),
		TEST_CASE(taskbar_lists_activates_and_closes),
		TEST_CASE(activation_needs_a_valid_token),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
