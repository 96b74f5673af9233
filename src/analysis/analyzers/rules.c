/*
 * rules.c - user rules: see rules.h and docs/config.md.
 *
 * Every enabled rule's text goes into one tree-sitter query (a pattern
 * knows its rule by where it starts), loaded from a blob when one is stored
 * (tsquery_blob.h); when that text does not compile, or a pattern crosses
 * two rules' texts, each rule is compiled alone, which also tells which one
 * is wrong. tree-sitter's core parses predicates but does not evaluate
 * them, so they are checked and compiled here (regular expressions with
 * POSIX regcomp) and evaluated per match. A pattern that captures nothing
 * gets a capture of its node (SYNTH_CAPTURE, written into the query text
 * before it is compiled), so that every match carries a node to report at;
 * the patterns of a rule with a fix get FIX_CAPTURE on their node: the
 * node the fix replaces.
 */
#define _GNU_SOURCE
#include "analysis/analyzers/rules.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include "analysis/anacache.h"
#include "analysis/tsquery_blob.h"
#include "core/pathmatch.h"

#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const TSLanguage *tree_sitter_go(void);

#define SYNTH_CAPTURE "_golive_node"
#define MATCH_LIMIT   256 /* in-progress matches per query cursor */
#define CAPTURE_MAX   80  /* bytes of captured text quoted in a message */

enum pred_op { PRED_EQ, PRED_MATCH, PRED_ANY_OF };

struct pred {
	enum pred_op op;
	int negate;
	uint32_t capture;                 /* the capture tested (the first argument) */
	int other;                        /* PRED_EQ: the capture compared with, or -1 for str */
	const char *str;                  /* PRED_EQ: the string (owned by the query) */
	uint32_t str_len;                 /* PRED_EQ */
	regex_t re;                       /* PRED_MATCH */
	const TSQueryPredicateStep *args; /* PRED_ANY_OF: the strings */
	uint32_t nargs;                   /* PRED_ANY_OF */
};

struct pattern {
	struct pred *preds;
	size_t npreds;
	int report;  /* capture to report at, or -1: the synthetic one, else the first captured */
	size_t rule; /* the rule it belongs to (index into rules.v) */
};

struct msg_part {
	const char *text; /* literal text (into the rule's message), when capture < 0 */
	size_t len;
	int capture; /* a capture quoted by {{name}}, or -1 */
};

struct msg_part_array {
	struct msg_part *v;
	size_t n, alloc;
};

struct rule {
	const struct rule_spec *spec;
	size_t index;         /* in the settings' rules (for messages) */
	const TSQuery *query; /* the query its patterns are in (rules.queries) */
	int synth;            /* the id of SYNTH_CAPTURE in it, or -1 */
	int fixcap;           /* the id of FIX_CAPTURE (the node a fix replaces), or -1 */
	struct msg_part_array parts;
	struct msg_part_array fix; /* the fix template's, when the rule has one */
};

/* One compiled query and its patterns: all rules in one, or (fallback) one per rule. */
struct qgroup {
	TSQuery *query;
	struct pattern *patterns;
	uint32_t npatterns;
};

struct rules {
	atomic_int refs;
	struct rule *v;
	size_t n;
	struct qgroup *groups;
	size_t ngroups;
	int from_blob; /* the combined query came from a stored blob */
};

struct rules_runner {
	struct rules *rules;
	TSQueryCursor *cursor;
	struct strbuf buf;     /* scratch: text for regexec, the message */
	ARRAY(TSRange) errors; /* the outermost ERROR nodes of the file being run */
};

/* ---- positions -------------------------------------------------------- */

/* The 1-based YAML line and column of byte off of spec's query. */
static void query_position(const struct rule_spec *spec, uint32_t off, unsigned *line,
                           unsigned *col)
{
	unsigned l = spec->line ? spec->line : 1, c = spec->col ? spec->col : 1;
	size_t line_start = 0, nl = 0;

	if (!spec->block) {
		*line = l;
		*col = c + off;
		return;
	}
	for (size_t i = 0; i < off && spec->query[i]; i++)
		if (spec->query[i] == '\n') {
			nl++;
			line_start = i + 1;
		}
	*line = l + (unsigned)nl;
	*col = (nl ? spec->indent + 1 : c) + (unsigned)(off - line_start);
}

/* Sets *cause to "PATH:LINE:COL: rules[i] (ID): <fmt>" for byte off of the query. */
static void fail(char **cause, const struct rule_spec *spec, size_t i, uint32_t off,
                 const char *fmt, ...) PRINTF_LIKE(5, 6);
static void fail(char **cause, const struct rule_spec *spec, size_t i, uint32_t off,
                 const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	const char *path = "golive.yaml";
	size_t path_len = strlen(path);
	unsigned line, col;
	va_list ap;

	if (spec->where) { /* "PATH:LINE:COL" */
		const char *p = strrchr(spec->where, ':');
		while (p && p > spec->where && p[-1] != ':')
			p--;
		if (p && p > spec->where + 1) {
			path = spec->where;
			path_len = (size_t)(p - 1 - spec->where);
		}
	}
	query_position(spec, off, &line, &col);
	strbuf_add(&sb, path, path_len);
	strbuf_addf(&sb, ":%u:%u: rules[%zu] (%s): ", line, col, i, spec->id ? spec->id : "");
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	*cause = strbuf_detach(&sb, NULL);
}

/* ---- scanning the query text --------------------------------------------- */

static int is_ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '?' || c == '!' || c >= 0x80;
}

/* Past whitespace and ; comments from i. */
static uint32_t skip_space(const char *q, uint32_t i, uint32_t end)
{
	while (i < end) {
		if (q[i] == ';')
			while (i < end && q[i] != '\n')
				i++;
		else if (q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r' ||
		         q[i] == '\f' || q[i] == '\v')
			i++;
		else
			break;
	}
	return i;
}

/* Past the string literal starting at q[i] == '"'. */
static uint32_t skip_string(const char *q, uint32_t i, uint32_t end)
{
	for (i++; i < end && q[i] != '"'; i++)
		if (q[i] == '\\')
			i++;
	return i < end ? i + 1 : end;
}

struct name_ref {
	const char *name;
	uint32_t len;
};
typedef ARRAY(struct name_ref) name_array;
typedef ARRAY(uint32_t) offset_array;

/* Where a synthetic capture goes into a rule's query text (after a top-level pattern's node). */
struct insertion {
	uint32_t at;   /* offset in the user's text */
	unsigned kind; /* INS_SYNTH | INS_FIX */
};
typedef ARRAY(struct insertion) insertion_array;
#define INS_SYNTH 1u /* the pattern captures nothing: SYNTH_CAPTURE reports it */
#define INS_FIX   2u /* the rule has a fix: FIX_CAPTURE marks the node it replaces */

/*
 * Scans one pattern's text q[start, end): the captures it defines, in
 * order of their first appearance outside predicates, and the offset of
 * each predicate's '#'.
 */
static void scan_pattern(const char *q, uint32_t start, uint32_t end, name_array *caps,
                         offset_array *preds)
{
	uint32_t i = start;

	while (i < end) {
		char c = q[i];

		if (c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i = skip_space(q, i, end);
		} else if (c == '"') {
			i = skip_string(q, i, end);
		} else if (c == '(') {
			uint32_t j = skip_space(q, i + 1, end);
			if (j < end && (q[j] == '#' || q[j] == '.')) {
				ARRAY_PUSH(*preds, j);
				for (i = j + 1; i < end && q[i] != ')';)
					if (q[i] == '"')
						i = skip_string(q, i, end);
					else if (q[i] == ';')
						i = skip_space(q, i, end);
					else
						i++;
			} else {
				i++;
			}
		} else if (c == '@') {
			uint32_t j = i + 1, k;
			while (j < end && is_ident_char((unsigned char)q[j]))
				j++;
			for (k = 0; k < caps->n; k++)
				if (caps->v[k].len == j - i - 1 &&
				    !memcmp(caps->v[k].name, q + i + 1, j - i - 1))
					break;
			if (k == caps->n && j > i + 1) {
				struct name_ref r = {q + i + 1, j - i - 1};
				ARRAY_PUSH(*caps, r);
			}
			i = j;
		} else {
			i++;
		}
	}
}

/* An empty string literal "": reported by query_new() as its own kind of error. */
#define QUERY_ERROR_EMPTY_STRING ((TSQueryError)100)

/*
 * Looks for what tree-sitter 0.25.0's ts_query_new() mishandles: a field
 * name (`name:`) that tree-sitter-go does not have (it leaks memory on one:
 * query.c, field_capture_quantifiers) and an empty string literal "" (it
 * hands a NULL pointer to strncmp/memcpy, and takes "" for ERROR). Returns
 * the offset of the first one and sets *e, or UINT32_MAX.
 */
static uint32_t precheck(const char *q, uint32_t len, TSQueryError *e)
{
	uint32_t i = 0;
	char prev = 0; /* the last significant character before an identifier */

	while (i < len) {
		char c = q[i];

		if (c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		    c == '\v') {
			i = skip_space(q, i, len);
			continue;
		}
		if (c == '"' && i + 1 < len && q[i + 1] == '"') {
			*e = QUERY_ERROR_EMPTY_STRING;
			return i;
		}
		if (c == '"') {
			i = skip_string(q, i, len);
		} else if (c == '(' && skip_space(q, i + 1, len) < len &&
		           (q[skip_space(q, i + 1, len)] == '#' ||
		            q[skip_space(q, i + 1, len)] == '.')) {
			for (i = skip_space(q, i + 1, len); i < len && q[i] != ')';) {
				if (q[i] == '"' && i + 1 < len && q[i + 1] == '"') {
					*e = QUERY_ERROR_EMPTY_STRING;
					return i;
				}
				i = q[i] == '"'   ? skip_string(q, i, len)
				    : q[i] == ';' ? skip_space(q, i, len)
				                  : i + 1;
			}
		} else if (is_ident_char((unsigned char)c) && c != '.' && c != '?' && c != '!') {
			uint32_t start = i, j;
			while (i < len && is_ident_char((unsigned char)q[i]))
				i++;
			j = skip_space(q, i, len);
			if (prev != '(' && prev != '@' && prev != '!' && j < len && q[j] == ':' &&
			    !ts_language_field_id_for_name(tree_sitter_go(), q + start,
			                                   i - start)) {
				*e = TSQueryErrorField;
				return start;
			}
		} else {
			i++;
		}
		prev = c;
	}
	return UINT32_MAX;
}

/*
 * ts_query_new(), except that what precheck() finds fails at its offset
 * (or at an earlier error) without the whole text reaching ts_query_new().
 */
static TSQuery *query_new(const char *q, uint32_t len, uint32_t *off, TSQueryError *e)
{
	TSQueryError pe = TSQueryErrorNone;
	uint32_t f = precheck(q, len, &pe);
	TSQuery *t;

	if (f == UINT32_MAX)
		return ts_query_new(tree_sitter_go(), q, len, off, e);
	t = ts_query_new(tree_sitter_go(), q, f, off, e);
	if (t)
		ts_query_delete(t);
	if (t || *off >= f) {
		*off = f;
		*e = pe;
	}
	return NULL;
}

/* The id of capture name[0..len) in query, or -1. */
static int capture_id(const TSQuery *query, const char *name, size_t len)
{
	uint32_t n = ts_query_capture_count(query);

	for (uint32_t i = 0; i < n; i++) {
		uint32_t l;
		const char *s = ts_query_capture_name_for_id(query, i, &l);
		if (l == len && !memcmp(s, name, len))
			return (int)i;
	}
	return -1;
}

/* ---- compiling ----------------------------------------------------------- */

static void group_release(struct qgroup *g)
{
	for (uint32_t p = 0; p < g->npatterns; p++) {
		struct pattern *pat = &g->patterns[p];
		for (size_t i = 0; i < pat->npreds; i++)
			if (pat->preds[i].op == PRED_MATCH)
				regfree(&pat->preds[i].re);
		free(pat->preds);
	}
	free(g->patterns);
	if (g->query)
		ts_query_delete(g->query);
}

static const char *query_error_name(TSQueryError e)
{
	if (e == QUERY_ERROR_EMPTY_STRING)
		return "empty string \"\"";
	switch (e) {
	case TSQueryErrorSyntax:
		return "syntax error";
	case TSQueryErrorNodeType:
		return "unknown node type";
	case TSQueryErrorField:
		return "unknown field";
	case TSQueryErrorCapture:
		return "unknown capture";
	case TSQueryErrorStructure:
		return "impossible pattern";
	case TSQueryErrorLanguage:
		return "incompatible tree-sitter-go grammar";
	default:
		return "invalid";
	}
}

/* "invalid query: unknown node type \"x\"" for the error at q[off]. */
static void describe_query_error(struct strbuf *sb, const char *q, size_t len, uint32_t off,
                                 TSQueryError e)
{
	size_t n = 0;

	strbuf_addf(sb, "invalid query: %s", query_error_name(e));
	if (e != TSQueryErrorNodeType && e != TSQueryErrorField && e != TSQueryErrorCapture)
		return;
	if (off >= len)
		return;
	if (q[off] == '"') /* an anonymous node: "name" */
		n = skip_string(q, off, (uint32_t)len) - off;
	else
		while (off + n < len && is_ident_char((unsigned char)q[off + n]))
			n++;
	if (!n || n > 64)
		return;
	if (q[off] == '"')
		strbuf_addf(sb, " %.*s", (int)n, q + off);
	else
		strbuf_addf(sb, " \"%.*s\"", (int)n, q + off);
}

#define SYNTH_TEXT  "\n@" SYNTH_CAPTURE "\n"
#define FIX_CAPTURE "_golive_fix"
#define FIX_TEXT    "\n@" FIX_CAPTURE "\n"

/* The text insertion ins puts into the query, and its length. */
static const char *insertion_text(const struct insertion *ins, uint32_t *len)
{
	static const char both[] = SYNTH_TEXT FIX_TEXT;
	const char *t = ins->kind == (INS_SYNTH | INS_FIX) ? both
	                : ins->kind == INS_SYNTH           ? SYNTH_TEXT
	                                                   : FIX_TEXT;
	*len = (uint32_t)strlen(t);
	return t;
}

/* Past the identifier at q[i] (tree-sitter's identifier characters). */
static uint32_t skip_ident(const char *q, uint32_t i, uint32_t len)
{
	while (i < len && is_ident_char((unsigned char)q[i]))
		i++;
	return i;
}

/*
 * Where SYNTH_TEXT goes in q: after the node of each top-level pattern that
 * captures nothing (outside its predicates). The split into patterns is
 * tree-sitter's: a node `(...)`, an alternation `[...]`, a string or a
 * wildcard, with an optional `field:` before and quantifiers and captures
 * after. A wrong guess costs no match: captures do not change what matches.
 */
static void synthetic_positions(const char *q, uint32_t len, int fix, insertion_array *pos)
{
	uint32_t i = skip_space(q, 0, len);

	while (i < len) {
		int captured = 0, depth = 0;
		uint32_t node_end;

		if (is_ident_char((unsigned char)q[i]) && q[i] != '.') {
			uint32_t j = skip_ident(q, i, len), k = skip_space(q, j, len);
			i = k < len && q[k] == ':' ? skip_space(q, k + 1, len) : j;
		}
		if (i < len && (q[i] == '(' || q[i] == '[')) {
			do {
				uint32_t k = q[i] == '(' ? skip_space(q, i + 1, len) : i;
				if (q[i] == '(' && k < len && (q[k] == '#' || q[k] == '.')) {
					for (i = k; i < len && q[i] != ')';)
						i = q[i] == '"'   ? skip_string(q, i, len)
						    : q[i] == ';' ? skip_space(q, i, len)
						                  : i + 1;
					i++;
				} else if (q[i] == '(' || q[i] == '[') {
					depth++;
					i++;
				} else if (q[i] == ')' || q[i] == ']') {
					depth--;
					i++;
				} else if (q[i] == '"') {
					i = skip_string(q, i, len);
				} else if (q[i] == ';') {
					i = skip_space(q, i, len);
				} else if (q[i] == '@') {
					captured = 1;
					i = skip_ident(q, i + 1, len);
				} else {
					i++;
				}
			} while (i < len && depth > 0);
		} else if (i < len && q[i] == '"') {
			i = skip_string(q, i, len);
		} else if (i < len && is_ident_char((unsigned char)q[i])) {
			i = skip_ident(q, i, len);
		} else {
			i++;
		}
		node_end = i < len ? i : len;
		for (;;) { /* quantifiers and captures */
			uint32_t k = skip_space(q, i, len);
			if (k < len && (q[k] == '*' || q[k] == '+' || q[k] == '?')) {
				i = k + 1;
			} else if (k < len && q[k] == '@') {
				captured = 1;
				i = skip_ident(q, k + 1, len);
			} else {
				break;
			}
		}
		if (!captured || fix) {
			struct insertion ins = {node_end,
			                        (captured ? 0 : INS_SYNTH) | (fix ? INS_FIX : 0)};
			ARRAY_PUSH(*pos, ins);
		}
		i = skip_space(q, i, len);
	}
}

/* The offset in the original text of offset off of the text with the insertions pos. */
static uint32_t original_offset(const insertion_array *pos, uint32_t off)
{
	uint32_t o = off, shift = 0;

	for (size_t k = 0; k < pos->n; k++) {
		uint32_t len, at = pos->v[k].at + shift; /* where insertion k starts */
		insertion_text(&pos->v[k], &len);
		if (off < at)
			break;
		if (off < at + len)
			return pos->v[k].at;
		o -= len;
		shift += len;
	}
	return o;
}

static int is_capture(const TSQueryPredicateStep *s)
{
	return s->type == TSQueryPredicateStepTypeCapture;
}

static int is_string(const TSQueryPredicateStep *s)
{
	return s->type == TSQueryPredicateStepTypeString;
}

/*
 * Checks and compiles the predicates of pattern p of rule r. offs holds the
 * offset of each predicate in the rule's query text, start the pattern's.
 * Returns 0, or -1 with *cause.
 */
static int compile_preds(struct rule *r, size_t ri, struct pattern *pat, uint32_t p,
                         const uint32_t *offs, size_t noffs, uint32_t start, char **cause)
{
	uint32_t nsteps, i = 0;
	const TSQueryPredicateStep *steps = ts_query_predicates_for_pattern(r->query, p, &nsteps);

	for (uint32_t k = 0; k < nsteps; k++)
		if (steps[k].type == TSQueryPredicateStepTypeDone)
			pat->npreds++;
	pat->preds = xcalloc(pat->npreds + 1, sizeof(*pat->preds));

	for (size_t n = 0; n < pat->npreds; n++) {
		struct pred *pr = &pat->preds[n];
		const TSQueryPredicateStep *a;
		uint32_t j = i, nargs, name_len;
		const char *name;
		uint32_t off = n < noffs ? offs[n] : start;

		while (steps[j].type != TSQueryPredicateStepTypeDone)
			j++;
		name = ts_query_string_value_for_id(r->query, steps[i].value_id, &name_len);
		a = &steps[i + 1];
		nargs = j - i - 1;
		i = j + 1;

		pr->negate = !strncmp(name, "not-", 4);
		if (pr->negate) {
			name += 4;
			name_len -= 4;
		}
		if (!strcmp(name, "eq?")) {
			pr->op = PRED_EQ;
			if (nargs != 2 || !is_capture(&a[0])) {
				fail(cause, r->spec, ri, off,
				     "#%seq? takes a capture and a string or capture",
				     pr->negate ? "not-" : "");
				return -1;
			}
			pr->capture = a[0].value_id;
			pr->other = is_capture(&a[1]) ? (int)a[1].value_id : -1;
			if (!is_capture(&a[1]))
				pr->str = ts_query_string_value_for_id(r->query, a[1].value_id,
				                                       &pr->str_len);
		} else if (!strcmp(name, "match?")) {
			uint32_t len;
			const char *re;
			char *cre;
			int err;

			pr->op = PRED_MATCH;
			if (nargs != 2 || !is_capture(&a[0]) || !is_string(&a[1])) {
				fail(cause, r->spec, ri, off,
				     "#%smatch? takes a capture and a regular expression string",
				     pr->negate ? "not-" : "");
				return -1;
			}
			pr->capture = a[0].value_id;
			re = ts_query_string_value_for_id(r->query, a[1].value_id, &len);
			cre = xstrndup(re, len);
			err = regcomp(&pr->re, cre, REG_EXTENDED | REG_NOSUB);
			if (err) {
				char msg[128];
				regerror(err, &pr->re, msg, sizeof(msg));
				pr->op = PRED_EQ; /* nothing to regfree */
				fail(cause, r->spec, ri, off,
				     "invalid regular expression \"%s\" in #%smatch?: %s", cre,
				     pr->negate ? "not-" : "", msg);
				free(cre);
				return -1;
			}
			free(cre);
		} else if (!strcmp(name, "any-of?")) {
			pr->op = PRED_ANY_OF;
			if (nargs < 2 || !is_capture(&a[0])) {
				fail(cause, r->spec, ri, off,
				     "#%sany-of? takes a capture and one or more strings",
				     pr->negate ? "not-" : "");
				return -1;
			}
			for (uint32_t k = 1; k < nargs; k++)
				if (!is_string(&a[k])) {
					fail(cause, r->spec, ri, off,
					     "#%sany-of? takes a capture and one or more strings",
					     pr->negate ? "not-" : "");
					return -1;
				}
			pr->capture = a[0].value_id;
			pr->args = a + 1;
			pr->nargs = nargs - 1;
		} else {
			fail(cause, r->spec, ri, off,
			     "unknown predicate \"#%s%.*s\" (known: #eq?, #not-eq?, #match?, "
			     "#not-match?, #any-of?, #not-any-of?)",
			     pr->negate ? "not-" : "", (int)name_len, name);
			return -1;
		}
	}
	return 0;
}

/*
 * Splits a template (the message, the fix) into literal text and {{capture}}
 * references (spaces inside the braces allowed); a {{name}} that is not a
 * capture of the query is an error. "{{" not followed by a name and "}}" is
 * literal text.
 */
static int compile_template(struct rule *r, size_t ri, const char *m, const char *what,
                            struct msg_part_array *parts, char **cause)
{
	const char *lit = m, *p = m;

	while ((p = strstr(p, "{{"))) {
		const char *s = p + 2, *e;
		struct msg_part part = {lit, (size_t)(p - lit), -1};
		int id;

		while (*s == ' ')
			s++;
		e = s;
		while (*e && is_ident_char((unsigned char)*e))
			e++;
		const char *name_end = e;
		while (*e == ' ')
			e++;
		if (name_end == s || strncmp(e, "}}", 2)) {
			p += 2;
			continue;
		}
		id = capture_id(r->query, s, (size_t)(name_end - s));
		if (id < 0 || id == r->synth || id == r->fixcap) {
			struct strbuf names = STRBUF_INIT;
			uint32_t n = ts_query_capture_count(r->query);
			for (uint32_t i = 0; i < n; i++) {
				uint32_t l;
				const char *c = ts_query_capture_name_for_id(r->query, i, &l);
				if ((int)i != r->synth && (int)i != r->fixcap)
					strbuf_addf(&names, "%s@%.*s", names.len ? ", " : "",
					            (int)l, c);
			}
			fail(cause, r->spec, ri, 0,
			     "%s quotes {{%.*s}} but the query has no capture @%.*s "
			     "(captures: %s)",
			     what, (int)(name_end - s), s, (int)(name_end - s), s,
			     names.len ? names.buf : "none");
			strbuf_release(&names);
			return -1;
		}
		ARRAY_PUSH(*parts, part);
		part.text = NULL;
		part.len = 0;
		part.capture = id;
		ARRAY_PUSH(*parts, part);
		p = lit = e + 2;
	}
	if (*lit) {
		struct msg_part part = {lit, strlen(lit), -1};
		ARRAY_PUSH(*parts, part);
	}
	return 0;
}

/*
 * The capture a match of pattern p reports at: the first capture the
 * pattern defines whose name no predicate uses, else its first capture,
 * else -1 (the pattern's outermost node, through the synthetic capture).
 */
static int report_capture(const struct rule *r, uint32_t p, const struct name_ref *caps,
                          size_t ncaps)
{
	uint32_t nsteps;
	const TSQueryPredicateStep *steps = ts_query_predicates_for_pattern(r->query, p, &nsteps);
	int first = -1;

	for (size_t i = 0; i < ncaps; i++) {
		int id = capture_id(r->query, caps[i].name, caps[i].len);
		int used = 0;

		if (id < 0 || id == r->synth || id == r->fixcap)
			continue;
		if (first < 0)
			first = id;
		for (uint32_t k = 0; k < nsteps && !used; k++)
			used = is_capture(&steps[k]) && steps[k].value_id == (uint32_t)id;
		if (!used)
			return id;
	}
	return first;
}

/* A rule's query text as compiled: the synthetic captures inserted at pos. */
static void rule_text(const char *q, uint32_t len, const insertion_array *pos, struct strbuf *text)
{
	for (size_t k = 0, from = 0; k <= pos->n; k++) {
		size_t to = k < pos->n ? pos->v[k].at : len;
		strbuf_add(text, q + from, to - from);
		if (k < pos->n) {
			uint32_t n;
			const char *t = insertion_text(&pos->v[k], &n);
			strbuf_add(text, t, n);
		}
		from = to;
	}
}

/* The ids of the synthetic captures of rule r in its query, from its insertions. */
static void synthetic_ids(struct rule *r, const insertion_array *pos)
{
	unsigned kinds = 0;
	for (size_t k = 0; k < pos->n; k++)
		kinds |= pos->v[k].kind;
	r->synth =
	    kinds & INS_SYNTH ? capture_id(r->query, SYNTH_CAPTURE, strlen(SYNTH_CAPTURE)) : -1;
	r->fixcap = kinds & INS_FIX ? capture_id(r->query, FIX_CAPTURE, strlen(FIX_CAPTURE)) : -1;
}

/*
 * Compiles patterns [from, to) of g, all of rule ri, whose text starts at
 * byte base of g's query text (text) and had SYNTH_TEXT inserted at pos:
 * their predicates and where they report. 0, or -1 with *cause.
 */
static int compile_patterns(struct rules *rs, struct qgroup *g, uint32_t from, uint32_t to,
                            size_t ri, const char *text, uint32_t base, const insertion_array *pos,
                            char **cause)
{
	struct rule *r = &rs->v[ri];
	name_array caps = ARRAY_INIT;
	offset_array offs = ARRAY_INIT;
	int ret = 0;

	for (uint32_t p = from; p < to && !ret; p++) {
		uint32_t start = ts_query_start_byte_for_pattern(g->query, p);
		caps.n = offs.n = 0;
		scan_pattern(text, start, ts_query_end_byte_for_pattern(g->query, p), &caps, &offs);
		for (size_t k = 0; k < offs.n; k++)
			offs.v[k] = original_offset(pos, offs.v[k] - base);
		g->patterns[p].rule = ri;
		ret = compile_preds(r, r->index, &g->patterns[p], p, offs.v, offs.n,
		                    original_offset(pos, start - base), cause);
		if (!ret)
			g->patterns[p].report = report_capture(r, p, caps.v, caps.n);
	}
	ARRAY_FREE(caps);
	ARRAY_FREE(offs);
	return ret;
}

/*
 * Compiles rule ri alone into a group of its own: its query with SYNTH_TEXT
 * after the patterns that capture nothing (else, when that does not
 * compile, as written, to report the error in the user's text).
 */
static int compile_rule_alone(struct rules *rs, size_t ri, struct qgroup *g, char **cause)
{
	struct rule *r = &rs->v[ri];
	const struct rule_spec *spec = r->spec;
	const char *q = spec->query ? spec->query : "";
	uint32_t len = (uint32_t)strlen(q), off = 0;
	struct strbuf text = STRBUF_INIT;
	insertion_array pos = ARRAY_INIT;
	TSQueryError e = TSQueryErrorNone;
	int ret = -1;

	synthetic_positions(q, len, spec->fix != NULL, &pos);
	rule_text(q, len, &pos, &text);
	g->query = query_new(text.buf, (uint32_t)text.len, &off, &e);
	if (!g->query && pos.n) { /* the error, in the user's text */
		pos.n = 0;
		strbuf_reset(&text);
		strbuf_add(&text, q, len);
		g->query = query_new(q, len, &off, &e);
	}
	if (!g->query) {
		struct strbuf sb = STRBUF_INIT;
		describe_query_error(&sb, q, len, off, e);
		fail(cause, spec, r->index, off, "%s", sb.buf);
		strbuf_release(&sb);
		goto out;
	}
	g->npatterns = ts_query_pattern_count(g->query);
	if (!g->npatterns) {
		fail(cause, spec, r->index, 0, "invalid query: no pattern");
		goto out;
	}
	r->query = g->query;
	synthetic_ids(r, &pos);
	g->patterns = xcalloc(g->npatterns, sizeof(*g->patterns));
	ret = compile_patterns(rs, g, 0, g->npatterns, ri, text.buf, 0, &pos, cause);
out:
	strbuf_release(&text);
	ARRAY_FREE(pos);
	return ret;
}

/* ---- compiled queries kept as blobs (tsquery_blob.h) ---------------------- */

/* "<dir>/rules-<hash>.tsq": the blob of query text under this golive executable. */
static char *blob_path(const char *dir, const char *text, size_t len)
{
	char exe[64];
	XXH64_state_t *st = XXH64_createState();
	uint64_t h;

	anacache_exe_id(exe, sizeof(exe));
	XXH64_reset(st, 0);
	XXH64_update(st, exe, strlen(exe) + 1);
	XXH64_update(st, text, len);
	h = XXH64_digest(st);
	XXH64_freeState(st);
	return xasprintf("%s/rules-%016llx.tsq", dir, (unsigned long long)h);
}

/* The query stored for text under dir, or NULL. */
static TSQuery *blob_load(const char *dir, const char *text, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	char *path;
	TSQuery *q = NULL;

	if (!dir)
		return NULL;
	path = blob_path(dir, text, len);
	if (strbuf_read_file(&sb, path, 64u << 20) == 0)
		q = tsquery_blob_read(sb.buf, sb.len, tree_sitter_go());
	strbuf_release(&sb);
	free(path);
	return q;
}

/* Stores q as text's blob under dir: a temporary file renamed into place. Errors are ignored. */
static void blob_store(const char *dir, const char *text, size_t len, const TSQuery *q)
{
	size_t n;
	void *blob;
	char *path, *tmp;
	int fd;

	if (!dir)
		return;
	path = blob_path(dir, text, len);
	tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	blob = tsquery_blob_write(q, &n);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		int ok = write_all(fd, blob, n) == 0;
		ok = close(fd) == 0 && ok;
		if (!ok || rename(tmp, path) < 0)
			unlink(tmp);
	}
	free(blob);
	free(tmp);
	free(path);
}

/* ---- compiling the rule set ---------------------------------------------- */

/*
 * Compiles every rule into one query (one compilation: each costs the
 * grammar analysis, so one for all rules is about half the price of one
 * per rule, and one cursor pass runs them all), loaded from blob_dir when
 * it is stored there. Returns 1 when that worked, 0 when the combined text
 * does not compile (some rule is wrong: the caller compiles them one by
 * one for the message), -1 with *cause on a predicate error.
 */
static int compile_combined(struct rules *rs, const char *blob_dir, char **cause)
{
	struct strbuf text = STRBUF_INIT;
	insertion_array *pos = xcalloc(rs->n + 1, sizeof(*pos));
	uint32_t *base = xcalloc(rs->n + 1, sizeof(*base)), off;
	TSQueryError e;
	struct qgroup *g;
	int ret = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const char *q = rs->v[i].spec->query ? rs->v[i].spec->query : "";
		uint32_t len = (uint32_t)strlen(q);
		if (precheck(q, len, &e) != UINT32_MAX)
			goto out;
		synthetic_positions(q, len, rs->v[i].spec->fix != NULL, &pos[i]);
		base[i] = (uint32_t)text.len;
		rule_text(q, len, &pos[i], &text);
		strbuf_addch(&text, '\n');
	}
	base[rs->n] = (uint32_t)text.len;
	g = &rs->groups[0];
	g->query = blob_load(blob_dir, text.buf, text.len);
	rs->from_blob = g->query != NULL;
	if (!g->query) {
		g->query = ts_query_new(tree_sitter_go(), text.buf, (uint32_t)text.len, &off, &e);
		if (!g->query)
			goto out;
		blob_store(blob_dir, text.buf, text.len, g->query);
	}
	rs->ngroups = 1; /* the caller releases g->query when this returns 0 */
	/*
	 * Every pattern must lie within one rule's text: a rule that does not
	 * compile alone (an unterminated string, say) could swallow the next
	 * one's text into something that compiles. Then one by one.
	 */
	for (uint32_t p = 0, i = 0; p < ts_query_pattern_count(g->query); p++) {
		uint32_t start = ts_query_start_byte_for_pattern(g->query, p);
		while (i < rs->n && start >= base[i + 1])
			i++;
		if (i == rs->n || ts_query_end_byte_for_pattern(g->query, p) > base[i + 1])
			goto out;
	}
	g->npatterns = ts_query_pattern_count(g->query);
	g->patterns = xcalloc(g->npatterns + 1, sizeof(*g->patterns));
	ret = 1;
	for (size_t i = 0, p = 0; i < rs->n && ret == 1; i++) {
		size_t from = p;
		while (p < g->npatterns &&
		       ts_query_start_byte_for_pattern(g->query, (uint32_t)p) < base[i + 1])
			p++;
		rs->v[i].query = g->query;
		synthetic_ids(&rs->v[i], &pos[i]);
		if (from == p) {
			fail(cause, rs->v[i].spec, rs->v[i].index, 0, "invalid query: no pattern");
			ret = -1;
		} else if (compile_patterns(rs, g, (uint32_t)from, (uint32_t)p, i, text.buf,
		                            base[i], &pos[i], cause)) {
			ret = -1;
		}
	}
out:
	for (size_t i = 0; i < rs->n; i++)
		ARRAY_FREE(pos[i]);
	free(pos);
	free(base);
	strbuf_release(&text);
	return ret;
}

struct rules *rules_compile(const struct analysis_settings *s, const char *blob_dir, char **cause)
{
	struct rules *r = xcalloc(1, sizeof(*r));
	int c;

	atomic_init(&r->refs, 1);
	r->v = xcalloc(s->rules.n + 1, sizeof(*r->v));
	r->groups = xcalloc(s->rules.n + 1, sizeof(*r->groups));
	for (size_t i = 0; i < s->rules.n; i++) {
		if (s->rules.v[i].off)
			continue;
		r->v[r->n].spec = &s->rules.v[i];
		r->v[r->n].index = i;
		r->n++;
	}
	if (!r->n)
		return r;
	c = compile_combined(r, blob_dir, cause);
	if (c < 0)
		goto fail;
	if (c == 0) { /* one query per rule: slower, but tells which rule is wrong */
		for (size_t i = 0; i < r->ngroups; i++)
			group_release(&r->groups[i]);
		memset(r->groups, 0, (s->rules.n + 1) * sizeof(*r->groups));
		r->ngroups = 0;
		for (size_t i = 0; i < r->n; i++) {
			r->ngroups = i + 1;
			if (compile_rule_alone(r, i, &r->groups[i], cause))
				goto fail;
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		struct rule *rule = &r->v[i];
		if (compile_template(rule, rule->index,
		                     rule->spec->message ? rule->spec->message : "", "message",
		                     &rule->parts, cause))
			goto fail;
		if (rule->spec->fix &&
		    compile_template(rule, rule->index, rule->spec->fix, "fix", &rule->fix, cause))
			goto fail;
	}
	return r;
fail:
	rules_free(r);
	return NULL;
}

struct rules *rules_ref(struct rules *r)
{
	if (r)
		atomic_fetch_add(&r->refs, 1);
	return r;
}

void rules_free(struct rules *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) > 1)
		return;
	for (size_t i = 0; i < r->ngroups; i++)
		group_release(&r->groups[i]);
	free(r->groups);
	for (size_t i = 0; i < r->n; i++) {
		ARRAY_FREE(r->v[i].parts);
		ARRAY_FREE(r->v[i].fix);
	}
	free(r->v);
	free(r);
}

size_t rules_count(const struct rules *r)
{
	return r ? r->n : 0;
}

int rules_from_blob(const struct rules *r)
{
	return r && r->from_blob;
}

struct rules_runner *rules_runner_new(struct rules *r)
{
	struct rules_runner *x = xcalloc(1, sizeof(*x));
	x->rules = rules_ref(r);
	x->buf = (struct strbuf)STRBUF_INIT;
	x->cursor = ts_query_cursor_new();
	ts_query_cursor_set_match_limit(
	    x->cursor, MATCH_LIMIT * (uint32_t)(r && r->n ? (r->n < 64 ? r->n : 64) : 1));
	return x;
}

void rules_runner_free(struct rules_runner *x)
{
	if (!x)
		return;
	rules_free(x->rules);
	ts_query_cursor_delete(x->cursor);
	strbuf_release(&x->buf);
	ARRAY_FREE(x->errors);
	free(x);
}

/* ---- running ------------------------------------------------------------- */

/*
 * Whether rule spec runs on the file at relpath (slash-separated, relative
 * to the project root); NULL for a file outside the root: only rules
 * without paths.include run there.
 */
static int rule_applies(const struct rule_spec *spec, const char *relpath)
{
	if (!relpath)
		return !spec->include.argc;
	if (spec->include.argc && !glob_match_any(&spec->include, relpath, 0))
		return 0;
	return !(spec->exclude.argc && glob_match_any(&spec->exclude, relpath, 0));
}

/* Collects the outermost ERROR nodes of the tree under root (iteratively: trees can be deep). */
static void collect_errors(struct rules_runner *r, TSNode root)
{
	TSTreeCursor c;

	if (!ts_node_has_error(root))
		return;
	c = ts_tree_cursor_new(root);
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);

		int descend = 0;
		if (ts_node_is_error(n)) {
			TSRange range = {ts_node_start_point(n), ts_node_end_point(n),
			                 ts_node_start_byte(n), ts_node_end_byte(n)};
			ARRAY_PUSH(r->errors, range);
		} else {
			descend = ts_node_has_error(n); /* only subtrees with errors */
		}
		if (!analysis_cursor_next(&c, descend))
			break;
	}
	ts_tree_cursor_delete(&c);
}

/* True when node n is missing or lies inside an ERROR node. */
static int in_error(const struct rules_runner *r, TSNode n)
{
	uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);

	if (ts_node_is_missing(n) || ts_node_is_error(n))
		return 1;
	for (size_t i = 0; i < r->errors.n; i++)
		if (s >= r->errors.v[i].start_byte && e <= r->errors.v[i].end_byte)
			return 1;
	return 0;
}

/* The first node captured as id in m, or 0. */
static int capture_node(const TSQueryMatch *m, uint32_t id, TSNode *out)
{
	for (uint16_t i = 0; i < m->capture_count; i++)
		if (m->captures[i].index == id) {
			*out = m->captures[i].node;
			return 1;
		}
	return 0;
}

static int text_equal(const struct analysis_file *f, TSNode n, const char *s, size_t len)
{
	size_t l;
	const char *t = analysis_text(f, n, &l);

	return l == len && !memcmp(t, s, len);
}

/* Does one node satisfy pr (before negation)? */
static int pred_test(struct rules_runner *r, const struct analysis_file *f, const struct rule *rule,
                     const struct pred *pr, const TSQueryMatch *m, TSNode n)
{
	switch (pr->op) {
	case PRED_EQ:
		if (pr->other >= 0) {
			TSNode o;
			size_t len;
			const char *t;
			if (!capture_node(m, (uint32_t)pr->other, &o))
				return !pr->negate; /* nothing to compare with: holds */
			t = analysis_text(f, o, &len);
			return text_equal(f, n, t, len);
		}
		return text_equal(f, n, pr->str, pr->str_len);
	case PRED_MATCH: {
		size_t len;
		const char *t = analysis_text(f, n, &len);
		strbuf_reset(&r->buf);
		strbuf_add(&r->buf, t, len);
		return !regexec(&pr->re, r->buf.buf, 0, NULL, 0);
	}
	case PRED_ANY_OF:
		for (uint32_t k = 0; k < pr->nargs; k++) {
			uint32_t len;
			const char *s =
			    ts_query_string_value_for_id(rule->query, pr->args[k].value_id, &len);
			if (text_equal(f, n, s, len))
				return 1;
		}
		return 0;
	}
	return 0;
}

/* Every predicate holds for every node of its capture (trivially when it captured none). */
static int preds_hold(struct rules_runner *r, const struct analysis_file *f,
                      const struct rule *rule, const struct pattern *pat, const TSQueryMatch *m)
{
	for (size_t i = 0; i < pat->npreds; i++) {
		const struct pred *pr = &pat->preds[i];
		for (uint16_t c = 0; c < m->capture_count; c++)
			if (m->captures[c].index == pr->capture &&
			    pred_test(r, f, rule, pr, m, m->captures[c].node) == pr->negate)
				return 0;
	}
	return 1;
}

/* Appends the first line of n's text, cut to CAPTURE_MAX bytes, "…" when cut. */
static void add_capture_text(struct strbuf *sb, const struct analysis_file *f, TSNode n)
{
	size_t len, max;
	const char *t = analysis_text(f, n, &len);
	const char *nl = memchr(t, '\n', len);

	max = nl ? (size_t)(nl - t) : len;
	while (max && (t[max - 1] == '\r'))
		max--;
	if (max > CAPTURE_MAX) {
		max = CAPTURE_MAX;
		while (max && ((unsigned char)t[max] & 0xc0) == 0x80) /* not inside a UTF-8 char */
			max--;
	}
	strbuf_add(sb, t, max);
	if (max < len)
		strbuf_addstr(sb, "\xe2\x80\xa6");
}

/* Fills parts' text for match m into sb: literal text and the quoted captures. */
static void expand(struct strbuf *sb, const struct analysis_file *f,
                   const struct msg_part_array *parts, const TSQueryMatch *m, int whole)
{
	for (size_t i = 0; i < parts->n; i++) {
		const struct msg_part *part = &parts->v[i];
		TSNode c;
		if (part->capture < 0) {
			strbuf_add(sb, part->text, part->len);
		} else if (capture_node(m, (uint32_t)part->capture, &c)) {
			if (whole) {
				size_t len;
				const char *t = analysis_text(f, c, &len);
				strbuf_add(sb, t, len);
			} else {
				add_capture_text(sb, f, c);
			}
		}
	}
}

/* The fix of rule for match m: the reported node's text becomes the expanded template. */
static struct diag_fix *make_fix(struct rules_runner *r, const struct analysis_file *f,
                                 const struct rule *rule, const TSQueryMatch *m, TSNode node)
{
	struct diag_fix *fix = xcalloc(1, sizeof(*fix));
	TSPoint s, e;
	size_t len;
	const char *t;

	if (rule->fixcap >= 0)
		capture_node(m, (uint32_t)rule->fixcap, &node); /* else the reported node */
	s = ts_node_start_point(node);
	e = ts_node_end_point(node);

	strbuf_reset(&r->buf);
	expand(&r->buf, f, &rule->fix, m, 1);
	fix->safe = !rule->spec->fix_unsafe;
	fix->edits = xcalloc(1, sizeof(*fix->edits));
	fix->nedits = 1;
	fix->edits[0].line = s.row + 1;
	fix->edits[0].col = s.column + 1;
	fix->edits[0].end_line = e.row + 1;
	fix->edits[0].end_col = e.column + 1;
	fix->edits[0].text = xstrdup(r->buf.buf);
	t = r->buf.buf;
	len = strcspn(t, "\n");
	fix->title = len > CAPTURE_MAX || t[len]
	                 ? xasprintf("replace with %.*s\xe2\x80\xa6",
	                             (int)(len > CAPTURE_MAX ? CAPTURE_MAX : len), t)
	                 : xasprintf("replace with %s", t);
	return fix;
}

static void run_group(struct rules_runner *r, const struct qgroup *g, struct analysis_file *f,
                      const unsigned char *skip)
{
	TSQueryMatch m;

	ts_query_cursor_exec(r->cursor, g->query, f->root);
	while (ts_query_cursor_next_match(r->cursor, &m)) {
		const struct pattern *pat = &g->patterns[m.pattern_index];
		const struct rule *rule = &r->rules->v[pat->rule];
		struct http_handler h;
		TSNode node;
		int found = 0;

		if (skip[pat->rule])
			continue;
		if (pat->report >= 0)
			found = capture_node(&m, (uint32_t)pat->report, &node);
		if (!found && rule->synth >= 0)
			found = capture_node(&m, (uint32_t)rule->synth, &node);
		if (!found && m.capture_count) {
			node = m.captures[0].node;
			found = 1;
		}
		if (!found)
			continue;
		if (r->errors.n) {
			int bad = 0;
			for (uint16_t c = 0; c < m.capture_count && !bad; c++)
				bad = in_error(r, m.captures[c].node);
			if (bad)
				continue;
		}
		if (!preds_hold(r, f, rule, pat, &m))
			continue;
		if (rule->spec->handler_scope && !analysis_enclosing_handler(f, node, &h))
			continue;

		strbuf_reset(&r->buf);
		expand(&r->buf, f, &rule->parts, &m, 0);
		struct diag *d =
		    analysis_report_as(f, node, rule->spec->id, rule->spec->severity, r->buf.buf);
		if (d && rule->spec->fix)
			d->fix = make_fix(r, f, rule, &m, node);
	}
}

void rules_run(struct rules_runner *r, struct analysis_file *f, const char *relpath)
{
	unsigned char small[64], *skip = small;
	size_t live = 0;

	if (!r || !r->rules->n)
		return;
	if (r->rules->n > sizeof(small))
		skip = xcalloc(r->rules->n, 1);
	for (size_t i = 0; i < r->rules->n; i++) {
		skip[i] = !rule_applies(r->rules->v[i].spec, relpath);
		live += !skip[i];
	}
	if (live) {
		r->errors.n = 0;
		collect_errors(r, f->root);
		for (size_t i = 0; i < r->rules->ngroups; i++)
			run_group(r, &r->rules->groups[i], f, skip);
	}
	if (skip != small)
		free(skip);
}
