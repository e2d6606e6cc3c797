/*
 * The trusted Mesa shader cache of the spare app-shells.
 *
 * Mesa loads the shaders it finds in its cache and runs them, so no
 * process that runs an app's code may write a cache another app's
 * renderer reads. A spare belongs to no app when it starts, and its cache
 * directory is fixed before a session adopts it: it gets this one, shown
 * read-only under a writable layer of its own (sandbox/README.md). Only
 * the warm-up writes it: weft-app-shell --warm-up, started by appd in the
 * sandbox with nothing but this cache writable, renders a page built into
 * the app-shell (WEFT's own, no app's) and exits, and Mesa keeps what it
 * compiled.
 *
 * appd runs the warm-up at start when the cache is missing or stale: its
 * stamp names the app-shell, the libraries in its DT_RUNPATH and Mesa's
 * driver files (paths, sizes and times), so an upgrade of any of them runs
 * it again. It is a child like the package checks, never on the loop; the
 * first spare starts when it ended, and a launch meanwhile starts its own
 * app-shell as it would with no spare ready.
 */
#ifndef APPD_WARMUP_H
#define APPD_WARMUP_H

#include <stdbool.h>

#include "weft/common.h"

struct appd;
struct appd_warm_up;
struct json_object;

/* Checks the stamp, and starts the warm-up when the cache is not fresh;
 * when the warm-up ends, it calls appd_spare_begin(). When it is done at
 * once (fresh, or the warm-up could not start) the caller begins the
 * spare. NULL only when out of memory or the cache directory cannot be
 * made: spares then run without a cache. */
struct appd_warm_up *appd_warm_up_create(struct appd *appd, struct weft_error *err);
/* Kills and reaps a warm-up still running. Accepts NULL. */
void appd_warm_up_destroy(struct appd_warm_up *warm_up);
/* Whether it ended (or never had to run). */
bool appd_warm_up_done(const struct appd_warm_up *warm_up);
/* The trusted cache directory, when the stamp says it is fresh; else NULL
 * (also for NULL). */
const char *appd_warm_up_cache(const struct appd_warm_up *warm_up);
/* For info's spare while it runs: {"state": "coming", "why": ...}. */
struct json_object *appd_warm_up_to_json(const struct appd_warm_up *warm_up);

#endif
