/*
 * touch-parent: a tiny wlroots compositor that a test nests weft-compositor
 * in (--backend wayland), so that it can send real wl_touch events to it.
 * wlroots 0.15 has no virtual touch protocol; as the parent we simply are
 * the seat.
 *
 * It listens on $XDG_RUNTIME_DIR/wayland-N and prints "socket NAME". Every
 * xdg toplevel is told to be 640x480; the first one to map is the target.
 * Only then does the seat offer touch: wlroots 0.15's Wayland backend makes
 * no touch device from a seat that offered touch before the backend started.
 * Once the target's client has bound wl_touch, it prints "mapped W H".
 * Commands on stdin, each answered with "ok":
 *   down ID X Y | motion ID X Y | up ID | frame
 * X, Y are in the target's surface coordinates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <wlr/backend/headless.h>
#include <wlr/render/allocator.h>
#include <wlr/render/pixman.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#define WIDTH 640
#define HEIGHT 480

struct parent {
	struct wl_display *display;
	struct wlr_seat *seat;
	struct wlr_surface *target;
	struct wl_event_source *touch_timer;
	struct wl_listener new_surface;
	struct wl_listener surface_commit;
	struct wl_listener surface_map;
	struct wl_listener surface_destroy;
};

static uint32_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* The nested compositor draws its next frame when the last one is done. */
static void handle_commit(struct wl_listener *listener, void *data)
{
	struct parent *parent = wl_container_of(listener, parent, surface_commit);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	wlr_surface_send_frame_done(parent->target, &now);
}

/* Waits for the target's client to bind wl_touch. */
static int handle_touch_timer(void *data)
{
	struct parent *parent = data;
	if (parent->target == NULL) {
		return 0;
	}
	struct wlr_seat_client *client = wlr_seat_client_for_wl_client(parent->seat,
		wl_resource_get_client(parent->target->resource));
	if (client == NULL || wl_list_empty(&client->touches)) {
		wl_event_source_timer_update(parent->touch_timer, 10);
		return 0;
	}
	printf("mapped %d %d\n", parent->target->current.width, parent->target->current.height);
	fflush(stdout);
	return 0;
}

static void handle_map(struct wl_listener *listener, void *data)
{
	struct parent *parent = wl_container_of(listener, parent, surface_map);
	wlr_seat_set_capabilities(parent->seat, WL_SEAT_CAPABILITY_TOUCH);
	wl_event_source_timer_update(parent->touch_timer, 10);
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct parent *parent = wl_container_of(listener, parent, surface_destroy);
	wl_list_remove(&parent->surface_commit.link);
	wl_list_remove(&parent->surface_map.link);
	wl_list_remove(&parent->surface_destroy.link);
	parent->target = NULL;
}

static void handle_new_surface(struct wl_listener *listener, void *data)
{
	struct parent *parent = wl_container_of(listener, parent, new_surface);
	struct wlr_xdg_surface *xdg = data;
	if (xdg->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL) {
		return;
	}
	wlr_xdg_toplevel_set_size(xdg, WIDTH, HEIGHT);
	if (parent->target != NULL) {
		return;
	}
	parent->target = xdg->surface;
	parent->surface_commit.notify = handle_commit;
	wl_signal_add(&xdg->surface->events.commit, &parent->surface_commit);
	parent->surface_map.notify = handle_map;
	wl_signal_add(&xdg->events.map, &parent->surface_map);
	parent->surface_destroy.notify = handle_destroy;
	wl_signal_add(&xdg->events.destroy, &parent->surface_destroy);
}

static void run_command(struct parent *parent, const char *line)
{
	int id;
	double x, y;
	struct wlr_seat *seat = parent->seat;
	if (sscanf(line, "down %d %lf %lf", &id, &x, &y) == 3 && parent->target != NULL) {
		wlr_seat_touch_notify_down(seat, parent->target, now_ms(), id, x, y);
	} else if (sscanf(line, "motion %d %lf %lf", &id, &x, &y) == 3) {
		wlr_seat_touch_notify_motion(seat, now_ms(), id, x, y);
	} else if (sscanf(line, "up %d", &id) == 1) {
		wlr_seat_touch_notify_up(seat, now_ms(), id);
	} else if (strncmp(line, "frame", 5) == 0) {
		wlr_seat_touch_notify_frame(seat);
	} else {
		printf("error %s", line);
		fflush(stdout);
		return;
	}
	wl_display_flush_clients(parent->display);
	printf("ok\n");
	fflush(stdout);
}

static int handle_stdin(int fd, uint32_t mask, void *data)
{
	struct parent *parent = data;
	static char buf[4096];
	static size_t len;
	ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
	if (n <= 0) {
		wl_display_terminate(parent->display);
		return 0;
	}
	len += (size_t)n;
	buf[len] = '\0';
	char *line = buf, *nl;
	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		run_command(parent, line);
		line = nl + 1;
	}
	len = strlen(line);
	memmove(buf, line, len + 1);
	return 0;
}

int main(void)
{
	wlr_log_init(WLR_ERROR, NULL);
	struct parent parent = { 0 };
	parent.display = wl_display_create();
	struct wlr_backend *backend = wlr_headless_backend_create(parent.display);
	struct wlr_renderer *renderer = wlr_pixman_renderer_create();
	if (backend == NULL || renderer == NULL ||
		!wlr_renderer_init_wl_display(renderer, parent.display)) {
		fprintf(stderr, "touch-parent: cannot set up\n");
		return 1;
	}
	struct wlr_allocator *allocator = wlr_allocator_autocreate(backend, renderer);
	struct wlr_xdg_shell *xdg_shell = wlr_xdg_shell_create(parent.display);
	parent.seat = wlr_seat_create(parent.display, "seat0");
	if (allocator == NULL || wlr_compositor_create(parent.display, renderer) == NULL ||
		xdg_shell == NULL || parent.seat == NULL) {
		fprintf(stderr, "touch-parent: cannot create globals\n");
		return 1;
	}
	parent.touch_timer = wl_event_loop_add_timer(wl_display_get_event_loop(parent.display),
		handle_touch_timer, &parent);
	parent.new_surface.notify = handle_new_surface;
	wl_signal_add(&xdg_shell->events.new_surface, &parent.new_surface);

	const char *socket = wl_display_add_socket_auto(parent.display);
	if (socket == NULL || !wlr_backend_start(backend)) {
		fprintf(stderr, "touch-parent: cannot start\n");
		return 1;
	}
	struct wl_event_source *commands = wl_event_loop_add_fd(wl_display_get_event_loop(
									parent.display),
		STDIN_FILENO, WL_EVENT_READABLE, handle_stdin, &parent);
	printf("socket %s\n", socket);
	fflush(stdout);
	wl_display_run(parent.display);

	wl_event_source_remove(commands);
	wl_event_source_remove(parent.touch_timer);
	wl_display_destroy_clients(parent.display);
	wl_list_remove(&parent.new_surface.link);
	wlr_backend_destroy(backend);
	wl_display_destroy(parent.display);
	wlr_allocator_destroy(allocator);
	wlr_renderer_destroy(renderer);
	return 0;
}
