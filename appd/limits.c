#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "session-limits.h"
#include "weft/appd-protocol.h"
#include "weft/log.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
/* D-Bus calls block the loop; the user manager answers in microseconds,
 * and one that does not should not stall every session for long. */
#define DBUS_TIMEOUT_USEC (1000 * 1000)

struct appd_limits {
	enum appd_limits_kind kind;
	struct appd_limits_config config;
	char description[512];
	/* Why the memory and CPU limits do not apply; empty when they do. */
	char not_enforced[384];
	sd_bus *bus; /* systemd */
	char *parent; /* cgroup: where session cgroups go */
	bool parent_is_ours; /* cgroup: we made parent and remove it at exit */
	bool memory, cpu; /* cgroup: controllers enabled for sessions */
};

struct appd_limits_session {
	struct appd_limits *limits;
	char *where; /* the scope's unit name, or the cgroup's path */
	bool started; /* systemd: the scope exists */
	int dir_fd; /* cgroup: the session's directory, for CLONE_INTO_CGROUP */
	int procs_fd; /* cgroup */
};

bool appd_limits_parse_kind(const char *s, enum appd_limits_kind *out)
{
	static const char *const names[] = {
		[APPD_LIMITS_AUTO] = "auto",
		[APPD_LIMITS_SYSTEMD] = "systemd",
		[APPD_LIMITS_CGROUP] = "cgroup",
		[APPD_LIMITS_NONE] = "none",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum appd_limits_kind)i;
			return true;
		}
	}
	return false;
}

const char *appd_limits_name(const struct appd_limits *limits)
{
	switch (limits->kind) {
	case APPD_LIMITS_SYSTEMD:
		return WEFT_APPD_LIMITS_SYSTEMD;
	case APPD_LIMITS_CGROUP:
		return WEFT_APPD_LIMITS_CGROUP;
	default:
		return WEFT_APPD_LIMITS_NONE;
	}
}

const char *appd_limits_describe(const struct appd_limits *limits)
{
	return limits->description;
}

const char *appd_limits_not_enforced(const struct appd_limits *limits)
{
	return limits->not_enforced[0] != '\0' ? limits->not_enforced : NULL;
}

/* ---- small file helpers ---- */

static bool write_file(const char *dir, const char *name, const char *value)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return weft_write_kernel_file(path, value);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		return NULL;
	}
	char *line = NULL;
	size_t cap = 0;
	char *text = NULL;
	size_t len = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		char *grown = realloc(text, len + (size_t)n + 1);
		if (grown == NULL) {
			break;
		}
		text = grown;
		memcpy(text + len, line, (size_t)n + 1);
		len += (size_t)n;
	}
	free(line);
	fclose(f);
	return text;
}

static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = list; p != NULL && *p != '\0';) {
		p += strspn(p, " \n");
		if (strncmp(p, word, len) == 0 &&
			(p[len] == ' ' || p[len] == '\n' || p[len] == '\0')) {
			return true;
		}
		p += strcspn(p, " \n");
	}
	return false;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* Sets why not, when dir lacks the memory or cpu controller (or cannot be read). */
static void check_controllers(struct appd_limits *limits, const char *dir, const char *whose)
{
	char *path = dir != NULL ? weft_strdup_printf("%s/cgroup.controllers", dir) : NULL;
	char *controllers = path != NULL ? read_file(path) : NULL;
	bool memory = has_word(controllers, "memory"), cpu = has_word(controllers, "cpu");
	if (path == NULL) {
		snprintf(limits->not_enforced, sizeof(limits->not_enforced), "out of memory");
	} else if (!memory || !cpu) {
		snprintf(limits->not_enforced, sizeof(limits->not_enforced),
			"%s (%s) has no %s controller", whose, dir,
			!memory && !cpu   ? "memory or cpu"
				: !memory ? "memory"
					  : "cpu");
	}
	free(controllers);
	free(path);
}

/* ---- systemd ---- */

static char *cgroup2_mount(void);

/* systemd sets MemoryMax and CPUQuota on a scope all the same, but they
 * only bite when the user manager was given those controllers. */
static void systemd_check_controllers(struct appd_limits *limits)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	char *cgroup = NULL;
	int r = sd_bus_get_property_string(limits->bus, SYSTEMD_DEST, SYSTEMD_PATH,
		SYSTEMD_MANAGER, "ControlGroup", &error, &cgroup);
	char *mount = cgroup2_mount();
	if (r < 0 || mount == NULL) {
		snprintf(limits->not_enforced, sizeof(limits->not_enforced),
			"cannot tell which controllers the systemd user manager has (%s)",
			mount == NULL                   ? "no cgroup v2 hierarchy"
				: error.message != NULL ? error.message
							: strerror(-r));
	} else {
		char *dir = weft_strdup_printf("%s%s", mount, cgroup);
		check_controllers(limits, dir, "the systemd user manager's cgroup");
		free(dir);
	}
	sd_bus_error_free(&error);
	free(cgroup);
	free(mount);
}

static bool systemd_open(struct appd_limits *limits, struct weft_error *err)
{
	int r = sd_bus_open_user(&limits->bus);
	if (r < 0) {
		weft_error_set(err, "no user bus: %s", strerror(-r));
		return false;
	}
	sd_bus_set_method_call_timeout(limits->bus, DBUS_TIMEOUT_USEC);
	sd_bus_error error = SD_BUS_ERROR_NULL;
	char *version = NULL;
	r = sd_bus_get_property_string(limits->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
		"Version", &error, &version);
	if (r < 0) {
		weft_error_set(err, "no systemd user manager on the user bus: %s",
			error.message != NULL ? error.message : strerror(-r));
		sd_bus_error_free(&error);
		limits->bus = sd_bus_flush_close_unref(limits->bus);
		return false;
	}
	snprintf(limits->description, sizeof(limits->description),
		"systemd %s user manager: a transient scope per session, MemoryMax=%llu, "
		"CPUQuota=%u%%",
		version, (unsigned long long)limits->config.memory_max, limits->config.cpu_quota);
	free(version);
	systemd_check_controllers(limits);
	return true;
}

static bool systemd_start_scope(struct appd_limits_session *ls, pid_t pid, struct weft_error *err)
{
	struct appd_limits *limits = ls->limits;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = sd_bus_message_new_method_call(limits->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH,
		SYSTEMD_MANAGER, "StartTransientUnit");
	if (r >= 0) {
		r = sd_bus_message_append(m, "ss", ls->where, "fail");
	}
	if (r >= 0) {
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	}
	if (r >= 0) {
		/* Delegate: the session's later processes (the app-shell) join
		 * by AttachProcessesToUnit, which systemd allows only into a
		 * delegated unit. */
		r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)", "Description", "s",
			"WEFT app session", "PIDs", "au", 1, (uint32_t)pid, "MemoryMax", "t",
			(uint64_t)limits->config.memory_max, "CPUQuotaPerSecUSec", "t",
			(uint64_t)limits->config.cpu_quota * 10000, "CollectMode", "s",
			"inactive-or-failed", "Delegate", "b", 1);
	}
	if (r >= 0) {
		r = sd_bus_message_close_container(m);
	}
	if (r >= 0) {
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	}
	if (r >= 0) {
		r = sd_bus_call(limits->bus, m, 0, &error, &reply);
	}
	if (r < 0) {
		weft_error_set(err, "start scope %s: %s", ls->where,
			error.message != NULL ? error.message : strerror(-r));
	}
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(m);
	return r >= 0;
}

static bool systemd_attach(struct appd_limits_session *ls, pid_t pid, struct weft_error *err)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(ls->limits->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
		"AttachProcessesToUnit", &error, NULL, "ssau", ls->where, "/", 1, (uint32_t)pid);
	if (r < 0) {
		weft_error_set(err, "attach %d to %s: %s", (int)pid, ls->where,
			error.message != NULL ? error.message : strerror(-r));
	}
	sd_bus_error_free(&error);
	return r >= 0;
}

static void systemd_kill(struct appd_limits_session *ls)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(ls->limits->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
		"KillUnit", &error, NULL, "ssi", ls->where, "all", SIGKILL);
	if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit")) {
		weft_log(WEFT_DEBUG, "limits: kill %s: %s", ls->where,
			error.message != NULL ? error.message : strerror(-r));
	}
	sd_bus_error_free(&error);
}

/* ---- cgroup v2 ---- */

/* The cgroup2 mount point, from mountinfo: "... MOUNTPOINT ... - cgroup2 ...". */
static char *cgroup2_mount(void)
{
	char *text = read_file("/proc/self/mountinfo");
	char *found = NULL;
	for (char *line = text, *next; line != NULL && *line != '\0' && found == NULL;
		line = next) {
		next = strchr(line, '\n');
		if (next != NULL) {
			*next++ = '\0';
		}
		char *sep = strstr(line, " - ");
		if (sep == NULL || strncmp(sep + 3, "cgroup2 ", 8) != 0) {
			continue;
		}
		/* Field 5 is the mount point; cgroup mount points hold no escapes. */
		char *field = line;
		for (int i = 0; i < 4 && field != NULL; i++) {
			field = strchr(field, ' ');
			field = field != NULL ? field + 1 : NULL;
		}
		if (field != NULL) {
			found = strndup(field, strcspn(field, " "));
		}
	}
	free(text);
	return found;
}

/* Our own cgroup v2 path ("0::/path"). */
static char *own_cgroup(void)
{
	char *text = read_file("/proc/self/cgroup");
	char *found = NULL;
	for (char *line = text; line != NULL && *line != '\0' && found == NULL;) {
		if (strncmp(line, "0::", 3) == 0) {
			found = strndup(line + 3, strcspn(line + 3, "\n"));
		}
		line = strchr(line, '\n');
		line = line != NULL ? line + 1 : NULL;
	}
	free(text);
	return found;
}

static void cgroup_kill_dir(const char *dir)
{
	if (write_file(dir, "cgroup.kill", "1")) {
		return;
	}
	/* Kernels before 5.14 have no cgroup.kill. */
	char path[4096];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	char *procs = read_file(path);
	for (char *p = procs; p != NULL && *p != '\0';) {
		long pid = strtol(p, &p, 10);
		if (pid > 0) {
			kill((pid_t)pid, SIGKILL);
		}
		p += strspn(p, "\n");
	}
	free(procs);
}

static bool cgroup_remove_dir(const char *dir)
{
	/* Killed processes leave their cgroup a moment after they die. */
	for (int i = 0; i < 20; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT) {
			return true;
		}
		if (errno != EBUSY) {
			break;
		}
		sleep_ms(5);
	}
	weft_log_errno(WEFT_DEBUG, "limits: rmdir %s", dir);
	return false;
}

/* Kills and removes the session cgroups under dir that a previous appd left. */
static void cgroup_remove_sessions(const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "session-", 8) != 0) {
			continue;
		}
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		weft_log(WEFT_INFO, "limits: removing stale %s", path);
		cgroup_kill_dir(path);
		cgroup_remove_dir(path);
	}
	closedir(d);
}

/* Parents named weft-appd.<pid> whose appd is gone. */
static void cgroup_remove_stale_parents(const char *root)
{
	DIR *d = opendir(root);
	if (d == NULL) {
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "weft-appd.", 10) != 0) {
			continue;
		}
		char proc[64];
		long pid = strtol(e->d_name + 10, NULL, 10);
		snprintf(proc, sizeof(proc), "/proc/%ld/comm", pid);
		char *comm = read_file(proc);
		bool alive = comm != NULL && strncmp(comm, "weft-appd", 9) == 0;
		free(comm);
		if (alive) {
			continue;
		}
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", root, e->d_name);
		cgroup_remove_sessions(path);
		cgroup_remove_dir(path);
	}
	closedir(d);
}

static bool cgroup_open(struct appd_limits *limits, struct weft_error *err)
{
	if (limits->config.cgroup_parent != NULL) {
		limits->parent = strdup(limits->config.cgroup_parent);
		if (limits->parent == NULL) {
			weft_error_set(err, "out of memory");
			return false;
		}
		if (mkdir(limits->parent, 0755) == 0) {
			limits->parent_is_ours = true;
		} else if (errno != EEXIST) {
			weft_error_errno(err, "mkdir %s", limits->parent);
			return false;
		}
	} else {
		char *mount = cgroup2_mount();
		char *own = own_cgroup();
		if (mount == NULL || own == NULL) {
			weft_error_set(err, "no cgroup v2 hierarchy");
			free(mount);
			free(own);
			return false;
		}
		if (strcmp(own, "/") == 0) {
			/* The root cgroup holds every process; our own subtree
			 * goes beside it, named after us so that a later appd can
			 * tell a stale one. */
			cgroup_remove_stale_parents(mount);
			limits->parent = weft_strdup_printf("%s/weft-appd.%d", mount,
				(int)getpid());
			if (limits->parent != NULL && mkdir(limits->parent, 0755) != 0) {
				weft_error_errno(err, "mkdir %s", limits->parent);
				free(mount);
				free(own);
				return false;
			}
			limits->parent_is_ours = true;
		} else {
			/* A delegated subtree: sessions beside a leaf for appd, since
			 * a cgroup with processes cannot hand controllers down. */
			limits->parent = weft_strdup_printf("%s%s", mount, own);
			char *leaf = weft_strdup_printf("%s%s/appd", mount, own);
			bool moved = leaf != NULL && (mkdir(leaf, 0755) == 0 || errno == EEXIST) &&
				write_file(leaf, "cgroup.procs", "0");
			if (!moved) {
				weft_error_errno(err, "cgroup %s%s is not delegated to us", mount,
					own);
			}
			free(leaf);
			if (!moved) {
				free(mount);
				free(own);
				return false;
			}
		}
		free(mount);
		free(own);
		if (limits->parent == NULL) {
			weft_error_set(err, "out of memory");
			return false;
		}
	}
	if (access(limits->parent, W_OK) != 0) {
		weft_error_errno(err, "cgroup %s", limits->parent);
		return false;
	}
	cgroup_remove_sessions(limits->parent);

	char path[4096];
	snprintf(path, sizeof(path), "%s/cgroup.controllers", limits->parent);
	char *controllers = read_file(path);
	limits->memory = has_word(controllers, "memory") &&
		write_file(limits->parent, "cgroup.subtree_control", "+memory");
	limits->cpu = has_word(controllers, "cpu") &&
		write_file(limits->parent, "cgroup.subtree_control", "+cpu");
	free(controllers);
	if (!limits->memory || !limits->cpu) {
		snprintf(limits->not_enforced, sizeof(limits->not_enforced),
			"the cgroup %s has no %s controller to give its sessions", limits->parent,
			!limits->memory && !limits->cpu ? "memory or cpu"
				: !limits->memory       ? "memory"
							: "cpu");
	}
	if (limits->memory || limits->cpu) {
		snprintf(limits->description, sizeof(limits->description),
			"cgroup v2 at %s: memory.max=%s%llu, cpu.max=%s%u%%", limits->parent,
			limits->memory ? "" : "(no controller) ",
			(unsigned long long)limits->config.memory_max,
			limits->cpu ? "" : "(no controller) ", limits->config.cpu_quota);
	} else {
		snprintf(limits->description, sizeof(limits->description),
			"cgroup v2 at %s: no memory or cpu controller delegated, so containment "
			"and kill only",
			limits->parent);
	}
	return true;
}

static bool cgroup_session(struct appd_limits_session *ls, const char *session_id,
	struct weft_error *err)
{
	struct appd_limits *limits = ls->limits;
	ls->where = weft_strdup_printf("%s/session-%s", limits->parent, session_id);
	if (ls->where == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	if (mkdir(ls->where, 0755) != 0) {
		weft_error_errno(err, "mkdir %s", ls->where);
		return false;
	}
	char value[64];
	if (limits->memory) {
		snprintf(value, sizeof(value), "%llu",
			(unsigned long long)limits->config.memory_max);
		if (!write_file(ls->where, "memory.max", value)) {
			weft_error_errno(err, "%s/memory.max", ls->where);
			return false;
		}
	}
	if (limits->cpu) {
		snprintf(value, sizeof(value), "%u 100000", limits->config.cpu_quota * 1000);
		if (!write_file(ls->where, "cpu.max", value)) {
			weft_error_errno(err, "%s/cpu.max", ls->where);
			return false;
		}
	}
	ls->dir_fd = open(ls->where, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ls->dir_fd < 0) {
		weft_error_errno(err, "open %s", ls->where);
		return false;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/cgroup.procs", ls->where);
	ls->procs_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (ls->procs_fd < 0) {
		weft_error_errno(err, "open %s", path);
		return false;
	}
	return true;
}

/* ---- the interface ---- */

/* 512M, as --memory-max takes it. */
static void format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "GMK";
	for (int i = 0; i < 3; i++) {
		unsigned shift = 30 - 10 * (unsigned)i;
		if (bytes >= (1ull << shift) && bytes % (1ull << shift) == 0) {
			snprintf(buf, size, "%llu%c", (unsigned long long)(bytes >> shift),
				units[i]);
			return;
		}
	}
	snprintf(buf, size, "%llu", (unsigned long long)bytes);
}

struct appd_limits *appd_limits_create(const struct appd_limits_config *config,
	struct weft_error *err)
{
	struct appd_limits *limits = calloc(1, sizeof(*limits));
	if (limits == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	limits->config = *config;
	struct weft_error why_not_systemd = { 0 }, why_not_cgroup = { 0 };
	bool any = config->kind == APPD_LIMITS_AUTO;

	if ((any || config->kind == APPD_LIMITS_SYSTEMD) &&
		systemd_open(limits, &why_not_systemd)) {
		limits->kind = APPD_LIMITS_SYSTEMD;
	} else if (config->kind == APPD_LIMITS_SYSTEMD) {
		weft_error_set(err, "limits: systemd: %s", why_not_systemd.msg);
		free(limits);
		return NULL;
	} else if ((any || config->kind == APPD_LIMITS_CGROUP) &&
		cgroup_open(limits, &why_not_cgroup)) {
		limits->kind = APPD_LIMITS_CGROUP;
	} else if (config->kind == APPD_LIMITS_CGROUP) {
		weft_error_set(err, "limits: cgroup: %s", why_not_cgroup.msg);
		appd_limits_destroy(limits);
		return NULL;
	} else {
		if (limits->parent != NULL && limits->parent_is_ours) {
			rmdir(limits->parent);
		}
		free(limits->parent);
		limits->parent = NULL;
		limits->kind = APPD_LIMITS_NONE;
		if (any) {
			snprintf(limits->description, sizeof(limits->description),
				"none (%s; %s): sessions run without resource limits",
				why_not_systemd.msg, why_not_cgroup.msg);
			snprintf(limits->not_enforced, sizeof(limits->not_enforced),
				"no systemd user manager (%s) and no cgroup v2 subtree of ours "
				"(%s)",
				why_not_systemd.msg, why_not_cgroup.msg);
		} else {
			snprintf(limits->description, sizeof(limits->description),
				"none, as asked: sessions run without resource limits");
			snprintf(limits->not_enforced, sizeof(limits->not_enforced),
				"--limits none");
		}
	}
	weft_log(WEFT_INFO, "limits: %s", limits->description);
	if (limits->not_enforced[0] != '\0') {
		char size[32];
		format_size(limits->config.memory_max, size, sizeof(size));
		weft_log(WEFT_WARN,
			"limits: the memory (%s) and CPU (%u%%) limits of sessions are not "
			"enforced: %s; to have them, run appd in a systemd user session whose "
			"user@.service delegates the memory and cpu controllers, or in a cgroup "
			"v2 subtree delegated to this user with both",
			size, limits->config.cpu_quota, limits->not_enforced);
	}
	return limits;
}

void appd_limits_destroy(struct appd_limits *limits)
{
	if (limits == NULL) {
		return;
	}
	if (limits->bus != NULL) {
		sd_bus_flush_close_unref(limits->bus);
	}
	if (limits->parent != NULL && limits->parent_is_ours) {
		cgroup_remove_sessions(limits->parent);
		cgroup_remove_dir(limits->parent);
	}
	free(limits->parent);
	free(limits);
}

struct appd_limits_session *appd_limits_session_create(struct appd_limits *limits,
	const char *app_id, const char *session_id, struct weft_error *err)
{
	struct appd_limits_session *ls = calloc(1, sizeof(*ls));
	if (ls == NULL) {
		weft_error_set(err, "out of memory");
		return NULL;
	}
	ls->limits = limits;
	ls->dir_fd = -1;
	ls->procs_fd = -1;
	bool ok = true;
	if (limits->kind == APPD_LIMITS_SYSTEMD) {
		/* app-<launcher>-<id>-<instance>.scope, as systemd suggests. */
		ls->where = weft_strdup_printf("app-weft-%s-%s.scope", app_id, session_id);
		ok = ls->where != NULL;
		if (!ok) {
			weft_error_set(err, "out of memory");
		}
	} else if (limits->kind == APPD_LIMITS_CGROUP) {
		ok = cgroup_session(ls, session_id, err);
	}
	if (!ok) {
		appd_limits_session_destroy(ls);
		return NULL;
	}
	return ls;
}

bool appd_limits_spare_create(struct appd_limits *limits, const char *name,
	struct appd_limits_session **out, struct weft_error *err)
{
	*out = NULL;
	if (limits == NULL || limits->kind != APPD_LIMITS_CGROUP) {
		return true;
	}
	/* A cgroup session's, named as one (no app id: it has none yet). */
	*out = appd_limits_session_create(limits, NULL, name, err);
	return *out != NULL;
}

int appd_limits_session_cgroup_fd(struct appd_limits_session *ls)
{
	return ls->dir_fd;
}

int appd_limits_session_procs_fd(struct appd_limits_session *ls)
{
	return ls->procs_fd;
}

bool appd_limits_session_adopt(struct appd_limits_session *ls, pid_t pid, struct weft_error *err)
{
	if (ls->limits->kind != APPD_LIMITS_CGROUP) {
		return appd_limits_session_attach(ls, pid, err);
	}
	/* cgroup v2 moves every thread of the process with it. */
	char line[24];
	int len = snprintf(line, sizeof(line), "%d\n", (int)pid);
	if (write(ls->procs_fd, line, (size_t)len) != len) {
		weft_error_errno(err, "move %d into %s", (int)pid, ls->where);
		return false;
	}
	return true;
}

bool appd_limits_session_attach(struct appd_limits_session *ls, pid_t pid, struct weft_error *err)
{
	if (ls->limits->kind != APPD_LIMITS_SYSTEMD) {
		return true; /* the child has joined its cgroup itself */
	}
	if (ls->started) {
		return systemd_attach(ls, pid, err);
	}
	ls->started = systemd_start_scope(ls, pid, err);
	return ls->started;
}

void appd_limits_session_kill(struct appd_limits_session *ls)
{
	if (ls->limits->kind == APPD_LIMITS_SYSTEMD && ls->started) {
		systemd_kill(ls);
	} else if (ls->limits->kind == APPD_LIMITS_CGROUP) {
		cgroup_kill_dir(ls->where);
	}
}

void appd_limits_session_destroy(struct appd_limits_session *ls)
{
	if (ls == NULL) {
		return;
	}
	if (ls->dir_fd >= 0) {
		close(ls->dir_fd);
	}
	if (ls->procs_fd >= 0) {
		close(ls->procs_fd);
	}
	if (ls->limits->kind == APPD_LIMITS_CGROUP && ls->where != NULL) {
		cgroup_kill_dir(ls->where);
		cgroup_remove_dir(ls->where);
	}
	/* A scope goes by itself once empty (CollectMode=inactive-or-failed). */
	free(ls->where);
	free(ls);
}
