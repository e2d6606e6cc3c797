#include "test.h"
#include "weft/app_id.h"

/* Checks that id is rejected with an error containing want. */
static bool rejects(const char *id, const char *want)
{
	struct weft_error err = { .msg = "" };
	if (weft_app_id_valid(id, &err)) {
		fprintf(stderr, "# '%s' was accepted\n", id ? id : "(null)");
		return false;
	}
	if (strstr(err.msg, want) == NULL) {
		fprintf(stderr, "# '%s': got \"%s\", want \"%s\"\n", id ? id : "(null)", err.msg,
			want);
		return false;
	}
	return true;
}

static void test_valid(void)
{
	EXPECT(weft_app_id_valid("org.weft.demo.counter", NULL));
	EXPECT(weft_app_id_valid("org.weft.notes", NULL));
	EXPECT(weft_app_id_valid("a.b.c", NULL));
	EXPECT(weft_app_id_valid("com.example2.app9x", NULL));
	struct weft_error err = { .msg = "untouched" };
	EXPECT(weft_app_id_valid("org.weft.demo", &err));
	EXPECT_STR_EQ(err.msg, "untouched");
}

static void test_segment_count(void)
{
	EXPECT(rejects("org.weft", "needs at least 3 segments, has 2"));
	EXPECT(rejects("counter", "needs at least 3 segments, has 1"));
}

static void test_empty(void)
{
	EXPECT(rejects("", "is empty"));
	EXPECT(rejects(NULL, "is empty"));
	EXPECT(rejects(".weft.demo", "segment 1 is empty"));
	EXPECT(rejects("org..demo", "segment 2 is empty"));
	EXPECT(rejects("org.weft.demo.", "segment 4 is empty"));
}

static void test_bad_characters(void)
{
	EXPECT(rejects("org.Foo.demo", "segment 2 'Foo' must start with a lowercase letter"));
	EXPECT(rejects("org.weft.9demo", "segment 3 '9demo' must start with a lowercase letter"));
	EXPECT(rejects("org.weft.my-app", "segment 3 'my-app' has invalid character '-'"));
	EXPECT(rejects("org.weft.my_app", "invalid character '_'"));
	EXPECT(rejects("org.wEft.demo", "segment 2 'wEft' has invalid character 'E'"));
	EXPECT(rejects("org.weft.de mo", "invalid character ' '"));
	EXPECT(rejects("org.weft/../x.demo", "invalid character '/'"));
	EXPECT(rejects("org.weft.d\nemo", "segment 3 has invalid byte 0x0a"));
	EXPECT(rejects("org.caf\xc3\xa9.demo", "segment 2 has invalid byte 0xc3"));
}

static void test_length(void)
{
	char id[WEFT_APP_ID_MAX + 2];
	/* "a.b." then letters up to exactly the limit. */
	memset(id, 'c', sizeof(id));
	memcpy(id, "a.b.", 4);
	id[WEFT_APP_ID_MAX] = '\0';
	EXPECT(weft_app_id_valid(id, NULL));
	id[WEFT_APP_ID_MAX] = 'c';
	id[WEFT_APP_ID_MAX + 1] = '\0';
	EXPECT(rejects(id, "is 256 bytes long, more than 255"));
}

static void test_long_segment_is_cut(void)
{
	char id[128];
	snprintf(id, sizeof(id), "org.%s.demo", "A0123456789012345678901234567890123456789");
	struct weft_error err;
	EXPECT(!weft_app_id_valid(id, &err));
	EXPECT(strstr(err.msg, "'A0123456789012345678901234567890...'") != NULL);
}

static const struct test_case cases[] = {
	TEST_CASE(test_valid),
	TEST_CASE(test_segment_count),
	TEST_CASE(test_empty),
	TEST_CASE(test_bad_characters),
	TEST_CASE(test_length),
	TEST_CASE(test_long_segment_is_cut),
};

int main(int argc, char **argv)
{
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
