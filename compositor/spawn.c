/*
 * Trusted children: the system shell and appd. Each is started with a
 * socket we made (a privileged Wayland connection for the shell, the control
 * channel for appd) and restarted with back-off when it dies.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "server.h"
#include "weft/compositor-protocol.h"
#include "weft/log.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
/* A child that ran this long was healthy: restart it at once. */
#define HEALTHY_RUN_MS 10000
/* How long a child has to go after SIGTERM before SIGKILL: appd ends its
 * sessions first, each with a grace period (3 s by default). */
#define STOP_GRACE_MS 5000

struct weft_child {
	struct weft_server *server;
	char *name;
	char *cmd;
	enum weft_client_role role;
	pid_t pid;
	/* The shell's Wayland connection while it lasts: it ends with the
	 * process, before a new shell can come (its lock would be refused while
	 * the dead one's client lingers). */
	struct wl_client *client;
	struct wl_listener client_destroy;
	int64_t started_ms;
	int backoff_ms;
	struct wl_event_source *restart_timer;
};

/* Sets name to a dup of fd (a dup does not carry FD_CLOEXEC); false on failure. */
static bool pass_fd(const char *name, int fd)
{
	int keep = dup(fd);
	if (keep < 0) {
		return false;
	}
	char value[16];
	snprintf(value, sizeof(value), "%d", keep);
	return setenv(name, value, 1) == 0;
}

/* In the child, after fork: only async-signal-safe calls until exec. */
static void exec_child(const char *cmd, const char *env_name, int fd, int shell_fd)
{
	sigset_t none;
	sigemptyset(&none);
	/* The event loop blocks the signals it watches; the child must not inherit that. */
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* Its own process group, so that stopping it reaches whatever it forked. */
	setpgid(0, 0);
	if (!pass_fd(env_name, fd) ||
		(shell_fd >= 0 && !pass_fd(WEFT_COMPOSITOR_SHELL_FD_ENV, shell_fd))) {
		_exit(127);
	}
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static void handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct weft_child *child = wl_container_of(listener, child, client_destroy);
	wl_list_remove(&child->client_destroy.link);
	child->client = NULL;
}

static bool child_start(struct weft_child *child)
{
	struct weft_server *server = child->server;
	bool wayland = child->role == WEFT_CLIENT_SHELL;
	int sv[2];
	if (socketpair(AF_UNIX, (wayland ? SOCK_STREAM : SOCK_SEQPACKET) | SOCK_CLOEXEC, 0, sv) !=
		0) {
		weft_log_errno(WEFT_ERROR, "%s: socketpair", child->name);
		return false;
	}
	/* The shell's second socket: the shell channel (keys, focus). */
	int ch[2] = { -1, -1 };
	if (wayland) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) != 0) {
			weft_log_errno(WEFT_ERROR, "%s: socketpair", child->name);
			close(sv[0]);
			close(sv[1]);
			return false;
		}
		struct weft_control *channel = weft_control_create_shell(server, ch[0]);
		if (channel == NULL) {
			close(ch[1]);
			close(sv[0]);
			close(sv[1]);
			return false;
		}
		weft_control_destroy(server->shell_control);
		server->shell_control = channel;
		struct wl_client *client = weft_client_create_tagged(server, sv[0], child->role,
			NULL, NULL);
		if (client == NULL) {
			close(sv[1]);
			close(ch[1]);
			return false;
		}
		if (child->client != NULL) {
			wl_list_remove(&child->client_destroy.link);
		}
		child->client = client;
		child->client_destroy.notify = handle_client_destroy;
		wl_client_add_destroy_listener(client, &child->client_destroy);
	} else {
		struct weft_control *control = weft_control_create(server, sv[0]);
		if (control == NULL) {
			close(sv[1]);
			return false;
		}
		weft_control_destroy(server->control);
		server->control = control;
	}

	pid_t pid = fork();
	if (pid < 0) {
		weft_log_errno(WEFT_ERROR, "%s: fork", child->name);
		close(sv[1]);
		if (ch[1] >= 0) {
			close(ch[1]);
		}
		return false;
	}
	if (pid == 0) {
		exec_child(child->cmd, wayland ? "WAYLAND_SOCKET" : "WEFT_COMPOSITOR_FD", sv[1],
			ch[1]);
	}
	close(sv[1]);
	if (ch[1] >= 0) {
		close(ch[1]);
	}
	child->pid = pid;
	child->started_ms = weft_now_ms();
	weft_log(WEFT_INFO, "%s: started '%s' (pid %d)", child->name, child->cmd, (int)pid);
	return true;
}

static int handle_restart(void *data)
{
	struct weft_child *child = data;
	if (!child_start(child)) {
		child->backoff_ms = child->backoff_ms * 2 < BACKOFF_MAX_MS ? child->backoff_ms * 2
									   : BACKOFF_MAX_MS;
		wl_event_source_timer_update(child->restart_timer, child->backoff_ms);
	}
	return 0;
}

struct weft_child *weft_child_create(struct weft_server *server, const char *name, const char *cmd,
	enum weft_client_role role)
{
	/* What our children leave behind is reparented to us, not to init, so
	 * that stopping a child can wait for its whole group and reap it. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		weft_log_errno(WEFT_WARN, "prctl PR_SET_CHILD_SUBREAPER");
	}
	struct weft_child *child = calloc(1, sizeof(*child));
	if (child == NULL) {
		return NULL;
	}
	child->server = server;
	child->role = role;
	child->backoff_ms = BACKOFF_MIN_MS;
	child->name = strdup(name);
	child->cmd = strdup(cmd);
	child->restart_timer = wl_event_loop_add_timer(server->loop, handle_restart, child);
	if (child->name == NULL || child->cmd == NULL || child->restart_timer == NULL ||
		!child_start(child)) {
		weft_child_destroy(child);
		return NULL;
	}
	return child;
}

void weft_child_destroy(struct weft_child *child)
{
	if (child == NULL) {
		return;
	}
	if (child->pid > 0) {
		kill(-child->pid, SIGTERM);
		/*
		 * Give the whole group time to go: the leader may be the sh that
		 * runs the command (dash does not exec it), which dies at once,
		 * while the program itself, appd, is still ending its sessions.
		 * As their subreaper we reap them all. Then make sure: no zombie,
		 * no orphan.
		 */
		bool gone = false;
		int64_t deadline = weft_now_ms() + STOP_GRACE_MS;
		while (!gone && weft_now_ms() < deadline) {
			while (waitpid(-child->pid, NULL, WNOHANG) > 0) {
			}
			gone = kill(-child->pid, 0) != 0 && errno == ESRCH;
			if (!gone) {
				usleep(10000);
			}
		}
		if (!gone) {
			weft_log(WEFT_WARN, "%s: still there %d ms after SIGTERM; killing it",
				child->name, STOP_GRACE_MS);
			kill(-child->pid, SIGKILL);
			while (waitpid(-child->pid, NULL, 0) > 0) {
			}
		}
	}
	if (child->restart_timer != NULL) {
		wl_event_source_remove(child->restart_timer);
	}
	if (child->client != NULL) {
		wl_list_remove(&child->client_destroy.link);
	}
	free(child->name);
	free(child->cmd);
	free(child);
}

static void child_exited(struct weft_child *child, int status)
{
	if (WIFSIGNALED(status)) {
		weft_log(WEFT_WARN, "%s: killed by signal %d", child->name, WTERMSIG(status));
	} else {
		weft_log(WEFT_WARN, "%s: exited with status %d", child->name, WEXITSTATUS(status));
	}
	/* Whatever it left behind in its group goes with it, and so does its
	 * connection, even if its hangup is not read yet. */
	kill(-child->pid, SIGKILL);
	child->pid = 0;
	if (child->client != NULL) {
		wl_client_destroy(child->client);
	}
	if (weft_now_ms() - child->started_ms >= HEALTHY_RUN_MS) {
		child->backoff_ms = BACKOFF_MIN_MS;
	}
	weft_log(WEFT_INFO, "%s: restarting in %d ms", child->name, child->backoff_ms);
	wl_event_source_timer_update(child->restart_timer, child->backoff_ms);
	child->backoff_ms = child->backoff_ms * 2 < BACKOFF_MAX_MS ? child->backoff_ms * 2
								   : BACKOFF_MAX_MS;
}

void weft_children_reap(struct weft_server *server)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct weft_child *children[] = { server->shell, server->appd };
		for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++) {
			if (children[i] != NULL && children[i]->pid == pid) {
				child_exited(children[i], status);
			}
		}
	}
}
