/*
 * ext-session-lock-v1 (wlroots 0.15 has none): while the session is locked
 * the screen shows a solid cover and, above it, the lock surfaces of the
 * client that holds the lock; nothing else is drawn, captured or given
 * input. The lock outlives its client: if the locker dies, the cover stays
 * until a new locker takes the lock over and unlocks.
 */
#include <stdlib.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_surface.h>

#include "ext-session-lock-v1-protocol.h"
#include "output.h"
#include "seat.h"
#include "server.h"
#include "view.h"
#include "weft/log.h"

struct weft_session_lock {
	struct weft_server *server;
	struct wl_global *global;
	bool locked;
	struct lock *active; /* the client that may unlock, NULL once it died */
	struct wlr_scene_tree *tree; /* above every layer: cover, lock surfaces */
	struct wlr_scene_rect *cover;
	struct wl_listener layout_change;
};

/* An ext_session_lock_v1. */
struct lock {
	struct weft_session_lock *manager;
	struct wl_resource *resource;
	bool sent_locked;
	struct wl_list surfaces; /* lock_surface.link */
	struct wl_list pending; /* pending_output.link: not yet drawn covered */
};

/* An output whose next frame shows the cover; then it counts as locked. */
struct pending_output {
	struct lock *lock;
	struct wlr_output *output;
	struct wl_list link;
	struct wl_listener commit;
	struct wl_listener destroy;
};

struct lock_surface {
	struct lock *lock;
	struct wl_resource *resource;
	struct wlr_surface *surface;
	struct wlr_output *output; /* NULL once it went */
	struct wlr_scene_node *node;
	struct wl_list link; /* lock.surfaces */
	uint32_t configure_serial, acked_serial;
	int width, height; /* the last configure's */
	int acked_width, acked_height;
	bool acked;
	struct wl_listener surface_destroy;
	struct wl_listener output_destroy;
};

static const float cover_color[4] = { 0, 0, 0, 1 };

static void lock_surface_detach(struct lock_surface *ls)
{
	if (ls->node != NULL) {
		wlr_scene_node_destroy(ls->node);
		ls->node = NULL;
	}
	if (ls->surface != NULL) {
		ls->surface->role_data = NULL;
		wl_list_remove(&ls->surface_destroy.link);
		ls->surface = NULL;
	}
	if (ls->output != NULL) {
		wl_list_remove(&ls->output_destroy.link);
		ls->output = NULL;
	}
	if (ls->lock != NULL) {
		wl_list_remove(&ls->link);
		ls->lock = NULL;
	}
}

static void lock_surface_destroy(struct lock_surface *ls)
{
	lock_surface_detach(ls);
	wl_resource_set_user_data(ls->resource, NULL);
	free(ls);
}

static void pending_output_destroy(struct pending_output *p)
{
	wl_list_remove(&p->commit.link);
	wl_list_remove(&p->destroy.link);
	wl_list_remove(&p->link);
	free(p);
}

/* Gives the keyboard to the first mapped lock surface, or to nobody. */
static void focus_lock_surface(struct weft_session_lock *manager)
{
	struct wlr_seat *seat = manager->server->seat->seat;
	if (manager->active != NULL) {
		struct lock_surface *ls;
		wl_list_for_each (ls, &manager->active->surfaces, link) {
			if (ls->surface != NULL && wlr_surface_has_buffer(ls->surface)) {
				weft_seat_focus_surface(manager->server->seat, ls->surface);
				return;
			}
		}
	}
	wlr_seat_keyboard_notify_clear_focus(seat);
}

static void send_locked(struct lock *lock)
{
	if (lock->sent_locked) {
		return;
	}
	lock->sent_locked = true;
	ext_session_lock_v1_send_locked(lock->resource);
}

static void handle_pending_commit(struct wl_listener *listener, void *data)
{
	struct pending_output *p = wl_container_of(listener, p, commit);
	struct wlr_output_event_commit *event = data;
	if (!(event->committed & WLR_OUTPUT_STATE_BUFFER)) {
		return;
	}
	struct lock *lock = p->lock;
	pending_output_destroy(p);
	if (wl_list_empty(&lock->pending)) {
		send_locked(lock);
	}
}

static void handle_pending_destroy(struct wl_listener *listener, void *data)
{
	struct pending_output *p = wl_container_of(listener, p, destroy);
	struct lock *lock = p->lock;
	pending_output_destroy(p);
	if (wl_list_empty(&lock->pending)) {
		send_locked(lock);
	}
}

static void update_cover(struct weft_session_lock *manager)
{
	struct wlr_box *box = wlr_output_layout_get_box(manager->server->output_layout, NULL);
	if (box == NULL) {
		return;
	}
	wlr_scene_node_set_position(&manager->cover->node, box->x, box->y);
	wlr_scene_rect_set_size(manager->cover, box->width, box->height);
}

static void configure_lock_surface(struct lock_surface *ls)
{
	if (ls->output == NULL) {
		return;
	}
	int width, height;
	wlr_output_effective_resolution(ls->output, &width, &height);
	struct wlr_box *box = wlr_output_layout_get_box(ls->lock->manager->server->output_layout,
		ls->output);
	if (ls->node != NULL && box != NULL) {
		wlr_scene_node_set_position(ls->node, box->x, box->y);
	}
	if (ls->configure_serial != 0 && width == ls->width && height == ls->height) {
		return;
	}
	ls->width = width;
	ls->height = height;
	ls->configure_serial = wl_display_next_serial(ls->lock->manager->server->display);
	ext_session_lock_surface_v1_send_configure(ls->resource, ls->configure_serial,
		(uint32_t)width, (uint32_t)height);
}

static void handle_layout_change(struct wl_listener *listener, void *data)
{
	struct weft_session_lock *manager = wl_container_of(listener, manager, layout_change);
	update_cover(manager);
	if (manager->active != NULL) {
		struct lock_surface *ls;
		wl_list_for_each (ls, &manager->active->surfaces, link) {
			configure_lock_surface(ls);
		}
	}
}

/* Shows the cover and nothing of the session under it. */
static void hide_session(struct weft_session_lock *manager)
{
	struct weft_server *server = manager->server;
	manager->locked = true;
	for (int i = 0; i < WEFT_LAYER_COUNT; i++) {
		wlr_scene_node_set_enabled(&server->layers[i]->node, false);
	}
	update_cover(manager);
	wlr_scene_node_raise_to_top(&manager->tree->node);
	wlr_scene_node_set_enabled(&manager->tree->node, true);

	/* No key, click or drag reaches a client of the session any more. */
	struct wlr_seat *seat = server->seat->seat;
	weft_session_lock_end_grabs(manager);
	wlr_seat_keyboard_notify_clear_focus(seat);
	wlr_seat_pointer_clear_focus(seat);
	weft_idle_update_inhibited(server);
}

static void show_session(struct weft_session_lock *manager)
{
	struct weft_server *server = manager->server;
	manager->locked = false;
	wlr_scene_node_set_enabled(&manager->tree->node, false);
	for (int i = 0; i < WEFT_LAYER_COUNT; i++) {
		wlr_scene_node_set_enabled(&server->layers[i]->node, true);
	}
	wlr_seat_pointer_clear_focus(server->seat->seat);
	weft_policy_focus(server, NULL);
	weft_idle_update_inhibited(server);
}

/* The lock object goes: its surfaces stop being shown. */
static void lock_destroy(struct lock *lock)
{
	struct lock_surface *ls, *tmp_ls;
	wl_list_for_each_safe (ls, tmp_ls, &lock->surfaces, link) {
		lock_surface_detach(ls);
	}
	struct pending_output *p, *tmp_p;
	wl_list_for_each_safe (p, tmp_p, &lock->pending, link) {
		pending_output_destroy(p);
	}
	struct weft_session_lock *manager = lock->manager;
	if (manager != NULL && manager->active == lock) {
		manager->active = NULL;
		focus_lock_surface(manager);
	}
	wl_resource_set_user_data(lock->resource, NULL);
	free(lock);
}

static void handle_lock_resource_destroy(struct wl_resource *resource)
{
	struct lock *lock = wl_resource_get_user_data(resource);
	if (lock == NULL) {
		return;
	}
	/* A locker that dies leaves the session locked (the protocol's rule). */
	if (lock->manager->active == lock && lock->sent_locked) {
		weft_log(WEFT_WARN,
			"session lock: the locker went without unlocking; "
			"the session stays locked");
	}
	lock_destroy(lock);
}

static void lock_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	struct lock *lock = wl_resource_get_user_data(resource);
	if (lock != NULL && lock->sent_locked) {
		wl_resource_post_error(resource, EXT_SESSION_LOCK_V1_ERROR_INVALID_DESTROY,
			"the session is locked: use unlock_and_destroy");
		return;
	}
	/* Given up before it was locked: the lock it asked for is cancelled. */
	if (lock != NULL && lock->manager->active == lock) {
		struct weft_session_lock *manager = lock->manager;
		lock_destroy(lock);
		show_session(manager);
	}
	wl_resource_destroy(resource);
}

static void lock_handle_unlock_and_destroy(struct wl_client *client, struct wl_resource *resource)
{
	struct lock *lock = wl_resource_get_user_data(resource);
	if (lock == NULL || !lock->sent_locked) {
		wl_resource_post_error(resource, EXT_SESSION_LOCK_V1_ERROR_INVALID_UNLOCK,
			"unlock before the locked event");
		return;
	}
	struct weft_session_lock *manager = lock->manager;
	if (manager->active == lock) {
		lock_destroy(lock);
		show_session(manager);
		weft_log(WEFT_INFO, "session lock: unlocked");
	} else {
		lock_destroy(lock);
	}
	wl_resource_destroy(resource);
}

static void lock_surface_role_commit(struct wlr_surface *surface)
{
	struct lock_surface *ls = surface->role_data;
	if (ls == NULL || ls->lock == NULL) {
		return;
	}
	if (!wlr_surface_has_buffer(surface)) {
		wl_resource_post_error(ls->resource, EXT_SESSION_LOCK_SURFACE_V1_ERROR_NULL_BUFFER,
			"a lock surface committed without a buffer");
		return;
	}
	if (surface->current.width != ls->acked_width ||
		surface->current.height != ls->acked_height) {
		wl_resource_post_error(ls->resource,
			EXT_SESSION_LOCK_SURFACE_V1_ERROR_DIMENSIONS_MISMATCH,
			"the lock surface is %dx%d, not the %dx%d acked", surface->current.width,
			surface->current.height, ls->acked_width, ls->acked_height);
		return;
	}
	struct weft_session_lock *manager = ls->lock->manager;
	if (ls->node == NULL && ls->output != NULL && manager->active == ls->lock) {
		ls->node = wlr_scene_subsurface_tree_create(&manager->tree->node, surface);
		if (ls->node == NULL) {
			weft_log(WEFT_ERROR, "session lock: out of memory");
			return;
		}
		configure_lock_surface(ls);
		struct wlr_surface *focused =
			manager->server->seat->seat->keyboard_state.focused_surface;
		weft_log(WEFT_DEBUG, "session lock: a lock surface shows; the keyboard %s",
			focused == NULL ? "comes to it" : "stays where it is");
		if (focused == NULL) {
			focus_lock_surface(manager);
		}
	}
}

static void lock_surface_role_precommit(struct wlr_surface *surface)
{
	struct lock_surface *ls = surface->role_data;
	if (ls == NULL || ls->lock == NULL) {
		return;
	}
	if (!ls->acked && (surface->pending.committed & WLR_SURFACE_STATE_BUFFER)) {
		wl_resource_post_error(ls->resource,
			EXT_SESSION_LOCK_SURFACE_V1_ERROR_COMMIT_BEFORE_FIRST_ACK,
			"a lock surface committed before its first ack_configure");
	}
}

static const struct wlr_surface_role lock_surface_role = {
	.name = "ext_session_lock_surface_v1",
	.commit = lock_surface_role_commit,
	.precommit = lock_surface_role_precommit,
};

static void handle_lock_surface_surface_destroy(struct wl_listener *listener, void *data)
{
	struct lock_surface *ls = wl_container_of(listener, ls, surface_destroy);
	/* The scene drops the surface's node itself. */
	ls->node = NULL;
	struct weft_session_lock *manager = ls->lock != NULL ? ls->lock->manager : NULL;
	lock_surface_detach(ls);
	if (manager != NULL && manager->locked) {
		focus_lock_surface(manager);
	}
}

static void handle_lock_surface_output_destroy(struct wl_listener *listener, void *data)
{
	struct lock_surface *ls = wl_container_of(listener, ls, output_destroy);
	wl_list_remove(&ls->output_destroy.link);
	ls->output = NULL;
	if (ls->node != NULL) {
		wlr_scene_node_destroy(ls->node);
		ls->node = NULL;
	}
}

static void lock_surface_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void lock_surface_handle_ack_configure(struct wl_client *client,
	struct wl_resource *resource, uint32_t serial)
{
	struct lock_surface *ls = wl_resource_get_user_data(resource);
	if (ls == NULL || ls->lock == NULL) {
		return;
	}
	/* Serials only grow: an ack of anything but a configure not yet acked
	 * is invalid. */
	if (serial == 0 || serial > ls->configure_serial ||
		(ls->acked && serial <= ls->acked_serial)) {
		wl_resource_post_error(resource, EXT_SESSION_LOCK_SURFACE_V1_ERROR_INVALID_SERIAL,
			"ack_configure of unknown serial %u", serial);
		return;
	}
	ls->acked = true;
	ls->acked_serial = serial;
	/* Only the last configure is remembered; an older one acked carries
	 * the size it had, which is the last one's unless the output changed. */
	ls->acked_width = ls->width;
	ls->acked_height = ls->height;
}

static const struct ext_session_lock_surface_v1_interface lock_surface_impl = {
	.destroy = lock_surface_handle_destroy,
	.ack_configure = lock_surface_handle_ack_configure,
};

static void handle_lock_surface_resource_destroy(struct wl_resource *resource)
{
	struct lock_surface *ls = wl_resource_get_user_data(resource);
	if (ls == NULL) {
		return;
	}
	struct weft_session_lock *manager = ls->lock != NULL ? ls->lock->manager : NULL;
	lock_surface_destroy(ls);
	if (manager != NULL && manager->locked) {
		focus_lock_surface(manager);
	}
}

static void lock_handle_get_lock_surface(struct wl_client *client, struct wl_resource *resource,
	uint32_t id, struct wl_resource *surface_resource, struct wl_resource *output_resource)
{
	struct lock *lock = wl_resource_get_user_data(resource);
	struct wlr_surface *surface = wlr_surface_from_resource(surface_resource);
	struct wlr_output *output = wlr_output_from_resource(output_resource);

	struct wl_resource *ls_resource = wl_resource_create(client,
		&ext_session_lock_surface_v1_interface, wl_resource_get_version(resource), id);
	if (ls_resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(ls_resource, &lock_surface_impl, NULL,
		handle_lock_surface_resource_destroy);
	if (lock == NULL) {
		return; /* an inert lock makes inert surfaces */
	}
	if (surface->role != NULL && surface->role != &lock_surface_role) {
		wl_resource_post_error(resource, EXT_SESSION_LOCK_V1_ERROR_ROLE,
			"the surface already has a role");
		return;
	}
	if (surface->role_data != NULL) {
		wl_resource_post_error(resource, EXT_SESSION_LOCK_V1_ERROR_ROLE,
			"the surface is already a lock surface");
		return;
	}
	if (wlr_surface_has_buffer(surface)) {
		wl_resource_post_error(resource, EXT_SESSION_LOCK_V1_ERROR_ALREADY_CONSTRUCTED,
			"the surface already has a buffer");
		return;
	}
	struct lock_surface *other;
	wl_list_for_each (other, &lock->surfaces, link) {
		if (output != NULL && other->output == output) {
			wl_resource_post_error(resource,
				EXT_SESSION_LOCK_V1_ERROR_DUPLICATE_OUTPUT,
				"the output already has a lock surface");
			return;
		}
	}

	struct lock_surface *ls = calloc(1, sizeof(*ls));
	if (ls == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	if (!wlr_surface_set_role(surface, &lock_surface_role, ls, resource,
		    EXT_SESSION_LOCK_V1_ERROR_ROLE)) {
		free(ls);
		return;
	}
	ls->lock = lock;
	ls->resource = ls_resource;
	ls->surface = surface;
	wl_list_insert(lock->surfaces.prev, &ls->link);
	ls->surface_destroy.notify = handle_lock_surface_surface_destroy;
	wl_signal_add(&surface->events.destroy, &ls->surface_destroy);
	if (output != NULL) {
		ls->output = output;
		ls->output_destroy.notify = handle_lock_surface_output_destroy;
		wl_signal_add(&output->events.destroy, &ls->output_destroy);
	}
	wl_resource_set_user_data(ls_resource, ls);
	configure_lock_surface(ls);
}

static const struct ext_session_lock_v1_interface lock_impl = {
	.destroy = lock_handle_destroy,
	.get_lock_surface = lock_handle_get_lock_surface,
	.unlock_and_destroy = lock_handle_unlock_and_destroy,
};

static void manager_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void manager_handle_lock(struct wl_client *client, struct wl_resource *resource,
	uint32_t id)
{
	struct weft_session_lock *manager = wl_resource_get_user_data(resource);
	struct wl_resource *lock_resource = wl_resource_create(client,
		&ext_session_lock_v1_interface, wl_resource_get_version(resource), id);
	if (lock_resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(lock_resource, &lock_impl, NULL,
		handle_lock_resource_destroy);
	if (manager == NULL || manager->active != NULL) {
		/* Someone holds the lock already. */
		ext_session_lock_v1_send_finished(lock_resource);
		return;
	}
	struct lock *lock = calloc(1, sizeof(*lock));
	if (lock == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	lock->manager = manager;
	lock->resource = lock_resource;
	wl_list_init(&lock->surfaces);
	wl_list_init(&lock->pending);
	wl_resource_set_user_data(lock_resource, lock);
	manager->active = lock;

	if (manager->locked) {
		/* Taking over from a locker that died: the cover is on screen. */
		weft_log(WEFT_INFO, "session lock: a new locker takes over");
		send_locked(lock);
		return;
	}
	weft_log(WEFT_INFO, "session lock: locking");
	hide_session(manager);
	/* Locked once every output has drawn a frame with the cover. */
	struct weft_output *output;
	wl_list_for_each (output, &manager->server->outputs, link) {
		if (!output->wlr_output->enabled) {
			continue;
		}
		struct pending_output *p = calloc(1, sizeof(*p));
		if (p == NULL) {
			continue; /* locked a frame early rather than never */
		}
		p->lock = lock;
		p->output = output->wlr_output;
		p->commit.notify = handle_pending_commit;
		wl_signal_add(&output->wlr_output->events.commit, &p->commit);
		p->destroy.notify = handle_pending_destroy;
		wl_signal_add(&output->wlr_output->events.destroy, &p->destroy);
		wl_list_insert(&lock->pending, &p->link);
		wlr_output_schedule_frame(output->wlr_output);
	}
	if (wl_list_empty(&lock->pending)) {
		send_locked(lock);
	}
}

static const struct ext_session_lock_manager_v1_interface manager_impl = {
	.destroy = manager_handle_destroy,
	.lock = manager_handle_lock,
};

static void manager_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(client,
		&ext_session_lock_manager_v1_interface, version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &manager_impl, data, NULL);
}

struct weft_session_lock *weft_session_lock_create(struct weft_server *server)
{
	struct weft_session_lock *manager = calloc(1, sizeof(*manager));
	if (manager == NULL) {
		return NULL;
	}
	manager->server = server;
	manager->tree = wlr_scene_tree_create(&server->scene->node);
	manager->cover = manager->tree != NULL
		? wlr_scene_rect_create(&manager->tree->node, 0, 0, cover_color)
		: NULL;
	manager->global = wl_global_create(server->display, &ext_session_lock_manager_v1_interface,
		1, manager, manager_bind);
	if (manager->cover == NULL || manager->global == NULL) {
		if (manager->global != NULL) {
			wl_global_destroy(manager->global);
		}
		if (manager->tree != NULL) {
			wlr_scene_node_destroy(&manager->tree->node);
		}
		free(manager);
		return NULL;
	}
	wlr_scene_node_set_enabled(&manager->tree->node, false);
	manager->layout_change.notify = handle_layout_change;
	wl_signal_add(&server->output_layout->events.change, &manager->layout_change);
	return manager;
}

/* After the clients, whose locks went with them. */
void weft_session_lock_destroy(struct weft_session_lock *manager)
{
	if (manager == NULL) {
		return;
	}
	wl_list_remove(&manager->layout_change.link);
	if (manager->active != NULL) {
		lock_destroy(manager->active);
	}
	wl_global_destroy(manager->global);
	free(manager);
}

const struct wl_global *weft_session_lock_global(struct weft_session_lock *manager)
{
	return manager->global;
}

bool weft_session_lock_is_locked(struct weft_session_lock *manager)
{
	return manager != NULL && manager->locked;
}

void weft_session_lock_end_grabs(struct weft_session_lock *manager)
{
	if (!weft_session_lock_is_locked(manager)) {
		return;
	}
	/* A grab (an app's popup, a drag) would route input past the lock or
	 * keep the lock surface from getting it. */
	struct wlr_seat *seat = manager->server->seat->seat;
	if (seat->keyboard_state.grab != seat->keyboard_state.default_grab) {
		wlr_seat_keyboard_end_grab(seat);
	}
	if (seat->pointer_state.grab != seat->pointer_state.default_grab) {
		wlr_seat_pointer_end_grab(seat);
	}
	if (seat->touch_state.grab != seat->touch_state.default_grab) {
		wlr_seat_touch_end_grab(seat);
	}
}

bool weft_session_lock_allows_focus(struct weft_session_lock *manager, struct wlr_surface *surface)
{
	if (!weft_session_lock_is_locked(manager)) {
		return true;
	}
	if (surface == NULL) {
		return false;
	}
	struct wlr_surface *root = wlr_surface_get_root_surface(surface);
	struct lock_surface *ls = root->role == &lock_surface_role ? root->role_data : NULL;
	return ls != NULL && ls->lock != NULL && ls->lock == manager->active;
}
