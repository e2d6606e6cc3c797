/*
 * --warm-up: render a page shipped in this binary that uses what WEFT's app
 * pages usually draw (text, solid colours, images, gradients, borders,
 * shadows, clips, filters, transforms), so that Mesa compiles WebRender's
 * shaders once and writes them into its shader cache. weft-appd runs it,
 * sandboxed with only that cache writable, before it starts spare
 * app-shells, which then see the cache read-only (weft-appd(8)).
 */
#ifndef APP_SHELL_WARMUP_H
#define APP_SHELL_WARMUP_H

#include <stdbool.h>

#include "weft/common.h"
#include "weft/webview.h"

/* Renders the page in a software view of engine until the page says it has
 * drawn everything and that frame was presented; false (with err) on a
 * failure, after deadline_ms, or when signal_fd becomes readable first. The
 * engine is the caller's; destroying it afterwards lets Mesa finish writing
 * its cache. */
bool app_warm_up(struct weft_webview_engine *engine, int signal_fd, int deadline_ms,
	struct weft_error *err);

#endif
