#include "test.h"
#include "weft/capability.h"

static void test_table(void)
{
	EXPECT(weft_capabilities_len == 11);
	for (size_t i = 0; i < weft_capabilities_len; i++) {
		const struct weft_capability *cap = &weft_capabilities[i];
		EXPECT(cap->name != NULL && cap->summary != NULL);
		bool is_dir = cap->grant == WEFT_GRANT_DIR;
		EXPECT(is_dir == (cap->dir != WEFT_DIR_NONE));
		EXPECT(is_dir == (cap->guest_path != NULL));
		EXPECT(is_dir || !cap->writable);
		bool has_interface = !is_dir && cap->grant != WEFT_GRANT_RESERVED;
		EXPECT(has_interface == (cap->interface != NULL));
	}
}

static void test_dirs(void)
{
	const struct weft_capability *cap;
	const char *host = "stale";

	ASSERT((cap = weft_capability_lookup("fs:rw:app-data", &host)) != NULL);
	EXPECT(host == NULL);
	EXPECT(cap->grant == WEFT_GRANT_DIR && cap->dir == WEFT_DIR_APP_DATA);
	EXPECT_STR_EQ(cap->guest_path, "/data");
	EXPECT(cap->writable);

	ASSERT((cap = weft_capability_lookup("fs:read:app-data", NULL)) != NULL);
	EXPECT(cap->grant == WEFT_GRANT_DIR && cap->dir == WEFT_DIR_APP_DATA);
	EXPECT_STR_EQ(cap->guest_path, "/data");
	EXPECT(!cap->writable);

	ASSERT((cap = weft_capability_lookup("fs:rw:xdg-documents", NULL)) != NULL);
	EXPECT(cap->dir == WEFT_DIR_XDG_DOCUMENTS && cap->writable);
	EXPECT_STR_EQ(cap->guest_path, "/xdg/documents");

	ASSERT((cap = weft_capability_lookup("fs:read:xdg-documents", NULL)) != NULL);
	EXPECT(cap->dir == WEFT_DIR_XDG_DOCUMENTS && !cap->writable);
	EXPECT_STR_EQ(cap->guest_path, "/xdg/documents");
}

static void test_interfaces(void)
{
	static const struct {
		const char *name;
		enum weft_grant grant;
		const char *interface;
	} want[] = {
		{ "net:fetch:*", WEFT_GRANT_FETCH, "weft:app/fetch" },
		{ "sys:notifications", WEFT_GRANT_NOTIFICATIONS, "weft:app/notifications" },
		{ "sys:clipboard:read", WEFT_GRANT_CLIPBOARD_READ, "weft:app/clipboard" },
		{ "sys:clipboard:write", WEFT_GRANT_CLIPBOARD_WRITE, "weft:app/clipboard" },
		{ "hw:gpu:compute", WEFT_GRANT_RESERVED, NULL },
		{ "hw:gpu:render", WEFT_GRANT_RESERVED, NULL },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *host = "stale";
		const struct weft_capability *cap = weft_capability_lookup(want[i].name, &host);
		ASSERT(cap != NULL);
		EXPECT_STR_EQ(cap->name, want[i].name);
		EXPECT(cap->grant == want[i].grant);
		EXPECT(host == NULL);
		if (want[i].interface != NULL) {
			EXPECT_STR_EQ(cap->interface, want[i].interface);
		} else {
			EXPECT(cap->interface == NULL);
		}
	}
}

static void test_fetch_host(void)
{
	static const char *const good[] = {
		"example.com",
		"api.example.com:8443",
		"localhost",
		"localhost:1",
		"localhost:65535",
		"127.0.0.1",
		"x-1.b2",
		/* A 63-byte label is the longest allowed. */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char cap[300];
		snprintf(cap, sizeof(cap), "net:fetch:%s", good[i]);
		const char *host = NULL;
		const struct weft_capability *entry = weft_capability_lookup(cap, &host);
		if (entry == NULL) {
			fprintf(stderr, "# '%s' rejected\n", cap);
			test_failed = true;
			continue;
		}
		EXPECT_STR_EQ(entry->name, "net:fetch:<host>");
		EXPECT(entry->grant == WEFT_GRANT_FETCH);
		EXPECT_STR_EQ(entry->interface, "weft:app/fetch");
		EXPECT_STR_EQ(host, good[i]);
		EXPECT(host == cap + strlen("net:fetch:"));
	}
}

static void test_fetch_host_malformed(void)
{
	static const char *const bad[] = {
		"net:fetch:",
		"net:fetch:<host>",
		"net:fetch:Example.com",
		"net:fetch:-example.com",
		"net:fetch:example-.com",
		"net:fetch:example..com",
		"net:fetch:example.com.",
		"net:fetch:.example.com",
		"net:fetch:exa_mple.com",
		"net:fetch:example.com/path",
		"net:fetch:https://example.com",
		"net:fetch:example.com:",
		"net:fetch:example.com:0",
		"net:fetch:example.com:080",
		"net:fetch:example.com:65536",
		"net:fetch:example.com:99999999999999999999",
		"net:fetch:example.com:-1",
		"net:fetch:example.com:80:80",
		"net:fetch:[::1]",
		"net:fetch:**",
		"net:fetch:*.example.com",
		"net:fetch:exam ple.com",
		/* 64-byte label. */
		"net:fetch:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *host = "stale";
		if (weft_capability_lookup(bad[i], &host) != NULL) {
			fprintf(stderr, "# '%s' accepted\n", bad[i]);
			test_failed = true;
		}
		EXPECT(host == NULL);
	}
}

static void test_hostname_length(void)
{
	/* 4 labels of 63 plus 3 dots: 255 bytes, over the 253 limit; drop 2 to fit. */
	char host[256];
	memset(host, 'a', 255);
	host[63] = host[127] = host[191] = '.';
	host[255] = '\0';
	char cap[300];
	snprintf(cap, sizeof(cap), "net:fetch:%s", host);
	EXPECT(weft_capability_lookup(cap, NULL) == NULL);
	host[253] = '\0';
	snprintf(cap, sizeof(cap), "net:fetch:%s", host);
	EXPECT(weft_capability_lookup(cap, NULL) != NULL);
	snprintf(cap, sizeof(cap), "net:fetch:%s:443", host);
	EXPECT(weft_capability_lookup(cap, NULL) != NULL);
}

static void test_unknown(void)
{
	static const char *const bad[] = {
		"",
		"fs:rw:home",
		"FS:RW:APP-DATA",
		"fs:rw:app-data ",
		" sys:notifications",
		"sys:clipboard",
		"net:fetch",
		"net:*",
		"hw:gpu",
		"hw:gpu:*",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (weft_capability_lookup(bad[i], NULL) != NULL) {
			fprintf(stderr, "# '%s' accepted\n", bad[i]);
			test_failed = true;
		}
	}
	EXPECT(weft_capability_lookup(NULL, NULL) == NULL);
}

/* Decodes \xNN in place. */
static void unescape(char *s)
{
	char *out = s;
	for (char *in = s; *in != '\0'; in++) {
		unsigned byte;
		if (in[0] == '\\' && in[1] == 'x' && sscanf(in + 2, "%2x", &byte) == 1) {
			*out++ = (char)byte;
			in += 3;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

/* The table every program is tested against: same verdict, same words. */
static void test_shared_table(void)
{
	const char *path = getenv("WEFT_TEST_CAPABILITIES");
	ASSERT(path != NULL);
	FILE *f = fopen(path, "r");
	ASSERT(f != NULL);
	char line[1024];
	size_t rows = 0, refused = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		char *tab = strchr(line, '\t');
		if (line[0] == '#' || tab == NULL) {
			continue;
		}
		*tab = '\0';
		const char *want = tab + 1;
		unescape(line);
		rows++;
		struct weft_error err = { 0 };
		const char *host = "stale";
		const struct weft_capability *cap = weft_capability_parse(line, &host, &err);
		if (strcmp(want, "ok") == 0) {
			EXPECT(cap != NULL);
			if (cap == NULL) {
				fprintf(stderr, "# '%s' refused: %s\n", line, err.msg);
			}
			continue;
		}
		refused++;
		EXPECT(cap == NULL && host == NULL);
		if (strcmp(err.msg, want) != 0) {
			fprintf(stderr, "# '%s':\n#   want %s\n#   got  %s\n", line, want,
				err.msg);
			test_failed = true;
		}
	}
	fclose(f);
	EXPECT(rows > 30 && refused > 20);
}

static const struct test_case cases[] = {
	TEST_CASE(test_table),
	TEST_CASE(test_dirs),
	TEST_CASE(test_interfaces),
	TEST_CASE(test_fetch_host),
	TEST_CASE(test_fetch_host_malformed),
	TEST_CASE(test_hostname_length),
	TEST_CASE(test_unknown),
	TEST_CASE(test_shared_table),
};

int main(int argc, char **argv)
{
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
