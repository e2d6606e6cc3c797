/*
 * Touch, end to end: weft-compositor runs nested (--backend wayland) in
 * touch-parent, a tiny compositor that feeds it real wl_touch events. Points
 * in the middle reach the client under them; a drag inward from an edge is
 * the system's navigation_gesture, sent to the shell, the focused window and
 * appd, and never to clients.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "test.h"

#define BLUE 0xff0000ff
#define RED 0xffff0000
#define APP "org.weft.demo.counter"

struct parent {
	pid_t pid;
	char *dir;
	int in, out; /* its stdin and stdout */
	char socket[512];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One line from the parent, within timeout_ms; false on timeout or EOF. */
static bool parent_read_line(struct parent *p, char *buf, size_t size, int timeout_ms)
{
	size_t len = 0;
	int64_t deadline = now_ms() + timeout_ms;
	while (len < size - 1 && now_ms() < deadline) {
		struct pollfd pfd = { .fd = p->out, .events = POLLIN };
		if (poll(&pfd, 1, 50) <= 0) {
			continue;
		}
		/* Byte by byte: lines are short and nothing may be read past one. */
		if (read(p->out, buf + len, 1) != 1) {
			break;
		}
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return true;
		}
		len++;
	}
	buf[len] = '\0';
	return false;
}

static bool parent_start(struct parent *p)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		return false;
	}
	p->dir = test_mkdtemp();
	p->pid = fork();
	if (p->pid < 0) {
		return false;
	}
	if (p->pid == 0) {
		if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0) {
			_exit(127);
		}
		setenv("XDG_RUNTIME_DIR", p->dir, 1);
		unsetenv("WAYLAND_DISPLAY");
		execl(getenv("WEFT_TOUCH_PARENT"), "touch-parent", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	p->in = in[1];
	p->out = out[0];
	char line[256];
	if (!parent_read_line(p, line, sizeof(line), 5000) || strncmp(line, "socket ", 7) != 0) {
		fprintf(stderr, "# touch-parent did not start: '%s'\n", line);
		return false;
	}
	snprintf(p->socket, sizeof(p->socket), "%s/%s", p->dir, line + 7);
	return true;
}

static void parent_stop(struct parent *p)
{
	close(p->in);
	close(p->out);
	int status;
	for (int i = 0; i < 200 && waitpid(p->pid, &status, WNOHANG) == 0; i++) {
		usleep(10000);
		if (i == 199) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
		}
	}
	test_rmtree(p->dir);
	free(p->dir);
}

/* Sends the touch commands, one per line, each answered with "ok". */
static bool parent_touch(struct parent *p, const char *const *commands)
{
	for (size_t i = 0; commands[i] != NULL; i++) {
		char line[256];
		snprintf(line, sizeof(line), "%s\n", commands[i]);
		if (write(p->in, line, strlen(line)) != (ssize_t)strlen(line) ||
			!parent_read_line(p, line, sizeof(line), 2000) ||
			strcmp(line, "ok") != 0) {
			fprintf(stderr, "# touch-parent: '%s' -> '%s'\n", commands[i], line);
			return false;
		}
		/* Let the nested compositor take each event as a real device would. */
		usleep(5000);
	}
	return true;
}

struct fixture {
	struct parent parent;
	struct tc_compositor c;
	struct tc_client *shell, *app, *plain;
	struct tc_window *panel, *app_window, *plain_window;
};

static bool setup(struct fixture *f)
{
	if (!parent_start(&f->parent)) {
		return false;
	}
	setenv("WAYLAND_DISPLAY", f->parent.socket, 1);
	const char *const args[] = { "--size", "640x480", NULL };
	tc_compositor_start(&f->c, TC_BACKEND_WAYLAND | TC_WITH_SHELL | TC_WITH_CONTROL, args);
	unsetenv("WAYLAND_DISPLAY");
	char line[256];
	if (!parent_read_line(&f->parent, line, sizeof(line), 5000) ||
		strcmp(line, "mapped 640 480") != 0) {
		fprintf(stderr, "# nested compositor not mapped: '%s'\n", line);
		return false;
	}
	f->shell = tc_client_connect_fd(dup(f->c.shell_fd));
	f->panel = tc_zweft_window_create(f->shell, "org.weft.shell", "panel", 0, 440, 640, 40,
		BLUE);
	int fd = tc_control_create_client(&f->c, APP, "s1");
	if (fd < 0) {
		return false;
	}
	f->app = tc_client_connect_fd(fd);
	f->app_window = tc_zweft_window_create(f->app, APP, "application", 0, 0, 0, 0, RED);
	f->plain = tc_client_connect(&f->c);
	/* Newest on top and focused: the plain xdg client covers the work area. */
	f->plain_window = tc_xdg_window_create(f->plain, "plain", RED);
	tc_client_roundtrip(f->shell);
	tc_client_roundtrip(f->app);
	tc_client_roundtrip(f->plain);
	return true;
}

static void teardown(struct fixture *f)
{
	tc_client_destroy(f->plain);
	tc_client_destroy(f->app);
	tc_client_destroy(f->shell);
	EXPECT(tc_compositor_stop(&f->c) == 0);
	parent_stop(&f->parent);
}

static void sync_clients(struct fixture *f)
{
	tc_client_roundtrip(f->shell);
	tc_client_roundtrip(f->app);
	tc_client_roundtrip(f->plain);
}

/* The nested compositor takes the parent's events in its own time: these
 * wait for what they should bring, 20 s at most, and say whether it came.
 * What comes after it in the same stream came too, so a check that
 * nothing else happened can follow. */
static bool touch_downs_reach(struct fixture *f, struct tc_client *client, int n)
{
	for (int i = 0; i < 1000 && tc_client_touch_downs(client) < n; i++) {
		usleep(20000);
		sync_clients(f);
	}
	return tc_client_touch_downs(client) == n;
}

static bool panel_gestures_reach(struct fixture *f, int n)
{
	for (int i = 0; i < 1000 && tc_window_state(f->panel)->gestures < n; i++) {
		usleep(20000);
		sync_clients(f);
	}
	return tc_window_state(f->panel)->gestures == n;
}

static bool gesture_is(struct json_object *ev, int type, int fingers, double dx, double dy)
{
	struct json_object *t, *n, *x, *y;
	return ev != NULL && json_object_object_get_ex(ev, "type", &t) &&
		json_object_object_get_ex(ev, "fingers", &n) &&
		json_object_object_get_ex(ev, "dx", &x) &&
		json_object_object_get_ex(ev, "dy", &y) && json_object_get_int(t) == type &&
		json_object_get_int(n) == fingers && json_object_get_double(x) > dx - 1 &&
		json_object_get_double(x) < dx + 1 && json_object_get_double(y) > dy - 1 &&
		json_object_get_double(y) < dy + 1;
}

static void touch_reaches_client(void)
{
	struct fixture f;
	ASSERT(setup(&f));
	sync_clients(&f);
	const char *const tap[] = { "down 1 320 200", "frame", "up 1", "frame", NULL };
	ASSERT(parent_touch(&f.parent, tap));
	EXPECT(touch_downs_reach(&f, f.plain, 1));
	EXPECT(tc_client_touch_downs(f.app) == 0);

	/* A tap at the edge is still a tap, delivered when it ends. */
	const char *const edge_tap[] = { "down 2 637 200", "frame", "motion 2 635 201", "frame",
		"up 2", "frame", NULL };
	ASSERT(parent_touch(&f.parent, edge_tap));
	/* Delivered at its end, when a gesture would have been decided. */
	EXPECT(touch_downs_reach(&f, f.plain, 2));
	EXPECT(tc_window_state(f.panel)->gestures == 0);
	teardown(&f);
}

static void edge_swipe_is_navigation_gesture(void)
{
	struct fixture f;
	ASSERT(setup(&f));
	sync_clients(&f);
	/* From the left edge, 200 px inward. */
	const char *const swipe[] = { "down 3 2 200", "frame", "motion 3 50 204", "frame",
		"motion 3 202 210", "frame", "up 3", "frame", NULL };
	ASSERT(parent_touch(&f.parent, swipe));

	struct json_object *ev = tc_control_event(&f.c, "navigation_gesture", TC_SETTLE_MS);
	EXPECT(gesture_is(ev, 0, 1, 200, 10));
	if (ev != NULL && !gesture_is(ev, 0, 1, 200, 10)) {
		fprintf(stderr, "# got %s\n", json_object_to_json_string(ev));
	}
	json_object_put(ev);
	EXPECT(panel_gestures_reach(&f, 1));
	const struct tc_window_state *panel = tc_window_state(f.panel);
	EXPECT(panel->gesture_type == 0 && panel->gesture_fingers == 1);
	EXPECT(panel->gesture_dx > 199 && panel->gesture_dx < 201);
	EXPECT(panel->gesture_dy > 9 && panel->gesture_dy < 11);
	/* The system's touch: no client saw it. */
	EXPECT(tc_client_touch_downs(f.plain) == 0);
	EXPECT(tc_client_touch_downs(f.app) == 0);

	/* Up from the bottom edge, over the panel, to the middle. */
	const char *const up[] = { "down 4 300 478", "frame", "motion 4 300 300", "frame",
		"motion 4 300 100", "frame", "up 4", "frame", NULL };
	ASSERT(parent_touch(&f.parent, up));
	ev = tc_control_event(&f.c, "navigation_gesture", TC_SETTLE_MS);
	EXPECT(gesture_is(ev, 0, 1, 0, -378));
	json_object_put(ev);
	EXPECT(panel_gestures_reach(&f, 2));
	teardown(&f);
}

static void short_or_outward_edge_drag_is_nothing(void)
{
	struct fixture f;
	ASSERT(setup(&f));
	sync_clients(&f);
	/* From the right edge, only 30 px in; then along the top edge, not inward. */
	const char *const drags[] = { "down 5 636 200", "frame", "motion 5 606 200", "frame",
		"up 5", "frame", "down 6 100 3", "frame", "motion 6 400 5", "frame", "up 6",
		"frame", NULL };
	ASSERT(parent_touch(&f.parent, drags));
	/* Then a tap: once it has reached its client, the compositor has
	 * taken the drags before it, and sent whatever they caused: an event
	 * would be waiting on the channel already. */
	const char *const tap[] = { "down 7 320 200", "frame", "up 7", "frame", NULL };
	ASSERT(parent_touch(&f.parent, tap));
	EXPECT(touch_downs_reach(&f, f.plain, 1));
	struct json_object *ev = tc_control_event(&f.c, "navigation_gesture", 100);
	EXPECT(ev == NULL);
	json_object_put(ev);
	EXPECT(tc_window_state(f.panel)->gestures == 0);
	teardown(&f);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(touch_reaches_client),
		TEST_CASE(edge_swipe_is_navigation_gesture),
		TEST_CASE(short_or_outward_edge_drag_is_nothing),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
