/*
 * The compositor's own keys (issue policy): Super+Tab cycles apps, Super+Q
 * closes the focused app, Ctrl+Alt+Backspace quits, Ctrl+Alt+F1..F12
 * switch VT where there is a session to switch. While the focused surface
 * inhibits shortcuts, only VT switching and Super+Escape (which ends the
 * inhibition) stay the compositor's.
 */
#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/backend/session.h>
#include <wlr/types/wlr_keyboard.h>
#include <xkbcommon/xkbcommon.h>

#include "server.h"
#include "view.h"
#include "weft/log.h"

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
		return false;
	}
	/* A client that inhibits shortcuts gets them, but for the way out. */
	if (weft_shortcuts_inhibited(server)) {
		if ((modifiers & WLR_MODIFIER_LOGO) && keysym == XKB_KEY_Escape) {
			weft_shortcuts_inhibit_lift(server);
			return true;
		}
		return false;
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
