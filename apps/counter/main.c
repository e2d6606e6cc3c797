/*
 * org.weft.demo.counter: a number the UI changes with increment, decrement
 * and reset; every message is answered with {"count":N}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wapp.h"

int main(void)
{
	long count = 0;

	wapp_ready();
	for (;;) {
		size_t len;
		char *msg = wapp_ipc_wait(&len);
		if (strcmp(msg, "increment") == 0) {
			count++;
		} else if (strcmp(msg, "decrement") == 0) {
			count--;
		} else if (strcmp(msg, "reset") == 0) {
			count = 0;
		} else if (strcmp(msg, "get") != 0) {
			char *quoted = wapp_json_quote(msg, len);
			char reply[256];
			snprintf(reply, sizeof(reply),
				"{\"error\":\"unknown message\",\"message\":%.200s}", quoted);
			free(quoted);
			free(msg);
			wapp_ipc_send(reply, strlen(reply), NULL);
			continue;
		}
		free(msg);

		char reply[64];
		int n = snprintf(reply, sizeof(reply), "{\"count\":%ld}", count);
		char *err = NULL;
		if (!wapp_ipc_send(reply, (size_t)n, &err)) {
			fprintf(stderr, "counter: ipc.send: %s\n", err);
			free(err);
		}
	}
}
