/*
 * The IPC doorbell: weft:app's ipc.recv never blocks, so a guest would have
 * to poll it. Instead the guest's stdin becomes readable when a message is
 * waiting, and the guest may block reading stdin until then. A guest that
 * ignores stdin loses nothing; one that relies on it still works elsewhere,
 * because stdin then ends at once and it falls back to polling.
 *
 * The kernel rings it, with no thread of ours in between: the IPC socket is
 * O_ASYNC, so every message that arrives raises SIGIO for this process; the
 * signal is blocked in every thread, and the guest's stdin is a signalfd
 * for it (what the guest reads are signalfd_siginfo records, whatever they
 * say). A signal still pending from a message the guest already took
 * wakes it once for nothing; none is ever missed.
 */
#ifndef WEFT_RUNTIME_DOORBELL_H
#define WEFT_RUNTIME_DOORBELL_H

#include "weft/common.h"

struct doorbell {
	int ipc_fd; /* rung by, not owned */
	int guest_fd; /* the signalfd: the guest's stdin */
	int poke[2]; /* an O_ASYNC pair of our own, to ring it ourselves */
	int stdin_fd; /* where the guest's stdin is, once given (fd 0) */
};

/* Blocks SIGIO in the calling thread: first thing in main, before any
 * other thread starts, so that every thread inherits the mask. */
bool doorbell_block_signal(struct weft_error *err);
bool doorbell_init(struct doorbell *bell, int ipc_fd, struct weft_error *err);
/* Ends stdin, waking a guest blocked on it (at the end of the session). */
void doorbell_close(struct doorbell *bell);

#endif
