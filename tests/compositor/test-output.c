/*
 * wlr-output-management against weft-compositor with wlr-randr from Debian:
 * the output is listed, a mode and scale change are applied, and windows
 * follow the new size. Only desktop tools may bind it.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "test.h"

static bool have(const char *prog)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* Runs argv against the compositor to completion (at most 20 s); its
 * stdout, malloc'd, and its exit status. */
static char *run(struct tc_compositor *c, const char *const *argv, int *status)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		abort();
	}
	pid_t pid = fork();
	if (pid < 0) {
		abort();
	}
	if (pid == 0) {
		setenv("XDG_RUNTIME_DIR", c->runtime_dir, 1);
		setenv("WAYLAND_DISPLAY", c->socket, 1);
		dup2(pipefd[1], STDOUT_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	size_t len = 0, cap = 65536;
	char *out = malloc(cap);
	struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
	while (len + 1 < cap && poll(&pfd, 1, 20000) > 0) {
		ssize_t n = read(pipefd[0], out + len, cap - len - 1);
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
	}
	out[len] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, status, 0);
	}
	return out;
}

struct size_wait {
	struct tc_window *window;
	int width, height;
};

static bool window_has_size(void *data)
{
	struct size_wait *w = data;
	const struct tc_window_state *st = tc_window_state(w->window);
	return st->width == w->width && st->height == w->height;
}

static void wlr_randr_changes_the_mode(void)
{
	if (!have("wlr-randr")) {
		test_skip("wlr-randr not installed");
		return;
	}
	static const char *const args[] = { "--allow-desktop-tools", NULL };
	struct tc_compositor c;
	tc_compositor_start(&c, TC_NO_TEST_PROTOCOLS, args);
	struct tc_client *client = tc_client_connect(&c);
	struct tc_window *window = tc_xdg_window_create(client, "app", 0xff3060c0);
	struct size_wait wait = { window, 1280, 720 };
	EXPECT(tc_client_wait(client, window_has_size, &wait, TC_SETTLE_MS));

	int status;
	const char *const list[] = { "wlr-randr", NULL };
	char *out = run(&c, list, &status);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT(strstr(out, "HEADLESS-1") != NULL);
	EXPECT(strstr(out, "1280x720 px") != NULL);
	EXPECT(strstr(out, "Enabled: yes") != NULL);
	if (test_failed) {
		fprintf(stderr, "# wlr-randr said:\n%s", out);
	}
	free(out);

	const char *const change[] = { "wlr-randr", "--output", "HEADLESS-1", "--custom-mode",
		"1024x768", NULL };
	free(run(&c, change, &status));
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	wait = (struct size_wait){ window, 1024, 768 };
	EXPECT(tc_client_wait(client, window_has_size, &wait, TC_SETTLE_MS));

	/* Scale 2 halves the layout; the window follows again. */
	const char *const scale[] = { "wlr-randr", "--output", "HEADLESS-1", "--scale", "2",
		NULL };
	free(run(&c, scale, &status));
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	wait = (struct size_wait){ window, 512, 384 };
	EXPECT(tc_client_wait(client, window_has_size, &wait, TC_SETTLE_MS));

	out = run(&c, list, &status);
	EXPECT(strstr(out, "1024x768 px, 60.000000 Hz (current)") != NULL);
	EXPECT(strstr(out, "Scale: 2.000000") != NULL);
	if (test_failed) {
		fprintf(stderr, "# wlr-randr said:\n%s", out);
	}
	free(out);

	/* A mode nobody can show is refused, and nothing changes. */
	const char *const bad[] = { "wlr-randr", "--output", "HEADLESS-1", "--custom-mode",
		"20000x20000", NULL };
	free(run(&c, bad, &status));
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	out = run(&c, list, &status);
	EXPECT(strstr(out, "1024x768 px") != NULL);
	free(out);

	tc_client_destroy(client);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* Without --allow-desktop-tools nobody but the shell binds it; apps never. */
static void output_management_is_privileged(void)
{
	struct tc_compositor c;
	tc_compositor_start(&c, TC_WITH_SHELL | TC_WITH_CONTROL | TC_NO_TEST_PROTOCOLS, NULL);
	struct tc_client *ordinary = tc_client_connect(&c);
	int fd = tc_control_create_client(&c, "org.example.app", "s1");
	ASSERT(fd >= 0);
	struct tc_client *app = tc_client_connect_fd(fd);
	struct tc_client *shell = tc_client_connect_fd(dup(c.shell_fd));
	EXPECT(!tc_client_has_global(ordinary, "zwlr_output_manager_v1"));
	EXPECT(!tc_client_has_global(app, "zwlr_output_manager_v1"));
	EXPECT(tc_client_has_global(shell, "zwlr_output_manager_v1"));
	tc_client_destroy(shell);
	tc_client_destroy(app);
	tc_client_destroy(ordinary);
	EXPECT(tc_compositor_stop(&c) == 0);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(wlr_randr_changes_the_mode),
		TEST_CASE(output_management_is_privileged),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
