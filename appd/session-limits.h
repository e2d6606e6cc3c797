/*
 * Resource limits for sessions, behind one interface (design §2):
 *   systemd  a transient scope per session, over sd-bus, when a user
 *            manager is reachable (MemoryMax, CPUQuota);
 *   cgroup   a session cgroup in a delegated cgroup v2 subtree (memory.max,
 *            cpu.max when those controllers are there; containment and
 *            cgroup.kill always);
 *   none     nothing, with a warning.
 * "auto" takes the first that works and logs the choice.
 */
#ifndef APPD_SESSION_LIMITS_H
#define APPD_SESSION_LIMITS_H

#include <stdint.h>
#include <sys/types.h>

#include "weft/common.h"

enum appd_limits_kind {
	APPD_LIMITS_AUTO,
	APPD_LIMITS_SYSTEMD,
	APPD_LIMITS_CGROUP,
	APPD_LIMITS_NONE,
};

struct appd_limits_config {
	enum appd_limits_kind kind;
	uint64_t memory_max; /* bytes */
	unsigned int cpu_quota; /* percent of one CPU */
	const char *cgroup_parent; /* cgroup v2 directory to use, or NULL to find one */
};

struct appd_limits;
struct appd_limits_session;

bool appd_limits_parse_kind(const char *s, enum appd_limits_kind *out);
/* Never fails for "auto": the fallback is none. A kind asked for by name
 * that does not work is an error. */
struct appd_limits *appd_limits_create(const struct appd_limits_config *config,
	struct weft_error *err);
void appd_limits_destroy(struct appd_limits *limits);
/* "systemd", "cgroup" or "none". */
const char *appd_limits_name(const struct appd_limits *limits);
/* One line for humans: what is enforced and where. */
const char *appd_limits_describe(const struct appd_limits *limits);
/* Why the memory and CPU limits do not apply to sessions (no controllers
 * delegated, no limits at all), or NULL when they do. */
const char *appd_limits_not_enforced(const struct appd_limits *limits);

struct appd_limits_session *appd_limits_session_create(struct appd_limits *limits,
	const char *app_id, const char *session_id, struct weft_error *err);
/* The session's cgroup directory, which a child is born in (clone3's
 * CLONE_INTO_CGROUP), or -1. */
int appd_limits_session_cgroup_fd(struct appd_limits_session *ls);
/* A cgroup.procs fd the child writes itself into before it execs, when the
 * kernel could not start it in the cgroup, or -1. */
int appd_limits_session_procs_fd(struct appd_limits_session *ls);
/* Puts pid (gated, not yet exec'd) under the session's limits. */
bool appd_limits_session_attach(struct appd_limits_session *ls, pid_t pid, struct weft_error *err);
/* Puts pid, which runs already (an adopted spare), under the session's
 * limits. What it was charged before stays where it was. */
bool appd_limits_session_adopt(struct appd_limits_session *ls, pid_t pid, struct weft_error *err);
/* A cgroup for the spare app-shell to be born in (session-NAME, with the
 * sessions' limits), which becomes the cgroup of the session that adopts
 * it: no move on the launch's path, which waits for an RCU grace period.
 * *out NULL (and true) when limits are not cgroup ones. */
bool appd_limits_spare_create(struct appd_limits *limits, const char *name,
	struct appd_limits_session **out, struct weft_error *err);
/* SIGKILL to everything under the session's limits. */
void appd_limits_session_kill(struct appd_limits_session *ls);
/* Call when the session's processes are reaped. Accepts NULL. */
void appd_limits_session_destroy(struct appd_limits_session *ls);

#endif
