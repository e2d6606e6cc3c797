/*
 * Lowered imports of weft:app@0.1.0, and of weft:app/ipc@0.2.0's wait
 * unless WAPP_WEFT_APP_0_1 is defined (canonical ABI, wasm32). Results wider
 * than one flat value come back through a return area the caller provides;
 * strings and lists the host returns are allocated with our cabi_realloc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wapp.h"

#define IMPORT(iface, name) \
	__attribute__((import_module("weft:app/" iface "@0.1.0"), import_name(name)))

/* A string or list as the canonical ABI lays it out in linear memory. */
struct abi_slice {
	uint8_t *ptr;
	size_t len;
};

/* result<_, string>, option<string> and result<string, string>. */
struct abi_tagged_slice {
	uint8_t tag;
	struct abi_slice slice;
};

struct abi_response {
	uint16_t status;
	struct abi_slice content_type;
	struct abi_slice body;
};

struct abi_fetch_result {
	uint8_t tag;
	union {
		struct abi_response ok;
		struct abi_slice err;
	} val;
};

struct abi_header {
	struct abi_slice name, value;
};

IMPORT("notify", "ready") extern void import_ready(void);
IMPORT("ipc", "send")
extern void import_ipc_send(const char *ptr, size_t len, struct abi_tagged_slice *ret);
IMPORT("ipc", "recv") extern void import_ipc_recv(struct abi_tagged_slice *ret);
#ifndef WAPP_WEFT_APP_0_1
__attribute__((import_module("weft:app/ipc@0.2.0"), import_name("wait"))) extern void
import_ipc_wait(uint32_t has_timeout, uint32_t timeout_ms, struct abi_tagged_slice *ret);
#endif
IMPORT("fetch", "fetch")
extern void import_fetch(const char *url, size_t url_len, const char *method, size_t method_len,
	const struct abi_header *headers, size_t nheaders, uint32_t has_body, const uint8_t *body,
	size_t body_len, struct abi_fetch_result *ret);
IMPORT("notifications", "notify")
extern void import_notify(const char *title, size_t title_len, const char *body, size_t body_len,
	uint32_t has_icon, const char *icon, size_t icon_len, struct abi_tagged_slice *ret);
IMPORT("clipboard", "read") extern void import_clipboard_read(struct abi_tagged_slice *ret);
IMPORT("clipboard", "write")
extern void import_clipboard_write(const char *ptr, size_t len, struct abi_tagged_slice *ret);

/* The host allocates returned strings and lists through this export. */
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *ptr, size_t old_size,
	size_t align, size_t new_size);

void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size)
{
	(void)old_size;
	(void)align; /* malloc's alignment (16) covers every canonical ABI type */
	if (new_size == 0) {
		return (void *)align;
	}
	void *p = realloc(ptr, new_size);
	if (p == NULL) {
		abort();
	}
	return p;
}

/* Turns a host-allocated slice into a NUL-terminated string, consuming it. */
static char *take_string(struct abi_slice s)
{
	char *str = realloc(s.len > 0 ? s.ptr : NULL, s.len + 1);
	if (str == NULL) {
		abort();
	}
	str[s.len] = '\0';
	return str;
}

static bool take_unit_result(struct abi_tagged_slice *ret, char **err)
{
	if (ret->tag == 0) {
		return true;
	}
	char *msg = take_string(ret->slice);
	if (err != NULL) {
		*err = msg;
	} else {
		free(msg);
	}
	return false;
}

void wapp_ready(void)
{
	import_ready();
}

bool wapp_ipc_send(const char *payload, size_t len, char **err)
{
	struct abi_tagged_slice ret;
	import_ipc_send(payload, len, &ret);
	return take_unit_result(&ret, err);
}

char *wapp_ipc_recv(size_t *len)
{
	struct abi_tagged_slice ret;
	import_ipc_recv(&ret);
	if (ret.tag == 0) {
		return NULL;
	}
	if (len != NULL) {
		*len = ret.slice.len;
	}
	return take_string(ret.slice);
}

#ifndef WAPP_WEFT_APP_0_1

char *wapp_ipc_wait_for(size_t *len, int timeout_ms)
{
	/* The runtime blocks in our own thread on the IPC socket: a message
	 * wakes us with nothing in between. */
	struct abi_tagged_slice ret;
	import_ipc_wait(timeout_ms >= 0, timeout_ms >= 0 ? (uint32_t)timeout_ms : 0, &ret);
	if (ret.tag == 0) {
		return NULL;
	}
	if (len != NULL) {
		*len = ret.slice.len;
	}
	return take_string(ret.slice);
}

char *wapp_ipc_wait(size_t *len)
{
	for (;;) {
		char *msg = wapp_ipc_wait_for(len, -1);
		if (msg != NULL) {
			return msg;
		}
		/* The page hung up or the session is ending: the runtime stops
		 * us as soon as we run again. Until it does, do not spin. */
		struct timespec ts = { 0, 5000000L };
		nanosleep(&ts, NULL);
	}
}

#else

/* Where there is no doorbell: how long to keep polling without sleeping
 * after the last message, and the longest sleep between polls. */
#define WAIT_SPIN_NS 200000L
#define WAIT_MAX_SLEEP_NS 5000000L

static long elapsed_ns(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

char *wapp_ipc_wait(size_t *len)
{
	/* Whether stdin is weft-runtime's doorbell: a byte arrives when a
	 * message is waiting. Elsewhere stdin ends at once, and we poll. */
	static bool have_doorbell = true;

	/* With the doorbell, wait on it at once: polling here first kept the
	 * CPU from whoever gets our reply (the host, on this CPU since it woke
	 * us), adding the whole poll to every round trip that woke us. Without
	 * it, messages come in bursts (a reply, then the next request): poll
	 * without waiting for a moment first. */
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long sleep_ns = 0;
	for (;;) {
		char *msg = wapp_ipc_recv(len);
		if (msg != NULL) {
			return msg;
		}
		if (!have_doorbell && sleep_ns == 0 && elapsed_ns(&start) < WAIT_SPIN_NS) {
			continue;
		}
		if (have_doorbell) {
			char buf[64];
			if (read(STDIN_FILENO, buf, sizeof(buf)) > 0) {
				continue;
			}
			have_doorbell = false;
		}
		/* A WASI sleep lasts at least a millisecond in Wasmtime. */
		if (sleep_ns < WAIT_MAX_SLEEP_NS) {
			sleep_ns += 1000000L;
		}
		struct timespec ts = { 0, sleep_ns };
		nanosleep(&ts, NULL);
	}
}

#endif

bool wapp_fetch(const char *url, const char *method, const struct wapp_header *headers,
	size_t nheaders, const uint8_t *body, size_t body_len, bool has_body,
	struct wapp_response *resp, char **err)
{
	struct abi_header *abi_headers = calloc(nheaders + 1, sizeof(*abi_headers));
	if (abi_headers == NULL) {
		abort();
	}
	for (size_t i = 0; i < nheaders; i++) {
		abi_headers[i].name = (struct abi_slice){ (uint8_t *)headers[i].name,
			strlen(headers[i].name) };
		abi_headers[i].value = (struct abi_slice){ (uint8_t *)headers[i].value,
			strlen(headers[i].value) };
	}
	struct abi_fetch_result ret;
	import_fetch(url, strlen(url), method, strlen(method), abi_headers, nheaders,
		has_body ? 1 : 0, body, has_body ? body_len : 0, &ret);
	free(abi_headers);
	if (ret.tag != 0) {
		char *msg = take_string(ret.val.err);
		if (err != NULL) {
			*err = msg;
		} else {
			free(msg);
		}
		return false;
	}
	resp->status = ret.val.ok.status;
	resp->content_type = take_string(ret.val.ok.content_type);
	resp->body = ret.val.ok.body.len > 0 ? ret.val.ok.body.ptr : NULL;
	resp->body_len = ret.val.ok.body.len;
	return true;
}

void wapp_response_finish(struct wapp_response *resp)
{
	free(resp->content_type);
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

bool wapp_notify(const char *title, const char *body, const char *icon, char **err)
{
	struct abi_tagged_slice ret;
	import_notify(title, strlen(title), body, strlen(body), icon != NULL ? 1 : 0, icon,
		icon != NULL ? strlen(icon) : 0, &ret);
	return take_unit_result(&ret, err);
}

char *wapp_clipboard_read(char **err)
{
	struct abi_tagged_slice ret;
	import_clipboard_read(&ret);
	char *s = take_string(ret.slice);
	if (ret.tag == 0) {
		return s;
	}
	if (err != NULL) {
		*err = s;
	} else {
		free(s);
	}
	return NULL;
}

bool wapp_clipboard_write(const char *text, char **err)
{
	struct abi_tagged_slice ret;
	import_clipboard_write(text, strlen(text), &ret);
	return take_unit_result(&ret, err);
}

char *wapp_json_quote(const char *s, size_t len)
{
	/* Worst case: every byte becomes \u00XX. */
	char *out = malloc(len * 6 + 3);
	if (out == NULL) {
		abort();
	}
	char *p = out;
	*p++ = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			p = stpcpy(p, "\\\"");
			break;
		case '\\':
			p = stpcpy(p, "\\\\");
			break;
		case '\n':
			p = stpcpy(p, "\\n");
			break;
		case '\r':
			p = stpcpy(p, "\\r");
			break;
		case '\t':
			p = stpcpy(p, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				p += sprintf(p, "\\u%04x", c);
			} else {
				*p++ = (char)c;
			}
		}
	}
	*p++ = '"';
	*p = '\0';
	return out;
}
