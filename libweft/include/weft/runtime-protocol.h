/*
 * The runtime control channel (design §3): weft-runtime asks, weft-appd
 * answers (in developer mode, the runtime's own network broker answers its
 * connects). Every name on the wire is defined here, and only here;
 * weft-appd(8), RUNTIME CONTROL CHANNEL, describes the same names in prose,
 * and tests/libweft/protocol-docs.py checks that the two agree.
 *
 * An inherited SOCK_SEQPACKET socket (--control-fd). The runtime sends
 * WEFT_RUNTIME_READY once its component called notify.ready, then JSON
 * requests with weft/ipc.h's envelope, each with an "id" that its reply
 * echoes: {"id", "ok": true, ...} or {"id", "error": {"code", "message"}}.
 * The runtime waits WEFT_RUNTIME_REPLY_TIMEOUT_MS for a reply (a connect,
 * its own "timeout_ms" and 3 s more).
 *
 *   {"type": "notification", "title": T, "body": B, "icon": I (optional)}
 *       -> ok once shown to appd's subscribers (the system UI)
 *   {"type": "clipboard_write", "text": T}   -> ok
 *   {"type": "clipboard_read"}               -> ok, "text": T
 *   {"type": "connect", "host": H, "port": N, "timeout_ms": N}
 *       -> ok, "address": A, with the connected socket as its one fd
 *          (SCM_RIGHTS); weft/net.h says what a grant reaches
 *
 * Error codes: a request for a capability the manifest does not declare
 * gets permission_denied; unavailable says that nothing can answer it now
 * (no subscriber shows notifications, no compositor holds a clipboard, the
 * session is stopping); the clipboard's errors are the compositor's
 * (weft/compositor-protocol.h: empty, timeout, too_large, not_utf8, busy),
 * passed on as they are, and timeout too when the compositor does not
 * answer; a connect may also fail with unresolved, connect_failed or
 * timeout.
 *
 * The type of the clipboard requests was spelt "clipboard-read" and
 * "clipboard-write" before they followed the snake_case of every other name
 * here; appd still accepts those spellings from an older runtime.
 */
#ifndef WEFT_RUNTIME_PROTOCOL_H
#define WEFT_RUNTIME_PROTOCOL_H

#include "weft/ipc.h"

/* The first message, not JSON: the component is ready. appd also takes it
 * without the newline. */
#define WEFT_RUNTIME_READY "READY\n"

/* How long the runtime waits for a reply (a connect: see above). */
#define WEFT_RUNTIME_REPLY_TIMEOUT_MS 5000

/* Requests: the values of "type". */
#define WEFT_RUNTIME_REQ_NOTIFICATION "notification"
#define WEFT_RUNTIME_REQ_CLIPBOARD_READ "clipboard_read"
#define WEFT_RUNTIME_REQ_CLIPBOARD_WRITE "clipboard_write"
#define WEFT_RUNTIME_REQ_CONNECT "connect"
/* The old spellings, accepted, never sent. */
#define WEFT_RUNTIME_REQ_CLIPBOARD_READ_OLD "clipboard-read"
#define WEFT_RUNTIME_REQ_CLIPBOARD_WRITE_OLD "clipboard-write"

/* Fields. */
#define WEFT_RUNTIME_KEY_TITLE "title"
#define WEFT_RUNTIME_KEY_BODY "body"
#define WEFT_RUNTIME_KEY_ICON "icon"
#define WEFT_RUNTIME_KEY_TEXT "text"
#define WEFT_RUNTIME_KEY_HOST "host"
#define WEFT_RUNTIME_KEY_PORT "port"
#define WEFT_RUNTIME_KEY_TIMEOUT_MS "timeout_ms"
#define WEFT_RUNTIME_KEY_ADDRESS "address" /* connected to, as text */

/* Error codes: an error's "code". */
#define WEFT_RUNTIME_ERR_BAD_REQUEST "bad_request" /* not a JSON object, no type */
#define WEFT_RUNTIME_ERR_UNKNOWN_REQUEST "unknown_request"
#define WEFT_RUNTIME_ERR_INVALID_ARGUMENT "invalid_argument"
#define WEFT_RUNTIME_ERR_PERMISSION_DENIED "permission_denied" /* not granted */
#define WEFT_RUNTIME_ERR_UNAVAILABLE "unavailable" /* nothing can answer it now */
#define WEFT_RUNTIME_ERR_BUSY "busy" /* too many requests in flight, or a second */
#define WEFT_RUNTIME_ERR_TOO_LARGE "too_large"
#define WEFT_RUNTIME_ERR_TIMEOUT "timeout"
#define WEFT_RUNTIME_ERR_EMPTY "empty" /* clipboard_read: nothing copied as text */
#define WEFT_RUNTIME_ERR_NOT_UTF8 "not_utf8"
#define WEFT_RUNTIME_ERR_UNRESOLVED "unresolved" /* connect: the host */
#define WEFT_RUNTIME_ERR_CONNECT_FAILED "connect_failed"
#define WEFT_RUNTIME_ERR_INTERNAL "internal"

#endif
