/*
 * changeq.h - the changes a watch loop has seen and not acted on yet: the
 * debounce and the content check that `golive dev` and `golive test
 * --watch` share.
 *
 * Paths are queued as the watcher reports them (relative to the root). The
 * first change after a quiet period of debounce_ms is taken at once
 * (changeq.eager: the loop acts right after this batch of events, unless a
 * queued path is missing: a rename away is usually half of a save); later
 * ones wait until debounce_ms pass without another. Then changeq_take()
 * keeps the paths whose content hash differs from the one recorded for the
 * last action (devgraph_hash_file), and records the new hashes.
 */
#ifndef GOLIVE_CHANGEQ_H
#define GOLIVE_CHANGEQ_H

#include <stdint.h>

#include "core/util.h"
#include "dev/devgraph.h"

struct changeq {
	int debounce_ms;
	struct argv_array pending;
	struct pathmap pending_set;
	int64_t first_event, last_event; /* monotonic ns */
	int rescan;                      /* events were lost: every recorded path is checked */
	int eager;                       /* the batch being read started after a quiet period */
};

void changeq_init(struct changeq *q, int debounce_ms);
void changeq_release(struct changeq *q);

/* Queues rel (once). */
void changeq_add(struct changeq *q, const char *rel);
/* Events were lost (WATCH_RESCAN): the next take checks every hash in built. */
void changeq_rescan(struct changeq *q);
/* True when something waits. */
int changeq_waiting(const struct changeq *q);
/* When the debounce of what waits runs out (monotonic ns), 0 when nothing waits. */
int64_t changeq_deadline(const struct changeq *q);
/* True when a queued path is missing under root (see above). */
int changeq_gone(const struct changeq *q, const char *root);

/*
 * Empties the queue: appends to files the queued paths whose content hash
 * differs from built's (recording the new one), the paths for which
 * is_dir(rel, data) is true when they are no longer a directory (a package
 * directory went away); directories are skipped otherwise. After a rescan
 * every path of built is checked. is_dir may be NULL.
 */
void changeq_take(struct changeq *q, const char *root, struct pathmap *built,
                  int (*is_dir)(const char *rel, void *data), void *data, struct argv_array *files);

/*
 * The directories golive dev and golive test --watch never watch (rel to
 * the root, not ""): names starting with '.' or '_', testdata and
 * node_modules (go ignores them), watch.exclude's globs and, with gi,
 * .gitignored ones (gi then reads the directory's own .gitignore).
 */
struct gitignore;
int changeq_skip_dir(const char *rel, const struct argv_array *exclude, struct gitignore *gi);

#endif
