/*
 * Unit tests of watch.h's polling backend (watch_poll.c) on real
 * directories under /tmp, ticking every 10 ms: writes of the files given to
 * watch_set_files(), files created, deleted and renamed, directories added
 * (with what they hold) and removed, skip_dir, an in-place write of a file
 * outside the set (not seen: the documented limit), and the choice of
 * backend (watch_open, watch_fs_needs_poll, config_parse_poll). Every wait is
 * bounded, so a missing event fails instead of hanging.
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

#include "core/config.h"
#include "core/util.h"
#include "dev/watch.h"

#define WAIT_MS 3000

struct rec {
	char *path;
	unsigned kind;
};

struct fixture {
	char *dir;
	struct watcher *w;
	ARRAY(struct rec) log;
};

static void collect(const struct watch_event *ev, void *data)
{
	struct fixture *f = data;
	struct rec r = {xstrdup(ev->path), ev->kind};
	ARRAY_PUSH(f->log, r);
}

static unsigned kinds_of(const struct fixture *f, const char *path)
{
	unsigned k = 0;
	for (size_t i = 0; i < f->log.n; i++)
		if (!strcmp(f->log.v[i].path, path))
			k |= f->log.v[i].kind;
	return k;
}

/* Ticks until an event on path has a bit of kinds, at most WAIT_MS. */
static int wait_for(struct fixture *f, const char *path, unsigned kinds)
{
	int64_t deadline = now_mono_ns() + (int64_t)WAIT_MS * 1000000;
	while (!(kinds_of(f, path) & kinds)) {
		int64_t left = (deadline - now_mono_ns()) / 1000000;
		if (left <= 0)
			return 0;
		struct pollfd p = {watch_fd(f->w), POLLIN, 0};
		if (poll(&p, 1, (int)left) > 0) {
			char *cause = NULL;
			if (watch_read(f->w, collect, f, &cause) < 0)
				fail_msg("watch_read: %s", cause);
		}
	}
	return 1;
}

/* Ticks for ms (several sweeps), collecting. */
static void tick_for(struct fixture *f, int ms)
{
	int64_t end = now_mono_ns() + (int64_t)ms * 1000000;
	for (int64_t left; (left = (end - now_mono_ns()) / 1000000) > 0;) {
		struct pollfd p = {watch_fd(f->w), POLLIN, 0};
		if (poll(&p, 1, (int)left) > 0) {
			char *cause = NULL;
			assert_int_equal(watch_read(f->w, collect, f, &cause), 0);
		}
	}
}

static char *at(const struct fixture *f, const char *rel)
{
	return xasprintf("%s/%s", f->dir, rel);
}

static void put(const struct fixture *f, const char *rel, const char *content)
{
	char *p = at(f, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("open %s: %s", p, strerror(errno));
	assert_int_equal(write_all(fd, content, strlen(content)), 0);
	close(fd);
	free(p);
}

static void mk(const struct fixture *f, const char *rel)
{
	char *p = at(f, rel);
	assert_int_equal(mkdir(p, 0755), 0);
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

static int skip_git(const char *abs, void *data)
{
	(void)data;
	return !strcmp(base_name(abs), ".git");
}

/* Watches the tree with main.go and pkg/lib.go in the file set. */
static void start(struct fixture *f)
{
	char *cause = NULL;
	f->w = watch_new_poll(10, &cause);
	if (!f->w)
		fail_msg("watch_new_poll: %s", cause);
	assert_string_equal(watch_backend_name(f->w), "poll");
	if (watch_add_tree(f->w, f->dir, skip_git, NULL, &cause) < 0)
		fail_msg("watch_add_tree: %s", cause);
	char *files[2] = {at(f, "main.go"), at(f, "pkg/lib.go")};
	watch_set_files(f->w, (const char *const *)files, 2);
	free(files[0]);
	free(files[1]);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/golive-wpoll-XXXXXX";
	if (!mkdtemp(tmpl))
		fail_msg("mkdtemp: %s", strerror(errno));
	f->dir = xstrdup(tmpl);
	put(f, "main.go", "package main\n");
	mk(f, "pkg");
	put(f, "pkg/lib.go", "package pkg\n");
	mk(f, ".git");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	watch_free(f->w);
	for (size_t i = 0; i < f->log.n; i++)
		free(f->log.v[i].path);
	ARRAY_FREE(f->log);
	nftw(f->dir, rm_one, 64, FTW_DEPTH | FTW_PHYS);
	free(f->dir);
	free(f);
	return 0;
}

static void test_idle(void **state)
{
	struct fixture *f = *state;
	start(f);
	assert_int_equal(watch_count(f->w), 2); /* the root and pkg, not .git */
	tick_for(f, 100);
	/* nothing changed: at most the racy re-reports of files written just now */
	for (size_t i = 0; i < f->log.n; i++)
		assert_int_equal(f->log.v[i].kind, WATCH_WRITE);
}

static void test_write_in_place(void **state)
{
	struct fixture *f = *state;
	start(f);
	tick_for(f, 50);
	put(f, "pkg/lib.go", "package pkg // 2, a longer file\n");
	char *p = at(f, "pkg/lib.go");
	assert_true(wait_for(f, p, WATCH_WRITE));
	free(p);
}

static void test_create_delete(void **state)
{
	struct fixture *f = *state;
	start(f);
	put(f, "pkg/new.go", "package pkg\n");
	char *p = at(f, "pkg/new.go");
	assert_true(wait_for(f, p, WATCH_CREATE));
	assert_int_equal(unlink(p), 0);
	assert_true(wait_for(f, p, WATCH_DELETE));
	free(p);
	/* a file of the set deleted */
	char *m = at(f, "main.go");
	assert_int_equal(unlink(m), 0);
	assert_true(wait_for(f, m, WATCH_DELETE));
	free(m);
	/* editor noise is never reported */
	put(f, ".main.go.swp", "x");
	tick_for(f, 100);
	char *s = at(f, ".main.go.swp");
	assert_int_equal(kinds_of(f, s), 0);
	free(s);
}

static void test_rename(void **state)
{
	struct fixture *f = *state;
	start(f);
	/* an atomic save of a file of the set: its inode changes */
	put(f, "main.go.tmp", "package main // 2\n");
	char *tmp = at(f, "main.go.tmp"), *m = at(f, "main.go");
	assert_int_equal(rename(tmp, m), 0);
	assert_true(wait_for(f, m, WATCH_WRITE | WATCH_CREATE));
	/* a rename away and to a new name */
	char *n = at(f, "renamed.go");
	assert_int_equal(rename(m, n), 0);
	assert_true(wait_for(f, m, WATCH_DELETE));
	assert_true(wait_for(f, n, WATCH_CREATE));
	free(tmp);
	free(m);
	free(n);
}

static void test_dirs(void **state)
{
	struct fixture *f = *state;
	start(f);
	/* mkdir -p with files: the directories and what they hold */
	mk(f, "a");
	mk(f, "a/b");
	put(f, "a/b/x.go", "package b\n");
	char *a = at(f, "a"), *b = at(f, "a/b"), *x = at(f, "a/b/x.go");
	assert_true(wait_for(f, a, WATCH_CREATE));
	assert_true(wait_for(f, b, WATCH_CREATE));
	assert_true(kinds_of(f, b) & WATCH_DIR);
	assert_true(wait_for(f, x, WATCH_CREATE));
	assert_int_equal(watch_count(f->w), 4);
	/* a file found in the new directory, then replaced (sed -i): seen */
	put(f, "a/b/x.go.tmp", "package b // 2\n");
	char *xt = at(f, "a/b/x.go.tmp");
	assert_int_equal(rename(xt, x), 0);
	free(xt);
	assert_true(wait_for(f, x, WATCH_WRITE));
	/* a file added later to the new directory */
	put(f, "a/b/y.go", "package b\n");
	char *y = at(f, "a/b/y.go");
	assert_true(wait_for(f, y, WATCH_CREATE));
	/* skip_dir: nothing below .git */
	put(f, ".git/HEAD", "ref\n");
	mk(f, ".git/objects");
	/* removed: reported, forgotten */
	nftw(a, rm_one, 64, FTW_DEPTH | FTW_PHYS);
	assert_true(wait_for(f, a, WATCH_DELETE));
	assert_int_equal(watch_count(f->w), 2);
	for (size_t i = 0; i < f->log.n; i++)
		assert_null(strstr(f->log.v[i].path, ".git"));
	free(a);
	free(b);
	free(x);
	free(y);
}

static void test_dir_replaced(void **state)
{
	struct fixture *f = *state;
	start(f);
	tick_for(f, 50);
	/* rm -rf pkg; mkdir pkg; a file in it (git checkout can do this) */
	char *pkg = at(f, "pkg"), *lib = at(f, "pkg/lib.go"), *n = at(f, "pkg/new.go");
	nftw(pkg, rm_one, 64, FTW_DEPTH | FTW_PHYS);
	mk(f, "pkg");
	put(f, "pkg/lib.go", "package pkg // again\n");
	assert_true(wait_for(f, pkg, WATCH_DELETE));
	assert_true(wait_for(f, lib, WATCH_CREATE | WATCH_WRITE));
	assert_int_equal(watch_count(f->w), 2);
	/* and it is watched: a file added later is seen */
	put(f, "pkg/new.go", "package pkg\n");
	assert_true(wait_for(f, n, WATCH_CREATE));
	free(pkg);
	free(lib);
	free(n);
}

static void test_settle(void **state)
{
	struct fixture *f = *state;
	start(f);
	tick_for(f, 1300); /* past the racy window of the set-up's writes */
	for (size_t i = 0; i < f->log.n; i++)
		free(f->log.v[i].path);
	f->log.n = 0;
	/* a writer still writing: a piece before every look (each look sees a new size) */
	char *p = at(f, "main.go");
	int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	for (int i = 0; i < 30; i++) {
		struct pollfd pf = {watch_fd(f->w), POLLIN, 0};
		assert_int_equal(poll(&pf, 1, WAIT_MS), 1);
		assert_int_equal(write_all(fd, "// piece\n", 9), 0);
		char *cause = NULL;
		assert_int_equal(watch_read(f->w, collect, f, &cause), 0);
	}
	close(fd);
	size_t during = 0;
	for (size_t i = 0; i < f->log.n; i++)
		during += !strcmp(f->log.v[i].path, p);
	assert_true(wait_for(f, p, WATCH_WRITE));
	/* nothing while it was being written (inotify waits for the close too) */
	assert_int_equal(during, 0);
	free(p);
}

static void test_new_file_written(void **state)
{
	struct fixture *f = *state;
	start(f);
	/* `cat > pkg/new.go`: created empty, seen, then written */
	put(f, "pkg/new.go", "");
	char *p = at(f, "pkg/new.go");
	assert_true(wait_for(f, p, WATCH_CREATE));
	tick_for(f, 1300);
	for (size_t i = 0; i < f->log.n; i++)
		free(f->log.v[i].path);
	f->log.n = 0;
	put(f, "pkg/new.go", "package pkg\n");
	assert_true(wait_for(f, p, WATCH_WRITE));
	free(p);
}

static void test_outside_set(void **state)
{
	struct fixture *f = *state;
	put(f, "pkg/notes.txt", "a\n");
	start(f);
	tick_for(f, 1300); /* past the racy window of the set-up's writes */
	for (size_t i = 0; i < f->log.n; i++)
		free(f->log.v[i].path);
	f->log.n = 0;
	/* written in place, not in the set: not stat'ed, so not seen */
	put(f, "pkg/notes.txt", "b\n");
	tick_for(f, 100);
	char *p = at(f, "pkg/notes.txt");
	assert_int_equal(kinds_of(f, p), 0);
	/* once in the set, it is */
	watch_set_files(f->w, (const char *const *)&p, 1);
	put(f, "pkg/notes.txt", "c, longer\n");
	assert_true(wait_for(f, p, WATCH_WRITE));
	free(p);
}

static void test_choice(void **state)
{
	(void)state;
	const char *fs = NULL;
	char *why = NULL, *cause = NULL;
	/* /tmp here is a local file system: inotify, and no line */
	assert_int_equal(watch_fs_needs_poll("/tmp", &fs), 0);
	struct watcher *w = watch_open("/tmp", -1, &why, &cause);
	assert_non_null(w);
	assert_null(why);
	assert_string_equal(watch_backend_name(w), "inotify");
	watch_free(w);
	w = watch_open("/tmp", 0, &why, &cause);
	assert_string_equal(watch_backend_name(w), "inotify");
	watch_free(w);
	w = watch_open("/tmp", 250, &why, &cause);
	assert_string_equal(watch_backend_name(w), "poll");
	assert_null(why);
	watch_free(w);
	/* /proc is no remote file system either */
	assert_int_equal(watch_fs_needs_poll("/proc", &fs), 0);

	assert_int_equal(config_parse_poll("250ms"), 250);
	assert_int_equal(config_parse_poll("1s"), 1000);
	assert_int_equal(config_parse_poll("1.5s"), 1500);
	assert_int_equal(config_parse_poll("auto"), -1);
	assert_int_equal(config_parse_poll(NULL), -1);
	assert_int_equal(config_parse_poll("off"), 0);
	assert_int_equal(config_parse_poll("5ms"), -2);
	assert_int_equal(config_parse_poll("11s"), -2);
	assert_int_equal(config_parse_poll("250"), -2);
	assert_int_equal(config_parse_poll("-1s"), -2);
	assert_int_equal(config_parse_poll("fast"), -2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_idle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_in_place, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dirs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dir_replaced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_settle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_new_file_written, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outside_set, setup, teardown),
	    cmocka_unit_test(test_choice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
