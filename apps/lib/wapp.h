/*
 * The guest side of weft:app@0.1.0 (and weft:app/ipc@0.2.0's wait) for apps
 * written in C: our own small
 * canonical-ABI glue (wit/weft-app.wit is the contract). The component-type
 * information comes from the WIT file itself, which wasm-component-ld reads
 * when it turns the core module into a component.
 *
 * Strings handed out by these functions are malloc'd, NUL-terminated copies;
 * the caller frees them.
 */
#ifndef WAPP_H
#define WAPP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* weft:app/notify */
void wapp_ready(void);

/* weft:app/ipc. send returns false with *err (malloc'd) on failure; err may be NULL. */
bool wapp_ipc_send(const char *payload, size_t len, char **err);
/* One pending message, or NULL when none is pending. Never blocks. */
char *wapp_ipc_recv(size_t *len);
/*
 * Waits for the next message. Built as it is, with weft:app/ipc@0.2.0's
 * wait, which blocks in the runtime until a message comes: the component
 * then needs a runtime with weft:app@0.2.0 (weft-runtime). Built with
 * WAPP_WEFT_APP_0_1 defined, it imports weft:app@0.1.0 only (for WEFT OS's
 * runtime too) and waits through ipc.recv, which never blocks: it blocks
 * on stdin, which weft-runtime makes readable when a message is waiting
 * (its doorbell), and without a doorbell it polls, sleeping up to 5 ms;
 * it then reads stdin: apps that use it must not read stdin themselves.
 */
char *wapp_ipc_wait(size_t *len);
#ifndef WAPP_WEFT_APP_0_1
/* weft:app/ipc@0.2.0's wait: the next message, or NULL once timeout_ms
 * passed (never, if it is negative), the page hung up, or the session is
 * ending. */
char *wapp_ipc_wait_for(size_t *len, int timeout_ms);
#endif

/* weft:app/fetch */
struct wapp_header {
	const char *name, *value;
};

struct wapp_response {
	uint16_t status;
	char *content_type;
	uint8_t *body;
	size_t body_len;
};

bool wapp_fetch(const char *url, const char *method, const struct wapp_header *headers,
	size_t nheaders, const uint8_t *body, size_t body_len, bool has_body,
	struct wapp_response *resp, char **err);
void wapp_response_finish(struct wapp_response *resp);

/* weft:app/notifications; icon may be NULL. */
bool wapp_notify(const char *title, const char *body, const char *icon, char **err);

/* weft:app/clipboard */
char *wapp_clipboard_read(char **err);
bool wapp_clipboard_write(const char *text, char **err);

/*
 * s[0..len) as a JSON string literal, quotes included, malloc'd. UTF-8 passes
 * through; quotes, backslashes and control characters are escaped.
 */
char *wapp_json_quote(const char *s, size_t len);

#endif
