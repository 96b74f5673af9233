/*
 * anapkg.h - the files of one Go package, for analyzers that follow a call
 * one step into another file of the package (httpctx: a handler calls
 * loadUser, declared in store.go, which starts from context.Background()).
 *
 * Analysis is per file (analyze.h); a package only answers
 * analysis_package_decl(): which other file declares a top-level function
 * or method of a name, and what the asking analyzer's decl_fact hook says
 * of that declaration.
 *
 * Cost: nothing until an analyzer asks. The first question reads the files
 * that were added without their text and scans them for their package
 * clause and their `func` lines (text only); a declaration's file is parsed
 * when its fact is first asked for, once per package. Facts are kept for
 * the package's life, so a package should live as long as its files are
 * being analysed (one build action, one `golive check` unit).
 *
 * What counts as a declaration: a line that starts with `func NAME` or
 * `func (RECEIVER) NAME`, as gofmt lays them out; a line of that shape in a
 * raw string is a false hit whose fact is NULL. Files whose package clause
 * differs from the asking file's (p_test beside p) are another package.
 *
 * Thread-safe: many analysis contexts on many threads may share one
 * package; a lock serialises the questions.
 */
#ifndef GOLIVE_ANAPKG_H
#define GOLIVE_ANAPKG_H

#include <stddef.h>

#include "analysis/analyze.h"

struct analysis_pkg *analysis_pkg_new(void);
/*
 * Adds a file of the package. path is copied and must be the path the
 * file is analysed under (what analysis_run_source gets). src (len bytes)
 * is borrowed and must outlive the package, or NULL: the file is read from
 * path when first needed (an unreadable file declares nothing).
 */
void analysis_pkg_add(struct analysis_pkg *p, const char *path, const char *src, size_t len);
/* The number of files added. */
size_t analysis_pkg_files(const struct analysis_pkg *p);
void analysis_pkg_free(struct analysis_pkg *p);

#endif
