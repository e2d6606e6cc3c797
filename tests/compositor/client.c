#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/input-event-codes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>

#include "client.h"
#include "presentation-time-client-protocol.h"
#include "test.h"
#include "virtual-keyboard-unstable-v1-client-protocol.h"
#include "wlr-screencopy-unstable-v1-client-protocol.h"
#include "wlr-virtual-pointer-unstable-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"
#include "zweft-shell-unstable-v1-client-protocol.h"

#define OUTPUT_WIDTH 1280
#define OUTPUT_HEIGHT 720

static void die(const char *what)
{
	fprintf(stderr, "# fatal: %s: %s\n", what, strerror(errno));
	abort();
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the compositor under test ---- */

static char *find_socket(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		return NULL;
	}
	char *found = NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "wayland-", 8) == 0 && strstr(e->d_name, ".lock") == NULL) {
			found = strdup(e->d_name);
			break;
		}
	}
	closedir(d);
	return found;
}

void tc_compositor_start(struct tc_compositor *c, int flags, const char *const *extra_args)
{
	const char *bin = getenv("WEFT_COMPOSITOR");
	if (bin == NULL) {
		fprintf(stderr, "# WEFT_COMPOSITOR is not set\n");
		abort();
	}
	memset(c, 0, sizeof(*c));
	c->shell_fd = c->control_fd = -1;
	c->runtime_dir = test_mkdtemp();
	chmod(c->runtime_dir, 0700);

	/* READY=1 arrives on a notify socket, as under systemd. */
	char notify_path[512];
	snprintf(notify_path, sizeof(notify_path), "%s/notify", c->runtime_dir);
	int notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", notify_path);
	if (notify < 0 || bind(notify, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		die("notify socket");
	}

	int shell[2] = { -1, -1 }, control[2] = { -1, -1 };
	if ((flags & TC_WITH_SHELL) &&
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, shell) != 0) {
		die("socketpair");
	}
	if ((flags & TC_WITH_CONTROL) &&
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) != 0) {
		die("socketpair");
	}

	const char *argv[32];
	int argc = 0;
	char shell_arg[16], control_arg[16];
	argv[argc++] = bin;
	argv[argc++] = "--backend";
	argv[argc++] = (flags & TC_BACKEND_X11) ? "x11"
		: (flags & TC_BACKEND_WAYLAND)  ? "wayland"
						: "headless";
	argv[argc++] = "--size";
	argv[argc++] = "1280x720";
	argv[argc++] = "--no-shell";
	argv[argc++] = "--no-appd";
	if (!(flags & TC_NO_TEST_PROTOCOLS)) {
		argv[argc++] = "--expose-test-protocols";
	}
	if (flags & TC_WITH_SHELL) {
		snprintf(shell_arg, sizeof(shell_arg), "%d", 100);
		argv[argc++] = "--shell-fd";
		argv[argc++] = shell_arg;
	}
	if (flags & TC_WITH_CONTROL) {
		snprintf(control_arg, sizeof(control_arg), "%d", 101);
		argv[argc++] = "--appd-fd";
		argv[argc++] = control_arg;
	}
	for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL && argc < 30; i++) {
		argv[argc++] = extra_args[i];
	}
	argv[argc] = NULL;

	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		die("fork");
	}
	if (pid == 0) {
		/* dup2 onto fixed numbers clears FD_CLOEXEC. */
		if ((shell[1] >= 0 && dup2(shell[1], 100) < 0) ||
			(control[1] >= 0 && dup2(control[1], 101) < 0)) {
			_exit(127);
		}
		setenv("XDG_RUNTIME_DIR", c->runtime_dir, 1);
		setenv("NOTIFY_SOCKET", notify_path, 1);
		setenv("WLR_RENDERER", "pixman", 1);
		setenv("WLR_LIBINPUT_NO_DEVICES", "1", 1);
		unsetenv("WAYLAND_SOCKET");
		if (!(flags & TC_BACKEND_WAYLAND)) {
			unsetenv("WAYLAND_DISPLAY");
		}
		if (!(flags & (TC_BACKEND_X11 | TC_BACKEND_WAYLAND))) {
			setenv("WLR_BACKENDS", "headless", 1);
			if (!(flags & TC_KEEP_DISPLAY)) {
				unsetenv("DISPLAY");
			}
		}
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	c->pid = pid;
	if (shell[1] >= 0) {
		close(shell[1]);
		c->shell_fd = shell[0];
	}
	if (control[1] >= 0) {
		close(control[1]);
		c->control_fd = control[0];
	}

	struct pollfd pfd = { .fd = notify, .events = POLLIN };
	char buf[256];
	bool ready = false;
	int64_t deadline = now_ms() + 10000;
	while (!ready && now_ms() < deadline) {
		if (poll(&pfd, 1, 100) > 0) {
			ssize_t n = recv(notify, buf, sizeof(buf) - 1, 0);
			if (n > 0) {
				buf[n] = '\0';
				ready = strstr(buf, "READY=1") != NULL;
			}
		}
		if (!tc_compositor_alive(c)) {
			break;
		}
	}
	close(notify);
	if (!ready) {
		fprintf(stderr, "# compositor did not become ready\n");
		abort();
	}
	char *name = find_socket(c->runtime_dir);
	if (name == NULL) {
		fprintf(stderr, "# compositor socket not found\n");
		abort();
	}
	snprintf(c->socket, sizeof(c->socket), "%s", name);
	free(name);
}

bool tc_compositor_alive(struct tc_compositor *c)
{
	if (c->pid <= 0) {
		return false;
	}
	int status;
	if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
		fprintf(stderr, "# compositor died (status 0x%x)\n", status);
		c->pid = 0;
		return false;
	}
	return true;
}

int tc_compositor_fd_count(struct tc_compositor *c)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)c->pid);
	DIR *d = opendir(path);
	if (d == NULL) {
		return -1;
	}
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		n += e->d_name[0] != '.';
	}
	closedir(d);
	return n;
}

int tc_compositor_settled_fd_count(struct tc_compositor *c, struct tc_client *client)
{
	/* The compositor closes the fds it sent a client once they are sent,
	 * which may be after the client read them; it answers the second
	 * roundtrip only after it did. */
	tc_client_roundtrip(client);
	tc_client_roundtrip(client);
	return tc_compositor_fd_count(c);
}

int tc_compositor_wait_fd_count(struct tc_compositor *c, int n, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int count = tc_compositor_fd_count(c);
	while (count != n && now_ms() < deadline) {
		usleep(10 * 1000);
		count = tc_compositor_fd_count(c);
	}
	if (count != n) {
		fprintf(stderr, "# the compositor holds %d fds after %d ms, not %d\n", count,
			timeout_ms, n);
	}
	return count;
}

int tc_compositor_stop(struct tc_compositor *c)
{
	int status = -1;
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		/* A clean quit is part of what the tests check (exit 0 means no
		 * listener left behind), so give a loaded machine a minute. */
		for (int i = 0; i < 6000; i++) {
			if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
				break;
			}
			usleep(10000);
			if (i == 5999) {
				fprintf(stderr,
					"# the compositor did not quit within 60 s of SIGTERM\n");
				kill(c->pid, SIGKILL);
				waitpid(c->pid, &status, 0);
			}
		}
		c->pid = 0;
	}
	if (c->shell_fd >= 0) {
		close(c->shell_fd);
	}
	if (c->control_fd >= 0) {
		close(c->control_fd);
	}
	test_rmtree(c->runtime_dir);
	free(c->runtime_dir);
	c->runtime_dir = NULL;
	return status;
}

/* ---- control channel ---- */

#define MAX_QUEUED_EVENTS 64
static struct json_object *queued_events[MAX_QUEUED_EVENTS];
static size_t n_queued_events;

/* One message within timeout_ms; NULL on timeout or hangup. */
static struct json_object *control_recv(struct tc_compositor *c, int timeout_ms, int *fd)
{
	if (fd != NULL) {
		*fd = -1;
	}
	struct pollfd pfd = { .fd = c->control_fd, .events = POLLIN };
	if (poll(&pfd, 1, timeout_ms) <= 0) {
		return NULL;
	}
	/* Room for the largest message the channel carries, and a NUL. */
	static char *buf;
	const size_t size = 1024 * 1024 + 1;
	if (buf == NULL && (buf = malloc(size)) == NULL) {
		die("malloc");
	}
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	ssize_t n = recvmsg(c->control_fd, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0) {
		return NULL;
	}
	buf[n] = '\0';
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);
	if (cmsg != NULL && cmsg->cmsg_type == SCM_RIGHTS) {
		int rfd;
		memcpy(&rfd, CMSG_DATA(cmsg), sizeof(int));
		if (fd != NULL) {
			*fd = rfd;
		} else {
			close(rfd);
		}
	}
	return json_tokener_parse(buf);
}

struct json_object *tc_control_reply(struct tc_compositor *c, int *fd)
{
	return tc_control_reply_within(c, 5000, fd);
}

struct json_object *tc_control_reply_within(struct tc_compositor *c, int timeout_ms, int *fd)
{
	if (fd != NULL) {
		*fd = -1;
	}
	int64_t deadline = now_ms() + timeout_ms;
	while (now_ms() < deadline) {
		int rfd;
		struct json_object *msg = control_recv(c, 100, &rfd);
		if (msg == NULL) {
			continue;
		}
		struct json_object *ev;
		if (json_object_object_get_ex(msg, "event", &ev)) {
			if (n_queued_events < MAX_QUEUED_EVENTS) {
				queued_events[n_queued_events++] = msg;
			} else {
				json_object_put(msg);
			}
			continue;
		}
		if (fd != NULL) {
			*fd = rfd;
		} else if (rfd >= 0) {
			close(rfd);
		}
		return msg;
	}
	return NULL;
}

void tc_control_send(struct tc_compositor *c, const char *json)
{
	/* A datagram may not outgrow the send buffer, whose default is small. */
	int want = (int)strlen(json) + 64 * 1024;
	if (setsockopt(c->control_fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) != 0) {
		die("SO_SNDBUF");
	}
	if (send(c->control_fd, json, strlen(json), MSG_NOSIGNAL) < 0) {
		die("control send");
	}
}

struct json_object *tc_control_request(struct tc_compositor *c, const char *json, int *fd)
{
	tc_control_send(c, json);
	return tc_control_reply(c, fd);
}

static bool event_is(struct json_object *msg, const char *name)
{
	struct json_object *ev;
	return json_object_object_get_ex(msg, "event", &ev) &&
		strcmp(json_object_get_string(ev), name) == 0;
}

struct json_object *tc_control_event(struct tc_compositor *c, const char *name, int timeout_ms)
{
	for (size_t i = 0; i < n_queued_events; i++) {
		if (event_is(queued_events[i], name)) {
			struct json_object *msg = queued_events[i];
			memmove(&queued_events[i], &queued_events[i + 1],
				(n_queued_events - i - 1) * sizeof(queued_events[0]));
			n_queued_events--;
			return msg;
		}
	}
	int64_t deadline = now_ms() + timeout_ms;
	while (now_ms() < deadline) {
		struct json_object *msg = control_recv(c, 50, NULL);
		if (msg == NULL) {
			continue;
		}
		if (event_is(msg, name)) {
			return msg;
		}
		if (n_queued_events < MAX_QUEUED_EVENTS) {
			queued_events[n_queued_events++] = msg;
		} else {
			json_object_put(msg);
		}
	}
	return NULL;
}

int tc_control_create_client(struct tc_compositor *c, const char *app_id, const char *session_id)
{
	char req[512];
	snprintf(req, sizeof(req),
		"{\"id\":1,\"type\":\"create_client\",\"app_id\":\"%s\",\"session_id\":\"%s\"}",
		app_id, session_id);
	int fd = -1;
	struct json_object *reply = tc_control_request(c, req, &fd);
	struct json_object *ok;
	bool success = reply != NULL && json_object_object_get_ex(reply, "ok", &ok) &&
		json_object_get_boolean(ok);
	json_object_put(reply);
	if (!success && fd >= 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* ---- clients ---- */

struct tc_client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct wl_seat *seat;
	struct wl_touch *touch;
	int touch_downs;
	struct wl_keyboard *wl_keyboard;
	int keymap_fd; /* the last wl_keyboard.keymap fd, or -1 */
	int keys_pressed;
	uint32_t last_key;
	struct wl_output *output;
	struct xdg_wm_base *wm_base;
	struct zweft_shell_manager_v1 *zweft;
	struct zwlr_screencopy_manager_v1 *screencopy;
	struct zwlr_virtual_pointer_manager_v1 *pointer_manager;
	struct zwp_virtual_keyboard_manager_v1 *keyboard_manager;
	struct wp_presentation *presentation;
	struct zwlr_virtual_pointer_v1 *pointer;
	struct zwp_virtual_keyboard_v1 *keyboard;
	struct xkb_keymap *keymap;
	struct wl_data_device_manager *data_device_manager;
	struct wl_data_device *data_device;
	uint32_t serial; /* the latest input serial, for set_selection */
	struct tc_offer *offer; /* announced, not yet the selection */
	struct tc_offer *selection;
	struct wl_data_source *source;
	char *source_text;
	enum tc_copy_mode source_mode;
	int source_sends;
	bool source_cancelled;
	int silent_fds[16]; /* pipes a TC_COPY_SILENT source keeps open */
	size_t n_silent_fds;
	struct wl_list windows; /* tc_window.link */
	struct wl_list buffers; /* tc_buffer.link, not yet released */
	char *globals[128];
	uint32_t global_names[128], global_versions[128];
	size_t n_globals;
};

struct tc_offer {
	struct wl_data_offer *offer;
	char *mime_types[16];
	size_t n_mime_types;
};

struct tc_buffer {
	struct wl_list link; /* tc_client.buffers */
	struct wl_buffer *buffer;
	void *data;
	size_t size;
};

struct tc_window {
	struct wl_list link; /* tc_client.windows */
	struct tc_client *client;
	struct wl_surface *surface;
	struct zweft_shell_window_v1 *zweft;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct tc_window_state st;
	int32_t xdg_width, xdg_height;
	uint32_t color;
	bool opaque; /* declare the whole surface opaque */
};

static void buffer_release(void *data, struct wl_buffer *wl_buffer);

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct tc_client *client = data;
	if (client->n_globals < sizeof(client->globals) / sizeof(client->globals[0])) {
		client->global_names[client->n_globals] = name;
		client->global_versions[client->n_globals] = version;
		client->globals[client->n_globals++] = strdup(interface);
	}
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		client->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		client->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && client->seat == NULL) {
		client->seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	} else if (strcmp(interface, wl_output_interface.name) == 0 && client->output == NULL) {
		client->output = wl_registry_bind(registry, name, &wl_output_interface, 1);
	} else if (strcmp(interface, wl_data_device_manager_interface.name) == 0) {
		client->data_device_manager = wl_registry_bind(registry, name,
			&wl_data_device_manager_interface, 3);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		client->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
	} else if (strcmp(interface, wp_presentation_interface.name) == 0) {
		client->presentation = wl_registry_bind(registry, name, &wp_presentation_interface,
			1);
	} else if (strcmp(interface, zweft_shell_manager_v1_interface.name) == 0) {
		client->zweft = wl_registry_bind(registry, name, &zweft_shell_manager_v1_interface,
			2);
	} else if (strcmp(interface, zwlr_screencopy_manager_v1_interface.name) == 0) {
		client->screencopy = wl_registry_bind(registry, name,
			&zwlr_screencopy_manager_v1_interface, 1);
	} else if (strcmp(interface, zwlr_virtual_pointer_manager_v1_interface.name) == 0) {
		client->pointer_manager = wl_registry_bind(registry, name,
			&zwlr_virtual_pointer_manager_v1_interface, 1);
	} else if (strcmp(interface, zwp_virtual_keyboard_manager_v1_interface.name) == 0) {
		client->keyboard_manager = wl_registry_bind(registry, name,
			&zwp_virtual_keyboard_manager_v1_interface, 1);
	}
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static void touch_down(void *data, struct wl_touch *touch, uint32_t serial, uint32_t time,
	struct wl_surface *surface, int32_t id, wl_fixed_t x, wl_fixed_t y)
{
	struct tc_client *client = data;
	client->touch_downs++;
}

static void touch_up(void *data, struct wl_touch *touch, uint32_t serial, uint32_t time,
	int32_t id)
{
}

static void touch_motion(void *data, struct wl_touch *touch, uint32_t time, int32_t id,
	wl_fixed_t x, wl_fixed_t y)
{
}

static void touch_frame(void *data, struct wl_touch *touch)
{
}

static void touch_cancel(void *data, struct wl_touch *touch)
{
}

static const struct wl_touch_listener touch_listener = {
	.down = touch_down,
	.up = touch_up,
	.motion = touch_motion,
	.frame = touch_frame,
	.cancel = touch_cancel,
};

static void keyboard_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format, int32_t fd,
	uint32_t size)
{
	struct tc_client *client = data;
	if (client->keymap_fd >= 0) {
		close(client->keymap_fd);
	}
	client->keymap_fd = fd;
}

static void keyboard_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	struct wl_surface *surface, struct wl_array *keys)
{
	struct tc_client *client = data;
	client->serial = serial;
}

static void keyboard_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	struct wl_surface *surface)
{
}

static void keyboard_key(void *data, struct wl_keyboard *keyboard, uint32_t serial, uint32_t time,
	uint32_t key, uint32_t state)
{
	struct tc_client *client = data;
	client->serial = serial;
	if (state == WL_KEYBOARD_KEY_STATE_PRESSED) {
		client->keys_pressed++;
		client->last_key = key;
	}
}

static void keyboard_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group)
{
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_keymap,
	.enter = keyboard_enter,
	.leave = keyboard_leave,
	.key = keyboard_key,
	.modifiers = keyboard_modifiers,
};

static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
	struct tc_client *client = data;
	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && client->wl_keyboard == NULL) {
		client->wl_keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(client->wl_keyboard, &keyboard_listener, client);
	}
	if ((caps & WL_SEAT_CAPABILITY_TOUCH) && client->touch == NULL) {
		client->touch = wl_seat_get_touch(seat);
		wl_touch_add_listener(client->touch, &touch_listener, client);
	}
}

static const struct wl_seat_listener seat_listener = { .capabilities = seat_capabilities };

/* ---- the clipboard ---- */

static void offer_destroy(struct tc_offer *offer)
{
	if (offer == NULL) {
		return;
	}
	for (size_t i = 0; i < offer->n_mime_types; i++) {
		free(offer->mime_types[i]);
	}
	wl_data_offer_destroy(offer->offer);
	free(offer);
}

static void offer_offer(void *data, struct wl_data_offer *wl_offer, const char *mime_type)
{
	struct tc_offer *offer = data;
	if (offer->n_mime_types < sizeof(offer->mime_types) / sizeof(offer->mime_types[0])) {
		offer->mime_types[offer->n_mime_types++] = strdup(mime_type);
	}
}

static void offer_source_actions(void *data, struct wl_data_offer *wl_offer, uint32_t actions)
{
}

static void offer_action(void *data, struct wl_data_offer *wl_offer, uint32_t action)
{
}

static const struct wl_data_offer_listener offer_listener = {
	.offer = offer_offer,
	.source_actions = offer_source_actions,
	.action = offer_action,
};

static void device_data_offer(void *data, struct wl_data_device *device,
	struct wl_data_offer *wl_offer)
{
	struct tc_client *client = data;
	struct tc_offer *offer = calloc(1, sizeof(*offer));
	if (offer == NULL) {
		die("calloc");
	}
	offer->offer = wl_offer;
	wl_data_offer_add_listener(wl_offer, &offer_listener, offer);
	offer_destroy(client->offer);
	client->offer = offer;
}

static void device_enter(void *data, struct wl_data_device *device, uint32_t serial,
	struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y, struct wl_data_offer *offer)
{
}

static void device_leave(void *data, struct wl_data_device *device)
{
}

static void device_motion(void *data, struct wl_data_device *device, uint32_t time, wl_fixed_t x,
	wl_fixed_t y)
{
}

static void device_drop(void *data, struct wl_data_device *device)
{
}

static void device_selection(void *data, struct wl_data_device *device,
	struct wl_data_offer *wl_offer)
{
	struct tc_client *client = data;
	offer_destroy(client->selection);
	client->selection = NULL;
	if (wl_offer != NULL && client->offer != NULL && client->offer->offer == wl_offer) {
		client->selection = client->offer;
		client->offer = NULL;
	}
}

static const struct wl_data_device_listener device_listener = {
	.data_offer = device_data_offer,
	.enter = device_enter,
	.leave = device_leave,
	.motion = device_motion,
	.drop = device_drop,
	.selection = device_selection,
};

static void source_target(void *data, struct wl_data_source *source, const char *mime_type)
{
}

static void source_send(void *data, struct wl_data_source *source, const char *mime_type,
	int32_t fd)
{
	struct tc_client *client = data;
	client->source_sends++;
	if (client->source_mode == TC_COPY_SILENT &&
		client->n_silent_fds <
			sizeof(client->silent_fds) / sizeof(client->silent_fds[0])) {
		client->silent_fds[client->n_silent_fds++] = fd;
		return;
	}
	size_t len = strlen(client->source_text);
	size_t rounds = client->source_mode == TC_COPY_FLOOD ? 1000 : 1;
	for (size_t i = 0; i < rounds; i++) {
		if (len > 0 && write(fd, client->source_text, len) != (ssize_t)len) {
			break; /* EPIPE, when the reader has had enough */
		}
	}
	close(fd);
}

static void source_cancelled(void *data, struct wl_data_source *source)
{
	struct tc_client *client = data;
	client->source_cancelled = true;
}

static void source_dnd_drop_performed(void *data, struct wl_data_source *source)
{
}

static void source_dnd_finished(void *data, struct wl_data_source *source)
{
}

static void source_action(void *data, struct wl_data_source *source, uint32_t action)
{
}

static const struct wl_data_source_listener source_listener = {
	.target = source_target,
	.send = source_send,
	.cancelled = source_cancelled,
	.dnd_drop_performed = source_dnd_drop_performed,
	.dnd_finished = source_dnd_finished,
	.action = source_action,
};

static void drop_source(struct tc_client *client)
{
	if (client->source != NULL) {
		wl_data_source_destroy(client->source);
		client->source = NULL;
	}
	free(client->source_text);
	client->source_text = NULL;
	for (size_t i = 0; i < client->n_silent_fds; i++) {
		close(client->silent_fds[i]);
	}
	client->n_silent_fds = 0;
}

void tc_client_copy(struct tc_client *client, const char *text, const char *mime_type,
	enum tc_copy_mode mode)
{
	if (client->data_device == NULL) {
		fprintf(stderr, "# no data device\n");
		abort();
	}
	drop_source(client);
	client->source_text = strdup(text);
	client->source_mode = mode;
	client->source_sends = 0;
	client->source_cancelled = false;
	client->source = wl_data_device_manager_create_data_source(client->data_device_manager);
	wl_data_source_add_listener(client->source, &source_listener, client);
	if (mime_type != NULL) {
		wl_data_source_offer(client->source, mime_type);
	} else {
		wl_data_source_offer(client->source, "text/plain;charset=utf-8");
		wl_data_source_offer(client->source, "text/plain");
	}
	wl_data_device_set_selection(client->data_device, client->source, client->serial);
	tc_client_roundtrip(client);
}

int tc_client_copy_sends(struct tc_client *client, bool *cancelled)
{
	if (cancelled != NULL) {
		*cancelled = client->source_cancelled;
	}
	return client->source_sends;
}

bool tc_client_wait_reader_gone(struct tc_client *client, int timeout_ms)
{
	if (client->n_silent_fds == 0) {
		return false;
	}
	/* A pipe's write end reports an error once no reader is left. */
	struct pollfd pfd = { .fd = client->silent_fds[client->n_silent_fds - 1] };
	int64_t deadline = now_ms() + timeout_ms;
	int64_t left;
	while ((left = deadline - now_ms()) > 0) {
		int n = poll(&pfd, 1, (int)left);
		if (n > 0 && (pfd.revents & POLLERR)) {
			return true;
		}
		if (n < 0 && errno != EINTR) {
			return false;
		}
	}
	return false;
}

bool tc_client_offered(struct tc_client *client, const char *mime_type)
{
	struct tc_offer *offer = client->selection;
	for (size_t i = 0; offer != NULL && i < offer->n_mime_types; i++) {
		if (offer->mime_types[i] != NULL && strcmp(offer->mime_types[i], mime_type) == 0) {
			return true;
		}
	}
	return false;
}

int tc_client_receive(struct tc_client *client, const char *mime_type)
{
	if (client->selection == NULL) {
		return -1;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		die("pipe");
	}
	wl_data_offer_receive(client->selection->offer, mime_type, fds[1]);
	close(fds[1]);
	wl_display_flush(client->display);
	return fds[0];
}

char *tc_client_paste(struct tc_client *client, const char *mime_type)
{
	int fd = tc_client_receive(client, mime_type);
	if (fd < 0) {
		return NULL;
	}
	size_t len = 0, cap = 65536;
	char *text = malloc(cap);
	int64_t deadline = now_ms() + 3000;
	bool eof = false;
	while (!eof && now_ms() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 20) <= 0) {
			/* The data may be ours to send. */
			tc_client_roundtrip(client);
			continue;
		}
		if (text == NULL ||
			(len + 4096 > cap && (text = realloc(text, cap *= 2)) == NULL)) {
			die("malloc");
		}
		ssize_t n = read(fd, text + len, cap - len - 1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			eof = true;
		} else {
			len += (size_t)n;
		}
	}
	close(fd);
	if (!eof) {
		fprintf(stderr, "# paste: no end of data within 3 s\n");
		free(text);
		return NULL;
	}
	text[len] = '\0';
	return text;
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

static void handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = { .ping = handle_ping };

static struct tc_client *client_init(struct wl_display *display)
{
	if (display == NULL) {
		fprintf(stderr, "# cannot connect to the compositor\n");
		abort();
	}
	struct tc_client *client = calloc(1, sizeof(*client));
	if (client == NULL) {
		die("calloc");
	}
	client->display = display;
	client->keymap_fd = -1;
	wl_list_init(&client->windows);
	wl_list_init(&client->buffers);
	client->registry = wl_display_get_registry(display);
	wl_registry_add_listener(client->registry, &registry_listener, client);
	wl_display_roundtrip(display);
	if (client->wm_base != NULL) {
		xdg_wm_base_add_listener(client->wm_base, &wm_base_listener, client);
	}
	if (client->seat != NULL) {
		wl_seat_add_listener(client->seat, &seat_listener, client);
	}
	if (client->seat != NULL && client->data_device_manager != NULL) {
		client->data_device =
			wl_data_device_manager_get_data_device(client->data_device_manager,
				client->seat);
		wl_data_device_add_listener(client->data_device, &device_listener, client);
	}
	wl_display_roundtrip(display);
	return client;
}

struct tc_client *tc_client_connect(struct tc_compositor *c)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", c->runtime_dir, c->socket);
	return client_init(wl_display_connect(path));
}

struct tc_client *tc_client_connect_fd(int fd)
{
	return client_init(wl_display_connect_to_fd(fd));
}

void tc_client_destroy(struct tc_client *client)
{
	if (client == NULL) {
		return;
	}
	for (size_t i = 0; i < client->n_globals; i++) {
		free(client->globals[i]);
	}
	xkb_keymap_unref(client->keymap);
	if (client->keymap_fd >= 0) {
		close(client->keymap_fd);
	}
	if (client->keyboard != NULL) {
		zwp_virtual_keyboard_v1_destroy(client->keyboard);
		client->keyboard = NULL;
		wl_display_roundtrip(client->display);
	}
	/* Free our proxies; nothing is flushed, so to the compositor this looks
	 * like a client that vanished. */
	struct tc_window *window, *wtmp;
	wl_list_for_each_safe (window, wtmp, &client->windows, link) {
		tc_window_destroy(window);
	}
	struct tc_buffer *buffer, *btmp;
	wl_list_for_each_safe (buffer, btmp, &client->buffers, link) {
		buffer_release(buffer, buffer->buffer);
	}
	drop_source(client);
	offer_destroy(client->offer);
	offer_destroy(client->selection);
	struct wl_proxy *proxies[] = {
		(struct wl_proxy *)client->data_device,
		(struct wl_proxy *)client->data_device_manager,
		(struct wl_proxy *)client->compositor,
		(struct wl_proxy *)client->shm,
		(struct wl_proxy *)client->touch,
		(struct wl_proxy *)client->wl_keyboard,
		(struct wl_proxy *)client->seat,
		(struct wl_proxy *)client->output,
		(struct wl_proxy *)client->wm_base,
		(struct wl_proxy *)client->zweft,
		(struct wl_proxy *)client->screencopy,
		(struct wl_proxy *)client->pointer_manager,
		(struct wl_proxy *)client->keyboard_manager,
		(struct wl_proxy *)client->presentation,
		(struct wl_proxy *)client->pointer,
		(struct wl_proxy *)client->keyboard,
		(struct wl_proxy *)client->registry,
	};
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++) {
		if (proxies[i] != NULL) {
			wl_proxy_destroy(proxies[i]);
		}
	}
	wl_display_disconnect(client->display);
	free(client);
}

bool tc_client_has_global(struct tc_client *client, const char *interface)
{
	for (size_t i = 0; i < client->n_globals; i++) {
		if (strcmp(client->globals[i], interface) == 0) {
			return true;
		}
	}
	return false;
}

void *tc_client_bind(struct tc_client *client, const struct wl_interface *interface,
	uint32_t version)
{
	for (size_t i = 0; i < client->n_globals; i++) {
		if (strcmp(client->globals[i], interface->name) == 0 &&
			client->global_versions[i] >= version) {
			return wl_registry_bind(client->registry, client->global_names[i],
				interface, version);
		}
	}
	return NULL;
}

struct wl_display *tc_client_display(struct tc_client *client)
{
	return client->display;
}

struct wl_seat *tc_client_seat(struct tc_client *client)
{
	return client->seat;
}

uint32_t tc_client_serial(struct tc_client *client)
{
	return client->serial;
}

struct wl_surface *tc_window_surface(struct tc_window *window)
{
	return window->surface;
}

int tc_client_touch_downs(struct tc_client *client)
{
	return client->touch_downs;
}

int tc_client_keys_pressed(struct tc_client *client, uint32_t *last_key)
{
	if (last_key != NULL) {
		*last_key = client->last_key;
	}
	return client->keys_pressed;
}

int tc_client_keymap_fd(struct tc_client *client, int timeout_ms)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (client->keymap_fd < 0) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - start.tv_sec) * 1000 +
			(now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed > timeout_ms || wl_display_roundtrip(client->display) < 0) {
			return -1;
		}
	}
	int fd = client->keymap_fd;
	client->keymap_fd = -1;
	return fd;
}

bool tc_client_roundtrip(struct tc_client *client)
{
	return wl_display_roundtrip(client->display) >= 0;
}

bool tc_client_protocol_error(struct tc_client *client, uint32_t *code, const char **interface)
{
	const struct wl_interface *iface = NULL;
	uint32_t id;
	if (wl_display_get_error(client->display) != EPROTO) {
		return false;
	}
	*code = wl_display_get_protocol_error(client->display, &iface, &id);
	*interface = iface != NULL ? iface->name : "";
	return true;
}

/* ---- shm buffers ---- */

static void buffer_release(void *data, struct wl_buffer *wl_buffer)
{
	struct tc_buffer *buffer = data;
	wl_list_remove(&buffer->link);
	wl_buffer_destroy(buffer->buffer);
	munmap(buffer->data, buffer->size);
	free(buffer);
}

static const struct wl_buffer_listener buffer_listener = { .release = buffer_release };

static struct tc_buffer *buffer_create(struct tc_client *client, int width, int height,
	uint32_t format, int stride)
{
	struct wl_shm *shm = client->shm;
	struct tc_buffer *buffer = calloc(1, sizeof(*buffer));
	buffer->size = (size_t)stride * height;
	int fd = memfd_create("tc-buffer", MFD_CLOEXEC);
	if (buffer == NULL || fd < 0 || ftruncate(fd, (off_t)buffer->size) != 0) {
		die("shm buffer");
	}
	buffer->data = mmap(NULL, buffer->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (buffer->data == MAP_FAILED) {
		die("mmap");
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(shm, fd, (int32_t)buffer->size);
	buffer->buffer = wl_shm_pool_create_buffer(pool, 0, width, height, stride, format);
	wl_shm_pool_destroy(pool);
	close(fd);
	wl_list_insert(&client->buffers, &buffer->link);
	return buffer;
}

/* ---- windows ---- */

static void draw(struct tc_window *window, int width, int height)
{
	if (width <= 0 || height <= 0) {
		width = height = 64;
	}
	struct tc_buffer *buffer = buffer_create(window->client, width, height,
		WL_SHM_FORMAT_ARGB8888, width * 4);
	uint32_t *px = buffer->data;
	for (size_t i = 0; i < (size_t)width * height; i++) {
		px[i] = window->color;
	}
	wl_buffer_add_listener(buffer->buffer, &buffer_listener, buffer);
	struct wl_region *region = NULL;
	if (window->opaque) {
		region = wl_compositor_create_region(window->client->compositor);
		wl_region_add(region, 0, 0, width, height);
	}
	wl_surface_set_opaque_region(window->surface, region);
	if (region != NULL) {
		wl_region_destroy(region);
	}
	wl_surface_attach(window->surface, buffer->buffer, 0, 0);
	wl_surface_damage(window->surface, 0, 0, width, height);
	wl_surface_commit(window->surface);
}

static void zweft_configure(void *data, struct zweft_shell_window_v1 *w, int32_t x, int32_t y,
	int32_t width, int32_t height, uint32_t state)
{
	struct tc_window *window = data;
	window->st.x = x;
	window->st.y = y;
	window->st.width = width;
	window->st.height = height;
	window->st.state = state;
	window->st.configures++;
}

static void zweft_focus_changed(void *data, struct zweft_shell_window_v1 *w, uint32_t focused)
{
	struct tc_window *window = data;
	window->st.focused = (int)focused;
	window->st.focus_events++;
}

static void zweft_window_closed(void *data, struct zweft_shell_window_v1 *w)
{
	struct tc_window *window = data;
	window->st.closed = true;
}

static void zweft_presentation_feedback(void *data, struct zweft_shell_window_v1 *w,
	uint32_t tv_sec, uint32_t tv_nsec, uint32_t refresh)
{
	struct tc_window *window = data;
	window->st.presentation_feedbacks++;
}

static void zweft_navigation_gesture(void *data, struct zweft_shell_window_v1 *w, uint32_t type,
	uint32_t fingers, wl_fixed_t dx, wl_fixed_t dy)
{
	struct tc_window *window = data;
	window->st.gestures++;
	window->st.gesture_type = type;
	window->st.gesture_fingers = fingers;
	window->st.gesture_dx = wl_fixed_to_double(dx);
	window->st.gesture_dy = wl_fixed_to_double(dy);
}

static const struct zweft_shell_window_v1_listener zweft_listener = {
	.configure = zweft_configure,
	.focus_changed = zweft_focus_changed,
	.window_closed = zweft_window_closed,
	.presentation_feedback = zweft_presentation_feedback,
	.navigation_gesture = zweft_navigation_gesture,
};

static struct tc_window *window_new(struct tc_client *client, uint32_t color)
{
	struct tc_window *window = calloc(1, sizeof(*window));
	if (window == NULL) {
		die("calloc");
	}
	window->client = client;
	window->color = color;
	window->st.focused = -1;
	window->surface = wl_compositor_create_surface(client->compositor);
	wl_list_insert(&client->windows, &window->link);
	return window;
}

struct tc_window *tc_zweft_window_create(struct tc_client *client, const char *app_id,
	const char *role, int x, int y, int width, int height, uint32_t color)
{
	if (client->zweft == NULL) {
		return NULL;
	}
	struct tc_window *window = window_new(client, color);
	window->zweft = zweft_shell_manager_v1_create_window(client->zweft, app_id, "test", role,
		window->surface, x, y, width, height);
	zweft_shell_window_v1_add_listener(window->zweft, &zweft_listener, window);
	if (!tc_client_roundtrip(client)) {
		return window;
	}
	if (window->st.configures > 0) {
		draw(window, window->st.width, window->st.height);
		tc_client_roundtrip(client);
	}
	return window;
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct tc_window *window = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	window->st.configures++;
	window->st.width = window->xdg_width;
	window->st.height = window->xdg_height;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_configure,
};

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
	int32_t height, struct wl_array *states)
{
	struct tc_window *window = data;
	window->xdg_width = width;
	window->xdg_height = height;
	uint32_t state = 0;
	uint32_t *s;
	wl_array_for_each (s, states) {
		if (*s == XDG_TOPLEVEL_STATE_MAXIMIZED) {
			state |= 1;
		} else if (*s == XDG_TOPLEVEL_STATE_ACTIVATED) {
			state |= 4;
		}
	}
	window->st.state = state;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	struct tc_window *window = data;
	window->st.closed = true;
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

struct tc_window *tc_xdg_window_create(struct tc_client *client, const char *title, uint32_t color)
{
	struct tc_window *window = window_new(client, color);
	window->xdg_surface = xdg_wm_base_get_xdg_surface(client->wm_base, window->surface);
	xdg_surface_add_listener(window->xdg_surface, &xdg_surface_listener, window);
	window->toplevel = xdg_surface_get_toplevel(window->xdg_surface);
	xdg_toplevel_add_listener(window->toplevel, &toplevel_listener, window);
	xdg_toplevel_set_title(window->toplevel, title);
	wl_surface_commit(window->surface);
	for (int i = 0; i < 10 && window->st.configures == 0; i++) {
		if (!tc_client_roundtrip(client)) {
			return window;
		}
	}
	draw(window, window->st.width, window->st.height);
	tc_client_roundtrip(client);
	return window;
}

const struct tc_window_state *tc_window_state(struct tc_window *window)
{
	return &window->st;
}

void tc_window_set_geometry(struct tc_window *window, int x, int y, int width, int height)
{
	zweft_shell_window_v1_set_geometry(window->zweft, x, y, width, height);
}

void tc_window_update_metadata(struct tc_window *window, const char *title, const char *role)
{
	zweft_shell_window_v1_update_metadata(window->zweft, title, role);
}

void tc_window_redraw(struct tc_window *window, uint32_t color)
{
	window->color = color;
	draw(window, window->st.width, window->st.height);
}

void tc_window_set_opaque(struct tc_window *window, bool opaque)
{
	window->opaque = opaque;
}

static void frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	*(bool *)data = true;
}

static const struct wl_callback_listener frame_done_listener = { .done = frame_done };

bool tc_window_redraw_frame(struct tc_window *window, uint32_t color, int timeout_ms)
{
	bool done = false;
	struct wl_callback *callback = wl_surface_frame(window->surface);
	wl_callback_add_listener(callback, &frame_done_listener, &done);
	tc_window_redraw(window, color);
	int64_t deadline = now_ms() + timeout_ms;
	while (!done && now_ms() < deadline) {
		if (!tc_client_roundtrip(window->client)) {
			break;
		}
		if (!done) {
			usleep(5000);
		}
	}
	wl_callback_destroy(callback);
	return done;
}

/* 1 presented, 0 discarded, -1 no answer yet. */
static void feedback_sync_output(void *data, struct wp_presentation_feedback *fb,
	struct wl_output *output)
{
}

static void feedback_presented(void *data, struct wp_presentation_feedback *fb, uint32_t tv_sec_hi,
	uint32_t tv_sec_lo, uint32_t tv_nsec, uint32_t refresh, uint32_t seq_hi, uint32_t seq_lo,
	uint32_t flags)
{
	*(int *)data = 1;
}

static void feedback_discarded(void *data, struct wp_presentation_feedback *fb)
{
	*(int *)data = 0;
}

static const struct wp_presentation_feedback_listener feedback_listener = {
	.sync_output = feedback_sync_output,
	.presented = feedback_presented,
	.discarded = feedback_discarded,
};

int tc_window_redraw_presented(struct tc_window *window, uint32_t color)
{
	struct tc_client *client = window->client;
	if (client->presentation == NULL) {
		return -1;
	}
	int result = -1;
	struct wp_presentation_feedback *fb = wp_presentation_feedback(client->presentation,
		window->surface);
	wp_presentation_feedback_add_listener(fb, &feedback_listener, &result);
	tc_window_redraw(window, color);
	int64_t deadline = now_ms() + 2000;
	while (result < 0 && now_ms() < deadline) {
		if (!tc_client_roundtrip(client)) {
			break;
		}
		if (result < 0) {
			usleep(5000);
		}
	}
	wp_presentation_feedback_destroy(fb);
	return result;
}

void tc_window_destroy(struct tc_window *window)
{
	if (window == NULL) {
		return;
	}
	if (window->zweft != NULL) {
		zweft_shell_window_v1_destroy(window->zweft);
	}
	if (window->toplevel != NULL) {
		xdg_toplevel_destroy(window->toplevel);
	}
	if (window->xdg_surface != NULL) {
		xdg_surface_destroy(window->xdg_surface);
	}
	wl_surface_destroy(window->surface);
	wl_list_remove(&window->link);
	free(window);
}

/* ---- screencopy ---- */

struct capture {
	struct tc_client *client;
	struct tc_buffer *buffer;
	uint32_t format;
	int width, height, stride;
	bool y_invert, done, failed;
};

static void frame_buffer(void *data, struct zwlr_screencopy_frame_v1 *frame, uint32_t format,
	uint32_t width, uint32_t height, uint32_t stride)
{
	struct capture *cap = data;
	cap->format = format;
	cap->width = (int)width;
	cap->height = (int)height;
	cap->stride = (int)stride;
	cap->buffer = buffer_create(cap->client, cap->width, cap->height, format, cap->stride);
	zwlr_screencopy_frame_v1_copy(frame, cap->buffer->buffer);
}

static void frame_flags(void *data, struct zwlr_screencopy_frame_v1 *frame, uint32_t flags)
{
	struct capture *cap = data;
	cap->y_invert = flags & ZWLR_SCREENCOPY_FRAME_V1_FLAGS_Y_INVERT;
}

static void frame_ready(void *data, struct zwlr_screencopy_frame_v1 *frame, uint32_t sec_hi,
	uint32_t sec_lo, uint32_t nsec)
{
	struct capture *cap = data;
	cap->done = true;
}

static void frame_failed(void *data, struct zwlr_screencopy_frame_v1 *frame)
{
	struct capture *cap = data;
	cap->failed = true;
}

static void frame_damage(void *data, struct zwlr_screencopy_frame_v1 *frame, uint32_t x,
	uint32_t y, uint32_t width, uint32_t height)
{
}

static void frame_linux_dmabuf(void *data, struct zwlr_screencopy_frame_v1 *frame, uint32_t format,
	uint32_t width, uint32_t height)
{
}

static void frame_buffer_done(void *data, struct zwlr_screencopy_frame_v1 *frame)
{
}

static const struct zwlr_screencopy_frame_v1_listener frame_listener = {
	.buffer = frame_buffer,
	.flags = frame_flags,
	.ready = frame_ready,
	.failed = frame_failed,
	.damage = frame_damage,
	.linux_dmabuf = frame_linux_dmabuf,
	.buffer_done = frame_buffer_done,
};

bool tc_screencopy(struct tc_client *client, struct tc_image *image)
{
	memset(image, 0, sizeof(*image));
	if (client->screencopy == NULL || client->output == NULL) {
		return false;
	}
	struct capture cap = { .client = client };
	struct zwlr_screencopy_frame_v1 *frame =
		zwlr_screencopy_manager_v1_capture_output(client->screencopy, 0, client->output);
	zwlr_screencopy_frame_v1_add_listener(frame, &frame_listener, &cap);
	int64_t deadline = now_ms() + 5000;
	while (!cap.done && !cap.failed && now_ms() < deadline) {
		if (wl_display_roundtrip(client->display) < 0) {
			break;
		}
		if (!cap.done && !cap.failed) {
			usleep(5000);
		}
	}
	zwlr_screencopy_frame_v1_destroy(frame);
	if (!cap.done || cap.buffer == NULL) {
		return false;
	}
	if (cap.format != WL_SHM_FORMAT_XRGB8888 && cap.format != WL_SHM_FORMAT_ARGB8888) {
		fprintf(stderr, "# unexpected screencopy format 0x%x\n", cap.format);
		return false;
	}
	image->width = cap.width;
	image->height = cap.height;
	image->pixels = malloc((size_t)cap.width * cap.height * 4);
	for (int y = 0; y < cap.height; y++) {
		int src_y = cap.y_invert ? cap.height - 1 - y : y;
		memcpy(image->pixels + (size_t)y * cap.width,
			(char *)cap.buffer->data + (size_t)src_y * cap.stride,
			(size_t)cap.width * 4);
	}
	/* The compositor is done with it: no release comes for screencopy buffers. */
	buffer_release(cap.buffer, cap.buffer->buffer);
	return true;
}

uint32_t tc_image_pixel(const struct tc_image *image, int x, int y)
{
	if (x < 0 || y < 0 || x >= image->width || y >= image->height) {
		return 0xdeadbeef;
	}
	return image->pixels[(size_t)y * image->width + x] & 0xffffff;
}

void tc_image_finish(struct tc_image *image)
{
	free(image->pixels);
	image->pixels = NULL;
}

/* ---- virtual input ---- */

static void ensure_keyboard(struct tc_client *client)
{
	if (client->keyboard != NULL) {
		return;
	}
	if (client->keyboard_manager == NULL || client->seat == NULL) {
		fprintf(stderr, "# no virtual keyboard manager\n");
		abort();
	}
	struct xkb_context *ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_rule_names names = { .layout = "us" };
	client->keymap = xkb_keymap_new_from_names(ctx, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
	xkb_context_unref(ctx);
	if (client->keymap == NULL) {
		fprintf(stderr, "# cannot compile a keymap\n");
		abort();
	}
	char *text = xkb_keymap_get_as_string(client->keymap, XKB_KEYMAP_FORMAT_TEXT_V1);
	size_t size = strlen(text) + 1;
	int fd = memfd_create("tc-keymap", MFD_CLOEXEC);
	if (fd < 0 || write(fd, text, size) != (ssize_t)size) {
		die("keymap");
	}
	free(text);
	client->keyboard =
		zwp_virtual_keyboard_manager_v1_create_virtual_keyboard(client->keyboard_manager,
			client->seat);
	zwp_virtual_keyboard_v1_keymap(client->keyboard, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd,
		(uint32_t)size);
	close(fd);
	tc_client_roundtrip(client);
}

void tc_key(struct tc_client *client, const char *const *mods, uint32_t key)
{
	ensure_keyboard(client);
	uint32_t mask = 0;
	for (size_t i = 0; mods != NULL && mods[i] != NULL; i++) {
		xkb_mod_index_t idx = xkb_keymap_mod_get_index(client->keymap, mods[i]);
		if (idx != XKB_MOD_INVALID) {
			mask |= 1u << idx;
		}
	}
	uint32_t t = (uint32_t)now_ms();
	zwp_virtual_keyboard_v1_modifiers(client->keyboard, mask, 0, 0, 0);
	zwp_virtual_keyboard_v1_key(client->keyboard, t, key, WL_KEYBOARD_KEY_STATE_PRESSED);
	zwp_virtual_keyboard_v1_key(client->keyboard, t + 1, key, WL_KEYBOARD_KEY_STATE_RELEASED);
	zwp_virtual_keyboard_v1_modifiers(client->keyboard, 0, 0, 0, 0);
	tc_client_roundtrip(client);
}

void tc_key_modifiers(struct tc_client *client, const char *const *mods)
{
	ensure_keyboard(client);
	uint32_t mask = 0;
	for (size_t i = 0; mods != NULL && mods[i] != NULL; i++) {
		xkb_mod_index_t idx = xkb_keymap_mod_get_index(client->keymap, mods[i]);
		if (idx != XKB_MOD_INVALID) {
			mask |= 1u << idx;
		}
	}
	zwp_virtual_keyboard_v1_modifiers(client->keyboard, mask, 0, 0, 0);
	tc_client_roundtrip(client);
}

void tc_key_tap(struct tc_client *client, uint32_t key)
{
	ensure_keyboard(client);
	uint32_t t = (uint32_t)now_ms();
	zwp_virtual_keyboard_v1_key(client->keyboard, t, key, WL_KEYBOARD_KEY_STATE_PRESSED);
	zwp_virtual_keyboard_v1_key(client->keyboard, t + 1, key, WL_KEYBOARD_KEY_STATE_RELEASED);
	tc_client_roundtrip(client);
}

static void pointer_move(struct tc_client *client, uint32_t t, int x, int y)
{
	if (client->pointer == NULL) {
		if (client->pointer_manager == NULL) {
			fprintf(stderr, "# no virtual pointer manager\n");
			abort();
		}
		client->pointer = zwlr_virtual_pointer_manager_v1_create_virtual_pointer(
			client->pointer_manager, client->seat);
	}
	zwlr_virtual_pointer_v1_motion_absolute(client->pointer, t, (uint32_t)x, (uint32_t)y,
		OUTPUT_WIDTH, OUTPUT_HEIGHT);
	zwlr_virtual_pointer_v1_frame(client->pointer);
}

void tc_pointer_move_by(struct tc_client *client, double dx, double dy)
{
	uint32_t t = (uint32_t)now_ms();
	if (client->pointer == NULL) {
		pointer_move(client, t, OUTPUT_WIDTH / 2, OUTPUT_HEIGHT / 2);
	}
	zwlr_virtual_pointer_v1_motion(client->pointer, t, wl_fixed_from_double(dx),
		wl_fixed_from_double(dy));
	zwlr_virtual_pointer_v1_frame(client->pointer);
	tc_client_roundtrip(client);
}

bool tc_client_wait(struct tc_client *client, bool (*done)(void *data), void *data, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	while (!done(data)) {
		int64_t left = deadline - now_ms();
		if (left <= 0) {
			return false;
		}
		while (wl_display_prepare_read(client->display) != 0) {
			if (wl_display_dispatch_pending(client->display) < 0) {
				return false;
			}
		}
		if (wl_display_flush(client->display) < 0 && errno != EAGAIN) {
			wl_display_cancel_read(client->display);
			return false;
		}
		struct pollfd pfd = { .fd = wl_display_get_fd(client->display), .events = POLLIN };
		if (poll(&pfd, 1, left < 100 ? (int)left : 100) > 0) {
			if (wl_display_read_events(client->display) < 0) {
				return false;
			}
		} else {
			wl_display_cancel_read(client->display);
		}
		if (wl_display_dispatch_pending(client->display) < 0) {
			return false;
		}
	}
	return true;
}

void tc_scroll(struct tc_client *client, int x, int y, double dy)
{
	uint32_t t = (uint32_t)now_ms();
	pointer_move(client, t, x, y);
	zwlr_virtual_pointer_v1_axis_source(client->pointer, WL_POINTER_AXIS_SOURCE_WHEEL);
	zwlr_virtual_pointer_v1_axis(client->pointer, t, WL_POINTER_AXIS_VERTICAL_SCROLL,
		wl_fixed_from_double(dy));
	zwlr_virtual_pointer_v1_frame(client->pointer);
	tc_client_roundtrip(client);
}

void tc_click(struct tc_client *client, int x, int y)
{
	uint32_t t = (uint32_t)now_ms();
	pointer_move(client, t, x, y);
	zwlr_virtual_pointer_v1_button(client->pointer, t, BTN_LEFT, 1);
	zwlr_virtual_pointer_v1_frame(client->pointer);
	zwlr_virtual_pointer_v1_button(client->pointer, t + 1, BTN_LEFT, 0);
	zwlr_virtual_pointer_v1_frame(client->pointer);
	tc_client_roundtrip(client);
}
