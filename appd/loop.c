#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <wayland-util.h>

#include "loop.h"
#include "weft/log.h"

#define MAX_EVENTS 32

struct appd_source {
	struct appd_loop *loop;
	/* What epoll watches, always the loop's own: a duplicate of the
	 * owner's fd, or the timerfd. -1 once removed. */
	int fd;
	int owner_fd; /* what callbacks get */
	appd_fd_func fd_func;
	appd_timer_func timer_func;
	void *data;
	bool removed;
	struct wl_list removed_link; /* appd_loop.removed, once removed in a batch */
};

struct appd_loop {
	int epoll_fd;
	bool dispatching;
	struct wl_list removed; /* appd_source.removed_link, freed after the batch */
};

struct appd_loop *appd_loop_create(struct weft_error *err)
{
	struct appd_loop *loop = calloc(1, sizeof(*loop));
	if (loop == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0) {
		weft_error_errno(err, "epoll_create1");
		free(loop);
		return NULL;
	}
	wl_list_init(&loop->removed);
	return loop;
}

static void free_removed(struct appd_loop *loop)
{
	struct appd_source *source, *tmp;
	wl_list_for_each_safe (source, tmp, &loop->removed, removed_link) {
		wl_list_remove(&source->removed_link);
		free(source);
	}
}

void appd_loop_destroy(struct appd_loop *loop)
{
	if (loop == NULL) {
		return;
	}
	free_removed(loop);
	close(loop->epoll_fd);
	free(loop);
}

/* Takes own, the fd epoll is to watch: closed on failure. */
static struct appd_source *add_source(struct appd_loop *loop, int own, int owner_fd,
	uint32_t events, void *data, struct weft_error *err)
{
	struct appd_source *source = calloc(1, sizeof(*source));
	if (source == NULL) {
		weft_error_set(err, "out of memory");
		close(own);
		return NULL;
	}
	source->loop = loop;
	source->fd = own;
	source->owner_fd = owner_fd;
	source->data = data;
	struct epoll_event ev = { .events = events, .data.ptr = source };
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, own, &ev) < 0) {
		weft_error_errno(err, "epoll_ctl add fd %d", owner_fd);
		close(own);
		free(source);
		return NULL;
	}
	return source;
}

struct appd_source *appd_loop_add_fd(struct appd_loop *loop, int fd, uint32_t events,
	appd_fd_func func, void *data, struct weft_error *err)
{
	/* epoll watches open files, not fd numbers: a registration lives on
	 * while any process holds the file, a child between fork and exec
	 * included, and only the fd it was added with can delete it. With
	 * an fd of its own the loop can always do that, whenever and
	 * whatever the owner closes. */
	int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (own < 0) {
		weft_error_errno(err, "watch fd %d", fd);
		return NULL;
	}
	struct appd_source *source = add_source(loop, own, fd, events, data, err);
	if (source != NULL) {
		source->fd_func = func;
	}
	return source;
}

struct appd_source *appd_loop_add_timer(struct appd_loop *loop, appd_timer_func func, void *data,
	struct weft_error *err)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0) {
		weft_error_errno(err, "timerfd_create");
		return NULL;
	}
	struct appd_source *source = add_source(loop, fd, fd, EPOLLIN, data, err);
	if (source != NULL) {
		source->timer_func = func;
	}
	return source;
}

bool appd_timer_arm(struct appd_source *timer, int ms)
{
	struct itimerspec its = { 0 };
	if (ms > 0) {
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	}
	return timerfd_settime(timer->fd, 0, &its, NULL) == 0;
}

void appd_source_remove(struct appd_source *source)
{
	if (source == NULL || source->removed) {
		return;
	}
	struct appd_loop *loop = source->loop;
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, source->fd, NULL) != 0) {
		/* Cannot happen with an fd of our own. */
		weft_log_errno(WEFT_ERROR, "event loop: remove fd %d", source->owner_fd);
	}
	close(source->fd);
	source->fd = -1;
	source->removed = true;
	/* Events of this batch may still point at it. */
	if (loop->dispatching) {
		wl_list_insert(&loop->removed, &source->removed_link);
	} else {
		free(source);
	}
}

bool appd_loop_dispatch(struct appd_loop *loop, int timeout_ms, struct weft_error *err)
{
	struct epoll_event events[MAX_EVENTS];
	int n = epoll_wait(loop->epoll_fd, events, MAX_EVENTS, timeout_ms);
	if (n < 0) {
		if (errno == EINTR) {
			return true;
		}
		weft_error_errno(err, "epoll_wait");
		return false;
	}
	loop->dispatching = true;
	for (int i = 0; i < n; i++) {
		struct appd_source *source = events[i].data.ptr;
		if (source->removed) {
			continue;
		}
		if (source->timer_func != NULL) {
			uint64_t expirations;
			if (read(source->fd, &expirations, sizeof(expirations)) ==
				sizeof(expirations)) {
				source->timer_func(source->data);
			}
		} else {
			source->fd_func(source->owner_fd, events[i].events, source->data);
		}
	}
	loop->dispatching = false;
	free_removed(loop);
	return true;
}
