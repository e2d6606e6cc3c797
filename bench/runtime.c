/*
 * bench/runtime: how fast weft-runtime starts and answers (design §11).
 *
 *   start → READY, with the precompiled cache warm and with --no-cache
 *   IPC round trip host → guest → host (the counter's "get")
 *
 * Each figure is printed next to a reference measured in the same run:
 * spawning /bin/true for start-up, a SOCK_SEQPACKET echo between two
 * threads for the round trip, and for the round trip to an idle guest, an
 * echo process asleep in recv() between trips as long as the guest is: what
 * waking any sleeping process costs here.
 *
 * usage: bench-runtime WEFT_RUNTIME COUNTER_COMPONENT
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_RUNS 30
#define COLD_RUNS 5
#define ROUND_TRIPS 2000
#define IDLE_ROUND_TRIPS 20
#define IDLE_PAUSE_NS (50 * 1000 * 1000)

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The value at fraction q of v, sorted (median() sorts it). */
static double percentile(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static void die(const char *what)
{
	fprintf(stderr, "bench-runtime: %s: %s\n", what, strerror(errno));
	exit(1);
}

struct runtime {
	pid_t pid;
	int ipc, control;
};

/* Starts weft-runtime on component; returns once it said READY. */
static double start_runtime(struct runtime *rt, const char *runtime, const char *component,
	bool cache)
{
	int ipc[2], control[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ipc) != 0 ||
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) != 0) {
		die("socketpair");
	}
	double t0 = now_us();
	pid_t pid = fork();
	if (pid < 0) {
		die("fork");
	}
	if (pid == 0) {
		/* The child's ends must survive exec: dup2 clears CLOEXEC. */
		if (dup2(ipc[1], 3) < 0 || dup2(control[1], 4) < 0) {
			_exit(127);
		}
		char *argv[8] = { (char *)runtime, "--ipc-fd", "3", "--control-fd", "4" };
		size_t argc = 5;
		if (!cache) {
			argv[argc++] = "--no-cache";
		}
		argv[argc++] = (char *)component;
		execv(runtime, argv);
		_exit(127);
	}
	close(ipc[1]);
	close(control[1]);
	char buf[64];
	ssize_t n = recv(control[0], buf, sizeof(buf), 0);
	double t = now_us() - t0;
	if (n != 6 || memcmp(buf, "READY\n", 6) != 0) {
		fprintf(stderr, "bench-runtime: no READY from %s\n", runtime);
		exit(1);
	}
	rt->pid = pid;
	rt->ipc = ipc[0];
	rt->control = control[0];
	return t;
}

static void stop_runtime(struct runtime *rt)
{
	kill(rt->pid, SIGTERM);
	waitpid(rt->pid, NULL, 0);
	close(rt->ipc);
	close(rt->control);
}

static double spawn_true(void)
{
	double t0 = now_us();
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	return now_us() - t0;
}

static void *echo_main(void *data)
{
	int fd = *(int *)data;
	char buf[256];
	ssize_t n;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		send(fd, buf, (size_t)n, 0);
	}
	return NULL;
}

static double socket_round_trip(double *p99)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		die("socketpair");
	}
	pthread_t t;
	pthread_create(&t, NULL, echo_main, &sv[1]);
	static double v[ROUND_TRIPS];
	char buf[256];
	for (size_t i = 0; i < ROUND_TRIPS; i++) {
		double t0 = now_us();
		send(sv[0], "get", 3, 0);
		recv(sv[0], buf, sizeof(buf), 0);
		v[i] = now_us() - t0;
	}
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(t, NULL);
	close(sv[0]);
	close(sv[1]);
	double p50 = median(v, ROUND_TRIPS);
	*p99 = percentile(v, ROUND_TRIPS, 0.99);
	return p50;
}

/* One round trip over fd after a pause of IDLE_PAUSE_NS. */
static double idle_trip(int fd)
{
	struct timespec pause = { 0, IDLE_PAUSE_NS };
	nanosleep(&pause, NULL);
	char buf[256];
	double t0 = now_us();
	if (send(fd, "get", 3, 0) != 3 || recv(fd, buf, sizeof(buf), 0) <= 0) {
		die("ipc");
	}
	return now_us() - t0;
}

/* Round trips to an echo process that sleeps in recv() between them. */
static double idle_socket_round_trip(double *p99, double *fastest)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		die("socketpair");
	}
	pid_t pid = fork();
	if (pid < 0) {
		die("fork");
	}
	if (pid == 0) {
		close(sv[0]);
		echo_main(&sv[1]);
		_exit(0);
	}
	close(sv[1]);
	static double v[IDLE_ROUND_TRIPS];
	for (size_t i = 0; i < IDLE_ROUND_TRIPS; i++) {
		v[i] = idle_trip(sv[0]);
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	double p50 = median(v, IDLE_ROUND_TRIPS);
	*p99 = percentile(v, IDLE_ROUND_TRIPS, 0.99);
	*fastest = v[0];
	return p50;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench-runtime WEFT_RUNTIME COUNTER_COMPONENT\n");
		return 2;
	}
	const char *runtime = argv[1], *component = argv[2];
	static double warm[START_RUNS], cold[COLD_RUNS], ref[START_RUNS], rtt[ROUND_TRIPS];
	struct runtime rt;

	/* Fill the cache once, then measure. */
	start_runtime(&rt, runtime, component, true);
	stop_runtime(&rt);
	for (size_t i = 0; i < START_RUNS; i++) {
		warm[i] = start_runtime(&rt, runtime, component, true);
		stop_runtime(&rt);
		ref[i] = spawn_true();
	}
	for (size_t i = 0; i < COLD_RUNS; i++) {
		cold[i] = start_runtime(&rt, runtime, component, false);
		stop_runtime(&rt);
	}

	start_runtime(&rt, runtime, component, true);
	char buf[256];
	for (size_t i = 0; i < ROUND_TRIPS; i++) {
		double t0 = now_us();
		if (send(rt.ipc, "get", 3, 0) != 3 || recv(rt.ipc, buf, sizeof(buf), 0) <= 0) {
			die("ipc");
		}
		rtt[i] = now_us() - t0;
	}
	/* The first message after a pause finds the guest asleep, blocked in
	 * ipc.wait (or, built for weft:app@0.1.0 alone, on its doorbell). */
	static double idle[IDLE_ROUND_TRIPS];
	for (size_t i = 0; i < IDLE_ROUND_TRIPS; i++) {
		idle[i] = idle_trip(rt.ipc);
	}
	stop_runtime(&rt);

	printf("weft-runtime benchmarks (medians; reference measured in this run)\n");
	/* median() sorts, so [0] is the fastest run: on a busy machine the
	 * median mostly measures the scheduler. */
	double warm_median = median(warm, START_RUNS);
	printf("  start -> READY, cache warm   %8.2f ms   (target <= 10 ms; fastest %.2f ms; "
	       "spawn of /bin/true: %.2f ms)\n",
		warm_median / 1000, warm[0] / 1000, median(ref, START_RUNS) / 1000);
	printf("  start -> READY, no cache     %8.2f ms\n", median(cold, COLD_RUNS) / 1000);
	double ref_p99, ref_p50 = socket_round_trip(&ref_p99);
	double rtt_median = median(rtt, ROUND_TRIPS);
	printf("  IPC round trip via guest     %8.1f / %.1f us p50 / p99   (SOCK_SEQPACKET echo "
	       "between threads: %.1f / %.1f us)\n",
		rtt_median, percentile(rtt, ROUND_TRIPS, 0.99), ref_p50, ref_p99);
	double idle_median = median(idle, IDLE_ROUND_TRIPS);
	double bare_p99, bare_fastest, bare_p50 = idle_socket_round_trip(&bare_p99, &bare_fastest);
	printf("  IPC round trip, guest idle   %8.1f / %.1f us p50 / p99   (fastest %.1f us; an "
	       "echo process idle as long: %.1f / %.1f us, fastest %.1f)\n",
		idle_median, percentile(idle, IDLE_ROUND_TRIPS, 0.99), idle[0], bare_p50, bare_p99,
		bare_fastest);
	return 0;
}
