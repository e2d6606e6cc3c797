/*
 * weft-test-input: input for the end-to-end tests, through the compositor's
 * virtual pointer and keyboard (offered with --expose-test-protocols), so that
 * a pytest suite clicks and types as a user would.
 *
 *   weft-test-input click X Y          left click at (X, Y) of the 1280x720 output
 *   weft-test-input key [MOD...] KEY   one key (a single character or an xkb
 *                                      keysym name) with xkb modifiers held,
 *                                      e.g. "key Control s"
 *   weft-test-input type TEXT          TEXT typed key by key (US layout, ASCII)
 *
 * It connects to $WAYLAND_DISPLAY in $XDG_RUNTIME_DIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xkbcommon/xkbcommon.h>

#include "compositor/client.h"

struct key_search {
	xkb_keysym_t sym;
	xkb_keycode_t code;
	bool shifted;
};

static void find_key(struct xkb_keymap *keymap, xkb_keycode_t code, void *data)
{
	struct key_search *search = data;
	if (search->code != XKB_KEYCODE_INVALID) {
		return;
	}
	/* Level 1 is the key alone, level 2 with Shift, in the US layout. */
	for (xkb_level_index_t level = 0; level < 2; level++) {
		const xkb_keysym_t *syms;
		int n = xkb_keymap_key_get_syms_by_level(keymap, code, 0, level, &syms);
		for (int i = 0; i < n; i++) {
			if (syms[i] == search->sym) {
				search->code = code;
				search->shifted = level == 1;
				return;
			}
		}
	}
}

/* The evdev code that gives sym in the US layout, and whether it needs Shift. */
static bool key_for(struct xkb_keymap *keymap, xkb_keysym_t sym, uint32_t *key, bool *shifted)
{
	struct key_search search = { .sym = sym, .code = XKB_KEYCODE_INVALID };
	xkb_keymap_key_for_each(keymap, find_key, &search);
	if (search.code == XKB_KEYCODE_INVALID) {
		return false;
	}
	*key = search.code - 8; /* xkb keycodes are evdev codes + 8 */
	*shifted = search.shifted;
	return true;
}

static xkb_keysym_t keysym_named(const char *name)
{
	if (strlen(name) == 1) {
		return xkb_utf32_to_keysym((unsigned char)name[0]);
	}
	return xkb_keysym_from_name(name, XKB_KEYSYM_NO_FLAGS);
}

static int usage(FILE *out)
{
	fprintf(out,
		"Usage: weft-test-input click X Y\n"
		"       weft-test-input key [MOD...] KEY\n"
		"       weft-test-input type TEXT\n");
	return out == stdout ? 0 : 2;
}

/* Presses sym, with mods and Shift when the layout needs it. */
static bool press(struct tc_client *client, struct xkb_keymap *keymap, const char **mods,
	size_t n_mods, xkb_keysym_t sym)
{
	uint32_t key;
	bool shifted;
	if (sym == XKB_KEY_NoSymbol || !key_for(keymap, sym, &key, &shifted)) {
		return false;
	}
	const char *held[8] = { 0 };
	size_t n = 0;
	for (size_t i = 0; i < n_mods && n < 6; i++) {
		held[n++] = mods[i];
	}
	if (shifted) {
		held[n++] = "Shift";
	}
	tc_key(client, held, key);
	return true;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		return usage(stdout);
	}
	if (argc < 3) {
		return usage(stderr);
	}
	const char *display = getenv("WAYLAND_DISPLAY");
	const char *runtime_dir = getenv("XDG_RUNTIME_DIR");
	if (display == NULL || runtime_dir == NULL) {
		fprintf(stderr,
			"weft-test-input: WAYLAND_DISPLAY and XDG_RUNTIME_DIR must be set\n");
		return 1;
	}
	struct tc_compositor c = { .runtime_dir = (char *)runtime_dir };
	snprintf(c.socket, sizeof(c.socket), "%s", display);

	struct xkb_context *ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_rule_names names = { .layout = "us" };
	struct xkb_keymap *keymap = ctx != NULL
		? xkb_keymap_new_from_names(ctx, &names, XKB_KEYMAP_COMPILE_NO_FLAGS)
		: NULL;
	if (keymap == NULL) {
		fprintf(stderr, "weft-test-input: cannot compile a US keymap\n");
		xkb_context_unref(ctx);
		return 1;
	}

	int status = 0;
	struct tc_client *client = tc_client_connect(&c);
	if (strcmp(argv[1], "click") == 0 && argc == 4) {
		tc_click(client, atoi(argv[2]), atoi(argv[3]));
	} else if (strcmp(argv[1], "key") == 0 && argc <= 9) {
		xkb_keysym_t sym = keysym_named(argv[argc - 1]);
		if (!press(client, keymap, (const char **)argv + 2, (size_t)argc - 3, sym)) {
			fprintf(stderr, "weft-test-input: no key gives '%s'\n", argv[argc - 1]);
			status = 1;
		}
	} else if (strcmp(argv[1], "type") == 0 && argc == 3) {
		for (const char *p = argv[2]; *p != '\0' && status == 0; p++) {
			xkb_keysym_t sym = *p == '\n' ? XKB_KEY_Return
						      : xkb_utf32_to_keysym((unsigned char)*p);
			if ((unsigned char)*p >= 0x80 || !press(client, keymap, NULL, 0, sym)) {
				fprintf(stderr, "weft-test-input: cannot type '%c'\n", *p);
				status = 1;
			}
		}
	} else {
		status = usage(stderr);
	}
	tc_client_destroy(client);
	xkb_keymap_unref(keymap);
	xkb_context_unref(ctx);
	return status;
}
