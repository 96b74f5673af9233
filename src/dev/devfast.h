/*
 * devfast.h - golive dev's side of the fast path: which path each cycle's
 * build takes, the plan directory its full builds record into, and what
 * the cycle reports (path, fallback reason).
 *
 * Invariant: after a successful build (either path), the plan's link maps
 * each main-module package to an archive compiled from its sources minus
 * the files in `dirty` (changed since that build). A fast build recompiles
 * every package with a dirty file, so it never links a stale archive.
 */
#ifndef GOLIVE_DEVFAST_H
#define GOLIVE_DEVFAST_H

#include "analysis/analyze.h"
#include "analysis/diag.h"
#include "dev/devgraph.h"
#include "wrapper/devplan.h"
#include "core/util.h"

#include <jansson.h>

struct devfast {
	char *plan_dir;          /* <golive dev's dir>/plan */
	char *root;              /* the module root */
	int enabled;             /* run.fast: the fast path may run */
	struct argv_array dirty; /* files changed since the last successful build */
	struct argv_array last;  /* the dirty files the last successful build took */
	struct pathmap dirty_set;
	char *force_full; /* the next build is a full one, because of this */
	/* the running build */
	int fast;         /* 1: a fast build (golive __fastbuild) */
	char *reason;     /* a full build: why not the fast path */
	json_t *compiled; /* the last fast build's recompiled packages (result.json) */
	json_t *steps;    /* and its tool runs: {tool, importpath, start_ns, end_ns, exit} */
};

/* Sets up plan_dir (and <plan_dir>/root). enabled: the fast path may be used. */
void devfast_init(struct devfast *f, const char *dir, const char *root, int enabled);
void devfast_release(struct devfast *f);

/*
 * Before a cycle's build: adds files (relative to the root) to the dirty
 * set and decides the path. For a fast build, replaces av with the
 * `golive __fastbuild` command line (self: golive's path, bin: the output);
 * for a full one, leaves av alone and sets GOLIVE_DEV_PLAN in the
 * environment (devfast_spawned() takes it out again). Returns f->fast.
 */
int devfast_begin(struct devfast *f, const struct argv_array *files, const char *self,
                  const char *bin, struct argv_array *av);
void devfast_spawned(struct devfast *f);

/*
 * After the build: status is its wait status, cancelled when it was. Returns
 * 1 when a fast build gave up (the caller runs the full build for the same
 * cycle: f->force_full says why), else 0.
 */
int devfast_end(struct devfast *f, int status, int cancelled);

/*
 * A fast build that succeeded but is not swapped in (its findings reach
 * analyzers.fail_on): the files it took count as changed again, so the
 * next build recompiles, and analyses, their packages once more.
 */
void devfast_refuse(struct devfast *f);

/* The import paths the last fast build compiled (<plan>/result.json), appended to pkgs. */
void devfast_compiled(const struct devfast *f, struct argv_array *pkgs);

/* One package's findings (devfast_analyse). */
struct devfast_findings {
	char *importpath;
	diag_array diags; /* sorted, without duplicates */
};
typedef ARRAY(struct devfast_findings) devfast_findings_array;

/*
 * Analyses the recorded source files of each package of pkgs (import paths
 * of the plan) as golive build's wrapper does for a compile: through golive's
 * analysis cache, as the Go version of the recorded compile's -lang, under
 * settings s. Appends the packages that have findings to out, in pkgs' order
 * (pkgs NULL: every package of the plan, in its order).
 * Returns 0, or -1 with *cause (the plan cannot be read, a rule does not
 * compile). Nothing printed.
 */
int devfast_analyse(const struct devfast *f, const struct analysis_settings *s,
                    const struct argv_array *pkgs, devfast_findings_array *out, char **cause);
void devfast_findings_release(devfast_findings_array *a);

/*
 * The cycle's "path", "golive_fast" and "fallback" JSON fields, and for a
 * fast cycle "compiled": the import paths its build recompiled.
 */
void devfast_json(const struct devfast *f, int fast, const char *reason, json_t *o);

#endif
