/*
 * Idle: ext-idle-notify-v1 (written here, wlroots 0.15 has none) and KDE's
 * org_kde_kwin_idle (wlroots' wlr_idle, which older idle daemons bind) tell
 * clients when the seat has had no input for a while; idle-inhibit lets a
 * visible surface (a video playing) keep the session awake. Any input
 * resets every timer (the seat calls weft_idle_notify_activity).
 */
#include <stdlib.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_idle.h>
#include <wlr/types/wlr_idle_inhibit_v1.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_surface.h>

#include "ext-idle-notify-v1-protocol.h"
#include "seat.h"
#include "server.h"
#include "view.h"
#include "weft/log.h"

struct weft_idle {
	struct weft_server *server;
	struct wl_global *notifier_global;
	struct wl_list notifications; /* notification.link */
	struct wlr_idle *kde_idle;
	struct wlr_idle_inhibit_manager_v1 *inhibit_manager;
	struct wl_list inhibitors; /* inhibitor.link */
	bool inhibited;
	struct wl_listener new_inhibitor;
};

/* An ext_idle_notification_v1. */
struct notification {
	struct weft_idle *idle;
	struct wl_resource *resource;
	struct wl_list link;
	struct wl_event_source *timer;
	uint32_t timeout_ms;
	bool idled;
};

struct inhibitor {
	struct weft_idle *idle;
	struct wlr_idle_inhibitor_v1 *wlr_inhibitor;
	struct wl_list link;
	struct wl_listener destroy;
	struct wl_listener commit; /* a surface that maps or unmaps */
};

static void notification_arm(struct notification *n)
{
	/* A timer of 0 would be disarmed: the shortest timeout is 1 ms. */
	wl_event_source_timer_update(n->timer,
		n->idle->inhibited ? 0 : (int)(n->timeout_ms > 0 ? n->timeout_ms : 1));
}

static void notification_resume(struct notification *n)
{
	if (n->idled) {
		n->idled = false;
		ext_idle_notification_v1_send_resumed(n->resource);
	}
	notification_arm(n);
}

static int handle_timer(void *data)
{
	struct notification *n = data;
	if (n->idle->inhibited) {
		return 0;
	}
	n->idled = true;
	ext_idle_notification_v1_send_idled(n->resource);
	return 0;
}

static void notification_destroy(struct notification *n)
{
	wl_event_source_remove(n->timer);
	wl_list_remove(&n->link);
	wl_resource_set_user_data(n->resource, NULL);
	free(n);
}

static void handle_notification_resource_destroy(struct wl_resource *resource)
{
	struct notification *n = wl_resource_get_user_data(resource);
	if (n != NULL) {
		notification_destroy(n);
	}
}

static void notification_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct ext_idle_notification_v1_interface notification_impl = {
	.destroy = notification_handle_destroy,
};

static void notifier_handle_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void notifier_handle_get_idle_notification(struct wl_client *client,
	struct wl_resource *resource, uint32_t id, uint32_t timeout, struct wl_resource *seat)
{
	struct weft_idle *idle = wl_resource_get_user_data(resource);
	struct wl_resource *n_resource = wl_resource_create(client,
		&ext_idle_notification_v1_interface, wl_resource_get_version(resource), id);
	if (n_resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(n_resource, &notification_impl, NULL,
		handle_notification_resource_destroy);
	/* A seat whose global went gives an inert notification. */
	if (idle == NULL || wlr_seat_client_from_resource(seat) == NULL) {
		return;
	}
	struct notification *n = calloc(1, sizeof(*n));
	if (n == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	n->timer = wl_event_loop_add_timer(idle->server->loop, handle_timer, n);
	if (n->timer == NULL) {
		free(n);
		wl_client_post_no_memory(client);
		return;
	}
	n->idle = idle;
	n->resource = n_resource;
	n->timeout_ms = timeout;
	wl_list_insert(&idle->notifications, &n->link);
	wl_resource_set_user_data(n_resource, n);
	notification_arm(n);
}

static const struct ext_idle_notifier_v1_interface notifier_impl = {
	.destroy = notifier_handle_destroy,
	.get_idle_notification = notifier_handle_get_idle_notification,
};

static void notifier_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(client, &ext_idle_notifier_v1_interface,
		version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &notifier_impl, data, NULL);
}

/* Whether the user can see surface: its view is drawn, or while the
 * session is locked, it is a lock surface. */
static bool surface_visible(struct weft_server *server, struct wlr_surface *surface)
{
	struct wlr_surface *root = wlr_surface_get_root_surface(surface);
	if (weft_session_lock_is_locked(server->session_lock)) {
		return weft_session_lock_allows_focus(server->session_lock, root);
	}
	struct weft_view *view = weft_view_from_surface(server, root);
	if (view == NULL) {
		/* Not a window of ours (a popup, a surface of another shell):
		 * shown when it has content. */
		return wlr_surface_has_buffer(root);
	}
	return view->mapped && !view->occluded && wlr_surface_has_buffer(root);
}

void weft_idle_update_inhibited(struct weft_server *server)
{
	struct weft_idle *idle = server->idle;
	if (idle == NULL) {
		return;
	}
	bool inhibited = false;
	struct inhibitor *inhibitor;
	wl_list_for_each (inhibitor, &idle->inhibitors, link) {
		if (surface_visible(server, inhibitor->wlr_inhibitor->surface)) {
			inhibited = true;
			break;
		}
	}
	if (inhibited == idle->inhibited) {
		return;
	}
	idle->inhibited = inhibited;
	weft_log(WEFT_DEBUG, "idle: %s", inhibited ? "inhibited" : "no longer inhibited");
	wlr_idle_set_enabled(idle->kde_idle, server->seat->seat, !inhibited);
	/* Inhibited: nobody is idle; no longer: the timers start afresh. */
	struct notification *n;
	wl_list_for_each (n, &idle->notifications, link) {
		notification_resume(n);
	}
}

static void inhibitor_destroy(struct inhibitor *inhibitor)
{
	wl_list_remove(&inhibitor->destroy.link);
	wl_list_remove(&inhibitor->commit.link);
	wl_list_remove(&inhibitor->link);
	free(inhibitor);
}

static void handle_inhibitor_destroy(struct wl_listener *listener, void *data)
{
	struct inhibitor *inhibitor = wl_container_of(listener, inhibitor, destroy);
	struct weft_server *server = inhibitor->idle->server;
	inhibitor_destroy(inhibitor);
	weft_idle_update_inhibited(server);
}

static void handle_inhibitor_commit(struct wl_listener *listener, void *data)
{
	struct inhibitor *inhibitor = wl_container_of(listener, inhibitor, commit);
	weft_idle_update_inhibited(inhibitor->idle->server);
}

static void handle_new_inhibitor(struct wl_listener *listener, void *data)
{
	struct weft_idle *idle = wl_container_of(listener, idle, new_inhibitor);
	struct wlr_idle_inhibitor_v1 *wlr_inhibitor = data;
	struct inhibitor *inhibitor = calloc(1, sizeof(*inhibitor));
	if (inhibitor == NULL) {
		weft_log(WEFT_ERROR, "idle: out of memory: an inhibitor is ignored");
		return;
	}
	inhibitor->idle = idle;
	inhibitor->wlr_inhibitor = wlr_inhibitor;
	inhibitor->destroy.notify = handle_inhibitor_destroy;
	wl_signal_add(&wlr_inhibitor->events.destroy, &inhibitor->destroy);
	inhibitor->commit.notify = handle_inhibitor_commit;
	wl_signal_add(&wlr_inhibitor->surface->events.commit, &inhibitor->commit);
	wl_list_insert(&idle->inhibitors, &inhibitor->link);
	weft_idle_update_inhibited(idle->server);
}

struct weft_idle *weft_idle_create(struct weft_server *server)
{
	struct weft_idle *idle = calloc(1, sizeof(*idle));
	if (idle == NULL) {
		return NULL;
	}
	idle->server = server;
	wl_list_init(&idle->notifications);
	wl_list_init(&idle->inhibitors);
	idle->kde_idle = wlr_idle_create(server->display);
	idle->inhibit_manager = wlr_idle_inhibit_v1_create(server->display);
	idle->notifier_global = wl_global_create(server->display, &ext_idle_notifier_v1_interface,
		1, idle, notifier_bind);
	if (idle->kde_idle == NULL || idle->inhibit_manager == NULL ||
		idle->notifier_global == NULL) {
		/* wlroots' globals go with the display. */
		if (idle->notifier_global != NULL) {
			wl_global_destroy(idle->notifier_global);
		}
		free(idle);
		return NULL;
	}
	idle->new_inhibitor.notify = handle_new_inhibitor;
	wl_signal_add(&idle->inhibit_manager->events.new_inhibitor, &idle->new_inhibitor);
	return idle;
}

/* After the clients, whose notifications and inhibitors went with them. */
void weft_idle_destroy(struct weft_idle *idle)
{
	if (idle == NULL) {
		return;
	}
	wl_list_remove(&idle->new_inhibitor.link);
	struct inhibitor *inhibitor, *tmp_i;
	wl_list_for_each_safe (inhibitor, tmp_i, &idle->inhibitors, link) {
		inhibitor_destroy(inhibitor);
	}
	struct notification *n, *tmp_n;
	wl_list_for_each_safe (n, tmp_n, &idle->notifications, link) {
		notification_destroy(n);
	}
	weft_server_check_unheard(idle->server, "wlr_idle_inhibit_manager_v1",
		WEFT_EVENTS(idle->inhibit_manager));
	weft_server_check_unheard(idle->server, "wlr_idle", WEFT_EVENTS(idle->kde_idle));
	wl_global_destroy(idle->notifier_global);
	free(idle);
}

bool weft_idle_restrict_notifiers(struct weft_idle *idle)
{
	return weft_server_restrict_global(idle->server, idle->notifier_global,
		       WEFT_GLOBAL_NOT_FOR_APPS) &&
		weft_server_restrict_global(idle->server, idle->kde_idle->global,
			WEFT_GLOBAL_NOT_FOR_APPS);
}

void weft_idle_notify_activity(struct weft_idle *idle)
{
	if (idle == NULL) {
		return;
	}
	wlr_idle_notify_activity(idle->kde_idle, idle->server->seat->seat);
	struct notification *n;
	wl_list_for_each (n, &idle->notifications, link) {
		notification_resume(n);
	}
}
