/*
 * bench/webview: weft-app-shell with Servo in the headless compositor.
 *
 *   start → first frame   fork of weft-app-shell until the compositor reports
 *                         the window's first frame, and until the page's
 *                         colour is on screen (screencopy); each run starts
 *                         the shell twice, with its seccomp allowlist and
 *                         with --no-seccomp, in alternating order
 *   PSS                   of the weft-app-shell process, page shown
 *   IPC round trip        host → page → host through the bridge
 *
 * Each figure is printed beside a reference measured in the same run: a C
 * client that draws one colour, and a SOCK_SEQPACKET round trip between two
 * processes.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "test.h"

#define APP_ID "org.weft.bench.webview"
#define RUNS 10
#define ROUND_TRIPS 500

static const char manifest[] = "[package]\n"
			       "id = \"" APP_ID "\"\n"
			       "name = \"Bench\"\n"
			       "version = \"1.0.0\"\n"
			       "[runtime]\n"
			       "module = \"app.wasm\"\n"
			       "[ui]\n"
			       "entry = \"ui/index.html\"\n";

static const char page[] = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>"
			   "html, body { margin: 0; height: 100%; background: #2a7fd4; }"
			   "</style><script>weftIpc.onmessage = (m) => weftIpc.send(m);"
			   "</script></head><body></body></html>\n";

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), compare);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool screen_shows(struct tc_compositor *c, uint32_t rgb, double deadline)
{
	struct tc_client *viewer = tc_client_connect(c);
	bool seen = false;
	while (!seen && now_us() < deadline) {
		struct tc_image img;
		if (tc_screencopy(viewer, &img)) {
			seen = tc_image_pixel(&img, 640, 360) == rgb;
			tc_image_finish(&img);
		}
	}
	tc_client_destroy(viewer);
	return seen;
}

static long pss_kib(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	FILE *f = fopen(path, "r");
	long kib = -1;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Pss: %ld kB", &kib) == 1) {
			break;
		}
	}
	if (f) {
		fclose(f);
	}
	return kib;
}

static pid_t spawn_shell(const char *bin, int wayland, int ipc, const char *package, bool seccomp)
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDERR_FILENO);
		dup2(wayland, 10);
		dup2(ipc, 11);
		setenv("WAYLAND_SOCKET", "10", 1);
		unsetenv("WAYLAND_DISPLAY");
		if (seccomp) {
			execl(bin, bin, "--ipc-fd", "11", package, (char *)NULL);
		} else {
			execl(bin, bin, "--no-seccomp", "--ipc-fd", "11", package, (char *)NULL);
		}
		_exit(127);
	}
	return pid;
}

/*
 * Starts the shell and times its first frame and its page on screen, in
 * microseconds; the shell keeps running, *pid, with *ipc its IPC peer.
 * false if the page never showed.
 */
static bool start_shell(struct tc_compositor *c, const char *bin, const char *package,
	const char *session, bool seccomp, double *first_frame, double *content, pid_t *pid,
	int *ipc)
{
	*pid = -1;
	*ipc = -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		return false;
	}
	double t0 = now_us();
	int wayland = tc_control_create_client(c, APP_ID, session);
	*pid = spawn_shell(bin, wayland, sv[1], package, seccomp);
	close(wayland);
	close(sv[1]);
	*ipc = sv[0];
	struct json_object *ev = tc_control_event(c, "first_frame", 60000);
	*first_frame = now_us() - t0;
	bool shown = ev && screen_shows(c, 0x2a7fd4, t0 + 60e6);
	*content = now_us() - t0;
	json_object_put(ev);
	return shown;
}

/* Host → page → host, n times; fills rtt with microseconds. */
static bool ipc_round_trips(int fd, double *rtt, int n)
{
	char buf[64], back[64];
	for (int i = 0; i < n; i++) {
		int len = snprintf(buf, sizeof(buf), "m%d", i);
		double t0 = now_us();
		if (send(fd, buf, (size_t)len, MSG_NOSIGNAL) != len) {
			return false;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 10000) <= 0) {
			return false;
		}
		ssize_t got = recv(fd, back, sizeof(back) - 1, 0);
		if (got != len || memcmp(buf, back, (size_t)len) != 0) {
			return false;
		}
		rtt[i] = now_us() - t0;
	}
	return true;
}

/* The reference: the same round trip between two processes over SEQPACKET. */
static double socket_round_trip_us(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char buf[64];
		ssize_t n;
		close(sv[0]);
		while ((n = recv(sv[1], buf, sizeof(buf), 0)) > 0) {
			send(sv[1], buf, (size_t)n, 0);
		}
		_exit(0);
	}
	close(sv[1]);
	static double rtt[ROUND_TRIPS];
	bool ok = ipc_round_trips(sv[0], rtt, ROUND_TRIPS);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return ok ? median(rtt, ROUND_TRIPS) : -1;
}

int main(void)
{
	const char *bin = getenv("WEFT_APP_SHELL");
	if (!bin || !getenv("WEFT_COMPOSITOR")) {
		fprintf(stderr, "webview bench: WEFT_APP_SHELL and WEFT_COMPOSITOR must be set\n");
		return 1;
	}
	char *package = test_mkdtemp();
	test_write_file(package, "wapp.toml", manifest, strlen(manifest));
	test_write_file(package, "app.wasm", "", 0);
	test_write_file(package, "ui/index.html", page, strlen(page));

	struct tc_compositor c;
	tc_compositor_start(&c, TC_WITH_CONTROL, NULL);

	double first_frame[RUNS], content[RUNS], reference[RUNS], rtt_median = -1;
	double bare_first_frame[RUNS], bare_content[RUNS];
	long pss = -1;
	int runs = 0;
	for (int run = 0; run < RUNS; run++) {
		char session[16];
		snprintf(session, sizeof(session), "r%d", run);

		/* Reference: a C client that draws one colour in a zweft window. */
		double t0 = now_us();
		int fd = tc_control_create_client(&c, APP_ID, session);
		struct tc_client *plain = tc_client_connect_fd(fd);
		struct tc_window *window = tc_zweft_window_create(plain, APP_ID, "application", 0,
			0, 0, 0, 0xff2a7fd4);
		json_object_put(tc_control_event(&c, "first_frame", 10000));
		reference[run] = now_us() - t0;
		tc_window_destroy(window);
		tc_client_destroy(plain);
		json_object_put(tc_control_event(&c, "client_gone", 2000));

		/* With the filter and without, which first alternating. */
		bool shown = true;
		for (int k = 0; shown && k < 2; k++) {
			bool seccomp = (run + k) % 2 == 0;
			snprintf(session, sizeof(session), "%c%d", seccomp ? 's' : 'n', run);
			pid_t pid;
			int ipc;
			double *frame = seccomp ? &first_frame[run] : &bare_first_frame[run];
			double *page_shown = seccomp ? &content[run] : &bare_content[run];
			shown = start_shell(&c, bin, package, session, seccomp, frame, page_shown,
				&pid, &ipc);
			if (!shown) {
				fprintf(stderr, "webview bench: run %d%s: the page never showed\n",
					run, seccomp ? "" : " (--no-seccomp)");
				if (pid > 0) {
					kill(pid, SIGKILL);
				}
			} else if (seccomp && run == RUNS - 1) {
				usleep(1000000);
				pss = pss_kib(pid);
				static double rtt[ROUND_TRIPS];
				if (ipc_round_trips(ipc, rtt, ROUND_TRIPS)) {
					rtt_median = median(rtt, ROUND_TRIPS);
				}
			}
			if (ipc >= 0) {
				close(ipc); /* the shell exits on hangup */
			}
			if (pid > 0) {
				waitpid(pid, NULL, 0);
			}
		}
		if (!shown) {
			break;
		}
		runs++;
	}
	tc_compositor_stop(&c);
	test_rmtree(package);
	free(package);
	if (runs == 0) {
		return 1;
	}

	printf("webview: start -> first frame    median %8.1f ms   (C zweft client: %.1f ms; "
	       "--no-seccomp: %.1f ms)\n",
		median(first_frame, (size_t)runs) / 1e3, median(reference, (size_t)runs) / 1e3,
		median(bare_first_frame, (size_t)runs) / 1e3);
	printf("webview: start -> page on screen median %8.1f ms   (target <= 250 ms; "
	       "--no-seccomp: %.1f ms)\n",
		median(content, (size_t)runs) / 1e3, median(bare_content, (size_t)runs) / 1e3);
	printf("webview: app-shell PSS                 %8.1f MB   (target, with runtime: <= 80 "
	       "MB)\n",
		pss / 1024.0);
	printf("webview: host -> page -> host     median %8.1f us   (SEQPACKET round trip: %.1f "
	       "us)\n",
		rtt_median, socket_round_trip_us());
	return 0;
}
