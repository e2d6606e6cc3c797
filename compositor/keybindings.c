/*
 * The compositor's own keys (issue policy): Super+Tab cycles apps, Super+Q
 * closes the focused app, Ctrl+Alt+Backspace quits, Ctrl+Alt+F1..F12
 * switch VT where there is a session to switch. While the focused surface
 * inhibits shortcuts, only VT switching and Super+Escape (which ends the
 * inhibition) stay the compositor's.
 *
 * With a shell on its channel, the shell's keys go to it as shell_key
 * events (weft/compositor-protocol.h): Super alone, Alt+Tab and
 * Alt+Shift+Tab, Alt released and Escape while switching, Super+L. The
 * shell's overlay gets the keyboard first, so that what is typed next
 * reaches it even before it is shown.
 */
#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/backend/session.h>
#include <wlr/types/wlr_keyboard.h>
#include <xkbcommon/xkbcommon.h>

#include "server.h"
#include "view.h"
#include "weft/compositor-protocol.h"
#include "weft/log.h"

/* The shell's overlay window (shown or not), NULL when it has none. */
static struct weft_view *shell_overlay(struct weft_server *server)
{
	struct weft_view *view;
	wl_list_for_each (view, &server->views, link) {
		if (view->role == WEFT_ROLE_OVERLAY && view->surface != NULL &&
			weft_client_role(view->client) == WEFT_CLIENT_SHELL) {
			return view;
		}
	}
	return NULL;
}

static void shell_key(struct weft_server *server, const char *action, bool focus_overlay)
{
	struct weft_view *overlay = focus_overlay ? shell_overlay(server) : NULL;
	weft_log(WEFT_DEBUG, "shell key: %s%s", action,
		overlay != NULL ? ", the shell's overlay has the keyboard" : "");
	if (overlay != NULL) {
		weft_policy_focus(server, overlay);
	}
	weft_control_send_shell_key(server->shell_control, action);
}

static bool is_super(uint32_t keysym)
{
	return keysym == XKB_KEY_Super_L || keysym == XKB_KEY_Super_R;
}

/* The shell's keys; false for any other key, or without a shell. */
static bool shell_keybinding(struct weft_server *server, uint32_t modifiers, uint32_t keysym)
{
	/* Super alone: pressed with no other modifier, released before any key. */
	server->super_alone = is_super(keysym) && (modifiers & ~WLR_MODIFIER_LOGO) == 0;
	if (server->shell_control == NULL) {
		server->switching = false;
		return false;
	}
	if (server->switching && keysym == XKB_KEY_Escape) {
		server->switching = false;
		shell_key(server, WEFT_COMPOSITOR_ACTION_SWITCHER_CANCEL, false);
		return true;
	}
	uint32_t mods = modifiers & (WLR_MODIFIER_ALT | WLR_MODIFIER_CTRL | WLR_MODIFIER_LOGO);
	if (mods == WLR_MODIFIER_ALT &&
		(keysym == XKB_KEY_Tab || keysym == XKB_KEY_ISO_Left_Tab)) {
		server->switching = true;
		bool back = (modifiers & WLR_MODIFIER_SHIFT) || keysym == XKB_KEY_ISO_Left_Tab;
		shell_key(server,
			back ? WEFT_COMPOSITOR_ACTION_SWITCHER_PREV
			     : WEFT_COMPOSITOR_ACTION_SWITCHER_NEXT,
			true);
		return true;
	}
	if (mods == WLR_MODIFIER_LOGO && (keysym == XKB_KEY_l || keysym == XKB_KEY_L)) {
		shell_key(server, WEFT_COMPOSITOR_ACTION_LOCK, true);
		return true;
	}
	return false;
}

void weft_keybinding_release(struct weft_server *server, uint32_t keysym)
{
	bool super_alone = server->super_alone;
	server->super_alone = false;
	if (server->shell_control == NULL || weft_session_lock_is_locked(server->session_lock)) {
		server->switching = false;
		return;
	}
	if (is_super(keysym) && super_alone && !weft_shortcuts_inhibited(server)) {
		shell_key(server, WEFT_COMPOSITOR_ACTION_LAUNCHER, true);
	}
}

void weft_keybinding_modifiers(struct weft_server *server, uint32_t modifiers)
{
	/* Alt let go (its key, or a virtual keyboard's modifiers) ends a switch. */
	if (server->switching && !(modifiers & WLR_MODIFIER_ALT)) {
		server->switching = false;
		shell_key(server, WEFT_COMPOSITOR_ACTION_SWITCHER_COMMIT, false);
	}
}

bool weft_keybinding_handle(struct weft_server *server, uint32_t modifiers, uint32_t keysym)
{
	if (keysym >= XKB_KEY_XF86Switch_VT_1 && keysym <= XKB_KEY_XF86Switch_VT_12) {
		/* xkb turns Ctrl+Alt+Fn into these. */
		struct wlr_session *session = wlr_backend_get_session(server->backend);
		if (session != NULL) {
			wlr_session_change_vt(session, keysym - XKB_KEY_XF86Switch_VT_1 + 1);
		}
		return true;
	}
	/* While locked only VT switching works (the other VTs ask for their
	 * own login): quitting or reaching windows would get around the lock. */
	if (weft_session_lock_is_locked(server->session_lock)) {
		server->super_alone = server->switching = false;
		return false;
	}
	/* A client that inhibits shortcuts gets them, but for the way out. */
	if (weft_shortcuts_inhibited(server)) {
		server->super_alone = server->switching = false;
		if ((modifiers & WLR_MODIFIER_LOGO) && keysym == XKB_KEY_Escape) {
			weft_shortcuts_inhibit_lift(server);
			return true;
		}
		return false;
	}
	if (shell_keybinding(server, modifiers, keysym)) {
		return true;
	}
	if ((modifiers & (WLR_MODIFIER_CTRL | WLR_MODIFIER_ALT)) ==
			(WLR_MODIFIER_CTRL | WLR_MODIFIER_ALT) &&
		(keysym == XKB_KEY_BackSpace || keysym == XKB_KEY_Terminate_Server)) {
		weft_log(WEFT_INFO, "Ctrl+Alt+Backspace: quitting");
		wl_display_terminate(server->display);
		return true;
	}
	if (!(modifiers & WLR_MODIFIER_LOGO)) {
		return false;
	}
	switch (keysym) {
	case XKB_KEY_Tab:
	case XKB_KEY_ISO_Left_Tab:
		weft_policy_cycle(server);
		return true;
	case XKB_KEY_q:
	case XKB_KEY_Q:
		if (server->focused != NULL &&
			(server->focused->role == WEFT_ROLE_APPLICATION ||
				server->focused->role == WEFT_ROLE_DIALOG)) {
			server->focused->impl->close(server->focused);
		}
		return true;
	default:
		return false;
	}
}
