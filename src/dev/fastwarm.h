/*
 * fastwarm.h - the fast path's warm-up: records the compiles of main-module
 * packages go served from GOCACHE, so that their first change can take the
 * fast path too.
 *
 * The wrapper records a compile only when go runs it (devplan.h); with a
 * warm GOCACHE the first dev build compiles nothing of the module. After
 * that build, while golive dev is idle, `golive __fastwarm PLAN_DIR T0`
 * asks go what it would run, `go build -a -n` with the build's own flags
 * (<plan>/gobuild.json): the exact compile command line, working directory
 * and importcfg of each package, with nothing compiled and nothing read
 * from or written to GOCACHE. For each main-module package of pure Go with
 * no record yet whose archive the recorded link takes from GOCACHE, and
 * whose files and directory are older than T0 (the build's start, ns since
 * the epoch; so go compiled that archive from exactly these sources), it
 * writes a record as the wrapper would (devplan_save_pkg). Packages with
 * cgo, assembly or //go:embed are left to the full build. The outcome goes
 * to <plan>/warm.json ({"recorded": N, "skipped": N}). Exit 0, or 1 when go
 * build -n fails.
 */
#ifndef GOLIVE_FASTWARM_H
#define GOLIVE_FASTWARM_H

/* golive __fastwarm PLAN_DIR T0: see above. */
int cmd_fastwarm(int argc, char **argv);

#endif
