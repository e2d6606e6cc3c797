#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appd.h"
#include "spare.h"
#include "spawn.h"
#include "weft/appd-protocol.h"
#include "weft/ipc.h"
#include "weft/log.h"

/* After a launch took the spare: its app-shell's start comes first. */
#define SPARE_DELAY_MS 1000
/* After a spare died or could not be started. */
#define SPARE_RETRY_MS 2000
/* Spares in a row that die before READY, after which appd stops trying. */
#define SPARE_FAILURES_MAX 3
/* What a ready spare says (app-shell/adopt.h). */
#define SPARE_READY "READY"

struct appd_spare {
	struct appd *appd;
	struct appd_source *timer;
	pid_t pid; /* 0: none */
	int pidfd;
	int sock;
	struct appd_source *exit_source, *sock_source;
	struct appd_output *output; /* what spares print */
	uint64_t output_id; /* this spare's pipe */
	bool ready;
	bool sandboxed;
	struct weft_sandbox_report report;
	struct appd_limits_session *limits; /* the cgroup it was born in, or NULL */
	unsigned int started; /* spares started, for their cgroups' names */
	struct weft_strv stores; /* sandboxed: the app stores it sees */
	char *trusted_cache; /* the warm-up's shader cache (warmup.h), or NULL */
	bool capable; /* some spare said READY: this app-shell can prewarm */
	int failures;
	bool disabled;
	char why[160]; /* why there is none, for info */
};

/* Forgets the spare's process; its fds stay open for whoever took them. */
static void forget(struct appd_spare *spare)
{
	appd_source_remove(spare->exit_source);
	appd_source_remove(spare->sock_source);
	spare->exit_source = spare->sock_source = NULL;
	spare->pid = 0;
	spare->pidfd = spare->sock = -1;
	spare->ready = false;
}

/* Forgets it (reaped, or never started) and closes its fds: out of the
 * loop first, then closed; its cgroup goes. */
static void forget_and_close(struct appd_spare *spare)
{
	int pidfd = spare->pidfd, sock = spare->sock;
	forget(spare);
	appd_limits_session_destroy(spare->limits);
	spare->limits = NULL;
	if (pidfd >= 0) {
		close(pidfd);
	}
	if (sock >= 0) {
		close(sock);
	}
}

/* A spare whose next start cannot be scheduled is never started again:
 * launches spawn their own app-shell, as without a spare. */
static void schedule(struct appd_spare *spare, int ms)
{
	if (!appd_timer_arm(spare->timer, ms)) {
		weft_log_errno(WEFT_ERROR, "no spare app-shell any more: cannot arm its timer");
		snprintf(spare->why, sizeof(spare->why), "its timer could not be armed");
		spare->disabled = true;
	}
}

/* A spare that died before READY counts against the app-shell. */
static void failed(struct appd_spare *spare, const char *what)
{
	snprintf(spare->why, sizeof(spare->why), "%s", what);
	if (!spare->capable) {
		/* It never could: the app-shell has no --prewarm. */
		spare->disabled = true;
		weft_log(WEFT_INFO, "no spare app-shell: %s", what);
		return;
	}
	if (++spare->failures >= SPARE_FAILURES_MAX) {
		spare->disabled = true;
		weft_log(WEFT_WARN, "no spare app-shell any more: %s, %d times in a row", what,
			spare->failures);
		return;
	}
	schedule(spare, SPARE_RETRY_MS);
}

static void handle_exit(int fd, uint32_t events, void *data)
{
	struct appd_spare *spare = data;
	siginfo_t info = { 0 };
	if (waitid(P_PIDFD, (id_t)spare->pidfd, &info, WEXITED | WNOHANG) != 0 ||
		info.si_pid == 0) {
		return;
	}
	char what[96];
	if (info.si_code == CLD_EXITED) {
		snprintf(what, sizeof(what), "the spare exited with status %d", info.si_status);
	} else {
		snprintf(what, sizeof(what), "the spare was killed by signal %d", info.si_status);
	}
	weft_log(WEFT_INFO, "spare app-shell %d: %s", (int)spare->pid, what);
	bool was_ready = spare->ready;
	forget_and_close(spare);
	if (was_ready) {
		spare->failures = 0;
		snprintf(spare->why, sizeof(spare->why), "%s", what);
		schedule(spare, SPARE_RETRY_MS);
	} else {
		failed(spare, what);
	}
}

static void handle_sock(int fd, uint32_t events, void *data)
{
	struct appd_spare *spare = data;
	char buf[16];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return;
	}
	if (n == (ssize_t)strlen(SPARE_READY) && memcmp(buf, SPARE_READY, (size_t)n) == 0 &&
		!spare->ready) {
		spare->ready = true;
		spare->capable = true;
		spare->failures = 0;
		weft_log(WEFT_DEBUG, "spare app-shell %d is ready", (int)spare->pid);
		return;
	}
	/* A hangup, or words a spare does not say: its exit tells the rest. */
	if (n > 0) {
		weft_log(WEFT_WARN, "spare app-shell %d said something else than READY; killed",
			(int)spare->pid);
		pidfd_send_signal(spare->pidfd, SIGKILL, NULL, 0);
	}
	appd_source_remove(spare->sock_source);
	spare->sock_source = NULL;
}

static bool start(struct appd_spare *spare, struct weft_error *err)
{
	struct appd *appd = spare->appd;
	int pair[2];
	if (!weft_ipc_socketpair(pair, err)) {
		return false;
	}
	struct weft_strv argv, env;
	weft_strv_init(&argv);
	weft_strv_init(&env);
	struct weft_sandbox_policy *policy = NULL;
	bool ok = weft_strv_push(&argv, appd->config.app_shell_path) &&
		weft_strv_push(&argv, "--prewarm") && weft_strv_push(&argv, "3");
	if (!ok) {
		weft_error_set(err, "out of memory");
	} else if (appd->config.insecure_no_sandbox) {
		ok = appd_child_env(&env, NULL, err);
	} else {
		weft_strv_finish(&spare->stores);
		ok = appd_sandbox_stores(&spare->stores, err);
		policy = ok ? appd_sandbox_spare(&appd->config, &spare->stores,
				      spare->trusted_cache, err)
			    : NULL;
		ok = policy != NULL;
	}
	struct appd_child child;
	char name[32];
	snprintf(name, sizeof(name), "spare%u", ++spare->started);
	ok = ok && appd_limits_spare_create(appd->limits, name, &spare->limits, err);
	if (ok) {
		int output_fd = -1;
		spare->output_id = appd_output_open(spare->output, "app-shell", &output_fd, err);
		/* Its own group until a session adopts it, and a cgroup of its
		 * own with cgroup limits, which the session takes over. */
		struct appd_spawn sp = {
			.path = appd->config.app_shell_path,
			.argv = argv.items,
			.envp = env.items,
			.policy = policy,
			.fds = &pair[1],
			.nfds = 1,
			.pgid = 0,
			.cgroup_fd = spare->limits != NULL
				? appd_limits_session_cgroup_fd(spare->limits)
				: -1,
			.cgroup_procs_fd = spare->limits != NULL
				? appd_limits_session_procs_fd(spare->limits)
				: -1,
			.output_fd = output_fd,
		};
		ok = spare->output_id != 0 && appd_spawn_start(&sp, &child, err);
		/* The pipe is the child's now; without one, it ends and goes. */
		if (output_fd >= 0) {
			close(output_fd);
		}
	}
	weft_sandbox_policy_destroy(policy);
	weft_strv_finish(&env);
	weft_strv_finish(&argv);
	close(pair[1]);
	if (!ok) {
		close(pair[0]);
		appd_limits_session_destroy(spare->limits);
		spare->limits = NULL;
		return false;
	}
	if (!appd_child_release(&child, true, err)) {
		/* It could not enter its sandbox, and exits. */
		waitid(P_PIDFD, (id_t)child.pidfd, &(siginfo_t){ 0 }, WEXITED);
		close(child.pidfd);
		close(pair[0]);
		appd_limits_session_destroy(spare->limits);
		spare->limits = NULL;
		return false;
	}
	spare->sandboxed = child.sandboxed;
	if (child.sandboxed) {
		spare->report = child.sandbox.report;
	}
	spare->pid = child.pid;
	spare->pidfd = child.pidfd;
	spare->sock = pair[0];
	spare->exit_source = appd_loop_add_fd(appd->loop, spare->pidfd, EPOLLIN, handle_exit,
		spare, err);
	spare->sock_source = spare->exit_source != NULL
		? appd_loop_add_fd(appd->loop, spare->sock, EPOLLIN, handle_sock, spare, err)
		: NULL;
	if (spare->sock_source == NULL) {
		appd_pidfd_kill(spare->pidfd);
		forget_and_close(spare);
		return false;
	}
	char line[1024] = "NO SANDBOX (--insecure-no-sandbox)";
	if (spare->sandboxed) {
		weft_sandbox_report_format(&spare->report, line, sizeof(line));
	}
	weft_log(WEFT_DEBUG, "spare app-shell is pid %d; %s", (int)spare->pid, line);
	return true;
}

static void handle_timer(void *data)
{
	struct appd_spare *spare = data;
	if (spare->disabled || spare->pid > 0 || spare->appd->quitting) {
		return;
	}
	struct weft_error err = { 0 };
	if (!start(spare, &err)) {
		weft_log(WEFT_WARN, "spare app-shell: %s", err.msg);
		failed(spare, err.msg);
	}
}

struct appd_spare *appd_spare_create(struct appd *appd, const char *trusted_cache,
	struct weft_error *err)
{
	struct appd_spare *spare = calloc(1, sizeof(*spare));
	if (spare == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	if (trusted_cache != NULL && (spare->trusted_cache = strdup(trusted_cache)) == NULL) {
		weft_error_set(err, "out of memory");
		free(spare);
		return NULL;
	}
	spare->appd = appd;
	forget(spare);
	snprintf(spare->why, sizeof(spare->why), "starting");
	spare->output = appd_output_create(appd->loop, "spare", err);
	spare->timer = spare->output != NULL
		? appd_loop_add_timer(appd->loop, handle_timer, spare, err)
		: NULL;
	if (spare->timer == NULL) {
		appd_output_destroy(spare->output);
		free(spare->trusted_cache);
		free(spare);
		return NULL;
	}
	handle_timer(spare);
	return spare;
}

void appd_spare_begin(struct appd *appd, const char *trusted_cache)
{
	if (appd->spare != NULL || appd->quitting) {
		return;
	}
	struct weft_error err = { 0 };
	appd->spare = appd_spare_create(appd, trusted_cache, &err);
	if (appd->spare == NULL) {
		weft_log(WEFT_WARN, "no spare app-shell: %s", err.msg);
	}
}

void appd_spare_destroy(struct appd_spare *spare)
{
	if (spare == NULL) {
		return;
	}
	if (spare->pid > 0) {
		appd_pidfd_kill(spare->pidfd);
		forget_and_close(spare);
	}
	forget(spare);
	appd_output_destroy(spare->output);
	appd_source_remove(spare->timer);
	weft_strv_finish(&spare->stores);
	free(spare->trusted_cache);
	free(spare);
}

/* Whether the sandboxed spare sees package_dir: it cannot be shown more
 * once it runs. */
static bool sees(const struct appd_spare *spare, const char *package_dir)
{
	if (!spare->sandboxed) {
		return true;
	}
	for (size_t i = 0; i < spare->stores.len; i++) {
		size_t len = strlen(spare->stores.items[i]);
		if (strncmp(package_dir, spare->stores.items[i], len) == 0 &&
			package_dir[len] == '/') {
			return true;
		}
	}
	return false;
}

bool appd_spare_sandboxed(const struct appd_spare *spare)
{
	return spare != NULL && spare->pid > 0 && spare->capable && spare->sock_source != NULL &&
		spare->sandboxed;
}

bool appd_spare_take(struct appd_spare *spare, const char *package_dir,
	struct appd_spare_child *child)
{
	/* One still warming up is ahead of a new process all the same; but
	 * only an app-shell known to prewarm is worth the wait. */
	if (spare == NULL || spare->pid <= 0 || !spare->capable || spare->sock_source == NULL) {
		return false;
	}
	if (!sees(spare, package_dir)) {
		weft_log(WEFT_INFO,
			"spare app-shell %d: %s is in no app store it was shown; "
			"starting an app-shell instead",
			(int)spare->pid, package_dir);
		return false;
	}
	siginfo_t info = { 0 };
	if (waitid(P_PIDFD, (id_t)spare->pidfd, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		info.si_pid != 0) {
		return false; /* dead, and handle_exit will say so */
	}
	*child = (struct appd_spare_child){
		.pid = spare->pid,
		.pidfd = spare->pidfd,
		.sock = spare->sock,
		.output_fd = appd_output_take(spare->output, spare->output_id),
		.sandboxed = spare->sandboxed,
		.report = spare->report,
		.limits = spare->limits,
	};
	spare->limits = NULL;
	forget(spare);
	snprintf(spare->why, sizeof(spare->why), "adopted by a launch; the next one starts soon");
	schedule(spare, SPARE_DELAY_MS);
	return true;
}

bool appd_spare_adopt(const struct appd_spare_child *child, const char *app_id,
	const char *session_id, const char *package_dir, pid_t pgid, const int *fds, size_t nfds,
	struct weft_error *err)
{
	struct json_object *msg = json_object_new_object();
	if (msg == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	json_object_object_add(msg, "app_id", json_object_new_string(app_id));
	json_object_object_add(msg, "session", json_object_new_string(session_id));
	json_object_object_add(msg, "package_dir", json_object_new_string(package_dir));
	/* A sandboxed spare is pid 1 of its pid namespace and cannot name the
	 * session's group: it stays in its own, and appd signals it by its
	 * pidfd (session.c does for every app-shell). */
	if (!child->sandboxed) {
		json_object_object_add(msg, "pgid", json_object_new_int(pgid));
	}
	bool ok = weft_ipc_send_json(child->sock, msg, fds, nfds, err);
	json_object_put(msg);
	if (!ok) {
		weft_error_prefix(err, "adopt the spare app-shell %d", (int)child->pid);
	}
	return ok;
}

struct json_object *appd_spare_to_json(const struct appd_spare *spare)
{
	struct json_object *obj = json_object_new_object();
	if (obj == NULL) {
		return NULL;
	}
	const char *state = WEFT_APPD_SPARE_OFF;
	if (spare != NULL && spare->pid > 0) {
		state = spare->ready ? WEFT_APPD_SPARE_READY : WEFT_APPD_SPARE_WARMING;
		json_object_object_add(obj, WEFT_APPD_KEY_PID, json_object_new_int(spare->pid));
	} else if (spare != NULL && !spare->disabled) {
		state = WEFT_APPD_SPARE_COMING;
	}
	json_object_object_add(obj, WEFT_APPD_KEY_STATE, json_object_new_string(state));
	if (spare == NULL || spare->pid <= 0) {
		json_object_object_add(obj, WEFT_APPD_KEY_WHY,
			json_object_new_string(
				spare != NULL ? spare->why : "--no-prewarm, or no compositor"));
	}
	return obj;
}
