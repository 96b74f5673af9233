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

#include "util.h"

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

struct diag {
	char *file;     /* path: absolute when analysed from go's file list, as given otherwise */
	unsigned line;  /* 1-based */
	unsigned col;   /* 1-based, in bytes */
	char *analyzer; /* "httpctx", "logtrace", or a rule id */
	enum severity severity;
	char *message; /* one line, no trailing newline */
};

typedef ARRAY(struct diag) diag_array;

/* Appends a diagnostic, copying the strings. */
void diag_push(diag_array *a, const char *file, unsigned line, unsigned col, const char *analyzer,
               enum severity sev, const char *message);
void diag_release(struct diag *d);
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
 * prints), else as stored. Returns a pointer into d->file or into buf.
 */
const char *diag_display_path(const struct diag *d, const char *cwd, char *buf, size_t size);

/* Writes "path:line:col: [analyzer] message\n" to f. cwd may be NULL (print as stored). */
void diag_print_text(const struct diag *d, FILE *f, const char *cwd);

/* One diagnostic as a JSON object: file, line, col, analyzer, severity, message. */
struct json_t *diag_to_json(const struct diag *d);
/* The reverse; 0, or -1 with *cause when a field is missing or of the wrong type. */
int diag_from_json(struct diag *d, struct json_t *o, char **cause);

#endif
