/*
 * godir.h - the Go source files of a plain directory, and the directories
 * of a tree, as the go command picks them without go.mod or go list:
 * golive check DIR and DIR/... outside a module.
 *
 * A directory's files are its *.go files that go would build in a build
 * context (core/buildcons.h): no "_x.go" or ".x.go", _test.go only when
 * asked, file-name suffixes (_linux, _amd64, ...) and //go:build lines
 * applied, files with `import "C"` only when cgo is on. A tree is walked as go's ./... walks: no
 * directories named testdata or vendor or starting with "." or "_", no symlinked directories below
 * the root.
 *
 * Nothing prints: what keeps a file out for a reason the user should see
 * (not a regular file, a malformed //go:build line) goes to a callback.
 */
#ifndef GOLIVE_GODIR_H
#define GOLIVE_GODIR_H

#include "core/buildcons.h"
#include "core/util.h"

/* Called with a file's path (dir/name) and a one-line reason it is left out. */
typedef void (*godir_problem_fn)(void *data, const char *path, const char *message);

/*
 * Appends to names the base names of dir's Go files built in c (tests:
 * with _test.go files), sorted. A FIFO, a device or a symlink to one is
 * never opened (problem "not a regular file"); a file that cannot be read
 * is kept (the caller's analysis reports it); a malformed //go:build line
 * leaves the file out with a problem ("parsing //go:build line: ...").
 * Returns 0, or -1 with errno when dir cannot be opened.
 */
int godir_files(const char *dir, const struct buildctx *c, int tests, struct argv_array *names,
                godir_problem_fn problem, void *data);

/*
 * Called for each file whose build constraints (name and //go:build) hold,
 * with its name and the start of its text as read for them: len bytes (at
 * most GODIR_HEADER_BYTES; truncated when the file is longer), or buf NULL
 * when the file could not be read. kept is 0 for a file left out only
 * because it imports "C" and cgo is off (go/build still reads its package
 * clause), 1 for a file godir_files_scan() returns.
 */
typedef void (*godir_header_fn)(void *data, const char *name, const char *buf, size_t len,
                                int truncated, int kept);

#define GODIR_HEADER_BYTES (64u << 10)

/* godir_files(), and header(hdata, ...) for every file built but for cgo (header may be NULL). */
int godir_files_scan(const char *dir, const struct buildctx *c, int tests, struct argv_array *names,
                     godir_problem_fn problem, void *data, godir_header_fn header, void *hdata);

/*
 * Appends root and every directory below it that ./... would visit to
 * dirs, depth first in name order (root first). Stops descending at 64
 * levels. Returns 0, or -1 with errno when root cannot be opened.
 */
int godir_walk(const char *root, struct argv_array *dirs);

/*
 * The root X of a tree pattern "X/..." (malloc'd; "/" for "/..."), or NULL
 * when pattern is not one (no trailing "/...", or a "..." elsewhere).
 */
char *godir_tree_root(const char *pattern);

#endif
