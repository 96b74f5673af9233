/* jsonl.c - see jsonl.h. */
#include "jsonl.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

char *jsonl_encode(json_t *o, size_t *len)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *out = xmalloc(n + 2);
	memcpy(out, s, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	free(s);
	*len = n + 1;
	return out;
}

int jsonl_next_line(const char *buf, size_t size, size_t *pos, const char **line, size_t *n)
{
	if (*pos >= size)
		return 0;
	const char *nl = memchr(buf + *pos, '\n', size - *pos);
	if (!nl)
		return 0;
	*line = buf + *pos;
	*n = (size_t)(nl - *line);
	*pos += *n + 1;
	return 1;
}
