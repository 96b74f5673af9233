/*
 * baseline.h - a baseline of findings: the ones a team has accepted for
 * now, so that `golive check --baseline FILE` reports only new ones.
 *
 * A finding is keyed on its rule (analyzer), its file, and a hash of its
 * normalised snippet (the text of its lines, runs of blanks made one
 * space) together with its enclosing function (the normalised line of the
 * nearest `func` declaration above it); not on line numbers, so code
 * moving up or down keeps its findings baselined, while an edit of the
 * flagged code or a move to another function makes them new. Identical
 * keys are counted: a baseline of two findings of one key accepts two.
 *
 * The file is JSON: {"version": 1, "findings": [{"analyzer", "file",
 * "hash" (16 hex digits), "count", "message" (of the first, for readers)}]}
 * sorted by file, analyzer and hash. Nothing here prints.
 */
#ifndef GOLIVE_BASELINE_H
#define GOLIVE_BASELINE_H

#include <stdint.h>

#include "analysis/diag.h"

/*
 * The key hash of each of diags (sorted by file, as diag_sort_unique
 * leaves them) into hashes[0, diags->n), reading each file once. A file
 * that cannot be read hashes its findings by rule, file and message.
 */
void baseline_hashes(const diag_array *diags, uint64_t *hashes);

/* Writes the baseline of diags to path (temporary file + rename). 0, or -1 with *cause. */
int baseline_write(const char *path, const diag_array *diags, char **cause);

/*
 * Marks in in_baseline[i] (diags->n bytes) each finding the baseline at
 * path accepts. 0, or -1 with *cause when the file cannot be read or is
 * not a baseline ("PATH: ...").
 */
int baseline_match(const char *path, const diag_array *diags, unsigned char *in_baseline,
                   char **cause);

#endif
