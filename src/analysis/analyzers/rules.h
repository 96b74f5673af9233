/*
 * rules.h - user rules from golive.yaml `rules:`: tree-sitter queries over
 * tree-sitter-go with #eq? / #not-eq? / #match? / #not-match? predicates,
 * a message that may quote {{capture}} text, a severity, and a scope
 * (handler: only matches inside HTTP handlers; file: anywhere).
 *
 * Used by analyze.c only: analysis_ctx_new() compiles the rules once per
 * context, analysis_run_source() runs them on each file.
 */
#ifndef GOLIVE_RULES_H
#define GOLIVE_RULES_H

#include "analysis/analyze.h"

struct rules;

/*
 * Compiles every rule of s. Returns NULL with *cause when a query does not
 * compile: "golive.yaml:LINE:COL: rules[N] (ID): <what is wrong>", where
 * LINE:COL is the position of the error inside the YAML file (mapped from
 * the query's error offset through rule_spec.line/col/block/indent). Returns
 * a (possibly empty) rule set otherwise.
 */
struct rules *rules_compile(const struct analysis_settings *s, char **cause);
/* Runs every rule over f, reporting through analysis_report_as(). */
void rules_run(struct rules *r, struct analysis_file *f);
void rules_free(struct rules *r);

#endif
