/* golist.c - see golist.h. */
#define _GNU_SOURCE
#include "core/golist.h"
#include "core/gotool.h"
#include "core/goversion.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* go list prints about 150 bytes per package; a million packages stay below this. */
#define GOLIST_MAX_OUTPUT (1024u * 1024u * 1024u)
#define GOLIST_MAX_STDERR (64u * 1024u)

/* The fields golive reads: go list -json=... computes and prints only these. */
static const char base_fields[] = "ImportPath,Dir,Name,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles,"
                                  "Standard,Goroot,Module,Error,DepOnly";

void golist_package_release(struct golist_package *p)
{
	free(p->import_path);
	free(p->dir);
	free(p->name);
	argv_clear(&p->go_files);
	argv_clear(&p->cgo_files);
	argv_clear(&p->test_go_files);
	argv_clear(&p->xtest_go_files);
	argv_clear(&p->imports);
	argv_clear(&p->deps);
	if (p->module) {
		free(p->module->path);
		free(p->module->dir);
		free(p->module->go_version);
		free(p->module);
	}
	free(p->error);
	memset(p, 0, sizeof(*p));
}

const char *golist_go_version(const struct golist_package *p, const char *toolchain)
{
	struct goversion m, t;
	if (!p->module)
		return toolchain;
	const char *v = p->module->go_version && *p->module->go_version
	                    ? p->module->go_version
	                    : "1.16"; /* cmd/go's gover.DefaultGoModVersion */
	/* cmd/go before 1.21 passes no -lang for a version it does not know yet (allowedVersion) */
	if (toolchain && goversion_parse(toolchain, &t) == 0 && !goversion_at_least(&t, 1, 21) &&
	    goversion_parse(v, &m) == 0 && !goversion_at_least(&t, m.major, m.minor))
		return toolchain;
	return v;
}

void golist_packages_release(golist_packages *a)
{
	for (size_t i = 0; i < a->n; i++)
		golist_package_release(&a->v[i]);
	ARRAY_FREE(*a);
}

static char *dup_string(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

static void get_strings(json_t *o, const char *key, struct argv_array *out)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;
	json_array_foreach(a, i, v)
	{
		if (json_is_string(v))
			argv_push(out, json_string_value(v));
	}
}

/*
 * The package error as one line: go's text may span lines ("to add it:\n\tgo
 * get ..."); every run of whitespace holding a newline becomes one space.
 * The position is put in front when go gives it apart from the text.
 */
static char *one_line_error(json_t *err)
{
	const char *text = json_string_value(json_object_get(err, "Err"));
	const char *pos = json_string_value(json_object_get(err, "Pos"));
	struct strbuf sb = STRBUF_INIT;

	if (!text)
		text = json_is_string(err) ? json_string_value(err) : "unknown error";
	if (pos && *pos && !starts_with(text, pos))
		strbuf_addf(&sb, "%s: ", pos);
	for (const char *p = text; *p;) {
		size_t n = strspn(p, " \t\r\n");
		if (!n) {
			strbuf_addch(&sb, *p++);
			continue;
		}
		if (memchr(p, '\n', n) || memchr(p, '\r', n)) {
			if (p[n] && sb.len)
				strbuf_addch(&sb, ' ');
		} else {
			strbuf_add(&sb, p, n);
		}
		p += n;
	}
	while (sb.len && (sb.buf[sb.len - 1] == ' ' || sb.buf[sb.len - 1] == '\t'))
		sb.buf[--sb.len] = '\0';
	return strbuf_detach(&sb, NULL);
}

static void decode_package(json_t *o, struct golist_package *p)
{
	json_t *mod = json_object_get(o, "Module"), *err = json_object_get(o, "Error");

	memset(p, 0, sizeof(*p));
	p->import_path = dup_string(o, "ImportPath");
	if (!p->import_path)
		p->import_path = xstrdup("");
	p->dir = dup_string(o, "Dir");
	p->name = dup_string(o, "Name");
	get_strings(o, "GoFiles", &p->go_files);
	get_strings(o, "CgoFiles", &p->cgo_files);
	get_strings(o, "TestGoFiles", &p->test_go_files);
	get_strings(o, "XTestGoFiles", &p->xtest_go_files);
	get_strings(o, "Imports", &p->imports);
	get_strings(o, "Deps", &p->deps);
	p->standard = json_is_true(json_object_get(o, "Standard"));
	p->goroot = json_is_true(json_object_get(o, "Goroot"));
	p->dep_only = json_is_true(json_object_get(o, "DepOnly"));
	if (json_is_object(mod)) {
		p->module = xcalloc(1, sizeof(*p->module));
		p->module->path = dup_string(mod, "Path");
		if (!p->module->path)
			p->module->path = xstrdup("");
		p->module->dir = dup_string(mod, "Dir");
		p->module->main = json_is_true(json_object_get(mod, "Main"));
		p->module->go_version = dup_string(mod, "GoVersion");
	}
	if (err && !json_is_null(err))
		p->error = one_line_error(err);
}

int golist_decode(const char *buf, size_t len, golist_packages *out, char **cause)
{
	size_t off = 0;

	for (;;) {
		while (off < len && (buf[off] == ' ' || buf[off] == '\t' || buf[off] == '\r' ||
		                     buf[off] == '\n'))
			off++;
		if (off >= len)
			return 0;
		json_error_t jerr;
		json_t *o = json_loadb(buf + off, len - off,
		                       JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &jerr);
		if (!o) {
			*cause = xasprintf("go list output at byte %zu: %s", off, jerr.text);
			return -1;
		}
		if (!json_is_object(o)) {
			json_decref(o);
			*cause = xasprintf("go list output at byte %zu: not a package object", off);
			return -1;
		}
		struct golist_package p;
		decode_package(o, &p);
		ARRAY_PUSH(*out, p);
		json_decref(o);
		if (jerr.position <= 0)
			BUG("jansson consumed no input");
		off += (size_t)jerr.position;
	}
}

/* The first non-empty line of s (malloc'd), or NULL. */
static char *first_line(const char *s)
{
	s += strspn(s, " \t\r\n");
	if (!*s)
		return NULL;
	return xstrndup(s, strcspn(s, "\r\n"));
}

int golist_run(const char *go, const struct argv_array *flags, const struct argv_array *patterns,
               unsigned mode, golist_packages *out, char **cause)
{
	struct argv_array argv = ARGV_ARRAY_INIT;
	struct strbuf o = STRBUF_INIT, e = STRBUF_INIT;
	size_t before = out->n;
	int ret = -1;

	if ((mode & GOLIST_FIND) && (mode & GOLIST_DEPS))
		BUG("golist_run: GOLIST_FIND with GOLIST_DEPS");
	argv_push(&argv, go);
	argv_push(&argv, "list");
	argv_push(&argv, "-e");
	argv_pushf(&argv, "-json=%s%s", base_fields, (mode & GOLIST_GRAPH) ? ",Imports,Deps" : "");
	if (mode & GOLIST_FIND)
		argv_push(&argv, "-find");
	if (mode & GOLIST_DEPS)
		argv_push(&argv, "-deps");
	for (size_t i = 0; flags && i < flags->argc; i++)
		argv_push(&argv, flags->argv[i]);
	if (patterns && patterns->argc) {
		argv_push(&argv, "--");
		for (size_t i = 0; i < patterns->argc; i++)
			argv_push(&argv, patterns->argv[i]);
	}

	int rc = gotool_run_capture(argv.argv, &o, &e, GOLIST_MAX_OUTPUT, cause);
	if (rc < 0)
		goto out;
	if (o.len >= GOLIST_MAX_OUTPUT) {
		*cause = xasprintf("go list printed more than %u MiB", GOLIST_MAX_OUTPUT >> 20);
		goto out;
	}
	if (golist_decode(o.buf, o.len, out, cause) < 0)
		goto out;
	if (rc != 0 && out->n == before) {
		char *line = first_line(e.buf);
		*cause = line ? line : xasprintf("go list exited with status %d", rc);
		goto out;
	}
	ret = 0;
out:
	argv_clear(&argv);
	strbuf_release(&o);
	strbuf_release(&e);
	return ret;
}
