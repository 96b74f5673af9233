/*
 * cmd_dev_output.c - what golive dev says (cmd_dev.h): per cycle a status
 * line on stderr and, with --json, a JSON line on stdout; the cycle's trace
 * (devtrace.h).
 */
#define _GNU_SOURCE
#include "cmd/cmd_dev.h"
#include "core/devfeed.h"
#include "core/jsonl.h"
#include "core/log.h"
#include "dev/devtrace.h"
#include "dev/supervise.h"
#include "dev/watch.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double ms_since(const struct dev *d, int64_t t)
{
	return t ? (double)(t - d->t0) / 1e6 : 0;
}

/* ---- output ------------------------------------------------------------- */

void dev_print_findings(const struct dev *d, const devfast_findings_array *a)
{
	char cwd[PATH_MAX];
	enum log_format lf = LOG_FORMAT_TEXT;
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	if (d->cfg.trace.log_format)
		(void)log_format_parse(d->cfg.trace.log_format, &lf);
	for (size_t i = 0; i < a->n; i++) {
		const struct devfast_findings *p = &a->v[i];
		if (lf != LOG_FORMAT_JSON)
			fprintf(stderr, "# %s\n", p->importpath);
		for (size_t k = 0; k < p->diags.n; k++) {
			const struct diag *dg = &p->diags.v[k];
			if (lf != LOG_FORMAT_JSON) {
				diag_print_text(dg, stderr, cwd[0] ? cwd : NULL);
				continue;
			}
			json_t *fl = json_object();
			json_object_set_new(fl, "importpath", json_string(p->importpath));
			json_object_set_new(
			    fl, "file",
			    json_string_lossy(diag_display_path(dg, cwd[0] ? cwd : NULL)));
			json_object_set_new(fl, "line", json_integer(dg->line));
			json_object_set_new(fl, "column", json_integer(dg->col));
			json_object_set_new(fl, "analyzer", json_string_lossy(dg->analyzer));
			log_json(dg->severity == SEV_ERROR     ? "error"
			         : dg->severity == SEV_WARNING ? "warn"
			                                       : "info",
			         dg->message, fl);
		}
	}
	fflush(stderr);
}

void dev_json_line(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	free(s);
	json_decref(o);
}

static json_t *json_ms(const struct dev *d, int64_t t)
{
	return t ? json_real((double)(long long)(ms_since(d, t) * 1000) / 1000) : json_null();
}

void dev_fmt_dur(char *buf, size_t n, double ms)
{
	if (ms < 1000)
		snprintf(buf, n, "%.0f ms", ms);
	else
		snprintf(buf, n, "%.2f s", ms / 1000);
}

/* "main.go changed", "main.go and 2 more changed", "starting", "restarting after a crash" */
static void describe_trigger(const struct cycle *c, struct strbuf *sb)
{
	if (strcmp(c->trigger, "start") == 0)
		strbuf_addstr(sb, "starting");
	else if (strcmp(c->trigger, "crash") == 0)
		strbuf_addstr(sb, "restarting after the exit");
	else if (c->files.argc == 0)
		strbuf_addstr(sb, "files changed");
	else if (c->files.argc == 1)
		strbuf_addf(sb, "%s changed", c->files.argv[0]);
	else
		strbuf_addf(sb, "%s and %zu more changed", c->files.argv[0], c->files.argc - 1);
}

/* ---- the cycle feed (core/devfeed.h) ------------------------------------ */

void dev_feed_failed(struct dev *d)
{
	char cwd[PATH_MAX];
	json_decref(d->feed_errors);
	d->feed_errors = devfeed_parse_errors(d->build_log.buf, d->build_log.len,
	                                      getcwd(cwd, sizeof(cwd)) ? cwd : "/");
}

/* Appends the cycle's line to the module's feed; the first one truncates it. */
static void feed_cycle(struct dev *d, const struct cycle *c, const char *build, pid_t pid)
{
	json_t *errors = d->feed_errors;
	d->feed_errors = NULL;
	char *path = d->cfg.root ? devfeed_path(d->cfg.root) : NULL;
	if (!path || !build || (strcmp(build, "ok") && strcmp(build, "failed"))) {
		free(path);
		json_decref(errors);
		return;
	}
	int64_t end = !strcmp(build, "ok") ? c->t_ready : c->t_build_end;
	json_t *o =
	    json_pack("{s:i, s:s, s:i, s:s, s:o, s:o, s:o}", "v", 1, "root", d->cfg.root, "cycle",
	              c->n, "build", build, "pid", pid > 0 ? json_integer(pid) : json_null(), "ms",
	              end && c->t_event ? json_round(ms_between(c->t_event, end)) : json_null(),
	              "errors", errors && !strcmp(build, "failed") ? errors : json_array());
	if (errors && strcmp(build, "failed"))
		json_decref(errors);
	size_t len;
	char *line = o ? jsonl_encode(o, &len) : NULL;
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	if (line && mkdir_p(dir, 0700) == 0) {
		int fd = open(path,
		              O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		                  (d->feed_started ? 0 : O_TRUNC),
		              0600);
		if (fd >= 0) {
			(void)write_all(fd, line, len);
			close(fd);
			d->feed_started = 1;
		}
	}
	free(dir);
	free(line);
	free(path);
}

/* The cycle's JSON line and status line. build: "ok", "failed", "cancelled". */
void dev_report_cycle(struct dev *d, struct cycle *c, const char *build, pid_t pid,
                      const char *ready)
{
	if (devtrace_enabled(&d->trace)) {
		/* a fast build writes no spans: its tool runs, from its result */
		struct devtrace_step steps[64];
		size_t nsteps = 0, k;
		json_t *v;
		json_array_foreach(c->fast ? d->fast.steps : NULL, k, v)
		{
			if (nsteps == ARRAY_SIZE(steps))
				break;
			struct devtrace_step *st = &steps[nsteps++];
			st->tool = json_string_value(json_object_get(v, "tool"));
			st->importpath = json_string_value(json_object_get(v, "importpath"));
			st->start_ns = json_integer_value(json_object_get(v, "start_ns"));
			st->end_ns = json_integer_value(json_object_get(v, "end_ns"));
			st->exit = (int)json_integer_value(json_object_get(v, "exit"));
			if (!st->tool)
				nsteps--;
		}
		struct devtrace_info ti = {
		    .steps = steps,
		    .nsteps = nsteps,
		    .n = c->n,
		    .trigger = c->trigger,
		    .files = (const char *const *)c->files.argv,
		    .nfiles = c->files.argc,
		    .build = build,
		    .pid = pid,
		    .ready = ready,
		    .fast = c->fast,
		    .t_event = c->t_event,
		    .t_build_start = c->t_build_start,
		    .t_build_end = c->t_build_end,
		    .t_ready = pid > 0 ? c->t_ready : 0,
		};
		char *cause = NULL;
		if (devtrace_cycle_export(&d->trace, &c->tc, &ti, &cause) < 0) {
			warning("golive dev: cycle %d trace: %s", c->n, cause);
			free(cause);
		}
	}
	feed_cycle(d, c, build, pid);
	if (d->o.json) {
		json_t *o = json_object();
		json_t *files = json_array();
		for (size_t i = 0; i < c->files.argc; i++)
			json_array_append_new(files, json_string(c->files.argv[i]));
		json_object_set_new(o, "type", json_string("cycle"));
		json_object_set_new(o, "cycle", json_integer(c->n));
		json_object_set_new(o, "trigger", json_string(c->trigger));
		json_object_set_new(o, "files", files);
		json_object_set_new(o, "build", build ? json_string(build) : json_null());
		json_object_set_new(o, "build_ms",
		                    c->t_build_end && c->t_build_start
		                        ? json_round(ms_between(c->t_build_start, c->t_build_end))
		                        : json_null());
		json_object_set_new(o, "t_event", json_ms(d, c->t_event));
		json_object_set_new(o, "t_build_start", json_ms(d, c->t_build_start));
		json_object_set_new(o, "t_build_end", json_ms(d, c->t_build_end));
		json_object_set_new(o, "t_ready", json_ms(d, c->t_ready));
		json_object_set_new(o, "pid", pid > 0 ? json_integer(pid) : json_null());
		json_object_set_new(o, "ready", ready ? json_string(ready) : json_null());
		if (c->t_build_start)
			devfast_json(&d->fast, c->fast, c->fallback, o);
		dev_json_line(o);
	}
	if (d->o.quiet || (build && strcmp(build, "cancelled") == 0))
		return;
	struct strbuf sb;
	strbuf_init(&sb, 128);
	char t1[32], t2[32];
	describe_trigger(c, &sb);
	if (c->t_build_end) {
		dev_fmt_dur(t1, sizeof(t1), ms_between(c->t_build_start, c->t_build_end));
		if (strcmp(build, "ok") == 0)
			strbuf_addf(&sb, " → built in %s", t1);
		else
			strbuf_addf(&sb, " → %sbuild failed%s in %s", c_red(d), c_off(d), t1);
		if (c->fast)
			strbuf_addstr(&sb, " (fast path)");
		else if (c->fallback && strcmp(c->trigger, "start") != 0)
			strbuf_addf(&sb, " (full build: %s)", c->fallback);
	}
	if (pid > 0 && c->t_ready) {
		int64_t from = c->t_build_end ? c->t_build_end : c->t_event;
		dev_fmt_dur(t2, sizeof(t2), ms_between(from, c->t_ready));
		strbuf_addf(&sb, " → %sserving%s (pid %d) in %s", c_green(d), c_off(d), (int)pid,
		            t2);
	} else if (build && strcmp(build, "failed") == 0 && d->cur &&
	           supervise_pid(d->prev ? d->prev : d->cur) > 0) {
		strbuf_addf(&sb, "; pid %d keeps running",
		            (int)supervise_pid(d->prev ? d->prev : d->cur));
	}
	fprintf(stderr, "%sgolive:%s %s\n", c_bold(d), c_off(d), sb.buf);
	fflush(stderr);
	strbuf_release(&sb);
}

void dev_say(const struct dev *d, const char *fmt, ...)
{
	if (d->o.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%sgolive:%s ", c_bold(d), c_off(d));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
	va_end(ap);
}

void dev_describe_exit(const struct supervise_exit *ex, char *buf, size_t n)
{
	char sig[32];
	if (ex->signal)
		snprintf(buf, n, "killed by %s", signal_to_name(ex->signal, sig, sizeof(sig)));
	else
		snprintf(buf, n, "exited with status %d", ex->exit_code);
}

void dev_print_watch(struct dev *d, int64_t t_start)
{
	double ms = ms_between(t_start, now_mono_ns());
	if (d->o.json) {
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string("watch"));
		json_object_set_new(o, "dirs", json_integer((json_int_t)watch_count(d->w)));
		json_object_set_new(o, "files", json_integer((json_int_t)d->graph.files.n));
		json_object_set_new(o, "ms", json_round(ms));
		json_object_set_new(o, "backend", json_string(watch_backend_name(d->w)));
		dev_json_line(o);
	}
	dev_say(d, "%swatching %zu director%s of %s (%zu packages%s) in %.0f ms%s", c_dim(d),
	        watch_count(d->w), watch_count(d->w) == 1 ? "y" : "ies", d->cfg.root,
	        d->graph.pkgs.argc, strcmp(watch_backend_name(d->w), "poll") ? "" : ", polling", ms,
	        c_off(d));
}
