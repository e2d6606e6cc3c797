/*
 * The control channel reached by path rather than inherited: under a service
 * manager, appd is a unit of its own and connects here once we are up
 * (weft-compositor --appd-socket). The socket lives in the user's private
 * runtime directory, takes only peers of our own uid, and serves one appd at
 * a time: while one is connected, a second is turned away, so that no other
 * program can take its place.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "server.h"
#include "weft/ipc.h"
#include "weft/log.h"

struct weft_appd_listener {
	struct weft_server *server;
	int fd;
	char *path;
	struct wl_event_source *source;
};

static void accept_one(struct weft_appd_listener *listener, int fd)
{
	struct weft_server *server = listener->server;
	struct weft_error err = { 0 };
	struct ucred cred;
	if (!weft_ipc_peer_cred(fd, &cred, &err)) {
		weft_log(WEFT_WARN, "appd socket: %s", err.msg);
		close(fd);
		return;
	}
	if (cred.uid != getuid()) {
		weft_log(WEFT_WARN, "appd socket: refused pid %d: uid %u is not ours",
			(int)cred.pid, (unsigned)cred.uid);
		close(fd);
		return;
	}
	if (server->control != NULL) {
		weft_log(WEFT_WARN, "appd socket: refused pid %d: an appd is connected already",
			(int)cred.pid);
		close(fd);
		return;
	}
	server->control = weft_control_create(server, fd);
	if (server->control == NULL) {
		weft_log(WEFT_ERROR, "appd socket: cannot watch the channel of pid %d",
			(int)cred.pid);
		return;
	}
	weft_log(WEFT_INFO, "appd socket: appd (pid %d) connected", (int)cred.pid);
}

static int handle_connection(int fd, uint32_t mask, void *data)
{
	struct weft_appd_listener *listener = data;
	for (;;) {
		int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
				weft_log_errno(WEFT_WARN, "appd socket: accept");
			}
			if (errno != EINTR && errno != ECONNABORTED) {
				break;
			}
			continue;
		}
		accept_one(listener, conn);
	}
	return 0;
}

struct weft_appd_listener *weft_appd_listener_create(struct weft_server *server, const char *path,
	struct weft_error *err)
{
	struct weft_appd_listener *listener = calloc(1, sizeof(*listener));
	if (listener == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	listener->server = server;
	listener->fd = -1;
	listener->path = strdup(path);
	char *dir = strdup(path);
	if (listener->path == NULL || dir == NULL) {
		free(dir);
		weft_error_set(err, "out of memory");
		goto fail;
	}
	/* Usually $XDG_RUNTIME_DIR/weft, private to the user. */
	const char *parent = dirname(dir);
	if (mkdir(parent, 0700) != 0 && errno != EEXIST) {
		weft_error_errno(err, "appd socket: mkdir %s", parent);
		free(dir);
		goto fail;
	}
	free(dir);
	listener->fd = weft_ipc_listen(path, err);
	if (listener->fd < 0) {
		weft_error_prefix(err, "appd socket");
		goto fail;
	}
	listener->source = wl_event_loop_add_fd(server->loop, listener->fd, WL_EVENT_READABLE,
		handle_connection, listener);
	if (listener->source == NULL) {
		weft_error_set(err, "appd socket: cannot watch %s", path);
		goto fail;
	}
	weft_log(WEFT_INFO, "appd socket: waiting for appd on %s", path);
	return listener;

fail:
	weft_appd_listener_destroy(listener);
	return NULL;
}

void weft_appd_listener_destroy(struct weft_appd_listener *listener)
{
	if (listener == NULL) {
		return;
	}
	if (listener->source != NULL) {
		wl_event_source_remove(listener->source);
	}
	if (listener->fd >= 0) {
		close(listener->fd);
		unlink(listener->path);
	}
	free(listener->path);
	free(listener);
}
