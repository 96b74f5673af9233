/*
 * anacache.h - one package's source files, analysed through golive's
 * analysis cache.
 *
 * go serves unchanged packages from its build cache without calling the
 * wrapper, so golive keeps findings of its own: one small JSON file per
 * package file set, keyed by
 *
 *   xxh3-128(golive version, the golive executable's size and mtime,
 *            analysis_settings_hash(), the package's Go language version
 *            (or "unknown"), every file's base name and contents in
 *            base-name order)
 *
 * and stored under the cache directory as <kk>/<key>.json (kk: the key's
 * first two hex digits). The value holds the diagnostics with paths
 * relative to the package directory, so a moved or copied package hits the
 * same entry and gets its own paths back. Writes go to a temporary file
 * renamed into place, so parallel wrappers and readers never see half an
 * entry. The cache is never inside GOCACHE and has no size cap yet (see
 * docs/vet.md for where it lives and how to clear it).
 *
 * Which files a package has: a tool's file list (compile's trailing words,
 * vet.cfg's GoFiles) mixes user sources with files go generated in $WORK
 * (_cgo_gotypes.go, x.cgo1.go, x.cover.go, _testmain.go). pkgsrc_resolve()
 * maps the generated ones back to the user file they came from through
 * their leading `//line FILE:1` directive, and drops those with none.
 *
 * Nothing here prints.
 */
#ifndef GOLIVE_ANACACHE_H
#define GOLIVE_ANACACHE_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/analyze.h"
#include "analysis/diag.h"
#include "core/goversion.h"
#include "core/util.h"

#define ANACACHE_KEY_HEX  32          /* hex digits of a key (128 bits) */
#define ANACACHE_MAX_FILE (16u << 20) /* bytes; larger source files are not analysed */

/* ---- a package's sources ------------------------------------------------ */

struct pkgsrc_file {
	char *path;       /* absolute (or as given) path, what diagnostics carry */
	const char *name; /* base name, points into path */
	char *src;        /* the whole file (NUL-terminated), NULL when unreadable */
	size_t len;
};

struct pkgsrc {
	char *dir; /* the package directory: the directory of the first file */
	ARRAY(struct pkgsrc_file) files;
	struct goversion lang; /* the package's language version (pkgsrc_set_goversion) */
};
#define PKGSRC_INIT                                                                                \
	{                                                                                          \
		NULL, ARRAY_INIT, GOVERSION_UNKNOWN                                                \
	}

/*
 * Appends to out the user source files behind a tool's file list: every
 * .go file not under workdir as it is, every file under workdir (go's
 * object directory $WORK/bNNN, where cgo, cover and go test write; may be
 * NULL) replaced by the absolute .go file its first lines name in a
 * `//line FILE:1[:1]` directive, or dropped when they name none.
 * Duplicates are dropped. Reads at most 1 KiB of each generated file.
 */
void pkgsrc_resolve(char *const *files, size_t n, const char *workdir, struct argv_array *out);

/*
 * Reads files (paths as given) into ps, sorted by base name. A file that
 * cannot be read or is larger than ANACACHE_MAX_FILE keeps src NULL (it is
 * hashed as missing and not analysed). Returns the number of files read.
 */
size_t pkgsrc_load(struct pkgsrc *ps, char *const *files, size_t n);
void pkgsrc_release(struct pkgsrc *ps);

/*
 * Sets the package's Go language version from version, in any form
 * goversion_parse() reads ("go1.21" from compile's -lang or vet.cfg,
 * "1.21.3" from go.mod); only major.minor is kept (goversion_lang), so every
 * spelling of one language version gives the same cache key. NULL or ""
 * leaves it unknown (analysed as the newest Go) and returns 0; a version
 * that does not parse leaves it unknown and returns -1.
 */
int pkgsrc_set_goversion(struct pkgsrc *ps, const char *version);

/* ---- the cache ---------------------------------------------------------- */

struct anacache {
	char *dir;       /* the cache directory, or NULL when caching is off */
	char exe_id[64]; /* "<size>.<mtime_ns>" of the golive executable */
};

/*
 * The running golive executable's identity, "<size>.<mtime>" of
 * /proc/self/exe (a stat, no read), into buf; "" when unknown. Part of
 * every key, so a rebuilt golive never reuses an older one's findings.
 */
void anacache_exe_id(char *buf, size_t size);

/*
 * The default cache directory (malloc'd): $GOLIVE_CACHE_DIR, else
 * $XDG_CACHE_HOME/golive/analysis, else $HOME/.cache/golive/analysis; NULL
 * when none of them is set.
 */
char *anacache_default_dir(void);

/*
 * go's build cache directory (malloc'd): $GOCACHE when absolute, else (unset
 * or empty) go's default, $XDG_CACHE_HOME/go-build or $HOME/.cache/go-build;
 * NULL when there is none.
 */
char *anacache_gocache_dir(void);

/*
 * Opens the cache at dir (anacache_default_dir() when NULL), creating the
 * directory (0700 for a new one) as needed. Returns 0, or -1 with *cause
 * when there is no usable directory or it is inside go's build cache
 * (anacache_gocache_dir; compared by device and inode, so a symlink or ".."
 * does not hide it: path_within), before anything is created there; c->dir
 * is then NULL and every lookup misses, which is fine for callers that can
 * analyse instead.
 */
int anacache_open(struct anacache *c, const char *dir, char **cause);
void anacache_close(struct anacache *c);

/* The key of ps under settings_hash, as ANACACHE_KEY_HEX hex digits plus NUL. */
void anacache_key(const struct anacache *c, const struct pkgsrc *ps, uint64_t settings_hash,
                  char key[ANACACHE_KEY_HEX + 1]);

/*
 * Looks key up. On a hit appends the stored diagnostics to out, relative
 * paths joined to pkgdir, and returns 1; returns 0 on a miss or an entry
 * that does not parse (treated as a miss).
 */
int anacache_get(const struct anacache *c, const char *key, const char *pkgdir, diag_array *out);

/* Stores diags under key (paths below pkgdir made relative). 0, or -1 with errno. */
int anacache_put(const struct anacache *c, const char *key, const char *pkgdir,
                 const diag_array *diags);

/*
 * Analyses ps through the cache: the stored findings when key is cached,
 * else every loaded file through *ctxp (made from s on first use; the
 * caller frees it with analysis_ctx_free), as ps->lang's Go
 * (analysis_ctx_set_goversion), and the result is stored.
 * Appends the findings, sorted, to out; *hit tells which happened (may be
 * NULL). Returns 0, or -1 with *cause when the context cannot be made
 * (a user rule's query does not compile).
 */
int anacache_analyse(const struct anacache *c, const struct analysis_settings *s,
                     struct analysis_ctx **ctxp, const struct pkgsrc *ps, const char *key,
                     diag_array *out, int *hit, char **cause);

/* Encoding of a diagnostics array with paths made relative to dir (NULL: as stored). */
struct json_t *anacache_diags_to_json(const diag_array *diags, const char *dir);
/* The reverse, relative paths joined to dir; -1 with *cause on a malformed element. */
int anacache_diags_from_json(struct json_t *arr, const char *dir, diag_array *out, char **cause);

#endif
