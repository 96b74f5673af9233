/*
 * cmd_build.c - `golive build`: go build through the golive wrapper, then a
 * summary of what every tool invocation cost.
 *
 * Flow: read golive.yaml, create a session directory (with analysis.json:
 * what the wrappers analyse; with fail_on never, the session's analyser,
 * which analyses after the compiles: analyser.h), start `go list -deps -json` (the package
 * graph: the cache-hit count, and the files of packages go serves from its
 * cache) and `go build -toolexec=<this golive>` in process groups of their
 * own, relay go's output (drawing a progress line under it on a TTY), then
 * print the findings grouped by package (the wrappers' from diags.jsonl,
 * the cached packages' replayed from golive's analysis cache) and the
 * summary. go's exit status is golive's, or 1 when go succeeded but
 * replayed findings reach analyzers.fail_on.
 */
#define _GNU_SOURCE
#include "analysis/anacache.h"
#include "wrapper/analyser.h"
#include "trace/buildtrace.h"
#include "plugin/buildplugins.h"
#include "cache/cache_config.h"
#include "analysis/analyze.h"
#include "core/buildargs.h"
#include "cmd/commands.h"
#include "core/config.h"
#include "analysis/diag.h"
#include "core/golist.h"
#include "core/jsonl.h"
#include "core/log.h"
#include "core/gotool.h"
#include "dev/keeper.h"
#include "core/goversion.h"
#include "core/proc.h"
#include "core/profile.h"
#include "cache/rcache.h"
#include "cache/rcache_summary.h"
#include "core/progress.h"
#include "wrapper/devplan.h"
#include "wrapper/session.h"
#include "core/summary.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define GRACE_NS (5LL * 1000000000LL)
/* How long an analyser we cannot raise from idle priority may go without progress. */
#define ANALYSER_GRACE_MS 500

static const char build_usage[] =
    "usage: golive build [golive options] [go build flags] [packages]\n"
    "\n"
    "Runs go build with golive as its -toolexec wrapper, passes go's output\n"
    "through, then prints golive's analysis findings grouped by package and a\n"
    "summary: wall time, tool runs, the slowest compiles, link time, how many\n"
    "packages came from go's cache, and the number of findings.\n"
    "Flags and packages default to build.flags / build.packages in golive.yaml.\n"
    "\n"
    "golive options:\n"
    "  --json             print the summary as JSON on stdout\n"
    "  --quiet            no progress line and no text summary\n"
    "  --keep             keep the session directory (events.jsonl) and print its path\n"
    "  --top N            list the N slowest compiles (default 10, build.top)\n"
    "  --config FILE      read FILE instead of searching for golive.yaml\n"
    "  --session-dir DIR  create the session directory under DIR (default $TMPDIR)\n"
    "  --chrome-trace FILE  write the build as a Chrome/Perfetto trace (one span per tool)\n"
    "  --trace-out FILE   append the build's spans to FILE as OTLP/JSON (one line a build)\n"
    "  --report FILE      write an HTML report: timeline, critical path, slowest packages\n"
    "  --log-format F     text (default) or json: golive's messages as JSON lines\n"
    "  --profile P        dev, ci or prod (default: $GOLIVE_PROFILE, else detected;\n"
    "                     prod is plain go build: no analysis, no per-tool figures)\n"
    "\n"
    "Tracing: TRACEPARENT/TRACESTATE join a trace; OTEL_EXPORTER_OTLP_ENDPOINT (or\n"
    "..._TRACES_ENDPOINT) sends the spans over OTLP/HTTP; OTEL_SDK_DISABLED=true and\n"
    "OTEL_TRACES_EXPORTER=none turn that off (see docs/tracing.md).\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: go build's, or 1 when go succeeded but findings reach\n"
    "analyzers.fail_on; 2 for a usage or configuration error; 127 when go is not found.\n";

struct build_opts {
	int json, quiet, keep, top;
	const char *config, *session_parent, *chrome_trace, *trace_out, *report, *log_format;
	const char *profile; /* --profile, or NULL */
};

/* Separates golive's own options from the go build words. */
static int parse_opts(struct build_opts *o, int argc, char **argv, struct argv_array *go_words)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (is_help_flag(a)) {
			fputs(build_usage, stdout);
			exit(0);
		}
		if (strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (strcmp(a, "--quiet") == 0) {
			o->quiet = 1;
		} else if (strcmp(a, "--keep") == 0) {
			o->keep = 1;
		} else if (starts_with(a, "--top") || starts_with(a, "--config") ||
		           starts_with(a, "--session-dir") || starts_with(a, "--chrome-trace") ||
		           starts_with(a, "--trace-out") || starts_with(a, "--report") ||
		           starts_with(a, "--log-format") || starts_with(a, "--profile")) {
			size_t n = strcspn(a, "=");
			if (a[n] == '=')
				val = a + n + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return error("golive build: %.*s needs a value", (int)n, a);
			if (strncmp(a, "--top", n) == 0 && n == 5) {
				char *end;
				long v = strtol(val, &end, 10);
				if (!*val || *end || v < 0 || v > 1000)
					return error("golive build: --top: want a number 0..1000, "
					             "got \"%s\"",
					             val);
				o->top = (int)v;
			} else if (strncmp(a, "--config", n) == 0 && n == 8) {
				o->config = val;
			} else if (strncmp(a, "--session-dir", n) == 0 && n == 13) {
				o->session_parent = val;
			} else if (strncmp(a, "--chrome-trace", n) == 0 && n == 14) {
				o->chrome_trace = val;
			} else if (strncmp(a, "--trace-out", n) == 0 && n == 11) {
				o->trace_out = val;
			} else if (strncmp(a, "--report", n) == 0 && n == 8) {
				o->report = val;
			} else if (strncmp(a, "--log-format", n) == 0 && n == 12) {
				enum log_format f;
				if (log_format_parse(val, &f) < 0)
					return error(
					    "golive build: --log-format: want text or json, "
					    "got \"%s\"",
					    val);
				o->log_format = val;
				log_set_format(f);
			} else if (strncmp(a, "--profile", n) == 0 && n == 9) {
				o->profile = val;
			} else {
				argv_push(go_words, a);
				if (a[n] != '=')
					argv_push(go_words, val);
			}
		} else if (starts_with(a, "--") && strcmp(a, "--") != 0) {
			return error("golive build: unknown option %s (see golive build --help)",
			             a);
		} else {
			argv_push(go_words, a);
		}
	}
	return 0;
}

/* The -toolexec value: this golive's absolute path, quoted for go when needed. */
static char *toolexec_value(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		die_errno("cannot find golive's own path (/proc/self/exe)");
	self[n] = '\0';
	if (!strpbrk(self, " \t\n'\"\\"))
		return xstrdup(self);
	if (!strchr(self, '\''))
		return xasprintf("'%s'", self);
	if (!strpbrk(self, "\"\\"))
		return xasprintf("\"%s\"", self);
	die("golive's path cannot be quoted for -toolexec: %s", self);
}

/*
 * Reads the package graph go list wrote (a stream of JSON objects) into
 * graph, and its import paths into out. A graph that does not decode is
 * left empty.
 */
static void read_graph(const char *path, golist_packages *graph, struct argv_array *out)
{
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	if (strbuf_read_file(&sb, path, 256u << 20) == 0 &&
	    golist_decode(sb.buf, sb.len, graph, &cause) == 0) {
		for (size_t i = 0; i < graph->n; i++)
			if (graph->v[i].import_path)
				argv_push(out, graph->v[i].import_path);
	} else {
		golist_packages_release(graph);
	}
	free(cause);
	strbuf_release(&sb);
}

/* Returns the last non-empty line of the session's "started" file (the compile in progress). */
static void last_started(const struct session *s, char *buf, size_t size)
{
	char *path = session_path(s, "started");
	struct strbuf sb = STRBUF_INIT;
	buf[0] = '\0';
	if (strbuf_read_file(&sb, path, 1u << 20) == 0) {
		while (sb.len && sb.buf[sb.len - 1] == '\n')
			sb.buf[--sb.len] = '\0';
		char *nl = strrchr(sb.buf, '\n');
		snprintf(buf, size, "%s", nl ? nl + 1 : sb.buf);
	}
	strbuf_release(&sb);
	free(path);
}

struct run {
	pid_t go_pid, list_pid;
	int go_status, list_status;
	int go_done, list_done;
	int pidfd;
	int out_fd, err_fd;       /* read ends of go's stdout/stderr when relaying, else -1 */
	struct log_relay logs[2]; /* go's stdout and stderr as JSON log lines (--log-format json) */
	int64_t kill_at;          /* when to SIGKILL go's group after an interrupt, 0 if not */
};

static void relay(struct run *r, struct progress *pr, int *fdp, int to)
{
	char buf[16384];
	ssize_t n = read(*fdp, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(*fdp);
		*fdp = -1;
		return;
	}
	if (log_get_format() == LOG_FORMAT_JSON)
		log_relay_write(&r->logs[to == 1 ? 0 : 1], buf, (size_t)n);
	else
		progress_write(pr, to, buf, (size_t)n);
}

/* Runs the event loop until go build has exited and its output is drained. */
static void wait_for_go(struct run *r, struct progress *pr, const struct session *s,
                        const char *deps_path, golist_packages *graph, struct argv_array *deps)
{
	long long ev_off = 0;
	long done = 0;
	event_array evs = ARRAY_INIT;

	while (!r->go_done || r->out_fd >= 0 || r->err_fd >= 0) {
		struct pollfd pfd[3] = {{r->out_fd, POLLIN, 0},
		                        {r->err_fd, POLLIN, 0},
		                        {r->go_done ? -1 : r->pidfd, POLLIN, 0}};
		int timeout = -1;
		if (pr->enabled)
			timeout = 100;
		if (!r->go_done && r->pidfd < 0)
			timeout = 50; /* no pidfd: poll for the exit */
		if (r->kill_at)
			timeout = timeout < 0 ? 200 : timeout;
		int n = poll(pfd, 3, timeout);
		if (n < 0 && errno != EINTR)
			die_errno("poll");
		if (n > 0) {
			if (pfd[0].revents)
				relay(r, pr, &r->out_fd, 1);
			if (pfd[1].revents)
				relay(r, pr, &r->err_fd, 2);
		}
		if (!r->go_done && waitpid(r->go_pid, &r->go_status, WNOHANG) == r->go_pid)
			r->go_done = 1;
		if (r->list_pid > 0 && !r->list_done &&
		    waitpid(r->list_pid, &r->list_status, WNOHANG) == r->list_pid) {
			r->list_done = 1;
			if (WIFEXITED(r->list_status) && WEXITSTATUS(r->list_status) == 0)
				read_graph(deps_path, graph, deps);
		}
		int sig = proc_forwarded_signal();
		if (sig && !r->kill_at) {
			r->kill_at = now_mono_ns() + GRACE_NS;
			if (r->list_pid > 0 && !r->list_done)
				kill(-r->list_pid, SIGKILL);
		}
		if (r->kill_at && !r->go_done && now_mono_ns() >= r->kill_at) {
			kill(-r->go_pid, SIGKILL);
			r->kill_at = now_mono_ns() + GRACE_NS;
		}
		if (pr->enabled && s->dir) {
			char cur[256];
			if (session_read_events(s, &ev_off, &evs, NULL) > 0) {
				for (size_t i = 0; i < evs.n; i++)
					if (!evs.v[i].probe &&
					    strcmp(evs.v[i].tool, "compile") == 0)
						done++;
				event_array_release(&evs);
			}
			last_started(s, cur, sizeof(cur));
			/* The total is the summary's graph: unsafe and C are never compiled. */
			long total = 0;
			for (size_t i = 0; i < deps->argc; i++)
				total += strcmp(deps->argv[i], "unsafe") != 0 &&
				         strcmp(deps->argv[i], "C") != 0;
			progress_update(pr, done, deps->argc ? total : -1, cur);
		}
	}
	event_array_release(&evs);
}

/* ---- analysis findings ------------------------------------------------------ */

/* The findings of one package, as golive build prints them. */
struct pkg_findings {
	char *importpath;
	diag_array diags;
	int replayed; /* from golive's analysis cache: go served the package from its cache */
	int printed;  /* the wrapper printed them already (it failed the compile: fail_on) */
};

struct findings {
	ARRAY(struct pkg_findings) pkgs; /* sorted by import path */
	long total;                      /* diagnostics in all packages */
	long analysed;                   /* packages the wrappers analysed in this build */
	long replayed;                   /* packages replayed (cache hits or analysed now) */
	diag_array all;                  /* every diagnostic, for fail_on (borrowed copies) */
	struct argv_array lines;         /* diags.jsonl's importpaths, for join_findings */
	ARRAY(long) counts;              /* and their numbers of findings */
};

static struct pkg_findings *findings_get(struct findings *f, const char *importpath)
{
	for (size_t i = 0; i < f->pkgs.n; i++)
		if (strcmp(f->pkgs.v[i].importpath, importpath) == 0)
			return &f->pkgs.v[i];
	struct pkg_findings p = {xstrdup(importpath), ARRAY_INIT, 0, 0};
	ARRAY_PUSH(f->pkgs, p);
	return &f->pkgs.v[f->pkgs.n - 1];
}

static void findings_take(struct pkg_findings *p, diag_array *d)
{
	for (size_t i = 0; i < d->n; i++)
		ARRAY_PUSH(p->diags, d->v[i]);
	ARRAY_FREE(*d);
}

static int under_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* True when golive build analyses package p: the main module's, or every one with include_deps. */
static int wants_analysis(const struct golist_package *p, const struct golive_config *cfg)
{
	if (!p->dir || p->error || (!p->go_files.argc && !p->cgo_files.argc))
		return 0;
	if (cfg->analysis.include_deps)
		return 1;
	if (p->module)
		return p->module->main;
	/* GOPATH mode: the wrapper's rule, below the root and not vendored. */
	char *vendor = xasprintf("%s/vendor", cfg->root);
	int yes = !p->standard && under_dir(p->dir, cfg->root) && !under_dir(p->dir, vendor);
	free(vendor);
	return yes;
}

static int cmp_findings(const void *a, const void *b)
{
	return strcmp(((const struct pkg_findings *)a)->importpath,
	              ((const struct pkg_findings *)b)->importpath);
}

/*
 * Collects the findings of this build: what the wrappers recorded in the
 * session's diags.jsonl, and for the graph's packages they did not see (go
 * served them from its cache) the analysis cache's entries, analysing what
 * is not cached (as the Go version go compiles them for: go is the go
 * command). Returns -1 with *cause when analysis is impossible (a bad
 * rule); what was collected stays in f.
 */
static int collect_findings(struct findings *f, const struct session *s,
                            const golist_packages *graph, const struct golive_config *cfg,
                            const struct anacache *ac, struct analysis_ctx **ctx, const char *go,
                            char **cause)
{
	pkg_diags_array lines = ARRAY_INIT;
	int rc = 0;
	if (s->dir)
		session_read_diags(s, &lines, NULL);
	for (size_t i = 0; i < lines.n; i++) {
		struct pkg_diags *l = &lines.v[i];
		const char *ip = l->importpath ? l->importpath : l->pkg ? l->pkg : "?";
		argv_push(&f->lines, ip);
		ARRAY_PUSH(f->counts, (long)l->diags.n);
		char *name = xstrndup(ip, strcspn(ip, " "));
		struct pkg_findings *p = findings_get(f, name);
		free(name);
		p->printed |= l->printed;
		findings_take(p, &l->diags);
		f->analysed++;
	}
	pkg_diags_array_release(&lines);

	uint64_t hash = analysis_settings_hash(&cfg->analysis);
	char *toolchain = graph ? gotool_goroot_version(go) : NULL;
	for (size_t i = 0; graph && i < graph->n && rc == 0; i++) {
		const struct golist_package *gp = &graph->v[i];
		if (!gp->import_path || !wants_analysis(gp, cfg))
			continue;
		int seen = 0;
		for (size_t k = 0; k < f->pkgs.n && !seen; k++)
			seen = strcmp(f->pkgs.v[k].importpath, gp->import_path) == 0;
		if (seen)
			continue;
		struct argv_array files = ARGV_ARRAY_INIT;
		struct pkgsrc ps = PKGSRC_INIT;
		diag_array d = ARRAY_INIT;
		char key[ANACACHE_KEY_HEX + 1];
		for (size_t k = 0; k < gp->go_files.argc; k++)
			argv_pushf(&files, "%s/%s", gp->dir, gp->go_files.argv[k]);
		for (size_t k = 0; k < gp->cgo_files.argc; k++)
			argv_pushf(&files, "%s/%s", gp->dir, gp->cgo_files.argv[k]);
		pkgsrc_load(&ps, files.argv, files.argc);
		/* the Go version the wrapper analysed it for (its compile's -lang) */
		(void)pkgsrc_set_goversion(&ps, golist_go_version(gp, toolchain));
		anacache_key(ac, &ps, hash, key);
		rc = anacache_analyse(ac, &cfg->analysis, ctx, &ps, key, &d, NULL, cause);
		struct pkg_findings *p = findings_get(f, gp->import_path);
		p->replayed = 1;
		findings_take(p, &d);
		f->replayed++;
		pkgsrc_release(&ps);
		argv_clear(&files);
	}
	free(toolchain);

	for (size_t i = 0; i < f->pkgs.n; i++) {
		diag_sort_unique(&f->pkgs.v[i].diags);
		f->total += (long)f->pkgs.v[i].diags.n;
		for (size_t k = 0; k < f->pkgs.v[i].diags.n; k++)
			ARRAY_PUSH(f->all, f->pkgs.v[i].diags.v[k]);
	}
	if (f->pkgs.n > 1)
		qsort(f->pkgs.v, f->pkgs.n, sizeof(*f->pkgs.v), cmp_findings);
	return rc;
}

/*
 * The session's analyser (analyser.h) analyses after the compile, so the
 * wrapper's event has no count of findings: it gets that of its package's
 * line in diags.jsonl, for the summary and the trace.
 */
static void join_findings(event_array *evs, const struct findings *f)
{
	for (size_t i = 0; i < evs->n; i++) {
		struct event *ev = &evs->v[i];
		if (ev->probe || ev->analysed || !ev->importpath ||
		    strcmp(ev->tool, "compile") != 0)
			continue;
		for (size_t k = 0; k < f->lines.argc; k++)
			if (strcmp(f->lines.argv[k], ev->importpath) == 0) {
				ev->analysed = 1;
				ev->diags = f->counts.v[k];
				break;
			}
	}
}

static void findings_release(struct findings *f)
{
	argv_clear(&f->lines);
	ARRAY_FREE(f->counts);
	for (size_t i = 0; i < f->pkgs.n; i++) {
		free(f->pkgs.v[i].importpath);
		diag_array_release(&f->pkgs.v[i].diags);
	}
	ARRAY_FREE(f->pkgs);
	ARRAY_FREE(f->all); /* its items belong to the packages */
}

/* Prints the findings the wrappers did not print, "# importpath" then the diagnostics, like go. */
static void print_findings(const struct findings *f, const char *cwd)
{
	for (size_t i = 0; i < f->pkgs.n; i++) {
		const struct pkg_findings *p = &f->pkgs.v[i];
		if (!p->diags.n || p->printed)
			continue;
		if (log_get_format() == LOG_FORMAT_JSON) {
			for (size_t k = 0; k < p->diags.n; k++) {
				const struct diag *d = &p->diags.v[k];
				json_t *fl = json_object();
				json_object_set_new(fl, "importpath", json_string(p->importpath));
				json_object_set_new(fl, "file",
				                    json_string_lossy(diag_display_path(d, cwd)));
				json_object_set_new(fl, "line", json_integer(d->line));
				json_object_set_new(fl, "column", json_integer(d->col));
				json_object_set_new(fl, "analyzer", json_string_lossy(d->analyzer));
				log_json(d->severity == SEV_ERROR     ? "error"
				         : d->severity == SEV_WARNING ? "warn"
				                                      : "info",
				         d->message, fl);
			}
			continue;
		}
		fprintf(stderr, "# %s\n", p->importpath);
		for (size_t k = 0; k < p->diags.n; k++)
			diag_print_text(&p->diags.v[k], stderr, cwd);
	}
	fflush(stderr);
}

static json_t *findings_to_json(const struct findings *f, const char *cwd)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < f->pkgs.n; i++) {
		const struct pkg_findings *p = &f->pkgs.v[i];
		for (size_t k = 0; k < p->diags.n; k++) {
			json_t *o = json_object();
			json_object_set_new(o, "importpath", json_string(p->importpath));
			json_t *d = diag_to_json(&p->diags.v[k]);
			json_object_update(o, d);
			json_decref(d);
			json_object_set_new(o, "file",
			                    json_string(diag_display_path(&p->diags.v[k], cwd)));
			json_object_set_new(o, "replayed", json_boolean(p->replayed));
			json_array_append_new(arr, o);
		}
	}
	return arr;
}

/*
 * Prints the summary: JSON on stdout with --json (also without a session,
 * then with no per-tool figures), else text on stderr unless --quiet or
 * there is no session to summarise (in the prod profile: one line saying so).
 */
/* Below this much free space under the session, a summary says it may be incomplete. */
#define SESSION_MIN_FREE (256ull << 10)

static void report(const struct build_opts *o, const struct session *s, int64_t wall, int status,
                   const event_array *evs, long bad_events, const struct argv_array *deps,
                   const struct findings *f, const char *cwd, int color, enum golive_profile prof,
                   const char *prof_why, const struct rcache_summary *rs)
{
	struct build_summary sum;
	struct statvfs vfs;
	char *full = NULL;
	memset(&sum, 0, sizeof(sum));
	sum.bad_events = bad_events;
	/*
	 * A full disk under the session loses events (and go list's graph) in
	 * silence: the wrappers cannot say so where there is no room. Say it here.
	 */
	if (s->dir && statvfs(s->dir, &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize < SESSION_MIN_FREE) {
		full = xasprintf("the session's filesystem is full (%llu KiB free under %s): tool "
		                 "runs were not all recorded",
		                 (unsigned long long)vfs.f_bavail * vfs.f_frsize / 1024, s->dir);
	}
	sum.wall_ns = wall;
	sum.exit_status = status;
	summary_compute(&sum, evs, deps, (size_t)o->top);
	sum.incomplete = full; /* (summary_compute starts the struct afresh) */
	if (o->json) {
		json_t *j = summary_to_json(&sum);
		json_object_set_new(j, "diagnostics", findings_to_json(f, cwd));
		json_object_set_new(j, "session",
		                    o->keep && s->dir ? json_string(s->dir) : json_null());
		json_object_set_new(j, "profile", json_string(profile_name(prof)));
		json_object_set_new(j, "profile_reason", json_string_lossy(prof_why));
		json_object_set_new(j, "remote_cache", rcache_summary_to_json(rs));
		char *txt = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (txt)
			printf("%s\n", txt);
		free(txt);
		json_decref(j);
	} else if (!o->quiet && s->dir && log_get_format() == LOG_FORMAT_JSON) {
		json_t *fl = json_object();
		json_object_set_new(fl, "summary", summary_to_json(&sum));
		json_object_set_new(fl, "diagnostics", json_integer(f->total));
		json_object_set_new(fl, "remote_cache", rcache_summary_to_json(rs));
		char *msg = xasprintf("build %s in %.2fs", status == 0 ? "ok" : "failed",
		                      (double)wall / 1e9);
		log_json(status == 0 ? "info" : "error", msg, fl);
		free(msg);
	} else if (!o->quiet && s->dir) {
		summary_print_text(&sum, stderr, color);
		rcache_summary_print(rs, stderr);
		size_t with = 0;
		for (size_t i = 0; i < f->pkgs.n; i++)
			with += f->pkgs.v[i].diags.n > 0;
		fprintf(
		    stderr,
		    "diagnostics: %ld in %zu package%s (%ld analysed in this build, %ld replayed "
		    "from golive's analysis cache)\n",
		    f->total, with, with == 1 ? "" : "s", f->analysed, f->replayed);
	} else if (!o->quiet && prof == PROFILE_PROD) {
		/* The wrappers exec'd the tools: nothing was measured. */
		char *msg = xasprintf("build %s in %.2fs (prod profile: no per-tool figures)",
		                      status == 0 ? "ok" : "failed", (double)wall / 1e9);
		if (log_get_format() == LOG_FORMAT_JSON)
			log_json(status == 0 ? "info" : "error", msg, NULL);
		else
			fprintf(stderr, "golive: %s\n", msg);
		free(msg);
	}
	summary_release(&sum);
	if (o->keep && s->dir) {
		if (log_get_format() == LOG_FORMAT_JSON) {
			json_t *fl = json_object();
			json_object_set_new(fl, "session", json_string_lossy(s->dir));
			log_json("info", "session kept", fl);
		} else {
			fprintf(stderr, "golive: session kept in %s\n", s->dir);
		}
	}
	free(full);
}

/* Each line of sb as a golive message at level ("warn": a warning; "info"), unless quiet. */
static void print_lines(const struct strbuf *sb, int quiet, const char *level)
{
	for (const char *p = sb->buf; *p && !quiet;) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n);
		if (log_get_format() == LOG_FORMAT_JSON)
			log_json(level, line, NULL);
		else if (strcmp(level, "warn") == 0)
			warning("%s", line);
		else
			fprintf(stderr, "golive: %s\n", line);
		free(line);
		p += n + (p[n] == '\n');
	}
}

/*
 * The plugin failures the wrappers recorded (<session>/plugins.log), each
 * distinct one once, at most 20: a build that went on without a plugin says
 * so. A plugin's own log lines ("NAME: log: ...") stay in the file.
 */
static void print_plugin_failures(const struct session *s)
{
	struct strbuf sb = STRBUF_INIT, shown = STRBUF_INIT;
	char *path = session_path(s, PLUGIN_LOG);
	size_t count = 0;
	if (strbuf_read_file(&sb, path, 1u << 20) == 0) {
		for (char *line = strtok(sb.buf, "\n"); line; line = strtok(NULL, "\n")) {
			const char *colon = strstr(line, ": ");
			if (!colon || starts_with(colon + 2, "log: "))
				continue;
			struct strbuf key = STRBUF_INIT;
			strbuf_addf(&key, "\n%s\n", line);
			int seen = strstr(shown.buf, key.buf) != NULL;
			if (!seen && count++ < 20) {
				strbuf_addstr(&shown, key.buf);
				warning("%s", line);
			}
			strbuf_release(&key);
		}
	}
	if (count > 20)
		warning("%zu more plugin failures in %s", count - 20, path);
	strbuf_release(&sb);
	strbuf_release(&shown);
	free(path);
}

/* A message that already names its source ("golive.yaml:3:1: ..."), as text or a log line. */
static void print_cause(const char *cause)
{
	if (log_get_format() == LOG_FORMAT_JSON)
		log_json("error", cause, NULL);
	else
		fprintf(stderr, "%s\n", cause);
}

int cmd_build(int argc, char **argv)
{
	int keeper_on = 0;
	struct goversion gover = GOVERSION_UNKNOWN;
	struct build_opts o = {.top = -1};
	struct trace_exporter *exporters[4];
	size_t nexporters = 0;
	char *cfg_paths[3] = {NULL, NULL, NULL}; /* trace outputs from golive.yaml */
	struct buildtrace bt;
	event_array evs = ARRAY_INIT;
	long bad_events = 0;
	struct argv_array go_words = ARGV_ARRAY_INIT, go_argv = ARGV_ARRAY_INIT,
	                  list_argv = ARGV_ARRAY_INIT, deps = ARGV_ARRAY_INIT;
	struct build_args ba = BUILD_ARGS_INIT;
	struct golive_config cfg;
	struct session s = {NULL};
	struct progress pr;
	struct run r = {.go_pid = -1, .list_pid = -1, .pidfd = -1, .out_fd = -1, .err_fd = -1};
	struct anacache ac;
	struct analysis_ctx *actx = NULL;
	pid_t analyser = -1; /* the session's analyser (analyser.h), while it runs */
	struct findings found;
	golist_packages graph = ARRAY_INIT;
	char *cause = NULL, *go = NULL, *deps_path = NULL, *toolexec = NULL;
	char cwd[PATH_MAX], prof_why[PATH_MAX + 32] = "";
	enum golive_profile prof = PROFILE_DEV;
	int ret = EXIT_USAGE;

	struct cache_settings cset;
	struct rcache_summary rsum;
	cache_settings_init(&cset);
	memset(&rsum, 0, sizeof(rsum));
	memset(&ac, 0, sizeof(ac));
	memset(&found, 0, sizeof(found));
	memset(&bt, 0, sizeof(bt));
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	config_init(&cfg);
	if (parse_opts(&o, argc, argv, &go_words) < 0)
		goto out;
	if (!o.config)
		o.config = getenv("GOLIVE_CONFIG") && *getenv("GOLIVE_CONFIG")
		               ? getenv("GOLIVE_CONFIG")
		               : NULL;
	if (config_load(&cfg, o.config, &cause) < 0) {
		print_cause(cause);
		goto out;
	}
	/* prod (docs/profiles.md): no session, no analysis; the wrappers exec the tools. */
	if (profile_choose(o.profile, cfg.profiles.prod_marker, &prof, prof_why, sizeof(prof_why),
	                   &cause) < 0) {
		error("golive build: %s", cause);
		goto out;
	}
	if (o.top < 0)
		o.top = cfg.build.top;
	/* trace: from golive.yaml unless the command line said (not under golive dev: its own). */
	{
		enum log_format lf;
		if (!o.log_format && cfg.trace.log_format &&
		    log_format_parse(cfg.trace.log_format, &lf) == 0)
			log_set_format(lf);
		const char *devb_ = getenv("GOLIVE_DEV_BUILD");
		int under_dev = devb_ && strcmp(devb_, "1") == 0;
		const char *want[3] = {cfg.trace.trace_out, cfg.trace.chrome_trace,
		                       cfg.trace.report};
		const char **have[3] = {&o.trace_out, &o.chrome_trace, &o.report};
		for (size_t i = 0; i < 3 && !under_dev; i++)
			if (!*have[i] && want[i]) {
				cfg_paths[i] = want[i][0] == '/'
				                   ? xstrdup(want[i])
				                   : xasprintf("%s/%s", cfg.root, want[i]);
				*have[i] = cfg_paths[i];
			}
	}
	o.keep |= cfg.build.keep;
	/* A rule whose query does not compile is a configuration error, before any build. */
	actx = prof == PROFILE_PROD ? NULL : analysis_ctx_new(&cfg.analysis, &cause);
	if (!actx && prof != PROFILE_PROD) {
		print_cause(cause);
		goto out;
	}
	if (prof != PROFILE_PROD && anacache_open(&ac, NULL, &cause) < 0) {
		warning("%s; findings of packages go serves from its cache are analysed again",
		        cause);
		free(cause);
		cause = NULL;
	}

	/* Flags: golive.yaml first, the command line after it (the later wins in go). */
	if (buildargs_parse(&ba, (int)cfg.build.flags.argc, cfg.build.flags.argv, &cause) < 0) {
		error("%s: build.flags: %s", cfg.path ? cfg.path : "golive.yaml", cause);
		goto out;
	}
	if (ba.packages.argc) {
		error("%s: build.flags: \"%s\" is not a go build flag (packages go in "
		      "build.packages)",
		      cfg.path ? cfg.path : "golive.yaml", ba.packages.argv[0]);
		goto out;
	}
	if (buildargs_parse(&ba, (int)go_words.argc, go_words.argv, &cause) < 0) {
		error("golive build: %s", cause);
		goto out;
	}
	if (ba.has_toolexec) {
		error(
		    "golive build: -toolexec is golive's own; run go build -toolexec=... directly "
		    "to use another wrapper");
		goto out;
	}
	if (!ba.packages.argc)
		for (size_t i = 0; i < cfg.build.packages.argc; i++) {
			/* Relative directories here mean the module root's, from any cwd. */
			const char *p = cfg.build.packages.argv[i];
			if (strcmp(p, ".") == 0 || starts_with(p, "./") || strcmp(p, "..") == 0 ||
			    starts_with(p, "../"))
				argv_pushf(&ba.packages, "%s/%s", cfg.root, p);
			else
				argv_push(&ba.packages, p);
		}
	if (!ba.has_output && cfg.build.output) {
		argv_push(&ba.flags, "-o");
		if (cfg.build.output[0] == '/')
			argv_push(&ba.flags, cfg.build.output);
		else
			argv_pushf(&ba.flags, "%s/%s", cfg.root, cfg.build.output);
	}

	/* Trace outputs the user asked for: a bad one is a usage error, before the build. */
	if (o.chrome_trace) {
		exporters[nexporters] = trace_chrome_new(o.chrome_trace, &cause);
		if (!exporters[nexporters]) {
			error("golive build: --chrome-trace: %s", cause);
			goto out;
		}
		nexporters++;
	}
	if (o.trace_out) {
		exporters[nexporters] = trace_otlp_file_new(o.trace_out, &cause);
		if (!exporters[nexporters]) {
			error("golive build: --trace-out: %s", cause);
			goto out;
		}
		nexporters++;
	}
	if (o.report) {
		exporters[nexporters] = trace_html_new(o.report, &cause);
		if (!exporters[nexporters]) {
			error("golive build: --report: %s", cause);
			goto out;
		}
		nexporters++;
	}
	/* OTLP/HTTP from the OpenTelemetry environment: problems are warnings, never fatal. */
	{
		struct otlp_http_config hc;
		struct strbuf warn = STRBUF_INIT;
		int on = otlp_http_config_from_env(&hc, &warn);
		for (char *line = warn.buf, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (*line)
				warning("%s", line);
			if (!nl)
				break;
		}
		strbuf_release(&warn);
		if (on == 1) {
			exporters[nexporters] = trace_otlp_http_new(&hc, &cause);
			if (exporters[nexporters]) {
				nexporters++;
			} else {
				warning("%s; the build is not exported", cause);
				free(cause);
				cause = NULL;
			}
			otlp_http_config_release(&hc);
		}
	}

	go = gotool_find();
	if (!go) {
		error(GOTOOL_MISSING);
		ret = EXIT_NO_GO;
		goto out;
	}
	if (cmd_require_go(go, NULL, o.quiet, &gover) != 0) {
		ret = EXIT_GO_VERSION;
		goto out;
	}

	/* Sessions of golive builds that were SIGKILLed: nobody else will remove them. */
	if (prof != PROFILE_PROD)
		(void)session_sweep_stale(o.session_parent);
	if (prof != PROFILE_PROD && session_create(&s, o.session_parent, &cause) < 0) {
		warning("%s; building without a session (no per-tool summary)", cause);
		free(cause);
		cause = NULL;
	}
	if (s.dir && session_write_analysis(s.dir, &cfg.analysis, cfg.root, ac.dir, &cause) < 0) {
		warning("%s; the build is not analysed", cause);
		free(cause);
		cause = NULL;
	} else if (s.dir && cfg.root && cfg.analysis.fail_on == FAIL_NEVER) {
		/*
		 * No finding can fail a compile: the analysis runs after each one,
		 * in the session's analyser at idle priority (analyser.h). Without
		 * it, the wrappers analyse while their compiler runs.
		 */
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0) {
			self[n] = '\0';
			analyser = analyser_start(self, &s, &cause);
		}
		if (analyser > 0 &&
		    session_write_defer(s.dir, cfg.analysis.include_deps, cfg.root, &cause) < 0) {
			(void)analyser_finish(&s, analyser, 0); /* no wrapper sends it anything */
			analyser = -1;
		}
		free(cause);
		cause = NULL;
	}
	/* The shared compile cache (docs/cache.md): settings for the wrappers. */
	if (s.dir && prof != PROFILE_PROD) {
		if (cache_settings_resolve(&cfg, &cset, &cause) < 0) {
			warning("%s; building without the shared cache", cause);
			free(cause);
			cause = NULL;
			cache_settings_release(&cset);
		} else if (cset.backend && cache_settings_write(s.dir, &cset, &cause) < 0) {
			warning("%s; building without the shared cache", cause);
			free(cause);
			cause = NULL;
			cache_settings_release(&cset);
		}
	}
	/* Plugins (not in prod): verified, described, listed for the wrappers. */
	if (s.dir && prof != PROFILE_PROD && cfg.plugins.n) {
		struct strbuf warns = STRBUF_INIT, notes = STRBUF_INIT;
		int prc = buildplugins_setup(&cfg, prof, s.dir, NULL, &warns, &notes, &cause);
		print_lines(&warns, 0, "warn");
		print_lines(&notes, o.quiet, "info");
		strbuf_release(&warns);
		strbuf_release(&notes);
		if (prc < 0) {
			error("%s", cause);
			ret = 1;
			goto out;
		}
	}
	int tty = isatty(2) && !o.quiet && !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
	          !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
	progress_init(&pr, tty && s.dir, 2);

	unsetenv("TOOLEXEC_IMPORTPATH");
	setenv("GOLIVE_PROFILE", profile_name(prof), 1); /* for the wrappers */
	if (s.dir) {
		setenv("GOLIVE_SESSION", s.dir, 1);
		if (pr.enabled)
			setenv("GOLIVE_PROGRESS", "1", 1);
		else
			unsetenv("GOLIVE_PROGRESS");
	} else {
		unsetenv("GOLIVE_SESSION");
	}

	/* A trace when something exports it, or logs name it. */
	int traced = nexporters || log_get_format() == LOG_FORMAT_JSON;
	if (traced) {
		char *why = NULL;
		int rc = buildtrace_init(&bt, &why);
		log_set_span(bt.root.trace_id, bt.root.span_id);
		if (rc != 0)
			warning("%s", why);
		free(why);
		buildtrace_setenv(&bt); /* the build span is the parent of what go runs */
	}
	if (!o.quiet && !o.json) {
		char *msg = xasprintf("profile %s (%s)", profile_name(prof), prof_why);
		if (log_get_format() == LOG_FORMAT_JSON) {
			json_t *fl = json_object();
			json_object_set_new(fl, "profile", json_string(profile_name(prof)));
			json_object_set_new(fl, "profile_reason", json_string_lossy(prof_why));
			log_json("info", msg, fl);
		} else {
			fprintf(stderr, "golive: %s\n", msg);
		}
		free(msg);
	}
	int64_t t0 = now_mono_ns();
	/*
	 * go (and go list) get a process group of their own, so that Ctrl-C reaches
	 * golive first and golive can kill the whole tree. Under golive dev
	 * (GOLIVE_DEV_BUILD=1) this golive is itself the leader of a group that
	 * golive dev kills at once to cancel a build: everything stays in it.
	 */
	const char *devb = getenv("GOLIVE_DEV_BUILD");
	int own_pgroup = !(devb && strcmp(devb, "1") == 0);
	unsetenv("GOLIVE_DEV_BUILD");

	/*
	 * The package graph, in parallel with the build. Not under golive dev: there
	 * it would compete with the build for the CPU, and the findings of packages
	 * go serves from its cache were printed in an earlier cycle already.
	 */
	if (s.dir && own_pgroup) {
		deps_path = session_path(&s, "deps.json");
		int dfd = open(deps_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
		struct proc_opts lo = PROC_OPTS_INIT;
		argv_push(&list_argv, go);
		argv_push(&list_argv, "list");
		argv_push(&list_argv, "-deps");
		argv_push(&list_argv, "-e");
		argv_push(&list_argv,
		          "-json=ImportPath,Dir,GoFiles,CgoFiles,Module,Standard,Error");
		buildargs_list_flags(&ba, &list_argv);
		if (ba.packages.argc)
			argv_push(&list_argv, "--");
		for (size_t i = 0; i < ba.packages.argc; i++)
			argv_push(&list_argv, ba.packages.argv[i]);
		lo.new_pgroup = own_pgroup;
		lo.stdin_fd = nfd;
		lo.stdout_fd = dfd;
		lo.stderr_fd = nfd;
		if (dfd >= 0 && nfd >= 0) {
			/* go list must not see the session: it runs no tools, but be sure. */
			r.list_pid = proc_spawn(list_argv.argv, &lo, &cause);
			if (r.list_pid < 0) {
				free(cause);
				cause = NULL;
			}
		}
		if (dfd >= 0)
			close(dfd);
		if (nfd >= 0)
			close(nfd);
	}

	toolexec = toolexec_value();
	argv_push(&go_argv, go);
	argv_push(&go_argv, "build");
	argv_pushf(&go_argv, "-toolexec=%s", toolexec);
	/*
	 * JSON logs on Go >= 1.24: go build -json gives each line of go's output
	 * its package, so the log lines carry "importpath" without golive
	 * parsing go's "# importpath" headers (docs/tracing.md).
	 */
	int go_json = log_get_format() == LOG_FORMAT_JSON && goversion_at_least(&gover, 1, 24) &&
	              !buildargs_has_flag(&ba, "json");
	if (go_json)
		argv_push(&go_argv, "-json");
	for (size_t i = 0; i < ba.flags.argc; i++)
		argv_push(&go_argv, ba.flags.argv[i]);
	buildargs_push_packages(&ba, &go_argv);
	/* Under golive dev: the go command, for the fast path's warm-up (dev/fastwarm.h). */
	if (getenv(DEVPLAN_ENV) && *getenv(DEVPLAN_ENV) && cwd[0])
		devplan_save_build(getenv(DEVPLAN_ENV), go_argv.argv, cwd);

	struct proc_opts gopt = PROC_OPTS_INIT;
	int opipe[2] = {-1, -1}, epipe[2] = {-1, -1};
	gopt.new_pgroup = own_pgroup;
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	gopt.stdin_fd = nullfd; /* a background process group must not read the terminal */
	r.logs[0].logger = r.logs[1].logger = "go";
	r.logs[0].level = "info";
	r.logs[1].level = "error";
	r.logs[0].go_json = go_json;
	strbuf_init(&r.logs[0].pending, 0);
	strbuf_init(&r.logs[1].pending, 0);
	if ((pr.enabled || log_get_format() == LOG_FORMAT_JSON) && pipe2(opipe, O_CLOEXEC) == 0 &&
	    pipe2(epipe, O_CLOEXEC) == 0) {
		gopt.stdout_fd = opipe[1];
		gopt.stderr_fd = epipe[1];
	}
	/*
	 * go's $WORK inside the session (when the session is in TMPDIR, where
	 * go would put it anyway): removed with it, also after a Ctrl-C (go
	 * itself leaves $WORK behind then) or a SIGKILL (the next golive build
	 * sweeps the session).
	 */
	char *old_tmpdir = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
	char *work_parent = s.dir && !o.session_parent ? session_path(&s, "tmp") : NULL;
	int moved_tmpdir =
	    work_parent && mkdir(work_parent, 0700) == 0 && setenv("TMPDIR", work_parent, 1) == 0;
	r.go_pid = proc_spawn(go_argv.argv, &gopt, &cause);
	if (moved_tmpdir) {
		if (old_tmpdir)
			setenv("TMPDIR", old_tmpdir, 1);
		else
			unsetenv("TMPDIR");
	}
	free(old_tmpdir);
	free(work_parent);
	if (nullfd >= 0)
		close(nullfd);
	if (opipe[1] >= 0)
		close(opipe[1]);
	if (epipe[1] >= 0)
		close(epipe[1]);
	r.out_fd = gopt.stdout_fd >= 0 ? opipe[0] : -1;
	r.err_fd = gopt.stderr_fd >= 0 ? epipe[0] : -1;
	if (r.go_pid < 0) {
		error("%s", cause);
		ret = EXIT_NO_GO;
		goto out;
	}
	/*
	 * If golive is SIGKILLed, go and its compiles must not go on (and write
	 * -o after we are gone): the keeper kills their process groups.
	 */
	if (own_pgroup && keeper_start() == 0) {
		keeper_on = 1;
		keeper_add(r.go_pid);
		if (r.list_pid > 0)
			keeper_add(r.list_pid);
	}
	r.pidfd = proc_pidfd_open(r.go_pid);
	wait_for_go(&r, &pr, &s, deps_path, &graph, &deps);
	log_relay_flush(&r.logs[0]);
	log_relay_flush(&r.logs[1]);
	progress_finish(&pr);
	int64_t wall = now_mono_ns() - t0;
	if (r.pidfd >= 0)
		close(r.pidfd);

	int sig = proc_forwarded_signal();
	if (sig) {
		/* Interrupted: leave nothing behind, then go the way we were told to. */
		kill(-r.go_pid, SIGKILL);
		if (r.list_pid > 0 && !r.list_done) {
			kill(-r.list_pid, SIGKILL);
			proc_wait(r.list_pid, &r.list_status, NULL);
		}
		if (keeper_on)
			keeper_stop();
		if (s.dir && !o.keep)
			session_remove(&s);
		else if (s.dir)
			session_disown(&s);
		proc_die_by_signal(sig);
	}
	if (r.list_pid > 0 && !r.list_done) {
		proc_wait(r.list_pid, &r.list_status, NULL);
		if (WIFEXITED(r.list_status) && WEXITSTATUS(r.list_status) == 0)
			read_graph(deps_path, &graph, &deps);
	}

	ret = WIFEXITED(r.go_status) ? WEXITSTATUS(r.go_status) : 128 + WTERMSIG(r.go_status);
	/* The analyser's last packages; what it could not do, golive build does now. */
	if (analyser > 0 && analyser_finish(&s, analyser, ANALYSER_GRACE_MS) != ANALYSER_DONE &&
	    analyser_catch_up(&s, &cfg.analysis, &ac, &actx, &cause) < 0) {
		free(cause); /* collect_findings reports it */
		cause = NULL;
	}
	analyser = -1;
	if (s.dir) {
		/* After go's output, before the summary: like go, grouped by package. */
		if (collect_findings(&found, &s, deps.argc ? &graph : NULL, &cfg, &ac, &actx, go,
		                     &cause) < 0) {
			warning("%s", cause);
			free(cause);
			cause = NULL;
		}
		print_findings(&found, cwd[0] ? cwd : NULL);
		print_plugin_failures(&s);
		if (ret == 0 && diag_fails(&found.all, cfg.analysis.fail_on)) {
			if (log_get_format() == LOG_FORMAT_JSON) {
				char *m = xasprintf("findings reach analyzers.fail_on (%s)",
				                    fail_on_name(cfg.analysis.fail_on));
				log_json("error", m, NULL);
				free(m);
			} else {
				fprintf(stderr, "golive: findings reach analyzers.fail_on (%s)\n",
				        fail_on_name(cfg.analysis.fail_on));
			}
			ret = 1;
		}
	}
	/* The uploaders of the cache's misses: done before we report (bounded). */
	int uploads_pending = 0;
	if (s.dir && cset.backend && cset.mode == CACHE_MODE_READ_WRITE)
		uploads_pending = !rcache_wait_uploads(s.dir, cset.timeout_ms * 4 + 2000);
	if (s.dir) {
		long long off = 0;
		session_read_events(&s, &off, &evs, &bad_events);
		join_findings(&evs, &found);
	}
	rcache_summary_compute(&rsum, &cset, s.dir, &evs);
	rsum.uploads_pending = uploads_pending;
	if (nexporters) {
		if (!s.dir && prof != PROFILE_PROD)
			warning("no session: the trace has the build span only");
		struct build_summary sum;
		memset(&sum, 0, sizeof(sum));
		summary_compute(&sum, &evs, deps.argc ? &deps : NULL, 0);
		struct buildtrace_findings *bf = xcalloc(found.pkgs.n + 1, sizeof(*bf));
		for (size_t i = 0; i < found.pkgs.n; i++) {
			bf[i].importpath = found.pkgs.v[i].importpath;
			bf[i].diags = &found.pkgs.v[i].diags;
		}
		char *gov = gotool_goroot_version(go);
		struct buildtrace_result br = {
		    .exit_status = ret,
		    .end_ns = now_unix_ns(),
		    .packages = (const char *const *)ba.packages.argv,
		    .npackages = ba.packages.argc,
		    .go_version = gov,
		    .cache_hits = sum.cached,
		    .graph_packages = sum.graph,
		    .findings = bf,
		    .nfindings = found.pkgs.n,
		    .profile = profile_name(prof),
		};
		int xrc = buildtrace_export(&bt, &evs, &br, exporters, nexporters, &cause);
		free(gov);
		free(bf);
		summary_release(&sum);
		if (xrc < 0) {
			warning("%s", cause); /* the build's outcome stands */
			free(cause);
			cause = NULL;
		}
	}
	report(&o, &s, wall, ret, &evs, bad_events, deps.argc ? &deps : NULL, &found,
	       cwd[0] ? cwd : NULL, tty, prof, prof_why, &rsum);
	fflush(stdout);
	if (!WIFEXITED(r.go_status) && WIFSIGNALED(r.go_status)) {
		if (keeper_on)
			keeper_stop();
		if (s.dir && !o.keep)
			session_remove(&s);
		else if (s.dir)
			session_disown(&s);
		proc_exit_like(r.go_status);
	}
out:
	if (keeper_on)
		keeper_stop();
	if (s.dir) {
		if (o.keep) {
			session_disown(&s); /* the user's now: never swept */
			session_release(&s);
		} else {
			session_remove(&s);
		}
	}
	free(cause);
	free(go);
	free(deps_path);
	free(toolexec);
	argv_clear(&go_words);
	argv_clear(&go_argv);
	argv_clear(&list_argv);
	argv_clear(&deps);
	golist_packages_release(&graph);
	findings_release(&found);
	event_array_release(&evs);
	for (size_t i = 0; i < nexporters; i++)
		exporters[i]->free(exporters[i]);
	buildtrace_release(&bt);
	for (size_t i = 0; i < ARRAY_SIZE(cfg_paths); i++)
		free(cfg_paths[i]);
	if (actx)
		analysis_ctx_free(actx);
	anacache_close(&ac);
	buildargs_release(&ba);
	config_release(&cfg);
	cache_settings_release(&cset);
	rcache_summary_release(&rsum);
	return ret;
}
