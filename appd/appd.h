/*
 * weft-appd's objects and how its files talk to each other:
 *   main.c        options, signals, the loop
 *   control.c     the control socket and its clients (weft/appd-protocol.h)
 *   session.c     one app session's lifecycle (design §2)
 *   launch.c      a launch while its package is checked, off the loop
 *   plan.c        package → verified manifest → runtime command line
 *   apps.c        the installed apps
 *   manifest.c    reading a manifest where a parser crash cannot reach appd
 *   compositor.c  the compositor's control channel (windows, clipboard)
 *   spawn.c       starting session processes
 *   spare.c       the prewarmed app-shell a launch adopts
 *   warmup.c      the spares' trusted shader cache, filled by a warm-up
 *   limits.c      resource limits
 *   sandbox.c     what each session process is shown (libweftsandbox)
 *   net.c         connections for a runtime's net:fetch grants, off the loop
 *   output.c      relaying what session processes print
 *   restore.c     which apps to bring back after a restart
 */
#ifndef APPD_APPD_H
#define APPD_APPD_H

#include <stdint.h>
#include <sys/types.h>
#include <wayland-util.h>

#include "loop.h"
#include "session-limits.h"
#include "request.h"
#include "weft/common.h"

struct json_object;

struct appd_config {
	char *socket_path;
	int compositor_fd; /* -1: none */
	const char *compositor_socket; /* or where to connect to the compositor */
	bool no_compositor;
	int ready_timeout_ms;
	int grace_ms;
	bool allow_untrusted;
	bool restore;
	bool no_prewarm;
	size_t max_sessions;
	char *runtime_path;
	char *app_shell_path;
	char *mount_helper_path; /* weft-mount-helper, for packages installed as images */
	struct appd_limits_config limits;
	/* Session processes start outside any sandbox: only by
	 * --insecure-no-sandbox, never by default. */
	bool insecure_no_sandbox;
	/* For development and tests: host paths every session process is
	 * shown, read-write and read-only, and variables passed on. */
	struct weft_strv sandbox_share, sandbox_share_ro, sandbox_pass_env;
};

struct appd_session;
struct appd_control;
struct appd_compositor;
struct appd_spare;
struct appd_warm_up;
struct appd_launch;
struct appd_plan;
struct appd_restore;

struct appd {
	struct appd_config config;
	struct appd_loop *loop;
	struct appd_control *control;
	struct appd_compositor *compositor; /* NULL without one */
	struct appd_limits *limits;
	struct appd_spare *spare; /* NULL: --no-prewarm, or the warm-up runs */
	struct appd_warm_up *warm_up; /* the spare's shader cache (warmup.h), or NULL */
	struct wl_list sessions; /* appd_session.link, newest first, live and ended */
	size_t live, ended;
	struct wl_list launches; /* appd_launch.link, packages being checked, oldest first */
	size_t nlaunches;
	struct appd_restore *restore; /* apps still to bring back, or NULL */
	uint64_t next_session;
	char *restore_path;
	bool quitting;
	bool done;
	/* One receive buffer for every channel: WEFT_MSG_MAX + 1 bytes. */
	char *buf;
};

/* ---- session.c ---- */

enum appd_state {
	APPD_STARTING,
	APPD_RUNNING,
	APPD_STOPPING,
	APPD_STOPPED,
	APPD_CRASHED,
};

const char *appd_state_name(enum appd_state state);

/* What a launch prepared for its session while the package was checked:
 * the session's id, and the compositor's tagged Wayland connection asked
 * for under it (an fd, or a request still waiting). */
struct appd_launch_early {
	char session_id[24]; /* "": none reserved */
	int wayland_fd; /* -1: none yet */
	bool wayland_pending;
	uint64_t wayland_request;
};

/* Starts a session of app_id with plan, whose contents it takes (launch.c
 * made it), and what early holds, when not NULL (its fd and request are
 * the session's from then on, whatever the outcome). On failure *code is a
 * protocol error code. */
struct appd_session *appd_session_start(struct appd *appd, const char *app_id,
	struct appd_plan *plan, struct appd_launch_early *early, const char **code,
	struct weft_error *err);
/* Begins teardown; a session already stopping or ended is left alone. */
void appd_session_terminate(struct appd_session *session);
struct appd_session *appd_session_find(struct appd *appd, const char *id);
/* Walks appd->sessions oldest first: the oldest, then each one's newer,
 * NULL after the newest. */
struct appd_session *appd_session_oldest(const struct appd *appd);
struct appd_session *appd_session_newer(const struct appd_session *session);
enum appd_state appd_session_state(const struct appd_session *session);
const char *appd_session_app_id(const struct appd_session *session);
struct json_object *appd_session_to_json(const struct appd_session *session);
/* "first_frame", "window_closed" or "client_gone" from the compositor. */
void appd_session_compositor_event(struct appd *appd, const char *event, const char *session_id);
/* Terminates every live session; appd->done is set once all have ended
 * and no launch is left. */
void appd_sessions_stop_all(struct appd *appd);
/* Frees every session record; all must have ended. */
void appd_sessions_free(struct appd *appd);

/* ---- plan.c ---- */

/* What a launch needs to know, decided before anything is started. */
struct appd_plan {
	char *package_dir;
	char *component; /* the module's path */
	char *data_dir; /* created, when a capability grants it; else NULL */
	/* A package installed as an image: its mount point (package_dir), which
	 * appd unmounts when no session uses it any more; else NULL. */
	char *image_mount;
	struct weft_strv capabilities;
	/* Runtime arguments from the capabilities: --grant, --data. */
	struct weft_strv runtime_args;
	bool trusted;
};

/* Resolves app_id in the store (a package installed as an image is
 * mounted through mount_helper, image.c), verifies it (unless
 * allow_untrusted lets an untrusted one through), reads its manifest and
 * turns its capabilities into runtime arguments. Slow for a large package:
 * launch.c runs it in a child, never on the loop. On failure after an image
 * was mounted, plan->image_mount is still set. */
bool appd_plan_make(struct appd_plan *plan, const char *app_id, bool allow_untrusted,
	const char *mount_helper, const char **code, struct weft_error *err);
void appd_plan_finish(struct appd_plan *plan);
/* The plan as the package check sends it to appd, and back. */
struct json_object *appd_plan_to_json(const struct appd_plan *plan);
bool appd_plan_from_json(struct appd_plan *plan, struct json_object *obj, struct weft_error *err);

/* ---- launch.c ---- */

/* How a launch ended: the session, or NULL with a protocol error code and a
 * message. */
typedef void (*appd_launch_func)(void *data, struct appd_session *session, const char *code,
	const char *message);

/* Checks app_id's package in a child of its own and, once it passes, starts
 * the session; done runs then, or when the launch failed, unless
 * appd_launch_forget() comes first. Fails at once (NULL, *code and err set)
 * when the launch cannot begin; done never runs before this returns. */
struct appd_launch *appd_launch_start(struct appd *appd, const char *app_id, appd_launch_func done,
	void *data, const char **code, struct weft_error *err);
/* The launch goes on, but nobody is told how it ends. */
void appd_launch_forget(struct appd_launch *launch);
/* Ends every check (appd is quitting); each launch then fails as "busy". */
void appd_launches_stop(struct appd *appd);
/* Frees what is left of every launch, when appd exits in a hurry. */
void appd_launches_free(struct appd *appd);
/* [{"app_id", "pid"}...]: the checks in progress, oldest first. */
struct json_object *appd_launches_to_json(const struct appd *appd);

/* ---- image.c ---- */

/* <root>/<app_id>.erofs in the first store root (then /var/lib/weft/images)
 * that has one, its root hash
 * (from .erofs.roothash) in *root_hash; or NULL with err set (and *exists
 * false when there is no image at all). */
char *appd_image_find(const char *app_id, char **root_hash, bool *exists, struct weft_error *err);
/* Runs `helper mount IMAGE ROOTHASH` and waits for it (in the package
 * check, never on the loop): the mount point, or NULL with err set to
 * "image mount failed: <the helper's error line>". */
char *appd_image_mount(const char *helper, const char *image, const char *root_hash,
	struct weft_error *err);
/* Unmounts mountpoint through the helper, without waiting for it, unless a
 * live session uses it or a launch of app_id is being checked. NULL: no
 * image, nothing to do. */
void appd_image_release(struct appd *appd, const char *app_id, const char *mountpoint);
/* Does a live session run from the image mounted at mountpoint? */
bool appd_sessions_use_image(const struct appd *appd, const char *mountpoint);
/* Is a launch of app_id being checked? */
bool appd_launch_pending(const struct appd *appd, const char *app_id);

/* ---- manifest.c ---- */

struct weft_manifest;

/*
 * weft_manifest_load() in a short-lived child process: a crash of the
 * parser costs this manifest, not appd. NULL with err set (the manifest's
 * first error, or how the child failed) when there is no valid manifest.
 */
struct weft_manifest *appd_manifest_load(const char *path, struct weft_error *err);
/* The same for many: out[i] is the manifest of paths[i], or NULL with
 * errs[i] set. One child reads them all (another goes on after one that
 * crashed), so that listing the store costs one fork, not one an app. */
void appd_manifest_load_many(const char *const *paths, size_t n, struct weft_manifest **out,
	struct weft_error *errs);

/* ---- apps.c ---- */

struct json_object *appd_apps_list(struct weft_error *err);

/* ---- control.c ---- */

struct appd_control *appd_control_create(struct appd *appd, const char *path,
	struct weft_error *err);
void appd_control_destroy(struct appd_control *control);
/* Sends event to every subscriber, after what waits for each; returns how
 * many got it. A droppable event goes only to subscribers with room for it
 * now, and waits for none. */
size_t appd_control_broadcast(struct appd_control *control, struct json_object *event,
	bool droppable);
/* How many connections are subscribed (0 for NULL). */
size_t appd_control_subscribers(const struct appd_control *control);

/* ---- compositor.c ---- */

/* fd (the caller's no more) or err. data is what was given to create_client. */
typedef void (*appd_client_func)(void *data, int fd, const char *error);

/* Takes ownership of fd. */
struct appd_compositor *appd_compositor_create(struct appd *appd, int fd, struct weft_error *err);
void appd_compositor_destroy(struct appd_compositor *compositor);
/* Asks for a Wayland connection tagged (app_id, session_id); func runs with
 * the answer unless appd_compositor_cancel(request) comes first. */
bool appd_compositor_create_client(struct appd_compositor *compositor, const char *app_id,
	const char *session_id, appd_client_func func, void *data, uint64_t *request,
	struct weft_error *err);
/* Hands a create_client request still waiting for its answer to func and
 * data; false when it is answered or cancelled already. */
bool appd_compositor_retarget(struct appd_compositor *compositor, uint64_t request,
	appd_client_func func, void *data);
/* The compositor's answer to a clipboard request: its reply, {"ok": true,
 * "text"?} or {"error": ...}; or, when none came (timeout, the compositor
 * gone), reply NULL and code and message say why. */
typedef void (*appd_reply_func)(void *data, struct json_object *reply, const char *code,
	const char *message);
/* Writes text to the clipboard, or reads it when text is NULL; func runs
 * with the answer, within a few seconds, unless appd_compositor_cancel()
 * comes first. */
bool appd_compositor_clipboard(struct appd_compositor *compositor, const char *text,
	appd_reply_func func, void *data, uint64_t *request, struct weft_error *err);
void appd_compositor_cancel(struct appd_compositor *compositor, uint64_t request);
void appd_compositor_close_session(struct appd_compositor *compositor, const char *session_id);

/* ---- output.c ---- */

/* Relays the output of one owner's processes (a session's, the spare's) into
 * appd's log, each line as "OWNER NAME: text", escaped, within a budget a
 * second. */
struct appd_output;

struct appd_output *appd_output_create(struct appd_loop *loop, const char *owner,
	struct weft_error *err);
/* Relays what is left in the pipes (their writers have exited) and frees
 * it. Accepts NULL. */
void appd_output_destroy(struct appd_output *out);
/* A new pipe for one process's stdout and stderr: *write_fd is for the
 * child, the caller's to close once the child has it. Returns the pipe's id,
 * 0 on failure. */
uint64_t appd_output_open(struct appd_output *out, const char *name, int *write_fd,
	struct weft_error *err);
/* Relays the read end fd of a pipe (taken, also on failure) as name. Returns
 * its id, 0 on failure. */
uint64_t appd_output_add(struct appd_output *out, const char *name, int fd,
	struct weft_error *err);
/* Stops relaying pipe id, once what was read of it is relayed, and returns
 * its read end, or -1 when it is gone (its writers closed it). */
int appd_output_take(struct appd_output *out, uint64_t id);

/* ---- restore.c ---- */

/* Writes the app ids of the live sessions and the next session number. */
void appd_restore_save(struct appd *appd);
/* Reads what a previous appd saved: the next session number, and, when
 * launch is true, launches its apps again. */
void appd_restore_load(struct appd *appd, bool launch);
/* Stops bringing apps back (appd is quitting). */
void appd_restore_finish(struct appd *appd);

/* ---- sandbox.c ---- */

struct weft_sandbox_policy;
struct weft_sandbox_report;

/* Whether this kernel can give session processes their sandbox: Landlock
 * and unprivileged user namespaces. */
bool appd_sandbox_check(struct weft_error *err);
/* The policies of a session's runtime and app-shell, and of the spare. */
struct weft_sandbox_policy *appd_sandbox_runtime(const struct appd_config *config,
	const char *app_id, const struct appd_plan *plan, struct weft_error *err);
struct weft_sandbox_policy *appd_sandbox_app_shell(const struct appd_config *config,
	const char *app_id, const struct appd_plan *plan, struct weft_error *err);
/* The app stores that exist, canonical: what the spare is shown. */
bool appd_sandbox_stores(struct weft_strv *stores, struct weft_error *err);
/* trusted_cache: the warm-up's shader cache, shown read-only, or NULL. */
struct weft_sandbox_policy *appd_sandbox_spare(const struct appd_config *config,
	const struct weft_strv *stores, const char *trusted_cache, struct weft_error *err);
/* The warm-up app-shell's: the spare's without stores, trusted_cache
 * read-write. */
struct weft_sandbox_policy *appd_sandbox_warm_up(const struct appd_config *config,
	const char *trusted_cache, struct weft_error *err);
/* $XDG_CACHE_HOME/weft/SUB (or ~/.cache/...), made 0700 if missing,
 * canonical. */
char *appd_sandbox_cache_dir(const char *sub, struct weft_error *err);
/* What one process (name: "runtime", "app-shell") got, for state and
 * sessions: the report's JSON with "enforced" and "summary" (its one line,
 * "sandbox NAME: ..."), or {"enforced": false, "summary": ...}. */
struct json_object *appd_sandbox_json(const char *name, bool sandboxed,
	const struct weft_sandbox_report *report);

/* ---- net.c ---- */

/* The network broker of one session (weft/net.h). */
struct appd_net;

/* The reply to a runtime's connect request (taken), and the connected
 * socket to pass with it, or -1; the broker closes fd afterwards. */
typedef void (*appd_net_func)(void *data, struct json_object *reply, int fd);

/* A broker for capabilities' net:fetch grants; owner names it in the log
 * ("session 3"). func gets the answer to each request: from within
 * appd_net_connect() when it is refused at once, else later, from the
 * loop. */
struct appd_net *appd_net_create(struct appd *appd, const char *owner,
	const struct weft_strv *capabilities, appd_net_func func, void *data,
	struct weft_error *err);
/* Kills the connects in flight; their requests go unanswered. Accepts NULL. */
void appd_net_destroy(struct appd_net *net);
/* Answers a runtime's {"type": "connect", "host", "port", "timeout_ms"},
 * req decoded as r (request.h), through func: at once when it is refused,
 * else once a child of appd's has connected, failed, or run out of time. */
void appd_net_connect(struct appd_net *net, struct json_object *req,
	const struct appd_runtime_request *r);

/* ---- main.c ---- */

int64_t appd_wall_ms(void); /* CLOCK_REALTIME */

#endif
