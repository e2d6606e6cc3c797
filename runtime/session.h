/*
 * How a run ends: SIGTERM/SIGINT from appd or the terminal, or, in
 * developer mode, stdin running dry. Ending interrupts the guest through
 * Wasmtime's epoch, which works even for a guest that never yields.
 */
#ifndef WEFT_RUNTIME_SESSION_H
#define WEFT_RUNTIME_SESSION_H

#include <pthread.h>
#include <stdatomic.h>

#include "runtime.h"

struct session {
	wasm_engine_t *engine;
	struct runtime_host *host;
	atomic_bool ending;
	int exit_code; /* when ended on purpose */
	int dev_fd; /* developer mode: our end of the IPC pair, else -1 */
	int dev_in; /* developer mode: our own stdin (fd 0 is the guest's) */
	int ending_fd; /* written once the session ends: host->ending_fd's pipe */
	pthread_t signal_thread, dev_thread;
};

/* Blocks the ending signals in the calling thread. Call it first thing in
 * main, before Wasmtime, tokio or curl start threads, so that they all
 * inherit the mask and only the signal thread sees the signals. */
bool session_block_signals(struct weft_error *err);
/* Starts the thread that ends the session on a signal. */
bool session_start(struct session *session, struct weft_error *err);
/* Developer mode: stdin lines to the guest, its messages to stdout. */
bool session_start_dev(struct session *session, int fd, struct weft_error *err);
/* Interrupts the guest; if it does not stop soon, exits the process. */
void session_end(struct session *session, int exit_code);

#endif
