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

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* In the child: {"manifest": {...}} or {"error": "..."} on fd, then exit. */
static _Noreturn void child_main(const char *path, int fd)
{
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct weft_manifest *m = weft_manifest_load(path, &diags);
	struct json_object *reply = json_object_new_object();
	struct json_object *value = m != NULL ? manifest_to_json(m)
					      : json_object_new_string(first_error(&diags));
	bool ok = reply != NULL && value != NULL;
	if (ok) {
		json_object_object_add(reply, m != NULL ? "manifest" : "error", value);
		const char *text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
		ok = text != NULL && write_all(fd, text, strlen(text));
	}
	/* No cleanup: the process ends here, and exit handlers are appd's. */
	_exit(ok ? 0 : 1);
}

/* Reads the child's reply until it closes the pipe; NULL on time-out or overflow. */
static char *read_reply(int fd, size_t *len, struct weft_error *err)
{
	char *buf = malloc(REPLY_MAX + 1);
	if (buf == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	*len = 0;
	int64_t deadline = weft_now_ms() + CHILD_TIMEOUT_MS;
	for (;;) {
		int64_t left = deadline - weft_now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r == 0) {
			weft_error_set(err, "the manifest parser took too long");
			break;
		}
		if (r < 0) {
			weft_error_errno(err, "poll");
			break;
		}
		ssize_t n = read(fd, buf + *len, REPLY_MAX + 1 - *len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			weft_error_errno(err, "read from the manifest parser");
			break;
		}
		if (n == 0) {
			buf[*len] = '\0';
			return buf;
		}
		*len += (size_t)n;
		if (*len > REPLY_MAX) {
			weft_error_set(err, "the manifest parser said too much");
			break;
		}
	}
	free(buf);
	return NULL;
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

struct weft_manifest *appd_manifest_load(const char *path, struct weft_error *err)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		weft_error_errno(err, "pipe");
		return NULL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		weft_error_errno(err, "fork");
		close(pipefd[0]);
		close(pipefd[1]);
		return NULL;
	}
	if (pid == 0) {
		/* Nothing of appd's but the pipe: no client or epoll stays open
		 * because of us. */
		int fd = pipefd[1] == 3 ? 3 : dup2(pipefd[1], 3);
		if (fd < 0) {
			_exit(1);
		}
		close_range(4, ~0u, 0);
		child_main(path, fd);
	}
	close(pipefd[1]);
	size_t len = 0;
	char *reply = read_reply(pipefd[0], &len, err);
	close(pipefd[0]);
	struct weft_error child_err = { 0 };
	if (!reap(pid, reply == NULL, &child_err) && reply != NULL) {
		*err = child_err;
		free(reply);
		return NULL;
	}
	if (reply == NULL) {
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj = tok != NULL ? json_tokener_parse_ex(tok, reply, (int)len) : NULL;
	bool complete = tok != NULL && json_tokener_get_error(tok) == json_tokener_success;
	json_tokener_free(tok);
	free(reply);
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
