/* Unit tests of util.c and jsonl.c: paths, buffers, JSON lines. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jsonl.h"
#include "core/util.h"

static void test_path_join_clean(void **state)
{
	(void)state;
	struct {
		const char *base, *rel, *want;
	} cases[] = {
	    {"/a/b", "c.go", "/a/b/c.go"},
	    {"/a/b", "../c/d.go", "/a/c/d.go"},
	    {"/a/b", "./x//y/./z.go", "/a/b/x/y/z.go"},
	    {"/a/b", "/abs/p.go", "/abs/p.go"},
	    {"/", "../../x", "/x"},
	    {"/a", "..", "/"},
	    {"", "rel/x.go", "/rel/x.go"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = path_join_clean(cases[i].base, cases[i].rel);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

static void test_jsonl(void **state)
{
	(void)state;
	json_t *o = json_object();
	json_object_set_new(o, "b", json_integer(2));
	json_object_set_new(o, "a", json_string("x\ny"));
	size_t len;
	char *line = jsonl_encode(o, &len); /* takes the reference */
	assert_string_equal(line, "{\"b\":2,\"a\":\"x\\ny\"}\n");
	assert_int_equal(len, strlen(line));
	free(line);

	const char buf[] = "one\n\ntwo\nunfinished";
	size_t pos = 0, n;
	const char *l;
	assert_true(jsonl_next_line(buf, sizeof(buf) - 1, &pos, &l, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(l, "one", 3);
	assert_true(jsonl_next_line(buf, sizeof(buf) - 1, &pos, &l, &n));
	assert_int_equal(n, 0);
	assert_true(jsonl_next_line(buf, sizeof(buf) - 1, &pos, &l, &n));
	assert_memory_equal(l, "two", 3);
	/* a line with no newline yet is left for the next read */
	assert_false(jsonl_next_line(buf, sizeof(buf) - 1, &pos, &l, &n));
	assert_int_equal(pos, strlen("one\n\ntwo\n"));
}

static void test_strbuf(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	assert_string_equal(sb.buf, "");
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d,", i);
	assert_true(ends_with(sb.buf, "998,999,"));
	assert_true(starts_with(sb.buf, "0,1,2,"));
	size_t len;
	char *s = strbuf_detach(&sb, &len);
	assert_int_equal(len, strlen(s));
	assert_int_equal(sb.len, 0);
	free(s);
	assert_string_equal(base_name("/a/b/compile"), "compile");
	assert_string_equal(base_name("link"), "link");
}

/* Text output never gets a control character from a path or message. */
static void test_add_printable(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_printable(&sb, "api/api.go", 1);
	assert_string_equal(sb.buf, "api/api.go");
	strbuf_reset(&sb);
	strbuf_add_printable(&sb, "h.go\nmain.go:1:1: [httpctx] FAKE\nz.go", 1);
	assert_string_equal(sb.buf, "\"h.go\\nmain.go:1:1: [httpctx] FAKE\\nz.go\"");
	assert_null(strchr(sb.buf, '\n'));
	strbuf_reset(&sb);
	strbuf_add_printable(&sb, "a\"b\\c\t\x01\x7f", 1);
	assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\t\\x01\\x7f\"");
	strbuf_reset(&sb);
	strbuf_add_printable(&sb, "use r.Context()\r\nnext", 0);
	assert_string_equal(sb.buf, "use r.Context()\\r\\nnext");
	strbuf_release(&sb);
}

/* A file of n bytes ('x') at path; n may be far larger than the disk (a sparse file). */
static void make_file(const char *path, off_t n, int sparse)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	if (sparse) {
		assert_int_equal(ftruncate(fd, n), 0);
	} else {
		char *b = xmalloc((size_t)n + 1);
		memset(b, 'x', (size_t)n);
		assert_int_equal(write_all(fd, b, (size_t)n), 0);
		free(b);
	}
	close(fd);
}

/*
 * strbuf_read_file never hangs and never reads past its limit: a FIFO
 * without a writer, /dev/zero (directly and through a symlink) and a
 * directory are refused at once; a file of exactly max bytes is read, one
 * byte more is EFBIG, and a 64 GiB sparse file is refused without being
 * read; /proc files (size 0 in fstat) are read.
 */
static void test_read_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/golive-test-util-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *fifo = xasprintf("%s/fifo.go", dir), *link = xasprintf("%s/zero.yaml", dir);
	char *exact = xasprintf("%s/exact", dir), *huge = xasprintf("%s/huge", dir);
	struct strbuf sb = STRBUF_INIT;
	int64_t t0 = now_mono_ns();

	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(symlink("/dev/zero", link), 0);
	const char *refused[] = {fifo, "/dev/zero", link, "/dev/null"};
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		errno = 0;
		assert_int_equal(strbuf_read_file(&sb, refused[i], 1u << 20), -1);
		assert_int_equal(errno, GOLIVE_ENOTREG);
		assert_int_equal(sb.len, 0);
	}
	assert_string_equal(file_strerror(GOLIVE_ENOTREG), "not a regular file");
	assert_string_equal(file_strerror(ENOENT), strerror(ENOENT));
	assert_int_equal(strbuf_read_file(&sb, dir, 100), -1);
	assert_int_equal(errno, EISDIR);

	make_file(exact, 100000, 0);
	assert_int_equal(strbuf_read_file(&sb, exact, 100000), 0);
	assert_int_equal(sb.len, 100000);
	assert_int_equal(sb.buf[sb.len], '\0');
	strbuf_reset(&sb);
	assert_int_equal(strbuf_read_file(&sb, exact, 99999), -1);
	assert_int_equal(errno, EFBIG);
	assert_true(sb.alloc == 0 || sb.buf[sb.len] == '\0');
	strbuf_release(&sb);
	/* appends */
	strbuf_addstr(&sb, "head:");
	assert_int_equal(strbuf_read_file(&sb, exact, 100000), 0);
	assert_int_equal(sb.len, 5 + 100000);
	assert_true(starts_with(sb.buf, "head:xxx"));
	strbuf_release(&sb);

	make_file(huge, (off_t)64 << 30, 1);
	assert_int_equal(strbuf_read_file(&sb, huge, 1u << 20), -1);
	assert_int_equal(errno, EFBIG);
	strbuf_release(&sb);

	assert_int_equal(strbuf_read_file(&sb, "/proc/self/status", 1u << 20), 0);
	assert_non_null(strstr(sb.buf, "Pid:"));
	strbuf_release(&sb);

	/* All of it at once: nothing waited for a writer or read 64 GiB. */
	assert_true(now_mono_ns() - t0 < 5000000000LL);
	unlink(fifo), unlink(link), unlink(exact), unlink(huge);
	rmdir(dir);
	free(fifo), free(link), free(exact), free(huge);
}

/* path_within compares what names are: symlinks and ".." do not hide a dir. */
static void test_path_within(void **state)
{
	(void)state;
	char dir[] = "/tmp/golive-test-within-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *g = xasprintf("%s/gocache", dir), *gsub = xasprintf("%s/gocache/sub", dir);
	char *link = xasprintf("%s/link", dir), *sublink = xasprintf("%s/x/sublink", dir);
	char *x = xasprintf("%s/x", dir);
	assert_int_equal(mkdir(g, 0755), 0);
	assert_int_equal(mkdir(gsub, 0755), 0);
	assert_int_equal(mkdir(x, 0755), 0);
	assert_int_equal(symlink(g, link), 0);
	assert_int_equal(symlink(gsub, sublink), 0);

	char *in[] = {
	    xasprintf("%s", g),                    /* itself */
	    xasprintf("%s/a/b", g),                /* lexically, not existing */
	    xasprintf("%s//./a/../b", g),          /* spelled oddly */
	    xasprintf("%s", link),                 /* a symlink to it */
	    xasprintf("%s/golive/analysis", link), /* under a symlink to it, not existing */
	    xasprintf("%s/../y", sublink),         /* the kernel's "..": gocache/y */
	};
	char *out[] = {
	    xasprintf("%s/gocache-not", dir), /* a prefix is not a parent */
	    xasprintf("%s/x/y", dir),
	    xasprintf("%s", dir),
	    xasprintf("%s/nowhere/../x", dir),
	};
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		if (!path_within(in[i], g))
			fail_msg("%s should be within %s", in[i], g);
		if (!path_within(in[i], link)) /* the dir given as a symlink */
			fail_msg("%s should be within %s", in[i], link);
		free(in[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(out); i++) {
		if (path_within(out[i], g))
			fail_msg("%s should not be within %s", out[i], g);
		free(out[i]);
	}
	/* A dir that does not exist: lexically only. */
	assert_true(path_within("/nonexistent-golive/a", "/nonexistent-golive"));
	assert_false(path_within("/tmp", "/nonexistent-golive"));
	assert_true(path_within("/anything", "/"));

	unlink(sublink), unlink(link);
	rmdir(x), rmdir(gsub), rmdir(g), rmdir(dir);
	free(g), free(gsub), free(link), free(sublink), free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_join_clean), cmocka_unit_test(test_jsonl),
	    cmocka_unit_test(test_strbuf),          cmocka_unit_test(test_add_printable),
	    cmocka_unit_test(test_read_file),       cmocka_unit_test(test_path_within),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
