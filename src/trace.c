/* trace.c - see trace.h: what every exporter shares. */
#include "trace.h"

#include <stdlib.h>

#include "util.h"

struct trace_attr *trace_attrs_copy(const struct trace_attr *attrs, size_t n, size_t *nout)
{
	*nout = 0;
	if (!n || !attrs)
		return NULL;
	struct trace_attr *d = xcalloc(n, sizeof(*d));
	for (size_t i = 0; i < n; i++) {
		const struct trace_attr *a = &attrs[i];
		if (!a->key)
			continue; /* nothing to name it by */
		struct trace_attr *t = &d[(*nout)++];
		*t = *a;
		t->key = xstrdup(a->key);
		if (a->type == TRACE_ATTR_STRING)
			t->v.s = a->v.s ? xstrdup(a->v.s) : NULL;
	}
	return d;
}

void trace_attrs_free(struct trace_attr *attrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)attrs[i].key);
		if (attrs[i].type == TRACE_ATTR_STRING)
			free((char *)attrs[i].v.s);
	}
	free(attrs);
}
