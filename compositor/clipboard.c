/*
 * The clipboard that apps reach through appd (sys:clipboard:read and
 * sys:clipboard:write, design §4): the seat's selection, the very one that
 * ordinary clients copy to and paste from. Text an app writes is offered by
 * a data source of our own; the selection, whoever owns it, is read as
 * UTF-8 text.
 *
 * Either way the bytes go through a pipe with a client at the other end, so
 * both are watched by the event loop and bounded: a read has a size cap and
 * a time-out, a paste of our text is dropped when its reader stalls. A
 * client that never writes or never reads costs an fd and a timer until
 * then, and never blocks the compositor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_seat.h>

#include "seat.h"
#include "server.h"
#include "weft/compositor-protocol.h"
#include "weft/log.h"

#define READ_TIMEOUT_MS 2000
/* A paste whose reader has taken nothing for this long is dropped. */
#define SEND_STALL_MS 5000
/* In flight at once; more means someone floods us. */
#define MAX_READS 16
#define MAX_SENDS 32
#define READ_CHUNK 4096

/* What our source offers, and what a read looks for, best first. Every one
 * carries UTF-8, as other Wayland clients do for the X11 names too. */
static const char *const text_types[] = {
	"text/plain;charset=utf-8",
	"UTF8_STRING",
	"text/plain",
	"TEXT",
	"STRING",
};
#define N_TEXT_TYPES (sizeof(text_types) / sizeof(text_types[0]))

/* Text shared by our source and the pastes still writing it out. */
struct text {
	int refs;
	size_t len;
	char data[];
};

struct weft_clipboard {
	struct weft_server *server;
	struct wl_list reads; /* weft_clipboard_read.link */
	struct wl_list sends; /* send.link */
	size_t n_reads, n_sends;
};

/* An app's text, the seat's selection until something replaces it. */
struct source {
	struct wlr_data_source base;
	struct weft_clipboard *clipboard;
	struct text *text;
};

/* One paste of our text into a client's pipe. */
struct send {
	struct wl_list link; /* weft_clipboard.sends */
	struct weft_clipboard *clipboard;
	struct text *text;
	size_t done;
	int fd;
	struct wl_event_source *writable, *timer;
};

struct weft_clipboard_read {
	struct wl_list link; /* weft_clipboard.reads */
	struct weft_clipboard *clipboard;
	weft_clipboard_read_func func;
	void *data;
	int fd;
	char *buf;
	size_t len, cap;
	struct wl_event_source *readable, *timer;
};

static void text_unref(struct text *text)
{
	if (text != NULL && --text->refs == 0) {
		free(text);
	}
}

static bool is_text(const char *s, size_t len)
{
	/* A NUL would cut the text short on its way to the app. */
	return memchr(s, '\0', len) == NULL && weft_utf8_invalid_at(s, len) == len;
}

/* mime's place in text_types, or -1. The first also comes with another
 * spelling of the charset or a space before it. */
static int text_type_rank(const char *mime)
{
	if (strncasecmp(mime, "text/plain", 10) == 0) {
		const char *p = mime + 10 + strspn(mime + 10, " ");
		if (*p == ';') {
			p += 1 + strspn(p + 1, " ");
			return strcasecmp(p, "charset=utf-8") == 0 ? 0 : -1;
		}
	}
	for (size_t i = 1; i < N_TEXT_TYPES; i++) {
		if (strcasecmp(mime, text_types[i]) == 0) {
			return (int)i;
		}
	}
	return -1;
}

static const char *best_text_type(struct wlr_data_source *source)
{
	const char *best = NULL;
	int best_rank = -1;
	char **mime;
	wl_array_for_each (mime, &source->mime_types) {
		int rank = *mime != NULL ? text_type_rank(*mime) : -1;
		if (rank >= 0 && (best == NULL || rank < best_rank)) {
			best = *mime;
			best_rank = rank;
		}
	}
	return best;
}

/* ---- pasting our text ---- */

static void send_destroy(struct send *send)
{
	if (send->writable != NULL) {
		wl_event_source_remove(send->writable);
	}
	if (send->timer != NULL) {
		wl_event_source_remove(send->timer);
	}
	close(send->fd);
	text_unref(send->text);
	wl_list_remove(&send->link);
	send->clipboard->n_sends--;
	free(send);
}

/* Writes what the pipe takes; false once the paste is over (and freed). */
static bool send_flush(struct send *send)
{
	while (send->done < send->text->len) {
		ssize_t n = write(send->fd, send->text->data + send->done,
			send->text->len - send->done);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			return true;
		}
		if (n < 0) {
			/* EPIPE: the reader gave up. The server blocks SIGPIPE. */
			weft_log(WEFT_DEBUG, "clipboard: paste: %s", strerror(errno));
			break;
		}
		send->done += (size_t)n;
		if (send->timer != NULL) {
			wl_event_source_timer_update(send->timer, SEND_STALL_MS);
		}
	}
	send_destroy(send);
	return false;
}

static int handle_send_writable(int fd, uint32_t mask, void *data)
{
	struct send *send = data;
	if (mask & WL_EVENT_ERROR) {
		send_destroy(send);
		return 0;
	}
	send_flush(send);
	return 0;
}

static int handle_send_stalled(void *data)
{
	struct send *send = data;
	weft_log(WEFT_WARN, "clipboard: a paste took nothing for %d ms; dropped", SEND_STALL_MS);
	send_destroy(send);
	return 0;
}

/* Takes ownership of fd. */
static void send_start(struct weft_clipboard *clipboard, struct text *text, int fd)
{
	if (clipboard->n_sends >= MAX_SENDS) {
		weft_log(WEFT_WARN, "clipboard: %d pastes in flight; refusing another", MAX_SENDS);
		close(fd);
		return;
	}
	struct send *send = calloc(1, sizeof(*send));
	int flags = fcntl(fd, F_GETFL);
	if (send == NULL || flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		weft_log_errno(WEFT_WARN, "clipboard: paste");
		free(send);
		close(fd);
		return;
	}
	send->clipboard = clipboard;
	send->fd = fd;
	send->text = text;
	text->refs++;
	wl_list_insert(&clipboard->sends, &send->link);
	clipboard->n_sends++;
	if (!send_flush(send)) {
		return;
	}
	struct wl_event_loop *loop = clipboard->server->loop;
	send->writable = wl_event_loop_add_fd(loop, fd, WL_EVENT_WRITABLE, handle_send_writable,
		send);
	send->timer = wl_event_loop_add_timer(loop, handle_send_stalled, send);
	if (send->writable == NULL || send->timer == NULL ||
		wl_event_source_timer_update(send->timer, SEND_STALL_MS) != 0) {
		weft_log(WEFT_WARN, "clipboard: paste: cannot watch the pipe");
		send_destroy(send);
	}
}

static void source_send(struct wlr_data_source *base, const char *mime_type, int32_t fd)
{
	struct source *source = wl_container_of(base, source, base);
	if (text_type_rank(mime_type) < 0) {
		close(fd);
		return;
	}
	send_start(source->clipboard, source->text, fd);
}

static void source_destroy(struct wlr_data_source *base)
{
	struct source *source = wl_container_of(base, source, base);
	text_unref(source->text);
	free(source);
}

static const struct wlr_data_source_impl source_impl = {
	.send = source_send,
	.destroy = source_destroy,
};

bool weft_clipboard_write(struct weft_clipboard *clipboard, const char *data, size_t len,
	const char **code, struct weft_error *err)
{
	if (len > WEFT_CLIPBOARD_MAX) {
		*code = WEFT_COMPOSITOR_ERR_TOO_LARGE;
		weft_error_set(err, "%zu bytes of text, more than the clipboard's %d", len,
			WEFT_CLIPBOARD_MAX);
		return false;
	}
	if (!is_text(data, len)) {
		*code = WEFT_COMPOSITOR_ERR_NOT_UTF8;
		weft_error_set(err, "the text is not UTF-8");
		return false;
	}
	*code = WEFT_COMPOSITOR_ERR_INTERNAL;
	struct source *source = calloc(1, sizeof(*source));
	struct text *text = malloc(sizeof(*text) + len);
	if (source == NULL || text == NULL) {
		free(source);
		free(text);
		weft_error_set(err, "out of memory");
		return false;
	}
	text->refs = 1;
	text->len = len;
	memcpy(text->data, data, len);
	source->text = text;
	wlr_data_source_init(&source->base, &source_impl);
	for (size_t i = 0; i < N_TEXT_TYPES; i++) {
		char **mime = wl_array_add(&source->base.mime_types, sizeof(*mime));
		if (mime == NULL || (*mime = strdup(text_types[i])) == NULL) {
			/* Frees the types added so far (free(NULL) for the last). */
			wlr_data_source_destroy(&source->base);
			weft_error_set(err, "out of memory");
			return false;
		}
	}
	source->clipboard = clipboard;
	/* The seat owns it now, and destroys it when a new selection comes. */
	wlr_seat_set_selection(clipboard->server->seat->seat, &source->base,
		wl_display_next_serial(clipboard->server->display));
	return true;
}

/* ---- reading the selection ---- */

static void read_free(struct weft_clipboard_read *reading)
{
	wl_list_remove(&reading->link);
	reading->clipboard->n_reads--;
	wl_event_source_remove(reading->readable);
	wl_event_source_remove(reading->timer);
	close(reading->fd);
	free(reading->buf);
	free(reading);
}

/* Answers with text, or with code and message when text is NULL. */
static void read_finish(struct weft_clipboard_read *reading, const char *text, const char *code,
	const char *message)
{
	reading->func(reading->data, text, reading->len, code, message);
	read_free(reading);
}

static void read_done(struct weft_clipboard_read *reading)
{
	/* The buffer is there: it grows before the first read. */
	if (!is_text(reading->buf, reading->len)) {
		read_finish(reading, NULL, WEFT_COMPOSITOR_ERR_NOT_UTF8,
			"the selection is not UTF-8 text");
		return;
	}
	read_finish(reading, reading->buf, NULL, NULL);
}

static int handle_read_readable(int fd, uint32_t mask, void *data)
{
	struct weft_clipboard_read *reading = data;
	for (;;) {
		if (reading->len == reading->cap) {
			/* One byte past the cap tells that there was too much. */
			size_t cap = reading->cap + READ_CHUNK + reading->cap / 2;
			if (cap > WEFT_CLIPBOARD_MAX + 1) {
				cap = WEFT_CLIPBOARD_MAX + 1;
			}
			char *buf = realloc(reading->buf, cap);
			if (buf == NULL) {
				read_finish(reading, NULL, WEFT_COMPOSITOR_ERR_INTERNAL,
					"out of memory");
				return 0;
			}
			reading->buf = buf;
			reading->cap = cap;
		}
		ssize_t n = read(fd, reading->buf + reading->len, reading->cap - reading->len);
		if (n > 0) {
			reading->len += (size_t)n;
			if (reading->len > WEFT_CLIPBOARD_MAX) {
				read_finish(reading, NULL, WEFT_COMPOSITOR_ERR_TOO_LARGE,
					"the selection is larger than the clipboard's 1 MiB");
				return 0;
			}
		} else if (n == 0) {
			read_done(reading);
			return 0;
		} else if (errno == EAGAIN) {
			return 0;
		} else if (errno != EINTR) {
			read_finish(reading, NULL, WEFT_COMPOSITOR_ERR_INTERNAL, strerror(errno));
			return 0;
		}
	}
}

static int handle_read_timeout(void *data)
{
	struct weft_clipboard_read *reading = data;
	read_finish(reading, NULL, WEFT_COMPOSITOR_ERR_TIMEOUT,
		"the selection's owner did not send it in time");
	return 0;
}

struct weft_clipboard_read *weft_clipboard_read(struct weft_clipboard *clipboard,
	weft_clipboard_read_func func, void *data, const char **code, struct weft_error *err)
{
	struct wlr_data_source *selection = clipboard->server->seat->seat->selection_source;
	const char *mime = selection != NULL ? best_text_type(selection) : NULL;
	if (mime == NULL) {
		*code = WEFT_COMPOSITOR_ERR_EMPTY;
		weft_error_set(err,
			selection == NULL ? "the clipboard is empty"
					  : "the clipboard holds no text");
		return NULL;
	}
	if (clipboard->n_reads >= MAX_READS) {
		*code = WEFT_COMPOSITOR_ERR_BUSY;
		weft_error_set(err, "%d clipboard reads are in flight already", MAX_READS);
		return NULL;
	}
	*code = WEFT_COMPOSITOR_ERR_INTERNAL;
	struct weft_clipboard_read *reading = calloc(1, sizeof(*reading));
	if (reading == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		weft_error_errno(err, "pipe");
		free(reading);
		return NULL;
	}
	/* Only our end: the other is shared with the client as it is, and a
	 * non-blocking write end would surprise it. */
	struct wl_event_loop *loop = clipboard->server->loop;
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0 ||
		(reading->readable = wl_event_loop_add_fd(loop, fds[0], WL_EVENT_READABLE,
			 handle_read_readable, reading)) == NULL ||
		(reading->timer = wl_event_loop_add_timer(loop, handle_read_timeout, reading)) ==
			NULL ||
		wl_event_source_timer_update(reading->timer, READ_TIMEOUT_MS) != 0) {
		weft_error_errno(err, "cannot watch the clipboard pipe");
		if (reading->readable != NULL) {
			wl_event_source_remove(reading->readable);
		}
		if (reading->timer != NULL) {
			wl_event_source_remove(reading->timer);
		}
		close(fds[0]);
		close(fds[1]);
		free(reading);
		return NULL;
	}
	reading->clipboard = clipboard;
	reading->func = func;
	reading->data = data;
	reading->fd = fds[0];
	wl_list_insert(&clipboard->reads, &reading->link);
	clipboard->n_reads++;
	/* Takes fds[1]; what comes back arrives through the loop, never now. */
	wlr_data_source_send(selection, mime, fds[1]);
	return reading;
}

void weft_clipboard_read_cancel(struct weft_clipboard_read *reading)
{
	if (reading != NULL) {
		read_free(reading);
	}
}

/* ---- the whole ---- */

struct weft_clipboard *weft_clipboard_create(struct weft_server *server)
{
	struct weft_clipboard *clipboard = calloc(1, sizeof(*clipboard));
	if (clipboard == NULL) {
		return NULL;
	}
	clipboard->server = server;
	wl_list_init(&clipboard->reads);
	wl_list_init(&clipboard->sends);
	return clipboard;
}

void weft_clipboard_destroy(struct weft_clipboard *clipboard)
{
	if (clipboard == NULL) {
		return;
	}
	struct weft_clipboard_read *reading, *rtmp;
	wl_list_for_each_safe (reading, rtmp, &clipboard->reads, link) {
		read_free(reading);
	}
	struct send *send, *stmp;
	wl_list_for_each_safe (send, stmp, &clipboard->sends, link) {
		send_destroy(send);
	}
	/* Our source would outlive us in the seat, and point back at us. */
	struct wlr_seat *seat = clipboard->server->seat->seat;
	if (seat->selection_source != NULL && seat->selection_source->impl == &source_impl) {
		wlr_seat_set_selection(seat, NULL,
			wl_display_next_serial(clipboard->server->display));
	}
	free(clipboard);
}
