/*
 * Input protocols for ordinary clients, against the real compositor: text
 * input relayed to an input method, relative pointer motion, pointer lock
 * and confinement, and keyboard-shortcuts-inhibit. Input is injected with
 * the virtual pointer and keyboard of a separate test client.
 */
#include <fcntl.h>
#include <linux/input-event-codes.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-client.h>

#include "client.h"
#include "input-method-unstable-v2-client-protocol.h"
#include "keyboard-shortcuts-inhibit-unstable-v1-client-protocol.h"
#include "pointer-constraints-unstable-v1-client-protocol.h"
#include "primary-selection-unstable-v1-client-protocol.h"
#include "relative-pointer-unstable-v1-client-protocol.h"
#include "test.h"
#include "text-input-unstable-v3-client-protocol.h"

/* ---- text input and input method ---- */

struct text_field {
	int enters, leaves, dones;
	char *commit_string, *preedit;
};

static void ti_enter(void *data, struct zwp_text_input_v3 *ti, struct wl_surface *surface)
{
	struct text_field *f = data;
	f->enters++;
}

static void ti_leave(void *data, struct zwp_text_input_v3 *ti, struct wl_surface *surface)
{
	struct text_field *f = data;
	f->leaves++;
}

static void ti_preedit(void *data, struct zwp_text_input_v3 *ti, const char *text, int32_t begin,
	int32_t end)
{
	struct text_field *f = data;
	free(f->preedit);
	f->preedit = text != NULL ? strdup(text) : NULL;
}

static void ti_commit_string(void *data, struct zwp_text_input_v3 *ti, const char *text)
{
	struct text_field *f = data;
	free(f->commit_string);
	f->commit_string = text != NULL ? strdup(text) : NULL;
}

static void ti_delete(void *data, struct zwp_text_input_v3 *ti, uint32_t before, uint32_t after)
{
}

static void ti_done(void *data, struct zwp_text_input_v3 *ti, uint32_t serial)
{
	struct text_field *f = data;
	f->dones++;
}

static const struct zwp_text_input_v3_listener ti_listener = {
	.enter = ti_enter,
	.leave = ti_leave,
	.preedit_string = ti_preedit,
	.commit_string = ti_commit_string,
	.delete_surrounding_text = ti_delete,
	.done = ti_done,
};

struct input_method {
	bool active, unavailable;
	uint32_t dones;
	uint32_t purpose;
};

static void im_activate(void *data, struct zwp_input_method_v2 *im)
{
	struct input_method *m = data;
	m->active = true;
}

static void im_deactivate(void *data, struct zwp_input_method_v2 *im)
{
	struct input_method *m = data;
	m->active = false;
}

static void im_surrounding(void *data, struct zwp_input_method_v2 *im, const char *text,
	uint32_t cursor, uint32_t anchor)
{
}

static void im_cause(void *data, struct zwp_input_method_v2 *im, uint32_t cause)
{
}

static void im_content_type(void *data, struct zwp_input_method_v2 *im, uint32_t hint,
	uint32_t purpose)
{
	struct input_method *m = data;
	m->purpose = purpose;
}

static void im_done(void *data, struct zwp_input_method_v2 *im)
{
	struct input_method *m = data;
	m->dones++;
}

static void im_unavailable(void *data, struct zwp_input_method_v2 *im)
{
	struct input_method *m = data;
	m->unavailable = true;
}

static const struct zwp_input_method_v2_listener im_listener = {
	.activate = im_activate,
	.deactivate = im_deactivate,
	.surrounding_text = im_surrounding,
	.text_change_cause = im_cause,
	.content_type = im_content_type,
	.done = im_done,
	.unavailable = im_unavailable,
};

static bool field_entered(void *data)
{
	return ((struct text_field *)data)->enters > 0;
}

static bool method_active(void *data)
{
	struct input_method *m = data;
	return m->active && m->dones > 0;
}

static bool method_unavailable(void *data)
{
	return ((struct input_method *)data)->unavailable;
}

static bool field_got_commit(void *data)
{
	struct text_field *f = data;
	return f->commit_string != NULL;
}

static void input_method_commits_to_text_field(void)
{
	static const char *const args[] = { "--allow-desktop-tools", NULL };
	struct tc_compositor c;
	tc_compositor_start(&c, TC_NO_TEST_PROTOCOLS, args);
	struct tc_client *app = tc_client_connect(&c);
	tc_xdg_window_create(app, "editor", 0xffffffff);
	tc_client_roundtrip(app);
	struct zwp_text_input_manager_v3 *tim = tc_client_bind(app,
		&zwp_text_input_manager_v3_interface, 1);
	ASSERT(tim != NULL);
	struct zwp_text_input_v3 *ti = zwp_text_input_manager_v3_get_text_input(tim,
		tc_client_seat(app));
	struct text_field field = { 0 };
	zwp_text_input_v3_add_listener(ti, &ti_listener, &field);
	EXPECT(tc_client_wait(app, field_entered, &field, TC_SETTLE_MS));
	zwp_text_input_v3_enable(ti);
	zwp_text_input_v3_set_content_type(ti, ZWP_TEXT_INPUT_V3_CONTENT_HINT_NONE,
		ZWP_TEXT_INPUT_V3_CONTENT_PURPOSE_EMAIL);
	zwp_text_input_v3_commit(ti);
	tc_client_roundtrip(app);

	struct tc_client *osk = tc_client_connect(&c);
	struct zwp_input_method_manager_v2 *imm = tc_client_bind(osk,
		&zwp_input_method_manager_v2_interface, 1);
	ASSERT(imm != NULL);
	struct zwp_input_method_v2 *im = zwp_input_method_manager_v2_get_input_method(imm,
		tc_client_seat(osk));
	struct input_method method = { 0 };
	zwp_input_method_v2_add_listener(im, &im_listener, &method);
	EXPECT(tc_client_wait(osk, method_active, &method, TC_SETTLE_MS));
	EXPECT(method.purpose == ZWP_TEXT_INPUT_V3_CONTENT_PURPOSE_EMAIL);

	zwp_input_method_v2_set_preedit_string(im, "wor", 3, 3);
	zwp_input_method_v2_commit_string(im, "héllo");
	zwp_input_method_v2_commit(im, method.dones);
	tc_client_roundtrip(osk);
	EXPECT(tc_client_wait(app, field_got_commit, &field, TC_SETTLE_MS));
	EXPECT_STR_EQ(field.commit_string, "héllo");
	EXPECT_STR_EQ(field.preedit, "wor");

	/* One input method at a time. */
	struct zwp_input_method_v2 *second = zwp_input_method_manager_v2_get_input_method(imm,
		tc_client_seat(osk));
	struct input_method other = { 0 };
	zwp_input_method_v2_add_listener(second, &im_listener, &other);
	EXPECT(tc_client_wait(osk, method_unavailable, &other, TC_SETTLE_MS));

	/* Disabling the field deactivates the input method. */
	zwp_text_input_v3_disable(ti);
	zwp_text_input_v3_commit(ti);
	tc_client_roundtrip(app);
	tc_client_roundtrip(osk);
	EXPECT(!method.active);

	zwp_input_method_v2_destroy(second);
	zwp_input_method_v2_destroy(im);
	zwp_input_method_manager_v2_destroy(imm);
	zwp_text_input_v3_destroy(ti);
	zwp_text_input_manager_v3_destroy(tim);
	free(field.commit_string);
	free(field.preedit);
	tc_client_destroy(osk);
	tc_client_destroy(app);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* ---- the pointer ---- */

struct pointer_state {
	double x, y; /* the last wl_pointer position */
	int motions;
	double rel_dx, rel_dy; /* relative motion, summed */
	bool locked, confined;
};

static void p_enter(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *s,
	wl_fixed_t x, wl_fixed_t y)
{
	struct pointer_state *st = data;
	st->x = wl_fixed_to_double(x);
	st->y = wl_fixed_to_double(y);
}

static void p_leave(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *s)
{
}

static void p_motion(void *data, struct wl_pointer *p, uint32_t time, wl_fixed_t x, wl_fixed_t y)
{
	struct pointer_state *st = data;
	st->x = wl_fixed_to_double(x);
	st->y = wl_fixed_to_double(y);
	st->motions++;
}

static void p_button(void *data, struct wl_pointer *p, uint32_t serial, uint32_t time,
	uint32_t button, uint32_t state)
{
}

static void p_axis(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis, wl_fixed_t v)
{
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = p_enter,
	.leave = p_leave,
	.motion = p_motion,
	.button = p_button,
	.axis = p_axis,
};

static void rel_motion(void *data, struct zwp_relative_pointer_v1 *rp, uint32_t hi, uint32_t lo,
	wl_fixed_t dx, wl_fixed_t dy, wl_fixed_t udx, wl_fixed_t udy)
{
	struct pointer_state *st = data;
	st->rel_dx += wl_fixed_to_double(dx);
	st->rel_dy += wl_fixed_to_double(dy);
}

static const struct zwp_relative_pointer_v1_listener rel_listener = {
	.relative_motion = rel_motion
};

static void locked(void *data, struct zwp_locked_pointer_v1 *lp)
{
	((struct pointer_state *)data)->locked = true;
}

static void unlocked(void *data, struct zwp_locked_pointer_v1 *lp)
{
	((struct pointer_state *)data)->locked = false;
}

static const struct zwp_locked_pointer_v1_listener lock_listener = { locked, unlocked };

static void confined(void *data, struct zwp_confined_pointer_v1 *cp)
{
	((struct pointer_state *)data)->confined = true;
}

static void unconfined(void *data, struct zwp_confined_pointer_v1 *cp)
{
	((struct pointer_state *)data)->confined = false;
}

static const struct zwp_confined_pointer_v1_listener confine_listener = { confined, unconfined };

struct pointer_fixture {
	struct tc_compositor c;
	struct tc_client *app, *tester;
	struct tc_window *window;
	struct wl_pointer *pointer;
	struct pointer_state st;
};

static bool pointer_entered(void *data)
{
	struct pointer_state *st = data;
	return st->x > 0;
}

/* An app's window filling the output, the pointer in its middle. */
static void pointer_setup(struct pointer_fixture *f)
{
	memset(f, 0, sizeof(*f));
	tc_compositor_start(&f->c, 0, NULL);
	f->app = tc_client_connect(&f->c);
	f->tester = tc_client_connect(&f->c);
	f->window = tc_xdg_window_create(f->app, "game", 0xff205020);
	tc_client_roundtrip(f->app);
	f->pointer = wl_seat_get_pointer(tc_client_seat(f->app));
	wl_pointer_add_listener(f->pointer, &pointer_listener, &f->st);
	tc_client_roundtrip(f->app);
	/* The first relative move puts the pointer in the output's middle. */
	tc_pointer_move_by(f->tester, 0, 0);
	tc_client_wait(f->app, pointer_entered, &f->st, TC_SETTLE_MS);
}

static void pointer_teardown(struct pointer_fixture *f)
{
	wl_pointer_destroy(f->pointer);
	tc_client_destroy(f->tester);
	tc_client_destroy(f->app);
	EXPECT(tc_compositor_stop(&f->c) == 0);
}

struct rel_wait {
	struct pointer_state *st;
	double dx, dy;
};

static bool rel_reached(void *data)
{
	struct rel_wait *w = data;
	return w->st->rel_dx >= w->dx && w->st->rel_dy >= w->dy;
}

static void relative_motion_reaches_client(void)
{
	struct pointer_fixture f;
	pointer_setup(&f);
	ASSERT(f.st.x == 640 && f.st.y == 360);
	struct zwp_relative_pointer_manager_v1 *rpm = tc_client_bind(f.app,
		&zwp_relative_pointer_manager_v1_interface, 1);
	ASSERT(rpm != NULL);
	struct zwp_relative_pointer_v1 *rp =
		zwp_relative_pointer_manager_v1_get_relative_pointer(rpm, f.pointer);
	zwp_relative_pointer_v1_add_listener(rp, &rel_listener, &f.st);
	tc_client_roundtrip(f.app);
	tc_pointer_move_by(f.tester, 10, 5);
	struct rel_wait w = { &f.st, 10, 5 };
	EXPECT(tc_client_wait(f.app, rel_reached, &w, TC_SETTLE_MS));
	EXPECT(f.st.rel_dx == 10 && f.st.rel_dy == 5);
	zwp_relative_pointer_v1_destroy(rp);
	zwp_relative_pointer_manager_v1_destroy(rpm);
	pointer_teardown(&f);
}

static bool is_locked(void *data)
{
	return ((struct pointer_state *)data)->locked;
}

static bool is_confined(void *data)
{
	return ((struct pointer_state *)data)->confined;
}

static void locked_pointer_stays(void)
{
	struct pointer_fixture f;
	pointer_setup(&f);
	struct zwp_pointer_constraints_v1 *pc = tc_client_bind(f.app,
		&zwp_pointer_constraints_v1_interface, 1);
	struct zwp_relative_pointer_manager_v1 *rpm = tc_client_bind(f.app,
		&zwp_relative_pointer_manager_v1_interface, 1);
	ASSERT(pc != NULL && rpm != NULL);
	struct zwp_relative_pointer_v1 *rp =
		zwp_relative_pointer_manager_v1_get_relative_pointer(rpm, f.pointer);
	zwp_relative_pointer_v1_add_listener(rp, &rel_listener, &f.st);
	struct zwp_locked_pointer_v1 *lp = zwp_pointer_constraints_v1_lock_pointer(pc,
		tc_window_surface(f.window), f.pointer, NULL,
		ZWP_POINTER_CONSTRAINTS_V1_LIFETIME_PERSISTENT);
	zwp_locked_pointer_v1_add_listener(lp, &lock_listener, &f.st);
	EXPECT(tc_client_wait(f.app, is_locked, &f.st, TC_SETTLE_MS));

	/* The motion arrives as relative motion only; the pointer stays. */
	tc_pointer_move_by(f.tester, 50, 20);
	struct rel_wait w = { &f.st, 50, 20 };
	EXPECT(tc_client_wait(f.app, rel_reached, &w, TC_SETTLE_MS));
	EXPECT(f.st.x == 640 && f.st.y == 360);

	/* Unlocked, it moves again. */
	zwp_locked_pointer_v1_destroy(lp);
	tc_client_roundtrip(f.app);
	tc_pointer_move_by(f.tester, 50, 20);
	w = (struct rel_wait){ &f.st, 100, 40 };
	EXPECT(tc_client_wait(f.app, rel_reached, &w, TC_SETTLE_MS));
	tc_client_roundtrip(f.app);
	EXPECT(f.st.x == 690 && f.st.y == 380);

	zwp_relative_pointer_v1_destroy(rp);
	zwp_relative_pointer_manager_v1_destroy(rpm);
	zwp_pointer_constraints_v1_destroy(pc);
	pointer_teardown(&f);
}

static bool moved(void *data)
{
	return ((struct pointer_state *)data)->motions > 0;
}

static void confined_pointer_stops_at_the_edge(void)
{
	struct pointer_fixture f;
	pointer_setup(&f);
	struct zwp_pointer_constraints_v1 *pc = tc_client_bind(f.app,
		&zwp_pointer_constraints_v1_interface, 1);
	ASSERT(pc != NULL);
	struct wl_compositor *compositor = tc_client_bind(f.app, &wl_compositor_interface, 1);
	ASSERT(compositor != NULL);
	struct wl_region *region = wl_compositor_create_region(compositor);
	wl_region_add(region, 600, 300, 100, 100);
	struct zwp_confined_pointer_v1 *cp = zwp_pointer_constraints_v1_confine_pointer(pc,
		tc_window_surface(f.window), f.pointer, region,
		ZWP_POINTER_CONSTRAINTS_V1_LIFETIME_PERSISTENT);
	wl_region_destroy(region);
	zwp_confined_pointer_v1_add_listener(cp, &confine_listener, &f.st);
	EXPECT(tc_client_wait(f.app, is_confined, &f.st, TC_SETTLE_MS));

	f.st.motions = 0;
	tc_pointer_move_by(f.tester, 300, -200);
	EXPECT(tc_client_wait(f.app, moved, &f.st, TC_SETTLE_MS));
	EXPECT(f.st.x >= 600 && f.st.x < 700 && f.st.y >= 300 && f.st.y < 400);
	EXPECT(f.st.x > 690 && f.st.y < 310);
	if (test_failed) {
		fprintf(stderr, "# the pointer is at %.1f,%.1f\n", f.st.x, f.st.y);
	}

	zwp_confined_pointer_v1_destroy(cp);
	zwp_pointer_constraints_v1_destroy(pc);
	wl_compositor_destroy(compositor);
	pointer_teardown(&f);
}

/* ---- keyboard-shortcuts-inhibit ---- */

static bool inhibitor_active;

static void inh_active(void *data, struct zwp_keyboard_shortcuts_inhibitor_v1 *i)
{
	inhibitor_active = true;
}

static void inh_inactive(void *data, struct zwp_keyboard_shortcuts_inhibitor_v1 *i)
{
	inhibitor_active = false;
}

static const struct zwp_keyboard_shortcuts_inhibitor_v1_listener inh_listener = {
	.active = inh_active,
	.inactive = inh_inactive,
};

static bool is_active(void *data)
{
	return inhibitor_active;
}

static bool is_inactive(void *data)
{
	return !inhibitor_active;
}

struct key_wait {
	struct tc_client *client;
	int presses;
};

static bool key_arrived(void *data)
{
	struct key_wait *w = data;
	return tc_client_keys_pressed(w->client, NULL) > w->presses;
}

static bool window_activated(void *data)
{
	return (tc_window_state(data)->state & 4) != 0;
}

static void shortcuts_inhibitor_gets_the_keys(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	struct tc_client *first = tc_client_connect(&c);
	struct tc_client *vm = tc_client_connect(&c);
	struct tc_client *tester = tc_client_connect(&c);
	struct tc_window *w1 = tc_xdg_window_create(first, "first", 0xff800000);
	tc_client_roundtrip(first);
	struct tc_window *w2 = tc_xdg_window_create(vm, "vm", 0xff008000);
	EXPECT(tc_client_wait(vm, window_activated, w2, TC_SETTLE_MS));

	struct zwp_keyboard_shortcuts_inhibit_manager_v1 *ksi = tc_client_bind(vm,
		&zwp_keyboard_shortcuts_inhibit_manager_v1_interface, 1);
	ASSERT(ksi != NULL);
	struct zwp_keyboard_shortcuts_inhibitor_v1 *inh =
		zwp_keyboard_shortcuts_inhibit_manager_v1_inhibit_shortcuts(ksi,
			tc_window_surface(w2), tc_client_seat(vm));
	inhibitor_active = false;
	zwp_keyboard_shortcuts_inhibitor_v1_add_listener(inh, &inh_listener, NULL);
	EXPECT(tc_client_wait(vm, is_active, NULL, TC_SETTLE_MS));

	/* Super+Tab goes to the client, not to the compositor's app switcher. */
	static const char *const super[] = { "Mod4", NULL };
	struct key_wait kw = { vm, tc_client_keys_pressed(vm, NULL) };
	tc_key(tester, super, KEY_TAB);
	EXPECT(tc_client_wait(vm, key_arrived, &kw, TC_SETTLE_MS));
	uint32_t last = 0;
	tc_client_keys_pressed(vm, &last);
	EXPECT(last == KEY_TAB);
	tc_client_roundtrip(first);
	EXPECT(!(tc_window_state(w1)->state & 4));

	/* Super+Escape is the way out: the inhibitor goes inactive, and
	 * Super+Tab switches apps again. */
	tc_key(tester, super, KEY_ESC);
	EXPECT(tc_client_wait(vm, is_inactive, NULL, TC_SETTLE_MS));
	tc_key(tester, super, KEY_TAB);
	EXPECT(tc_client_wait(first, window_activated, w1, TC_SETTLE_MS));

	zwp_keyboard_shortcuts_inhibitor_v1_destroy(inh);
	zwp_keyboard_shortcuts_inhibit_manager_v1_destroy(ksi);
	tc_client_destroy(tester);
	tc_client_destroy(vm);
	tc_client_destroy(first);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* ---- primary selection (middle-click paste) ---- */

static void source_send(void *data, struct zwp_primary_selection_source_v1 *source,
	const char *mime_type, int32_t fd)
{
	const char *text = data;
	if (write(fd, text, strlen(text)) < 0) {
		fprintf(stderr, "# cannot write the selection\n");
	}
	close(fd);
}

static void source_cancelled(void *data, struct zwp_primary_selection_source_v1 *source)
{
}

static const struct zwp_primary_selection_source_v1_listener source_listener = {
	.send = source_send,
	.cancelled = source_cancelled,
};

/* The reader's selection; every offer made to either client, freed at the end. */
static struct zwp_primary_selection_offer_v1 *primary_offer;
static struct zwp_primary_selection_offer_v1 *offers[16];
static size_t n_offers;

static void offer_offer(void *data, struct zwp_primary_selection_offer_v1 *offer,
	const char *mime_type)
{
}

static const struct zwp_primary_selection_offer_v1_listener offer_listener = {
	.offer = offer_offer,
};

static void device_data_offer(void *data, struct zwp_primary_selection_device_v1 *device,
	struct zwp_primary_selection_offer_v1 *offer)
{
	zwp_primary_selection_offer_v1_add_listener(offer, &offer_listener, NULL);
	if (n_offers < sizeof(offers) / sizeof(offers[0])) {
		offers[n_offers++] = offer;
	}
}

static void device_selection(void *data, struct zwp_primary_selection_device_v1 *device,
	struct zwp_primary_selection_offer_v1 *offer)
{
	if (data != NULL) {
		primary_offer = offer;
	}
}

static const struct zwp_primary_selection_device_v1_listener device_listener = {
	.data_offer = device_data_offer,
	.selection = device_selection,
};

static bool has_offer(void *data)
{
	return primary_offer != NULL;
}

struct pipe_read {
	int fd;
	char buf[64];
	size_t len;
	bool eof;
};

static bool pipe_done(void *data)
{
	struct pipe_read *r = data;
	while (!r->eof) {
		ssize_t n = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
		if (n < 0) {
			return false; /* EAGAIN: not yet */
		}
		r->len += (size_t)n;
		r->eof = n == 0 || r->len == sizeof(r->buf) - 1;
	}
	r->buf[r->len] = '\0';
	return true;
}

/* What one client selects, another pastes with the middle button. */
static void primary_selection_pastes_between_clients(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, TC_NO_TEST_PROTOCOLS, NULL);
	struct tc_client *writer = tc_client_connect(&c);
	struct tc_client *reader = tc_client_connect(&c);
	struct tc_window *w1 = tc_xdg_window_create(writer, "writer", 0xff000080);
	EXPECT(tc_client_wait(writer, window_activated, w1, TC_SETTLE_MS));

	struct zwp_primary_selection_device_manager_v1 *wm = tc_client_bind(writer,
		&zwp_primary_selection_device_manager_v1_interface, 1);
	struct zwp_primary_selection_device_manager_v1 *rm = tc_client_bind(reader,
		&zwp_primary_selection_device_manager_v1_interface, 1);
	ASSERT(wm != NULL && rm != NULL);
	struct zwp_primary_selection_device_v1 *wdev =
		zwp_primary_selection_device_manager_v1_get_device(wm, tc_client_seat(writer));
	struct zwp_primary_selection_source_v1 *source =
		zwp_primary_selection_device_manager_v1_create_source(wm);
	zwp_primary_selection_source_v1_add_listener(source, &source_listener,
		(void *)"selected words");
	zwp_primary_selection_source_v1_offer(source, "text/plain;charset=utf-8");
	zwp_primary_selection_device_v1_add_listener(wdev, &device_listener, NULL);
	zwp_primary_selection_device_v1_set_selection(wdev, source, tc_client_serial(writer));
	tc_client_roundtrip(writer);

	primary_offer = NULL;
	struct zwp_primary_selection_device_v1 *rdev =
		zwp_primary_selection_device_manager_v1_get_device(rm, tc_client_seat(reader));
	zwp_primary_selection_device_v1_add_listener(rdev, &device_listener, (void *)"reader");
	/* The reader's window takes the keyboard, and with it the offer. */
	tc_xdg_window_create(reader, "reader", 0xff008000);
	EXPECT(tc_client_wait(reader, has_offer, NULL, TC_SETTLE_MS));
	ASSERT(primary_offer != NULL);

	int fds[2];
	ASSERT(pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
	zwp_primary_selection_offer_v1_receive(primary_offer, "text/plain;charset=utf-8", fds[1]);
	close(fds[1]);
	tc_client_roundtrip(reader);
	struct pipe_read r = { .fd = fds[0] };
	EXPECT(tc_client_wait(writer, pipe_done, &r, TC_SETTLE_MS));
	close(fds[0]);
	EXPECT_STR_EQ(r.buf, "selected words");

	for (size_t i = 0; i < n_offers; i++) {
		zwp_primary_selection_offer_v1_destroy(offers[i]);
	}
	n_offers = 0;
	primary_offer = NULL;
	zwp_primary_selection_device_v1_destroy(rdev);
	zwp_primary_selection_device_v1_destroy(wdev);
	zwp_primary_selection_source_v1_destroy(source);
	zwp_primary_selection_device_manager_v1_destroy(rm);
	zwp_primary_selection_device_manager_v1_destroy(wm);
	tc_client_destroy(reader);
	tc_client_destroy(writer);
	EXPECT(tc_compositor_stop(&c) == 0);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(input_method_commits_to_text_field),
		TEST_CASE(relative_motion_reaches_client),
		TEST_CASE(locked_pointer_stays),
		TEST_CASE(confined_pointer_stops_at_the_edge),
		TEST_CASE(shortcuts_inhibitor_gets_the_keys),
		TEST_CASE(primary_selection_pastes_between_clients),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
