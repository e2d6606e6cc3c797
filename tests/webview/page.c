/*
 * What the webview tests that load app pages share: one engine, a page
 * (a view with its load state and the last script result), spinning the
 * engine until a condition holds, evaluating scripts, and the engine's log
 * kept for the refusals it records.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "page.h"

struct weft_webview_engine *engine;
/* The engine's log, one message a line: refusals are logged there. */
char log_buf[LOG_MAX];
size_t log_len;

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void spin(void)
{
	struct pollfd pfd = { .fd = weft_webview_engine_get_fd(engine), .events = POLLIN };
	poll(&pfd, 1, 50);
	weft_webview_engine_dispatch(engine);
}

bool run_until(struct probe *p, bool (*cond)(struct probe *p), int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	while (!cond(p)) {
		if (now_ms() > deadline) {
			return false;
		}
		spin();
	}
	return true;
}

bool start_engine(const char *name)
{
	/* Surfaceless software rendering: no display of our own. */
	char display[128];
	snprintf(display, sizeof(display), "weft-%s-no-such-display", name);
	setenv("WAYLAND_DISPLAY", display, 1);
	unsetenv("DISPLAY");
	const struct weft_webview_engine_options options = {
		.log = handle_log,
		.log_level = WEFT_WEBVIEW_LOG_WARN,
	};
	engine = weft_webview_engine_create(&options);
	if (engine == NULL) {
		fprintf(stderr, "%s: no engine\n", name);
		return false;
	}
	return true;
}

void handle_log(void *data, int level, const char *message)
{
	(void)data;
	fprintf(stderr, "# log (%d): %s\n", level, message);
	size_t len = strlen(message);
	if (log_len + len + 2 < sizeof(log_buf)) {
		memcpy(log_buf + log_len, message, len);
		log_len += len;
		log_buf[log_len++] = '\n';
		log_buf[log_len] = '\0';
	}
}

static void handle_load_status(void *data, int status)
{
	struct probe *p = data;
	if (status == WEFT_WEBVIEW_LOAD_COMPLETE) {
		p->loaded = true;
	}
}

static void handle_console(void *data, int level, const char *message)
{
	(void)data;
	fprintf(stderr, "# page console (%d): %s\n", level, message);
}

static void handle_ipc(void *data, const char *message, size_t len)
{
	struct probe *p = data;
	snprintf(p->ipc, sizeof(p->ipc), "%.*s", (int)len, message);
}

static const struct weft_webview_listener listener = {
	.load_status = handle_load_status,
	.console = handle_console,
	.ipc_message = handle_ipc,
};

bool loaded(struct probe *p)
{
	return p->loaded;
}

bool have_result(struct probe *p)
{
	return p->have_result;
}

static void eval_done(void *data, bool ok, const char *text)
{
	struct probe *p = data;
	free(p->result);
	p->result = strdup(text ? text : "");
	p->result_ok = ok;
	p->have_result = true;
}

/* The script's result as a string (owned by p), or NULL. */
const char *eval(struct probe *p, const char *script)
{
	p->have_result = false;
	if (!weft_webview_evaluate_js(p->view, script, eval_done, p) ||
		!run_until(p, have_result, TIMEOUT_MS) || !p->result_ok) {
		fprintf(stderr, "# evaluating %s failed: %s\n", script,
			p->result ? p->result : "(none)");
		return NULL;
	}
	return p->result;
}

/* Evaluates script until it returns want. */
bool eval_until(struct probe *p, const char *script, const char *want)
{
	int64_t deadline = now_ms() + TIMEOUT_MS;
	while (now_ms() < deadline) {
		const char *got = eval(p, script);
		if (got != NULL && strcmp(got, want) == 0) {
			return true;
		}
		spin();
	}
	fprintf(stderr, "# waited for %s to be %s, last %s\n", script, want,
		p->result ? p->result : "(none)");
	return false;
}

bool open_page(struct probe *p, const char *app_id, const char *url)
{
	memset(p, 0, sizeof(*p));
	const struct weft_webview_options options = {
		.width = 320,
		.height = 240,
		.scale = 1,
		.app_id = app_id,
		.url = url,
		.listener = &listener,
		.data = p,
	};
	p->view = weft_webview_create(engine, &options);
	if (p->view == NULL) {
		return false;
	}
	weft_webview_set_ipc_connected(p->view, true);
	return run_until(p, loaded, TIMEOUT_MS);
}

void close_page(struct probe *p)
{
	weft_webview_destroy(p->view);
	p->view = NULL;
	free(p->result);
	p->result = NULL;
}
