/*
 * Under a systemd user manager (weft-compositor --export-environment): the
 * units started after us (appd, the user's own services, D-Bus activated
 * programs) find the display in the manager's environment, so we put it
 * there before saying READY=1, and take it out again when we go.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "server.h"
#include "weft/log.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define BUS_TIMEOUT_USEC (5 * 1000 * 1000)

static const char *const exported_names[] = { "WAYLAND_DISPLAY", "DISPLAY" };

static sd_bus *open_user_bus(struct weft_error *err)
{
	sd_bus *bus = NULL;
	int r = sd_bus_open_user(&bus);
	if (r < 0) {
		weft_error_set(err, "no user bus: %s", strerror(-r));
		return NULL;
	}
	sd_bus_set_method_call_timeout(bus, BUS_TIMEOUT_USEC);
	return bus;
}

/* D-Bus activated programs read the bus's own environment, not systemd's. */
static void update_activation_environment(sd_bus *bus, const char *const *names,
	const char *const *values, size_t n)
{
	sd_bus_message *m = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus", "UpdateActivationEnvironment");
	if (r >= 0) {
		r = sd_bus_message_open_container(m, 'a', "{ss}");
	}
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = sd_bus_message_append(m, "{ss}", names[i], values[i]);
	}
	if (r >= 0) {
		r = sd_bus_message_close_container(m);
	}
	if (r >= 0) {
		r = sd_bus_call(bus, m, 0, &error, NULL);
	}
	if (r < 0) {
		weft_log(WEFT_WARN, "systemd: cannot update the D-Bus activation environment: %s",
			error.message != NULL ? error.message : strerror(-r));
	}
	sd_bus_error_free(&error);
	sd_bus_message_unref(m);
}

bool weft_systemd_export_environment(struct weft_server *server, struct weft_error *err)
{
	const char *names[2], *values[2];
	char *assignments[2] = { NULL, NULL };
	size_t n = 0;
	for (size_t i = 0; i < sizeof(exported_names) / sizeof(exported_names[0]); i++) {
		const char *value = getenv(exported_names[i]);
		if (value != NULL && value[0] != '\0') {
			names[n] = exported_names[i];
			values[n] = value;
			n++;
		}
	}
	sd_bus *bus = open_user_bus(err);
	if (bus == NULL) {
		weft_error_prefix(err, "cannot tell the systemd user manager WAYLAND_DISPLAY");
		return false;
	}
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		assignments[i] = weft_strdup_printf("%s=%s", names[i], values[i]);
		ok = assignments[i] != NULL;
	}
	sd_bus_message *m = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = ok ? sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH,
			     SYSTEMD_MANAGER, "UnsetAndSetEnvironment")
		   : -ENOMEM;
	/* A DISPLAY left from an earlier session names no X server of ours. */
	if (r >= 0) {
		r = sd_bus_message_append(m, "as", 2, exported_names[0], exported_names[1]);
	}
	if (r >= 0) {
		r = sd_bus_message_open_container(m, 'a', "s");
	}
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = sd_bus_message_append(m, "s", assignments[i]);
	}
	if (r >= 0) {
		r = sd_bus_message_close_container(m);
	}
	if (r >= 0) {
		r = sd_bus_call(bus, m, 0, &error, NULL);
	}
	if (r < 0) {
		weft_error_set(err, "cannot tell the systemd user manager WAYLAND_DISPLAY: %s",
			error.message != NULL ? error.message : strerror(-r));
		ok = false;
	} else {
		update_activation_environment(bus, names, values, n);
		server->exported_environment = true;
		weft_log(WEFT_INFO,
			"systemd: WAYLAND_DISPLAY=%s%s%s in the user manager's "
			"environment",
			getenv("WAYLAND_DISPLAY"), n > 1 ? ", DISPLAY=" : "",
			n > 1 ? values[1] : "");
	}
	sd_bus_error_free(&error);
	sd_bus_message_unref(m);
	free(assignments[0]);
	free(assignments[1]);
	sd_bus_flush_close_unref(bus);
	return ok;
}

void weft_systemd_unexport_environment(struct weft_server *server)
{
	if (!server->exported_environment) {
		return;
	}
	server->exported_environment = false;
	struct weft_error err = { 0 };
	sd_bus *bus = open_user_bus(&err);
	if (bus == NULL) {
		weft_log(WEFT_WARN, "systemd: cannot unset WAYLAND_DISPLAY: %s", err.msg);
		return;
	}
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
		"UnsetEnvironment", &error, NULL, "as", 2, exported_names[0], exported_names[1]);
	if (r < 0) {
		weft_log(WEFT_WARN, "systemd: cannot unset WAYLAND_DISPLAY: %s",
			error.message != NULL ? error.message : strerror(-r));
	}
	sd_bus_error_free(&error);
	sd_bus_flush_close_unref(bus);
}
