/*
 * Preloaded into appd (LD_PRELOAD): timerfd_settime refuses a relative
 * one-shot of exactly WEFT_TEST_FAIL_TIMER_MS milliseconds, so that a test
 * can see what appd does with a timer it cannot arm, which the kernel never
 * refuses on its own.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/timerfd.h>

int timerfd_settime(int fd, int flags, const struct itimerspec *new_value,
	struct itimerspec *old_value)
{
	static int (*real)(int, int, const struct itimerspec *, struct itimerspec *);
	if (real == NULL) {
		real = (int (*)(int, int, const struct itimerspec *,
			struct itimerspec *))dlsym(RTLD_NEXT, "timerfd_settime");
		if (real == NULL) {
			errno = ENOSYS;
			return -1;
		}
	}
	const char *env = getenv("WEFT_TEST_FAIL_TIMER_MS");
	long ms = env != NULL ? atol(env) : 0;
	if (ms > 0 && flags == 0 && new_value != NULL && new_value->it_interval.tv_sec == 0 &&
		new_value->it_interval.tv_nsec == 0 && new_value->it_value.tv_sec == ms / 1000 &&
		new_value->it_value.tv_nsec == (ms % 1000) * 1000000) {
		errno = EINVAL;
		return -1;
	}
	return real(fd, flags, new_value, old_value);
}
