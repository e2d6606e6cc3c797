#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "warmup.h"
#include "weft/log.h"

#define WARM_UP_APP_ID "org.weft.warm-up"
#define WARM_UP_URL "weft-app://" WARM_UP_APP_ID "/index.html"
#define WARM_UP_DONE "weft-warm-up: drawn"
#define WARM_UP_WIDTH 1280
#define WARM_UP_HEIGHT 720

/* An 8x8 RGBA PNG with some translucent pixels, for the image shaders. */
#define WARM_UP_PNG \
	"data:image/png;base64," \
	"iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAYAAADED76LAAAAeklEQVR42hXNUREAMQgDUaRUSqUgBSlIQQpO" \
	"7l6ns7P5oElEVJ6o7yLl4sbIyxGnvoN7KpMLLQ/veQfXwa28nCi5ebByRJpIDUjZ+xojbb6G0oBbJrjQ8vDW" \
	"O2gHbYITJTcPtt/EmBgN8C2LGyPvvIbVgLsmuNDy8OIHMaOKtnBtHZ0AAAAASUVORK5CYII="

/*
 * What app pages draw, each once. WebRender compiles a shader (and llvmpipe
 * a variant of it) the first time a frame needs it. From its load event on
 * the page changes a number every animation frame, so frames keep coming;
 * it says it is drawn at the second, and the first frame presented after
 * that message has everything on it.
 */
static const char page[] =
	"<!DOCTYPE html>\n"
	"<html><head><meta charset=\"utf-8\"><title>warm-up</title><style>\n"
	":root { color-scheme: light dark; font-family: \"DejaVu Sans\", sans-serif; }\n"
	"body { margin: 8px; display: flex; flex-wrap: wrap; gap: 6px; }\n"
	"div, button, input, textarea, select, img { box-sizing: border-box; }\n"
	".b { width: 90px; height: 60px; }\n"
	".solid { background: #3a7bd5; }\n"
	".alpha { background: rgba(200, 30, 60, 0.5); opacity: 0.7; }\n"
	".border { border: 3px solid #222; }\n"
	".dashed { border: 4px dashed #a33; }\n"
	".dotted { border: 4px dotted #3a3; }\n"
	".double { border: 6px double #33a; }\n"
	".groove { border: 6px groove #888; }\n"
	".ridge { border: 6px ridge #888; border-color: red green blue orange; }\n"
	".round { border: 2px solid #555; border-radius: 12px; }\n"
	".ellipse { border-radius: 50%; background: #e91e63; }\n"
	".clip { border-radius: 16px; overflow: hidden; }\n"
	".clip div { width: 200px; height: 200px; background: #ff9800; }\n"
	".lin { background: linear-gradient(45deg, #f00, #00f 60%, #0f0); }\n"
	".rad { background: radial-gradient(circle at 30% 30%, #fff, #000); }\n"
	".con { background: conic-gradient(red, yellow, lime, aqua, blue, magenta, red); }\n"
	".rep { background: repeating-linear-gradient(90deg, #000 0 4px, #fff 4px 8px); }\n"
	".rrep { background: repeating-radial-gradient(#222 0 3px, #ddd 3px 6px); }\n"
	".shadow { background: #fff; box-shadow: 0 4px 12px rgba(0, 0, 0, 0.5); }\n"
	".inset { background: #fff; box-shadow: inset 0 0 8px #000; border-radius: 8px; }\n"
	".sharp { background: #fff; box-shadow: 3px 3px 0 #000; }\n"
	".img { background: url(" WARM_UP_PNG ") repeat; background-size: 16px 16px; }\n"
	".pix { width: 90px; height: 60px; image-rendering: pixelated; }\n"
	".smooth { width: 90px; height: 60px; border-radius: 10px; }\n"
	".rot { transform: rotate(17deg); background: #4caf50; }\n"
	".skew { transform: skewX(20deg) scale(0.8); background: #9c27b0; }\n"
	".persp { transform: perspective(200px) rotateY(35deg); background: #00bcd4; }\n"
	".blur { filter: blur(3px); background: #795548; }\n"
	".drop { filter: drop-shadow(2px 4px 3px #000); background: #cddc39; }\n"
	".gray { filter: grayscale(1) contrast(1.5) brightness(0.8); background: #f44336; }\n"
	".blend { background: #2196f3; mix-blend-mode: multiply; }\n"
	".cpath { clip-path: circle(40%); background: #607d8b; }\n"
	".poly { clip-path: polygon(50% 0, 100% 100%, 0 100%); background: #ffc107; }\n"
	".outline { outline: 3px solid #f0f; outline-offset: 2px; }\n"
	".tshadow { text-shadow: 2px 2px 3px #888; }\n"
	".big { font-size: 96px; font-weight: bold; line-height: 1; }\n"
	".mono { font-family: \"DejaVu Sans Mono\", monospace; }\n"
	".serif { font-family: \"DejaVu Serif\", serif; font-style: italic; }\n"
	".deco { text-decoration: underline wavy red; }\n"
	".strike { text-decoration: line-through; }\n"
	".dark { color-scheme: dark; background: #121212; color: #eee; padding: 4px; }\n"
	".scroll { width: 120px; height: 60px; overflow: scroll; }\n"
	".scroll div { width: 300px; height: 300px; }\n"
	"button, input, textarea, select { font-size: 16px; }\n"
	"</style></head><body>\n"
	"<div class=\"b solid\"></div><div class=\"b alpha\"></div>\n"
	"<div class=\"b border\"></div><div class=\"b dashed\"></div>\n"
	"<div class=\"b dotted\"></div><div class=\"b double\"></div>\n"
	"<div class=\"b groove\"></div><div class=\"b ridge\"></div>\n"
	"<div class=\"b round\"></div><div class=\"b ellipse\"></div>\n"
	"<div class=\"b clip\"><div></div></div>\n"
	"<div class=\"b lin\"></div><div class=\"b rad\"></div><div class=\"b con\"></div>\n"
	"<div class=\"b rep\"></div><div class=\"b rrep\"></div>\n"
	"<div class=\"b shadow\"></div><div class=\"b inset\"></div>\n"
	"<div class=\"b sharp\"></div>\n"
	"<div class=\"b img\"></div>\n"
	"<img class=\"pix\" alt=\"\" src=\"" WARM_UP_PNG "\">\n"
	"<img class=\"smooth\" alt=\"\" src=\"" WARM_UP_PNG "\">\n"
	"<div class=\"b rot\"></div><div class=\"b skew\"></div><div class=\"b persp\"></div>\n"
	"<div class=\"b blur\"></div><div class=\"b drop\"></div><div class=\"b gray\"></div>\n"
	"<div class=\"b blend\"></div><div class=\"b cpath\"></div><div class=\"b poly\"></div>\n"
	"<div class=\"b outline\"></div>\n"
	"<div class=\"scroll\"><div>scroll</div></div>\n"
	"<p class=\"big\">0123</p>\n"
	"<p class=\"tshadow\">Shadowed text <b>bold</b> <i>italic</i></p>\n"
	"<p class=\"mono\">monospace 0123456789</p><p class=\"serif\">serif italic</p>\n"
	"<p><span class=\"deco\">wavy</span> <span class=\"strike\">struck</span>"
	" <small>small</small> <sup>sup</sup> &#x2714; &#x00e9;</p>\n"
	"<div class=\"dark\">dark <button>Button</button></div>\n"
	"<p><button>&minus;</button> <button>+</button> <button disabled>off</button>\n"
	"<input type=\"text\" value=\"text\"> <input type=\"checkbox\" checked>\n"
	"<input type=\"radio\" checked> <input type=\"range\">\n"
	"<select><option>one</option></select></p>\n"
	"<textarea rows=\"2\" cols=\"20\">notes</textarea>\n"
	"<p id=\"tick\">0</p>\n"
	"<script>\n"
	"let n = 0;\n"
	"function tick() {\n"
	"\tdocument.getElementById('tick').textContent = String(++n);\n"
	"\tif (n == 2) {\n"
	"\t\tconsole.log('" WARM_UP_DONE "');\n"
	"\t}\n"
	"\trequestAnimationFrame(tick);\n"
	"}\n"
	"addEventListener('load', () => requestAnimationFrame(tick));\n"
	"</script>\n"
	"</body></html>\n";

struct warm_up {
	bool drawn; /* the page said so */
	bool presented; /* a frame came after that */
	bool closed;
	char reason[128];
};

static void handle_frame(void *data, const uint8_t *rgba, uint32_t width, uint32_t height,
	uint32_t stride)
{
	struct warm_up *w = data;
	if (w->drawn) {
		w->presented = true;
	}
}

static void handle_console(void *data, int level, const char *message)
{
	struct warm_up *w = data;
	if (strcmp(message, WARM_UP_DONE) == 0) {
		w->drawn = true;
	} else {
		weft_log(WEFT_DEBUG, "warm-up page: %s", message);
	}
}

static void handle_closed(void *data, const char *reason)
{
	struct warm_up *w = data;
	w->closed = true;
	snprintf(w->reason, sizeof(w->reason), "%s", reason);
}

static const struct weft_webview_listener listener = {
	.frame = handle_frame,
	.console = handle_console,
	.closed = handle_closed,
};

/* The page, in a fresh directory under $TMPDIR (the sandbox's own /tmp). */
static char *write_page(struct weft_error *err)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = weft_strdup_printf("%s/weft-warm-up.XXXXXX",
		tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (dir == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	if (mkdtemp(dir) == NULL) {
		weft_error_errno(err, "mkdtemp %s", dir);
		free(dir);
		return NULL;
	}
	char *path = weft_path_join(dir, "index.html");
	int fd = path != NULL ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
	bool ok = fd >= 0 && weft_write_all(fd, page, sizeof(page) - 1);
	if (!ok) {
		weft_error_errno(err, "write %s", path != NULL ? path : dir);
	}
	if (fd >= 0 && close(fd) != 0 && ok) {
		weft_error_errno(err, "close %s", path);
		ok = false;
	}
	if (!ok) {
		if (path != NULL) {
			unlink(path);
		}
		rmdir(dir);
		free(dir);
		dir = NULL;
	}
	free(path);
	return dir;
}

static void remove_page(char *dir)
{
	char *path = weft_path_join(dir, "index.html");
	if (path != NULL) {
		unlink(path);
	}
	rmdir(dir);
	free(path);
	free(dir);
}

bool app_warm_up(struct weft_webview_engine *engine, int signal_fd, int deadline_ms,
	struct weft_error *err)
{
	char *dir = write_page(err);
	if (dir == NULL) {
		return false;
	}
	bool ok = false;
	struct warm_up w = { 0 };
	struct weft_webview *view = NULL;
	if (!weft_webview_engine_serve_app(engine, WARM_UP_APP_ID, dir)) {
		weft_error_set(err, "cannot serve %s", dir);
		goto out;
	}
	struct weft_webview_options options = {
		.width = WARM_UP_WIDTH,
		.height = WARM_UP_HEIGHT,
		.scale = 1,
		.app_id = WARM_UP_APP_ID,
		.url = WARM_UP_URL,
		.listener = &listener,
		.data = &w,
	};
	view = weft_webview_create(engine, &options);
	if (view == NULL) {
		weft_error_set(err, "cannot create the web view");
		goto out;
	}
	int64_t deadline = weft_now_ms() + deadline_ms;
	while (!w.presented) {
		if (w.closed) {
			weft_error_set(err, "the warm-up page %s", w.reason);
			goto out;
		}
		int64_t left = deadline - weft_now_ms();
		if (left <= 0) {
			weft_error_set(err, "the warm-up page was not drawn within %d ms",
				deadline_ms);
			goto out;
		}
		struct pollfd fds[] = {
			{ weft_webview_engine_get_fd(engine), POLLIN, 0 },
			{ signal_fd, POLLIN, 0 },
		};
		if (poll(fds, 2, (int)left) < 0) {
			if (errno == EINTR) {
				continue;
			}
			weft_error_errno(err, "poll");
			goto out;
		}
		if (fds[1].revents & POLLIN) {
			weft_error_set(err, "stopped before the warm-up page was drawn");
			goto out;
		}
		if (fds[0].revents & POLLIN) {
			weft_webview_engine_dispatch(engine);
		}
	}
	ok = true;
out:
	weft_webview_destroy(view);
	remove_page(dir);
	return ok;
}
