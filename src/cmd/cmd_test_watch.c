/*
 * cmd_test_watch.c - `golive test --watch`: run the tests once, then on every
 * save run the tests of the packages the change affects and nothing else
 * (gotest/testgraph.h: the changed packages and the module's packages that
 * import them; a _test.go file: its package alone).
 *
 * The loop is golive dev's, without the program: one thread, one poll()
 * over the watcher (watch.h, inotify or polling as golive dev picks),
 * the run's output pipe and pidfd, the graph listing's pidfd and a signal
 * self-pipe. Changes are debounced and checked by content hash as golive
 * dev does (dev/changeq.h): a save that changes nothing runs nothing. A
 * change during a run cancels it (its process group is killed) and the
 * next run takes its packages too. The graph (`go list -deps -test`) is
 * listed once, and again after a run when a change touched a file's imports
 * or build constraints, or added or removed a file.
 */
#define _GNU_SOURCE
#include "cmd/cmd_dev.h"
#include "cmd/cmd_test.h"
#include "cmd/commands.h"
#include "core/pathmatch.h"
#include "core/proc.h"
#include "core/sigpipe.h"
#include "dev/changeq.h"
#include "dev/watch.h"
#include "gotest/testgraph.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct tw {
	struct test_opts *o;
	struct golive_config *cfg;
	const char *go, *cwd, *root;
	struct testgraph g;
	struct pathmap built;   /* content hash of each graph file at the last run */
	struct pathmap headers; /* import-header hash of each .go file (testgraph.h) */
	struct changeq q;
	struct watcher *w;
	struct gitignore *gi;
	int relist; /* list the graph again once the run is over */
	pid_t list_pid;
	int list_pidfd;
	char *list_path;
	struct test_job job;
	int job_on, nrun;
	const char *trigger;
	struct argv_array job_pkgs, job_files;
	char *dir_buf; /* dir_of()'s answer */
};

static int sig_fd = -1; /* core/sigpipe.h */

static void say(const struct tw *t, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void say(const struct tw *t, const char *fmt, ...)
{
	(void)t;
	va_list ap;
	va_start(ap, fmt);
	fputs("golive test: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
	va_end(ap);
}

static char *rel_path(const struct tw *t, const char *abs)
{
	size_t n = strlen(t->root);
	if (strncmp(abs, t->root, n) == 0 && (abs[n] == '/' || abs[n] == '\0'))
		return xstrdup(abs[n] ? abs + n + 1 : "");
	return xstrdup(abs);
}

static int skip_dir(const char *abs, void *data)
{
	struct tw *t = data;
	char *rel = rel_path(t, abs);
	int skip = changeq_skip_dir(rel, &t->cfg->watch.exclude, t->gi);
	free(rel);
	return skip;
}

/* ---- the graph ---------------------------------------------------------- */

/* Records the hashes of the graph's files not recorded yet. */
static void record_new_files(struct tw *t)
{
	for (size_t i = 0; i < t->g.files.cap; i++) {
		const char *k = t->g.files.keys[i];
		if (!k || pathmap_get(&t->built, k, NULL))
			continue;
		char *abs = xasprintf("%s/%s", t->root, k);
		pathmap_set(&t->built, k, devgraph_hash_file(abs));
		if (ends_with(k, ".go"))
			pathmap_set(&t->headers, k, testgraph_header_hash(abs));
		free(abs);
	}
}

static void graph_loaded(struct tw *t)
{
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	if (strbuf_read_file(&sb, t->list_path, 256u << 20) < 0)
		cause = xasprintf("%s: %s", t->list_path, strerror(errno));
	else if (testgraph_parse(&t->g, sb.buf, sb.len, &cause) == 0)
		record_new_files(t);
	strbuf_release(&sb);
	if (cause) {
		warning("golive test: reading the package graph: %s", cause);
		free(cause);
	}
	if (t->w) {
		struct argv_array abs = ARGV_ARRAY_INIT;
		testgraph_abs_files(&t->g, &abs);
		watch_set_files(t->w, (const char *const *)abs.argv, abs.argc);
		argv_clear(&abs);
	}
}

static void start_listing(struct tw *t)
{
	struct argv_array av = ARGV_ARRAY_INIT;
	argv_push(&av, t->go);
	testgraph_list_argv(&av, &t->o->list_flags, &t->o->pkgs);
	int fd = open(t->list_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char *cause = NULL;
	t->list_pid = 0;
	if (fd >= 0) {
		t->list_pid = dev_spawn_group(av.argv, fd, 2, &cause);
		close(fd);
	}
	if (t->list_pid > 0) {
		t->list_pidfd = proc_pidfd_open(t->list_pid);
	} else {
		t->list_pid = 0;
		warning("golive test: listing the packages: %s", cause ? cause : strerror(errno));
	}
	free(cause);
	argv_clear(&av);
	t->relist = 0;
}

static void listing_done(struct tw *t)
{
	int st;
	while (waitpid(t->list_pid, &st, 0) < 0 && errno == EINTR)
		;
	kill(-t->list_pid, SIGKILL);
	close(t->list_pidfd);
	t->list_pid = 0;
	t->list_pidfd = -1;
	graph_loaded(t);
}

/* ---- watching ----------------------------------------------------------- */

static int is_root_file(const char *rel)
{
	return !strcmp(rel, "go.mod") || !strcmp(rel, "go.sum") || !strcmp(rel, "go.work") ||
	       !strcmp(rel, "go.work.sum");
}

/* A directory that is or holds a package directory of the graph. */
static int holds_pkg_dir(const char *rel, void *data)
{
	const struct tw *t = data;
	size_t n = strlen(rel);
	for (size_t i = 0; i < t->g.pkgs.n; i++) {
		const char *d = t->g.pkgs.v[i].dir;
		if (n == 0 || (strncmp(d, rel, n) == 0 && (d[n] == '\0' || d[n] == '/')))
			return 1;
	}
	return 0;
}

static void on_watch_event(const struct watch_event *ev, void *data)
{
	struct tw *t = data;
	if (ev->kind & WATCH_RESCAN) {
		changeq_rescan(&t->q);
		return;
	}
	char *rel = rel_path(t, ev->path);
	int is_dir = (ev->kind & WATCH_DIR) != 0;
	int relevant = 0;
	if (glob_match_any(&t->cfg->watch.exclude, rel, is_dir) ||
	    (t->gi && gitignore_ignored(t->gi, rel, is_dir)))
		relevant = 0;
	else if (is_dir)
		relevant = (ev->kind & WATCH_DELETE) && holds_pkg_dir(rel, t);
	else
		relevant = is_root_file(rel) || testgraph_pkg_of_file(&t->g, rel) >= 0;
	if (relevant)
		changeq_add(&t->q, rel);
	free(rel);
}

/* ---- runs --------------------------------------------------------------- */

static const char *dir_of(const char *pkg, void *data)
{
	struct tw *t = data;
	long i = testgraph_find(&t->g, pkg);
	if (i < 0)
		return NULL;
	free(t->dir_buf);
	t->dir_buf = *t->g.pkgs.v[i].dir ? xasprintf("%s/%s", t->root, t->g.pkgs.v[i].dir)
	                                 : xstrdup(t->root);
	return t->dir_buf;
}

static json_t *strings_json(const struct argv_array *a)
{
	json_t *j = json_array();
	for (size_t i = 0; i < a->argc; i++)
		json_array_append_new(j, json_string(a->argv[i]));
	return j;
}

static void cancel_run(struct tw *t)
{
	if (!t->job_on)
		return;
	test_job_release(&t->job);
	t->job_on = 0;
	if (t->o->json) {
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string("cancelled"));
		json_object_set_new(o, "run", json_integer(t->nrun));
		char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", s);
		fflush(stdout);
		free(s);
		json_decref(o);
	}
	say(t, "run %d cancelled: a change during the run", t->nrun);
}

static void start_run(struct tw *t, const char *trigger, const struct argv_array *pkgs,
                      const struct argv_array *files)
{
	/* a cancelled run's packages are run again with the new ones */
	struct argv_array all = ARGV_ARRAY_INIT, changed = ARGV_ARRAY_INIT;
	if (t->job_on) {
		for (size_t i = 0; i < t->job_pkgs.argc; i++)
			argv_push(&all, t->job_pkgs.argv[i]);
		for (size_t i = 0; i < t->job_files.argc; i++)
			argv_push(&changed, t->job_files.argv[i]);
		cancel_run(t);
	}
	for (size_t i = 0; i < pkgs->argc; i++) {
		int seen = 0;
		for (size_t k = 0; k < all.argc && !seen; k++)
			seen = !strcmp(all.argv[k], pkgs->argv[i]);
		if (!seen)
			argv_push(&all, pkgs->argv[i]);
	}
	for (size_t i = 0; files && i < files->argc; i++)
		argv_push(&changed, files->argv[i]);
	argv_clear(&t->job_pkgs);
	argv_clear(&t->job_files);
	t->job_pkgs = all;
	t->job_files = changed;
	t->trigger = trigger;
	t->nrun++;
	{
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < all.argc && i < 8; i++)
			strbuf_addf(&sb, "%s%s", i ? " " : "", all.argv[i]);
		if (all.argc > 8)
			strbuf_addf(&sb, " (+%zu)", all.argc - 8);
		if (changed.argc)
			say(t, "run %d: %s%s changed: the tests of %zu package%s: %s", t->nrun,
			    changed.argv[0], changed.argc > 1 ? " ..." : "", all.argc,
			    all.argc == 1 ? "" : "s", sb.buf ? sb.buf : "");
		else
			say(t, "run %d: the tests of %zu package%s", t->nrun, all.argc,
			    all.argc == 1 ? "" : "s");
		strbuf_release(&sb);
	}
	if (test_job_start(&t->job, t->go, t->o, &t->job_pkgs, 0) == 0)
		t->job_on = 1;
	else
		testrun_release(&t->job.run);
}

static void run_done(struct tw *t)
{
	int st = test_job_finish(&t->job);
	json_t *extra = json_object();
	json_object_set_new(extra, "run", json_integer(t->nrun));
	json_object_set_new(extra, "trigger", json_string(t->trigger));
	json_object_set_new(extra, "changed", strings_json(&t->job_files));
	json_object_set_new(extra, "run_packages", strings_json(&t->job_pkgs));
	test_report(t->o, &t->job, st, t->go, t->cwd, extra, dir_of, t);
	test_job_release(&t->job);
	t->job_on = 0;
	if (t->relist && !t->list_pid)
		start_listing(t);
	if (!t->o->json)
		say(t, "waiting for a change");
}

/* The debounce ran out: what changed, which tests it affects, the run. */
static void act(struct tw *t)
{
	struct argv_array files = ARGV_ARRAY_INIT, pkgs = ARGV_ARRAY_INIT;
	ARRAY(long) code = ARRAY_INIT;
	ARRAY(long) tests = ARRAY_INIT;
	int all = 0;
	changeq_take(&t->q, t->root, &t->built, holds_pkg_dir, t, &files);
	for (size_t i = 0; i < files.argc; i++) {
		const char *rel = files.argv[i];
		long p = testgraph_pkg_of_file(&t->g, rel);
		char *abs = xasprintf("%s/%s", t->root, rel);
		if (is_root_file(rel) || p < 0) {
			all = 1; /* go.mod, or a package directory went away */
			t->relist = 1;
		} else if (ends_with(rel, "_test.go")) {
			ARRAY_PUSH(tests, p);
		} else {
			ARRAY_PUSH(code, p);
		}
		if (!pathmap_get(&t->g.files, rel, NULL))
			t->relist = 1; /* a new file */
		if (ends_with(rel, ".go") && p >= 0) {
			uint64_t h = testgraph_header_hash(abs), old;
			if (!pathmap_get(&t->headers, rel, &old) || old != h)
				t->relist = 1; /* its imports or build constraints */
			pathmap_set(&t->headers, rel, h);
		}
		if (access(abs, F_OK) < 0)
			t->relist = 1; /* removed */
		free(abs);
	}
	if (all) {
		for (size_t i = 0; i < t->g.pkgs.n; i++)
			if (t->g.pkgs.v[i].target)
				argv_push(&pkgs, t->g.pkgs.v[i].path);
	} else {
		testgraph_affected(&t->g, code.v, code.n, tests.v, tests.n, &pkgs);
	}
	if (pkgs.argc)
		start_run(t, "change", &pkgs, &files);
	else if (files.argc)
		say(t, "%s changed: no test depends on it", files.argv[0]);
	if (!t->job_on && t->relist && !t->list_pid)
		start_listing(t);
	argv_clear(&files);
	argv_clear(&pkgs);
	ARRAY_FREE(code);
	ARRAY_FREE(tests);
}

enum { FD_SIG, FD_WATCH, FD_OUT, FD_JOB, FD_LIST, FD_N };

static int loop(struct tw *t)
{
	for (;;) {
		struct pollfd pfd[FD_N];
		for (size_t i = 0; i < FD_N; i++) {
			pfd[i].fd = -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		pfd[FD_SIG].fd = sig_fd;
		pfd[FD_WATCH].fd = watch_fd(t->w);
		pfd[FD_OUT].fd = t->job_on ? t->job.out : -1;
		pfd[FD_JOB].fd = t->job_on && t->job.out < 0 ? t->job.pidfd : -1;
		pfd[FD_LIST].fd = t->list_pid ? t->list_pidfd : -1;
		int timeout = -1;
		int64_t deadline = changeq_deadline(&t->q), now = now_mono_ns();
		if (deadline)
			timeout = deadline <= now ? 0 : (int)((deadline - now + 999999) / 1000000);
		if (poll(pfd, FD_N, timeout) < 0 && errno != EINTR)
			die_errno("poll");
		if (pfd[FD_SIG].revents) {
			unsigned char c;
			if (read(sig_fd, &c, 1) == 1)
				return c;
		}
		if (pfd[FD_WATCH].revents) {
			char *cause = NULL;
			if (watch_read(t->w, on_watch_event, t, &cause) < 0) {
				warning("golive test: %s", cause);
				free(cause);
			}
			if (t->q.eager && !changeq_gone(&t->q, t->root))
				act(t); /* leading edge: a lone save runs without waiting */
			t->q.eager = 0;
		}
		if (pfd[FD_OUT].revents && t->job_on)
			test_job_read(&t->job);
		if (t->job_on && t->job.out < 0) /* its output ended: it is ending */
			run_done(t);
		if (pfd[FD_LIST].revents && t->list_pid)
			listing_done(t);
		now = now_mono_ns();
		if (changeq_waiting(&t->q) && now >= changeq_deadline(&t->q))
			act(t);
	}
}

int test_watch(struct test_opts *o, struct golive_config *cfg, const char *go, const char *cwd)
{
	struct tw tt, *t = &tt;
	char *cause = NULL;
	int ret = 1;
	memset(t, 0, sizeof(*t));
	t->o = o;
	t->cfg = cfg;
	t->go = go;
	t->cwd = cwd;
	t->root = cfg->root;
	t->list_pidfd = -1;
	testgraph_init(&t->g, t->root);
	changeq_init(&t->q, o->debounce_ms >= 0 ? o->debounce_ms : cfg->watch.debounce_ms);

	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	sig_fd = sigpipe_open(sigs, ARRAY_SIZE(sigs));

	const char *tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *dir = xasprintf("%s/golive-test-XXXXXX", tmpdir);
	if (!mkdtemp(dir)) {
		error("golive test: cannot create a directory under %s: %s", tmpdir,
		      strerror(errno));
		free(dir);
		goto out;
	}
	t->list_path = xasprintf("%s/graph.json", dir);

	/* the graph, the watches, the first run */
	int64_t t0 = now_mono_ns();
	start_listing(t);
	if (t->list_pid)
		listing_done(t);
	if (cfg->watch.gitignore)
		t->gi = gitignore_new(t->root);
	{
		char *why = NULL;
		long poll_ms = o->poll_set ? o->poll_ms : config_parse_poll(cfg->watch.poll);
		t->w = watch_open(t->root, poll_ms, &why, &cause);
		if (why)
			say(t, "%s", why);
		free(why);
	}
	if (!t->w || watch_add_tree(t->w, t->root, skip_dir, t, &cause) < 0) {
		error("golive test: %s", cause);
		goto out_dir;
	}
	graph_loaded(t); /* again: the watcher gets the files */
	{
		size_t targets = 0, with = 0;
		for (size_t i = 0; i < t->g.pkgs.n; i++) {
			targets += t->g.pkgs.v[i].target;
			with += t->g.pkgs.v[i].target && t->g.pkgs.v[i].has_tests;
		}
		if (o->json) {
			json_t *j = json_object();
			json_object_set_new(j, "type", json_string("watch"));
			json_object_set_new(j, "dirs", json_integer((json_int_t)watch_count(t->w)));
			json_object_set_new(j, "files", json_integer((json_int_t)t->g.files.n));
			json_object_set_new(j, "packages", json_integer((json_int_t)targets));
			json_object_set_new(j, "backend", json_string(watch_backend_name(t->w)));
			char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
			printf("%s\n", s);
			fflush(stdout);
			free(s);
			json_decref(j);
		}
		say(t, "watching %zu director%s of %s (%zu packages, %zu with tests%s) in %.0f ms",
		    watch_count(t->w), watch_count(t->w) == 1 ? "y" : "ies", t->root, targets, with,
		    strcmp(watch_backend_name(t->w), "poll") ? "" : ", polling",
		    (double)(now_mono_ns() - t0) / 1e6);
		struct argv_array pkgs = ARGV_ARRAY_INIT;
		for (size_t i = 0; i < t->g.pkgs.n; i++)
			if (t->g.pkgs.v[i].target)
				argv_push(&pkgs, t->g.pkgs.v[i].path);
		if (pkgs.argc)
			start_run(t, "start", &pkgs, NULL);
		argv_clear(&pkgs);
	}
	char signame[32];
	int sig = loop(t);
	say(t, "%s: stopping", signal_to_name(sig, signame, sizeof(signame)));
	ret = 0;
out_dir:
	if (t->job_on)
		test_job_release(&t->job);
	if (t->list_pid) {
		kill(-t->list_pid, SIGKILL);
		waitpid(t->list_pid, NULL, 0);
		close(t->list_pidfd);
	}
	unlink(t->list_path);
	rmdir(dir);
	free(dir);
out:
	free(cause);
	free(t->list_path);
	watch_free(t->w);
	gitignore_free(t->gi);
	testgraph_release(&t->g);
	pathmap_clear(&t->built);
	pathmap_clear(&t->headers);
	changeq_release(&t->q);
	argv_clear(&t->job_pkgs);
	argv_clear(&t->job_files);
	free(t->dir_buf);
	return ret;
}
