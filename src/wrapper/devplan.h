/*
 * devplan.h - the build plan `golive dev` replays on its fast path.
 *
 * A full dev build runs with GOLIVE_DEV_PLAN=<dir> in its environment. The
 * toolexec wrapper then records, for every compile of a package of the main
 * module (<dir>/root names the module root), how to run that compile again,
 * and for the final link how to link again, before go deletes $WORK:
 *
 *   <dir>/pkgs/<h>.json   one compile: import path, argv, cwd, the GO*
 *                         environment, -importcfg's and -embedcfg's text,
 *                         the source files (absolute), cgo/asm flags
 *   <dir>/pkgs/<h>/<i>    a copy of each source file as it was compiled
 *   <dir>/link.json       the link: argv, cwd, environment, importcfg.link
 *                         with every archive of $WORK replaced by a copy
 *   <dir>/a/              those copies (and the fast path's new archives)
 *
 * <h> is the xxh3 of the import path in hex. Records are written to a
 * temporary name and renamed, so a killed build leaves whole records only.
 * The plan lives in golive's dev directory under the user cache dir, never
 * in GOCACHE. Nothing here prints.
 */
#ifndef GOLIVE_DEVPLAN_H
#define GOLIVE_DEVPLAN_H

#include "wrapper/toolargs.h"
#include "core/util.h"

#include <stddef.h>

#define DEVPLAN_ENV "GOLIVE_DEV_PLAN"

/* A compile's main-module sources, read before the compiler starts. */
struct devplan_sources {
	struct strbuf *bufs; /* one per ti->nfiles, empty when not read */
	size_t n, read;      /* how many; how many were read */
};

/*
 * The wrapper's hook before a tool of a dev build runs: reads the sources
 * of a compile that are under the module root into out (all empty
 * otherwise). Release with devplan_sources_release.
 */
void devplan_sources_read(const char *plan_dir, const struct tool_invocation *ti,
                          struct devplan_sources *out);
void devplan_sources_release(struct devplan_sources *s);

/*
 * The wrapper's hook, after a tool of a dev build exited with status 0:
 * records a compile of a main-module package (its sources as src holds
 * them, read before the compile: all of them must have been read) or the
 * link into plan_dir. run_argv is the argv the tool ran with (tool path
 * first). Errors are ignored: a missing record only means the next change
 * takes the full build.
 */
void devplan_record(const char *plan_dir, const struct tool_invocation *ti, char **run_argv,
                    const struct devplan_sources *src);

/*
 * golive build's hook under golive dev: saves the go command it runs (argv,
 * go first) and its cwd as <dir>/gobuild.json, for the warm-up
 * (fastwarm.h). Errors are ignored.
 */
void devplan_save_build(const char *plan_dir, char *const *argv, const char *cwd);

/* One recorded compile. */
struct devplan_pkg {
	char *importpath;
	char *hash;                 /* <h>: the record's file name */
	struct argv_array argv;     /* the tool's argv, tool path first */
	char *cwd;                  /* where it ran */
	struct argv_array env;      /* NAME=value of the GO* environment */
	char *importcfg, *embedcfg; /* their text (embedcfg may be NULL) */
	struct argv_array files;    /* the source files, absolute */
	struct argv_array deps;     /* the import paths its importcfg maps (packagefile lines) */
	int cgo, asm;               /* the package needs cgo or assembly: never replayed */
};

/* The recorded link. */
struct devplan_link {
	struct argv_array argv, env;
	char *cwd;
	struct argv_array lines; /* importcfg.link, one line each */
	char *main_path;         /* the main package's import path */
};

struct devplan {
	char *dir;
	struct devplan_pkg *pkgs;
	size_t npkgs;
	struct devplan_link link;
	int have_link;
};

/*
 * Loads the records of dir. Returns 0 (have_link says whether a link was
 * recorded), or -1 with *cause when the directory cannot be read.
 */
int devplan_load(struct devplan *p, const char *dir, char **cause);
void devplan_release(struct devplan *p);

/* The record of importpath, or NULL. */
struct devplan_pkg *devplan_find(const struct devplan *p, const char *importpath);
/* The record whose source files hold the absolute path file, or NULL (and *index). */
struct devplan_pkg *devplan_find_file(const struct devplan *p, const char *file, size_t *index);

/* <dir>/pkgs/<h>/<i>: the recorded copy of a package's i-th file (malloc'd). */
char *devplan_snapshot_path(const struct devplan *p, const struct devplan_pkg *pkg, size_t i);

/* The archive importcfg.link maps path to, or NULL. */
const char *devplan_link_archive(const struct devplan *p, const char *importpath);
/* Points path's packagefile line at archive (adds one when missing). */
void devplan_link_set_archive(struct devplan *p, const char *importpath, const char *archive);

/*
 * Records k (importpath, argv, cwd, env, importcfg, files; not cgo nor asm)
 * as if the wrapper had seen its compile: srcs[i] is the text of
 * k->files.argv[i] it compiled. 0, or -1 when something cannot be written
 * (then no record: the .json is written last, through a rename).
 */
int devplan_save_pkg(const char *plan_dir, const struct devplan_pkg *k, const struct strbuf *srcs);

/* Writes p->link back to <dir>/link.json. 0, or -1 with *cause. */
int devplan_save_link(const struct devplan *p, char **cause);

/* xxh3 of s as 16 hex digits into out[17]. */
void devplan_hash(const char *s, char out[17]);

#endif
