/*
 * devfeed.c - see devfeed.h.
 */
#include "core/devfeed.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xxhash.h>

#include "core/jsonl.h"
#include "core/util.h"

char *devfeed_path(const char *root)
{
	unsigned long long h = (unsigned long long)XXH64(root, strlen(root), 0);
	const char *rt = getenv("XDG_RUNTIME_DIR");
	if (rt && rt[0] == '/')
		return xasprintf("%s/golive/dev-%016llx.jsonl", rt, h);
	char *dir = user_cache_dir("dev");
	if (!dir)
		return NULL;
	char *p = xasprintf("%s/dev-%016llx.jsonl", dir, h);
	free(dir);
	return p;
}

/* Parses the decimal at *p (advancing it); 0 when there is none. */
static unsigned long number(const char **p, const char *end)
{
	unsigned long v = 0;
	const char *s = *p;
	while (*p < end && **p >= '0' && **p <= '9' && v < 100000000)
		v = v * 10 + (unsigned long)(*(*p)++ - '0');
	return *p > s ? v : 0;
}

json_t *devfeed_parse_errors(const char *text, size_t len, const char *dir)
{
	json_t *a = json_array();
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		/* FILE.go:LINE[:COL]: message */
		const char *go = NULL;
		for (const char *q = p; q + 4 <= le; q++)
			if (!memcmp(q, ".go:", 4)) {
				go = q;
				break;
			}
		if (go && go > p && *p != '#' && *p != ' ' && *p != '\t') {
			const char *q = go + 4;
			unsigned long line = number(&q, le), col = 0;
			if (line && q < le && *q == ':') {
				q++;
				const char *c = q;
				col = number(&q, le);
				if (col && q < le && *q == ':')
					q++;
				else if (!col)
					q = c;
				else { /* "L:2text": the digits were the message's */
					col = 0;
					q = c;
				}
				while (q < le && *q == ' ')
					q++;
				char *file = xstrndup(p, (size_t)(go + 3 - p));
				char *abs = path_join_clean(dir, file);
				char *msg = xstrndup(q, (size_t)(le - q));
				json_array_append_new(a, json_pack("{s:o, s:I, s:I, s:o}", "file",
				                                   json_string_lossy(abs), "line",
				                                   (json_int_t)line, "col",
				                                   (json_int_t)col, "message",
				                                   json_string_lossy(msg)));
				free(file);
				free(abs);
				free(msg);
			}
		}
		p = nl ? nl + 1 : end;
	}
	return a;
}
