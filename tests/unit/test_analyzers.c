/*
 * The analysis framework and the built-in analyzers.
 *
 * tests/data/<dir>/ *.go follow the analysistest convention: a comment
 * `// want "re" ...` (or `/ * want ... * /`, Go "..." or `...` strings) on a
 * line expects one diagnostic per regexp on that line, matched against the
 * message with POSIX extended regexps; any other diagnostic of the
 * analyzers the directory is about is a failure. Then the helpers (import
 * names, shadowing, handlers), settings JSON and hash, and the effect of
 * settings on what is reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analyze.h"
#include "analysis/anapkg.h"

/* ---- the want harness ---------------------------------------------------- */

struct want {
	unsigned line;
	char *re_src;
	regex_t re;
	int used;
};

typedef ARRAY(struct want) want_array;

/* Parses the quoted regexps after "want" at p (on line ln); 0, or -1 when malformed. */
static int parse_wants(const char *p, const char *end, unsigned ln, want_array *out)
{
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end || (*p != '"' && *p != '`'))
			return 0;
		struct strbuf sb = STRBUF_INIT;
		char q = *p++;
		while (p < end && *p != q) {
			if (q == '"' && *p == '\\' && p + 1 < end && (p[1] == '\\' || p[1] == '"'))
				p++;
			strbuf_addch(&sb, *p++);
		}
		if (p >= end) {
			strbuf_release(&sb);
			return -1;
		}
		p++;
		struct want w;
		w.line = ln;
		w.used = 0;
		w.re_src = strbuf_detach(&sb, NULL);
		if (regcomp(&w.re, w.re_src, REG_EXTENDED | REG_NOSUB) != 0) {
			free(w.re_src);
			return -1;
		}
		ARRAY_PUSH(*out, w);
	}
}

/* Collects every want of src; appends parse problems to errs. */
static void collect_wants(const char *path, const char *src, size_t len, want_array *out,
                          struct strbuf *errs)
{
	unsigned ln = 1;
	const char *p = src, *end = src + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le > p && le[-1] == '\r')
			le--;
		static const char *const marks[] = {"// want ", "/* want "};
		for (size_t m = 0; m < 2; m++) {
			for (const char *s = p; s < le;) {
				const char *hit = NULL;
				for (const char *t = s; t + 8 <= le; t++)
					if (memcmp(t, marks[m], 8) == 0) {
						hit = t;
						break;
					}
				if (!hit)
					break;
				if (parse_wants(hit + 8, le, ln, out) < 0)
					strbuf_addf(errs, "%s:%u: malformed want comment\n", path,
					            ln);
				s = hit + 8;
			}
		}
		p = nl ? nl + 1 : end;
		ln++;
	}
}

static void free_wants(want_array *w)
{
	for (size_t i = 0; i < w->n; i++) {
		regfree(&w->v[i].re);
		free(w->v[i].re_src);
	}
	ARRAY_FREE(*w);
}

static int name_in(const char *name, const char *const *set)
{
	for (size_t i = 0; set[i]; i++)
		if (strcmp(set[i], name) == 0)
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Checks every .go file of tests/data/<dir> against its wants, reporting only the
 * analyzers in set, analysed as Go version goversion (NULL: unknown). Returns the
 * number of wants checked (*files the files).
 */
static size_t check_dir_as(const char *dir, const char *goversion, const char *const *set,
                           size_t *files)
{
	struct analysis_settings s;
	char *cause = NULL;
	struct strbuf errs = STRBUF_INIT;
	ARRAY(char *) names = ARRAY_INIT;
	size_t nwants = 0;
	char path[1024];
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s (tests run from the repository root)", dir);
	for (struct dirent *e; (e = readdir(d));)
		if (ends_with(e->d_name, ".go"))
			ARRAY_PUSH(names, xstrdup(e->d_name));
	closedir(d);
	qsort(names.v, names.n, sizeof(*names.v), cmp_str);

	analysis_settings_init(&s);
	struct analysis_ctx *ctx = analysis_ctx_new(&s, &cause);
	assert_non_null(ctx);
	/* the directory's files as one package: files of another package clause stay apart */
	struct analysis_pkg *pkg = analysis_pkg_new();
	for (size_t i = 0; i < names.n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names.v[i]);
		analysis_pkg_add(pkg, path, NULL, 0);
	}
	analysis_ctx_set_package(ctx, pkg);
	if (goversion) {
		struct goversion v;
		assert_int_equal(goversion_parse(goversion, &v), 0);
		analysis_ctx_set_goversion(ctx, &v);
	}
	for (size_t i = 0; i < names.n; i++) {
		struct strbuf src = STRBUF_INIT;
		diag_array diags = ARRAY_INIT;
		want_array wants = ARRAY_INIT;
		snprintf(path, sizeof(path), "%s/%s", dir, names.v[i]);
		assert_int_equal(strbuf_read_file(&src, path, 1 << 20), 0);
		int r = analysis_run_source(ctx, path, src.buf, src.len, &diags);
		collect_wants(path, src.buf, src.len, &wants, &errs);
		if (r == 1 && diags.n)
			strbuf_addf(&errs, "%s: generated file has diagnostics\n", path);
		for (size_t k = 0; k < diags.n; k++) {
			const struct diag *dg = &diags.v[k];
			if (!name_in(dg->analyzer, set))
				continue;
			int ok = 0;
			for (size_t w = 0; w < wants.n && !ok; w++)
				if (!wants.v[w].used && wants.v[w].line == dg->line &&
				    regexec(&wants.v[w].re, dg->message, 0, NULL, 0) == 0)
					ok = wants.v[w].used = 1;
			if (!ok)
				strbuf_addf(&errs, "%s:%u:%u: unexpected diagnostic: [%s] %s\n",
				            path, dg->line, dg->col, dg->analyzer, dg->message);
		}
		for (size_t w = 0; w < wants.n; w++)
			if (!wants.v[w].used)
				strbuf_addf(&errs, "%s:%u: missing diagnostic matching `%s`\n",
				            path, wants.v[w].line, wants.v[w].re_src);
		nwants += wants.n;
		free_wants(&wants);
		diag_array_release(&diags);
		strbuf_release(&src);
		free(names.v[i]);
	}
	*files = names.n;
	ARRAY_FREE(names);
	analysis_ctx_free(ctx);
	analysis_pkg_free(pkg);
	analysis_settings_release(&s);
	if (errs.len) {
		fprintf(stderr, "%s", errs.buf);
		strbuf_release(&errs);
		fail_msg("%s: diagnostics differ from the want comments", dir);
	}
	printf("%s: %zu files, %zu expected diagnostics\n", dir, *files, nwants);
	return nwants;
}

static size_t check_dir(const char *dir, const char *const *set, size_t *files)
{
	return check_dir_as(dir, NULL, set, files);
}

static void test_data_httpctx(void **state)
{
	static const char *const set[] = {"httpctx", "golive", NULL};
	size_t files;
	(void)state;
	assert_true(check_dir("tests/data/httpctx", set, &files) >= 15);
	assert_true(files >= 10);
}

/*
 * The one step into other files of the package: tests/data/httpctx/crossfile,
 * whose handlers.go calls functions of store.go and tools.go (reported, with
 * their file and line) and every false positive of the trackers (not).
 */
static void test_data_httpctx_crossfile(void **state)
{
	static const char *const set[] = {"httpctx", "golive", NULL};
	size_t files;
	(void)state;
	assert_int_equal(check_dir("tests/data/httpctx/crossfile", set, &files), 4);
	assert_int_equal(files, 5);
}

/* httpctx's advice fits the package's Go: tests/data/httpctx/go112 analysed as Go 1.12. */
static void test_data_httpctx_old_go(void **state)
{
	static const char *const set[] = {"httpctx", "golive", NULL};
	size_t files;
	(void)state;
	assert_int_equal(check_dir_as("tests/data/httpctx/go112", "go1.12", set, &files), 8);
	assert_int_equal(files, 1);
}

static void test_data_logtrace(void **state)
{
	static const char *const set[] = {"logtrace", "golive", NULL};
	size_t files;
	(void)state;
	assert_true(check_dir("tests/data/logtrace", set, &files) >= 15);
	assert_true(files >= 10);
}

/*
 * The fixture pair of golive check (tests/data/check/go120, go121), analysed
 * as their go.mod says: log calls in handlers get slog advice from Go 1.21 on
 * and in files that import log/slog, the request-scoped logger pattern in
 * older modules.
 */
static void test_data_goversion(void **state)
{
	static const char *const set[] = {"httpctx", "logtrace", "golive", NULL};
	size_t files;
	(void)state;
	assert_int_equal(check_dir_as("tests/data/check/go120", "go1.20", set, &files), 5);
	assert_int_equal(files, 2);
	assert_int_equal(check_dir_as("tests/data/check/go121", "go1.21", set, &files), 3);
	assert_int_equal(files, 1);
}

static void test_data_common(void **state)
{
	static const char *const set[] = {"httpctx", "logtrace", "golive", NULL};
	size_t files;
	(void)state;
	assert_true(check_dir("tests/data/common", set, &files) > 0);
}

/* ---- helpers, directly ----------------------------------------------------- */

struct fixture {
	struct analysis_settings s;
	struct analysis_ctx *ctx;
	struct analysis_file *f;
	diag_array out;
};

static void open_src(struct fixture *fx, const char *src)
{
	char *cause = NULL;
	analysis_settings_init(&fx->s);
	fx->ctx = analysis_ctx_new(&fx->s, &cause);
	assert_non_null(fx->ctx);
	memset(&fx->out, 0, sizeof(fx->out));
	fx->f = analysis_file_open(fx->ctx, "t.go", src, strlen(src), &fx->out);
	assert_non_null(fx->f);
}

static void close_src(struct fixture *fx)
{
	analysis_file_close(fx->f);
	analysis_ctx_free(fx->ctx);
	analysis_settings_release(&fx->s);
	diag_array_release(&fx->out);
}

/* The outermost call_expression starting on line (1-based). */
static TSNode call_at(struct analysis_file *f, unsigned line)
{
	TSTreeCursor c = ts_tree_cursor_new(f->root);
	TSNode found = {{0, 0, 0, 0}, NULL, NULL};
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		if (ts_node_start_point(n).row + 1 == line &&
		    strcmp(ts_node_type(n), "call_expression") == 0) {
			found = n;
			break;
		}
		if (!analysis_cursor_next(&c, 1))
			break;
	}
	ts_tree_cursor_delete(&c);
	if (ts_node_is_null(found))
		fail_msg("no call on line %u", line);
	return found;
}

static void test_import_names(void **state)
{
	struct fixture fx;
	(void)state;
	open_src(&fx, "package p\n"
	              "import \"context\"\n"
	              "import (\n"
	              "\tnethttp \"net/http\"\n"
	              "\t. \"os/exec\"\n"
	              "\t_ \"embed\"\n"
	              "\t\"github.com/go-chi/chi/v5\"\n"
	              "\t\"example.com/v2\"\n"
	              "\t`log/slog`\n"
	              "\t_ \"database/sql\"\n"
	              "\tsqlx \"database/sql\"\n"
	              ")\n");
	assert_string_equal(analysis_import_name(fx.f, "context"), "context");
	assert_string_equal(analysis_import_name(fx.f, "net/http"), "nethttp");
	assert_string_equal(analysis_import_name(fx.f, "os/exec"), ".");
	assert_null(analysis_import_name(fx.f, "embed"));
	assert_string_equal(analysis_import_name(fx.f, "github.com/go-chi/chi/v5"), "chi");
	assert_string_equal(analysis_import_name(fx.f, "example.com/v2"), "example.com");
	assert_string_equal(analysis_import_name(fx.f, "log/slog"), "slog");
	assert_string_equal(analysis_import_name(fx.f, "database/sql"), "sqlx");
	assert_null(analysis_import_name(fx.f, "fmt"));
	assert_null(analysis_import_name(fx.f, "http"));
	close_src(&fx);
}

static void test_shadowing(void **state)
{
	struct fixture fx;
	(void)state;
	open_src(&fx, "package p\n"                                        /* 1 */
	              "import (\n"                                         /* 2 */
	              "\t\"context\"\n"                                    /* 3 */
	              "\th \"net/http\"\n"                                 /* 4 */
	              "\t. \"os/exec\"\n"                                  /* 5 */
	              ")\n"                                                /* 6 */
	              "func a(context int) {\n"                            /* 7 */
	              "\tcontext.Background()\n"                           /* 8: param */
	              "}\n"                                                /* 9 */
	              "func b() {\n"                                       /* 10 */
	              "\tcontext.Background()\n"                           /* 11: yes */
	              "\th.Get(\"x\")\n"                                   /* 12: yes */
	              "\tCommand(\"ls\")\n"                                /* 13: yes (dot) */
	              "\tCommand := run\n"                                 /* 14 */
	              "\tCommand(\"ls\")\n"                                /* 15: shadowed */
	              "\tfor _, context := range xs { context.TODO() }\n"  /* 16: range */
	              "\tcontext.TODO()\n"                                 /* 17: yes */
	              "\thttp.Get(\"x\")\n"                                /* 18: no import */
	              "\tswitch h := v.(type) { case int: h.Get(\"\") }\n" /* 19: type switch */
	              "\tgo func(h int) { h.Get(\"\") }(1)\n"              /* 20: literal param */
	              "\tvar context = 1\n"                                /* 21 */
	              "\tcontext.TODO()\n"                                 /* 22: var */
	              "}\n"                                                /* 23 */
	              "func (h *T) c() {\n"                                /* 24 */
	              "\th.Get(\"x\")\n"                                   /* 25: receiver */
	              "\tif h := 1; true { h.Get(\"\") }\n"                /* 26: if init */
	              "}\n"                                                /* 27 */
	              "func d() (h int) {\n"                               /* 28 */
	              "\th.Get(\"x\")\n"                                   /* 29: named result */
	              "\treturn\n"                                         /* 30 */
	              "}\n"                                                /* 31 */
	              "func e() {\n"                                       /* 32 */
	              "\tselect { case h := <-ch: h.Get(\"\") }\n"         /* 33: receive */
	              "\tconst context = 1\n"                              /* 34 */
	              "\tcontext.TODO()\n"                                 /* 35: const */
	              "\th.Get(\"x\")\n"                                   /* 36: yes */
	              "\tfor h := 0; ; { h.Get(\"\") }\n"                  /* 37: for init */
	              "\th := h.Get(\"x\")\n" /* 38: yes: scope starts after */
	              "}\n");                 /* 39 */
	struct analysis_file *f = fx.f;
	assert_false(analysis_is_pkg_call(f, call_at(f, 8), "context", "Background"));
	assert_true(analysis_is_pkg_call(f, call_at(f, 11), "context", "Background"));
	assert_false(analysis_is_pkg_call(f, call_at(f, 11), "context", "TODO"));
	assert_false(analysis_is_pkg_call(f, call_at(f, 11), "net/http", "Background"));
	assert_true(analysis_is_pkg_call(f, call_at(f, 12), "net/http", "Get"));
	assert_true(analysis_is_pkg_call(f, call_at(f, 13), "os/exec", "Command"));
	assert_false(analysis_is_pkg_call(f, call_at(f, 15), "os/exec", "Command"));
	assert_false(analysis_is_pkg_call(f, call_at(f, 16), "context", "TODO"));
	assert_true(analysis_is_pkg_call(f, call_at(f, 17), "context", "TODO"));
	assert_false(analysis_is_pkg_call(f, call_at(f, 18), "net/http", "Get"));
	assert_false(analysis_is_pkg_call(f, call_at(f, 22), "context", "TODO"));
	assert_false(analysis_is_pkg_call(f, call_at(f, 25), "net/http", "Get"));
	assert_false(analysis_is_pkg_call(f, call_at(f, 29), "net/http", "Get"));
	assert_false(analysis_is_pkg_call(f, call_at(f, 35), "context", "TODO"));
	assert_true(analysis_is_pkg_call(f, call_at(f, 36), "net/http", "Get"));
	assert_true(analysis_is_pkg_call(f, call_at(f, 38), "net/http", "Get"));
	close_src(&fx);
}

/* Nested shadowing cases through the analyzer, where the call sits deep in a statement. */
static void test_shadowing_nested(void **state)
{
	struct fixture fx;
	(void)state;
	open_src(&fx, "package p\n"
	              "import \"net/http\"\n"
	              "func f() {\n"
	              "\tswitch http := v.(type) { case int: http.Get(\"\") }\n" /* 4 */
	              "\tgo func(http int) { http.Get(\"\") }(1)\n"              /* 5 */
	              "\tselect { case http := <-ch: http.Get(\"\") }\n"         /* 6 */
	              "\tfor http := 0; ; { http.Get(\"\") }\n"                  /* 7 */
	              "\tif http := 1; true { http.Get(\"\") }\n"                /* 8 */
	              "\tfor _, v := range xs { http.Get(v) }\n"                 /* 9: yes */
	              "}\n");
	struct analysis_file *f = fx.f;
	/* the http.Get calls are inside statements: find them by walking each line's tree */
	for (unsigned line = 4; line <= 9; line++) {
		TSTreeCursor c = ts_tree_cursor_new(f->root);
		int found = 0, is = 0;
		for (;;) {
			TSNode n = ts_tree_cursor_current_node(&c);
			size_t len;
			const char *t = analysis_text(f, n, &len);
			if (ts_node_start_point(n).row + 1 == line &&
			    strcmp(ts_node_type(n), "call_expression") == 0 && len > 8 &&
			    memcmp(t, "http.Get", 8) == 0) {
				found = 1;
				is = analysis_is_pkg_call(f, n, "net/http", "Get");
				break;
			}
			if (!analysis_cursor_next(&c, 1))
				break;
		}
		ts_tree_cursor_delete(&c);
		assert_true(found);
		if (is != (line == 9))
			fail_msg("line %u: http.Get resolved to net/http: %d", line, is);
	}
	close_src(&fx);
}

struct seen {
	char names[16][16];
	size_t n;
};

static void note_handler(struct analysis_file *f, const struct http_handler *h, void *data)
{
	struct seen *s = data;
	(void)f;
	assert_true(s->n < 16);
	snprintf(s->names[s->n++], 16, "%u:%.*s", ts_node_start_point(h->node).row + 1,
	         (int)h->req_len, h->req);
}

static void test_handlers(void **state)
{
	struct fixture fx;
	struct seen seen;
	(void)state;
	memset(&seen, 0, sizeof(seen));
	open_src(&fx, "package p\n"                                                      /* 1 */
	              "import hp \"net/http\"\n"                                         /* 2 */
	              "func a(w hp.ResponseWriter, r *hp.Request) {}\n"                  /* 3 */
	              "func b(w hp.ResponseWriter, _ *hp.Request) {}\n"                  /* 4 */
	              "func c(r *hp.Request) {}\n"                                       /* 5 */
	              "func (s S) ServeHTTP(rw hp.ResponseWriter, req *hp.Request) {\n"  /* 6 */
	              "\tgo func() { x() }()\n"                                          /* 7 */
	              "\tin := func(w hp.ResponseWriter, r2 *hp.Request) { y() }\n"      /* 8 */
	              "}\n"                                                              /* 9 */
	              "func d(mux *hp.ServeMux) {\n"                                     /* 10 */
	              "\tmux.HandleFunc(\"/\", func(w ResponseWriter, q *Request) {})\n" /* 11 */
	              "\thp.Handle(\"/\", hp.HandlerFunc(func(w, z int) {}))\n"          /* 12 */
	              "\tz()\n"                                                          /* 13 */
	              "}\n"                                                              /* 14 */
	              "func e(w http.ResponseWriter, r *http.Request) {}\n" /* 15: no such import */
	              "func g(w hp.ResponseWriter, r hp.Request) {}\n");    /* 16: not a pointer */
	analysis_for_each_handler(fx.f, note_handler, &seen);
	assert_int_equal(seen.n, 6);
	assert_string_equal(seen.names[0], "3:r");
	assert_string_equal(seen.names[1], "4:");
	assert_string_equal(seen.names[2], "6:req");
	assert_string_equal(seen.names[3], "8:r2");
	assert_string_equal(seen.names[4], "11:q");
	assert_string_equal(seen.names[5], "12:z");

	struct http_handler h;
	assert_true(analysis_enclosing_handler(fx.f, call_at(fx.f, 7), &h));
	assert_true(h.req_len == 3 && memcmp(h.req, "req", 3) == 0);
	TSNode y = call_at(fx.f, 8);
	/* line 8's first call is y() inside the literal */
	assert_true(analysis_enclosing_handler(fx.f, y, &h));
	assert_true(h.req_len == 2 && memcmp(h.req, "r2", 2) == 0);
	assert_false(analysis_enclosing_handler(fx.f, call_at(fx.f, 13), &h));
	close_src(&fx);
}

static void test_dot_import_handlers(void **state)
{
	struct fixture fx;
	struct seen seen;
	(void)state;
	memset(&seen, 0, sizeof(seen));
	open_src(&fx, "package p\n"
	              "import . \"net/http\"\n"
	              "func a(w ResponseWriter, r *Request) {}\n"
	              "func b(w ResponseWriter, r *Other) {}\n");
	analysis_for_each_handler(fx.f, note_handler, &seen);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.names[0], "3:r");
	close_src(&fx);
}

/* ---- settings ------------------------------------------------------------ */

static void sample_settings(struct analysis_settings *s)
{
	analysis_settings_init(s);
	struct analyzer_setting a = {xstrdup("httpctx"), 1, SEV_ERROR};
	struct analyzer_setting b = {xstrdup("logtrace"), 0, -1};
	ARRAY_PUSH(s->analyzers, a);
	ARRAY_PUSH(s->analyzers, b);
	struct rule_spec r;
	memset(&r, 0, sizeof(r));
	r.id = xstrdup("no-panic");
	r.query = xstrdup("(call_expression function: (identifier) @f (#eq? @f \"panic\"))");
	r.message = xstrdup("do not {{f}} in \"handlers\"");
	r.severity = SEV_ERROR;
	r.handler_scope = 1;
	r.where = xstrdup("golive.yaml:7:12");
	r.line = 7;
	r.col = 12;
	r.block = 1;
	r.indent = 4;
	ARRAY_PUSH(s->rules, r);
	s->fail_on = FAIL_WARNING;
	s->include_generated = 1;
}

static char *dump(const struct analysis_settings *s)
{
	json_t *j = analysis_settings_to_json(s);
	char *t = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(j);
	return t;
}

static void test_settings_json(void **state)
{
	struct analysis_settings s, back;
	char *cause = NULL;
	(void)state;
	sample_settings(&s);
	json_t *j = analysis_settings_to_json(&s);
	assert_int_equal(analysis_settings_from_json(&back, j, &cause), 0);
	json_decref(j);
	char *a = dump(&s), *b = dump(&back);
	assert_string_equal(a, b);
	assert_int_equal(back.fail_on, FAIL_WARNING);
	assert_int_equal(back.rules.n, 1);
	assert_string_equal(back.rules.v[0].message, "do not {{f}} in \"handlers\"");
	assert_int_equal(back.rules.v[0].line, 7);
	assert_int_equal(back.rules.v[0].block, 1);
	assert_int_equal(back.analyzers.v[1].enabled, 0);
	assert_int_equal(back.analyzers.v[1].severity, -1);
	assert_true(analysis_settings_hash(&s) == analysis_settings_hash(&back));
	free(a);
	free(b);
	analysis_settings_release(&back);
	analysis_settings_release(&s);

	static const char *const bad[] = {
	    "[]",
	    "{\"analyzers\": 3}",
	    "{\"fail_on\": \"sometimes\"}",
	    "{\"rules\": [{\"id\": \"x\"}]}",
	    "{\"rules\": [{\"id\": \"x\", \"query\": \"(a)\", \"message\": \"m\", \"scope\": 1}]}",
	    "{\"analyzers\": [{\"name\": \"httpctx\", \"severity\": \"fatal\"}]}",
	    "{\"analyzers\": [{\"enabled\": true}]}",
	    "{\"include_generated\": 1}",
	    "{\"rules\":[{\"id\":\"x\",\"query\":\"(a)\",\"message\":\"m\",\"scope\":\"pkg\"}]}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		json_t *o = json_loads(bad[i], 0, NULL);
		assert_non_null(o);
		if (analysis_settings_from_json(&back, o, &cause) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(cause);
		assert_int_equal(back.analyzers.n + back.rules.n, 0);
		free(cause);
		cause = NULL;
		json_decref(o);
	}
	json_t *empty = json_object();
	assert_int_equal(analysis_settings_from_json(&back, empty, &cause), 0);
	assert_int_equal(back.fail_on, FAIL_NEVER);
	json_decref(empty);
	analysis_settings_release(&back);
}

static void test_settings_hash(void **state)
{
	struct analysis_settings s, t;
	(void)state;
	sample_settings(&s);
	sample_settings(&t);
	uint64_t h = analysis_settings_hash(&s);
	assert_true(h == analysis_settings_hash(&t));
	assert_true(h == analysis_settings_hash(&s)); /* stable across calls */

	t.fail_on = FAIL_NEVER; /* does not change findings */
	t.include_deps = 1;
	assert_true(h == analysis_settings_hash(&t));
	t.analyzers.v[0].severity = SEV_WARNING;
	assert_true(h != analysis_settings_hash(&t));
	t.analyzers.v[0].severity = SEV_ERROR;
	free(t.rules.v[0].message);
	t.rules.v[0].message = xstrdup("other");
	assert_true(h != analysis_settings_hash(&t));
	analysis_settings_release(&t);
	sample_settings(&t);
	t.include_generated = 0;
	assert_true(h != analysis_settings_hash(&t));
	analysis_settings_release(&t);

	/* the same effective set, written differently, hashes the same */
	struct analysis_settings e1, e2;
	analysis_settings_init(&e1);
	analysis_settings_init(&e2);
	struct analyzer_setting x = {xstrdup("httpctx"), 1, -1};
	ARRAY_PUSH(e2.analyzers, x);
	assert_true(analysis_settings_hash(&e1) == analysis_settings_hash(&e2));
	struct analyzer_setting y = {xstrdup("httpctx"), 1, SEV_WARNING}; /* its default */
	ARRAY_PUSH(e2.analyzers, y);
	assert_true(analysis_settings_hash(&e1) == analysis_settings_hash(&e2));
	struct analyzer_setting z = {xstrdup("httpctx"), 0, -1};
	ARRAY_PUSH(e2.analyzers, z);
	assert_true(analysis_settings_hash(&e1) != analysis_settings_hash(&e2));
	analysis_settings_release(&e1);
	analysis_settings_release(&e2);
	analysis_settings_release(&s);
}

/* ---- settings applied ---------------------------------------------------- */

static const char handler_src[] = "package p\n"
                                  "import (\n"
                                  "\t\"context\"\n"
                                  "\t\"log\"\n"
                                  "\t\"net/http\"\n"
                                  ")\n"
                                  "func h(w http.ResponseWriter, r *http.Request) {\n"
                                  "\t/* \xc3\xa9\xc3\xa9 */ log.Print(context.Background())\n"
                                  "\t//golive:ignore httpctx\n"
                                  "}\n";

static size_t count(const diag_array *d, const char *analyzer)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].analyzer, analyzer) == 0)
			n++;
	return n;
}

static void run_with(struct analysis_settings *s, const char *src, diag_array *out)
{
	char *cause = NULL;
	struct analysis_ctx *ctx = analysis_ctx_new(s, &cause);
	assert_non_null(ctx);
	assert_int_equal(analysis_run_source(ctx, "h.go", src, strlen(src), out), 0);
	analysis_ctx_free(ctx);
}

static const struct diag *find(const diag_array *d, const char *analyzer)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].analyzer, analyzer) == 0)
			return &d->v[i];
	return NULL;
}

static void test_defaults_and_columns(void **state)
{
	struct analysis_settings s;
	diag_array out = ARRAY_INIT;
	(void)state;
	assert_int_equal(analyzer_find("httpctx")->severity, SEV_WARNING);
	assert_int_equal(analyzer_find("logtrace")->severity, SEV_INFO);
	assert_null(analyzer_find("nope"));
	analysis_settings_init(&s);
	run_with(&s, handler_src, &out);
	assert_int_equal(out.n, 3);
	const struct diag *h = find(&out, "httpctx"), *l = find(&out, "logtrace");
	const struct diag *g = find(&out, "golive");
	assert_non_null(h);
	assert_non_null(l);
	assert_non_null(g);
	assert_int_equal(h->severity, SEV_WARNING);
	assert_int_equal(l->severity, SEV_INFO);
	assert_int_equal(g->severity, SEV_WARNING);
	assert_string_equal(h->file, "h.go");
	/* tab, comment opener, two 2-byte letters, closer, space: log.Print at byte column 13 */
	assert_int_equal(l->line, 8);
	assert_int_equal(l->col, 13);
	assert_int_equal(h->col, 23);
	assert_int_equal(g->line, 9);
	assert_int_equal(g->col, 2);
	diag_array_release(&out);
	analysis_settings_release(&s);
}

static void test_disabled_and_severity(void **state)
{
	struct analysis_settings s;
	diag_array out = ARRAY_INIT;
	(void)state;
	analysis_settings_init(&s);
	struct analyzer_setting off = {xstrdup("httpctx"), 0, SEV_ERROR};
	struct analyzer_setting err = {xstrdup("logtrace"), 1, SEV_ERROR};
	struct analyzer_setting self = {xstrdup("golive"), 0, -1};
	ARRAY_PUSH(s.analyzers, off);
	ARRAY_PUSH(s.analyzers, err);
	ARRAY_PUSH(s.analyzers, self);
	run_with(&s, handler_src, &out);
	assert_int_equal(out.n, 1);
	assert_string_equal(out.v[0].analyzer, "logtrace");
	assert_int_equal(out.v[0].severity, SEV_ERROR);
	assert_true(diag_fails(&out, FAIL_ERROR));
	diag_array_release(&out);

	s.analyzers.v[0].enabled = 1; /* on again, at error */
	run_with(&s, handler_src, &out);
	assert_int_equal(count(&out, "httpctx"), 1);
	assert_int_equal(find(&out, "httpctx")->severity, SEV_ERROR);
	diag_array_release(&out);
	analysis_settings_release(&s);
}

static void test_generated_and_files(void **state)
{
	struct analysis_settings s;
	diag_array out = ARRAY_INIT;
	char *cause = NULL;
	static const char gen[] =
	    "// Code generated by x. DO NOT EDIT.\n"
	    "package p\n"
	    "import (\"context\"; \"net/http\")\n"
	    "func h(w http.ResponseWriter, r *http.Request) { context.TODO() }\n";
	(void)state;
	analysis_settings_init(&s);
	struct analysis_ctx *ctx = analysis_ctx_new(&s, &cause);
	assert_int_equal(analysis_run_source(ctx, "g.go", gen, sizeof(gen) - 1, &out), 1);
	assert_int_equal(out.n, 0);
	s.include_generated = 1;
	assert_int_equal(analysis_run_source(ctx, "g.go", gen, sizeof(gen) - 1, &out), 0);
	assert_int_equal(count(&out, "httpctx"), 1);
	diag_array_release(&out);

	assert_int_equal(analysis_run_file(ctx, "tests/data/nonexistent.go", &out, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "nonexistent.go"));
	free(cause);
	assert_int_equal(analysis_run_file(ctx, "tests/data/httpctx/basic.go", &out, &cause), 0);
	assert_true(count(&out, "httpctx") >= 15);
	diag_array_release(&out);

	/* empty input, a lone NUL, garbage: no findings, no crash */
	assert_int_equal(analysis_run_source(ctx, "e.go", "", 0, &out), 0);
	assert_int_equal(analysis_run_source(ctx, "e.go", "\0", 1, &out), 0);
	assert_int_equal(analysis_run_source(ctx, "e.go", "}}}{{{((", 8, &out), 0);
	assert_int_equal(out.n, 0);
	analysis_ctx_free(ctx);
	analysis_settings_release(&s);
}

/* How many findings of analyzer in d have a message containing s. */
static size_t count_msg(const diag_array *d, const char *analyzer, const char *s)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].analyzer, analyzer) == 0 && strstr(d->v[i].message, s))
			n++;
	return n;
}

/*
 * logtrace by the package's Go version: log.*, *log.Logger calls get slog
 * advice from Go 1.21 (log/slog) or in files importing log/slog, the
 * request-scoped logger pattern (naming the version) before; slog calls
 * always; an unknown version is the newest Go. httpctx never depends on it.
 */
static void test_logtrace_goversion(void **state)
{
	static const char stdlog[] = "package p\n"
	                             "import (\n"
	                             "\t\"context\"\n"
	                             "\t\"log\"\n"
	                             "\t\"net/http\"\n"
	                             ")\n"
	                             "func h(w http.ResponseWriter, r *http.Request) {\n"
	                             "\tlog.Printf(\"x\")\n"
	                             "\tl := log.Default()\n"
	                             "\tl.Println(\"y\")\n"
	                             "\tlog.Fatal(context.TODO())\n"
	                             "}\n";
	static const char withslog[] = "package p\n"
	                               "import (\n"
	                               "\t\"log\"\n"
	                               "\tlg \"log/slog\"\n"
	                               "\t\"net/http\"\n"
	                               ")\n"
	                               "func h(w http.ResponseWriter, r *http.Request) {\n"
	                               "\tlog.Printf(\"x\")\n"
	                               "\tlg.Info(\"y\")\n"
	                               "}\n";
	static const struct {
		const char *version; /* NULL: unknown */
		size_t stdlog,
		    withslog; /* findings; stdlog with slog advice (else request-scoped) */
	} cases[] = {
	    {NULL, 3, 2},     {"go1.21", 3, 2},           {"go1.20", 0, 2},     {"go1.19", 0, 2},
	    {"go1.16", 0, 2}, {"go1.21rc1", 3, 2},        {"go1.20.14", 0, 2},  {"1.21.0", 3, 2},
	    {"go1.26", 3, 2}, {"devel go1.21-abc", 3, 2}, {"devel +abc", 3, 2}, {"go2.0", 3, 2},
	};
	struct analysis_settings s;
	char *cause = NULL;
	(void)state;
	analysis_settings_init(&s);
	struct analysis_ctx *ctx = analysis_ctx_new(&s, &cause);
	assert_non_null(ctx);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct goversion v;
		diag_array a = ARRAY_INIT, b = ARRAY_INIT;
		if (cases[i].version) {
			assert_int_equal(goversion_parse(cases[i].version, &v), 0);
			analysis_ctx_set_goversion(ctx, &v);
		} else {
			analysis_ctx_set_goversion(ctx, NULL);
		}
		assert_int_equal(analysis_run_source(ctx, "a.go", stdlog, strlen(stdlog), &a), 0);
		assert_int_equal(analysis_run_source(ctx, "b.go", withslog, strlen(withslog), &b),
		                 0);
		/* always 3 findings in a; with slog advice where slog exists, else the pattern */
		size_t sl = count_msg(&a, "logtrace", "use slog.");
		size_t rs =
		    count_msg(&a, "logtrace", "request-scoped logger taken from r.Context()");
		if (count(&a, "logtrace") != 3 || sl != cases[i].stdlog ||
		    rs != 3 - cases[i].stdlog || count(&b, "logtrace") != cases[i].withslog ||
		    count_msg(&b, "logtrace", "request-scoped") != 0)
			fail_msg(
			    "%s: %zu (%zu slog, %zu request-scoped) and %zu logtrace findings, "
			    "want 3 (%zu slog) and %zu",
			    cases[i].version ? cases[i].version : "unknown", count(&a, "logtrace"),
			    sl, rs, count(&b, "logtrace"), cases[i].stdlog, cases[i].withslog);
		if (cases[i].version && !cases[i].stdlog) {
			char want[64], vs[GOVERSION_MAX];
			snprintf(want, sizeof(want), "this package is %s)",
			         goversion_format(&v, vs, sizeof(vs)));
			assert_int_equal(count_msg(&a, "logtrace", want), 3);
		}
		assert_int_equal(count(&a, "httpctx"), 1); /* whatever the version */
		diag_array_release(&a);
		diag_array_release(&b);
	}

	/* the version stays until set again; an unknown one is the newest Go */
	diag_array a = ARRAY_INIT;
	struct goversion old, unknown = GOVERSION_UNKNOWN;
	assert_int_equal(goversion_parse("go1.20", &old), 0);
	analysis_ctx_set_goversion(ctx, &old);
	analysis_run_source(ctx, "a.go", stdlog, strlen(stdlog), &a);
	analysis_run_source(ctx, "a.go", stdlog, strlen(stdlog), &a);
	assert_int_equal(count_msg(&a, "logtrace", "use slog."), 0);
	assert_int_equal(count_msg(&a, "logtrace", "this package is go1.20)"), 6);
	analysis_ctx_set_goversion(ctx, &unknown);
	analysis_run_source(ctx, "a.go", stdlog, strlen(stdlog), &a);
	assert_int_equal(count_msg(&a, "logtrace", "use slog."), 3);
	diag_array_release(&a);

	/* what analyzers see: the file's version and analysis_go_at_least */
	diag_array out = ARRAY_INIT;
	analysis_ctx_set_goversion(ctx, &old);
	struct analysis_file *f = analysis_file_open(ctx, "a.go", stdlog, strlen(stdlog), &out);
	assert_non_null(f);
	assert_int_equal(f->lang.minor, 20);
	assert_true(analysis_go_at_least(f, 1, 20));
	assert_false(analysis_go_at_least(f, 1, 21));
	analysis_file_close(f);
	analysis_ctx_set_goversion(ctx, NULL);
	f = analysis_file_open(ctx, "a.go", stdlog, strlen(stdlog), &out);
	assert_false(goversion_known(&f->lang));
	assert_true(analysis_go_at_least(f, 1, 99)); /* unknown: the newest Go */
	analysis_file_close(f);
	assert_int_equal(out.n, 0);

	analysis_ctx_free(ctx);
	analysis_settings_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_data_httpctx),
	    cmocka_unit_test(test_data_httpctx_old_go),
	    cmocka_unit_test(test_data_httpctx_crossfile),
	    cmocka_unit_test(test_data_logtrace),
	    cmocka_unit_test(test_data_goversion),
	    cmocka_unit_test(test_data_common),
	    cmocka_unit_test(test_logtrace_goversion),
	    cmocka_unit_test(test_import_names),
	    cmocka_unit_test(test_shadowing),
	    cmocka_unit_test(test_shadowing_nested),
	    cmocka_unit_test(test_handlers),
	    cmocka_unit_test(test_dot_import_handlers),
	    cmocka_unit_test(test_settings_json),
	    cmocka_unit_test(test_settings_hash),
	    cmocka_unit_test(test_defaults_and_columns),
	    cmocka_unit_test(test_disabled_and_severity),
	    cmocka_unit_test(test_generated_and_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
