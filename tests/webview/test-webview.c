/*
 * The Servo lane: the real weft-app-shell, with Servo rendering in software,
 * in the real compositor (headless, --expose-test-protocols). A test peer
 * holds the other end of its IPC fd; pixels are read back by screencopy and
 * input is injected through the virtual pointer and keyboard.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/input-event-codes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "test.h"

#define APP_ID "org.weft.test.fixture"
#define TIMEOUT_MS 60000
#define MSG_MAX (1024 * 1024)

/* The fixture app: two colour halves, a button, and a page that obeys the
 * test peer's "cmd:" messages and echoes everything else. */
static const char manifest[] = "[package]\n"
			       "id = \"" APP_ID "\"\n"
			       "name = \"Fixture\"\n"
			       "version = \"1.0.0\"\n"
			       "[runtime]\n"
			       "module = \"app.wasm\"\n"
			       "[ui]\n"
			       "entry = \"ui/index.html\"\n";

static const char page[] =
	"<!DOCTYPE html>\n"
	"<html><head><meta charset=\"utf-8\"><style>\n"
	"html, body { margin: 0; height: 100%; overflow: hidden; }\n"
	"#left { position: absolute; left: 0; top: 0; width: 50%; height: 100%;"
	" background: #ff0000; }\n"
	"#right { position: absolute; left: 50%; top: 0; width: 50%; height: 100%;"
	" background: #0000ff; }\n"
	"#button { position: absolute; left: 100px; top: 100px; width: 200px;"
	" height: 100px; background: #00ff00; }\n"
	"</style><script src=\"app.js\"></script></head>\n"
	"<body><div id=\"left\"></div><div id=\"right\"></div>"
	"<div id=\"button\"></div></body></html>\n";

static const char script[] =
	"const bridgeEarly = typeof window.weftIpc;\n"
	"async function probe(url) {\n"
	"  try { const r = await fetch(url); return url + ' ' + r.status; }\n"
	"  catch (e) { return url + ' refused'; }\n"
	"}\n"
	"async function command(cmd) {\n"
	"  if (cmd.startsWith('burst:')) {\n"
	"    const n = Number(cmd.slice(6));\n"
	"    for (let i = 0; i < n; i++) weftIpc.send('b' + i);\n"
	"  } else if (cmd === 'forge') {\n"
	"    console.debug('%s', 'H');\n"
	"    console.debug('%s', 'Mforged');\n"
	"    console.dir('H');\n"
	"    console.dir('Mforged by dir');\n"
	"    console.log('Mforged too');\n"
	"    console.group('g');\n"
	"    weftIpc.send('in a group');\n"
	"    console.debug('%s', 'Mforged in a group');\n"
	"    console.dir('Mforged by dir in a group');\n"
	"    console.groupEnd();\n"
	"    const code = [weftIpc.send, window.__weftIpcDeliver,\n"
	"      Object.getOwnPropertyDescriptor(weftIpc, 'onmessage').get].join(' ');\n"
	"    weftIpc.send(/[0-9a-f]{32}/.test(code) ? 'secret shown' : 'secret hidden');\n"
	"  } else if (cmd === 'promises') {\n"
	"    const a = weftIpc.send('one'), b = weftIpc.send('two');\n"
	"    await a;\n"
	"    weftIpc.send(a === b && Object.isFrozen(a) ? 'one promise' : 'a promise each');\n"
	"  } else if (cmd === 'exact') {\n"
	"    weftIpc.send('a\\u0000b %s %d %o %c \\ud800z');\n"
	"  } else if (cmd === 'ping') {\n"
	"    weftIpc.send('pong ' + location.href);\n"
	"  } else if (cmd.startsWith('navigate:')) {\n"
	"    location.href = cmd.slice(9);\n"
	"  } else if (cmd.startsWith('probe:')) {\n"
	"    const port = cmd.slice(6);\n"
	"    const img = new Image();\n"
	"    img.src = 'http://127.0.0.1:' + port + '/img.png';\n"
	"    const results = [];\n"
	"    for (const url of ['http://127.0.0.1:' + port + '/',\n"
	"        'https://127.0.0.1:' + port + '/', 'file:///etc/passwd',\n"
	"        'weft-app://other.app.id/ui/index.html',\n"
	"        'weft-system://ui/system-ui.html',\n"
	"        'weft-system://app-icon/" APP_ID "',\n"
	"        'weft-app://" APP_ID "/../../etc/passwd',\n"
	"        'weft-app://" APP_ID "/ui/..%2f..%2f..%2fetc%2fpasswd',\n"
	"        'weft-app://" APP_ID "/ui/link.html',\n"
	"        'weft-app://" APP_ID "/ui/app.js']) {\n"
	"      results.push(await probe(url));\n"
	"    }\n"
	"    try { new WebSocket('ws://127.0.0.1:' + port + '/'); } catch (e) {}\n"
	"    weftIpc.send('probed\\n' + results.join('\\n'));\n"
	"  }\n"
	"}\n"
	"weftIpc.onmessage = (m) => {\n"
	"  if (m.startsWith('cmd:')) command(m.slice(4)); else weftIpc.send(m);\n"
	"};\n"
	"document.addEventListener('keydown', (e) => weftIpc.send('key ' + e.key));\n"
	"window.addEventListener('load', () => {\n"
	"  const b = document.getElementById('button');\n"
	"  b.addEventListener('click', () => {\n"
	"    b.style.background = '#ffff00';\n"
	"    weftIpc.send('clicked');\n"
	"  });\n"
	"  weftIpc.send('ready ' + bridgeEarly).catch((e) => console.error('send: ' + "
	"e.message));\n"
	"});\n";

struct shell {
	pid_t pid;
	int ipc; /* our end, or -1 */
	char *log; /* its stderr */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *make_package(void)
{
	char *dir = test_mkdtemp();
	test_write_file(dir, "wapp.toml", manifest, strlen(manifest));
	test_write_file(dir, "app.wasm", "", 0);
	test_write_file(dir, "ui/index.html", page, strlen(page));
	test_write_file(dir, "ui/app.js", script, strlen(script));
	/* A symlink out of the package must not be followed. */
	char link_path[512];
	snprintf(link_path, sizeof(link_path), "%s/ui/link.html", dir);
	if (symlink("/etc/passwd", link_path) != 0) {
		perror("# symlink");
	}
	return dir;
}

/*
 * A shell started with --prewarm on fd 12 (in a process group of its own,
 * as weft-appd starts it), adopted once it says READY the way weft-appd
 * adopts it: the app, the session, our process group to join, and the IPC
 * and Wayland fds. false if it never said READY.
 */
static bool shell_adopt(struct shell *shell, int sock, const char *app_id, const char *package,
	int ipc, int wayland)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	char said[16] = { 0 };
	if (poll(&pfd, 1, TIMEOUT_MS) != 1 || recv(sock, said, sizeof(said) - 1, 0) <= 0 ||
		strcmp(said, "READY") != 0) {
		fprintf(stderr, "# the prewarmed shell never said READY\n");
		return false;
	}
	/* Still its own group leader: it joins ours on adoption. */
	EXPECT(getpgid(shell->pid) == shell->pid);
	char msg[1024];
	snprintf(msg, sizeof(msg),
		"{\"app_id\":\"%s\",\"session\":\"s1\",\"package_dir\":\"%s\","
		"\"pgid\":%d}",
		app_id, package, (int)getpgrp());
	char control[CMSG_SPACE(2 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = msg, .iov_len = strlen(msg) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(2 * sizeof(int));
	int fds[] = { ipc, wayland };
	memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)strlen(msg);
}

/* The compositor tags the shell's connection with app_id: it must be the
 * package's own id, or the compositor refuses the shell's window. A
 * prewarmed shell gets both (and its IPC fd, which it then must have) by
 * adoption. */
static void shell_start(struct shell *shell, struct tc_compositor *c, const char *app_id,
	const char *package, bool with_ipc, const char *renderer, bool prewarm)
{
	const char *bin = getenv("WEFT_APP_SHELL");
	if (!bin) {
		fprintf(stderr, "# WEFT_APP_SHELL is not set\n");
		abort();
	}
	int wayland = tc_control_create_client(c, app_id, "s1");
	if (wayland < 0) {
		fprintf(stderr, "# no tagged client fd\n");
		abort();
	}
	int pair[2] = { -1, -1 };
	if (with_ipc && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
		abort();
	}
	int adopt[2] = { -1, -1 };
	if (prewarm && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, adopt) != 0) {
		abort();
	}
	shell->log = malloc(strlen(c->runtime_dir) + 32);
	sprintf(shell->log, "%s/app-shell.log", c->runtime_dir);
	int log = open(shell->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		/* dup2 clears FD_CLOEXEC on the copies the shell inherits. */
		dup2(log, STDERR_FILENO);
		setenv("WEFT_LOG", "info", 1);
		unsetenv("WAYLAND_DISPLAY");
		const char *argv[12];
		size_t n = 0;
		argv[n++] = bin;
		if (prewarm) {
			setpgid(0, 0);
			dup2(adopt[1], 12);
			argv[n++] = "--prewarm";
			argv[n++] = "12";
		} else {
			dup2(wayland, 10);
			setenv("WAYLAND_SOCKET", "10", 1);
		}
		if (with_ipc && !prewarm) {
			dup2(pair[1], 11);
			argv[n++] = "--app-id";
			argv[n++] = app_id;
			argv[n++] = "--session";
			argv[n++] = "s1";
			argv[n++] = "--ipc-fd";
			argv[n++] = "11";
		}
		if (renderer != NULL) {
			argv[n++] = "--renderer";
			argv[n++] = renderer;
		}
		if (!prewarm) {
			argv[n++] = package;
		}
		argv[n] = NULL;
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(log);
	shell->pid = pid;
	if (prewarm) {
		close(adopt[1]);
		setpgid(pid, pid);
		if (!shell_adopt(shell, adopt[0], app_id, package, pair[1], wayland)) {
			kill(pid, SIGKILL);
		}
		close(adopt[0]);
	}
	close(wayland);
	if (with_ipc) {
		close(pair[1]);
		/* A 1 MiB datagram needs a send buffer that large; root may exceed
		 * net.core.wmem_max. */
		int size = 2 * MSG_MAX;
		if (setsockopt(pair[0], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) != 0) {
			setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		}
	}
	shell->ipc = pair[0];
}

/* Exit status of the shell, waiting up to timeout_ms; -1 if it did not exit. */
static int shell_wait(struct shell *shell, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int status;
	while (now_ms() < deadline) {
		if (waitpid(shell->pid, &status, WNOHANG) == shell->pid) {
			shell->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(10000);
	}
	return -1;
}

static void shell_finish(struct shell *shell)
{
	if (shell->pid > 0) {
		kill(shell->pid, SIGKILL);
		waitpid(shell->pid, NULL, 0);
	}
	if (shell->ipc >= 0) {
		close(shell->ipc);
	}
	free(shell->log);
}

/* Whether the shell's stderr contains needle. */
static bool log_contains(struct shell *shell, const char *needle)
{
	FILE *f = fopen(shell->log, "r");
	if (!f) {
		return false;
	}
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		found = strstr(line, needle) != NULL;
	}
	fclose(f);
	return found;
}

/* One message into buf (NUL-terminated), or -1 on timeout or hangup. */
static ssize_t peer_recv(struct shell *shell, char *buf, int timeout_ms)
{
	struct pollfd pfd = { .fd = shell->ipc, .events = POLLIN };
	if (poll(&pfd, 1, timeout_ms) <= 0) {
		return -1;
	}
	ssize_t n = recv(shell->ipc, buf, MSG_MAX, 0);
	if (n <= 0) {
		return -1;
	}
	buf[n] = '\0';
	return n;
}

static bool peer_send(struct shell *shell, const char *msg, size_t len)
{
	return send(shell->ipc, msg, len, MSG_NOSIGNAL) == (ssize_t)len;
}

static bool peer_send_str(struct shell *shell, const char *msg)
{
	return peer_send(shell, msg, strlen(msg));
}

/* Waits until the screen at (x, y) is rgb. */
static bool screen_shows(struct tc_compositor *c, int x, int y, uint32_t rgb, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	uint32_t last = 0;
	struct tc_client *viewer = tc_client_connect(c);
	bool seen = false;
	while (!seen && now_ms() < deadline) {
		struct tc_image img;
		if (tc_screencopy(viewer, &img)) {
			last = tc_image_pixel(&img, x, y);
			tc_image_finish(&img);
			seen = last == rgb;
		}
		if (!seen) {
			usleep(50000);
		}
	}
	tc_client_destroy(viewer);
	if (!seen) {
		fprintf(stderr, "# pixel (%d, %d) is %06x, not %06x\n", x, y, last, rgb);
	}
	return seen;
}

struct fixture {
	const char *renderer; /* --renderer of the shell, NULL for its default */
	bool prewarm; /* started with --prewarm, then adopted */
	struct tc_compositor c;
	char *package;
	struct shell shell;
	char *buf;
};

static bool fixture_start(struct fixture *f, bool with_ipc)
{
	tc_compositor_start(&f->c, TC_WITH_CONTROL, NULL);
	f->package = make_package();
	f->buf = malloc(MSG_MAX + 1);
	shell_start(&f->shell, &f->c, APP_ID, f->package, with_ipc, f->renderer, f->prewarm);
	if (!with_ipc) {
		return true;
	}
	ssize_t n = peer_recv(&f->shell, f->buf, TIMEOUT_MS);
	if (n < 0) {
		fprintf(stderr, "# the page never said ready\n");
		return false;
	}
	/* weftIpc existed before the page's own first script ran. */
	EXPECT_STR_EQ(f->buf, "ready object");
	return true;
}

static void fixture_finish(struct fixture *f)
{
	shell_finish(&f->shell);
	test_rmtree(f->package);
	free(f->package);
	free(f->buf);
	tc_compositor_stop(&f->c);
}

/* The fixture's two halves and its button, where the page puts them. */
static void expect_page_colours(struct fixture *f)
{
	EXPECT(screen_shows(&f->c, 320, 500, 0xff0000, TIMEOUT_MS));
	EXPECT(screen_shows(&f->c, 960, 500, 0x0000ff, 5000));
	EXPECT(screen_shows(&f->c, 200, 150, 0x00ff00, 5000));
}

/* A click on the button reaches the page, which says so and turns it yellow. */
static void expect_click_reaches_the_page(struct fixture *f)
{
	struct tc_client *input = tc_client_connect(&f->c);
	tc_click(input, 200, 150);
	EXPECT(peer_recv(&f->shell, f->buf, 10000) > 0 && strcmp(f->buf, "clicked") == 0);
	/* Away from the cursor, which screencopy shows where it clicked. */
	EXPECT(screen_shows(&f->c, 280, 185, 0xffff00, 10000));
	tc_client_destroy(input);
}

static void page_colours_on_screen(void)
{
	struct fixture f = { 0 };
	ASSERT(fixture_start(&f, true));
	expect_page_colours(&f);
	fixture_finish(&f);
}

static void click_reaches_the_page(void)
{
	struct fixture f = { 0 };
	ASSERT(fixture_start(&f, true));
	ASSERT(screen_shows(&f.c, 200, 150, 0x00ff00, TIMEOUT_MS));
	expect_click_reaches_the_page(&f);
	fixture_finish(&f);
}

/* The view draws through EGL straight into the window (Mesa, llvmpipe here:
 * its Wayland platform hands the compositor wl_shm buffers), and input and
 * the bridge work as with software frames. */
static void egl_into_the_window(void)
{
	struct fixture f = { .renderer = "gpu" };
	ASSERT(fixture_start(&f, true));
	expect_page_colours(&f);
	EXPECT(log_contains(&f.shell, "rendering through EGL into the window"));
	expect_click_reaches_the_page(&f);
	fixture_finish(&f);
}

static void ipc_echo_burst_large_utf8(void)
{
	struct fixture f = { 0 };
	ASSERT(fixture_start(&f, true));

	const char *utf8 = "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x8e\x89 \"q\" \\ \n\t end";
	EXPECT(peer_send_str(&f.shell, utf8));
	EXPECT(peer_recv(&f.shell, f.buf, 10000) > 0);
	EXPECT_STR_EQ(f.buf, utf8);

	/* Page → host as sent: a NUL, console format directives taken as text,
	 * a lone surrogate as U+FFFD (a JS string, sent as UTF-8). */
	static const char exact[] = "a\0b %s %d %o %c \xef\xbf\xbdz";
	EXPECT(peer_send_str(&f.shell, "cmd:exact"));
	ssize_t got = peer_recv(&f.shell, f.buf, 10000);
	EXPECT(got == (ssize_t)sizeof(exact) - 1 && memcmp(f.buf, exact, sizeof(exact) - 1) == 0);

	/* Host → page → host, 10 000 messages, in order, none split or merged. */
	enum { BURST = 10000 };
	char msg[32];
	int sent = 0, received = 0;
	bool in_order = true;
	while (received < BURST) {
		while (sent < BURST && sent - received < 2000) {
			snprintf(msg, sizeof(msg), "n%d", sent);
			ASSERT(peer_send_str(&f.shell, msg));
			sent++;
		}
		if (peer_recv(&f.shell, f.buf, 20000) < 0) {
			break;
		}
		snprintf(msg, sizeof(msg), "n%d", received);
		in_order = in_order && strcmp(f.buf, msg) == 0;
		received++;
	}
	EXPECT(received == BURST);
	EXPECT(in_order);

	/* Page → host burst. */
	EXPECT(peer_send_str(&f.shell, "cmd:burst:10000"));
	received = 0;
	in_order = true;
	while (received < BURST && peer_recv(&f.shell, f.buf, 20000) > 0) {
		snprintf(msg, sizeof(msg), "b%d", received);
		in_order = in_order && strcmp(f.buf, msg) == 0;
		received++;
	}
	EXPECT(received == BURST);
	EXPECT(in_order);

	/* 1 MiB each way, intact. */
	char *big = malloc(MSG_MAX);
	for (size_t i = 0; i < MSG_MAX; i++) {
		big[i] = (char)('a' + i % 26);
	}
	EXPECT(peer_send(&f.shell, big, MSG_MAX));
	ssize_t n = peer_recv(&f.shell, f.buf, 30000);
	EXPECT(n == MSG_MAX && memcmp(f.buf, big, MSG_MAX) == 0);
	free(big);

	/* The peer hanging up ends the shell, successfully. */
	close(f.shell.ipc);
	f.shell.ipc = -1;
	EXPECT(shell_wait(&f.shell, 10000) == 0);
	fixture_finish(&f);
}

/* The bridge speaks through the console under a secret: the page's own
 * console output never passes for a message, even shaped like one, and its
 * code cannot read the secret; a message sent inside a console group
 * arrives as sent. */
static void console_cannot_forge_the_bridge(void)
{
	struct fixture f = { 0 };
	ASSERT(fixture_start(&f, true));
	EXPECT(peer_send_str(&f.shell, "cmd:forge"));
	EXPECT(peer_recv(&f.shell, f.buf, 10000) > 0);
	EXPECT_STR_EQ(f.buf, "in a group");
	EXPECT(peer_recv(&f.shell, f.buf, 10000) > 0);
	EXPECT_STR_EQ(f.buf, "secret hidden");
	/* Nothing else came: the next message is the echo. */
	EXPECT(peer_send_str(&f.shell, "after"));
	EXPECT(peer_recv(&f.shell, f.buf, 10000) > 0);
	EXPECT_STR_EQ(f.buf, "after");
	EXPECT(log_contains(&f.shell, "console: Mforged too"));
	fixture_finish(&f);
}

/* A send() once connected answers with one settled promise, the same each
 * time: a new promise would cost SpiderMonkey a capture of the JS stack
 * (async stacks are on in Servo) for every message. */
static void send_makes_no_promise(void)
{
	struct fixture f = { 0 };
	ASSERT(fixture_start(&f, true));
	EXPECT(peer_send_str(&f.shell, "cmd:promises"));
	EXPECT(peer_recv(&f.shell, f.buf, 10000) > 0);
	EXPECT_STR_EQ(f.buf, "one");
	EXPECT(peer_recv(&f.shell, f.buf, 10000) > 0);
	EXPECT_STR_EQ(f.buf, "two");
	EXPECT(peer_recv(&f.shell, f.buf, 10000) > 0);
	EXPECT_STR_EQ(f.buf, "one promise");
	fixture_finish(&f);
}

static int listen_local(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
		listen(fd, 8) != 0 || getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
		abort();
	}
	*port = ntohs(addr.sin_port);
	return fd;
}

static bool line_is(const char *results, const char *line)
{
	size_t len = strlen(line);
	for (const char *p = results; p; p = strchr(p, '\n')) {
		p += *p == '\n';
		if (strncmp(p, line, len) == 0 && (p[len] == '\n' || p[len] == '\0')) {
			return true;
		}
	}
	fprintf(stderr, "# no line \"%s\" in:\n# %s\n", line, results);
	return false;
}

static void expect_refused_loads(struct fixture *f)
{
	int port;
	int server = listen_local(&port);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "cmd:probe:%d", port);
	EXPECT(peer_send_str(&f->shell, cmd));
	ASSERT(peer_recv(&f->shell, f->buf, 30000) > 0);

	char line[256];
	snprintf(line, sizeof(line), "http://127.0.0.1:%d/ refused", port);
	EXPECT(line_is(f->buf, line));
	snprintf(line, sizeof(line), "https://127.0.0.1:%d/ refused", port);
	EXPECT(line_is(f->buf, line));
	EXPECT(line_is(f->buf, "file:///etc/passwd refused"));
	EXPECT(line_is(f->buf, "weft-app://other.app.id/ui/index.html refused"));
	/* The system shell's scheme is never an app's. */
	EXPECT(line_is(f->buf, "weft-system://ui/system-ui.html refused"));
	EXPECT(line_is(f->buf, "weft-system://app-icon/" APP_ID " refused"));
	EXPECT(line_is(f->buf, "weft-app://" APP_ID "/../../etc/passwd 404"));
	EXPECT(line_is(f->buf, "weft-app://" APP_ID "/ui/..%2f..%2f..%2fetc%2fpasswd 404"));
	EXPECT(line_is(f->buf, "weft-app://" APP_ID "/ui/link.html 404"));
	EXPECT(line_is(f->buf, "weft-app://" APP_ID "/ui/app.js 200"));

	/* Navigation away is refused too: the page stays where it is. */
	snprintf(cmd, sizeof(cmd), "cmd:navigate:http://127.0.0.1:%d/", port);
	EXPECT(peer_send_str(&f->shell, cmd));
	usleep(1000000);
	EXPECT(peer_send_str(&f->shell, "cmd:navigate:file:///etc/passwd"));
	usleep(1000000);
	EXPECT(screen_shows(&f->c, 320, 500, 0xff0000, 5000));
	EXPECT(screen_shows(&f->c, 960, 500, 0x0000ff, 5000));

	/* Nothing ever connected to the test's server. */
	usleep(500000);
	struct pollfd pfd = { .fd = server, .events = POLLIN };
	EXPECT(poll(&pfd, 1, 0) == 0);
	close(server);
	EXPECT(log_contains(&f->shell, "refused load of http://127.0.0.1"));
}

static void refused_loads(void)
{
	struct fixture f = { 0 };
	ASSERT(fixture_start(&f, true));
	expect_refused_loads(&f);
	fixture_finish(&f);
}

/* A prewarmed shell's engine and first view exist before it knows the app:
 * once adopted, its page is held to the app's origin all the same, and the
 * shell has joined the process group it was given. */
static void adopted_shell_refuses_loads(void)
{
	struct fixture f = { .prewarm = true };
	ASSERT(fixture_start(&f, true));
	EXPECT(getpgid(f.shell.pid) == getpgrp());
	EXPECT(log_contains(&f.shell, "adopted for " APP_ID ", session s1"));
	expect_refused_loads(&f);
	fixture_finish(&f);
}

/* A spare draws a page of its own (built in, no app's) before it says
 * READY; adopted, the app's view draws with that warm renderer, and the
 * screen shows the app's page and takes its clicks as without a spare. */
static void adopted_shell_draws_with_the_spares_renderer(void)
{
	struct fixture f = { .renderer = "software", .prewarm = true };
	ASSERT(fixture_start(&f, true));
	EXPECT(log_contains(&f.shell, "prewarm: the spare's page drawn in"));
	EXPECT(log_contains(&f.shell,
		"rendering in software into shm buffers, with the spare's renderer"));
	expect_page_colours(&f);
	expect_click_reaches_the_page(&f);
	fixture_finish(&f);
}

static void without_ipc_fd_not_connected(void)
{
	struct fixture f = { 0 };
	ASSERT(fixture_start(&f, false));
	ASSERT(screen_shows(&f.c, 320, 500, 0xff0000, TIMEOUT_MS));
	int64_t deadline = now_ms() + 10000;
	bool said = false;
	while (!said && now_ms() < deadline) {
		said = log_contains(&f.shell, "send: weftIpc: not connected");
		usleep(50000);
	}
	EXPECT(said);

	/* Closing the window ends the shell, successfully. */
	struct json_object *reply = tc_control_request(&f.c,
		"{\"id\":2,\"type\":\"close_session\",\"session_id\":\"s1\"}", NULL);
	EXPECT(reply != NULL);
	json_object_put(reply);
	EXPECT(shell_wait(&f.shell, 10000) == 0);
	fixture_finish(&f);
}

/* Whether some pixel of the screen is exactly rgb, waiting up to timeout_ms. */
static bool screen_has_colour(struct tc_compositor *c, uint32_t rgb, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct tc_client *viewer = tc_client_connect(c);
	bool seen = false;
	/* At least one look, even with no time to wait. */
	do {
		struct tc_image img;
		if (tc_screencopy(viewer, &img)) {
			for (int y = 0; y < img.height && !seen; y++) {
				for (int x = 0; x < img.width && !seen; x++) {
					seen = tc_image_pixel(&img, x, y) == rgb;
				}
			}
			tc_image_finish(&img);
		}
		if (!seen) {
			usleep(100000);
		}
	} while (!seen && now_ms() < deadline);
	tc_client_destroy(viewer);
	return seen;
}

/* The demo counter's own UI, with the test peer standing in for its
 * component: the page asks for the count, and the negative answer shows in
 * the counter's red (#d32f2f, apps/counter/ui/style.css). */
static void demo_counter_renders(void)
{
	const char *build = getenv("WEFT_BUILD_ROOT");
	char package[1024];
	snprintf(package, sizeof(package), "%s/apps/org.weft.demo.counter", build ? build : ".");
	/* meson builds the demo packages with everything else. */
	struct stat st;
	ASSERT(stat(package, &st) == 0);
	struct tc_compositor c;
	tc_compositor_start(&c, TC_WITH_CONTROL, NULL);
	struct shell shell = { 0 };
	shell_start(&shell, &c, "org.weft.demo.counter", package, true, NULL, false);
	char *buf = malloc(MSG_MAX + 1);
	ASSERT(buf != NULL);
	EXPECT(peer_recv(&shell, buf, TIMEOUT_MS) > 0 && strcmp(buf, "get") == 0);
	EXPECT(!screen_has_colour(&c, 0xd32f2f, 0));
	EXPECT(peer_send_str(&shell, "{\"count\":-3}"));
	EXPECT(screen_has_colour(&c, 0xd32f2f, TIMEOUT_MS));
	free(buf);
	shell_finish(&shell);
	tc_compositor_stop(&c);
}

/* A page with what the other cases leave out: an image, a font from the
 * package besides fontconfig's, a text field and a page taller than the
 * window. */
#define RICH_ID "org.weft.test.rich"
static const char rich_manifest[] = "[package]\n"
				    "id = \"" RICH_ID "\"\n"
				    "name = \"Rich\"\n"
				    "version = \"1.0.0\"\n"
				    "[runtime]\n"
				    "module = \"app.wasm\"\n"
				    "[ui]\n"
				    "entry = \"ui/index.html\"\n";

static const char rich_page[] =
	"<!DOCTYPE html>\n"
	"<html><head><meta charset=\"utf-8\"><style>\n"
	"@font-face { font-family: Packaged; src: url(\"font.ttf\"); }\n"
	"html, body { margin: 0; font-family: Packaged, sans-serif; }\n"
	"#top { height: 720px; background: #ff0000; }\n"
	"#bottom { height: 2000px; background: #0000ff; }\n"
	"img { position: absolute; left: 600px; top: 100px; width: 100px; height: 100px; }\n"
	"input { position: absolute; left: 100px; top: 100px; width: 300px; height: 40px;"
	" font-size: 24px; }\n"
	"</style></head><body>\n"
	"<div id=\"top\"><img src=\"pic.bmp\"><input id=\"text\"></div>\n"
	"<div id=\"bottom\">Text in the packaged font.</div>\n"
	"<script>\n"
	"const text = document.getElementById('text');\n"
	"text.addEventListener('input', () => weftIpc.send('text ' + text.value));\n"
	"let said = false;\n"
	"window.addEventListener('scroll', () => {\n"
	"  if (!said && window.scrollY > 0) { said = true; weftIpc.send('scrolled'); }\n"
	"});\n"
	"window.addEventListener('load', () => weftIpc.send('ready'));\n"
	"</script></body></html>\n";

/* A width x height BMP of one colour (24 bits, rows bottom-up, padded to 4). */
static size_t make_bmp(uint8_t *buf, size_t size, int width, int height, uint32_t rgb)
{
	size_t row = ((size_t)width * 3 + 3) & ~(size_t)3;
	size_t len = 54 + row * (size_t)height;
	if (len > size) {
		abort();
	}
	memset(buf, 0, len);
	const uint32_t fields[][2] = {
		{ 2, (uint32_t)len },
		{ 10, 54 },
		{ 14, 40 },
		{ 18, (uint32_t)width },
		{ 22, (uint32_t)height },
		{ 34, (uint32_t)(row * (size_t)height) },
	};
	buf[0] = 'B';
	buf[1] = 'M';
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		for (int b = 0; b < 4; b++) {
			buf[fields[i][0] + b] = (uint8_t)(fields[i][1] >> (8 * b));
		}
	}
	buf[26] = 1; /* planes */
	buf[28] = 24; /* bits per pixel */
	for (int y = 0; y < height; y++) {
		for (int x = 0; x < width; x++) {
			uint8_t *px = buf + 54 + row * (size_t)y + (size_t)x * 3;
			px[0] = (uint8_t)rgb;
			px[1] = (uint8_t)(rgb >> 8);
			px[2] = (uint8_t)(rgb >> 16);
		}
	}
	return len;
}

/* Messages from the page until one is want, up to timeout_ms. */
static bool peer_waits_for(struct shell *shell, char *buf, const char *want, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int64_t left;
	while ((left = deadline - now_ms()) > 0 && peer_recv(shell, buf, (int)left) > 0) {
		if (strcmp(buf, want) == 0) {
			return true;
		}
	}
	fprintf(stderr, "# the page never said \"%s\"\n", want);
	return false;
}

/*
 * The shell's seccomp allowlist lets it do all of that: the image decoded
 * and shown, text typed into the field, a wheel scrolling the page, and no
 * call outside the list (its SIGSYS handler would have said so).
 */
static void rich_page_under_the_filter(void)
{
	char *package = test_mkdtemp();
	test_write_file(package, "wapp.toml", rich_manifest, strlen(rich_manifest));
	test_write_file(package, "app.wasm", "", 0);
	test_write_file(package, "ui/index.html", rich_page, strlen(rich_page));
	static uint8_t bmp[54 + 8 * 4 * 8];
	test_write_file(package, "ui/pic.bmp", bmp, make_bmp(bmp, sizeof(bmp), 8, 8, 0x00ff00));
	/* Any TrueType font will do; the page falls back to fontconfig's. */
	FILE *font = fopen("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "rb");
	if (font != NULL) {
		static char data[1 << 20];
		size_t n = fread(data, 1, sizeof(data), font);
		fclose(font);
		test_write_file(package, "ui/font.ttf", data, n);
	}

	struct tc_compositor c;
	tc_compositor_start(&c, TC_WITH_CONTROL, NULL);
	struct shell shell = { 0 };
	shell_start(&shell, &c, RICH_ID, package, true, NULL, false);
	char *buf = malloc(MSG_MAX + 1);
	ASSERT(buf != NULL);
	ASSERT(peer_waits_for(&shell, buf, "ready", TIMEOUT_MS));
	EXPECT(screen_shows(&c, 650, 150, 0x00ff00, TIMEOUT_MS));
	EXPECT(screen_shows(&c, 640, 600, 0xff0000, 5000));

	struct tc_client *input = tc_client_connect(&c);
	tc_click(input, 250, 120);
	tc_key(input, NULL, KEY_A);
	tc_key(input, NULL, KEY_B);
	EXPECT(peer_waits_for(&shell, buf, "text ab", 10000));

	/* Until the page's blue bottom half comes up. */
	int64_t deadline = now_ms() + 20000;
	bool scrolled = false;
	while (!scrolled && now_ms() < deadline) {
		tc_scroll(input, 640, 400, 200);
		scrolled = screen_shows(&c, 640, 300, 0x0000ff, 500);
	}
	EXPECT(scrolled);
	EXPECT(peer_waits_for(&shell, buf, "scrolled", 10000));
	tc_client_destroy(input);

	EXPECT(!log_contains(&shell, "is not in the app-shell's allowlist"));
	free(buf);
	shell_finish(&shell);
	tc_compositor_stop(&c);
	test_rmtree(package);
	free(package);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(page_colours_on_screen),
		TEST_CASE(click_reaches_the_page),
		TEST_CASE(egl_into_the_window),
		TEST_CASE(ipc_echo_burst_large_utf8),
		TEST_CASE(console_cannot_forge_the_bridge),
		TEST_CASE(send_makes_no_promise),
		TEST_CASE(refused_loads),
		TEST_CASE(adopted_shell_refuses_loads),
		TEST_CASE(adopted_shell_draws_with_the_spares_renderer),
		TEST_CASE(without_ipc_fd_not_connected),
		TEST_CASE(demo_counter_renders),
		TEST_CASE(rich_page_under_the_filter),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
