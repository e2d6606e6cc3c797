/*
 * The message that gives a prewarmed app-shell (--prewarm) its session:
 * everything a normally started shell gets on its command line, and its
 * fds. weft-appd sends it once, on the SOCK_SEQPACKET socket it started
 * the shell with:
 *
 *   {"app_id": ID, "session": S, "package_dir": DIR, "pgid": N}
 *   fds: the IPC socket to the runtime, then the tagged Wayland connection
 *        (absent when appd runs without a compositor)
 *
 * pgid is the session's process group, which the shell joins itself: a
 * process that has exec'd can no longer be moved by its parent. A shell in
 * its sandbox is pid 1 of its own pid namespace and cannot name that group:
 * appd leaves pgid out, and signals it by its pidfd instead.
 */
#ifndef APP_SHELL_ADOPT_H
#define APP_SHELL_ADOPT_H

#include <sys/types.h>

#include "weft/common.h"

struct json_object;

/* What a prewarmed shell says when it is ready to be adopted. */
#define APP_ADOPT_READY "READY"

struct app_adoption {
	char *app_id;
	char *session;
	char *package_dir;
	pid_t pgid; /* 0: none given, stay in our own group */
	int ipc_fd;
	int wayland_fd; /* -1: none */
};

/*
 * Receives and checks the message. On hangup returns false with *hangup
 * set; on a bad message returns false with err (and closes what it carried).
 */
bool app_adoption_recv(int fd, struct app_adoption *adoption, bool *hangup,
	struct weft_error *err);
/*
 * The message's fields into adoption, whose fds are left alone; false with
 * err when it is no valid adoption. Pure, so that tests/fuzz can call it;
 * app_adoption_finish() frees what it filled either way.
 */
bool app_adoption_decode(struct json_object *msg, struct app_adoption *adoption,
	struct weft_error *err);
/* Frees the strings and closes the fds still held (set to -1 once taken). */
void app_adoption_finish(struct app_adoption *adoption);

#endif
