/*
 * The weft:app@0.1.0 host functions, and weft:app@0.2.0's ipc (0.1.0's
 * and a blocking wait). Each checks its capability first: an
 * ungranted call returns err("capability not granted: <cap>") and is logged,
 * so the app can handle it and the user can see it.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime.h"
#include "val.h"
#include "weft/ipc.h"
#include "weft/log.h"
#include "weft/runtime-protocol.h"

/* Guest strings are not NUL-terminated; host code wants them to be. */
static char *arg_strdup(const wasmtime_component_val_t *val)
{
	char *s = strndup(val->of.string.data, val->of.string.size);
	if (s == NULL) {
		abort();
	}
	return s;
}

static void deny(wasmtime_component_val_t *result, const char *what, const char *cap)
{
	weft_log(WEFT_WARN, "%s: capability not granted: %s", what, cap);
	val_result_err(result, "capability not granted: %s", cap);
}

static wasmtime_error_t *notify_ready(void *env, wasmtime_context_t *ctx,
	const wasmtime_component_func_type_t *ty, wasmtime_component_val_t *args, size_t nargs,
	wasmtime_component_val_t *results, size_t nresults)
{
	struct runtime_host *host = env;
	if (atomic_exchange(&host->ready, true)) {
		return NULL;
	}
	if (weft_log_get_level() >= WEFT_DEBUG) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		weft_log(WEFT_DEBUG, "%7.2f ms: ready",
			(double)(now.tv_sec - host->start.tv_sec) * 1e3 +
				(double)(now.tv_nsec - host->start.tv_nsec) / 1e6);
	}
	struct weft_error err;
	if (!runtime_control_ready(host, &err)) {
		/* Without READY appd ends the session; say why on our side. */
		weft_log(WEFT_ERROR, "%s", err.msg);
	}
	return NULL;
}

static wasmtime_error_t *ipc_send(void *env, wasmtime_context_t *ctx,
	const wasmtime_component_func_type_t *ty, wasmtime_component_val_t *args, size_t nargs,
	wasmtime_component_val_t *results, size_t nresults)
{
	struct runtime_host *host = env;
	const wasm_name_t *payload = &args[0].of.string;
	if (payload->size > WEFT_MSG_MAX) {
		val_result_err(&results[0], "message too large (%zu bytes, at most %d)",
			payload->size, WEFT_MSG_MAX);
		return NULL;
	}
	ssize_t n;
	do {
		n = send(host->ipc_fd, payload->data, payload->size, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		val_result_err(&results[0], "ipc: %s", strerror(errno));
		return NULL;
	}
	atomic_fetch_add(&host->sent, 1);
	val_result_ok(&results[0], NULL);
	return NULL;
}

/* A SOCK_SEQPACKET recv of 0 bytes is either an empty message or hang-up. */
static bool peer_hung_up(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };
	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLRDHUP)) != 0;
}

/*
 * Takes the next message off the IPC socket into *result (an option<string>
 * set to none first). Returns false when none is pending; *hung_up says
 * whether the page is gone for good.
 */
static bool take_message(struct runtime_host *host, wasmtime_component_val_t *result,
	bool *hung_up)
{
	result->kind = WASMTIME_COMPONENT_OPTION;
	result->of.option = NULL;
	*hung_up = false;
	for (;;) {
		ssize_t n = recv(host->ipc_fd, host->recv_buf, WEFT_MSG_MAX + 1,
			MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (errno != EAGAIN) {
				weft_log_errno(WEFT_WARN, "ipc: recv");
				*hung_up = true;
			}
			atomic_store(&host->idle, true);
			return false;
		}
		if (n == 0 && peer_hung_up(host->ipc_fd)) {
			*hung_up = true;
			return false;
		}
		if (n > WEFT_MSG_MAX) {
			weft_log(WEFT_WARN, "ipc: dropped a message of %zd bytes (at most %d)", n,
				WEFT_MSG_MAX);
			continue;
		}
		if (weft_utf8_invalid_at(host->recv_buf, (size_t)n) != (size_t)n) {
			weft_log(WEFT_WARN, "ipc: dropped a message that is not UTF-8");
			continue;
		}
		/* In this order: see session.c's end of developer mode. */
		atomic_store(&host->idle, false);
		atomic_fetch_add(&host->received, 1);
		wasmtime_component_val_t s;
		val_string(&s, host->recv_buf, (size_t)n);
		result->of.option = wasmtime_component_val_new(&s);
		return true;
	}
}

static wasmtime_error_t *ipc_recv(void *env, wasmtime_context_t *ctx,
	const wasmtime_component_func_type_t *ty, wasmtime_component_val_t *args, size_t nargs,
	wasmtime_component_val_t *results, size_t nresults)
{
	bool hung_up;
	take_message(env, &results[0], &hung_up);
	return NULL;
}

/*
 * weft:app/ipc@0.2.0's wait: ipc.recv, blocking in the guest's own thread
 * on the IPC socket until a message comes, the time-out passes, or the
 * session ends (session_end makes ending_fd readable). The guest's thread
 * is the only reader of the IPC socket, so each message goes to exactly
 * one ipc.recv or ipc.wait, in order. A page that hung up leaves nothing
 * to wait for but the time-out and the end.
 */
static wasmtime_error_t *ipc_wait(void *env, wasmtime_context_t *ctx,
	const wasmtime_component_func_type_t *ty, wasmtime_component_val_t *args, size_t nargs,
	wasmtime_component_val_t *results, size_t nresults)
{
	struct runtime_host *host = env;
	bool forever = args[0].of.option == NULL;
	int64_t deadline = forever ? 0 : weft_now_ms() + (int64_t)args[0].of.option->of.u32;
	for (;;) {
		bool hung_up;
		if (take_message(host, &results[0], &hung_up)) {
			return NULL;
		}
		struct pollfd pfds[2] = {
			{ .fd = host->ending_fd, .events = POLLIN },
			{ .fd = hung_up ? -1 : host->ipc_fd, .events = POLLIN },
		};
		int64_t left = forever ? -1 : deadline - weft_now_ms();
		if (!forever && left <= 0) {
			return NULL;
		}
		int r = poll(pfds, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno != EINTR) {
			weft_log_errno(WEFT_WARN, "ipc: poll");
			return NULL;
		}
		if (r > 0 && pfds[0].revents != 0) {
			return NULL; /* the session is ending */
		}
	}
}

static wasmtime_error_t *fetch_fetch(void *env, wasmtime_context_t *ctx,
	const wasmtime_component_func_type_t *ty, wasmtime_component_val_t *args, size_t nargs,
	wasmtime_component_val_t *results, size_t nresults)
{
	runtime_fetch(env, args, &results[0]);
	return NULL;
}

static wasmtime_error_t *notifications_notify(void *env, wasmtime_context_t *ctx,
	const wasmtime_component_func_type_t *ty, wasmtime_component_val_t *args, size_t nargs,
	wasmtime_component_val_t *results, size_t nresults)
{
	struct runtime_host *host = env;
	if (!host->grants->notifications) {
		deny(&results[0], "notifications.notify", "sys:notifications");
		return NULL;
	}
	char *title = arg_strdup(&args[0]);
	char *body = arg_strdup(&args[1]);
	char *icon = args[2].of.option != NULL ? arg_strdup(args[2].of.option) : NULL;
	struct weft_error err;
	if (host->dev_mode) {
		fprintf(stderr, "notification: %s: %s\n", title, body);
		val_result_ok(&results[0], NULL);
	} else if (runtime_control_request(host, WEFT_RUNTIME_REQ_NOTIFICATION,
			   WEFT_RUNTIME_KEY_TITLE, title, WEFT_RUNTIME_KEY_BODY, body,
			   WEFT_RUNTIME_KEY_ICON, icon, NULL, &err)) {
		val_result_ok(&results[0], NULL);
	} else {
		val_result_err(&results[0], "%s", err.msg);
	}
	free(title);
	free(body);
	free(icon);
	return NULL;
}

static wasmtime_error_t *clipboard_read(void *env, wasmtime_context_t *ctx,
	const wasmtime_component_func_type_t *ty, wasmtime_component_val_t *args, size_t nargs,
	wasmtime_component_val_t *results, size_t nresults)
{
	struct runtime_host *host = env;
	if (!host->grants->clipboard_read) {
		deny(&results[0], "clipboard.read", "sys:clipboard:read");
		return NULL;
	}
	if (host->dev_mode) {
		const char *text = host->dev_clipboard != NULL ? host->dev_clipboard : "";
		val_result_ok(&results[0], text);
		return NULL;
	}
	char *text = NULL;
	struct weft_error err;
	if (!runtime_control_request(host, WEFT_RUNTIME_REQ_CLIPBOARD_READ, NULL, NULL, NULL, NULL,
		    NULL, NULL, &text, &err)) {
		val_result_err(&results[0], "%s", err.msg);
		return NULL;
	}
	if (weft_utf8_invalid_at(text, strlen(text)) != strlen(text)) {
		val_result_err(&results[0], "clipboard: the selection is not UTF-8 text");
	} else {
		val_result_ok(&results[0], text);
	}
	free(text);
	return NULL;
}

static wasmtime_error_t *clipboard_write(void *env, wasmtime_context_t *ctx,
	const wasmtime_component_func_type_t *ty, wasmtime_component_val_t *args, size_t nargs,
	wasmtime_component_val_t *results, size_t nresults)
{
	struct runtime_host *host = env;
	if (!host->grants->clipboard_write) {
		deny(&results[0], "clipboard.write", "sys:clipboard:write");
		return NULL;
	}
	char *text = arg_strdup(&args[0]);
	struct weft_error err;
	if (host->dev_mode) {
		free(host->dev_clipboard);
		host->dev_clipboard = text;
		val_result_ok(&results[0], NULL);
		return NULL;
	}
	if (runtime_control_request(host, WEFT_RUNTIME_REQ_CLIPBOARD_WRITE, WEFT_RUNTIME_KEY_TEXT,
		    text, NULL, NULL, NULL, NULL, NULL, &err)) {
		val_result_ok(&results[0], NULL);
	} else {
		val_result_err(&results[0], "%s", err.msg);
	}
	free(text);
	return NULL;
}

struct host_func {
	const char *name;
	wasmtime_component_func_callback_t callback;
};

struct host_interface {
	const char *name;
	struct host_func funcs[4]; /* ended by a NULL name */
};

static const struct host_interface interfaces[] = {
	{ "weft:app/notify@0.1.0", { { "ready", notify_ready } } },
	{ "weft:app/ipc@0.1.0", { { "send", ipc_send }, { "recv", ipc_recv } } },
	{ "weft:app/ipc@0.2.0",
		{ { "send", ipc_send }, { "recv", ipc_recv }, { "wait", ipc_wait } } },
	{ "weft:app/fetch@0.1.0", { { "fetch", fetch_fetch } } },
	{ "weft:app/notifications@0.1.0", { { "notify", notifications_notify } } },
	{ "weft:app/clipboard@0.1.0",
		{ { "read", clipboard_read }, { "write", clipboard_write } } },
};

bool runtime_host_link(wasmtime_component_linker_t *linker, struct runtime_host *host,
	struct weft_error *err)
{
	wasmtime_component_linker_instance_t *root = wasmtime_component_linker_root(linker);
	bool ok = true;
	for (size_t i = 0; ok && i < sizeof(interfaces) / sizeof(interfaces[0]); i++) {
		const struct host_interface *iface = &interfaces[i];
		wasmtime_component_linker_instance_t *inst;
		wasmtime_error_t *error = wasmtime_component_linker_instance_add_instance(root,
			iface->name, strlen(iface->name), &inst);
		if (error != NULL) {
			runtime_error_take(err, error);
			weft_error_prefix(err, "link %s", iface->name);
			ok = false;
			break;
		}
		for (const struct host_func *f = iface->funcs; ok && f->name != NULL; f++) {
			error = wasmtime_component_linker_instance_add_func(inst, f->name,
				strlen(f->name), f->callback, host, NULL);
			if (error != NULL) {
				runtime_error_take(err, error);
				weft_error_prefix(err, "link %s#%s", iface->name, f->name);
				ok = false;
			}
		}
		wasmtime_component_linker_instance_delete(inst);
	}
	wasmtime_component_linker_instance_delete(root);
	return ok;
}
