#ifndef WEFT_COMPOSITOR_OUTPUT_H
#define WEFT_COMPOSITOR_OUTPUT_H

#include <wayland-server-core.h>

struct weft_server;
struct wlr_output;

struct weft_output {
	struct weft_server *server;
	struct wlr_output *wlr_output;
	struct wl_list link; /* weft_server.outputs, oldest first */
	struct wl_listener frame;
	struct wl_listener present;
	struct wl_listener destroy;
};

#endif
