/*
 * The appd control protocol (design §3), shared by weft-appd and weftctl.
 *
 * A SOCK_SEQPACKET socket at $XDG_RUNTIME_DIR/weft/appd.sock (mode 0600;
 * peers with another uid are refused). One JSON object per message, at most
 * 1 MiB. A request has "type" and may have "id" (any JSON value, null too,
 * of at most WEFT_APPD_ID_MAX bytes), which the reply echoes; every request
 * gets exactly one reply, {"ok": true, ...} or {"error": {"code": C,
 * "message": M}}, in the order the requests came. A reply that would not
 * fit in a message is a too_large error instead. Strings with a NUL inside
 * are refused.
 *
 *   {"type": "launch", "app_id": A}         -> "session": SESSION (starting),
 *                                              once the package is checked
 *   {"type": "terminate", "session_id": S}  -> "session": SESSION (stopping)
 *   {"type": "sessions", "all": BOOL}       -> "sessions": [SESSION...]
 *                                              (all: the ended ones kept too)
 *   {"type": "state", "session_id": S}      -> "session": SESSION
 *   {"type": "apps", "after": A, "limit": N}
 *                                           -> "apps": [APP...], "more": BOOL
 *                                              (one page, by id; below)
 *   {"type": "subscribe"}                   -> ok; then events, below
 *   {"type": "unsubscribe"}                 -> ok
 *   {"type": "info"}                        -> "pid", "version", "limits",
 *                                              "limits_detail", "compositor"
 *                                              (bool), "subscribers", "runtime",
 *                                              "app_shell", "spare",
 *                                              "launching": [{"app_id",
 *                                              "pid"}...] (packages being
 *                                              checked, by that pid)
 *
 * apps pages: the apps sorted by id, those after "after" (an app id; absent:
 * from the first), at most "limit" of them (absent: no limit) and at most
 * WEFT_APPD_APPS_PAGE_MAX bytes of them; "more" says whether others follow,
 * which the next page asks for with "after" set to this page's last id.
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

/* The most bytes of JSON a request's "id" may have. */
#define WEFT_APPD_ID_MAX 1024
/* The most bytes of APP objects in one apps reply. */
#define WEFT_APPD_APPS_PAGE_MAX (512 * 1024)

/* Under $XDG_RUNTIME_DIR. */
#define WEFT_APPD_SOCKET_DIR "weft"
#define WEFT_APPD_SOCKET_NAME "weft/appd.sock"
/* Overrides the socket path for both sides. */
#define WEFT_APPD_SOCKET_ENV "WEFT_APPD_SOCKET"

#endif
