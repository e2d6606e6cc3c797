/*
 * The compositor's control channel, appd's side
 * (weft/compositor-protocol.h): Wayland connections tagged for a session, closing a
 * session's windows, the clipboard, and the events that move sessions
 * along.
 *
 * Requests are answered asynchronously, and a clipboard read only once the
 * selection's owner has sent it, so each request waits in a pending list
 * under its id; a session that ends first cancels its request, and a
 * Wayland fd that arrives for nobody is closed. Clipboard requests also
 * have a deadline: the runtime that asked waits for its answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "appd.h"
#include "weft/compositor-protocol.h"
#include "weft/ipc.h"
#include "weft/log.h"
#include "weft/runtime-protocol.h"

/* Longer than the compositor takes to give up on a clipboard owner (2 s),
 * shorter than the runtime waits for us (5 s). */
#define REPLY_TIMEOUT_MS 3000

struct pending {
	struct wl_list link; /* appd_compositor.pending */
	uint64_t id;
	/* One of the two, or neither once cancelled. */
	appd_client_func client_func;
	appd_reply_func reply_func;
	void *data;
	int64_t deadline; /* weft_now_ms(); 0: none */
};

struct appd_compositor {
	struct appd *appd;
	int fd;
	struct appd_source *source;
	struct appd_source *timer; /* the earliest deadline */
	uint64_t next_id;
	struct wl_list pending; /* oldest first */
};

static bool send_request(struct appd_compositor *compositor, struct json_object *msg,
	struct weft_error *err)
{
	if (msg == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	bool ok = weft_ipc_send_json(compositor->fd, msg, NULL, 0, err);
	json_object_put(msg);
	if (!ok) {
		weft_error_prefix(err, "compositor");
	}
	return ok;
}

static void arm_timer(struct appd_compositor *compositor)
{
	int64_t first = 0;
	struct pending *p;
	wl_list_for_each (p, &compositor->pending, link) {
		if (p->deadline > 0 && (first == 0 || p->deadline < first)) {
			first = p->deadline;
		}
	}
	int ms = 0;
	if (first > 0) {
		int64_t left = first - weft_now_ms();
		/* 0 would disarm it. */
		ms = left > 0 ? (int)left : 1;
	}
	if (!appd_timer_arm(compositor->timer, ms)) {
		/* Answers still come, or the hangup fails the requests. */
		weft_log_errno(WEFT_ERROR, "compositor: cannot arm the reply timer");
	}
}

static void answer_client(struct pending *p, struct json_object *msg, int fd)
{
	struct json_object *error, *message;
	if (json_object_object_get_ex(msg, WEFT_MSG_ERROR, &error)) {
		const char *text = json_object_object_get_ex(error, WEFT_MSG_MESSAGE, &message)
			? json_object_get_string(message)
			: "refused";
		if (fd >= 0) {
			close(fd);
		}
		p->client_func(p->data, -1, text);
	} else if (fd < 0) {
		p->client_func(p->data, -1, "no Wayland connection in the reply");
	} else {
		p->client_func(p->data, fd, NULL);
	}
}

static void handle_reply(struct appd_compositor *compositor, struct json_object *msg, int fd)
{
	struct json_object *jid;
	json_object_object_get_ex(msg, WEFT_MSG_ID, &jid);
	uint64_t id = json_object_get_uint64(jid);
	struct pending *p, *found = NULL;
	wl_list_for_each (p, &compositor->pending, link) {
		if (p->id == id) {
			found = p;
			break;
		}
	}
	if (found == NULL) {
		/* close_session's answers, which nobody waits for, and answers
		 * that came after their deadline. */
		if (fd >= 0) {
			close(fd);
		}
		return;
	}
	p = found;
	wl_list_remove(&p->link);
	if (p->client_func != NULL) {
		answer_client(p, msg, fd);
	} else {
		if (fd >= 0) {
			close(fd);
		}
		if (p->reply_func != NULL) {
			p->reply_func(p->data, msg, NULL, NULL);
		}
	}
	if (p->deadline > 0) {
		arm_timer(compositor);
	}
	free(p);
}

/* Answers every request still waiting, with code and message. */
static void fail_pending(struct appd_compositor *compositor, const char *code, const char *message)
{
	/* Detached first: an answer may cancel or ask again. */
	struct wl_list list;
	wl_list_init(&list);
	wl_list_insert_list(&list, &compositor->pending);
	wl_list_init(&compositor->pending);
	struct pending *p, *tmp;
	wl_list_for_each_safe (p, tmp, &list, link) {
		if (p->client_func != NULL) {
			p->client_func(p->data, -1, message);
		} else if (p->reply_func != NULL) {
			p->reply_func(p->data, NULL, code, message);
		}
		free(p);
	}
}

static void handle_timer(void *data)
{
	struct appd_compositor *compositor = data;
	int64_t now = weft_now_ms();
	for (;;) {
		struct pending *p, *expired = NULL;
		wl_list_for_each (p, &compositor->pending, link) {
			if (p->deadline != 0 && p->deadline <= now) {
				expired = p;
				break;
			}
		}
		if (expired == NULL) {
			break;
		}
		p = expired;
		wl_list_remove(&p->link);
		if (p->reply_func != NULL) {
			weft_log(WEFT_WARN, "compositor: no answer to request %llu in %d ms",
				(unsigned long long)p->id, REPLY_TIMEOUT_MS);
			p->reply_func(p->data, NULL, WEFT_RUNTIME_ERR_TIMEOUT,
				"the compositor did not answer in time");
		}
		free(p);
		/* The answer may have added or removed requests: start over. */
	}
	arm_timer(compositor);
}

static void handle_message(struct appd_compositor *compositor, struct json_object *msg, int fd)
{
	const char *event = weft_json_get_string(msg, WEFT_MSG_EVENT);
	if (event == NULL) {
		handle_reply(compositor, msg, fd);
		return;
	}
	if (fd >= 0) {
		close(fd);
	}
	const char *session_id = weft_json_get_string(msg, WEFT_COMPOSITOR_KEY_SESSION_ID);
	if (session_id != NULL && session_id[0] != '\0') {
		appd_session_compositor_event(compositor->appd, event, session_id);
	}
}

static void hangup(struct appd_compositor *compositor)
{
	struct appd *appd = compositor->appd;
	weft_log(WEFT_WARN, "compositor: the control channel closed; stopping");
	appd_source_remove(compositor->source);
	compositor->source = NULL;
	/* Without a compositor no window can show; the one that comes back
	 * starts an appd of its own. */
	appd_sessions_stop_all(appd);
	/* Nothing will answer now; the stopped sessions cancelled theirs. */
	fail_pending(compositor, WEFT_RUNTIME_ERR_UNAVAILABLE, "the compositor is gone");
	arm_timer(compositor);
}

static void handle_readable(int fd, uint32_t events, void *data)
{
	struct appd_compositor *compositor = data;
	for (int i = 0; i < 64; i++) {
		int fds[WEFT_MSG_MAX_FDS];
		size_t nfds = 0;
		bool gone = false;
		struct weft_error err = { 0 };
		struct json_object *msg = weft_ipc_recv_json(fd, fds, &nfds, &gone, &err);
		if (msg == NULL) {
			if (gone) {
				hangup(compositor);
				return;
			}
			if (errno == EAGAIN) {
				return;
			}
			if (errno == EBADMSG) {
				weft_log(WEFT_WARN, "compositor: %s", err.msg);
				continue;
			}
			weft_log(WEFT_ERROR, "compositor: %s", err.msg);
			hangup(compositor);
			return;
		}
		for (size_t k = 1; k < nfds; k++) {
			close(fds[k]);
		}
		handle_message(compositor, msg, nfds > 0 ? fds[0] : -1);
		json_object_put(msg);
	}
}

struct appd_compositor *appd_compositor_create(struct appd *appd, int fd, struct weft_error *err)
{
	struct appd_compositor *compositor = calloc(1, sizeof(*compositor));
	if (compositor == NULL) {
		weft_error_set(err, "out of memory");
		close(fd);
		return NULL;
	}
	compositor->appd = appd;
	compositor->fd = fd;
	compositor->next_id = 1;
	wl_list_init(&compositor->pending);
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
		fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		weft_error_errno(err, "compositor fd %d", fd);
		appd_compositor_destroy(compositor);
		return NULL;
	}
	compositor->source = appd_loop_add_fd(appd->loop, fd, EPOLLIN, handle_readable, compositor,
		err);
	compositor->timer = compositor->source != NULL
		? appd_loop_add_timer(appd->loop, handle_timer, compositor, err)
		: NULL;
	if (compositor->timer == NULL) {
		appd_compositor_destroy(compositor);
		return NULL;
	}
	return compositor;
}

void appd_compositor_destroy(struct appd_compositor *compositor)
{
	if (compositor == NULL) {
		return;
	}
	struct pending *p, *tmp;
	wl_list_for_each_safe (p, tmp, &compositor->pending, link) {
		wl_list_remove(&p->link);
		free(p);
	}
	appd_source_remove(compositor->timer);
	appd_source_remove(compositor->source);
	close(compositor->fd);
	free(compositor);
}

/* Sends msg (which it takes) and files p under its id; frees p on failure. */
static bool send_pending(struct appd_compositor *compositor, struct pending *p,
	struct json_object *msg, uint64_t *request, struct weft_error *err)
{
	if (msg != NULL) {
		json_object_object_add(msg, WEFT_MSG_ID, json_object_new_uint64(p->id));
	}
	if (!send_request(compositor, msg, err)) {
		free(p);
		return false;
	}
	/* Most answers come in order: append. */
	wl_list_insert(compositor->pending.prev, &p->link);
	*request = p->id;
	if (p->deadline > 0) {
		arm_timer(compositor);
	}
	return true;
}

static struct pending *pending_new(struct appd_compositor *compositor, struct weft_error *err)
{
	if (compositor->source == NULL) {
		weft_error_set(err, "compositor: the control channel is closed");
		return NULL;
	}
	struct pending *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	p->id = compositor->next_id++;
	return p;
}

bool appd_compositor_create_client(struct appd_compositor *compositor, const char *app_id,
	const char *session_id, appd_client_func func, void *data, uint64_t *request,
	struct weft_error *err)
{
	struct pending *p = pending_new(compositor, err);
	if (p == NULL) {
		return false;
	}
	p->client_func = func;
	p->data = data;
	struct json_object *msg = json_object_new_object();
	if (msg != NULL) {
		json_object_object_add(msg, WEFT_MSG_TYPE,
			json_object_new_string(WEFT_COMPOSITOR_REQ_CREATE_CLIENT));
		json_object_object_add(msg, WEFT_COMPOSITOR_KEY_APP_ID,
			json_object_new_string(app_id));
		json_object_object_add(msg, WEFT_COMPOSITOR_KEY_SESSION_ID,
			json_object_new_string(session_id));
	}
	return send_pending(compositor, p, msg, request, err);
}

bool appd_compositor_clipboard(struct appd_compositor *compositor, const char *text,
	appd_reply_func func, void *data, uint64_t *request, struct weft_error *err)
{
	struct pending *p = pending_new(compositor, err);
	if (p == NULL) {
		return false;
	}
	p->reply_func = func;
	p->data = data;
	p->deadline = weft_now_ms() + REPLY_TIMEOUT_MS;
	struct json_object *msg = json_object_new_object();
	if (msg != NULL) {
		json_object_object_add(msg, WEFT_MSG_TYPE,
			json_object_new_string(text != NULL ? WEFT_COMPOSITOR_REQ_CLIPBOARD_WRITE
							    : WEFT_COMPOSITOR_REQ_CLIPBOARD_READ));
		if (text != NULL) {
			json_object_object_add(msg, WEFT_COMPOSITOR_KEY_TEXT,
				json_object_new_string(text));
		}
	}
	return send_pending(compositor, p, msg, request, err);
}

void appd_compositor_cancel(struct appd_compositor *compositor, uint64_t request)
{
	struct pending *p;
	wl_list_for_each (p, &compositor->pending, link) {
		if (p->id == request) {
			p->client_func = NULL;
			p->reply_func = NULL;
		}
	}
}

bool appd_compositor_retarget(struct appd_compositor *compositor, uint64_t request,
	appd_client_func func, void *data)
{
	struct pending *p;
	wl_list_for_each (p, &compositor->pending, link) {
		if (p->id == request && p->client_func != NULL) {
			p->client_func = func;
			p->data = data;
			return true;
		}
	}
	return false;
}

void appd_compositor_close_session(struct appd_compositor *compositor, const char *session_id)
{
	if (compositor->source == NULL) {
		return;
	}
	struct json_object *msg = json_object_new_object();
	if (msg != NULL) {
		json_object_object_add(msg, WEFT_MSG_ID,
			json_object_new_uint64(compositor->next_id++));
		json_object_object_add(msg, WEFT_MSG_TYPE,
			json_object_new_string(WEFT_COMPOSITOR_REQ_CLOSE_SESSION));
		json_object_object_add(msg, WEFT_COMPOSITOR_KEY_SESSION_ID,
			json_object_new_string(session_id));
	}
	struct weft_error err = { 0 };
	if (!send_request(compositor, msg, &err)) {
		weft_log(WEFT_WARN, "%s", err.msg);
	}
}
