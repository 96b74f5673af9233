/* jsonl.c - see jsonl.h. */
#include "core/jsonl.h"
#include "core/util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>
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

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	unsigned cp = c & (0xff >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

json_t *json_string_lossy(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq((const unsigned char *)s + i, n - i);
		if (k) {
			strbuf_add(&sb, s + i, k);
			i += k;
		} else {
			strbuf_addstr(&sb, "\xef\xbf\xbd");
			i++;
		}
	}
	j = json_string(sb.buf ? sb.buf : "");
	strbuf_release(&sb);
	return j ? j : json_string("");
}

int jsonl_write_file(json_t *o, const char *dir, const char *name, char **cause)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *tmp = xasprintf("%s.tmp", path);
	int rc = json_dump_file(o, tmp, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0) {
		*cause = xasprintf("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(path);
	free(tmp);
	return rc < 0 ? -1 : 0;
}
