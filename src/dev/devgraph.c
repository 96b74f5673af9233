/* devgraph.c - see devgraph.h. */
#define _GNU_SOURCE
#include "dev/devgraph.h"
#include "dev/watch.h"

#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <xxhash.h>

/* ---- pathmap ------------------------------------------------------------ */

static size_t slot_of(const struct pathmap *m, const char *key)
{
	size_t i = (size_t)XXH3_64bits(key, strlen(key)) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void pathmap_set(struct pathmap *m, const char *key, uint64_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct pathmap big = {NULL, NULL, m->cap ? m->cap * 2 : 64, 0};
		big.keys = xcalloc(big.cap, sizeof(*big.keys));
		big.vals = xcalloc(big.cap, sizeof(*big.vals));
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i]) {
				size_t j = slot_of(&big, m->keys[i]);
				big.keys[j] = m->keys[i];
				big.vals[j] = m->vals[i];
				big.n++;
			}
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	size_t i = slot_of(m, key);
	if (!m->keys[i]) {
		m->keys[i] = xstrdup(key);
		m->n++;
	}
	m->vals[i] = val;
}

int pathmap_get(const struct pathmap *m, const char *key, uint64_t *val)
{
	if (!m->cap)
		return 0;
	size_t i = slot_of(m, key);
	if (!m->keys[i])
		return 0;
	if (val)
		*val = m->vals[i];
	return 1;
}

void pathmap_clear(struct pathmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}

uint64_t devgraph_hash_file(const char *abs)
{
	/* O_NONBLOCK: a FIFO (or a symlink to one) in the module must not hang golive dev */
	int fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP)
		fd = open(abs, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return DEVGRAPH_MISSING;
	struct stat sst;
	/* only regular files, and not a /dev/zero behind a symlink: hashed as missing */
	if (fstat(fd, &sst) < 0 || !S_ISREG(sst.st_mode) || sst.st_size > DEVGRAPH_MAX_FILE) {
		close(fd);
		return DEVGRAPH_MISSING;
	}
	XXH3_state_t *st = XXH3_createState();
	XXH3_64bits_reset(st);
	char buf[65536];
	ssize_t n;
	int bad = 0;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			bad = 1;
			break;
		}
		XXH3_64bits_update(st, buf, (size_t)n);
	}
	close(fd);
	uint64_t h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	if (bad)
		return DEVGRAPH_MISSING;
	return h == DEVGRAPH_MISSING ? 1 : h; /* 0 means "missing" */
}

/* ---- the graph ---------------------------------------------------------- */

static const char *const file_fields[] = {"GoFiles", "CgoFiles", "CFiles",    "CXXFiles",
                                          "HFiles",  "SFiles",   "SysoFiles", "EmbedFiles"};

void devgraph_init(struct devgraph *g, const char *root)
{
	memset(g, 0, sizeof(*g));
	g->root = xstrdup(root);
}

void devgraph_release(struct devgraph *g)
{
	free(g->root);
	pathmap_clear(&g->files);
	pathmap_clear(&g->dirs);
	argv_clear(&g->pkgs);
	memset(g, 0, sizeof(*g));
}

void devgraph_list_argv(struct argv_array *out, const struct argv_array *flags,
                        const struct argv_array *patterns)
{
	argv_push(out, "list");
	argv_push(out, "-deps");
	argv_push(out, "-e");
	argv_push(out, "-json=ImportPath,Dir,Standard,GoFiles,CgoFiles,CFiles,CXXFiles,HFiles,"
	               "SFiles,SysoFiles,EmbedFiles,Error,DepsErrors");
	for (size_t i = 0; flags && i < flags->argc; i++)
		argv_push(out, flags->argv[i]);
	argv_push(out, "--");
	for (size_t i = 0; patterns && i < patterns->argc; i++)
		argv_push(out, patterns->argv[i]);
}

const char *devgraph_rel(const char *root, const char *dir)
{
	size_t n = strlen(root);
	if (strncmp(dir, root, n) != 0)
		return NULL;
	if (dir[n] == '\0')
		return "";
	if (dir[n] == '/' || (n == 1 && root[0] == '/'))
		return dir + n + (dir[n] == '/');
	return NULL;
}

int devgraph_each_object(const char *buf, size_t len, void (*fn)(json_t *o, void *data), void *data,
                         char **cause)
{
	size_t off = 0;
	while (off < len) {
		while (off < len && (buf[off] == ' ' || buf[off] == '\n' || buf[off] == '\t' ||
		                     buf[off] == '\r'))
			off++;
		if (off >= len)
			break;
		json_error_t err;
		json_t *o = json_loadb(buf + off, len - off, JSON_DISABLE_EOF_CHECK, &err);
		if (!o || !json_is_object(o)) {
			*cause = xasprintf("go list output at byte %zu: %s", off,
			                   o ? "not an object" : err.text);
			json_decref(o);
			return -1;
		}
		off += err.position;
		fn(o, data);
		json_decref(o);
	}
	return 0;
}

struct parse_ctx {
	struct devgraph *g;
	const char *root;
};

static void parse_one(json_t *o, void *data)
{
	struct parse_ctx *c = data;
	struct devgraph *ng = c->g;
	const char *dir = json_string_value(json_object_get(o, "Dir"));
	const char *ip = json_string_value(json_object_get(o, "ImportPath"));
	const char *rel = dir && !json_is_true(json_object_get(o, "Standard"))
	                      ? devgraph_rel(c->root, dir)
	                      : NULL;
	if (json_object_get(o, "Error"))
		ng->errors++;
	if (!rel)
		return;
	pathmap_set(&ng->dirs, rel, 1);
	if (ip)
		argv_push(&ng->pkgs, ip);
	for (size_t f = 0; f < ARRAY_SIZE(file_fields); f++) {
		json_t *a = json_object_get(o, file_fields[f]);
		size_t i;
		json_t *v;
		json_array_foreach(a, i, v)
		{
			const char *name = json_string_value(v);
			if (!name || !*name)
				continue;
			char *p = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
			pathmap_set(&ng->files, p, 1);
			free(p);
		}
	}
}

int devgraph_parse(struct devgraph *g, const char *buf, size_t len, char **cause)
{
	struct devgraph ng;
	devgraph_init(&ng, g->root);
	struct parse_ctx c = {&ng, g->root};
	if (devgraph_each_object(buf, len, parse_one, &c, cause) < 0) {
		devgraph_release(&ng);
		return -1;
	}
	static const char *const root_files[] = {"go.mod", "go.sum", "go.work", "go.work.sum"};
	for (size_t i = 0; i < ARRAY_SIZE(root_files); i++)
		pathmap_set(&ng.files, root_files[i], 1);
	devgraph_release(g);
	*g = ng;
	return 0;
}

static const char *const source_exts[] = {".go",  ".c",   ".h",  ".s",   ".S", ".cc",
                                          ".cpp", ".cxx", ".hh", ".hpp", ".m", ".syso"};

enum devgraph_kind devgraph_classify(const struct devgraph *g, const char *rel, int is_dir)
{
	if (is_dir) {
		size_t n = strlen(rel);
		for (size_t i = 0; i < g->dirs.cap; i++) {
			const char *d = g->dirs.keys[i];
			if (d &&
			    (n == 0 || (strncmp(d, rel, n) == 0 && (d[n] == '\0' || d[n] == '/'))))
				return DEVGRAPH_DIR;
		}
		return DEVGRAPH_NONE;
	}
	if (ends_with(rel, "_test.go"))
		return DEVGRAPH_NONE;
	if (pathmap_get(&g->files, rel, NULL))
		return DEVGRAPH_FILE;
	const char *slash = strrchr(rel, '/');
	const char *base = slash ? slash + 1 : rel;
	if (base[0] == '.' || base[0] == '_')
		return DEVGRAPH_NONE; /* go ignores these files */
	const char *dot = strrchr(base, '.');
	if (!dot)
		return DEVGRAPH_NONE;
	int src = 0;
	for (size_t i = 0; i < ARRAY_SIZE(source_exts); i++)
		src |= strcmp(dot, source_exts[i]) == 0;
	if (!src)
		return DEVGRAPH_NONE;
	char *dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
	int in = pathmap_get(&g->dirs, dir, NULL);
	free(dir);
	return in ? DEVGRAPH_NEW : DEVGRAPH_NONE;
}

void devgraph_watch_files(const struct devgraph *g, struct watcher *w)
{
	struct argv_array abs = ARGV_ARRAY_INIT;
	for (size_t i = 0; i < g->files.cap; i++)
		if (g->files.keys[i])
			argv_pushf(&abs, "%s/%s", g->root, g->files.keys[i]);
	watch_set_files(w, (const char *const *)abs.argv, abs.argc);
	argv_clear(&abs);
}
