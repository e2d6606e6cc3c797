/*
 * zweft_shell_unstable_v1 requests, driven into the real compositor's
 * protocol handlers in this process (fuzz-zweft-server.c). Each input is
 * one client: its first byte chooses an ordinary client, the shell or a
 * tagged app; the rest is a program of requests (below), sent with
 * libwayland-client so that every message is well-formed and the fuzzer
 * explores what the handlers do with their arguments and their order:
 * strings, roles, geometry, surfaces with and without buffers, windows
 * destroyed before or after their surface. After the client has gone the
 * compositor must hold no window.
 *
 * Structured rather than raw wire bytes: libwayland-server's demarshalling
 * is not ours, and random bytes would almost never get past it to a
 * handler.
 */
#include <errno.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wayland-client.h>

#include "fuzz-zweft.h"
#include "fuzz.h"
#include "zweft-shell-unstable-v1-client-protocol.h"

#define SLOTS 4
#define BUF_SIZE 16

struct input {
	const uint8_t *data;
	size_t size, at;
};

struct client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct zweft_shell_manager_v1 *manager;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	struct wl_surface *surfaces[SLOTS];
	struct zweft_shell_window_v1 *windows[SLOTS];
};

static uint8_t take_u8(struct input *in)
{
	return in->at < in->size ? in->data[in->at++] : 0;
}

static int32_t take_i32(struct input *in)
{
	/* Small values mostly, the extremes sometimes. */
	uint8_t kind = take_u8(in);
	switch (kind % 4) {
	case 0:
		return (int8_t)take_u8(in);
	case 1:
		return (int32_t)(take_u8(in) << 4);
	case 2:
		return kind & 4 ? INT32_MAX : INT32_MIN;
	default: {
		uint32_t v = 0;
		for (int i = 0; i < 4; i++) {
			v = v << 8 | take_u8(in);
		}
		return (int32_t)v;
	}
	}
}

/* A string of the input (up to its first NUL) in buf, or one of those given. */
static const char *take_str(struct input *in, char *buf, size_t cap, const char *const *known,
	size_t nknown)
{
	uint8_t c = take_u8(in);
	if (c < nknown) {
		return known[c];
	}
	size_t len = take_u8(in) % cap;
	size_t i = 0;
	while (i < len && in->at < in->size && in->data[in->at] != 0) {
		buf[i++] = (char)in->data[in->at++];
	}
	buf[i] = '\0';
	return buf;
}

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, zweft_shell_manager_v1_interface.name) == 0) {
		c->manager = wl_registry_bind(registry, name, &zweft_shell_manager_v1_interface,
			version < 2 ? version : 2);
	}
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

/* Sends what is queued, lets the compositor handle it, and reads its
 * answers. False once the connection is dead (a protocol error, say). */
static bool pump(struct client *c)
{
	if (wl_display_flush(c->display) < 0 && errno != EAGAIN) {
		return false;
	}
	fuzz_server_dispatch();
	while (wl_display_prepare_read(c->display) != 0) {
		if (wl_display_dispatch_pending(c->display) < 0) {
			return false;
		}
	}
	struct pollfd pfd = { .fd = wl_display_get_fd(c->display), .events = POLLIN };
	if (poll(&pfd, 1, 0) > 0) {
		if (wl_display_read_events(c->display) < 0) {
			return false;
		}
	} else {
		wl_display_cancel_read(c->display);
	}
	return wl_display_dispatch_pending(c->display) >= 0 &&
		wl_display_get_error(c->display) == 0;
}

static struct wl_buffer *make_buffer(struct client *c)
{
	if (c->buffer != NULL || c->shm == NULL) {
		return c->buffer;
	}
	int fd = memfd_create("fuzz-zweft", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && ftruncate(fd, BUF_SIZE * BUF_SIZE * 4) == 0);
	c->pool = wl_shm_create_pool(c->shm, fd, BUF_SIZE * BUF_SIZE * 4);
	close(fd);
	c->buffer = wl_shm_pool_create_buffer(c->pool, 0, BUF_SIZE, BUF_SIZE, BUF_SIZE * 4,
		WL_SHM_FORMAT_ARGB8888);
	return c->buffer;
}

static const char *const app_ids[] = { FUZZ_APP_ID, "org.weft.other", "" };
static const char *const roles[] = { "application", "dialog", "panel", "overlay", "" };
static const char *const titles[] = { "Title", "" };

/* One request of the program; false once the connection is dead. */
static bool step(struct client *c, struct input *in)
{
	uint8_t op = take_u8(in);
	unsigned slot = take_u8(in) % SLOTS;
	char s1[256], s2[256], s3[256];
	switch (op % 10) {
	case 0:
		if (c->surfaces[slot] == NULL) {
			c->surfaces[slot] = wl_compositor_create_surface(c->compositor);
		}
		break;
	case 1: {
		unsigned s = take_u8(in) % (SLOTS + 1);
		const char *app_id = take_str(in, s1, sizeof(s1), app_ids, 3);
		const char *title = take_str(in, s2, sizeof(s2), titles, 2);
		const char *role = take_str(in, s3, sizeof(s3), roles, 5);
		int32_t x = take_i32(in), y = take_i32(in), w = take_i32(in), h = take_i32(in);
		if (c->windows[slot] == NULL && c->manager != NULL) {
			c->windows[slot] = zweft_shell_manager_v1_create_window(c->manager, app_id,
				title, role, s < SLOTS ? c->surfaces[s] : NULL, x, y, w, h);
		}
		break;
	}
	case 2: {
		const char *title = take_str(in, s1, sizeof(s1), titles, 2);
		const char *role = take_str(in, s2, sizeof(s2), roles, 5);
		if (c->windows[slot] != NULL) {
			zweft_shell_window_v1_update_metadata(c->windows[slot], title, role);
		}
		break;
	}
	case 3: {
		int32_t x = take_i32(in), y = take_i32(in), w = take_i32(in), h = take_i32(in);
		if (c->windows[slot] != NULL) {
			zweft_shell_window_v1_set_geometry(c->windows[slot], x, y, w, h);
		}
		break;
	}
	case 4:
		if (c->windows[slot] != NULL) {
			zweft_shell_window_v1_destroy(c->windows[slot]);
			c->windows[slot] = NULL;
		}
		break;
	case 5:
		if (c->surfaces[slot] != NULL && make_buffer(c) != NULL) {
			wl_surface_attach(c->surfaces[slot], c->buffer, 0, 0);
			wl_surface_damage(c->surfaces[slot], 0, 0, BUF_SIZE, BUF_SIZE);
			wl_surface_commit(c->surfaces[slot]);
		}
		break;
	case 6:
		if (c->surfaces[slot] != NULL) {
			wl_surface_attach(c->surfaces[slot], NULL, 0, 0);
			wl_surface_commit(c->surfaces[slot]);
		}
		break;
	case 7:
		if (c->surfaces[slot] != NULL) {
			wl_surface_destroy(c->surfaces[slot]);
			c->surfaces[slot] = NULL;
		}
		break;
	case 8:
		return pump(c);
	case 9:
		if (c->manager != NULL && slot == 0) {
			zweft_shell_manager_v1_destroy(c->manager);
			c->manager = NULL;
		}
		break;
	}
	return true;
}

static void client_destroy(struct client *c)
{
	for (int i = 0; i < SLOTS; i++) {
		if (c->windows[i] != NULL) {
			zweft_shell_window_v1_destroy(c->windows[i]);
		}
		if (c->surfaces[i] != NULL) {
			wl_surface_destroy(c->surfaces[i]);
		}
	}
	if (c->buffer != NULL) {
		wl_buffer_destroy(c->buffer);
	}
	if (c->pool != NULL) {
		wl_shm_pool_destroy(c->pool);
	}
	if (c->manager != NULL) {
		zweft_shell_manager_v1_destroy(c->manager);
	}
	if (c->shm != NULL) {
		wl_shm_destroy(c->shm);
	}
	if (c->compositor != NULL) {
		wl_compositor_destroy(c->compositor);
	}
	wl_registry_destroy(c->registry);
	wl_display_disconnect(c->display);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_server_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { .data = data, .size = size };
	int sv[2];
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	int role = take_u8(&in) % 3;
	FUZZ_CHECK(fuzz_server_client(role, sv[0]));
	struct client c = { 0 };
	c.display = wl_display_connect_to_fd(sv[1]);
	FUZZ_CHECK(c.display != NULL);
	c.registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(c.registry, &registry_listener, &c);
	bool alive = pump(&c) && pump(&c);
	/* Only the shell and tagged apps see the zweft global. */
	FUZZ_CHECK(c.compositor != NULL && (c.manager != NULL) == (role != 0));
	/* At most 256 requests: enough to reach every state, short enough to run fast. */
	for (int i = 0; alive && in.at < in.size && i < 256; i++) {
		alive = step(&c, &in);
	}
	if (alive) {
		pump(&c);
	}
	client_destroy(&c);
	/* The compositor sees the hangup and destroys the client. */
	fuzz_server_dispatch();
	fuzz_server_dispatch();
	fuzz_server_check_clean();
	return 0;
}
