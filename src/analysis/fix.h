/*
 * fix.h - applying the fixes findings offer (struct diag_fix) to a file's
 * bytes, and the unified diff of the result: what `golive check --fix` and
 * `--diff` do, and what an editor's code action would do to one file.
 *
 * Positions are struct diag_edit's: 1-based lines, 1-based byte columns,
 * end exclusive. A fix is all or nothing: when one of its edits lies
 * outside the text (a line past the end, a column past its line's end, an
 * end before its start) or overlaps an edit of a fix taken earlier, the
 * whole fix is left out (counted in skipped). Fixes are taken in the order
 * given; edits that only touch (one ends where the next starts) do not
 * overlap, except two insertions at one point, whose order would be
 * ambiguous. Nothing here prints or touches files.
 */
#ifndef GOLIVE_FIX_H
#define GOLIVE_FIX_H

#include <stddef.h>

#include "analysis/diag.h"
#include "core/util.h"

struct fix_result {
	size_t applied; /* fixes taken */
	size_t skipped; /* fixes left out: out of range or overlapping */
};

/*
 * Appends to out src[0, len) with the edits of every fix that can be
 * taken applied, and fills *res; taken (may be NULL; nfixes bytes) gets 1
 * for each fix taken, 0 for each left out. out is src unchanged when none
 * can be. A NULL fix or one without edits is left out.
 */
void fix_apply(const char *src, size_t len, struct diag_fix *const *fixes, size_t nfixes,
               struct strbuf *out, struct fix_result *res, unsigned char *taken);

/*
 * Appends a unified diff (3 lines of context, "--- a/PATH", "+++ b/PATH"
 * headers) that turns a into b to out, nothing when they are equal. Lines
 * are compared as a whole; a last line without a newline is marked
 * "\ No newline at end of file" as diff(1) does.
 */
void fix_unified_diff(const char *path, const char *a, size_t alen, const char *b, size_t blen,
                      struct strbuf *out);

#endif
