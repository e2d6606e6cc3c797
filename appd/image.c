/*
 * Packages installed as images (design §5, optional verified storage): a
 * store root may hold <id>.erofs with its hash tree <id>.erofs.verity and
 * root hash <id>.erofs.roothash, as `weft-pack build-image` writes them,
 * instead of the directory <id>/ (a directory in any root comes first), or
 * in /var/lib/weft/images.
 *
 * The package check mounts the image through weft-mount-helper (setuid
 * root; it takes images from the system stores only, checks the whole image
 * against the root hash and mounts it read-only under the runtime
 * directory), then verifies the package in it like any other: the mount
 * point is the session's package directory. appd unmounts it when the last
 * session using it has ended and no launch of the app is being checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appd.h"
#include "weft/log.h"
#include "weft/paths.h"

/* Where images go that are not in a package store: searched after the
 * store roots (weft-mount-helper takes images from here and the system
 * store only). */
#define IMAGE_STORE "/var/lib/weft/images"
#define ROOT_HASH_HEX 64
/* A mount point and an error line are short. */
#define OUTPUT_MAX 4096

char *appd_image_find(const char *app_id, char **root_hash, bool *exists, struct weft_error *err)
{
	*root_hash = NULL;
	*exists = false;
	struct weft_strv roots;
	weft_strv_init(&roots);
	if (!weft_store_roots(&roots, err) || !weft_strv_push(&roots, IMAGE_STORE)) {
		weft_strv_finish(&roots);
		return NULL;
	}
	char *found = NULL;
	for (size_t i = 0; i < roots.len && found == NULL; i++) {
		char *image = weft_strdup_printf("%s/%s.erofs", roots.items[i], app_id);
		struct stat st;
		if (image != NULL && stat(image, &st) == 0 && S_ISREG(st.st_mode)) {
			found = image;
		} else {
			free(image);
		}
	}
	weft_strv_finish(&roots);
	if (found == NULL) {
		weft_error_set(err, "%s is not installed", app_id);
		return NULL;
	}
	*exists = true;

	char *hash_path = weft_strdup_printf("%s.roothash", found);
	char buf[ROOT_HASH_HEX + 2] = { 0 };
	int fd = hash_path != NULL ? open(hash_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0) {
		close(fd);
	}
	if (n == ROOT_HASH_HEX + 1 && buf[ROOT_HASH_HEX] == '\n') {
		buf[ROOT_HASH_HEX] = '\0';
	}
	if (n < ROOT_HASH_HEX || strlen(buf) != ROOT_HASH_HEX ||
		strspn(buf, "0123456789abcdef") != ROOT_HASH_HEX) {
		weft_error_set(err, "%s: no root hash (64 hex digits) in %s.roothash", app_id,
			found);
		free(hash_path);
		free(found);
		return NULL;
	}
	free(hash_path);
	*root_hash = strdup(buf);
	if (*root_hash == NULL) {
		weft_error_set(err, "out of memory");
		free(found);
		return NULL;
	}
	return found;
}

/* Reads fd to its end into buf (NUL-terminated, the rest dropped). */
static void read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	for (;;) {
		char chunk[512];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		size_t keep = (size_t)n < size - 1 - len ? (size_t)n : size - 1 - len;
		memcpy(buf + len, chunk, keep);
		len += keep;
	}
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ')) {
		buf[--len] = '\0';
	}
}

char *appd_image_mount(const char *helper, const char *image, const char *root_hash,
	struct weft_error *err)
{
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		weft_error_errno(err, "image mount failed: pipe");
		for (int i = 0; i < 2; i++) {
			if (out[i] >= 0) {
				close(out[i]);
			}
		}
		return NULL;
	}
	char *const argv[] = { (char *)helper, "mount", (char *)image, (char *)root_hash, NULL };
	char *const envp[] = { NULL };
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0) {
			_exit(127);
		}
		close_range(3, ~0U, 0);
		execve(helper, argv, envp);
		fprintf(stderr, "run %s: %s\n", helper, strerror(errno));
		_exit(127);
	}
	int fork_errno = errno;
	close(out[1]);
	close(errp[1]);
	if (pid < 0) {
		close(out[0]);
		close(errp[0]);
		errno = fork_errno;
		weft_error_errno(err, "image mount failed: fork");
		return NULL;
	}
	/* One line each: neither pipe can fill while the other is read. */
	char mountpoint[OUTPUT_MAX], why[OUTPUT_MAX];
	read_all(out[0], mountpoint, sizeof(mountpoint));
	read_all(errp[0], why, sizeof(why));
	close(out[0]);
	close(errp[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			weft_error_errno(err, "image mount failed: wait for %s", helper);
			return NULL;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (why[0] != '\0') {
			weft_error_set(err, "image mount failed: %s", why);
		} else if (WIFSIGNALED(status)) {
			weft_error_set(err, "image mount failed: %s killed by signal %d", helper,
				WTERMSIG(status));
		} else {
			weft_error_set(err, "image mount failed: %s exited with status %d", helper,
				WEXITSTATUS(status));
		}
		return NULL;
	}
	if (mountpoint[0] != '/' || strchr(mountpoint, '\n') != NULL) {
		weft_error_set(err, "image mount failed: %s printed no mount point", helper);
		return NULL;
	}
	return strdup(mountpoint);
}

void appd_image_release(struct appd *appd, const char *app_id, const char *mountpoint)
{
	if (mountpoint == NULL || appd_sessions_use_image(appd, mountpoint) ||
		appd_launch_pending(appd, app_id)) {
		return;
	}
	weft_log(WEFT_INFO, "%s: unmounting its image %s", app_id, mountpoint);
	/* The helper runs on its own, orphaned at once, so that the loop never
	 * waits for it: only the intermediate child is reaped here. */
	const char *helper = appd->config.mount_helper_path;
	pid_t pid = fork();
	if (pid < 0) {
		weft_log(WEFT_WARN, "%s: unmount %s: fork: %s", app_id, mountpoint,
			strerror(errno));
		return;
	}
	if (pid == 0) {
		close_range(3, ~0U, 0);
		if (fork() == 0) {
			char *const argv[] = { (char *)helper, "unmount", (char *)mountpoint,
				NULL };
			char *const envp[] = { NULL };
			execve(helper, argv, envp);
			fprintf(stderr, "weft-appd: unmount %s: run %s: %s\n", mountpoint, helper,
				strerror(errno));
			_exit(127);
		}
		_exit(0);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
	}
}
