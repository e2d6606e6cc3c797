/*
 * appd's spare app-shell (appd/spare.c) against its event loop: the spare
 * dies while a child that appd forked for a launch still holds the spare's
 * pidfd and socket, as happens when appd restores open apps. Nothing of
 * the spare may stay in the loop (ASan reported the event that came for
 * its freed source afterwards).
 */
#include <json-c/json.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "appd.h"
#include "loopcheck.h"
#include "spare.h"
#include "test.h"
#include "weft/common.h"

/* An app-shell that exits at once, before it could say READY. */
#define DYING_APP_SHELL "/bin/false"

static bool spare_is(struct appd_spare *spare, const char *state)
{
	struct json_object *obj = appd_spare_to_json(spare);
	struct json_object *value;
	bool is = obj != NULL && json_object_object_get_ex(obj, "state", &value) &&
		strcmp(json_object_get_string(value), state) == 0;
	json_object_put(obj);
	return is;
}

static void spare_exit_while_a_child_holds_its_fds(void)
{
	ASSERT(access(DYING_APP_SHELL, X_OK) == 0);
	struct weft_error err = { 0 };
	struct appd appd = { .config = { .app_shell_path = DYING_APP_SHELL } };
	appd.loop = appd_loop_create(&err);
	ASSERT(appd.loop != NULL);
	struct appd_spare *spare = appd_spare_create(&appd, NULL, &err);
	ASSERT(spare != NULL);
	EXPECT(spare_is(spare, "warming"));
	/* The spare's timer, its pidfd and its socket; the output relay's
	 * timer and the spare's output pipe. */
	EXPECT(loopcheck_registrations() == 5);
	/* A launch's child, forked now: it holds them until its exec. */
	struct loopcheck_holder holder = { 0 };
	ASSERT(loopcheck_hold(&holder));

	for (int i = 0; i < 600 && !spare_is(spare, "off"); i++) {
		EXPECT(appd_loop_dispatch(appd.loop, 100, &err));
	}
	EXPECT(spare_is(spare, "off"));
	/* Whatever is still registered for the dead spare comes now. */
	for (int i = 0; i < 3; i++) {
		EXPECT(appd_loop_dispatch(appd.loop, 0, &err));
	}
	/* Only the timers are left: the spare's and its output relay's (the
	 * output pipe went at its end of file). */
	EXPECT(loopcheck_registrations() == 2);

	loopcheck_release(&holder);
	appd_spare_destroy(spare);
	EXPECT(loopcheck_registrations() == 0);
	appd_loop_destroy(appd.loop);
}

static const struct test_case cases[] = {
	TEST_CASE(spare_exit_while_a_child_holds_its_fds),
};

int main(int argc, char **argv)
{
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
