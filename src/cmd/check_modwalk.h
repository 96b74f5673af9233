/*
 * check_modwalk.h - golive check's local package patterns resolved without
 * `go list`: ./... and ./DIR/... in the main module of the cwd, walked as
 * go's ./... walks them (core/godir.h's file selection with build
 * constraints), giving what `go list -e -find ./...` would: one package per
 * directory with a Go file that the build context keeps (test files count,
 * as for go), named by import path (go.mod's module path + the directory),
 * with its GoFiles and CgoFiles (and TestGoFiles and XTestGoFiles when
 * tests), and the module's language version as golist_go_version() gives it.
 *
 * Only when that is certain to be what go list answers; otherwise it
 * declines (returns 0 with a reason) and the caller runs go list. It
 * declines for: a pattern not spelled ./... or ./DIR/..., or whose root is
 * missing, a symlink, below a dot/underscore/testdata/vendor directory or
 * in a nested module; a go.work in effect (GOWORK set other than "off", or
 * a go.work from the cwd up); GO111MODULE=off; GOFLAGS other than -tags,
 * -mod=mod|readonly, -trimpath, -modcacherw, -buildvcs, -ldflags,
 * -gcflags, -asmflags, -p (or -tags both there and in --tags: go takes
 * only --tags); GOEXPERIMENT; GOOS/GOARCH other than a known GOOS on
 * amd64; a bad GOAMD64 or CGO_ENABLED; GOTOOLCHAIN other than
 * local/auto/path; a user go env file (GOENV, else
 * $XDG_CONFIG_HOME/go/env) setting anything but proxy, sum-db, path and
 * cache settings; a toolchain without a release version; go.mod's go or
 * toolchain line newer than the toolchain, a directive golive does not
 * know (ignore, ...) or a line not of its directive's shape, a module path
 * it cannot read, requirements with a go line before 1.17 (go loads the
 * whole module graph, and fails without it); a vendor directory at the
 * module root (go defaults to -mod=vendor and checks it); and any file
 * go list would report or treat otherwise: a FIFO or other non-regular .go
 * file, a malformed //go:build line, a package or import clause that does
 * not parse simply, files of two packages, package documentation, an
 * import of "embed" or of "C" from a test, #cgo lines, //go:debug lines,
 * C/C++/Objective-C/Fortran/SWIG files beside the Go files,
 * goexperiment.* tags, names equal but for case, a symlinked directory,
 * a directory name that is no plain import path element.
 */
#ifndef GOLIVE_CHECK_MODWALK_H
#define GOLIVE_CHECK_MODWALK_H

#include "core/goversion.h"
#include "core/util.h"

struct modwalk_pkg {
	char *import_path;       /* "example.com/m/internal/x" */
	char *dir;               /* absolute, physical */
	struct argv_array files; /* base names, sorted: GoFiles + CgoFiles (+ tests) */
};

struct modwalk {
	ARRAY(struct modwalk_pkg) pkgs; /* in walk order */
	struct goversion lang;          /* the module's language version */
};

/*
 * Resolves patterns (every one of them: all or none) from cwd (physical,
 * absolute) for the toolchain go (from gotool_find) with build tags tags
 * (--tags, may be NULL). Returns 1 with out filled, or 0 with *why (one
 * line, malloc'd) when go list must resolve them; out is then empty.
 * Prints nothing. Release out with modwalk_release() either way.
 */
int modwalk_resolve(const char *cwd, const struct argv_array *patterns, const char *tags, int tests,
                    const char *go, struct modwalk *out, char **why);
void modwalk_release(struct modwalk *w);

/* ---- its parts, for tests ---------------------------------------------- */

/* What modwalk_parse_gomod() reads of a go.mod. */
struct modwalk_gomod {
	char *module;                   /* the module path */
	struct goversion go, toolchain; /* go: go1.16 when there is no go line */
	int has_toolchain;
	int requires; /* require lines (in blocks too) */
};

/*
 * Reads the go.mod text (size bytes, any bytes; path names it in *why)
 * for toolchain tv: 1 with m filled, or 0 with *why (malloc'd) when it
 * holds something golive does not read as go does (a directive it does
 * not know or one too new for tv, a line not of its directive's shape, no
 * or a strange module path, two go lines, ...). Release m either way.
 */
int modwalk_parse_gomod(const char *path, const char *text, size_t size, const struct goversion *tv,
                        struct modwalk_gomod *m, char **why);
void modwalk_gomod_release(struct modwalk_gomod *m);

/* What modwalk_parse_header() reads of a Go file's start. */
struct modwalk_file {
	char pkg[128]; /* the package clause's name */
	int imports_c, imports_embed;
};

/*
 * Reads the package clause and import declarations at the start of a Go
 * file (len bytes, any bytes; truncated: the file goes on beyond them;
 * buf NULL: unreadable) into fi. Returns 0, or -1 with *why (malloc'd,
 * naming path) for anything go/build might read otherwise: no package
 * clause, a non-ASCII name, an import that is not a plain quoted path,
 * imports running past len when truncated, a byte order mark,
 * goexperiment tags or //go:debug above the clause, #cgo lines with
 * import "C", an import of embed.
 */
int modwalk_parse_header(const char *path, const char *buf, size_t len, int truncated,
                         struct modwalk_file *fi, char **why);

#endif
