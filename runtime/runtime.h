/*
 * weft-runtime internals: one process runs one app's component with exactly
 * the grants appd (or the developer, in developer mode) gave it.
 */
#ifndef WEFT_RUNTIME_H
#define WEFT_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <wasmtime.h>

#include "weft/common.h"
#include "weft/net.h"

struct json_object;

/* What the app may do, from --grant flags (design §4). */
struct runtime_grants {
	struct weft_strv caps; /* every granted capability string, as given */
	struct weft_net_grants net; /* net:fetch, for the developer-mode broker */
	bool notifications;
	bool clipboard_read, clipboard_write;
	/* 0 not granted, 1 read-only, 2 writable */
	int app_data;
	int documents;
};

void runtime_grants_init(struct runtime_grants *grants);
/* Adds one capability string; unknown ones are an error. */
bool runtime_grants_add(struct runtime_grants *grants, const char *cap, struct weft_error *err);

struct runtime_preopen {
	char *host_path;
	char *guest_path;
	bool read_only;
};

/* Limits that keep one app from taking the machine. */
struct runtime_limits {
	size_t memory_bytes; /* linear memory, per store */
	size_t stack_bytes; /* wasm stack */
	size_t fetch_body_bytes; /* response size cap */
	long fetch_timeout_ms; /* the whole fetch; connecting gets at most 10 s of it */
};

/* The cap on each of the guest's linear memories (memory.c). */
struct runtime_memory_limit {
	size_t max_bytes;
	atomic_size_t denied_bytes; /* the largest size refused, 0 if none */
};

/* Makes the engine allocate linear memories through limit, which must
 * outlive the engine. */
void runtime_memory_configure(wasm_config_t *config, struct runtime_memory_limit *limit);

/* The guest's stdout and stderr (output.c): at most RUNTIME_OUTPUT_MAX
 * bytes a second of the two; the rest is dropped and counted. */
struct runtime_output_stream {
	struct runtime_output *output;
	int fd;
	bool mid_line; /* the last byte written was not a newline */
};

struct runtime_output {
	struct runtime_output_stream out, err;
	pthread_mutex_t lock;
	int64_t window_start;
	size_t written, dropped; /* in this second */
};

/* The guest's stdout goes to stdout_fd, its stderr to stderr_fd. */
void runtime_output_init(struct runtime_output *output, int stdout_fd, int stderr_fd);
/* Gives the guest's stdout and stderr to output, which must outlive wasi. */
void runtime_output_configure(wasi_config_t *wasi, struct runtime_output *output);
/* Says on stderr what was dropped, if anything; at exit. */
void runtime_output_finish(struct runtime_output *output);

/* State the weft:app host functions share; lives as long as the guest runs. */
struct runtime_host {
	const struct runtime_grants *grants;
	const struct runtime_limits *limits;
	int ipc_fd; /* SOCK_SEQPACKET to the app-shell (or the dev-mode pump) */
	int control_fd; /* to appd; -1 in developer mode */
	/* Where connections come from (net.c): control_fd, the developer-mode
	 * broker, or -1 (no net:fetch grant in developer mode). */
	int net_fd;
	bool dev_mode;
	const char *fetch_ca_file; /* developer mode: the only CAs https trusts */
	char *dev_clipboard; /* developer mode stands in for the compositor */
	char *recv_buf; /* WEFT_MSG_MAX + 1 bytes */
	struct runtime_curl *curl; /* loaded on the first fetch */
	struct doorbell *doorbell; /* rings the guest's stdin; may be NULL */
	int ending_fd; /* readable once the session is ending (ipc.wait) */
	struct timespec start; /* process start, for start-up timing */
	uint64_t next_request;
	atomic_bool ready;
	atomic_uint_fast64_t received; /* messages the guest took with ipc.recv */
	atomic_bool idle; /* its last ipc.recv found nothing: it is done for now */
	atomic_uint_fast64_t sent; /* messages the guest sent with ipc.send */
};

/* Defines weft:app@0.1.0 and weft:app/ipc@0.2.0 in linker, with host as the functions' state. */
bool runtime_host_link(wasmtime_component_linker_t *linker, struct runtime_host *host,
	struct weft_error *err);

/* The error message wasmtime gives, then deletes error. */
void runtime_error_take(struct weft_error *err, wasmtime_error_t *error);

/*
 * Loads the component at path, from the precompiled cache when it holds a
 * valid entry for these bytes and this Wasmtime, else compiling it and
 * storing the result (cache_dir may be NULL: no cache).
 */
wasmtime_component_t *runtime_component_load(wasm_engine_t *engine, const char *path,
	const char *cache_dir, struct weft_error *err);

struct runtime_curl;
struct doorbell;

/* fetch: fills a result<response, string> value. */
void runtime_fetch(struct runtime_host *host, const wasmtime_component_val_t *args,
	wasmtime_component_val_t *result);

/* The decoding of appd's replies, pure so that tests/fuzz can call it: the
 * len bytes at buf as the reply to request id, or NULL when they are not
 * (malformed, not an object, another id). */
struct json_object *runtime_control_reply_parse(const char *buf, size_t len, uint64_t id);
/* Whether reply is an error; then err holds its message, and *denied
 * (when denied is not NULL) says whether it was permission_denied. */
bool runtime_control_reply_failed(struct json_object *reply, bool *denied, struct weft_error *err);
/* Requests on the control channel; the reply's "text" (if any) is returned
 * in *text (malloc'd). */
bool runtime_control_ready(struct runtime_host *host, struct weft_error *err);
bool runtime_control_request(struct runtime_host *host, const char *type, const char *k1,
	const char *v1, const char *k2, const char *v2, const char *k3, const char *v3,
	char **text, struct weft_error *err);
/* A "connect" request (weft/net.h) on fd: the connected socket in *sock
 * and its address in address (WEFT_NET_ADDRESS_MAX bytes); false with err,
 * and *denied when the grants did not allow it. */
bool runtime_control_connect(struct runtime_host *host, int fd, const char *name, unsigned port,
	int timeout_ms, int *sock, char *address, bool *denied, struct weft_error *err);

/* Developer mode: starts the child that connects for fetch (net.c); call it
 * before any thread exists. Returns the runtime's end of its socket. */
int runtime_net_broker_start(const struct weft_net_grants *grants, struct weft_error *err);
/* A connection to name:port for fetch, from appd or the developer-mode
 * broker: as runtime_control_connect(). */
bool runtime_net_connect(struct runtime_host *host, const char *name, unsigned port,
	int timeout_ms, int *fd, char *address, bool *denied, struct weft_error *err);

#endif
