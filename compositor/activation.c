/*
 * xdg-activation: a window asks for the focus with a token. Only a token
 * that a client made while it had the keyboard, from one of its recent
 * input events, gives it; anything else is ignored, so that a program
 * cannot take the keyboard from what the user is typing into.
 */
#include <stdlib.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_xdg_activation_v1.h>

#include "seat.h"
#include "server.h"
#include "view.h"
#include "weft/log.h"

struct weft_activation {
	struct weft_server *server;
	struct wlr_xdg_activation_v1 *wlr;
	struct wl_listener request_activate;
};

static bool token_valid(struct weft_server *server, struct wlr_xdg_activation_token_v1 *token)
{
	struct wlr_seat *seat = server->seat->seat;
	struct wlr_surface *focused = seat->keyboard_state.focused_surface;
	if (token->seat != seat || token->surface == NULL || focused == NULL) {
		return false;
	}
	struct wl_client *client = wl_resource_get_client(token->surface->resource);
	if (client != wl_resource_get_client(focused->resource)) {
		return false;
	}
	struct wlr_seat_client *seat_client = wlr_seat_client_for_wl_client(seat, client);
	return seat_client != NULL &&
		wlr_seat_client_validate_event_serial(seat_client, token->serial);
}

static void handle_request_activate(struct wl_listener *listener, void *data)
{
	struct weft_activation *activation = wl_container_of(listener, activation,
		request_activate);
	struct weft_server *server = activation->server;
	struct wlr_xdg_activation_v1_request_activate_event *event = data;
	struct weft_view *view = weft_view_from_surface(server, event->surface);
	if (view == NULL || !view->mapped) {
		return;
	}
	if (!token_valid(server, event->token)) {
		weft_log(WEFT_DEBUG,
			"activation of '%s' ignored: the token was not made "
			"by the focused client from its input",
			view->app_id != NULL ? view->app_id : "");
		return;
	}
	weft_view_set_minimized(view, false);
	weft_policy_raise(view);
	weft_policy_focus(server, view);
}

struct weft_activation *weft_activation_create(struct weft_server *server)
{
	struct weft_activation *activation = calloc(1, sizeof(*activation));
	if (activation == NULL) {
		return NULL;
	}
	/* Goes with the display. */
	activation->wlr = wlr_xdg_activation_v1_create(server->display);
	if (activation->wlr == NULL) {
		free(activation);
		return NULL;
	}
	activation->server = server;
	activation->request_activate.notify = handle_request_activate;
	wl_signal_add(&activation->wlr->events.request_activate, &activation->request_activate);
	return activation;
}

void weft_activation_destroy(struct weft_activation *activation)
{
	if (activation == NULL) {
		return;
	}
	wl_list_remove(&activation->request_activate.link);
	weft_server_check_unheard(activation->server, "wlr_xdg_activation_v1",
		WEFT_EVENTS(activation->wlr));
	free(activation);
}
