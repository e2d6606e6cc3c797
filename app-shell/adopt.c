#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adopt.h"
#include "weft/app_id.h"
#include "weft/ipc.h"

bool app_adoption_decode(struct json_object *msg, struct app_adoption *a, struct weft_error *err)
{
	const char *app_id = weft_json_get_string(msg, "app_id");
	const char *session = weft_json_get_string(msg, "session");
	const char *dir = weft_json_get_string(msg, "package_dir");
	struct json_object *pgid = NULL;
	if (app_id == NULL || session == NULL || dir == NULL) {
		weft_error_set(err, "adoption: app_id, session and package_dir are required");
		return false;
	}
	/* No pgid: a sandboxed shell, which cannot name the session's group
	 * from inside its pid namespace; appd signals it by its pidfd. */
	if (json_object_object_get_ex(msg, "pgid", &pgid) &&
		!json_object_is_type(pgid, json_type_int)) {
		weft_error_set(err, "adoption: pgid is not a number");
		return false;
	}
	if (!weft_app_id_valid(app_id, err)) {
		weft_error_prefix(err, "adoption: app id %s", app_id);
		return false;
	}
	/* Never our own group or init's: only a session's, led by its runtime. */
	int64_t n = pgid != NULL ? json_object_get_int64(pgid) : 0;
	if (pgid != NULL && (n <= 1 || n > INT32_MAX || (pid_t)n == getpgrp())) {
		weft_error_set(err, "adoption: bad pgid %lld", (long long)n);
		return false;
	}
	a->pgid = (pid_t)n;
	a->app_id = strdup(app_id);
	a->session = strdup(session);
	a->package_dir = strdup(dir);
	if (a->app_id == NULL || a->session == NULL || a->package_dir == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return true;
}

bool app_adoption_recv(int fd, struct app_adoption *adoption, bool *hangup, struct weft_error *err)
{
	*adoption = (struct app_adoption){ .ipc_fd = -1, .wayland_fd = -1 };
	*hangup = false;
	int fds[WEFT_MSG_MAX_FDS];
	size_t nfds = 0;
	struct json_object *msg = weft_ipc_recv_json(fd, fds, &nfds, hangup, err);
	if (msg == NULL) {
		return false;
	}
	bool ok = nfds == 1 || nfds == 2;
	if (!ok) {
		weft_error_set(err, "adoption: %zu fds, not the IPC socket and maybe Wayland's",
			nfds);
	}
	if (nfds >= 1) {
		adoption->ipc_fd = fds[0];
		int type = 0;
		socklen_t len = sizeof(type);
		if (ok &&
			(getsockopt(fds[0], SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
				type != SOCK_SEQPACKET)) {
			weft_error_set(err, "adoption: the IPC fd is not a SOCK_SEQPACKET socket");
			ok = false;
		}
	}
	if (nfds >= 2) {
		adoption->wayland_fd = fds[1];
	}
	for (size_t i = 2; i < nfds; i++) {
		close(fds[i]);
	}
	ok = ok && app_adoption_decode(msg, adoption, err);
	json_object_put(msg);
	if (!ok) {
		app_adoption_finish(adoption);
	}
	return ok;
}

void app_adoption_finish(struct app_adoption *adoption)
{
	free(adoption->app_id);
	free(adoption->session);
	free(adoption->package_dir);
	if (adoption->ipc_fd >= 0) {
		close(adoption->ipc_fd);
	}
	if (adoption->wayland_fd >= 0) {
		close(adoption->wayland_fd);
	}
	*adoption = (struct app_adoption){ .ipc_fd = -1, .wayland_fd = -1 };
}
