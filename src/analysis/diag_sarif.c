/*
 * diag_sarif.c - see diag.h: the report documents of golive check, JSON
 * (golive's own schema, docs/check.md) and SARIF 2.1.0 (as GitHub code
 * scanning reads it), both built with jansson.
 */
#define _GNU_SOURCE
#include "analysis/diag.h"
#include "core/jsonl.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define SRCROOT      "%SRCROOT%"

static void set_str(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, json_string_lossy(s));
}

/* ---- golive's JSON ------------------------------------------------------- */

static json_t *problems_json(const struct diag_report *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->nproblems; i++) {
		const struct diag_problem *p = &r->problems[i];
		json_t *o = json_object();
		set_str(o, p->kind, p->name);
		set_str(o, "message", p->message);
		json_array_append_new(a, o);
	}
	return a;
}

json_t *diag_report_json(const struct diag_report *r)
{
	json_t *doc = json_object(), *diags = json_array();

	json_object_set_new(doc, "version", json_integer(1));
	for (size_t i = 0; i < r->diags->n; i++) {
		const struct diag *d = &r->diags->v[i];
		json_t *o = json_object();
		set_str(o, "file", d->file);
		json_object_set_new(o, "line", json_integer(d->line));
		json_object_set_new(o, "col", json_integer(d->col));
		set_str(o, "analyzer", d->analyzer);
		set_str(o, "severity", severity_name(d->severity));
		set_str(o, "message", d->message);
		if (d->end_line) {
			json_object_set_new(o, "end_line", json_integer(d->end_line));
			json_object_set_new(o, "end_col", json_integer(d->end_col));
		}
		if (d->fix)
			json_object_set_new(o, "fix", diag_fix_to_json(d->fix));
		json_array_append_new(diags, o);
	}
	json_object_set_new(doc, "diagnostics", diags);
	json_object_set_new(doc, "files", json_integer((json_int_t)r->files));
	json_object_set_new(doc, "generated", json_integer((json_int_t)r->generated));
	json_object_set_new(doc, "packages", json_integer((json_int_t)r->packages));
	json_object_set_new(doc, "errors", problems_json(r));
	return doc;
}

/* Appends the dump of jansson value v (consumed), its lines indented by indent more spaces. */
static void add_dump(struct strbuf *sb, json_t *v, size_t flags, int indent)
{
	char *t = json_dumps(v, flags | JSON_ENCODE_ANY);
	json_decref(v);
	if (!t)
		BUG("jansson could not dump a value");
	for (const char *p = t; *p; p++) {
		strbuf_addch(sb, *p);
		for (int i = 0; *p == '\n' && i < indent; i++)
			strbuf_addch(sb, ' ');
	}
	free(t);
}

/*
 * Appends s as jansson writes json_string_lossy(s): a string of printable
 * ASCII without quotes or backslashes needs no escapes and is copied; any
 * other goes through jansson.
 */
static void add_json_str(struct strbuf *sb, const char *s)
{
	const char *p = s;
	while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
		p++;
	if (*p) {
		add_dump(sb, json_string_lossy(s), 0, 0);
		return;
	}
	strbuf_addch(sb, '"');
	strbuf_add(sb, s, (size_t)(p - s));
	strbuf_addch(sb, '"');
}

/* Appends v in decimal, as jansson prints an integer. */
static void add_uint(struct strbuf *sb, unsigned v)
{
	char buf[16], *p = buf + sizeof(buf);
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	strbuf_add(sb, p, (size_t)(buf + sizeof(buf) - p));
}

/*
 * The text of json_dumpf(diag_report_json(r), JSON_INDENT(2) |
 * JSON_PRESERVE_ORDER) without the document in memory: a diagnostic at a
 * time, the file name encoded once for a run of diagnostics in one file.
 */
void diag_report_json_write(const struct diag_report *r, struct strbuf *sb)
{
	const char *file = NULL;
	struct strbuf efile = STRBUF_INIT;
	strbuf_addstr(sb, "{\n  \"version\": 1,\n  \"diagnostics\": [");
	for (size_t i = 0; i < r->diags->n; i++) {
		const struct diag *d = &r->diags->v[i];
		if (!file || strcmp(file, d->file) != 0) {
			file = d->file;
			strbuf_reset(&efile);
			add_json_str(&efile, file);
		}
		strbuf_addstr(sb, i ? ",\n    {\n      \"file\": " : "\n    {\n      \"file\": ");
		strbuf_add(sb, efile.buf, efile.len);
		strbuf_addstr(sb, ",\n      \"line\": ");
		add_uint(sb, d->line);
		strbuf_addstr(sb, ",\n      \"col\": ");
		add_uint(sb, d->col);
		strbuf_addstr(sb, ",\n      \"analyzer\": ");
		add_json_str(sb, d->analyzer);
		strbuf_addstr(sb, ",\n      \"severity\": ");
		add_json_str(sb, severity_name(d->severity));
		strbuf_addstr(sb, ",\n      \"message\": ");
		add_json_str(sb, d->message);
		if (d->end_line) {
			strbuf_addstr(sb, ",\n      \"end_line\": ");
			add_uint(sb, d->end_line);
			strbuf_addstr(sb, ",\n      \"end_col\": ");
			add_uint(sb, d->end_col);
		}
		if (d->fix) {
			strbuf_addstr(sb, ",\n      \"fix\": ");
			add_dump(sb, diag_fix_to_json(d->fix), JSON_INDENT(2) | JSON_PRESERVE_ORDER,
			         6);
		}
		strbuf_addstr(sb, "\n    }");
	}
	strbuf_addstr(sb, r->diags->n ? "\n  ],\n" : "],\n");
	strbuf_addf(sb, "  \"files\": %zu,\n  \"generated\": %zu,\n  \"packages\": %zu,\n",
	            r->files, r->generated, r->packages);
	strbuf_addstr(sb, "  \"errors\": ");
	add_dump(sb, problems_json(r), JSON_INDENT(2) | JSON_PRESERVE_ORDER, 2);
	strbuf_addstr(sb, "\n}");
	strbuf_release(&efile);
}

/* ---- SARIF 2.1.0 --------------------------------------------------------- */

static const char *sarif_level(enum severity s)
{
	switch (s) {
	case SEV_ERROR:
		return "error";
	case SEV_WARNING:
		return "warning";
	case SEV_INFO:
		break;
	}
	return "note";
}

/* Appends s percent-encoded as a URI path: unreserved characters and '/' stay. */
static void add_uri_path(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
			strbuf_addch(sb, (char)*p);
		} else {
			strbuf_addch(sb, '%');
			strbuf_addch(sb, hex[*p >> 4]);
			strbuf_addch(sb, hex[*p & 15]);
		}
	}
}

/* The artifactLocation of a diagnostic's file. */
static json_t *artifact_location(const struct diag_report *r, const char *file)
{
	json_t *loc = json_object();
	struct strbuf uri = STRBUF_INIT;

	if (file[0] != '/' && !starts_with(file, "../") && strcmp(file, "..") != 0) {
		add_uri_path(&uri, starts_with(file, "./") ? file + 2 : file);
		set_str(loc, "uri", uri.buf);
		set_str(loc, "uriBaseId", SRCROOT);
	} else {
		char *abs = path_join_clean(r->srcroot ? r->srcroot : "", file);
		strbuf_addstr(&uri, "file://");
		add_uri_path(&uri, abs);
		set_str(loc, "uri", uri.buf);
		free(abs);
	}
	strbuf_release(&uri);
	return loc;
}

static json_t *rule_json(const struct diag_rule *rule)
{
	json_t *o = json_object(), *sd = json_object(), *cfg = json_object();

	set_str(o, "id", rule->id);
	set_str(o, "name", rule->id);
	set_str(sd, "text", rule->doc && *rule->doc ? rule->doc : rule->id);
	json_object_set_new(o, "shortDescription", sd);
	set_str(cfg, "level", sarif_level(rule->severity));
	json_object_set_new(o, "defaultConfiguration", cfg);
	if (rule->help_uri)
		set_str(o, "helpUri", rule->help_uri);
	return o;
}

struct rule_table {
	ARRAY(const char *) ids; /* index = ruleIndex */
};

static long rule_index(const struct rule_table *t, const char *id)
{
	for (size_t i = 0; i < t->ids.n; i++)
		if (strcmp(t->ids.v[i], id) == 0)
			return (long)i;
	return -1;
}

/* result.fixes: one fix, one artifactChange of d's file, a replacement per edit. */
static json_t *sarif_fixes(const struct diag_report *r, const struct diag *d)
{
	json_t *fixes = json_array(), *fix = json_object(), *desc = json_object();
	json_t *changes = json_array(), *change = json_object(), *reps = json_array();

	set_str(desc, "text", d->fix->title ? d->fix->title : "");
	json_object_set_new(fix, "description", desc);
	json_object_set_new(change, "artifactLocation", artifact_location(r, d->file));
	for (size_t i = 0; i < d->fix->nedits; i++) {
		const struct diag_edit *e = &d->fix->edits[i];
		json_t *rep = json_object(), *del = json_object(), *ins = json_object();
		json_object_set_new(del, "startLine", json_integer(e->line));
		json_object_set_new(del, "startColumn", json_integer(e->col));
		json_object_set_new(del, "endLine", json_integer(e->end_line));
		json_object_set_new(del, "endColumn", json_integer(e->end_col));
		json_object_set_new(rep, "deletedRegion", del);
		set_str(ins, "text", e->text ? e->text : "");
		json_object_set_new(rep, "insertedContent", ins);
		json_array_append_new(reps, rep);
	}
	json_object_set_new(change, "replacements", reps);
	json_array_append_new(changes, change);
	json_object_set_new(fix, "artifactChanges", changes);
	json_array_append_new(fixes, fix);
	return fixes;
}

json_t *diag_report_sarif(const struct diag_report *r)
{
	json_t *log = json_object(), *runs = json_array(), *run = json_object();
	json_t *tool = json_object(), *driver = json_object(), *rules = json_array();
	json_t *results = json_array();
	struct rule_table t = {ARRAY_INIT};

	set_str(log, "$schema", SARIF_SCHEMA);
	set_str(log, "version", "2.1.0");

	set_str(driver, "name", "golive");
	set_str(driver, "version", GOLIVE_VERSION_STRING);
	set_str(driver, "semanticVersion", GOLIVE_VERSION_STRING);
	for (size_t i = 0; i < r->nrules; i++) {
		if (rule_index(&t, r->rules[i].id) >= 0)
			continue;
		ARRAY_PUSH(t.ids, r->rules[i].id);
		json_array_append_new(rules, rule_json(&r->rules[i]));
	}
	/* A rule for every analyzer a result names, so that each ruleIndex resolves. */
	for (size_t i = 0; i < r->diags->n; i++) {
		const struct diag *d = &r->diags->v[i];
		if (rule_index(&t, d->analyzer) >= 0)
			continue;
		struct diag_rule bare = {d->analyzer, NULL, d->severity, NULL};
		ARRAY_PUSH(t.ids, d->analyzer);
		json_array_append_new(rules, rule_json(&bare));
	}
	json_object_set_new(driver, "rules", rules);
	json_object_set_new(tool, "driver", driver);
	json_object_set_new(run, "tool", tool);

	json_t *inv = json_object(), *notes = json_array();
	json_object_set_new(inv, "executionSuccessful", json_true());
	for (size_t i = 0; i < r->nproblems; i++) {
		const struct diag_problem *p = &r->problems[i];
		json_t *n = json_object(), *msg = json_object();
		char *text = xasprintf("%s %s: %s", p->kind, p->name, p->message);
		set_str(n, "level", "warning");
		set_str(msg, "text", text);
		json_object_set_new(n, "message", msg);
		json_array_append_new(notes, n);
		free(text);
	}
	json_object_set_new(inv, "toolExecutionNotifications", notes);
	json_t *invs = json_array();
	json_array_append_new(invs, inv);
	json_object_set_new(run, "invocations", invs);

	if (r->srcroot && r->srcroot[0] == '/') {
		json_t *bases = json_object(), *root = json_object();
		struct strbuf uri = STRBUF_INIT;
		strbuf_addstr(&uri, "file://");
		add_uri_path(&uri, r->srcroot);
		if (uri.buf[uri.len - 1] != '/')
			strbuf_addch(&uri, '/');
		set_str(root, "uri", uri.buf);
		json_object_set_new(bases, SRCROOT, root);
		json_object_set_new(run, "originalUriBaseIds", bases);
		strbuf_release(&uri);
	}

	for (size_t i = 0; i < r->diags->n; i++) {
		const struct diag *d = &r->diags->v[i];
		json_t *res = json_object(), *msg = json_object(), *locs = json_array();
		json_t *loc = json_object(), *phys = json_object(), *region = json_object();

		set_str(res, "ruleId", d->analyzer);
		json_object_set_new(res, "ruleIndex", json_integer(rule_index(&t, d->analyzer)));
		set_str(res, "level", sarif_level(d->severity));
		set_str(msg, "text", d->message);
		json_object_set_new(res, "message", msg);
		json_object_set_new(phys, "artifactLocation", artifact_location(r, d->file));
		json_object_set_new(region, "startLine", json_integer(d->line ? d->line : 1));
		json_object_set_new(region, "startColumn", json_integer(d->col ? d->col : 1));
		if (d->end_line >= d->line && d->end_line) {
			json_object_set_new(region, "endLine", json_integer(d->end_line));
			json_object_set_new(region, "endColumn",
			                    json_integer(d->end_col ? d->end_col : 1));
		}
		json_object_set_new(phys, "region", region);
		json_object_set_new(loc, "physicalLocation", phys);
		json_array_append_new(locs, loc);
		json_object_set_new(res, "locations", locs);
		if (d->fix)
			json_object_set_new(res, "fixes", sarif_fixes(r, d));
		if (r->baselined && r->baselined[i]) {
			json_t *sup = json_array(), *one = json_object();
			set_str(one, "kind", "external");
			set_str(one, "justification", "in the baseline file");
			json_array_append_new(sup, one);
			json_object_set_new(res, "suppressions", sup);
		}
		json_array_append_new(results, res);
	}
	json_object_set_new(run, "results", results);
	set_str(run, "columnKind", "utf16CodeUnits");
	json_array_append_new(runs, run);
	json_object_set_new(log, "runs", runs);
	ARRAY_FREE(t.ids);
	return log;
}
