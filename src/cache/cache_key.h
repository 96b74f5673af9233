/*
 * cache_key.h - the shared compile cache's key for one tool invocation
 * (docs/cache.md, "The key"). Format version CACHE_KEY_VERSION.
 *
 * The key is sha256 over, in this order, each item framed as
 * "<name> <length>\n<bytes>\n":
 *   - "format": "golive-cache-key v<CACHE_KEY_VERSION>"
 *   - "version": the tool's -V=full answer (golive's, i.e. with a plugin
 *     salt if any)
 *   - "tool": the tool name ("compile")
 *   - "arg": the arguments, one item per word, after normalisation (below);
 *     -c (backend concurrency) is left out: the object does not depend on it
 *   - the inputs named by the arguments, in argument order:
 *       * -symabis, -pgoprofile, then the Go sources (the trailing files):
 *         "input": "sha256:<hex of the file's bytes>"
 *       * -importcfg: "importcfg": the file with every "packagefile P=PATH"
 *         line rewritten to "packagefile P=sha256:<content hash of PATH>",
 *         "importmap" lines kept, blank lines and "#" comments dropped
 *       * -embedcfg: "embedcfg": the canonical text of cache_key_embedcfg
 *         (names and content hashes; the embedded files' paths never reach
 *         the object, so they are not in the key)
 *   - "env": the allow-listed environment (cache_key_env_names),
 *     "NAME=value" for each variable that is set, in that list's order
 *
 * Normalisation of the arguments. compile records a source file's path as
 * the first -trimpath rule ("DIR" or "DIR=>PREFIX", in list order, DIR a
 * path prefix with ASCII case folding) rewrites it, else as "$GOROOT/..."
 * under $GOROOT, else as it is. So:
 *   - $WORK: the -o file's directory is go's $WORK/bNNN ($WORK a go-build*
 *     directory). The -trimpath rule whose DIR is that directory (go always
 *     passes "$WORK/bNNN=>") is written "$WORK/b=>", and a source under it
 *     "$WORK/b/...". Other sources under $WORK are written "$WORK/...".
 *   - every other -trimpath rule's DIR is written "$TRIM<i>" (i counting
 *     from 0 in the -trimpath list), in the -trimpath value and in the
 *     sources it rewrites, "$TRIM<i>/rest"; the rule's PREFIX stays. With
 *     go build -trimpath ("DIR=>import/path") keys do not depend on the
 *     checkout directory.
 *   - paths that never reach the object (-o, -asmhdr, -linkobj, -importcfg,
 *     -embedcfg, -symabis, -pgoprofile, -I; their contents are hashed) are
 *     written "$WORK/b/..." under any $WORK/bNNN, "$WORK/..." elsewhere
 *     under $WORK, "<rule token>/..." under a -trimpath DIR.
 * Anything else stays, so without go build -trimpath objects of packages
 * outside GOROOT hit only in the same checkout directory: key->dir_bound
 * says so.
 *
 * Anything not understood makes the invocation uncacheable (never guessed):
 * a tool other than compile, a probe (-V=full), a flag not in the
 * allow-list (cache_key.c), a flag that writes extra files or prints
 * (-json, -S, -m, -cpuprofile, -memprofile, -traceprofile, -bench,
 * -coveragecfg, any -d, ...), -o, -asmhdr, -linkobj, -importcfg, -embedcfg
 * or -trimpath given twice, a missing -o or -importcfg, neither
 * -nolocalimports nor a -D, a relative source file, an input file that
 * cannot be read (or is not a regular file), an importcfg line that is
 * not blank / "#..." / "packagefile" / "importmap", an embedcfg that is not
 * exactly {"Patterns": {..}, "Files": {..}}, or a debugging variable in the
 * environment (GOSSAFUNC, GOSSADIR, GOSSAHASH, GOCOMPILEDEBUG,
 * GOCLOBBERDEADHASH).
 */
#ifndef GOLIVE_CACHE_KEY_H
#define GOLIVE_CACHE_KEY_H

#include "wrapper/toolargs.h"

#include <stddef.h>

#define CACHE_KEY_VERSION 1
#define CACHE_MAX_OUTPUTS 4

/* What go asked the tool to write: the outputs a hit must restore. */
struct cache_output_file {
	const char *role; /* "o" (-o), "asmhdr" (-asmhdr), "linkobj" (-linkobj): static strings */
	char *path;       /* as given on the command line (relative to the tool's cwd) */
};

struct cache_key {
	char hex[65];                                        /* the key: sha256, lowercase hex */
	struct cache_output_file outputs[CACHE_MAX_OUTPUTS]; /* outputs[0] is always -o */
	size_t noutputs;
	/*
	 * 1 when a path of this machine (an absolute path outside $GOROOT and
	 * outside $WORK) stays in the key because -trimpath did not rewrite it
	 * (a source directory, a -trimpath PREFIX that is such a path, a -D):
	 * such an object hits only for builds in the same directory.
	 */
	int dir_bound;
	unsigned long long input_bytes; /* bytes hashed from input files */
};

/* The environment variables that change a compile's output, NULL-terminated. */
extern const char *const cache_key_env_names[];

/*
 * Computes the key of the tool invocation ti (argv as the wrapper got it,
 * after any plugin rewrite) whose tool answered version_answer to -V=full
 * (its first line, without the newline). Relative paths are resolved
 * against the process's cwd (the tool's cwd).
 *
 * Returns 1 and fills *key when the invocation is cacheable; 0 with *why
 * (malloc'd, one short line, e.g. "flag -m prints optimization decisions",
 * "unreadable input /x/a.go: No such file or directory") when it is not;
 * -1 with *why when hashing itself failed (libcrypto missing). Nothing is
 * read, and libcrypto is not loaded, for an invocation its arguments
 * already make uncacheable. Release with cache_key_release after 1 (after
 * 0 or -1 *key is empty and releasing it is harmless).
 */
int cache_key_compute(const struct tool_invocation *ti, const char *version_answer,
                      struct cache_key *key, char **why);
void cache_key_release(struct cache_key *key);

/*
 * Keeps the hashes of the archives importcfg files name in dir (created if
 * missing; NULL: no memo), keyed by path, inode, size and times, so that a
 * build hashes each dependency once rather than once per importer. golive
 * passes its session's "hashes" directory. The hash never depends on the memo.
 */
void cache_key_set_memo_dir(const char *dir);

/*
 * The importcfg rewrite above, exposed for tests and fuzzing: appends the
 * normalised text of an importcfg (text need not be NUL-terminated; NULL
 * with len 0 is empty) to out, one "\n"-terminated line per directive,
 * hashing packagefile targets with hash_file (sha256_file_hex in
 * production; relative paths against the cwd, as compile does). Lines are
 * read as compile reads them (split at the first space, then at the first
 * '='). 0, or -1 with *why (one line: "importcfg: line N: ...", or
 * hash_file's why).
 */
struct strbuf;
int cache_key_importcfg(const char *text, size_t len, struct strbuf *out,
                        int (*hash_file)(const char *path, char hex[65], char **why), char **why);

/*
 * The embedcfg part above: parses the JSON ({"Patterns": {pattern:
 * [names]}, "Files": {name: path}}, nothing else; duplicate members, a
 * newline in a pattern or name, and \u0000 are refused) and appends its
 * canonical text to out:
 *   "patterns <n>\n", then per pattern in sorted order "pattern <p>\n"
 *   and "\t<name>\n" per name in the given order; "files <m>\n", then per
 *   file in sorted name order "<name>=sha256:<hash_file(path)>\n".
 * 0, or -1 with *why (one line).
 */
int cache_key_embedcfg(const char *text, size_t len, struct strbuf *out,
                       int (*hash_file)(const char *path, char hex[65], char **why), char **why);

#endif
