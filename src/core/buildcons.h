/*
 * buildcons.h - Go build constraints, as go/build applies them to the files
 * of a directory: the `//go:build` line (and the older `// +build` lines
 * when there is none) and the _GOOS, _GOARCH, _GOOS_GOARCH file-name
 * suffixes, for one build context (GOOS, GOARCH, -tags, the toolchain's
 * release tags go1.1 ... go1.N, cgo). golive check uses it for plain
 * directories, where go list is not asked.
 *
 * Pure apart from buildctx_from_env(), which reads the environment. Nothing
 * prints; errors come back as a one-line *cause.
 */
#ifndef GOLIVE_BUILDCONS_H
#define GOLIVE_BUILDCONS_H

#include <stddef.h>

#include "core/goversion.h"
#include "core/util.h"

/* Parentheses nest at most this deep in a //go:build expression (deeper: an error). */
#define BUILDEXPR_MAX_DEPTH 100

/* What a tag is matched against (go/build's Context.matchTag). */
struct buildctx {
	char *goos, *goarch;    /* "linux", "amd64" */
	struct argv_array tags; /* -tags, GOFLAGS' -tags */
	struct goversion go;    /* the toolchain: release tags go1.1..go1.N; unknown: all */
	int cgo;                /* the cgo tag */
	unsigned amd64_level;   /* GOAMD64 v1..v4 (tags amd64.v1..amd64.vN), when amd64 */
};

/*
 * The build context of the go command run here: GOOS and GOARCH from the
 * environment, else the host's; tags from the comma- or space-separated
 * list tags (may be NULL) plus GOFLAGS' -tags; cgo unless CGO_ENABLED=0 or
 * cross-compiling; go as given (may be NULL: the newest Go).
 */
void buildctx_from_env(struct buildctx *c, const char *tags, const struct goversion *go);
void buildctx_release(struct buildctx *c);

/* True when tag name (len bytes) is satisfied in c. */
int buildctx_match_tag(const struct buildctx *c, const char *name, size_t len);

/*
 * Evaluates a //go:build expression (the text after "//go:build"): tags
 * (letters, digits, _ and .), !, &&, ||, parentheses; && binds tighter than
 * ||. tag(data, name, len) says whether a tag is set. Returns 1 or 0, or -1
 * with *cause ("unexpected end of expression", ...) when it is malformed.
 */
int buildexpr_eval(const char *expr, size_t len,
                   int (*tag)(void *data, const char *name, size_t len), void *data, char **cause);

/* True when file name base (no directory) is built in c: its _GOOS/_GOARCH suffixes match. */
int buildcons_name_ok(const struct buildctx *c, const char *base);

/*
 * Whether a file with these contents (len bytes; its start is enough, up to
 * the package clause) is built in c by its constraint lines, read as
 * go/build does: a //go:build line anywhere in the leading comments
 * controls; without one, every `// +build` line before the blank line that
 * ends them must hold. Returns 1 or 0, or -1 with *cause when the
 * //go:build line is malformed or there are two.
 */
int buildcons_header_ok(const struct buildctx *c, const char *src, size_t len, char **cause);

#endif
