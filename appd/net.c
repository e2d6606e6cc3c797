/*
 * The network broker (issue 11, weft/net.h): a runtime has no network of
 * its own, so its "connect" requests come here. appd checks the host and
 * port against the session's net:fetch grants, then a short-lived child,
 * weft-appd-net, resolves the host and connects, off the loop, and sends
 * the connected socket back; appd passes it to the runtime with
 * SCM_RIGHTS. What a hostile runtime can make of it is bounded: a few
 * connects of one session at a time, a rate, a time-out, and the rules of
 * weft/net.h (granted ports only, no private address by name).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appd.h"
#include "spawn.h"
#include "weft/ipc.h"
#include "weft/log.h"
#include "weft/net.h"
#include "weft/runtime-protocol.h"

/* Connects of one session in flight: the runtime asks one at a time, so
 * more is a runtime gone wrong. */
#define NET_CALLS_MAX 4
/* Connects of one session: a burst of this many, then this many a second. */
#define NET_BURST 64
#define NET_PER_SECOND 32
/* appd kills a child that has not answered this long after its connect's
 * own time-out (a resolver that hangs). */
#define NET_KILL_SLACK_MS 1000
/* The answer's fd in the child. */

struct net_call {
	struct wl_list link; /* appd_net.calls */
	struct appd_net *net;
	struct json_object *request; /* the runtime's, whose id the reply echoes */
	char *host;
	unsigned port;
	int timeout_ms;
	pid_t pid;
	int pidfd;
	int answer_fd; /* our end of the child's socket */
	struct appd_source *source; /* the pidfd */
	struct appd_source *timer;
	bool timed_out;
};

struct appd_net {
	struct appd *appd;
	char owner[64]; /* "session N", for the log */
	struct weft_net_grants grants;
	appd_net_func func;
	void *data;
	struct wl_list calls; /* net_call.link, newest first */
	int64_t tokens_ms; /* the bucket: tokens, in ms of refill */
	int64_t refilled_at;
};

struct appd_net *appd_net_create(struct appd *appd, const char *owner,
	const struct weft_strv *capabilities, appd_net_func func, void *data,
	struct weft_error *err)
{
	struct appd_net *net = calloc(1, sizeof(*net));
	if (net == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	net->appd = appd;
	snprintf(net->owner, sizeof(net->owner), "%s", owner);
	net->func = func;
	net->data = data;
	net->tokens_ms = (int64_t)NET_BURST * 1000;
	net->refilled_at = weft_now_ms();
	wl_list_init(&net->calls);
	weft_net_grants_init(&net->grants);
	/* The manifest's grants, read once by libweft's one parser. */
	for (size_t i = 0; i < capabilities->len; i++) {
		if (!weft_net_grants_add(&net->grants, capabilities->items[i], err)) {
			appd_net_destroy(net);
			return NULL;
		}
	}
	return net;
}

/* Sources go before their fds (loop.h); a child still running is killed
 * and reaped. */
static void call_destroy(struct net_call *call)
{
	wl_list_remove(&call->link);
	appd_source_remove(call->source);
	appd_source_remove(call->timer);
	if (call->pidfd >= 0) {
		appd_pidfd_kill(call->pidfd);
		close(call->pidfd);
	}
	if (call->answer_fd >= 0) {
		close(call->answer_fd);
	}
	json_object_put(call->request);
	free(call->host);
	free(call);
}

void appd_net_destroy(struct appd_net *net)
{
	if (net == NULL) {
		return;
	}
	struct net_call *call, *tmp;
	wl_list_for_each_safe (call, tmp, &net->calls, link) {
		call_destroy(call);
	}
	weft_net_grants_finish(&net->grants);
	free(net);
}

/* Takes reply; fd is passed along when not -1, then closed. */
static void answer(struct appd_net *net, struct json_object *reply, int fd)
{
	net->func(net->data, reply, fd);
	if (fd >= 0) {
		close(fd);
	}
}

/* In the helper: resolves, connects and sends the socket, or why not. */
static void run_connect(void *data)
{
	struct net_call *call = data;
	struct appd_net *net = call->net;
	char address[WEFT_NET_ADDRESS_MAX];
	const char *code = NULL;
	struct weft_error err = { 0 };
	int sock = weft_net_connect(&net->grants, call->host, call->port, call->timeout_ms,
		address, &code, &err);
	struct json_object *reply = sock >= 0 ? json_object_new_object()
					      : weft_ipc_reply_error(NULL, code, "%s", err.msg);
	if (reply != NULL && sock >= 0) {
		json_object_object_add(reply, WEFT_RUNTIME_KEY_ADDRESS,
			json_object_new_string(address));
	}
	bool sent = reply != NULL &&
		weft_ipc_send_json(APPD_HELPER_ANSWER_FD, reply, &sock, sock >= 0 ? 1 : 0, &err);
	/* No atexit handlers, no leak check: this is a copy of appd. */
	_exit(sent ? 0 : 1);
}

/* The child's answer as the runtime's reply, with the socket in *fd. */
static struct json_object *take_answer(struct net_call *call, const siginfo_t *info, int *fd)
{
	struct json_object *req = call->request;
	*fd = -1;
	if (call->timed_out) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_TIMEOUT,
			"connect to %s:%u: no connection within %d ms", call->host, call->port,
			call->timeout_ms);
	}
	int fds[WEFT_MSG_MAX_FDS];
	size_t nfds = 0;
	bool hangup = false;
	struct weft_error err = { 0 };
	struct json_object *ans = weft_ipc_recv_json(call->answer_fd, fds, &nfds, &hangup, &err);
	if (ans == NULL) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_INTERNAL,
			"connect to %s:%u: the broker child failed (%s %d)", call->host,
			call->port, info->si_code == CLD_EXITED ? "exit status" : "signal",
			info->si_status);
	}
	for (size_t i = 1; i < nfds; i++) {
		close(fds[i]);
	}
	struct json_object *error, *reply;
	if (json_object_object_get_ex(ans, WEFT_MSG_ERROR, &error)) {
		const char *c = weft_json_get_string(error, WEFT_MSG_CODE);
		const char *m = weft_json_get_string(error, WEFT_MSG_MESSAGE);
		reply = weft_ipc_reply_error(req, c != NULL ? c : WEFT_RUNTIME_ERR_INTERNAL, "%s",
			m != NULL ? m : "connect failed");
		if (nfds > 0) {
			close(fds[0]);
		}
	} else if (nfds == 0) {
		reply = weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_INTERNAL,
			"the broker child sent no socket");
	} else {
		const char *address = weft_json_get_string(ans, WEFT_RUNTIME_KEY_ADDRESS);
		reply = weft_ipc_reply_ok(req);
		if (reply != NULL) {
			json_object_object_add(reply, WEFT_RUNTIME_KEY_ADDRESS,
				json_object_new_string(address != NULL ? address : ""));
		}
		*fd = fds[0];
	}
	json_object_put(ans);
	return reply;
}

static void handle_exit(int fd, uint32_t events, void *data)
{
	struct net_call *call = data;
	struct appd_net *net = call->net;
	siginfo_t info = { 0 };
	if (waitid(P_PIDFD, (id_t)call->pidfd, &info, WEXITED | WNOHANG) != 0 ||
		info.si_pid == 0) {
		return;
	}
	close(call->pidfd);
	call->pidfd = -1;
	int sock;
	struct json_object *reply = take_answer(call, &info, &sock);
	struct json_object *error;
	if (reply != NULL && json_object_object_get_ex(reply, WEFT_MSG_ERROR, &error)) {
		weft_log(WEFT_WARN, "%s: connect %s:%u failed: %s", net->owner, call->host,
			call->port, weft_json_get_string(error, WEFT_MSG_MESSAGE));
	} else if (reply != NULL) {
		weft_log(WEFT_DEBUG, "%s: connected to %s:%u at %s", net->owner, call->host,
			call->port, weft_json_get_string(reply, WEFT_RUNTIME_KEY_ADDRESS));
	}
	call_destroy(call);
	answer(net, reply, sock);
}

static void handle_timeout(void *data)
{
	struct net_call *call = data;
	call->timed_out = true;
	pidfd_send_signal(call->pidfd, SIGKILL, NULL, 0);
}

/* Takes a token from the session's bucket, if there is one. */
static bool rate_ok(struct appd_net *net)
{
	int64_t now = weft_now_ms();
	int64_t full = (int64_t)NET_BURST * 1000;
	net->tokens_ms += (now - net->refilled_at) * NET_PER_SECOND;
	net->tokens_ms = net->tokens_ms > full ? full : net->tokens_ms;
	net->refilled_at = now;
	if (net->tokens_ms < 1000) {
		return false;
	}
	net->tokens_ms -= 1000;
	return true;
}

/* Starts the child; NULL with *reply set when the request is answered at
 * once. */
static struct net_call *call_start(struct appd_net *net, struct json_object *req, const char *host,
	unsigned port, int timeout_ms, struct weft_error *err)
{
	struct net_call *call = calloc(1, sizeof(*call));
	if (call == NULL || (call->host = strdup(host)) == NULL) {
		free(call);
		weft_error_set(err, "out of memory");
		return NULL;
	}
	wl_list_init(&call->link);
	call->net = net;
	call->request = json_object_get(req);
	call->port = port;
	call->timeout_ms = timeout_ms;
	call->pidfd = call->answer_fd = -1;
	struct appd_helper helper;
	if (!appd_helper_start(&helper, "weft-appd-net", run_connect, call, err)) {
		call_destroy(call);
		return NULL;
	}
	call->pid = helper.pid;
	call->pidfd = helper.pidfd;
	call->answer_fd = helper.answer_fd;
	call->source = appd_loop_add_fd(net->appd->loop, call->pidfd, EPOLLIN, handle_exit, call,
		err);
	call->timer = call->source != NULL
		? appd_loop_add_timer(net->appd->loop, handle_timeout, call, err)
		: NULL;
	if (call->timer == NULL || !appd_timer_arm(call->timer, timeout_ms + NET_KILL_SLACK_MS)) {
		if (call->timer != NULL) {
			weft_error_errno(err, "timerfd_settime");
		}
		call_destroy(call);
		return NULL;
	}
	return call;
}

void appd_net_connect(struct appd_net *net, struct json_object *req,
	const struct appd_runtime_request *r)
{
	const char *host = r->host;
	int64_t port = r->port;
	int timeout = r->timeout_ms;
	if (host == NULL || port <= 0 || port > 65535) {
		answer(net,
			weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_INVALID_ARGUMENT,
				"host (a string) and port (1-65535) are required"),
			-1);
		return;
	}
	/* Whatever the runtime says, appd checks: the grants first, before
	 * anything is resolved. */
	struct weft_error err = { 0 };
	char q[80];
	const char *shown = weft_escape(host, strlen(host), q, sizeof(q));
	if (!weft_net_allowed(&net->grants, host, (unsigned)port, &err)) {
		weft_log(WEFT_WARN, "%s: connect %s:%lld refused: %s", net->owner, shown,
			(long long)port, err.msg);
		answer(net,
			weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_PERMISSION_DENIED, "%s",
				err.msg),
			-1);
		return;
	}
	const char *busy = NULL;
	if (wl_list_length(&net->calls) >= NET_CALLS_MAX) {
		busy = "too many connects at once";
	} else if (!rate_ok(net)) {
		busy = "too many connects a second";
	}
	if (busy != NULL) {
		weft_log(WEFT_WARN, "%s: connect %s:%lld refused: %s", net->owner, shown,
			(long long)port, busy);
		answer(net, weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_BUSY, "%s", busy), -1);
		return;
	}
	struct net_call *call = call_start(net, req, host, (unsigned)port, timeout, &err);
	if (call == NULL) {
		weft_log(WEFT_ERROR, "%s: connect %s:%lld: %s", net->owner, shown, (long long)port,
			err.msg);
		answer(net, weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_INTERNAL, "%s", err.msg),
			-1);
		return;
	}
	wl_list_insert(&net->calls, &call->link);
}
