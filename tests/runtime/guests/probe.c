/*
 * A test guest that does what it is told over IPC and answers with the
 * outcome, so that tests can drive every weft:app function and WASI file
 * access from outside:
 *   fetch <url>          -> "ok <status> <content-type> <body>" | "err <msg>"
 *   post <url> <body>    -> likewise, with a POST body
 *   notify <title>       -> "ok" | "err <msg>"
 *   clip-read            -> "ok <text>" | "err <msg>"
 *   clip-write <text>    -> "ok" | "err <msg>"
 *   write <path> <text>  -> "ok" | "err <strerror>"
 *   read <path>          -> "ok <contents>" | "err <strerror>"
 *   alloc <MiB>          -> "ok" | "err no memory" (malloc, kept)
 *   memsize              -> "ok <bytes of linear memory>"
 *   peek <address>       -> "ok <byte>", or a trap past the end of memory
 *   say <text>           -> "ok", after writing text and a newline to stderr
 *   flood <MiB>          -> "ok", after writing MiB of lines to stderr and stdout
 *   exit <code>          -> exits
 *   wait <ms>|forever    -> "got <message>" | "none": ipc.wait@0.2.0 with that time-out
 *   echo <n>             -> takes the next n messages with ipc.wait and sends each back
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wapp.h"

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void reply(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, args) < 0) {
		abort();
	}
	va_end(args);
	wapp_ipc_send(s, strlen(s), NULL);
	free(s);
}

static void do_fetch(const char *url, const char *body)
{
	struct wapp_response resp;
	char *err = NULL;
	struct wapp_header headers[] = { { "X-Weft-Test", "1" } };
	if (!wapp_fetch(url, body != NULL ? "POST" : "GET", headers, 1, (const uint8_t *)body,
		    body != NULL ? strlen(body) : 0, body != NULL, &resp, &err)) {
		reply("err %s", err);
		free(err);
		return;
	}
	reply("ok %u %s %.*s", resp.status, resp.content_type, (int)resp.body_len,
		(const char *)resp.body);
	wapp_response_finish(&resp);
}

static void do_write(char *args)
{
	char *text = strchr(args, ' ');
	if (text != NULL) {
		*text++ = '\0';
	}
	FILE *f = fopen(args, "w");
	if (f == NULL) {
		reply("err %s", strerror(errno));
		return;
	}
	fputs(text != NULL ? text : "", f);
	if (fclose(f) != 0) {
		reply("err %s", strerror(errno));
		return;
	}
	reply("ok");
}

static void do_read(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		reply("err %s", strerror(errno));
		return;
	}
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	reply("ok %.*s", (int)n, buf);
}

/* Keeps the compiler from eliding allocations nobody reads. */
char *volatile probe_sink;

static void do_alloc(unsigned long mib)
{
	char *p = malloc(mib << 20);
	if (p == NULL) {
		reply("err no memory");
		return;
	}
	memset(p, 1, mib << 20);
	probe_sink = p;
	reply("ok");
}

static void do_peek(const char *arg)
{
	/* A linear-memory address, reached on purpose: the runtime's memory
	 * must trap cleanly past its end. */
	volatile const unsigned char *p = (volatile const unsigned char *)(uintptr_t)strtoul(arg,
		NULL, 0);
	reply("ok %u", *p);
}

static void do_flood(unsigned long mib)
{
	char line[101];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (unsigned long i = 0; i < (mib << 20) / sizeof(line); i++) {
		fwrite(line, 1, sizeof(line), i % 2 == 0 ? stderr : stdout);
	}
	fflush(stdout);
	fflush(stderr);
	reply("ok");
}

static void do_wait(const char *arg)
{
	int timeout_ms = strcmp(arg, "forever") == 0 ? -1 : atoi(arg);
	size_t len;
	char *msg = wapp_ipc_wait_for(&len, timeout_ms);
	if (msg == NULL) {
		reply("none");
		return;
	}
	reply("got %.*s", (int)len, msg);
	free(msg);
}

static void do_echo(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		size_t len;
		char *msg = wapp_ipc_wait_for(&len, -1);
		if (msg == NULL) {
			return;
		}
		char *err = NULL;
		if (!wapp_ipc_send(msg, len, &err)) {
			fprintf(stderr, "probe: echo: %s\n", err);
			free(err);
		}
		free(msg);
	}
}

int main(void)
{
	wapp_ready();
	for (;;) {
		char *msg = wapp_ipc_wait(NULL);
		char *arg = strchr(msg, ' ');
		if (arg != NULL) {
			*arg++ = '\0';
		}
		char *err = NULL;
		if (strcmp(msg, "fetch") == 0 && arg != NULL) {
			do_fetch(arg, NULL);
		} else if (strcmp(msg, "post") == 0 && arg != NULL && strchr(arg, ' ') != NULL) {
			char *body = strchr(arg, ' ');
			*body++ = '\0';
			do_fetch(arg, body);
		} else if (strcmp(msg, "notify") == 0) {
			if (wapp_notify(arg != NULL ? arg : "", "body", NULL, &err)) {
				reply("ok");
			} else {
				reply("err %s", err);
			}
		} else if (strcmp(msg, "clip-read") == 0) {
			char *text = wapp_clipboard_read(&err);
			if (text != NULL) {
				reply("ok %s", text);
			} else {
				reply("err %s", err);
			}
			free(text);
		} else if (strcmp(msg, "clip-write") == 0) {
			if (wapp_clipboard_write(arg != NULL ? arg : "", &err)) {
				reply("ok");
			} else {
				reply("err %s", err);
			}
		} else if (strcmp(msg, "write") == 0 && arg != NULL) {
			do_write(arg);
		} else if (strcmp(msg, "read") == 0 && arg != NULL) {
			do_read(arg);
		} else if (strcmp(msg, "alloc") == 0 && arg != NULL) {
			do_alloc(strtoul(arg, NULL, 10));
		} else if (strcmp(msg, "memsize") == 0) {
			reply("ok %zu", __builtin_wasm_memory_size(0) * 65536);
		} else if (strcmp(msg, "peek") == 0 && arg != NULL) {
			do_peek(arg);
		} else if (strcmp(msg, "say") == 0) {
			fprintf(stderr, "%s\n", arg != NULL ? arg : "");
			fflush(stderr);
			reply("ok");
		} else if (strcmp(msg, "flood") == 0 && arg != NULL) {
			do_flood(strtoul(arg, NULL, 10));
		} else if (strcmp(msg, "wait") == 0 && arg != NULL) {
			do_wait(arg);
		} else if (strcmp(msg, "echo") == 0 && arg != NULL) {
			do_echo(strtoul(arg, NULL, 10));
		} else if (strcmp(msg, "exit") == 0) {
			exit(arg != NULL ? atoi(arg) : 0);
		} else {
			reply("err unknown command");
		}
		free(err);
		free(msg);
	}
}
