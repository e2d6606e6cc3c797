#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <wayland-client.h>

#include "loop.h"

int app_signal_fd_create(struct weft_error *err)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		weft_error_errno(err, "sigprocmask");
		return -1;
	}
	int fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0) {
		weft_error_errno(err, "signalfd");
	}
	return fd;
}

bool app_wayland_before_poll(struct wl_display *display, struct pollfd *pfd,
	struct weft_error *err)
{
	while (wl_display_prepare_read(display) != 0) {
		if (wl_display_dispatch_pending(display) < 0) {
			weft_error_errno(err, "Wayland connection lost");
			return false;
		}
	}
	*pfd = (struct pollfd){ wl_display_get_fd(display), POLLIN, 0 };
	if (wl_display_flush(display) < 0) {
		if (errno != EAGAIN) {
			weft_error_errno(err, "Wayland connection lost");
			wl_display_cancel_read(display);
			return false;
		}
		pfd->events |= POLLOUT;
	}
	return true;
}

bool app_wayland_after_poll(struct wl_display *display, short revents, struct weft_error *err)
{
	if (revents & POLLIN) {
		if (wl_display_read_events(display) < 0) {
			weft_error_errno(err, "Wayland connection lost");
			return false;
		}
	} else {
		wl_display_cancel_read(display);
	}
	if (revents & (POLLERR | POLLHUP)) {
		weft_error_set(err, "Wayland connection lost");
		return false;
	}
	if (wl_display_dispatch_pending(display) < 0) {
		weft_error_errno(err, "Wayland connection lost");
		return false;
	}
	return true;
}
