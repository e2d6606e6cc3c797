/*
 * Outputs: each new output gets its preferred mode (or --size when headless or
 * nested),
 * is laid out to the right of the others and rendered from the scene.
 */
#include <stdlib.h>
#include <time.h>
#include <wayland-server-core.h>
#include <wlr/backend/headless.h>
#include <wlr/backend/wayland.h>
#include <wlr/backend/x11.h>
#include <wlr/interfaces/wlr_output.h>
#include <wlr/render/allocator.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>

#include "output.h"
#include "server.h"
#include "view.h"
#include "weft/log.h"

/*
 * wlr_presentation answers a wp_presentation feedback when the output's
 * present event carries the commit_seq the output had after that commit, and
 * arrives after the commit event. Two wlroots 0.15 backends break this:
 * headless emits it from inside the commit, before the commit event; x11
 * numbers it one commit behind. Such events are emitted again, corrected,
 * else clients waiting for feedback would wait forever.
 */
static void resend_present(struct weft_output *output, struct wlr_output_event_present *event)
{
	output->resending = true;
	wlr_output_send_present(output->wlr_output, event);
	output->resending = false;
}

static void render(struct weft_output *output)
{
	struct wlr_scene_output *scene_output = wlr_scene_get_scene_output(output->server->scene,
		output->wlr_output);
	if (scene_output == NULL) {
		return;
	}
	weft_policy_update_occlusion(output->server);
	uint32_t seq = output->wlr_output->commit_seq;
	output->committing = true;
	if (!wlr_scene_output_commit(scene_output)) {
		/* Not left attached for the next commit or test to trip on. */
		wlr_output_rollback(output->wlr_output);
	}
	output->committing = false;
	if (output->present_deferred) {
		output->present_deferred = false;
		output->deferred.when = &output->deferred_when;
		resend_present(output, &output->deferred);
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (output->wlr_output->commit_seq != seq) {
		output->last_frame = now;
	}
	wlr_scene_output_send_frame_done(scene_output, &now);
}

/*
 * wlroots 0.15's headless output renders only on its own timer, every
 * refresh period however idle it was: a client's commit waited up to a
 * whole period (8 ms on average at 60 Hz) before it was drawn. DRM outputs
 * ask for a frame on damage (wlr_output_schedule_frame, the next vblank);
 * a headless one now does the same without a vblank: a commit that damages
 * it is drawn as soon as the event loop is idle, when its last frame is a
 * period old, else a period after that frame, and never while wlroots
 * still counts a frame pending. So it still draws at most once a period,
 * and its timer's frame events in between are let pass.
 */
static int64_t period_ns(struct weft_output *output)
{
	int32_t mhz = output->wlr_output->refresh > 0 ? output->wlr_output->refresh : 60000;
	return 1000000000000LL / mhz;
}

static int64_t since_last_frame_ns(struct weft_output *output)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - output->last_frame.tv_sec) * 1000000000LL +
		(now.tv_nsec - output->last_frame.tv_nsec);
}

static void handle_prompt_idle(void *data)
{
	struct weft_output *output = data;
	output->prompt_idle = NULL;
	/* A frame is pending until the backend's next frame event (its timer
	 * runs a little slower than the refresh rate): wlroots refuses a
	 * buffer before it, and that event draws what is pending then. */
	if (output->wlr_output->needs_frame && !output->wlr_output->frame_pending) {
		render(output);
	}
}

static int handle_prompt_timer(void *data)
{
	handle_prompt_idle(data);
	return 0;
}

/* Draws the pending damage as soon as the pacing allows. */
static void schedule_prompt(struct weft_output *output)
{
	if (output->prompt_idle != NULL) {
		return;
	}
	int64_t wait = period_ns(output) - since_last_frame_ns(output);
	if (wait <= 0) {
		struct wl_event_loop *loop = wl_display_get_event_loop(output->server->display);
		output->prompt_idle = wl_event_loop_add_idle(loop, handle_prompt_idle, output);
		return;
	}
	/* Rounded up: never sooner than a period after the last frame. */
	wl_event_source_timer_update(output->prompt_timer, (int)((wait + 999999) / 1000000));
}

static void handle_needs_frame(struct wl_listener *listener, void *data)
{
	struct weft_output *output = wl_container_of(listener, output, needs_frame);
	schedule_prompt(output);
}

static void handle_frame(struct wl_listener *listener, void *data)
{
	struct weft_output *output = wl_container_of(listener, output, frame);
	if (output->prompt_timer != NULL) {
		/* Headless: its timer's tick is one more chance to draw, unless a
		 * prompt frame came less than a period ago. */
		if (since_last_frame_ns(output) < period_ns(output)) {
			if (output->wlr_output->needs_frame) {
				schedule_prompt(output);
			}
			return;
		}
		wl_event_source_timer_update(output->prompt_timer, 0);
	}
	render(output);
}

static void handle_present(struct wl_listener *listener, void *data)
{
	struct weft_output *output = wl_container_of(listener, output, present);
	struct wlr_output_event_present *event = data;
	if (output->committing) {
		output->deferred = *event;
		if (event->when != NULL) {
			output->deferred_when = *event->when;
		} else {
			clock_gettime(CLOCK_MONOTONIC, &output->deferred_when);
		}
		output->present_deferred = true;
		return;
	}
	if (!output->resending && wlr_output_is_x11(output->wlr_output)) {
		struct wlr_output_event_present fixed = *event;
		fixed.commit_seq++;
		resend_present(output, &fixed);
		return;
	}
	if (!event->presented || event->when == NULL) {
		return;
	}
	weft_zweft_send_presentation(output->server, output->wlr_output, event->when,
		event->refresh > 0 ? (uint32_t)event->refresh : 0);
}

static void output_destroy(struct weft_output *output)
{
	if (output->prompt_timer != NULL) {
		wl_list_remove(&output->needs_frame.link);
		wl_event_source_remove(output->prompt_timer);
	}
	if (output->prompt_idle != NULL) {
		wl_event_source_remove(output->prompt_idle);
	}
	wl_list_remove(&output->frame.link);
	wl_list_remove(&output->present.link);
	wl_list_remove(&output->destroy.link);
	wl_list_remove(&output->link);
	free(output);
}

static void handle_destroy(struct wl_listener *listener, void *data)
{
	struct weft_output *output = wl_container_of(listener, output, destroy);
	struct weft_server *server = output->server;
	output_destroy(output);
	weft_policy_arrange(server);
}

static void handle_new_output(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, new_output);
	struct wlr_output *wlr_output = data;

	if (!wlr_output_init_render(wlr_output, server->allocator, server->renderer)) {
		weft_log(WEFT_ERROR, "output %s: cannot initialise rendering", wlr_output->name);
		return;
	}
	struct wlr_output_mode *mode = wlr_output_preferred_mode(wlr_output);
	if (mode != NULL) {
		wlr_output_set_mode(wlr_output, mode);
	} else if (wlr_output_is_headless(wlr_output) || wlr_output_is_x11(wlr_output) ||
		wlr_output_is_wl(wlr_output)) {
		/* Headless outputs and nested windows take --size. */
		wlr_output_set_custom_mode(wlr_output, server->options.width,
			server->options.height, 0);
	}
	wlr_output_enable(wlr_output, true);
	if (!wlr_output_commit(wlr_output)) {
		weft_log(WEFT_ERROR, "output %s: cannot enable", wlr_output->name);
		return;
	}

	struct weft_output *output = calloc(1, sizeof(*output));
	if (output == NULL) {
		weft_log(WEFT_ERROR, "out of memory");
		return;
	}
	output->server = server;
	output->wlr_output = wlr_output;
	output->frame.notify = handle_frame;
	wl_signal_add(&wlr_output->events.frame, &output->frame);
	output->present.notify = handle_present;
	wl_signal_add(&wlr_output->events.present, &output->present);
	output->destroy.notify = handle_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);
	if (wlr_output_is_headless(wlr_output)) {
		struct wl_event_loop *loop = wl_display_get_event_loop(server->display);
		output->prompt_timer = wl_event_loop_add_timer(loop, handle_prompt_timer, output);
		if (output->prompt_timer == NULL) {
			weft_log(WEFT_WARN, "output %s: no timer: frames only at its refresh",
				wlr_output->name);
		} else {
			output->needs_frame.notify = handle_needs_frame;
			wl_signal_add(&wlr_output->events.needs_frame, &output->needs_frame);
		}
	}
	wl_list_insert(server->outputs.prev, &output->link);

	/* Left to right, in the order they appeared. */
	wlr_output_layout_add_auto(server->output_layout, wlr_output);
	wlr_output_create_global(wlr_output);
	weft_log(WEFT_INFO, "output %s: %dx%d", wlr_output->name, wlr_output->width,
		wlr_output->height);
}

/* A mode change or a resized nested window moves the work area. */
static void handle_layout_change(struct wl_listener *listener, void *data)
{
	struct weft_server *server = wl_container_of(listener, server, layout_change);
	weft_policy_arrange(server);
}

bool weft_output_init(struct weft_server *server)
{
	if (!wlr_scene_attach_output_layout(server->scene, server->output_layout)) {
		return false;
	}
	server->layout_change.notify = handle_layout_change;
	wl_signal_add(&server->output_layout->events.change, &server->layout_change);
	server->new_output.notify = handle_new_output;
	wl_signal_add(&server->backend->events.new_output, &server->new_output);
	return true;
}

void weft_output_finish(struct weft_server *server)
{
	if (server->new_output.notify == NULL) {
		return;
	}
	wl_list_remove(&server->new_output.link);
	wl_list_remove(&server->layout_change.link);
	server->new_output.notify = server->layout_change.notify = NULL;
	/* The backend destroys the outputs themselves, after us. */
	struct weft_output *output, *tmp;
	wl_list_for_each_safe (output, tmp, &server->outputs, link) {
		output_destroy(output);
	}
}

bool weft_output_primary_box(struct weft_server *server, struct wlr_box *box)
{
	if (wl_list_empty(&server->outputs)) {
		*box = (struct wlr_box){ 0 };
		return false;
	}
	struct weft_output *output = wl_container_of(server->outputs.next, output, link);
	struct wlr_box *layout_box = wlr_output_layout_get_box(server->output_layout,
		output->wlr_output);
	if (layout_box == NULL || wlr_box_empty(layout_box)) {
		*box = (struct wlr_box){ 0 };
		return false;
	}
	*box = *layout_box;
	return true;
}
