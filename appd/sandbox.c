/*
 * What each session process is shown (issue 11, sandbox/README.md): the
 * policies appd hands libweftsandbox, built from a session's plan.
 *
 *   runtime    the package read-only; app data read-only or read-write as
 *              the manifest grants fs:read/fs:rw:app-data, and the
 *              documents directory likewise; a component cache of the
 *              app's own (so that one app cannot plant a compiled artifact
 *              another app loads); no network, granted or not (appd's
 *              broker connects for a net:fetch grant, net.c), and with
 *              such a grant the CA trust store, to verify https servers.
 *   app-shell  the package read-only, the renderer's fonts and Mesa data;
 *              its Wayland connection is an fd (WAYLAND_SOCKET), never the
 *              compositor's socket path. No app data. A Mesa shader cache
 *              of the app's own, read-write.
 *   spare      the renderer's policy and every app store read-only, since
 *              a spare cannot gain mounts when a session adopts it:
 *              packages are public, app data is not and is never there.
 *              The trusted shader cache (warmup.c) read-only, under a
 *              writable layer of its own that vanishes with it: a spare
 *              belongs to no app, so nothing it writes may be trusted.
 *   warm-up    the spare's policy without the stores, with the trusted
 *              shader cache read-write: it renders only WEFT's own page.
 *
 * Each child's environment holds only what its policy sets, the variables
 * appd passes on (WEFT_LOG, the sanitizers' options, --sandbox-pass-env)
 * and the process's own.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appd.h"
#include "weft/appd-protocol.h"
#include "weft/paths.h"
#include "weft/programs.h"
#include "weft/sandbox.h"

/* Passed on to every session process when appd has them. */
static const char *const passed_env[] = {
	"WEFT_LOG",
	"ASAN_OPTIONS",
	"UBSAN_OPTIONS",
	"LSAN_OPTIONS",
};

#define FETCH_PREFIX "net:fetch:"

/* What a runtime that fetches reads to check certificates (its connections
 * come from appd: no resolver files); only those that exist are shown. */
static const char *const trust_paths[] = {
	"/etc/ssl/certs", /* never /etc/ssl/private */
	"/etc/ca-certificates",
};

bool appd_sandbox_check(struct weft_error *err)
{
	int abi = weft_sandbox_landlock_abi();
	if (abi <= 0) {
		weft_error_set(err,
			"the kernel offers no Landlock (not built in, or not in its lsm= "
			"list)");
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		weft_error_errno(err, "fork");
		return false;
	}
	if (pid == 0) {
		_exit(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET) == 0
				? 0
				: (errno & 0x7f) + 1);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			weft_error_errno(err, "waitpid");
			return false;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		int e = WIFEXITED(status) ? WEXITSTATUS(status) - 1 : 0;
		weft_error_set(err,
			"the kernel refuses new user namespaces (%s; "
			"kernel.unprivileged_userns_clone or user.max_user_namespaces?)",
			e > 0 ? strerror(e) : "the check failed");
		return false;
	}
	return true;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static bool setenv_fmt(struct weft_sandbox_policy *policy, struct weft_error *err, const char *fmt,
	...) WEFT_PRINTF(3, 4);

static bool setenv_fmt(struct weft_sandbox_policy *policy, struct weft_error *err, const char *fmt,
	...)
{
	char *entry = NULL;
	va_list args;
	va_start(args, fmt);
	int n = vasprintf(&entry, fmt, args);
	va_end(args);
	if (n < 0) {
		weft_error_set(err, "out of memory");
		return false;
	}
	bool ok = weft_sandbox_policy_setenv(policy, entry, err);
	free(entry);
	return ok;
}

/* What every session process gets from appd's configuration: the shared
 * paths of --sandbox-share(-ro) and the variables passed on. */
static bool add_common(const struct appd_config *config, struct weft_sandbox_policy *policy,
	struct weft_error *err)
{
	for (size_t i = 0; i < config->sandbox_share_ro.len; i++) {
		if (!weft_sandbox_policy_add_path(policy, config->sandbox_share_ro.items[i], false,
			    err)) {
			return false;
		}
	}
	for (size_t i = 0; i < config->sandbox_share.len; i++) {
		if (!weft_sandbox_policy_add_path(policy, config->sandbox_share.items[i], true,
			    err)) {
			return false;
		}
	}
	for (size_t i = 0;
		i < sizeof(passed_env) / sizeof(passed_env[0]) + config->sandbox_pass_env.len;
		i++) {
		const char *name = i < sizeof(passed_env) / sizeof(passed_env[0])
			? passed_env[i]
			: config->sandbox_pass_env
				  .items[i - sizeof(passed_env) / sizeof(passed_env[0])];
		const char *value = getenv(name);
		if (value != NULL && !setenv_fmt(policy, err, "%s=%s", name, value)) {
			return false;
		}
	}
	return true;
}

static bool fetches(const struct appd_plan *plan)
{
	for (size_t i = 0; i < plan->capabilities.len; i++) {
		if (strncmp(plan->capabilities.items[i], FETCH_PREFIX, strlen(FETCH_PREFIX)) ==
			0) {
			return true;
		}
	}
	return false;
}

char *appd_sandbox_cache_dir(const char *sub, struct weft_error *err)
{
	char *home = weft_path_cache_home(err);
	if (home == NULL) {
		weft_error_prefix(err, "no cache directory");
		return NULL;
	}
	char *dir = weft_strdup_printf("%s/weft/%s", home, sub);
	free(home);
	if (dir == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	if (!weft_make_dirs(dir, 0700, err)) {
		free(dir);
		return NULL;
	}
	char *real = realpath(dir, NULL);
	if (real == NULL) {
		weft_error_errno(err, "%s", dir);
	}
	free(dir);
	return real;
}

/* The documents directory the runtime would use, when one exists. */
static char *documents_dir(void)
{
	char *dir = weft_path_documents_dir(NULL);
	char *real = dir != NULL ? realpath(dir, NULL) : NULL;
	free(dir);
	return real;
}

struct weft_sandbox_policy *appd_sandbox_runtime(const struct appd_config *config,
	const char *app_id, const struct appd_plan *plan, struct weft_error *err)
{
	const struct weft_strv *caps = &plan->capabilities;
	struct weft_sandbox_app app = {
		.package_dir = plan->package_dir,
		.data_dir = plan->data_dir,
		.data_rw = weft_strv_contains(caps, "fs:rw:app-data"),
	};
	struct weft_sandbox_policy *policy = weft_sandbox_policy_runtime(&app, err);
	if (policy == NULL) {
		return NULL;
	}
	char *sub = weft_strdup_printf("apps/%s", app_id);
	char *cache = sub != NULL ? appd_sandbox_cache_dir(sub, err) : NULL;
	if (sub == NULL) {
		weft_error_set(err, "out of memory");
	}
	free(sub);
	bool ok = cache != NULL && weft_sandbox_policy_add_path(policy, cache, true, err) &&
		setenv_fmt(policy, err, "XDG_CACHE_HOME=%s", cache) &&
		weft_sandbox_policy_setenv(policy, "HOME=/tmp", err);
	free(cache);
	bool docs_rw = weft_strv_contains(caps, "fs:rw:xdg-documents");
	if (ok && (docs_rw || weft_strv_contains(caps, "fs:read:xdg-documents"))) {
		char *docs = documents_dir();
		if (docs != NULL) {
			ok = weft_sandbox_policy_add_path(policy, docs, docs_rw, err) &&
				setenv_fmt(policy, err, "XDG_DOCUMENTS_DIR=%s", docs);
		}
		free(docs);
	}
	for (size_t i = 0; ok && fetches(plan) && i < sizeof(trust_paths) / sizeof(trust_paths[0]);
		i++) {
		if (exists(trust_paths[i])) {
			ok = weft_sandbox_policy_add_path(policy, trust_paths[i], false, err);
		}
	}
	if (!ok || !add_common(config, policy, err)) {
		weft_sandbox_policy_destroy(policy);
		return NULL;
	}
	return policy;
}

/* The UI kit the app-shell serves at /.weft/kit/, where it finds it
 * (beside it in the build tree, else installed), read-only, when it is
 * there. */
static bool add_kit(const struct appd_config *config, struct weft_sandbox_policy *policy,
	struct weft_error *err)
{
	char *kit = weft_find_data_dir(config->app_shell_path, "shell/kit");
	if (kit == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	char *real = realpath(kit, NULL);
	bool ok = real == NULL || weft_sandbox_policy_add_path(policy, real, false, err);
	free(real);
	free(kit);
	return ok;
}

struct weft_sandbox_policy *appd_sandbox_app_shell(const struct appd_config *config,
	const char *app_id, const struct appd_plan *plan, struct weft_error *err)
{
	struct weft_sandbox_app app = { .package_dir = plan->package_dir };
	struct weft_sandbox_policy *policy = weft_sandbox_policy_app_shell(&app, err);
	if (policy == NULL) {
		return NULL;
	}
	/* Beside the runtime's component cache: the same app's, so nothing
	 * another app's processes can reach. */
	char *sub = weft_strdup_printf("apps/%s/mesa", app_id);
	char *cache = sub != NULL ? appd_sandbox_cache_dir(sub, err) : NULL;
	if (sub == NULL) {
		weft_error_set(err, "out of memory");
	}
	bool ok = cache != NULL &&
		weft_sandbox_policy_shader_cache(policy, WEFT_SANDBOX_SHADER_CACHE_APP, cache,
			err) &&
		add_kit(config, policy, err) && add_common(config, policy, err);
	free(sub);
	free(cache);
	if (!ok) {
		weft_sandbox_policy_destroy(policy);
		return NULL;
	}
	return policy;
}

bool appd_sandbox_stores(struct weft_strv *stores, struct weft_error *err)
{
	struct weft_strv roots;
	weft_strv_init(&roots);
	weft_strv_init(stores);
	bool ok = weft_store_roots(&roots, err);
	/* The stores as they really are: a session's package directory is
	 * canonical (plan.c), and the sandbox shows canonical paths. A store
	 * that does not exist yet is left out. */
	for (size_t i = 0; ok && i < roots.len; i++) {
		char *real = realpath(roots.items[i], NULL);
		if (real != NULL && !weft_strv_push_take(stores, real)) {
			weft_error_set(err, "out of memory");
			ok = false;
		}
	}
	weft_strv_finish(&roots);
	if (!ok) {
		weft_strv_finish(stores);
	}
	return ok;
}

struct weft_sandbox_policy *appd_sandbox_spare(const struct appd_config *config,
	const struct weft_strv *stores, const char *trusted_cache, struct weft_error *err)
{
	/* A weft_strv is NULL-terminated (or has no items at all). */
	struct weft_sandbox_policy *policy =
		weft_sandbox_policy_spare((const char *const *)stores->items, err);
	if (policy != NULL &&
		((trusted_cache != NULL &&
			 !weft_sandbox_policy_shader_cache(policy,
				 WEFT_SANDBOX_SHADER_CACHE_TRUSTED, trusted_cache, err)) ||
			!add_kit(config, policy, err) || !add_common(config, policy, err))) {
		weft_sandbox_policy_destroy(policy);
		policy = NULL;
	}
	return policy;
}

struct weft_sandbox_policy *appd_sandbox_warm_up(const struct appd_config *config,
	const char *trusted_cache, struct weft_error *err)
{
	struct weft_sandbox_policy *policy = weft_sandbox_policy_spare(NULL, err);
	if (policy != NULL &&
		(!weft_sandbox_policy_shader_cache(policy, WEFT_SANDBOX_SHADER_CACHE_WARM_UP,
			 trusted_cache, err) ||
			!add_kit(config, policy, err) || !add_common(config, policy, err))) {
		weft_sandbox_policy_destroy(policy);
		policy = NULL;
	}
	return policy;
}

struct json_object *appd_sandbox_json(const char *name, bool sandboxed,
	const struct weft_sandbox_report *report)
{
	struct json_object *obj;
	char line[1024];
	if (sandboxed) {
		obj = weft_sandbox_report_json(report);
		weft_sandbox_report_format(report, line, sizeof(line));
	} else {
		obj = json_object_new_object();
		snprintf(line, sizeof(line),
			"sandbox %s: NONE: appd runs with --insecure-no-sandbox", name);
	}
	if (obj == NULL) {
		return NULL;
	}
	json_object_object_add(obj, WEFT_APPD_KEY_ENFORCED, json_object_new_boolean(sandboxed));
	json_object_object_add(obj, WEFT_APPD_KEY_SUMMARY, json_object_new_string(line));
	return obj;
}
