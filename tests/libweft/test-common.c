#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"
#include "weft/common.h"
#include "weft/log.h"

static void test_parse_long(void)
{
	long v = 0;
	EXPECT(weft_parse_long("42", 0, 100, &v) && v == 42);
	EXPECT(weft_parse_long("-5", -10, 10, &v) && v == -5);
	EXPECT(weft_parse_long("100", 0, 100, &v) && v == 100);
	v = 7;
	EXPECT(!weft_parse_long("101", 0, 100, &v));
	EXPECT(!weft_parse_long("", 0, 100, &v));
	EXPECT(!weft_parse_long("12x", 0, 100, &v));
	EXPECT(!weft_parse_long("x12", 0, 100, &v));
	EXPECT(!weft_parse_long("99999999999999999999999", 0, LONG_MAX, &v));
	/* Failures leave the output alone. */
	EXPECT(v == 7);
}

static void test_strv(void)
{
	struct weft_strv v;
	weft_strv_init(&v);
	for (int i = 0; i < 20; i++) {
		ASSERT(weft_strv_pushf(&v, "item %d", i));
	}
	EXPECT(v.len == 20);
	EXPECT(v.items[20] == NULL);
	EXPECT(weft_strv_contains(&v, "item 19"));
	EXPECT(!weft_strv_contains(&v, "item 20"));
	weft_strv_finish(&v);
	EXPECT(v.len == 0 && v.items == NULL);
}

static void test_error_prefix(void)
{
	struct weft_error err = { 0 };
	weft_error_set(&err, "%s", "no such file");
	weft_error_prefix(&err, "open %s", "a.toml");
	EXPECT_STR_EQ(err.msg, "open a.toml: no such file");
	weft_error_set(NULL, "dropped");
}

static void test_utf8(void)
{
	const char ok[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82";
	EXPECT(weft_utf8_invalid_at(ok, strlen(ok)) == strlen(ok));
	EXPECT(weft_utf8_invalid_at("", 0) == 0);
	/* A lone continuation byte, an overlong '/', a surrogate, past U+10FFFF,
	 * and a sequence cut short. */
	EXPECT(weft_utf8_invalid_at("ab\x80", 3) == 2);
	EXPECT(weft_utf8_invalid_at("a\xc0\xaf", 3) == 1);
	EXPECT(weft_utf8_invalid_at("\xed\xa0\x80", 3) == 0);
	EXPECT(weft_utf8_invalid_at("\xf4\x90\x80\x80", 4) == 0);
	EXPECT(weft_utf8_invalid_at("x\xe2\x82", 3) == 1);
}

static void test_log_escape(void)
{
	char out[64];
	/* OSC 52 and clear-screen, a tab, DEL, a backslash, a C1 CSI, a byte
	 * that is not UTF-8: each shown, none acted on. */
	const char in[] = "\x1b]52;c;aGk=\x07\x1b[2J\tx\x7f\\ \xc2\x9b \xff caf\xc3\xa9";
	EXPECT(weft_log_escape(in, sizeof(in) - 1, out, sizeof(out)) == sizeof(in) - 1);
	EXPECT_STR_EQ(out,
		"\\x1b]52;c;aGk=\\x07\\x1b[2J\\x09x\\x7f\\\\ \\xc2\\x9b \\xff caf\xc3\xa9");
	/* Cut before a character that does not fit, never inside one. */
	EXPECT(weft_log_escape("ab\x1b", 3, out, 6) == 2);
	EXPECT_STR_EQ(out, "ab");
	EXPECT(weft_log_escape("a\xc3\xa9", 3, out, 3) == 1);
	EXPECT_STR_EQ(out, "a");
}

static void test_now_ms(void)
{
	int64_t before = weft_now_ms();
	usleep(20000);
	int64_t after = weft_now_ms();
	EXPECT(after - before >= 20);
	EXPECT(after - before < 5000);
}

static void test_escape(void)
{
	char buf[16];
	EXPECT_STR_EQ(weft_escape("plain", 5, buf, sizeof(buf)), "plain");
	/* Control bytes, and bytes that are not UTF-8, as \xNN; UTF-8 kept. */
	EXPECT_STR_EQ(weft_escape("a\nb\x1b", 4, buf, sizeof(buf)), "a\\x0ab\\x1b");
	EXPECT_STR_EQ(weft_escape("\xc3\xa9\xff\xc3", 4, buf, sizeof(buf)), "\xc3\xa9\\xff\\xc3");
	EXPECT_STR_EQ(weft_escape("a\0b", 3, buf, sizeof(buf)), "a\\x00b");
	/* Exactly full, then one byte over: cut with "...", never inside a piece. */
	EXPECT_STR_EQ(weft_escape("0123456789abcde", 15, buf, sizeof(buf)), "0123456789abcde");
	EXPECT_STR_EQ(weft_escape("0123456789abcdef", 16, buf, sizeof(buf)), "0123456789ab...");
	EXPECT_STR_EQ(weft_escape("0123456789a\x01\x02", 13, buf, sizeof(buf)), "0123456789a...");
	EXPECT_STR_EQ(weft_escape("0123456789\xc3\xa9wxyz", 16, buf, sizeof(buf)),
		"0123456789\xc3\xa9...");
}

/* The sealed memfd holds the bytes, and neither it nor a read-write reopen
 * through /proc/self/fd can write, grow, shrink or unseal it. */
static void test_memfd_sealed(void)
{
	struct weft_error err;
	int fd = weft_memfd_sealed("weft-test", "keymap", 6, &err);
	ASSERT(fd >= 0);
	EXPECT(fcntl(fd, F_GETFD) == FD_CLOEXEC);
	EXPECT(fcntl(fd, F_GET_SEALS) ==
		(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL));
	char buf[8] = { 0 };
	EXPECT(pread(fd, buf, sizeof(buf), 0) == 6 && memcmp(buf, "keymap", 6) == 0);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int rw = open(path, O_RDWR | O_CLOEXEC);
	ASSERT(rw >= 0);
	errno = 0;
	EXPECT(pwrite(rw, "X", 1, 0) == -1 && errno == EPERM);
	errno = 0;
	EXPECT(mmap(NULL, 6, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0) == MAP_FAILED &&
		errno == EPERM);
	errno = 0;
	EXPECT(ftruncate(rw, 0) == -1 && errno == EPERM);
	errno = 0;
	EXPECT(ftruncate(rw, 4096) == -1 && errno == EPERM);
	errno = 0;
	EXPECT(fcntl(rw, F_ADD_SEALS, 0) == -1 && errno == EPERM);
	close(rw);
	EXPECT(pread(fd, buf, sizeof(buf), 0) == 6 && memcmp(buf, "keymap", 6) == 0);
	close(fd);

	/* Empty is fine too: a keymap of nothing is still sealed. */
	fd = weft_memfd_sealed("weft-test", NULL, 0, &err);
	ASSERT(fd >= 0);
	EXPECT(fcntl(fd, F_GET_SEALS) ==
		(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL));
	close(fd);
}

static const struct test_case cases[] = {
	TEST_CASE(test_parse_long),
	TEST_CASE(test_strv),
	TEST_CASE(test_error_prefix),
	TEST_CASE(test_utf8),
	TEST_CASE(test_log_escape),
	TEST_CASE(test_now_ms),
	TEST_CASE(test_escape),
	TEST_CASE(test_memfd_sealed),
};

int main(int argc, char **argv)
{
	return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
