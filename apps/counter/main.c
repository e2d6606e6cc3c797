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
		char *msg = wapp_ipc_wait(NULL);
		if (strcmp(msg, "increment") == 0) {
			count++;
		} else if (strcmp(msg, "decrement") == 0) {
			count--;
		} else if (strcmp(msg, "reset") == 0) {
			count = 0;
		} else if (strcmp(msg, "get") != 0) {
			static const char unknown[] = "{\"error\":\"unknown message\"}";
			free(msg);
			wapp_ipc_send(unknown, strlen(unknown), NULL);
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
