/*
 * Package trees on disk: listing one with every refusal a package needs,
 * copying it, and removing or creating directories without ever following a
 * symlink. Install, bundle and build-image all go through here, so that a
 * directory and a bundle are held to the same rules.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pack.h"
#include "weft/package.h"

#define COPY_BUF_SIZE (256 * 1024)

const char *pack_file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "regular file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symbolic link";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	default:
		return "unknown file type";
	}
}

int pack_open_beneath(int rootfd, const char *path, int flags, mode_t mode)
{
	char *copy = strdup(path);
	if (copy == NULL) {
		return -1;
	}
	int dirfd = rootfd;
	char *comp = copy;
	char *slash;
	int fd = -1;
	while ((slash = strchr(comp, '/')) != NULL) {
		*slash = '\0';
		if ((flags & O_CREAT) && mkdirat(dirfd, comp, 0755) < 0 && errno != EEXIST) {
			goto out;
		}
		int next = openat(dirfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			goto out;
		}
		if (dirfd != rootfd) {
			close(dirfd);
		}
		dirfd = next;
		comp = slash + 1;
	}
	fd = openat(dirfd, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
out:;
	int saved = errno;
	if (dirfd != rootfd) {
		close(dirfd);
	}
	free(copy);
	errno = saved;
	return fd;
}

bool pack_mkdirs_beneath(int rootfd, const char *path, struct weft_error *err)
{
	char *copy = strdup(path);
	if (copy == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	int dirfd = rootfd;
	bool ok = true;
	for (char *comp = copy, *next; comp != NULL; comp = next) {
		next = strchr(comp, '/');
		if (next != NULL) {
			*next++ = '\0';
		}
		if (mkdirat(dirfd, comp, 0755) < 0 && errno != EEXIST) {
			weft_error_errno(err, "mkdir %s", path);
			ok = false;
			break;
		}
		/* O_NOFOLLOW: an existing symlink or file in the way is an error. */
		int fd = openat(dirfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			weft_error_errno(err, "mkdir %s", path);
			ok = false;
			break;
		}
		if (dirfd != rootfd) {
			close(dirfd);
		}
		dirfd = fd;
	}
	if (dirfd != rootfd) {
		close(dirfd);
	}
	free(copy);
	return ok;
}

static bool rmtree_fd(int dirfd, struct weft_error *err)
{
	DIR *dir = fdopendir(dirfd);
	if (dir == NULL) {
		weft_error_errno(err, "opendir");
		close(dirfd);
		return false;
	}
	bool ok = true;
	struct dirent *de;
	while (ok && (errno = 0, de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
			continue;
		}
		ok = pack_rmtree_at(dirfd, de->d_name, err);
	}
	if (ok && errno != 0) {
		weft_error_errno(err, "readdir");
		ok = false;
	}
	closedir(dir);
	return ok;
}

bool pack_rmtree_at(int dirfd, const char *name, struct weft_error *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT) {
			return true;
		}
		weft_error_errno(err, "%s", name);
		return false;
	}
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			weft_error_errno(err, "%s", name);
			return false;
		}
		if (!rmtree_fd(fd, err)) {
			weft_error_prefix(err, "%s", name);
			return false;
		}
	}
	if (unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT) {
		weft_error_errno(err, "remove %s", name);
		return false;
	}
	return true;
}

bool pack_sync(int fd, struct weft_error *err)
{
	if (syncfs(fd) < 0) {
		weft_error_errno(err, "sync");
		return false;
	}
	return true;
}

int pack_mkdtemp_at(const char *parent, char **name, struct weft_error *err)
{
	char *path = weft_strdup_printf("%s/%sXXXXXX", parent, PACK_TMP_PREFIX);
	if (path == NULL) {
		weft_error_set(err, "out of memory");
		return -1;
	}
	if (mkdtemp(path) == NULL) {
		weft_error_errno(err, "create temporary directory in %s", parent);
		free(path);
		return -1;
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		weft_error_errno(err, "open %s", path);
		rmdir(path);
		free(path);
		return -1;
	}
	*name = strdup(strrchr(path, '/') + 1);
	free(path);
	if (*name == NULL) {
		weft_error_set(err, "out of memory");
		close(fd);
		return -1;
	}
	return fd;
}

bool pack_rename_noreplace(int dirfd, const char *tmp, int final_dirfd, const char *final,
	struct weft_error *err)
{
	if (renameat2(dirfd, tmp, final_dirfd, final, RENAME_NOREPLACE) == 0) {
		return true;
	}
	if (errno != EINVAL && errno != ENOSYS) {
		weft_error_errno(err, "%s", final);
		return false;
	}
	/* A filesystem without RENAME_NOREPLACE. rename() never replaces a
	 * non-empty directory, and link() never replaces a file. */
	struct stat st;
	if (fstatat(dirfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
		if (renameat(dirfd, tmp, final_dirfd, final) < 0) {
			weft_error_errno(err, "%s", final);
			return false;
		}
		return true;
	}
	if (linkat(dirfd, tmp, final_dirfd, final, 0) < 0) {
		weft_error_errno(err, "%s", final);
		return false;
	}
	unlinkat(dirfd, tmp, 0);
	return true;
}

/* Directory listing */

static bool tree_push(struct pack_tree *tree, struct pack_entry entry)
{
	if (tree->len == tree->cap) {
		size_t cap = tree->cap ? tree->cap * 2 : 32;
		struct pack_entry *items = realloc(tree->items, cap * sizeof(*items));
		if (items == NULL) {
			return false;
		}
		tree->items = items;
		tree->cap = cap;
	}
	tree->items[tree->len++] = entry;
	return true;
}

static bool check_stat(const char *path, const struct stat *st, struct pack_tree *tree,
	struct weft_error *err)
{
	if (S_ISDIR(st->st_mode)) {
		return weft_pkg_tally_add(&tree->tally, path, true, 0, err);
	}
	if (!S_ISREG(st->st_mode)) {
		weft_error_set(err, "%s: %s refused (only regular files and directories)", path,
			pack_file_type(st->st_mode));
		return false;
	}
	if (st->st_nlink > 1) {
		weft_error_set(err, "%s: hard link refused (file has %ju links)", path,
			(uintmax_t)st->st_nlink);
		return false;
	}
	/* Judged by st_size, before reading anything. */
	return weft_pkg_tally_add(&tree->tally, path, false, (uint64_t)st->st_size, err);
}

static bool scan_dir(int dirfd, const char *prefix, int depth, struct pack_tree *tree,
	struct weft_error *err)
{
	int dupfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0) {
		weft_error_errno(err, "dup");
		return false;
	}
	DIR *dir = fdopendir(dupfd);
	if (dir == NULL) {
		weft_error_errno(err, "%s", prefix[0] ? prefix : ".");
		close(dupfd);
		return false;
	}
	bool ok = true;
	struct dirent *de;
	while (ok && (errno = 0, de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
			continue;
		}
		char *path = prefix[0] ? weft_strdup_printf("%s/%s", prefix, de->d_name)
				       : strdup(de->d_name);
		if (path == NULL) {
			weft_error_set(err, "out of memory");
			ok = false;
			break;
		}
		struct stat st;
		if (!weft_pkg_path_check(path, err)) {
			ok = false;
		} else if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			weft_error_errno(err, "%s", path);
			ok = false;
		} else {
			ok = check_stat(path, &st, tree, err);
		}
		if (!ok) {
			free(path);
			break;
		}
		struct pack_entry entry = {
			.path = path,
			.dir = S_ISDIR(st.st_mode),
			.mode = st.st_mode,
			.size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0,
			.dev = st.st_dev,
			.ino = st.st_ino,
		};
		if (!tree_push(tree, entry)) {
			weft_error_set(err, "out of memory");
			free(path);
			ok = false;
			break;
		}
		if (!entry.dir) {
			continue;
		}
		int sub = openat(dirfd, de->d_name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			weft_error_errno(err, "%s", path);
			ok = false;
			break;
		}
		struct stat sub_st;
		if (fstat(sub, &sub_st) < 0 || sub_st.st_dev != st.st_dev ||
			sub_st.st_ino != st.st_ino) {
			weft_error_set(err, "%s: changed while being read", path);
			ok = false;
		} else {
			ok = scan_dir(sub, path, depth + 1, tree, err);
		}
		close(sub);
	}
	if (ok && de == NULL && errno != 0) {
		weft_error_errno(err, "%s", prefix[0] ? prefix : ".");
		ok = false;
	}
	closedir(dir);
	return ok;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct pack_entry *ea = a, *eb = b;
	return strcmp(ea->path, eb->path);
}

bool pack_tree_scan(int rootfd, struct pack_tree *tree, struct weft_error *err)
{
	*tree = (struct pack_tree){ 0 };
	if (!scan_dir(rootfd, "", 0, tree, err)) {
		pack_tree_finish(tree);
		return false;
	}
	/* strcmp() compares as unsigned char: the bytewise order of design §5,
	 * in which a directory always precedes what it holds. */
	qsort(tree->items, tree->len, sizeof(*tree->items), entry_cmp);
	return true;
}

void pack_tree_finish(struct pack_tree *tree)
{
	for (size_t i = 0; i < tree->len; i++) {
		free(tree->items[i].path);
	}
	free(tree->items);
	*tree = (struct pack_tree){ 0 };
}

int pack_tree_open(int rootfd, const struct pack_entry *e, struct weft_error *err)
{
	int fd = pack_open_beneath(rootfd, e->path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0) {
		weft_error_errno(err, "%s", e->path);
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		weft_error_errno(err, "%s", e->path);
		close(fd);
		return -1;
	}
	if (st.st_dev != e->dev || st.st_ino != e->ino || !S_ISREG(st.st_mode) ||
		st.st_nlink > 1 || (uint64_t)st.st_size != e->size) {
		weft_error_set(err, "%s: changed while being read", e->path);
		close(fd);
		return -1;
	}
	return fd;
}

static bool copy_file(int srcfd, const struct pack_entry *e, int dstfd, char *buf,
	struct weft_error *err)
{
	int in = pack_tree_open(srcfd, e, err);
	if (in < 0) {
		return false;
	}
	mode_t mode = (e->mode & 0111) ? 0755 : 0644;
	int out = pack_open_beneath(dstfd, e->path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (out < 0) {
		weft_error_errno(err, "create %s", e->path);
		close(in);
		return false;
	}
	bool ok = false;
	uint64_t copied = 0;
	while (true) {
		ssize_t n = read(in, buf, COPY_BUF_SIZE);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			weft_error_errno(err, "read %s", e->path);
			goto out;
		}
		if (n == 0) {
			break;
		}
		copied += (uint64_t)n;
		/* The size was checked before copying; a file growing since then
		 * must not get past the limit. */
		if (copied > e->size) {
			weft_error_set(err, "%s: changed while being read", e->path);
			goto out;
		}
		if (!weft_write_all(out, buf, (size_t)n)) {
			weft_error_errno(err, "write %s", e->path);
			goto out;
		}
	}
	if (copied != e->size) {
		weft_error_set(err, "%s: changed while being read", e->path);
		goto out;
	}
	ok = true;
out:
	close(in);
	close(out);
	return ok;
}

bool pack_tree_copy(int srcfd, const struct pack_tree *tree, int dstfd, struct weft_error *err)
{
	char *buf = malloc(COPY_BUF_SIZE);
	if (buf == NULL) {
		weft_error_set(err, "out of memory");
		return false;
	}
	bool ok = true;
	for (size_t i = 0; ok && i < tree->len; i++) {
		const struct pack_entry *e = &tree->items[i];
		if (e->dir) {
			ok = pack_mkdirs_beneath(dstfd, e->path, err);
		} else {
			ok = copy_file(srcfd, e, dstfd, buf, err);
		}
	}
	free(buf);
	return ok;
}
