/*
 * What a test of appd's event loop looks at from outside it: the epoll
 * set's registrations, as the kernel lists them in /proc/self/fdinfo, and
 * a forked child that holds every fd of ours, as a session process does
 * between its fork and its exec.
 */
#ifndef WEFT_TEST_APPD_LOOPCHECK_H
#define WEFT_TEST_APPD_LOOPCHECK_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Registrations in this process's one epoll set, or -1 without exactly
 * one. A registration outlives its fd when a child holds the file. */
static inline int loopcheck_registrations(void)
{
	DIR *dir = opendir("/proc/self/fd");
	if (dir == NULL) {
		return -1;
	}
	int epoll_fd = -1, found = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		char path[64], target[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%s", entry->d_name);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (strcmp(target, "anon_inode:[eventpoll]") == 0) {
				epoll_fd = atoi(entry->d_name);
				found++;
			}
		}
	}
	closedir(dir);
	if (found != 1) {
		return -1;
	}
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epoll_fd);
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		return -1;
	}
	int count = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		count += strncmp(line, "tfd:", 4) == 0;
	}
	fclose(f);
	return count;
}

/* A child holding a copy of every fd we have until loopcheck_release(). */
struct loopcheck_holder {
	pid_t pid;
	int go; /* our end of its pipe: closing it lets the child exit */
};

static inline bool loopcheck_hold(struct loopcheck_holder *holder)
{
	int pipe_fds[2];
	if (pipe(pipe_fds) != 0) {
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return false;
	}
	if (pid == 0) {
		close(pipe_fds[1]);
		char c;
		while (read(pipe_fds[0], &c, 1) != 0) {
		}
		_exit(0);
	}
	close(pipe_fds[0]);
	holder->pid = pid;
	holder->go = pipe_fds[1];
	return true;
}

static inline void loopcheck_release(struct loopcheck_holder *holder)
{
	if (holder->pid <= 0) {
		return;
	}
	close(holder->go);
	int status;
	while (waitpid(holder->pid, &status, 0) < 0 && errno == EINTR) {
	}
	holder->pid = 0;
}

#endif
