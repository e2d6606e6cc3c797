/*
 * Escape tests: weft-sandbox-try, started through weft_sandbox_spawn() with
 * the runtime's, the app-shell's and the spare's policies, tries what an
 * exploited app would; each attempt must fail with the errno of the layer
 * that stops it (named beside each check), and the positive controls must
 * work. With WEFT_SANDBOX_AS_NOBODY=1 the same cases run as uid 65534.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "weft/sandbox.h"

#define MAX_LINES 128

struct fixture {
	char *dir;
	char home[PATH_MAX], secret[PATH_MAX], trust[PATH_MAX];
	char pkg[PATH_MAX], manifest[PATH_MAX], data[PATH_MAX], note[PATH_MAX];
	char run[PATH_MAX], wayland[PATH_MAX], appd[PATH_MAX];
	char abstract[64];
	char tmp_probe[PATH_MAX];
	int listeners[4];
	int tcp_port, udp_port;
};

static struct fixture fx;

struct output {
	char *lines[MAX_LINES];
	size_t n;
	int status; /* the try program's wait status */
};

static const char *try_path(void)
{
	const char *path = getenv("WEFT_SANDBOX_TRY");
	if (path == NULL) {
		fprintf(stderr, "# WEFT_SANDBOX_TRY is not set (run through meson test)\n");
		exit(1);
	}
	return path;
}

static void path_in(char *buf, const char *dir, const char *rel)
{
	snprintf(buf, PATH_MAX, "%s/%s", dir, rel);
}

static int listen_unix(const char *path, bool abstract)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	memcpy(addr.sun_path + (abstract ? 1 : 0), path, len);
	socklen_t size =
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (abstract ? 1 : 0));
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, size) != 0 || listen(fd, 4) != 0) {
		perror(path);
		abort();
	}
	return fd;
}

static int listen_inet(int type, int *port)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
		(type == SOCK_STREAM && listen(fd, 4) != 0) ||
		getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
		perror("127.0.0.1 listener");
		abort();
	}
	*port = ntohs(addr.sin_port);
	return fd;
}

/* What an app's processes must not reach, around what they may. */
static void fixture_setup(void)
{
	fx.dir = test_mkdtemp();
	char *real = realpath(fx.dir, NULL);
	free(fx.dir);
	fx.dir = real;
	path_in(fx.home, fx.dir, "home");
	path_in(fx.secret, fx.home, ".ssh/id_ed25519");
	path_in(fx.trust, fx.home, ".local/share/weft/trusted-keys");
	path_in(fx.pkg, fx.dir, "apps/org.example.app");
	path_in(fx.manifest, fx.pkg, "wapp.toml");
	path_in(fx.data, fx.dir, "data/org.example.app");
	path_in(fx.note, fx.data, "note.txt");
	path_in(fx.run, fx.dir, "run");
	path_in(fx.wayland, fx.run, "wayland-0");
	path_in(fx.appd, fx.run, "weft/appd.sock");
	test_write_file(fx.dir, "home/.ssh/id_ed25519", "secret", 6);
	test_write_file(fx.dir, "home/.local/share/weft/trusted-keys/demo.pub", "key", 3);
	test_write_file(fx.dir, "apps/org.example.app/wapp.toml", "[app]\n", 6);
	test_write_file(fx.dir, "data/org.example.app/note.txt", "note", 4);
	test_write_file(fx.dir, "run/weft/.keep", "", 0);
	char link[PATH_MAX];
	path_in(link, fx.data, "escape");
	if (symlink(fx.secret, link) != 0) {
		perror(link);
		abort();
	}
	path_in(link, fx.data, "escape-etc");
	if (symlink("/etc/passwd", link) != 0) {
		perror(link);
		abort();
	}
	fx.listeners[0] = listen_unix(fx.wayland, false);
	fx.listeners[1] = listen_unix(fx.appd, false);
	snprintf(fx.abstract, sizeof(fx.abstract), "weft-sandbox-test-%d", (int)getpid());
	fx.listeners[2] = listen_unix(fx.abstract, true);
	fx.listeners[3] = listen_inet(SOCK_STREAM, &fx.tcp_port);
	int udp = listen_inet(SOCK_DGRAM, &fx.udp_port);
	(void)udp;
	snprintf(fx.tmp_probe, sizeof(fx.tmp_probe), "/tmp/weft-sandbox-probe-%d", (int)getpid());
}

static void output_finish(struct output *out)
{
	for (size_t i = 0; i < out->n; i++) {
		free(out->lines[i]);
	}
	out->n = 0;
}

static void read_lines(int fd, struct output *out)
{
	char buf[8192];
	size_t len = 0;
	int64_t deadline = weft_now_ms() + 60000;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = (int)(deadline - weft_now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			fprintf(stderr, "# weft-sandbox-try said nothing for 60 s\n");
			break;
		}
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
		if (len == sizeof(buf) - 1) {
			break;
		}
	}
	buf[len] = '\0';
	for (char *save, *line = strtok_r(buf, "\n", &save); line != NULL && out->n < MAX_LINES;
		line = strtok_r(NULL, "\n", &save)) {
		out->lines[out->n++] = strdup(line);
	}
}

/*
 * Starts weft-sandbox-try under policy as appd starts an app process, with
 * its output on fd 3 and extra_fd (if >= 0) as fd 4; false when it could not
 * start, with the reason printed.
 */
static bool run_try(const struct weft_sandbox_policy *policy, const char *seccomp,
	const char *const *probes, int extra_fd, struct output *out,
	struct weft_sandbox_report *report)
{
	*out = (struct output){ .status = -1 };
	char *argv[64] = { (char *)try_path(), "--out", "3", "--seccomp", (char *)seccomp };
	size_t argc = 5;
	for (size_t i = 0; probes[i] != NULL && argc + 1 < 64; i++) {
		argv[argc++] = (char *)probes[i];
	}
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		perror("pipe");
		return false;
	}
	int fds[2] = { pipefd[1], extra_fd };
	struct weft_sandbox_exec exec = {
		.path = try_path(),
		.argv = argv,
		.fds = fds,
		.nfds = extra_fd >= 0 ? 2 : 1,
		.pgid = -1,
	};
	struct weft_sandbox_child child;
	struct weft_error err;
	bool ok = weft_sandbox_spawn(policy, &exec, &child, &err);
	close(pipefd[1]);
	if (!ok) {
		fprintf(stderr, "# spawn: %s\n", err.msg);
		close(pipefd[0]);
		return false;
	}
	if (report != NULL) {
		*report = child.report;
	}
	weft_sandbox_child_release(&child, true);
	ok = weft_sandbox_child_wait_exec(&child, &err);
	if (!ok) {
		fprintf(stderr, "# %s\n", err.msg);
	}
	read_lines(pipefd[0], out);
	close(pipefd[0]);
	siginfo_t info = { 0 };
	syscall(SYS_pidfd_send_signal, child.pidfd, SIGKILL, NULL, 0);
	if (waitid(P_PIDFD, (id_t)child.pidfd, &info, WEXITED) == 0) {
		out->status = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
	}
	close(child.pidfd);
	if (ok && out->status != 0) {
		fprintf(stderr, "# weft-sandbox-try exited with %d\n", out->status);
	}
	return ok;
}

/* The result printed for probe ("ok", "fail EACCES"), or NULL. */
static const char *result_of(const struct output *out, const char *probe)
{
	size_t len = strlen(probe);
	for (size_t i = 0; i < out->n; i++) {
		if (strncmp(out->lines[i], probe, len) == 0 && out->lines[i][len] == ' ') {
			return out->lines[i] + len + 1;
		}
	}
	return NULL;
}

static bool expect_result(const struct output *out, const char *probe, const char *want,
	const char *why, int line)
{
	const char *got = result_of(out, probe);
	if (got != NULL && strcmp(got, want) == 0) {
		return true;
	}
	fprintf(stderr, "# line %d: %s: expected \"%s\" (%s), got \"%s\"\n", line, probe, want,
		why, got ? got : "(no line)");
	test_failed = true;
	return false;
}

/* EXPECT_PROBE(out, "fail EACCES", "why", "read=%s", path) */
#define EXPECT_PROBE(out, want, why, ...) \
	do { \
		char _probe[PATH_MAX + 32]; \
		snprintf(_probe, sizeof(_probe), __VA_ARGS__); \
		expect_result(out, _probe, want, why, __LINE__); \
	} while (0)

static char *fmt(const char *f, ...) WEFT_PRINTF(1, 2);

/* Probe arguments live until the program exits: a test is short. */
static char *fmt(const char *f, ...)
{
	va_list args;
	va_start(args, f);
	char *s = NULL;
	if (vasprintf(&s, f, args) < 0) {
		abort();
	}
	va_end(args);
	return s;
}

static struct weft_sandbox_policy *policy_runtime(bool data_rw)
{
	struct weft_sandbox_app app = {
		.package_dir = fx.pkg,
		.data_dir = fx.data,
		.data_rw = data_rw,
	};
	struct weft_error err;
	struct weft_sandbox_policy *policy = weft_sandbox_policy_runtime(&app, &err);
	if (policy == NULL) {
		fprintf(stderr, "# %s\n", err.msg);
		abort();
	}
	return policy;
}

static struct weft_sandbox_policy *policy_app_shell(void)
{
	struct weft_sandbox_app app = { .package_dir = fx.pkg };
	struct weft_error err;
	struct weft_sandbox_policy *policy = weft_sandbox_policy_app_shell(&app, &err);
	if (policy == NULL) {
		fprintf(stderr, "# %s\n", err.msg);
		abort();
	}
	return policy;
}

static void dump(const struct output *out)
{
	for (size_t i = 0; i < out->n; i++) {
		fprintf(stderr, "#   %s\n", out->lines[i]);
	}
}

static void report_says_every_layer(void)
{
	struct weft_sandbox_policy *policy = policy_runtime(false);
	const char *probes[] = { "status", NULL };
	struct output out;
	struct weft_sandbox_report report;
	ASSERT(run_try(policy, "none", probes, -1, &out, &report));
	int abi = weft_sandbox_landlock_abi();
	EXPECT(abi >= 6); /* this kernel: 7; the tests below assume scopes */
	EXPECT(report.namespaces == 0x7f);
	EXPECT(report.new_root);
	EXPECT(report.landlock_abi == (abi < 7 ? abi : 7));
	EXPECT(__builtin_popcountll(report.landlock_fs) == 16);
	EXPECT(report.landlock_net == 3);
	EXPECT(report.landlock_scoped == 3);
	EXPECT(report.caps_dropped);
	EXPECT(report.no_new_privs);
	EXPECT(report.limits.pids_max == 301);
	EXPECT(report.degraded == NULL);
	/* Every set empty, no new privileges, pid 1 of its own namespace. */
	char want[256];
	snprintf(want, sizeof(want),
		"ok CapInh=0000000000000000 CapPrm=0000000000000000 CapEff=0000000000000000 "
		"CapBnd=0000000000000000 CapAmb=0000000000000000 NoNewPrivs=1 Seccomp=0 "
		"landlock-abi=%d pid=1 uid=%u",
		abi, getuid());
	EXPECT_PROBE(&out, want, "every capability dropped", "status");
	EXPECT(out.status == 0);

	char line[1024];
	weft_sandbox_report_format(&report, line, sizeof(line));
	fprintf(stderr, "# %s\n", line);
	EXPECT(strstr(line, "user,mnt,pid,net,ipc,uts,cgroup namespaces; new root") != NULL);
	EXPECT(strstr(line, "DEGRADED") == NULL);
	struct json_object *json = weft_sandbox_report_json(&report);
	ASSERT(json != NULL);
	struct json_object *landlock, *value;
	EXPECT(json_object_object_get_ex(json, "landlock", &landlock) &&
		json_object_object_get_ex(landlock, "abi", &value) &&
		json_object_get_int(value) == report.landlock_abi);
	EXPECT(json_object_object_get_ex(json, "no_new_privs", &value) &&
		json_object_get_boolean(value));
	json_object_put(json);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(report_says_every_layer),
	};
	fixture_setup();
	(void)dump;
	(void)policy_app_shell;
	(void)fmt;
	int rc = test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
	test_rmtree(fx.dir);
	return rc;
}
