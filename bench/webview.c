/*
 * bench/webview: weft-app-shell with Servo in the headless compositor.
 *
 *   start → first frame   fork of weft-app-shell until the compositor reports
 *                         the window's first frame, and until the page's
 *                         colour is on screen (screencopy); each run starts
 *                         the shell twice, with its seccomp allowlist and
 *                         with --no-seccomp, in alternating order
 *   PSS                   of the weft-app-shell process, page shown
 *   IPC round trip        host → page → host through the bridge, and each
 *                         leg alone: the page stamps the time a message
 *                         arrived and the time it answered (performance.now
 *                         counts in 10 µs steps, on the same CLOCK_MONOTONIC)
 *   idle component        with $WEFT_RUNTIME and $WEFT_COUNTER set: the demo
 *                         counter in weft-runtime, first host → guest → host
 *                         with the guest asleep in ipc.wait, then the
 *                         page's own round trip page → idle guest → page,
 *                         timed by the page, as a user's click travels
 *
 * Each figure is printed beside a reference measured in the same run: a C
 * client that draws one colour, and a SOCK_SEQPACKET round trip between two
 * processes. Round trips are given as p50 / p99.
 */
#include <errno.h>
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
#define IDLE_TRIPS 40
/* Between two idle trips the counter sleeps in ipc.wait. */
#define IDLE_PAUSE_MS 20
#define STR_(x) #x
#define STR(x) STR_(x)
#define IDLE_TRIPS_STR STR(IDLE_TRIPS)
#define IDLE_PAUSE_STR STR(IDLE_PAUSE_MS)

static const char manifest[] = "[package]\n"
			       "id = \"" APP_ID "\"\n"
			       "name = \"Bench\"\n"
			       "version = \"1.0.0\"\n"
			       "[runtime]\n"
			       "module = \"app.wasm\"\n"
			       "[ui]\n"
			       "entry = \"ui/index.html\"\n";

/*
 * The page echoes the bench's messages; "t..." comes back stamped with the
 * page's clock (ms) on arrival and just before it answers. Its first
 * message is "hello": the bench answers "legs"; the counter answers with
 * an error, and then the page times its own round trips to the counter,
 * IDLE_TRIPS of them IDLE_PAUSE_MS apart, and reports them (µs) with
 * console.warn, which weft-app-shell logs.
 */
static const char page[] = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>"
			   "html, body { margin: 0; height: 100%; background: #2a7fd4; }"
			   "</style><script>\n"
			   "const now = () => performance.timeOrigin + performance.now();\n"
			   "let mode = null, t0 = 0, trips = [];\n"
			   "function trip() { t0 = now(); weftIpc.send('get'); }\n"
			   "weftIpc.onmessage = (m) => {\n"
			   "  if (mode === null) {\n"
			   "    mode = m === 'legs' ? 'legs' : 'e2e';\n"
			   "    if (mode === 'e2e') setTimeout(trip, 200);\n"
			   "  } else if (mode === 'e2e') {\n"
			   "    trips.push(Math.round((now() - t0) * 1000));\n"
			   "    if (trips.length < " IDLE_TRIPS_STR
			   ") setTimeout(trip, " IDLE_PAUSE_STR ");\n"
			   "    else console.warn('e2e ' + trips.join(' '));\n"
			   "  } else if (m[0] === 't') {\n"
			   "    const t1 = now();\n"
			   "    weftIpc.send(m + ' ' + t1.toFixed(3) + ' ' + now().toFixed(3));\n"
			   "  } else {\n"
			   "    weftIpc.send(m);\n"
			   "  }\n"
			   "};\n"
			   "weftIpc.send('hello');\n"
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

/* The value at fraction q of v, sorted. */
static double percentile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), compare);
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static pid_t spawn_shell_logging(const char *bin, int wayland, int ipc, const char *package,
	bool seccomp, int log_fd)
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(log_fd >= 0 ? log_fd : null, STDERR_FILENO);
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

static pid_t spawn_shell(const char *bin, int wayland, int ipc, const char *package, bool seccomp)
{
	return spawn_shell_logging(bin, wayland, ipc, package, seccomp, -1);
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

/* Receives one message into buf (NUL-terminated), waiting up to timeout_ms. */
static ssize_t recv_within(int fd, char *buf, size_t size, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, timeout_ms) <= 0) {
		return -1;
	}
	ssize_t got = recv(fd, buf, size - 1, 0);
	if (got >= 0) {
		buf[got] = '\0';
	}
	return got;
}

/* A page stamp (ms, floored twice to 10 µs steps: its time origin and
 * performance.now()) as µs on CLOCK_MONOTONIC, corrected by the 10 µs the
 * two floors lose on average. */
static double page_us(double ms)
{
	return ms * 1e3 + 10;
}

/*
 * Each leg alone, n times: "t<host µs>" goes to the page, which answers
 * with its arrival and answer stamps.
 */
static bool ipc_legs(int fd, double *to_page, double *to_host, int n)
{
	char buf[64], back[160];
	for (int i = 0; i < n; i++) {
		double t0 = now_us();
		int len = snprintf(buf, sizeof(buf), "t%.3f", t0);
		if (send(fd, buf, (size_t)len, MSG_NOSIGNAL) != len ||
			recv_within(fd, back, sizeof(back), 10000) <= 0) {
			return false;
		}
		double t3 = now_us(), t1, t2;
		if (strncmp(back, buf, (size_t)len) != 0 ||
			sscanf(back + len, " %lf %lf", &t1, &t2) != 2) {
			return false;
		}
		to_page[i] = page_us(t1) - t0;
		to_host[i] = t3 - page_us(t2);
	}
	return true;
}

/* The reference: the same round trip between two processes over SEQPACKET. */
static double socket_round_trip_us(double *p99)
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
	*p99 = ok ? percentile(rtt, ROUND_TRIPS, 0.99) : -1;
	return ok ? median(rtt, ROUND_TRIPS) : -1;
}

struct idle_figures {
	double wake[IDLE_TRIPS]; /* host → idle guest → host */
	double e2e[IDLE_TRIPS]; /* page → idle guest → page */
	int e2e_count;
};

/* Starts weft-runtime on the counter; its IPC peer end in *ipc. */
static pid_t start_counter(const char *runtime, const char *counter, int *ipc)
{
	int sv[2], control[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0 ||
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) != 0) {
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDERR_FILENO);
		dup2(sv[1], 3);
		dup2(control[1], 4);
		execl(runtime, runtime, "--ipc-fd", "3", "--control-fd", "4", counter,
			(char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	close(control[1]);
	char buf[64];
	ssize_t n = recv_within(control[0], buf, sizeof(buf), 30000);
	/* The control channel stays open (never read again) until the runtime ends. */
	if (n != 6 || memcmp(buf, "READY\n", 6) != 0) {
		fprintf(stderr, "webview bench: no READY from %s\n", runtime);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(sv[0]);
		return -1;
	}
	*ipc = sv[0];
	return pid;
}

/* Reads the shell's log until the page's "e2e ..." line; false on timeout. */
static bool read_e2e_line(int log_fd, struct idle_figures *fig)
{
	static char log[1 << 16];
	size_t len = 0;
	double deadline = now_us() + 120e6;
	while (now_us() < deadline) {
		struct pollfd pfd = { .fd = log_fd, .events = POLLIN };
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR) {
			return false;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP))) {
			continue;
		}
		if (len == sizeof(log) - 1) {
			len = 0; /* only the last lines matter */
		}
		ssize_t n = read(log_fd, log + len, sizeof(log) - 1 - len);
		if (n <= 0) {
			return false;
		}
		len += (size_t)n;
		log[len] = '\0';
		char *line = strstr(log, "console: e2e ");
		char *end = line ? strchr(line, '\n') : NULL;
		if (end == NULL) {
			continue;
		}
		*end = '\0';
		char *p = line + strlen("console: e2e ");
		fig->e2e_count = 0;
		while (fig->e2e_count < IDLE_TRIPS) {
			char *next;
			double v = strtod(p, &next);
			if (next == p) {
				break;
			}
			fig->e2e[fig->e2e_count++] = v;
			p = next;
		}
		return fig->e2e_count == IDLE_TRIPS;
	}
	return false;
}

/*
 * The counter asleep in ipc.wait, first from here, then from a page:
 * the shell's IPC peer is the runtime itself, as in a session.
 */
static bool idle_component(struct tc_compositor *c, const char *bin, const char *package,
	const char *runtime, const char *counter, struct idle_figures *fig)
{
	int ipc;
	pid_t rt = start_counter(runtime, counter, &ipc);
	if (rt < 0) {
		return false;
	}
	char buf[256];
	bool ok = true;
	for (int i = 0; ok && i < IDLE_TRIPS; i++) {
		usleep(IDLE_PAUSE_MS * 1000);
		double t0 = now_us();
		ok = send(ipc, "get", 3, MSG_NOSIGNAL) == 3 &&
			recv_within(ipc, buf, sizeof(buf), 10000) > 0;
		fig->wake[i] = now_us() - t0;
	}
	int log[2];
	if (ok && pipe2(log, O_CLOEXEC) == 0) {
		int wayland = tc_control_create_client(c, APP_ID, "e2e");
		pid_t shell = spawn_shell_logging(bin, wayland, ipc, package, true, log[1]);
		close(wayland);
		close(log[1]);
		ok = read_e2e_line(log[0], fig);
		close(log[0]);
		kill(shell, SIGTERM);
		waitpid(shell, NULL, 0);
	} else {
		ok = false;
	}
	close(ipc);
	kill(rt, SIGTERM);
	waitpid(rt, NULL, 0);
	return ok;
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

	static double rtt[ROUND_TRIPS], to_page[ROUND_TRIPS], to_host[ROUND_TRIPS];
	bool have_rtt = false;
	double first_frame[RUNS], content[RUNS], reference[RUNS];
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
				char hello[16];
				have_rtt = recv_within(ipc, hello, sizeof(hello), 10000) > 0 &&
					strcmp(hello, "hello") == 0 &&
					send(ipc, "legs", 4, MSG_NOSIGNAL) == 4 &&
					ipc_round_trips(ipc, rtt, ROUND_TRIPS) &&
					ipc_legs(ipc, to_page, to_host, ROUND_TRIPS);
				if (!have_rtt) {
					fprintf(stderr,
						"webview bench: the IPC round trips failed\n");
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
	const char *runtime = getenv("WEFT_RUNTIME"), *counter = getenv("WEFT_COUNTER");
	static struct idle_figures idle;
	bool have_idle = runs > 0 && runtime && counter && *runtime && *counter &&
		idle_component(&c, bin, package, runtime, counter, &idle);
	if (runs > 0 && runtime && counter && *runtime && *counter && !have_idle) {
		fprintf(stderr, "webview bench: the idle component's round trips failed\n");
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
	double ref_p99 = -1, ref_p50 = socket_round_trip_us(&ref_p99);
	printf("webview: round trips, p50 / p99 in us (SEQPACKET round trip between two "
	       "processes, this run: %.1f / %.1f)\n",
		ref_p50, ref_p99);
	if (have_rtt) {
		printf("webview:   host -> page -> host           %8.1f / %8.1f\n",
			median(rtt, ROUND_TRIPS), percentile(rtt, ROUND_TRIPS, 0.99));
		printf("webview:   host -> page (one way)         %8.1f / %8.1f   (page clock: "
		       "10 us steps)\n",
			median(to_page, ROUND_TRIPS), percentile(to_page, ROUND_TRIPS, 0.99));
		printf("webview:   page -> host (one way)         %8.1f / %8.1f\n",
			median(to_host, ROUND_TRIPS), percentile(to_host, ROUND_TRIPS, 0.99));
	}
	if (have_idle) {
		printf("webview:   host -> idle guest -> host     %8.1f / %8.1f   (weft-runtime, "
		       "demo counter, %d ms apart)\n",
			median(idle.wake, IDLE_TRIPS), percentile(idle.wake, IDLE_TRIPS, 0.99),
			IDLE_PAUSE_MS);
		printf("webview:   page -> idle guest -> page     %8.1f / %8.1f   (end to end; "
		       "target <= 200)\n",
			median(idle.e2e, IDLE_TRIPS), percentile(idle.e2e, IDLE_TRIPS, 0.99));
	} else if (!runtime || !counter) {
		printf("webview:   page -> idle guest -> page     skipped: WEFT_RUNTIME and "
		       "WEFT_COUNTER not set\n");
	}
	return have_rtt ? 0 : 1;
}
