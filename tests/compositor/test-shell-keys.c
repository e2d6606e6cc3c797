/*
 * The shell's keys (compositor/keybindings.c): with a shell on its channel
 * the compositor keeps Alt+Tab, Alt+Shift+Tab, Alt let go and Escape while
 * switching, Super alone and Super+L, and sends the shell exactly one
 * shell_key event for each, in order; the focused app gets none of those
 * keys, and every other key as before. And it tells the shell which app took
 * the focus (focused events), whatever moved it. The shell is a stand-in
 * (fake-shell.c) that writes what its channel receives to a file.
 */
#include <json-c/json.h>
#include <linux/input-event-codes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "test.h"

static const char *const alt[] = { "Mod1", NULL };
static const char *const alt_shift[] = { "Mod1", "Shift", NULL };
static const char *const super[] = { "Mod4", NULL };

struct shell_keys {
	struct tc_compositor c;
	char *dir;
	char log[512];
	struct tc_client *app;
	struct tc_client *tester;
	struct tc_window *window;
	/* The events so far, comma-separated: a shell_key's action, or
	 * "focused:SESSION". */
	char events[4096];
	int count;
	bool bad; /* a line that is neither */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the shell's log again; whether it said it is ready. */
static bool read_log(struct shell_keys *f)
{
	f->events[0] = '\0';
	f->count = 0;
	f->bad = false;
	FILE *in = fopen(f->log, "r");
	if (in == NULL) {
		return false;
	}
	char line[1024];
	bool ready = false;
	while (fgets(line, sizeof(line), in) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "ready") == 0) {
			ready = true;
			continue;
		}
		struct json_object *msg = json_tokener_parse(line);
		struct json_object *event, *action, *session;
		char what[256];
		if (msg != NULL && json_object_object_get_ex(msg, "event", &event) &&
			strcmp(json_object_get_string(event), "shell_key") == 0 &&
			json_object_object_get_ex(msg, "action", &action)) {
			snprintf(what, sizeof(what), "%s", json_object_get_string(action));
		} else if (msg != NULL && json_object_object_get_ex(msg, "event", &event) &&
			strcmp(json_object_get_string(event), "focused") == 0 &&
			json_object_object_get_ex(msg, "session_id", &session) &&
			json_object_object_get_ex(msg, "app_id", &action)) {
			snprintf(what, sizeof(what), "focused:%s",
				json_object_get_string(session));
		} else {
			fprintf(stderr, "# not a shell_key or focused event: %s\n", line);
			f->bad = true;
			what[0] = '\0';
		}
		if (what[0] != '\0') {
			size_t len = strlen(f->events);
			snprintf(f->events + len, sizeof(f->events) - len, "%s%s",
				f->count > 0 ? "," : "", what);
			f->count++;
		}
		json_object_put(msg);
	}
	fclose(in);
	return ready;
}

/* Waits for n events in all; whether they came. */
static bool wait_events(struct shell_keys *f, int n)
{
	int64_t deadline = now_ms() + TC_SETTLE_MS;
	while (read_log(f), f->count < n) {
		if (now_ms() > deadline) {
			fprintf(stderr, "# waited for %d events, got '%s'\n", n, f->events);
			return false;
		}
		usleep(10000);
	}
	return true;
}

static bool window_activated(void *data)
{
	return (tc_window_state(data)->state & 4) != 0;
}

struct key_wait {
	struct tc_client *client;
	int presses;
};

static bool key_arrived(void *data)
{
	struct key_wait *w = data;
	return tc_client_keys_pressed(w->client, NULL) > w->presses;
}

/* The compositor with the fake shell (and the appd channel with flags
 * TC_WITH_CONTROL), once the shell said it is ready. */
static void start_shell(struct shell_keys *f, int flags)
{
	memset(f, 0, sizeof(*f));
	const char *fake = getenv("WEFT_FAKE_SHELL");
	if (fake == NULL) {
		fprintf(stderr, "# WEFT_FAKE_SHELL is not set\n");
		abort();
	}
	f->dir = test_mkdtemp();
	snprintf(f->log, sizeof(f->log), "%s/shell.log", f->dir);
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "exec '%s' '%s'", fake, f->log);
	const char *const args[] = { "--shell", cmd, NULL };
	tc_compositor_start(&f->c, flags, args);
	int64_t deadline = now_ms() + TC_SETTLE_MS;
	while (!read_log(f) && now_ms() < deadline) {
		usleep(10000);
	}
	if (!read_log(f)) {
		fprintf(stderr, "# the fake shell did not start\n");
		abort();
	}
}

/* With an (untagged) app window that has the keyboard. */
static void start(struct shell_keys *f)
{
	start_shell(f, 0);
	f->app = tc_client_connect(&f->c);
	f->tester = tc_client_connect(&f->c);
	f->window = tc_xdg_window_create(f->app, "app", 0xff336699);
	if (!tc_client_wait(f->app, window_activated, f->window, TC_SETTLE_MS)) {
		fprintf(stderr, "# the app's window was not activated\n");
		abort();
	}
}

/* The app has the keyboard: a plain key reaches it, and nothing else did
 * since presses were counted. */
static bool app_gets_only(struct shell_keys *f, int presses, uint32_t key)
{
	struct key_wait kw = { f->app, presses };
	tc_key_tap(f->tester, key);
	if (!tc_client_wait(f->app, key_arrived, &kw, TC_SETTLE_MS)) {
		fprintf(stderr, "# the app got no key\n");
		return false;
	}
	tc_client_roundtrip(f->app);
	uint32_t last = 0;
	int now = tc_client_keys_pressed(f->app, &last);
	if (now != presses + 1 || last != key) {
		fprintf(stderr, "# the app got %d keys (want %d), the last %u (want %u)\n",
			now - presses, 1, last, key);
		return false;
	}
	return true;
}

/* Super+L, the lock key, from the tester's keyboard. */
static void super_l(struct shell_keys *f)
{
	tc_key_modifiers(f->tester, super);
	tc_key_tap(f->tester, KEY_L);
	tc_key_modifiers(f->tester, NULL);
}

/* Undoes start_shell: the compositor stopped cleanly, its files gone. */
static void stop_shell(struct shell_keys *f)
{
	EXPECT(tc_compositor_stop(&f->c) == 0);
	unlink(f->log);
	rmdir(f->dir);
	free(f->dir);
}

static void stop(struct shell_keys *f)
{
	tc_window_destroy(f->window);
	tc_client_destroy(f->tester);
	tc_client_destroy(f->app);
	stop_shell(f);
}

/* Alt+Tab twice, Alt+Shift+Tab, Alt let go: two steps on, one back, done. */
static void alt_tab_walks_and_commits(void)
{
	struct shell_keys f;
	start(&f);
	ASSERT(app_gets_only(&f, 0, KEY_A));
	tc_key_modifiers(f.tester, alt);
	tc_key_tap(f.tester, KEY_TAB);
	tc_key_tap(f.tester, KEY_TAB);
	tc_key_modifiers(f.tester, alt_shift);
	tc_key_tap(f.tester, KEY_TAB);
	EXPECT(wait_events(&f, 3));
	/* Nothing commits while Alt is held. */
	EXPECT_STR_EQ(f.events, "switcher-next,switcher-next,switcher-prev");
	tc_key_modifiers(f.tester, NULL);
	EXPECT(wait_events(&f, 4));
	EXPECT_STR_EQ(f.events, "switcher-next,switcher-next,switcher-prev,switcher-commit");
	EXPECT(!f.bad);
	/* The app got not one of those keys, and still has the keyboard. */
	EXPECT(app_gets_only(&f, 1, KEY_B));
	/* Letting Alt go again, with no switch under way, says nothing. */
	tc_key_modifiers(f.tester, alt);
	tc_key_modifiers(f.tester, NULL);
	super_l(&f);
	EXPECT(wait_events(&f, 5));
	EXPECT_STR_EQ(f.events, "switcher-next,switcher-next,switcher-prev,switcher-commit,lock");
	stop(&f);
}

/* Escape while switching cancels, and Alt let go after it commits nothing;
 * Escape when not switching is the app's. */
static void escape_cancels_a_switch(void)
{
	struct shell_keys f;
	start(&f);
	ASSERT(app_gets_only(&f, 0, KEY_A));
	tc_key_modifiers(f.tester, alt);
	tc_key_tap(f.tester, KEY_TAB);
	tc_key_tap(f.tester, KEY_ESC);
	tc_key_modifiers(f.tester, NULL);
	/* Super+L marks the end: any commit would come before it. */
	super_l(&f);
	EXPECT(wait_events(&f, 3));
	EXPECT_STR_EQ(f.events, "switcher-next,switcher-cancel,lock");
	EXPECT(!f.bad);
	EXPECT(app_gets_only(&f, 1, KEY_ESC));
	/* That Escape was not the shell's either. */
	super_l(&f);
	EXPECT(wait_events(&f, 4));
	EXPECT_STR_EQ(f.events, "switcher-next,switcher-cancel,lock,lock");
	stop(&f);
}

/* Super pressed and let go alone opens the launcher; Super+L locks, and L
 * never reaches the app. */
static void super_opens_the_launcher_and_super_l_locks(void)
{
	struct shell_keys f;
	start(&f);
	ASSERT(app_gets_only(&f, 0, KEY_A));
	tc_key_tap(f.tester, KEY_LEFTMETA);
	EXPECT(wait_events(&f, 1));
	EXPECT_STR_EQ(f.events, "launcher");
	/* The Super key itself is a modifier the app may see; count after it. */
	tc_client_roundtrip(f.app);
	int presses = tc_client_keys_pressed(f.app, NULL);
	super_l(&f);
	EXPECT(wait_events(&f, 2));
	EXPECT_STR_EQ(f.events, "launcher,lock");
	EXPECT(!f.bad);
	EXPECT(app_gets_only(&f, presses, KEY_C));
	stop(&f);
}

static bool focused(void *data)
{
	return tc_window_state(data)->focused == 1;
}

/* Apps' windows (clients appd made) taking the focus are told to the shell,
 * whatever moved it: a new window, focus_session, a click, the focus coming
 * back after the lock; once for each move, never for the same window twice
 * in a row; never for a client appd did not make. */
static void the_shell_hears_which_app_took_the_focus(void)
{
	struct shell_keys f;
	start_shell(&f, TC_WITH_CONTROL);
	int fd = tc_control_create_client(&f.c, "org.weft.demo.counter", "s1");
	ASSERT(fd >= 0);
	struct tc_client *a = tc_client_connect_fd(fd);
	fd = tc_control_create_client(&f.c, "org.weft.demo.notes", "s2");
	ASSERT(fd >= 0);
	struct tc_client *b = tc_client_connect_fd(fd);
	struct tc_window *wa = tc_zweft_window_create(a, "org.weft.demo.counter", "application", 0,
		0, 0, 0, 0xffcc0000);
	ASSERT(tc_client_wait(a, focused, wa, TC_SETTLE_MS));
	EXPECT(wait_events(&f, 1));
	struct tc_window *wb = tc_zweft_window_create(b, "org.weft.demo.notes", "application", 0,
		0, 0, 0, 0xff00cc00);
	ASSERT(tc_client_wait(b, focused, wb, TC_SETTLE_MS));
	EXPECT(wait_events(&f, 2));
	EXPECT_STR_EQ(f.events, "focused:s1,focused:s2");

	/* focus_session, from appd (or the shell: the same request). */
	struct json_object *reply = tc_control_request(&f.c,
		"{\"id\":2,\"type\":\"focus_session\",\"session_id\":\"s1\"}", NULL);
	struct json_object *ok;
	EXPECT(reply != NULL && json_object_object_get_ex(reply, "ok", &ok));
	json_object_put(reply);
	EXPECT(wait_events(&f, 3));
	/* Asking again for the app that has it says nothing more. */
	reply = tc_control_request(&f.c,
		"{\"id\":3,\"type\":\"focus_session\",\"session_id\":\"s1\"}", NULL);
	EXPECT(reply != NULL && json_object_object_get_ex(reply, "ok", &ok));
	json_object_put(reply);

	/* A tool on the public socket takes the focus: not an app, not told. */
	struct tc_client *tool = tc_client_connect(&f.c);
	struct tc_window *wt = tc_xdg_window_create(tool, "tool", 0xff0000cc);
	ASSERT(tc_client_wait(tool, window_activated, wt, TC_SETTLE_MS));
	tc_window_destroy(wt);
	tc_client_roundtrip(tool);
	/* Its window gone, the focus goes back to an app: told. */
	EXPECT(wait_events(&f, 4));
	EXPECT_STR_EQ(f.events, "focused:s1,focused:s2,focused:s1,focused:s1");
	EXPECT(!f.bad);

	tc_client_destroy(tool);
	tc_client_destroy(b);
	tc_client_destroy(a);
	stop_shell(&f);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(alt_tab_walks_and_commits),
		TEST_CASE(escape_cancels_a_switch),
		TEST_CASE(super_opens_the_launcher_and_super_l_locks),
		TEST_CASE(the_shell_hears_which_app_took_the_focus),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
