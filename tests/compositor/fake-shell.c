/*
 * A stand-in system shell for the compositor's tests, run as --shell
 * "fake-shell LOG": it writes "ready" and then every message of its shell
 * channel (WEFT_SHELL_FD), one a line, to the file LOG. It never speaks
 * Wayland, but keeps its WAYLAND_SOCKET open, so it stays the shell.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>

int main(int argc, char **argv)
{
	const char *env = getenv("WEFT_SHELL_FD");
	if (argc != 2 || env == NULL) {
		fprintf(stderr, "usage: WEFT_SHELL_FD=FD fake-shell LOG\n");
		return 2;
	}
	char *end;
	long fd = strtol(env, &end, 10);
	if (*end != '\0' || fd < 0 || fd > 1024) {
		fprintf(stderr, "fake-shell: bad WEFT_SHELL_FD %s\n", env);
		return 2;
	}
	FILE *log = fopen(argv[1], "a");
	if (log == NULL) {
		perror(argv[1]);
		return 1;
	}
	fputs("ready\n", log);
	fflush(log);
	static char buf[65536];
	for (;;) {
		ssize_t n = recv((int)fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		fwrite(buf, 1, (size_t)n, log);
		fputc('\n', log);
		fflush(log);
	}
	return fclose(log) == 0 ? 0 : 1;
}
