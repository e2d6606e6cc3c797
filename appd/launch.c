/*
 * A launch while its package is checked (design §2 step 2). Hashing every
 * file of a package (up to 1 GiB) and checking its signature takes seconds,
 * and no channel may block the loop (design §3): a short-lived child of
 * appd's resolves the package, verifies it and reads its manifest
 * (appd_plan_make), sends the plan back over a socket and exits. Its exit
 * is the event that starts the session, or fails the launch; every other
 * client is served meanwhile. A check that crashes takes only itself down.
 *
 * The plan is the child's, so what runs is what it checked, as much as when
 * the check ran on the loop: the runtime and app-shell open the package's
 * files by path after the check, then as now.
 *
 * While it runs, and when a sandboxed spare app-shell is there to adopt,
 * the session's id is reserved and the compositor asked for its tagged
 * Wayland connection, so that the session can hand the spare the app as
 * soon as it starts (session.c). Nothing of the app reaches anyone before
 * the check has passed: the connection stays in appd until then, and is
 * closed when the check fails.
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
#include "spare.h"
#include "spawn.h"
#include "weft/app_id.h"
#include "weft/appd-protocol.h"
#include "weft/ipc.h"
#include "weft/log.h"

/* Hashing 1 GiB, the largest package, takes a few seconds; a check that
 * takes this long is stuck (a hung file system, say). */
#define CHECK_TIMEOUT_MS 60000
/* The answer's fd in the child. */

struct appd_launch {
	struct wl_list link; /* appd.launches, while linked */
	struct appd *appd;
	char *app_id;
	pid_t pid;
	int pidfd;
	int answer_fd; /* our end of the child's socket */
	struct appd_source *source; /* the pidfd */
	struct appd_source *timer;
	bool timed_out;
	bool linked; /* in appd->launches */
	appd_launch_func done; /* NULL once forgotten */
	void *data;
	struct appd_launch_early early;
};

/* In the helper: checks the package and sends the plan, or why not. */
static void run_check(void *data)
{
	struct appd_launch *launch = data;
	const char *app_id = launch->app_id;
	bool allow_untrusted = launch->appd->config.allow_untrusted;
	struct appd_plan plan;
	const char *code = NULL;
	struct weft_error err = { 0 };
	struct json_object *answer;
	if (appd_plan_make(&plan, app_id, allow_untrusted, launch->appd->config.mount_helper_path,
		    &code, &err)) {
		answer = json_object_new_object();
		struct json_object *obj = appd_plan_to_json(&plan);
		if (answer == NULL || obj == NULL) {
			_exit(1);
		}
		json_object_object_add(answer, "plan", obj);
	} else {
		answer = weft_ipc_reply_error(NULL, code, "%s", err.msg);
		/* appd unmounts it unless a session uses it. */
		if (answer != NULL && plan.image_mount != NULL) {
			json_object_object_add(answer, "image_mount",
				json_object_new_string(plan.image_mount));
		}
	}
	bool sent = answer != NULL &&
		weft_ipc_send_json(APPD_HELPER_ANSWER_FD, answer, NULL, 0, &err);
	if (answer != NULL && !sent) {
		weft_log(WEFT_ERROR, "launch %s: %s", app_id, err.msg);
	}
	/* No atexit handlers, no leak check: this is a copy of appd. */
	_exit(sent ? 0 : 1);
}

static void check_done(struct appd *appd)
{
	if (appd->quitting && appd->live == 0 && wl_list_empty(&appd->launches)) {
		appd->done = true;
	}
}

/* Out of appd's list: from then on, a session it starts counts as live
 * instead. */
static void launch_unlink(struct appd_launch *launch)
{
	struct appd *appd = launch->appd;
	if (!launch->linked) {
		return;
	}
	wl_list_remove(&launch->link);
	launch->linked = false;
	appd->nlaunches--;
}

/* Sources go before their fds (loop.h). */
static void launch_destroy(struct appd_launch *launch)
{
	launch_unlink(launch);
	if (launch->early.wayland_pending) {
		appd_compositor_cancel(launch->appd->compositor, launch->early.wayland_request);
	}
	if (launch->early.wayland_fd >= 0) {
		close(launch->early.wayland_fd);
	}
	appd_source_remove(launch->source);
	appd_source_remove(launch->timer);
	if (launch->pidfd >= 0) {
		close(launch->pidfd);
	}
	if (launch->answer_fd >= 0) {
		close(launch->answer_fd);
	}
	free(launch->app_id);
	free(launch);
}

/* What the child's answer says: the session started, or why not. */
static struct appd_session *take_answer(struct appd_launch *launch, const siginfo_t *info,
	char *code, size_t code_size, struct weft_error *err)
{
	struct appd *appd = launch->appd;
	snprintf(code, code_size, "%s", WEFT_APPD_ERR_INTERNAL);
	if (appd->quitting) {
		snprintf(code, code_size, "%s", WEFT_APPD_ERR_BUSY);
		weft_error_set(err, "appd is shutting down");
		return NULL;
	}
	if (launch->timed_out) {
		weft_error_set(err, "checking the package took longer than %d s",
			CHECK_TIMEOUT_MS / 1000);
		return NULL;
	}
	bool hangup = false;
	struct json_object *answer = weft_ipc_recv_json(launch->answer_fd, NULL, NULL, &hangup,
		err);
	if (answer == NULL) {
		if (info->si_code != CLD_EXITED) {
			weft_error_set(err,
				"checking the package failed: killed by signal %d (%s)",
				info->si_status, strsignal(info->si_status));
		} else if (hangup || errno == EAGAIN) {
			weft_error_set(err, "checking the package failed: exit status %d",
				info->si_status);
		} else {
			weft_error_prefix(err, "checking the package");
		}
		return NULL;
	}
	struct appd_session *session = NULL;
	struct json_object *plan_obj, *error;
	struct appd_plan plan;
	if (json_object_object_get_ex(answer, WEFT_MSG_ERROR, &error)) {
		appd_image_release(appd, launch->app_id,
			weft_json_get_string(answer, "image_mount"));
		const char *c = weft_json_get_string(error, WEFT_MSG_CODE);
		const char *m = weft_json_get_string(error, WEFT_MSG_MESSAGE);
		snprintf(code, code_size, "%s", c != NULL ? c : WEFT_APPD_ERR_INTERNAL);
		weft_error_set(err, "%s", m != NULL ? m : "the package check failed");
	} else if (!json_object_object_get_ex(answer, "plan", &plan_obj)) {
		weft_error_set(err, "the package check sent no plan");
	} else if (appd_plan_from_json(&plan, plan_obj, err)) {
		const char *c = NULL;
		session = appd_session_start(appd, launch->app_id, &plan, &launch->early, &c, err);
		/* The session's now, or closed by it. */
		launch->early.wayland_fd = -1;
		launch->early.wayland_pending = false;
		if (session == NULL) {
			snprintf(code, code_size, "%s", c != NULL ? c : WEFT_APPD_ERR_INTERNAL);
		}
	}
	json_object_put(answer);
	return session;
}

static void handle_exit(int fd, uint32_t events, void *data)
{
	struct appd_launch *launch = data;
	struct appd *appd = launch->appd;
	siginfo_t info = { 0 };
	if (waitid(P_PIDFD, (id_t)launch->pidfd, &info, WEXITED | WNOHANG) != 0 ||
		info.si_pid == 0) {
		return;
	}
	launch_unlink(launch);
	char code[64];
	struct weft_error err = { 0 };
	struct appd_session *session = take_answer(launch, &info, code, sizeof(code), &err);
	if (session == NULL) {
		weft_log(WEFT_WARN, "launch %s: %s", launch->app_id, err.msg);
	}
	/* The session's first event may have cost the client that asked its
	 * connection, in which case the launch was forgotten. */
	if (launch->done != NULL) {
		launch->done(launch->data, session, session != NULL ? NULL : code,
			session != NULL ? NULL : err.msg);
	}
	launch_destroy(launch);
	check_done(appd);
}

static void handle_timeout(void *data)
{
	struct appd_launch *launch = data;
	weft_log(WEFT_WARN,
		"launch %s: the package check (pid %d) is still running after %d s; "
		"killing it",
		launch->app_id, (int)launch->pid, CHECK_TIMEOUT_MS / 1000);
	launch->timed_out = true;
	pidfd_send_signal(launch->pidfd, SIGKILL, NULL, 0);
}

static void handle_wayland(void *data, int fd, const char *error)
{
	struct appd_launch *launch = data;
	launch->early.wayland_pending = false;
	if (fd < 0) {
		/* The session asks again, and fails if that fails too. */
		weft_log(WEFT_INFO, "launch %s: no early Wayland connection: %s", launch->app_id,
			error);
		return;
	}
	launch->early.wayland_fd = fd;
}

/* With a sandboxed spare to adopt: the session's id, and its Wayland
 * connection asked for now. Without, the session does both when it starts. */
static void prepare_early(struct appd_launch *launch)
{
	struct appd *appd = launch->appd;
	if (appd->compositor == NULL || !appd_spare_sandboxed(appd->spare)) {
		return;
	}
	snprintf(launch->early.session_id, sizeof(launch->early.session_id), "%llu",
		(unsigned long long)appd->next_session++);
	struct weft_error err = { 0 };
	launch->early.wayland_pending = appd_compositor_create_client(appd->compositor,
		launch->app_id, launch->early.session_id, handle_wayland, launch,
		&launch->early.wayland_request, &err);
	if (!launch->early.wayland_pending) {
		weft_log(WEFT_INFO, "launch %s: no early Wayland connection: %s", launch->app_id,
			err.msg);
	}
}

struct appd_launch *appd_launch_start(struct appd *appd, const char *app_id, appd_launch_func done,
	void *data, const char **code, struct weft_error *err)
{
	*code = WEFT_APPD_ERR_BUSY;
	if (appd->quitting) {
		weft_error_set(err, "appd is shutting down");
		return NULL;
	}
	if (appd->live + appd->nlaunches >= appd->config.max_sessions) {
		weft_error_set(err,
			"%zu sessions are live or launching, the most appd runs at once",
			appd->live + appd->nlaunches);
		return NULL;
	}
	*code = WEFT_APPD_ERR_INVALID_ARGUMENT;
	if (!weft_app_id_valid(app_id, err)) {
		weft_error_prefix(err, "invalid app id");
		return NULL;
	}
	*code = WEFT_APPD_ERR_INTERNAL;
	struct appd_launch *launch = calloc(1, sizeof(*launch));
	if (launch == NULL || (launch->app_id = strdup(app_id)) == NULL) {
		free(launch);
		weft_error_set(err, "out of memory");
		return NULL;
	}
	launch->appd = appd;
	launch->pidfd = launch->answer_fd = -1;
	launch->early.wayland_fd = -1;
	launch->done = done;
	launch->data = data;
	struct appd_helper helper;
	if (!appd_helper_start(&helper, "weft-appd-check", run_check, launch, err)) {
		launch_destroy(launch);
		return NULL;
	}
	launch->pid = helper.pid;
	launch->pidfd = helper.pidfd;
	launch->answer_fd = helper.answer_fd;
	launch->source = appd_loop_add_fd(appd->loop, launch->pidfd, EPOLLIN, handle_exit, launch,
		err);
	launch->timer = launch->source != NULL
		? appd_loop_add_timer(appd->loop, handle_timeout, launch, err)
		: NULL;
	if (launch->timer == NULL || !appd_timer_arm(launch->timer, CHECK_TIMEOUT_MS)) {
		if (launch->timer != NULL) {
			weft_error_errno(err, "timerfd_settime");
		}
		appd_pidfd_kill(launch->pidfd);
		launch_destroy(launch);
		return NULL;
	}
	prepare_early(launch);
	/* Oldest first, as restore saves them. */
	wl_list_insert(appd->launches.prev, &launch->link);
	launch->linked = true;
	appd->nlaunches++;
	weft_log(WEFT_DEBUG, "launch %s: checking the package (pid %d)", app_id, (int)launch->pid);
	*code = NULL;
	return launch;
}

void appd_launch_forget(struct appd_launch *launch)
{
	if (launch != NULL) {
		launch->done = NULL;
		launch->data = NULL;
	}
}

void appd_launches_stop(struct appd *appd)
{
	struct appd_launch *l;
	wl_list_for_each (l, &appd->launches, link) {
		pidfd_send_signal(l->pidfd, SIGKILL, NULL, 0);
	}
}

void appd_launches_free(struct appd *appd)
{
	struct appd_launch *launch, *tmp;
	wl_list_for_each_safe (launch, tmp, &appd->launches, link) {
		/* PR_SET_PDEATHSIG ends it once we are gone; no waiting here. */
		pidfd_send_signal(launch->pidfd, SIGKILL, NULL, 0);
		launch_destroy(launch);
	}
}

struct json_object *appd_launches_to_json(const struct appd *appd)
{
	struct json_object *array = json_object_new_array();
	struct appd_launch *l;
	wl_list_for_each (l, &appd->launches, link) {
		if (array == NULL) {
			break;
		}
		struct json_object *obj = json_object_new_object();
		if (obj == NULL) {
			break;
		}
		json_object_object_add(obj, WEFT_APPD_KEY_APP_ID,
			json_object_new_string(l->app_id));
		json_object_object_add(obj, WEFT_APPD_KEY_PID, json_object_new_int(l->pid));
		json_object_array_add(array, obj);
	}
	return array;
}

bool appd_launch_pending(const struct appd *appd, const char *app_id)
{
	const struct appd_launch *launch;
	wl_list_for_each (launch, &appd->launches, link) {
		if (strcmp(launch->app_id, app_id) == 0) {
			return true;
		}
	}
	return false;
}
