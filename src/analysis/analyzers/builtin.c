/* builtin.c - the table of built-in analyzers (analyze.h). Add new ones here. */
#include "analysis/analyze.h"

extern const struct analyzer analyzer_httpctx;
extern const struct analyzer analyzer_logtrace;
extern const struct analyzer analyzer_unusedignore; /* analyze.c: off by default */

const struct analyzer *const builtin_analyzers[] = {
    &analyzer_httpctx,
    &analyzer_logtrace,
    &analyzer_unusedignore,
    NULL,
};
