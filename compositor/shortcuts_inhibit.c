/*
 * keyboard-shortcuts-inhibit: a client (a remote desktop, a virtual
 * machine) asks for the keys the compositor would take. Its inhibitor is
 * active while its surface has the keyboard; the compositor's own keys
 * (keybindings.c) then go to it, but for VT switching and the way out,
 * Super+Escape, which turns the inhibitor off until the surface has the
 * keyboard again.
 */
#include <stdlib.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_keyboard_shortcuts_inhibit_v1.h>
#include <wlr/types/wlr_seat.h>

#include "seat.h"
#include "server.h"
#include "weft/log.h"

struct weft_shortcuts_inhibit {
	struct weft_server *server;
	struct wlr_keyboard_shortcuts_inhibit_manager_v1 *manager;
	struct wl_listener new_inhibitor;
	struct wl_listener focus_change;
};

/* The inhibitor of the keyboard-focused surface, if any. */
static struct wlr_keyboard_shortcuts_inhibitor_v1 *focused_inhibitor(
	struct weft_shortcuts_inhibit *si)
{
	struct wlr_seat *seat = si->server->seat->seat;
	struct wlr_surface *focused = seat->keyboard_state.focused_surface;
	struct wlr_keyboard_shortcuts_inhibitor_v1 *inhibitor;
	wl_list_for_each (inhibitor, &si->manager->inhibitors, link) {
		if (focused != NULL && inhibitor->surface == focused && inhibitor->seat == seat) {
			return inhibitor;
		}
	}
	return NULL;
}

static void handle_new_inhibitor(struct wl_listener *listener, void *data)
{
	struct weft_shortcuts_inhibit *si = wl_container_of(listener, si, new_inhibitor);
	struct wlr_keyboard_shortcuts_inhibitor_v1 *inhibitor = data;
	struct wlr_seat *seat = si->server->seat->seat;
	if (inhibitor->seat == seat && inhibitor->surface != NULL &&
		inhibitor->surface == seat->keyboard_state.focused_surface) {
		wlr_keyboard_shortcuts_inhibitor_v1_activate(inhibitor);
	}
}

static void handle_focus_change(struct wl_listener *listener, void *data)
{
	struct weft_shortcuts_inhibit *si = wl_container_of(listener, si, focus_change);
	struct wlr_seat_keyboard_focus_change_event *event = data;
	struct wlr_keyboard_shortcuts_inhibitor_v1 *inhibitor;
	wl_list_for_each (inhibitor, &si->manager->inhibitors, link) {
		if (inhibitor->seat != event->seat) {
			continue;
		}
		if (inhibitor->surface == event->new_surface) {
			wlr_keyboard_shortcuts_inhibitor_v1_activate(inhibitor);
		} else if (inhibitor->active) {
			wlr_keyboard_shortcuts_inhibitor_v1_deactivate(inhibitor);
		}
	}
}

bool weft_shortcuts_inhibited(struct weft_server *server)
{
	struct weft_shortcuts_inhibit *si = server->shortcuts_inhibit;
	if (si == NULL) {
		return false;
	}
	struct wlr_keyboard_shortcuts_inhibitor_v1 *inhibitor = focused_inhibitor(si);
	return inhibitor != NULL && inhibitor->active;
}

void weft_shortcuts_inhibit_lift(struct weft_server *server)
{
	struct weft_shortcuts_inhibit *si = server->shortcuts_inhibit;
	struct wlr_keyboard_shortcuts_inhibitor_v1 *inhibitor = si != NULL ? focused_inhibitor(si)
									   : NULL;
	if (inhibitor != NULL && inhibitor->active) {
		weft_log(WEFT_INFO, "Super+Escape: the compositor's keys are back");
		wlr_keyboard_shortcuts_inhibitor_v1_deactivate(inhibitor);
	}
}

bool weft_shortcuts_inhibit_init(struct weft_server *server)
{
	struct weft_shortcuts_inhibit *si = calloc(1, sizeof(*si));
	if (si == NULL) {
		return false;
	}
	si->server = server;
	si->manager = wlr_keyboard_shortcuts_inhibit_v1_create(server->display);
	if (si->manager == NULL) {
		free(si);
		return false;
	}
	si->new_inhibitor.notify = handle_new_inhibitor;
	wl_signal_add(&si->manager->events.new_inhibitor, &si->new_inhibitor);
	si->focus_change.notify = handle_focus_change;
	wl_signal_add(&server->seat->seat->keyboard_state.events.focus_change, &si->focus_change);
	server->shortcuts_inhibit = si;
	return true;
}

void weft_shortcuts_inhibit_finish(struct weft_server *server)
{
	struct weft_shortcuts_inhibit *si = server->shortcuts_inhibit;
	if (si == NULL) {
		return;
	}
	wl_list_remove(&si->new_inhibitor.link);
	wl_list_remove(&si->focus_change.link);
	/* The manager goes with the display. */
	weft_server_check_unheard(server, "wlr_keyboard_shortcuts_inhibit_manager_v1",
		WEFT_EVENTS(si->manager));
	server->shortcuts_inhibit = NULL;
	free(si);
}
