/*
 * Manifests are read in a throwaway child: appd parses every directory in
 * the store, signed or not, and a parser that crashes on a crafted file must
 * cost that one manifest, never appd and every session it holds. The child
 * sends back what it parsed, as JSON over a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appd.h"
#include "weft/log.h"
#include "weft/manifest.h"

/* A manifest of WEFT_MANIFEST_MAX_SIZE bytes, every byte escaped as \u00XX. */
#define REPLY_MAX (6 * WEFT_MANIFEST_MAX_SIZE + 4096)
/* Parsing takes milliseconds; a child still busy after this is stuck. */
#define CHILD_TIMEOUT_MS 5000

static const char *first_error(const struct weft_diags *diags)
{
	for (size_t i = 0; i < diags->len; i++) {
		if (diags->items[i].severity == WEFT_DIAG_ERROR) {
			return diags->items[i].msg;
		}
	}
	return "out of memory";
}

static void add_string(struct json_object *obj, const char *key, const char *value)
{
	if (value != NULL) {
		json_object_object_add(obj, key, json_object_new_string(value));
	}
}

static struct json_object *manifest_to_json(const struct weft_manifest *m)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *caps = json_object_new_array();
	if (obj == NULL || caps == NULL) {
		json_object_put(obj);
		json_object_put(caps);
		return NULL;
	}
	add_string(obj, "id", m->id);
	add_string(obj, "name", m->name);
	add_string(obj, "version", m->version);
	add_string(obj, "description", m->description);
	add_string(obj, "author", m->author);
	add_string(obj, "module", m->module);
	add_string(obj, "ui_entry", m->ui_entry);
	for (size_t i = 0; i < m->capabilities.len; i++) {
		json_object_array_add(caps, json_object_new_string(m->capabilities.items[i]));
	}
	json_object_object_add(obj, "capabilities", caps);
	return obj;
}

/* In the child: for each path, one line {"manifest": {...}} or {"error":
 * "..."} on fd (plain JSON has no raw newline), then exit. */
static _Noreturn void child_main(const char *const *paths, size_t n, int fd)
{
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		struct weft_diags diags;
		weft_diags_init(&diags);
		struct weft_manifest *m = weft_manifest_load(paths[i], &diags);
		struct json_object *reply = json_object_new_object();
		struct json_object *value = m != NULL
			? manifest_to_json(m)
			: json_object_new_string(first_error(&diags));
		ok = reply != NULL && value != NULL;
		if (ok) {
			json_object_object_add(reply, m != NULL ? "manifest" : "error", value);
			const char *text = json_object_to_json_string_ext(reply,
				JSON_C_TO_STRING_PLAIN);
			ok = text != NULL && weft_write_all(fd, text, strlen(text)) &&
				weft_write_all(fd, "\n", 1);
		}
		json_object_put(reply);
		weft_manifest_destroy(m);
		weft_diags_finish(&diags);
	}
	/* No cleanup: the process ends here, and exit handlers are appd's. */
	_exit(ok ? 0 : 1);
}

/* A child's replies as they come, one line each. */
struct reader {
	int fd;
	char *buf;
	size_t len; /* bytes in buf */
	size_t start; /* where the next line starts */
};

/* The next line, NUL-terminated in place; NULL at the end of the stream,
 * on time-out (no progress for CHILD_TIMEOUT_MS) or when a line is too long,
 * with err set for the last two. */
static char *read_line(struct reader *r, struct weft_error *err)
{
	int64_t deadline = weft_now_ms() + CHILD_TIMEOUT_MS;
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->len - r->start);
		if (nl != NULL) {
			*nl = '\0';
			char *line = r->buf + r->start;
			r->start = (size_t)(nl - r->buf) + 1;
			return line;
		}
		/* Keep the partial line at the front. */
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->start = 0;
		if (r->len > REPLY_MAX) {
			weft_error_set(err, "the manifest parser said too much");
			return NULL;
		}
		int64_t left = deadline - weft_now_ms();
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		int rc = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (rc < 0 && errno == EINTR) {
			continue;
		}
		if (rc == 0) {
			weft_error_set(err, "the manifest parser took too long");
			return NULL;
		}
		if (rc < 0) {
			weft_error_errno(err, "poll");
			return NULL;
		}
		ssize_t n = read(r->fd, r->buf + r->len, REPLY_MAX + 2 - r->len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			weft_error_errno(err, "read from the manifest parser");
			return NULL;
		}
		if (n == 0) {
			return NULL;
		}
		r->len += (size_t)n;
		deadline = weft_now_ms() + CHILD_TIMEOUT_MS;
	}
}

/* How the child ended, as an error; true when it exited 0. */
static bool reap(pid_t pid, bool kill_it, struct weft_error *err)
{
	if (kill_it) {
		kill(pid, SIGKILL);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			weft_error_errno(err, "waitpid");
			return false;
		}
	}
	if (WIFSIGNALED(status)) {
		weft_error_set(err, "the manifest parser crashed (signal %d)", WTERMSIG(status));
		return false;
	}
	if (WEXITSTATUS(status) != 0) {
		weft_error_set(err, "the manifest parser failed (exit status %d)",
			WEXITSTATUS(status));
		return false;
	}
	return true;
}

static bool copy_string(struct json_object *obj, const char *key, bool required, char **out)
{
	struct json_object *value;
	if (!json_object_object_get_ex(obj, key, &value)) {
		return !required;
	}
	if (!json_object_is_type(value, json_type_string)) {
		return false;
	}
	*out = strdup(json_object_get_string(value));
	return *out != NULL;
}

static struct weft_manifest *manifest_from_json(struct json_object *obj, struct weft_error *err)
{
	struct weft_manifest *m = calloc(1, sizeof(*m));
	struct json_object *caps = NULL;
	bool ok = m != NULL && copy_string(obj, "id", true, &m->id) &&
		copy_string(obj, "name", true, &m->name) &&
		copy_string(obj, "version", true, &m->version) &&
		copy_string(obj, "description", false, &m->description) &&
		copy_string(obj, "author", false, &m->author) &&
		copy_string(obj, "module", true, &m->module) &&
		copy_string(obj, "ui_entry", true, &m->ui_entry) &&
		json_object_object_get_ex(obj, "capabilities", &caps) &&
		json_object_is_type(caps, json_type_array);
	if (m != NULL) {
		weft_strv_init(&m->capabilities);
	}
	for (size_t i = 0; ok && i < json_object_array_length(caps); i++) {
		struct json_object *cap = json_object_array_get_idx(caps, i);
		ok = json_object_is_type(cap, json_type_string) &&
			weft_strv_push(&m->capabilities, json_object_get_string(cap));
	}
	if (!ok) {
		weft_error_set(err, "the manifest parser's reply is malformed");
		weft_manifest_destroy(m);
		return NULL;
	}
	return m;
}

/* One reply line as a manifest, or NULL with err set. */
static struct weft_manifest *parse_reply(const char *reply, struct weft_error *err)
{
	size_t len = strlen(reply);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj = tok != NULL ? json_tokener_parse_ex(tok, reply, (int)len) : NULL;
	bool complete = tok != NULL && json_tokener_get_error(tok) == json_tokener_success;
	json_tokener_free(tok);
	struct weft_manifest *m = NULL;
	struct json_object *value;
	if (obj == NULL || !complete) {
		weft_error_set(err, "the manifest parser's reply is malformed");
	} else if (json_object_object_get_ex(obj, "error", &value)) {
		weft_error_set(err, "%s", json_object_get_string(value));
	} else if (json_object_object_get_ex(obj, "manifest", &value)) {
		m = manifest_from_json(value, err);
	} else {
		weft_error_set(err, "the manifest parser's reply is malformed");
	}
	json_object_put(obj);
	return m;
}

/* Starts a parser child for paths; its replies come on *fd. */
static pid_t start_child(const char *const *paths, size_t n, int *fd, struct weft_error *err)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		weft_error_errno(err, "pipe");
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		weft_error_errno(err, "fork");
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		/* Nothing of appd's but the pipe: no client or epoll stays open
		 * because of us. */
		int out = pipefd[1] == 3 ? 3 : dup2(pipefd[1], 3);
		if (out < 0) {
			_exit(1);
		}
		close_range(4, ~0u, 0);
		child_main(paths, n, out);
	}
	close(pipefd[1]);
	*fd = pipefd[0];
	return pid;
}

void appd_manifest_load_many(const char *const *paths, size_t n, struct weft_manifest **out,
	struct weft_error *errs)
{
	char *buf = malloc(REPLY_MAX + 2);
	size_t next = 0;
	while (next < n) {
		out[next] = NULL;
		if (buf == NULL) {
			weft_error_set(&errs[next++], "out of memory");
			continue;
		}
		struct reader r = { .buf = buf };
		pid_t pid = start_child(paths + next, n - next, &r.fd, &errs[next]);
		if (pid < 0) {
			next++;
			continue;
		}
		struct weft_error read_err = { 0 };
		char *line;
		while (next < n && (line = read_line(&r, &read_err)) != NULL) {
			out[next] = parse_reply(line, &errs[next]);
			next++;
		}
		close(r.fd);
		/* Killed when it stalled or said too much; a crash costs the
		 * manifest it was reading, and the next child goes on after it. */
		bool stuck = read_err.msg[0] != '\0';
		struct weft_error child_err = { 0 };
		if (!reap(pid, stuck, &child_err) && next < n) {
			errs[next] = stuck ? read_err : child_err;
			out[next++] = NULL;
		} else if (next < n) {
			weft_error_set(&errs[next], "the manifest parser stopped early");
			out[next++] = NULL;
		}
	}
	free(buf);
}

struct weft_manifest *appd_manifest_load(const char *path, struct weft_error *err)
{
	struct weft_manifest *m = NULL;
	appd_manifest_load_many(&path, 1, &m, err);
	return m;
}
