/*
 * Where fetch's connections come from (weft/net.h). The runtime never
 * resolves or connects: its seccomp filter has no socket() or connect().
 * Under appd it asks appd on the control channel, which checks the grants,
 * connects and hands over the socket. In developer mode, without appd, a
 * child started before the first thread and before the filter plays
 * appd's part with the same rules (libweft's weft_net_connect()).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime.h"
#include "weft/ipc.h"
#include "weft/log.h"
#include "weft/net.h"
#include "weft/runtime-protocol.h"

/* The broker's end of its socket, in the child. */
#define BROKER_FD 3

static struct json_object *broker_answer(const struct weft_net_grants *grants,
	struct json_object *req, int *fd)
{
	struct json_object *jport = NULL, *jtimeout = NULL;
	const char *type = weft_json_get_string(req, WEFT_MSG_TYPE);
	const char *name = weft_json_get_string(req, WEFT_RUNTIME_KEY_HOST);
	json_object_object_get_ex(req, WEFT_RUNTIME_KEY_PORT, &jport);
	json_object_object_get_ex(req, WEFT_RUNTIME_KEY_TIMEOUT_MS, &jtimeout);
	if (type == NULL || strcmp(type, WEFT_RUNTIME_REQ_CONNECT) != 0 || name == NULL ||
		!json_object_is_type(jport, json_type_int)) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_BAD_REQUEST,
			"not a connect request");
	}
	int timeout = jtimeout != NULL ? json_object_get_int(jtimeout) : WEFT_NET_TIMEOUT_MAX_MS;
	if (timeout <= 0 || timeout > WEFT_NET_TIMEOUT_MAX_MS) {
		timeout = WEFT_NET_TIMEOUT_MAX_MS;
	}
	int64_t port = json_object_get_int64(jport);
	char address[WEFT_NET_ADDRESS_MAX];
	const char *code = NULL;
	struct weft_error err = { 0 };
	*fd = weft_net_connect(grants, name, port > 0 && port <= 65535 ? (unsigned)port : 0,
		timeout, address, &code, &err);
	if (*fd < 0) {
		weft_log(WEFT_WARN, "connect %s:%lld refused: %s", name, (long long)port, err.msg);
		return weft_ipc_reply_error(req, code, "%s", err.msg);
	}
	struct json_object *reply = weft_ipc_reply_ok(req);
	if (reply != NULL) {
		json_object_object_add(reply, WEFT_RUNTIME_KEY_ADDRESS,
			json_object_new_string(address));
	}
	return reply;
}

static void broker_run(const struct weft_net_grants *grants)
{
	for (;;) {
		bool hangup = false;
		struct weft_error err = { 0 };
		struct json_object *req = weft_ipc_recv_json(BROKER_FD, NULL, NULL, &hangup, &err);
		if (req == NULL) {
			if (hangup || (errno != EINTR && errno != EBADMSG)) {
				_exit(0);
			}
			continue;
		}
		int fd = -1;
		struct json_object *reply = broker_answer(grants, req, &fd);
		if (reply != NULL &&
			!weft_ipc_send_json(BROKER_FD, reply, &fd, fd >= 0 ? 1 : 0, &err)) {
			weft_log(WEFT_WARN, "network broker: %s", err.msg);
		}
		if (fd >= 0) {
			close(fd);
		}
		json_object_put(reply);
		json_object_put(req);
	}
}

int runtime_net_broker_start(const struct weft_net_grants *grants, struct weft_error *err)
{
	int sv[2];
	if (!weft_ipc_socketpair(sv, err)) {
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		weft_error_errno(err, "network broker: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* Ends with the runtime, and holds none of its fds but stderr:
		 * whoever reads the runtime's stdout sees its end. */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent || null < 0 ||
			dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
			dup2(sv[1], BROKER_FD) < 0) {
			_exit(127);
		}
		close_range(BROKER_FD + 1, ~0u, 0);
		prctl(PR_SET_NAME, "weft-net-broker");
		broker_run(grants);
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

bool runtime_net_connect(struct runtime_host *host, const char *name, unsigned port,
	int timeout_ms, int *fd, char *address, bool *denied, struct weft_error *err)
{
	if (host->net_fd < 0) {
		/* Developer mode without a net:fetch grant: nothing to ask. */
		struct weft_net_grants none;
		weft_net_grants_init(&none);
		*fd = -1;
		*denied = true;
		weft_net_allowed(&none, name, port, err);
		return false;
	}
	return runtime_control_connect(host, host->net_fd, name, port, timeout_ms, fd, address,
		denied, err);
}
