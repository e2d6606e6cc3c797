/* A test guest that allocates (and touches) memory until it is stopped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wapp.h"

/* Keeps the compiler from eliding allocations nobody reads. */
char *volatile memhog_sink;

int main(void)
{
	size_t total = 0;
	wapp_ready();
	for (;;) {
		char *p = malloc(1 << 20);
		if (p == NULL) {
			fprintf(stderr, "memhog: allocation failed after %zu MiB\n", total >> 20);
			abort();
		}
		memset(p, 1, 1 << 20);
		memhog_sink = p;
		total += 1 << 20;
	}
}
