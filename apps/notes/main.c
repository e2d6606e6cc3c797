/*
 * org.weft.demo.notes: one text kept in /data/notes.txt (the app data
 * directory, granted by fs:rw:app-data). "load" answers {"text": ...};
 * "save:<text>" replaces the file atomically, answers with the saved text and
 * asks the system UI to show "Saved" (sys:notifications). Failures answer
 * {"error": ...}.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wapp.h"

#define NOTES_PATH "/data/notes.txt"
#define NOTES_TMP "/data/.notes.txt.tmp"
#define NOTES_MAX (1024 * 1024)

static void send_str(const char *s)
{
	char *err = NULL;
	if (!wapp_ipc_send(s, strlen(s), &err)) {
		fprintf(stderr, "notes: ipc.send: %s\n", err);
		free(err);
	}
}

static void send_error(const char *what, int errnum)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errnum));
	char *quoted = wapp_json_quote(msg, strlen(msg));
	char *reply = malloc(strlen(quoted) + 16);
	if (reply == NULL) {
		abort();
	}
	sprintf(reply, "{\"error\":%s}", quoted);
	send_str(reply);
	free(reply);
	free(quoted);
}

static void send_text(const char *text, size_t len, bool saved)
{
	char *quoted = wapp_json_quote(text, len);
	char *reply = malloc(strlen(quoted) + 32);
	if (reply == NULL) {
		abort();
	}
	sprintf(reply, "{%s\"text\":%s}", saved ? "\"saved\":true," : "", quoted);
	send_str(reply);
	free(reply);
	free(quoted);
}

static void load(void)
{
	struct stat st;
	if (stat("/data", &st) != 0) {
		send_error("no data directory (/data)", errno);
		return;
	}
	int fd = open(NOTES_PATH, O_RDONLY);
	if (fd < 0) {
		if (errno == ENOENT) {
			send_text("", 0, false);
		} else {
			send_error("open " NOTES_PATH, errno);
		}
		return;
	}
	char *buf = malloc(NOTES_MAX);
	if (buf == NULL) {
		abort();
	}
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, NOTES_MAX - len);
		if (n < 0) {
			send_error("read " NOTES_PATH, errno);
			goto out;
		}
		if (n == 0 || len + (size_t)n == NOTES_MAX) {
			len += (size_t)n;
			break;
		}
		len += (size_t)n;
	}
	send_text(buf, len, false);
out:
	free(buf);
	close(fd);
}

/* A notification for the person who saved: the note is on disk whether or
 * not it can be shown (no system UI, or sys:notifications not granted), so a
 * refusal is only logged, once. */
static void notify_saved(void)
{
	static bool warned;
	char *err = NULL;
	if (!wapp_notify("Saved", "Your note is saved.", NULL, &err)) {
		if (!warned) {
			fprintf(stderr, "notes: no notification: %s\n", err);
			warned = true;
		}
		free(err);
	}
}

static bool write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			return false;
		}
		data += n;
		len -= (size_t)n;
	}
	return true;
}

/* Write a temporary file and rename it over the old one, so that a crash
 * leaves either the old text or the new one. */
static void save(const char *text, size_t len)
{
	int fd = open(NOTES_TMP, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		send_error("open " NOTES_TMP, errno);
		return;
	}
	if (!write_all(fd, text, len) || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(NOTES_TMP);
		send_error("write " NOTES_TMP, e);
		return;
	}
	close(fd);
	if (rename(NOTES_TMP, NOTES_PATH) != 0) {
		int e = errno;
		unlink(NOTES_TMP);
		send_error("rename " NOTES_PATH, e);
		return;
	}
	send_text(text, len, true);
	notify_saved();
}

int main(void)
{
	wapp_ready();
	for (;;) {
		size_t len;
		char *msg = wapp_ipc_wait(&len);
		if (strcmp(msg, "load") == 0) {
			load();
		} else if (strncmp(msg, "save:", 5) == 0) {
			save(msg + 5, len - 5);
		} else {
			send_str("{\"error\":\"unknown message\"}");
		}
		free(msg);
	}
}
