/*
 * Text input: a client's text field (text-input-v3) and an input method
 * (input-method-v2, an on-screen keyboard or an IME; a privileged global)
 * talk through the compositor. The text input of the keyboard-focused
 * surface that is enabled is the one the input method serves: its enable,
 * state and disable go to the input method as activate, state and
 * deactivate; the input method's commits (preedit, commit string, deletion)
 * come back to it. One input method at a time: a second is told it is
 * unavailable.
 */
#include <stdlib.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_input_method_v2.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_surface.h>
#include <wlr/types/wlr_text_input_v3.h>

#include "seat.h"
#include "server.h"
#include "weft/log.h"

struct weft_text_input {
	struct weft_server *server;
	struct wlr_text_input_manager_v3 *text_input_manager;
	struct wlr_input_method_manager_v2 *input_method_manager;
	struct wl_list inputs; /* weft_text_field.link */
	struct wlr_input_method_v2 *input_method; /* the one served, or NULL */

	struct wl_listener new_text_input;
	struct wl_listener new_input_method;
	struct wl_listener focus_change;
	struct wl_listener input_method_commit;
	struct wl_listener input_method_destroy;
};

/* One client's text-input-v3 object. */
struct weft_text_field {
	struct weft_text_input *relay;
	struct wlr_text_input_v3 *input;
	struct wl_list link; /* weft_text_input.inputs */
	struct wl_listener enable;
	struct wl_listener commit;
	struct wl_listener disable;
	struct wl_listener destroy;
};

/* The enabled text input of the focused surface, if any. */
static struct weft_text_field *active_field(struct weft_text_input *relay)
{
	struct weft_text_field *field;
	wl_list_for_each (field, &relay->inputs, link) {
		if (field->input->focused_surface != NULL && field->input->current_enabled) {
			return field;
		}
	}
	return NULL;
}

/* Hands the input method the text field's state, then done. */
static void send_state(struct weft_text_input *relay, struct wlr_text_input_v3 *input)
{
	struct wlr_input_method_v2 *im = relay->input_method;
	if (input->active_features & WLR_TEXT_INPUT_V3_FEATURE_SURROUNDING_TEXT) {
		wlr_input_method_v2_send_surrounding_text(im,
			input->current.surrounding.text != NULL ? input->current.surrounding.text
								: "",
			input->current.surrounding.cursor, input->current.surrounding.anchor);
	}
	wlr_input_method_v2_send_text_change_cause(im, input->current.text_change_cause);
	if (input->active_features & WLR_TEXT_INPUT_V3_FEATURE_CONTENT_TYPE) {
		wlr_input_method_v2_send_content_type(im, input->current.content_type.hint,
			input->current.content_type.purpose);
	}
	wlr_input_method_v2_send_done(im);
}

static void handle_enable(struct wl_listener *listener, void *data)
{
	struct weft_text_field *field = wl_container_of(listener, field, enable);
	struct weft_text_input *relay = field->relay;
	if (relay->input_method == NULL) {
		return;
	}
	wlr_input_method_v2_send_activate(relay->input_method);
	send_state(relay, field->input);
}

static void handle_commit(struct wl_listener *listener, void *data)
{
	struct weft_text_field *field = wl_container_of(listener, field, commit);
	struct weft_text_input *relay = field->relay;
	if (relay->input_method == NULL || !field->input->current_enabled ||
		field->input->focused_surface == NULL) {
		return;
	}
	send_state(relay, field->input);
}

static void deactivate(struct weft_text_input *relay, struct weft_text_field *field)
{
	if (relay->input_method == NULL) {
		return;
	}
	wlr_input_method_v2_send_deactivate(relay->input_method);
	send_state(relay, field->input);
}

static void handle_disable(struct wl_listener *listener, void *data)
{
	struct weft_text_field *field = wl_container_of(listener, field, disable);
	if (field->input->focused_surface == NULL) {
		return;
	}
	deactivate(field->relay, field);
}

static void field_destroy(struct weft_text_field *field)
{
	wl_list_remove(&field->enable.link);
	wl_list_remove(&field->commit.link);
	wl_list_remove(&field->disable.link);
	wl_list_remove(&field->destroy.link);
	wl_list_remove(&field->link);
	free(field);
}

static void handle_text_input_destroy(struct wl_listener *listener, void *data)
{
	struct weft_text_field *field = wl_container_of(listener, field, destroy);
	struct weft_text_input *relay = field->relay;
	if (field->input->current_enabled && field->input->focused_surface != NULL) {
		deactivate(relay, field);
	}
	field_destroy(field);
}

static void handle_new_text_input(struct wl_listener *listener, void *data)
{
	struct weft_text_input *relay = wl_container_of(listener, relay, new_text_input);
	struct wlr_text_input_v3 *input = data;
	struct weft_text_field *field = calloc(1, sizeof(*field));
	if (field == NULL) {
		weft_log(WEFT_ERROR, "text input: out of memory");
		return;
	}
	field->relay = relay;
	field->input = input;
	field->enable.notify = handle_enable;
	wl_signal_add(&input->events.enable, &field->enable);
	field->commit.notify = handle_commit;
	wl_signal_add(&input->events.commit, &field->commit);
	field->disable.notify = handle_disable;
	wl_signal_add(&input->events.disable, &field->disable);
	field->destroy.notify = handle_text_input_destroy;
	wl_signal_add(&input->events.destroy, &field->destroy);
	wl_list_insert(&relay->inputs, &field->link);

	/* Created while its surface already has the keyboard. */
	struct wlr_surface *focused = relay->server->seat->seat->keyboard_state.focused_surface;
	if (focused != NULL &&
		wl_resource_get_client(focused->resource) ==
			wl_resource_get_client(input->resource)) {
		wlr_text_input_v3_send_enter(input, focused);
	}
}

static void handle_focus_change(struct wl_listener *listener, void *data)
{
	struct weft_text_input *relay = wl_container_of(listener, relay, focus_change);
	struct wlr_seat_keyboard_focus_change_event *event = data;
	struct weft_text_field *field;
	wl_list_for_each (field, &relay->inputs, link) {
		struct wlr_text_input_v3 *input = field->input;
		if (input->focused_surface != NULL &&
			input->focused_surface != event->new_surface) {
			if (input->current_enabled) {
				deactivate(relay, field);
			}
			wlr_text_input_v3_send_leave(input);
		}
		if (event->new_surface != NULL && input->focused_surface == NULL &&
			wl_resource_get_client(event->new_surface->resource) ==
				wl_resource_get_client(input->resource)) {
			wlr_text_input_v3_send_enter(input, event->new_surface);
		}
	}
}

static void handle_input_method_commit(struct wl_listener *listener, void *data)
{
	struct weft_text_input *relay = wl_container_of(listener, relay, input_method_commit);
	struct wlr_input_method_v2 *im = relay->input_method;
	struct weft_text_field *field = active_field(relay);
	if (field == NULL) {
		return;
	}
	struct wlr_text_input_v3 *input = field->input;
	if (im->current.preedit.text != NULL) {
		wlr_text_input_v3_send_preedit_string(input, im->current.preedit.text,
			im->current.preedit.cursor_begin, im->current.preedit.cursor_end);
	}
	if (im->current.commit_text != NULL) {
		wlr_text_input_v3_send_commit_string(input, im->current.commit_text);
	}
	if (im->current.delete.before_length != 0 || im->current.delete.after_length != 0) {
		wlr_text_input_v3_send_delete_surrounding_text(input,
			im->current.delete.before_length, im->current.delete.after_length);
	}
	wlr_text_input_v3_send_done(input);
}

static void drop_input_method(struct weft_text_input *relay)
{
	wl_list_remove(&relay->input_method_commit.link);
	wl_list_remove(&relay->input_method_destroy.link);
	relay->input_method = NULL;
}

static void handle_input_method_destroy(struct wl_listener *listener, void *data)
{
	struct weft_text_input *relay = wl_container_of(listener, relay, input_method_destroy);
	drop_input_method(relay);
}

static void handle_new_input_method(struct wl_listener *listener, void *data)
{
	struct weft_text_input *relay = wl_container_of(listener, relay, new_input_method);
	struct wlr_input_method_v2 *im = data;
	if (relay->input_method != NULL) {
		weft_log(WEFT_INFO, "input method: one is running already; the new one waits");
		wlr_input_method_v2_send_unavailable(im);
		return;
	}
	relay->input_method = im;
	relay->input_method_commit.notify = handle_input_method_commit;
	wl_signal_add(&im->events.commit, &relay->input_method_commit);
	relay->input_method_destroy.notify = handle_input_method_destroy;
	wl_signal_add(&im->events.destroy, &relay->input_method_destroy);

	struct weft_text_field *field = active_field(relay);
	if (field != NULL) {
		wlr_input_method_v2_send_activate(im);
		send_state(relay, field->input);
	}
}

bool weft_text_input_init(struct weft_server *server)
{
	struct weft_text_input *relay = calloc(1, sizeof(*relay));
	if (relay == NULL) {
		return false;
	}
	relay->server = server;
	wl_list_init(&relay->inputs);
	relay->text_input_manager = wlr_text_input_manager_v3_create(server->display);
	relay->input_method_manager = wlr_input_method_manager_v2_create(server->display);
	if (relay->text_input_manager == NULL || relay->input_method_manager == NULL ||
		!weft_server_restrict_global(server, relay->input_method_manager->global,
			WEFT_GLOBAL_DESKTOP_TOOL)) {
		free(relay);
		return false;
	}
	relay->new_text_input.notify = handle_new_text_input;
	wl_signal_add(&relay->text_input_manager->events.text_input, &relay->new_text_input);
	relay->new_input_method.notify = handle_new_input_method;
	wl_signal_add(&relay->input_method_manager->events.input_method, &relay->new_input_method);
	relay->focus_change.notify = handle_focus_change;
	wl_signal_add(&server->seat->seat->keyboard_state.events.focus_change,
		&relay->focus_change);
	server->text_input = relay;
	return true;
}

void weft_text_input_finish(struct weft_server *server)
{
	struct weft_text_input *relay = server->text_input;
	if (relay == NULL) {
		return;
	}
	if (relay->input_method != NULL) {
		drop_input_method(relay);
	}
	struct weft_text_field *field, *tmp;
	wl_list_for_each_safe (field, tmp, &relay->inputs, link) {
		field_destroy(field);
	}
	wl_list_remove(&relay->new_text_input.link);
	wl_list_remove(&relay->new_input_method.link);
	wl_list_remove(&relay->focus_change.link);
	/* The managers go with the display. */
	weft_server_check_unheard(server, "wlr_text_input_manager_v3",
		WEFT_EVENTS(relay->text_input_manager));
	weft_server_check_unheard(server, "wlr_input_method_manager_v2",
		WEFT_EVENTS(relay->input_method_manager));
	server->text_input = NULL;
	free(relay);
}
