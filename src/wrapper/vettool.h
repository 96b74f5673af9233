/*
 * vettool.h - golive as `go vet -vettool=$(command -v golive)`: the
 * unitchecker protocol (-flags, -V=full, one vet.cfg per package).
 *
 *   golive -flags            the flags golive accepts, as JSON
 *                            [{"Name","Bool","Usage"}]: json, c, and one
 *                            boolean per built-in analyzer
 *   golive -V=full           "golive version <ver> analysis=<hash>": the
 *                            hash covers golive.yaml's analysis settings
 *                            (found from the cwd) and the executable, so
 *                            go's vet cache changes with them
 *   golive [flags] vet.cfg   analyse one package: VetxOnly runs write an
 *                            empty VetxOutput and exit 0; others analyse
 *                            GoFiles with the settings of $GOLIVE_CONFIG or
 *                            the golive.yaml found from the config's Dir,
 *                            always write
 *                            VetxOutput, and print findings as
 *                            "file:line:col: [analyzer] message" on stderr
 *                            with exit 1 (go vet's convention), or with
 *                            -json go vet's JSON tree on stdout, exit 0;
 *                            Go >= 1.26 always passes -json and names a
 *                            Stdout file in vet.cfg: the tree goes there,
 *                            and go prints "file:line:col: message" itself
 *                            (exit 1 on findings) and caches the result
 *
 * A vet.cfg that cannot be read or parsed is one line "golive: vet.cfg
 * PATH: <what is wrong>" and exit 1.
 */
#ifndef GOLIVE_VETTOOL_H
#define GOLIVE_VETTOOL_H

#include <stddef.h>

#include "core/util.h"

/* True when argv is a go vet invocation: argv[1] is -flags or -V=full, or the last word is a .cfg
 * file after nothing but flags. */
int vettool_detect(int argc, char **argv);
/* Runs the vettool protocol; returns the exit status. */
int vettool_main(int argc, char **argv);

/* The part of go's vet.cfg (cmd/go/internal/work vetConfig) golive uses. */
struct vetcfg {
	char *id;                   /* package ID, e.g. "p [p.test]" ("" when absent) */
	char *import_path;          /* ImportPath */
	char *dir;                  /* Dir ("" when absent) */
	char *go_version;           /* GoVersion, "go1.21" ("" when absent or empty) */
	struct argv_array go_files; /* GoFiles: absolute paths, some in go's $WORK */
	char *vetx_output;          /* VetxOutput, or NULL */
	char *stdout_file;          /* Stdout (Go >= 1.26: where -json output goes), or NULL */
	int vetx_only;              /* VetxOnly */
};

/*
 * Parses a vet.cfg document of len bytes. Unknown fields are ignored (new
 * Go releases add them); known fields of the wrong type, a missing
 * ImportPath or GoFiles, and anything but a JSON object are errors.
 * Returns 0, or -1 with *cause (malloc'd) saying what is wrong. Release c
 * with vetcfg_release() either way.
 */
int vetcfg_parse(struct vetcfg *c, const char *buf, size_t len, char **cause);
void vetcfg_release(struct vetcfg *c);

#endif
