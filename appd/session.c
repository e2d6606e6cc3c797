/*
 * One app session (design §2): the runtime starts first, in a process
 * group of the session's own; once it says READY and the compositor has
 * given a tagged Wayland connection, the app-shell joins the group with its
 * end of the IPC pair. The first frame after READY makes the session
 * running.
 *
 * A sandboxed spare app-shell is adopted sooner: when the launch brought
 * the Wayland connection (launch.c), before the runtime is started, so that
 * Servo loads the page while the runtime's sandbox is built and its
 * component instantiated. It needs no process group (appd signals it by its
 * pidfd), it is in the session's limits before it is told the app, and its
 * view is created only then, as ever; the package was verified before
 * either process saw it. What the page sends before the runtime reads waits
 * in the IPC pair; a runtime that never says READY ends the session, and
 * the app-shell with it.
 *
 * The runtime's control channel carries READY, then its requests: a
 * notification goes to the subscribers, a clipboard request to the
 * compositor, and its answer back to the runtime when the compositor gives
 * it (or fails to in time), a connect to the session's network broker
 * (net.c), and the connected socket back with its answer.
 *
 * Any end (terminate, either process exiting, the window closing) tears
 * the whole session down the same way: SIGTERM to the group, a grace
 * period, SIGKILL, reap. Exited processes stay unreaped until the session
 * is over, so that the group's id cannot be reused under us while we still
 * signal it.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appd.h"
#include "spare.h"
#include "spawn.h"
#include "weft/appd-protocol.h"
#include "weft/compositor-protocol.h"
#include "weft/ipc.h"
#include "weft/log.h"
#include "weft/net.h"
#include "weft/runtime-protocol.h"
#include "weft/sandbox.h"

/* Ended sessions kept for state queries. */
#define HISTORY_MAX 64
/* How long an app-shell whose Wayland connection closed may take to exit
 * before we stop waiting for its status. */
#define CLIENT_GONE_MS 1000
/* How long a runtime that closed its channels may take to exit before its
 * app-shell's exit is taken as the story. */
#define EXIT_SETTLE_MS 500
/* Clipboard requests of one session waiting for the compositor. The
 * runtime asks one at a time; more is a runtime gone wrong. */
#define CLIPBOARD_CALLS_MAX 4

struct appd_proc {
	struct appd_session *session;
	const char *name; /* WEFT_APPD_PROCESS_*: in SESSION and logs */
	pid_t pid; /* 0 before it is started */
	int pidfd;
	struct appd_source *source;
	bool exited;
	int code; /* CLD_EXITED, CLD_KILLED or CLD_DUMPED */
	int status; /* the exit status or the signal */
	bool sandboxed;
	struct weft_sandbox_report sandbox; /* what it was started in */
};

/* A runtime's clipboard request, passed on to the compositor. */
struct clipboard_call {
	struct wl_list link; /* appd_session.clipboard_calls */
	struct appd_session *session;
	struct json_object *request; /* the runtime's, whose id the answer echoes */
	bool read;
	uint64_t compositor_request;
};

struct appd_session {
	struct wl_list link; /* appd.sessions */
	struct appd *appd;
	char id[24];
	char *app_id;
	struct appd_plan plan;
	enum appd_state state;
	int64_t started_at, ended_at; /* wall clock, for people */
	int64_t started_mono; /* for how long a launch took */
	int64_t launch_ms; /* launch to running; -1 until then */
	struct appd_proc runtime, shell;
	struct appd_limits_session *limits;
	struct appd_output *output; /* what runtime and app-shell print */

	int control_fd; /* our end of the runtime control channel */
	struct appd_source *control_source;
	int shell_ipc_fd; /* the app-shell's end of the IPC pair, until it starts */
	int wayland_fd; /* the tagged Wayland connection, until the app-shell starts */
	bool wayland_pending;
	uint64_t wayland_request;
	struct wl_list clipboard_calls; /* clipboard_call.link, newest first */
	struct appd_net *net; /* connects for its net:fetch grants */
	bool ready;
	bool first_frame; /* the compositor saw one (before READY, maybe) */
	bool client_gone;
	struct appd_source *timer; /* start deadline, then grace */
	bool killed; /* SIGKILL sent */

	bool crashed;
	char reason[256];
	struct appd_proc *culprit; /* whose exit made it crash */
};

static void session_finish(struct appd_session *s);

const char *appd_state_name(enum appd_state state)
{
	static const char *const names[] = {
		[APPD_STARTING] = WEFT_APPD_STATE_STARTING,
		[APPD_RUNNING] = WEFT_APPD_STATE_RUNNING,
		[APPD_STOPPING] = WEFT_APPD_STATE_STOPPING,
		[APPD_STOPPED] = WEFT_APPD_STATE_STOPPED,
		[APPD_CRASHED] = WEFT_APPD_STATE_CRASHED,
	};
	return names[state];
}

struct appd_session *appd_session_oldest(const struct appd *appd)
{
	struct appd_session *s;
	if (wl_list_empty(&appd->sessions)) {
		return NULL;
	}
	return wl_container_of(appd->sessions.prev, s, link);
}

struct appd_session *appd_session_newer(const struct appd_session *session)
{
	struct appd_session *s;
	if (session->link.prev == &session->appd->sessions) {
		return NULL;
	}
	return wl_container_of(session->link.prev, s, link);
}

enum appd_state appd_session_state(const struct appd_session *session)
{
	return session->state;
}

const char *appd_session_app_id(const struct appd_session *session)
{
	return session->app_id;
}

struct appd_session *appd_session_find(struct appd *appd, const char *id)
{
	struct appd_session *s;
	wl_list_for_each (s, &appd->sessions, link) {
		if (strcmp(s->id, id) == 0) {
			return s;
		}
	}
	return NULL;
}

/* ---- events ---- */

static struct json_object *exit_json(const struct appd_proc *proc)
{
	struct json_object *exit = json_object_new_object();
	if (exit == NULL) {
		return NULL;
	}
	json_object_object_add(exit, WEFT_APPD_KEY_PROCESS, json_object_new_string(proc->name));
	json_object_object_add(exit,
		proc->code == CLD_EXITED ? WEFT_APPD_KEY_STATUS : WEFT_APPD_KEY_SIGNAL,
		json_object_new_int(proc->status));
	return exit;
}

struct json_object *appd_session_to_json(const struct appd_session *s)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *caps = json_object_new_array();
	if (obj == NULL || caps == NULL) {
		json_object_put(obj);
		json_object_put(caps);
		return NULL;
	}
	json_object_object_add(obj, WEFT_APPD_KEY_ID, json_object_new_string(s->id));
	json_object_object_add(obj, WEFT_APPD_KEY_APP_ID, json_object_new_string(s->app_id));
	json_object_object_add(obj, WEFT_APPD_KEY_STATE,
		json_object_new_string(appd_state_name(s->state)));
	if (s->runtime.pid > 0) {
		json_object_object_add(obj, WEFT_APPD_KEY_RUNTIME_PID,
			json_object_new_int(s->runtime.pid));
	}
	if (s->shell.pid > 0) {
		json_object_object_add(obj, WEFT_APPD_KEY_APP_SHELL_PID,
			json_object_new_int(s->shell.pid));
	}
	json_object_object_add(obj, WEFT_APPD_KEY_STARTED_AT,
		json_object_new_int64(s->started_at));
	if (s->ended_at > 0) {
		json_object_object_add(obj, WEFT_APPD_KEY_ENDED_AT,
			json_object_new_int64(s->ended_at));
	}
	if (s->launch_ms >= 0) {
		json_object_object_add(obj, WEFT_APPD_KEY_LAUNCH_MS,
			json_object_new_int64(s->launch_ms));
	}
	for (size_t i = 0; i < s->plan.capabilities.len; i++) {
		json_object_array_add(caps, json_object_new_string(s->plan.capabilities.items[i]));
	}
	json_object_object_add(obj, WEFT_APPD_KEY_CAPABILITIES, caps);
	/* appd's, the same for every session: said per session so that whoever
	 * looks at one sees whether it is contained. */
	const char *why_not = appd_limits_not_enforced(s->appd->limits);
	char limits[512];
	snprintf(limits, sizeof(limits), "%s%s",
		why_not != NULL ? WEFT_APPD_LIMITS_NOT_ENFORCED : WEFT_APPD_LIMITS_ENFORCED,
		why_not != NULL ? why_not : "");
	json_object_object_add(obj, WEFT_APPD_KEY_LIMITS, json_object_new_string(limits));
	struct json_object *sandbox = json_object_new_object();
	const struct appd_proc *procs[] = { &s->runtime, &s->shell };
	for (size_t i = 0; sandbox != NULL && i < 2; i++) {
		if (procs[i]->pid > 0) {
			json_object_object_add(sandbox, procs[i]->name,
				appd_sandbox_json(procs[i]->name, procs[i]->sandboxed,
					&procs[i]->sandbox));
		}
	}
	json_object_object_add(obj, WEFT_APPD_KEY_SANDBOX, sandbox);
	if (s->reason[0] != '\0') {
		json_object_object_add(obj, WEFT_APPD_KEY_REASON,
			json_object_new_string(s->reason));
	}
	if (s->culprit != NULL) {
		json_object_object_add(obj, WEFT_APPD_KEY_EXIT, exit_json(s->culprit));
	}
	return obj;
}

static void set_state(struct appd_session *s, enum appd_state state)
{
	s->state = state;
	if (state == APPD_RUNNING) {
		s->launch_ms = weft_now_ms() - s->started_mono;
	}
	weft_log(WEFT_INFO, "session %s (%s): %s%s%s", s->id, s->app_id, appd_state_name(state),
		s->reason[0] != '\0' ? ": " : "", s->reason);
	struct json_object *event = json_object_new_object();
	if (event != NULL) {
		json_object_object_add(event, WEFT_MSG_EVENT,
			json_object_new_string(WEFT_APPD_EVENT_STATE));
		json_object_object_add(event, WEFT_APPD_KEY_SESSION, appd_session_to_json(s));
		appd_control_broadcast(s->appd->control, event, false);
		json_object_put(event);
	}
}

/* ---- teardown ---- */

static void describe_exit(const struct appd_proc *proc, char *buf, size_t size)
{
	if (proc->code == CLD_EXITED) {
		snprintf(buf, size, "%s exited with status %d", proc->name, proc->status);
	} else {
		snprintf(buf, size, "%s killed by signal %d (%s)", proc->name, proc->status,
			strsignal(proc->status));
	}
}

static bool proc_live(const struct appd_proc *proc)
{
	return proc->pid > 0 && !proc->exited;
}

static void signal_session(struct appd_session *s, int sig)
{
	/* The runtime leads the group and stays unreaped until the session is
	 * over, so the group id is still ours. */
	if (s->runtime.pid > 0 && kill(-s->runtime.pid, sig) != 0 && errno != ESRCH) {
		weft_log_errno(WEFT_WARN, "session %s: kill group %d", s->id, (int)s->runtime.pid);
	}
	if (proc_live(&s->shell)) {
		pidfd_send_signal(s->shell.pidfd, sig, NULL, 0);
	}
	if (sig == SIGKILL && s->limits != NULL) {
		appd_limits_session_kill(s->limits);
	}
}

static void close_handover(struct appd_session *s)
{
	if (s->shell_ipc_fd >= 0) {
		close(s->shell_ipc_fd);
		s->shell_ipc_fd = -1;
	}
	if (s->wayland_fd >= 0) {
		close(s->wayland_fd);
		s->wayland_fd = -1;
	}
	if (s->wayland_pending) {
		appd_compositor_cancel(s->appd->compositor, s->wayland_request);
		s->wayland_pending = false;
	}
}

static void clipboard_call_free(struct clipboard_call *call)
{
	wl_list_remove(&call->link);
	json_object_put(call->request);
	free(call);
}

/* An ending session's runtime gets no more answers: the compositor's are
 * dropped when they come. */
static void cancel_clipboard_calls(struct appd_session *s)
{
	struct clipboard_call *call, *tmp;
	wl_list_for_each_safe (call, tmp, &s->clipboard_calls, link) {
		appd_compositor_cancel(s->appd->compositor, call->compositor_request);
		clipboard_call_free(call);
	}
}

static void session_stop(struct appd_session *s, bool crashed, struct appd_proc *culprit,
	const char *fmt, ...) WEFT_PRINTF(4, 5);

static void handle_timer(void *data);

/* What the session's timer would do later, done now when it cannot be
 * armed: a stopping session gets its SIGKILL at once rather than never. */
static void arm_timer(struct appd_session *s, int ms)
{
	if (!appd_timer_arm(s->timer, ms)) {
		weft_log_errno(WEFT_ERROR, "session %s: cannot arm its timer; acting now", s->id);
		handle_timer(s);
	}
}

static void session_stop(struct appd_session *s, bool crashed, struct appd_proc *culprit,
	const char *fmt, ...)
{
	if (s->state >= APPD_STOPPING) {
		return;
	}
	va_list args;
	va_start(args, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, args);
	va_end(args);
	s->crashed = crashed;
	s->culprit = culprit;
	close_handover(s);
	cancel_clipboard_calls(s);
	appd_net_destroy(s->net);
	s->net = NULL;
	if (s->shell.pid > 0 && s->appd->compositor != NULL) {
		appd_compositor_close_session(s->appd->compositor, s->id);
	}
	set_state(s, APPD_STOPPING);
	signal_session(s, SIGTERM);
	if (!proc_live(&s->runtime) && !proc_live(&s->shell)) {
		session_finish(s);
		return;
	}
	arm_timer(s, s->appd->config.grace_ms);
}

void appd_session_terminate(struct appd_session *session)
{
	session_stop(session, false, NULL, "terminated");
}

static void reap(struct appd_proc *proc)
{
	if (proc->pid <= 0) {
		return;
	}
	appd_source_remove(proc->source);
	proc->source = NULL;
	siginfo_t info;
	while (waitid(P_PIDFD, (id_t)proc->pidfd, &info, WEXITED) != 0 && errno == EINTR) {
	}
	close(proc->pidfd);
	proc->pidfd = -1;
}

/* Forgets the sessions that ended longest ago, never keep: whoever ended it
 * may still be holding it. */
static void prune_history(struct appd *appd, const struct appd_session *keep)
{
	/* Not while appd_sessions_stop_all() walks the list. */
	while (!appd->quitting && appd->ended > HISTORY_MAX) {
		struct appd_session *oldest = NULL, *s;
		wl_list_for_each (s, &appd->sessions, link) {
			if (s->state >= APPD_STOPPED && s != keep &&
				(oldest == NULL || s->ended_at <= oldest->ended_at)) {
				oldest = s;
			}
		}
		if (oldest == NULL) {
			return;
		}
		wl_list_remove(&oldest->link);
		appd->ended--;
		appd_plan_finish(&oldest->plan);
		free(oldest->app_id);
		free(oldest);
	}
}

static void session_finish(struct appd_session *s)
{
	struct appd *appd = s->appd;
	/* Whatever the processes left in their group or cgroup goes too. */
	signal_session(s, SIGKILL);
	reap(&s->runtime);
	reap(&s->shell);
	/* Their last words, such as a trap's backtrace, are in the pipes. */
	appd_output_destroy(s->output);
	s->output = NULL;
	close_handover(s);
	cancel_clipboard_calls(s);
	appd_net_destroy(s->net);
	s->net = NULL;
	appd_source_remove(s->control_source);
	s->control_source = NULL;
	if (s->control_fd >= 0) {
		close(s->control_fd);
		s->control_fd = -1;
	}
	appd_source_remove(s->timer);
	s->timer = NULL;
	appd_limits_session_destroy(s->limits);
	s->limits = NULL;
	s->ended_at = appd_wall_ms();
	appd->live--;
	appd->ended++;
	set_state(s, s->crashed ? APPD_CRASHED : APPD_STOPPED);
	appd_image_release(appd, s->app_id, s->plan.image_mount);
	/* A shutdown keeps the list, so that the next appd restores it. */
	if (!appd->quitting) {
		appd_restore_save(appd);
	}
	prune_history(appd, s);
	if (appd->quitting && appd->live == 0 && wl_list_empty(&appd->launches)) {
		appd->done = true;
	}
}

/* ---- processes ---- */

/* Records proc's exit if it has exited; true if it has (now or before). */
static bool check_exit(struct appd_proc *proc)
{
	if (proc->exited) {
		return true;
	}
	if (proc->pid <= 0) {
		return false;
	}
	siginfo_t info = { 0 };
	/* WNOWAIT: the status now, the reaping when the session is over. */
	if (waitid(P_PIDFD, (id_t)proc->pidfd, &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
		info.si_pid == 0) {
		return false;
	}
	proc->exited = true;
	proc->code = info.si_code;
	proc->status = info.si_status;
	appd_source_remove(proc->source);
	proc->source = NULL;
	return true;
}

static bool abnormal(const struct appd_proc *proc)
{
	return proc->code != CLD_EXITED || proc->status != 0;
}

/* Why a live session ends, once one or both of its processes exited. */
static void stop_for_exit(struct appd_session *s)
{
	struct appd_proc *procs[] = { &s->runtime, &s->shell };
	/* Whichever went first, a crash is the story: the other process often
	 * only followed its peer out. */
	for (size_t i = 0; i < 2; i++) {
		if (procs[i]->exited && abnormal(procs[i])) {
			char what[128];
			describe_exit(procs[i], what, sizeof(what));
			session_stop(s, true, procs[i], "%s", what);
			return;
		}
	}
	if (s->runtime.exited && !s->ready) {
		session_stop(s, true, &s->runtime, "runtime exited before READY");
	} else if (s->runtime.exited) {
		session_stop(s, false, NULL, "the app quit");
	} else {
		session_stop(s, false, NULL, "app-shell exited");
	}
}

/* Whether the runtime has closed its end of the control channel, as it
 * does when it exits. */
static bool runtime_hung_up(struct appd_session *s)
{
	struct pollfd pfd = { .fd = s->control_fd, .events = POLLIN };
	return s->control_fd >= 0 && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

static void handle_exit(int fd, uint32_t events, void *data)
{
	struct appd_proc *proc = data;
	struct appd_session *s = proc->session;
	if (!check_exit(proc)) {
		return;
	}
	if (s->state < APPD_STOPPING) {
		check_exit(proc == &s->runtime ? &s->shell : &s->runtime);
		if (proc == &s->shell && !abnormal(proc) && !s->runtime.exited &&
			runtime_hung_up(s)) {
			/* The runtime is on its way out, and the app-shell only saw
			 * its peer go: the runtime's status tells what happened. */
			arm_timer(s, EXIT_SETTLE_MS);
			return;
		}
		stop_for_exit(s);
		return;
	}
	/* Neither a clean exit nor our SIGTERM, and before our SIGKILL: that is
	 * a crash, which the other process's earlier exit (it saw its peer
	 * hang up) may have hidden. */
	bool by_us = s->killed || (proc->code == CLD_KILLED && proc->status == SIGTERM);
	if (!s->crashed && !by_us && abnormal(proc)) {
		s->crashed = true;
		s->culprit = proc;
		describe_exit(proc, s->reason, sizeof(s->reason));
	}
	if (!proc_live(&s->runtime) && !proc_live(&s->shell)) {
		session_finish(s);
	}
}

static bool watch_proc(struct appd_session *s, struct appd_proc *proc,
	const struct appd_child *child, struct weft_error *err)
{
	proc->pid = child->pid;
	proc->pidfd = child->pidfd;
	proc->source = appd_loop_add_fd(s->appd->loop, proc->pidfd, EPOLLIN, handle_exit, proc,
		err);
	return proc->source != NULL;
}

/* Starts a gated child, puts it under the session's limits, lets it go. */
static bool spawn(struct appd_session *s, struct appd_proc *proc, struct appd_spawn *sp,
	struct weft_error *err)
{
	struct appd_child child;
	sp->cgroup_fd = s->limits != NULL ? appd_limits_session_cgroup_fd(s->limits) : -1;
	sp->cgroup_procs_fd = s->limits != NULL ? appd_limits_session_procs_fd(s->limits) : -1;
	if (appd_output_open(s->output, proc->name, &sp->output_fd, err) == 0) {
		weft_error_prefix(err, "start %s", proc->name);
		return false;
	}
	bool started = appd_spawn_start(sp, &child, err);
	close(sp->output_fd);
	if (!started) {
		weft_error_prefix(err, "start %s", proc->name);
		return false;
	}
	bool ok = appd_limits_session_attach(s->limits, child.pid, err);
	bool exec_ok = appd_child_release(&child, ok, err);
	proc->sandboxed = child.sandboxed;
	if (child.sandboxed) {
		proc->sandbox = child.sandbox.report;
	}
	if (ok && exec_ok) {
		ok = watch_proc(s, proc, &child, err);
	} else {
		/* It exits at its closed gate, or where its sandbox failed;
		 * keep it to reap. */
		weft_error_prefix(err, "start %s", proc->name);
		proc->pid = child.pid;
		proc->pidfd = child.pidfd;
		proc->exited = true;
		ok = false;
	}
	if (ok) {
		char line[1024] = "NO SANDBOX (--insecure-no-sandbox)";
		if (child.sandboxed) {
			weft_sandbox_report_format(&child.sandbox.report, line, sizeof(line));
		}
		weft_log(WEFT_INFO, "session %s: %s is pid %d; %s", s->id, proc->name,
			(int)child.pid, line);
	}
	return ok;
}

/*
 * Hands the spare app-shell, when there is one, what a spawned one gets:
 * the session's limits, then its command line and fds in one message, on
 * which it joins the session's process group itself. false: spawn one.
 */
static bool adopt_spare(struct appd_session *s, bool *failed)
{
	struct appd_spare_child child;
	*failed = false;
	if (!appd_spare_take(s->appd->spare, s->plan.package_dir, &child)) {
		return false;
	}
	struct weft_error err = { 0 };
	/* What it prints from now on is the session's. */
	if (child.output_fd >= 0 &&
		appd_output_add(s->output, s->shell.name, child.output_fd, &err) == 0) {
		weft_log(WEFT_WARN, "session %s: the spare's output: %s", s->id, err.msg);
	}
	int fds[] = { s->shell_ipc_fd, s->wayland_fd };
	bool ok;
	if (child.limits != NULL && s->runtime.pid <= 0) {
		/* Born in a cgroup of its own, which becomes the session's (the
		 * runtime is born in it next): no move. */
		appd_limits_session_destroy(s->limits);
		s->limits = child.limits;
		child.limits = NULL;
		ok = true;
	} else {
		ok = appd_limits_session_adopt(s->limits, child.pid, &err);
	}
	ok = ok &&
		appd_spare_adopt(&child, s->app_id, s->id, s->plan.package_dir, s->runtime.pid,
			fds, s->wayland_fd >= 0 ? 2 : 1, &err);
	close(child.sock);
	if (ok) {
		/* Moved out of its own cgroup, which is empty now. */
		appd_limits_session_destroy(child.limits);
		struct appd_child spawned = { .pid = child.pid, .pidfd = child.pidfd };
		s->shell.sandboxed = child.sandboxed;
		s->shell.sandbox = child.report;
		ok = watch_proc(s, &s->shell, &spawned, &err);
		if (!ok) {
			/* Ours to end and reap with the session. */
			pidfd_send_signal(child.pidfd, SIGKILL, NULL, 0);
			s->shell.exited = true;
			weft_log(WEFT_ERROR, "session %s: %s", s->id, err.msg);
			*failed = true;
			return true;
		}
		weft_log(WEFT_INFO, "session %s: adopted the spare app-shell %d", s->id,
			(int)child.pid);
		return true;
	}
	/* Not adopted: it goes, and a new app-shell is spawned instead. */
	weft_log(WEFT_WARN, "session %s: %s; spawning an app-shell instead", s->id, err.msg);
	appd_pidfd_kill(child.pidfd);
	close(child.pidfd);
	appd_limits_session_destroy(child.limits);
	return false;
}

static void start_shell(struct appd_session *s)
{
	struct appd *appd = s->appd;
	if (!s->ready || s->wayland_pending || s->shell.pid > 0 || s->state != APPD_STARTING) {
		return;
	}
	if (!appd_timer_arm(s->timer, 0)) {
		/* Its firing now finds nothing to do. */
		weft_log_errno(WEFT_WARN, "session %s: disarm the ready timer", s->id);
	}
	/* appd keeps a spare only with a compositor, whose first-frame
	 * event makes the session running. */
	bool failed;
	if (adopt_spare(s, &failed)) {
		close_handover(s);
		if (failed) {
			session_stop(s, true, NULL, "cannot watch the adopted app-shell");
		}
		return;
	}
	struct weft_error err = { 0 };
	struct weft_strv argv, env;
	weft_strv_init(&argv);
	bool ok = weft_strv_push(&argv, appd->config.app_shell_path) &&
		weft_strv_push(&argv, "--app-id") && weft_strv_push(&argv, s->app_id) &&
		weft_strv_push(&argv, "--session") && weft_strv_push(&argv, s->id) &&
		weft_strv_push(&argv, "--ipc-fd") && weft_strv_push(&argv, "3") &&
		weft_strv_push(&argv, s->plan.package_dir);
	/* WAYLAND_SOCKET is libwayland's: the client takes the fd and clears
	 * it. The compositor's socket path is never in the sandbox. */
	const char *extra[] = { s->wayland_fd >= 0 ? "WAYLAND_SOCKET=4" : NULL, NULL };
	struct weft_sandbox_policy *policy = NULL;
	weft_strv_init(&env);
	if (!ok) {
		weft_error_set(&err, "out of memory");
	} else if (appd->config.insecure_no_sandbox) {
		ok = appd_child_env(&env, extra, &err);
	} else {
		policy = appd_sandbox_app_shell(&appd->config, s->app_id, &s->plan, &err);
		ok = policy != NULL &&
			(extra[0] == NULL || weft_sandbox_policy_setenv(policy, extra[0], &err));
	}
	if (ok) {
		int fds[] = { s->shell_ipc_fd, s->wayland_fd };
		struct appd_spawn sp = {
			.path = appd->config.app_shell_path,
			.argv = argv.items,
			.envp = env.items,
			.policy = policy,
			.fds = fds,
			.nfds = s->wayland_fd >= 0 ? 2 : 1,
			.pgid = s->runtime.pid,
		};
		ok = spawn(s, &s->shell, &sp, &err);
	}
	weft_sandbox_policy_destroy(policy);
	weft_strv_finish(&env);
	weft_strv_finish(&argv);
	/* Its ends are its own now, or nobody's. */
	close_handover(s);
	if (!ok) {
		weft_log(WEFT_ERROR, "session %s: %s", s->id, err.msg);
		session_stop(s, true, NULL, "%s", err.msg);
		return;
	}
	if (appd->compositor == NULL) {
		/* Nobody will report a first frame: READY is as far as we see. */
		set_state(s, APPD_RUNNING);
	}
}

static void handle_wayland(void *data, int fd, const char *error)
{
	struct appd_session *s = data;
	s->wayland_pending = false;
	if (fd < 0) {
		session_stop(s, true, NULL, "the compositor gave no Wayland connection: %s",
			error);
		return;
	}
	s->wayland_fd = fd;
	start_shell(s);
}

/* ---- the runtime control channel ---- */

/* Takes reply, which may be NULL (out of memory); passes fd along with it
 * unless it is -1. */
static void control_reply_fd(struct appd_session *s, struct json_object *reply, int fd)
{
	struct weft_error err = { 0 };
	if (reply != NULL &&
		!weft_ipc_send_json(s->control_fd, reply, &fd, fd >= 0 ? 1 : 0, &err)) {
		bool too_large = errno == EMSGSIZE;
		weft_log(WEFT_WARN, "session %s: control: %s", s->id, err.msg);
		if (too_large) {
			/* A clipboard's text near the cap, and a longer id than the
			 * compositor's: the reply echoes the request's id. */
			control_reply_fd(s,
				weft_ipc_reply_error(reply, WEFT_RUNTIME_ERR_TOO_LARGE,
					"the reply does not fit in a message"),
				-1);
		}
	}
	json_object_put(reply);
}

static void control_reply(struct appd_session *s, struct json_object *reply)
{
	control_reply_fd(s, reply, -1);
}

static bool has_capability(struct appd_session *s, const char *cap)
{
	return weft_strv_contains(&s->plan.capabilities, cap);
}

/* A notification goes to whoever shows them: the subscribers (the shell). */
static struct json_object *route_notification(struct appd_session *s, struct json_object *req,
	const struct appd_runtime_request *r)
{
	const char *title = r->title, *body = r->body, *icon = r->icon;
	if (!has_capability(s, "sys:notifications")) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_PERMISSION_DENIED,
			"capability not granted: sys:notifications");
	}
	if (title == NULL || body == NULL) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_INVALID_ARGUMENT,
			"title and body are required");
	}
	struct json_object *event = json_object_new_object();
	if (event == NULL) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_INTERNAL, "out of memory");
	}
	json_object_object_add(event, WEFT_MSG_EVENT,
		json_object_new_string(WEFT_APPD_EVENT_NOTIFICATION));
	json_object_object_add(event, WEFT_APPD_KEY_SESSION_ID, json_object_new_string(s->id));
	json_object_object_add(event, WEFT_APPD_KEY_APP_ID, json_object_new_string(s->app_id));
	json_object_object_add(event, WEFT_APPD_KEY_TITLE, json_object_new_string(title));
	json_object_object_add(event, WEFT_APPD_KEY_BODY, json_object_new_string(body));
	json_object_object_add(event, WEFT_APPD_KEY_ICON,
		icon != NULL ? json_object_new_string(icon) : NULL);
	size_t subscribers = appd_control_subscribers(s->appd->control);
	size_t shown = appd_control_broadcast(s->appd->control, event, true);
	json_object_put(event);
	if (shown == 0) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_UNAVAILABLE, "%s",
			subscribers == 0 ? "no system UI to show notifications"
					 : "the system UI is busy: try again later");
	}
	return weft_ipc_reply_ok(req);
}

static void handle_clipboard_answer(void *data, struct json_object *answer, const char *code,
	const char *message)
{
	struct clipboard_call *call = data;
	struct appd_session *s = call->session;
	struct json_object *req = call->request;
	struct json_object *error, *v;
	struct json_object *reply;
	if (answer == NULL) {
		reply = weft_ipc_reply_error(req, code, "%s", message);
	} else if (json_object_object_get_ex(answer, WEFT_MSG_ERROR, &error)) {
		/* The compositor's own words: "empty", "timeout", "not_utf8"... */
		const char *c = json_object_object_get_ex(error, WEFT_MSG_CODE, &v)
			? json_object_get_string(v)
			: WEFT_RUNTIME_ERR_INTERNAL;
		const char *m = json_object_object_get_ex(error, WEFT_MSG_MESSAGE, &v)
			? json_object_get_string(v)
			: "refused";
		reply = weft_ipc_reply_error(req, c, "%s", m);
	} else if (!call->read) {
		reply = weft_ipc_reply_ok(req);
	} else if (json_object_object_get_ex(answer, WEFT_COMPOSITOR_KEY_TEXT, &v) &&
		json_object_is_type(v, json_type_string)) {
		reply = weft_ipc_reply_ok(req);
		if (reply != NULL) {
			json_object_object_add(reply, WEFT_RUNTIME_KEY_TEXT, json_object_get(v));
		}
	} else {
		reply = weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_INTERNAL,
			"the compositor's answer holds no text");
	}
	control_reply(s, reply);
	clipboard_call_free(call);
}

/* The clipboard is the compositor's: the request goes there, and the reply
 * (NULL here) to the runtime once the compositor answered. */
static struct json_object *route_clipboard(struct appd_session *s, struct json_object *req,
	const struct appd_runtime_request *r)
{
	bool read = r->type == APPD_RUNTIME_CLIPBOARD_READ;
	const char *cap = read ? "sys:clipboard:read" : "sys:clipboard:write";
	const char *text = r->text;
	if (!has_capability(s, cap)) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_PERMISSION_DENIED,
			"capability not granted: %s", cap);
	}
	if (!read && text == NULL) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_INVALID_ARGUMENT,
			"text is required");
	}
	if (s->appd->compositor == NULL) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_UNAVAILABLE,
			"no compositor holds a clipboard");
	}
	if (wl_list_length(&s->clipboard_calls) >= CLIPBOARD_CALLS_MAX) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_BUSY,
			"too many clipboard requests at once");
	}
	struct clipboard_call *call = calloc(1, sizeof(*call));
	if (call == NULL) {
		return weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_INTERNAL, "out of memory");
	}
	struct weft_error err = { 0 };
	if (!appd_compositor_clipboard(s->appd->compositor, read ? NULL : text,
		    handle_clipboard_answer, call, &call->compositor_request, &err)) {
		/* Text near the cap may not fit in the compositor's message. */
		const char *code = errno == EMSGSIZE ? WEFT_RUNTIME_ERR_TOO_LARGE
						     : WEFT_RUNTIME_ERR_UNAVAILABLE;
		free(call);
		return weft_ipc_reply_error(req, code, "%s", err.msg);
	}
	call->session = s;
	call->request = json_object_get(req);
	call->read = read;
	wl_list_insert(&s->clipboard_calls, &call->link);
	return NULL;
}

static void handle_control_request(struct appd_session *s, const char *buf, size_t len)
{
	struct appd_runtime_request r;
	struct json_object *reply = NULL;
	struct json_object *req = appd_runtime_request_decode(buf, len, &r, &reply);
	if (req == NULL) {
		control_reply(s, reply);
		return;
	}
	switch (r.type) {
	case APPD_RUNTIME_NOTIFICATION:
		reply = route_notification(s, req, &r);
		break;
	case APPD_RUNTIME_CLIPBOARD_READ:
	case APPD_RUNTIME_CLIPBOARD_WRITE:
		reply = route_clipboard(s, req, &r);
		break;
	case APPD_RUNTIME_CONNECT:
		if (s->net == NULL) {
			reply = weft_ipc_reply_error(req, WEFT_RUNTIME_ERR_UNAVAILABLE,
				"the session is stopping");
		} else {
			/* The broker answers, now or once it has connected. */
			appd_net_connect(s->net, req, &r);
		}
		break;
	}
	/* NULL: answered later. */
	if (reply != NULL) {
		control_reply(s, reply);
	}
	json_object_put(req);
}

static void handle_connect_answer(void *data, struct json_object *reply, int fd)
{
	control_reply_fd(data, reply, fd);
}

static void handle_ready(struct appd_session *s)
{
	if (s->ready) {
		return;
	}
	s->ready = true;
	weft_log(WEFT_DEBUG, "session %s: READY after %lld ms", s->id,
		(long long)(weft_now_ms() - s->started_mono));
	if (s->shell.pid > 0) {
		/* Adopted before the runtime started: the deadline was READY's. */
		if (!appd_timer_arm(s->timer, 0)) {
			weft_log_errno(WEFT_WARN, "session %s: disarm the ready timer", s->id);
		}
		if (s->first_frame) {
			set_state(s, APPD_RUNNING);
		}
		return;
	}
	start_shell(s);
}

static void handle_control(int fd, uint32_t events, void *data)
{
	struct appd_session *s = data;
	char *buf = s->appd->buf;
	for (int i = 0; i < 16; i++) {
		struct weft_error err = { 0 };
		ssize_t n = weft_ipc_recv(fd, buf, WEFT_MSG_MAX, NULL, NULL, &err);
		if (n < 0 && errno == EAGAIN) {
			return;
		}
		if (n <= 0) {
			/* The runtime's exit tells the rest; stop listening. */
			if (n < 0) {
				weft_log(WEFT_WARN, "session %s: control: %s", s->id, err.msg);
			}
			appd_source_remove(s->control_source);
			s->control_source = NULL;
			return;
		}
		/* READY, with its newline or without. */
		size_t len = (size_t)n, ready = strlen(WEFT_RUNTIME_READY);
		if ((len == ready || len == ready - 1) &&
			memcmp(buf, WEFT_RUNTIME_READY, len) == 0) {
			if (s->state == APPD_STARTING) {
				handle_ready(s);
			}
		} else {
			buf[n] = '\0';
			handle_control_request(s, buf, (size_t)n);
		}
	}
}

/* ---- timers ---- */

static void handle_timer(void *data)
{
	struct appd_session *s = data;
	int ms = s->appd->config.ready_timeout_ms;
	if (s->state == APPD_STOPPING) {
		weft_log(WEFT_WARN, "session %s: still there after %d ms; SIGKILL", s->id,
			s->appd->config.grace_ms);
		s->killed = true;
		signal_session(s, SIGKILL);
	} else if (s->shell.exited) {
		stop_for_exit(s);
	} else if (s->client_gone) {
		session_stop(s, false, NULL, "the app-shell closed its Wayland connection");
	} else if (s->state == APPD_STARTING && !s->ready) {
		session_stop(s, true, NULL, "no READY from the runtime within %d ms", ms);
	} else if (s->state == APPD_STARTING && s->wayland_pending) {
		session_stop(s, true, NULL,
			"no Wayland connection from the compositor within %d ms", ms);
	}
}

/* ---- compositor events ---- */

void appd_session_compositor_event(struct appd *appd, const char *event, const char *session_id)
{
	struct appd_session *s = appd_session_find(appd, session_id);
	if (s == NULL || s->state >= APPD_STOPPING) {
		return;
	}
	if (strcmp(event, WEFT_COMPOSITOR_EVENT_FIRST_FRAME) == 0) {
		s->first_frame = true;
		/* An app-shell adopted before READY may draw before it: the
		 * session runs once both are in (handle_ready). */
		if (s->state == APPD_STARTING && s->shell.pid > 0 && s->ready) {
			set_state(s, APPD_RUNNING);
		}
	} else if (strcmp(event, WEFT_COMPOSITOR_EVENT_WINDOW_CLOSED) == 0) {
		session_stop(s, false, NULL, "window closed");
	} else if (strcmp(event, WEFT_COMPOSITOR_EVENT_CLIENT_GONE) == 0 && s->shell.pid > 0 &&
		!s->client_gone) {
		/* Usually the app-shell on its way out: let its exit status
		 * say how it ended, but do not wait for it for ever. */
		s->client_gone = true;
		arm_timer(s, CLIENT_GONE_MS);
	}
}

/* ---- launch ---- */

static void session_free_unstarted(struct appd_session *s)
{
	close_handover(s);
	if (s->shell.pid > 0) {
		/* Adopted early, then the runtime could not start. */
		pidfd_send_signal(s->shell.pidfd, SIGKILL, NULL, 0);
		reap(&s->shell);
	}
	appd_net_destroy(s->net);
	appd_source_remove(s->control_source);
	if (s->control_fd >= 0) {
		close(s->control_fd);
	}
	appd_source_remove(s->timer);
	appd_output_destroy(s->output);
	appd_limits_session_destroy(s->limits);
	appd_image_release(s->appd, s->app_id, s->plan.image_mount);
	appd_plan_finish(&s->plan);
	free(s->app_id);
	free(s);
}

bool appd_sessions_use_image(const struct appd *appd, const char *mountpoint)
{
	const struct appd_session *s;
	wl_list_for_each (s, &appd->sessions, link) {
		if (s->state < APPD_STOPPED && s->plan.image_mount != NULL &&
			strcmp(s->plan.image_mount, mountpoint) == 0) {
			return true;
		}
	}
	return false;
}

static bool start_runtime(struct appd_session *s, int control_fd, int ipc_fd,
	struct weft_error *err)
{
	struct appd *appd = s->appd;
	struct weft_strv argv, env;
	weft_strv_init(&argv);
	bool ok = weft_strv_push(&argv, appd->config.runtime_path) &&
		weft_strv_push(&argv, "--app-id") && weft_strv_push(&argv, s->app_id) &&
		weft_strv_push(&argv, "--control-fd") && weft_strv_push(&argv, "3") &&
		weft_strv_push(&argv, "--ipc-fd") && weft_strv_push(&argv, "4");
	for (size_t i = 0; ok && i < s->plan.runtime_args.len; i++) {
		ok = weft_strv_push(&argv, s->plan.runtime_args.items[i]);
	}
	ok = ok && weft_strv_push(&argv, s->plan.component);
	if (!ok) {
		weft_error_set(err, "out of memory");
		weft_strv_finish(&argv);
		return false;
	}
	struct weft_sandbox_policy *policy = NULL;
	weft_strv_init(&env);
	if (appd->config.insecure_no_sandbox) {
		ok = appd_child_env(&env, NULL, err);
	} else {
		policy = appd_sandbox_runtime(&appd->config, s->app_id, &s->plan, err);
		ok = policy != NULL;
	}
	if (!ok) {
		weft_error_prefix(err, "start runtime");
		weft_strv_finish(&argv);
		return false;
	}
	int fds[] = { control_fd, ipc_fd };
	struct appd_spawn sp = {
		.path = appd->config.runtime_path,
		.argv = argv.items,
		.envp = env.items,
		.policy = policy,
		.fds = fds,
		.nfds = 2,
		.pgid = 0,
	};
	ok = spawn(s, &s->runtime, &sp, err);
	weft_sandbox_policy_destroy(policy);
	weft_strv_finish(&env);
	weft_strv_finish(&argv);
	return ok;
}

/* Adopts a sandboxed spare before the runtime starts, when the launch
 * brought the Wayland connection: see the top of the file. false only when
 * it was taken and could not be watched. */
static bool adopt_early(struct appd_session *s)
{
	if (s->wayland_fd < 0 || !appd_spare_sandboxed(s->appd->spare)) {
		return true;
	}
	bool failed;
	if (adopt_spare(s, &failed)) {
		close_handover(s);
		return !failed;
	}
	return true;
}

/* The launch's early Wayland connection, or its request still on its way,
 * is the session's from now on. */
static void take_early(struct appd_session *s, struct appd_launch_early *early)
{
	if (early == NULL) {
		return;
	}
	s->wayland_fd = early->wayland_fd;
	early->wayland_fd = -1;
	if (early->wayland_pending) {
		early->wayland_pending = false;
		if (appd_compositor_retarget(s->appd->compositor, early->wayland_request,
			    handle_wayland, s)) {
			s->wayland_pending = true;
			s->wayland_request = early->wayland_request;
		}
	}
}

struct appd_session *appd_session_start(struct appd *appd, const char *app_id,
	struct appd_plan *plan, struct appd_launch_early *early, const char **code,
	struct weft_error *err)
{
	*code = WEFT_APPD_ERR_INTERNAL;
	struct appd_session *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->app_id = strdup(app_id)) == NULL) {
		weft_error_set(err, "out of memory");
		appd_plan_finish(plan);
		free(s);
		if (early != NULL && early->wayland_pending) {
			appd_compositor_cancel(appd->compositor, early->wayland_request);
			early->wayland_pending = false;
		}
		if (early != NULL && early->wayland_fd >= 0) {
			close(early->wayland_fd);
			early->wayland_fd = -1;
		}
		return NULL;
	}
	s->appd = appd;
	s->plan = *plan;
	wl_list_init(&s->clipboard_calls);
	s->control_fd = s->shell_ipc_fd = s->wayland_fd = -1;
	s->runtime = (struct appd_proc){ .session = s,
		.name = WEFT_APPD_PROCESS_RUNTIME,
		.pidfd = -1 };
	s->shell = (struct appd_proc){ .session = s,
		.name = WEFT_APPD_PROCESS_APP_SHELL,
		.pidfd = -1 };
	take_early(s, early);
	if (appd->quitting) {
		*code = WEFT_APPD_ERR_BUSY;
		weft_error_set(err, "appd is shutting down");
		session_free_unstarted(s);
		return NULL;
	}
	if (early != NULL && early->session_id[0] != '\0') {
		snprintf(s->id, sizeof(s->id), "%s", early->session_id);
	} else {
		snprintf(s->id, sizeof(s->id), "%llu", (unsigned long long)appd->next_session++);
	}
	s->started_at = appd_wall_ms();
	s->started_mono = weft_now_ms();
	s->launch_ms = -1;

	int control[2] = { -1, -1 }, ipc[2] = { -1, -1 };
	s->limits = appd_limits_session_create(appd->limits, app_id, s->id, err);
	s->timer = s->limits != NULL ? appd_loop_add_timer(appd->loop, handle_timer, s, err)
				     : NULL;
	if (s->timer != NULL) {
		char owner[160];
		snprintf(owner, sizeof(owner), "session %s (%s)", s->id, app_id);
		s->output = appd_output_create(appd->loop, owner, err);
	}
	if (s->output != NULL) {
		char owner[48];
		snprintf(owner, sizeof(owner), "session %s", s->id);
		s->net = appd_net_create(appd, owner, &s->plan.capabilities, handle_connect_answer,
			s, err);
	}
	bool ok = s->net != NULL && weft_ipc_socketpair(control, err) &&
		weft_ipc_socketpair(ipc, err);
	if (ok) {
		s->control_fd = control[0];
		s->shell_ipc_fd = ipc[1];
		ok = fcntl(s->control_fd, F_SETFL, O_NONBLOCK) == 0;
		if (!ok) {
			weft_error_errno(err, "control channel");
		}
	}
	if (ok) {
		s->control_source = appd_loop_add_fd(appd->loop, s->control_fd, EPOLLIN,
			handle_control, s, err);
		ok = s->control_source != NULL;
	}
	if (ok && appd->compositor != NULL && s->wayland_fd < 0 && !s->wayland_pending) {
		ok = appd_compositor_create_client(appd->compositor, app_id, s->id, handle_wayland,
			s, &s->wayland_request, err);
		s->wayland_pending = ok;
	}
	if (ok && !adopt_early(s)) {
		weft_error_set(err, "cannot watch the adopted app-shell");
		ok = false;
	}
	ok = ok && start_runtime(s, control[1], ipc[0], err);
	if (ok && !appd_timer_arm(s->timer, appd->config.ready_timeout_ms)) {
		weft_error_errno(err, "arm the ready timer");
		ok = false;
	}
	if (control[1] >= 0) {
		close(control[1]);
	}
	if (ipc[0] >= 0) {
		close(ipc[0]);
	}
	if (!ok) {
		if (s->runtime.pid > 0) {
			kill(s->runtime.pid, SIGKILL);
			reap(&s->runtime);
		}
		session_free_unstarted(s);
		return NULL;
	}

	wl_list_insert(&appd->sessions, &s->link);
	appd->live++;
	*code = NULL;
	set_state(s, APPD_STARTING);
	appd_restore_save(appd);
	return s;
}

void appd_sessions_stop_all(struct appd *appd)
{
	appd->quitting = true;
	/* Each ends as its check exits, then counts no more. */
	appd_launches_stop(appd);
	struct appd_session *s;
	wl_list_for_each (s, &appd->sessions, link) {
		if (s->state < APPD_STOPPING) {
			session_stop(s, false, NULL, "appd is shutting down");
		}
	}
	if (appd->live == 0 && wl_list_empty(&appd->launches)) {
		appd->done = true;
	}
}

void appd_sessions_free(struct appd *appd)
{
	struct appd_session *s, *tmp;
	wl_list_for_each_safe (s, tmp, &appd->sessions, link) {
		wl_list_remove(&s->link);
		appd_plan_finish(&s->plan);
		free(s->app_id);
		free(s);
	}
}
