/* testgraph.c - see testgraph.h. */
#define _GNU_SOURCE
#include "gotest/testgraph.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xxhash.h>

static const char *const file_fields[] = {
    "GoFiles",        "CgoFiles",        "CFiles",        "CXXFiles",    "HFiles",
    "SFiles",         "SysoFiles",       "EmbedFiles",    "TestGoFiles", "XTestGoFiles",
    "TestEmbedFiles", "XTestEmbedFiles", "IgnoredGoFiles"};

void testgraph_init(struct testgraph *g, const char *root)
{
	memset(g, 0, sizeof(*g));
	g->root = xstrdup(root);
}

void testgraph_release(struct testgraph *g)
{
	for (size_t i = 0; i < g->pkgs.n; i++) {
		free(g->pkgs.v[i].path);
		free(g->pkgs.v[i].dir);
		argv_clear(&g->pkgs.v[i].imports);
		argv_clear(&g->pkgs.v[i].timports);
	}
	ARRAY_FREE(g->pkgs);
	pathmap_clear(&g->files);
	pathmap_clear(&g->dirs);
	pathmap_clear(&g->index);
	free(g->root);
	memset(g, 0, sizeof(*g));
}

void testgraph_list_argv(struct argv_array *out, const struct argv_array *flags,
                         const struct argv_array *patterns)
{
	argv_push(out, "list");
	argv_push(out, "-deps");
	argv_push(out, "-test");
	argv_push(out, "-e");
	argv_push(out, "-json=ImportPath,Dir,Standard,DepOnly,ForTest,GoFiles,CgoFiles,CFiles,"
	               "CXXFiles,HFiles,SFiles,SysoFiles,EmbedFiles,TestGoFiles,XTestGoFiles,"
	               "TestEmbedFiles,XTestEmbedFiles,IgnoredGoFiles,Imports,TestImports,"
	               "XTestImports,Error");
	for (size_t i = 0; flags && i < flags->argc; i++)
		argv_push(out, flags->argv[i]);
	argv_push(out, "--");
	for (size_t i = 0; patterns && i < patterns->argc; i++)
		argv_push(out, patterns->argv[i]);
}

static void push_strings(struct argv_array *out, json_t *a)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		if (s && *s)
			argv_push(out, s);
	}
}

/* A generated test main ("p.test"): its GoFiles are in go's cache, absolute. */
static int is_test_main(json_t *o)
{
	json_t *a = json_object_get(o, "GoFiles");
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		if (s && s[0] == '/')
			return 1;
	}
	return 0;
}

static void parse_one(json_t *o, void *data)
{
	struct testgraph *ng = data;
	const char *dir = json_string_value(json_object_get(o, "Dir"));
	const char *ip = json_string_value(json_object_get(o, "ImportPath"));
	const char *rel = dir && ip && !json_is_true(json_object_get(o, "Standard"))
	                      ? devgraph_rel(ng->root, dir)
	                      : NULL;
	if (json_object_get(o, "Error"))
		ng->errors++;
	if (!rel || strchr(ip, ' ') || json_object_get(o, "ForTest") ||
	    (ends_with(ip, ".test") && is_test_main(o)) || testgraph_find(ng, ip) >= 0)
		return;
	struct testgraph_pkg p;
	memset(&p, 0, sizeof(p));
	p.path = xstrdup(ip);
	p.dir = xstrdup(rel);
	p.target = !json_is_true(json_object_get(o, "DepOnly"));
	p.has_tests = json_array_size(json_object_get(o, "TestGoFiles")) +
	                  json_array_size(json_object_get(o, "XTestGoFiles")) >
	              0;
	push_strings(&p.imports, json_object_get(o, "Imports"));
	push_strings(&p.timports, json_object_get(o, "TestImports"));
	push_strings(&p.timports, json_object_get(o, "XTestImports"));
	ARRAY_PUSH(ng->pkgs, p);
	uint64_t idx = ng->pkgs.n;
	pathmap_set(&ng->dirs, rel, idx);
	pathmap_set(&ng->index, ip, idx);
	for (size_t f = 0; f < ARRAY_SIZE(file_fields); f++) {
		json_t *a = json_object_get(o, file_fields[f]);
		size_t i;
		json_t *v;
		json_array_foreach(a, i, v)
		{
			const char *name = json_string_value(v);
			if (!name || !*name || name[0] == '/')
				continue;
			char *fp = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
			pathmap_set(&ng->files, fp, idx);
			free(fp);
		}
	}
}

int testgraph_parse(struct testgraph *g, const char *buf, size_t len, char **cause)
{
	struct testgraph ng;
	testgraph_init(&ng, g->root);
	if (devgraph_each_object(buf, len, parse_one, &ng, cause) < 0) {
		testgraph_release(&ng);
		return -1;
	}
	static const char *const root_files[] = {"go.mod", "go.sum", "go.work", "go.work.sum"};
	for (size_t i = 0; i < ARRAY_SIZE(root_files); i++)
		pathmap_set(&ng.files, root_files[i], 0); /* no package: the caller runs all */
	testgraph_release(g);
	*g = ng;
	return 0;
}

long testgraph_find(const struct testgraph *g, const char *path)
{
	uint64_t v;
	return pathmap_get(&g->index, path, &v) ? (long)v - 1 : -1;
}

static const char *const source_exts[] = {".go",  ".c",   ".h",  ".s",   ".S", ".cc",
                                          ".cpp", ".cxx", ".hh", ".hpp", ".m", ".syso"};

long testgraph_pkg_of_file(const struct testgraph *g, const char *rel)
{
	uint64_t v;
	if (pathmap_get(&g->files, rel, &v))
		return v ? (long)v - 1 : -1;
	const char *slash = strrchr(rel, '/');
	const char *base = slash ? slash + 1 : rel;
	if (base[0] == '.' || base[0] == '_')
		return -1;
	const char *dot = strrchr(base, '.');
	if (!dot)
		return -1;
	int src = 0;
	for (size_t i = 0; i < ARRAY_SIZE(source_exts); i++)
		src |= strcmp(dot, source_exts[i]) == 0;
	if (!src)
		return -1;
	char *dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
	int in = pathmap_get(&g->dirs, dir, &v);
	free(dir);
	return in && v ? (long)v - 1 : -1;
}

void testgraph_affected(const struct testgraph *g, const long *code, size_t ncode,
                        const long *tests, size_t ntests, struct argv_array *out)
{
	size_t n = g->pkgs.n;
	if (!n)
		return;
	char *dep = xcalloc(n, 1); /* its code depends on a changed package */
	char *run = xcalloc(n, 1);
	for (size_t i = 0; i < ncode; i++)
		if (code[i] >= 0 && (size_t)code[i] < n)
			dep[code[i]] = 1;
	/* the reverse closure over code imports: until nothing new */
	for (int again = 1; again;) {
		again = 0;
		for (size_t i = 0; i < n; i++) {
			if (dep[i])
				continue;
			const struct argv_array *im = &g->pkgs.v[i].imports;
			for (size_t k = 0; k < im->argc; k++) {
				long j = testgraph_find(g, im->argv[k]);
				if (j >= 0 && dep[j]) {
					dep[i] = again = 1;
					break;
				}
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		run[i] = dep[i];
		const struct argv_array *ti = &g->pkgs.v[i].timports;
		for (size_t k = 0; k < ti->argc && !run[i]; k++) {
			long j = testgraph_find(g, ti->argv[k]);
			run[i] = j >= 0 && dep[j];
		}
	}
	for (size_t i = 0; i < ntests; i++)
		if (tests[i] >= 0 && (size_t)tests[i] < n)
			run[tests[i]] = 1;
	for (size_t i = 0; i < n; i++)
		if (run[i] && g->pkgs.v[i].target)
			argv_push(out, g->pkgs.v[i].path);
	free(dep);
	free(run);
}

uint64_t testgraph_header_hash(const char *abs)
{
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, abs, 64u << 20) < 0) {
		strbuf_release(&sb);
		return DEVGRAPH_MISSING;
	}
	static const char *const decls[] = {"func ", "func(", "type ",  "type(",
	                                    "var ",  "var(",  "const ", "const("};
	size_t end = sb.len;
	for (size_t off = 0; off < sb.len;) {
		const char *line = sb.buf + off;
		int stop = 0;
		for (size_t i = 0; i < ARRAY_SIZE(decls) && !stop; i++)
			stop = strncmp(line, decls[i], strlen(decls[i])) == 0;
		if (stop) {
			end = off;
			break;
		}
		const char *nl = memchr(line, '\n', sb.len - off);
		off = nl ? (size_t)(nl - sb.buf) + 1 : sb.len;
	}
	uint64_t h = XXH3_64bits(sb.buf ? sb.buf : "", end);
	strbuf_release(&sb);
	return h == DEVGRAPH_MISSING ? 1 : h;
}

void testgraph_abs_files(const struct testgraph *g, struct argv_array *out)
{
	for (size_t i = 0; i < g->files.cap; i++)
		if (g->files.keys[i])
			argv_pushf(out, "%s/%s", g->root, g->files.keys[i]);
}
