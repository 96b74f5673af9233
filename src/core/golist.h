/*
 * golist.h - asking go which packages and files a set of patterns means:
 * runs `go list -e -json=<fields>` and decodes its output, a stream of JSON
 * objects (one per package, not an array), with jansson.
 *
 * go resolves the patterns the way every go command does: module or GOPATH
 * mode, GOFLAGS, build tags (-tags in flags), GOOS/GOARCH and CGO_ENABLED
 * from the environment. Packages that cannot be loaded still come back
 * (go list -e) with their error text in golist_package.error, so a caller
 * reports them one by one and keeps going.
 *
 * Used by `golive check` (the files to analyse) and `golive build` (the
 * package graph, with GOLIST_DEPS | GOLIST_GRAPH).
 */
#ifndef GOLIVE_GOLIST_H
#define GOLIVE_GOLIST_H

#include <stddef.h>

#include "core/util.h"

struct golist_module {
	char *path;       /* module path, "example.com/webapp" */
	char *dir;        /* directory holding its files, NULL when not downloaded */
	int main;         /* 1 for a main module (the one being worked in) */
	char *go_version; /* GoVersion: go.mod's go line ("1.21"), NULL when it has none */
};

struct golist_package {
	char *import_path; /* "fmt", "example.com/webapp", or the pattern for a bad pattern */
	char *dir;         /* absolute directory, NULL when go found none */
	char *name;        /* package name ("main"), NULL when unknown */
	/* File names, relative to dir. */
	struct argv_array go_files;       /* GoFiles: non-test .go files of this build, no cgo */
	struct argv_array cgo_files;      /* CgoFiles: files that import "C" */
	struct argv_array test_go_files;  /* TestGoFiles: _test.go files in the package */
	struct argv_array xtest_go_files; /* XTestGoFiles: _test.go files of package <name>_test */
	/* Only with GOLIST_GRAPH (empty otherwise, and always empty with GOLIST_FIND). */
	struct argv_array imports;    /* Imports: direct imports (vendor-resolved paths) */
	struct argv_array deps;       /* Deps: every transitive dependency, sorted */
	int standard;                 /* part of the standard library (or cmd) */
	int goroot;                   /* found in GOROOT */
	int dep_only;                 /* only listed as a dependency (GOLIST_DEPS) */
	struct golist_module *module; /* NULL outside module mode and for std */
	char *error; /* the package's error as one line, NULL when it loaded fine */
};

typedef ARRAY(struct golist_package) golist_packages;

/* What golist_run() asks go for; OR them together (0 is a plain listing). */
enum golist_mode {
	GOLIST_FIND = 1 << 0,  /* -find: skip resolving imports (much faster; no Imports/Deps,
	                          not with GOLIST_DEPS) */
	GOLIST_DEPS = 1 << 1,  /* -deps: the dependencies too, each once, dependencies first */
	GOLIST_GRAPH = 1 << 2, /* ask for and decode Imports and Deps */
};

/*
 * Runs `<go> list -e -json=<fields> [-find|-deps] <flags> -- <patterns>`
 * (patterns NULL or empty: go's default, the package in the cwd), with
 * TOOLEXEC_IMPORTPATH removed from its environment, and appends the
 * decoded packages to out in go's order. flags are go build flags such as
 * -tags=x or -mod=mod (NULL for none).
 *
 * Returns 0, or -1 with *cause (one line, malloc'd) when go could not be
 * run, printed nothing it could decode while failing (a bad flag, no
 * go.mod: then the cause is go's first stderr line), or printed something
 * that is not a stream of package objects. Per-package errors are not
 * failures.
 */
int golist_run(const char *go, const struct argv_array *flags, const struct argv_array *patterns,
               unsigned mode, golist_packages *out, char **cause);

/*
 * Decodes len bytes of `go list -json` output (concatenated JSON objects,
 * with any whitespace between them) and appends the packages to out.
 * Returns 0, or -1 with *cause ("go list output at byte N: ...", N the
 * offset of the value that does not decode) when the text is not such a
 * stream; packages decoded before the error stay in out.
 */
int golist_decode(const char *buf, size_t len, golist_packages *out, char **cause);

/*
 * The Go version go compiles p for (what its compile's -lang says): its
 * module's go line ("1.16" for a module without one, go's default), else
 * toolchain (the go toolchain's version, "go1.26.8", or NULL when unknown):
 * for std, packages outside modules, and modules that ask for a newer Go
 * than a toolchain before Go 1.21 (those build them without -lang).
 */
const char *golist_go_version(const struct golist_package *p, const char *toolchain);

/* Frees what p owns and zeroes it. */
void golist_package_release(struct golist_package *p);
/* Releases every package and the array itself. */
void golist_packages_release(golist_packages *a);

#endif
