/*
 * The guest's stdout and stderr. A guest may print, but not without limit:
 * at most RUNTIME_OUTPUT_MAX bytes a second of the two reach their fds
 * (appd's pipe, which appd relays into its log, or the terminal in
 * developer mode); the rest is dropped, and a line on stderr says how much
 * was, once the second is over and the guest writes again, or at exit. The
 * guest is told every write succeeded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

#define RUNTIME_OUTPUT_MAX (64 * 1024)
#define WINDOW_MS 1000

void runtime_output_init(struct runtime_output *output, int stdout_fd, int stderr_fd)
{
	*output = (struct runtime_output){
		.out = { .output = output, .fd = stdout_fd },
		.err = { .output = output, .fd = stderr_fd },
		.window_start = weft_now_ms(),
	};
	pthread_mutex_init(&output->lock, NULL);
}

static void write_all(struct runtime_output_stream *stream, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(stream->fd, buf, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return; /* nobody to tell: what the guest wrote is lost */
		}
		/* In developer mode both streams are stderr. */
		struct runtime_output *output = stream->output;
		bool mid_line = buf[n - 1] != '\n';
		if (output->out.fd == stream->fd) {
			output->out.mid_line = mid_line;
		}
		if (output->err.fd == stream->fd) {
			output->err.mid_line = mid_line;
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void say_dropped(struct runtime_output *output)
{
	if (output->dropped == 0) {
		return;
	}
	char line[160];
	int n = snprintf(line, sizeof(line),
		"%sweft-runtime: %zu bytes of the guest's output dropped (over %d bytes a "
		"second)\n",
		output->err.mid_line ? "\n" : "", output->dropped, RUNTIME_OUTPUT_MAX);
	write_all(&output->err, line, (size_t)n);
	output->dropped = 0;
}

static intptr_t handle_write(void *data, const unsigned char *buf, size_t len)
{
	struct runtime_output_stream *stream = data;
	struct runtime_output *output = stream->output;
	pthread_mutex_lock(&output->lock);
	int64_t now = weft_now_ms();
	if (now - output->window_start >= WINDOW_MS) {
		say_dropped(output);
		output->window_start = now;
		output->written = 0;
	}
	size_t room = RUNTIME_OUTPUT_MAX - output->written;
	size_t n = len < room ? len : room;
	write_all(stream, (const char *)buf, n);
	output->written += n;
	output->dropped += len - n;
	pthread_mutex_unlock(&output->lock);
	return (intptr_t)len;
}

void runtime_output_configure(wasi_config_t *wasi, struct runtime_output *output)
{
	wasi_config_set_stdout_custom(wasi, handle_write, &output->out, NULL);
	wasi_config_set_stderr_custom(wasi, handle_write, &output->err, NULL);
}

void runtime_output_finish(struct runtime_output *output)
{
	pthread_mutex_lock(&output->lock);
	say_dropped(output);
	pthread_mutex_unlock(&output->lock);
}
