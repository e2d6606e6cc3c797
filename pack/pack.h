/*
 * weft-pack internals shared between its subcommand files.
 *
 * Each cmd_* function receives argv with argv[0] set to the subcommand name,
 * prints at most one error line and returns the process exit status.
 */
#ifndef PACK_PACK_H
#define PACK_PACK_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "weft/common.h"
#include "weft/package.h"

struct weft_manifest;

enum pack_exit {
	PACK_EXIT_OK = 0,
	PACK_EXIT_FAIL = 1,
	PACK_EXIT_USAGE = 2,
};

/* Prefix of the temporary names kept in a store, which `list` skips. */
#define PACK_TMP_PREFIX ".tmp-"

/* main.c: command-line plumbing */

/* "weft-pack: <cmd>: <message>" on stderr; returns PACK_EXIT_FAIL. */
int pack_fail(const char *cmd, const char *fmt, ...) WEFT_PRINTF(2, 3);
/* The same for bad usage; returns PACK_EXIT_USAGE. */
int pack_usage_error(const char *cmd, const char *fmt, ...) WEFT_PRINTF(2, 3);
/* Prints usage on stdout; returns PACK_EXIT_OK. */
int pack_help(const char *usage);
/*
 * getopt_long() that reports unknown options and missing values itself, as
 * one line. Returns the option, -1 at the end, or '?' after reporting an
 * error. Call pack_getopt_reset() before the first call.
 */
void pack_getopt_reset(void);
int pack_getopt(const char *cmd, int argc, char *argv[], const char *shortopts,
	const struct option *longopts);
/*
 * Checks that argv[optind..] has between min and max positionals, named by
 * names (used for the "missing" message). Returns false after reporting.
 */
bool pack_positionals(const char *cmd, int argc, char *argv[], int min, int max,
	const char *const names[]);

/*
 * Parses a command whose only option is --help, with between min and max
 * positionals (from argv[optind]). Returns the exit status when the command
 * is done (help shown, usage error), or -1 to go on.
 */
int pack_parse_help_only(const char *cmd, const char *usage, int argc, char *argv[], int min,
	int max, const char *const names[]);

int cmd_generate_key(int argc, char *argv[]);
int cmd_trust(int argc, char *argv[]);
int cmd_sign(int argc, char *argv[]);
int cmd_verify(int argc, char *argv[]);
int cmd_check(int argc, char *argv[]);
int cmd_info(int argc, char *argv[]);
int cmd_list(int argc, char *argv[]);
int cmd_install(int argc, char *argv[]);
int cmd_uninstall(int argc, char *argv[]);
int cmd_bundle(int argc, char *argv[]);
int cmd_unbundle(int argc, char *argv[]);
int cmd_build_image(int argc, char *argv[]);

/* tree.c: walking, copying and removing package trees safely */

struct pack_entry {
	char *path; /* relative, '/'-separated, never "." or ".." */
	bool dir;
	mode_t mode;
	uint64_t size;
	dev_t dev;
	ino_t ino;
};

struct pack_tree {
	struct pack_entry *items; /* sorted bytewise by path; parents first */
	size_t len, cap;
	struct weft_pkg_tally tally; /* files, directories, bytes */
};

/*
 * Lists every entry under the directory rootfd, refusing what a package may
 * not hold: symlinks, hard links, devices, fifos, sockets, names that
 * weft_pkg_path_check() refuses, and anything past the package limits
 * (weft_pkg_tally_add(); sizes judged by st_size, before reading anything).
 */
bool pack_tree_scan(int rootfd, struct pack_tree *tree, struct weft_error *err);
void pack_tree_finish(struct pack_tree *tree);
/* Opens the regular file e of a scanned tree, checking it is still the file
 * that was scanned. */
int pack_tree_open(int rootfd, const struct pack_entry *e, struct weft_error *err);
/* Copies a scanned tree into the empty directory dstfd (not synced). */
bool pack_tree_copy(int srcfd, const struct pack_tree *tree, int dstfd, struct weft_error *err);

/*
 * openat() of a relative path that never leaves rootfd: no component may be
 * a symlink. With O_CREAT, missing parent directories are created.
 */
int pack_open_beneath(int rootfd, const char *path, int flags, mode_t mode);
/* Creates dir and its missing parents under rootfd (mode 0755). */
bool pack_mkdirs_beneath(int rootfd, const char *path, struct weft_error *err);
/* Removes name under dirfd and everything below it, without following
 * symlinks. A missing name is not an error. */
bool pack_rmtree_at(int dirfd, const char *name, struct weft_error *err);
/*
 * Flushes the filesystem holding fd to disk: one syncfs() costs far less
 * than an fsync() per file of a package, and covers the directories too.
 */
bool pack_sync(int fd, struct weft_error *err);
/*
 * Creates a fresh directory "<PACK_TMP_PREFIX>XXXXXX" under parent. Returns
 * an fd open on it and sets *name (malloc'd, relative to parent).
 */
int pack_mkdtemp_at(const char *parent, char **name, struct weft_error *err);
/* Moves the file or directory tmp to final without ever replacing final. */
bool pack_rename_noreplace(int dirfd, const char *tmp, int final_dirfd, const char *final,
	struct weft_error *err);
const char *pack_file_type(mode_t mode);

/* check.c */

/*
 * Checks the files a valid manifest names: the module is a WebAssembly
 * component, the UI entry a regular file, both inside the package at rootfd.
 * Appends one message per problem.
 */
/* Loads dir's manifest quietly; on failure err holds its first error. */
struct weft_manifest *pack_load_manifest(const char *dir, struct weft_error *err);
void pack_check_files(int rootfd, const struct weft_manifest *manifest,
	struct weft_strv *problems);

/* bundle.c */

/* Extracts a bundle into the empty directory dstfd with every check of
 * pack_tree_scan() applied to its entries (not synced). */
bool pack_bundle_extract(const char *file, int dstfd, struct weft_error *err);
/* The same from the len bytes at data, named name in messages (for tests/fuzz). */
bool pack_bundle_extract_memory(const void *data, size_t len, const char *name, int dstfd,
	struct weft_error *err);

#endif
