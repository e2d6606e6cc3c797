/*
 * appd's event loop: one epoll set, fd sources and timers, no threads.
 *
 * A source removed while the loop is dispatching is only marked, and freed
 * after the batch, so a callback may remove any source, its own included:
 * no event reaches a removed source, not even one of the same batch.
 *
 * The loop watches its own duplicate of each fd. epoll watches open files,
 * not fd numbers, so a registration outlives the fd it was made with
 * while another process holds the file (a child between fork and exec
 * does), and only that fd can delete it; with its own the loop always
 * can. Owners still remove a source before they close its fd.
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
/* Their owners remove every source first. */
void appd_loop_destroy(struct appd_loop *loop);

/* Watches fd (which stays the caller's, and is what func gets) for events
 * (EPOLLIN and so on), through a duplicate the source owns. */
struct appd_source *appd_loop_add_fd(struct appd_loop *loop, int fd, uint32_t events,
	appd_fd_func func, void *data, struct weft_error *err);
/* A disarmed one-shot timer. */
struct appd_source *appd_loop_add_timer(struct appd_loop *loop, appd_timer_func func, void *data,
	struct weft_error *err);
/* Fires once after ms milliseconds; 0 disarms. A timer that cannot be
 * armed never fires, and its owner must do something else then. */
__attribute__((warn_unused_result)) bool appd_timer_arm(struct appd_source *timer, int ms);
/* Stops watching and frees the source; the owner's fd stays open. Accepts
 * NULL. */
void appd_source_remove(struct appd_source *source);

/* Waits up to timeout_ms (-1: no limit) and runs what is ready. */
bool appd_loop_dispatch(struct appd_loop *loop, int timeout_ms, struct weft_error *err);

#endif
