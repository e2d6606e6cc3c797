/*
 * weft-appd: supervises app sessions (design §2). One thread, one loop:
 * the control socket, the compositor's channel, every session's processes
 * (pidfds), control channels and timers, and the signals that stop us.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "appd.h"
#include "weft/appd-protocol.h"
#include "spare.h"
#include "warmup.h"
#include "spawn.h"
#include "weft/ipc.h"
#include "weft/log.h"
#include "weft/paths.h"
#include "weft/programs.h"

static const char usage[] =
	"Usage: weft-appd [options]\n"
	"\n"
	"  --socket PATH            control socket (default "
	"$XDG_RUNTIME_DIR/" WEFT_APPD_SOCKET_NAME ")\n"
	"  --compositor-fd FD       the compositor's control channel (default\n"
	"                           $WEFT_COMPOSITOR_FD)\n"
	"  --compositor-socket PATH connect to the compositor's control socket at\n"
	"                           PATH (weft-compositor --appd-socket) instead\n"
	"  --no-compositor          run without one: no windows, running at READY\n"
	"  --ready-timeout MS       how long the runtime has to say READY (10000)\n"
	"  --grace MS               SIGTERM to SIGKILL at teardown (3000)\n"
	"  --allow-untrusted        run packages the trust store does not vouch for\n"
	"                           (developer mode; also WEFT_ALLOW_UNTRUSTED=1)\n"
	"  --no-restore             do not bring back the apps a previous appd had open\n"
	"  --no-prewarm             keep no spare app-shell; start one per launch\n"
	"  --max-sessions N         live sessions at most (64)\n"
	"  --runtime PATH           weft-runtime to run (also $WEFT_RUNTIME)\n"
	"  --app-shell PATH         weft-app-shell to run (also $WEFT_APP_SHELL)\n"
	"  --mount-helper PATH      weft-mount-helper, for packages installed as\n"
	"                           images (also $WEFT_MOUNT_HELPER)\n"
	"  --limits auto|systemd|cgroup|none\n"
	"                           how sessions are limited (auto)\n"
	"  --memory-max SIZE        memory per session, e.g. 512M (512M)\n"
	"  --cpu-quota PERCENT      CPU per session, in percent of one CPU (200)\n"
	"  --cgroup-parent PATH     cgroup v2 directory for session cgroups\n"
	"  --insecure-no-sandbox    start apps WITHOUT their OS sandbox (namespaces,\n"
	"                           Landlock); only where the kernel cannot give one\n"
	"  --sandbox-share PATH     show PATH read-write to every session process\n"
	"                           (development and tests; repeatable)\n"
	"  --sandbox-share-ro PATH  the same, read-only\n"
	"  --sandbox-pass-env NAME  pass appd's variable NAME to session processes\n"
	"  -d, --debug              verbose logging\n"
	"  -h, --help               show this help\n"
	"  -v, --version            show the version\n";

int64_t appd_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* weft-mount-helper: the build tree's beside appd's there, else the
 * installed one in libexec (never beside appd in bindir: it is setuid
 * root only where it is installed). */
static char *find_mount_helper(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *candidate = weft_strdup_printf("%s/../mount-helper/weft-mount-helper",
			dirname(self));
		char *found = candidate != NULL && executable(candidate)
			? realpath(candidate, NULL)
			: NULL;
		free(candidate);
		if (found != NULL) {
			return found;
		}
	}
	return strdup(WEFT_LIBEXECDIR "/weft-mount-helper");
}

static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || s[0] == '-') {
		return false;
	}
	unsigned shift = 0;
	switch (*end) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return false;
	}
	if (*end != '\0' && end[1] != '\0') {
		return false;
	}
	if (v == 0 || v > (UINT64_MAX >> shift)) {
		return false;
	}
	*out = (uint64_t)v << shift;
	return true;
}

enum {
	OPT_SOCKET = 256,
	OPT_COMPOSITOR_FD,
	OPT_COMPOSITOR_SOCKET,
	OPT_NO_COMPOSITOR,
	OPT_READY_TIMEOUT,
	OPT_GRACE,
	OPT_ALLOW_UNTRUSTED,
	OPT_NO_RESTORE,
	OPT_NO_PREWARM,
	OPT_MAX_SESSIONS,
	OPT_RUNTIME,
	OPT_APP_SHELL,
	OPT_MOUNT_HELPER,
	OPT_LIMITS,
	OPT_MEMORY_MAX,
	OPT_CPU_QUOTA,
	OPT_CGROUP_PARENT,
	OPT_INSECURE_NO_SANDBOX,
	OPT_SANDBOX_SHARE,
	OPT_SANDBOX_SHARE_RO,
	OPT_SANDBOX_PASS_ENV,
};

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct appd_config *config)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "compositor-fd", required_argument, NULL, OPT_COMPOSITOR_FD },
		{ "compositor-socket", required_argument, NULL, OPT_COMPOSITOR_SOCKET },
		{ "no-compositor", no_argument, NULL, OPT_NO_COMPOSITOR },
		{ "ready-timeout", required_argument, NULL, OPT_READY_TIMEOUT },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "allow-untrusted", no_argument, NULL, OPT_ALLOW_UNTRUSTED },
		{ "no-restore", no_argument, NULL, OPT_NO_RESTORE },
		{ "no-prewarm", no_argument, NULL, OPT_NO_PREWARM },
		{ "max-sessions", required_argument, NULL, OPT_MAX_SESSIONS },
		{ "runtime", required_argument, NULL, OPT_RUNTIME },
		{ "app-shell", required_argument, NULL, OPT_APP_SHELL },
		{ "mount-helper", required_argument, NULL, OPT_MOUNT_HELPER },
		{ "limits", required_argument, NULL, OPT_LIMITS },
		{ "memory-max", required_argument, NULL, OPT_MEMORY_MAX },
		{ "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
		{ "cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT },
		{ "insecure-no-sandbox", no_argument, NULL, OPT_INSECURE_NO_SANDBOX },
		{ "sandbox-share", required_argument, NULL, OPT_SANDBOX_SHARE },
		{ "sandbox-share-ro", required_argument, NULL, OPT_SANDBOX_SHARE_RO },
		{ "sandbox-pass-env", required_argument, NULL, OPT_SANDBOX_PASS_ENV },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	int opt;
	long v;
	while ((opt = getopt_long(argc, argv, "dhv", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SOCKET:
			free(config->socket_path);
			config->socket_path = strdup(optarg);
			break;
		case OPT_COMPOSITOR_FD:
			if (!weft_parse_long(optarg, 0, INT_MAX, &v)) {
				fprintf(stderr, "weft-appd: bad --compositor-fd %s\n", optarg);
				return 2;
			}
			config->compositor_fd = (int)v;
			break;
		case OPT_COMPOSITOR_SOCKET:
			config->compositor_socket = optarg;
			break;
		case OPT_NO_COMPOSITOR:
			config->no_compositor = true;
			break;
		case OPT_READY_TIMEOUT:
		case OPT_GRACE:
			if (!weft_parse_long(optarg, 1, 600000, &v)) {
				fprintf(stderr, "weft-appd: bad %s %s (1-600000 ms)\n",
					opt == OPT_GRACE ? "--grace" : "--ready-timeout", optarg);
				return 2;
			}
			*(opt == OPT_GRACE ? &config->grace_ms
					   : &config->ready_timeout_ms) = (int)v;
			break;
		case OPT_ALLOW_UNTRUSTED:
			config->allow_untrusted = true;
			break;
		case OPT_NO_RESTORE:
			config->restore = false;
			break;
		case OPT_NO_PREWARM:
			config->no_prewarm = true;
			break;
		case OPT_MAX_SESSIONS:
			if (!weft_parse_long(optarg, 1, 1024, &v)) {
				fprintf(stderr, "weft-appd: bad --max-sessions %s (1-1024)\n",
					optarg);
				return 2;
			}
			config->max_sessions = (size_t)v;
			break;
		case OPT_RUNTIME:
		case OPT_APP_SHELL:
		case OPT_MOUNT_HELPER: {
			char **slot = opt == OPT_RUNTIME ? &config->runtime_path
				: opt == OPT_APP_SHELL   ? &config->app_shell_path
							 : &config->mount_helper_path;
			free(*slot);
			*slot = strdup(optarg);
			break;
		}
		case OPT_LIMITS:
			if (!appd_limits_parse_kind(optarg, &config->limits.kind)) {
				fprintf(stderr,
					"weft-appd: bad --limits %s "
					"(auto, systemd, cgroup or none)\n",
					optarg);
				return 2;
			}
			break;
		case OPT_MEMORY_MAX:
			if (!parse_size(optarg, &config->limits.memory_max)) {
				fprintf(stderr, "weft-appd: bad --memory-max %s (e.g. 512M)\n",
					optarg);
				return 2;
			}
			break;
		case OPT_CPU_QUOTA:
			if (!weft_parse_long(optarg, 1, 100000, &v)) {
				fprintf(stderr, "weft-appd: bad --cpu-quota %s (percent)\n",
					optarg);
				return 2;
			}
			config->limits.cpu_quota = (unsigned)v;
			break;
		case OPT_CGROUP_PARENT:
			config->limits.cgroup_parent = optarg;
			break;
		case OPT_INSECURE_NO_SANDBOX:
			config->insecure_no_sandbox = true;
			break;
		case OPT_SANDBOX_SHARE:
		case OPT_SANDBOX_SHARE_RO: {
			char *real = realpath(optarg, NULL);
			if (real == NULL) {
				fprintf(stderr, "weft-appd: bad %s %s: %s\n",
					opt == OPT_SANDBOX_SHARE ? "--sandbox-share"
								 : "--sandbox-share-ro",
					optarg, strerror(errno));
				return 2;
			}
			if (!weft_strv_push_take(opt == OPT_SANDBOX_SHARE
					    ? &config->sandbox_share
					    : &config->sandbox_share_ro,
				    real)) {
				fprintf(stderr, "weft-appd: out of memory\n");
				return 1;
			}
			break;
		}
		case OPT_SANDBOX_PASS_ENV:
			if (optarg[0] == '\0' || strchr(optarg, '=') != NULL) {
				fprintf(stderr, "weft-appd: bad --sandbox-pass-env %s (a name)\n",
					optarg);
				return 2;
			}
			if (!weft_strv_push(&config->sandbox_pass_env, optarg)) {
				fprintf(stderr, "weft-appd: out of memory\n");
				return 1;
			}
			break;
		case 'd':
			weft_log_init("weft-appd", WEFT_DEBUG);
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'v':
			printf("weft-appd %s\n", WEFT_VERSION);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "weft-appd: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	if (config->compositor_socket != NULL &&
		(config->compositor_fd >= 0 || config->no_compositor)) {
		fprintf(stderr,
			"weft-appd: --compositor-socket excludes --compositor-fd and "
			"--no-compositor\n");
		return 2;
	}
	return -1;
}

/* The control channel by path, as a unit of our own gets it: the peer must
 * be of our uid, as an inherited channel's is. */
static int connect_compositor(const char *path, struct weft_error *err)
{
	int fd = weft_ipc_connect(path, err);
	if (fd < 0) {
		weft_error_prefix(err, "no compositor (--compositor-socket)");
		return -1;
	}
	struct ucred cred;
	if (!weft_ipc_peer_cred(fd, &cred, err)) {
		close(fd);
		return -1;
	}
	if (cred.uid != getuid()) {
		weft_error_set(err, "the compositor socket %s belongs to uid %u, not ours", path,
			(unsigned)cred.uid);
		close(fd);
		return -1;
	}
	return fd;
}

/* Fills what the command line left: environment, then defaults. */
static bool finish_config(struct appd_config *config, struct weft_error *err)
{
	const char *env;
	if (config->socket_path == NULL && (env = getenv(WEFT_APPD_SOCKET_ENV)) != NULL &&
		env[0] != '\0') {
		config->socket_path = strdup(env);
	}
	if (config->socket_path == NULL) {
		char *dir = weft_path_runtime_dir(err);
		if (dir == NULL) {
			return false;
		}
		config->socket_path = weft_path_join(dir, WEFT_APPD_SOCKET_NAME);
		free(dir);
	}
	if (config->compositor_socket != NULL) {
		config->compositor_fd = connect_compositor(config->compositor_socket, err);
		if (config->compositor_fd < 0) {
			return false;
		}
	} else if (!config->no_compositor && config->compositor_fd < 0) {
		long v;
		env = getenv("WEFT_COMPOSITOR_FD");
		if (env == NULL) {
			weft_error_set(err,
				"no compositor: WEFT_COMPOSITOR_FD is not set "
				"(give --compositor-fd, or --no-compositor)");
			return false;
		}
		if (!weft_parse_long(env, 0, INT_MAX, &v)) {
			weft_error_set(err, "bad WEFT_COMPOSITOR_FD %s", env);
			return false;
		}
		config->compositor_fd = (int)v;
	}
	unsetenv("WEFT_COMPOSITOR_FD");
	if ((env = getenv("WEFT_ALLOW_UNTRUSTED")) != NULL && strcmp(env, "1") == 0) {
		config->allow_untrusted = true;
	}
	if (config->runtime_path == NULL && (env = getenv("WEFT_RUNTIME")) != NULL) {
		config->runtime_path = strdup(env);
	}
	if (config->app_shell_path == NULL && (env = getenv("WEFT_APP_SHELL")) != NULL) {
		config->app_shell_path = strdup(env);
	}
	if (config->mount_helper_path == NULL && (env = getenv("WEFT_MOUNT_HELPER")) != NULL) {
		config->mount_helper_path = strdup(env);
	}
	if (config->runtime_path == NULL) {
		config->runtime_path = weft_find_program("weft-runtime", "runtime");
	}
	if (config->mount_helper_path == NULL) {
		config->mount_helper_path = find_mount_helper();
	}
	if (config->app_shell_path == NULL) {
		config->app_shell_path = weft_find_program("weft-app-shell", "app-shell");
	}
	if (config->socket_path == NULL || config->runtime_path == NULL ||
		config->app_shell_path == NULL || config->mount_helper_path == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return true;
}

/* $XDG_RUNTIME_DIR/weft, private to the user, as the socket's directory. */
static bool make_socket_dir(const char *socket_path, struct weft_error *err)
{
	char *copy = strdup(socket_path);
	if (copy == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	const char *dir = dirname(copy);
	bool ok = mkdir(dir, 0700) == 0 || errno == EEXIST;
	if (!ok) {
		weft_error_errno(err, "mkdir %s", dir);
	}
	free(copy);
	return ok;
}

static void handle_signal(int fd, uint32_t events, void *data)
{
	struct appd *appd = data;
	struct signalfd_siginfo info;
	while (read(fd, &info, sizeof(info)) == sizeof(info)) {
		if (!appd->quitting) {
			weft_log(WEFT_INFO, "signal %d: stopping every session",
				(int)info.ssi_signo);
			sd_notify(0, "STOPPING=1");
			appd_sessions_stop_all(appd);
		}
	}
}

static bool setup(struct appd *appd, int *signal_fd, struct appd_source **signal_source,
	struct weft_error *err)
{
	struct weft_error why = { 0 };
	if (appd->config.insecure_no_sandbox) {
		weft_log(WEFT_WARN,
			"--insecure-no-sandbox: apps run WITHOUT their OS sandbox; "
			"code injected into one reaches everything this user can");
	} else if (!appd_sandbox_check(&why)) {
		weft_error_set(err,
			"cannot sandbox apps: %s; refusing to start (--insecure-no-sandbox "
			"runs them unconfined)",
			why.msg);
		return false;
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Blocked, so that only the signalfd sees them; children unblock. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) {
		weft_error_errno(err, "sigprocmask");
		return false;
	}
	signal(SIGPIPE, SIG_IGN);
	*signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (*signal_fd < 0) {
		weft_error_errno(err, "signalfd");
		return false;
	}
	appd->loop = appd_loop_create(err);
	if (appd->loop == NULL) {
		return false;
	}
	*signal_source = appd_loop_add_fd(appd->loop, *signal_fd, EPOLLIN, handle_signal, appd,
		err);
	if (*signal_source == NULL) {
		return false;
	}
	appd->buf = malloc(WEFT_MSG_MAX + 1);
	if (appd->buf == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	appd->limits = appd_limits_create(&appd->config.limits, err);
	if (appd->limits == NULL) {
		return false;
	}
	if (!appd->config.no_compositor) {
		appd->compositor = appd_compositor_create(appd, appd->config.compositor_fd, err);
		appd->config.compositor_fd = -1;
		if (appd->compositor == NULL) {
			return false;
		}
	}
	if (!make_socket_dir(appd->config.socket_path, err)) {
		return false;
	}
	appd->control = appd_control_create(appd, appd->config.socket_path, err);
	if (appd->control == NULL) {
		return false;
	}
	char *copy = strdup(appd->config.socket_path);
	appd->restore_path = copy != NULL ? weft_path_join(dirname(copy), "appd-state.json")
					  : NULL;
	free(copy);
	return true;
}

int main(int argc, char **argv)
{
	weft_log_init("weft-appd", WEFT_INFO);
	struct appd appd = {
		.config = {
			.compositor_fd = -1,
			.ready_timeout_ms = 10000,
			.grace_ms = 3000,
			.restore = true,
			.max_sessions = 64,
			.limits = {
				.kind = APPD_LIMITS_AUTO,
				.memory_max = 512ull << 20,
				.cpu_quota = 200,
			},
		},
		.next_session = 1,
	};
	wl_list_init(&appd.sessions);
	wl_list_init(&appd.launches);
	weft_strv_init(&appd.config.sandbox_share);
	weft_strv_init(&appd.config.sandbox_share_ro);
	weft_strv_init(&appd.config.sandbox_pass_env);
	int status = parse_args(argc, argv, &appd.config);
	if (status >= 0) {
		free(appd.config.socket_path);
		free(appd.config.runtime_path);
		free(appd.config.app_shell_path);
		free(appd.config.mount_helper_path);
		weft_strv_finish(&appd.config.sandbox_share);
		weft_strv_finish(&appd.config.sandbox_share_ro);
		weft_strv_finish(&appd.config.sandbox_pass_env);
		return status;
	}

	struct weft_error err = { 0 };
	int signal_fd = -1;
	struct appd_source *signal_source = NULL;
	status = 1;
	if (!finish_config(&appd.config, &err) ||
		!setup(&appd, &signal_fd, &signal_source, &err)) {
		weft_log(WEFT_ERROR, "%s", err.msg);
		goto out;
	}
	unsigned long nofile = appd_spawn_raise_nofile();
	weft_log(WEFT_DEBUG, "up to %lu open files", nofile);
	weft_log(WEFT_INFO, "listening on %s; runtime %s, app-shell %s%s%s",
		appd.config.socket_path, appd.config.runtime_path, appd.config.app_shell_path,
		appd.config.allow_untrusted ? "; untrusted packages allowed (developer mode)" : "",
		appd.config.insecure_no_sandbox ? "; NO SANDBOX" : "");
	/* Without a compositor there is no window to prewarm for. Without a
	 * spare, launches are slower, not broken. */
	if (!appd.config.no_prewarm && appd.compositor != NULL) {
		/* A sandboxed spare reads the shader cache the warm-up made,
		 * and starts once it is made. */
		if (!appd.config.insecure_no_sandbox) {
			appd.warm_up = appd_warm_up_create(&appd, &err);
			if (appd.warm_up == NULL) {
				weft_log(WEFT_WARN, "no shader cache for spare app-shells: %s",
					err.msg);
			}
		}
		if (appd.warm_up == NULL || appd_warm_up_done(appd.warm_up)) {
			appd_spare_begin(&appd, appd_warm_up_cache(appd.warm_up));
		}
	}
	appd_restore_load(&appd, appd.config.restore);
	sd_notify(0, "READY=1");

	status = 0;
	while (!appd.done) {
		if (!appd_loop_dispatch(appd.loop, -1, &err)) {
			weft_log(WEFT_ERROR, "%s", err.msg);
			status = 1;
			break;
		}
	}
	weft_log(WEFT_INFO, "every session has ended; exiting");

out:
	appd_launches_free(&appd);
	appd_restore_finish(&appd);
	appd_warm_up_destroy(appd.warm_up);
	appd_spare_destroy(appd.spare);
	appd_sessions_free(&appd);
	appd_control_destroy(appd.control);
	appd_compositor_destroy(appd.compositor);
	appd_limits_destroy(appd.limits);
	appd_source_remove(signal_source);
	if (signal_fd >= 0) {
		close(signal_fd);
	}
	if (appd.config.compositor_fd >= 0) {
		close(appd.config.compositor_fd);
	}
	appd_loop_destroy(appd.loop);
	free(appd.buf);
	free(appd.restore_path);
	free(appd.config.socket_path);
	free(appd.config.runtime_path);
	free(appd.config.app_shell_path);
	free(appd.config.mount_helper_path);
	weft_strv_finish(&appd.config.sandbox_share);
	weft_strv_finish(&appd.config.sandbox_share_ro);
	weft_strv_finish(&appd.config.sandbox_pass_env);
	return status;
}
