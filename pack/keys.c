/*
 * Keys: `generate-key` makes a signing key pair, `trust` manages the user's
 * trusted public keys (the .pub files in $XDG_CONFIG_HOME/weft/trusted-keys).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pack.h"
#include "weft/package.h"
#include "weft/paths.h"

#define PRIVATE_KEY_FILE "weft.key"
#define PUBLIC_KEY_FILE "weft.pub"

static const char usage_generate_key[] =
	"Usage: weft-pack generate-key [DIR]\n"
	"\n"
	"Create an Ed25519 signing key pair: DIR/" PRIVATE_KEY_FILE " (the private seed,\n"
	"64 hex characters, mode 0600) and DIR/" PUBLIC_KEY_FILE " (the public key).\n"
	"DIR defaults to the current directory; a missing DIR is created (mode 0700).\n"
	"Existing files are never overwritten: if either exists, nothing is written.\n"
	"\n"
	"Options:\n"
	"  -h, --help  show this help\n";

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 || errno != ENOENT;
}

int cmd_generate_key(int argc, char *argv[])
{
	const char *cmd = "generate-key";
	static const char *const names[] = { "DIR" };
	int status = pack_parse_help_only(cmd, usage_generate_key, argc, argv, 0, 1, names);
	if (status >= 0) {
		return status;
	}
	const char *dir = optind < argc ? argv[optind] : ".";

	/* A fresh directory for a key pair holds a secret: keep it private. */
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		return pack_fail(cmd, "mkdir %s: %s", dir, strerror(errno));
	}
	struct stat st;
	if (stat(dir, &st) < 0) {
		return pack_fail(cmd, "%s: %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode)) {
		return pack_fail(cmd, "%s: not a directory", dir);
	}
	char *priv = weft_path_join(dir, PRIVATE_KEY_FILE);
	char *pub = weft_path_join(dir, PUBLIC_KEY_FILE);
	if (priv == NULL || pub == NULL) {
		free(priv);
		free(pub);
		return pack_fail(cmd, "out of memory");
	}

	status = PACK_EXIT_FAIL;
	struct weft_keypair kp;
	struct weft_error err = { 0 };
	if (exists(priv) || exists(pub)) {
		pack_fail(cmd, "%s: key files already exist, not overwriting them",
			exists(priv) ? priv : pub);
		goto out;
	}
	if (!weft_key_generate(&kp, &err)) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	if (!weft_key_write_private(priv, &kp, &err)) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	if (!weft_key_write_public(pub, kp.pub, &err)) {
		/* The private key is ours (written just now); a half pair is
		 * worse than none. */
		unlink(priv);
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	char hex[2 * WEFT_PUBKEY_LEN + 1];
	weft_hex_encode(kp.pub, sizeof(kp.pub), hex);
	printf("private key: %s (keep it secret)\n", priv);
	printf("public key:  %s\n", pub);
	printf("%s\n", hex);
	status = PACK_EXIT_OK;
out:
	explicit_bzero(&kp, sizeof(kp));
	free(priv);
	free(pub);
	return status;
}

/* trust */

static const char usage_trust[] =
	"Usage: weft-pack trust add PUB\n"
	"       weft-pack trust list\n"
	"       weft-pack trust remove PUB|HEX\n"
	"\n"
	"Manage the keys that install and verify trust.\n"
	"\n"
	"  add PUB          trust the public key in the file PUB (or given as 64 hex\n"
	"                   characters): it is copied into the user trust directory\n"
	"                   ($XDG_CONFIG_HOME/weft/trusted-keys) as <first 16 hex>.pub\n"
	"  list             print every trusted key and its file, user keys first,\n"
	"                   then system keys (/etc/weft/trusted-keys)\n"
	"  remove PUB|HEX   stop trusting a key, given as a .pub file or as hex;\n"
	"                   only keys in the user trust directory can be removed\n"
	"\n"
	"Options:\n"
	"  -h, --help  show this help\n";

static const char usage_trust_add[] = "Usage: weft-pack trust add PUB\n"
				      "\n"
				      "Trust the public key in the file PUB, or given as 64 hex "
				      "characters.\n"
				      "\n"
				      "Options:\n"
				      "  -h, --help  show this help\n";

static const char usage_trust_list[] =
	"Usage: weft-pack trust list\n"
	"\n"
	"Print every trusted key (hex, then file), user keys first.\n"
	"\n"
	"Options:\n"
	"  -h, --help  show this help\n";

static const char usage_trust_remove[] =
	"Usage: weft-pack trust remove PUB|HEX\n"
	"\n"
	"Stop trusting a key, named by a .pub file or by its 64 hex characters.\n"
	"Only keys in the user trust directory can be removed.\n"
	"\n"
	"Options:\n"
	"  -h, --help  show this help\n";

static bool is_hex_key(const char *s)
{
	unsigned char key[WEFT_PUBKEY_LEN];
	return strlen(s) == 2 * WEFT_PUBKEY_LEN && weft_hex_decode(s, key, sizeof(key));
}

/* A key given as a file, or as hex when no such file exists. */
static bool read_key_arg(const char *arg, unsigned char pub[WEFT_PUBKEY_LEN],
	struct weft_error *err)
{
	struct stat st;
	if (stat(arg, &st) < 0 && errno == ENOENT && is_hex_key(arg)) {
		return weft_hex_decode(arg, pub, WEFT_PUBKEY_LEN);
	}
	return weft_key_read_public(arg, pub, err);
}

static bool in_dir(const char *path, const char *dir)
{
	size_t len = strlen(dir);
	return strncmp(path, dir, len) == 0 && path[len] == '/' &&
		strchr(path + len + 1, '/') == NULL;
}

/*
 * The prologue of trust add and remove: their one argument read as a key.
 * Returns an exit status when the command is done (help, a usage error, an
 * unreadable key), or -1 with pub and hex filled in.
 */
static int parse_key_command(const char *cmd, const char *usage, const char *arg_name, int argc,
	char *argv[], unsigned char pub[WEFT_PUBKEY_LEN], char hex[2 * WEFT_PUBKEY_LEN + 1])
{
	const char *const names[] = { arg_name };
	int status = pack_parse_help_only(cmd, usage, argc, argv, 1, 1, names);
	if (status >= 0) {
		return status;
	}
	struct weft_error err = { 0 };
	if (!read_key_arg(argv[optind], pub, &err)) {
		return pack_fail(cmd, "%s", err.msg);
	}
	weft_hex_encode(pub, WEFT_PUBKEY_LEN, hex);
	return -1;
}

static int trust_add(int argc, char *argv[])
{
	const char *cmd = "trust add";
	unsigned char pub[WEFT_PUBKEY_LEN];
	char hex[2 * WEFT_PUBKEY_LEN + 1];
	int status = parse_key_command(cmd, usage_trust_add, "PUB", argc, argv, pub, hex);
	if (status >= 0) {
		return status;
	}

	struct weft_error err = { 0 };
	struct weft_trust trust = { 0 };
	if (!weft_trust_load(&trust, &err)) {
		return pack_fail(cmd, "%s", err.msg);
	}
	for (size_t i = 0; i < trust.len; i++) {
		if (memcmp(trust.items[i].pub, pub, sizeof(pub)) == 0) {
			pack_fail(cmd, "%s: already trusted (%s)", hex, trust.items[i].path);
			weft_trust_finish(&trust);
			return PACK_EXIT_FAIL;
		}
	}
	weft_trust_finish(&trust);

	status = PACK_EXIT_FAIL;
	char *dir = weft_path_user_trust_dir(&err);
	char *name = weft_strdup_printf("%.16s.pub", hex);
	char *path = NULL;
	if (dir == NULL || name == NULL) {
		pack_fail(cmd, "%s", dir == NULL ? err.msg : "out of memory");
		goto out;
	}
	/* The trust store decides what runs: keep it private to the user. */
	if (!weft_make_dirs(dir, 0700, &err)) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	path = weft_path_join(dir, name);
	if (path == NULL) {
		pack_fail(cmd, "out of memory");
		goto out;
	}
	if (!weft_key_write_public(path, pub, &err)) {
		pack_fail(cmd, "%s", err.msg);
		goto out;
	}
	printf("trusted %s (%s)\n", hex, path);
	status = PACK_EXIT_OK;
out:
	free(dir);
	free(name);
	free(path);
	return status;
}

static int trust_list(int argc, char *argv[])
{
	const char *cmd = "trust list";
	int status = pack_parse_help_only(cmd, usage_trust_list, argc, argv, 0, 0, NULL);
	if (status >= 0) {
		return status;
	}
	struct weft_error err = { 0 };
	struct weft_trust trust = { 0 };
	if (!weft_trust_load(&trust, &err)) {
		return pack_fail(cmd, "%s", err.msg);
	}
	for (size_t i = 0; i < trust.len; i++) {
		char hex[2 * WEFT_PUBKEY_LEN + 1];
		weft_hex_encode(trust.items[i].pub, WEFT_PUBKEY_LEN, hex);
		printf("%s  %s\n", hex, trust.items[i].path);
	}
	weft_trust_finish(&trust);
	return PACK_EXIT_OK;
}

static int trust_remove(int argc, char *argv[])
{
	const char *cmd = "trust remove";
	unsigned char pub[WEFT_PUBKEY_LEN];
	char hex[2 * WEFT_PUBKEY_LEN + 1];
	int status = parse_key_command(cmd, usage_trust_remove, "PUB|HEX", argc, argv, pub, hex);
	if (status >= 0) {
		return status;
	}

	struct weft_error err = { 0 };
	char *dir = weft_path_user_trust_dir(&err);
	if (dir == NULL) {
		return pack_fail(cmd, "%s", err.msg);
	}
	struct weft_trust trust = { 0 };
	if (!weft_trust_load(&trust, &err)) {
		free(dir);
		return pack_fail(cmd, "%s", err.msg);
	}
	size_t removed = 0;
	const char *elsewhere = NULL;
	status = PACK_EXIT_OK;
	for (size_t i = 0; i < trust.len; i++) {
		const struct weft_trusted_key *key = &trust.items[i];
		if (memcmp(key->pub, pub, sizeof(pub)) != 0) {
			continue;
		}
		if (!in_dir(key->path, dir)) {
			elsewhere = key->path;
			continue;
		}
		if (unlink(key->path) < 0) {
			status = pack_fail(cmd, "remove %s: %s", key->path, strerror(errno));
			break;
		}
		printf("removed %s (%s)\n", hex, key->path);
		removed++;
	}
	if (status == PACK_EXIT_OK && removed == 0) {
		if (elsewhere != NULL) {
			status = pack_fail(cmd,
				"%s: trusted by %s, outside the user trust directory", hex,
				elsewhere);
		} else {
			status = pack_fail(cmd, "%s: not trusted", hex);
		}
	}
	weft_trust_finish(&trust);
	free(dir);
	return status;
}

int cmd_trust(int argc, char *argv[])
{
	static const struct {
		const char *name;
		int (*run)(int argc, char *argv[]);
	} subcommands[] = {
		{ "add", trust_add },
		{ "list", trust_list },
		{ "remove", trust_remove },
	};
	if (argc < 2) {
		return pack_usage_error("trust", "missing subcommand: add, list or remove");
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		return pack_help(usage_trust);
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(argv[1], subcommands[i].name) == 0) {
			return subcommands[i].run(argc - 1, argv + 1);
		}
	}
	return pack_usage_error("trust", "unknown subcommand '%s' (add, list or remove)", argv[1]);
}
