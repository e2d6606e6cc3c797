/*
 * A stand-in for weft-app-shell, for appd's lifecycle tests when Servo is
 * not built. Same command line and channels as the real one:
 *
 *   weft-app-shell [--app-id ID] [--session S] [--ipc-fd N] PACKAGE_DIR
 *
 * with its Wayland connection in WAYLAND_SOCKET. It makes one zweft
 * `application` window filled with STANDIN_WAITING, asks the component
 * "get" over the IPC fd, and fills the window with STANDIN_CONNECTED once
 * the component has answered, so a screenshot shows the whole path worked.
 * Like the real one it exits 0 when its window is closed, the IPC peer
 * hangs up or SIGTERM arrives, and 1 with a line on stderr otherwise.
 *
 * With WEFT_STANDIN_PREWARM=1 it also takes the real one's --prewarm FD:
 * it says READY on FD, waits for appd's adoption message
 * (app-shell/adopt.h) and goes on as if started with what it carries.
 * Without it, --prewarm is refused, so that appd keeps no spare. A spare
 * with a Mesa shader cache (MESA_SHADER_CACHE_DIR) tries to plant an entry
 * in it first, as code injected into a renderer would, and says how that
 * went on stderr.
 *
 * --warm-up does what the real one's leaves behind: it writes an entry
 * into $MESA_SHADER_CACHE_DIR/mesa_shader_cache and exits 0
 * (WEFT_STANDIN_WARM_UP_EXIT=N: exits N at once instead).
 *
 * For tests: WEFT_STANDIN_NO_FRAME=1 never draws (the session never gets
 * its first frame); WEFT_STANDIN_EXIT=N exits with N at once;
 * WEFT_STANDIN_SAY=TEXT writes TEXT to stderr first;
 * WEFT_STANDIN_RELAY=PATH connects to the SOCK_SEQPACKET socket at PATH and
 * relays messages between it and the component instead of asking "get",
 * so that a test can play the page.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wayland-client.h>

#include "adopt.h"
#include "weft/ipc.h"
#include "weft/manifest.h"
#ifdef STANDIN_SECCOMP
#include "weft/sandbox-seccomp.h"
#endif
#include "zweft-shell-unstable-v1-client-protocol.h"

#define STANDIN_WAITING 0xff404040u
#define STANDIN_CONNECTED 0xff20a040u

struct standin {
	const char *app_id;
	int ipc_fd;
	int relay_fd; /* -1 unless WEFT_STANDIN_RELAY */
	bool no_frame;

	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct zweft_shell_manager_v1 *manager;
	struct wl_surface *surface;
	struct zweft_shell_window_v1 *window;
	int32_t width, height;
	uint32_t color;
	struct wl_buffer *buffers[8]; /* not yet released */

	bool running;
	int status;
};

__attribute__((format(printf, 3, 4))) static void stop(struct standin *st, int status,
	const char *fmt, ...)
{
	if (!st->running) {
		return;
	}
	st->running = false;
	st->status = status;
	if (fmt != NULL) {
		va_list args;
		va_start(args, fmt);
		fputs("weft-app-shell (stand-in): ", stderr);
		vfprintf(stderr, fmt, args);
		fputc('\n', stderr);
		va_end(args);
	}
}

static void buffer_release(void *data, struct wl_buffer *buffer)
{
	struct standin *st = data;
	for (size_t i = 0; i < sizeof(st->buffers) / sizeof(st->buffers[0]); i++) {
		if (st->buffers[i] == buffer) {
			st->buffers[i] = NULL;
		}
	}
	wl_buffer_destroy(buffer);
}

static const struct wl_buffer_listener buffer_listener = { .release = buffer_release };

static void draw(struct standin *st)
{
	if (st->no_frame || st->window == NULL || st->width <= 0 || st->height <= 0) {
		return;
	}
	int stride = st->width * 4;
	size_t size = (size_t)stride * st->height;
	int fd = memfd_create("standin", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		stop(st, 1, "shm: %s", strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return;
	}
	uint32_t *px = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (px == MAP_FAILED) {
		stop(st, 1, "mmap: %s", strerror(errno));
		close(fd);
		return;
	}
	for (size_t i = 0; i < size / 4; i++) {
		px[i] = st->color;
	}
	munmap(px, size);
	struct wl_shm_pool *pool = wl_shm_create_pool(st->shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, st->width, st->height,
		stride, WL_SHM_FORMAT_ARGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	size_t slot = 0;
	while (slot < sizeof(st->buffers) / sizeof(st->buffers[0]) && st->buffers[slot] != NULL) {
		slot++;
	}
	if (slot == sizeof(st->buffers) / sizeof(st->buffers[0])) {
		/* The compositor holds them all; skip this frame. */
		wl_buffer_destroy(buffer);
		return;
	}
	st->buffers[slot] = buffer;
	wl_buffer_add_listener(buffer, &buffer_listener, st);
	wl_surface_attach(st->surface, buffer, 0, 0);
	wl_surface_damage(st->surface, 0, 0, st->width, st->height);
	wl_surface_commit(st->surface);
}

static void handle_configure(void *data, struct zweft_shell_window_v1 *window, int32_t x,
	int32_t y, int32_t width, int32_t height, uint32_t state)
{
	struct standin *st = data;
	if (width != st->width || height != st->height) {
		st->width = width;
		st->height = height;
		draw(st);
	}
}

static void handle_focus_changed(void *data, struct zweft_shell_window_v1 *window,
	uint32_t focused)
{
}

static void handle_window_closed(void *data, struct zweft_shell_window_v1 *window)
{
	stop(data, 0, NULL);
}

static void handle_presentation_feedback(void *data, struct zweft_shell_window_v1 *window,
	uint32_t tv_sec, uint32_t tv_nsec, uint32_t refresh)
{
}

static void handle_navigation_gesture(void *data, struct zweft_shell_window_v1 *window,
	uint32_t type, uint32_t fingers, wl_fixed_t dx, wl_fixed_t dy)
{
}

static const struct zweft_shell_window_v1_listener window_listener = {
	.configure = handle_configure,
	.focus_changed = handle_focus_changed,
	.window_closed = handle_window_closed,
	.presentation_feedback = handle_presentation_feedback,
	.navigation_gesture = handle_navigation_gesture,
};

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct standin *st = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		st->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		st->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, zweft_shell_manager_v1_interface.name) == 0) {
		st->manager = wl_registry_bind(registry, name, &zweft_shell_manager_v1_interface,
			2);
	}
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

static bool open_window(struct standin *st)
{
	st->display = wl_display_connect(NULL);
	if (st->display == NULL) {
		stop(st, 1, "cannot connect to the compositor");
		return false;
	}
	struct wl_registry *registry = wl_display_get_registry(st->display);
	wl_registry_add_listener(registry, &registry_listener, st);
	wl_display_roundtrip(st->display);
	wl_registry_destroy(registry);
	if (st->compositor == NULL || st->shm == NULL || st->manager == NULL) {
		stop(st, 1, "the compositor offers no zweft_shell_manager_v1 to us");
		return false;
	}
	st->surface = wl_compositor_create_surface(st->compositor);
	st->window = zweft_shell_manager_v1_create_window(st->manager, st->app_id, "stand-in",
		"application", st->surface, 0, 0, 0, 0);
	zweft_shell_window_v1_add_listener(st->window, &window_listener, st);
	wl_display_flush(st->display);
	return true;
}

static void handle_ipc(struct standin *st)
{
	static char buf[WEFT_MSG_MAX];
	ssize_t n = recv(st->ipc_fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return;
	}
	if (n <= 0) {
		stop(st, 0, NULL); /* the component is gone */
		return;
	}
	struct weft_error err = { 0 };
	if (st->relay_fd >= 0 && !weft_ipc_send(st->relay_fd, buf, (size_t)n, NULL, 0, &err)) {
		stop(st, 1, "relay: %s", err.msg);
		return;
	}
	if (st->color != STANDIN_CONNECTED) {
		st->color = STANDIN_CONNECTED;
		draw(st);
	}
}

/* What the test (the page) says goes to the component as it is. */
static void handle_relay(struct standin *st)
{
	static char buf[WEFT_MSG_MAX];
	ssize_t n = recv(st->relay_fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return;
	}
	if (n <= 0) {
		stop(st, 0, NULL); /* the test is done */
		return;
	}
	struct weft_error err = { 0 };
	if (!weft_ipc_send(st->ipc_fd, buf, (size_t)n, NULL, 0, &err)) {
		stop(st, 1, "IPC: %s", err.msg);
	}
}

static int parse_fd(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return end != s && *end == '\0' && v >= 0 && v < 65536 ? (int)v : -1;
}

/* Writes name into Mesa's cache directory, as Mesa would; 0 or an errno. */
static int write_cache_entry(const char *name, char *path, size_t size)
{
	const char *dir = getenv("MESA_SHADER_CACHE_DIR");
	if (dir == NULL) {
		return ENOENT;
	}
	snprintf(path, size, "%s/mesa_shader_cache", dir);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		return errno;
	}
	snprintf(path, size, "%s/mesa_shader_cache/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		return errno;
	}
	int rc = write(fd, name, strlen(name)) < 0 ? errno : 0;
	close(fd);
	return rc;
}

static int standin_warm_up(void)
{
	const char *exit_now = getenv("WEFT_STANDIN_WARM_UP_EXIT");
	if (exit_now != NULL) {
		return atoi(exit_now);
	}
	char path[4096];
	int rc = write_cache_entry("warm-up", path, sizeof(path));
	if (rc != 0) {
		fprintf(stderr, "weft-app-shell (stand-in): warm-up: %s: %s\n", path,
			strerror(rc));
		return 1;
	}
	fprintf(stderr, "weft-app-shell (stand-in): warmed up %s\n", path);
	return 0;
}

/* What an exploited spare would do to poison other apps' renderers. */
static void plant_shader(void)
{
	char path[4096];
	if (getenv("MESA_SHADER_CACHE_DIR") == NULL) {
		return;
	}
	int rc = write_cache_entry("planted", path, sizeof(path));
	fprintf(stderr, "weft-app-shell (stand-in): planted %s: %s\n", path,
		rc == 0 ? "written" : strerror(rc));
}

static bool install_filter(void)
{
#ifdef STANDIN_SECCOMP
	struct weft_error err = { 0 };
	if (!weft_sandbox_seccomp_app_shell_install(&err)) {
		fprintf(stderr, "weft-app-shell (stand-in): %s\n", err.msg);
		return false;
	}
#endif
	return true;
}

static int standin_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "app-id", required_argument, NULL, 'a' },
		{ "session", required_argument, NULL, 's' },
		{ "ipc-fd", required_argument, NULL, 'i' },
		{ "prewarm", required_argument, NULL, 'p' },
		{ "warm-up", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct standin st = {
		.ipc_fd = -1,
		.relay_fd = -1,
		.color = STANDIN_WAITING,
		.running = true,
	};
	const char *want_id = NULL;
	int prewarm_fd = -1;
	bool warm_up = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'a':
			want_id = optarg;
			break;
		case 's':
			break;
		case 'i':
			st.ipc_fd = parse_fd(optarg);
			if (st.ipc_fd < 0) {
				fprintf(stderr, "weft-app-shell (stand-in): bad --ipc-fd %s\n",
					optarg);
				return 1;
			}
			break;
		case 'p':
			prewarm_fd = parse_fd(optarg);
			if (getenv("WEFT_STANDIN_PREWARM") == NULL || prewarm_fd < 0) {
				fprintf(stderr,
					"weft-app-shell (stand-in): no --prewarm without "
					"WEFT_STANDIN_PREWARM=1\n");
				return 1;
			}
			break;
		case 'w':
			warm_up = true;
			break;
		case 'h':
			puts("usage: weft-app-shell [--app-id ID] [--session S] [--ipc-fd N] "
			     "PACKAGE_DIR");
			return 0;
		default:
			return 1;
		}
	}
	/* It connects to nothing, as the real one's warm-up. */
	if (warm_up) {
		return install_filter() ? standin_warm_up() : 1;
	}
	/*
	 * The real one's seccomp filter, installed as early: it allows no
	 * socket() or connect(), so what this stand-in connects to by path (the
	 * test's relay, a WAYLAND_DISPLAY when started by hand) is connected
	 * first, as the real one connects its WAYLAND_DISPLAY.
	 */
	const char *relay = getenv("WEFT_STANDIN_RELAY");
	const char *relay_error = NULL;
	struct weft_error relay_err = { 0 };
	if (relay != NULL && (st.relay_fd = weft_ipc_connect(relay, &relay_err)) < 0) {
		relay_error = relay_err.msg;
	}
	if (prewarm_fd < 0 && getenv("WAYLAND_SOCKET") == NULL &&
		getenv("WAYLAND_DISPLAY") != NULL) {
		struct wl_display *display = wl_display_connect(NULL);
		int fd = display != NULL ? dup(wl_display_get_fd(display)) : -1;
		if (display != NULL) {
			wl_display_disconnect(display);
		}
		if (fd < 0) {
			fprintf(stderr, "weft-app-shell (stand-in): cannot connect to %s\n",
				getenv("WAYLAND_DISPLAY"));
			return 1;
		}
		char value[16];
		snprintf(value, sizeof(value), "%d", fd);
		setenv("WAYLAND_SOCKET", value, 1);
	}
	if (!install_filter()) {
		return 1;
	}
	struct app_adoption adoption = { .ipc_fd = -1, .wayland_fd = -1 };
	const char *package_dir = optind == argc - 1 ? argv[optind] : NULL;
	if (prewarm_fd >= 0 && optind == argc) {
		plant_shader();
		struct weft_error err = { 0 };
		bool hangup = false;
		if (send(prewarm_fd, "READY", 5, MSG_NOSIGNAL) != 5 ||
			!app_adoption_recv(prewarm_fd, &adoption, &hangup, &err)) {
			if (hangup) {
				return 0;
			}
			fprintf(stderr, "weft-app-shell (stand-in): adoption: %s\n",
				err.msg[0] != '\0' ? err.msg : strerror(errno));
			return 1;
		}
		close(prewarm_fd);
		if (adoption.pgid > 0 && setpgid(0, adoption.pgid) != 0) {
			fprintf(stderr, "weft-app-shell (stand-in): join group %d: %s\n",
				(int)adoption.pgid, strerror(errno));
			return 1;
		}
		if (adoption.wayland_fd >= 0) {
			char value[16];
			snprintf(value, sizeof(value), "%d", adoption.wayland_fd);
			setenv("WAYLAND_SOCKET", value, 1);
			adoption.wayland_fd = -1;
		}
		st.ipc_fd = adoption.ipc_fd;
		adoption.ipc_fd = -1;
		want_id = adoption.app_id;
		package_dir = adoption.package_dir;
	} else if (package_dir == NULL) {
		fprintf(stderr, "weft-app-shell (stand-in): expected one PACKAGE_DIR\n");
		return 1;
	}
	const char *say = getenv("WEFT_STANDIN_SAY");
	if (say != NULL) {
		fputs(say, stderr);
		fflush(stderr);
	}
	const char *exit_now = getenv("WEFT_STANDIN_EXIT");
	if (exit_now != NULL) {
		app_adoption_finish(&adoption);
		return atoi(exit_now);
	}
	st.no_frame = getenv("WEFT_STANDIN_NO_FRAME") != NULL;

	char *path = weft_path_join(package_dir, WEFT_MANIFEST_FILE);
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *manifest = path != NULL ? weft_manifest_load(path, &diags) : NULL;
	weft_diags_finish(&diags);
	free(path);
	if (manifest == NULL) {
		fprintf(stderr, "weft-app-shell (stand-in): %s: no valid manifest\n", package_dir);
		app_adoption_finish(&adoption);
		return 1;
	}
	if (want_id != NULL && strcmp(want_id, manifest->id) != 0) {
		fprintf(stderr, "weft-app-shell (stand-in): --app-id %s is not %s\n", want_id,
			manifest->id);
		weft_manifest_destroy(manifest);
		app_adoption_finish(&adoption);
		return 1;
	}
	st.app_id = manifest->id;

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);

	if (getenv("WAYLAND_SOCKET") != NULL || getenv("WAYLAND_DISPLAY") != NULL) {
		open_window(&st);
	}
	if (relay_error != NULL) {
		stop(&st, 1, "relay: %s", relay_error);
	} else if (relay == NULL && st.ipc_fd >= 0 &&
		send(st.ipc_fd, "get", 3, MSG_NOSIGNAL) != 3) {
		/* A runtime already gone (a session ended at once) is the peer
		 * hanging up, which ends the real app-shell with 0 too; it may
		 * come before the SIGTERM waiting in the signalfd is read. */
		if (errno == EPIPE || errno == ECONNRESET) {
			stop(&st, 0, NULL);
		} else {
			stop(&st, 1, "IPC: %s", strerror(errno));
		}
	}

	while (st.running) {
		struct pollfd fds[4] = {
			{ .fd = signal_fd, .events = POLLIN },
			{ .fd = st.ipc_fd, .events = POLLIN },
			{ .fd = st.display != NULL ? wl_display_get_fd(st.display) : -1,
				.events = POLLIN },
			{ .fd = st.relay_fd, .events = POLLIN },
		};
		if (st.display != NULL && wl_display_flush(st.display) < 0 && errno != EAGAIN) {
			stop(&st, 1, "lost the compositor");
			break;
		}
		if (poll(fds, 4, -1) < 0 && errno != EINTR) {
			stop(&st, 1, "poll: %s", strerror(errno));
			break;
		}
		if (fds[0].revents & POLLIN) {
			stop(&st, 0, NULL);
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			handle_ipc(&st);
		}
		if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (wl_display_dispatch(st.display) < 0) {
				stop(&st, 1, "lost the compositor");
			}
		}
		if (st.running && (fds[3].revents & (POLLIN | POLLHUP | POLLERR))) {
			handle_relay(&st);
		}
	}
	if (st.display != NULL) {
		/* Everything goes before the connection, so that nothing leaks. */
		for (size_t i = 0; i < sizeof(st.buffers) / sizeof(st.buffers[0]); i++) {
			if (st.buffers[i] != NULL) {
				wl_buffer_destroy(st.buffers[i]);
			}
		}
		if (st.window != NULL) {
			zweft_shell_window_v1_destroy(st.window);
		}
		if (st.surface != NULL) {
			wl_surface_destroy(st.surface);
		}
		if (st.manager != NULL) {
			zweft_shell_manager_v1_destroy(st.manager);
		}
		if (st.shm != NULL) {
			wl_shm_destroy(st.shm);
		}
		if (st.compositor != NULL) {
			wl_compositor_destroy(st.compositor);
		}
		wl_display_disconnect(st.display);
	}
	weft_manifest_destroy(manifest);
	app_adoption_finish(&adoption);
	if (st.relay_fd >= 0) {
		close(st.relay_fd);
	}
	close(signal_fd);
	return st.status;
}

int main(int argc, char **argv)
{
	int status = standin_main(argc, argv);
#ifdef STANDIN_SECCOMP
	/* Out through _exit(), as weft-sandbox-try: LeakSanitizer's exit check
	 * ptraces the process, which the filter forbids (the ASan lane would
	 * see "LeakSanitizer has encountered a fatal error"). */
	fflush(NULL);
	_exit(status);
#else
	return status;
#endif
}
