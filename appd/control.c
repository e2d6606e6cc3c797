/*
 * The control socket (weft/appd-protocol.h): weftctl and the shell talk to appd here.
 * Only peers with our uid are served. Every request gets one reply, in the
 * order they came; a peer that breaks framing (a message over the cap) is
 * disconnected. What the socket has no room for waits in the client's
 * outbox, in order, up to OUTBOX_MAX bytes: a subscriber busy for a moment
 * (the shell while its page lays out) loses nothing, and one that stops
 * reading is disconnected before it costs appd more, so that no client can
 * stall the loop. A notification is no state: it never waits in an outbox
 * and goes only to subscribers with room for it (appd_control_broadcast).
 * A launch is answered once its package has been checked, off the loop;
 * the client's next requests wait for that, other clients do not.
 *
 * Connections are few (MAX_CLIENTS), and idle ones must not keep others
 * out: when all are taken, a new one takes the place of the one that has
 * been idle longest: not subscribed, no request in flight or unread. At
 * most half may subscribe, so that there is one unless the others all wait
 * for launches.
 */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "appd.h"
#include "weft/appd-protocol.h"
#include "request.h"
#include "spare.h"
#include "warmup.h"
#include "weft/ipc.h"
#include "weft/log.h"

#define MAX_CLIENTS 64
#define MAX_SUBSCRIBERS (MAX_CLIENTS / 2)
/* Messages handled per wake-up, so that one client cannot starve others. */
#define BATCH 16

/* Bytes that may wait for one client, beyond the hundred or more messages
 * its socket holds, before it is disconnected: about a hundred more state
 * events, seconds of a busy session's life. */
#define OUTBOX_MAX (64 * 1024)

/* A message the client's socket had no room for yet. */
struct queued {
	struct wl_list link; /* client.outbox, oldest first */
	size_t len;
	char data[];
};

struct client {
	struct wl_list link; /* appd_control.clients */
	struct appd_control *control;
	int fd;
	struct appd_source *source; /* NULL while a launch is in flight */
	struct wl_list outbox; /* struct queued */
	size_t outbox_bytes;
	struct appd_source *writer; /* waits for room while the outbox is not empty */
	pid_t pid;
	bool subscribed;
	bool broken; /* to be destroyed once no handler holds it */
	uint64_t last_active; /* control->tick at connect or its last request */
	/* A launch whose reply is owed, and the request it answers. */
	struct appd_launch *launch;
	struct json_object *launch_request;
};

struct appd_control {
	struct appd *appd;
	char *path;
	int fd;
	struct appd_source *source;
	struct wl_list clients; /* newest first */
	size_t nclients;
	uint64_t tick; /* counts connections and requests, to order them */
	/* A client's request is being handled: clients that fail now (an
	 * event to a subscriber, say) are only marked, and swept after. */
	bool handling;
};

static void handle_client(int fd, uint32_t events, void *data);

static void client_destroy(struct client *client)
{
	struct appd_control *control = client->control;
	wl_list_remove(&client->link);
	control->nclients--;
	/* The launch goes on without anyone to tell. */
	appd_launch_forget(client->launch);
	json_object_put(client->launch_request);
	appd_source_remove(client->source);
	appd_source_remove(client->writer);
	struct queued *q, *tmp;
	wl_list_for_each_safe (q, tmp, &client->outbox, link) {
		wl_list_remove(&q->link);
		free(q);
	}
	close(client->fd);
	free(client);
}

static void client_drop(struct client *client)
{
	if (client->control->handling) {
		client->broken = true;
		appd_source_remove(client->source);
		client->source = NULL;
		appd_source_remove(client->writer);
		client->writer = NULL;
	} else {
		client_destroy(client);
	}
}

static void sweep(struct appd_control *control)
{
	struct client *client, *tmp;
	wl_list_for_each_safe (client, tmp, &control->clients, link) {
		if (client->broken) {
			client_destroy(client);
		}
	}
}

static void handle_writable(int fd, uint32_t events, void *data);

/* Sends what waits in the outbox, oldest first, while the socket has room.
 * False when the client has to go. */
static bool outbox_flush(struct client *client, struct weft_error *err)
{
	struct queued *q, *tmp;
	wl_list_for_each_safe (q, tmp, &client->outbox, link) {
		if (!weft_ipc_send(client->fd, q->data, q->len, NULL, 0, err)) {
			return errno == EAGAIN;
		}
		client->outbox_bytes -= q->len;
		wl_list_remove(&q->link);
		free(q);
	}
	appd_source_remove(client->writer);
	client->writer = NULL;
	return true;
}

static void handle_writable(int fd, uint32_t events, void *data)
{
	(void)fd;
	(void)events;
	struct client *client = data;
	struct appd_control *control = client->control;
	struct weft_error err = { 0 };
	if (!outbox_flush(client, &err)) {
		weft_log(WEFT_WARN, "control: client %d: %s; disconnecting", (int)client->pid,
			err.msg);
		client_drop(client);
	}
	if (!control->handling) {
		sweep(control);
	}
}

/* Puts msg at the end of the outbox, and waits for room to send it. */
static bool outbox_push(struct client *client, struct json_object *msg, struct weft_error *err)
{
	size_t len = 0;
	const char *text = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
	if (text == NULL) {
		errno = ENOMEM;
		weft_error_set(err, "out of memory");
		return false;
	}
	if (!weft_ipc_fits(len, 0, err)) {
		return false;
	}
	if (client->outbox_bytes + len > OUTBOX_MAX) {
		errno = ENOBUFS;
		weft_error_set(err, "it reads nothing: %zu bytes wait for it",
			client->outbox_bytes);
		return false;
	}
	struct queued *q = malloc(sizeof(*q) + len);
	if (q == NULL) {
		errno = ENOMEM;
		weft_error_set(err, "out of memory");
		return false;
	}
	if (client->writer == NULL) {
		client->writer = appd_loop_add_fd(client->control->appd->loop, client->fd,
			EPOLLOUT, handle_writable, client, err);
		if (client->writer == NULL) {
			free(q);
			return false;
		}
	}
	q->len = len;
	memcpy(q->data, text, len);
	wl_list_insert(client->outbox.prev, &q->link);
	client->outbox_bytes += len;
	return true;
}

/* Sends msg now, or after what waits before it. False when the client has
 * to go, or with EMSGSIZE when msg can never be sent. */
static bool client_send(struct client *client, struct json_object *msg, struct weft_error *err)
{
	if (wl_list_empty(&client->outbox)) {
		if (weft_ipc_send_json(client->fd, msg, NULL, 0, err)) {
			return true;
		}
		if (errno != EAGAIN) {
			return false;
		}
	}
	return outbox_push(client, msg, err);
}

/*
 * Takes reply, which answers req (NULL: a message that is no request's). A
 * reply too large for one message becomes a too_large error, which fits: an
 * id is at most WEFT_APPD_ID_MAX bytes. False when the client had to go.
 */
static bool client_reply(struct client *client, struct json_object *req, struct json_object *reply)
{
	if (reply == NULL) {
		weft_log(WEFT_ERROR, "control: out of memory for a reply");
		reply = weft_ipc_reply_error(req, WEFT_APPD_ERR_INTERNAL, "out of memory");
		if (reply == NULL) {
			return true;
		}
	}
	struct weft_error err = { 0 };
	bool ok = client_send(client, reply, &err);
	if (!ok && errno == EMSGSIZE) {
		size_t len = 0;
		json_object_to_json_string_length(reply, JSON_C_TO_STRING_PLAIN, &len);
		weft_log(WEFT_WARN, "control: client %d: a reply of %zu bytes is over the cap",
			(int)client->pid, len);
		json_object_put(reply);
		reply = weft_ipc_reply_error(req, WEFT_APPD_ERR_TOO_LARGE,
			"the reply is %zu bytes, more than a message may hold (%d)", len,
			WEFT_MSG_MAX);
		ok = reply != NULL && client_send(client, reply, &err);
	}
	json_object_put(reply);
	if (!ok) {
		weft_log(WEFT_WARN, "control: client %d: %s; disconnecting", (int)client->pid,
			err.msg);
		client_drop(client);
	}
	return ok;
}

static struct json_object *reply_with(struct json_object *req, const char *key,
	struct json_object *value)
{
	struct json_object *reply = weft_ipc_reply_ok(req);
	if (reply == NULL || value == NULL) {
		json_object_put(reply);
		json_object_put(value);
		return weft_ipc_reply_error(req, WEFT_APPD_ERR_INTERNAL, "out of memory");
	}
	json_object_object_add(reply, key, value);
	return reply;
}

/* The session named by the request, or NULL with *reply set. */
static struct appd_session *find_session(struct appd *appd, struct json_object *req,
	const struct appd_request *r, struct json_object **reply)
{
	struct appd_session *s = appd_session_find(appd, r->session_id);
	if (s == NULL) {
		*reply = weft_ipc_reply_error(req, WEFT_APPD_ERR_NOT_FOUND, "no session %.64s",
			r->session_id);
	}
	return s;
}

static bool client_listen(struct client *client)
{
	struct weft_error err = { 0 };
	client->source = appd_loop_add_fd(client->control->appd->loop, client->fd, EPOLLIN,
		handle_client, client, &err);
	if (client->source == NULL) {
		weft_log(WEFT_WARN, "control: %s", err.msg);
	}
	return client->source != NULL;
}

static void handle_launched(void *data, struct appd_session *session, const char *code,
	const char *message)
{
	struct client *client = data;
	struct appd_control *control = client->control;
	struct json_object *req = client->launch_request;
	client->launch = NULL;
	client->launch_request = NULL;
	bool nested = control->handling;
	control->handling = true;
	struct json_object *reply = session != NULL
		? reply_with(req, WEFT_APPD_KEY_SESSION, appd_session_to_json(session))
		: weft_ipc_reply_error(req, code, "%s", message);
	/* Its next requests, which waited, are read again. */
	if (client_reply(client, req, reply) && !client->broken && !client_listen(client)) {
		client_drop(client);
	}
	json_object_put(req);
	control->handling = nested;
	if (!nested) {
		sweep(control);
	}
}

/* NULL: the reply comes once the package has been checked. */
static struct json_object *handle_launch(struct client *client, struct json_object *req,
	const struct appd_request *r)
{
	const char *app_id = r->app_id;
	const char *code = NULL;
	struct weft_error err = { 0 };
	client->launch = appd_launch_start(client->control->appd, app_id, handle_launched, client,
		&code, &err);
	if (client->launch == NULL) {
		weft_log(WEFT_WARN, "launch %.255s: %s", app_id, err.msg);
		return weft_ipc_reply_error(req, code, "%s", err.msg);
	}
	client->launch_request = json_object_get(req);
	/* Nothing more is read from it until the reply has gone. */
	appd_source_remove(client->source);
	client->source = NULL;
	return NULL;
}

static struct json_object *handle_terminate(struct client *client, struct json_object *req,
	const struct appd_request *r)
{
	struct json_object *reply = NULL;
	struct appd_session *s = find_session(client->control->appd, req, r, &reply);
	if (s == NULL) {
		return reply;
	}
	appd_session_terminate(s);
	return reply_with(req, WEFT_APPD_KEY_SESSION, appd_session_to_json(s));
}

static struct json_object *handle_state(struct client *client, struct json_object *req,
	const struct appd_request *r)
{
	struct json_object *reply = NULL;
	struct appd_session *s = find_session(client->control->appd, req, r, &reply);
	if (s == NULL) {
		return reply;
	}
	return reply_with(req, WEFT_APPD_KEY_SESSION, appd_session_to_json(s));
}

static struct json_object *handle_sessions(struct client *client, struct json_object *req,
	const struct appd_request *r)
{
	bool with_ended = r->all;
	struct json_object *list = json_object_new_array();
	if (list == NULL) {
		return weft_ipc_reply_error(req, WEFT_APPD_ERR_INTERNAL, "out of memory");
	}
	/* Oldest first, as ps lists them. */
	struct appd_session *s = appd_session_oldest(client->control->appd);
	for (; s != NULL; s = appd_session_newer(s)) {
		if (with_ended || appd_session_state(s) < APPD_STOPPED) {
			json_object_array_add(list, appd_session_to_json(s));
		}
	}
	return reply_with(req, WEFT_APPD_KEY_SESSIONS, list);
}

/* One page of the apps, sorted by id: those after "after", at most "limit"
 * of them and WEFT_APPD_APPS_PAGE_MAX bytes; "more" when others follow. */
static struct json_object *handle_apps(struct client *client, struct json_object *req,
	const struct appd_request *r)
{
	struct json_object *reply = NULL;
	const char *after = r->after;
	int64_t limit = r->limit;
	struct weft_error err = { 0 };
	struct json_object *apps = appd_apps_list(&err);
	struct json_object *page = apps != NULL ? json_object_new_array() : NULL;
	if (page == NULL) {
		json_object_put(apps);
		return weft_ipc_reply_error(req, WEFT_APPD_ERR_INTERNAL, "%s",
			apps == NULL ? err.msg : "out of memory");
	}
	size_t n = json_object_array_length(apps), bytes = 0;
	int64_t count = 0;
	bool more = false;
	for (size_t i = 0; i < n && !more; i++) {
		struct json_object *app = json_object_array_get_idx(apps, i);
		const char *id = weft_json_get_string(app, WEFT_APPD_KEY_ID);
		if (after != NULL && strcmp(id, after) <= 0) {
			continue;
		}
		size_t len = 0;
		json_object_to_json_string_length(app, JSON_C_TO_STRING_PLAIN, &len);
		/* A page holds one app at least, which always fits: a manifest is
		 * at most 64 KiB. */
		if (count == limit || (count > 0 && bytes + len + 1 > WEFT_APPD_APPS_PAGE_MAX)) {
			more = true;
		} else if (json_object_array_add(page, json_object_get(app)) == 0) {
			bytes += len + 1;
			count++;
		}
	}
	json_object_put(apps);
	reply = reply_with(req, WEFT_APPD_KEY_APPS, page);
	if (reply != NULL) {
		json_object_object_add(reply, WEFT_APPD_KEY_MORE, json_object_new_boolean(more));
	}
	return reply;
}

size_t appd_control_subscribers(const struct appd_control *control)
{
	size_t n = 0;
	struct client *c;
	if (control != NULL) {
		wl_list_for_each (c, &control->clients, link) {
			n += c->subscribed && !c->broken;
		}
	}
	return n;
}

static struct json_object *handle_subscribe(struct client *client, struct json_object *req,
	const struct appd_request *r)
{
	size_t subscribers = appd_control_subscribers(client->control);
	if (!client->subscribed && subscribers >= MAX_SUBSCRIBERS) {
		return weft_ipc_reply_error(req, WEFT_APPD_ERR_BUSY,
			"%d connections are subscribed, the most appd serves", MAX_SUBSCRIBERS);
	}
	client->subscribed = true;
	return weft_ipc_reply_ok(req);
}

static struct json_object *handle_unsubscribe(struct client *client, struct json_object *req,
	const struct appd_request *r)
{
	client->subscribed = false;
	return weft_ipc_reply_ok(req);
}

static struct json_object *handle_info(struct client *client, struct json_object *req,
	const struct appd_request *r)
{
	struct appd *appd = client->control->appd;
	struct json_object *reply = weft_ipc_reply_ok(req);
	if (reply == NULL) {
		return NULL;
	}
	json_object_object_add(reply, WEFT_APPD_KEY_PID, json_object_new_int(getpid()));
	json_object_object_add(reply, WEFT_APPD_KEY_VERSION, json_object_new_string(WEFT_VERSION));
	json_object_object_add(reply, WEFT_APPD_KEY_LIMITS,
		json_object_new_string(appd_limits_name(appd->limits)));
	json_object_object_add(reply, WEFT_APPD_KEY_LIMITS_DETAIL,
		json_object_new_string(appd_limits_describe(appd->limits)));
	json_object_object_add(reply, WEFT_APPD_KEY_SANDBOX,
		json_object_new_string(appd->config.insecure_no_sandbox
				? WEFT_APPD_SANDBOX_NONE
				: WEFT_APPD_SANDBOX_ENFORCED));
	json_object_object_add(reply, WEFT_APPD_KEY_SUBSCRIBERS,
		json_object_new_int((int)appd_control_subscribers(client->control)));
	json_object_object_add(reply, WEFT_APPD_KEY_COMPOSITOR,
		json_object_new_boolean(appd->compositor != NULL));
	json_object_object_add(reply, WEFT_APPD_KEY_RUNTIME,
		json_object_new_string(appd->config.runtime_path));
	json_object_object_add(reply, WEFT_APPD_KEY_SPARE,
		appd->spare == NULL && appd->warm_up != NULL && !appd_warm_up_done(appd->warm_up)
			? appd_warm_up_to_json(appd->warm_up)
			: appd_spare_to_json(appd->spare));
	json_object_object_add(reply, WEFT_APPD_KEY_APP_SHELL,
		json_object_new_string(appd->config.app_shell_path));
	json_object_object_add(reply, WEFT_APPD_KEY_LAUNCHING, appd_launches_to_json(appd));
	return reply;
}

static struct json_object *(*const handlers[])(struct client *client, struct json_object *req,
	const struct appd_request *r) = {
	[APPD_REQUEST_LAUNCH] = handle_launch,
	[APPD_REQUEST_TERMINATE] = handle_terminate,
	[APPD_REQUEST_SESSIONS] = handle_sessions,
	[APPD_REQUEST_STATE] = handle_state,
	[APPD_REQUEST_APPS] = handle_apps,
	[APPD_REQUEST_SUBSCRIBE] = handle_subscribe,
	[APPD_REQUEST_UNSUBSCRIBE] = handle_unsubscribe,
	[APPD_REQUEST_INFO] = handle_info,
};

/* The reply, or NULL when it comes later (a launch). */
static struct json_object *handle_request(struct client *client, struct json_object *req)
{
	struct appd_request r;
	struct json_object *reply;
	return appd_request_decode(req, &r, &reply) ? handlers[r.type](client, req, &r) : reply;
}

/* Serves up to BATCH requests; false once the client has to go. */
static bool serve(struct client *client)
{
	for (int i = 0; i < BATCH && !client->broken; i++) {
		bool hangup = false;
		struct weft_error err = { 0 };
		struct json_object *req = weft_ipc_recv_json(client->fd, NULL, NULL, &hangup,
			&err);
		if (req == NULL) {
			if (hangup) {
				return false;
			}
			if (errno == EAGAIN) {
				return true;
			}
			if (errno == EBADMSG) {
				client_reply(client, NULL,
					weft_ipc_reply_error(NULL, WEFT_APPD_ERR_BAD_REQUEST, "%s",
						err.msg));
				continue;
			}
			if (errno == EMSGSIZE) {
				/* Framing broken: say why, then hang up. */
				client_reply(client, NULL,
					weft_ipc_reply_error(NULL, WEFT_APPD_ERR_TOO_LARGE, "%s",
						err.msg));
			}
			weft_log(WEFT_WARN, "control: client %d: %s; disconnecting",
				(int)client->pid, err.msg);
			return false;
		}
		client->last_active = ++client->control->tick;
		struct json_object *reply = handle_request(client, req);
		if (reply != NULL) {
			client_reply(client, req, reply);
		}
		json_object_put(req);
		if (client->launch != NULL) {
			break; /* the rest waits for its reply */
		}
	}
	return !client->broken;
}

static void handle_client(int fd, uint32_t events, void *data)
{
	struct client *client = data;
	struct appd_control *control = client->control;
	control->handling = true;
	if (!serve(client)) {
		client->broken = true;
	}
	control->handling = false;
	sweep(control);
}

/* Closes a connection to make room: one whose peer has gone, else the one
 * idle longest. False when none is idle. */
static bool evict_idle(struct appd_control *control)
{
	struct client *oldest = NULL, *c;
	wl_list_for_each (c, &control->clients, link) {
		if (c->launch != NULL || c->broken) {
			continue;
		}
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int ready = poll(&pfd, 1, 0);
		if (ready == 1 && (pfd.revents & (POLLHUP | POLLERR))) {
			/* Gone; its hangup is just not handled yet. */
			client_destroy(c);
			return true;
		}
		if (ready != 0 || c->subscribed) {
			continue; /* a request waits to be read, or it is in use */
		}
		if (oldest == NULL || c->last_active < oldest->last_active) {
			oldest = c;
		}
	}
	if (oldest == NULL) {
		return false;
	}
	weft_log(WEFT_INFO, "control: %d clients; closing the one idle longest (pid %d)",
		MAX_CLIENTS, (int)oldest->pid);
	struct json_object *msg = weft_ipc_reply_error(NULL, WEFT_APPD_ERR_BUSY,
		"closed: this connection was idle longest when appd needed room for another");
	if (msg != NULL) {
		weft_ipc_send_json(oldest->fd, msg, NULL, 0, NULL);
		json_object_put(msg);
	}
	client_destroy(oldest);
	return true;
}

static void handle_accept(int fd, uint32_t events, void *data)
{
	struct appd_control *control = data;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				weft_log_errno(WEFT_WARN, "control: accept");
			}
			return;
		}
		struct ucred cred;
		struct weft_error err = { 0 };
		if (!weft_ipc_peer_cred(cfd, &cred, &err)) {
			weft_log(WEFT_WARN, "control: %s", err.msg);
			close(cfd);
			continue;
		}
		const char *refusal = NULL;
		if (cred.uid != geteuid()) {
			refusal = WEFT_APPD_ERR_PERMISSION_DENIED;
			weft_log(WEFT_WARN, "control: refused pid %d: uid %u is not ours",
				(int)cred.pid, (unsigned)cred.uid);
		} else if (control->nclients >= MAX_CLIENTS && !evict_idle(control)) {
			refusal = WEFT_APPD_ERR_BUSY;
			weft_log(WEFT_WARN, "control: refused pid %d: %d clients already",
				(int)cred.pid, MAX_CLIENTS);
		}
		if (refusal != NULL) {
			struct json_object *reply = weft_ipc_reply_error(NULL, refusal, "%s",
				strcmp(refusal, WEFT_APPD_ERR_BUSY) == 0
					? "too many clients"
					: "not the user appd serves");
			if (reply != NULL) {
				weft_ipc_send_json(cfd, reply, NULL, 0, NULL);
				json_object_put(reply);
			}
			close(cfd);
			continue;
		}
		struct client *client = calloc(1, sizeof(*client));
		if (client == NULL) {
			close(cfd);
			continue;
		}
		client->control = control;
		client->fd = cfd;
		wl_list_init(&client->outbox);
		client->pid = cred.pid;
		client->last_active = ++control->tick;
		if (!client_listen(client)) {
			close(cfd);
			free(client);
			continue;
		}
		wl_list_insert(&control->clients, &client->link);
		control->nclients++;
	}
}

struct appd_control *appd_control_create(struct appd *appd, const char *path,
	struct weft_error *err)
{
	struct appd_control *control = calloc(1, sizeof(*control));
	if (control == NULL || (control->path = strdup(path)) == NULL) {
		free(control);
		weft_error_set(err, "out of memory");
		return NULL;
	}
	control->appd = appd;
	wl_list_init(&control->clients);
	control->fd = weft_ipc_listen(path, err);
	if (control->fd < 0) {
		free(control->path);
		free(control);
		return NULL;
	}
	control->source = appd_loop_add_fd(appd->loop, control->fd, EPOLLIN, handle_accept,
		control, err);
	if (control->source == NULL) {
		appd_control_destroy(control);
		return NULL;
	}
	return control;
}

void appd_control_destroy(struct appd_control *control)
{
	if (control == NULL) {
		return;
	}
	struct client *client, *tmp;
	wl_list_for_each_safe (client, tmp, &control->clients, link) {
		client_destroy(client);
	}
	appd_source_remove(control->source);
	close(control->fd);
	unlink(control->path);
	free(control->path);
	free(control);
}

size_t appd_control_broadcast(struct appd_control *control, struct json_object *event,
	bool droppable)
{
	if (control == NULL) {
		return 0;
	}
	size_t sent = 0;
	struct client *client, *tmp;
	wl_list_for_each_safe (client, tmp, &control->clients, link) {
		if (!client->subscribed || client->broken) {
			continue;
		}
		if (droppable && !wl_list_empty(&client->outbox)) {
			continue; /* no room now: it waits for nothing */
		}
		struct weft_error err = { 0 };
		bool ok = droppable ? weft_ipc_send_json(client->fd, event, NULL, 0, &err)
				    : client_send(client, event, &err);
		if (!ok && droppable && errno == EAGAIN) {
			continue;
		}
		if (ok) {
			sent++;
		} else if (errno == EMSGSIZE) {
			/* The event's fault, not the client's: it keeps its connection. */
			weft_log(WEFT_WARN, "control: an event is too large to send: %s", err.msg);
		} else {
			weft_log(WEFT_WARN, "control: client %d: %s; disconnecting",
				(int)client->pid, err.msg);
			client_drop(client);
		}
	}
	return sent;
}
