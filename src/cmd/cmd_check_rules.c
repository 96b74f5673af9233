/*
 * cmd_check_rules.c - `golive check --test-rules [DIR]`: tests the user
 * rules of golive.yaml (docs/analyzers.md, "Testing rules").
 *
 * Each rule runs, alone with the other rules (built-in analyzers off, its
 * paths: ignored, severity off lifted), over two kinds of cases:
 *  - its inline snippets: every `invalid:` snippet must get at least one
 *    finding of the rule, every `valid:` snippet none. A snippet without a
 *    package clause gets `package p`, and one that does not start with a
 *    declaration is wrapped in a function;
 *  - the .go files of DIR (not recursive): a line ending in a comment
 *    `// want ID...` must get a finding of each rule named; `// ok ID...`
 *    documents a line that must get none; any other finding of a rule is
 *    noisy (a false positive).
 * A case is missing (the rule did not report what it should) or noisy (it
 * reported what it should not), else it passes. Prints one line per rule
 * and the failures, then a summary; returns 0 when every case passes, 1
 * otherwise, EXIT_USAGE when a file of DIR cannot be read.
 */
#define _GNU_SOURCE
#include "analysis/analyze.h"
#include "cmd/check_rules.h"
#include "cmd/commands.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rule_result {
	size_t pass, missing, noisy;
	struct strbuf detail; /* one line per failure */
};

static int starts_with_word(const char *s, const char *w)
{
	size_t n = strlen(w);
	return !strncmp(s, w, n) && (s[n] == ' ' || s[n] == '\t' || s[n] == '(' || s[n] == '\n');
}

/* A snippet as a Go file (see the top of this file). */
static void snippet_file(const char *snip, struct strbuf *out)
{
	const char *p = snip;
	int has_package = 0;

	for (const char *l = snip; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (starts_with_word(l, "package"))
			has_package = 1;
	if (has_package) {
		strbuf_addstr(out, snip);
		return;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	strbuf_addstr(out, "package p\n\n");
	if (starts_with_word(p, "func") || starts_with_word(p, "type") ||
	    starts_with_word(p, "var") || starts_with_word(p, "const") ||
	    starts_with_word(p, "import") || !strncmp(p, "//", 2)) {
		strbuf_addstr(out, snip);
		strbuf_addch(out, '\n');
		return;
	}
	strbuf_addstr(out, "func _() {\n");
	strbuf_addstr(out, snip);
	strbuf_addstr(out, "\n}\n");
}

/* The first line of s, cut to 60 bytes, for messages. */
static void add_excerpt(struct strbuf *sb, const char *s)
{
	size_t n = strcspn(s, "\n");
	char *line = xstrndup(s, n > 60 ? 60 : n);
	strbuf_add_printable(sb, line, 0);
	if (s[n] || n > 60)
		strbuf_addstr(sb, "\xe2\x80\xa6");
	free(line);
}

static long rule_index(const struct analysis_settings *s, const char *id)
{
	for (size_t i = 0; i < s->rules.n; i++)
		if (!strcmp(s->rules.v[i].id, id))
			return (long)i;
	return -1;
}

/* The settings rules are tested under: a copy of s with only the rules, all of them on. */
static int test_settings(const struct analysis_settings *s, struct analysis_settings *t,
                         char **cause)
{
	json_t *j = analysis_settings_to_json(s);
	int rc = analysis_settings_from_json(t, j, cause);
	json_decref(j);
	if (rc < 0)
		return -1;
	for (size_t i = 0; builtin_analyzers[i]; i++) {
		struct analyzer_setting a = {xstrdup(builtin_analyzers[i]->name), 0, -1};
		ARRAY_PUSH(t->analyzers, a);
	}
	struct analyzer_setting g = {xstrdup("golive"), 0, -1};
	ARRAY_PUSH(t->analyzers, g);
	t->include_generated = 1;
	for (size_t i = 0; i < t->rules.n; i++) {
		t->rules.v[i].off = 0;
		argv_clear(&t->rules.v[i].include);
		argv_clear(&t->rules.v[i].exclude);
	}
	return 0;
}

/* The rule ids a `// want` or `// ok` comment on line names (into ids), for kind. */
static void annotated(const char *line, size_t len, const char *kind, struct argv_array *ids)
{
	char *l = xstrndup(line, len), *c = strstr(l, "// ");
	size_t kl = strlen(kind);

	while (c) {
		char *p = c + 3;
		if (!strncmp(p, kind, kl) && (p[kl] == ' ' || p[kl] == '\t')) {
			p += kl;
			for (;;) {
				while (*p == ' ' || *p == '\t' || *p == ',')
					p++;
				size_t n = strcspn(p, " \t,\r");
				if (!n)
					break;
				char *id = xstrndup(p, n);
				argv_push(ids, id);
				free(id);
				p += n;
			}
			break;
		}
		c = strstr(c + 3, "// ");
	}
	free(l);
}

static int has_id(const struct argv_array *a, const char *id)
{
	for (size_t i = 0; i < a->argc; i++)
		if (!strcmp(a->argv[i], id))
			return 1;
	return 0;
}

/* Checks one annotated file: every want met, every other finding noisy. */
static void test_file(const struct analysis_settings *t, struct analysis_ctx *ctx, const char *path,
                      const char *src, size_t len, struct rule_result *res)
{
	diag_array out = ARRAY_INIT;
	size_t line = 1;
	unsigned char *used;

	analysis_run_source(ctx, path, src, len, &out);
	used = xcalloc(out.n + 1, 1);
	for (size_t at = 0; at < len; line++) {
		const char *nl = memchr(src + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (src + at)) : len - at;
		struct argv_array want = ARGV_ARRAY_INIT, ok = ARGV_ARRAY_INIT;

		annotated(src + at, n, "want", &want);
		annotated(src + at, n, "ok", &ok);
		for (size_t w = 0; w < want.argc; w++) {
			long r = rule_index(t, want.argv[w]);
			int found = 0;
			if (r < 0)
				continue;
			for (size_t k = 0; k < out.n; k++)
				if (out.v[k].line == line &&
				    !strcmp(out.v[k].analyzer, want.argv[w])) {
					found = 1;
					used[k] = 1;
				}
			if (found) {
				res[r].pass++;
			} else {
				res[r].missing++;
				strbuf_addf(&res[r].detail, "  %s:%zu: missing: no finding of %s\n",
				            path, line, want.argv[w]);
			}
		}
		for (size_t w = 0; w < ok.argc; w++) {
			long r = rule_index(t, ok.argv[w]);
			int found = 0;
			for (size_t k = 0; r >= 0 && k < out.n; k++)
				found |=
				    out.v[k].line == line && !strcmp(out.v[k].analyzer, ok.argv[w]);
			if (r >= 0 && !found)
				res[r].pass++;
		}
		for (size_t k = 0; k < out.n; k++) {
			long r = rule_index(t, out.v[k].analyzer);
			if (r < 0 || out.v[k].line != line || used[k] ||
			    has_id(&want, out.v[k].analyzer))
				continue;
			used[k] = 1;
			res[r].noisy++;
			strbuf_addf(&res[r].detail, "  %s:%zu:%u: noisy: %s%s\n", path, line,
			            out.v[k].col, out.v[k].message,
			            has_id(&ok, out.v[k].analyzer) ? " (the line is marked ok)"
			                                           : "");
		}
		argv_clear(&want);
		argv_clear(&ok);
		at += n + 1;
	}
	free(used);
	diag_array_release(&out);
}

/* The inline snippets of rule r: invalid ones must be reported, valid ones not. */
static void test_snippets(const struct analysis_settings *t, struct analysis_ctx *ctx, size_t r,
                          struct rule_result *res)
{
	const struct rule_spec *rs = &t->rules.v[r];
	for (int kind = 0; kind < 2; kind++) {
		const struct argv_array *a = kind ? &rs->valid : &rs->invalid;
		for (size_t i = 0; i < a->argc; i++) {
			struct strbuf src = STRBUF_INIT;
			diag_array out = ARRAY_INIT;
			size_t mine = 0;
			char name[64];

			snprintf(name, sizeof(name), "%s[%zu]", kind ? "valid" : "invalid", i);
			snippet_file(a->argv[i], &src);
			analysis_run_source(ctx, name, src.buf, src.len, &out);
			for (size_t k = 0; k < out.n; k++)
				mine += !strcmp(out.v[k].analyzer, rs->id);
			if (kind ? mine == 0 : mine > 0) {
				res[r].pass++;
			} else {
				if (kind)
					res[r].noisy++;
				else
					res[r].missing++;
				strbuf_addf(&res[r].detail, "  %s: %s: ", name,
				            kind ? "noisy: reported" : "missing: not reported");
				add_excerpt(&res[r].detail, a->argv[i]);
				strbuf_addch(&res[r].detail, '\n');
			}
			strbuf_release(&src);
			diag_array_release(&out);
		}
	}
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int check_test_rules(const struct analysis_settings *s, const char *dir, int quiet)
{
	struct analysis_settings t;
	struct analysis_ctx *ctx = NULL;
	struct rule_result *res = NULL;
	struct argv_array files = ARGV_ARRAY_INIT;
	char *cause = NULL;
	size_t failed = 0, untested = 0;
	int ret = EXIT_USAGE;

	analysis_settings_init(&t);
	if (!s->rules.n) {
		fprintf(stderr, "golive check --test-rules: golive.yaml has no rules\n");
		goto out;
	}
	if (test_settings(s, &t, &cause) < 0 || !(ctx = analysis_ctx_new(&t, &cause))) {
		fprintf(stderr, "%s\n", cause);
		goto out;
	}
	/* valid:/invalid: live in s (the JSON form does not carry them) */
	for (size_t i = 0; i < t.rules.n; i++) {
		argv_clear(&t.rules.v[i].valid);
		argv_clear(&t.rules.v[i].invalid);
		for (size_t k = 0; k < s->rules.v[i].valid.argc; k++)
			argv_push(&t.rules.v[i].valid, s->rules.v[i].valid.argv[k]);
		for (size_t k = 0; k < s->rules.v[i].invalid.argc; k++)
			argv_push(&t.rules.v[i].invalid, s->rules.v[i].invalid.argv[k]);
	}
	res = xcalloc(t.rules.n, sizeof(*res));
	for (size_t i = 0; i < t.rules.n; i++) {
		res[i].detail = (struct strbuf)STRBUF_INIT;
		test_snippets(&t, ctx, i, res);
	}
	if (dir) {
		DIR *d = opendir(dir);
		struct dirent *e;
		if (!d) {
			fprintf(stderr, "golive check --test-rules: %s: %s\n", dir,
			        strerror(errno));
			goto out;
		}
		while ((e = readdir(d)))
			if (strlen(e->d_name) > 3 &&
			    !strcmp(e->d_name + strlen(e->d_name) - 3, ".go"))
				argv_pushf(&files, "%s/%s", dir, e->d_name);
		closedir(d);
		if (files.argc)
			qsort(files.argv, files.argc, sizeof(*files.argv), cmp_name);
		for (size_t i = 0; i < files.argc; i++) {
			struct strbuf src = STRBUF_INIT;
			if (strbuf_read_file(&src, files.argv[i], 16u << 20) < 0) {
				fprintf(stderr, "golive check --test-rules: %s: %s\n",
				        files.argv[i], file_strerror(errno));
				strbuf_release(&src);
				goto out;
			}
			test_file(&t, ctx, files.argv[i], src.buf, src.len, res);
			strbuf_release(&src);
		}
	}
	for (size_t i = 0; i < t.rules.n; i++) {
		struct rule_result *r = &res[i];
		size_t cases = r->pass + r->missing + r->noisy;
		if (!cases) {
			untested++;
			if (!quiet)
				printf("?    %s: no test cases\n", t.rules.v[i].id);
		} else if (r->missing || r->noisy) {
			failed++;
			printf("FAIL %s: %zu passed, %zu missing, %zu noisy\n%s", t.rules.v[i].id,
			       r->pass, r->missing, r->noisy, r->detail.buf ? r->detail.buf : "");
		} else if (!quiet) {
			printf("ok   %s: %zu passed\n", t.rules.v[i].id, r->pass);
		}
	}
	fflush(stdout);
	if (!quiet)
		fprintf(stderr,
		        "golive check --test-rules: %zu rule%s, %zu failed, %zu without tests "
		        "(%zu file%s)\n",
		        t.rules.n, t.rules.n == 1 ? "" : "s", failed, untested, files.argc,
		        files.argc == 1 ? "" : "s");
	ret = failed ? 1 : 0;
out:
	for (size_t i = 0; res && i < t.rules.n; i++)
		strbuf_release(&res[i].detail);
	free(res);
	analysis_ctx_free(ctx);
	analysis_settings_release(&t);
	argv_clear(&files);
	free(cause);
	return ret;
}
