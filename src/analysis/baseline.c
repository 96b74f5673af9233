/* baseline.c - see baseline.h. */
#include "analysis/baseline.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "core/jsonl.h"

#define MAX_SOURCE   (16u << 20)
#define MAX_BASELINE (256u << 20)

/* Feeds s[0, n) with every run of blanks (space, tab, CR) as one space, trimmed. */
static void hash_normalised(XXH64_state_t *st, const char *s, size_t n)
{
	int blank = 0, any = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			blank = 1;
			continue;
		}
		if (blank && any)
			XXH64_update(st, " ", 1);
		blank = 0;
		any = 1;
		XXH64_update(st, &c, 1);
	}
	XXH64_update(st, "", 1);
}

/* The start of 1-based line l of src (starts: line offsets), or NULL. */
static const char *line_at(const char *src, const size_t *starts, size_t nlines, unsigned l,
                           size_t *len, size_t total)
{
	size_t s, e;
	if (l < 1 || l > nlines)
		return NULL;
	s = starts[l - 1];
	e = l < nlines ? starts[l] : total;
	*len = e - s;
	return src + s;
}

static uint64_t key_hash(const struct diag *d, const char *src, size_t len, const size_t *starts,
                         size_t nlines)
{
	XXH64_state_t st;
	size_t n;
	const char *p;
	unsigned last = d->end_line >= d->line ? d->end_line : d->line;

	XXH64_reset(&st, 0);
	XXH64_update(&st, d->analyzer, strlen(d->analyzer) + 1);
	XXH64_update(&st, d->file, strlen(d->file) + 1);
	if (!src) {
		XXH64_update(&st, d->message, strlen(d->message) + 1);
		return XXH64_digest(&st);
	}
	/* the enclosing function: the nearest line above starting with "func " */
	for (unsigned l = d->line; l >= 1; l--) {
		p = line_at(src, starts, nlines, l, &n, len);
		if (p && n >= 5 && !memcmp(p, "func ", 5)) {
			hash_normalised(&st, p, n);
			break;
		}
	}
	XXH64_update(&st, "\n", 1);
	if (last > d->line + 50) /* a finding over a whole function: its first lines */
		last = d->line + 50;
	for (unsigned l = d->line; l <= last; l++)
		if ((p = line_at(src, starts, nlines, l, &n, len)))
			hash_normalised(&st, p, n);
	return XXH64_digest(&st);
}

void baseline_hashes(const diag_array *diags, uint64_t *hashes)
{
	struct strbuf src = STRBUF_INIT;
	ARRAY(size_t) starts = ARRAY_INIT;
	const char *loaded = NULL;
	int ok = 0;

	for (size_t i = 0; i < diags->n; i++) {
		const struct diag *d = &diags->v[i];
		if (!loaded || strcmp(loaded, d->file)) {
			strbuf_reset(&src);
			starts.n = 0;
			ok = strbuf_read_file(&src, d->file, MAX_SOURCE) == 0;
			loaded = d->file;
			if (ok) {
				ARRAY_PUSH(starts, (size_t)0);
				for (size_t k = 0; k < src.len; k++)
					if (src.buf[k] == '\n')
						ARRAY_PUSH(starts, k + 1);
			}
		}
		hashes[i] = key_hash(d, ok ? src.buf : NULL, src.len, starts.v, starts.n);
	}
	strbuf_release(&src);
	ARRAY_FREE(starts);
}

struct entry {
	const char *analyzer, *file, *message;
	uint64_t hash;
	size_t count;
};

static int cmp_entry(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	int c = strcmp(a->file, b->file);
	if (!c)
		c = strcmp(a->analyzer, b->analyzer);
	if (!c)
		c = (a->hash > b->hash) - (a->hash < b->hash);
	return c;
}

static int dump_to(const char *buf, size_t size, void *data)
{
	strbuf_add(data, buf, size);
	return 0;
}

int baseline_write(const char *path, const diag_array *diags, char **cause)
{
	uint64_t *h = xcalloc(diags->n + 1, sizeof(*h));
	struct entry *e = xcalloc(diags->n + 1, sizeof(*e));
	size_t n = 0;
	json_t *doc = json_object(), *arr = json_array();
	struct strbuf out = STRBUF_INIT;
	int ret;

	baseline_hashes(diags, h);
	for (size_t i = 0; i < diags->n; i++) {
		struct entry x = {diags->v[i].analyzer, diags->v[i].file, diags->v[i].message, h[i],
		                  1};
		e[n++] = x;
	}
	if (n)
		qsort(e, n, sizeof(*e), cmp_entry);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && !cmp_entry(&e[i], &e[j]))
			j++;
		json_t *o = json_object();
		char hex[17];
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)e[i].hash);
		json_object_set_new(o, "analyzer", json_string_lossy(e[i].analyzer));
		json_object_set_new(o, "file", json_string_lossy(e[i].file));
		json_object_set_new(o, "hash", json_string(hex));
		json_object_set_new(o, "count", json_integer((json_int_t)(j - i)));
		json_object_set_new(o, "message", json_string_lossy(e[i].message));
		json_array_append_new(arr, o);
		i = j;
	}
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "findings", arr);
	json_dump_callback(doc, dump_to, &out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	strbuf_addch(&out, '\n');
	json_decref(doc);
	ret = file_replace(path, out.buf, out.len);
	if (ret < 0)
		*cause = xasprintf("%s: %s", path, strerror(errno));
	strbuf_release(&out);
	free(h);
	free(e);
	return ret < 0 ? -1 : 0;
}

int baseline_match(const char *path, const diag_array *diags, unsigned char *in_baseline,
                   char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	json_error_t jerr;
	json_t *doc = NULL, *arr, *o;
	struct entry *e = NULL;
	uint64_t *h = NULL;
	size_t n = 0, i;
	int ret = -1;

	memset(in_baseline, 0, diags->n);
	if (strbuf_read_file(&sb, path, MAX_BASELINE) < 0) {
		*cause = xasprintf("%s: %s", path, file_strerror(errno));
		goto out;
	}
	doc = json_loadb(sb.buf, sb.len, 0, &jerr);
	arr = doc ? json_object_get(doc, "findings") : NULL;
	if (!doc || !json_is_array(arr) ||
	    json_integer_value(json_object_get(doc, "version")) != 1) {
		*cause = doc ? xasprintf("%s: not a golive baseline (version 1, findings)", path)
		             : xasprintf("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	e = xcalloc(json_array_size(arr) + 1, sizeof(*e));
	json_array_foreach(arr, i, o)
	{
		const char *an = json_string_value(json_object_get(o, "analyzer"));
		const char *file = json_string_value(json_object_get(o, "file"));
		const char *hex = json_string_value(json_object_get(o, "hash"));
		json_int_t count = json_integer_value(json_object_get(o, "count"));
		char *end = NULL;
		if (!an || !file || !hex || strlen(hex) != 16 || count < 1) {
			*cause = xasprintf("%s: findings[%zu]: want analyzer, file, hash (16 hex "
			                   "digits) and count",
			                   path, i);
			goto out;
		}
		e[n].analyzer = an;
		e[n].file = file;
		e[n].hash = strtoull(hex, &end, 16);
		e[n].count = (size_t)count;
		if (!end || *end) {
			*cause = xasprintf("%s: findings[%zu]: hash is not 16 hex digits", path, i);
			goto out;
		}
		n++;
	}
	if (n)
		qsort(e, n, sizeof(*e), cmp_entry);
	h = xcalloc(diags->n + 1, sizeof(*h));
	baseline_hashes(diags, h);
	for (i = 0; i < diags->n; i++) {
		struct entry key = {diags->v[i].analyzer, diags->v[i].file, NULL, h[i], 0};
		struct entry *hit = n ? bsearch(&key, e, n, sizeof(*e), cmp_entry) : NULL;
		if (hit && hit->count) {
			hit->count--;
			in_baseline[i] = 1;
		}
	}
	ret = 0;
out:
	free(e);
	free(h);
	json_decref(doc);
	strbuf_release(&sb);
	return ret;
}
