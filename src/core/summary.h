/*
 * summary.h - what `golive build` prints after go exits: computed from the
 * session's events and the package graph (`go list -deps`).
 */
#ifndef GOLIVE_SUMMARY_H
#define GOLIVE_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "wrapper/session.h"
#include "core/util.h"

struct json_t;

struct tool_count {
	char name[32];
	long runs;
	int64_t wall_ns;
	int64_t cpu_ns;
};

struct build_summary {
	int64_t wall_ns; /* the whole go build, as golive saw it */
	int exit_status; /* go's exit status */
	long runs;       /* tool invocations, probes excluded */
	long probes;     /* -V=full and -### probes */
	long failed;     /* tool invocations that did not exit 0 */
	struct tool_count tools[16];
	size_t ntools;
	long graph;    /* packages in the build graph, or -1 when unknown */
	long compiled; /* distinct packages compiled in this build */
	long cached;   /* graph packages go served from its cache; -1 when unknown (no graph) or
	                 meaningless (the build failed: go stopped early) */
	const struct event **slowest; /* the top compiles by wall time (pointers into evs) */
	size_t nslowest;
	const struct event *link; /* the slowest link, or NULL */
	int64_t tool_cpu_ns;      /* user+sys CPU of all tools */
	int64_t self_cpu_ns;      /* user+sys CPU of all wrappers */
	long self_maxrss_kb;      /* the largest wrapper peak RSS */
	long bad_events;          /* unreadable event lines */
	const char *incomplete;   /* why the figures may miss tool runs (a full disk), or NULL */
};

/*
 * Fills sum from the events (which must outlive sum) and the import paths
 * of the build graph (deps may be NULL when go list failed). top is how many
 * slowest compiles to keep.
 */
void summary_compute(struct build_summary *sum, const event_array *evs,
                     const struct argv_array *deps, size_t top);
void summary_release(struct build_summary *sum);

/* Writes the human summary (several lines) to f; color adds ANSI bold/dim. */
void summary_print_text(const struct build_summary *sum, FILE *f, int color);

/* Returns the summary as a new JSON object (caller json_decref's). */
struct json_t *summary_to_json(const struct build_summary *sum);

/* The package an event belongs to: TOOLEXEC_IMPORTPATH up to its first space, else -p. */
const char *summary_event_package(const struct event *ev, char *buf, size_t size);

#endif
