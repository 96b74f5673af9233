/*
 * buildtrace.h - a build as a trace: its context (W3C TRACEPARENT and
 * TRACESTATE from the environment, or a new trace) and its spans, made from
 * the session's events: one root span "build" and a child span per tool run
 * (probes left out), with the analysis findings as span events, handed to
 * the exporters of trace.h.
 *
 * The wrappers draw their own span ids (a child of the build span named in
 * the TRACEPARENT golive passes down) and record them in their events, so a
 * tool that traces itself can join the same trace under its invocation's
 * span; events without ids get ids here.
 */
#ifndef GOLIVE_BUILDTRACE_H
#define GOLIVE_BUILDTRACE_H

#include <stdint.h>

#include "analysis/diag.h"
#include "wrapper/session.h"
#include "trace/trace.h"
#include "trace/tracectx.h"

struct buildtrace {
	struct trace_ctx root; /* the build span: trace id, its span id, flags */
	uint8_t parent_id[8];  /* the incoming parent span, all zero when none */
	char *tracestate;      /* the incoming TRACESTATE, normalized, or NULL */
	int64_t start_ns;      /* unix time the build started */
};

/*
 * Sets up bt from $TRACEPARENT (and $TRACESTATE): a valid one makes the
 * build span its child (same trace, new span id); none, or an invalid one,
 * starts a new trace (sampled). Returns 0, or 1 when TRACEPARENT or
 * TRACESTATE was set but invalid, with *warning (malloc'd, one line, for
 * the caller to print once; an invalid TRACESTATE is dropped). start_ns is
 * set to now. -1 with *warning only when no random id could be drawn.
 */
int buildtrace_init(struct buildtrace *bt, char **warning);
void buildtrace_release(struct buildtrace *bt);

/*
 * Puts the build span into the environment for what golive runs:
 * TRACEPARENT "00-<trace>-<build span>-<flags>", and TRACESTATE as it came
 * in (normalized) or unset.
 */
void buildtrace_setenv(const struct buildtrace *bt);

/* The findings of one package, for span events. */
struct buildtrace_findings {
	const char *importpath;
	const diag_array *diags;
};

/* What the build span says about the build as a whole. */
struct buildtrace_result {
	int exit_status;
	int64_t end_ns;              /* unix time the build ended */
	const char *const *packages; /* the requested patterns, npackages of them */
	size_t npackages;
	const char *go_version; /* "go1.19.8", or NULL */
	long cache_hits;        /* packages go served from its cache, -1 unknown */
	long graph_packages;    /* packages in the build graph, -1 unknown */
	const struct buildtrace_findings *findings; /* per package, nfindings of them */
	size_t nfindings;
	const char *root_name; /* "build" when NULL */
	const char *profile;   /* "dev", "ci" or "prod" (profile.h), or NULL */
};

/*
 * Appends the build's spans to out as owned copies: the build span first
 * (from bt->start_ns to r->end_ns, child of the incoming parent;
 * attributes process.exit.code, golive.tool_runs, golive.packages,
 * golive.go_version, golive.cache_hits, golive.graph_packages,
 * golive.version, golive.profile), then one span per non-probe event in
 * order (child of the build span; attributes golive.importpath, golive.package,
 * process.executable.path, process.exit.code, golive.cpu_user_ns,
 * golive.cpu_sys_ns, golive.maxrss_kb, golive.files, golive.bytes,
 * golive.diagnostics). A package's findings become "golive.diagnostic"
 * events of its compile span, or of the build span when no compile of it
 * ran (go served it from its cache). Returns 0, or -1 with *cause when no
 * random span id could be drawn (the spans so far are kept).
 */
int buildtrace_spans(const struct buildtrace *bt, const event_array *evs,
                     const struct buildtrace_result *r, span_array *out, char **cause);

/*
 * buildtrace_spans() sent through each exporter with the resource from
 * the environment (trace_resource_from_env; its warning, if any, is
 * returned in *cause too). An exporter that fails is reported in *cause
 * (the first failure, malloc'd) and the others still run. Returns 0, or
 * -1 with *cause.
 */
int buildtrace_export(const struct buildtrace *bt, const event_array *evs,
                      const struct buildtrace_result *r, struct trace_exporter **ex, size_t nex,
                      char **cause);

#endif
