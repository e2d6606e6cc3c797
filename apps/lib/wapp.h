/*
 * The guest side of weft:app@0.1.0 for apps written in C: our own small
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
 * Waits for the next message. ipc.recv never blocks: this polls it briefly,
 * then blocks on stdin, where weft-runtime writes a byte when a message is
 * waiting (its doorbell). Without a doorbell it polls, sleeping up to 5 ms.
 * Reads stdin: apps that use this must not read stdin themselves.
 */
char *wapp_ipc_wait(size_t *len);

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
