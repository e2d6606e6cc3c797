/*
 * The appd control protocol (design §3), shared by weft-appd and weftctl.
 *
 * A SOCK_SEQPACKET socket at $XDG_RUNTIME_DIR/weft/appd.sock (mode 0600;
 * peers with another uid are refused). One JSON object per message, at most
 * 1 MiB. A request has "type" and may have "id", which the reply echoes;
 * every request gets exactly one reply, {"ok": true, ...} or
 * {"error": {"code": C, "message": M}}.
 *
 *   {"type": "launch", "app_id": A}         -> "session": SESSION (starting)
 *   {"type": "terminate", "session_id": S}  -> "session": SESSION (stopping)
 *   {"type": "sessions", "all": BOOL}       -> "sessions": [SESSION...]
 *                                              (all: the ended ones kept too)
 *   {"type": "state", "session_id": S}      -> "session": SESSION
 *   {"type": "apps"}                        -> "apps": [APP...]
 *   {"type": "subscribe"}                   -> ok; then events, below
 *   {"type": "unsubscribe"}                 -> ok
 *   {"type": "info"}                        -> "pid", "version", "limits",
 *                                              "limits_detail", "compositor"
 *                                              (bool), "subscribers", "runtime",
 *                                              "app_shell"
 *
 * SESSION: {"id", "app_id", "state", "runtime_pid", "app_shell_pid",
 *   "started_at" (Unix ms), "ended_at", "launch_ms" (launch to running),
 *   "capabilities": [...], "limits": "enforced" | "not enforced: WHY"
 *   (the memory and CPU limits), "reason",
 *   "exit": {"process": "runtime"|"app-shell", "status": N | "signal": N}}
 *   (pids, ended_at, reason and exit only when known).
 * APP: {"id", "name", "version", "description", "capabilities", "path"}.
 *
 * Events, to subscribers only (no "id"):
 *   {"event": "state", "session": SESSION}  on every state change
 *   {"event": "notification", "session_id", "app_id", "title", "body", "icon"}
 *
 * Error codes: bad_request, unknown_request, invalid_argument, not_found,
 * not_installed, untrusted, invalid_package, busy, too_large,
 * permission_denied, internal.
 */
#ifndef WEFT_APPD_PROTOCOL_H
#define WEFT_APPD_PROTOCOL_H

/* Under $XDG_RUNTIME_DIR. */
#define WEFT_APPD_SOCKET_DIR "weft"
#define WEFT_APPD_SOCKET_NAME "weft/appd.sock"
/* Overrides the socket path for both sides. */
#define WEFT_APPD_SOCKET_ENV "WEFT_APPD_SOCKET"

#endif
