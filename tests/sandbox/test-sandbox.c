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
#include <linux/input-event-codes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"
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
	char partial[8192]; /* a line not complete yet */
	size_t partial_len;
};

/* A try program started and not yet reaped. */
struct running {
	struct weft_sandbox_child child;
	int out_fd;
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
	socklen_t size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
		(abstract ? 1 : 0));
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, size) != 0 || listen(fd, 4) != 0) {
		perror(path);
		abort();
	}
	return fd;
}

static int listen_inet(int type, int *port)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
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
	out->partial_len = 0;
}

/*
 * Reads the try program's lines from fd into out until one is want (NULL:
 * until EOF); false when want never came (EOF, or 60 s of silence).
 */
static bool read_lines_until(int fd, struct output *out, const char *want)
{
	int64_t deadline = weft_now_ms() + 60000;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = (int)(deadline - weft_now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			fprintf(stderr, "# weft-sandbox-try said nothing for 60 s\n");
			return false;
		}
		size_t room = sizeof(out->partial) - 1 - out->partial_len;
		ssize_t n = room > 0 ? read(fd, out->partial + out->partial_len, room) : 0;
		if (n <= 0) {
			return want == NULL;
		}
		out->partial_len += (size_t)n;
		out->partial[out->partial_len] = '\0';
		char *line = out->partial, *nl;
		bool found = false;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			found = found || (want != NULL && strcmp(line, want) == 0);
			if (out->n < MAX_LINES) {
				out->lines[out->n++] = strdup(line);
			}
			line = nl + 1;
		}
		out->partial_len -= (size_t)(line - out->partial);
		memmove(out->partial, line, out->partial_len + 1);
		if (found) {
			return true;
		}
	}
}

static void read_lines(int fd, struct output *out)
{
	read_lines_until(fd, out, NULL);
}

/*
 * Starts weft-sandbox-try under policy as appd starts an app process, with
 * its output on fd 3 and extra_fd (if >= 0) as fd 4; false when it could not
 * start, with the reason printed.
 */
static bool try_start(const struct weft_sandbox_policy *policy, const char *seccomp,
	const char *const *probes, int extra_fd, struct running *run,
	struct weft_sandbox_report *report)
{
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
	struct weft_error err;
	bool ok = weft_sandbox_spawn(policy, &exec, &run->child, &err);
	close(pipefd[1]);
	if (!ok) {
		fprintf(stderr, "# spawn: %s\n", err.msg);
		close(pipefd[0]);
		return false;
	}
	run->out_fd = pipefd[0];
	if (report != NULL) {
		*report = run->child.report;
	}
	weft_sandbox_child_release(&run->child, true);
	if (!weft_sandbox_child_wait_exec(&run->child, &err)) {
		fprintf(stderr, "# %s\n", err.msg);
		return false;
	}
	return true;
}

/* Reads the rest of its output, and reaps it (SIGKILLed if still there). */
static void try_finish(struct running *run, struct output *out)
{
	read_lines(run->out_fd, out);
	close(run->out_fd);
	siginfo_t info = { 0 };
	syscall(SYS_pidfd_send_signal, run->child.pidfd, SIGKILL, NULL, 0);
	if (waitid(P_PIDFD, (id_t)run->child.pidfd, &info, WEXITED) == 0) {
		out->status = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
	}
	close(run->child.pidfd);
}

/* try_start() and try_finish(); false when it could not start. */
static bool run_try(const struct weft_sandbox_policy *policy, const char *seccomp,
	const char *const *probes, int extra_fd, struct output *out,
	struct weft_sandbox_report *report)
{
	*out = (struct output){ .status = -1 };
	struct running run = { .child = { .pidfd = -1 }, .out_fd = -1 };
	bool ok = try_start(policy, seccomp, probes, extra_fd, &run, report);
	if (run.child.pidfd < 0) {
		return false;
	}
	try_finish(&run, out);
	if (ok && out->status != 0) {
		fprintf(stderr, "# weft-sandbox-try exited with %d\n", out->status);
	}
	return ok;
}

/* The same with no sandbox at all: an app of the same user outside it (an
 * ordinary Wayland client, or appd's --insecure-no-sandbox). */
static bool run_try_unsandboxed(const char *const *probes, int extra_fd, struct output *out)
{
	*out = (struct output){ .status = -1 };
	char *argv[64] = { (char *)try_path(), "--out", "3", "--seccomp", "none" };
	size_t argc = 5;
	for (size_t i = 0; probes[i] != NULL && argc + 1 < 64; i++) {
		argv[argc++] = (char *)probes[i];
	}
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		perror("pipe");
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		close(pipefd[0]);
		close(pipefd[1]);
		return false;
	}
	if (pid == 0) {
		/* fd 4 first: the pipe's write end may be fd 4 itself. */
		int out_fd = fcntl(pipefd[1], F_DUPFD, 10);
		if (out_fd < 0 ||
			(extra_fd >= 0 && (dup2(extra_fd, 4) != 4 || fcntl(4, F_SETFD, 0) != 0)) ||
			dup2(out_fd, 3) != 3) {
			_exit(127);
		}
		execv(try_path(), argv);
		_exit(127);
	}
	close(pipefd[1]);
	read_lines(pipefd[0], out);
	close(pipefd[0]);
	int status;
	if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
		out->status = WEXITSTATUS(status);
	}
	return true;
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

/* Probe arguments, freed when the program ends. */
static char *formatted[256];
static size_t nformatted;

static char *fmt(const char *f, ...) WEFT_PRINTF(1, 2);

static char *fmt(const char *f, ...)
{
	va_list args;
	va_start(args, f);
	char *s = NULL;
	if (nformatted == sizeof(formatted) / sizeof(formatted[0]) || vasprintf(&s, f, args) < 0) {
		abort();
	}
	va_end(args);
	formatted[nformatted++] = s;
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
		"capget-eff=0 nnp=1 landlock-abi=%d pid=1 uid=%u",
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

/* Files: what the app must not read or write, and what it must. */
static void files(void)
{
	struct weft_sandbox_policy *ro = policy_runtime(false);
	struct weft_sandbox_policy *rw = policy_runtime(true);
	const char *home = getenv("HOME");
	bool real_home = home != NULL && access(home, F_OK) == 0 && strcmp(home, "/") != 0;
	const char *probes[] = {
		fmt("read=%s", fx.secret),
		fmt("ls=%s", fx.home),
		real_home ? fmt("ls=%s", home) : "ls=/",
		"read=/etc/passwd",
		"read=/etc/shadow",
		fmt("write=%s/evil.pub", fx.trust),
		fmt("write=%s/new", fx.pkg),
		fmt("write=%s", fx.manifest),
		fmt("read=%s", fx.manifest),
		fmt("read=%s", fx.note),
		fmt("write=%s/written", fx.data),
		fmt("mkdir=%s/sub", fx.data),
		fmt("read=%s/escape", fx.data),
		fmt("read=%s/escape-etc", fx.data),
		fmt("write=%s", fx.tmp_probe),
		"write=/dev/shm/probe",
		"write=/usr/probe",
		"write=/probe",
		"read=/usr/lib/os-release",
		"write=/dev/null",
		"read=/proc/self/maps",
		"write=/proc/self/oom_score_adj",
		NULL,
	};
	struct output out;
	ASSERT(run_try(ro, "none", probes, -1, &out, NULL));
	EXPECT_PROBE(&out, "fail ENOENT", "not in the root", "read=%s", fx.secret);
	EXPECT_PROBE(&out, "fail ENOENT", "not in the root", "ls=%s", fx.home);
	if (real_home) {
		EXPECT_PROBE(&out, "fail ENOENT", "not in the root", "ls=%s", home);
	}
	EXPECT_PROBE(&out, "fail ENOENT", "not in the root", "read=/etc/passwd");
	EXPECT_PROBE(&out, "fail ENOENT", "not in the root", "read=/etc/shadow");
	EXPECT_PROBE(&out, "fail ENOENT", "not in the root", "write=%s/evil.pub", fx.trust);
	EXPECT_PROBE(&out, "fail EROFS", "read-only bind", "write=%s/new", fx.pkg);
	EXPECT_PROBE(&out, "fail EROFS", "read-only bind", "write=%s", fx.manifest);
	EXPECT_PROBE(&out, "ok", "the package is readable", "read=%s", fx.manifest);
	EXPECT_PROBE(&out, "ok", "app data is readable", "read=%s", fx.note);
	EXPECT_PROBE(&out, "fail EROFS", "no fs:rw grant", "write=%s/written", fx.data);
	EXPECT_PROBE(&out, "fail EROFS", "no fs:rw grant", "mkdir=%s/sub", fx.data);
	EXPECT_PROBE(&out, "fail ENOENT", "the link's target is not in the root", "read=%s/escape",
		fx.data);
	EXPECT_PROBE(&out, "fail ENOENT", "the link's target is not in the root",
		"read=%s/escape-etc", fx.data);
	EXPECT_PROBE(&out, "ok", "a private /tmp", "write=%s", fx.tmp_probe);
	EXPECT(access(fx.tmp_probe, F_OK) != 0 && errno == ENOENT);
	EXPECT_PROBE(&out, "ok", "a private /dev/shm", "write=/dev/shm/probe");
	EXPECT_PROBE(&out, "fail EROFS", "read-only bind", "write=/usr/probe");
	EXPECT_PROBE(&out, "fail EROFS", "read-only root", "write=/probe");
	EXPECT_PROBE(&out, "ok", "libraries are readable", "read=/usr/lib/os-release");
	EXPECT_PROBE(&out, "ok", "a harmless device", "write=/dev/null");
	EXPECT_PROBE(&out, "ok", "glibc reads it", "read=/proc/self/maps");
	EXPECT_PROBE(&out, "fail EROFS", "a read-only /proc", "write=/proc/self/oom_score_adj");
	EXPECT(out.status == 0);
	output_finish(&out);

	/* The grant: the positive control. */
	ASSERT(run_try(rw, "none", probes, -1, &out, NULL));
	EXPECT_PROBE(&out, "ok", "fs:rw:app-data", "write=%s/written", fx.data);
	EXPECT_PROBE(&out, "ok", "fs:rw:app-data", "mkdir=%s/sub", fx.data);
	EXPECT_PROBE(&out, "fail EROFS", "read-only bind", "write=%s/new", fx.pkg);
	EXPECT_PROBE(&out, "fail ENOENT", "not in the root", "read=%s/escape", fx.data);
	char written[PATH_MAX];
	path_in(written, fx.data, "written");
	EXPECT(access(written, F_OK) == 0);
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(ro);
	weft_sandbox_policy_destroy(rw);
}

/* Sockets: the compositor's, appd's, X11's, and the network. */
static void sockets(void)
{
	struct weft_sandbox_policy *policy = policy_app_shell();
	const char *probes[] = {
		fmt("unix=%s", fx.wayland),
		fmt("unix=%s", fx.appd),
		"unix=/tmp/.X11-unix/X0",
		fmt("abstract=%s", fx.abstract),
		"abstract=/tmp/.X11-unix/X0",
		fmt("tcp=127.0.0.1:%d", fx.tcp_port),
		fmt("udp=127.0.0.1:%d", fx.udp_port),
		"tcp=1.1.1.1:443",
		NULL,
	};
	struct output out;
	ASSERT(run_try(policy, "none", probes, -1, &out, NULL));
	EXPECT_PROBE(&out, "fail ENOENT", "not in the root", "unix=%s", fx.wayland);
	EXPECT_PROBE(&out, "fail ENOENT", "not in the root", "unix=%s", fx.appd);
	EXPECT_PROBE(&out, "fail ENOENT", "a private /tmp", "unix=/tmp/.X11-unix/X0");
	EXPECT_PROBE(&out, "fail ECONNREFUSED", "abstract names are per network namespace",
		"abstract=%s", fx.abstract);
	EXPECT_PROBE(&out, "fail ECONNREFUSED", "abstract names are per network namespace",
		"abstract=/tmp/.X11-unix/X0");
	EXPECT_PROBE(&out, "fail EACCES", "Landlock: no TCP port allowed", "tcp=127.0.0.1:%d",
		fx.tcp_port);
	EXPECT_PROBE(&out, "fail ENETUNREACH", "an empty network namespace, lo down",
		"udp=127.0.0.1:%d", fx.udp_port);
	EXPECT_PROBE(&out, "fail EACCES", "Landlock: no TCP port allowed", "tcp=1.1.1.1:443");
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

/* Other processes: this test stands for appd and the compositor. */
static void processes(void)
{
	struct weft_sandbox_policy *policy = policy_app_shell();
	int me = (int)getpid();
	const char *probes[] = {
		fmt("ptrace=%d", me),
		fmt("vm-read=%d", me),
		fmt("pidfd-getfd=%d", me),
		fmt("kill=%d", me),
		fmt("environ=%d", me),
		"kill=1",
		NULL,
	};
	struct output out;
	ASSERT(run_try(policy, "none", probes, -1, &out, NULL));
	/* Outside its pid namespace nothing has a number. */
	EXPECT_PROBE(&out, "fail ESRCH", "another pid namespace", "ptrace=%d", me);
	EXPECT_PROBE(&out, "fail ESRCH", "another pid namespace", "vm-read=%d", me);
	EXPECT_PROBE(&out, "fail ESRCH", "another pid namespace", "pidfd-getfd=%d", me);
	EXPECT_PROBE(&out, "fail ESRCH", "another pid namespace", "kill=%d", me);
	EXPECT_PROBE(&out, "fail ENOENT", "a /proc of its own", "environ=%d", me);
	EXPECT_PROBE(&out, "ok", "itself", "kill=1");
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

static const char *const kernel_probes[] = {
	"unshare-user",
	"unshare-net",
	"mount",
	"chroot",
	"bpf",
	"perf",
	"userfaultfd",
	"io-uring",
	"exec-sh",
	"socketpair=unix",
	"socketpair=inet",
	NULL,
};

/* The kernel's riskier corners, with the OS layers alone. */
static void kernel_without_seccomp(void)
{
	struct weft_sandbox_policy *policy = policy_app_shell();
	struct output out;
	ASSERT(run_try(policy, "none", kernel_probes, -1, &out, NULL));
	EXPECT_PROBE(&out, "fail ENOSPC", "max_user_namespaces 0 in its namespace",
		"unshare-user");
	EXPECT_PROBE(&out, "fail EPERM", "no capabilities", "unshare-net");
	EXPECT_PROBE(&out, "fail EPERM", "no capabilities", "mount");
	EXPECT_PROBE(&out, "fail EPERM", "no capabilities", "chroot");
	EXPECT_PROBE(&out, "fail EPERM", "no CAP_BPF", "bpf");
	EXPECT_PROBE(&out, "fail EACCES", "perf_event_paranoid, no CAP_PERFMON", "perf");
	EXPECT_PROBE(&out, "fail EPERM", "no CAP_SYS_PTRACE", "userfaultfd");
	/* Only seccomp stops io_uring: see the cases below. */
	EXPECT_PROBE(&out, "ok", "no layer but seccomp covers it", "io-uring");
	EXPECT_PROBE(&out, "fail EACCES", "Landlock: execute only the program", "exec-sh");
	EXPECT_PROBE(&out, "ok", "Servo's ipc-channel", "socketpair=unix");
	EXPECT_PROBE(&out, "fail EOPNOTSUPP", "the kernel's own answer", "socketpair=inet");
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

/* How many lines of out contain needle. */
static size_t lines_containing(const struct output *out, const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < out->n; i++) {
		n += strstr(out->lines[i], needle) != NULL;
	}
	return n;
}

/* The filter weft-app-shell (and the stand-in) install, through the same
 * weft_sandbox_seccomp_app_shell_install(): an allowlist. The exact errno of
 * each group it denies, the answer (and the line) for a call it does not
 * list, and the calls the app-shell needs still work. */
static void kernel_with_app_shell_seccomp(void)
{
	struct weft_sandbox_policy *policy = policy_app_shell();
	int me = (int)getpid();
	/* Its complaints (stderr) on --out, after the filter is in force. */
	const char *probes[] = { "--stderr", "3", "status", "unshare-user", "unshare-net", "mount",
		"chroot", "bpf", "perf", "userfaultfd", "syscall=add_key", "syscall=keyctl",
		"syscall=acct", "syscall=kexec_load", "syscall=init_module", "syscall=reboot",
		"syscall=setns", "syscall=shmget", "syscall=process_vm_writev", "io-uring",
		"clone3", fmt("tcp=127.0.0.1:%d", fx.tcp_port),
		fmt("udp=127.0.0.1:%d", fx.udp_port), fmt("unix=%s", fx.wayland), "tiocsti=0",
		"exec-sh", fmt("ptrace=%d", me), fmt("vm-read=%d", me), fmt("kill=%d", me),
		"socketpair=inet", "fork", "clone-newuser", "personality", "sigsys-handler",
		"syscall=kcmp", "syscall=kcmp", "syscall=syslog", "syscall=name_to_handle_at",
		"ioctl-pgrp", "socketpair=unix", "thread", "mmap-exec", "kill=1", NULL };
	struct output out;
	ASSERT(run_try(policy, "app-shell", probes, -1, &out, NULL));
	const char *status = result_of(&out, "status");
	EXPECT(status != NULL && strstr(status, " Seccomp=2 ") != NULL);
	EXPECT(status != NULL && strstr(status, " NoNewPrivs=1 ") != NULL);
	EXPECT(status != NULL && strstr(status, " CapEff=0000000000000000 ") != NULL);
	/* What issue 11 names: EPERM, before any other layer answers. */
	const char *eperm[] = { "unshare-user", "unshare-net", "mount", "chroot", "bpf", "perf",
		"userfaultfd", "syscall=add_key", "syscall=keyctl", "syscall=acct",
		"syscall=kexec_load", "syscall=init_module", "syscall=reboot", "syscall=setns",
		"syscall=shmget", "syscall=process_vm_writev", "tiocsti=0", "exec-sh",
		"socketpair=inet", "personality", "sigsys-handler" };
	for (size_t i = 0; i < sizeof(eperm) / sizeof(eperm[0]); i++) {
		EXPECT_PROBE(&out, "fail EPERM", "seccomp", "%s", eperm[i]);
	}
	EXPECT_PROBE(&out, "fail ENOSYS", "seccomp: as if the kernel had none", "io-uring");
	EXPECT_PROBE(&out, "fail ENOSYS", "seccomp: glibc falls back to clone", "clone3");
	EXPECT_PROBE(&out, "fail EPERM", "seccomp: no socket()", "tcp=127.0.0.1:%d", fx.tcp_port);
	EXPECT_PROBE(&out, "fail EPERM", "seccomp: no socket()", "udp=127.0.0.1:%d", fx.udp_port);
	EXPECT_PROBE(&out, "fail EPERM", "seccomp: no socket()", "unix=%s", fx.wayland);
	/* Before the pid namespace's ESRCH. */
	EXPECT_PROBE(&out, "fail EPERM", "seccomp", "ptrace=%d", me);
	EXPECT_PROBE(&out, "fail EPERM", "seccomp", "vm-read=%d", me);
	EXPECT_PROBE(&out, "fail EPERM", "seccomp: its own signals only", "kill=%d", me);
	EXPECT_PROBE(&out, "fail EPERM", "seccomp: threads only", "fork");
	EXPECT_PROBE(&out, "fail EPERM", "seccomp: no namespace flags", "clone-newuser");
	/* Not in the list at all: ENOSYS, and one line naming the call. */
	const char *unlisted[] = { "syscall=kcmp", "syscall=syslog", "syscall=name_to_handle_at",
		"ioctl-pgrp" };
	for (size_t i = 0; i < sizeof(unlisted) / sizeof(unlisted[0]); i++) {
		EXPECT_PROBE(&out, "fail ENOSYS", "seccomp: not in the allowlist", "%s",
			unlisted[i]);
	}
	const char *said = ") is not in the app-shell's allowlist: it fails with ENOSYS";
	EXPECT(lines_containing(&out,
		       fmt("weft-sandbox-try: warning: seccomp: kcmp (%d%s", SYS_kcmp, said)) ==
		1);
	EXPECT(lines_containing(&out, fmt("seccomp: syslog (%d%s", SYS_syslog, said)) == 1);
	EXPECT(lines_containing(&out, fmt("seccomp: ioctl (%d%s", SYS_ioctl, said)) == 1);
	/* What it needs. */
	EXPECT_PROBE(&out, "ok", "Servo's ipc-channel", "socketpair=unix");
	EXPECT_PROBE(&out, "ok", "clone without namespace flags", "thread");
	EXPECT_PROBE(&out, "ok", "SpiderMonkey's and llvmpipe's JITs", "mmap-exec");
	EXPECT_PROBE(&out, "ok", "signals to itself", "kill=1");
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

static void kernel_with_runtime_seccomp(void)
{
	struct weft_sandbox_policy *policy = policy_runtime(true);
	const char *probes[] = { "status", "io-uring", "unshare-user", "exec-sh", NULL };
	struct output out;
	ASSERT(run_try(policy, "runtime", probes, -1, &out, NULL));
	const char *status = result_of(&out, "status");
	EXPECT(status != NULL && strstr(status, " Seccomp=2 ") != NULL);
	EXPECT_PROBE(&out, "fail ENOSYS", "seccomp: as if the kernel had none", "io-uring");
	EXPECT_PROBE(&out, "fail EPERM", "seccomp", "unshare-user");
	EXPECT_PROBE(&out, "fail EPERM", "seccomp", "exec-sh");
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

/* The runtime's network, granted net:fetch or not (appd connects for it):
 * the runtime's policy, with its filter and without. */
static void runtime_network(void)
{
	struct weft_sandbox_policy *policy = policy_runtime(false);
	const char *probes[] = {
		fmt("tcp=127.0.0.1:%d", fx.tcp_port),
		fmt("udp=127.0.0.1:%d", fx.udp_port),
		"tcp=1.1.1.1:443",
		"udp=1.1.1.1:53",
		NULL,
	};
	struct output out;
	ASSERT(run_try(policy, "runtime", probes, -1, &out, NULL));
	EXPECT_PROBE(&out, "fail EPERM", "seccomp: no socket()", "tcp=127.0.0.1:%d", fx.tcp_port);
	EXPECT_PROBE(&out, "fail EPERM", "seccomp: no socket()", "udp=127.0.0.1:%d", fx.udp_port);
	EXPECT_PROBE(&out, "fail EPERM", "seccomp: no socket()", "tcp=1.1.1.1:443");
	EXPECT_PROBE(&out, "fail EPERM", "seccomp: no socket()", "udp=1.1.1.1:53");
	EXPECT(out.status == 0);
	output_finish(&out);
	/* Beneath the filter, the namespace and Landlock. */
	ASSERT(run_try(policy, "none", probes, -1, &out, NULL));
	EXPECT_PROBE(&out, "fail EACCES", "Landlock: no TCP port allowed", "tcp=127.0.0.1:%d",
		fx.tcp_port);
	EXPECT_PROBE(&out, "fail ENETUNREACH", "an empty network namespace, lo down",
		"udp=127.0.0.1:%d", fx.udp_port);
	EXPECT_PROBE(&out, "fail EACCES", "Landlock: no TCP port allowed", "tcp=1.1.1.1:443");
	EXPECT_PROBE(&out, "fail ENETUNREACH", "an empty network namespace, lo down",
		"udp=1.1.1.1:53");
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

/* A read-only memfd handed over (a keymap, a clipboard transfer) must stay
 * read-only, even reopened through /proc/self/fd: sealing does that. */
static void sealed_memfd(void)
{
	int memfd = memfd_create("weft-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ASSERT(memfd >= 0);
	ASSERT(write(memfd, "keymap", 6) == 6);
	ASSERT(fcntl(memfd, F_ADD_SEALS,
		       F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	int ro = open(path, O_RDONLY | O_CLOEXEC);
	close(memfd);
	ASSERT(ro >= 0);
	struct weft_sandbox_policy *policy = policy_app_shell();
	const char *probes[] = { "memfd-rw=4", "read=/proc/self/fd/4", NULL };
	struct output out;
	bool ok = run_try(policy, "none", probes, ro, &out, NULL);
	close(ro);
	ASSERT(ok);
	EXPECT_PROBE(&out, "fail EPERM", "F_SEAL_WRITE", "memfd-rw=4");
	EXPECT_PROBE(&out, "ok", "reading is what it was given for", "read=/proc/self/fd/4");
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

/*
 * The keymap the real compositor hands every client (wl_keyboard.keymap) is
 * shared by all of them: an app that could write into it would retype the
 * keys of every other app. wlroots 0.15's own keymap fd is a file in the
 * host's /dev/shm, reopened read-only and chmodded to 0, which an app of the
 * same user outside the sandbox can chmod back and reopen read-write; the
 * compositor sends a sealed memfd instead. Received over a real Wayland
 * connection and handed to the probe as the app-shell gets it, nothing the
 * probe tries writes into it, even reopened through /proc/self/fd after a
 * chmod (it owns it).
 */
static void compositor_keymap(void)
{
	if (getenv("WEFT_COMPOSITOR") == NULL) {
		test_skip("weft-compositor is not built");
		return;
	}
	struct tc_compositor compositor;
	tc_compositor_start(&compositor, 0, NULL);
	struct tc_client *typist = tc_client_connect(&compositor);
	struct tc_client *app = tc_client_connect(&compositor);
	/* A virtual keyboard's first key makes it the seat's keyboard, and its
	 * keymap goes to every client with a wl_keyboard. */
	tc_key(typist, NULL, KEY_A);
	int keymap = tc_client_keymap_fd(app, TC_SETTLE_MS);
	ASSERT(keymap >= 0);
	int seals = fcntl(keymap, F_GET_SEALS);
	fprintf(stderr, "# keymap seals: %d (%s)\n", seals, seals < 0 ? strerror(errno) : "");
	EXPECT(seals == (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL));

	struct weft_sandbox_policy *policy = policy_app_shell();
	const char *probes[] = { "memfd-rw=4", "mmap-write=4", "fd-write=4", "fd-truncate=4",
		"chmod-rw=4", "read=/proc/self/fd/4", NULL };
	struct output out;
	bool ok = run_try(policy, "app-shell", probes, keymap, &out, NULL);
	ASSERT(ok);
	EXPECT_PROBE(&out, "fail EPERM", "F_SEAL_WRITE", "memfd-rw=4");
	EXPECT_PROBE(&out, "fail EPERM", "F_SEAL_WRITE", "mmap-write=4");
	EXPECT_PROBE(&out, "fail EPERM", "F_SEAL_WRITE", "fd-write=4");
	EXPECT_PROBE(&out, "fail EPERM", "F_SEAL_SHRINK", "fd-truncate=4");
	EXPECT_PROBE(&out, "fail EPERM", "F_SEAL_WRITE", "chmod-rw=4");
	EXPECT_PROBE(&out, "ok", "reading is what it was given for", "read=/proc/self/fd/4");
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);

	/* Outside the sandbox only the seals hold (wlroots' file: "ok"). */
	const char *outside[] = { "memfd-rw=4", "chmod-rw=4", NULL };
	ASSERT(run_try_unsandboxed(outside, keymap, &out));
	EXPECT_PROBE(&out, "fail EPERM", "F_SEAL_WRITE", "memfd-rw=4");
	EXPECT_PROBE(&out, "fail EPERM", "F_SEAL_WRITE", "chmod-rw=4");
	EXPECT(out.status == 0);
	output_finish(&out);

	/* The keymap every client maps is still the compositor's. */
	char head[32] = { 0 };
	EXPECT(pread(keymap, head, sizeof(head) - 1, 0) > 0);
	EXPECT(strncmp(head, "xkb_keymap", strlen("xkb_keymap")) == 0);
	close(keymap);
	tc_client_destroy(app);
	tc_client_destroy(typist);
	EXPECT(tc_compositor_stop(&compositor) == 0);
}

/* The first line "shmid KEY ID" of out, or -1. */
static int shmid_of(const struct output *out, long key)
{
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "shmid %ld ", key);
	for (size_t i = 0; i < out->n; i++) {
		if (strncmp(out->lines[i], prefix, strlen(prefix)) == 0) {
			return atoi(out->lines[i] + strlen(prefix));
		}
	}
	return -1;
}

/* A SysV key of our own on the host: a segment created with it, or -1. */
static int host_segment(long *key)
{
	for (long k = 0x57450000L + (getpid() & 0xfff) * 16; k < 0x57460000L; k++) {
		int id = shmget((key_t)k, 4096, IPC_CREAT | IPC_EXCL | 0600);
		if (id >= 0 || errno != EEXIST) {
			*key = k;
			return id;
		}
	}
	return -1;
}

/*
 * Another app's shared memory. App A (a sandboxed try program) creates a
 * POSIX object in its /dev/shm and a SysV segment, and holds them while app B
 * looks for them by name, key and id; the host has one of each too. Each
 * sandbox has a private /dev/shm (ENOENT) and its own ipc namespace (a key:
 * ENOENT; an id: EINVAL); the app-shell's and the runtime's filters deny
 * SysV IPC before that (EPERM). An app outside the sandbox reaches the
 * host's (the control).
 */
static void shared_memory(void)
{
	char posix_a[64], posix_b[64], posix_host[64];
	snprintf(posix_a, sizeof(posix_a), "/weft-sandbox-a-%d", (int)getpid());
	snprintf(posix_b, sizeof(posix_b), "/weft-sandbox-b-%d", (int)getpid());
	snprintf(posix_host, sizeof(posix_host), "/weft-sandbox-host-%d", (int)getpid());
	long key_host = 0;
	int id_host = host_segment(&key_host);
	ASSERT(id_host >= 0);
	long key_a = key_host + 1;
	int host_fd = shm_open(posix_host, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (host_fd < 0) {
		fprintf(stderr, "# shm_open %s: %s\n", posix_host, strerror(errno));
		shmctl(id_host, IPC_RMID, NULL);
		ASSERT(host_fd >= 0);
	}
	close(host_fd);

	/* App A, which keeps its objects until the test closes hold[1]. */
	int hold[2];
	ASSERT(pipe2(hold, O_CLOEXEC) == 0);
	struct weft_sandbox_policy *policy = policy_app_shell();
	const char *a_probes[] = { fmt("shm-create=%s", posix_a), fmt("sysv-create=%ld", key_a),
		"wait=4", fmt("shm-open=%s", posix_a), fmt("sysv-get=%ld", key_a), NULL };
	struct output a_out = { .status = -1 };
	struct running a = { .child = { .pidfd = -1 }, .out_fd = -1 };
	bool started = try_start(policy, "none", a_probes, hold[0], &a, NULL);
	close(hold[0]);
	char held[64];
	snprintf(held, sizeof(held), "sysv-create=%ld ok", key_a);
	bool holding = started && read_lines_until(a.out_fd, &a_out, held);
	int id_a = shmid_of(&a_out, key_a);
	if (!holding) {
		dump(&a_out);
	}
	EXPECT(holding && id_a >= 0);
	EXPECT_PROBE(&a_out, "ok", "its own /dev/shm", "shm-create=%s", posix_a);

	/* App B, with the OS layers alone, then with each binary's filter. */
	const char *b_probes[] = { fmt("shm-open=%s", posix_a), fmt("shm-open=%s", posix_host),
		fmt("shm-create=%s", posix_b), fmt("sysv-get=%ld", key_a),
		fmt("sysv-attach=%d", id_a), fmt("sysv-get=%ld", key_host),
		fmt("sysv-attach=%d", id_host), NULL };
	struct output out;
	if (holding && run_try(policy, "none", b_probes, -1, &out, NULL)) {
		EXPECT_PROBE(&out, "fail ENOENT", "a private /dev/shm", "shm-open=%s", posix_a);
		EXPECT_PROBE(&out, "fail ENOENT", "a private /dev/shm", "shm-open=%s", posix_host);
		EXPECT_PROBE(&out, "ok", "its own /dev/shm", "shm-create=%s", posix_b);
		EXPECT_PROBE(&out, "fail ENOENT", "an ipc namespace of its own", "sysv-get=%ld",
			key_a);
		EXPECT_PROBE(&out, "fail EINVAL", "an ipc namespace of its own", "sysv-attach=%d",
			id_a);
		EXPECT_PROBE(&out, "fail ENOENT", "an ipc namespace of its own", "sysv-get=%ld",
			key_host);
		EXPECT_PROBE(&out, "fail EINVAL", "an ipc namespace of its own", "sysv-attach=%d",
			id_host);
		EXPECT(out.status == 0);
		output_finish(&out);
	} else {
		test_failed = true;
	}
	static const char *const filters[] = { "app-shell", "runtime" };
	for (size_t i = 0; holding && i < 2; i++) {
		if (!run_try(policy, filters[i], b_probes, -1, &out, NULL)) {
			test_failed = true;
			continue;
		}
		EXPECT_PROBE(&out, "fail ENOENT", "a private /dev/shm", "shm-open=%s", posix_a);
		EXPECT_PROBE(&out, "fail EPERM", "seccomp: no SysV IPC", "sysv-get=%ld", key_a);
		EXPECT_PROBE(&out, "fail EPERM", "seccomp: no SysV IPC", "sysv-attach=%d", id_a);
		EXPECT_PROBE(&out, "fail EPERM", "seccomp: no SysV IPC", "sysv-attach=%d",
			id_host);
		EXPECT(out.status == 0);
		output_finish(&out);
	}
	/* Nor does the host see app A's. */
	int fd = shm_open(posix_a, O_RDWR | O_CLOEXEC, 0);
	EXPECT(fd < 0 && errno == ENOENT);
	EXPECT(shmget((key_t)key_a, 0, 0) < 0 && errno == ENOENT);
	if (fd >= 0) {
		close(fd);
	}

	/* App A still has both: they were there all along. */
	close(hold[1]);
	if (started) {
		try_finish(&a, &a_out);
		EXPECT_PROBE(&a_out, "ok", "its own object", "shm-open=%s", posix_a);
		EXPECT_PROBE(&a_out, "ok", "its own segment", "sysv-get=%ld", key_a);
		EXPECT(a_out.status == 0);
	}
	output_finish(&a_out);

	/* The control: outside the sandbox the host's objects are there. */
	const char *outside[] = { fmt("shm-open=%s", posix_host), fmt("sysv-get=%ld", key_host),
		fmt("sysv-attach=%d", id_host), NULL };
	if (run_try_unsandboxed(outside, -1, &out)) {
		EXPECT_PROBE(&out, "ok", "the host's /dev/shm", "shm-open=%s", posix_host);
		EXPECT_PROBE(&out, "ok", "the host's ipc namespace", "sysv-get=%ld", key_host);
		EXPECT_PROBE(&out, "ok", "the host's ipc namespace", "sysv-attach=%d", id_host);
		EXPECT(out.status == 0);
		output_finish(&out);
	} else {
		test_failed = true;
	}
	shm_unlink(posix_host);
	shmctl(id_host, IPC_RMID, NULL);
	weft_sandbox_policy_destroy(policy);
}

/* Whether the kernel lets TIOCSTI through to its tty checks
 * (dev.tty.legacy_tiocsti); without it, anyone without CAP_SYS_ADMIN gets
 * EIO first. */
static bool legacy_tiocsti(void)
{
	char buf[8] = { 0 };
	int fd = open("/proc/sys/dev/tty/legacy_tiocsti", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return true; /* older kernels: always */
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n <= 0 || buf[0] != '0';
}

/* Characters waiting to be read on the pty's terminal side. */
static int pending_input(int tty)
{
	int n = -1;
	return ioctl(tty, TIOCINQ, &n) == 0 ? n : -1;
}

static void terminal_in_child(void)
{
	int master, tty;
	ASSERT(openpty(&master, &tty, NULL, NULL, NULL) == 0);
	/* Raw: what TIOCSTI pushes is readable at once, no line needed. */
	struct termios raw;
	ASSERT(tcgetattr(tty, &raw) == 0);
	cfmakeraw(&raw);
	ASSERT(tcsetattr(tty, TCSANOW, &raw) == 0);
	/* This process stands for appd started from a terminal. */
	ASSERT(setsid() >= 0 && ioctl(tty, TIOCSCTTY, 0) == 0);
	bool legacy = legacy_tiocsti();
	fprintf(stderr, "# dev.tty.legacy_tiocsti: %d\n", legacy);

	/* The control: an app outside the sandbox types into the terminal. */
	const char *probes[] = { "open-tty", "tiocsti=4", NULL };
	struct output out;
	ASSERT(run_try_unsandboxed(probes, tty, &out));
	EXPECT_PROBE(&out, "ok", "its controlling terminal", "open-tty");
	if (legacy || getuid() == 0) {
		EXPECT_PROBE(&out, "ok", "its controlling terminal", "tiocsti=4");
		EXPECT(pending_input(tty) == 1);
	} else {
		EXPECT_PROBE(&out, "fail EIO", "dev.tty.legacy_tiocsti 0", "tiocsti=4");
	}
	EXPECT(out.status == 0);
	output_finish(&out);
	tcflush(tty, TCIFLUSH);
	EXPECT(pending_input(tty) == 0);

	/* The sandbox has no controlling terminal and no /dev/tty, with the
	 * OS layers alone and with the app-shell's filter. */
	struct weft_sandbox_policy *policy = policy_app_shell();
	static const char *const filters[] = { "none", "app-shell" };
	for (size_t i = 0; i < 2; i++) {
		ASSERT(run_try(policy, filters[i], probes, tty, &out, NULL));
		EXPECT_PROBE(&out, "fail ENOENT", "not in the root", "open-tty");
		if (i == 0) {
			EXPECT_PROBE(&out, legacy ? "fail EPERM" : "fail EIO",
				legacy ? "not its controlling terminal"
				       : "dev.tty.legacy_tiocsti 0",
				"tiocsti=4");
		} else {
			EXPECT_PROBE(&out, "fail EPERM", "seccomp", "tiocsti=4");
		}
		EXPECT(pending_input(tty) == 0);
		EXPECT(out.status == 0);
		output_finish(&out);
	}
	weft_sandbox_policy_destroy(policy);
	/* Closing the pty hangs up its session: this process. */
	signal(SIGHUP, SIG_IGN);
	close(tty);
	close(master);
}

/*
 * TIOCSTI: appd started from a terminal must not let an app type into it.
 * The test gives the try program a real pty that is the controlling
 * terminal of its parent (a new session, as a shell's job would be).
 */
static void terminal(void)
{
	pid_t pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		terminal_in_child();
		fflush(stdout);
		_exit(test_failed ? 1 : 0);
	}
	int status;
	ASSERT(waitpid(pid, &status, 0) == pid);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * The process is pid 1 of its pid namespace, and the kernel drops a signal
 * to a namespace's init that it does not handle and has not blocked. A
 * SIGTERM from appd before the program handles it (while it starts) must
 * not be lost: the sandbox starts it with SIGTERM blocked, so it waits
 * until the program installs a handler and unblocks it, or reads it from a
 * signalfd. The try program takes its time (until the test closes fd 4)
 * before it does either; SIGTERM comes first.
 */
static void sigterm_before_handler(void)
{
	struct weft_sandbox_policy *policy = policy_runtime(false);
	static const char *const modes[] = { "handler", "signalfd" };
	for (size_t i = 0; i < 2; i++) {
		int go[2];
		ASSERT(pipe2(go, O_CLOEXEC) == 0);
		const char *probes[] = { fmt("term-late=%s,4", modes[i]), "status", NULL };
		struct output out = { .status = -1 };
		struct running run = { .child = { .pidfd = -1 }, .out_fd = -1 };
		bool started = try_start(policy, "none", probes, go[0], &run, NULL);
		close(go[0]);
		bool waiting = started && read_lines_until(run.out_fd, &out, "term-late waiting");
		EXPECT(waiting);
		if (waiting) {
			EXPECT(syscall(SYS_pidfd_send_signal, run.child.pidfd, SIGTERM, NULL, 0) ==
				0);
		}
		close(go[1]);
		if (run.child.pidfd >= 0) {
			try_finish(&run, &out);
		}
		EXPECT_PROBE(&out, "ok", "SIGTERM waited for its handler", "term-late=%s,4",
			modes[i]);
		const char *status = result_of(&out, "status");
		EXPECT(status != NULL && strstr(status, " pid=1 ") != NULL);
		/* It ended by itself, not by the SIGKILL that reaps it. */
		EXPECT(out.status == 0);
		if (test_failed) {
			dump(&out);
		}
		output_finish(&out);
	}
	weft_sandbox_policy_destroy(policy);
}

static void limits(void)
{
	struct weft_sandbox_policy *policy = policy_runtime(false);
	const char *forkbomb[] = { "forkbomb", NULL };
	const char *membomb[] = { "membomb", NULL };
	struct output out;
	struct weft_sandbox_report report;
	ASSERT(run_try(policy, "none", forkbomb, -1, &out, &report));
	dump(&out);
	/* pid_max 301 in its pid namespace (root ignores RLIMIT_NPROC), or
	 * RLIMIT_NPROC first for anyone else. */
	EXPECT_PROBE(&out, "fail EAGAIN", "pid_max or RLIMIT_NPROC", "forkbomb");
	EXPECT(out.status == 0);
	output_finish(&out);
	if (report.limits.data_bytes == 0) {
		printf("# membomb not tried: an ASan build sets no RLIMIT_DATA\n");
	} else {
		/* Reserving (not touching) 64 MiB at a time. */
		ASSERT(run_try(policy, "none", membomb, -1, &out, &report));
		dump(&out);
		EXPECT_PROBE(&out, "fail ENOMEM", "RLIMIT_DATA", "membomb");
		EXPECT(out.status == 0);
		output_finish(&out);
	}
	weft_sandbox_policy_destroy(policy);
}

/* A parent with more fds open than the child's RLIMIT_NOFILE (appd with
 * many sessions): the child still builds its sandbox. */
static void crowded_parent(void)
{
	struct weft_sandbox_policy *policy = policy_runtime(false);
	uint64_t nofile = weft_sandbox_policy_limits(policy)->nofile;
	ASSERT(nofile > 0 && nofile < 1000);
	int held[1000];
	size_t n = 0;
	while (n < nofile + 16) {
		held[n] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		ASSERT(held[n] >= 0);
		n++;
	}
	const char *probes[] = { "status", NULL };
	struct output out;
	struct weft_sandbox_report report;
	bool ran = run_try(policy, "none", probes, -1, &out, &report);
	for (size_t i = 0; i < n; i++) {
		close(held[i]);
	}
	ASSERT(ran);
	dump(&out);
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

/* The spare depends on no app: it sees no package and no app data. */
static void spare_sees_no_app(void)
{
	struct weft_error err;
	struct weft_sandbox_policy *policy = weft_sandbox_policy_spare(NULL, &err);
	ASSERT(policy != NULL);
	const char *probes[] = { fmt("ls=%s", fx.pkg), fmt("ls=%s", fx.data), "ls=/etc/fonts",
		"ls=/usr/share", "status", NULL };
	struct output out;
	struct weft_sandbox_report report;
	ASSERT(run_try(policy, "app-shell", probes, -1, &out, &report));
	EXPECT_PROBE(&out, "fail ENOENT", "no package yet", "ls=%s", fx.pkg);
	EXPECT_PROBE(&out, "fail ENOENT", "no app data", "ls=%s", fx.data);
	EXPECT_PROBE(&out, "ok", "fontconfig reads it", "ls=/etc/fonts");
	EXPECT_PROBE(&out, "ok", "Mesa and fonts", "ls=/usr/share");
	EXPECT(report.kind == WEFT_SANDBOX_SPARE);
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

/* The host file's first bytes are want: the sandbox never wrote it. */
static bool host_file_is(const char *path, const char *want)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0) {
		close(fd);
	}
	return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

/*
 * The spare's Mesa shader cache: the trusted one, which only appd's warm-up
 * writes, shown read-only under a writable layer of the spare's own. Mesa
 * opens its index read-write and writes new entries; all of it lands in
 * that layer, never in the host directory, and no other process sees it.
 */
static void shader_cache_trusted(void)
{
	char trusted[PATH_MAX], index[PATH_MAX], made[PATH_MAX], sub[PATH_MAX];
	test_write_file(fx.dir, "cache/shader-cache/mesa/mesa_shader_cache/index", "trusted", 7);
	path_in(trusted, fx.dir, "cache/shader-cache/mesa");
	path_in(index, trusted, "mesa_shader_cache/index");
	path_in(made, trusted, "mesa_shader_cache/new-entry");
	path_in(sub, trusted, "mesa_shader_cache/ab");
	struct weft_error err;
	struct weft_sandbox_policy *policy = weft_sandbox_policy_spare(NULL, &err);
	ASSERT(policy != NULL);
	ASSERT(weft_sandbox_policy_shader_cache(policy, WEFT_SANDBOX_SHADER_CACHE_TRUSTED, trusted,
		&err));
	const char *probes[] = { "env=MESA_SHADER_CACHE_DIR", "env=MESA_SHADER_CACHE_DISABLE",
		fmt("fstype=%s", trusted), fmt("read=%s", index), fmt("write=%s", index),
		fmt("write=%s", made), fmt("mkdir=%s", sub), fmt("read=%s", made),
		fmt("umount=%s", trusted), NULL };
	struct output out;
	struct weft_sandbox_report report;
	ASSERT(run_try(policy, "none", probes, -1, &out, &report));
	EXPECT_PROBE(&out, fmt("ok %s", trusted), "Mesa's cache is the trusted one",
		"env=MESA_SHADER_CACHE_DIR");
	EXPECT_PROBE(&out, "fail ENOENT", "the cache is on", "env=MESA_SHADER_CACHE_DISABLE");
	EXPECT_PROBE(&out, "ok overlay rw", "a private layer over it", "fstype=%s", trusted);
	EXPECT_PROBE(&out, "ok", "the warm-up's entries are read", "read=%s", index);
	EXPECT_PROBE(&out, "ok", "Mesa opens its index read-write", "write=%s", index);
	EXPECT_PROBE(&out, "ok", "new entries go to the private layer", "write=%s", made);
	EXPECT_PROBE(&out, "ok", "and new directories", "mkdir=%s", sub);
	EXPECT_PROBE(&out, "ok", "it reads what it wrote", "read=%s", made);
	EXPECT_PROBE(&out, "fail EPERM", "no capabilities: the layer stays", "umount=%s", trusted);
	EXPECT(out.status == 0);
	output_finish(&out);
	/* The host directory is as the warm-up left it. */
	EXPECT(host_file_is(index, "trusted"));
	EXPECT(access(made, F_OK) != 0 && errno == ENOENT);
	EXPECT(access(sub, F_OK) != 0 && errno == ENOENT);
	EXPECT(report.shader_cache == WEFT_SANDBOX_SHADER_CACHE_TRUSTED);
	char line[1024];
	weft_sandbox_report_format(&report, line, sizeof(line));
	EXPECT(strstr(line, "; mesa shader cache: trusted read-only") != NULL);

	/* Nor does the next spare see what this one wrote. */
	const char *again[] = { fmt("read=%s", made), fmt("read=%s", index), NULL };
	ASSERT(run_try(policy, "app-shell", again, -1, &out, NULL));
	EXPECT_PROBE(&out, "fail ENOENT", "another process's layer", "read=%s", made);
	EXPECT_PROBE(&out, "ok", "the trusted entries", "read=%s", index);
	EXPECT(out.status == 0);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

/* An app-shell started for one app has that app's own cache, read-write;
 * with none, Mesa's cache is off; a runtime has no shader cache. */
static void shader_cache_app_and_none(void)
{
	char own[PATH_MAX], entry[PATH_MAX];
	test_write_file(fx.dir, "cache/apps/org.example.app/mesa/.keep", "", 0);
	path_in(own, fx.dir, "cache/apps/org.example.app/mesa");
	path_in(entry, own, "entry");
	struct weft_sandbox_policy *policy = policy_app_shell();
	struct weft_error err;
	ASSERT(weft_sandbox_policy_shader_cache(policy, WEFT_SANDBOX_SHADER_CACHE_APP, own, &err));
	EXPECT(!weft_sandbox_policy_shader_cache(policy, WEFT_SANDBOX_SHADER_CACHE_TRUSTED, own,
		&err));
	const char *probes[] = { "env=MESA_SHADER_CACHE_DIR", fmt("fstype=%s", own),
		fmt("write=%s", entry), NULL };
	struct output out;
	struct weft_sandbox_report report;
	ASSERT(run_try(policy, "app-shell", probes, -1, &out, &report));
	EXPECT_PROBE(&out, fmt("ok %s", own), "the app's own cache", "env=MESA_SHADER_CACHE_DIR");
	EXPECT_PROBE(&out, "ok other rw", "a plain read-write bind", "fstype=%s", own);
	EXPECT_PROBE(&out, "ok", "it keeps what it compiles", "write=%s", entry);
	EXPECT(host_file_is(entry, "x"));
	EXPECT(report.shader_cache == WEFT_SANDBOX_SHADER_CACHE_APP);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);

	policy = policy_app_shell();
	const char *none[] = { "env=MESA_SHADER_CACHE_DISABLE", "env=MESA_SHADER_CACHE_DIR",
		NULL };
	ASSERT(run_try(policy, "app-shell", none, -1, &out, &report));
	EXPECT_PROBE(&out, "ok true", "no cache: Mesa's is off", "env=MESA_SHADER_CACHE_DISABLE");
	EXPECT_PROBE(&out, "fail ENOENT", "no cache directory", "env=MESA_SHADER_CACHE_DIR");
	EXPECT(report.shader_cache == WEFT_SANDBOX_SHADER_CACHE_NONE);
	char line[1024];
	weft_sandbox_report_format(&report, line, sizeof(line));
	EXPECT(strstr(line, "; mesa shader cache: none") != NULL);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);

	policy = policy_runtime(false);
	EXPECT(!weft_sandbox_policy_shader_cache(policy, WEFT_SANDBOX_SHADER_CACHE_APP, own,
		&err));
	weft_sandbox_policy_destroy(policy);
}

/* A layer that cannot be applied stops the child, which says which. */
static void failure_is_reported(void)
{
	char copy[PATH_MAX];
	path_in(copy, fx.dir, "not-executable");
	int in = open(try_path(), O_RDONLY | O_CLOEXEC);
	int outfd = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT(in >= 0 && outfd >= 0);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		ASSERT(write(outfd, buf, (size_t)n) == n);
	}
	close(in);
	close(outfd);
	struct weft_sandbox_policy *policy = policy_runtime(false);
	char *argv[] = { copy, NULL };
	struct weft_sandbox_exec exec = { .path = copy, .argv = argv, .pgid = -1 };
	struct weft_sandbox_child child;
	struct weft_error err;
	ASSERT(weft_sandbox_spawn(policy, &exec, &child, &err));
	weft_sandbox_child_release(&child, true);
	EXPECT(!weft_sandbox_child_wait_exec(&child, &err));
	fprintf(stderr, "# %s\n", err.msg);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "sandbox: exec %s: Permission denied", copy);
	EXPECT_STR_EQ(err.msg, want);
	siginfo_t info = { 0 };
	EXPECT(waitid(P_PIDFD, (id_t)child.pidfd, &info, WEXITED) == 0);
	EXPECT(info.si_code == CLD_EXITED && info.si_status == WEFT_SANDBOX_EXIT_SETUP);
	close(child.pidfd);
	weft_sandbox_policy_destroy(policy);
}

/* Released with no go, the gated child exits at once, as appd's failure
 * paths expect when they reap it. */
static void released_without_go_exits(void)
{
	struct weft_sandbox_policy *policy = policy_runtime(false);
	char *argv[] = { (char *)try_path(), "status", NULL };
	struct weft_sandbox_exec exec = { .path = try_path(), .argv = argv, .pgid = -1 };
	struct weft_sandbox_child child;
	struct weft_error err;
	ASSERT(weft_sandbox_spawn(policy, &exec, &child, &err));
	weft_sandbox_child_release(&child, false);
	close(child.status_fd);
	struct pollfd pfd = { .fd = child.pidfd, .events = POLLIN };
	EXPECT(poll(&pfd, 1, 20000) == 1);
	if (pfd.revents == 0) {
		syscall(SYS_pidfd_send_signal, child.pidfd, SIGKILL, NULL, 0);
	}
	siginfo_t info = { 0 };
	EXPECT(waitid(P_PIDFD, (id_t)child.pidfd, &info, WEXITED) == 0);
	EXPECT(info.si_code == CLD_EXITED);
	close(child.pidfd);
	weft_sandbox_policy_destroy(policy);
}

/* The cgroup v2 directory our process is in, or false: none writable. */
static bool own_cgroup2(char *dir, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096], mount[PATH_MAX] = "";
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char point[PATH_MAX];
		const char *sep = strstr(line, " - cgroup2 ");
		if (sep != NULL && sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1) {
			snprintf(mount, sizeof(mount), "%s", point);
			break;
		}
	}
	if (f != NULL) {
		fclose(f);
	}
	f = fopen("/proc/self/cgroup", "r");
	char own[PATH_MAX] = "";
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "0::", 3) == 0) {
			snprintf(own, sizeof(own), "%s", line + 3);
			own[strcspn(own, "\n")] = '\0';
		}
	}
	if (f != NULL) {
		fclose(f);
	}
	if (mount[0] == '\0' || own[0] == '\0') {
		return false;
	}
	snprintf(dir, size, "%s%s", mount, strcmp(own, "/") == 0 ? "" : own);
	return access(dir, W_OK) == 0;
}

static void cgroup_line(pid_t pid, char *buf, size_t size)
{
	char path[64], line[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, "%s", line + 3);
		}
	}
	if (f != NULL) {
		fclose(f);
	}
}

static void end_gated(struct weft_sandbox_child *child)
{
	weft_sandbox_child_release(child, false);
	close(child->status_fd);
	EXPECT(waitid(P_PIDFD, (id_t)child->pidfd, &(siginfo_t){ 0 }, WEXITED) == 0);
	close(child->pidfd);
}

/* Given a cgroup's directory, the child is in it from its first
 * instruction, gated, before anything is applied or exec'd; given a
 * directory that is no cgroup, it starts where we are, and says so. */
static void born_in_cgroup(void)
{
	char parent[PATH_MAX], dir[PATH_MAX + 64];
	if (!own_cgroup2(parent, sizeof(parent))) {
		test_skip("no writable cgroup v2 hierarchy here");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/weft-test-sandbox.%d", parent, (int)getpid());
	if (mkdir(dir, 0755) != 0) {
		test_skip("cannot make a cgroup here");
		return;
	}
	int cgroup_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int plain_fd = open(fx.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT(cgroup_fd > 0 && plain_fd > 0);
	struct weft_sandbox_policy *policy = policy_runtime(false);
	char *argv[] = { (char *)try_path(), "status", NULL };
	struct weft_sandbox_exec exec = { .path = try_path(),
		.argv = argv,
		.pgid = -1,
		.cgroup_fd = cgroup_fd };
	struct weft_sandbox_child child;
	struct weft_error err;
	char seen[PATH_MAX], own[PATH_MAX], want[PATH_MAX + 64];
	cgroup_line(getpid(), own, sizeof(own));
	snprintf(want, sizeof(want), "%s/weft-test-sandbox.%d", strcmp(own, "/") == 0 ? "" : own,
		(int)getpid());
	ASSERT(weft_sandbox_spawn(policy, &exec, &child, &err));
	EXPECT(child.in_cgroup);
	cgroup_line(child.pid, seen, sizeof(seen));
	EXPECT_STR_EQ(seen, want);
	end_gated(&child);

	exec.cgroup_fd = plain_fd;
	ASSERT(weft_sandbox_spawn(policy, &exec, &child, &err));
	EXPECT(!child.in_cgroup);
	cgroup_line(child.pid, seen, sizeof(seen));
	EXPECT_STR_EQ(seen, own);
	end_gated(&child);

	weft_sandbox_policy_destroy(policy);
	close(cgroup_fd);
	close(plain_fd);
	EXPECT(rmdir(dir) == 0);
}

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	if (fd >= 0) {
		close(fd);
	}
	return ok;
}

static void degraded_in_child(void)
{
	/* A user namespace in which no more may be created. */
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	ASSERT(unshare(CLONE_NEWUSER) == 0);
	snprintf(map, sizeof(map), "%u %u 1\n", uid, uid);
	ASSERT(write_file("/proc/self/setgroups", "deny") &&
		write_file("/proc/self/uid_map", map));
	snprintf(map, sizeof(map), "%u %u 1\n", gid, gid);
	ASSERT(write_file("/proc/self/gid_map", map) &&
		write_file("/proc/sys/user/max_user_namespaces", "0"));

	struct weft_sandbox_policy *policy = policy_runtime(false);
	const char *probes[] = { "status", "read=/etc/passwd", fmt("read=%s", fx.secret),
		fmt("read=%s", fx.manifest), fmt("write=%s/x", fx.pkg), "exec-sh", NULL };
	struct output out;
	/* Refused unless the policy allows it. */
	EXPECT(!run_try(policy, "none", probes, -1, &out, NULL));
	weft_sandbox_policy_allow_degraded(policy, true);
	struct weft_sandbox_report report;
	ASSERT(run_try(policy, "none", probes, -1, &out, &report));
	EXPECT(report.namespaces == 0 && !report.new_root && report.degraded != NULL);
	char line[1024];
	weft_sandbox_report_format(&report, line, sizeof(line));
	fprintf(stderr, "# %s\n", line);
	EXPECT(strstr(line, "no namespaces; host root") != NULL);
	EXPECT(strstr(line, "DEGRADED: no user namespaces") != NULL);
	/* Landlock alone still holds: the host's root is there, but denied. */
	EXPECT_PROBE(&out, "fail EACCES", "Landlock", "read=/etc/passwd");
	EXPECT_PROBE(&out, "fail EACCES", "Landlock", "read=%s", fx.secret);
	EXPECT_PROBE(&out, "ok", "the package is readable", "read=%s", fx.manifest);
	EXPECT_PROBE(&out, "fail EACCES", "Landlock", "write=%s/x", fx.pkg);
	EXPECT_PROBE(&out, "fail EACCES", "Landlock", "exec-sh");
	/* The host's /proc is not allowed: it shows every process. */
	const char *status = result_of(&out, "status");
	EXPECT(status != NULL && strstr(status, " status-file=EACCES ") != NULL);
	EXPECT(status != NULL && strstr(status, " capget-eff=0 nnp=1 ") != NULL);
	EXPECT(report.caps_dropped);
	output_finish(&out);
	weft_sandbox_policy_destroy(policy);
}

/* Where the kernel refuses user namespaces, a spawn fails with one clear
 * line; a policy that allows degrading starts with the other layers, and
 * the report says so. */
static void degraded_without_user_namespaces(void)
{
	pid_t pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		degraded_in_child();
		fflush(stdout);
		_exit(test_failed ? 1 : 0);
	}
	int status;
	ASSERT(waitpid(pid, &status, 0) == pid);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The real weft-runtime, with the counter, starts and answers under the
 * runtime's policy: the policy is enough for what it guards. */
static void runtime_runs_inside(void)
{
	const char *runtime = getenv("WEFT_SANDBOX_RUNTIME");
	const char *package = getenv("WEFT_SANDBOX_COUNTER");
	if (runtime == NULL || runtime[0] == '\0' || access(runtime, X_OK) != 0 ||
		package == NULL || access(package, R_OK) != 0) {
		test_skip("weft-runtime or the counter package not built");
		return;
	}
	char component[PATH_MAX];
	path_in(component, package, "app.wasm");
	struct weft_sandbox_app app = { .package_dir = package,
		.data_dir = fx.data,
		.data_rw = true };
	struct weft_error err;
	struct weft_sandbox_policy *policy = weft_sandbox_policy_runtime(&app, &err);
	ASSERT(policy != NULL);
	int ipc[2], control[2];
	ASSERT(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ipc) == 0);
	ASSERT(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) == 0);
	char *argv[] = { (char *)runtime, "--no-cache", "--ipc-fd", "3", "--control-fd", "4",
		"--grant", "fs:rw:app-data", "--data", fx.data, component, NULL };
	int fds[] = { ipc[1], control[1] };
	struct weft_sandbox_exec exec = { .path = runtime,
		.argv = argv,
		.fds = fds,
		.nfds = 2,
		.pgid = -1 };
	struct weft_sandbox_child child;
	bool ok = weft_sandbox_spawn(policy, &exec, &child, &err);
	close(ipc[1]);
	close(control[1]);
	if (!ok) {
		fprintf(stderr, "# %s\n", err.msg);
		test_failed = true;
	} else {
		weft_sandbox_child_release(&child, true);
		EXPECT(weft_sandbox_child_wait_exec(&child, &err));
		char msg[256] = { 0 };
		struct pollfd pfd = { .fd = control[0], .events = POLLIN };
		EXPECT(poll(&pfd, 1, 60000) == 1);
		ssize_t n = recv(control[0], msg, sizeof(msg) - 1, MSG_DONTWAIT);
		EXPECT(n > 0 && strcmp(msg, "READY\n") == 0);
		if (n <= 0 || strcmp(msg, "READY\n") != 0) {
			fprintf(stderr, "# weft-runtime said \"%s\" instead of READY\n", msg);
		}
		/* It is pid 1 of its namespace: SIGTERM reaches it only because
		 * it waits for it (blocked, in sigtimedwait). */
		EXPECT(syscall(SYS_pidfd_send_signal, child.pidfd, SIGTERM, NULL, 0) == 0);
		struct pollfd exited = { .fd = child.pidfd, .events = POLLIN };
		bool ended = poll(&exited, 1, 60000) == 1;
		EXPECT(ended);
		if (!ended) {
			syscall(SYS_pidfd_send_signal, child.pidfd, SIGKILL, NULL, 0);
		}
		siginfo_t info = { 0 };
		EXPECT(waitid(P_PIDFD, (id_t)child.pidfd, &info, WEXITED) == 0);
		EXPECT(info.si_code == CLD_EXITED && info.si_status == 0);
		close(child.pidfd);
		close(control[0]);
		close(ipc[0]);
		weft_sandbox_policy_destroy(policy);
		return;
	}
	close(control[0]);
	close(ipc[0]);
	weft_sandbox_policy_destroy(policy);
}

/* Whether uid 65534 can run the test and the probe program where they are. */
static bool nobody_can_run(const char *self)
{
	pid_t pid = fork();
	if (pid == 0) {
		bool ok = setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0 &&
			access(self, X_OK) == 0 && access(try_path(), X_OK) == 0;
		_exit(ok ? 0 : 1);
	}
	int status;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		WEXITSTATUS(status) == 0;
}

static bool user_namespaces_work(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
	}
	int status;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		WEXITSTATUS(status) == 0;
}

/*
 * WEFT_SANDBOX_AS_NOBODY=1: as root, runs these cases again as uid 65534
 * (through setpriv); otherwise says why not. -1 when not asked.
 */
static int as_nobody(int argc, char **argv)
{
	const char *mode = getenv("WEFT_SANDBOX_AS_NOBODY");
	if (mode == NULL || mode[0] == '\0') {
		return -1;
	}
	if (strcmp(mode, "inner") == 0) {
		if (!user_namespaces_work()) {
			printf("1..0 # SKIP unprivileged user namespaces are disabled here\n");
			return 0;
		}
		return -1;
	}
	if (getuid() != 0) {
		printf("1..0 # SKIP not root: the sandbox suite itself ran as uid %u\n", getuid());
		return 0;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		perror("/proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	if (!nobody_can_run(self)) {
		printf("1..0 # SKIP uid 65534 cannot run %s or %s\n", self, try_path());
		return 0;
	}
	char *args[32] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
		self };
	for (int i = 1; i < argc && i + 6 < 31; i++) {
		args[i + 5] = argv[i];
	}
	setenv("WEFT_SANDBOX_AS_NOBODY", "inner", 1);
	fflush(stdout);
	execvp("setpriv", args);
	perror("setpriv");
	return 1;
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(report_says_every_layer),
		TEST_CASE(files),
		TEST_CASE(sockets),
		TEST_CASE(processes),
		TEST_CASE(kernel_without_seccomp),
		TEST_CASE(kernel_with_app_shell_seccomp),
		TEST_CASE(kernel_with_runtime_seccomp),
		TEST_CASE(runtime_network),
		TEST_CASE(sealed_memfd),
		TEST_CASE(compositor_keymap),
		TEST_CASE(shared_memory),
		TEST_CASE(terminal),
		TEST_CASE(sigterm_before_handler),
		TEST_CASE(limits),
		TEST_CASE(crowded_parent),
		TEST_CASE(spare_sees_no_app),
		TEST_CASE(shader_cache_trusted),
		TEST_CASE(shader_cache_app_and_none),
		TEST_CASE(failure_is_reported),
		TEST_CASE(released_without_go_exits),
		TEST_CASE(born_in_cgroup),
		TEST_CASE(degraded_without_user_namespaces),
		TEST_CASE(runtime_runs_inside),
	};
	int rc = as_nobody(argc, argv);
	if (rc >= 0) {
		return rc;
	}
	fixture_setup();
	rc = test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
	test_rmtree(fx.dir);
	free(fx.dir);
	while (nformatted > 0) {
		free(formatted[--nformatted]);
	}
	return rc;
}
