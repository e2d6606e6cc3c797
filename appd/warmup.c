#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appd.h"
#include "spare.h"
#include "spawn.h"
#include "warmup.h"
#include "weft/appd-protocol.h"
#include "weft/log.h"
#include "weft/sandbox.h"

/* Below $XDG_CACHE_HOME/weft: the stamp, and Mesa's cache directory. */
#define CACHE_ROOT "shader-cache"
#define CACHE_DIR "mesa"
#define STAMP "stamp"

/* Mesa's files on Debian and other multiarch or lib64 layouts: a new Mesa
 * or LLVM changes what llvmpipe compiles. */
static const char *const mesa_patterns[] = {
	"/usr/lib/*/dri/swrast_dri.so",
	"/usr/lib*/dri/swrast_dri.so",
	"/usr/lib/*/libgallium*.so",
	"/usr/lib*/libgallium*.so",
	"/usr/lib/*/libEGL_mesa.so.0",
	"/usr/lib*/libEGL_mesa.so.0",
	"/usr/lib/*/libLLVM*.so*",
	"/usr/lib*/libLLVM*.so*",
};

struct appd_warm_up {
	struct appd *appd;
	char *root; /* $XDG_CACHE_HOME/weft/shader-cache */
	char *cache; /* root/mesa, Mesa's cache */
	char *stamp; /* root/stamp */
	char *key; /* what this app-shell and Mesa make the stamp */
	pid_t pid; /* 0: not running */
	int pidfd;
	struct appd_source *exit_source;
	struct appd_output *output;
	int64_t started_ms;
	bool done;
	bool fresh;
};

struct file_id {
	dev_t dev;
	ino_t ino;
};

/* "PATH SIZE MTIME\n" of path, a regular file not seen yet, into key. */
static bool key_add(struct weft_strv *key, struct file_id **seen, size_t *nseen, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		return true;
	}
	for (size_t i = 0; i < *nseen; i++) {
		if ((*seen)[i].dev == st.st_dev && (*seen)[i].ino == st.st_ino) {
			return true;
		}
	}
	struct file_id *more = realloc(*seen, (*nseen + 1) * sizeof(**seen));
	if (more == NULL) {
		return false;
	}
	*seen = more;
	more[(*nseen)++] = (struct file_id){ st.st_dev, st.st_ino };
	return weft_strv_pushf(key, "%s %lld %lld.%09ld\n", path, (long long)st.st_size,
		(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static bool key_add_glob(struct weft_strv *key, struct file_id **seen, size_t *nseen,
	const char *pattern)
{
	glob_t g;
	int rc = glob(pattern, 0, NULL, &g);
	if (rc == GLOB_NOSPACE) {
		return false;
	}
	bool ok = true;
	for (size_t i = 0; rc == 0 && ok && i < g.gl_pathc; i++) {
		ok = key_add(key, seen, nseen, g.gl_pathv[i]);
	}
	if (rc == 0) {
		globfree(&g);
	}
	return ok;
}

/* What the cache is made for: the app-shell, the libraries its DT_RUNPATH
 * finds (libweftview, with Servo and WebRender, in the build tree), Mesa. */
static char *make_key(const char *app_shell, struct weft_error *err)
{
	struct weft_strv key, runpath;
	weft_strv_init(&key);
	weft_strv_init(&runpath);
	struct file_id *seen = NULL;
	size_t nseen = 0;
	char *real = realpath(app_shell, NULL);
	bool ok = real != NULL && weft_sandbox_program_runpath(real, &runpath, err);
	if (real == NULL) {
		weft_error_errno(err, "%s", app_shell);
	} else if (ok && !key_add(&key, &seen, &nseen, real)) {
		ok = false;
		weft_error_set(err, "out of memory");
	}
	for (size_t i = 0; ok && i < runpath.len; i++) {
		char *pattern = weft_strdup_printf("%s/lib*.so*", runpath.items[i]);
		ok = pattern != NULL && key_add_glob(&key, &seen, &nseen, pattern);
		free(pattern);
		if (!ok) {
			weft_error_set(err, "out of memory");
		}
	}
	for (size_t i = 0; ok && i < sizeof(mesa_patterns) / sizeof(mesa_patterns[0]); i++) {
		if (!key_add_glob(&key, &seen, &nseen, mesa_patterns[i])) {
			ok = false;
			weft_error_set(err, "out of memory");
		}
	}
	char *text = NULL;
	size_t len = 0;
	for (size_t i = 0; ok && i < key.len; i++) {
		len += strlen(key.items[i]);
	}
	if (ok && (text = calloc(1, len + 1)) == NULL) {
		weft_error_set(err, "out of memory");
	}
	for (size_t i = 0; text != NULL && i < key.len; i++) {
		strcat(text, key.items[i]);
	}
	free(seen);
	free(real);
	weft_strv_finish(&runpath);
	weft_strv_finish(&key);
	return text;
}

/* Whether the stamp says key. */
static bool stamp_matches(const char *stamp, const char *key)
{
	FILE *f = fopen(stamp, "re");
	if (f == NULL) {
		return false;
	}
	size_t len = strlen(key);
	char *buf = malloc(len + 2);
	size_t n = buf != NULL ? fread(buf, 1, len + 1, f) : 0;
	fclose(f);
	bool same = buf != NULL && n == len && memcmp(buf, key, len) == 0;
	free(buf);
	return same;
}

/* The stamp, written whole or not at all. */
static bool stamp_write(const char *stamp, const char *key, struct weft_error *err)
{
	char *tmp = weft_strdup_printf("%s.new", stamp);
	if (tmp == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && weft_write_all(fd, key, strlen(key));
	if (!ok) {
		weft_error_errno(err, "write %s", tmp);
	}
	if (fd >= 0 && close(fd) != 0 && ok) {
		weft_error_errno(err, "close %s", tmp);
		ok = false;
	}
	if (ok && rename(tmp, stamp) != 0) {
		weft_error_errno(err, "rename %s", tmp);
		ok = false;
	}
	if (!ok) {
		unlink(tmp);
	}
	free(tmp);
	return ok;
}

static void handle_exit(int fd, uint32_t events, void *data)
{
	struct appd_warm_up *w = data;
	siginfo_t info = { 0 };
	if (waitid(P_PIDFD, (id_t)w->pidfd, &info, WEXITED | WNOHANG) != 0 || info.si_pid == 0) {
		return;
	}
	appd_source_remove(w->exit_source);
	w->exit_source = NULL;
	close(w->pidfd);
	w->pidfd = -1;
	w->pid = 0;
	w->done = true;
	int64_t ms = weft_now_ms() - w->started_ms;
	struct weft_error err = { 0 };
	if (info.si_code != CLD_EXITED || info.si_status != 0) {
		weft_log(WEFT_WARN,
			"shader cache warm-up: the app-shell %s %d after %lld ms; spare "
			"app-shells run without a shader cache",
			info.si_code == CLD_EXITED ? "exited with status" : "was killed by signal",
			info.si_status, (long long)ms);
	} else if (!stamp_write(w->stamp, w->key, &err)) {
		weft_log(WEFT_WARN, "shader cache warm-up: %s", err.msg);
	} else {
		w->fresh = true;
		weft_log(WEFT_INFO, "shader cache warm-up: done in %lld ms; %s is fresh",
			(long long)ms, w->cache);
	}
	appd_spare_begin(w->appd, appd_warm_up_cache(w));
}

static bool start(struct appd_warm_up *w, struct weft_error *err)
{
	struct appd *appd = w->appd;
	char *const argv[] = { appd->config.app_shell_path, "--warm-up", NULL };
	struct weft_sandbox_policy *policy = appd_sandbox_warm_up(&appd->config, w->cache, err);
	if (policy == NULL) {
		return false;
	}
	int output_fd = -1;
	uint64_t output_id = appd_output_open(w->output, "app-shell", &output_fd, err);
	struct appd_spawn sp = {
		.path = appd->config.app_shell_path,
		.argv = argv,
		.policy = policy,
		.pgid = 0,
		.cgroup_fd = -1,
		.cgroup_procs_fd = -1,
		.output_fd = output_fd,
	};
	struct appd_child child;
	bool ok = output_id != 0 && appd_spawn_start(&sp, &child, err);
	if (output_fd >= 0) {
		close(output_fd);
	}
	weft_sandbox_policy_destroy(policy);
	if (!ok) {
		return false;
	}
	if (!appd_child_release(&child, true, err)) {
		waitid(P_PIDFD, (id_t)child.pidfd, &(siginfo_t){ 0 }, WEXITED);
		close(child.pidfd);
		return false;
	}
	w->pid = child.pid;
	w->pidfd = child.pidfd;
	w->started_ms = weft_now_ms();
	w->exit_source = appd_loop_add_fd(appd->loop, w->pidfd, EPOLLIN, handle_exit, w, err);
	if (w->exit_source == NULL) {
		appd_pidfd_kill(w->pidfd);
		close(w->pidfd);
		w->pidfd = -1;
		w->pid = 0;
		return false;
	}
	char line[1024];
	weft_sandbox_report_format(&child.sandbox.report, line, sizeof(line));
	weft_log(WEFT_INFO, "shader cache warm-up: app-shell %d fills %s; %s", (int)w->pid,
		w->cache, line);
	return true;
}

struct appd_warm_up *appd_warm_up_create(struct appd *appd, struct weft_error *err)
{
	struct appd_warm_up *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	w->appd = appd;
	w->pidfd = -1;
	w->root = appd_sandbox_cache_dir(CACHE_ROOT, err);
	w->cache = w->root != NULL ? appd_sandbox_cache_dir(CACHE_ROOT "/" CACHE_DIR, err) : NULL;
	w->stamp = w->cache != NULL ? weft_path_join(w->root, STAMP) : NULL;
	if (w->cache != NULL && w->stamp == NULL) {
		weft_error_set(err, "out of memory");
	}
	w->key = w->stamp != NULL ? make_key(appd->config.app_shell_path, err) : NULL;
	w->output = w->key != NULL ? appd_output_create(appd->loop, "warm-up", err) : NULL;
	if (w->output == NULL) {
		appd_warm_up_destroy(w);
		return NULL;
	}
	if (stamp_matches(w->stamp, w->key)) {
		w->done = w->fresh = true;
		weft_log(WEFT_DEBUG, "shader cache warm-up: %s is fresh", w->cache);
		return w;
	}
	/* Stale until the warm-up has ended well. */
	if (unlink(w->stamp) != 0 && errno != ENOENT) {
		weft_log(WEFT_WARN, "shader cache warm-up: unlink %s: %s", w->stamp,
			strerror(errno));
	}
	struct weft_error why = { 0 };
	if (!start(w, &why)) {
		weft_log(WEFT_WARN,
			"shader cache warm-up: %s; spare app-shells run without a shader cache",
			why.msg);
		w->done = true;
	}
	return w;
}

void appd_warm_up_destroy(struct appd_warm_up *w)
{
	if (w == NULL) {
		return;
	}
	if (w->pid > 0) {
		appd_pidfd_kill(w->pidfd);
		close(w->pidfd);
	}
	appd_source_remove(w->exit_source);
	appd_output_destroy(w->output);
	free(w->root);
	free(w->cache);
	free(w->stamp);
	free(w->key);
	free(w);
}

bool appd_warm_up_done(const struct appd_warm_up *w)
{
	return w->done;
}

const char *appd_warm_up_cache(const struct appd_warm_up *w)
{
	return w != NULL && w->fresh ? w->cache : NULL;
}

struct json_object *appd_warm_up_to_json(const struct appd_warm_up *w)
{
	struct json_object *obj = json_object_new_object();
	if (obj == NULL) {
		return NULL;
	}
	char why[64];
	snprintf(why, sizeof(why), "the shader cache warm-up runs (pid %d)", (int)w->pid);
	json_object_object_add(obj, WEFT_APPD_KEY_STATE,
		json_object_new_string(WEFT_APPD_SPARE_COMING));
	json_object_object_add(obj, WEFT_APPD_KEY_WHY, json_object_new_string(why));
	return obj;
}
