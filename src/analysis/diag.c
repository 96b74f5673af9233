/* diag.c - see diag.h. */
#define _GNU_SOURCE
#include "analysis/diag.h"

#include <jansson.h>

#include "core/jsonl.h"
#include <stdlib.h>
#include <string.h>

void diag_push(diag_array *a, const char *file, unsigned line, unsigned col, const char *analyzer,
               enum severity sev, const char *message)
{
	struct diag d;
	d.file = xstrdup(file);
	d.line = line;
	d.col = col;
	d.analyzer = xstrdup(analyzer);
	d.severity = sev;
	d.message = xstrdup(message);
	d.end_line = 0;
	d.end_col = 0;
	d.fix = NULL;
	ARRAY_PUSH(*a, d);
}

void diag_fix_free(struct diag_fix *fix)
{
	if (!fix)
		return;
	for (size_t i = 0; i < fix->nedits; i++)
		free(fix->edits[i].text);
	free(fix->edits);
	free(fix->title);
	free(fix);
}

void diag_release(struct diag *d)
{
	diag_fix_free(d->fix);
	free(d->file);
	free(d->analyzer);
	free(d->message);
	memset(d, 0, sizeof(*d));
}

void diag_array_release(diag_array *a)
{
	for (size_t i = 0; i < a->n; i++)
		diag_release(&a->v[i]);
	ARRAY_FREE(*a);
}

static int cmp_diag(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;
	int c = strcmp(a->file, b->file);
	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	c = strcmp(a->analyzer, b->analyzer);
	return c ? c : strcmp(a->message, b->message);
}

void diag_sort_unique(diag_array *a)
{
	if (a->n < 2)
		return;
	qsort(a->v, a->n, sizeof(*a->v), cmp_diag);
	size_t w = 1;
	for (size_t r = 1; r < a->n; r++) {
		if (cmp_diag(&a->v[r], &a->v[w - 1]) == 0)
			diag_release(&a->v[r]);
		else
			a->v[w++] = a->v[r];
	}
	a->n = w;
}

int diag_fails(const diag_array *a, enum fail_on fail_on)
{
	if (fail_on == FAIL_NEVER)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if ((int)a->v[i].severity >= (fail_on == FAIL_ERROR ? SEV_ERROR : SEV_WARNING))
			return 1;
	return 0;
}

static const char *const sev_names[] = {"info", "warning", "error"};
static const char *const fail_names[] = {"never", "warning", "error"};

const char *severity_name(enum severity s)
{
	return (unsigned)s < ARRAY_SIZE(sev_names) ? sev_names[s] : "error";
}

int severity_parse(const char *s, enum severity *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(sev_names); i++)
		if (strcmp(s, sev_names[i]) == 0) {
			*out = (enum severity)i;
			return 0;
		}
	return -1;
}

const char *fail_on_name(enum fail_on f)
{
	return (unsigned)f < ARRAY_SIZE(fail_names) ? fail_names[f] : "never";
}

int fail_on_parse(const char *s, enum fail_on *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(fail_names); i++)
		if (strcmp(s, fail_names[i]) == 0) {
			*out = (enum fail_on)i;
			return 0;
		}
	return -1;
}

const char *diag_display_path(const struct diag *d, const char *cwd)
{
	size_t n = cwd ? strlen(cwd) : 0;
	if (n && d->file[0] == '/' && strncmp(d->file, cwd, n) == 0 && d->file[n] == '/')
		return d->file + n + 1;
	return d->file;
}

void diag_print_text(const struct diag *d, FILE *f, const char *cwd)
{
	/* A path or message with a control character cannot make a line of its own. */
	struct strbuf path = STRBUF_INIT, msg = STRBUF_INIT;
	strbuf_add_printable(&path, diag_display_path(d, cwd), 1);
	strbuf_add_printable(&msg, d->message, 0);
	fprintf(f, "%s:%u:%u: [%s] %s\n", path.buf, d->line, d->col, d->analyzer, msg.buf);
	strbuf_release(&path);
	strbuf_release(&msg);
}

/* A fix as JSON: {"title", "safe", "edits": [{line, col, end_line, end_col, text}]}. */
json_t *diag_fix_to_json(const struct diag_fix *fix)
{
	json_t *o = json_object(), *edits = json_array();
	json_object_set_new(o, "title", json_string_lossy(fix->title ? fix->title : ""));
	json_object_set_new(o, "safe", json_boolean(fix->safe));
	for (size_t i = 0; i < fix->nedits; i++) {
		const struct diag_edit *e = &fix->edits[i];
		json_t *x = json_object();
		json_object_set_new(x, "line", json_integer(e->line));
		json_object_set_new(x, "col", json_integer(e->col));
		json_object_set_new(x, "end_line", json_integer(e->end_line));
		json_object_set_new(x, "end_col", json_integer(e->end_col));
		json_object_set_new(x, "text", json_string_lossy(e->text ? e->text : ""));
		json_array_append_new(edits, x);
	}
	json_object_set_new(o, "edits", edits);
	return o;
}

json_t *diag_to_json(const struct diag *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", json_string(d->file));
	json_object_set_new(o, "line", json_integer(d->line));
	json_object_set_new(o, "col", json_integer(d->col));
	json_object_set_new(o, "analyzer", json_string(d->analyzer));
	json_object_set_new(o, "severity", json_string(severity_name(d->severity)));
	json_object_set_new(o, "message", json_string(d->message));
	if (d->end_line) {
		json_object_set_new(o, "end_line", json_integer(d->end_line));
		json_object_set_new(o, "end_col", json_integer(d->end_col));
	}
	if (d->fix)
		json_object_set_new(o, "fix", diag_fix_to_json(d->fix));
	return o;
}

/* A JSON integer in [0, UINT_MAX] into *out; -1 otherwise. */
static int get_uint(json_t *v, unsigned *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return -1;
	*out = (unsigned)json_integer_value(v);
	return 0;
}

struct diag_fix *diag_fix_from_json(json_t *o)
{
	json_t *edits = json_object_get(o, "edits"), *x;
	const char *title = json_string_value(json_object_get(o, "title"));
	json_t *safe = json_object_get(o, "safe");
	struct diag_fix *fix;
	size_t i;

	if (!json_is_object(o) || !title || !json_is_boolean(safe) || !json_is_array(edits))
		return NULL;
	fix = xcalloc(1, sizeof(*fix));
	fix->title = xstrdup(title);
	fix->safe = json_is_true(safe);
	fix->edits = xcalloc(json_array_size(edits) + 1, sizeof(*fix->edits));
	json_array_foreach(edits, i, x)
	{
		struct diag_edit *e = &fix->edits[fix->nedits];
		const char *text = json_string_value(json_object_get(x, "text"));
		if (!text || get_uint(json_object_get(x, "line"), &e->line) ||
		    get_uint(json_object_get(x, "col"), &e->col) ||
		    get_uint(json_object_get(x, "end_line"), &e->end_line) ||
		    get_uint(json_object_get(x, "end_col"), &e->end_col)) {
			diag_fix_free(fix);
			return NULL;
		}
		e->text = xstrdup(text);
		fix->nedits++;
	}
	return fix;
}

int diag_from_json(struct diag *d, json_t *o, char **cause)
{
	const char *file = json_string_value(json_object_get(o, "file"));
	const char *an = json_string_value(json_object_get(o, "analyzer"));
	const char *sev = json_string_value(json_object_get(o, "severity"));
	const char *msg = json_string_value(json_object_get(o, "message"));
	json_t *line = json_object_get(o, "line"), *col = json_object_get(o, "col");
	json_t *el = json_object_get(o, "end_line"), *ec = json_object_get(o, "end_col");
	json_t *fix = json_object_get(o, "fix");
	enum severity s;
	memset(d, 0, sizeof(*d));
	if (!json_is_object(o) || !file || !an || !sev || !msg || !json_is_integer(line) ||
	    !json_is_integer(col) || severity_parse(sev, &s) < 0 || json_integer_value(line) < 0 ||
	    json_integer_value(col) < 0 || (el && get_uint(el, &d->end_line)) ||
	    (ec && get_uint(ec, &d->end_col))) {
		*cause = xstrdup("diagnostic: missing or malformed field");
		return -1;
	}
	if (fix && !(d->fix = diag_fix_from_json(fix))) {
		*cause = xstrdup("diagnostic: malformed fix");
		return -1;
	}
	d->file = xstrdup(file);
	d->analyzer = xstrdup(an);
	d->message = xstrdup(msg);
	d->severity = s;
	d->line = (unsigned)json_integer_value(line);
	d->col = (unsigned)json_integer_value(col);
	return 0;
}
