/*
 * The pieces of a poll() loop around a Wayland connection that
 * weft-app-shell and weft-shell share: SIGTERM and SIGINT as a signalfd, and
 * the Wayland fd's read before and after poll.
 */
#ifndef APP_SHELL_LOOP_H
#define APP_SHELL_LOOP_H

#include <poll.h>
#include <stdbool.h>

#include "weft/common.h"

struct wl_display;

/* Blocks SIGTERM and SIGINT and returns a signalfd for them, or -1 (err). */
int app_signal_fd_create(struct weft_error *err);

/* Before poll: dispatches what is queued, prepares the read and flushes.
 * Fills pfd for the display. False when the connection is lost (err). */
bool app_wayland_before_poll(struct wl_display *display, struct pollfd *pfd,
	struct weft_error *err);
/* After poll (revents: the display's, 0 if poll failed): reads or cancels
 * the read, then dispatches. False when the connection is lost (err). */
bool app_wayland_after_poll(struct wl_display *display, short revents, struct weft_error *err);

#endif
