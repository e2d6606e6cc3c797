/*
 * What the sandbox adds to starting a process: weft_sandbox_spawn() with
 * the app-shell's policy, up to the program's exit, beside a plain
 * fork + exec + wait of the same program, measured alternately in the same
 * run. The program (weft-sandbox-try with no probes) exits at once.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "weft/sandbox.h"

#define RUNS 40

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static double plain(char *const *argv)
{
	double start = now_us();
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-sandbox: %s did not run\n", argv[0]);
		exit(1);
	}
	return now_us() - start;
}

static double sandboxed(const struct weft_sandbox_policy *policy, char *const *argv)
{
	double start = now_us();
	struct weft_sandbox_exec exec = { .path = argv[0], .argv = argv, .pgid = -1 };
	struct weft_sandbox_child child;
	struct weft_error err;
	if (!weft_sandbox_spawn(policy, &exec, &child, &err)) {
		fprintf(stderr, "bench-sandbox: %s\n", err.msg);
		exit(1);
	}
	weft_sandbox_child_release(&child, true);
	if (!weft_sandbox_child_wait_exec(&child, &err)) {
		fprintf(stderr, "bench-sandbox: %s\n", err.msg);
		exit(1);
	}
	siginfo_t info = { 0 };
	if (waitid(P_PIDFD, (id_t)child.pidfd, &info, WEXITED) != 0 ||
		info.si_code != CLD_EXITED || info.si_status != 0) {
		fprintf(stderr, "bench-sandbox: the sandboxed program failed\n");
		exit(1);
	}
	close(child.pidfd);
	return now_us() - start;
}

int main(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: bench-sandbox PROGRAM PACKAGE_DIR\n");
		return 2;
	}
	struct weft_error err;
	struct weft_sandbox_app app = { .package_dir = argv[2] };
	struct weft_sandbox_policy *policy = weft_sandbox_policy_app_shell(&app, &err);
	if (policy == NULL) {
		fprintf(stderr, "bench-sandbox: %s\n", err.msg);
		return 1;
	}
	char *prog[] = { argv[1], NULL };
	static double ref[RUNS], box[RUNS];
	/* Warm the page cache and the loader's first. */
	plain(prog);
	sandboxed(policy, prog);
	for (int i = 0; i < RUNS; i++) {
		ref[i] = plain(prog);
		box[i] = sandboxed(policy, prog);
	}
	double r = median(ref, RUNS), b = median(box, RUNS);
	printf("sandbox benchmarks (medians of %d; reference measured in this run)\n", RUNS);
	printf("  sandboxed spawn -> exit     %8.2f ms  (fastest %.2f ms)\n", b / 1000,
		box[0] / 1000);
	printf("  plain fork + exec -> exit   %8.2f ms  (fastest %.2f ms)\n", r / 1000,
		ref[0] / 1000);
	printf("  the sandbox adds            %8.2f ms  (target 10 ms)\n", (b - r) / 1000);
	weft_sandbox_policy_destroy(policy);
	return 0;
}
