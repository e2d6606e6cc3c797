/* The server half of fuzz-zweft: the real compositor (every compositor/ file but
 * main.c), headless with the pixman renderer, in this process. Apart from
 * the client half because libwayland's client and server headers do not
 * mix in one file. */
#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <wlr/util/log.h>

#include "fuzz-zweft.h"
#include "fuzz.h"
#include "server.h"
#include "weft/log.h"

static struct weft_server server;
static char runtime_dir[4096];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* The socket and its lock go with the directory made for them. */
static void remove_runtime_dir(void)
{
	nftw(runtime_dir, remove_entry, 4, FTW_DEPTH | FTW_PHYS);
}

void fuzz_server_init(void)
{
	weft_log_init("fuzz-zweft", WEFT_ERROR);
	wlr_log_init(WLR_ERROR, NULL);
	if (getenv("XDG_RUNTIME_DIR") == NULL) {
		const char *tmp = getenv("TMPDIR");
		snprintf(runtime_dir, sizeof(runtime_dir), "%s/weft-fuzz-zweft-XXXXXX",
			tmp != NULL ? tmp : "/tmp");
		if (mkdtemp(runtime_dir) == NULL || setenv("XDG_RUNTIME_DIR", runtime_dir, 1)) {
			perror("fuzz-zweft: XDG_RUNTIME_DIR");
			abort();
		}
		atexit(remove_runtime_dir);
	}
	setenv("WLR_RENDERER", "pixman", 1);
	unsetenv("WAYLAND_DISPLAY");
	unsetenv("DISPLAY");
	struct weft_options options = {
		.backend = WEFT_BACKEND_HEADLESS,
		.width = 320,
		.height = 240,
		.shell_fd = -1,
		.appd_fd = -1,
	};
	struct weft_error err = { 0 };
	if (!weft_server_init(&server, &options, &err) || !weft_server_start(&server, &err)) {
		fprintf(stderr, "fuzz-zweft: %s\n", err.msg);
		abort();
	}
	fuzz_server_dispatch();
}

bool fuzz_server_client(int role, int fd)
{
	static const enum weft_client_role roles[] = {
		WEFT_CLIENT_ORDINARY,
		WEFT_CLIENT_SHELL,
		WEFT_CLIENT_APP,
	};
	enum weft_client_role r = roles[role % 3];
	return weft_client_create_tagged(&server, fd, r, r == WEFT_CLIENT_APP ? FUZZ_APP_ID : NULL,
		       r == WEFT_CLIENT_APP ? "1" : NULL) != NULL;
}

void fuzz_server_dispatch(void)
{
	wl_display_flush_clients(server.display);
	wl_event_loop_dispatch(server.loop, 0);
	wl_display_flush_clients(server.display);
}

void fuzz_server_check_clean(void)
{
	/* The client is gone: so are its windows. */
	FUZZ_CHECK(wl_list_empty(&server.views));
	FUZZ_CHECK(server.focused == NULL);
}
