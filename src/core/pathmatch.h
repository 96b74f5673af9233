/*
 * pathmatch.h - which paths `golive dev` ignores: glob patterns (the
 * watch.include / watch.exclude lists of golive.yaml) and .gitignore files.
 *
 * Paths given to this module are slash-separated and relative to a root
 * (the module root), without a leading "./" or "/": "cmd/api/main.go".
 * Library code: never prints, errors come back as a malloc'd *cause.
 */
#ifndef GOLIVE_PATHMATCH_H
#define GOLIVE_PATHMATCH_H

#include <stddef.h>

#include "core/util.h"

/*
 * Glob match of a whole relative path, as in .gitignore and most watch
 * tools:
 *   *      any run of characters except '/'
 *   ?      one character except '/'
 *   [abc], [a-z], [!a-z], [^a-z]   one character of a class (never '/')
 *   **     as a whole path segment: any number of segments, including none
 *          ("**" alone matches everything, "a/" + "**" everything below a,
 *          "**" + "/x.go" x.go in any directory, "a/" + "**" + "/b" a/b,
 *          a/x/b, ...)
 *   \c     the character c literally
 * A pattern without '/' matches the base name in any directory ("*.html"
 * matches "web/t/index.html"); a pattern with a '/' (other than a trailing
 * one) is anchored at the root; a leading '/' is dropped. A trailing '/'
 * matches only directories (is_dir) — and, for a file, any of its parent
 * directories matching counts: "tmp/" matches "tmp/x/y.go".
 * Only a trailing '/' matches through a parent: "tmp" matches the directory
 * (or file) tmp itself, not tmp/x.go (callers prune directories as they
 * walk). "**" at the end needs at least one segment: "a/" + "**" does not
 * match a itself; "***" as a whole segment is "**" (as in git). Classes may
 * hold POSIX names ("[[:digit:]]"), a ']' first in a class is literal.
 * Matching is bytewise ('?' is one byte) and case-sensitive, as in git.
 * Empty and "." path segments are skipped ("a//b" is "a/b").
 * Returns 1 on a match, 0 otherwise; a malformed pattern (an unclosed '[',
 * an unknown [:class:], a trailing '\', an escaped '/', an empty segment as
 * in "a//b", or no segment at all: "" or "/") never matches.
 * Cost: O(len(pattern) * len(path)), no recursion.
 */
int glob_match(const char *pattern, const char *path, int is_dir);

/* 1 when path (a file, or a directory with is_dir) matches any pattern of list. */
int glob_match_any(const struct argv_array *list, const char *path, int is_dir);

/*
 * Checks a pattern for glob_match: 0, or -1 with *cause for a malformed
 * one ("unclosed [ in \"web/[ab\"", "unknown character class in ...",
 * "trailing \\ in ...", "escaped / in ...", "empty segment in \"a//b\"",
 * "empty pattern in \"\""). The cause is one line (control bytes of the
 * pattern are written \xNN); cause may be NULL.
 */
int glob_check(const char *pattern, char **cause);

/*
 * The .gitignore rules of a tree: the root's .gitignore and
 * .git/info/exclude, and the .gitignore of any subdirectory, read when
 * gitignore_add_dir() is called for it (golive dev calls it for each
 * directory it watches). Git's rules: blank lines and lines starting with
 * '#' are skipped, trailing unescaped spaces trimmed, "!" negates (the last
 * matching rule wins), a trailing '/' matches directories only, a pattern
 * with a '/' in the middle or at the start is relative to the directory of
 * its .gitignore, otherwise it matches the name at any depth below it;
 * "**" as in glob_match. A path whose parent directory is ignored is
 * ignored (git never looks inside an ignored directory).
 * Precedence, highest first: the deepest .gitignore above the path, ...,
 * the root's, then .git/info/exclude. A "\r" before the newline and a UTF-8
 * BOM are dropped; a malformed pattern is skipped. A path with a ".git"
 * segment anywhere (a submodule's .git too) is always ignored. Cost of a
 * query: at most O(len(rules) * len(path)).
 */
struct gitignore;

/* Reads <root>/.gitignore and <root>/.git/info/exclude (missing is fine). */
struct gitignore *gitignore_new(const char *root);
void gitignore_free(struct gitignore *g);

/*
 * Reads <root>/<dir>/.gitignore, if there is one and it was not read
 * before (dir relative to root, "" for the root). Returns 1 when a file was
 * read, 0 when there is none or it was read already.
 */
int gitignore_add_dir(struct gitignore *g, const char *dir);

/*
 * 1 when path (relative to root; a directory when is_dir) is ignored by
 * the rules read so far, 0 otherwise. ".git" itself is always ignored.
 */
int gitignore_ignored(const struct gitignore *g, const char *path, int is_dir);

/* Parses the text of one .gitignore as if it lived in dir (relative to root, "" = root). */
void gitignore_add_text(struct gitignore *g, const char *dir, const char *text, size_t len);

#endif
