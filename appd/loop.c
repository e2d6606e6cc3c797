#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loop.h"

#define MAX_EVENTS 32

struct appd_source {
	struct appd_loop *loop;
	int fd;
	bool owns_fd; /* timers */
	appd_fd_func fd_func;
	appd_timer_func timer_func;
	void *data;
	bool removed;
	struct appd_source *next_removed;
};

struct appd_loop {
	int epoll_fd;
	bool dispatching;
	struct appd_source *removed; /* freed after the current batch */
	size_t nsources;
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
	return loop;
}

static void source_free(struct appd_source *source)
{
	if (source->owns_fd) {
		close(source->fd);
	}
	free(source);
}

static void free_removed(struct appd_loop *loop)
{
	while (loop->removed != NULL) {
		struct appd_source *source = loop->removed;
		loop->removed = source->next_removed;
		source_free(source);
	}
}

void appd_loop_destroy(struct appd_loop *loop)
{
	if (loop == NULL) {
		return;
	}
	free_removed(loop);
	/* Sources still registered belong to objects that outlive the loop
	 * only in error paths; their owners free them with the loop gone. */
	close(loop->epoll_fd);
	free(loop);
}

static struct appd_source *add_source(struct appd_loop *loop, int fd, uint32_t events, void *data,
	struct weft_error *err)
{
	struct appd_source *source = calloc(1, sizeof(*source));
	if (source == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	source->loop = loop;
	source->fd = fd;
	source->data = data;
	struct epoll_event ev = { .events = events, .data.ptr = source };
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		weft_error_errno(err, "epoll_ctl add fd %d", fd);
		free(source);
		return NULL;
	}
	loop->nsources++;
	return source;
}

struct appd_source *appd_loop_add_fd(struct appd_loop *loop, int fd, uint32_t events,
	appd_fd_func func, void *data, struct weft_error *err)
{
	struct appd_source *source = add_source(loop, fd, events, data, err);
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
	struct appd_source *source = add_source(loop, fd, EPOLLIN, data, err);
	if (source == NULL) {
		close(fd);
		return NULL;
	}
	source->owns_fd = true;
	source->timer_func = func;
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
	/* The fd may already be closed by its owner, which removes it from
	 * the epoll set by itself; an error here says nothing useful. */
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, source->fd, NULL);
	loop->nsources--;
	source->removed = true;
	if (loop->dispatching) {
		source->next_removed = loop->removed;
		loop->removed = source;
	} else {
		source_free(source);
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
			source->fd_func(source->fd, events[i].events, source->data);
		}
	}
	loop->dispatching = false;
	free_removed(loop);
	return true;
}
