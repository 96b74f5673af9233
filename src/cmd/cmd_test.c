/*
 * cmd_test.c - `golive test`: go test -json, printed the way go test prints
 * (without -v: the failed tests' output and one line per package), then a
 * summary: packages, tests passed / failed / skipped, the slowest tests and
 * each failure as file:line (the package directory joined to the file the
 * test named, relative to the current directory, so editors jump to it).
 * golive's exit status is go test's. --watch is cmd_test_watch.c.
 *
 * go test runs plain, not through golive's -toolexec wrapper: the wrapper's
 * figures and findings need golive build's session set-up, and a test cycle
 * is go's compile + link + run, which the wrapper would only slow down.
 */
#define _GNU_SOURCE
#include "cmd/cmd_dev.h"
#include "cmd/cmd_test.h"
#include "cmd/commands.h"
#include "core/buildargs.h"
#include "core/golist.h"
#include "core/jsonl.h"
#include "core/gotool.h"
#include "core/proc.h"
#include "dev/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char test_usage[] =
    "usage: golive test [golive options] [go test flags] [packages]\n"
    "\n"
    "Runs go test -json, prints what go test prints (the output of failed tests,\n"
    "one line per package), then a summary: packages, tests passed, failed and\n"
    "skipped, the slowest tests, and each failure as file:line. The exit status\n"
    "is go test's.\n"
    "\n"
    "golive options:\n"
    "  --json          one JSON line per run on stdout (go test's text goes to stderr)\n"
    "  --watch         run the tests again on every save: only the changed packages'\n"
    "                  and those of the module's packages that import them\n"
    "  --poll DUR      watch by polling every DUR (e.g. 250ms): for file systems\n"
    "                  without inotify events (Docker bind mounts, VMs, WSL, NFS)\n"
    "  --debounce MS   quiet time that groups changes into one run (default 20)\n"
    "  --top N         list the N slowest tests (default 5)\n"
    "  --config FILE   read FILE instead of searching for golive.yaml\n"
    "\n"
    "Examples:\n"
    "  golive test ./...\n"
    "  golive test -run TestParse -count=1 ./parser\n"
    "  golive test --watch ./...\n"
    "See docs/test.md.\n";

/* go test's own flags that take a value (go build's: buildargs_takes_value). */
static const char *const test_value_flags[] = {"bench",
                                               "benchtime",
                                               "blockprofile",
                                               "blockprofilerate",
                                               "count",
                                               "cpu",
                                               "cpuprofile",
                                               "fuzz",
                                               "fuzzminimizetime",
                                               "fuzztime",
                                               "list",
                                               "memprofile",
                                               "memprofilerate",
                                               "mutexprofile",
                                               "coverprofile",
                                               "outputdir",
                                               "parallel",
                                               "mutexprofilefraction",
                                               "run",
                                               "skip",
                                               "timeout",
                                               "trace",
                                               "vet",
                                               "shuffle"};
/* the flags go list needs as well: they change the package graph */
static const char *const list_flags[] = {"tags", "mod", "modfile", "overlay", "C", "pgo"};

static int in_list(const char *name, const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, l[i]) == 0)
			return 1;
	return 0;
}

static int parse_opts(struct test_opts *o, int argc, char **argv)
{
	int pkgs_only = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (pkgs_only || a[0] != '-') {
			argv_push(&o->pkgs, a);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			pkgs_only = 1;
			continue;
		}
		if (is_help_flag(a)) {
			fputs(test_usage, stdout);
			exit(0);
		}
		if (strcmp(a, "--json") == 0) {
			o->json = 1;
			continue;
		}
		if (strcmp(a, "--watch") == 0) {
			o->watch = 1;
			continue;
		}
		if (starts_with(a, "--")) {
			static const char *const valued[] = {"--poll", "--debounce", "--top",
			                                     "--config"};
			size_t k, n = strcspn(a, "=");
			const char *val = NULL;
			for (k = 0; k < ARRAY_SIZE(valued); k++)
				if (strlen(valued[k]) == n && strncmp(a, valued[k], n) == 0)
					break;
			if (k == ARRAY_SIZE(valued))
				return error("golive test: unknown option %s (see golive test "
				             "--help)",
				             a);
			if (a[n] == '=')
				val = a + n + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return error("golive test: %s needs a value", valued[k]);
			char *end;
			long v;
			switch (k) {
			case 0:
				if ((o->poll_ms = config_parse_poll(val)) < -1)
					return error(
					    "golive test: --poll: want an interval of 10ms "
					    "to 10s (e.g. 250ms), \"auto\" or \"off\", got "
					    "\"%s\"",
					    val);
				o->poll_set = 1;
				o->watch = 1;
				break;
			case 1:
			case 2:
				v = strtol(val, &end, 10);
				if (!*val || *end || v < 0 || v > 10000)
					return error("golive test: %s: want a number 0..10000, "
					             "got \"%s\"",
					             valued[k], val);
				*(k == 1 ? &o->debounce_ms : &o->top) = (int)v;
				break;
			default:
				o->config = val;
				break;
			}
			continue;
		}
		/* a go test flag, with its value */
		const char *name = a + 1 + (a[1] == '-');
		size_t n = strcspn(name, "=");
		char *nm = xstrndup(name, n);
		int takes =
		    !name[n] && (buildargs_takes_value(nm) ||
		                 in_list(nm, test_value_flags, ARRAY_SIZE(test_value_flags)));
		int for_list = in_list(nm, list_flags, ARRAY_SIZE(list_flags));
		int drop = strcmp(nm, "json") == 0; /* golive asks for it itself */
		free(nm);
		if (takes && i + 1 >= argc)
			return error("golive test: flag needs an argument: %s", a);
		if (!drop) {
			argv_push(&o->go, a);
			if (for_list)
				argv_push(&o->list_flags, a);
		}
		if (takes) {
			if (!drop)
				argv_push(&o->go, argv[i + 1]);
			if (for_list)
				argv_push(&o->list_flags, argv[i + 1]);
			i++;
		}
	}
	return 0;
}

/* ---- a run -------------------------------------------------------------- */

static void emit_text(enum test_stream s, const char *text, size_t len, void *data)
{
	const struct test_opts *o = data;
	FILE *f = s == TEST_ERR || o->json ? stderr : stdout;
	fwrite(text, 1, len, f);
	fflush(f);
}

int test_job_start(struct test_job *j, const char *go, const struct test_opts *o,
                   const struct argv_array *pkgs, int verbose_output)
{
	struct argv_array av = ARGV_ARRAY_INIT;
	memset(j, 0, sizeof(*j));
	j->pidfd = j->out = -1;
	testrun_init(&j->run);
	j->run.emit = emit_text;
	j->run.data = (void *)o;
	j->run.verbose = verbose_output;
	for (size_t i = 0; i < o->go.argc; i++) /* go test -v: every test's output, as it comes */
		if (!strcmp(o->go.argv[i], "-v") || !strcmp(o->go.argv[i], "-v=true") ||
		    !strcmp(o->go.argv[i], "--v"))
			j->run.verbose = 1;
	argv_push(&av, go);
	argv_push(&av, "test");
	argv_push(&av, "-json");
	for (size_t i = 0; i < o->go.argc; i++)
		argv_push(&av, o->go.argv[i]);
	if (!pkgs)
		pkgs = &o->pkgs;
	for (size_t i = 0; i < pkgs->argc; i++)
		argv_push(&av, pkgs->argv[i]);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		die_errno("pipe");
	struct proc_opts po = PROC_OPTS_INIT;
	po.new_pgroup = 1;
	po.stdout_fd = p[1];
	char *cause = NULL;
	j->t0 = now_mono_ns();
	/* --watch handles the signals itself; a single run forwards them to go */
	j->pid =
	    o->watch ? dev_spawn_group(av.argv, p[1], 2, &cause) : proc_spawn(av.argv, &po, &cause);
	close(p[1]);
	argv_clear(&av);
	if (j->pid < 0) {
		close(p[0]);
		error("golive test: %s", cause);
		free(cause);
		j->pid = 0;
		return -1;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	j->out = p[0];
	j->pidfd = proc_pidfd_open(j->pid);
	return 0;
}

void test_job_read(struct test_job *j)
{
	char buf[65536];
	while (j->out >= 0) {
		ssize_t n = read(j->out, buf, sizeof(buf));
		if (n > 0) {
			testrun_feed(&j->run, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			close(j->out);
			j->out = -1;
		}
		return;
	}
}

int test_job_finish(struct test_job *j)
{
	while (j->out >= 0) {
		struct pollfd pfd = {j->out, POLLIN, 0};
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		test_job_read(j);
	}
	int st = 0;
	if (j->pid > 0 && proc_wait(j->pid, &st, NULL) < 0)
		st = 1 << 8;
	if (j->pid > 0)
		kill(-j->pid, SIGKILL); /* whatever test binaries it left */
	j->pid = 0;
	testrun_finish(&j->run);
	return st;
}

void test_job_cancel(struct test_job *j)
{
	if (j->pid > 0) {
		int st;
		kill(-j->pid, SIGKILL);
		proc_wait(j->pid, &st, NULL);
	}
	j->pid = 0;
}

void test_job_release(struct test_job *j)
{
	test_job_cancel(j);
	if (j->out >= 0)
		close(j->out);
	if (j->pidfd >= 0)
		close(j->pidfd);
	j->out = j->pidfd = -1;
	testrun_release(&j->run);
}

/* ---- the summary -------------------------------------------------------- */

struct dirmap {
	golist_packages pkgs;
};

static const char *dirmap_get(const char *pkg, void *data)
{
	struct dirmap *m = data;
	for (size_t i = 0; i < m->pkgs.n; i++)
		if (m->pkgs.v[i].import_path && strcmp(m->pkgs.v[i].import_path, pkg) == 0)
			return m->pkgs.v[i].dir;
	return NULL;
}

/* dir/file, relative to cwd when below it. */
static char *failure_path(const char *dir, const char *file, const char *cwd)
{
	char *abs = dir ? xasprintf("%s/%s", dir, file) : xstrdup(file);
	size_t n = strlen(cwd);
	if (dir && n && strncmp(abs, cwd, n) == 0 && abs[n] == '/') {
		char *rel = xstrdup(abs + n + 1);
		free(abs);
		return rel;
	}
	return abs;
}

static void fmt_secs(char *buf, size_t n, double s)
{
	if (s < 1)
		snprintf(buf, n, "%.0f ms", s * 1000);
	else
		snprintf(buf, n, "%.2f s", s);
}

void test_report(const struct test_opts *o, struct test_job *j, int status, const char *go,
                 const char *cwd, json_t *extra, const char *(*dir_of)(const char *pkg, void *data),
                 void *data)
{
	struct testrun *r = &j->run;
	double wall = (double)(now_mono_ns() - j->t0) / 1e9;
	struct dirmap dm = {ARRAY_INIT};
	if (!dir_of && r->failures.n) {
		struct argv_array pats = ARGV_ARRAY_INIT;
		for (size_t i = 0; i < r->failures.n; i++) {
			int seen = 0;
			for (size_t k = 0; k < pats.argc && !seen; k++)
				seen = strcmp(pats.argv[k], r->failures.v[i].pkg) == 0;
			if (!seen)
				argv_push(&pats, r->failures.v[i].pkg);
		}
		char *cause = NULL;
		if (golist_run(go, &o->list_flags, &pats, 0, &dm.pkgs, &cause) < 0)
			free(cause); /* the paths stay as the tests printed them */
		argv_clear(&pats);
		dir_of = dirmap_get;
		data = &dm;
	}
	testrun_sort_timings(r);
	long npkgs = 0, ok = 0, failed = 0, notests = 0;
	for (size_t i = 0; i < r->pkgs.n; i++) {
		npkgs++;
		ok += r->pkgs.v[i].result == TEST_PKG_OK;
		failed += r->pkgs.v[i].result == TEST_PKG_FAIL;
		notests += r->pkgs.v[i].result == TEST_PKG_NOTESTS;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	size_t top = o->top < 0 ? 5 : (size_t)o->top;
	if (top > r->timings.n)
		top = r->timings.n;
	if (o->json) {
		json_t *jo = json_object();
		json_object_set_new(jo, "type", json_string("test"));
		json_object_set_new(jo, "exit", json_integer(code));
		json_object_set_new(jo, "wall_ms", json_integer((json_int_t)(wall * 1000)));
		json_object_set_new(jo, "packages", json_integer(npkgs));
		json_object_set_new(jo, "packages_ok", json_integer(ok));
		json_object_set_new(jo, "packages_failed", json_integer(failed));
		json_object_set_new(jo, "packages_no_tests", json_integer(notests));
		json_object_set_new(jo, "passed", json_integer(r->passed));
		json_object_set_new(jo, "failed", json_integer(r->failed));
		json_object_set_new(jo, "skipped", json_integer(r->skipped));
		json_t *pk = json_array();
		for (size_t i = 0; i < r->pkgs.n; i++) {
			static const char *const res[] = {"unfinished", "ok", "fail", "no tests"};
			json_t *p = json_object();
			json_object_set_new(p, "package", json_string_lossy(r->pkgs.v[i].path));
			json_object_set_new(p, "result", json_string(res[r->pkgs.v[i].result]));
			json_object_set_new(p, "build_failed",
			                    json_boolean(r->pkgs.v[i].build_failed));
			json_object_set_new(
			    p, "elapsed_ms",
			    json_integer((json_int_t)(r->pkgs.v[i].elapsed * 1000)));
			json_array_append_new(pk, p);
		}
		json_object_set_new(jo, "package_results", pk);
		json_t *sl = json_array();
		for (size_t i = 0; i < top; i++) {
			json_t *t = json_object();
			json_object_set_new(t, "package", json_string_lossy(r->timings.v[i].pkg));
			json_object_set_new(t, "test", json_string_lossy(r->timings.v[i].test));
			json_object_set_new(
			    t, "elapsed_ms",
			    json_integer((json_int_t)(r->timings.v[i].elapsed * 1000)));
			json_array_append_new(sl, t);
		}
		json_object_set_new(jo, "slowest", sl);
		json_t *fl = json_array();
		for (size_t i = 0; i < r->failures.n; i++) {
			const struct test_failure *f = &r->failures.v[i];
			json_t *t = json_object();
			json_object_set_new(t, "package", json_string_lossy(f->pkg));
			json_object_set_new(t, "test", json_string_lossy(f->test));
			char *path = f->file ? failure_path(dir_of ? dir_of(f->pkg, data) : NULL,
			                                    f->file, cwd)
			                     : NULL;
			json_object_set_new(t, "file",
			                    path ? json_string_lossy(path) : json_null());
			free(path);
			json_object_set_new(t, "line", json_integer(f->line));
			json_object_set_new(t, "message", json_string_lossy(f->message));
			json_array_append_new(fl, t);
		}
		json_object_set_new(jo, "failures", fl);
		if (extra)
			json_object_update(jo, extra);
		char *txt = json_dumps(jo, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (txt)
			printf("%s\n", txt);
		free(txt);
		fflush(stdout);
		json_decref(jo);
	} else {
		char w[32];
		fmt_secs(w, sizeof(w), wall);
		fprintf(stderr,
		        "golive test: %s in %s: %ld package%s (%ld ok, %ld failed, %ld without "
		        "tests); tests: %ld passed, %ld failed, %ld skipped\n",
		        code == 0 ? "ok" : "FAIL", w, npkgs, npkgs == 1 ? "" : "s", ok, failed,
		        notests, r->passed, r->failed, r->skipped);
		if (top && r->timings.v[0].elapsed > 0) {
			fprintf(stderr, "slowest tests:\n");
			for (size_t i = 0; i < top && r->timings.v[i].elapsed > 0; i++) {
				fmt_secs(w, sizeof(w), r->timings.v[i].elapsed);
				fprintf(stderr, "  %9s  %s %s\n", w, r->timings.v[i].pkg,
				        r->timings.v[i].test);
			}
		}
		if (r->failures.n)
			fprintf(stderr, "failures:\n");
		for (size_t i = 0; i < r->failures.n; i++) {
			const struct test_failure *f = &r->failures.v[i];
			if (f->file) {
				char *path = failure_path(dir_of ? dir_of(f->pkg, data) : NULL,
				                          f->file, cwd);
				fprintf(stderr, "%s:%d: %s: %s\n", path, f->line, f->test,
				        f->message);
				free(path);
			} else {
				const char *dir = dir_of ? dir_of(f->pkg, data) : NULL;
				char *path = dir ? failure_path(dir, "", cwd) : NULL;
				if (path && *path && path[strlen(path) - 1] == '/')
					path[strlen(path) - 1] = '\0';
				fprintf(stderr, "%s: %s: %s\n", path && *path ? path : f->pkg,
				        f->test, f->message);
				free(path);
			}
		}
		fflush(stderr);
	}
	json_decref(extra);
	golist_packages_release(&dm.pkgs);
}

int cmd_test(int argc, char **argv)
{
	struct test_opts o;
	struct golive_config cfg;
	char cwd[PATH_MAX], *cause = NULL, *go = NULL;
	int ret = EXIT_USAGE, st = -1;
	memset(&o, 0, sizeof(o));
	o.top = -1;
	o.debounce_ms = -1;
	config_init(&cfg);
	if (parse_opts(&o, argc, argv) < 0)
		goto out;
	if (!getcwd(cwd, sizeof(cwd)))
		die_errno("getcwd");
	if (!o.config && getenv("GOLIVE_CONFIG") && *getenv("GOLIVE_CONFIG"))
		o.config = getenv("GOLIVE_CONFIG");
	if (config_load(&cfg, o.config, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		goto out;
	}
	go = gotool_find();
	if (!go) {
		error(GOTOOL_MISSING);
		ret = EXIT_NO_GO;
		goto out;
	}
	if (cmd_require_go(go, NULL, 1, NULL) != 0) {
		ret = EXIT_GO_VERSION;
		goto out;
	}
	if (o.watch) {
		ret = test_watch(&o, &cfg, go, cwd);
		goto out;
	}
	struct test_job j;
	if (test_job_start(&j, go, &o, NULL, 0) < 0) {
		ret = 1;
		testrun_release(&j.run);
		goto out;
	}
	st = test_job_finish(&j);
	test_report(&o, &j, st, go, cwd, NULL, NULL, NULL);
	test_job_release(&j);
out:
	free(cause);
	free(go);
	argv_clear(&o.go);
	argv_clear(&o.list_flags);
	argv_clear(&o.pkgs);
	config_release(&cfg);
	if (st >= 0) {
		fflush(stdout);
		proc_exit_like(st); /* go test's status */
	}
	return ret;
}
