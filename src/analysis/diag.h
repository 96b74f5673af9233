/*
 * diag.h - diagnostics: what analyzers report and every way golive prints
 * them (text like go vet, JSON lines/arrays, SARIF 2.1.0).
 *
 * A diagnostic is a small value struct that owns its strings. Positions are
 * 1-based; columns count bytes, as go vet and gopls print them.
 */
#ifndef GOLIVE_DIAG_H
#define GOLIVE_DIAG_H

#include <stdio.h>

#include "core/util.h"

struct json_t;

enum severity {
	SEV_INFO = 0,
	SEV_WARNING = 1,
	SEV_ERROR = 2,
};

/* When findings fail a command (analyzers.fail_on in golive.yaml). */
enum fail_on {
	FAIL_NEVER = 0,   /* default: findings never fail the command */
	FAIL_WARNING = 1, /* findings of severity warning or error fail it */
	FAIL_ERROR = 2,   /* findings of severity error fail it */
};

/* One replacement: the bytes from (line, col) up to (end_line, end_col) become text. */
struct diag_edit {
	unsigned line, col;         /* 1-based, columns in bytes, like struct diag */
	unsigned end_line, end_col; /* exclusive end; equal to the start for an insertion */
	char *text;
};

/* A fix a finding offers: edits to one file, applied together. */
struct diag_fix {
	char *title; /* one line, e.g. "use r.Context()" */
	int safe;    /* 1: keeps behaviour (--fix applies it); 0: needs a look (--fix-unsafe) */
	struct diag_edit *edits;
	size_t nedits; /* sorted by position, not overlapping */
};

struct diag {
	char *file;     /* path: absolute when analysed from go's file list, as given otherwise */
	unsigned line;  /* 1-based */
	unsigned col;   /* 1-based, in bytes */
	char *analyzer; /* "httpctx", "logtrace", or a rule id */
	enum severity severity;
	char *message; /* one line, no trailing newline */
	/* Where the reported node ends (exclusive, 1-based, bytes); 0 when unknown. */
	unsigned end_line, end_col;
	struct diag_fix *fix; /* owned; NULL when the finding offers none */
};

typedef ARRAY(struct diag) diag_array;

/* Appends a diagnostic, copying the strings. */
void diag_push(diag_array *a, const char *file, unsigned line, unsigned col, const char *analyzer,
               enum severity sev, const char *message);
void diag_release(struct diag *d);
void diag_fix_free(struct diag_fix *fix);
void diag_array_release(diag_array *a);
/* Sorts by file, line, column, analyzer, message and drops exact duplicates. */
void diag_sort_unique(diag_array *a);
/* True when any diagnostic reaches fail_on. */
int diag_fails(const diag_array *a, enum fail_on fail_on);

const char *severity_name(enum severity s); /* "info", "warning", "error" */
/* Parses "info"/"warning"/"error"; 0, or -1 when s is none of them. */
int severity_parse(const char *s, enum severity *out);
const char *fail_on_name(enum fail_on f); /* "never", "warning", "error" */
int fail_on_parse(const char *s, enum fail_on *out);

/*
 * The path to print: relative to cwd when the file is below it (as go vet
 * prints), else as stored. Returns a pointer into d->file.
 */
const char *diag_display_path(const struct diag *d, const char *cwd);

/* Writes "path:line:col: [analyzer] message\n" to f. cwd may be NULL (print as stored). */
void diag_print_text(const struct diag *d, FILE *f, const char *cwd);

/*
 * One diagnostic as a JSON object: file, line, col, analyzer, severity,
 * message; then end_line, end_col when the end is known, and fix when it
 * offers one (diag_fix_to_json).
 */
struct json_t *diag_to_json(const struct diag *d);
/* The reverse; 0, or -1 with *cause when a field is missing or of the wrong type. */
int diag_from_json(struct diag *d, struct json_t *o, char **cause);
/* {"title", "safe", "edits": [{"line", "col", "end_line", "end_col", "text"}]} */
struct json_t *diag_fix_to_json(const struct diag_fix *fix);
/* The reverse (malloc'd), or NULL when o is not of that shape. */
struct diag_fix *diag_fix_from_json(struct json_t *o);

/* ---- reports (diag_sarif.c): the --json and --sarif documents ----------- */

/* A rule as a report describes it: a built-in analyzer or a user rule. */
struct diag_rule {
	const char *id;         /* the analyzer name or rule id diagnostics carry */
	const char *doc;        /* one line (SARIF shortDescription) */
	enum severity severity; /* its effective default severity */
	const char *help_uri;   /* absolute URI of its documentation, or NULL */
};

/* Something that kept part of the input from being analysed. */
struct diag_problem {
	const char *kind;    /* "package" (go list could not load it) or "file" (unreadable) */
	const char *name;    /* the import path, pattern, directory or file */
	const char *message; /* one line */
};

/*
 * What a report is made of. Paths in diags are printed as stored: relative
 * to the cwd, or absolute (or "../..") for files outside it.
 */
struct diag_report {
	const diag_array *diags; /* sorted (diag_sort_unique) */
	size_t files;            /* files analysed */
	size_t generated;        /* files skipped as generated */
	size_t packages;         /* packages (or plain directories) analysed */
	const struct diag_problem *problems;
	size_t nproblems;
	const struct diag_rule *rules; /* SARIF: the rules to describe, in this order */
	size_t nrules;
	const char *srcroot; /* SARIF: absolute directory relative paths start from, or NULL */
	/*
	 * SARIF: per diagnostic, 1 when it is in the baseline (golive check
	 * --baseline ... --sarif-suppressed): written with a suppression of
	 * kind external. NULL: none is.
	 */
	const unsigned char *baselined;
};

/*
 * golive check --json, schema version 1 (docs/check.md):
 * {"version":1,"diagnostics":[{file,line,col,analyzer,severity,message,
 *  [end_line,end_col],[fix]}],
 *  "files":N,"generated":G,"packages":K,"errors":[{"package"|"file":NAME,"message":M}]}.
 * Strings that are not valid UTF-8 get U+FFFD for the bad bytes.
 */
struct json_t *diag_report_json(const struct diag_report *r);
/*
 * Appends to sb the text json_dumpf() gives for diag_report_json(r) with
 * JSON_INDENT(2) | JSON_PRESERVE_ORDER (no final newline), byte for byte,
 * without building the document: ten times faster on 100,000 findings.
 */
void diag_report_json_write(const struct diag_report *r, struct strbuf *sb);

/*
 * A SARIF 2.1.0 log with one run: tool.driver golive with r->rules (plus a
 * bare rule for any analyzer a diagnostic names that r->rules lacks), one
 * result per diagnostic (ruleId, ruleIndex, level error/warning/note,
 * message.text, a physicalLocation: relative paths as URIs against
 * uriBaseId "%SRCROOT%", others as file:// URIs; region startLine and
 * startColumn, endLine and endColumn when the end is known), its fix as
 * fixes[0] (an artifactChange of its file with a replacement per edit), a
 * suppression of kind external when r->baselined says so, and r->problems
 * as tool execution notifications. Columns
 * are written as stored and declared as UTF-16 code units (the run's
 * columnKind), so the caller converts byte columns first (GitHub reads
 * them that way).
 */
struct json_t *diag_report_sarif(const struct diag_report *r);

#endif
