/*
 * lsp_pkg.c - the package a document is analysed in: the Go files of its
 * directory as go would build them (core/godir.h, test files included: a
 * _test.go of the same package clause is the same package), each open
 * document's text instead of what is on disk. httpctx follows a handler's
 * call into those files (analysis/anapkg.h).
 *
 * A document's findings depend on its package's other files, so each
 * analysis records a signature of them (their paths, the open documents'
 * versions, the others' size and mtime); lsp_incr.c reuses the findings of
 * unchanged declarations only under the same signature. An edit of one
 * document analyses the other open documents of its directory again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "analysis/anapkg.h"
#include "core/buildcons.h"
#include "core/godir.h"
#include "core/gotool.h"
#include "core/goversion.h"
#include "lsp/lsp_priv.h"

/* The open Go document at path, or NULL. */
static struct lsp_doc *open_doc(struct lsp_server *s, const char *path)
{
	for (size_t i = 0; i < s->docs.n; i++) {
		struct lsp_doc *d = s->docs.v[i];
		if (d->is_go && d->path && strcmp(d->path, path) == 0)
			return d;
	}
	return NULL;
}

/* go's build context, made once: GOOS/GOARCH, tags, the toolchain's release tags. */
static const struct buildctx *build_context(struct lsp_server *s)
{
	if (!s->bc_ready) {
		char *go = gotool_find();
		char *v = go ? gotool_goroot_version(go) : NULL;
		struct goversion gv = GOVERSION_UNKNOWN;
		if (v && goversion_parse(v, &gv) < 0)
			gv = (struct goversion)GOVERSION_UNKNOWN;
		buildctx_from_env(&s->bc, NULL, &gv);
		free(v);
		free(go);
		s->bc_ready = 1;
	}
	return &s->bc;
}

static void no_problem(void *data, const char *path, const char *message)
{
	(void)data;
	(void)path;
	(void)message;
}

struct analysis_pkg *lsp_package_of(struct lsp_server *s, const char *path, const char *text,
                                    size_t len, uint64_t *sig)
{
	struct analysis_pkg *p = analysis_pkg_new();
	struct argv_array names = ARGV_ARRAY_INIT;
	XXH3_state_t *h = XXH3_createState();
	char *dup = xstrdup(path);
	const char *dir = dirname(dup);

	XXH3_64bits_reset(h);
	analysis_pkg_add(p, path, text, len);
	XXH3_64bits_update(h, path, strlen(path) + 1);
	if (path[0] == '/' &&
	    godir_files(dir, build_context(s), 1, &names, no_problem, NULL) == 0) {
		for (size_t i = 0; i < names.argc; i++) {
			char *f = xasprintf("%s/%s", dir, names.argv[i]);
			struct lsp_doc *d = strcmp(f, path) ? open_doc(s, f) : NULL;
			if (strcmp(f, path) == 0) {
				free(f);
				continue;
			}
			XXH3_64bits_update(h, f, strlen(f) + 1);
			if (d) {
				analysis_pkg_add(p, f, d->td.text.buf, d->td.text.len);
				XXH3_64bits_update(h, &d->version, sizeof(d->version));
				XXH3_64bits_update(h, "o", 1);
			} else {
				struct stat st;
				long long st_sig[3] = {-1, 0, 0};
				if (stat(f, &st) == 0) {
					st_sig[0] = (long long)st.st_size;
					st_sig[1] = (long long)st.st_mtim.tv_sec;
					st_sig[2] = (long long)st.st_mtim.tv_nsec;
				}
				analysis_pkg_add(p, f, NULL, 0);
				XXH3_64bits_update(h, st_sig, sizeof(st_sig));
			}
			free(f);
		}
	}
	*sig = XXH3_64bits_digest(h);
	XXH3_freeState(h);
	argv_clear(&names);
	free(dup);
	return p;
}

void lsp_package_touched(struct lsp_server *s, const char *path, const struct lsp_doc *except)
{
	char *dup = xstrdup(path);
	const char *dir = dirname(dup);
	size_t n = strlen(dir);
	for (size_t i = 0; i < s->docs.n; i++) {
		struct lsp_doc *o = s->docs.v[i];
		if (o == except || !o->is_go || !o->path || o->due_ns)
			continue;
		if (strncmp(o->path, dir, n) == 0 && o->path[n] == '/' &&
		    !strchr(o->path + n + 1, '/'))
			o->due_ns = now_mono_ns() + (int64_t)s->opt.debounce_ms * 1000000 + 1;
	}
	free(dup);
}
