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

/* --prewarm: a data: URL of a page built in (no app's content) shaped like
 * a small app's first screen, for the spare's throwaway view (malloc'd;
 * NULL when out of memory), and whether a console message of it says that
 * it is drawn: the next frame has it all. */
char *app_spare_page_url(void);
bool app_spare_page_drawn(const char *message);

#endif
