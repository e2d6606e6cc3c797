/*
 * weft-compositor: WEFT's Wayland compositor and session leader.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <wlr/util/log.h>

#include "server.h"
#include "weft/log.h"
#include "weft/programs.h"

static const char usage[] =
	"Usage: weft-compositor [options]\n"
	"\n"
	"  --backend auto|drm|wayland|x11|headless\n"
	"                          where to show outputs (default auto: nested when\n"
	"                          WAYLAND_DISPLAY or DISPLAY is set, DRM on a VT,\n"
	"                          headless otherwise)\n"
	"  --size WxH              size of headless outputs (default 1280x720)\n"
	"  --shell CMD             run CMD as the system shell (privileged client)\n"
	"  --no-shell              run no shell\n"
	"  --appd CMD              run CMD as appd, with a control channel\n"
	"  --no-appd               run no appd\n"
	"  --shell-fd FD           the shell is already connected on socket FD\n"
	"  --appd-fd FD            appd is already connected on control socket FD\n"
	"  --appd-socket PATH      start no appd: wait for one to connect on PATH\n"
	"                          (appd as a systemd unit of its own)\n"
	"  --export-environment    put WAYLAND_DISPLAY (and DISPLAY) in the systemd\n"
	"                          user manager's environment before READY=1\n"
	"  --expose-test-protocols offer screencopy and virtual input to ordinary\n"
	"                          clients (for test suites only)\n"
	"  --allow-desktop-tools   offer every privileged global (screencopy,\n"
	"                          virtual input, data-control, input method, ...)\n"
	"                          to ordinary clients, never to apps\n"
	"  --xwayland              run X11 programs through Xwayland (started on the\n"
	"                          first X connection; DISPLAY is set for children)\n"
	"  -d, --debug             verbose logging\n"
	"  -h, --help              show this help\n"
	"  -v, --version           show the version\n";

enum {
	OPT_BACKEND = 256,
	OPT_SIZE,
	OPT_SHELL,
	OPT_NO_SHELL,
	OPT_APPD,
	OPT_NO_APPD,
	OPT_SHELL_FD,
	OPT_APPD_FD,
	OPT_APPD_SOCKET,
	OPT_EXPORT_ENVIRONMENT,
	OPT_EXPOSE,
	OPT_DESKTOP_TOOLS,
	OPT_XWAYLAND,
};

static bool parse_backend(const char *s, enum weft_backend_choice *out)
{
	static const char *const names[] = {
		[WEFT_BACKEND_AUTO] = "auto",
		[WEFT_BACKEND_DRM] = "drm",
		[WEFT_BACKEND_WAYLAND] = "wayland",
		[WEFT_BACKEND_X11] = "x11",
		[WEFT_BACKEND_HEADLESS] = "headless",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum weft_backend_choice)i;
			return true;
		}
	}
	return false;
}

static bool parse_size(const char *s, int *w, int *h)
{
	char *end;
	long lw = strtol(s, &end, 10);
	if (end == s || *end != 'x') {
		return false;
	}
	const char *hs = end + 1;
	long lh = strtol(hs, &end, 10);
	if (end == hs || *end != '\0' || lw < 1 || lh < 1 || lw > 16384 || lh > 16384) {
		return false;
	}
	*w = (int)lw;
	*h = (int)lh;
	return true;
}

static bool parse_fd(const char *s, int *fd)
{
	long v;
	if (!weft_parse_long(s, 3, 65535, &v)) {
		return false;
	}
	*fd = (int)v;
	return true;
}

__attribute__((format(printf, 2, 0))) static void log_wlr(enum wlr_log_importance importance,
	const char *fmt, va_list args)
{
	static const enum weft_log_level levels[] = {
		[WLR_SILENT] = WEFT_SILENT,
		[WLR_ERROR] = WEFT_ERROR,
		[WLR_INFO] = WEFT_DEBUG,
		[WLR_DEBUG] = WEFT_DEBUG,
	};
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, args);
	weft_log(levels[importance], "wlr: %s", msg);
}

static const char default_shell[] = "weft-shell";
static const char default_appd[] = "weft-appd";

/*
 * The command that runs WEFT's program name when no option names one: the
 * one beside our executable, in the build tree or in the install prefix
 * (quoted for /bin/sh -c), else name alone, looked up in $PATH.
 */
static char *default_command(const char *name, const char *build_dir)
{
	char *path = weft_find_program(name, build_dir);
	if (path == NULL) {
		return NULL;
	}
	char *cmd = access(path, X_OK) == 0 ? weft_shell_quote(path) : strdup(name);
	free(path);
	return cmd;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "shell", required_argument, NULL, OPT_SHELL },
		{ "no-shell", no_argument, NULL, OPT_NO_SHELL },
		{ "appd", required_argument, NULL, OPT_APPD },
		{ "no-appd", no_argument, NULL, OPT_NO_APPD },
		{ "shell-fd", required_argument, NULL, OPT_SHELL_FD },
		{ "appd-fd", required_argument, NULL, OPT_APPD_FD },
		{ "appd-socket", required_argument, NULL, OPT_APPD_SOCKET },
		{ "export-environment", no_argument, NULL, OPT_EXPORT_ENVIRONMENT },
		{ "expose-test-protocols", no_argument, NULL, OPT_EXPOSE },
		{ "allow-desktop-tools", no_argument, NULL, OPT_DESKTOP_TOOLS },
		{ "xwayland", no_argument, NULL, OPT_XWAYLAND },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ 0 },
	};
	struct weft_options options = {
		.backend = WEFT_BACKEND_AUTO,
		.width = 1280,
		.height = 720,
		.shell_cmd = default_shell,
		.appd_cmd = default_appd,
		.shell_fd = -1,
		.appd_fd = -1,
	};
	enum weft_log_level level = WEFT_INFO;

	int opt;
	while ((opt = getopt_long(argc, argv, "dhv", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_BACKEND:
			if (!parse_backend(optarg, &options.backend)) {
				fprintf(stderr, "weft-compositor: unknown backend '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_SIZE:
			if (!parse_size(optarg, &options.width, &options.height)) {
				fprintf(stderr, "weft-compositor: bad size '%s' (want WxH)\n",
					optarg);
				return 2;
			}
			break;
		case OPT_SHELL:
			options.shell_cmd = optarg;
			break;
		case OPT_NO_SHELL:
			options.shell_cmd = NULL;
			break;
		case OPT_APPD:
			options.appd_cmd = optarg;
			break;
		case OPT_NO_APPD:
			options.appd_cmd = NULL;
			break;
		case OPT_SHELL_FD:
		case OPT_APPD_FD:
			if (!parse_fd(optarg,
				    opt == OPT_SHELL_FD ? &options.shell_fd : &options.appd_fd)) {
				fprintf(stderr, "weft-compositor: bad fd '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_APPD_SOCKET:
			if (optarg[0] != '/') {
				fprintf(stderr,
					"weft-compositor: --appd-socket wants an absolute path, "
					"not '%s'\n",
					optarg);
				return 2;
			}
			options.appd_socket = optarg;
			break;
		case OPT_EXPORT_ENVIRONMENT:
			options.export_environment = true;
			break;
		case OPT_EXPOSE:
			options.expose_test_protocols = true;
			break;
		case OPT_DESKTOP_TOOLS:
			options.allow_desktop_tools = true;
			break;
		case OPT_XWAYLAND:
			options.xwayland = true;
			break;
		case 'd':
			level = WEFT_DEBUG;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'v':
			printf("weft-compositor %s\n", WEFT_VERSION);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "weft-compositor: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	/* An inherited connection replaces the spawned process. */
	if (options.shell_fd >= 0) {
		options.shell_cmd = NULL;
	}
	if (options.appd_fd >= 0 && options.appd_socket != NULL) {
		fprintf(stderr,
			"weft-compositor: --appd-fd and --appd-socket exclude each other\n");
		return 2;
	}
	if (options.appd_fd >= 0 || options.appd_socket != NULL) {
		options.appd_cmd = NULL;
	}

	char *shell_cmd = NULL;
	char *appd_cmd = NULL;
	if ((options.shell_cmd == default_shell &&
		    (options.shell_cmd = shell_cmd = default_command(default_shell, "shell")) ==
			    NULL) ||
		(options.appd_cmd == default_appd &&
			(options.appd_cmd = appd_cmd = default_command(default_appd, "appd")) ==
				NULL)) {
		fprintf(stderr, "weft-compositor: out of memory\n");
		free(shell_cmd);
		return 1;
	}

	weft_log_init(argv[0], level);
	/* WEFT_LOG=debug asks for wlroots' debug messages as much as --debug does. */
	wlr_log_init(weft_log_get_level() >= WEFT_DEBUG ? WLR_DEBUG : WLR_ERROR, log_wlr);

	struct weft_server server = { 0 };
	struct weft_error err = { 0 };
	if (!weft_server_init(&server, &options, &err) || !weft_server_start(&server, &err)) {
		weft_log(WEFT_ERROR, "%s", err.msg);
		weft_server_finish(&server);
		free(shell_cmd);
		free(appd_cmd);
		return 1;
	}
	wl_display_run(server.display);
	weft_server_finish(&server);
	free(shell_cmd);
	free(appd_cmd);
	return server.listeners_left ? 1 : 0;
}
