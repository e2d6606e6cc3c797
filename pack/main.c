/*
 * weft-pack: checks, signs, verifies, bundles and installs WEFT packages.
 *
 * main() only dispatches; each subcommand lives in the file of its concern
 * and turns every failure into one line on stderr.
 */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pack.h"
#include "weft/log.h"

struct command {
	const char *name;
	int (*run)(int argc, char *argv[]);
	const char *summary;
};

static const struct command commands[] = {
	{ "generate-key", cmd_generate_key, "create a signing key pair" },
	{ "sign", cmd_sign, "sign a package directory" },
	{ "verify", cmd_verify, "verify a package's signature" },
	{ "trust", cmd_trust, "add, list or remove trusted public keys" },
	{ "check", cmd_check, "check a package: manifest, component, UI entry" },
	{ "info", cmd_info, "describe a package directory or an installed app" },
	{ "list", cmd_list, "list installed packages in every store" },
	{ "install", cmd_install, "verify and install a package or bundle" },
	{ "uninstall", cmd_uninstall, "remove an installed package" },
	{ "bundle", cmd_bundle, "pack a package directory into one file" },
	{ "unbundle", cmd_unbundle, "unpack a bundle into a new directory" },
	{ "build-image", cmd_build_image, "build an EROFS image with a dm-verity tree" },
};

static void print_usage(void)
{
	printf("Usage: weft-pack COMMAND [ARGS...]\n"
	       "       weft-pack COMMAND --help\n"
	       "       weft-pack --version\n"
	       "\n"
	       "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		printf("  %-14s%s\n", commands[i].name, commands[i].summary);
	}
	printf("\nSee weft-pack(1) for the details.\n");
}

__attribute__((format(printf, 2, 0))) static void vreport(const char *cmd, const char *fmt,
	va_list args)
{
	/* One write, so that the line stays whole next to other output. */
	char msg[2048];
	vsnprintf(msg, sizeof(msg), fmt, args);
	/* Names from packages and bundles may hold anything; keep one line. */
	for (char *c = msg; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			*c = '?';
		}
	}
	fflush(stdout);
	fprintf(stderr, "weft-pack: %s: %s\n", cmd, msg);
}

int pack_fail(const char *cmd, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	vreport(cmd, fmt, args);
	va_end(args);
	return PACK_EXIT_FAIL;
}

int pack_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	vreport(cmd, fmt, args);
	va_end(args);
	return PACK_EXIT_USAGE;
}

int pack_help(const char *usage)
{
	fputs(usage, stdout);
	return PACK_EXIT_OK;
}

void pack_getopt_reset(void)
{
	/* 0, not 1: glibc then also resets its internal state. */
	optind = 0;
	opterr = 0;
}

int pack_getopt(const char *cmd, int argc, char *argv[], const char *shortopts,
	const struct option *longopts)
{
	char spec[64];
	/* '+' is not used: options may follow positionals ("sign DIR --key K").
	 * ':' makes a missing value distinguishable from an unknown option. */
	snprintf(spec, sizeof(spec), ":%s", shortopts);
	int c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == '?') {
		const char *arg = argv[optind - 1];
		const char *eq = strchr(arg, '=');
		if (optopt != 0 && strncmp(arg, "--", 2) == 0 && eq != NULL) {
			pack_usage_error(cmd, "option '%.*s' takes no value", (int)(eq - arg),
				arg);
		} else if (optopt != 0 && strncmp(arg, "--", 2) != 0) {
			pack_usage_error(cmd, "unknown option '-%c' (see --help)", optopt);
		} else {
			pack_usage_error(cmd, "unknown option '%s' (see --help)", arg);
		}
		return '?';
	}
	if (c == ':') {
		pack_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		return '?';
	}
	return c;
}

bool pack_positionals(const char *cmd, int argc, char *argv[], int min, int max,
	const char *const names[])
{
	int n = argc - optind;
	if (n < min) {
		pack_usage_error(cmd, "missing %s argument (see --help)", names[n]);
		return false;
	}
	if (n > max) {
		pack_usage_error(cmd, "unexpected argument '%s' (see --help)", argv[optind + max]);
		return false;
	}
	for (int i = optind; i < argc; i++) {
		if (argv[i][0] == '\0') {
			pack_usage_error(cmd, "empty %s argument", names[i - optind]);
			return false;
		}
	}
	return true;
}

int pack_parse_help_only(const char *cmd, const char *usage, int argc, char *argv[], int min,
	int max, const char *const names[])
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	pack_getopt_reset();
	int c;
	while ((c = pack_getopt(cmd, argc, argv, "h", options)) != -1) {
		if (c == 'h') {
			return pack_help(usage);
		}
		return PACK_EXIT_USAGE;
	}
	if (!pack_positionals(cmd, argc, argv, min, max, names)) {
		return PACK_EXIT_USAGE;
	}
	return -1;
}

int main(int argc, char *argv[])
{
	weft_log_init("weft-pack", WEFT_WARN);
	/* libarchive converts names between pax's UTF-8 and the locale's
	 * charset; in the default "C" locale every non-ASCII name fails. */
	setlocale(LC_CTYPE, "C.UTF-8");

	if (argc < 2) {
		return pack_usage_error("error", "no command given (see weft-pack --help)");
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		print_usage();
		return PACK_EXIT_OK;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
		printf("weft-pack %s\n", WEFT_VERSION);
		return PACK_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) == 0) {
			int status = commands[i].run(argc - 1, argv + 1);
			if (fflush(stdout) != 0 && status == PACK_EXIT_OK) {
				return pack_fail(name, "writing output failed");
			}
			return status;
		}
	}
	if (name[0] == '-') {
		return pack_usage_error("error", "unknown option '%s' (see weft-pack --help)",
			name);
	}
	return pack_usage_error("error", "unknown command '%s' (see weft-pack --help)", name);
}
