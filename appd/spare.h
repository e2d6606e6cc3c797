/*
 * One spare weft-app-shell, started with --prewarm before any launch needs
 * it: Servo's engine and Mesa are up by the time a session adopts it, which
 * saves most of an app-shell's start. The spare is appd's child like every
 * session process (SIGKILL when appd dies, its own process group, no
 * inherited fds but its socket); on adoption it joins the session's group
 * itself, and appd puts it under the session's limits: with cgroup limits
 * it was born in a cgroup of its own, which becomes the session's when the
 * runtime has not started yet (the early adoption), and is moved otherwise.
 *
 * The spare runs in the spare's sandbox policy (appd/sandbox.c): the
 * renderer's files and every app store read-only, since nothing can be
 * mounted into it on adoption; packages are public, and no app data is
 * there (the app-shell needs none).
 *
 * An app-shell that cannot prewarm (one that exits before it says READY the
 * first time, as the test suite's stand-in does) is not asked again: every
 * session then spawns its app-shell as before.
 */
#ifndef APPD_SPARE_H
#define APPD_SPARE_H

#include <sys/types.h>

#include "session-limits.h"
#include "weft/common.h"
#include "weft/sandbox.h"

struct appd;
struct appd_spare;
struct json_object;

/* A spare handed over to a session: its pid, pidfd, adoption socket and
 * the read end of its output pipe (or -1), all the session's now. */
struct appd_spare_child {
	pid_t pid;
	int pidfd;
	int sock;
	int output_fd;
	bool sandboxed;
	struct weft_sandbox_report report; /* the spare policy's */
	/* With cgroup limits, the cgroup it was born in, the session's to
	 * take over (session.c) or remove; else NULL. */
	struct appd_limits_session *limits;
};

/* Starts the first spare, sandboxed with trusted_cache (the warm-up's
 * shader cache, warmup.h) read-only, or with no shader cache when NULL.
 * Never fails for want of one: appd runs without. */
struct appd_spare *appd_spare_create(struct appd *appd, const char *trusted_cache,
	struct weft_error *err);
/* appd_spare_create() into appd->spare, unless there is one or appd is
 * quitting; a failure is logged. */
void appd_spare_begin(struct appd *appd, const char *trusted_cache);
/* Kills and reaps the spare. Accepts NULL. */
void appd_spare_destroy(struct appd_spare *spare);
/* Whether there is a spare to take that runs in its sandbox, and so needs
 * no process group to join (the session's runtime need not exist yet). */
bool appd_spare_sandboxed(const struct appd_spare *spare);
/* Takes the spare, when one that can be adopted for package_dir is there
 * (a sandboxed spare sees only the app stores that existed when it
 * started); a new one is started a little later, so as not to slow the
 * launch that took it. */
bool appd_spare_take(struct appd_spare *spare, const char *package_dir,
	struct appd_spare_child *child);
/* Sends the adoption message: the shell's command line and its fds, and
 * pgid to join unless the spare is sandboxed (app-shell/adopt.h). */
bool appd_spare_adopt(const struct appd_spare_child *child, const char *app_id,
	const char *session_id, const char *package_dir, pid_t pgid, const int *fds, size_t nfds,
	struct weft_error *err);
/* {"state": "ready" | "warming", "pid": N} or, with no spare,
 * {"state": "coming" | "off", "why": ...}. */
struct json_object *appd_spare_to_json(const struct appd_spare *spare);

#endif
