/*
 * What session processes write to stdout and stderr, relayed into appd's
 * log. Each process writes into a pipe of its own, which appd reads without
 * blocking and cuts into lines: each line is escaped (a terminal shows an
 * app's escape sequences instead of acting on them) and marked with whose it
 * is, so that no app can forge a line of appd's or drive the terminal.
 *
 * Each owner (a session, or the spare app-shell) has a budget a second:
 * past OUTPUT_LOG_MAX bytes of log, lines are dropped and counted, and one
 * line says how much was; past OUTPUT_READ_MAX bytes read, appd stops
 * reading until the second is over, so that a flood makes its writers wait
 * rather than appd spin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "appd.h"
#include "weft/log.h"

/* Longer lines are cut, and say so. */
#define OUTPUT_LINE_MAX 1024
/* Bytes of log an owner's lines may take a second. */
#define OUTPUT_LOG_MAX (32 * 1024)
/* Bytes appd reads of an owner's pipes a second, relayed or not. */
#define OUTPUT_READ_MAX (1024 * 1024)
#define OUTPUT_WINDOW_MS 1000
/* Reads of one pipe per wakeup, so that one pipe cannot hold the loop. */
#define OUTPUT_READS 16

struct output_pipe {
	struct wl_list link; /* appd_output.pipes */
	struct appd_output *output;
	uint64_t id;
	char name[32];
	int fd;
	struct appd_source *source; /* NULL while the owner is paused */
	char line[OUTPUT_LINE_MAX];
	size_t len;
	bool cut; /* the line was too long: the rest of it is dropped */
};

struct appd_output {
	struct appd_loop *loop;
	char owner[160];
	struct wl_list pipes; /* output_pipe.link, newest first */
	uint64_t next_id;
	struct appd_source *timer; /* the end of a second that went over budget */
	bool timer_armed;
	int64_t window_start;
	size_t logged, read; /* in this second */
	size_t suppressed; /* bytes of lines dropped in this second */
	bool paused;
};

static void end_window(struct appd_output *out)
{
	if (out->suppressed > 0) {
		weft_log(WEFT_WARN, "%s: %zu bytes of output suppressed (over %d bytes a second)",
			out->owner, out->suppressed, OUTPUT_LOG_MAX);
	}
	out->window_start = weft_now_ms();
	out->logged = out->read = out->suppressed = 0;
}

/* Makes sure the end of this second comes, to say what was dropped or to
 * read again. */
static void arm_window_end(struct appd_output *out)
{
	if (out->timer_armed) {
		return;
	}
	int64_t left = out->window_start + OUTPUT_WINDOW_MS - weft_now_ms();
	out->timer_armed = appd_timer_arm(out->timer, left > 0 ? (int)left : 1);
}

static void next_window_if_due(struct appd_output *out)
{
	if (!out->timer_armed && weft_now_ms() - out->window_start >= OUTPUT_WINDOW_MS) {
		end_window(out);
	}
}

static void emit(struct output_pipe *pipe)
{
	struct appd_output *out = pipe->output;
	next_window_if_due(out);
	char text[2 * OUTPUT_LINE_MAX];
	size_t used = weft_log_escape(pipe->line, pipe->len, text, sizeof(text));
	bool cut = pipe->cut || used < pipe->len;
	/* What the line costs in the log, prefix included. */
	size_t cost = strlen(out->owner) + strlen(pipe->name) + strlen(text) + 32;
	if (out->logged + cost > OUTPUT_LOG_MAX) {
		out->suppressed += pipe->len + 1;
		arm_window_end(out);
	} else {
		out->logged += cost;
		weft_log(WEFT_INFO, "%s %s: %s%s", out->owner, pipe->name, text,
			cut ? " [cut]" : "");
	}
	pipe->len = 0;
}

static void feed(struct output_pipe *pipe, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (!pipe->cut) {
				emit(pipe);
			}
			pipe->cut = false;
		} else if (pipe->cut) {
			continue;
		} else if (pipe->len < sizeof(pipe->line)) {
			pipe->line[pipe->len++] = buf[i];
		} else {
			pipe->cut = true;
			emit(pipe);
		}
	}
}

/* Relays what is left of a last line and forgets the pipe; its fd is the
 * caller's. */
static int pipe_detach(struct output_pipe *pipe)
{
	if (pipe->len > 0 && !pipe->cut) {
		emit(pipe);
	}
	appd_source_remove(pipe->source);
	wl_list_remove(&pipe->link);
	int fd = pipe->fd;
	free(pipe);
	return fd;
}

static void pipe_close(struct output_pipe *pipe)
{
	close(pipe_detach(pipe));
}

enum read_result {
	READ_SOME,
	READ_NONE, /* nothing there now */
	READ_END, /* the pipe is closed and freed */
};

static enum read_result read_some(struct output_pipe *pipe)
{
	struct appd_output *out = pipe->output;
	char buf[4096];
	ssize_t n = read(pipe->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return READ_NONE;
	}
	if (n <= 0) {
		/* The writers are gone (or the pipe broke). */
		pipe_close(pipe);
		return READ_END;
	}
	out->read += (size_t)n;
	feed(pipe, buf, (size_t)n);
	return READ_SOME;
}

static void pause_reading(struct appd_output *out)
{
	/* Only with a timer to read again. */
	arm_window_end(out);
	if (!out->timer_armed) {
		return;
	}
	out->paused = true;
	struct output_pipe *p;
	wl_list_for_each (p, &out->pipes, link) {
		appd_source_remove(p->source);
		p->source = NULL;
	}
}

static void handle_pipe(int fd, uint32_t events, void *data)
{
	struct output_pipe *pipe = data;
	struct appd_output *out = pipe->output;
	for (int i = 0; i < OUTPUT_READS && !out->paused; i++) {
		next_window_if_due(out);
		if (read_some(pipe) != READ_SOME) {
			return;
		}
		if (out->read >= OUTPUT_READ_MAX) {
			pause_reading(out);
		}
	}
}

static bool watch(struct output_pipe *pipe, struct weft_error *err)
{
	pipe->source = appd_loop_add_fd(pipe->output->loop, pipe->fd, EPOLLIN, handle_pipe, pipe,
		err);
	return pipe->source != NULL;
}

static void handle_timer(void *data)
{
	struct appd_output *out = data;
	out->timer_armed = false;
	end_window(out);
	if (!out->paused) {
		return;
	}
	out->paused = false;
	struct output_pipe *p, *tmp;
	wl_list_for_each_safe (p, tmp, &out->pipes, link) {
		struct weft_error err = { 0 };
		if (!watch(p, &err)) {
			weft_log(WEFT_WARN, "%s %s: output: %s; no more of it", out->owner,
				p->name, err.msg);
			pipe_close(p);
		}
	}
}

struct appd_output *appd_output_create(struct appd_loop *loop, const char *owner,
	struct weft_error *err)
{
	struct appd_output *out = calloc(1, sizeof(*out));
	if (out == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	out->loop = loop;
	snprintf(out->owner, sizeof(out->owner), "%s", owner);
	out->window_start = weft_now_ms();
	out->next_id = 1;
	wl_list_init(&out->pipes);
	out->timer = appd_loop_add_timer(loop, handle_timer, out, err);
	if (out->timer == NULL) {
		free(out);
		return NULL;
	}
	return out;
}

uint64_t appd_output_add(struct appd_output *out, const char *name, int fd, struct weft_error *err)
{
	struct output_pipe *pipe = calloc(1, sizeof(*pipe));
	if (pipe == NULL) {
		weft_error_set(err, "out of memory");
		close(fd);
		return 0;
	}
	pipe->output = out;
	pipe->id = out->next_id++;
	pipe->fd = fd;
	snprintf(pipe->name, sizeof(pipe->name), "%s", name);
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
		weft_error_errno(err, "output pipe");
		close(fd);
		free(pipe);
		return 0;
	}
	if (!out->paused && !watch(pipe, err)) {
		close(fd);
		free(pipe);
		return 0;
	}
	wl_list_insert(&out->pipes, &pipe->link);
	return pipe->id;
}

uint64_t appd_output_open(struct appd_output *out, const char *name, int *write_fd,
	struct weft_error *err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		weft_error_errno(err, "pipe");
		return 0;
	}
	uint64_t id = appd_output_add(out, name, fds[0], err);
	if (id == 0) {
		close(fds[1]);
		return 0;
	}
	*write_fd = fds[1];
	return id;
}

int appd_output_take(struct appd_output *out, uint64_t id)
{
	struct output_pipe *p;
	wl_list_for_each (p, &out->pipes, link) {
		if (p->id == id) {
			return pipe_detach(p);
		}
	}
	return -1;
}

void appd_output_destroy(struct appd_output *out)
{
	if (out == NULL) {
		return;
	}
	/* What the exited writers left in the pipes, up to a second's worth of
	 * reading: a writer that is still there could write on for ever. */
	int reads = OUTPUT_READ_MAX / 4096;
	while (!wl_list_empty(&out->pipes)) {
		struct output_pipe *p = wl_container_of(out->pipes.next, p, link);
		enum read_result r = READ_SOME;
		while (r == READ_SOME && reads-- > 0) {
			r = read_some(p);
		}
		if (r != READ_END) {
			pipe_close(p);
		}
	}
	if (out->suppressed > 0) {
		end_window(out);
	}
	appd_source_remove(out->timer);
	free(out);
}
