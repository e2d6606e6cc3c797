/*
 * weft-app-shell: one app's HTML UI, rendered by Servo in this process and
 * shown in a Wayland window; it relays messages between the page's weftIpc
 * and the app's component over the IPC fd (design §1, §7).
 *
 * Exits 0 when the window is closed, the IPC peer hangs up or SIGTERM
 * arrives; otherwise prints one line saying what failed and exits 1.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "adopt.h"
#include "input.h"
#include "loop.h"
#include "relay.h"
#include "view-input.h"
#include "warmup.h"
#include "weft/app_id.h"
#include "weft/log.h"
#include "weft/manifest.h"
#include "weft/programs.h"
#include "weft/sandbox-seccomp.h"
#include "weft/webview.h"
#include "window.h"

/* Servo's shutdown gets this long before the process just leaves. */
#define SHUTDOWN_SECONDS 5
/* The throwaway view of a prewarmed shell, and how long its page may
 * take before the shell says it is ready anyway. */
#define WARM_WIDTH 1280
#define WARM_HEIGHT 720
#define WARM_TIMEOUT_MS 3000
/* --warm-up: how long its page may take to be drawn. */
#define WARM_UP_TIMEOUT_MS 60000

enum renderer { RENDERER_AUTO, RENDERER_GPU, RENDERER_SOFTWARE };

/* The spare's page (--prewarm), in order. */
enum warm_state {
	WARM_LOADING,
	WARM_DRAWN, /* the page said it is drawn */
	WARM_HIDING, /* a frame had it all; now hidden, until a frame without it */
	WARM_DONE,
};

struct app {
	const char *package_dir;
	char *kit_dir; /* the UI kit, served at /.weft/kit/ of the app */
	struct app_adoption adoption; /* --prewarm: what appd gave us */
	enum renderer renderer;
	struct weft_manifest *manifest;
	char *url;

	struct app_window *window;
	struct app_input *input;
	struct app_relay *relay;
	struct weft_webview_engine *engine;
	struct weft_webview *view;
	/* --prewarm: the throwaway view of the spare's page, until the app's
	 * view has taken over its renderer. */
	struct weft_webview *warm_view;
	enum warm_state warm;
	bool loaded; /* the app's page finished loading */
	int signal_fd;

	bool running;
	int status;
	struct weft_error error; /* why status is non-zero */
};

/* Read by the SIGALRM handler that cuts a hung shutdown short. */
static volatile sig_atomic_t final_status;

static void stop(struct app *app, int status, const char *fmt, ...) WEFT_PRINTF(3, 4);

static void stop(struct app *app, int status, const char *fmt, ...)
{
	if (!app->running) {
		return;
	}
	app->running = false;
	app->status = status;
	if (fmt) {
		va_list args;
		va_start(args, fmt);
		vsnprintf(app->error.msg, sizeof(app->error.msg), fmt, args);
		va_end(args);
	}
}

static void handle_engine_log(void *data, int level, const char *message)
{
	_weft_log((enum weft_log_level)level, "%s", message);
}

static void view_handle_frame(void *data, const uint8_t *rgba, uint32_t width, uint32_t height,
	uint32_t stride)
{
	struct app *app = data;
	struct weft_error err = { 0 };
	if (rgba == NULL) {
		return; /* the view committed it to our surface itself */
	}
	/* B, G, R, A: the view was made with bgra (start_view). */
	if (!app_window_present_bgra(app->window, rgba, width, height, stride, &err)) {
		weft_log(WEFT_WARN, "dropped a frame: %s", err.msg);
	}
}

static void view_handle_load_status(void *data, int status)
{
	struct app *app = data;
	if (status == WEFT_WEBVIEW_LOAD_COMPLETE) {
		app->loaded = true;
		weft_log(WEFT_INFO, "loaded %s", app->url);
	}
}

static void view_handle_console(void *data, int level, const char *message)
{
	_weft_log((enum weft_log_level)level, "console: %s", message);
}

static void view_handle_ipc_message(void *data, const char *message, size_t len)
{
	struct app *app = data;
	struct weft_error err = { 0 };
	if (!app->relay) {
		return;
	}
	if (!app_relay_send(app->relay, message, len, &err)) {
		stop(app, 1, "IPC: %s", err.msg);
	}
}

static void view_handle_closed(void *data, const char *reason)
{
	struct app *app = data;
	if (strncmp(reason, "crashed", strlen("crashed")) == 0) {
		stop(app, 1, "the page %s", reason);
	} else {
		stop(app, 0, NULL);
	}
}

static const struct weft_webview_listener view_listener = {
	.frame = view_handle_frame,
	.load_status = view_handle_load_status,
	.console = view_handle_console,
	.ipc_message = view_handle_ipc_message,
	.closed = view_handle_closed,
};

static void relay_handle_message(void *data, const char *message, size_t len)
{
	struct app *app = data;
	weft_webview_post_message(app->view, message, len);
}

static const struct app_relay_listener relay_listener = {
	.message = relay_handle_message,
};

static void window_handle_configure(void *data, int32_t width, int32_t height, int32_t scale)
{
	struct app *app = data;
	if (weft_webview_renders_to_surface(app->view)) {
		wl_surface_set_buffer_scale(app_window_get_surface(app->window), scale);
	}
	if (app->view) {
		weft_webview_resize(app->view, (uint32_t)(width * scale),
			(uint32_t)(height * scale), scale);
	}
}

static void window_handle_close(void *data)
{
	struct app *app = data;
	stop(app, 0, NULL);
}

static void window_handle_seat(void *data, struct wl_seat *seat, struct wl_surface *surface)
{
	struct app *app = data;
	struct weft_error err = { 0 };
	if (app->input) {
		/* One seat is all a kiosk-like app window needs. */
		wl_seat_destroy(seat);
		return;
	}
	app->input = app_input_create(seat, surface, &app_view_input_listener, &app->view, &err);
	if (!app->input) {
		weft_log(WEFT_WARN, "no input: %s", err.msg);
	}
}

static const struct app_window_listener window_listener = {
	.configure = window_handle_configure,
	.close = window_handle_close,
	.seat = window_handle_seat,
};

/* weft-app://<id>/<entry>, the entry percent-encoded where a URL needs it. */
static char *entry_url(const char *app_id, const char *entry)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(entry);
	char *path = malloc(len * 3 + 1);
	if (!path) {
		return NULL;
	}
	char *p = path;
	for (const unsigned char *s = (const unsigned char *)entry; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || strchr("-._~/", *s)) {
			*p++ = (char)*s;
		} else {
			*p++ = '%';
			*p++ = hex[*s >> 4];
			*p++ = hex[*s & 15];
		}
	}
	*p = '\0';
	char *url = weft_strdup_printf("weft-app://%s/%s", app_id, path);
	free(path);
	return url;
}

static bool load_manifest(struct app *app, const char *want_id, struct weft_error *err)
{
	char *path = weft_path_join(app->package_dir, WEFT_MANIFEST_FILE);
	if (!path) {
		weft_error_set(err, "out of memory");
		return false;
	}
	struct weft_diags diags;
	weft_diags_init(&diags);
	app->manifest = weft_manifest_load(path, &diags);
	if (!app->manifest) {
		const char *first = "invalid manifest";
		for (size_t i = 0; i < diags.len; i++) {
			if (diags.items[i].severity == WEFT_DIAG_ERROR) {
				first = diags.items[i].msg;
				break;
			}
		}
		weft_error_set(err, "%s", first);
	}
	weft_diags_finish(&diags);
	free(path);
	if (!app->manifest) {
		return false;
	}
	if (want_id && strcmp(want_id, app->manifest->id) != 0) {
		weft_error_set(err, "--app-id %s does not match the package's id %s", want_id,
			app->manifest->id);
		return false;
	}
	app->url = entry_url(app->manifest->id, app->manifest->ui_entry);
	if (!app->url) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return true;
}

static bool parse_fd(const char *option, const char *arg, int *fd, struct weft_error *err)
{
	long value;
	if (!weft_parse_long(arg, 0, INT_MAX, &value)) {
		weft_error_set(err, "%s: not a file descriptor: %s", option, arg);
		return false;
	}
	int type = 0;
	socklen_t len = sizeof(type);
	if (getsockopt((int)value, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		weft_error_errno(err, "%s %ld", option, value);
		return false;
	}
	if (type != SOCK_SEQPACKET) {
		weft_error_set(err, "%s %ld is not a SOCK_SEQPACKET socket", option, value);
		return false;
	}
	*fd = (int)value;
	return true;
}

/* auto: through EGL when the machine has a GPU (a DRM render node); without
 * one, Servo's own software path into shm buffers. */
static bool use_gpu(enum renderer renderer)
{
	if (renderer != RENDERER_AUTO) {
		return renderer == RENDERER_GPU;
	}
	glob_t nodes;
	bool found = glob("/dev/dri/renderD*", 0, NULL, &nodes) == 0;
	if (found) {
		globfree(&nodes);
	}
	return found;
}

static bool parse_renderer(const char *arg, enum renderer *renderer, struct weft_error *err)
{
	if (strcmp(arg, "auto") == 0) {
		*renderer = RENDERER_AUTO;
	} else if (strcmp(arg, "gpu") == 0) {
		*renderer = RENDERER_GPU;
	} else if (strcmp(arg, "software") == 0) {
		*renderer = RENDERER_SOFTWARE;
	} else {
		weft_error_set(err, "--renderer %s: not auto, gpu or software", arg);
		return false;
	}
	return true;
}

static bool start_engine(struct app *app, struct weft_error *err)
{
	/*
	 * The window has a Wayland connection of its own (a prewarmed shell
	 * gets it later, as WAYLAND_SOCKET, which libwayland reads before
	 * WAYLAND_DISPLAY). Servo renders offscreen, but surfman tries
	 * wl_display_connect(NULL) and X11 before Mesa's surfaceless platform
	 * (design §10), and so would take a WAYLAND_SOCKET still set; and
	 * libwayland falls back to $XDG_RUNTIME_DIR/wayland-0 when
	 * WAYLAND_DISPLAY is unset: name a socket that cannot exist instead, so
	 * that no second connection is made.
	 */
	setenv("WAYLAND_DISPLAY", "/dev/null/surfaceless", 1);
	unsetenv("WAYLAND_SOCKET");
	unsetenv("DISPLAY");

	/* Servo's own diagnostics one level quieter than ours: its warnings
	 * (many, and mostly about itself) show from WEFT_LOG=info on. */
	int servo_level = (int)weft_log_get_level() - 1;
	struct weft_webview_engine_options engine_options = {
		.log = handle_engine_log,
		.log_level = servo_level > WEFT_ERROR ? servo_level : WEFT_ERROR,
	};
	app->engine = weft_webview_engine_create(&engine_options);
	if (!app->engine) {
		weft_error_set(err, "cannot start the web engine");
		return false;
	}
	/* An app without the kit still runs; its page says what it misses. */
	if (app->kit_dir != NULL && !weft_webview_engine_serve_kit(app->engine, app->kit_dir)) {
		weft_log(WEFT_WARN, "no UI kit at /.weft/kit/: cannot serve %s", app->kit_dir);
	}
	return true;
}

static bool start_view(struct app *app, struct weft_error *err)
{
	if (!app->engine && !start_engine(app, err)) {
		return false;
	}
	if (!weft_webview_engine_serve_app(app->engine, app->manifest->id, app->package_dir)) {
		weft_error_set(err, "cannot serve %s", app->package_dir);
		return false;
	}
	int32_t width, height, scale;
	app_window_get_size(app->window, &width, &height, &scale);
	struct weft_webview_options options = {
		.width = (uint32_t)(width * scale),
		.height = (uint32_t)(height * scale),
		.scale = scale,
		.app_id = app->manifest->id,
		.url = app->url,
		.listener = &view_listener,
		.data = app,
		/* wl_shm's own byte order: frames copied, not converted. */
		.bgra = true,
	};
	if (use_gpu(app->renderer)) {
		options.wl_display = app_window_get_display(app->window);
		options.wl_surface = app_window_get_surface(app->window);
		/* Applied by the first frame EGL commits. */
		wl_surface_set_buffer_scale(options.wl_surface, scale);
	} else {
		/* A spare's renderer, warm from its page: WebRender's shaders,
		 * glyphs and textures are ready for the app's first frame. */
		options.renderer_of = app->warm_view;
	}
	app->view = weft_webview_create(app->engine, &options);
	/* The spare's page goes before anything is drawn again: from now on
	 * the renderer draws only the app's view. */
	weft_webview_destroy(app->warm_view);
	app->warm_view = NULL;
	if (!app->view) {
		weft_error_set(err, "cannot create the web view");
		return false;
	}
	weft_log(WEFT_INFO, "rendering %s%s",
		weft_webview_renders_to_surface(app->view) ? "through EGL into the window"
							   : "in software into shm buffers",
		options.renderer_of != NULL ? ", with the spare's renderer" : "");
	weft_webview_set_ipc_connected(app->view, app->relay != NULL);
	return true;
}

static void warm_handle_frame(void *data, const uint8_t *rgba, uint32_t width, uint32_t height,
	uint32_t stride)
{
	struct app *app = data;
	if (app->warm == WARM_DRAWN) {
		/* Drawn: hidden again, so that the renderer the app's view takes
		 * over has drawn a frame without it (weft_webview_options). */
		weft_webview_set_hidden(app->warm_view, true);
		app->warm = WARM_HIDING;
	} else if (app->warm == WARM_HIDING) {
		app->warm = WARM_DONE;
	}
}

static void warm_handle_console(void *data, int level, const char *message)
{
	struct app *app = data;
	if (app_spare_page_drawn(message)) {
		if (app->warm == WARM_LOADING) {
			app->warm = WARM_DRAWN;
		}
	} else {
		weft_log(WEFT_DEBUG, "prewarm page: %s", message);
	}
}

static const struct weft_webview_listener warm_listener = {
	.frame = warm_handle_frame,
	.console = warm_handle_console,
};

/*
 * --prewarm: Servo's engine, and a throwaway software view that draws a
 * page built in (warmup.h: Mesa, llvmpipe, WebRender's shaders, fonts,
 * glyphs, style and layout), before we know the app; then one adoption
 * message. The app's own view is made only after it, as for any shell,
 * because a view is confined to its app from its creation on (libweftview);
 * it takes over the throwaway view's renderer, which then goes (start_view).
 * Returns false on error; true with app->running false when told to stop
 * before anyone adopted us.
 */
static bool prewarm(struct app *app, int fd, struct weft_error *err)
{
	if (!start_engine(app, err)) {
		return false;
	}
	struct weft_webview_options options = {
		.width = WARM_WIDTH,
		.height = WARM_HEIGHT,
		.scale = 1,
		.listener = &warm_listener,
		.data = app,
	};
	char *url = app_spare_page_url();
	if (url == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	options.url = url;
	app->warm_view = weft_webview_create(app->engine, &options);
	free(url);
	if (!app->warm_view) {
		weft_log(WEFT_WARN, "prewarm: no throwaway view; adoptable anyway");
	}
	int64_t started = weft_now_ms();
	int64_t deadline = started + WARM_TIMEOUT_MS;
	bool said_ready = false;
	while (true) {
		if (!said_ready &&
			(app->warm == WARM_DONE || !app->warm_view || weft_now_ms() >= deadline)) {
			if (send(fd, APP_ADOPT_READY, strlen(APP_ADOPT_READY), MSG_NOSIGNAL) < 0) {
				weft_error_errno(err, "prewarm: say ready");
				return false;
			}
			said_ready = true;
			if (app->warm == WARM_DONE) {
				weft_log(WEFT_INFO, "prewarm: the spare's page drawn in %lld ms",
					(long long)(weft_now_ms() - started));
			} else if (app->warm_view) {
				weft_webview_set_hidden(app->warm_view, true);
				weft_log(WEFT_WARN,
					"prewarm: the spare's page not drawn in %d ms; "
					"adoptable anyway",
					WARM_TIMEOUT_MS);
			}
		}
		struct pollfd fds[] = {
			{ fd, POLLIN, 0 },
			{ app->signal_fd, POLLIN, 0 },
			{ weft_webview_engine_get_fd(app->engine), POLLIN, 0 },
		};
		/* Until ready, wake for the deadline too (not later than now). */
		int timeout = -1;
		if (!said_ready) {
			int64_t left = deadline - weft_now_ms();
			timeout = left > 0 ? (int)left : 0;
		}
		if (poll(fds, 3, timeout) < 0) {
			if (errno == EINTR) {
				continue;
			}
			weft_error_errno(err, "poll");
			return false;
		}
		if (fds[1].revents & POLLIN) {
			app->running = false;
			return true;
		}
		if (fds[2].revents & POLLIN) {
			weft_webview_engine_dispatch(app->engine);
		}
		if (fds[0].revents) {
			break;
		}
	}
	bool hangup;
	if (!app_adoption_recv(fd, &app->adoption, &hangup, err)) {
		if (hangup) {
			/* appd went away without us: nothing to show. */
			app->running = false;
			return true;
		}
		return false;
	}
	/* Joined before anything of the app runs, so that appd's signals to
	 * the session's group reach us (a sandboxed shell is given none). */
	if (app->adoption.pgid > 0 && setpgid(0, app->adoption.pgid) != 0) {
		weft_error_errno(err, "join process group %d", (int)app->adoption.pgid);
		return false;
	}
	if (app->adoption.wayland_fd < 0) {
		/* The seccomp filter allows no connect of our own. */
		weft_error_set(err, "prewarm: the adoption carried no Wayland connection");
		return false;
	}
	char value[16];
	snprintf(value, sizeof(value), "%d", app->adoption.wayland_fd);
	setenv("WAYLAND_SOCKET", value, 1);
	/* libwayland owns it from now on. */
	app->adoption.wayland_fd = -1;
	app->package_dir = app->adoption.package_dir;
	weft_log(WEFT_INFO, "adopted for %s, session %s", app->adoption.app_id,
		app->adoption.session);
	return true;
}

enum { POLL_WAYLAND, POLL_ENGINE, POLL_SIGNAL, POLL_RELAY, POLL_REPEAT, POLL_COUNT };

static void run(struct app *app)
{
	struct wl_display *display = app_window_get_display(app->window);
	struct pollfd fds[POLL_COUNT];
	while (app->running) {
		struct weft_error err = { 0 };
		if (!app_wayland_before_poll(display, &fds[POLL_WAYLAND], &err)) {
			stop(app, 1, "%s", err.msg);
			return;
		}
		fds[POLL_ENGINE] = (struct pollfd){ weft_webview_engine_get_fd(app->engine),
			POLLIN, 0 };
		fds[POLL_SIGNAL] = (struct pollfd){ app->signal_fd, POLLIN, 0 };
		fds[POLL_RELAY] = app->relay ? (struct pollfd){ app_relay_get_fd(app->relay),
			app_relay_poll_events(app->relay), 0 }
					     : (struct pollfd){ -1, 0, 0 };
		fds[POLL_REPEAT] = app->input
			? (struct pollfd){ app_input_get_repeat_fd(app->input), POLLIN, 0 }
			: (struct pollfd){ -1, 0, 0 };

		if (poll(fds, POLL_COUNT, -1) < 0) {
			wl_display_cancel_read(display);
			if (errno == EINTR) {
				continue;
			}
			stop(app, 1, "poll: %s", strerror(errno));
			return;
		}

		if (!app_wayland_after_poll(display, fds[POLL_WAYLAND].revents, &err)) {
			stop(app, 1, "%s", err.msg);
			return;
		}

		if (fds[POLL_ENGINE].revents & POLLIN) {
			weft_webview_engine_dispatch(app->engine);
		}
		if (fds[POLL_REPEAT].revents & POLLIN) {
			app_input_dispatch_repeat(app->input);
		}
		if (app->relay && fds[POLL_RELAY].revents) {
			bool hangup = false;
			err = (struct weft_error){ 0 };
			if (!app_relay_dispatch(app->relay, fds[POLL_RELAY].revents, &hangup,
				    &err)) {
				if (hangup) {
					stop(app, 0, NULL);
				} else {
					stop(app, 1, "IPC: %s", err.msg);
				}
			}
		}
		if (fds[POLL_SIGNAL].revents & POLLIN) {
			stop(app, 0, NULL);
		}
	}
}

static void handle_alarm(int sig)
{
	_exit(final_status);
}

static void teardown(struct app *app)
{
	final_status = app->status;
	if ((app->view != NULL && !app->loaded) || app->warm_view != NULL) {
		/* Servo's shutdown while a page is still loading can abort in
		 * SpiderMonkey (mozalloc_abort, then SIGSEGV: about one session in
		 * twelve terminated while starting). Nothing of the app-shell
		 * outlives it (its /tmp is the sandbox's, the app's data is the
		 * runtime's), so it leaves without that shutdown. */
		weft_log(WEFT_DEBUG, "leaving before the page finished loading");
		_exit(app->status);
	}
	signal(SIGALRM, handle_alarm);
	alarm(SHUTDOWN_SECONDS);
	weft_webview_destroy(app->warm_view);
	weft_webview_destroy(app->view);
	weft_webview_engine_destroy(app->engine);
	alarm(0);
	app_relay_destroy(app->relay);
	app_input_destroy(app->input);
	app_window_destroy(app->window);
	if (app->signal_fd >= 0) {
		close(app->signal_fd);
	}
	weft_manifest_destroy(app->manifest);
	free(app->url);
	free(app->kit_dir);
	app_adoption_finish(&app->adoption);
}

/*
 * Started by hand with WAYLAND_DISPLAY (appd always hands over a connected
 * fd): the filter allows no connect(), so connect now, before it, and hand
 * the connection on as WAYLAND_SOCKET. Nothing is sent on a new connection
 * until the first request, so the fd is as fresh as one appd would give.
 */
static bool connect_display_early(struct weft_error *err)
{
	if (getenv("WAYLAND_SOCKET") != NULL) {
		return true;
	}
	struct wl_display *display = wl_display_connect(NULL);
	if (display == NULL) {
		weft_error_errno(err, "cannot connect to the Wayland compositor");
		return false;
	}
	int fd = dup(wl_display_get_fd(display));
	wl_display_disconnect(display);
	if (fd < 0) {
		weft_error_errno(err, "dup the Wayland connection");
		return false;
	}
	char value[16];
	snprintf(value, sizeof(value), "%d", fd);
	setenv("WAYLAND_SOCKET", value, 1);
	return true;
}

/*
 * The app-shell's seccomp filter (libweftsandbox), before Servo, Mesa or
 * anything else starts a thread. Loaded with TSYNC: had a library's
 * constructor started a thread, it gets the filter too, or the load fails.
 */
static bool install_filter(struct weft_error *err)
{
	/* For the log: how many threads the filter had to be synced to (1 on
	 * this build: no linked library starts one before main). */
	long threads = 0;
	FILE *status = fopen("/proc/self/status", "re");
	if (status) {
		char line[128];
		while (fgets(line, sizeof(line), status)) {
			if (sscanf(line, "Threads: %ld", &threads) == 1) {
				break;
			}
		}
		fclose(status);
	}
	if (!weft_sandbox_seccomp_app_shell_install(err)) {
		return false;
	}
	weft_log(WEFT_DEBUG, "seccomp: the app-shell allowlist is in force (%ld thread%s)",
		threads, threads == 1 ? "" : "s");
	return true;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: weft-app-shell [--app-id ID] [--session S] [--ipc-fd N]\n"
		"                      [--renderer auto|gpu|software] [--no-seccomp]\n"
		"                      PACKAGE_DIR\n"
		"       weft-app-shell --prewarm N [--renderer auto|gpu|software]\n"
		"                      [--no-seccomp]\n"
		"       weft-app-shell --warm-up\n"
		"\n"
		"Shows the app's HTML UI, rendered by Servo, in a Wayland window.\n"
		"\n"
		"  --prewarm N     start Servo first, then wait on the SOCK_SEQPACKET\n"
		"                  socket N for the app, session and fds (weft-appd)\n"
		"  --warm-up       render a page built in that draws what app pages\n"
		"                  usually do, in software and with no window, then\n"
		"                  exit: fills Mesa's shader cache (weft-appd)\n"
		"  --app-id ID     the package's id must be ID\n"
		"  --session S     the appd session this shell belongs to (for logs)\n"
		"  --ipc-fd N      SOCK_SEQPACKET socket to the app's component\n"
		"  --renderer R    gpu: EGL into the window; software: SWGL into\n"
		"                  shm buffers; auto (default): gpu when there is a\n"
		"                  DRM render node, with software as the fallback\n"
		"  --no-seccomp    do not install the seccomp allowlist (measuring\n"
		"                  what it costs; weft-appd never passes it)\n"
		"  -h, --help      show this help\n");
}

int main(int argc, char *argv[])
{
	weft_log_init(argv[0], WEFT_WARN);

	static const struct option options[] = {
		{ "app-id", required_argument, NULL, 'a' },
		{ "session", required_argument, NULL, 's' },
		{ "ipc-fd", required_argument, NULL, 'i' },
		{ "renderer", required_argument, NULL, 'r' },
		{ "prewarm", required_argument, NULL, 'p' },
		{ "no-seccomp", no_argument, NULL, 'n' },
		{ "warm-up", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *want_id = NULL;
	const char *session = NULL;
	const char *ipc_arg = NULL;
	const char *renderer_arg = NULL;
	const char *prewarm_arg = NULL;
	bool seccomp = true;
	bool warm_up = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'a':
			want_id = optarg;
			break;
		case 's':
			session = optarg;
			break;
		case 'i':
			ipc_arg = optarg;
			break;
		case 'r':
			renderer_arg = optarg;
			break;
		case 'p':
			prewarm_arg = optarg;
			break;
		case 'n':
			seccomp = false;
			break;
		case 'w':
			warm_up = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	/* Adoption brings what the command line would have said. */
	bool prewarmed = prewarm_arg != NULL;
	/* --warm-up and --prewarm take no package and no app's options. */
	bool no_app = warm_up || prewarmed;
	bool app_options = want_id || session || ipc_arg;
	if (no_app ? optind != argc || app_options || (warm_up && prewarmed)
		   : optind + 1 != argc) {
		usage(stderr);
		return 1;
	}

	struct app app = {
		.package_dir = prewarmed ? NULL : argv[optind],
		.adoption = { .ipc_fd = -1, .wayland_fd = -1 },
		.signal_fd = -1,
		.running = true,
	};
	struct weft_error err = { 0 };
	int ipc_fd = -1;
	/* Before the seccomp filter: it finds the kit through /proc/self/exe. */
	app.kit_dir = weft_find_data_dir(NULL, "shell/kit");
	if ((!prewarmed && !warm_up && !connect_display_early(&err)) ||
		(seccomp && !install_filter(&err))) {
		weft_log(WEFT_ERROR, "%s", err.msg);
		free(app.kit_dir);
		return 1;
	}
	if (!seccomp) {
		weft_log(WEFT_WARN, "seccomp: no filter (--no-seccomp)");
	}
	/* A closed peer must be an error from send, not a signal. */
	signal(SIGPIPE, SIG_IGN);

	if (warm_up) {
		app.signal_fd = app_signal_fd_create(&err);
		if (app.signal_fd < 0 || !start_engine(&app, &err) ||
			!app_warm_up(app.engine, app.signal_fd, WARM_UP_TIMEOUT_MS, &err)) {
			goto fail;
		}
		/* Servo's and Mesa's teardown: Mesa writes the last of its
		 * shader cache when its screen goes. */
		teardown(&app);
		weft_log(WEFT_INFO, "warm-up: the page was drawn");
		return 0;
	}
	if (prewarmed) {
		int prewarm_fd;
		if (!parse_fd("--prewarm", prewarm_arg, &prewarm_fd, &err)) {
			goto fail;
		}
		app.signal_fd = app_signal_fd_create(&err);
		if (app.signal_fd < 0) {
			goto fail;
		}
		bool ok = prewarm(&app, prewarm_fd, &err);
		close(prewarm_fd);
		if (!ok) {
			goto fail;
		}
		if (!app.running) {
			teardown(&app);
			return 0;
		}
		want_id = app.adoption.app_id;
		session = app.adoption.session;
		ipc_fd = app.adoption.ipc_fd;
	}

	if (want_id && !weft_app_id_valid(want_id, &err)) {
		weft_error_prefix(&err, "--app-id %s", want_id);
		goto fail;
	}
	if (ipc_arg && !parse_fd("--ipc-fd", ipc_arg, &ipc_fd, &err)) {
		goto fail;
	}
	if (renderer_arg && !parse_renderer(renderer_arg, &app.renderer, &err)) {
		goto fail;
	}
	if (!load_manifest(&app, want_id, &err)) {
		weft_error_prefix(&err, "%s", app.package_dir);
		goto fail;
	}
	if (session) {
		weft_log(WEFT_INFO, "%s, session %s", app.manifest->id, session);
	}
	if (app.signal_fd < 0) {
		app.signal_fd = app_signal_fd_create(&err);
	}
	if (app.signal_fd < 0) {
		goto fail;
	}
	if (ipc_fd >= 0) {
		/* The relay owns it now. */
		app.adoption.ipc_fd = -1;
		app.relay = app_relay_create(ipc_fd, &relay_listener, &app, &err);
		if (!app.relay) {
			goto fail;
		}
	}
	app.window = app_window_create(app.manifest->id, app.manifest->name, &window_listener,
		&app, &err);
	if (!app.window || !app_window_wait_configured(app.window, &err)) {
		goto fail;
	}
	if (!start_view(&app, &err)) {
		goto fail;
	}

	run(&app);
	if (app.status != 0) {
		weft_log(WEFT_ERROR, "%s", app.error.msg);
	}
	teardown(&app);
	return app.status;

fail:
	weft_log(WEFT_ERROR, "%s", err.msg);
	app.status = 1;
	teardown(&app);
	return 1;
}
