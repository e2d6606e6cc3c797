/*
 * The IPC doorbell: weft:app's ipc.recv never blocks, so a guest would have
 * to poll it. Instead the runtime writes a byte to the guest's stdin when a
 * message is waiting, and the guest may block reading stdin until then.
 * A guest that ignores stdin loses nothing; one that relies on it still
 * works elsewhere, because stdin then ends at once and it falls back to
 * polling.
 */
#ifndef WEFT_RUNTIME_DOORBELL_H
#define WEFT_RUNTIME_DOORBELL_H

#include <pthread.h>
#include <stdatomic.h>

#include "weft/common.h"

struct doorbell {
	int ipc_fd; /* watched, not owned */
	int guest_fd; /* the read end: the guest's stdin */
	int ring_fd; /* the write end */
	int rearm_fd; /* eventfd: the guest found its queue empty */
	atomic_int closing;
	atomic_bool rung; /* a byte was written and the guest has not drained yet */
	pthread_t thread;
};

bool doorbell_init(struct doorbell *bell, int ipc_fd, struct weft_error *err);
bool doorbell_start(struct doorbell *bell, struct weft_error *err);
/* Called whenever ipc.recv finds nothing: after a ring, the guest has taken
 * everything, so the next message rings again. */
void doorbell_rearm(struct doorbell *bell);
/* Ends stdin, waking a guest blocked on it (at the end of the session). */
void doorbell_close(struct doorbell *bell);

#endif
