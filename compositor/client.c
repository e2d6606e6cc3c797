/*
 * Client identity (design §1): a client is trusted only if we created it on
 * a socket of our own making. The tag rides on a destroy listener of the
 * wl_client, so finding it needs no table and it dies with the client.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "server.h"
#include "weft/compositor-protocol.h"
#include "weft/log.h"

struct client_tag {
	struct weft_server *server;
	enum weft_client_role role;
	char *app_id;
	char *session_id;
	struct wl_listener destroy;
};

static void handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct client_tag *tag = wl_container_of(listener, tag, destroy);
	if (tag->role == WEFT_CLIENT_APP) {
		weft_control_send_event(tag->server->control, WEFT_COMPOSITOR_EVENT_CLIENT_GONE,
			tag->app_id, tag->session_id);
	}
	wl_list_remove(&tag->destroy.link);
	free(tag->app_id);
	free(tag->session_id);
	free(tag);
}

static struct client_tag *tag_of(const struct wl_client *client)
{
	/* libwayland takes a non-const client here but does not modify it. */
	struct wl_listener *listener = wl_client_get_destroy_listener((struct wl_client *)client,
		handle_client_destroy);
	if (listener == NULL) {
		return NULL;
	}
	struct client_tag *tag = wl_container_of(listener, tag, destroy);
	return tag;
}

struct wl_client *weft_client_create_tagged(struct weft_server *server, int fd,
	enum weft_client_role role, const char *app_id, const char *session_id)
{
	struct client_tag *tag = calloc(1, sizeof(*tag));
	if (tag == NULL) {
		close(fd);
		return NULL;
	}
	tag->server = server;
	tag->role = role;
	tag->app_id = app_id != NULL ? strdup(app_id) : NULL;
	tag->session_id = session_id != NULL ? strdup(session_id) : NULL;
	if ((app_id != NULL && tag->app_id == NULL) ||
		(session_id != NULL && tag->session_id == NULL)) {
		free(tag->app_id);
		free(tag->session_id);
		free(tag);
		close(fd);
		return NULL;
	}
	/* Tag before any request can arrive: nothing is dispatched in between. */
	struct wl_client *client = wl_client_create(server->display, fd);
	if (client == NULL) {
		weft_log_errno(WEFT_ERROR, "wl_client_create");
		free(tag->app_id);
		free(tag->session_id);
		free(tag);
		close(fd);
		return NULL;
	}
	tag->destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(client, &tag->destroy);
	return client;
}

enum weft_client_role weft_client_role(struct wl_client *client)
{
	struct client_tag *tag = tag_of(client);
	return tag != NULL ? tag->role : WEFT_CLIENT_ORDINARY;
}

const char *weft_client_app_id(struct wl_client *client)
{
	struct client_tag *tag = tag_of(client);
	return tag != NULL ? tag->app_id : NULL;
}

const char *weft_client_session_id(struct wl_client *client)
{
	struct client_tag *tag = tag_of(client);
	return tag != NULL ? tag->session_id : NULL;
}

bool weft_server_restrict_global(struct weft_server *server, const struct wl_global *global,
	enum weft_global_class class)
{
	if (server->nrestricted == WEFT_MAX_RESTRICTED_GLOBALS) {
		return false;
	}
	server->restricted[server->nrestricted++] = (struct weft_restricted_global){
		.global = global,
		.class = class,
	};
	return true;
}

bool weft_global_filter(const struct wl_client *client, const struct wl_global *global, void *data)
{
	struct weft_server *server = data;
	struct client_tag *tag = tag_of(client);
	enum weft_client_role role = tag != NULL ? tag->role : WEFT_CLIENT_ORDINARY;

	if (global == server->zweft_global) {
		return role == WEFT_CLIENT_SHELL || role == WEFT_CLIENT_APP;
	}
	for (size_t i = 0; i < server->nrestricted; i++) {
		const struct weft_restricted_global *r = &server->restricted[i];
		if (r->global != global) {
			continue;
		}
		/* App content is never trusted with the screen, input injection,
		 * other apps' windows or the clipboard behind their backs. */
		if (role != WEFT_CLIENT_ORDINARY) {
			return role == WEFT_CLIENT_SHELL;
		}
		/* Every X program shares the X server's connection. */
		if (weft_xwayland_is_client(server, client)) {
			return false;
		}
		return server->options.allow_desktop_tools ||
			r->class == WEFT_GLOBAL_NOT_FOR_APPS ||
			(r->class == WEFT_GLOBAL_TEST_TOOL &&
				server->options.expose_test_protocols);
	}
	return true;
}
