/*
 * The clipboard on the appd control channel: clipboard_write makes text the
 * seat's selection, which ordinary clients paste; clipboard_read reads the
 * selection, whoever owns it. Owners that never write, readers that never
 * read and a control channel that goes away must cost the compositor
 * nothing: it stays responsive, and its fds come back.
 */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "test.h"

#define TEXT "h\xc3\xa9llo, w\xc3\xb6rld \xe2\x9c\x93\n\"quoted\" \\ line 2"

struct fixture {
	struct tc_compositor c;
	struct tc_client *client;
	struct tc_window *window;
};

/* The compositor with a control channel, and an ordinary client whose
 * window has the keyboard focus (selections are offered to the focused). */
static void setup(struct fixture *f)
{
	tc_compositor_start(&f->c, TC_WITH_CONTROL, NULL);
	f->client = tc_client_connect(&f->c);
	f->window = tc_xdg_window_create(f->client, "clipboard", 0xff3060c0);
}

static void teardown(struct fixture *f)
{
	tc_client_destroy(f->client);
	EXPECT(tc_compositor_stop(&f->c) == 0);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool reply_ok(struct json_object *reply)
{
	struct json_object *ok;
	return reply != NULL && json_object_object_get_ex(reply, "ok", &ok) &&
		json_object_get_boolean(ok);
}

static const char *reply_text(struct json_object *reply)
{
	struct json_object *text;
	return json_object_object_get_ex(reply, "text", &text) ? json_object_get_string(text)
							       : NULL;
}

static const char *error_code(struct json_object *reply)
{
	struct json_object *error, *code;
	if (reply == NULL || !json_object_object_get_ex(reply, "error", &error) ||
		!json_object_object_get_ex(error, "code", &code)) {
		return NULL;
	}
	return json_object_get_string(code);
}

static int reply_id(struct json_object *reply)
{
	struct json_object *id;
	return json_object_object_get_ex(reply, "id", &id) ? json_object_get_int(id) : -1;
}

static struct json_object *control_write(struct tc_compositor *c, const char *text)
{
	struct json_object *req = json_object_new_object();
	json_object_object_add(req, "id", json_object_new_int(1));
	json_object_object_add(req, "type", json_object_new_string("clipboard_write"));
	json_object_object_add(req, "text", json_object_new_string(text));
	struct json_object *reply = tc_control_request(c, json_object_to_json_string(req), NULL);
	json_object_put(req);
	return reply;
}

/* Reads the selection through the control channel while client, which may
 * own it, keeps dispatching; the reply to id within timeout_ms. */
static struct json_object *control_read(struct tc_compositor *c, struct tc_client *client, int id,
	int timeout_ms)
{
	char req[64];
	snprintf(req, sizeof(req), "{\"id\":%d,\"type\":\"clipboard_read\"}", id);
	tc_control_send(c, req);
	int64_t deadline = now_ms() + timeout_ms;
	while (now_ms() < deadline) {
		if (client != NULL) {
			tc_client_roundtrip(client);
		}
		struct json_object *reply = tc_control_reply_within(c, 20, NULL);
		if (reply != NULL && reply_id(reply) == id) {
			return reply;
		}
		json_object_put(reply);
	}
	return NULL;
}

static void write_is_pasted_by_a_client(void)
{
	struct fixture f;
	setup(&f);
	struct json_object *reply = control_write(&f.c, TEXT);
	EXPECT(reply_ok(reply));
	json_object_put(reply);
	tc_client_roundtrip(f.client);
	EXPECT(tc_client_offered(f.client, "text/plain;charset=utf-8"));
	EXPECT(tc_client_offered(f.client, "text/plain"));
	EXPECT(tc_client_offered(f.client, "UTF8_STRING"));
	EXPECT(tc_client_offered(f.client, "STRING"));
	char *text = tc_client_paste(f.client, "text/plain;charset=utf-8");
	EXPECT_STR_EQ(text, TEXT);
	free(text);
	text = tc_client_paste(f.client, "UTF8_STRING");
	EXPECT_STR_EQ(text, TEXT);
	free(text);
	/* A type we do not offer gets nothing, not a hang. */
	text = tc_client_paste(f.client, "image/png");
	EXPECT_STR_EQ(text, "");
	free(text);

	/* A new write replaces it, and so does an empty one. */
	reply = control_write(&f.c, "second");
	EXPECT(reply_ok(reply));
	json_object_put(reply);
	tc_client_roundtrip(f.client);
	text = tc_client_paste(f.client, "text/plain;charset=utf-8");
	EXPECT_STR_EQ(text, "second");
	free(text);
	reply = control_write(&f.c, "");
	EXPECT(reply_ok(reply));
	json_object_put(reply);
	tc_client_roundtrip(f.client);
	text = tc_client_paste(f.client, "text/plain;charset=utf-8");
	EXPECT_STR_EQ(text, "");
	free(text);

	/* A client focused later is offered the selection when it gets the focus. */
	reply = control_write(&f.c, TEXT);
	json_object_put(reply);
	struct tc_client *other = tc_client_connect(&f.c);
	tc_xdg_window_create(other, "other", 0xff00ff00);
	tc_client_roundtrip(other);
	text = tc_client_paste(other, "text/plain");
	EXPECT_STR_EQ(text, TEXT);
	free(text);
	tc_client_destroy(other);
	teardown(&f);
}

static void large_write_is_pasted_whole(void)
{
	struct fixture f;
	setup(&f);
	/* Far more than a pipe holds: written out as the reader reads. */
	size_t len = 900 * 1024;
	char *big = malloc(len + 1);
	ASSERT(big != NULL);
	for (size_t i = 0; i < len; i++) {
		big[i] = (char)('a' + i % 26);
	}
	big[len] = '\0';
	struct json_object *reply = control_write(&f.c, big);
	EXPECT(reply_ok(reply));
	json_object_put(reply);
	tc_client_roundtrip(f.client);
	char *text = tc_client_paste(f.client, "text/plain");
	EXPECT(text != NULL && strcmp(text, big) == 0);
	free(text);

	/* And read back through the control channel, from our own source. */
	reply = control_read(&f.c, NULL, 2, 3000);
	EXPECT(reply_ok(reply));
	EXPECT(reply_text(reply) != NULL && strcmp(reply_text(reply), big) == 0);
	json_object_put(reply);
	free(big);
	teardown(&f);
}

static void bad_writes_are_refused(void)
{
	struct fixture f;
	setup(&f);
	struct json_object *reply = tc_control_request(&f.c,
		"{\"id\":3,\"type\":\"clipboard_write\"}", NULL);
	EXPECT_STR_EQ(error_code(reply), "invalid_argument");
	json_object_put(reply);
	reply = tc_control_request(&f.c, "{\"id\":4,\"type\":\"clipboard_write\",\"text\":7}",
		NULL);
	EXPECT_STR_EQ(error_code(reply), "invalid_argument");
	json_object_put(reply);
	/* A NUL would cut the text short on its way to an app. */
	reply = tc_control_request(&f.c,
		"{\"id\":5,\"type\":\"clipboard_write\",\"text\":\"a\\u0000b\"}", NULL);
	EXPECT_STR_EQ(error_code(reply), "not_utf8");
	json_object_put(reply);
	tc_client_roundtrip(f.client);
	EXPECT(!tc_client_offered(f.client, "text/plain"));
	teardown(&f);
}

static void client_selection_is_read(void)
{
	struct fixture f;
	setup(&f);
	tc_client_copy(f.client, TEXT, NULL, TC_COPY_WRITE);
	struct json_object *reply = control_read(&f.c, f.client, 7, 3000);
	EXPECT(reply_ok(reply));
	EXPECT_STR_EQ(reply_text(reply), TEXT);
	json_object_put(reply);
	EXPECT(tc_client_copy_sends(f.client, NULL) == 1);

	/* The best text type is asked for, whatever order they come in. */
	tc_client_copy(f.client, "as STRING", "STRING", TC_COPY_WRITE);
	reply = control_read(&f.c, f.client, 8, 3000);
	EXPECT_STR_EQ(reply_text(reply), "as STRING");
	json_object_put(reply);

	/* A write takes the selection from the client, whose source is cancelled. */
	reply = control_write(&f.c, "mine now");
	EXPECT(reply_ok(reply));
	json_object_put(reply);
	tc_client_roundtrip(f.client);
	bool cancelled = false;
	tc_client_copy_sends(f.client, &cancelled);
	EXPECT(cancelled);
	teardown(&f);
}

static void nothing_to_read(void)
{
	struct fixture f;
	setup(&f);
	struct json_object *reply = control_read(&f.c, f.client, 9, 3000);
	EXPECT_STR_EQ(error_code(reply), "empty");
	json_object_put(reply);
	/* A selection, but no text in it. */
	tc_client_copy(f.client, "\x89PNG", "image/png", TC_COPY_WRITE);
	reply = control_read(&f.c, f.client, 10, 3000);
	EXPECT_STR_EQ(error_code(reply), "empty");
	json_object_put(reply);
	EXPECT(tc_client_copy_sends(f.client, NULL) == 0);
	teardown(&f);
}

static void bad_selections_are_refused(void)
{
	struct fixture f;
	setup(&f);
	tc_client_copy(f.client, "\xff\xfe latin-1 \xe9t\xe9", NULL, TC_COPY_WRITE);
	struct json_object *reply = control_read(&f.c, f.client, 11, 3000);
	EXPECT_STR_EQ(error_code(reply), "not_utf8");
	json_object_put(reply);

	/* An owner that sends without end is cut off past 1 MiB. */
	char chunk[64 * 1024 + 1];
	memset(chunk, 'x', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\0';
	tc_client_copy(f.client, chunk, NULL, TC_COPY_FLOOD);
	reply = control_read(&f.c, f.client, 12, 3000);
	EXPECT_STR_EQ(error_code(reply), "too_large");
	json_object_put(reply);
	teardown(&f);
}

static void silent_owner_times_out(void)
{
	struct fixture f;
	setup(&f);
	tc_client_copy(f.client, "never sent", NULL, TC_COPY_SILENT);
	int fds = tc_compositor_settled_fd_count(&f.c, f.client);
	int64_t start = now_ms();
	tc_control_send(&f.c, "{\"id\":13,\"type\":\"clipboard_read\"}");
	tc_client_roundtrip(f.client);
	EXPECT(tc_client_copy_sends(f.client, NULL) == 1);

	/* Meanwhile the compositor goes on: a later request is answered
	 * before the read's timeout (a compositor that waited for the owner
	 * would answer 13 first), and new clients are served. */
	struct json_object *reply = tc_control_request(&f.c,
		"{\"id\":14,\"type\":\"focus_session\",\"session_id\":\"none\"}", NULL);
	EXPECT(reply_id(reply) == 14);
	EXPECT_STR_EQ(error_code(reply), "not_found");
	json_object_put(reply);
	struct tc_client *other = tc_client_connect(&f.c);
	EXPECT(tc_client_roundtrip(other));
	tc_client_destroy(other);

	reply = tc_control_reply_within(&f.c, TC_SETTLE_MS, NULL);
	int64_t took = now_ms() - start;
	EXPECT(reply_id(reply) == 13);
	EXPECT_STR_EQ(error_code(reply), "timeout");
	/* Not before its 2 s; how much later depends on the machine's load. */
	EXPECT(took >= 1800);
	json_object_put(reply);
	/* The pipe goes from the compositor although the owner holds on, and
	 * so does the other client's connection. */
	EXPECT(tc_compositor_wait_fd_count(&f.c, fds, TC_SETTLE_MS) == fds);
	teardown(&f);
}

static void reads_end_with_the_control_channel(void)
{
	struct fixture f;
	setup(&f);
	tc_client_copy(f.client, "never sent", NULL, TC_COPY_SILENT);
	tc_control_send(&f.c, "{\"id\":15,\"type\":\"clipboard_read\"}");
	tc_client_roundtrip(f.client);
	EXPECT(tc_client_copy_sends(f.client, NULL) == 1);
	/* appd goes away with the read in flight: the read ends, and the
	 * compositor lets go of the pipe. */
	close(f.c.control_fd);
	f.c.control_fd = -1;
	EXPECT(tc_client_wait_reader_gone(f.client, TC_SETTLE_MS));
	EXPECT(tc_compositor_alive(&f.c));
	EXPECT(tc_client_roundtrip(f.client));
	teardown(&f);
}

static void readers_that_go_or_stall_cost_nothing(void)
{
	struct fixture f;
	setup(&f);
	size_t len = 512 * 1024;
	char *big = malloc(len + 1);
	ASSERT(big != NULL);
	memset(big, 'y', len);
	big[len] = '\0';
	struct json_object *reply = control_write(&f.c, big);
	EXPECT(reply_ok(reply));
	json_object_put(reply);
	free(big);
	int fds = tc_compositor_settled_fd_count(&f.c, f.client);

	/* A reader that closes at once: EPIPE for the compositor, no SIGPIPE. */
	for (int i = 0; i < 3; i++) {
		int fd = tc_client_receive(f.client, "text/plain");
		EXPECT(fd >= 0);
		close(fd);
		tc_client_roundtrip(f.client);
	}
	EXPECT(tc_compositor_alive(&f.c));
	EXPECT(tc_compositor_wait_fd_count(&f.c, fds, TC_SETTLE_MS) == fds);

	/* One that stops reading: the compositor waits for it without blocking,
	 * and lets go of the pipe once the reader closes it. */
	int stalled = tc_client_receive(f.client, "text/plain");
	EXPECT(stalled >= 0);
	tc_client_roundtrip(f.client);
	EXPECT(tc_compositor_fd_count(&f.c) > fds);
	char buf[4096];
	EXPECT(read(stalled, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	close(stalled);
	EXPECT(tc_compositor_wait_fd_count(&f.c, fds, TC_SETTLE_MS) == fds);

	/* And one still waiting at exit is freed with the rest (ASan looks). */
	stalled = tc_client_receive(f.client, "text/plain");
	tc_client_roundtrip(f.client);
	teardown(&f);
	close(stalled);
}

static const struct test_case cases[] = {
	TEST_CASE(write_is_pasted_by_a_client),
	TEST_CASE(large_write_is_pasted_whole),
	TEST_CASE(bad_writes_are_refused),
	TEST_CASE(client_selection_is_read),
	TEST_CASE(nothing_to_read),
	TEST_CASE(bad_selections_are_refused),
	TEST_CASE(silent_owner_times_out),
	TEST_CASE(reads_end_with_the_control_channel),
	TEST_CASE(readers_that_go_or_stall_cost_nothing),
};

int main(int argc, char **argv)
{
	/* A flooding owner writes on after the compositor stopped reading. */
	signal(SIGPIPE, SIG_IGN);
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
