/*
 * zweft_shell_unstable_v1 and trust: a privileged shell connection
 * (--shell-fd), app clients tagged through the appd control channel
 * (--appd-fd), and what the policy puts on screen for each role.
 */
#include <json-c/json.h>
#include <linux/input-event-codes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "test.h"

#define BLUE 0xff0000ff
#define RED 0xffff0000
#define GREEN 0xff00ff00
#define YELLOW 0xffffff00

#define APP "org.weft.demo.counter"
#define TASKBAR 48

static const char *const super[] = { "Mod4", NULL };

struct fixture {
	struct tc_compositor c;
	struct tc_client *shell;
	struct tc_client *tester; /* ordinary: screencopy and virtual input */
	struct tc_window *panel;
};

/* A compositor with a shell whose blue panel reserves a bottom taskbar. */
static void setup(struct fixture *f)
{
	tc_compositor_start(&f->c, TC_WITH_SHELL | TC_WITH_CONTROL, NULL);
	f->shell = tc_client_connect_fd(dup(f->c.shell_fd));
	f->tester = tc_client_connect(&f->c);
	f->panel = tc_zweft_window_create(f->shell, "org.weft.shell", "panel", 0, 720 - TASKBAR,
		1280, TASKBAR, BLUE);
}

static void teardown(struct fixture *f)
{
	tc_client_destroy(f->tester);
	tc_client_destroy(f->shell);
	int status = tc_compositor_stop(&f->c);
	EXPECT(status == 0);
}

static struct tc_client *app_client(struct fixture *f, const char *app_id, const char *session)
{
	int fd = tc_control_create_client(&f->c, app_id, session);
	if (fd < 0) {
		return NULL;
	}
	return tc_client_connect_fd(fd);
}

static void shell_sees_privileged_globals(void)
{
	struct fixture f;
	setup(&f);
	EXPECT(tc_client_has_global(f.shell, "zweft_shell_manager_v1"));
	EXPECT(tc_client_has_global(f.shell, "zwlr_screencopy_manager_v1"));
	EXPECT(tc_client_has_global(f.shell, "zwlr_data_control_manager_v1"));
	EXPECT(!tc_client_has_global(f.tester, "zweft_shell_manager_v1"));

	struct tc_client *app = app_client(&f, APP, "s1");
	ASSERT(app != NULL);
	EXPECT(tc_client_has_global(app, "zweft_shell_manager_v1"));
	/* App content never gets the screen or input injection. */
	EXPECT(!tc_client_has_global(app, "zwlr_screencopy_manager_v1"));
	EXPECT(!tc_client_has_global(app, "zwp_virtual_keyboard_manager_v1"));
	EXPECT(!tc_client_has_global(app, "zwlr_data_control_manager_v1"));
	tc_client_destroy(app);
	teardown(&f);
}

/* --allow-desktop-tools is for the user's own tools on the public socket:
 * an app session still gets none of the privileged globals. */
static void apps_never_get_desktop_tools(void)
{
	static const char *const args[] = { "--allow-desktop-tools", NULL };
	static const char *const privileged[] = {
		"zwlr_screencopy_manager_v1",
		"zwlr_virtual_pointer_manager_v1",
		"zwp_virtual_keyboard_manager_v1",
		"zwlr_data_control_manager_v1",
		"zwp_input_method_manager_v2",
		"zwlr_output_manager_v1",
	};
	struct tc_compositor c;
	tc_compositor_start(&c, TC_WITH_CONTROL | TC_NO_TEST_PROTOCOLS, args);
	int fd = tc_control_create_client(&c, APP, "s1");
	ASSERT(fd >= 0);
	struct tc_client *app = tc_client_connect_fd(fd);
	struct tc_client *tool = tc_client_connect(&c);
	EXPECT(tc_client_has_global(app, "zweft_shell_manager_v1"));
	for (size_t i = 0; i < sizeof(privileged) / sizeof(privileged[0]); i++) {
		EXPECT(!tc_client_has_global(app, privileged[i]));
		EXPECT(tc_client_has_global(tool, privileged[i]));
	}
	tc_client_destroy(tool);
	tc_client_destroy(app);
	EXPECT(tc_compositor_stop(&c) == 0);
}

static void panel_and_application(void)
{
	struct fixture f;
	setup(&f);
	const struct tc_window_state *panel = tc_window_state(f.panel);
	EXPECT(panel->configures >= 1);
	EXPECT(panel->x == 0 && panel->y == 0 && panel->width == 1280 && panel->height == 720);

	struct tc_client *app = app_client(&f, APP, "s1");
	ASSERT(app != NULL);
	struct tc_window *win = tc_zweft_window_create(app, APP, "application", 0, 0, 0, 0, RED);
	tc_client_roundtrip(app);
	const struct tc_window_state *st = tc_window_state(win);
	EXPECT(st->x == 0 && st->y == 0);
	EXPECT(st->width == 1280 && st->height == 720 - TASKBAR);
	EXPECT(st->state == (1 | 4)); /* maximized, activated */
	EXPECT(st->focused == 1);

	struct tc_image img;
	ASSERT(tc_screencopy(f.tester, &img));
	EXPECT(tc_image_check(&img, "zweft-panel-and-application", TC_TOLERANCE));
	tc_image_finish(&img);

	/* The compositor reported the session's first frame. */
	struct json_object *ev = tc_control_event(&f.c, "first_frame", 2000);
	EXPECT(ev != NULL);
	json_object_put(ev);
	tc_client_destroy(app);
	ev = tc_control_event(&f.c, "client_gone", 2000);
	EXPECT(ev != NULL);
	json_object_put(ev);
	teardown(&f);
}

/* A panel's zone far out (found by tests/fuzz/fuzz-zweft: its middle
 * overflowed an int) still reserves the edge it is nearest to. */
static void panel_zone_far_out(void)
{
	struct fixture f;
	setup(&f);
	struct tc_client *app = app_client(&f, APP, "s1");
	ASSERT(app != NULL);
	struct tc_window *win = tc_zweft_window_create(app, APP, "application", 0, 0, 0, 0, RED);
	tc_window_set_geometry(f.panel, 0, INT32_MAX, 1280, TASKBAR);
	tc_client_roundtrip(f.shell);
	tc_client_roundtrip(app);
	const struct tc_window_state *st = tc_window_state(win);
	EXPECT(st->x == 0 && st->y == 0 && st->width == 1280 && st->height == 720 - TASKBAR);
	tc_window_set_geometry(f.panel, INT32_MAX, 0, TASKBAR, 720);
	tc_client_roundtrip(f.shell);
	tc_client_roundtrip(app);
	EXPECT(st->x == 0 && st->y == 0 && st->width == 1280 - TASKBAR && st->height == 720);
	tc_client_destroy(app);
	teardown(&f);
}

static void overlay_over_app_and_dialog_centred(void)
{
	struct fixture f;
	setup(&f);
	struct tc_client *app = app_client(&f, APP, "s1");
	ASSERT(app != NULL);
	tc_zweft_window_create(app, APP, "application", 0, 0, 0, 0, RED);
	struct tc_window *dialog = tc_zweft_window_create(app, APP, "dialog", 0, 0, 200, 100,
		YELLOW);
	struct tc_window *overlay = tc_zweft_window_create(f.shell, "org.weft.shell", "overlay",
		50, 60, 300, 200, GREEN);
	tc_client_roundtrip(app);
	tc_client_roundtrip(f.shell);

	const struct tc_window_state *d = tc_window_state(dialog);
	EXPECT(d->width == 200 && d->height == 100);
	EXPECT(d->x == (1280 - 200) / 2 && d->y == (720 - TASKBAR - 100) / 2);
	const struct tc_window_state *o = tc_window_state(overlay);
	EXPECT(o->x == 50 && o->y == 60 && o->width == 300 && o->height == 200);

	struct tc_image img;
	ASSERT(tc_screencopy(f.tester, &img));
	EXPECT(tc_image_check(&img, "zweft-overlay-and-dialog", TC_TOLERANCE));
	tc_image_finish(&img);

	/* An overlay may be moved; the answer is always a configure. */
	int before = o->configures;
	tc_window_set_geometry(overlay, 2000, 2000, 100, 100);
	tc_client_roundtrip(f.shell);
	EXPECT(o->configures == before + 1);
	EXPECT(o->x == 1280 - 100 && o->y == 720 - 100);
	tc_window_set_geometry(overlay, 1180, 620, 100, 100);
	tc_client_roundtrip(f.shell);
	EXPECT(o->configures == before + 2);
	tc_client_destroy(app);
	teardown(&f);
}

static void super_tab_and_super_q(void)
{
	struct fixture f;
	setup(&f);
	struct tc_client *a = app_client(&f, APP, "s1");
	struct tc_client *b = app_client(&f, "org.weft.demo.notes", "s2");
	ASSERT(a != NULL && b != NULL);
	struct tc_window *red = tc_zweft_window_create(a, APP, "application", 0, 0, 0, 0, RED);
	struct tc_window *green = tc_zweft_window_create(b, "org.weft.demo.notes", "application",
		0, 0, 0, 0, GREEN);
	tc_client_roundtrip(a);
	const struct tc_window_state *r = tc_window_state(red), *g = tc_window_state(green);
	EXPECT(r->focused == 0 && g->focused == 1);
	EXPECT(!(r->state & 4) && (g->state & 4));

	struct tc_image img;
	ASSERT(tc_screencopy(f.tester, &img));
	EXPECT(tc_image_check(&img, "zweft-newest-app", TC_TOLERANCE));
	tc_image_finish(&img);

	tc_key(f.tester, super, KEY_TAB);
	tc_client_roundtrip(a);
	tc_client_roundtrip(b);
	EXPECT(r->focused == 1 && g->focused == 0);
	EXPECT((r->state & 4) && !(g->state & 4));
	ASSERT(tc_screencopy(f.tester, &img));
	EXPECT(tc_image_check(&img, "zweft-super-tab", TC_TOLERANCE));
	tc_image_finish(&img);

	/* Super+Q closes the focused app's window: it is gone and defunct. */
	tc_key(f.tester, super, KEY_Q);
	tc_client_roundtrip(a);
	tc_client_roundtrip(b);
	EXPECT(r->closed);
	EXPECT(!g->closed);
	EXPECT(g->focused == 1);
	ASSERT(tc_screencopy(f.tester, &img));
	EXPECT(tc_image_check(&img, "zweft-super-q", TC_TOLERANCE));
	tc_image_finish(&img);
	struct json_object *ev = tc_control_event(&f.c, "window_closed", 2000);
	EXPECT(ev != NULL);
	if (ev != NULL) {
		struct json_object *sid;
		EXPECT(json_object_object_get_ex(ev, "session_id", &sid) &&
			strcmp(json_object_get_string(sid), "s1") == 0);
	}
	json_object_put(ev);

	tc_window_set_geometry(red, 0, 0, 10, 10);
	EXPECT(!tc_client_roundtrip(a));
	uint32_t code;
	const char *iface;
	EXPECT(tc_client_protocol_error(a, &code, &iface));
	EXPECT(code == 0 && strcmp(iface, "zweft_shell_window_v1") == 0);
	EXPECT(tc_compositor_alive(&f.c));
	tc_client_destroy(a);
	tc_client_destroy(b);
	teardown(&f);
}

static void app_restricted_to_own_windows(void)
{
	struct fixture f;
	setup(&f);
	uint32_t code;
	const char *iface;

	/* Another app's id. */
	struct tc_client *app = app_client(&f, APP, "s1");
	ASSERT(app != NULL);
	tc_zweft_window_create(app, "org.weft.demo.notes", "application", 0, 0, 0, 0, RED);
	EXPECT(!tc_client_roundtrip(app));
	EXPECT(tc_client_protocol_error(app, &code, &iface));
	EXPECT(strcmp(iface, "zweft_shell_manager_v1") == 0);
	tc_client_destroy(app);

	/* A role only the shell may have. */
	app = app_client(&f, APP, "s2");
	ASSERT(app != NULL);
	tc_zweft_window_create(app, APP, "panel", 0, 0, 0, 0, RED);
	EXPECT(!tc_client_roundtrip(app));
	EXPECT(tc_client_protocol_error(app, &code, &iface));
	tc_client_destroy(app);

	/* Nor by changing role later. */
	app = app_client(&f, APP, "s3");
	ASSERT(app != NULL);
	struct tc_window *win = tc_zweft_window_create(app, APP, "application", 0, 0, 0, 0, RED);
	EXPECT(tc_client_roundtrip(app));
	tc_window_update_metadata(win, "sneaky", "overlay");
	EXPECT(!tc_client_roundtrip(app));
	EXPECT(tc_client_protocol_error(app, &code, &iface));
	EXPECT(strcmp(iface, "zweft_shell_window_v1") == 0);
	tc_client_destroy(app);

	/* The compositor lives on and still serves the others. */
	EXPECT(tc_compositor_alive(&f.c));
	app = app_client(&f, APP, "s4");
	ASSERT(app != NULL);
	tc_zweft_window_create(app, APP, "application", 0, 0, 0, 0, RED);
	EXPECT(tc_client_roundtrip(app));
	tc_client_destroy(app);

	/* Bad control requests get errors, not a crash. */
	struct json_object *reply = tc_control_request(&f.c,
		"{\"id\":7,\"type\":\"create_client\",\"app_id\":\"Bad\","
		"\"session_id\":\"x\"}",
		NULL);
	struct json_object *err;
	EXPECT(reply != NULL && json_object_object_get_ex(reply, "error", &err));
	json_object_put(reply);
	reply = tc_control_request(&f.c, "not json", NULL);
	EXPECT(reply != NULL && json_object_object_get_ex(reply, "error", &err));
	json_object_put(reply);
	teardown(&f);
}

static void control_close_and_focus_session(void)
{
	struct fixture f;
	setup(&f);
	struct tc_client *a = app_client(&f, APP, "s1");
	struct tc_client *b = app_client(&f, "org.weft.demo.notes", "s2");
	ASSERT(a != NULL && b != NULL);
	struct tc_window *red = tc_zweft_window_create(a, APP, "application", 0, 0, 0, 0, RED);
	struct tc_window *green = tc_zweft_window_create(b, "org.weft.demo.notes", "application",
		0, 0, 0, 0, GREEN);
	tc_client_roundtrip(a);

	struct json_object *reply = tc_control_request(&f.c,
		"{\"id\":2,\"type\":\"focus_session\",\"session_id\":\"s1\"}", NULL);
	struct json_object *ok;
	EXPECT(reply != NULL && json_object_object_get_ex(reply, "ok", &ok));
	json_object_put(reply);
	tc_client_roundtrip(a);
	tc_client_roundtrip(b);
	EXPECT(tc_window_state(red)->focused == 1 && tc_window_state(green)->focused == 0);

	reply = tc_control_request(&f.c,
		"{\"id\":3,\"type\":\"close_session\",\"session_id\":\"s1\"}", NULL);
	EXPECT(reply != NULL && json_object_object_get_ex(reply, "ok", &ok));
	json_object_put(reply);
	tc_client_roundtrip(a);
	tc_client_roundtrip(b);
	EXPECT(tc_window_state(red)->closed);
	EXPECT(tc_window_state(green)->focused == 1);
	tc_client_destroy(a);
	tc_client_destroy(b);
	teardown(&f);
}

static bool reply_has_error(struct json_object *reply, const char *code)
{
	struct json_object *err, *c;
	return reply != NULL && json_object_object_get_ex(reply, "error", &err) &&
		json_object_object_get_ex(err, "code", &c) &&
		strcmp(json_object_get_string(c), code) == 0;
}

/* Malformed, oversized and fd-carrying requests get an error each; the
 * channel stays up and leaks nothing. */
static void control_survives_bad_input(void)
{
	struct fixture f;
	setup(&f);
	int fds_before = tc_compositor_fd_count(&f.c);
	const char *const bad[] = { "[1,2]", "{\"type\":", "{} trailing", "null", "\"x\"" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *reply = tc_control_request(&f.c, bad[i], NULL);
		EXPECT(reply_has_error(reply, "bad_request"));
		json_object_put(reply);
	}
	struct json_object *reply = tc_control_request(&f.c, "{\"id\":4,\"type\":\"fly\"}", NULL);
	EXPECT(reply_has_error(reply, "unknown_request"));
	struct json_object *id;
	EXPECT(reply != NULL && json_object_object_get_ex(reply, "id", &id) &&
		json_object_get_int(id) == 4);
	json_object_put(reply);
	reply = tc_control_request(&f.c, "{\"type\":\"create_client\",\"session_id\":\"s\"}",
		NULL);
	EXPECT(reply_has_error(reply, "invalid_argument"));
	json_object_put(reply);

	/* One byte over the limit. */
	size_t len = 1024 * 1024 + 1;
	char *big = malloc(len);
	ASSERT(big != NULL);
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	/* A datagram must fit the send buffer whole: past net.core.wmem_max
	 * only with CAP_NET_ADMIN (SO_SNDBUFFORCE). */
	int sndbuf = (int)len + 65536;
	if (setsockopt(f.c.control_fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) != 0) {
		setsockopt(f.c.control_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	int got = 0;
	socklen_t got_len = sizeof(got);
	EXPECT(getsockopt(f.c.control_fd, SOL_SOCKET, SO_SNDBUF, &got, &got_len) == 0 &&
		(size_t)got > len);
	if (!((size_t)got > len)) {
		fprintf(stderr,
			"# the send buffer is %d bytes, too small for %zu: the size check needs "
			"CAP_NET_ADMIN or net.core.wmem_max above %d\n",
			got, len, sndbuf);
	}
	ssize_t sent = send(f.c.control_fd, big, len, MSG_NOSIGNAL);
	EXPECT(sent == (ssize_t)len);
	if (sent == (ssize_t)len) {
		reply = tc_control_reply(&f.c, NULL);
		EXPECT(reply_has_error(reply, "too_large"));
		json_object_put(reply);
	}
	free(big);

	/* Fds nobody asked for are closed, not kept. */
	for (int i = 0; i < 20; i++) {
		int pipefd[2];
		ASSERT(pipe(pipefd) == 0);
		const char msg[] = "{\"type\":\"focus_session\",\"session_id\":\"none\"}";
		struct iovec iov = { .iov_base = (void *)msg, .iov_len = sizeof(msg) - 1 };
		union {
			char buf[CMSG_SPACE(sizeof(int) * 2)];
			struct cmsghdr align;
		} cbuf;
		memset(&cbuf, 0, sizeof(cbuf));
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * 2);
		memcpy(CMSG_DATA(cmsg), pipefd, sizeof(pipefd));
		ASSERT(sendmsg(f.c.control_fd, &mh, MSG_NOSIGNAL) > 0);
		close(pipefd[0]);
		close(pipefd[1]);
		reply = tc_control_reply(&f.c, NULL);
		EXPECT(reply_has_error(reply, "not_found"));
		json_object_put(reply);
	}
	EXPECT(tc_compositor_fd_count(&f.c) == fds_before);

	/* And the channel still serves real requests. */
	struct tc_client *app = app_client(&f, APP, "s1");
	EXPECT(app != NULL);
	tc_client_destroy(app);
	EXPECT(tc_compositor_alive(&f.c));
	teardown(&f);
}

static void presentation_feedback_arrives(void)
{
	struct fixture f;
	setup(&f);
	struct tc_client *app = app_client(&f, APP, "s1");
	ASSERT(app != NULL);
	struct tc_window *win = tc_zweft_window_create(app, APP, "application", 0, 0, 0, 0, RED);
	for (int i = 0; i < 1000 && tc_window_state(win)->presentation_feedbacks == 0; i++) {
		usleep(20000);
		tc_client_roundtrip(app);
	}
	EXPECT(tc_window_state(win)->presentation_feedbacks > 0);
	tc_client_destroy(app);
	teardown(&f);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(shell_sees_privileged_globals),
		TEST_CASE(apps_never_get_desktop_tools),
		TEST_CASE(panel_and_application),
		TEST_CASE(panel_zone_far_out),
		TEST_CASE(overlay_over_app_and_dialog_centred),
		TEST_CASE(super_tab_and_super_q),
		TEST_CASE(app_restricted_to_own_windows),
		TEST_CASE(control_close_and_focus_session),
		TEST_CASE(control_survives_bad_input),
		TEST_CASE(presentation_feedback_arrives),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
