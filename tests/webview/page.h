/*
 * Loading app pages in Servo through libweftview, for the webview tests:
 * see page.c. The test sets engine (and serves its apps) first.
 */
#ifndef WEFT_TESTS_WEBVIEW_PAGE_H
#define WEFT_TESTS_WEBVIEW_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/webview.h"

#define TIMEOUT_MS 60000
#define LOG_MAX (64 * 1024)

struct probe {
	struct weft_webview *view;
	bool loaded;
	bool have_result;
	bool result_ok;
	char *result;
	char ipc[256];
};

extern struct weft_webview_engine *engine;
/* The engine's log, one message a line: refusals are logged there. */
extern char log_buf[LOG_MAX];
extern size_t log_len;

/* Sets engine: software rendering without a display, the log kept (name,
 * e.g. "test-kit", in the failure line). False when there is none. */
bool start_engine(const char *name);
int64_t now_ms(void);
void spin(void);
bool run_until(struct probe *p, bool (*cond)(struct probe *p), int timeout_ms);
/* The engine's log callback: prints and keeps each message. */
void handle_log(void *data, int level, const char *message);
bool loaded(struct probe *p);
bool have_result(struct probe *p);
/* The script's result as a string (owned by p), or NULL. */
const char *eval(struct probe *p, const char *script);
/* Evaluates script until it returns want. */
bool eval_until(struct probe *p, const char *script, const char *want);
bool open_page(struct probe *p, const char *app_id, const char *url);
void close_page(struct probe *p);

#endif
