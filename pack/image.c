/*
 * `build-image`: a package as a read-only EROFS image plus its dm-verity hash
 * tree and root hash (design §5, optional verified storage). The work is done
 * by mkfs.erofs (erofs-utils) and veritysetup (cryptsetup-bin), spawned
 * directly, never through a shell.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pack.h"
#include "weft/manifest.h"
#include "weft/package.h"

/* Enough of a tool's output to explain a failure. */
#define TOOL_OUTPUT_MAX (64 * 1024)

extern char **environ;

static const char usage_build_image[] =
	"Usage: weft-pack build-image DIR [-o FILE]\n"
	"\n"
	"Build a read-only EROFS image of the package in DIR with mkfs.erofs, then\n"
	"its dm-verity hash tree with veritysetup: FILE, FILE.verity and\n"
	"FILE.roothash (the root hash in hex). The package must scan cleanly.\n"
	"Files are owned by root with a fixed timestamp, and the filesystem UUID\n"
	"derives from the package digest, so the image is reproducible. Existing\n"
	"outputs are never overwritten.\n"
	"\n"
	"The tools are looked up in PATH, then in /usr/sbin and /sbin (Debian\n"
	"packages erofs-utils and cryptsetup-bin).\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE  the image (default ./<id>.erofs)\n"
	"  -h, --help         show this help\n";

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The tool's absolute path, or NULL. */
static char *find_tool(const char *name)
{
	struct weft_strv dirs;
	weft_strv_init(&dirs);
	const char *path = getenv("PATH");
	if (path != NULL) {
		for (const char *p = path; *p != '\0';) {
			const char *end = strchrnul(p, ':');
			/* Relative entries (and the empty one, ".") are skipped. */
			if (p[0] == '/') {
				weft_strv_pushf(&dirs, "%.*s", (int)(end - p), p);
			}
			p = *end == ':' ? end + 1 : end;
		}
	}
	/* sbin is often missing from a user's PATH. */
	static const char *const fallback[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };
	for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++) {
		weft_strv_push(&dirs, fallback[i]);
	}
	char *found = NULL;
	for (size_t i = 0; found == NULL && i < dirs.len; i++) {
		char *candidate = weft_path_join(dirs.items[i], name);
		if (candidate != NULL && is_executable(candidate)) {
			found = candidate;
		} else {
			free(candidate);
		}
	}
	weft_strv_finish(&dirs);
	return found;
}

/* environ with LC_ALL=C, so that the output parsed below is not translated. */
static char **tool_environ(void)
{
	size_t n = 0;
	while (environ[n] != NULL) {
		n++;
	}
	char **env = calloc(n + 2, sizeof(*env));
	if (env == NULL) {
		return NULL;
	}
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(environ[i], "LC_ALL=", 7) != 0) {
			env[j++] = environ[i];
		}
	}
	env[j++] = "LC_ALL=C";
	env[j] = NULL;
	return env;
}

static const char *last_line(char *output)
{
	size_t len = strlen(output);
	while (len > 0 && isspace((unsigned char)output[len - 1])) {
		output[--len] = '\0';
	}
	char *nl = strrchr(output, '\n');
	return nl != NULL ? nl + 1 : output;
}

/*
 * Runs argv[0], an absolute path, with stdin from /dev/null and its stdout
 * and stderr collected into *output (NUL-terminated, truncated to
 * TOOL_OUTPUT_MAX). Fails unless it exits with status 0.
 */
static bool run_tool(char *const argv[], char **output, struct weft_error *err)
{
	*output = NULL;
	const char *tool = strrchr(argv[0], '/') + 1;
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		weft_error_errno(err, "pipe");
		return false;
	}
	char **env = tool_environ();
	char *buf = malloc(TOOL_OUTPUT_MAX + 1);
	posix_spawn_file_actions_t actions;
	bool actions_ok = posix_spawn_file_actions_init(&actions) == 0;
	pid_t pid = -1;
	int r = ENOMEM;
	if (env != NULL && buf != NULL && actions_ok &&
		posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) == 0 &&
		posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1) == 0 &&
		posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2) == 0) {
		r = posix_spawn(&pid, argv[0], &actions, NULL, argv, env);
	}
	if (actions_ok) {
		posix_spawn_file_actions_destroy(&actions);
	}
	free(env);
	close(pipefd[1]);
	if (r != 0) {
		errno = r;
		weft_error_errno(err, "run %s", argv[0]);
		close(pipefd[0]);
		free(buf);
		return false;
	}

	size_t len = 0;
	while (true) {
		char chunk[4096];
		ssize_t n = read(pipefd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		/* Keep draining past the cap so that the tool never blocks. */
		size_t keep = (size_t)n < TOOL_OUTPUT_MAX - len ? (size_t)n
								: TOOL_OUTPUT_MAX - len;
		memcpy(buf + len, chunk, keep);
		len += keep;
	}
	buf[len] = '\0';
	close(pipefd[0]);

	int wstatus;
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			weft_error_errno(err, "wait for %s", tool);
			free(buf);
			return false;
		}
	}
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
		*output = buf;
		return true;
	}
	const char *line = last_line(buf);
	if (WIFSIGNALED(wstatus)) {
		weft_error_set(err, "%s killed by signal %d%s%s", tool, WTERMSIG(wstatus),
			line[0] ? ": " : "", line);
	} else {
		weft_error_set(err, "%s failed (exit status %d)%s%s", tool, WEXITSTATUS(wstatus),
			line[0] ? ": " : "", line);
	}
	free(buf);
	return false;
}

/* The hex after "Root hash:" in veritysetup's report, or NULL. */
static char *parse_root_hash(const char *output)
{
	static const char label[] = "Root hash:";
	for (const char *line = output; line != NULL && *line != '\0';) {
		if (strncmp(line, label, sizeof(label) - 1) == 0) {
			const char *p = line + sizeof(label) - 1;
			while (*p == ' ' || *p == '\t') {
				p++;
			}
			size_t len = 0;
			while (isxdigit((unsigned char)p[len])) {
				len++;
			}
			bool end = p[len] == '\0' || isspace((unsigned char)p[len]);
			if (len < 2 * WEFT_SHA256_LEN || len % 2 != 0 || !end) {
				return NULL;
			}
			char *hex = strndup(p, len);
			for (size_t i = 0; hex != NULL && i < len; i++) {
				hex[i] = (char)tolower((unsigned char)hex[i]);
			}
			return hex;
		}
		line = strchr(line, '\n');
		line = line != NULL ? line + 1 : NULL;
	}
	return NULL;
}

/* A name-based UUID from the package digest: the same package, the same
 * image. */
static void digest_uuid(const unsigned char digest[WEFT_SHA256_LEN], char out[37])
{
	unsigned char u[16];
	memcpy(u, digest, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x50;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		u[13], u[14], u[15]);
}

enum { OUT_IMAGE, OUT_VERITY, OUT_ROOTHASH, OUT_COUNT };

struct outputs {
	char *path[OUT_COUNT];
	int fd[OUT_COUNT];
	bool created[OUT_COUNT];
};

/* Creates every output empty, so that none exists already and none can
 * appear while the tools run. */
static bool outputs_reserve(struct outputs *o, const char *image, struct weft_error *err)
{
	o->path[OUT_IMAGE] = strdup(image);
	o->path[OUT_VERITY] = weft_strdup_printf("%s.verity", image);
	o->path[OUT_ROOTHASH] = weft_strdup_printf("%s.roothash", image);
	for (int i = 0; i < OUT_COUNT; i++) {
		if (o->path[i] == NULL) {
			weft_error_set(err, "out of memory");
			return false;
		}
	}
	for (int i = 0; i < OUT_COUNT; i++) {
		o->fd[i] = open(o->path[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0644);
		if (o->fd[i] < 0) {
			if (errno == EEXIST) {
				weft_error_set(err, "%s: already exists, not overwriting it",
					o->path[i]);
			} else {
				weft_error_errno(err, "create %s", o->path[i]);
			}
			return false;
		}
		o->created[i] = true;
	}
	return true;
}

/* Closes the outputs, removing them all unless keep. */
static void outputs_finish(struct outputs *o, bool keep)
{
	for (int i = 0; i < OUT_COUNT; i++) {
		if (o->fd[i] >= 0) {
			close(o->fd[i]);
		}
		if (o->created[i] && !keep) {
			unlink(o->path[i]);
		}
		free(o->path[i]);
	}
}

static bool build(const char *dir, const struct outputs *o, const char *uuid, char **root_hash,
	struct weft_error *err)
{
	char *mkfs = find_tool("mkfs.erofs");
	char *veritysetup = find_tool("veritysetup");
	char *output = NULL;
	bool ok = false;
	if (mkfs == NULL) {
		weft_error_set(err, "mkfs.erofs not found (install erofs-utils)");
		goto out;
	}
	if (veritysetup == NULL) {
		weft_error_set(err, "veritysetup not found (install cryptsetup-bin)");
		goto out;
	}
	char uuid_arg[64];
	snprintf(uuid_arg, sizeof(uuid_arg), "-U%s", uuid);
	/* Root-owned files, a fixed timestamp and no host xattrs (SELinux
	 * labels and the like): the image depends on the package only. */
	char *const mkfs_argv[] = { mkfs, "--quiet", "-T0", "--all-root", "-x-1", uuid_arg,
		o->path[OUT_IMAGE], (char *)dir, NULL };
	if (!run_tool(mkfs_argv, &output, err)) {
		goto out;
	}
	free(output);
	output = NULL;
	char *const verity_argv[] = { veritysetup, "format", o->path[OUT_IMAGE],
		o->path[OUT_VERITY], NULL };
	if (!run_tool(verity_argv, &output, err)) {
		goto out;
	}
	*root_hash = parse_root_hash(output);
	if (*root_hash == NULL) {
		weft_error_set(err, "veritysetup printed no root hash");
		goto out;
	}
	ok = true;
out:
	free(output);
	free(mkfs);
	free(veritysetup);
	return ok;
}

int cmd_build_image(int argc, char *argv[])
{
	const char *cmd = "build-image";
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const names[] = { "DIR" };
	const char *out = NULL;
	pack_getopt_reset();
	int c;
	while ((c = pack_getopt(cmd, argc, argv, "o:h", opts)) != -1) {
		switch (c) {
		case 'o':
			if (optarg[0] == '\0') {
				return pack_usage_error(cmd, "empty output name");
			}
			out = optarg;
			break;
		case 'h':
			return pack_help(usage_build_image);
		default:
			return PACK_EXIT_USAGE;
		}
	}
	if (!pack_positionals(cmd, argc, argv, 1, 1, names)) {
		return PACK_EXIT_USAGE;
	}
	const char *dir = argv[optind];
	int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		return pack_fail(cmd, "%s: %s", dir, strerror(errno));
	}

	int status = PACK_EXIT_FAIL;
	struct weft_error err = { 0 };
	struct pack_tree tree = { 0 };
	struct weft_pkg_files files = { 0 };
	struct weft_diags diags;
	weft_diags_init(&diags);
	struct outputs outputs = { .fd = { -1, -1, -1 } };
	char *default_out = NULL, *manifest_path = NULL, *root_hash = NULL;
	struct weft_manifest *manifest = NULL;

	manifest_path = weft_path_join(dir, WEFT_MANIFEST_FILE);
	manifest = manifest_path != NULL ? weft_manifest_load(manifest_path, &diags) : NULL;
	if (manifest == NULL) {
		pack_fail(cmd, "%s: invalid or missing %s (see weft-pack check)", dir,
			WEFT_MANIFEST_FILE);
		goto out;
	}
	if (!pack_tree_scan(rootfd, &tree, &err)) {
		pack_fail(cmd, "%s: %s", dir, err.msg);
		goto out;
	}
	struct weft_scan_opts scan_opts = { .refuse_hardlinks = true };
	if (!weft_pkg_scan(dir, &scan_opts, &files, &err)) {
		pack_fail(cmd, "%s: %s", dir, err.msg);
		goto out;
	}
	unsigned char digest[WEFT_SHA256_LEN];
	weft_pkg_digest(&files, digest);
	char uuid[37];
	digest_uuid(digest, uuid);

	if (out == NULL) {
		default_out = weft_strdup_printf("%s.erofs", manifest->id);
		if (default_out == NULL) {
			pack_fail(cmd, "out of memory");
			goto out;
		}
		out = default_out;
	}
	if (!outputs_reserve(&outputs, out, &err)) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	if (!build(dir, &outputs, uuid, &root_hash, &err)) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	int fd = outputs.fd[OUT_ROOTHASH];
	if (!weft_write_all(fd, root_hash, strlen(root_hash)) || !weft_write_all(fd, "\n", 1) ||
		fsync(fd) < 0) {
		pack_fail(cmd, "write %s: %s", outputs.path[OUT_ROOTHASH], strerror(errno));
		goto out;
	}
	printf("wrote %s, %s and %s\nroot hash: %s\n", outputs.path[OUT_IMAGE],
		outputs.path[OUT_VERITY], outputs.path[OUT_ROOTHASH], root_hash);
	status = PACK_EXIT_OK;
out:
	outputs_finish(&outputs, status == PACK_EXIT_OK);
	free(root_hash);
	free(default_out);
	free(manifest_path);
	weft_manifest_destroy(manifest);
	weft_diags_finish(&diags);
	weft_pkg_files_finish(&files);
	pack_tree_finish(&tree);
	close(rootfd);
	return status;
}
