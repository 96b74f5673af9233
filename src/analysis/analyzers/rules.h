/*
 * rules.h - user rules from golive.yaml `rules:`: tree-sitter queries over
 * tree-sitter-go with #eq? / #not-eq? / #match? / #not-match? / #any-of?
 * predicates, a message that may quote {{capture}} text, a severity, a
 * scope (handler: only matches inside HTTP handlers; file: anywhere),
 * paths (include/exclude globs) and an optional fix template.
 *
 * Compiling is the costly part (tree-sitter analyses each query against the
 * grammar), so every enabled rule goes into one query, compiled once per
 * process and shared by every thread's runner (struct rules is immutable
 * and reference-counted), and, when a blob directory is given, stored there
 * as a blob (tsquery_blob.h) that the next process loads instead of
 * compiling: the wrappers of one build share one compilation.
 *
 * Used by analyze.c only.
 */
#ifndef GOLIVE_RULES_H
#define GOLIVE_RULES_H

#include "analysis/analyze.h"

struct rules;
struct rules_runner;

/*
 * Compiles every rule of s but those with severity off. Returns NULL with
 * *cause when a query does not compile: "golive.yaml:LINE:COL: rules[N]
 * (ID): <what is wrong>", where LINE:COL is the position of the error
 * inside the YAML file (mapped from the query's error offset through
 * rule_spec.line/col/block/indent). Returns a (possibly empty) rule set
 * otherwise, with one reference. blob_dir (may be NULL) is a directory
 * where the compiled query is looked up and stored (errors ignored).
 */
struct rules *rules_compile(const struct analysis_settings *s, const char *blob_dir, char **cause);
struct rules *rules_ref(struct rules *r); /* another reference; returns r */
void rules_free(struct rules *r);         /* drops a reference */
size_t rules_count(const struct rules *r);
/* True when the combined query was loaded from a blob instead of compiled. */
int rules_from_blob(const struct rules *r);

/* A thread's means to run r (a query cursor, scratch): holds a reference to r. */
struct rules_runner *rules_runner_new(struct rules *r);
void rules_runner_free(struct rules_runner *x);

/*
 * Runs every rule that applies to relpath (the file's path relative to the
 * project root, slash-separated; NULL for a file outside the root, where
 * only rules without paths.include run) over f,
 * reporting through analysis_report_as(); a rule with a fix template sets
 * the finding's fix (the reported node replaced by the expanded template).
 */
void rules_run(struct rules_runner *x, struct analysis_file *f, const char *relpath);

#endif
