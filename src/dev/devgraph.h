/*
 * devgraph.h - what `golive dev` rebuilds for: the files of the target's
 * package graph that belong to the module being worked on, read from
 * `go list -deps -e -json`, and the content hash each had when it was last
 * built.
 *
 * Paths are relative to the module root (slash-separated, no "./"), the
 * form pathmatch.h uses. Only packages whose directory is at or below the
 * root count (the main module in module mode, the tree in GOPATH mode);
 * the standard library and other modules are never watched.
 *
 * Library code: never prints; errors come back as a malloc'd *cause.
 */
#ifndef GOLIVE_DEVGRAPH_H
#define GOLIVE_DEVGRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/util.h"

/* A map from relative path to a 64-bit value (open addressing; grows). */
struct pathmap {
	char **keys;
	uint64_t *vals;
	size_t cap, n;
};
#define PATHMAP_INIT                                                                               \
	{                                                                                          \
		NULL, NULL, 0, 0                                                                   \
	}

/* Sets key to val (adding key when new). */
void pathmap_set(struct pathmap *m, const char *key, uint64_t val);
/* 1 and *val when key is present, else 0. val may be NULL. */
int pathmap_get(const struct pathmap *m, const char *key, uint64_t *val);
void pathmap_clear(struct pathmap *m);

/*
 * The hash of a file's content (xxh3-64); DEVGRAPH_MISSING when it cannot be
 * read, is not a regular file (a FIFO, a device, also behind a symlink: never
 * waited on) or is larger than DEVGRAPH_MAX_FILE.
 */
#define DEVGRAPH_MISSING  UINT64_C(0)
#define DEVGRAPH_MAX_FILE ((off_t)1 << 30)
uint64_t devgraph_hash_file(const char *abs);

struct devgraph {
	char *root;             /* absolute module root */
	struct pathmap files;   /* the graph's files (value unused: 1) */
	struct pathmap dirs;    /* the graph's package directories ("" for the root) */
	struct argv_array pkgs; /* import paths of the module's packages in the graph */
	size_t errors;          /* packages go could not load (syntax errors, missing imports) */
};

void devgraph_init(struct devgraph *g, const char *root);
void devgraph_release(struct devgraph *g);

/*
 * The arguments after `go` for the listing: "list", "-deps", "-e",
 * "-json=<fields>", then flags (build flags such as -tags, may be NULL),
 * "--" and the patterns.
 */
void devgraph_list_argv(struct argv_array *out, const struct argv_array *flags,
                        const struct argv_array *patterns);

/*
 * Replaces g's content by the graph decoded from len bytes of that
 * listing's output: for each package below the root its directory, and its
 * GoFiles, CgoFiles, CFiles, CXXFiles, HFiles, SFiles, SysoFiles and
 * EmbedFiles; plus go.mod, go.sum, go.work and go.work.sum at the root.
 * Returns 0, or -1 with *cause when the text is not a stream of package
 * objects (g is then unchanged).
 */
int devgraph_parse(struct devgraph *g, const char *buf, size_t len, char **cause);

/*
 * Calls fn(o, data) for each object of a `go list -json` stream (objects
 * one after the other, any whitespace between), in order. 0, or -1 with
 * *cause ("go list output at byte N: ...") when the text is not such a
 * stream (fn has seen the objects before the bad one).
 */
struct json_t;
int devgraph_each_object(const char *buf, size_t len, void (*fn)(struct json_t *o, void *data),
                         void *data, char **cause);

/* dir (absolute) relative to root: "" for root itself, NULL when outside it. */
const char *devgraph_rel(const char *root, const char *dir);

/* Why a changed path matters, from devgraph_classify(). */
enum devgraph_kind {
	DEVGRAPH_NONE = 0, /* not part of the build: ignore it */
	DEVGRAPH_FILE, /* a file of the graph (or go.mod ...): rebuild when its content changed */
	DEVGRAPH_NEW,  /* a source file new to a package directory of the graph: rebuild */
	DEVGRAPH_DIR,  /* a directory holding graph packages went away: rebuild */
};

/*
 * Classifies rel (a file, or a directory when is_dir): _test.go files are
 * never part of the build; a graph file is DEVGRAPH_FILE; a .go, .c, .h,
 * .s, .S, .cc, .cpp, .cxx, .hh, .hpp, .m or .syso file in a graph package
 * directory is DEVGRAPH_NEW; a directory that is or holds a graph package
 * directory is DEVGRAPH_DIR.
 */
enum devgraph_kind devgraph_classify(const struct devgraph *g, const char *rel, int is_dir);

/*
 * Tells w (watch.h) the graph's files, as absolute paths: a polling watcher
 * stats just these and the directories, not every file of the tree.
 */
struct watcher;
void devgraph_watch_files(const struct devgraph *g, struct watcher *w);

#endif
