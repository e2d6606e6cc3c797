/*
 * The control socket (protocol.h): weftctl and the shell talk to appd here.
 * Only peers with our uid are served. Every request gets one reply; a peer
 * that breaks framing (a message over the cap) or does not read its
 * replies is disconnected, so that no client can stall the loop.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "appd.h"
#include "protocol.h"
#include "spare.h"
#include "weft/ipc.h"
#include "weft/log.h"

#define MAX_CLIENTS 64
/* Messages handled per wake-up, so that one client cannot starve others. */
#define BATCH 16

struct client {
	struct client *prev, *next;
	struct appd_control *control;
	int fd;
	struct appd_source *source;
	pid_t pid;
	bool subscribed;
	bool broken; /* to be destroyed once no handler holds it */
};

struct appd_control {
	struct appd *appd;
	char *path;
	int fd;
	struct appd_source *source;
	struct client *clients;
	size_t nclients;
	/* A client's request is being handled: clients that fail now (an
	 * event to a subscriber, say) are only marked, and swept after. */
	bool handling;
};

static void client_destroy(struct client *client)
{
	struct appd_control *control = client->control;
	if (client->prev != NULL) {
		client->prev->next = client->next;
	} else {
		control->clients = client->next;
	}
	if (client->next != NULL) {
		client->next->prev = client->prev;
	}
	control->nclients--;
	appd_source_remove(client->source);
	close(client->fd);
	free(client);
}

static void client_drop(struct client *client)
{
	if (client->control->handling) {
		client->broken = true;
		appd_source_remove(client->source);
		client->source = NULL;
	} else {
		client_destroy(client);
	}
}

static void sweep(struct appd_control *control)
{
	struct client *next;
	for (struct client *client = control->clients; client != NULL; client = next) {
		next = client->next;
		if (client->broken) {
			client_destroy(client);
		}
	}
}

/* Takes reply. False when the client had to go. */
static bool client_send(struct client *client, struct json_object *reply)
{
	if (reply == NULL) {
		weft_log(WEFT_ERROR, "control: out of memory for a reply");
		return true;
	}
	struct weft_error err = { 0 };
	bool ok = weft_ipc_send_json(client->fd, reply, NULL, 0, &err);
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
		return weft_ipc_reply_error(req, "internal", "out of memory");
	}
	json_object_object_add(reply, key, value);
	return reply;
}

/* The session named by "session_id", or NULL with *reply set. */
static struct appd_session *find_session(struct appd *appd, struct json_object *req,
	struct json_object **reply)
{
	const char *id = weft_json_get_string(req, "session_id");
	if (id == NULL) {
		*reply = weft_ipc_reply_error(req, "invalid_argument", "missing session_id");
		return NULL;
	}
	struct appd_session *s = appd_session_find(appd, id);
	if (s == NULL) {
		*reply = weft_ipc_reply_error(req, "not_found", "no session %.64s", id);
	}
	return s;
}

static struct json_object *handle_launch(struct client *client, struct json_object *req)
{
	const char *app_id = weft_json_get_string(req, "app_id");
	if (app_id == NULL) {
		return weft_ipc_reply_error(req, "invalid_argument", "missing app_id");
	}
	const char *code = NULL;
	struct weft_error err = { 0 };
	struct appd_session *s = appd_session_launch(client->control->appd, app_id, &code, &err);
	if (s == NULL) {
		weft_log(WEFT_WARN, "launch %.255s: %s", app_id, err.msg);
		return weft_ipc_reply_error(req, code, "%s", err.msg);
	}
	return reply_with(req, "session", appd_session_to_json(s));
}

static struct json_object *handle_terminate(struct client *client, struct json_object *req)
{
	struct json_object *reply = NULL;
	struct appd_session *s = find_session(client->control->appd, req, &reply);
	if (s == NULL) {
		return reply;
	}
	appd_session_terminate(s);
	return reply_with(req, "session", appd_session_to_json(s));
}

static struct json_object *handle_state(struct client *client, struct json_object *req)
{
	struct json_object *reply = NULL;
	struct appd_session *s = find_session(client->control->appd, req, &reply);
	if (s == NULL) {
		return reply;
	}
	return reply_with(req, "session", appd_session_to_json(s));
}

static struct json_object *handle_sessions(struct client *client, struct json_object *req)
{
	struct json_object *all;
	bool with_ended = json_object_object_get_ex(req, "all", &all) &&
		json_object_get_boolean(all);
	struct json_object *list = json_object_new_array();
	if (list == NULL) {
		return weft_ipc_reply_error(req, "internal", "out of memory");
	}
	/* Oldest first, as ps lists them. */
	struct appd_session *s = client->control->appd->sessions;
	while (s != NULL && appd_session_next(s) != NULL) {
		s = appd_session_next(s);
	}
	for (; s != NULL; s = appd_session_prev(s)) {
		if (with_ended || appd_session_state(s) < APPD_STOPPED) {
			json_object_array_add(list, appd_session_to_json(s));
		}
	}
	return reply_with(req, "sessions", list);
}

static struct json_object *handle_apps(struct client *client, struct json_object *req)
{
	struct weft_error err = { 0 };
	struct json_object *apps = appd_apps_list(&err);
	if (apps == NULL) {
		return weft_ipc_reply_error(req, "internal", "%s", err.msg);
	}
	return reply_with(req, "apps", apps);
}

static struct json_object *handle_subscribe(struct client *client, struct json_object *req)
{
	client->subscribed = true;
	return weft_ipc_reply_ok(req);
}

static struct json_object *handle_unsubscribe(struct client *client, struct json_object *req)
{
	client->subscribed = false;
	return weft_ipc_reply_ok(req);
}

static struct json_object *handle_info(struct client *client, struct json_object *req)
{
	struct appd *appd = client->control->appd;
	struct json_object *reply = weft_ipc_reply_ok(req);
	if (reply == NULL) {
		return NULL;
	}
	json_object_object_add(reply, "pid", json_object_new_int(getpid()));
	json_object_object_add(reply, "version", json_object_new_string(WEFT_VERSION));
	json_object_object_add(reply, "limits",
		json_object_new_string(appd_limits_name(appd->limits)));
	json_object_object_add(reply, "limits_detail",
		json_object_new_string(appd_limits_describe(appd->limits)));
	size_t subscribers = 0;
	for (struct client *c = client->control->clients; c != NULL; c = c->next) {
		subscribers += c->subscribed;
	}
	json_object_object_add(reply, "subscribers", json_object_new_int((int)subscribers));
	json_object_object_add(reply, "compositor",
		json_object_new_boolean(appd->compositor != NULL));
	json_object_object_add(reply, "runtime",
		json_object_new_string(appd->config.runtime_path));
	json_object_object_add(reply, "spare", appd_spare_to_json(appd->spare));
	json_object_object_add(reply, "app_shell",
		json_object_new_string(appd->config.app_shell_path));
	return reply;
}

static const struct {
	const char *type;
	struct json_object *(*handle)(struct client *client, struct json_object *req);
} requests[] = {
	{ "launch", handle_launch },
	{ "terminate", handle_terminate },
	{ "sessions", handle_sessions },
	{ "state", handle_state },
	{ "apps", handle_apps },
	{ "subscribe", handle_subscribe },
	{ "unsubscribe", handle_unsubscribe },
	{ "info", handle_info },
};

static struct json_object *handle_request(struct client *client, struct json_object *req)
{
	struct json_object *type_obj;
	if (!json_object_object_get_ex(req, "type", &type_obj) ||
		!json_object_is_type(type_obj, json_type_string)) {
		return weft_ipc_reply_error(req, "bad_request", "missing type");
	}
	const char *type = json_object_get_string(type_obj);
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		if (strcmp(type, requests[i].type) == 0) {
			return requests[i].handle(client, req);
		}
	}
	return weft_ipc_reply_error(req, "unknown_request", "unknown request type %.64s", type);
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
				client_send(client,
					weft_ipc_reply_error(NULL, "bad_request", "%s", err.msg));
				continue;
			}
			if (errno == EMSGSIZE) {
				/* Framing broken: say why, then hang up. */
				client_send(client,
					weft_ipc_reply_error(NULL, "too_large", "%s", err.msg));
			}
			weft_log(WEFT_WARN, "control: client %d: %s; disconnecting",
				(int)client->pid, err.msg);
			return false;
		}
		client_send(client, handle_request(client, req));
		json_object_put(req);
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
			refusal = "permission_denied";
			weft_log(WEFT_WARN, "control: refused pid %d: uid %u is not ours",
				(int)cred.pid, (unsigned)cred.uid);
		} else if (control->nclients >= MAX_CLIENTS) {
			refusal = "busy";
			weft_log(WEFT_WARN, "control: refused pid %d: %d clients already",
				(int)cred.pid, MAX_CLIENTS);
		}
		if (refusal != NULL) {
			struct json_object *reply = weft_ipc_reply_error(NULL, refusal, "%s",
				strcmp(refusal, "busy") == 0 ? "too many clients"
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
		client->pid = cred.pid;
		client->source = appd_loop_add_fd(control->appd->loop, cfd, EPOLLIN, handle_client,
			client, &err);
		if (client->source == NULL) {
			weft_log(WEFT_WARN, "control: %s", err.msg);
			close(cfd);
			free(client);
			continue;
		}
		client->next = control->clients;
		if (client->next != NULL) {
			client->next->prev = client;
		}
		control->clients = client;
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
	while (control->clients != NULL) {
		client_destroy(control->clients);
	}
	appd_source_remove(control->source);
	close(control->fd);
	unlink(control->path);
	free(control->path);
	free(control);
}

size_t appd_control_broadcast(struct appd_control *control, struct json_object *event)
{
	if (control == NULL) {
		return 0;
	}
	size_t sent = 0;
	struct client *next;
	for (struct client *client = control->clients; client != NULL; client = next) {
		next = client->next;
		if (client->subscribed && !client->broken &&
			client_send(client, json_object_get(event))) {
			sent++;
		}
	}
	return sent;
}
