/*
 * The appd control protocol (design §3): weft-appd serves it; weftctl and
 * the system shell speak it. Every name on the wire is defined here, and
 * only here; weft-appd(8), PROTOCOL, describes the same names in prose, and
 * tests/libweft/protocol-docs.py checks that the two agree.
 *
 * A SOCK_SEQPACKET socket at $XDG_RUNTIME_DIR/weft/appd.sock (mode 0600;
 * peers with another uid are refused). One JSON object per message, at most
 * WEFT_MSG_MAX bytes, with weft/ipc.h's envelope: a request has "type" and
 * may have "id" (any JSON value, null too, of at most WEFT_APPD_ID_MAX
 * bytes), which the reply echoes; every request gets exactly one reply,
 * {"ok": true, ...} or {"error": {"code": C, "message": M}}, in the order
 * the requests came. A reply that would not fit in a message is a too_large
 * error instead. Strings with a NUL inside are refused.
 *
 *   {"type": "launch", "app_id": A}         -> "session": SESSION (starting),
 *                                              once the package is checked
 *   {"type": "terminate", "session_id": S}  -> "session": SESSION (stopping)
 *   {"type": "sessions", "all": BOOL}       -> "sessions": [SESSION...]
 *                                              (all: the ended ones kept too)
 *   {"type": "state", "session_id": S}      -> "session": SESSION
 *   {"type": "apps", "after": A, "limit": N}
 *                                           -> "apps": [APP...], "more": BOOL
 *   {"type": "subscribe"}                   -> ok; then events, below
 *   {"type": "unsubscribe"}                 -> ok
 *   {"type": "info"}                        -> "pid", "version", "limits",
 *                                              "limits_detail", "sandbox",
 *                                              "compositor" (bool),
 *                                              "subscribers", "runtime",
 *                                              "app_shell", "spare": SPARE,
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
 *   (the memory and CPU limits), "sandbox": {PROCESS: REPORT...},
 *   "reason", "exit": {"process": PROCESS, "status": N | "signal": N}}
 *   (pids, ended_at, reason and exit only when known). PROCESS is
 *   "runtime" or "app-shell"; REPORT is libweftsandbox's report of that
 *   process (sandbox/README.md) with "enforced" (bool) and "summary".
 * APP: {"id", "name", "version", "description", "capabilities", "path"}.
 * SPARE: {"state": "off" | "coming" | "warming" | "ready", "pid" (while
 *   there is one), "why" (while there is none)}: the prewarmed app-shell.
 *
 * Events, to subscribers only (no "id"):
 *   {"event": "state", "session": SESSION}  on every state change
 *   {"event": "notification", "session_id", "app_id", "title", "body", "icon"}
 */
#ifndef WEFT_APPD_PROTOCOL_H
#define WEFT_APPD_PROTOCOL_H

#include "weft/ipc.h"

/* The most bytes of JSON a request's "id" may have. */
#define WEFT_APPD_ID_MAX 1024
/* The most bytes of APP objects in one apps reply. */
#define WEFT_APPD_APPS_PAGE_MAX (512 * 1024)

/* Under $XDG_RUNTIME_DIR. */
#define WEFT_APPD_SOCKET_DIR "weft"
#define WEFT_APPD_SOCKET_NAME "weft/appd.sock"
/* Overrides the socket path for both sides. */
#define WEFT_APPD_SOCKET_ENV "WEFT_APPD_SOCKET"

/* Requests: the values of "type". */
#define WEFT_APPD_REQ_LAUNCH "launch"
#define WEFT_APPD_REQ_TERMINATE "terminate"
#define WEFT_APPD_REQ_SESSIONS "sessions"
#define WEFT_APPD_REQ_STATE "state"
#define WEFT_APPD_REQ_APPS "apps"
#define WEFT_APPD_REQ_SUBSCRIBE "subscribe"
#define WEFT_APPD_REQ_UNSUBSCRIBE "unsubscribe"
#define WEFT_APPD_REQ_INFO "info"

/* Events: the values of "event". */
#define WEFT_APPD_EVENT_STATE "state"
#define WEFT_APPD_EVENT_NOTIFICATION "notification"

/* Fields of requests, replies, events and the objects above. */
#define WEFT_APPD_KEY_ALL "all"
#define WEFT_APPD_KEY_AFTER "after"
#define WEFT_APPD_KEY_LIMIT "limit"
#define WEFT_APPD_KEY_MORE "more"
#define WEFT_APPD_KEY_SESSION "session"
#define WEFT_APPD_KEY_SESSIONS "sessions"
#define WEFT_APPD_KEY_SESSION_ID "session_id"
#define WEFT_APPD_KEY_APPS "apps"
#define WEFT_APPD_KEY_APP_ID "app_id"
/* info */
#define WEFT_APPD_KEY_PID "pid"
#define WEFT_APPD_KEY_VERSION "version"
#define WEFT_APPD_KEY_LIMITS "limits"
#define WEFT_APPD_KEY_LIMITS_DETAIL "limits_detail"
#define WEFT_APPD_KEY_SANDBOX "sandbox"
#define WEFT_APPD_KEY_SUBSCRIBERS "subscribers"
#define WEFT_APPD_KEY_COMPOSITOR "compositor"
#define WEFT_APPD_KEY_RUNTIME "runtime"
#define WEFT_APPD_KEY_APP_SHELL "app_shell"
#define WEFT_APPD_KEY_SPARE "spare"
#define WEFT_APPD_KEY_LAUNCHING "launching"
/* SESSION */
#define WEFT_APPD_KEY_ID "id"
#define WEFT_APPD_KEY_STATE "state"
#define WEFT_APPD_KEY_RUNTIME_PID "runtime_pid"
#define WEFT_APPD_KEY_APP_SHELL_PID "app_shell_pid"
#define WEFT_APPD_KEY_STARTED_AT "started_at"
#define WEFT_APPD_KEY_ENDED_AT "ended_at"
#define WEFT_APPD_KEY_LAUNCH_MS "launch_ms"
#define WEFT_APPD_KEY_CAPABILITIES "capabilities"
#define WEFT_APPD_KEY_REASON "reason"
#define WEFT_APPD_KEY_EXIT "exit"
#define WEFT_APPD_KEY_PROCESS "process"
#define WEFT_APPD_KEY_STATUS "status"
#define WEFT_APPD_KEY_SIGNAL "signal"
#define WEFT_APPD_KEY_ENFORCED "enforced"
#define WEFT_APPD_KEY_SUMMARY "summary"
/* APP */
#define WEFT_APPD_KEY_NAME "name"
#define WEFT_APPD_KEY_DESCRIPTION "description"
#define WEFT_APPD_KEY_PATH "path"
/* SPARE */
#define WEFT_APPD_KEY_WHY "why"
/* notification */
#define WEFT_APPD_KEY_TITLE "title"
#define WEFT_APPD_KEY_BODY "body"
#define WEFT_APPD_KEY_ICON "icon"

/* Values: a SESSION's "state". */
#define WEFT_APPD_STATE_STARTING "starting"
#define WEFT_APPD_STATE_RUNNING "running"
#define WEFT_APPD_STATE_STOPPING "stopping"
#define WEFT_APPD_STATE_STOPPED "stopped"
#define WEFT_APPD_STATE_CRASHED "crashed"

/* Values: PROCESS, the keys of "sandbox" and the "process" of "exit". */
#define WEFT_APPD_PROCESS_RUNTIME "runtime"
#define WEFT_APPD_PROCESS_APP_SHELL "app-shell"

/* Values: a SESSION's "limits" is this, or NOT_ENFORCED followed by why;
 * info's "sandbox" is SANDBOX_ENFORCED or SANDBOX_NONE. */
#define WEFT_APPD_LIMITS_ENFORCED "enforced"
#define WEFT_APPD_LIMITS_NOT_ENFORCED "not enforced: "
#define WEFT_APPD_SANDBOX_ENFORCED "enforced"
#define WEFT_APPD_SANDBOX_NONE "NONE: --insecure-no-sandbox"

/* Values: a sandbox report's "shader_cache" (libweftsandbox writes the
 * report; an app-shell's Mesa shader cache). */
#define WEFT_APPD_SHADER_CACHE_NONE "none"
#define WEFT_APPD_SHADER_CACHE_APP "app" /* the app's own, read-write */
#define WEFT_APPD_SHADER_CACHE_TRUSTED "trusted read-only" /* the spare's */
#define WEFT_APPD_SHADER_CACHE_WARM_UP "warm-up" /* appd's warm-up fills it */

/* Values: info's "limits", how sessions are limited. */
#define WEFT_APPD_LIMITS_SYSTEMD "systemd"
#define WEFT_APPD_LIMITS_CGROUP "cgroup"
#define WEFT_APPD_LIMITS_NONE "none"

/* Values: SPARE's "state". */
#define WEFT_APPD_SPARE_OFF "off" /* --no-prewarm, or no compositor */
#define WEFT_APPD_SPARE_COMING "coming" /* none now, one will be started */
#define WEFT_APPD_SPARE_WARMING "warming" /* started, not ready yet */
#define WEFT_APPD_SPARE_READY "ready" /* the next launch adopts it */

/* Error codes: an error's "code". */
#define WEFT_APPD_ERR_BAD_REQUEST "bad_request" /* not JSON, no type, id too long */
#define WEFT_APPD_ERR_UNKNOWN_REQUEST "unknown_request"
#define WEFT_APPD_ERR_INVALID_ARGUMENT "invalid_argument"
#define WEFT_APPD_ERR_NOT_FOUND "not_found" /* no such session */
#define WEFT_APPD_ERR_NOT_INSTALLED "not_installed"
#define WEFT_APPD_ERR_UNTRUSTED "untrusted" /* not signed by a trusted key */
#define WEFT_APPD_ERR_INVALID_PACKAGE "invalid_package"
#define WEFT_APPD_ERR_BUSY "busy" /* too many clients, subscribers or launches */
#define WEFT_APPD_ERR_TOO_LARGE "too_large"
#define WEFT_APPD_ERR_PERMISSION_DENIED "permission_denied" /* another uid */
#define WEFT_APPD_ERR_INTERNAL "internal"

#endif
