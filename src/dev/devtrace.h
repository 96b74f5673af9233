/*
 * devtrace.h - golive dev's cycles as traces: one trace per cycle (change ->
 * build -> restart), through the same exporters as golive build.
 *
 * A cycle's trace: a root span "cycle" (from the first change to the new
 * program being ready, or to the end of a failed or cancelled build), the
 * build's own spans as the child `golive build` wrote them (its root
 * "build" span is a child of "cycle": golive dev passes the cycle span
 * down as TRACEPARENT, and the build writes its spans with --trace-out
 * into its session directory, with OTEL_SDK_DISABLED=true so that it
 * exports nothing itself), and a span "restart" from the end of the build
 * to the program's readiness. A build that wrote no spans (the fast path's
 * replay) gets one "build" span, with golive.fast=1 for the fast path.
 *
 * Exporting happens in a forked child so that a slow collector never holds
 * up the dev loop; golive dev (a subreaper) reaps it with its orphans.
 * --trace-out appends a line per cycle; --chrome-trace and --report hold
 * the latest cycle.
 */
#ifndef GOLIVE_DEVTRACE_H
#define GOLIVE_DEVTRACE_H

#include <stdint.h>
#include <sys/types.h>

#include "trace/trace.h"
#include "trace/tracectx.h"
#include "core/util.h"

struct devtrace {
	const char *trace_out, *chrome_trace, *report; /* file outputs, or NULL */
	int http_on;
	struct otlp_http_config hc;
	int64_t mono_to_unix; /* add to a monotonic time to get unix time */
};

/*
 * Sets t up from the file outputs and the OpenTelemetry environment. A
 * path that cannot be created is an error (-1, *cause: a usage error, as
 * in golive build); environment problems are lines in warnings. 0 when
 * set up (enabled or not: devtrace_enabled()).
 */
int devtrace_init(struct devtrace *t, const char *trace_out, const char *chrome_trace,
                  const char *report, struct strbuf *warnings, char **cause);
int devtrace_enabled(const struct devtrace *t);
void devtrace_release(struct devtrace *t);

/* One cycle's trace: its ids, and the spans its build wrote. */
struct devtrace_cycle {
	int started;
	struct trace_ctx ctx; /* trace id and the cycle span's id */
	span_array build;
};

/* New trace and cycle span (once per cycle); its TRACEPARENT in tp. 0, or -1 (getrandom). */
int devtrace_cycle_begin(struct devtrace_cycle *c, char tp[TRACEPARENT_LEN + 1]);

/*
 * Takes the spans the build wrote to path (OTLP/JSON lines); a missing or
 * malformed file leaves the trace without them (returns -1 with *cause).
 */
int devtrace_cycle_read_build(struct devtrace_cycle *c, const char *path, char **cause);

/* A tool the fast path ran (it writes no spans itself): a span under "build". */
struct devtrace_step {
	const char *tool;       /* "compile", "link" */
	const char *importpath; /* the package compiled, or the main package linked */
	int64_t start_ns, end_ns;
	int exit; /* its exit status; -1 when it died of a signal */
};

/* What the cycle was, for its spans. Times are monotonic ns, 0 for "did not happen". */
struct devtrace_info {
	int n;
	const char *trigger;      /* "start", "change", "crash" */
	const char *const *files; /* the changed files, nfiles of them */
	size_t nfiles;
	const char *build; /* "ok", "failed", "cancelled", or NULL: no build */
	pid_t pid;         /* the new program, or 0 */
	const char *ready; /* how readiness was learnt ("notify", "exec"...), or NULL */
	int fast;          /* the build was the fast path's (golive.fast on its span) */
	const struct devtrace_step *steps; /* a build that wrote no spans: its tool runs */
	size_t nsteps;
	int64_t t_event, t_build_start, t_build_end, t_ready;
};

/*
 * Exports the cycle (begun here when it was not) in a forked child that
 * writes every output and exits; its failures are printed by the child as
 * one warning line. Returns the child's pid, 0 when tracing is off, -1
 * with *cause when fork failed. The cycle's spans are released.
 */
pid_t devtrace_cycle_export(const struct devtrace *t, struct devtrace_cycle *c,
                            const struct devtrace_info *i, char **cause);

void devtrace_cycle_release(struct devtrace_cycle *c);

#endif
