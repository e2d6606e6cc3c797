/*
 * appd's event loop (appd/loop.c): no event ever reaches a source that was
 * removed, whatever happened to its fd, and whichever process still holds
 * that fd's file. ASan reports any event delivered to freed memory; the
 * counters say it in a build without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "loopcheck.h"
#include "test.h"

struct counter {
	int calls;
	struct appd_source *other; /* removed by the first callback */
};

static void count(int fd, uint32_t events, void *data)
{
	struct counter *counter = data;
	counter->calls++;
	/* Level-triggered: drain, so that the next dispatch is quiet. */
	char buf[16];
	while (read(fd, buf, sizeof(buf)) > 0) {
	}
}

static void count_and_remove_other(int fd, uint32_t events, void *data)
{
	struct counter *counter = data;
	counter->calls++;
	appd_source_remove(counter->other);
	counter->other = NULL;
}

static bool readable_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0 && write(fds[1], "x", 1) == 1;
}

/* Runs what is ready now; every fd of these tests is ready before. */
static bool dispatch_ready(struct appd_loop *loop)
{
	struct weft_error err = { 0 };
	bool ok = true;
	for (int i = 0; i < 3 && ok; i++) {
		ok = appd_loop_dispatch(loop, 0, &err);
	}
	return ok;
}

/*
 * The order spare.c's handle_exit() had: the owner closes the fd, then
 * removes the source, while a child (one just forked for a launch) holds
 * the same file. The registration must go with the source all the same.
 */
static void source_removed_after_its_fd_closed_gets_no_event(void)
{
	struct weft_error err = { 0 };
	struct appd_loop *loop = appd_loop_create(&err);
	ASSERT(loop != NULL);
	int fds[2];
	ASSERT(readable_pipe(fds));
	struct counter counter = { 0 };
	struct appd_source *source = appd_loop_add_fd(loop, fds[0], EPOLLIN, count, &counter,
		&err);
	ASSERT(source != NULL);
	struct loopcheck_holder holder = { 0 };
	ASSERT(loopcheck_hold(&holder));

	close(fds[0]);
	appd_source_remove(source);
	EXPECT(dispatch_ready(loop));
	EXPECT(counter.calls == 0);
	EXPECT(loopcheck_registrations() == 0);

	loopcheck_release(&holder);
	close(fds[1]);
	appd_loop_destroy(loop);
}

/*
 * The same, with the fd number taken again at once by a new source, as the
 * next launch's socket would: removing the old source must not take the
 * new one's registration, and the new one must get its events.
 */
static void closed_fd_number_reused_by_a_new_source(void)
{
	struct weft_error err = { 0 };
	struct appd_loop *loop = appd_loop_create(&err);
	ASSERT(loop != NULL);
	int old_fds[2], new_fds[2];
	ASSERT(readable_pipe(old_fds));
	struct counter old_counter = { 0 }, new_counter = { 0 };
	struct appd_source *old = appd_loop_add_fd(loop, old_fds[0], EPOLLIN, count, &old_counter,
		&err);
	ASSERT(old != NULL);
	struct loopcheck_holder holder = { 0 };
	ASSERT(loopcheck_hold(&holder));

	int number = old_fds[0];
	close(old_fds[0]);
	ASSERT(readable_pipe(new_fds));
	EXPECT(new_fds[0] == number);
	struct appd_source *new = appd_loop_add_fd(loop, new_fds[0], EPOLLIN, count, &new_counter,
		&err);
	ASSERT(new != NULL);
	appd_source_remove(old);
	EXPECT(dispatch_ready(loop));
	EXPECT(old_counter.calls == 0);
	EXPECT(new_counter.calls == 1);
	EXPECT(loopcheck_registrations() == 1);

	appd_source_remove(new);
	EXPECT(loopcheck_registrations() == 0);
	loopcheck_release(&holder);
	close(new_fds[0]);
	close(new_fds[1]);
	close(old_fds[1]);
	appd_loop_destroy(loop);
}

/* Two sources ready in one batch: the first to run removes the other,
 * which must then not run, although epoll reported it in the batch. */
static void source_removed_in_the_same_batch_is_not_dispatched(void)
{
	struct weft_error err = { 0 };
	struct appd_loop *loop = appd_loop_create(&err);
	ASSERT(loop != NULL);
	int a[2], b[2];
	ASSERT(readable_pipe(a));
	ASSERT(readable_pipe(b));
	struct counter ca = { 0 }, cb = { 0 };
	struct appd_source *sa = appd_loop_add_fd(loop, a[0], EPOLLIN, count_and_remove_other, &ca,
		&err);
	struct appd_source *sb = appd_loop_add_fd(loop, b[0], EPOLLIN, count_and_remove_other, &cb,
		&err);
	ASSERT(sa != NULL && sb != NULL);
	ca.other = sb;
	cb.other = sa;
	/* One batch: both are ready before it starts. */
	EXPECT(appd_loop_dispatch(loop, 0, &err));
	EXPECT(ca.calls + cb.calls == 1);
	EXPECT(loopcheck_registrations() == 1);
	/* The survivor still runs; the removed one never again. */
	struct counter *survivor = ca.calls == 1 ? &ca : &cb;
	struct appd_source *left = ca.calls == 1 ? sa : sb;
	survivor->other = NULL;
	EXPECT(dispatch_ready(loop));
	EXPECT(ca.calls + cb.calls == 4);
	EXPECT(survivor->calls == 4);
	appd_source_remove(left);
	EXPECT(loopcheck_registrations() == 0);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	appd_loop_destroy(loop);
}

/* A source's fd stays the owner's: removing the source leaves it open. */
static void removing_a_source_leaves_its_fd_open(void)
{
	struct weft_error err = { 0 };
	struct appd_loop *loop = appd_loop_create(&err);
	ASSERT(loop != NULL);
	int fds[2];
	ASSERT(readable_pipe(fds));
	struct counter counter = { 0 };
	struct appd_source *source = appd_loop_add_fd(loop, fds[0], EPOLLIN, count, &counter,
		&err);
	ASSERT(source != NULL);
	EXPECT(dispatch_ready(loop));
	EXPECT(counter.calls == 1);
	appd_source_remove(source);
	EXPECT(fcntl(fds[0], F_GETFD) >= 0);
	EXPECT(write(fds[1], "y", 1) == 1);
	char c;
	EXPECT(read(fds[0], &c, 1) == 1 && c == 'y');
	close(fds[0]);
	close(fds[1]);
	appd_loop_destroy(loop);
}

static const struct test_case cases[] = {
	TEST_CASE(source_removed_after_its_fd_closed_gets_no_event),
	TEST_CASE(closed_fd_number_reused_by_a_new_source),
	TEST_CASE(source_removed_in_the_same_batch_is_not_dispatched),
	TEST_CASE(removing_a_source_leaves_its_fd_open),
};

int main(int argc, char **argv)
{
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
