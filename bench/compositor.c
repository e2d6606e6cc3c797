/*
 * bench-compositor: weft-compositor against weston, both headless with the
 * pixman renderer at 1280x720, measured in the same run (design §11).
 *
 *   frame time   compositor CPU time per output frame with 1, 10 and 20
 *                mapped xdg clients, first with only the newest one redrawing
 *                every frame, then with all of them redrawing;
 *   latency      wl_surface.commit -> wp_presentation_feedback.presented of
 *                the newest client, which redraws on each frame callback;
 *   memory       the compositor's RSS at each step;
 *   start        exec of the compositor -> first client frame presented.
 *
 * The load runs have a panel, as a session does: for weft a shell connection
 * (--shell-fd) with a zweft panel reserving a 48 px taskbar, for weston its
 * desktop shell's panel. Without one, a single window covering the output is
 * put on screen without compositing at all (direct scan-out) by weft.
 *
 * Usage: bench-compositor [STARTS]   (WEFT_COMPOSITOR names weft-compositor,
 * WESTON weston; STARTS is the number of start-up runs of each, default 7)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "presentation-time-client-protocol.h"
#include "xdg-shell-client-protocol.h"
#include "zweft-shell-unstable-v1-client-protocol.h"

#define WIDTH 1280
#define HEIGHT 720
#define MAX_CLIENTS 20
#define MAX_BUFFERS 4
#define MAX_SAMPLES 4096
#define PANEL_HEIGHT 48
/* Where a compositor started with a shell finds the shell's connection. */
#define SHELL_FD 100
/* Design §11: 20 apps running, compositor frame time <= 4 ms headless. */
#define FRAME_TARGET_MS 4.0

struct buffer {
	struct wl_buffer *wl_buffer;
	bool busy;
};

struct client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wp_presentation *presentation;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct zweft_shell_manager_v1 *zweft;
	struct zweft_shell_window_v1 *panel; /* instead of an xdg toplevel */
	struct wl_callback *frame;
	struct buffer buffers[MAX_BUFFERS];
	int nbuffers;
	int width, height;
	uint32_t color;
	clockid_t clock; /* the compositor's presentation clock */
	bool configured;
	bool committed; /* its first buffer */
	bool failed;

	bool animate; /* commit a new frame on every frame callback */
	bool probe; /* ask for presentation feedback on every commit */
	int presented;
	int64_t first_presented_ns; /* CLOCK_MONOTONIC when it arrived, or 0 */
	double *latency_ms; /* commit -> presented samples, when probing */
	size_t nlatency;
};

struct feedback {
	struct client *client;
	int64_t commit_ns; /* in the client's presentation clock */
};

struct compositor {
	const char *name;
	pid_t pid;
	char dir[64]; /* XDG_RUNTIME_DIR, holding the socket and the log */
	char socket[128];
	char config_dir[64]; /* weston's config, or empty */
	int shell_fd; /* our end of weft's shell connection, or -1 */
};

struct figures {
	double frame_top_ms[3], frame_all_ms[3];
	double fps_top[3], fps_all[3];
	double latency_ms[3];
	double rss_mib[4], anon_mib[4]; /* idle, then with 1, 10, 20 clients */
	double start_ms[64];
	int nstart;
};

static const int client_counts[3] = { 1, 10, 20 };

static int64_t now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	if (n == 0) {
		return 0.0;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the compositors ---- */

/* child_shell_fd, when not -1, is given to the child as SHELL_FD. */
static bool compositor_start(struct compositor *c, const char *name, char *const argv[], bool weft,
	int child_shell_fd)
{
	c->name = name;
	snprintf(c->dir, sizeof(c->dir), "/tmp/weft-bench-XXXXXX");
	if (mkdtemp(c->dir) == NULL) {
		perror("bench-compositor: mkdtemp");
		return false;
	}
	snprintf(c->socket, sizeof(c->socket), "%s/wayland-0", c->dir);
	char log[128];
	snprintf(log, sizeof(log), "%s/log", c->dir);
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0) {
		perror("bench-compositor: fork");
		return false;
	}
	if (c->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0 ||
			(child_shell_fd >= 0 && dup2(child_shell_fd, SHELL_FD) < 0)) {
			_exit(127);
		}
		setenv("XDG_RUNTIME_DIR", c->dir, 1);
		unsetenv("WAYLAND_DISPLAY");
		unsetenv("WAYLAND_SOCKET");
		unsetenv("DISPLAY");
		unsetenv("NOTIFY_SOCKET");
		if (weft) {
			setenv("WLR_BACKENDS", "headless", 1);
			setenv("WLR_RENDERER", "pixman", 1);
			setenv("WLR_LIBINPUT_NO_DEVICES", "1", 1);
			setenv("WEFT_LOG", "warn", 1);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return true;
}

static bool start_weft(struct compositor *c, bool panel)
{
	const char *bin = getenv("WEFT_COMPOSITOR");
	char shell_fd[16];
	snprintf(shell_fd, sizeof(shell_fd), "%d", SHELL_FD);
	char *const argv[] = {
		(char *)(bin != NULL ? bin : "build/compositor/weft-compositor"),
		"--backend",
		"headless",
		"--size",
		"1280x720",
		"--no-appd",
		panel ? "--shell-fd" : "--no-shell",
		panel ? shell_fd : NULL,
		NULL,
	};
	c->shell_fd = -1;
	int sv[2] = { -1, -1 };
	if (panel && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		perror("bench-compositor: socketpair");
		return false;
	}
	bool ok = compositor_start(c, "weft-compositor", argv, true, sv[1]);
	if (panel) {
		close(sv[1]);
		c->shell_fd = sv[0];
	}
	return ok;
}

/*
 * weston's desktop shell, as plain as it gets: no start-up fade, and a panel
 * only when asked. (Its kiosk shell would be closer to our policy, but
 * weston 10 never maps a window there without a seat, and the headless
 * backend has none.)
 */
static bool start_weston(struct compositor *c, bool panel)
{
	c->shell_fd = -1;
	char dir[sizeof(c->dir)];
	snprintf(dir, sizeof(dir), "/tmp/weft-bench-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("bench-compositor: mkdtemp");
		return false;
	}
	/* compositor_start makes its own dir; the config lives beside it. */
	char ini[128], config_arg[160];
	snprintf(ini, sizeof(ini), "%s/weston.ini", dir);
	FILE *f = fopen(ini, "we");
	if (f == NULL) {
		perror("bench-compositor: weston.ini");
		rmdir(dir);
		return false;
	}
	fprintf(f,
		"[core]\nidle-time=0\n[shell]\npanel-position=%s\nstartup-animation=none\n"
		"background-color=0xff000000\n",
		panel ? "bottom" : "none");
	fclose(f);
	snprintf(config_arg, sizeof(config_arg), "--config=%s", ini);
	const char *bin = getenv("WESTON");
	char *const argv[] = {
		(char *)(bin != NULL ? bin : "weston"),
		"--backend=headless-backend.so",
		"--use-pixman",
		"--width=1280",
		"--height=720",
		"--socket=wayland-0",
		config_arg,
		NULL,
	};
	bool ok = compositor_start(c, "weston", argv, false, -1);
	/* weston has read it by the time anything connects; it may go now. */
	snprintf(c->config_dir, sizeof(c->config_dir), "%s", dir);
	return ok;
}

static void print_log_tail(const struct compositor *c)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/log", c->dir);
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		return;
	}
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL) {
		fprintf(stderr, "  %s: %s", c->name, line);
	}
	fclose(f);
}

static void rmtree_flat(const char *dir)
{
	DIR *d = opendir(dir);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] != '.' || (e->d_name[1] != '\0' && e->d_name[1] != '.')) {
				unlinkat(dirfd(d), e->d_name, 0);
			}
		}
		closedir(d);
	}
	rmdir(dir);
}

static void compositor_stop(struct compositor *c, bool show_log)
{
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		int status = 0;
		for (int i = 0; i < 300 && waitpid(c->pid, &status, WNOHANG) == 0; i++) {
			usleep(10000);
			if (i == 299) {
				kill(c->pid, SIGKILL);
				waitpid(c->pid, &status, 0);
			}
		}
		c->pid = 0;
	}
	if (show_log) {
		print_log_tail(c);
	}
	rmtree_flat(c->dir);
	if (c->config_dir[0] != '\0') {
		rmtree_flat(c->config_dir);
	}
	if (c->shell_fd >= 0) {
		close(c->shell_fd);
		c->shell_fd = -1;
	}
}

/* Total CPU time of every thread of pid, in ns, from the scheduler's own count. */
static int64_t cpu_ns(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (d == NULL) {
		return -1;
	}
	int64_t total = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		char stat_path[128];
		snprintf(stat_path, sizeof(stat_path), "%s/%s/schedstat", path, e->d_name);
		FILE *f = fopen(stat_path, "re");
		long long ns = 0;
		if (f != NULL) {
			if (fscanf(f, "%lld", &ns) == 1) {
				total += ns;
			}
			fclose(f);
		}
	}
	closedir(d);
	return total;
}

/* VmRSS and RssAnon of pid, in MiB. */
static void rss_mib(pid_t pid, double *rss, double *anon)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	*rss = *anon = 0;
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		return;
	}
	char line[256];
	long kib;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) {
			*rss = kib / 1024.0;
		} else if (sscanf(line, "RssAnon: %ld kB", &kib) == 1) {
			*anon = kib / 1024.0;
		}
	}
	fclose(f);
}

/* ---- clients ---- */

static void buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	struct buffer *buffer = data;
	buffer->busy = false;
}

static const struct wl_buffer_listener buffer_listener = { .release = buffer_release };

static struct buffer *buffer_get(struct client *client)
{
	for (int i = 0; i < client->nbuffers; i++) {
		if (!client->buffers[i].busy) {
			return &client->buffers[i];
		}
	}
	if (client->nbuffers == MAX_BUFFERS) {
		return NULL;
	}
	int stride = client->width * 4;
	size_t size = (size_t)stride * client->height;
	int fd = memfd_create("bench-buffer", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		perror("bench-compositor: shm buffer");
		if (fd >= 0) {
			close(fd);
		}
		return NULL;
	}
	uint32_t *px = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (px == MAP_FAILED) {
		perror("bench-compositor: mmap");
		close(fd);
		return NULL;
	}
	for (size_t i = 0; i < size / 4; i++) {
		px[i] = client->color;
	}
	munmap(px, size);
	struct wl_shm_pool *pool = wl_shm_create_pool(client->shm, fd, (int32_t)size);
	struct buffer *buffer = &client->buffers[client->nbuffers++];
	buffer->wl_buffer = wl_shm_pool_create_buffer(pool, 0, client->width, client->height,
		stride, WL_SHM_FORMAT_XRGB8888);
	wl_buffer_add_listener(buffer->wl_buffer, &buffer_listener, buffer);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

static void feedback_sync_output(void *data, struct wp_presentation_feedback *fb,
	struct wl_output *output)
{
}

static void feedback_presented(void *data, struct wp_presentation_feedback *fb, uint32_t tv_sec_hi,
	uint32_t tv_sec_lo, uint32_t tv_nsec, uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo,
	uint32_t flags)
{
	struct feedback *feedback = data;
	struct client *client = feedback->client;
	int64_t when = (int64_t)(((uint64_t)tv_sec_hi << 32) | tv_sec_lo) * 1000000000 + tv_nsec;
	client->presented++;
	if (client->first_presented_ns == 0) {
		client->first_presented_ns = now_ns(CLOCK_MONOTONIC);
	}
	if (client->latency_ms != NULL && client->nlatency < MAX_SAMPLES) {
		client->latency_ms[client->nlatency++] = (double)(when - feedback->commit_ns) /
			1e6;
	}
	wp_presentation_feedback_destroy(fb);
	free(feedback);
}

static void feedback_discarded(void *data, struct wp_presentation_feedback *fb)
{
	wp_presentation_feedback_destroy(fb);
	free(data);
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_sync_output,
	.presented = feedback_presented,
	.discarded = feedback_discarded,
};

static void client_draw(struct client *client);

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct client *client = data;
	wl_callback_destroy(callback);
	client->frame = NULL;
	if (client->animate) {
		client_draw(client);
	}
}

static const struct wl_callback_listener frame_listener = { .done = frame_done };

/* Commits the next frame: a free buffer, full damage, a frame callback. */
static void client_draw(struct client *client)
{
	struct buffer *buffer = buffer_get(client);
	if (buffer == NULL) {
		client->failed = true;
		return;
	}
	buffer->busy = true;
	client->committed = true;
	wl_surface_attach(client->surface, buffer->wl_buffer, 0, 0);
	wl_surface_damage_buffer(client->surface, 0, 0, client->width, client->height);
	client->frame = wl_surface_frame(client->surface);
	wl_callback_add_listener(client->frame, &frame_listener, client);
	if (client->probe || client->first_presented_ns == 0) {
		struct feedback *feedback = calloc(1, sizeof(*feedback));
		if (feedback != NULL) {
			feedback->client = client;
			struct wp_presentation_feedback *fb =
				wp_presentation_feedback(client->presentation, client->surface);
			wp_presentation_feedback_add_listener(fb, &feedback_listener, feedback);
			feedback->commit_ns = now_ns(client->clock);
		}
	}
	wl_surface_commit(client->surface);
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct client *client = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	if (!client->configured) {
		client->configured = true;
		client_draw(client);
	}
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
	int32_t height, struct wl_array *states)
{
	struct client *client = data;
	/* The first size sticks: the buffers are made for it. */
	if (!client->configured && width > 0 && height > 0) {
		client->width = width;
		client->height = height;
	}
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

static void handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = { .ping = handle_ping };

static void presentation_clock(void *data, struct wp_presentation *presentation, uint32_t clk_id)
{
	struct client *client = data;
	client->clock = (clockid_t)clk_id;
}

static const struct wp_presentation_listener presentation_listener = {
	.clock_id = presentation_clock,
};

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct client *client = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		client->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		client->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		client->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, client);
	} else if (strcmp(interface, zweft_shell_manager_v1_interface.name) == 0) {
		client->zweft = wl_registry_bind(registry, name, &zweft_shell_manager_v1_interface,
			1);
	} else if (strcmp(interface, wp_presentation_interface.name) == 0) {
		client->presentation = wl_registry_bind(registry, name, &wp_presentation_interface,
			1);
		wp_presentation_add_listener(client->presentation, &presentation_listener, client);
	}
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

static void client_destroy(struct client *client)
{
	if (client == NULL) {
		return;
	}
	for (int i = 0; i < client->nbuffers; i++) {
		wl_buffer_destroy(client->buffers[i].wl_buffer);
	}
	if (client->frame != NULL) {
		wl_callback_destroy(client->frame);
	}
	if (client->toplevel != NULL) {
		xdg_toplevel_destroy(client->toplevel);
	}
	if (client->panel != NULL) {
		zweft_shell_window_v1_destroy(client->panel);
	}
	if (client->xdg_surface != NULL) {
		xdg_surface_destroy(client->xdg_surface);
	}
	if (client->surface != NULL) {
		wl_surface_destroy(client->surface);
	}
	if (client->zweft != NULL) {
		zweft_shell_manager_v1_destroy(client->zweft);
	}
	if (client->display != NULL) {
		wl_display_disconnect(client->display);
	}
	free(client->latency_ms);
	free(client);
}

/* Connects, retrying while the compositor is still coming up, and opens a
 * window; the first frame is committed once it is configured. */
static struct client *client_create(const struct compositor *c, uint32_t color,
	int64_t deadline_ns)
{
	struct client *client = calloc(1, sizeof(*client));
	if (client == NULL) {
		return NULL;
	}
	client->color = color;
	client->width = WIDTH;
	client->height = HEIGHT;
	client->clock = CLOCK_MONOTONIC;
	while ((client->display = wl_display_connect(c->socket)) == NULL) {
		int status;
		if (now_ns(CLOCK_MONOTONIC) > deadline_ns ||
			waitpid(c->pid, &status, WNOHANG) != 0) {
			fprintf(stderr, "bench-compositor: cannot connect to %s\n", c->name);
			free(client);
			return NULL;
		}
		usleep(500);
	}
	client->registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	if (wl_display_roundtrip(client->display) < 0 || client->compositor == NULL ||
		client->shm == NULL || client->wm_base == NULL || client->presentation == NULL) {
		fprintf(stderr, "bench-compositor: %s lacks a global we need\n", c->name);
		client_destroy(client);
		return NULL;
	}
	client->surface = wl_compositor_create_surface(client->compositor);
	client->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, client->surface);
	xdg_surface_add_listener(client->xdg_surface, &xdg_surface_listener, client);
	client->toplevel = xdg_surface_get_toplevel(client->xdg_surface);
	xdg_toplevel_add_listener(client->toplevel, &toplevel_listener, client);
	xdg_toplevel_set_title(client->toplevel, "bench");
	wl_surface_commit(client->surface);
	wl_display_flush(client->display);
	return client;
}

static void panel_configure(void *data, struct zweft_shell_window_v1 *window, int32_t x, int32_t y,
	int32_t width, int32_t height, uint32_t state)
{
	struct client *client = data;
	if (!client->configured && width > 0 && height > 0) {
		client->configured = true;
		client->width = width;
		client->height = height;
		client_draw(client);
	}
}

static void panel_focus_changed(void *data, struct zweft_shell_window_v1 *window, uint32_t focused)
{
}

static void panel_closed(void *data, struct zweft_shell_window_v1 *window)
{
}

static void panel_presentation(void *data, struct zweft_shell_window_v1 *window, uint32_t tv_sec,
	uint32_t tv_nsec, uint32_t refresh)
{
}

static void panel_gesture(void *data, struct zweft_shell_window_v1 *window, uint32_t type,
	uint32_t fingers, wl_fixed_t dx, wl_fixed_t dy)
{
}

static const struct zweft_shell_window_v1_listener panel_listener = {
	.configure = panel_configure,
	.focus_changed = panel_focus_changed,
	.window_closed = panel_closed,
	.presentation_feedback = panel_presentation,
	.navigation_gesture = panel_gesture,
};

/* weft's panel, on the shell connection: the whole output below the apps,
 * reserving a taskbar at the bottom. */
static struct client *panel_create(struct compositor *c)
{
	struct client *client = calloc(1, sizeof(*client));
	if (client == NULL) {
		return NULL;
	}
	client->color = 0xff202840;
	client->clock = CLOCK_MONOTONIC;
	client->display = wl_display_connect_to_fd(c->shell_fd);
	c->shell_fd = -1; /* the display owns it now */
	if (client->display == NULL) {
		free(client);
		return NULL;
	}
	client->registry = wl_display_get_registry(client->display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	if (wl_display_roundtrip(client->display) < 0 || client->compositor == NULL ||
		client->shm == NULL || client->zweft == NULL || client->presentation == NULL) {
		fprintf(stderr, "bench-compositor: the shell lacks a global it needs\n");
		client_destroy(client);
		return NULL;
	}
	client->surface = wl_compositor_create_surface(client->compositor);
	client->panel = zweft_shell_manager_v1_create_window(client->zweft, "org.weft.shell",
		"panel", "panel", client->surface, 0, HEIGHT - PANEL_HEIGHT, WIDTH, PANEL_HEIGHT);
	zweft_shell_window_v1_add_listener(client->panel, &panel_listener, client);
	wl_display_flush(client->display);
	return client;
}

/* Runs every client's events for ms milliseconds, or until done(arg). */
static bool pump(struct client **clients, int n, int ms, bool (*done)(struct client **, int))
{
	struct pollfd pfds[MAX_CLIENTS];
	int64_t deadline = now_ns(CLOCK_MONOTONIC) + (int64_t)ms * 1000000;
	for (;;) {
		if (done != NULL && done(clients, n)) {
			return true;
		}
		int64_t left = deadline - now_ns(CLOCK_MONOTONIC);
		if (left <= 0) {
			return done == NULL;
		}
		for (int i = 0; i < n; i++) {
			struct wl_display *d = clients[i]->display;
			while (wl_display_prepare_read(d) != 0) {
				wl_display_dispatch_pending(d);
			}
			wl_display_flush(d);
			pfds[i] = (struct pollfd){ .fd = wl_display_get_fd(d), .events = POLLIN };
		}
		int timeout = (int)(left / 1000000) + 1;
		if (poll(pfds, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			perror("bench-compositor: poll");
			return false;
		}
		for (int i = 0; i < n; i++) {
			struct wl_display *d = clients[i]->display;
			if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				if (wl_display_read_events(d) < 0) {
					fprintf(stderr, "bench-compositor: connection lost\n");
					return false;
				}
			} else {
				wl_display_cancel_read(d);
			}
			if (wl_display_dispatch_pending(d) < 0 || clients[i]->failed) {
				fprintf(stderr, "bench-compositor: client failed\n");
				return false;
			}
		}
	}
}

/* Every client drew its first frame and the newest was shown: the ones
 * below may be hidden under it and never shown. */
static bool all_mapped(struct client **clients, int n)
{
	for (int i = 0; i < n; i++) {
		if (!clients[i]->committed) {
			return false;
		}
	}
	return clients[n - 1]->first_presented_ns != 0;
}

static bool all_presented(struct client **clients, int n)
{
	for (int i = 0; i < n; i++) {
		if (clients[i]->first_presented_ns == 0) {
			return false;
		}
	}
	return true;
}

/* ---- the runs ---- */

static uint32_t colour(int i)
{
	return 0xff000000 | (uint32_t)(0x3f + i * 9) << 16 | (uint32_t)(0xc0 - i * 5) << 8 | 0x40;
}

/* Compositor CPU per output frame over ms, as the median of 250 ms windows;
 * frames are those presented to top, which redraws every frame. */
static bool measure_frames(struct compositor *c, struct client **clients, int n,
	struct client *top, int ms, double *frame_ms, double *fps)
{
	double per_frame[64], rate[64];
	size_t nsamples = 0;
	for (int t = 0; t < ms && nsamples < 64; t += 250) {
		int64_t cpu0 = cpu_ns(c->pid), t0 = now_ns(CLOCK_MONOTONIC);
		int frames0 = top->presented;
		if (!pump(clients, n, 250, NULL)) {
			return false;
		}
		int frames = top->presented - frames0;
		int64_t cpu = cpu_ns(c->pid) - cpu0, dt = now_ns(CLOCK_MONOTONIC) - t0;
		if (frames > 0) {
			per_frame[nsamples] = (double)cpu / 1e6 / frames;
			rate[nsamples++] = frames * 1e9 / (double)dt;
		}
	}
	*frame_ms = median(per_frame, nsamples);
	*fps = median(rate, nsamples);
	return nsamples > 0;
}

/* Maps 1, then 10, then 20 clients on one compositor and measures each step. */
static bool run_load(struct compositor *c, struct figures *fig)
{
	/* The panel, if ours, comes first; then the clients, bottom to top. */
	struct client *all[MAX_CLIENTS + 1] = { 0 };
	int base = 0, n = 0;
	bool ok = false;
	int64_t deadline = now_ns(CLOCK_MONOTONIC) + 10 * (int64_t)1000000000;
	/* A first client proves it is up; it goes away so that idle RSS is idle. */
	struct client *probe = client_create(c, colour(0), deadline);
	if (probe == NULL || !pump(&probe, 1, 5000, all_presented)) {
		client_destroy(probe);
		return false;
	}
	if (c->shell_fd >= 0) {
		all[0] = panel_create(c);
		if (all[0] == NULL || !pump(all, 1, 5000, all_presented)) {
			fprintf(stderr, "bench-compositor: the panel did not show\n");
			client_destroy(all[0]);
			client_destroy(probe);
			return false;
		}
		base = 1;
	}
	struct client **clients = all + base;
	client_destroy(probe);
	usleep(200000);
	rss_mib(c->pid, &fig->rss_mib[0], &fig->anon_mib[0]);

	for (int step = 0; step < 3; step++) {
		while (n < client_counts[step]) {
			clients[n] = client_create(c, colour(n), deadline);
			if (clients[n] == NULL) {
				goto out;
			}
			n++;
		}
		if (!pump(all, base + n, 5000, all_mapped)) {
			fprintf(stderr, "bench-compositor: %s did not show %d clients\n", c->name,
				n);
			goto out;
		}
		struct client *top = clients[n - 1];
		for (int i = 0; i < n; i++) {
			clients[i]->probe = false;
			clients[i]->animate = false;
			free(clients[i]->latency_ms);
			clients[i]->latency_ms = NULL;
		}

		/* Only the newest (topmost) client redraws, and measures latency. */
		top->probe = true;
		top->animate = true;
		top->latency_ms = calloc(MAX_SAMPLES, sizeof(double));
		top->nlatency = 0;
		if (top->latency_ms == NULL) {
			goto out;
		}
		if (top->frame == NULL) {
			client_draw(top);
		}
		if (!pump(all, base + n, 300, NULL) ||
			!measure_frames(c, all, base + n, top, 1500, &fig->frame_top_ms[step],
				&fig->fps_top[step])) {
			goto out;
		}
		fig->latency_ms[step] = median(top->latency_ms, top->nlatency);

		/* Then every client redraws every frame. */
		for (int i = 0; i < n; i++) {
			clients[i]->animate = true;
			if (clients[i]->frame == NULL) {
				client_draw(clients[i]);
			}
		}
		if (!pump(all, base + n, 300, NULL) ||
			!measure_frames(c, all, base + n, top, 1500, &fig->frame_all_ms[step],
				&fig->fps_all[step])) {
			goto out;
		}
		rss_mib(c->pid, &fig->rss_mib[step + 1], &fig->anon_mib[step + 1]);
	}
	ok = true;
out:
	for (int i = 0; i < base + n; i++) {
		client_destroy(all[i]);
	}
	return ok;
}

/* exec -> the first client frame presented, as the client sees it. */
static bool run_start(bool weft, struct figures *fig)
{
	struct compositor c = { 0 };
	int64_t t0 = now_ns(CLOCK_MONOTONIC);
	if (!(weft ? start_weft(&c, false) : start_weston(&c, false))) {
		return false;
	}
	struct client *client = client_create(&c, colour(0), t0 + 10 * (int64_t)1000000000);
	bool ok = client != NULL && pump(&client, 1, 10000, all_presented);
	if (ok) {
		fig->start_ms[fig->nstart++] = (double)(client->first_presented_ns - t0) / 1e6;
	}
	client_destroy(client);
	compositor_stop(&c, !ok);
	return ok;
}

static bool run_compositor(bool weft, struct figures *fig)
{
	struct compositor c = { 0 };
	if (!(weft ? start_weft(&c, true) : start_weston(&c, true))) {
		return false;
	}
	bool ok = run_load(&c, fig);
	compositor_stop(&c, !ok);
	return ok;
}

static void print_ratio(const char *what, const char *unit, double weft, double weston)
{
	printf("  %-34s %9.2f %-3s %9.2f %-3s %6.2f\n", what, weft, unit, weston, unit,
		weston > 0 ? weft / weston : 0.0);
}

int main(int argc, char **argv)
{
	int starts = argc > 1 ? atoi(argv[1]) : 7;
	if (starts < 1 || starts > 64) {
		fprintf(stderr, "usage: bench-compositor [STARTS (1-64)]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct figures weft = { 0 }, weston = { 0 };

	/* Interleaved, so that machine noise hits both alike. */
	for (int i = 0; i < starts; i++) {
		if (!run_start(true, &weft) || !run_start(false, &weston)) {
			fprintf(stderr, "bench-compositor: start-up run %d failed\n", i + 1);
			return 1;
		}
	}
	if (!run_compositor(true, &weft) || !run_compositor(false, &weston)) {
		return 1;
	}

	printf("headless, pixman, %dx%d, xdg clients with XRGB8888 shm buffers; "
	       "reference: weston --backend=headless-backend.so --use-pixman, desktop shell "
	       "without fade; a panel in the load runs\n",
		WIDTH, HEIGHT);
	printf("  %-34s %13s %13s %6s\n", "", "weft", "weston", "ratio");
	double ws = median(weft.start_ms, (size_t)weft.nstart);
	double ts = median(weston.start_ms, (size_t)weston.nstart);
	char what[64];
	snprintf(what, sizeof(what), "start -> first frame (median of %d)", starts);
	print_ratio(what, "ms", ws, ts);
	for (int s = 0; s < 3; s++) {
		snprintf(what, sizeof(what), "frame, %d client%s, top redraws", client_counts[s],
			client_counts[s] > 1 ? "s" : "");
		print_ratio(what, "ms", weft.frame_top_ms[s], weston.frame_top_ms[s]);
		snprintf(what, sizeof(what), "frame, %d client%s, all redraw", client_counts[s],
			client_counts[s] > 1 ? "s" : "");
		print_ratio(what, "ms", weft.frame_all_ms[s], weston.frame_all_ms[s]);
	}
	for (int s = 0; s < 3; s++) {
		snprintf(what, sizeof(what), "frames/s, %d client%s, all redraw", client_counts[s],
			client_counts[s] > 1 ? "s" : "");
		print_ratio(what, "", weft.fps_all[s], weston.fps_all[s]);
	}
	for (int s = 0; s < 3; s++) {
		snprintf(what, sizeof(what), "commit -> presented, %d client%s", client_counts[s],
			client_counts[s] > 1 ? "s" : "");
		print_ratio(what, "ms", weft.latency_ms[s], weston.latency_ms[s]);
	}
	static const char *const rss_steps[] = { "idle", "1 client", "10 clients", "20 clients" };
	for (int s = 0; s < 4; s++) {
		snprintf(what, sizeof(what), "RSS, %s", rss_steps[s]);
		print_ratio(what, "MiB", weft.rss_mib[s], weston.rss_mib[s]);
		snprintf(what, sizeof(what), "  of which anonymous");
		print_ratio(what, "MiB", weft.anon_mib[s], weston.anon_mib[s]);
	}
	printf("frame: compositor CPU time per output frame (median of 250 ms windows)\n");
	double worst = weft.frame_top_ms[2];
	printf("target: frame time <= %.1f ms with 20 clients (top redrawing): %.2f ms%s\n",
		FRAME_TARGET_MS, worst, worst <= FRAME_TARGET_MS ? "" : " MISSED");
	/* A benchmark reports; it does not fail the run (design §11). */
	return 0;
}
