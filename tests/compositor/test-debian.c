/*
 * Real third-party clients from Debian against weft-compositor, as a user
 * would run them: wayland-info, weston-simple-shm, grim, wl-clipboard. And
 * the trusted children the compositor spawns itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "test.h"

static bool have(const char *prog)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* Whether pid has exited (a zombie has). */
static bool gone(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		return true;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *state = strrchr(buf, ')');
	return state == NULL || state[1] == '\0' || state[2] == 'Z' || state[2] == 'X';
}

static pid_t spawn(struct tc_compositor *c, const char *const *argv, int out_fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		setenv("XDG_RUNTIME_DIR", c->runtime_dir, 1);
		setenv("WAYLAND_DISPLAY", c->socket, 1);
		if (out_fd >= 0) {
			dup2(out_fd, STDOUT_FILENO);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Runs argv to completion (at most 10 s); returns its stdout, malloc'd. */
static char *run(struct tc_compositor *c, const char *const *argv, int *status)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		abort();
	}
	pid_t pid = spawn(c, argv, pipefd[1]);
	close(pipefd[1]);
	size_t len = 0, cap = 65536;
	char *out = malloc(cap);
	struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
	while (poll(&pfd, 1, 10000) > 0) {
		if (len + 4096 > cap) {
			cap *= 2;
			out = realloc(out, cap);
		}
		ssize_t n = read(pipefd[0], out + len, cap - len - 1);
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
	}
	out[len] = '\0';
	close(pipefd[0]);
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return out;
}

static void wayland_info_lists_globals(void)
{
	if (!have("wayland-info")) {
		test_skip("wayland-info not installed");
		return;
	}
	struct tc_compositor c;
	tc_compositor_start(&c, TC_NO_TEST_PROTOCOLS, NULL);
	int status;
	const char *const argv[] = { "wayland-info", NULL };
	char *out = run(&c, argv, &status);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT(strstr(out, "'xdg_wm_base'") != NULL);
	EXPECT(strstr(out, "'wl_data_device_manager'") != NULL);
	EXPECT(strstr(out, "'wp_presentation'") != NULL);
	EXPECT(strstr(out, "'zxdg_output_manager_v1'") != NULL);
	EXPECT(strstr(out, "'wp_viewporter'") != NULL);
	EXPECT(strstr(out, "zweft") == NULL);
	EXPECT(strstr(out, "screencopy") == NULL);
	free(out);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* Fraction of pixels in a binary PPM that are not black; -1 if unreadable. */
static double ppm_lit_fraction(const char *path, int *width, int *height)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return -1;
	}
	int maxval;
	if (fscanf(f, "P6 %d %d %d", width, height, &maxval) != 3 || maxval != 255 ||
		fgetc(f) == EOF) {
		fclose(f);
		return -1;
	}
	size_t n = (size_t)*width * *height, lit = 0;
	unsigned char px[3];
	for (size_t i = 0; i < n && fread(px, 1, 3, f) == 3; i++) {
		lit += px[0] > 16 || px[1] > 16 || px[2] > 16;
	}
	fclose(f);
	return n > 0 ? (double)lit / n : -1;
}

static void simple_shm_captured_by_grim(void)
{
	if (!have("weston-simple-shm") || !have("grim")) {
		test_skip("weston-simple-shm or grim not installed");
		return;
	}
	struct tc_compositor c;
	tc_compositor_start(&c, 0, NULL);
	char path[512];
	snprintf(path, sizeof(path), "%s/shot.ppm", c.runtime_dir);
	const char *const grim[] = { "grim", "-t", "ppm", path, NULL };
	int status, w = 0, h = 0;

	/* Nothing mapped: a black screen, so the next check means something. */
	free(run(&c, grim, &status));
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT(ppm_lit_fraction(path, &w, &h) == 0);
	EXPECT(w == 1280 && h == 720);

	const char *const shm[] = { "weston-simple-shm", NULL };
	pid_t client = spawn(&c, shm, -1);
	/* It draws in its own time: shoot until it shows (20 s at most). */
	double lit = -1;
	for (int i = 0; i < 200 && !(lit > 0.02); i++) {
		if (i > 0) {
			usleep(100 * 1000);
		}
		free(run(&c, grim, &status));
		lit = ppm_lit_fraction(path, &w, &h);
	}
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* simple-shm draws a 250x250 pattern: most of it is not black. */
	EXPECT(lit > 0.02);
	if (!(lit > 0.02)) {
		fprintf(stderr, "# lit fraction %f\n", lit);
	}
	EXPECT(waitpid(client, &status, WNOHANG) == 0); /* still running happily */
	kill(client, SIGTERM);
	waitpid(client, &status, 0);
	EXPECT(tc_compositor_alive(&c));
	EXPECT(tc_compositor_stop(&c) == 0);
}

#define CLIP_TEXT "h\xc3\xa9llo \xe2\x9c\x93\n\"wl-clipboard\""

static const char *clipboard_error(struct json_object *reply)
{
	struct json_object *error, *code;
	return json_object_object_get_ex(reply, "error", &error) &&
			json_object_object_get_ex(error, "code", &code)
		? json_object_get_string(code)
		: NULL;
}

/* What appd writes to the clipboard, wl-paste pastes like any client. */
static void wl_paste_gets_what_appd_wrote(void)
{
	if (!have("wl-paste")) {
		test_skip("wl-paste (wl-clipboard) not installed");
		return;
	}
	struct tc_compositor c;
	tc_compositor_start(&c, TC_WITH_CONTROL | TC_NO_TEST_PROTOCOLS, NULL);
	struct json_object *req = json_object_new_object();
	json_object_object_add(req, "id", json_object_new_int(1));
	json_object_object_add(req, "type", json_object_new_string("clipboard_write"));
	json_object_object_add(req, "text", json_object_new_string(CLIP_TEXT));
	struct json_object *reply = tc_control_request(&c, json_object_to_json_string(req), NULL);
	json_object_put(req);
	EXPECT(reply != NULL && clipboard_error(reply) == NULL);
	json_object_put(reply);

	int status;
	const char *const types[] = { "wl-paste", "--list-types", NULL };
	char *out = run(&c, types, &status);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT(strstr(out, "text/plain;charset=utf-8\n") != NULL);
	EXPECT(strstr(out, "UTF8_STRING\n") != NULL);
	free(out);
	const char *const paste[] = { "wl-paste", "--no-newline", NULL };
	out = run(&c, paste, &status);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_STR_EQ(out, CLIP_TEXT);
	free(out);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* What wl-copy copies, appd reads. */
static void wl_copy_is_read_by_appd(void)
{
	if (!have("wl-copy")) {
		test_skip("wl-copy (wl-clipboard) not installed");
		return;
	}
	struct tc_compositor c;
	tc_compositor_start(&c, TC_WITH_CONTROL | TC_NO_TEST_PROTOCOLS, NULL);
	const char *const copy[] = { "wl-copy", "--foreground", CLIP_TEXT, NULL };
	pid_t pid = spawn(&c, copy, -1);
	/* Empty until wl-copy has taken the selection. */
	struct json_object *reply = NULL;
	for (int i = 0; i < 400; i++) {
		json_object_put(reply);
		reply = tc_control_request(&c, "{\"id\":2,\"type\":\"clipboard_read\"}", NULL);
		const char *code = clipboard_error(reply);
		if (reply == NULL || code == NULL || strcmp(code, "empty") != 0) {
			break;
		}
		usleep(50 * 1000);
	}
	struct json_object *text;
	EXPECT(reply != NULL && json_object_object_get_ex(reply, "text", &text) &&
		strcmp(json_object_get_string(text), CLIP_TEXT) == 0);
	if (clipboard_error(reply) != NULL) {
		fprintf(stderr, "# %s\n", json_object_to_json_string(reply));
	}
	json_object_put(reply);
	kill(pid, SIGTERM);
	int status;
	waitpid(pid, &status, 0);
	EXPECT(tc_compositor_stop(&c) == 0);
}

/* The shell is spawned with a privileged WAYLAND_SOCKET and comes back after SIGKILL. */
static void shell_restarted_after_sigkill(void)
{
	char *dir = test_mkdtemp();
	char log[512], cmd[1024];
	snprintf(log, sizeof(log), "%s/shell.log", dir);
	snprintf(cmd, sizeof(cmd), "echo \"$$ ${WAYLAND_SOCKET:-none}\" >> %s; exec sleep 60",
		log);
	const char *const args[] = { "--shell", cmd, NULL };
	struct tc_compositor c;
	tc_compositor_start(&c, 0, args);

	pid_t first = 0, second = 0;
	char sock[32] = "";
	for (int i = 0; i < 1000 && second == 0; i++) {
		FILE *f = fopen(log, "r");
		if (f != NULL) {
			int a = 0, b = 0;
			char s1[32] = "", s2[32] = "";
			int n = fscanf(f, "%d %31s %d %31s", &a, s1, &b, s2);
			fclose(f);
			if (n >= 2 && first == 0) {
				first = a;
				snprintf(sock, sizeof(sock), "%s", s1);
				kill(first, SIGKILL);
			}
			if (n >= 4) {
				second = b;
			}
		}
		usleep(20000);
	}
	EXPECT(first > 0);
	EXPECT(strcmp(sock, "none") != 0 && atoi(sock) > 2);
	EXPECT(second > 0 && second != first);
	EXPECT(tc_compositor_alive(&c));
	/* Stopping the compositor takes its children with it. */
	EXPECT(tc_compositor_stop(&c) == 0);
	if (second > 0) {
		/* Killed with the compositor; init reaps it in its own time. */
		for (int i = 0; i < 2000 && !gone(second); i++) {
			usleep(10 * 1000);
		}
		EXPECT(gone(second));
	}
	test_rmtree(dir);
	free(dir);
}

/* appd is spawned with a control channel in WEFT_COMPOSITOR_FD. */
static void appd_gets_control_channel(void)
{
	char *dir = test_mkdtemp();
	char out[512], cmd[1024];
	snprintf(out, sizeof(out), "%s/appd.out", dir);
	/* A one-line appd: ask for a tagged client and keep the reply. */
	snprintf(cmd, sizeof(cmd),
		"python3 -c 'import os,socket,sys; "
		"s=socket.socket(fileno=int(os.environ[\"WEFT_COMPOSITOR_FD\"])); "
		"s.send(b\"{\\\"id\\\":1,\\\"type\\\":\\\"create_client\\\","
		"\\\"app_id\\\":\\\"org.weft.demo.counter\\\",\\\"session_id\\\":\\\"s1\\\"}\"); "
		"m,a,f,_=socket.recv_fds(s,65536,1); "
		"open(\"%s\",\"w\").write(m.decode()+\" fds=%%d\" %% len(a)); "
		"import time; time.sleep(60)'",
		out);
	if (!have("python3")) {
		test_skip("python3 not installed");
		free(dir);
		return;
	}
	const char *const args[] = { "--appd", cmd, NULL };
	struct tc_compositor c;
	tc_compositor_start(&c, 0, args);
	char buf[512] = "";
	for (int i = 0; i < 1000 && buf[0] == '\0'; i++) {
		FILE *f = fopen(out, "r");
		if (f != NULL) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			buf[n] = '\0';
			fclose(f);
		}
		usleep(20000);
	}
	EXPECT(strstr(buf, "\"ok\"") != NULL);
	EXPECT(strstr(buf, "fds=1") != NULL);
	if (strstr(buf, "fds=1") == NULL) {
		fprintf(stderr, "# appd wrote: %s\n", buf);
	}
	EXPECT(tc_compositor_stop(&c) == 0);
	test_rmtree(dir);
	free(dir);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(wayland_info_lists_globals),
		TEST_CASE(simple_shm_captured_by_grim),
		TEST_CASE(shell_restarted_after_sigkill),
		TEST_CASE(appd_gets_control_channel),
		TEST_CASE(wl_paste_gets_what_appd_wrote),
		TEST_CASE(wl_copy_is_read_by_appd),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
