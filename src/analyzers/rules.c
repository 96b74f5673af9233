/* rules.c - see rules.h. STUB: replaced by the rules implementation. */
#include "rules.h"

#include <stdlib.h>

struct rules {
	int unused;
};

struct rules *rules_compile(const struct analysis_settings *s, char **cause)
{
	(void)s;
	(void)cause;
	return xcalloc(1, sizeof(struct rules));
}

void rules_run(struct rules *r, struct analysis_file *f)
{
	(void)r;
	(void)f;
}

void rules_free(struct rules *r)
{
	free(r);
}
