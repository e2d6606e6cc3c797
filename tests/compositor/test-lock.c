/*
 * Session lock and idle, as a user's desktop uses them: swaylock locks and,
 * killed, leaves the session locked; swayidle runs its command once the seat
 * is idle, and not while a visible surface inhibits idle. Unlocking needs a
 * password through PAM, so the unlock paths use a small lock client of our
 * own (struct locker) speaking ext-session-lock-v1.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input-event-codes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "client.h"
#include "ext-idle-notify-v1-client-protocol.h"
#include "ext-session-lock-v1-client-protocol.h"
#include "idle-inhibit-unstable-v1-client-protocol.h"
#include "test.h"

#define RED 0xff0000u
#define BLUE 0x0000ffu
#define COVER 0x000000u /* what the compositor shows with no lock surface */

static const char *const desktop_tools[] = { "--allow-desktop-tools", NULL };

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool have(const char *prog)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* argv with the compositor's environment, stderr to err_path if not NULL. */
static pid_t spawn(struct tc_compositor *c, const char *const *argv, const char *err_path,
	bool wayland_debug)
{
	pid_t pid = fork();
	if (pid == 0) {
		setenv("XDG_RUNTIME_DIR", c->runtime_dir, 1);
		setenv("WAYLAND_DISPLAY", c->socket, 1);
		if (wayland_debug) {
			setenv("WAYLAND_DEBUG", "1", 1);
		}
		if (err_path != NULL) {
			int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd >= 0) {
				dup2(fd, STDERR_FILENO);
			}
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static void stop(pid_t pid, int signo)
{
	int status;
	kill(pid, signo);
	waitpid(pid, &status, 0);
}

/* How many pixels of the screen are rgb, and how many are not; false if
 * the screen could not be read. */
static bool count_pixels(struct tc_client *shooter, uint32_t rgb, long *same, long *other)
{
	struct tc_image image;
	if (!tc_screencopy(shooter, &image)) {
		return false;
	}
	*same = *other = 0;
	for (int y = 0; y < image.height; y++) {
		for (int x = 0; x < image.width; x++) {
			if ((tc_image_pixel(&image, x, y) & 0xffffff) == rgb) {
				(*same)++;
			} else {
				(*other)++;
			}
		}
	}
	tc_image_finish(&image);
	return true;
}

/* Waits up to timeout_ms for the whole screen to be rgb. */
static bool screen_all(struct tc_client *shooter, uint32_t rgb, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	long same = 0, other = 0;
	do {
		if (count_pixels(shooter, rgb, &same, &other) && other == 0) {
			return true;
		}
		usleep(50 * 1000);
	} while (now_ms() < deadline);
	fprintf(stderr, "# screen: %ld pixels of %06x, %ld other\n", same, rgb, other);
	return false;
}

/* Waits up to timeout_ms for some of the screen to be rgb (or, when
 * present is false, none of it). */
static bool screen_shows(struct tc_client *shooter, uint32_t rgb, bool present, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	long same = 0, other = 0;
	do {
		if (count_pixels(shooter, rgb, &same, &other) && (same > 0) == present) {
			return true;
		}
		usleep(50 * 1000);
	} while (now_ms() < deadline);
	if (timeout_ms > 0) {
		fprintf(stderr, "# screen: %ld pixels of %06x\n", same, rgb);
	}
	return false;
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static bool wait_file(const char *path, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	while (!file_exists(path)) {
		if (now_ms() >= deadline) {
			return false;
		}
		usleep(50 * 1000);
	}
	return true;
}

/* ---- a lock client of our own ---- */

struct locker {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct wl_output *output;
	struct wl_seat *seat;
	struct wl_keyboard *keyboard;
	struct wl_pointer *pointer;
	struct ext_session_lock_manager_v1 *manager;
	struct ext_idle_notifier_v1 *notifier;
	struct ext_session_lock_v1 *lock;
	bool locked, finished;
	struct wl_surface *surface;
	struct ext_session_lock_surface_v1 *lock_surface;
	struct wl_buffer *buffer;
	uint32_t width, height, serial;
	bool configured;
	bool focused;
	int keys;
	int buttons; /* presses on the lock surface */
	int idled, resumed;
};

static void keyboard_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format, int32_t fd,
	uint32_t size)
{
	close(fd);
}

static void keyboard_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	struct wl_surface *surface, struct wl_array *keys)
{
	struct locker *l = data;
	l->focused = true;
}

static void keyboard_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	struct wl_surface *surface)
{
	struct locker *l = data;
	l->focused = false;
}

static void keyboard_key(void *data, struct wl_keyboard *keyboard, uint32_t serial, uint32_t time,
	uint32_t key, uint32_t state)
{
	struct locker *l = data;
	if (state == WL_KEYBOARD_KEY_STATE_PRESSED) {
		l->keys++;
	}
}

static void keyboard_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group)
{
}

static void keyboard_repeat_info(void *data, struct wl_keyboard *keyboard, int32_t rate,
	int32_t delay)
{
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_keymap,
	.enter = keyboard_enter,
	.leave = keyboard_leave,
	.key = keyboard_key,
	.modifiers = keyboard_modifiers,
	.repeat_info = keyboard_repeat_info,
};

static void pointer_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
	struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y)
{
}

static void pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
	struct wl_surface *surface)
{
}

static void pointer_motion(void *data, struct wl_pointer *pointer, uint32_t time, wl_fixed_t x,
	wl_fixed_t y)
{
}

static void pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial, uint32_t time,
	uint32_t button, uint32_t state)
{
	struct locker *l = data;
	if (state == WL_POINTER_BUTTON_STATE_PRESSED) {
		l->buttons++;
	}
}

static void pointer_axis(void *data, struct wl_pointer *pointer, uint32_t time, uint32_t axis,
	wl_fixed_t value)
{
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_enter,
	.leave = pointer_leave,
	.motion = pointer_motion,
	.button = pointer_button,
	.axis = pointer_axis,
};

static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
	struct locker *l = data;
	if ((caps & WL_SEAT_CAPABILITY_POINTER) && l->pointer == NULL) {
		l->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(l->pointer, &pointer_listener, l);
	}
	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && l->keyboard == NULL) {
		l->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(l->keyboard, &keyboard_listener, l);
	}
}

static void seat_name(void *data, struct wl_seat *seat, const char *name)
{
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = seat_capabilities,
	.name = seat_name,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct locker *l = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		l->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		l->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, wl_output_interface.name) == 0 && l->output == NULL) {
		l->output = wl_registry_bind(registry, name, &wl_output_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && l->seat == NULL) {
		l->seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
		wl_seat_add_listener(l->seat, &seat_listener, l);
	} else if (strcmp(interface, ext_session_lock_manager_v1_interface.name) == 0) {
		l->manager = wl_registry_bind(registry, name,
			&ext_session_lock_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_idle_notifier_v1_interface.name) == 0) {
		l->notifier = wl_registry_bind(registry, name, &ext_idle_notifier_v1_interface, 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void lock_locked(void *data, struct ext_session_lock_v1 *lock)
{
	struct locker *l = data;
	l->locked = true;
}

static void lock_finished(void *data, struct ext_session_lock_v1 *lock)
{
	struct locker *l = data;
	l->finished = true;
}

static const struct ext_session_lock_v1_listener lock_listener = {
	.locked = lock_locked,
	.finished = lock_finished,
};

static void lock_surface_configure(void *data, struct ext_session_lock_surface_v1 *surface,
	uint32_t serial, uint32_t width, uint32_t height)
{
	struct locker *l = data;
	l->serial = serial;
	l->width = width;
	l->height = height;
	l->configured = true;
}

static const struct ext_session_lock_surface_v1_listener lock_surface_listener = {
	.configure = lock_surface_configure,
};

static struct locker *locker_connect(struct tc_compositor *c)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", c->runtime_dir, c->socket);
	struct locker *l = calloc(1, sizeof(*l));
	l->display = wl_display_connect(path);
	if (l->display == NULL) {
		fprintf(stderr, "# cannot connect to the compositor\n");
		abort();
	}
	l->registry = wl_display_get_registry(l->display);
	wl_registry_add_listener(l->registry, &registry_listener, l);
	wl_display_roundtrip(l->display);
	wl_display_roundtrip(l->display);
	return l;
}

/* Dispatches until *flag is set or timeout_ms pass; false if it was not. */
static bool locker_wait(struct locker *l, const bool *flag, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	while (!*flag && now_ms() < deadline) {
		if (wl_display_roundtrip(l->display) < 0) {
			return false;
		}
		if (!*flag) {
			usleep(10 * 1000);
		}
	}
	return *flag;
}

/* Asks for the lock; whether the locked event came. */
static bool locker_lock(struct locker *l)
{
	l->lock = ext_session_lock_manager_v1_lock(l->manager);
	ext_session_lock_v1_add_listener(l->lock, &lock_listener, l);
	int64_t deadline = now_ms() + TC_SETTLE_MS;
	while (!l->locked && !l->finished && now_ms() < deadline) {
		if (wl_display_roundtrip(l->display) < 0) {
			return false;
		}
	}
	return l->locked;
}

/* Shows a lock surface filled with rgb on the output. */
static void locker_show(struct locker *l, uint32_t rgb)
{
	l->surface = wl_compositor_create_surface(l->compositor);
	l->lock_surface = ext_session_lock_v1_get_lock_surface(l->lock, l->surface, l->output);
	ext_session_lock_surface_v1_add_listener(l->lock_surface, &lock_surface_listener, l);
	if (!locker_wait(l, &l->configured, TC_SETTLE_MS)) {
		fprintf(stderr, "# no configure for the lock surface\n");
		return;
	}
	ext_session_lock_surface_v1_ack_configure(l->lock_surface, l->serial);
	int stride = (int)l->width * 4;
	size_t size = (size_t)stride * l->height;
	int fd = memfd_create("locker", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		abort();
	}
	uint32_t *pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED) {
		abort();
	}
	for (size_t i = 0; i < size / 4; i++) {
		pixels[i] = 0xff000000u | rgb;
	}
	munmap(pixels, size);
	struct wl_shm_pool *pool = wl_shm_create_pool(l->shm, fd, (int32_t)size);
	l->buffer = wl_shm_pool_create_buffer(pool, 0, (int)l->width, (int)l->height, stride,
		WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	wl_surface_attach(l->surface, l->buffer, 0, 0);
	wl_surface_damage(l->surface, 0, 0, (int)l->width, (int)l->height);
	wl_surface_commit(l->surface);
	wl_display_roundtrip(l->display);
}

static void locker_unlock(struct locker *l)
{
	ext_session_lock_v1_unlock_and_destroy(l->lock);
	l->lock = NULL;
	/* As the protocol asks of a client that unlocks and goes. */
	wl_display_roundtrip(l->display);
}

static void forget(void *proxy)
{
	if (proxy != NULL) {
		wl_proxy_destroy(proxy);
	}
}

/* Disconnects without a word, as a locker that dies: the proxies are
 * freed here, and no request is sent. */
static void locker_destroy(struct locker *l)
{
	forget(l->buffer);
	forget(l->lock_surface);
	forget(l->surface);
	forget(l->lock);
	forget(l->manager);
	forget(l->notifier);
	forget(l->keyboard);
	forget(l->pointer);
	forget(l->seat);
	forget(l->output);
	forget(l->shm);
	forget(l->compositor);
	forget(l->registry);
	wl_display_disconnect(l->display);
	free(l);
}

/* Dispatches until *count reaches n or timeout_ms pass. */
static bool wait_count(struct locker *l, const int *count, int n, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	while (*count < n && now_ms() < deadline) {
		if (wl_display_roundtrip(l->display) < 0) {
			return false;
		}
		if (*count < n) {
			usleep(10 * 1000);
		}
	}
	return *count >= n;
}

/* ---- cases ---- */

/* Like ASSERT, but on to the case's cleanup at out, so that no compositor
 * or client outlives a failed case. */
#define REQUIRE(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "# %s:%d: assertion %s failed\n", __FILE__, __LINE__, \
				#cond); \
			test_failed = true; \
			goto out; \
		} \
	} while (0)

/* swaylock hides every window, and keys go to it, not to the window below. */
static void swaylock_hides_windows_and_takes_input(void)
{
	if (!have("swaylock")) {
		test_skip("swaylock not installed");
		return;
	}
	struct tc_compositor c;
	tc_compositor_start(&c, 0, desktop_tools);
	struct tc_client *app = tc_client_connect(&c);
	struct tc_window *window = tc_xdg_window_create(app, "app", 0xff000000u | RED);
	struct tc_client *shooter = tc_client_connect(&c);
	pid_t locker = -1;
	REQUIRE(screen_shows(shooter, RED, true, TC_SETTLE_MS));
	tc_key(shooter, NULL, KEY_A);
	tc_client_roundtrip(app);
	uint32_t last;
	EXPECT(tc_client_keys_pressed(app, &last) == 1); /* the window has the keyboard */

	const char *const argv[] = { "swaylock", "-c", "3366cc", NULL };
	locker = spawn(&c, argv, NULL, false);
	REQUIRE(screen_all(shooter, 0x3366cc, TC_SETTLE_MS));

	/* A key shows swaylock's indicator: it has the keyboard now. */
	tc_key(shooter, NULL, KEY_A);
	EXPECT(screen_shows(shooter, 0x3366cc, true, TC_SETTLE_MS));
	int64_t deadline = now_ms() + TC_SETTLE_MS;
	long same = 0, other = 0;
	while (other == 0 && now_ms() < deadline) {
		tc_key(shooter, NULL, KEY_B);
		count_pixels(shooter, 0x3366cc, &same, &other);
	}
	EXPECT(other > 0);
	/* Neither the keys nor the compositor's own bindings reach the window. */
	const char *const super[] = { "Mod4", NULL };
	tc_key(shooter, super, KEY_Q);
	tc_client_roundtrip(app);
	const char *const ctrl_alt[] = { "Control", "Mod1", NULL };
	tc_key(shooter, ctrl_alt, KEY_BACKSPACE);
	tc_client_roundtrip(app);
	EXPECT(tc_client_keys_pressed(app, &last) == 1);
	EXPECT(!tc_window_state(window)->closed);
	EXPECT(tc_compositor_alive(&c));
	EXPECT(!screen_shows(shooter, RED, true, 0));

out:
	if (locker > 0) {
		stop(locker, SIGTERM);
	}
	tc_client_destroy(shooter);
	tc_client_destroy(app);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* Killed, swaylock leaves the session locked under a plain cover; a new
 * swaylock takes over, and a locker can unlock. */
static void swaylock_killed_stays_locked(void)
{
	if (!have("swaylock")) {
		test_skip("swaylock not installed");
		return;
	}
	struct tc_compositor c;
	tc_compositor_start(&c, 0, desktop_tools);
	struct tc_client *app = tc_client_connect(&c);
	tc_xdg_window_create(app, "app", 0xff000000u | RED);
	struct tc_client *shooter = tc_client_connect(&c);
	struct tc_client *late = NULL;
	struct locker *l = NULL;
	REQUIRE(screen_shows(shooter, RED, true, TC_SETTLE_MS));

	const char *const argv[] = { "swaylock", "-c", "3366cc", NULL };
	pid_t locker = spawn(&c, argv, NULL, false);
	bool covered = screen_all(shooter, 0x3366cc, TC_SETTLE_MS);
	stop(locker, SIGKILL);
	REQUIRE(covered);
	EXPECT(screen_all(shooter, COVER, TC_SETTLE_MS));

	/* A window that maps now stays hidden, and the first stays so too. */
	late = tc_client_connect(&c);
	tc_xdg_window_create(late, "late", 0xff000000u | BLUE);
	tc_client_roundtrip(late);
	tc_client_roundtrip(app);
	EXPECT(screen_all(shooter, COVER, 0));
	EXPECT(tc_compositor_alive(&c));

	/* A new swaylock takes the lock over. */
	const char *const argv2[] = { "swaylock", "-c", "33cc66", NULL };
	locker = spawn(&c, argv2, NULL, false);
	EXPECT(screen_all(shooter, 0x33cc66, TC_SETTLE_MS));
	stop(locker, SIGKILL);
	EXPECT(screen_all(shooter, COVER, TC_SETTLE_MS));

	/* So does a locker that unlocks: the windows come back (the later on
	 * top, covering the first). */
	l = locker_connect(&c);
	REQUIRE(l->manager != NULL);
	EXPECT(locker_lock(l));
	locker_unlock(l);
	EXPECT(screen_shows(shooter, BLUE, true, TC_SETTLE_MS));

out:
	if (l != NULL) {
		locker_destroy(l);
	}
	tc_client_destroy(late);
	tc_client_destroy(shooter);
	tc_client_destroy(app);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* Our own locker: locked only once the screen is covered; its surface gets
 * the keys; a second lock is refused while it holds the lock; unlocking
 * gives the windows and the keyboard back. */
static void locker_locks_and_unlocks(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, desktop_tools);
	struct tc_client *app = tc_client_connect(&c);
	tc_xdg_window_create(app, "app", 0xff000000u | RED);
	struct tc_client *shooter = tc_client_connect(&c);
	struct locker *l = NULL;
	REQUIRE(screen_shows(shooter, RED, true, TC_SETTLE_MS));

	l = locker_connect(&c);
	REQUIRE(l->manager != NULL);
	REQUIRE(locker_lock(l));
	/* The cover was drawn before locked was sent. */
	EXPECT(screen_all(shooter, COVER, 0));

	struct locker *second = locker_connect(&c);
	second->lock = ext_session_lock_manager_v1_lock(second->manager);
	ext_session_lock_v1_add_listener(second->lock, &lock_listener, second);
	EXPECT(locker_wait(second, &second->finished, TC_SETTLE_MS));
	EXPECT(!second->locked);
	ext_session_lock_v1_destroy(second->lock);
	second->lock = NULL;
	wl_display_roundtrip(second->display);
	locker_destroy(second);

	locker_show(l, 0x00ff00);
	EXPECT(l->width == 1280 && l->height == 720);
	EXPECT(screen_all(shooter, 0x00ff00, TC_SETTLE_MS));
	EXPECT(locker_wait(l, &l->focused, TC_SETTLE_MS));
	tc_key(shooter, NULL, KEY_A);
	int64_t deadline = now_ms() + TC_SETTLE_MS;
	while (l->keys == 0 && now_ms() < deadline) {
		wl_display_roundtrip(l->display);
	}
	EXPECT(l->keys == 1);
	/* A click lands on the lock surface and leaves the keyboard there. */
	tc_click(shooter, 640, 360);
	EXPECT(wait_count(l, &l->buttons, 1, TC_SETTLE_MS));
	tc_key(shooter, NULL, KEY_C);
	EXPECT(wait_count(l, &l->keys, 2, TC_SETTLE_MS));
	uint32_t last;
	tc_client_roundtrip(app);
	EXPECT(tc_client_keys_pressed(app, &last) == 0);

	locker_unlock(l);
	EXPECT(screen_shows(shooter, RED, true, TC_SETTLE_MS));
	EXPECT(!screen_shows(shooter, 0x00ff00, true, 0));
	tc_key(shooter, NULL, KEY_B);
	deadline = now_ms() + TC_SETTLE_MS;
	while (tc_client_keys_pressed(app, &last) == 0 && now_ms() < deadline) {
		tc_client_roundtrip(app);
	}
	EXPECT(tc_client_keys_pressed(app, &last) == 1 && last == KEY_B);

out:
	if (l != NULL) {
		locker_destroy(l);
	}

	tc_client_destroy(shooter);
	tc_client_destroy(app);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* The lock is a desktop tool: never for apps, for ordinary clients only
 * with --allow-desktop-tools. Idle notification is for every ordinary
 * client and never for apps (it would time their keys); idle inhibition is
 * for all. */
static void session_lock_is_privileged(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, TC_WITH_CONTROL, NULL);
	struct tc_client *plain = tc_client_connect(&c);
	EXPECT(!tc_client_has_global(plain, "ext_session_lock_manager_v1"));
	EXPECT(tc_client_has_global(plain, "ext_idle_notifier_v1"));
	EXPECT(tc_client_has_global(plain, "org_kde_kwin_idle"));
	EXPECT(tc_client_has_global(plain, "zwp_idle_inhibit_manager_v1"));
	tc_client_destroy(plain);
	EXPECT(tc_compositor_stop(&c) == 0);

	tc_compositor_start(&c, TC_WITH_CONTROL, desktop_tools);
	plain = tc_client_connect(&c);
	EXPECT(tc_client_has_global(plain, "ext_session_lock_manager_v1"));
	int fd = tc_control_create_client(&c, "org.example.app", "s1");
	EXPECT(fd >= 0);
	if (fd >= 0) {
		struct tc_client *app = tc_client_connect_fd(fd);
		EXPECT(!tc_client_has_global(app, "ext_session_lock_manager_v1"));
		EXPECT(!tc_client_has_global(app, "ext_idle_notifier_v1"));
		EXPECT(!tc_client_has_global(app, "org_kde_kwin_idle"));
		EXPECT(tc_client_has_global(app, "zwp_idle_inhibit_manager_v1"));
		tc_client_destroy(app);
	}
	tc_client_destroy(plain);
	EXPECT(tc_compositor_stop(&c) == 0);
}

static void notification_idled(void *data, struct ext_idle_notification_v1 *notification)
{
	struct locker *l = data;
	l->idled++;
}

static void notification_resumed(void *data, struct ext_idle_notification_v1 *notification)
{
	struct locker *l = data;
	l->resumed++;
}

static const struct ext_idle_notification_v1_listener notification_listener = {
	.idled = notification_idled,
	.resumed = notification_resumed,
};

/* ext-idle-notify: idle after the timeout, resumed at the next key (virtual
 * input counts), idle again after another timeout. */
static void idle_notification_resumes_on_input(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	struct tc_client *typist = tc_client_connect(&c);
	struct locker *l = locker_connect(&c);
	struct ext_idle_notification_v1 *notification = NULL;
	REQUIRE(l->notifier != NULL && l->seat != NULL);
	notification = ext_idle_notifier_v1_get_idle_notification(l->notifier, 200, l->seat);
	ext_idle_notification_v1_add_listener(notification, &notification_listener, l);
	EXPECT(wait_count(l, &l->idled, 1, TC_SETTLE_MS));
	EXPECT(l->resumed == 0);
	tc_key(typist, NULL, KEY_A);
	EXPECT(wait_count(l, &l->resumed, 1, TC_SETTLE_MS));
	EXPECT(wait_count(l, &l->idled, 2, TC_SETTLE_MS));

out:
	if (notification != NULL) {
		ext_idle_notification_v1_destroy(notification);
	}
	locker_destroy(l);
	tc_client_destroy(typist);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* Which idle protocol swayidle bound, from its WAYLAND_DEBUG log. */
static const char *bound_idle_protocol(const char *log_path)
{
	FILE *f = fopen(log_path, "re");
	if (f == NULL) {
		return NULL;
	}
	const char *found = NULL;
	char line[1024];
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, ".bind(") == NULL) {
			continue;
		}
		if (strstr(line, "\"ext_idle_notifier_v1\"") != NULL) {
			found = "ext_idle_notifier_v1";
		} else if (strstr(line, "\"org_kde_kwin_idle\"") != NULL && found == NULL) {
			found = "org_kde_kwin_idle";
		}
	}
	fclose(f);
	return found;
}

static void inhibit_global(void *data, struct wl_registry *registry, uint32_t name,
	const char *interface, uint32_t version)
{
	struct zwp_idle_inhibit_manager_v1 **manager = data;
	if (strcmp(interface, zwp_idle_inhibit_manager_v1_interface.name) == 0) {
		*manager = wl_registry_bind(registry, name, &zwp_idle_inhibit_manager_v1_interface,
			1);
	}
}

static const struct wl_registry_listener inhibit_registry_listener = {
	.global = inhibit_global,
	.global_remove = registry_global_remove,
};

/* swayidle runs its timeout command after the timeout; not while a visible
 * window inhibits idle, and it does once that inhibitor goes. */
static void swayidle_fires_unless_inhibited(void)
{
	if (!have("swayidle")) {
		test_skip("swayidle not installed");
		return;
	}
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	char marker[512], cmd[600], log_path[512], log_path2[512];
	snprintf(marker, sizeof(marker), "%s/idle-marker", c.runtime_dir);
	snprintf(cmd, sizeof(cmd), "touch '%s'", marker);
	snprintf(log_path, sizeof(log_path), "%s/swayidle.log", c.runtime_dir);
	snprintf(log_path2, sizeof(log_path2), "%s/swayidle-inhibited.log", c.runtime_dir);

	const char *const argv[] = { "swayidle", "timeout", "1", cmd, NULL };
	pid_t idler = spawn(&c, argv, log_path, true);
	EXPECT(wait_file(marker, TC_SETTLE_MS));
	const char *protocol = bound_idle_protocol(log_path);
	fprintf(stderr, "# swayidle bound %s\n", protocol != NULL ? protocol : "nothing");
	EXPECT(protocol != NULL);
	stop(idler, SIGTERM);
	unlink(marker);

	/* A visible window with an idle inhibitor keeps the session awake. */
	idler = -1;
	struct tc_client *app = tc_client_connect(&c);
	struct tc_window *window = tc_xdg_window_create(app, "video", 0xff000000u | RED);
	struct wl_registry *registry = wl_display_get_registry(tc_client_display(app));
	struct zwp_idle_inhibit_manager_v1 *manager = NULL;
	wl_registry_add_listener(registry, &inhibit_registry_listener, &manager);
	tc_client_roundtrip(app);
	REQUIRE(manager != NULL);
	struct zwp_idle_inhibitor_v1 *inhibitor =
		zwp_idle_inhibit_manager_v1_create_inhibitor(manager, tc_window_surface(window));
	tc_client_roundtrip(app);
	struct tc_client *shooter = tc_client_connect(&c);
	bool shown = screen_shows(shooter, RED, true, TC_SETTLE_MS);
	tc_client_destroy(shooter);
	REQUIRE(shown);

	idler = spawn(&c, argv, log_path2, true);
	/* Once swayidle asked for its timeout, three of them pass unnoticed. */
	int64_t deadline = now_ms() + TC_SETTLE_MS;
	while (bound_idle_protocol(log_path2) == NULL && now_ms() < deadline) {
		usleep(50 * 1000);
	}
	EXPECT(bound_idle_protocol(log_path2) != NULL);
	usleep(3000 * 1000);
	EXPECT(!file_exists(marker));

	zwp_idle_inhibitor_v1_destroy(inhibitor);
	tc_client_roundtrip(app);
	EXPECT(wait_file(marker, TC_SETTLE_MS));

out:
	if (idler > 0) {
		stop(idler, SIGTERM);
	}
	if (manager != NULL) {
		zwp_idle_inhibit_manager_v1_destroy(manager);
	}
	wl_registry_destroy(registry);
	tc_client_destroy(app);
	EXPECT(tc_compositor_stop(&c) == 0);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(swaylock_hides_windows_and_takes_input),
		TEST_CASE(swaylock_killed_stays_locked),
		TEST_CASE(locker_locks_and_unlocks),
		TEST_CASE(session_lock_is_privileged),
		TEST_CASE(idle_notification_resumes_on_input),
		TEST_CASE(swayidle_fires_unless_inhibited),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
