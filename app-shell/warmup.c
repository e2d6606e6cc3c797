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
#define WARM_UP_URL "weft-app://" WARM_UP_APP_ID "/"
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
 * Each page changes a number every animation frame from its load event on,
 * so frames keep coming; it says it is drawn at the second, and the first
 * frame presented after that message has everything on it.
 */
#define TICK_SCRIPT \
	"<p id=\"tick\">0</p>\n" \
	"<script>\n" \
	"let n = 0;\n" \
	"function tick() {\n" \
	"\tdocument.getElementById('tick').textContent = String(++n);\n" \
	"\tif (n == 2) {\n" \
	"\t\tconsole.log('" WARM_UP_DONE "');\n" \
	"\t}\n" \
	"\trequestAnimationFrame(tick);\n" \
	"}\n" \
	"addEventListener('load', () => requestAnimationFrame(tick));\n" \
	"</script>\n"

/*
 * What app pages draw, all on one page. WebRender compiles a shader the
 * first time a frame needs it, and llvmpipe a variant of it for the state
 * it is drawn with, which includes the sizes of WebRender's data textures
 * (whether they are powers of two), and those grow with what a frame
 * draws. So the small pages below follow, each in a view of its own as an
 * app's first page is, with what a small app page draws.
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
	"<textarea rows=\"2\" cols=\"20\">notes</textarea>\n" TICK_SCRIPT "</body></html>\n";

#define SMALL_PAGE(body) \
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>\n" \
	":root { color-scheme: light dark; font-family: \"DejaVu Sans\", sans-serif; }\n" \
	".center { min-height: 90vh; display: flex; align-items: center; " \
	"justify-content: center; text-align: center; }\n" \
	"</style></head><body>\n" body "\n" TICK_SCRIPT "</body></html>\n"

static const char *const small_pages[] = {
	SMALL_PAGE("<button>Reset</button>"),
	SMALL_PAGE("<div style=\"width: 100px; height: 50px; background: #d32f2f\"></div>"),
	SMALL_PAGE("<div style=\"width: 100px; height: 50px; border: 2px solid #333; "
		   "border-radius: 4px\"></div>"),
	SMALL_PAGE("<output style=\"font-size: 32px; opacity: 0.6\">connecting…</output>"),
	SMALL_PAGE("<div class=\"center\"><main><b style=\"font-size: 96px\">0</b><br>"
		   "<button>&minus;</button> <button>Reset</button> <button>+</button>"
		   "</main></div>"),
	SMALL_PAGE("<textarea rows=\"10\" cols=\"40\">notes</textarea><br>"
		   "<input type=\"text\" value=\"title\"> <button>Save</button>"),
	SMALL_PAGE("<img alt=\"\" style=\"width: 64px\" src=\"" WARM_UP_PNG "\">"),
	SMALL_PAGE("<div style=\"width: 200px; height: 40px; "
		   "background: linear-gradient(#fff, #888)\"></div>"),
	SMALL_PAGE("<div style=\"width: 200px; height: 80px; border-radius: 8px; "
		   "box-shadow: 0 2px 6px rgba(0, 0, 0, 0.4)\">card</div>"),
};

#define NPAGES (1 + sizeof(small_pages) / sizeof(small_pages[0]))

/*
 * --prewarm: the spare's page, built in (nothing of any app): the first
 * screen of a small app in the UI kit's look, text in the UI font at the
 * sizes pages use, buttons. Drawn, it leaves Servo's fonts, style and
 * layout warm and, in the renderer the app's view takes over, the shaders,
 * glyphs and textures such a page needs, and little more, because that
 * renderer keeps what the page made it allocate: so no box-shadow (no first
 * screen of the demo apps or the UI kit has one), whose blur WebRender
 * draws through render targets (two R8 2048x2048 and one R8 1024x1024)
 * that its render-target pool keeps, 11 MB more in every adopted app; and
 * all of it in the view's top-left 1024x512, one of WebRender's picture
 * tiles, each tile with something on it being a texture of its own (2 MiB
 * and a depth buffer) that the app's view does not reuse. It says it is
 * drawn two animation frames after its load event, then stays still.
 */
static const char spare_page[] =
	"<!DOCTYPE html>\n"
	"<html><head><meta charset=\"utf-8\"><style>\n"
	":root { color-scheme: light dark; font-family: \"DejaVu Sans\", sans-serif; }\n"
	"body { margin: 0; width: 1000px; height: 500px; display: flex; align-items: center; "
	"justify-content: center; }\n"
	"main { text-align: center; }\n"
	".n { display: block; font-size: 96px; font-weight: bold; }\n"
	".c { font-size: 32px; opacity: 0.6; }\n"
	"button, .k { font: inherit; font-size: 24px; min-width: 72px; padding: 8px 16px; "
	"margin: 0 6px; border: 1px solid #aab1bf; border-radius: 8px; background: #f4f5f7; "
	"color: #16181d; }\n"
	".k { display: inline-block; background: #1f5fbf; color: #fff; }\n"
	"p { font-size: 16px; } small { font-size: 13px; } h1 { font-size: 20px; }\n"
	"</style></head><body><main>\n"
	"<span class=\"n\">0123456789</span><output class=\"c\">connecting…</output>\n"
	"<h1>The quick brown fox</h1>\n"
	"<p>jumps over the lazy dog. THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG.</p>\n"
	"<p><b>Bold</b> <i>italic</i> <small>0123456789 "
	"+−×÷=%.,:;!?()[]/@#&amp;-_'\"</small></p>\n"
	"<button>−</button><button>Reset</button><button>+</button><span class=\"k\">OK</span>\n"
	"</main><script>\n"
	"addEventListener('load', () => requestAnimationFrame(() => requestAnimationFrame(\n"
	"\t() => console.log('" WARM_UP_DONE "'))));\n"
	"</script></body></html>\n";

char *app_spare_page_url(void)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char scheme[] = "data:text/html;charset=utf-8,";
	size_t len = strlen(spare_page);
	char *url = malloc(sizeof(scheme) + len * 3);
	if (url == NULL) {
		return NULL;
	}
	memcpy(url, scheme, sizeof(scheme) - 1);
	char *p = url + sizeof(scheme) - 1;
	for (const unsigned char *s = (const unsigned char *)spare_page; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || strchr("-._~", *s)) {
			*p++ = (char)*s;
		} else {
			*p++ = '%';
			*p++ = hex[*s >> 4];
			*p++ = hex[*s & 15];
		}
	}
	*p = '\0';
	return url;
}

bool app_spare_page_drawn(const char *message)
{
	return strcmp(message, WARM_UP_DONE) == 0;
}

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

/* The text of page i: 0 is the big one. */
static const char *page_text(size_t i)
{
	return i == 0 ? page : small_pages[i - 1];
}

/* Page i's file name, "N.html", into buf. */
static void page_name(char *buf, size_t size, size_t i)
{
	snprintf(buf, size, "%zu.html", i);
}

static void remove_pages(char *dir)
{
	for (size_t i = 0; i < NPAGES; i++) {
		char name[32];
		page_name(name, sizeof(name), i);
		char *path = weft_path_join(dir, name);
		if (path != NULL) {
			unlink(path);
		}
		free(path);
	}
	rmdir(dir);
	free(dir);
}

/* The pages, in a fresh directory under $TMPDIR (the sandbox's own /tmp). */
static char *write_pages(struct weft_error *err)
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
	bool ok = true;
	for (size_t i = 0; ok && i < NPAGES; i++) {
		char name[32];
		page_name(name, sizeof(name), i);
		char *path = weft_path_join(dir, name);
		int fd = path != NULL ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
				      : -1;
		const char *text = page_text(i);
		ok = fd >= 0 && weft_write_all(fd, text, strlen(text));
		if (!ok) {
			weft_error_errno(err, "write %s", path != NULL ? path : dir);
		}
		if (fd >= 0 && close(fd) != 0 && ok) {
			weft_error_errno(err, "close %s", path);
			ok = false;
		}
		free(path);
	}
	if (!ok) {
		remove_pages(dir);
		return NULL;
	}
	return dir;
}

/* Shows page i in a new view until it is drawn and presented. */
static bool show_page(struct weft_webview_engine *engine, size_t i, int signal_fd,
	int64_t deadline, struct weft_error *err)
{
	char name[32];
	page_name(name, sizeof(name), i);
	char *url = weft_strdup_printf(WARM_UP_URL "%s", name);
	if (url == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	struct warm_up w = { 0 };
	struct weft_webview_options options = {
		.width = WARM_UP_WIDTH,
		.height = WARM_UP_HEIGHT,
		.scale = 1,
		.app_id = WARM_UP_APP_ID,
		.url = url,
		.listener = &listener,
		.data = &w,
	};
	struct weft_webview *view = weft_webview_create(engine, &options);
	bool ok = false;
	if (view == NULL) {
		weft_error_set(err, "cannot create the web view");
		goto out;
	}
	while (!w.presented) {
		if (w.closed) {
			weft_error_set(err, "the warm-up page %s %s", name, w.reason);
			goto out;
		}
		int64_t left = deadline - weft_now_ms();
		if (left <= 0) {
			weft_error_set(err, "the warm-up page %s was not drawn in time", name);
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
			weft_error_set(err, "stopped before the warm-up pages were drawn");
			goto out;
		}
		if (fds[0].revents & POLLIN) {
			weft_webview_engine_dispatch(engine);
		}
	}
	ok = true;
out:
	weft_webview_destroy(view);
	free(url);
	return ok;
}

bool app_warm_up(struct weft_webview_engine *engine, int signal_fd, int deadline_ms,
	struct weft_error *err)
{
	char *dir = write_pages(err);
	if (dir == NULL) {
		return false;
	}
	bool ok = weft_webview_engine_serve_app(engine, WARM_UP_APP_ID, dir);
	if (!ok) {
		weft_error_set(err, "cannot serve %s", dir);
	}
	int64_t deadline = weft_now_ms() + deadline_ms;
	for (size_t i = 0; ok && i < NPAGES; i++) {
		ok = show_page(engine, i, signal_fd, deadline, err);
	}
	remove_pages(dir);
	return ok;
}
