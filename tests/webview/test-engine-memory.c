/*
 * The engine's allocator setting: once a Servo engine runs in the process,
 * a block of 1 MiB or more is mapped on its own, even after a larger one
 * was freed (which, with glibc's default dynamic threshold, would have sent
 * every later block of that size to the main heap, where freed memory stays
 * with the process: WebRender's atlases and frames on llvmpipe).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "weft/webview.h"

#define MIB ((size_t)1 << 20)

/* Whether address lies in the main heap ([heap] in /proc/self/maps);
 * *found says whether any mapping holds it at all. */
static bool in_main_heap(const void *address, bool *found)
{
	*found = false;
	FILE *maps = fopen("/proc/self/maps", "re");
	if (maps == NULL) {
		return false;
	}
	uintptr_t at = (uintptr_t)address;
	bool heap = false;
	char line[512];
	while (fgets(line, sizeof(line), maps) != NULL) {
		unsigned long start, end;
		if (sscanf(line, "%lx-%lx", &start, &end) != 2 || at < start || at >= end) {
			continue;
		}
		*found = true;
		heap = strstr(line, "[heap]") != NULL;
		break;
	}
	fclose(maps);
	return heap;
}

static void test_large_blocks_are_mapped_apart(void)
{
	/* Freeing a mapped 8 MiB block is what makes glibc's default
	 * threshold climb to 8 MiB. */
	char *big = malloc(8 * MIB);
	ASSERT(big != NULL);
	memset(big, 1, 8 * MIB);
	free(big);

	char *block = malloc(4 * MIB);
	ASSERT(block != NULL);
	memset(block, 1, 4 * MIB);
	bool found;
	bool heap = in_main_heap(block, &found);
	EXPECT(found);
	EXPECT(!heap);
	free(block);
}

int main(int argc, char **argv)
{
	/* Surfaceless software rendering: no display of our own. */
	setenv("WAYLAND_DISPLAY", "weft-test-engine-memory-no-such-display", 1);
	unsetenv("DISPLAY");
	const struct weft_webview_engine_options options = {
		.log_level = WEFT_WEBVIEW_LOG_ERROR,
	};
	struct weft_webview_engine *engine = weft_webview_engine_create(&options);
	if (engine == NULL) {
		fprintf(stderr, "test-engine-memory: no engine\n");
		return 1;
	}
	static const struct test_case cases[] = {
		TEST_CASE(test_large_blocks_are_mapped_apart),
	};
	int rc = test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
	weft_webview_engine_destroy(engine);
	return rc;
}
