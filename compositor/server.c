/*
 * The server: display, backend, renderer, globals, and the order in which
 * they come up and go down.
 */
#include <dirent.h>
#include <GLES2/gl2.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/vt.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <wayland-client-core.h>
#include <wayland-server-core.h>
#include <xcb/xcb.h>
#include <wlr/backend.h>
#include <wlr/backend/headless.h>
#include <wlr/backend/multi.h>
#include <wlr/render/allocator.h>
#include <wlr/render/pixman.h>
#include <wlr/render/egl.h>
#include <wlr/render/gles2.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_data_control_v1.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_presentation_time.h>
#include <wlr/types/wlr_primary_selection_v1.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_screencopy_v1.h>
#include <wlr/types/wlr_viewporter.h>
#include <wlr/types/wlr_virtual_keyboard_v1.h>
#include <wlr/types/wlr_virtual_pointer_v1.h>
#include <wlr/types/wlr_xdg_output_v1.h>

#include "seat.h"
#include "server.h"
#include "weft/log.h"

/* A VT on the console means we may drive the hardware through libseat. */
static bool on_vt(void)
{
	struct vt_stat st;
	return ioctl(STDIN_FILENO, VT_GETSTATE, &st) == 0;
}

static const char *backends_for(enum weft_backend_choice choice)
{
	switch (choice) {
	case WEFT_BACKEND_DRM:
		return "drm,libinput";
	case WEFT_BACKEND_WAYLAND:
		return "wayland";
	case WEFT_BACKEND_X11:
		return "x11";
	case WEFT_BACKEND_HEADLESS:
		return "headless";
	case WEFT_BACKEND_AUTO:
		break;
	}
	if (getenv("WLR_BACKENDS") != NULL) {
		return getenv("WLR_BACKENDS");
	}
	if (getenv("WAYLAND_DISPLAY") != NULL || getenv("WAYLAND_SOCKET") != NULL) {
		return "wayland";
	}
	if (getenv("DISPLAY") != NULL) {
		return "x11";
	}
	return on_vt() ? "drm,libinput" : "headless";
}

static bool has_backend(const char *list, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = list; p != NULL; p = strchr(p, ',')) {
		p += *p == ',';
		if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\0')) {
			return true;
		}
	}
	return false;
}

/*
 * wlroots 0.15 aborts when a nested backend cannot reach its parent display,
 * so try the connection ourselves first and fail with a sentence instead.
 */
static bool check_parent_display(const char *backends, struct weft_error *err)
{
	if (has_backend(backends, "x11")) {
		const char *name = getenv("DISPLAY");
		if (name == NULL || name[0] == '\0') {
			weft_error_set(err,
				"the x11 backend needs an X server, and DISPLAY is not set");
			return false;
		}
		xcb_connection_t *xcb = xcb_connect(NULL, NULL);
		int xerr = xcb_connection_has_error(xcb);
		xcb_disconnect(xcb);
		if (xerr != 0) {
			weft_error_set(err, "cannot connect to the X server at DISPLAY=%s", name);
			return false;
		}
	}
	/* An inherited WAYLAND_SOCKET cannot be tried without using it up. */
	if (has_backend(backends, "wayland") && getenv("WAYLAND_SOCKET") == NULL) {
		const char *name = getenv("WAYLAND_DISPLAY");
		struct wl_display *remote = wl_display_connect(NULL);
		if (remote == NULL) {
			weft_error_errno(err, "cannot connect to the Wayland compositor at %s",
				name != NULL ? name : "wayland-0");
			return false;
		}
		wl_display_disconnect(remote);
	}
	return true;
}

static bool has_render_node(void)
{
	DIR *dir = opendir("/dev/dri");
	if (dir == NULL) {
		return false;
	}
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(dir)) != NULL) {
		found = strncmp(e->d_name, "renderD", 7) == 0;
	}
	closedir(dir);
	return found;
}

/*
 * A GPU without 3D (virtio-gpu without virgl, a plain KMS device) gets GL
 * from Mesa's software rasterisers: EGL falls back to kms_swrast, whose
 * llvmpipe crashed on the first frame with Mesa 22.3 on virtio-gpu, and
 * composites no faster than pixman anyway. True with the GL renderer's
 * name when the GL renderer runs on one of them.
 */
static bool software_gl(struct wlr_renderer *renderer, char *name, size_t size)
{
	if (!wlr_renderer_is_gles2(renderer)) {
		return false;
	}
	struct wlr_egl *egl = wlr_gles2_renderer_get_egl(renderer);
	if (!wlr_egl_make_current(egl)) {
		return false;
	}
	const char *gl = (const char *)glGetString(GL_RENDERER);
	snprintf(name, size, "%s", gl != NULL ? gl : "");
	wlr_egl_unset_current(egl);
	static const char *const rasterisers[] = { "llvmpipe", "softpipe", "SWR" };
	for (size_t i = 0; i < sizeof(rasterisers) / sizeof(rasterisers[0]); i++) {
		if (strstr(name, rasterisers[i]) != NULL) {
			return true;
		}
	}
	return false;
}

/*
 * wlroots 0.15 looks for a DRM render node before it looks at WLR_RENDERER,
 * and logs an error when there is none, although pixman needs no GPU. Take
 * pixman ourselves when it is asked for or is all there can be.
 */
static struct wlr_renderer *create_renderer(struct wlr_backend *backend)
{
	const char *name = getenv("WLR_RENDERER");
	if (name != NULL && name[0] == '\0') {
		/* Empty means unset to us; wlroots would call it invalid. */
		unsetenv("WLR_RENDERER");
		name = NULL;
	}
	bool pixman = name != NULL ? strcmp(name, "pixman") == 0
				   : wlr_backend_get_drm_fd(backend) < 0 && !has_render_node();
	if (pixman) {
		weft_log(WEFT_DEBUG, "renderer: pixman");
		return wlr_pixman_renderer_create();
	}
	struct wlr_renderer *renderer = wlr_renderer_autocreate(backend);
	char gl[128];
	if (name == NULL && renderer != NULL && software_gl(renderer, gl, sizeof(gl))) {
		weft_log(WEFT_INFO, "renderer: pixman, not GL on %s (no 3D on this GPU)", gl);
		wlr_renderer_destroy(renderer);
		return wlr_pixman_renderer_create();
	}
	return renderer;
}

static void find_headless(struct wlr_backend *backend, void *data)
{
	struct weft_server *server = data;
	if (wlr_backend_is_headless(backend)) {
		server->headless = backend;
	}
}

static int handle_sigchld(int signo, void *data)
{
	weft_children_reap(data);
	return 0;
}

static int handle_sigpipe(int signo, void *data)
{
	return 0;
}

static int handle_terminate(int signo, void *data)
{
	struct weft_server *server = data;
	weft_log(WEFT_INFO, "signal %d: quitting", signo);
	wl_display_terminate(server->display);
	return 0;
}

static bool create_globals(struct weft_server *server, struct weft_error *err)
{
	struct wl_display *display = server->display;

	server->compositor = wlr_compositor_create(display, server->renderer);
	if (server->compositor == NULL || wlr_data_device_manager_create(display) == NULL ||
		wlr_primary_selection_v1_device_manager_create(display) == NULL ||
		wlr_viewporter_create(display) == NULL) {
		weft_error_set(err, "cannot create core globals");
		return false;
	}
	server->presentation = wlr_presentation_create(display, server->backend);
	if (server->presentation == NULL) {
		weft_error_set(err, "cannot create the presentation-time global");
		return false;
	}
	wlr_scene_set_presentation(server->scene, server->presentation);
	if (wlr_xdg_output_manager_v1_create(display, server->output_layout) == NULL) {
		weft_error_set(err, "cannot create the xdg-output global");
		return false;
	}

	struct wlr_screencopy_manager_v1 *screencopy = wlr_screencopy_manager_v1_create(display);
	struct wlr_data_control_manager_v1 *data_control = wlr_data_control_manager_v1_create(
		display);
	if (screencopy == NULL || data_control == NULL) {
		weft_error_set(err, "cannot create privileged globals");
		return false;
	}
	if (!weft_server_restrict_global(server, screencopy->global, WEFT_GLOBAL_TEST_TOOL) ||
		!weft_server_restrict_global(server, server->seat->virtual_pointer->global,
			WEFT_GLOBAL_TEST_TOOL) ||
		!weft_server_restrict_global(server, server->seat->virtual_keyboard->global,
			WEFT_GLOBAL_TEST_TOOL) ||
		!weft_server_restrict_global(server, data_control->global,
			WEFT_GLOBAL_DESKTOP_TOOL)) {
		weft_error_set(err, "too many privileged globals");
		return false;
	}

	server->session_lock = weft_session_lock_create(server);
	server->idle = weft_idle_create(server);
	if (server->session_lock == NULL || server->idle == NULL) {
		weft_error_set(err, "cannot create the session lock and idle globals");
		return false;
	}
	/* Idle notification with a short timeout times the user's keys: see
	 * TRUST in the man page. */
	if (!weft_server_restrict_global(server, weft_session_lock_global(server->session_lock),
		    WEFT_GLOBAL_DESKTOP_TOOL) ||
		!weft_idle_restrict_notifiers(server->idle)) {
		weft_error_set(err, "too many privileged globals");
		return false;
	}
	if (!weft_output_management_init(server) || !weft_text_input_init(server) ||
		!weft_pointer_init(server) || !weft_shortcuts_inhibit_init(server)) {
		weft_error_set(err, "cannot create the output and input globals");
		return false;
	}
	server->layer_shell = weft_layer_shell_create(server);
	server->foreign_toplevels = weft_foreign_toplevels_create(server);
	server->activation = weft_activation_create(server);
	if (server->layer_shell == NULL || server->foreign_toplevels == NULL ||
		server->activation == NULL) {
		weft_error_set(err, "cannot create the desktop tools' globals");
		return false;
	}

	if (!weft_zweft_shell_init(server)) {
		weft_error_set(err, "cannot create the zweft shell global");
		return false;
	}
	wl_display_set_global_filter(display, weft_global_filter, server);
	return true;
}

bool weft_server_init(struct weft_server *server, const struct weft_options *options,
	struct weft_error *err)
{
	server->options = *options;
	wl_list_init(&server->outputs);
	wl_list_init(&server->views);

	server->display = wl_display_create();
	if (server->display == NULL) {
		weft_error_set(err, "cannot create the Wayland display");
		return false;
	}
	server->loop = wl_display_get_event_loop(server->display);

	/* wlroots picks its backends from WLR_BACKENDS; we choose them for it. */
	const char *backends = backends_for(options->backend);
	if (!check_parent_display(backends, err)) {
		return false;
	}
	if (setenv("WLR_BACKENDS", backends, 1) != 0) {
		weft_error_errno(err, "setenv");
		return false;
	}
	weft_log(WEFT_INFO, "backends: %s", getenv("WLR_BACKENDS"));
	server->backend = wlr_backend_autocreate(server->display);
	if (server->backend == NULL) {
		weft_error_set(err, "cannot create the %s backend", getenv("WLR_BACKENDS"));
		return false;
	}
	if (wlr_backend_is_multi(server->backend)) {
		wlr_multi_for_each_backend(server->backend, find_headless, server);
	} else {
		find_headless(server->backend, server);
	}

	server->renderer = create_renderer(server->backend);
	if (server->renderer == NULL) {
		weft_error_set(err, "cannot create a renderer");
		return false;
	}
	if (!wlr_renderer_init_wl_display(server->renderer, server->display)) {
		weft_error_set(err, "cannot initialise the renderer's globals");
		return false;
	}
	server->allocator = wlr_allocator_autocreate(server->backend, server->renderer);
	if (server->allocator == NULL) {
		weft_error_set(err, "cannot create an allocator");
		return false;
	}

	server->scene = wlr_scene_create();
	server->output_layout = wlr_output_layout_create();
	if (server->scene == NULL || server->output_layout == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	for (int i = 0; i < WEFT_LAYER_COUNT; i++) {
		server->layers[i] = wlr_scene_tree_create(&server->scene->node);
		if (server->layers[i] == NULL) {
			weft_error_set(err, "out of memory");
			return false;
		}
	}

	if (!weft_output_init(server)) {
		weft_error_set(err, "out of memory");
		return false;
	}
	server->seat = weft_seat_create(server, err);
	if (server->seat == NULL || !create_globals(server, err) ||
		!weft_xdg_shell_init(server, err) || !weft_xwayland_init(server, err)) {
		return false;
	}
	server->clipboard = weft_clipboard_create(server);
	if (server->clipboard == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}

	server->sigchld = wl_event_loop_add_signal(server->loop, SIGCHLD, handle_sigchld, server);
	server->sigterm = wl_event_loop_add_signal(server->loop, SIGTERM, handle_terminate,
		server);
	server->sigint = wl_event_loop_add_signal(server->loop, SIGINT, handle_terminate, server);
	/* A paste whose reader went away is an EPIPE for the clipboard, not our
	 * death: the signal is blocked, and read (and dropped) by the loop. */
	server->sigpipe = wl_event_loop_add_signal(server->loop, SIGPIPE, handle_sigpipe, server);
	if (server->sigchld == NULL || server->sigterm == NULL || server->sigint == NULL ||
		server->sigpipe == NULL) {
		weft_error_set(err, "cannot watch signals");
		return false;
	}
	return true;
}

bool weft_server_start(struct weft_server *server, struct weft_error *err)
{
	const struct weft_options *options = &server->options;

	server->socket = wl_display_add_socket_auto(server->display);
	if (server->socket == NULL) {
		weft_error_errno(err, "cannot open a Wayland socket");
		return false;
	}
	if (server->headless != NULL) {
		weft_seat_add_headless_keyboard(server->seat);
	}
	if (!wlr_backend_start(server->backend)) {
		weft_error_set(err, "cannot start the backend");
		return false;
	}
	/* Children (and nested clients started by hand) connect to us, not our parent. */
	unsetenv("WAYLAND_SOCKET");
	if (setenv("WAYLAND_DISPLAY", server->socket, 1) != 0) {
		weft_error_errno(err, "setenv");
		return false;
	}
	weft_log(WEFT_INFO, "running on WAYLAND_DISPLAY=%s", server->socket);

	if (options->shell_fd >= 0) {
		if (weft_client_create_tagged(server, options->shell_fd, WEFT_CLIENT_SHELL, NULL,
			    NULL) == NULL) {
			weft_error_set(err, "cannot create the shell client on fd %d",
				options->shell_fd);
			return false;
		}
	} else if (options->shell_cmd != NULL) {
		server->shell = weft_child_create(server, "shell", options->shell_cmd,
			WEFT_CLIENT_SHELL);
		if (server->shell == NULL) {
			weft_error_set(err, "cannot start the shell");
			return false;
		}
	}
	if (options->appd_fd >= 0) {
		server->control = weft_control_create(server, options->appd_fd);
		if (server->control == NULL) {
			weft_error_set(err, "cannot watch the appd control fd %d",
				options->appd_fd);
			return false;
		}
	} else if (options->appd_socket != NULL) {
		server->appd_listener = weft_appd_listener_create(server, options->appd_socket,
			err);
		if (server->appd_listener == NULL) {
			return false;
		}
	} else if (options->appd_cmd != NULL) {
		server->appd = weft_child_create(server, "appd", options->appd_cmd,
			WEFT_CLIENT_ORDINARY);
		if (server->appd == NULL) {
			weft_error_set(err, "cannot start appd");
			return false;
		}
	}
	/* Before READY=1: units ordered after us find the display. */
	if (options->export_environment && !weft_systemd_export_environment(server, err)) {
		return false;
	}

	sd_notify(0, "READY=1");
	return true;
}

/*
 * Later wlroots asserts in its destroy functions that nobody listens to the
 * object any more; 0.15 does not, and a listener left on a freed object
 * corrupts memory the next time its list changes. Ours are the listeners
 * whose function is in this program.
 */
void weft_server_check_unheard(struct weft_server *server, const char *what,
	struct wl_signal *signals, size_t n)
{
	Dl_info self;
	if (dladdr((void *)weft_server_check_unheard, &self) == 0) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct wl_listener *listener;
		wl_list_for_each (listener, &signals[i].listener_list, link) {
			Dl_info info;
			if (dladdr((void *)listener->notify, &info) == 0 ||
				info.dli_fbase != self.dli_fbase) {
				continue;
			}
			weft_log(WEFT_ERROR,
				"teardown: a listener (%s+%#jx) is still on signal %zu of a %s",
				info.dli_fname,
				(uintmax_t)((uintptr_t)listener->notify -
					(uintptr_t)info.dli_fbase),
				i, what);
			server->listeners_left = true;
		}
	}
}

void weft_server_finish(struct weft_server *server)
{
	if (server->display == NULL) {
		return;
	}
	weft_systemd_unexport_environment(server);
	weft_appd_listener_destroy(server->appd_listener);
	server->appd_listener = NULL;
	weft_child_destroy(server->shell);
	weft_child_destroy(server->appd);
	weft_control_destroy(server->control);
	weft_control_destroy(server->shell_control);
	server->shell = server->appd = NULL;
	server->control = server->shell_control = NULL;
	/* Before the clients go: wlroots would restart a lost X server. */
	weft_xwayland_finish(server);
	wl_display_destroy_clients(server->display);
	/* After the control channel, which cancels its reads, and the
	 * clients, whose selections go with them. */
	weft_clipboard_destroy(server->clipboard);
	server->clipboard = NULL;
	weft_session_lock_destroy(server->session_lock);
	weft_idle_destroy(server->idle);
	server->session_lock = NULL;
	server->idle = NULL;
	weft_layer_shell_destroy(server->layer_shell);
	weft_foreign_toplevels_destroy(server->foreign_toplevels);
	weft_activation_destroy(server->activation);
	server->layer_shell = NULL;
	server->foreign_toplevels = NULL;
	server->activation = NULL;
	if (server->sigchld != NULL) {
		wl_event_source_remove(server->sigchld);
	}
	if (server->sigterm != NULL) {
		wl_event_source_remove(server->sigterm);
	}
	if (server->sigint != NULL) {
		wl_event_source_remove(server->sigint);
	}
	if (server->sigpipe != NULL) {
		wl_event_source_remove(server->sigpipe);
	}
	weft_shortcuts_inhibit_finish(server);
	weft_pointer_finish(server);
	weft_text_input_finish(server);
	weft_output_management_finish(server);
	weft_seat_destroy(server->seat);
	server->seat = NULL;
	weft_xdg_shell_finish(server);
	weft_output_finish(server);
	if (server->backend != NULL) {
		weft_server_check_unheard(server, "wlr_backend", WEFT_EVENTS(server->backend));
		wlr_backend_destroy(server->backend);
	}
	/* The scene listens to the layout: the layout goes first. */
	if (server->output_layout != NULL) {
		weft_server_check_unheard(server, "wlr_output_layout",
			WEFT_EVENTS(server->output_layout));
		wlr_output_layout_destroy(server->output_layout);
	}
	if (server->scene != NULL) {
		wlr_scene_node_destroy(&server->scene->node);
	}
	wl_display_destroy(server->display);
	if (server->allocator != NULL) {
		wlr_allocator_destroy(server->allocator);
	}
	if (server->renderer != NULL) {
		wlr_renderer_destroy(server->renderer);
	}
	server->display = NULL;
}
