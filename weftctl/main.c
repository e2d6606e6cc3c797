/*
 * weftctl: talks to weft-appd over its control socket (weft/appd-protocol.h).
 * One request per command (launch --wait and watch also subscribe); human
 * output by default, the protocol's JSON with --json; errors are one line
 * on stderr and a non-zero exit.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "weft/appd-protocol.h"
#include "weft/ipc.h"
#include "weft/log.h"
#include "weft/paths.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define REPLY_TIMEOUT_MS 10000

static const char usage[] =
	"Usage: weftctl [--json] [--socket PATH] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  launch APP_ID [--wait] [--timeout S]\n"
	"                     start a session and print its id; --wait returns once it\n"
	"                     is running\n"
	"  list               installed apps\n"
	"  ps [--all]         sessions and their states (--all: ended ones too)\n"
	"  state SESSION      one session's state\n"
	"  terminate SESSION [--wait] [--timeout S]\n"
	"                     stop a session; --wait returns once it has ended\n"
	"  watch              print every event, one per line, until interrupted\n"
	"  info               what appd is running with\n"
	"\n"
	"Options:\n"
	"  --json             print the protocol's JSON, one object per line\n"
	"  --socket PATH      appd's socket (default $" WEFT_APPD_SOCKET_ENV ", else\n"
	"                     $XDG_RUNTIME_DIR/" WEFT_APPD_SOCKET_NAME ")\n"
	"  -h, --help         show this help\n"
	"  -v, --version      show the version\n";

struct ctl {
	bool json;
	bool wait;
	bool all;
	int timeout_ms;
	const char *socket_path;
	int fd;
	int64_t next_id;
	/* Events that came while a reply was awaited. */
	struct json_object *queued[64];
	size_t nqueued;
};

static int fail(const char *fmt, ...) WEFT_PRINTF(1, 2);

static int fail(const char *fmt, ...)
{
	char msg[1024];
	va_list args;
	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	for (char *c = msg; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20) {
			*c = ' ';
		}
	}
	fflush(stdout);
	fprintf(stderr, "weftctl: %s\n", msg);
	return EXIT_FAIL;
}

static struct json_object *get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (obj != NULL) {
		json_object_object_get_ex(obj, key, &v);
	}
	return v;
}

static void print_json(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
}

/* One message within the deadline (-1: none). NULL on error, with a message. */
static struct json_object *receive(struct ctl *ctl, int64_t deadline, const char **why)
{
	for (;;) {
		int wait = -1;
		if (deadline >= 0) {
			int64_t left = deadline - weft_now_ms();
			wait = left > 0 ? (int)left : 0;
		}
		struct pollfd pfd = { .fd = ctl->fd, .events = POLLIN };
		int r = poll(&pfd, 1, wait);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r <= 0) {
			*why = "appd did not answer in time";
			return NULL;
		}
		bool hangup = false;
		struct weft_error err = { 0 };
		struct json_object *msg = weft_ipc_recv_json(ctl->fd, NULL, NULL, &hangup, &err);
		if (msg == NULL) {
			*why = hangup ? "appd hung up" : "appd sent something that is not JSON";
		}
		return msg;
	}
}

/* Sends {"type": type, ...fields} and returns the reply, within timeout_ms
 * (or NULL after printing why). The caller puts the reply. */
static struct json_object *request_within(struct ctl *ctl, struct json_object *req, int timeout_ms)
{
	int64_t id = ctl->next_id++;
	json_object_object_add(req, WEFT_MSG_ID, json_object_new_int64(id));
	struct weft_error err = { 0 };
	bool sent = weft_ipc_send_json(ctl->fd, req, NULL, 0, &err);
	json_object_put(req);
	if (!sent) {
		fail("%s", err.msg);
		return NULL;
	}
	int64_t deadline = weft_now_ms() + timeout_ms;
	for (;;) {
		const char *why = NULL;
		struct json_object *msg = receive(ctl, deadline, &why);
		if (msg == NULL) {
			fail("%s", why);
			return NULL;
		}
		if (get(msg, WEFT_MSG_EVENT) != NULL) {
			if (ctl->nqueued < sizeof(ctl->queued) / sizeof(ctl->queued[0])) {
				ctl->queued[ctl->nqueued++] = msg;
			} else {
				json_object_put(msg);
			}
			continue;
		}
		struct json_object *rid = get(msg, WEFT_MSG_ID);
		if (rid != NULL && json_object_get_int64(rid) != id) {
			json_object_put(msg);
			continue;
		}
		struct json_object *error = get(msg, WEFT_MSG_ERROR);
		if (error != NULL) {
			const char *message = weft_json_get_string(error, WEFT_MSG_MESSAGE);
			const char *code = weft_json_get_string(error, WEFT_MSG_CODE);
			fail("%s", message != NULL ? message : code != NULL ? code : "refused");
			json_object_put(msg);
			return NULL;
		}
		return msg;
	}
}

static struct json_object *request(struct ctl *ctl, struct json_object *req)
{
	return request_within(ctl, req, REPLY_TIMEOUT_MS);
}

static struct json_object *new_request(const char *type)
{
	struct json_object *req = json_object_new_object();
	if (req == NULL) {
		fputs("weftctl: out of memory\n", stderr);
		exit(EXIT_FAIL);
	}
	json_object_object_add(req, WEFT_MSG_TYPE, json_object_new_string(type));
	return req;
}

/* The next event, queued first, then from the socket; NULL on timeout or error. */
static struct json_object *next_event(struct ctl *ctl, int64_t deadline, const char **why)
{
	if (ctl->nqueued > 0) {
		struct json_object *msg = ctl->queued[0];
		memmove(&ctl->queued[0], &ctl->queued[1],
			(ctl->nqueued - 1) * sizeof(ctl->queued[0]));
		ctl->nqueued--;
		return msg;
	}
	for (;;) {
		struct json_object *msg = receive(ctl, deadline, why);
		if (msg == NULL || get(msg, WEFT_MSG_EVENT) != NULL) {
			return msg;
		}
		json_object_put(msg); /* a stray reply */
	}
}

/* "running", or "crashed: runtime killed by signal 9 (Killed)". */
static void describe_state(struct json_object *session, char *buf, size_t size)
{
	const char *state = weft_json_get_string(session, WEFT_APPD_KEY_STATE);
	const char *reason = weft_json_get_string(session, WEFT_APPD_KEY_REASON);
	if (state == NULL) {
		state = "?";
	}
	/* A reason says why a session stops; a live one has none to show. */
	bool ending = strcmp(state, WEFT_APPD_STATE_STOPPING) == 0 ||
		strcmp(state, WEFT_APPD_STATE_STOPPED) == 0 ||
		strcmp(state, WEFT_APPD_STATE_CRASHED) == 0;
	if (ending && reason != NULL) {
		snprintf(buf, size, "%s: %s", state, reason);
	} else {
		snprintf(buf, size, "%s", state);
	}
}

static bool subscribe(struct ctl *ctl)
{
	struct json_object *reply = request(ctl, new_request(WEFT_APPD_REQ_SUBSCRIBE));
	json_object_put(reply);
	return reply != NULL;
}

/* Waits for session id to reach one of the states in want (NULL-terminated);
 * returns the session object of that event, or NULL after printing why. */
static struct json_object *wait_for(struct ctl *ctl, const char *id, const char *const *want)
{
	int64_t deadline = weft_now_ms() + ctl->timeout_ms;
	for (;;) {
		const char *why = NULL;
		struct json_object *event = next_event(ctl, deadline, &why);
		if (event == NULL) {
			fail("session %s: %s", id,
				strcmp(why, "appd did not answer in time") == 0
					? "timed out waiting"
					: why);
			return NULL;
		}
		struct json_object *session = get(event, WEFT_APPD_KEY_SESSION);
		const char *sid = weft_json_get_string(session, WEFT_APPD_KEY_ID);
		const char *state = weft_json_get_string(session, WEFT_APPD_KEY_STATE);
		if (sid != NULL && state != NULL && strcmp(sid, id) == 0) {
			for (size_t i = 0; want[i] != NULL; i++) {
				if (strcmp(state, want[i]) == 0) {
					struct json_object *result = json_object_get(session);
					json_object_put(event);
					return result;
				}
			}
		}
		json_object_put(event);
	}
}

static int cmd_launch(struct ctl *ctl, const char *app_id)
{
	if (ctl->wait && !subscribe(ctl)) {
		return EXIT_FAIL;
	}
	struct json_object *req = new_request(WEFT_APPD_REQ_LAUNCH);
	json_object_object_add(req, WEFT_APPD_KEY_APP_ID, json_object_new_string(app_id));
	/* appd answers once it has checked the package, which for a large one
	 * takes seconds. */
	struct json_object *reply = request_within(ctl, req, ctl->timeout_ms);
	if (reply == NULL) {
		return EXIT_FAIL;
	}
	struct json_object *session = json_object_get(get(reply, WEFT_APPD_KEY_SESSION));
	json_object_put(reply);
	const char *id = weft_json_get_string(session, WEFT_APPD_KEY_ID);
	if (id == NULL) {
		json_object_put(session);
		return fail("appd's reply has no session id");
	}
	int status = 0;
	if (ctl->wait) {
		static const char *const ends[] = { WEFT_APPD_STATE_RUNNING,
			WEFT_APPD_STATE_STOPPED, WEFT_APPD_STATE_CRASHED, NULL };
		struct json_object *final = wait_for(ctl, id, ends);
		if (final == NULL) {
			status = EXIT_FAIL;
		} else if (strcmp(weft_json_get_string(final, WEFT_APPD_KEY_STATE),
				   WEFT_APPD_STATE_RUNNING) != 0) {
			char state[512];
			describe_state(final, state, sizeof(state));
			status = fail("session %s of %s ended before it ran: %s", id, app_id,
				state);
			json_object_put(final);
		} else {
			json_object_put(session);
			session = final;
		}
	}
	if (status == 0) {
		if (ctl->json) {
			print_json(session);
		} else {
			puts(weft_json_get_string(session, WEFT_APPD_KEY_ID));
		}
	}
	json_object_put(session);
	return status;
}

static int cmd_terminate(struct ctl *ctl, const char *id)
{
	if (ctl->wait && !subscribe(ctl)) {
		return EXIT_FAIL;
	}
	struct json_object *req = new_request(WEFT_APPD_REQ_TERMINATE);
	json_object_object_add(req, WEFT_APPD_KEY_SESSION_ID, json_object_new_string(id));
	struct json_object *reply = request(ctl, req);
	if (reply == NULL) {
		return EXIT_FAIL;
	}
	struct json_object *session = json_object_get(get(reply, WEFT_APPD_KEY_SESSION));
	json_object_put(reply);
	const char *state = weft_json_get_string(session, WEFT_APPD_KEY_STATE);
	if (ctl->wait && state != NULL && strcmp(state, WEFT_APPD_STATE_STOPPED) != 0 &&
		strcmp(state, WEFT_APPD_STATE_CRASHED) != 0) {
		static const char *const ends[] = { WEFT_APPD_STATE_STOPPED,
			WEFT_APPD_STATE_CRASHED, NULL };
		json_object_put(session);
		session = wait_for(ctl, id, ends);
		if (session == NULL) {
			return EXIT_FAIL;
		}
	}
	if (ctl->json) {
		print_json(session);
	} else if (ctl->wait) {
		char text[512];
		describe_state(session, text, sizeof(text));
		printf("%s\n", text);
	}
	json_object_put(session);
	return 0;
}

static int cmd_state(struct ctl *ctl, const char *id)
{
	struct json_object *req = new_request(WEFT_APPD_REQ_STATE);
	json_object_object_add(req, WEFT_APPD_KEY_SESSION_ID, json_object_new_string(id));
	struct json_object *reply = request(ctl, req);
	if (reply == NULL) {
		return EXIT_FAIL;
	}
	struct json_object *session = get(reply, WEFT_APPD_KEY_SESSION);
	if (ctl->json) {
		print_json(session);
	} else {
		char text[512];
		describe_state(session, text, sizeof(text));
		printf("%s\n", text);
		const char *limits = weft_json_get_string(session, WEFT_APPD_KEY_LIMITS);
		if (limits != NULL) {
			printf("limits: %s\n", limits);
		}
		/* One line per process, "sandbox runtime: ...": what its
		 * sandbox holds, or that it has none. */
		struct json_object *sandbox = get(session, WEFT_APPD_KEY_SANDBOX);
		if (sandbox != NULL && json_object_is_type(sandbox, json_type_object)) {
			json_object_object_foreach(sandbox, name, proc)
			{
				const char *summary = weft_json_get_string(proc,
					WEFT_APPD_KEY_SUMMARY);
				if (summary != NULL) {
					printf("%s\n", summary);
				} else {
					printf("sandbox %s: ?\n", name);
				}
			}
		}
	}
	json_object_put(reply);
	return 0;
}

/* Every app, one page after another (weft/appd-protocol.h); NULL after printing
 * why. */
static struct json_object *list_apps(struct ctl *ctl)
{
	struct json_object *apps = json_object_new_array();
	if (apps == NULL) {
		fail("out of memory");
		return NULL;
	}
	for (;;) {
		struct json_object *req = new_request(WEFT_APPD_REQ_APPS);
		size_t n = json_object_array_length(apps);
		if (n > 0) {
			const char *last = weft_json_get_string(json_object_array_get_idx(apps,
									n - 1),
				WEFT_APPD_KEY_ID);
			json_object_object_add(req, WEFT_APPD_KEY_AFTER,
				json_object_new_string(last));
		}
		struct json_object *reply = request(ctl, req);
		if (reply == NULL) {
			json_object_put(apps);
			return NULL;
		}
		struct json_object *page = get(reply, WEFT_APPD_KEY_APPS);
		size_t len = json_object_is_type(page, json_type_array)
			? json_object_array_length(page)
			: 0;
		bool more = json_object_get_boolean(get(reply, WEFT_APPD_KEY_MORE));
		bool ok = true;
		for (size_t i = 0; ok && i < len; i++) {
			struct json_object *app = json_object_array_get_idx(page, i);
			ok = weft_json_get_string(app, WEFT_APPD_KEY_ID) != NULL &&
				json_object_array_add(apps, json_object_get(app)) == 0;
		}
		json_object_put(reply);
		if (!ok || (more && len == 0)) {
			json_object_put(apps);
			fail("appd sent a malformed page of apps");
			return NULL;
		}
		if (!more) {
			return apps;
		}
	}
}

static int cmd_list(struct ctl *ctl)
{
	struct json_object *apps = list_apps(ctl);
	if (apps == NULL) {
		return EXIT_FAIL;
	}
	if (ctl->json) {
		print_json(apps);
	} else {
		size_t n = json_object_array_length(apps);
		if (n > 0) {
			printf("%-32s %-10s %s\n", "ID", "VERSION", "NAME");
		}
		for (size_t i = 0; i < n; i++) {
			struct json_object *app = json_object_array_get_idx(apps, i);
			printf("%-32s %-10s %s\n", weft_json_get_string(app, WEFT_APPD_KEY_ID),
				weft_json_get_string(app, WEFT_APPD_KEY_VERSION),
				weft_json_get_string(app, WEFT_APPD_KEY_NAME));
		}
	}
	json_object_put(apps);
	return 0;
}

static int cmd_ps(struct ctl *ctl)
{
	struct json_object *req = new_request(WEFT_APPD_REQ_SESSIONS);
	json_object_object_add(req, WEFT_APPD_KEY_ALL, json_object_new_boolean(ctl->all));
	struct json_object *reply = request(ctl, req);
	if (reply == NULL) {
		return EXIT_FAIL;
	}
	struct json_object *sessions = get(reply, WEFT_APPD_KEY_SESSIONS);
	if (ctl->json) {
		print_json(sessions);
	} else {
		size_t n = json_object_array_length(sessions);
		if (n > 0) {
			printf("%-8s %-32s %-9s %-6s %s\n", "SESSION", "APP", "STATE", "LIMITS",
				"PIDS");
		}
		/* Why limits are not enforced is appd's, the same for every session:
		 * said once, under the table. */
		const char *why_not = NULL;
		for (size_t i = 0; i < n; i++) {
			struct json_object *s = json_object_array_get_idx(sessions, i);
			struct json_object *rpid = get(s, WEFT_APPD_KEY_RUNTIME_PID),
					   *spid = get(s, WEFT_APPD_KEY_APP_SHELL_PID);
			const char *state = weft_json_get_string(s, WEFT_APPD_KEY_STATE);
			bool ended = state != NULL &&
				(strcmp(state, WEFT_APPD_STATE_STOPPED) == 0 ||
					strcmp(state, WEFT_APPD_STATE_CRASHED) == 0);
			char pids[64] = "-";
			if (rpid != NULL && !ended) {
				int len = snprintf(pids, sizeof(pids), "%d",
					json_object_get_int(rpid));
				if (spid != NULL) {
					snprintf(pids + len, sizeof(pids) - (size_t)len, ",%d",
						json_object_get_int(spid));
				}
			}
			const char *limits = weft_json_get_string(s, WEFT_APPD_KEY_LIMITS);
			bool enforced = limits != NULL &&
				strcmp(limits, WEFT_APPD_LIMITS_ENFORCED) == 0;
			if (limits != NULL && !enforced) {
				why_not = limits;
			}
			printf("%-8s %-32s %-9s %-6s %s\n",
				weft_json_get_string(s, WEFT_APPD_KEY_ID),
				weft_json_get_string(s, WEFT_APPD_KEY_APP_ID),
				weft_json_get_string(s, WEFT_APPD_KEY_STATE),
				limits == NULL     ? "?"
					: enforced ? "yes"
						   : "no",
				pids);
		}
		if (why_not != NULL) {
			printf("\nLIMITS no: memory and CPU limits %s\n", why_not);
		}
	}
	json_object_put(reply);
	return 0;
}

static int cmd_info(struct ctl *ctl)
{
	struct json_object *reply = request(ctl, new_request(WEFT_APPD_REQ_INFO));
	if (reply == NULL) {
		return EXIT_FAIL;
	}
	if (ctl->json) {
		print_json(reply);
	} else {
		struct json_object *pid = get(reply, WEFT_APPD_KEY_PID),
				   *comp = get(reply, WEFT_APPD_KEY_COMPOSITOR);
		const char *sandbox = weft_json_get_string(reply, WEFT_APPD_KEY_SANDBOX);
		printf("pid: %d\nversion: %s\ncompositor: %s\nlimits: %s\nsandbox: %s\n"
		       "runtime: %s\napp-shell: %s\n",
			json_object_get_int(pid),
			weft_json_get_string(reply, WEFT_APPD_KEY_VERSION),
			json_object_get_boolean(comp) ? "yes" : "no",
			weft_json_get_string(reply, WEFT_APPD_KEY_LIMITS_DETAIL),
			sandbox != NULL ? sandbox : "?",
			weft_json_get_string(reply, WEFT_APPD_KEY_RUNTIME),
			weft_json_get_string(reply, WEFT_APPD_KEY_APP_SHELL));
		/* The prewarmed app-shell the next launch will take, if any. */
		struct json_object *spare = get(reply, WEFT_APPD_KEY_SPARE);
		const char *state = weft_json_get_string(spare, WEFT_APPD_KEY_STATE);
		if (state != NULL) {
			struct json_object *spare_pid = get(spare, WEFT_APPD_KEY_PID);
			const char *why = weft_json_get_string(spare, WEFT_APPD_KEY_WHY);
			printf("spare app-shell: %s", state);
			if (spare_pid != NULL) {
				printf(" (pid %d)", json_object_get_int(spare_pid));
			}
			if (why != NULL && why[0] != '\0') {
				printf(" (%s)", why);
			}
			printf("\n");
		}
		/* Launches whose packages are being checked. */
		struct json_object *launching = get(reply, WEFT_APPD_KEY_LAUNCHING);
		size_t n = json_object_is_type(launching, json_type_array)
			? json_object_array_length(launching)
			: 0;
		for (size_t i = 0; i < n; i++) {
			struct json_object *l = json_object_array_get_idx(launching, i);
			printf("checking: %s (pid %d)\n",
				weft_json_get_string(l, WEFT_APPD_KEY_APP_ID),
				json_object_get_int(get(l, WEFT_APPD_KEY_PID)));
		}
	}
	json_object_put(reply);
	return 0;
}

static int cmd_watch(struct ctl *ctl)
{
	if (!subscribe(ctl)) {
		return EXIT_FAIL;
	}
	for (;;) {
		const char *why = NULL;
		struct json_object *event = next_event(ctl, -1, &why);
		if (event == NULL) {
			return fail("%s", why);
		}
		const char *name = weft_json_get_string(event, WEFT_MSG_EVENT);
		if (ctl->json) {
			print_json(event);
		} else if (name != NULL && strcmp(name, WEFT_APPD_EVENT_STATE) == 0) {
			struct json_object *s = get(event, WEFT_APPD_KEY_SESSION);
			char text[512];
			describe_state(s, text, sizeof(text));
			printf("%s %s %s\n", weft_json_get_string(s, WEFT_APPD_KEY_ID),
				weft_json_get_string(s, WEFT_APPD_KEY_APP_ID), text);
		} else if (name != NULL && strcmp(name, WEFT_APPD_EVENT_NOTIFICATION) == 0) {
			printf("%s %s notification: %s: %s\n",
				weft_json_get_string(event, WEFT_APPD_KEY_SESSION_ID),
				weft_json_get_string(event, WEFT_APPD_KEY_APP_ID),
				weft_json_get_string(event, WEFT_APPD_KEY_TITLE),
				weft_json_get_string(event, WEFT_APPD_KEY_BODY));
		} else {
			print_json(event);
		}
		fflush(stdout);
		json_object_put(event);
	}
}

static char *default_socket(void)
{
	struct weft_error err = { 0 };
	return weft_path_appd_socket(&err);
}

struct command {
	const char *name;
	int nargs;
	bool wait, all; /* which flags it takes */
};

static const struct command commands[] = {
	{ "launch", 1, true, false },
	{ "list", 0, false, false },
	{ "ps", 0, false, true },
	{ "state", 1, false, false },
	{ "terminate", 1, true, false },
	{ "watch", 0, false, false },
	{ "info", 0, false, false },
};

int main(int argc, char **argv)
{
	weft_log_init("weftctl", WEFT_WARN);
	struct ctl ctl = { .fd = -1, .next_id = 1, .timeout_ms = 30000 };
	const char *positional[8];
	size_t npos = 0;
	bool wait = false, all = false, timeout = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--json") == 0) {
			ctl.json = true;
		} else if (strcmp(a, "--wait") == 0) {
			wait = true;
		} else if (strcmp(a, "--all") == 0) {
			all = true;
		} else if (strcmp(a, "--socket") == 0 || strcmp(a, "--timeout") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "weftctl: %s needs a value\n", a);
				return EXIT_USAGE;
			}
			const char *v = argv[++i];
			if (a[2] == 's') {
				ctl.socket_path = v;
			} else {
				char *end;
				long s = strtol(v, &end, 10);
				if (end == v || *end != '\0' || s < 1 || s > 3600) {
					fprintf(stderr, "weftctl: bad --timeout %s (seconds)\n",
						v);
					return EXIT_USAGE;
				}
				ctl.timeout_ms = (int)s * 1000;
				timeout = true;
			}
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
			printf("weftctl %s\n", WEFT_VERSION);
			return 0;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "weftctl: unknown option %s (see weftctl --help)\n", a);
			return EXIT_USAGE;
		} else if (npos < sizeof(positional) / sizeof(positional[0])) {
			positional[npos++] = a;
		} else {
			fprintf(stderr, "weftctl: too many arguments\n");
			return EXIT_USAGE;
		}
	}
	if (npos == 0) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(positional[0], commands[i].name) == 0) {
			cmd = &commands[i];
		}
	}
	if (cmd == NULL) {
		fprintf(stderr, "weftctl: unknown command %s (see weftctl --help)\n",
			positional[0]);
		return EXIT_USAGE;
	}
	if ((int)npos - 1 != cmd->nargs) {
		fprintf(stderr, "weftctl: %s takes %s\n", cmd->name,
			cmd->nargs == 0                            ? "no arguments"
				: strcmp(cmd->name, "launch") == 0 ? "one APP_ID"
								   : "one SESSION");
		return EXIT_USAGE;
	}
	if ((wait && !cmd->wait) || (all && !cmd->all) || (timeout && !cmd->wait)) {
		fprintf(stderr, "weftctl: %s takes no %s\n", cmd->name,
			wait && !cmd->wait ? "--wait"
				: all      ? "--all"
					   : "--timeout");
		return EXIT_USAGE;
	}
	ctl.wait = wait;
	ctl.all = all;

	char *owned = NULL;
	if (ctl.socket_path == NULL) {
		ctl.socket_path = owned = default_socket();
		if (owned == NULL) {
			return fail("no socket: XDG_RUNTIME_DIR is not set (use --socket)");
		}
	}
	struct weft_error err = { 0 };
	ctl.fd = weft_ipc_connect(ctl.socket_path, &err);
	if (ctl.fd < 0) {
		int status = fail("cannot reach appd: %s", err.msg);
		free(owned);
		return status;
	}

	int status;
	const char *arg = npos > 1 ? positional[1] : NULL;
	if (strcmp(cmd->name, "launch") == 0) {
		status = cmd_launch(&ctl, arg);
	} else if (strcmp(cmd->name, "list") == 0) {
		status = cmd_list(&ctl);
	} else if (strcmp(cmd->name, "ps") == 0) {
		status = cmd_ps(&ctl);
	} else if (strcmp(cmd->name, "state") == 0) {
		status = cmd_state(&ctl, arg);
	} else if (strcmp(cmd->name, "terminate") == 0) {
		status = cmd_terminate(&ctl, arg);
	} else if (strcmp(cmd->name, "watch") == 0) {
		status = cmd_watch(&ctl);
	} else {
		status = cmd_info(&ctl);
	}
	for (size_t i = 0; i < ctl.nqueued; i++) {
		json_object_put(ctl.queued[i]);
	}
	close(ctl.fd);
	free(owned);
	return status;
}
