/*
 * The compositor control channel (design §3): weft-compositor serves it,
 * weft-appd is its one client. Every name on the wire is defined here, and
 * only here; weft-compositor(1), CONTROL CHANNEL, describes the same names
 * in prose, and tests/libweft/protocol-docs.py checks that the two agree.
 *
 * An inherited SOCK_SEQPACKET socket (or one appd connected to at
 * weft-compositor --appd-socket), one JSON object per message (at most
 * WEFT_MSG_MAX bytes), fds by SCM_RIGHTS, with weft/ipc.h's envelope: each
 * request may carry "id", echoed in its reply; replies are {"ok": true, ...}
 * or {"error": {"code", "message"}}.
 *
 *   {"type": "create_client", "app_id": A, "session_id": S}
 *       -> ok, with one fd: a Wayland connection tagged (A, S)
 *   {"type": "focus_session", "session_id": S}   -> ok | error not_found
 *   {"type": "close_session", "session_id": S}   -> ok, "closed": N
 *   {"type": "clipboard_write", "text": T}
 *       -> ok once T (UTF-8, at most 1 MiB) is the seat's selection, which
 *          ordinary clients paste | error not_utf8 | too_large
 *   {"type": "clipboard_read"}
 *       -> ok, "text": T, the selection as text; answered later, so other
 *          replies may come first | error empty (no selection, or none
 *          offered as text) | timeout (its owner sent nothing within 2 s)
 *          | too_large (over 1 MiB, or a reply that would not fit)
 *          | not_utf8 | busy (too many reads in flight)
 *   anything else -> error bad_request | too_large (over WEFT_MSG_MAX) |
 *   unknown_request | invalid_argument; internal when the compositor
 *   failed (out of memory, no socket); fds sent to the compositor are
 *   closed.
 *
 * Events, compositor to appd (no "id"):
 *   {"event": "first_frame" | "window_closed" | "client_gone",
 *    "app_id": A, "session_id": S}
 *   {"event": "navigation_gesture", "type": T, "fingers": F, "dx": X, "dy": Y}
 *   (T: 0 swipe, 1 pinch, 2 hold, zweft's gesture types; for a pinch, dx
 *   and dy are its scale and rotation)
 *
 * The shell channel: the same envelope on a second inherited SOCK_SEQPACKET
 * socket, whose number the shell finds in WEFT_SHELL_FD (next to its
 * WAYLAND_SOCKET); weft-shell is its one client.
 *   {"type": "focus_session", "session_id": S}   -> ok | error not_found
 *   anything else -> error unknown_request (or as above)
 * Events, compositor to shell:
 *   {"event": "shell_key", "action": A}: the compositor kept a key for the
 *   shell; A: "launcher" (Super pressed and released alone),
 *   "switcher-next" (Alt+Tab), "switcher-prev" (Alt+Shift+Tab),
 *   "switcher-commit" (Alt released after either), "switcher-cancel"
 *   (Escape while switching), "lock" (Super+L). For launcher, switcher-next,
 *   switcher-prev and lock, the shell's overlay window has the keyboard
 *   before the event is sent, shown or not.
 *   {"event": "locked"}: sent once when the channel opens, if the session
 *   is locked (by a shell that died): the shell takes the lock over.
 *   {"event": "focused", "app_id": A, "session_id": S}: an app's window took
 *   the keyboard focus (however: a click, focus_session, Alt+Tab, a new
 *   window, the focus coming back after the lock or the launcher), for the
 *   shell's switcher to order apps by recency.
 */
#ifndef WEFT_COMPOSITOR_PROTOCOL_H
#define WEFT_COMPOSITOR_PROTOCOL_H

#include "weft/ipc.h"

/* Requests: the values of "type". */
#define WEFT_COMPOSITOR_REQ_CREATE_CLIENT "create_client"
#define WEFT_COMPOSITOR_REQ_FOCUS_SESSION "focus_session"
#define WEFT_COMPOSITOR_REQ_CLOSE_SESSION "close_session"
#define WEFT_COMPOSITOR_REQ_CLIPBOARD_WRITE "clipboard_write"
#define WEFT_COMPOSITOR_REQ_CLIPBOARD_READ "clipboard_read"

/* Events: the values of "event". */
#define WEFT_COMPOSITOR_EVENT_FIRST_FRAME "first_frame" /* a window showed */
#define WEFT_COMPOSITOR_EVENT_WINDOW_CLOSED "window_closed" /* by the user */
#define WEFT_COMPOSITOR_EVENT_CLIENT_GONE "client_gone" /* its connection ended */
#define WEFT_COMPOSITOR_EVENT_NAVIGATION_GESTURE "navigation_gesture"
/* Shell channel events. */
#define WEFT_COMPOSITOR_EVENT_SHELL_KEY "shell_key"
#define WEFT_COMPOSITOR_EVENT_LOCKED "locked"
#define WEFT_COMPOSITOR_EVENT_FOCUSED "focused"

/* The environment variable that names the shell channel's descriptor. */
#define WEFT_COMPOSITOR_SHELL_FD_ENV "WEFT_SHELL_FD"

/* shell_key's actions. */
#define WEFT_COMPOSITOR_KEY_ACTION "action"
#define WEFT_COMPOSITOR_ACTION_LAUNCHER "launcher"
#define WEFT_COMPOSITOR_ACTION_SWITCHER_NEXT "switcher-next"
#define WEFT_COMPOSITOR_ACTION_SWITCHER_PREV "switcher-prev"
#define WEFT_COMPOSITOR_ACTION_SWITCHER_COMMIT "switcher-commit"
#define WEFT_COMPOSITOR_ACTION_SWITCHER_CANCEL "switcher-cancel"
#define WEFT_COMPOSITOR_ACTION_LOCK "lock"

/* Fields. */
#define WEFT_COMPOSITOR_KEY_APP_ID "app_id"
#define WEFT_COMPOSITOR_KEY_SESSION_ID "session_id"
#define WEFT_COMPOSITOR_KEY_TEXT "text"
#define WEFT_COMPOSITOR_KEY_CLOSED "closed"
/* navigation_gesture's: "type" there is the gesture's, not a request's. */
#define WEFT_COMPOSITOR_KEY_GESTURE_TYPE "type"
#define WEFT_COMPOSITOR_KEY_FINGERS "fingers"
#define WEFT_COMPOSITOR_KEY_DX "dx"
#define WEFT_COMPOSITOR_KEY_DY "dy"

/* Error codes: an error's "code". */
#define WEFT_COMPOSITOR_ERR_BAD_REQUEST "bad_request"
#define WEFT_COMPOSITOR_ERR_UNKNOWN_REQUEST "unknown_request"
#define WEFT_COMPOSITOR_ERR_INVALID_ARGUMENT "invalid_argument"
#define WEFT_COMPOSITOR_ERR_NOT_FOUND "not_found"
#define WEFT_COMPOSITOR_ERR_TOO_LARGE "too_large"
#define WEFT_COMPOSITOR_ERR_NOT_UTF8 "not_utf8"
#define WEFT_COMPOSITOR_ERR_EMPTY "empty"
#define WEFT_COMPOSITOR_ERR_TIMEOUT "timeout"
#define WEFT_COMPOSITOR_ERR_BUSY "busy"
#define WEFT_COMPOSITOR_ERR_INTERNAL "internal"

#endif
