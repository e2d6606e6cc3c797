#ifndef WEFT_COMPOSITOR_OUTPUT_H
#define WEFT_COMPOSITOR_OUTPUT_H

#include <stdbool.h>
#include <time.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_output.h>

struct weft_server;

struct weft_output {
	struct weft_server *server;
	struct wlr_output *wlr_output;
	struct wl_list link; /* weft_server.outputs, oldest first */
	struct wl_listener frame;
	struct wl_listener present;
	struct wl_listener destroy;
	/* Headless: a damaged output renders at once when its last frame is a
	 * refresh period old, else a period after it (output.c). */
	struct wl_listener needs_frame;
	struct wl_event_source *prompt_timer;
	struct wl_event_source *prompt_idle;
	struct timespec last_frame;

	/* Present events that wlroots 0.15 sends too early or misnumbered are
	 * sent again (output.c). */
	bool committing, resending;
	bool present_deferred;
	struct wlr_output_event_present deferred;
	struct timespec deferred_when;
};

#endif
