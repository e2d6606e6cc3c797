/*
 * The adoption message of a prewarmed app-shell: a well-formed one gives
 * the app, session, package, process group and fds; anything else is
 * refused with every fd it carried closed, so that a prewarmed shell never
 * shows an app it was not properly given.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adopt.h"
#include "test.h"
#include "weft/ipc.h"

struct pair {
	int appd, shell;
};

static struct pair pair_create(void)
{
	int sv[2];
	struct weft_error err = { 0 };
	if (!weft_ipc_socketpair(sv, &err)) {
		abort();
	}
	return (struct pair){ sv[0], sv[1] };
}

static void pair_finish(struct pair *p)
{
	close(p->appd);
	if (p->shell >= 0) {
		close(p->shell);
	}
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Sends msg with the IPC socket (a new SOCK_SEQPACKET pair's end) and, when
 * with_wayland, a second fd; receives it as the shell. */
static bool adopt(const char *msg, bool with_wayland, int nfds_extra, struct app_adoption *a,
	bool *hangup, struct weft_error *err)
{
	struct pair p = pair_create();
	struct pair ipc = pair_create();
	int fds[4] = { ipc.shell, -1, -1, -1 };
	size_t nfds = 1;
	if (with_wayland) {
		fds[nfds++] = dup(ipc.appd);
	}
	for (int i = 0; i < nfds_extra; i++) {
		fds[nfds++] = dup(ipc.appd);
	}
	struct weft_error send_err = { 0 };
	if (!weft_ipc_send(p.appd, msg, strlen(msg), fds, nfds, &send_err)) {
		abort();
	}
	for (size_t i = 1; i < nfds; i++) {
		close(fds[i]);
	}
	pair_finish(&ipc);
	bool ok = app_adoption_recv(p.shell, a, hangup, err);
	pair_finish(&p);
	return ok;
}

#define GOOD_MSG(pgid) \
	"{\"app_id\":\"org.weft.demo.counter\",\"session\":\"7\"," \
	"\"package_dir\":\"/apps/org.weft.demo.counter\",\"pgid\":" pgid "}"

static void well_formed(void)
{
	struct app_adoption a;
	bool hangup;
	struct weft_error err = { 0 };
	ASSERT(adopt(GOOD_MSG("4242"), true, 0, &a, &hangup, &err));
	EXPECT_STR_EQ(a.app_id, "org.weft.demo.counter");
	EXPECT_STR_EQ(a.session, "7");
	EXPECT_STR_EQ(a.package_dir, "/apps/org.weft.demo.counter");
	EXPECT(a.pgid == 4242);
	EXPECT(a.ipc_fd >= 0 && fd_open(a.ipc_fd));
	EXPECT(a.wayland_fd >= 0 && fd_open(a.wayland_fd));
	int ipc = a.ipc_fd, wayland = a.wayland_fd;
	app_adoption_finish(&a);
	EXPECT(!fd_open(ipc) && !fd_open(wayland));
	EXPECT(a.app_id == NULL && a.ipc_fd == -1 && a.wayland_fd == -1);

	/* Without a compositor there is no Wayland fd. */
	ASSERT(adopt(GOOD_MSG("4242"), false, 0, &a, &hangup, &err));
	EXPECT(a.ipc_fd >= 0 && a.wayland_fd == -1);
	app_adoption_finish(&a);

	/* A sandboxed shell is given no group to join. */
	ASSERT(adopt("{\"app_id\":\"org.weft.demo.counter\",\"session\":\"7\","
		     "\"package_dir\":\"/p\"}",
		true, 0, &a, &hangup, &err));
	EXPECT(a.pgid == 0);
	app_adoption_finish(&a);
}

static void refused(void)
{
	static const char *const bad[] = {
		"not json",
		"[1]",
		"{\"session\":\"7\",\"package_dir\":\"/p\",\"pgid\":4242}",
		"{\"app_id\":\"org.weft.demo.counter\",\"package_dir\":\"/p\",\"pgid\":4242}",
		"{\"app_id\":\"org.weft.demo.counter\",\"session\":\"7\",\"pgid\":4242}",
		"{\"app_id\":\"org.weft.demo.counter\",\"session\":\"7\",\"package_dir\":\"/p\","
		"\"pgid\":\"4242\"}",
		/* Not an app id: no other origin may be served. */
		"{\"app_id\":\"../etc\",\"session\":\"7\",\"package_dir\":\"/p\",\"pgid\":4242}",
		"{\"app_id\":\"Org.Weft.X\",\"session\":\"7\",\"package_dir\":\"/"
		"p\",\"pgid\":4242}",
		/* init's group, none, or nonsense. */
		GOOD_MSG("1"),
		GOOD_MSG("0"),
		GOOD_MSG("-5"),
		GOOD_MSG("4294967296"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct app_adoption a;
		bool hangup = true;
		struct weft_error err = { 0 };
		int before = dup(0);
		close(before);
		bool ok = adopt(bad[i], true, 0, &a, &hangup, &err);
		EXPECT(!ok && !hangup && err.msg[0] != '\0');
		if (ok) {
			fprintf(stderr, "# accepted: %s\n", bad[i]);
			app_adoption_finish(&a);
		}
		/* Nothing it carried is left open. */
		int after = dup(0);
		EXPECT(after == before);
		close(after);
	}
}

static void our_own_group_refused(void)
{
	char msg[256];
	snprintf(msg, sizeof(msg),
		"{\"app_id\":\"org.weft.demo.counter\",\"session\":\"7\","
		"\"package_dir\":\"/p\",\"pgid\":%d}",
		(int)getpgrp());
	struct app_adoption a;
	bool hangup;
	struct weft_error err = { 0 };
	EXPECT(!adopt(msg, true, 0, &a, &hangup, &err));
}

static void wrong_fds_refused(void)
{
	struct app_adoption a;
	bool hangup;
	struct weft_error err = { 0 };
	/* Three fds: one more than there is a use for. */
	EXPECT(!adopt(GOOD_MSG("4242"), true, 1, &a, &hangup, &err));
	/* None at all. */
	struct pair p = pair_create();
	const char *msg = GOOD_MSG("4242");
	ASSERT(weft_ipc_send(p.appd, msg, strlen(msg), NULL, 0, &err));
	EXPECT(!app_adoption_recv(p.shell, &a, &hangup, &err));
	pair_finish(&p);
	/* An IPC fd that is not a SOCK_SEQPACKET socket. */
	p = pair_create();
	int pipe_fds[2];
	ASSERT(pipe2(pipe_fds, O_CLOEXEC) == 0);
	ASSERT(weft_ipc_send(p.appd, msg, strlen(msg), pipe_fds, 1, &err));
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	EXPECT(!app_adoption_recv(p.shell, &a, &hangup, &err));
	EXPECT(strstr(err.msg, "SOCK_SEQPACKET") != NULL);
	pair_finish(&p);
}

static void hangup_is_told_apart(void)
{
	struct pair p = pair_create();
	close(p.appd);
	p.appd = -1;
	struct app_adoption a;
	bool hangup = false;
	struct weft_error err = { 0 };
	EXPECT(!app_adoption_recv(p.shell, &a, &hangup, &err));
	EXPECT(hangup);
	close(p.shell);
}

int main(int argc, char **argv)
{
	static const struct test_case cases[] = {
		TEST_CASE(well_formed),
		TEST_CASE(refused),
		TEST_CASE(our_own_group_refused),
		TEST_CASE(wrong_fds_refused),
		TEST_CASE(hangup_is_told_apart),
	};
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
