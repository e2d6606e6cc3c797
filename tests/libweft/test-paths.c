#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test.h"
#include "weft/paths.h"

/* Starts each case from a known environment: only HOME set. */
static void reset_env(const char *home)
{
	static const char *const vars[] = {
		"XDG_DATA_HOME",
		"XDG_CONFIG_HOME",
		"XDG_CACHE_HOME",
		"XDG_DOCUMENTS_DIR",
		"XDG_RUNTIME_DIR",
		"WEFT_APP_STORE",
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		unsetenv(vars[i]);
	}
	setenv("HOME", home, 1);
}

/* Checks a path-returning call: want NULL means it must fail. */
#define EXPECT_PATH(call, want) \
	do { \
		struct weft_error _err = { .msg = "" }; \
		char *_got = (call)(&_err); \
		if ((want) == NULL) { \
			EXPECT(_got == NULL && _err.msg[0] != '\0'); \
		} else { \
			EXPECT_STR_EQ(_got, (want)); \
		} \
		free(_got); \
	} while (0)

static void test_defaults(void)
{
	reset_env("/home/u");
	EXPECT_PATH(weft_path_data_home, "/home/u/.local/share");
	EXPECT_PATH(weft_path_config_home, "/home/u/.config");
	EXPECT_PATH(weft_path_cache_home, "/home/u/.cache");
	EXPECT_PATH(weft_path_documents_dir, "/home/u/Documents");
	EXPECT_PATH(weft_path_user_store, "/home/u/.local/share/weft/apps");
	EXPECT_PATH(weft_path_user_trust_dir, "/home/u/.config/weft/trusted-keys");

	/* A trailing slash on HOME does not double up. */
	reset_env("/home/u/");
	EXPECT_PATH(weft_path_data_home, "/home/u/.local/share");
}

static void test_xdg_vars(void)
{
	reset_env("/home/u");
	setenv("XDG_DATA_HOME", "/x/data", 1);
	setenv("XDG_CONFIG_HOME", "/x/config", 1);
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	setenv("XDG_DOCUMENTS_DIR", "/x/docs", 1);
	EXPECT_PATH(weft_path_data_home, "/x/data");
	EXPECT_PATH(weft_path_config_home, "/x/config");
	EXPECT_PATH(weft_path_cache_home, "/x/cache");
	EXPECT_PATH(weft_path_documents_dir, "/x/docs");
	EXPECT_PATH(weft_path_user_store, "/x/data/weft/apps");
	EXPECT_PATH(weft_path_user_trust_dir, "/x/config/weft/trusted-keys");

	struct weft_error err;
	char *data = weft_path_app_data("org.weft.demo.notes", &err);
	EXPECT_STR_EQ(data, "/x/data/weft/data/org.weft.demo.notes");
	free(data);
}

static void test_xdg_empty_or_relative_ignored(void)
{
	reset_env("/home/u");
	setenv("XDG_DATA_HOME", "", 1);
	setenv("XDG_CONFIG_HOME", "relative/config", 1);
	setenv("XDG_CACHE_HOME", "./cache", 1);
	setenv("XDG_DOCUMENTS_DIR", "docs", 1);
	EXPECT_PATH(weft_path_data_home, "/home/u/.local/share");
	EXPECT_PATH(weft_path_config_home, "/home/u/.config");
	EXPECT_PATH(weft_path_cache_home, "/home/u/.cache");
	EXPECT_PATH(weft_path_documents_dir, "/home/u/Documents");
}

static void test_no_home(void)
{
	reset_env("/home/u");
	unsetenv("HOME");
	EXPECT_PATH(weft_path_data_home, NULL);
	EXPECT_PATH(weft_path_user_store, NULL);
	EXPECT_PATH(weft_path_user_trust_dir, NULL);
	/* The XDG variable alone is enough. */
	setenv("XDG_CONFIG_HOME", "/x/config", 1);
	EXPECT_PATH(weft_path_config_home, "/x/config");

	setenv("HOME", "", 1);
	EXPECT_PATH(weft_path_cache_home, NULL);
	setenv("HOME", "relative", 1);
	EXPECT_PATH(weft_path_cache_home, NULL);
	EXPECT_PATH(weft_path_documents_dir, NULL);

	struct weft_strv roots;
	weft_strv_init(&roots);
	struct weft_error err;
	EXPECT(!weft_store_roots(&roots, &err));
	EXPECT(roots.len == 0);
	weft_strv_finish(&roots);
}

static void test_runtime_dir(void)
{
	reset_env("/home/u");
	EXPECT_PATH(weft_path_runtime_dir, NULL);
	setenv("XDG_RUNTIME_DIR", "", 1);
	EXPECT_PATH(weft_path_runtime_dir, NULL);
	setenv("XDG_RUNTIME_DIR", "run/user", 1);
	EXPECT_PATH(weft_path_runtime_dir, NULL);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	EXPECT_PATH(weft_path_runtime_dir, "/run/user/1000");
}

static void test_app_data_rejects_bad_id(void)
{
	reset_env("/home/u");
	struct weft_error err;
	EXPECT(weft_path_app_data("../../etc", &err) == NULL);
	EXPECT(strstr(err.msg, "invalid app id") != NULL);
	EXPECT(weft_path_app_data("org.weft", &err) == NULL);
	char *data = weft_path_app_data("org.weft.demo", &err);
	EXPECT_STR_EQ(data, "/home/u/.local/share/weft/data/org.weft.demo");
	free(data);
}

static void expect_strv(const struct weft_strv *v, const char *const *want, size_t n)
{
	EXPECT(v->len == n);
	for (size_t i = 0; i < n && i < v->len; i++) {
		EXPECT_STR_EQ(v->items[i], want[i]);
	}
	EXPECT(v->items != NULL && v->items[v->len] == NULL);
}

static void test_store_roots(void)
{
	reset_env("/home/u");
	struct weft_strv roots;
	struct weft_error err;

	weft_strv_init(&roots);
	ASSERT(weft_store_roots(&roots, &err));
	const char *const plain[] = { "/home/u/.local/share/weft/apps", WEFT_SYSTEM_STORE };
	expect_strv(&roots, plain, 2);
	weft_strv_finish(&roots);

	setenv("WEFT_APP_STORE", "/dev/store", 1);
	setenv("XDG_DATA_HOME", "/x/data", 1);
	ASSERT(weft_store_roots(&roots, &err));
	const char *const with_env[] = { "/dev/store", "/x/data/weft/apps", WEFT_SYSTEM_STORE };
	expect_strv(&roots, with_env, 3);
	weft_strv_finish(&roots);

	char *store = weft_path_user_store(&err);
	EXPECT_STR_EQ(store, "/dev/store");
	free(store);

	/* Set but empty counts as unset. */
	setenv("WEFT_APP_STORE", "", 1);
	ASSERT(weft_store_roots(&roots, &err));
	const char *const empty_env[] = { "/x/data/weft/apps", WEFT_SYSTEM_STORE };
	expect_strv(&roots, empty_env, 2);
	weft_strv_finish(&roots);
}

static void test_store_roots_skip_duplicates(void)
{
	reset_env("/home/u");
	struct weft_strv roots;
	struct weft_error err;
	weft_strv_init(&roots);

	setenv("WEFT_APP_STORE", WEFT_SYSTEM_STORE "/", 1);
	ASSERT(weft_store_roots(&roots, &err));
	const char *const sys_first[] = { WEFT_SYSTEM_STORE, "/home/u/.local/share/weft/apps" };
	expect_strv(&roots, sys_first, 2);
	weft_strv_finish(&roots);

	setenv("WEFT_APP_STORE", "/x/data/weft/apps", 1);
	setenv("XDG_DATA_HOME", "/x/data/", 1);
	ASSERT(weft_store_roots(&roots, &err));
	const char *const same_user[] = { "/x/data/weft/apps", WEFT_SYSTEM_STORE };
	expect_strv(&roots, same_user, 2);
	weft_strv_finish(&roots);

	/* Appending keeps what the caller had. */
	weft_strv_push(&roots, "/mine");
	ASSERT(weft_store_roots(&roots, &err));
	EXPECT(roots.len == 3);
	EXPECT_STR_EQ(roots.items[0], "/mine");
	weft_strv_finish(&roots);
}

static void test_trust_dirs(void)
{
	reset_env("/home/u");
	struct weft_strv dirs;
	struct weft_error err;
	weft_strv_init(&dirs);
	ASSERT(weft_trust_dirs(&dirs, &err));
	const char *const plain[] = { "/home/u/.config/weft/trusted-keys", WEFT_SYSTEM_TRUST_DIR };
	expect_strv(&dirs, plain, 2);
	weft_strv_finish(&dirs);

	/* The user's trust dir the system's: WEFT_SYSTEM_TRUST_DIR follows the
	 * install prefix (/etc, /usr/local/etc/weft/trusted-keys). */
	char config[] = WEFT_SYSTEM_TRUST_DIR;
	char *tail = strstr(config, "/weft/trusted-keys");
	ASSERT(tail != NULL && tail > config && tail[strlen("/weft/trusted-keys")] == '\0');
	*tail = '\0';
	setenv("XDG_CONFIG_HOME", config, 1);
	ASSERT(weft_trust_dirs(&dirs, &err));
	const char *const same[] = { WEFT_SYSTEM_TRUST_DIR };
	expect_strv(&dirs, same, 1);
	weft_strv_finish(&dirs);
}

static char *path_in(const char *dir, const char *rel)
{
	char *path = weft_path_join(dir, rel);
	if (path == NULL) {
		abort();
	}
	return path;
}

static void test_store_find(void)
{
	char *tmp = test_mkdtemp();
	char *home = path_in(tmp, "home");
	char *dev = path_in(tmp, "dev");
	reset_env(home);
	EXPECT(mkdir(home, 0755) == 0 && mkdir(dev, 0755) == 0);
	const char *manifest = "[package]\n";
	struct weft_error err;

	/* Installed in the user store only. */
	test_write_file(home, ".local/share/weft/apps/org.weft.one/wapp.toml", manifest, 10);
	char *found = weft_store_find("org.weft.one", &err);
	char *want = path_in(home, ".local/share/weft/apps/org.weft.one");
	EXPECT_STR_EQ(found, want);
	free(found);

	/* $WEFT_APP_STORE comes first. */
	test_write_file(dev, "org.weft.one/wapp.toml", manifest, 10);
	setenv("WEFT_APP_STORE", dev, 1);
	found = weft_store_find("org.weft.one", &err);
	char *want_dev = path_in(dev, "org.weft.one");
	EXPECT_STR_EQ(found, want_dev);
	free(found);

	/* A directory without a manifest is not a package: the next root wins. */
	test_write_file(dev, "org.weft.two/app.wasm", "", 0);
	test_write_file(home, ".local/share/weft/apps/org.weft.two/wapp.toml", manifest, 10);
	found = weft_store_find("org.weft.two", &err);
	char *want_two = path_in(home, ".local/share/weft/apps/org.weft.two");
	EXPECT_STR_EQ(found, want_two);
	free(found);

	/* A manifest that is a directory does not count either. */
	char *odd = path_in(dev, "org.weft.three/wapp.toml");
	test_write_file(dev, "org.weft.three/placeholder", "", 0);
	EXPECT(mkdir(odd, 0755) == 0);
	EXPECT(weft_store_find("org.weft.three", &err) == NULL);
	free(odd);

	/* A plain file where the package directory should be. */
	test_write_file(dev, "org.weft.four", manifest, 10);
	EXPECT(weft_store_find("org.weft.four", &err) == NULL);

	err.msg[0] = '\0';
	EXPECT(weft_store_find("org.weft.missing", &err) == NULL);
	EXPECT(strstr(err.msg, "org.weft.missing is not installed") != NULL);

	/* The id is checked before it becomes a path. */
	test_write_file(tmp, "org.weft.esc/wapp.toml", manifest, 10);
	EXPECT(weft_store_find("../org.weft.esc", &err) == NULL);
	EXPECT(strstr(err.msg, "invalid app id") != NULL);

	free(want);
	free(want_dev);
	free(want_two);
	free(home);
	free(dev);
	test_rmtree(tmp);
	free(tmp);
}

static const struct test_case cases[] = {
	TEST_CASE(test_defaults),
	TEST_CASE(test_xdg_vars),
	TEST_CASE(test_xdg_empty_or_relative_ignored),
	TEST_CASE(test_no_home),
	TEST_CASE(test_runtime_dir),
	TEST_CASE(test_app_data_rejects_bad_id),
	TEST_CASE(test_store_roots),
	TEST_CASE(test_store_roots_skip_duplicates),
	TEST_CASE(test_trust_dirs),
	TEST_CASE(test_store_find),
};

int main(int argc, char **argv)
{
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
