/*
 * weft-runtime: runs one app's component (a wasi:cli command) with WASI 0.2
 * and the weft:app@0.1.0 host interfaces (and weft:app/ipc@0.2.0),
 * granting exactly what it is told.
 *
 *   weft-runtime [OPTIONS] COMPONENT            as appd starts it
 *   weft-runtime run [OPTIONS] PACKAGE_DIR      developer mode, in a terminal
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "doorbell.h"
#include "runtime.h"
#include "seccomp_policy.h"
#include "session.h"
#include "weft/ipc.h"
#include "weft/log.h"
#include "weft/manifest.h"
#include "weft/paths.h"

struct options {
	bool dev_mode;
	const char *target; /* component file, or package dir in developer mode */
	const char *app_id;
	const char *data_dir;
	int control_fd, ipc_fd;
	bool cache, sandbox;
	struct runtime_grants grants;
	struct runtime_preopen preopens[16];
	size_t npreopens;
	struct runtime_limits limits;
	const char *fetch_ca_file;
};

static void usage(FILE *f)
{
	fputs("usage: weft-runtime [OPTIONS] COMPONENT\n"
	      "       weft-runtime run [OPTIONS] PACKAGE_DIR\n"
	      "\n"
	      "  --grant CAP            grant a capability (repeatable)\n"
	      "  --data DIR             the app data directory (fs:*:app-data)\n"
	      "  --preopen HOST:GUEST[:ro]  give the guest a directory\n"
	      "  --app-id ID            the app's id (default: from the package)\n"
	      "  --control-fd N         runtime control channel to appd\n"
	      "  --ipc-fd N             SOCK_SEQPACKET to the app's UI\n"
	      "  --max-memory MIB       linear memory cap (default 256)\n"
	      "  --max-stack KIB        wasm stack cap (default 1024)\n"
	      "  --fetch-max-bytes N    response size cap (default 4 MiB)\n"
	      "  --fetch-timeout SEC    time limit of one fetch (default 30)\n"
	      "  --fetch-ca-file FILE   developer mode: trust only these CAs for https\n"
	      "  --no-cache             do not use the precompiled cache\n"
	      "  --no-sandbox           do not install the seccomp policy (debugging)\n",
		f);
}

static bool parse_preopen(struct options *o, const char *spec, struct weft_error *err)
{
	if (o->npreopens == sizeof(o->preopens) / sizeof(o->preopens[0])) {
		weft_error_set(err, "too many --preopen");
		return false;
	}
	char *copy = strdup(spec);
	if (copy == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	char *guest = strchr(copy, ':');
	bool ro = false;
	if (guest != NULL) {
		*guest++ = '\0';
		char *mode = strchr(guest, ':');
		if (mode != NULL) {
			*mode++ = '\0';
			ro = strcmp(mode, "ro") == 0;
			if (!ro && strcmp(mode, "rw") != 0) {
				guest = NULL;
			}
		}
	}
	if (guest == NULL || copy[0] == '\0' || guest[0] != '/') {
		weft_error_set(err, "bad --preopen %s (want HOST:/GUEST[:ro])", spec);
		free(copy);
		return false;
	}
	struct runtime_preopen *p = &o->preopens[o->npreopens++];
	p->host_path = copy;
	p->guest_path = guest;
	p->read_only = ro;
	return true;
}

static bool parse_args(struct options *o, int argc, char **argv, struct weft_error *err)
{
	enum {
		OPT_GRANT = 256,
		OPT_DATA,
		OPT_PREOPEN,
		OPT_APP_ID,
		OPT_CONTROL_FD,
		OPT_IPC_FD,
		OPT_MAX_MEMORY,
		OPT_MAX_STACK,
		OPT_FETCH_MAX,
		OPT_FETCH_TIMEOUT,
		OPT_FETCH_CA_FILE,
		OPT_NO_CACHE,
		OPT_NO_SANDBOX,
	};
	static const struct option longopts[] = {
		{ "grant", required_argument, NULL, OPT_GRANT },
		{ "data", required_argument, NULL, OPT_DATA },
		{ "preopen", required_argument, NULL, OPT_PREOPEN },
		{ "app-id", required_argument, NULL, OPT_APP_ID },
		{ "control-fd", required_argument, NULL, OPT_CONTROL_FD },
		{ "ipc-fd", required_argument, NULL, OPT_IPC_FD },
		{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
		{ "max-stack", required_argument, NULL, OPT_MAX_STACK },
		{ "fetch-max-bytes", required_argument, NULL, OPT_FETCH_MAX },
		{ "fetch-timeout", required_argument, NULL, OPT_FETCH_TIMEOUT },
		{ "fetch-ca-file", required_argument, NULL, OPT_FETCH_CA_FILE },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};

	if (argc > 1 && strcmp(argv[1], "run") == 0) {
		o->dev_mode = true;
		argc--;
		argv++;
	}
	int c;
	long v;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_GRANT:
			if (!runtime_grants_add(&o->grants, optarg, err)) {
				return false;
			}
			break;
		case OPT_DATA:
			o->data_dir = optarg;
			break;
		case OPT_PREOPEN:
			if (!parse_preopen(o, optarg, err)) {
				return false;
			}
			break;
		case OPT_APP_ID:
			o->app_id = optarg;
			break;
		case OPT_CONTROL_FD:
		case OPT_IPC_FD:
			if (!weft_parse_long(optarg, 0, INT_MAX, &v)) {
				weft_error_set(err, "bad fd %s", optarg);
				return false;
			}
			*(c == OPT_CONTROL_FD ? &o->control_fd : &o->ipc_fd) = (int)v;
			break;
		case OPT_MAX_MEMORY:
			if (!weft_parse_long(optarg, 1, 4096, &v)) {
				weft_error_set(err, "bad --max-memory %s (MiB, 1-4096)", optarg);
				return false;
			}
			o->limits.memory_bytes = (size_t)v << 20;
			break;
		case OPT_MAX_STACK:
			if (!weft_parse_long(optarg, 64, 65536, &v)) {
				weft_error_set(err, "bad --max-stack %s (KiB, 64-65536)", optarg);
				return false;
			}
			o->limits.stack_bytes = (size_t)v << 10;
			break;
		case OPT_FETCH_MAX:
			if (!weft_parse_long(optarg, 0, 64l << 20, &v)) {
				weft_error_set(err, "bad --fetch-max-bytes %s", optarg);
				return false;
			}
			o->limits.fetch_body_bytes = (size_t)v;
			break;
		case OPT_FETCH_TIMEOUT:
			if (!weft_parse_long(optarg, 1, 3600, &v)) {
				weft_error_set(err, "bad --fetch-timeout %s (seconds, 1-3600)",
					optarg);
				return false;
			}
			o->limits.fetch_timeout_ms = v * 1000;
			break;
		case OPT_FETCH_CA_FILE:
			o->fetch_ca_file = optarg;
			break;
		case OPT_NO_CACHE:
			o->cache = false;
			break;
		case OPT_NO_SANDBOX:
			o->sandbox = false;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			weft_error_set(err, "bad arguments");
			return false;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		weft_error_set(err, "expected one %s", o->dev_mode ? "PACKAGE_DIR" : "COMPONENT");
		return false;
	}
	o->target = argv[optind];
	if (!o->dev_mode && o->ipc_fd < 0) {
		weft_error_set(err, "--ipc-fd is required outside developer mode");
		return false;
	}
	/* appd never needs it: a session trusts the system's CAs, no others. */
	if (o->fetch_ca_file != NULL && !o->dev_mode) {
		weft_error_set(err, "--fetch-ca-file is for developer mode only");
		return false;
	}
	if (o->fetch_ca_file != NULL && access(o->fetch_ca_file, R_OK) != 0) {
		weft_error_errno(err, "--fetch-ca-file %s", o->fetch_ca_file);
		return false;
	}
	if (!o->dev_mode && o->grants.app_data > 0 && o->data_dir == NULL && o->app_id == NULL) {
		weft_error_set(err, "fs:*:app-data needs --data or --app-id");
		return false;
	}
	return true;
}

/* The component file and app id of a package directory (design §5). */
static bool open_package(struct options *o, char **component, char **app_id,
	struct weft_error *err)
{
	char *path = weft_path_join(o->target, WEFT_MANIFEST_FILE);
	if (path == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *m = weft_manifest_load(path, &diags);
	for (size_t i = 0; i < diags.len; i++) {
		weft_log(diags.items[i].severity == WEFT_DIAG_ERROR ? WEFT_ERROR : WEFT_WARN, "%s",
			diags.items[i].msg);
	}
	weft_diags_finish(&diags);
	if (m == NULL) {
		weft_error_set(err, "%s: invalid manifest", path);
		free(path);
		return false;
	}
	free(path);
	*component = weft_path_join(o->target, m->module);
	*app_id = strdup(m->id);
	weft_manifest_destroy(m);
	if (*app_id == NULL || *component == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return true;
}

static bool add_preopen(wasi_config_t *wasi, const char *host, const char *guest, bool ro,
	struct weft_error *err)
{
	struct stat st;
	if (stat(host, &st) != 0) {
		weft_error_errno(err, "preopen %s", host);
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		weft_error_set(err, "preopen %s: not a directory", host);
		return false;
	}
	if (!wasi_config_preopen_dir(wasi, host, guest, !ro)) {
		weft_error_set(err, "preopen %s at %s failed", host, guest);
		return false;
	}
	weft_log(WEFT_DEBUG, "preopen %s at %s%s", host, guest, ro ? " (read-only)" : "");
	return true;
}

/*
 * The doorbell (its signalfd) becomes fd 0, which the guest inherits:
 * Wasmtime reads an inherited stdin on a thread of its own that wakes the
 * guest directly, one thread hand-off fewer than a stdin file (read on
 * tokio's blocking pool, then passed on by a tokio task); a signalfd cannot
 * be opened by path anyway. In developer mode the runtime's own stdin, the
 * developer's messages, moves to *dev_in first.
 */
static bool give_stdin(int stdin_fd, bool dev_mode, int *dev_in, struct weft_error *err)
{
	if (dev_mode) {
		*dev_in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		if (*dev_in < 0) {
			weft_error_errno(err, "cannot keep stdin for developer mode");
			return false;
		}
	}
	if (dup2(stdin_fd, STDIN_FILENO) < 0) {
		weft_error_errno(err, "cannot give the guest its stdin");
		return false;
	}
	return true;
}

static wasi_config_t *make_wasi(struct options *o, const char *app_id,
	struct runtime_output *output, struct weft_error *err)
{
	wasi_config_t *wasi = wasi_config_new();
	wasi_config_inherit_stdin(wasi);
	const char *argv[] = { app_id };
	wasi_config_set_argv(wasi, 1, argv);
	/* Both to stderr in developer mode, where stdout carries the IPC
	 * messages; as appd gave them otherwise (its pipe). */
	runtime_output_init(output, o->dev_mode ? STDERR_FILENO : STDOUT_FILENO, STDERR_FILENO);
	runtime_output_configure(wasi, output);

	bool ok = true;
	if (o->grants.app_data > 0) {
		char *dir = o->data_dir != NULL ? strdup(o->data_dir)
						: weft_path_app_data(app_id, err);
		if (dir == NULL) {
			if (o->data_dir != NULL) {
				weft_error_set(err, "out of memory");
			}
			weft_error_prefix(err, "no app data directory (use --data)");
			ok = false;
		} else {
			ok = weft_make_dirs(dir, 0700, err) &&
				add_preopen(wasi, dir, "/data", o->grants.app_data == 1, err);
		}
		free(dir);
	}
	if (ok && o->grants.documents > 0) {
		/* Not every user has a documents directory; the app then sees
		 * none, as if the grant were missing, and may say so. */
		struct weft_error why = { 0 };
		char *dir = weft_path_documents_dir(&why);
		struct stat st;
		if (dir != NULL && stat(dir, &st) == 0) {
			ok = add_preopen(wasi, dir, "/xdg/documents", o->grants.documents == 1,
				err);
		} else {
			weft_log(WEFT_WARN, "no documents directory (%s): not preopened",
				dir != NULL ? dir : why.msg);
		}
		free(dir);
	}
	for (size_t i = 0; ok && i < o->npreopens; i++) {
		struct runtime_preopen *p = &o->preopens[i];
		ok = add_preopen(wasi, p->host_path, p->guest_path, p->read_only, err);
	}
	if (!ok) {
		wasi_config_delete(wasi);
		return NULL;
	}
	return wasi;
}

/* Start-up milestones, for WEFT_LOG=debug and for tuning start-up time. */
static void log_stage(const struct timespec *start, const char *stage)
{
	if (weft_log_get_level() < WEFT_DEBUG) {
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - start->tv_sec) * 1e3 +
		(double)(now.tv_nsec - start->tv_nsec) / 1e6;
	weft_log(WEFT_DEBUG, "%7.2f ms: %s", ms, stage);
}

/*
 * One line that says what went wrong, then the guest backtrace. A guest
 * whose memory could not grow usually traps soon after (malloc fails, the
 * guest aborts): the memory limit is then the real reason.
 */
static void print_trap(wasmtime_error_t *error, const struct runtime_memory_limit *memory)
{
	wasm_name_t msg;
	wasmtime_error_message(error, &msg);
	char *text = strndup(msg.data, msg.size);
	wasm_byte_vec_delete(&msg);
	const char *reason = text != NULL ? strstr(text, "wasm trap: ") : NULL;
	if (reason != NULL) {
		reason += strlen("wasm trap: ");
	} else {
		reason = text != NULL ? text : "unknown error";
	}
	int len = (int)strcspn(reason, "\n");
	if (atomic_load(&memory->denied_bytes) > 0) {
		fprintf(stderr,
			"weft-runtime: guest stopped: memory limit of %zu MiB reached (trap: "
			"%.*s)\n",
			memory->max_bytes >> 20, len, reason);
	} else {
		fprintf(stderr, "weft-runtime: guest trapped: %.*s\n", len, reason);
	}

	wasm_frame_vec_t trace;
	wasmtime_error_wasm_trace(error, &trace);
	for (size_t i = 0; i < trace.size; i++) {
		const wasm_name_t *name = wasmtime_frame_func_name(trace.data[i]);
		fprintf(stderr, "    %2zu: %.*s (func %u, offset 0x%zx)\n", i,
			name != NULL ? (int)name->size : 1, name != NULL ? name->data : "?",
			wasm_frame_func_index(trace.data[i]),
			wasm_frame_func_offset(trace.data[i]));
	}
	wasm_frame_vec_delete(&trace);
	free(text);
}

/* Finds wasi:cli/run@0.2.x's run in the instance. */
static bool find_run(wasmtime_component_t *component, wasm_engine_t *engine,
	wasmtime_component_instance_t *instance, wasmtime_context_t *ctx,
	wasmtime_component_func_t *run, struct weft_error *err)
{
	static const char prefix[] = "wasi:cli/run@0.2.";
	wasmtime_component_type_t *ty = wasmtime_component_type(component);
	size_t n = wasmtime_component_type_export_count(ty, engine);
	bool found = false;
	for (size_t i = 0; i < n && !found; i++) {
		const char *name;
		size_t len;
		wasmtime_component_item_t item;
		if (!wasmtime_component_type_export_nth(ty, engine, i, &name, &len, &item)) {
			continue;
		}
		if (len > strlen(prefix) && strncmp(name, prefix, strlen(prefix)) == 0) {
			wasmtime_component_export_index_t *iface =
				wasmtime_component_instance_get_export_index(instance, ctx, NULL,
					name, len);
			wasmtime_component_export_index_t *func = iface != NULL
				? wasmtime_component_instance_get_export_index(instance, ctx,
					  iface, "run", 3)
				: NULL;
			found = func != NULL &&
				wasmtime_component_instance_get_func(instance, ctx, func, run);
			wasmtime_component_export_index_delete(func);
			wasmtime_component_export_index_delete(iface);
		}
		wasmtime_component_item_delete(&item);
	}
	wasmtime_component_type_delete(ty);
	if (!found) {
		weft_error_set(err,
			"the component does not export wasi:cli/run@0.2 "
			"(is it a wasi:cli command?)");
	}
	return found;
}

/* What one run holds. Never freed: the process ends with _exit, threads
 * may still be using it. */
struct runtime {
	struct options options;
	struct timespec start;
	char *component_path, *app_id;
	struct runtime_host host;
	struct session session;
	struct doorbell doorbell;
	struct runtime_memory_limit memory;
	struct runtime_output output;
	bool have_output;
	wasm_engine_t *engine;
	wasmtime_component_t *component;
	wasmtime_component_linker_t *linker;
	wasmtime_store_t *store;
	wasmtime_context_t *ctx;
};

/* First thing, before Wasmtime, tokio or curl start threads. */
static bool setup_process(struct weft_error *err)
{
	if (sodium_init() < 0) {
		weft_error_set(err, "cannot initialise libsodium");
		return false;
	}
	return session_block_signals(err) && doorbell_block_signal(err);
}

/* Without appd, fetch's connections come from a child of ours, started
 * while we have one thread. */
static bool start_net_broker(struct runtime *rt, struct weft_error *err)
{
	struct options *o = &rt->options;
	rt->host.net_fd = o->control_fd;
	if (o->control_fd < 0 && !weft_net_grants_empty(&o->grants.net)) {
		rt->host.net_fd = runtime_net_broker_start(&o->grants.net, err);
		if (rt->host.net_fd < 0) {
			return false;
		}
	}
	return true;
}

/* The component file and the app id, from the package in developer mode. */
static bool find_component(struct runtime *rt, struct weft_error *err)
{
	struct options *o = &rt->options;
	if (o->dev_mode) {
		if (!open_package(o, &rt->component_path, &rt->app_id, err)) {
			return false;
		}
	} else {
		rt->component_path = strdup(o->target);
		rt->app_id = strdup(o->app_id != NULL ? o->app_id : "app");
	}
	if (o->app_id != NULL) {
		free(rt->app_id);
		rt->app_id = strdup(o->app_id);
	}
	if (rt->component_path == NULL || rt->app_id == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	return true;
}

/* The engine with its limits, and the component compiled (or taken from
 * the cache). */
static bool setup_engine(struct runtime *rt, struct weft_error *err)
{
	struct options *o = &rt->options;
	rt->memory.max_bytes = o->limits.memory_bytes;
	/* Wasmtime's C API aborts rather than return NULL from these today;
	 * its header promises nothing, so they are checked all the same. */
	wasm_config_t *config = wasm_config_new();
	if (config == NULL) {
		weft_error_set(err, "cannot create a Wasmtime configuration");
		return false;
	}
	wasmtime_config_epoch_interruption_set(config, true);
	runtime_memory_configure(config, &rt->memory);
	wasmtime_config_max_wasm_stack_set(config, o->limits.stack_bytes);
	rt->engine = wasm_engine_new_with_config(config);
	if (rt->engine == NULL) {
		weft_error_set(err, "cannot create the Wasmtime engine");
		return false;
	}
	rt->session.engine = rt->engine;

	char *cache_dir = NULL;
	if (o->cache) {
		/* No cache directory (no HOME) runs without the cache. */
		char *cache_home = weft_path_cache_home(NULL);
		cache_dir = cache_home != NULL ? weft_path_join(cache_home, "weft/components")
					       : NULL;
		free(cache_home);
		if (cache_dir != NULL && !weft_make_dirs(cache_dir, 0700, err)) {
			weft_log(WEFT_WARN, "cache disabled: %s", err->msg);
			free(cache_dir);
			cache_dir = NULL;
		}
	}
	log_stage(&rt->start, "engine ready");
	rt->component = runtime_component_load(rt->engine, rt->component_path, cache_dir, err);
	free(cache_dir);
	if (rt->component == NULL) {
		return false;
	}
	log_stage(&rt->start, "component loaded");
	return true;
}

/* The host interfaces' state and the IPC socket: appd's, or in developer
 * mode one end of a pair whose other end is our terminal's. */
static bool setup_host(struct runtime *rt, struct weft_error *err)
{
	struct options *o = &rt->options;
	struct runtime_host *host = &rt->host;
	host->start = rt->start;
	host->grants = &o->grants;
	host->limits = &o->limits;
	host->dev_mode = o->dev_mode;
	host->fetch_ca_file = o->fetch_ca_file;
	host->control_fd = o->control_fd;
	host->recv_buf = malloc(WEFT_MSG_MAX + 1);
	if (host->recv_buf == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	rt->session.host = host;
	int ending[2];
	if (pipe2(ending, O_CLOEXEC) != 0) {
		weft_error_errno(err, "pipe");
		return false;
	}
	host->ending_fd = ending[0];
	rt->session.ending_fd = ending[1];
	if (o->dev_mode) {
		int pair[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
			weft_error_errno(err, "socketpair");
			return false;
		}
		host->ipc_fd = pair[0];
		rt->session.dev_fd = pair[1];
	} else {
		int type;
		socklen_t len = sizeof(type);
		if (getsockopt(o->ipc_fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
			type != SOCK_SEQPACKET) {
			weft_error_set(err, "--ipc-fd %d is not a SOCK_SEQPACKET socket",
				o->ipc_fd);
			return false;
		}
		host->ipc_fd = o->ipc_fd;
	}
	/* A message must fit the send buffer whole. Best effort: the kernel caps
	 * the size at net.core.wmem_max (about 200 KiB by default). */
	int sndbuf = 2 * WEFT_MSG_MAX;
	setsockopt(host->ipc_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (rt->session.dev_fd >= 0) {
		setsockopt(rt->session.dev_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	return true;
}

/* WASI and the weft:app host interfaces, linked. */
static bool setup_linker(struct runtime *rt, struct weft_error *err)
{
	rt->linker = wasmtime_component_linker_new(rt->engine);
	if (rt->linker == NULL) {
		weft_error_set(err, "cannot create the component linker");
		return false;
	}
	wasmtime_error_t *error = wasmtime_component_linker_add_wasip2(rt->linker);
	if (error != NULL) {
		runtime_error_take(err, error);
		weft_error_prefix(err, "link WASI");
		return false;
	}
	if (!runtime_host_link(rt->linker, &rt->host, err)) {
		return false;
	}
	log_stage(&rt->start, "linker ready");
	return true;
}

static bool setup_store(struct runtime *rt, struct weft_error *err)
{
	rt->store = wasmtime_store_new(rt->engine, NULL, NULL);
	if (rt->store == NULL) {
		weft_error_set(err, "cannot create the Wasmtime store");
		return false;
	}
	rt->ctx = wasmtime_store_context(rt->store);
	wasmtime_context_set_epoch_deadline(rt->ctx, 1);
	return true;
}

/* What is made before the guest is granted anything and the sandbox
 * closes in. */
static bool setup(struct runtime *rt, struct weft_error *err)
{
	return start_net_broker(rt, err) && find_component(rt, err) && setup_engine(rt, err) &&
		setup_host(rt, err) && setup_linker(rt, err) && setup_store(rt, err);
}

/* What the guest is granted: its stdin (the doorbell), its output, and the
 * directories its grants and --preopen give it. */
static bool grant(struct runtime *rt, struct weft_error *err)
{
	if (!doorbell_init(&rt->doorbell, rt->host.ipc_fd, err)) {
		return false;
	}
	rt->host.doorbell = &rt->doorbell;
	if (!give_stdin(rt->doorbell.guest_fd, rt->options.dev_mode, &rt->session.dev_in, err)) {
		return false;
	}
	rt->doorbell.stdin_fd = STDIN_FILENO;
	wasi_config_t *wasi = make_wasi(&rt->options, rt->app_id, &rt->output, err);
	if (wasi == NULL) {
		return false;
	}
	rt->have_output = true;
	wasmtime_error_t *error = wasmtime_context_set_wasi(rt->ctx, wasi);
	if (error != NULL) {
		runtime_error_take(err, error);
		weft_error_prefix(err, "WASI");
		return false;
	}
	return true;
}

/* The session's threads, then the seccomp policy, on every thread. */
static bool enter_sandbox(struct runtime *rt, struct weft_error *err)
{
	if (!session_start(&rt->session, err)) {
		return false;
	}
	if (rt->options.dev_mode && !session_start_dev(&rt->session, rt->session.dev_fd, err)) {
		return false;
	}
	if (rt->options.sandbox && !runtime_seccomp_install(err)) {
		return false;
	}
	log_stage(&rt->start, "sandbox in force");
	return true;
}

/* Instantiates the component and calls its run; false if it could not be
 * called, else *status is the exit status it earned. */
static bool run_guest(struct runtime *rt, int *status, struct weft_error *err)
{
	wasmtime_component_instance_t instance;
	wasmtime_error_t *error = wasmtime_component_linker_instantiate(rt->linker, rt->ctx,
		rt->component, &instance);
	if (error != NULL) {
		runtime_error_take(err, error);
		weft_error_prefix(err, "%s", rt->component_path);
		return false;
	}
	wasmtime_component_func_t func;
	if (!find_run(rt->component, rt->engine, &instance, rt->ctx, &func, err)) {
		return false;
	}
	log_stage(&rt->start, "instantiated, running");

	wasmtime_component_val_t result;
	bool trapped = false;
	error = wasmtime_component_func_call(&func, rt->ctx, NULL, 0, &result, 1);
	if (error != NULL) {
		int code;
		if (atomic_load(&rt->session.ending)) {
			*status = rt->session.exit_code;
		} else if (wasmtime_error_exit_status(error, &code)) {
			*status = code;
		} else {
			print_trap(error, &rt->memory);
			trapped = true;
			*status = 1;
		}
		wasmtime_error_delete(error);
	} else {
		*status = result.of.result.is_ok ? 0 : 1;
		if (!result.of.result.is_ok) {
			fprintf(stderr, "weft-runtime: the guest's run returned an error\n");
		}
		wasmtime_component_val_delete(&result);
	}
	if (*status != 0 && !atomic_load(&rt->session.ending) &&
		atomic_load(&rt->memory.denied_bytes) > 0 && !trapped) {
		fprintf(stderr,
			"weft-runtime: the guest failed after reaching its memory "
			"limit of %zu MiB\n",
			rt->memory.max_bytes >> 20);
	}
	return true;
}

/* The exit status of a run that failed before or while starting the guest. */
static int failed(struct runtime *rt, const struct weft_error *err)
{
	if (atomic_load(&rt->session.ending)) {
		/* Ended on purpose while starting up (appd gave up on us, or
		 * developer mode had nothing to send). */
		return rt->session.exit_code;
	}
	fprintf(stderr, "weft-runtime: %s\n", err->msg);
	return 1;
}

static _Noreturn void teardown(struct runtime *rt, int status)
{
	if (rt->have_output) {
		runtime_output_finish(&rt->output);
	}
	fflush(stdout);
	/* Threads may still be in the middle of things; nothing left to clean
	 * up that the kernel will not. */
	_exit(status);
}

int main(int argc, char **argv)
{
	struct runtime rt = {
		.options = {
			.control_fd = -1,
			.ipc_fd = -1,
			.cache = true,
			.sandbox = true,
			.limits = {
				.memory_bytes = 256u << 20,
				.stack_bytes = 1u << 20,
				.fetch_body_bytes = 4u << 20,
				.fetch_timeout_ms = 30000,
			},
		},
		.host = { .control_fd = -1, .ipc_fd = -1, .net_fd = -1, .ending_fd = -1 },
		.session = { .dev_fd = -1, .dev_in = STDIN_FILENO, .ending_fd = -1 },
	};
	clock_gettime(CLOCK_MONOTONIC, &rt.start);
	weft_log_init("weft-runtime", WEFT_WARN);
	runtime_grants_init(&rt.options.grants);

	struct weft_error err = { 0 };
	int status = 1;
	if (!setup_process(&err) || !parse_args(&rt.options, argc, argv, &err) ||
		!setup(&rt, &err) || !grant(&rt, &err) || !enter_sandbox(&rt, &err) ||
		!run_guest(&rt, &status, &err)) {
		status = failed(&rt, &err);
	}
	teardown(&rt, status);
}
