/* check_rules.h - `golive check --test-rules` (cmd_check_rules.c), called by cmd_check.c. */
#ifndef GOLIVE_CHECK_RULES_H
#define GOLIVE_CHECK_RULES_H

#include "analysis/analyze.h"

/*
 * Tests the rules of s against their valid:/invalid: snippets and the
 * annotated .go files of dir (NULL: snippets only). Prints the results;
 * returns 0 when every case passes, 1 when one fails, 2 on a usage or
 * read error. quiet: only failures.
 */
int check_test_rules(const struct analysis_settings *s, const char *dir, int quiet);

#endif
