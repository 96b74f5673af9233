/*
 * fastpath.h - `golive dev`'s fast path: rebuild a changed package by
 * replaying the compile and link the last full build recorded (devplan.h),
 * without go's planning.
 *
 * golive dev asks fastpath_check() whether a change may take it; if so it
 * runs `golive __fastbuild` (cmd_fastbuild) as the cycle's build. That
 * recompiles the changed packages with their recorded command lines,
 * compares each new archive's export data (__.PKGDEF) with the old one,
 * recompiles the packages that import one whose export data changed (in
 * dependency order, as many at once as there are cores), and relinks with
 * the recorded link command into a new file, marked as a fast-path build
 * (build setting golive.fast=1). Anything it cannot replay exactly ends in
 * exit status FASTPATH_FALLBACK with the reason in <plan>/result.json, and
 * golive dev runs the full build instead.
 */
#ifndef GOLIVE_FASTPATH_H
#define GOLIVE_FASTPATH_H

#include "wrapper/devplan.h"
#include "core/util.h"

#define FASTPATH_FALLBACK 3               /* cmd_fastbuild: take the full build */
#define FASTPATH_MARKER   "golive.fast=1" /* the build setting a fast-path binary carries */

/*
 * The part of a Go file's text that decides whether the fast path may
 * replay its package's compile: package name, imports, build constraints,
 * //go:embed and //go:generate-free directives, `import "C"`. Parsed with
 * tree-sitter. Appends it to sig.
 */
void fastpath_header(const char *src, size_t len, struct strbuf *sig);

/*
 * May the changed files (paths relative to root) take the fast path with
 * plan p? Returns 1 and appends the import paths to recompile to pkgs, or
 * 0 with *reason (malloc'd): why the full build runs.
 */
int fastpath_check(const struct devplan *p, const char *root, const struct argv_array *changed,
                   struct argv_array *pkgs, char **reason);

/*
 * The -ldflags word golive dev passes to its builds: the user's own
 * -ldflags with " -s -w" appended (no DWARF, no symbol table). The user's
 * are the last -ldflags of flags (build.flags), else the last of goflags
 * (the GOFLAGS variable, split as go splits it; NULL for none): a -ldflags
 * on the command line would otherwise hide the one in GOFLAGS.
 */
char *fastpath_dev_ldflags(const struct argv_array *flags, const char *goflags);

/* golive __fastbuild PLAN_DIR OUTPUT PKG...: see above. */
int cmd_fastbuild(int argc, char **argv);

#endif
