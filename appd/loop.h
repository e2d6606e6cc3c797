/*
 * appd's event loop: one epoll set, fd sources and timers, no threads.
 *
 * A source removed while the loop is dispatching is only marked, and freed
 * after the batch, so a callback may remove any source, its own included.
 */
#ifndef APPD_LOOP_H
#define APPD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "weft/common.h"

struct appd_loop;
struct appd_source;

/* events are EPOLLIN, EPOLLHUP, ... as epoll reported them. */
typedef void (*appd_fd_func)(int fd, uint32_t events, void *data);
typedef void (*appd_timer_func)(void *data);

struct appd_loop *appd_loop_create(struct weft_error *err);
/* Frees every source that is left. */
void appd_loop_destroy(struct appd_loop *loop);

/* Watches fd (which stays the caller's) for events (EPOLLIN and so on). */
struct appd_source *appd_loop_add_fd(struct appd_loop *loop, int fd, uint32_t events,
	appd_fd_func func, void *data, struct weft_error *err);
/* A disarmed one-shot timer. */
struct appd_source *appd_loop_add_timer(struct appd_loop *loop, appd_timer_func func, void *data,
	struct weft_error *err);
/* Fires once after ms milliseconds; 0 disarms. */
bool appd_timer_arm(struct appd_source *timer, int ms);
/* Accepts NULL. */
void appd_source_remove(struct appd_source *source);

/* Waits up to timeout_ms (-1: no limit) and runs what is ready. */
bool appd_loop_dispatch(struct appd_loop *loop, int timeout_ms, struct weft_error *err);

#endif
