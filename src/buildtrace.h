/*
 * buildtrace.h - a build as a trace: its context (W3C TRACEPARENT from the
 * environment, or a new trace) and its spans, made from the session's
 * events: one root span "build" and a child span per tool run (probes left
 * out), handed to the exporters of trace.h.
 */
#ifndef GOLIVE_BUILDTRACE_H
#define GOLIVE_BUILDTRACE_H

#include <stdint.h>

#include "session.h"
#include "trace.h"
#include "tracectx.h"

struct buildtrace {
	struct trace_ctx root; /* the build span: trace id, its span id, flags */
	uint8_t parent_id[8];  /* the incoming parent span, all zero when none */
	int64_t start_ns;      /* unix time the build started */
};

/*
 * Sets up bt from $TRACEPARENT: a valid one makes the build span its child
 * (same trace, new span id); none, or an invalid one, starts a new trace
 * (sampled). Returns 0, or 1 when TRACEPARENT was set but invalid, with
 * *warning (malloc'd, one line, for the caller to print once). start_ns is
 * set to now. -1 with *warning only when no random id could be drawn.
 */
int buildtrace_init(struct buildtrace *bt, char **warning);

/* "00-<trace>-<build span>-<flags>": what golive passes down as TRACEPARENT. */
void buildtrace_traceparent(const struct buildtrace *bt, char buf[TRACEPARENT_LEN + 1]);

/*
 * Builds the spans of evs (non-probe events become children of the build
 * span, in order; the build span runs from bt->start_ns to end_ns and has
 * process.exit.code = exit_status) and sends them through each exporter:
 * begin, span..., end. An exporter that fails is reported in *cause (the
 * first failure, malloc'd) and the others still run. Returns 0, or -1 with
 * *cause.
 */
int buildtrace_export(const struct buildtrace *bt, const event_array *evs, int64_t end_ns,
                      int exit_status, struct trace_exporter **ex, size_t nex, char **cause);

#endif
