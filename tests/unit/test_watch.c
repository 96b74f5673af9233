/*
 * Unit tests of watch.h (the inotify backend) on real directories under
 * /tmp. Every wait is a poll() with a bounded timeout, so a missing event
 * fails the test instead of hanging it.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "dev/watch.h"

#define WAIT_MS  2000 /* the longest any single wait may take */
#define QUIET_MS 150  /* "no more events" means none for this long */

struct rec {
	char *path;
	unsigned kind;
};

struct fixture {
	char *dir; /* the watched root, absolute */
	struct watcher *w;
	ARRAY(struct rec) log;
};

static void collect(const struct watch_event *ev, void *data)
{
	struct fixture *f = data;
	struct rec r = {xstrdup(ev->path), ev->kind};
	ARRAY_PUSH(f->log, r);
}

static void log_clear(struct fixture *f)
{
	for (size_t i = 0; i < f->log.n; i++)
		free(f->log.v[i].path);
	f->log.n = 0;
}

/* The kinds (or'ed) of all events logged for path; 0 when none. */
static unsigned log_kinds(const struct fixture *f, const char *path)
{
	unsigned k = 0;
	for (size_t i = 0; i < f->log.n; i++)
		if (!strcmp(f->log.v[i].path, path))
			k |= f->log.v[i].kind;
	return k;
}

/* True when some logged path contains needle. */
static int log_mentions(const struct fixture *f, const char *needle)
{
	for (size_t i = 0; i < f->log.n; i++)
		if (strstr(f->log.v[i].path, needle))
			return 1;
	return 0;
}

static void read_events(struct fixture *f)
{
	char *cause = NULL;
	int rc = watch_read(f->w, collect, f, &cause);
	if (rc < 0)
		fail_msg("watch_read: %s", cause);
}

/* Waits (at most WAIT_MS) for an event on path with any of the bits in kinds. */
static int wait_for(struct fixture *f, const char *path, unsigned kinds)
{
	int64_t deadline = now_mono_ns() + (int64_t)WAIT_MS * 1000000;
	for (;;) {
		if (log_kinds(f, path) & kinds)
			return 1;
		int64_t left = (deadline - now_mono_ns()) / 1000000;
		if (left <= 0)
			return 0;
		struct pollfd p = {watch_fd(f->w), POLLIN, 0};
		if (poll(&p, 1, (int)left) > 0)
			read_events(f);
	}
}

/* Reads events until none came for QUIET_MS (or WAIT_MS passed). */
static void drain(struct fixture *f)
{
	int64_t deadline = now_mono_ns() + (int64_t)WAIT_MS * 1000000;
	struct pollfd p = {watch_fd(f->w), POLLIN, 0};
	while (now_mono_ns() < deadline && poll(&p, 1, QUIET_MS) > 0)
		read_events(f);
}

/* Waits (at most WAIT_MS) until watch_count() is want. */
static int wait_count(struct fixture *f, size_t want)
{
	int64_t deadline = now_mono_ns() + (int64_t)WAIT_MS * 1000000;
	struct pollfd p = {watch_fd(f->w), POLLIN, 0};
	while (watch_count(f->w) != want) {
		int64_t left = (deadline - now_mono_ns()) / 1000000;
		if (left <= 0)
			return 0;
		if (poll(&p, 1, (int)left) > 0)
			read_events(f);
	}
	return 1;
}

static char *path_of(const struct fixture *f, const char *rel)
{
	return xasprintf("%s/%s", f->dir, rel);
}

static void write_file(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	assert_int_equal(write_all(fd, content, strlen(content)), 0);
	close(fd);
}

static void write_rel(const struct fixture *f, const char *rel, const char *content)
{
	char *p = path_of(f, rel);
	write_file(p, content);
	free(p);
}

static void mkdir_rel(const struct fixture *f, const char *rel)
{
	char *p = path_of(f, rel);
	if (mkdir(p, 0755) < 0)
		fail_msg("mkdir %s: %s", p, strerror(errno));
	free(p);
}

static void rename_rel(const struct fixture *f, const char *from, const char *to)
{
	char *a = path_of(f, from), *b = path_of(f, to);
	if (rename(a, b) < 0)
		fail_msg("rename %s %s: %s", a, b, strerror(errno));
	free(a);
	free(b);
}

static void unlink_rel(const struct fixture *f, const char *rel)
{
	char *p = path_of(f, rel);
	assert_int_equal(unlink(p), 0);
	free(p);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/golive-watch-XXXXXX";
	if (!mkdtemp(tmpl))
		fail_msg("mkdtemp: %s", strerror(errno));
	return xstrdup(tmpl);
}

/* skip_dir of the tests: .git and vendor, like the caller will do */
static int skip_git_vendor(const char *abs, void *data)
{
	int *asked = data;
	(*asked)++;
	const char *b = base_name(abs);
	return !strcmp(b, ".git") || !strcmp(b, "vendor");
}

static int skip_asked;

static void start(struct fixture *f)
{
	char *cause = NULL;
	f->w = watch_new(&cause);
	if (!f->w)
		fail_msg("watch_new: %s", cause);
	if (watch_add_tree(f->w, f->dir, skip_git_vendor, &skip_asked, &cause) < 0)
		fail_msg("watch_add_tree: %s", cause);
}

/* Makes the empty root; tests create their starting tree, then call start(). */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->dir = make_tmpdir();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	watch_free(f->w);
	log_clear(f);
	ARRAY_FREE(f->log);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* --- tests ---------------------------------------------------------------- */

static void test_write_close(void **state)
{
	struct fixture *f = *state;
	start(f);
	assert_int_equal(watch_count(f->w), 1);

	write_rel(f, "main.go", "package main\n");
	char *p = path_of(f, "main.go");
	assert_true(wait_for(f, p, WATCH_WRITE));
	free(p);

	/* `touch new`: create + close, no write */
	char *t = path_of(f, "new.go");
	int fd = open(t, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_true(wait_for(f, t, WATCH_WRITE));

	/* deletion */
	assert_int_equal(unlink(t), 0);
	assert_true(wait_for(f, t, WATCH_DELETE));
	free(t);
}

static void test_atomic_save(void **state)
{
	struct fixture *f = *state;
	write_rel(f, "main.go", "package main\n");
	start(f);
	char *p = path_of(f, "main.go");

	/* write a temporary, rename it over the file */
	write_rel(f, "main.go.tmp", "package main // 2\n");
	rename_rel(f, "main.go.tmp", "main.go");
	assert_true(wait_for(f, p, WATCH_CREATE));
	assert_true(log_kinds(f, p) & WATCH_MOVE);

	/* JetBrains "safe write": tmp, old, rename, delete old */
	write_rel(f, "main.go___jb_tmp___", "package main // 3\n");
	rename_rel(f, "main.go", "main.go___jb_old___");
	rename_rel(f, "main.go___jb_tmp___", "main.go");
	unlink_rel(f, "main.go___jb_old___");
	drain(f);
	assert_false(log_mentions(f, ".tmp"));
	assert_false(log_mentions(f, "___jb_"));
	for (size_t i = 0; i < f->log.n; i++)
		assert_string_equal(f->log.v[i].path, p);
	free(p);
}

static void test_vim_save(void **state)
{
	struct fixture *f = *state;
	write_rel(f, "main.go", "package main\n");
	start(f);

	/* what vim does with the default backupcopy=auto on a plain file */
	write_rel(f, "4913", "");
	unlink_rel(f, "4913");
	rename_rel(f, "main.go", "main.go~");
	write_rel(f, "main.go", "package main // vim\n");
	unlink_rel(f, "main.go~");
	/* and its swap file, for good measure */
	write_rel(f, ".main.go.swp", "swap");
	unlink_rel(f, ".main.go.swp");

	char *p = path_of(f, "main.go");
	assert_true(wait_for(f, p, WATCH_WRITE));
	drain(f);
	assert_true(f->log.n >= 1);
	for (size_t i = 0; i < f->log.n; i++)
		assert_string_equal(f->log.v[i].path, p);
	free(p);
}

static void test_new_dir(void **state)
{
	struct fixture *f = *state;
	start(f);

	mkdir_rel(f, "pkg");
	char *d = path_of(f, "pkg");
	assert_true(wait_for(f, d, WATCH_CREATE));
	assert_true(log_kinds(f, d) & WATCH_DIR);
	free(d);
	assert_int_equal(watch_count(f->w), 2);

	write_rel(f, "pkg/x.go", "package pkg\n");
	char *p = path_of(f, "pkg/x.go");
	assert_true(wait_for(f, p, WATCH_WRITE));
	free(p);
}

static void test_mkdir_p(void **state)
{
	struct fixture *f = *state;
	start(f);

	/* all of it before the watcher reads anything: b, c and x.go exist before
	   their watches do, so only the scan after adding each watch can see them */
	mkdir_rel(f, "a");
	mkdir_rel(f, "a/b");
	mkdir_rel(f, "a/b/c");
	write_rel(f, "a/b/c/x.go", "package c\n");

	char *p = path_of(f, "a/b/c/x.go");
	assert_true(wait_for(f, p, WATCH_CREATE | WATCH_WRITE));
	free(p);
	char *c = path_of(f, "a/b/c");
	assert_true(log_kinds(f, c) & WATCH_DIR);
	free(c);
	assert_true(wait_count(f, 4));

	/* and the new leaf is watched for what comes next */
	write_rel(f, "a/b/c/y.go", "package c\n");
	char *y = path_of(f, "a/b/c/y.go");
	assert_true(wait_for(f, y, WATCH_WRITE));
	free(y);
}

static void test_dir_moved_in(void **state)
{
	struct fixture *f = *state;
	start(f);

	char *out = make_tmpdir();
	char *m = xasprintf("%s/m", out), *n = xasprintf("%s/m/n", out);
	char *fgo = xasprintf("%s/m/n/f.go", out);
	assert_int_equal(mkdir(m, 0755), 0);
	assert_int_equal(mkdir(n, 0755), 0);
	write_file(fgo, "package n\n");

	char *dst = path_of(f, "m");
	assert_int_equal(rename(m, dst), 0);
	assert_true(wait_for(f, dst, WATCH_CREATE));
	assert_int_equal(log_kinds(f, dst), WATCH_MOVE | WATCH_CREATE | WATCH_DIR);
	char *found = path_of(f, "m/n/f.go");
	assert_true(wait_for(f, found, WATCH_CREATE));
	assert_int_equal(watch_count(f->w), 3);

	write_rel(f, "m/n/g.go", "package n\n");
	char *g = path_of(f, "m/n/g.go");
	assert_true(wait_for(f, g, WATCH_WRITE));

	free(g);
	free(found);
	free(dst);
	free(fgo);
	free(n);
	free(m);
	rm_rf(out);
	free(out);
}

static void test_dir_moved_within_and_out(void **state)
{
	struct fixture *f = *state;
	mkdir_rel(f, "a");
	mkdir_rel(f, "a/b");
	start(f);
	assert_int_equal(watch_count(f->w), 3);

	/* renamed inside the tree: events carry the new path */
	rename_rel(f, "a", "z");
	char *z = path_of(f, "z");
	assert_true(wait_for(f, z, WATCH_CREATE));
	write_rel(f, "z/b/x.go", "package b\n");
	char *x = path_of(f, "z/b/x.go");
	assert_true(wait_for(f, x, WATCH_WRITE));
	assert_false(log_mentions(f, "/a/b/x.go"));
	assert_int_equal(watch_count(f->w), 3);

	/* moved out of the tree: no longer watched, no more events */
	char *out = make_tmpdir();
	char *gone = xasprintf("%s/z", out);
	assert_int_equal(rename(z, gone), 0);
	assert_true(wait_for(f, z, WATCH_DELETE));
	assert_true(log_kinds(f, z) & WATCH_MOVE);
	assert_int_equal(watch_count(f->w), 1);
	char *y = xasprintf("%s/z/b/y.go", out);
	write_file(y, "package b\n");
	drain(f);
	assert_false(log_mentions(f, "y.go"));

	free(y);
	free(gone);
	rm_rf(out);
	free(out);
	free(x);
	free(z);
}

static void test_dir_deleted(void **state)
{
	struct fixture *f = *state;
	mkdir_rel(f, "d");
	mkdir_rel(f, "d/e");
	write_rel(f, "d/e/x.go", "package e\n");
	start(f);
	assert_int_equal(watch_count(f->w), 3);

	char *d = path_of(f, "d");
	rm_rf(d);
	assert_true(wait_for(f, d, WATCH_DELETE)); /* read_events fails the test on an error */
	assert_true(log_kinds(f, d) & WATCH_DIR);
	assert_true(wait_count(f, 1));
	free(d);

	/* the same name again is a new directory, watched again */
	mkdir_rel(f, "d");
	write_rel(f, "d/y.go", "package d\n");
	char *y = path_of(f, "d/y.go");
	assert_true(wait_for(f, y, WATCH_CREATE | WATCH_WRITE));
	free(y);
	assert_int_equal(watch_count(f->w), 2);
}

static void test_skip_dir(void **state)
{
	struct fixture *f = *state;
	mkdir_rel(f, ".git");
	mkdir_rel(f, ".git/objects");
	mkdir_rel(f, "src");
	skip_asked = 0;
	start(f);
	assert_int_equal(watch_count(f->w), 2); /* root and src */
	assert_int_equal(skip_asked, 2);        /* .git and src; never root, never below .git */

	write_rel(f, ".git/HEAD", "ref: refs/heads/main\n");
	mkdir_rel(f, "vendor"); /* created later: skipped too */
	write_rel(f, "vendor/v.go", "package v\n");
	write_rel(f, "src/a.go", "package src\n");
	char *a = path_of(f, "src/a.go");
	assert_true(wait_for(f, a, WATCH_WRITE));
	free(a);
	drain(f);
	assert_false(log_mentions(f, ".git"));
	assert_false(log_mentions(f, "vendor"));
	assert_int_equal(watch_count(f->w), 2);
}

static void test_add_tree_errors(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;
	f->w = watch_new(&cause);
	assert_non_null(f->w);

	char *missing = path_of(f, "missing");
	assert_int_equal(watch_add_tree(f->w, missing, NULL, NULL, &cause), -1);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	free(missing);

	write_rel(f, "file", "x");
	char *file = path_of(f, "file");
	cause = NULL;
	assert_int_equal(watch_add_tree(f->w, file, NULL, NULL, &cause), -1);
	assert_non_null(strstr(cause, "Not a directory"));
	free(cause);
	free(file);
	assert_int_equal(watch_count(f->w), 0);

	/* an unclean root is cleaned: event paths have no "//" or "/./" */
	char *unclean = xasprintf("%s//./", f->dir);
	assert_int_equal(watch_add_tree(f->w, unclean, NULL, NULL, &cause), 0);
	free(unclean);
	write_rel(f, "c.go", "package c\n");
	char *c = path_of(f, "c.go");
	assert_true(wait_for(f, c, WATCH_WRITE));
	free(c);
}

static void test_overflow(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;
	long max = 16384;
	if (strbuf_read_file(&sb, "/proc/sys/fs/inotify/max_queued_events", 64) == 0)
		max = strtol(sb.buf, NULL, 10);
	strbuf_release(&sb);
	if (max > 200000) {
		fprintf(stderr, "max_queued_events=%ld: too many files to overflow it, skipped\n",
		        max);
		skip();
	}
	mkdir_rel(f, "many");
	start(f);

	/* each file is IN_CREATE + IN_CLOSE_WRITE: twice as many events as files */
	for (long i = 0; i < max / 2 + 100; i++) {
		char *p = xasprintf("%s/many/f%ld", f->dir, i);
		write_file(p, "");
		free(p);
	}
	mkdir_rel(f, "late"); /* its event is lost in the overflow; the resync finds it */
	assert_true(wait_for(f, "", WATCH_RESCAN));
	size_t rescans = 0;
	for (size_t i = 0; i < f->log.n; i++)
		if (f->log.v[i].kind & WATCH_RESCAN) {
			rescans++;
			assert_int_equal(f->log.v[i].kind, WATCH_RESCAN);
		}
	assert_int_equal(rescans, 1);
	assert_int_equal(watch_count(f->w), 3); /* root, many, late */

	log_clear(f);
	write_rel(f, "late/l.go", "package late\n");
	char *l = path_of(f, "late/l.go");
	assert_true(wait_for(f, l, WATCH_WRITE));
	free(l);
}

static void test_10000_dirs(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;
	long max = 0;
	if (strbuf_read_file(&sb, "/proc/sys/fs/inotify/max_user_watches", 64) == 0)
		max = strtol(sb.buf, NULL, 10);
	strbuf_release(&sb);
	if (max < 10001 + 1000) {
		fprintf(stderr,
		        "fs.inotify.max_user_watches=%ld is too low for 10,001 watches, skipped\n",
		        max);
		skip();
	}

	/* 100 directories of 99 subdirectories: 10,000 under the root */
	for (int i = 0; i < 100; i++) {
		char *d = xasprintf("%s/d%02d", f->dir, i);
		assert_int_equal(mkdir(d, 0755), 0);
		for (int j = 0; j < 99; j++) {
			char *s = xasprintf("%s/s%02d", d, j);
			assert_int_equal(mkdir(s, 0755), 0);
			free(s);
		}
		free(d);
	}

	int64_t t0 = now_mono_ns();
	start(f);
	int64_t t1 = now_mono_ns();
	fprintf(stderr, "watch_add_tree of 10,000 directories: %.1f ms\n", (double)(t1 - t0) / 1e6);
	assert_int_equal(watch_count(f->w), 10001);

	write_rel(f, "d99/s98/deep.go", "package s98\n");
	char *p = path_of(f, "d99/s98/deep.go");
	assert_true(wait_for(f, p, WATCH_WRITE));
	free(p);

	t0 = now_mono_ns();
	watch_free(f->w);
	f->w = NULL;
	fprintf(stderr, "watch_free of 10,001 watches: %.1f ms\n",
	        (double)(now_mono_ns() - t0) / 1e6);
}

static void test_is_noise(void **state)
{
	(void)state;
	static const char *noise[] = {
	    "4913",
	    "5036",
	    "main.go~",
	    ".#main.go",
	    "#main.go#",
	    ".main.go.swp",
	    ".main.go.swx",
	    ".main.go.swo",
	    ".main.go.swn",
	    ".main.go.kate-swp",
	    "main.go.tmp",
	    "x.tmp",
	    "main.go___jb_tmp___",
	    "main.go___jb_old___",
	    "~",
	};
	static const char *real[] = {
	    "main.go",  "4914",      "49130",      "go.mod",       "go.sum",   "tmp.go",
	    "#x",       "x#",        "swp.go",     "main.sw",      "kate-swp", "x.tmpl",
	    "a.tmp.go", "embed.txt", ".gitignore", "main.go.orig", "",
	};
	for (size_t i = 0; i < ARRAY_SIZE(noise); i++)
		if (!watch_is_noise(noise[i]))
			fail_msg("%s should be noise", noise[i]);
	for (size_t i = 0; i < ARRAY_SIZE(real); i++)
		if (watch_is_noise(real[i]))
			fail_msg("%s should not be noise", real[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_is_noise),
	    cmocka_unit_test_setup_teardown(test_write_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_atomic_save, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vim_save, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_new_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_moved_in, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_moved_within_and_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_deleted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_skip_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_tree_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_10000_dirs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
