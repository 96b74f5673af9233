/*
 * fuzz_pathmatch.c - libFuzzer entry point for pathmatch.c.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/unit/fuzz_pathmatch.c \
 *     src/core/pathmatch.c src/core/util.c -o /tmp/fuzz_pathmatch
 * /tmp/fuzz_pathmatch -max_total_time=60
 *
 * Input: one flags byte, then "pattern\npath\n.gitignore text". Besides not
 * crashing, and finishing in bounded time (no exponential backtracking on
 * patterns like "a*a*a*a*b" or many "**" segments):
 *  - glob_check fails with a one-line cause exactly when the pattern is
 *    malformed, and a malformed pattern never matches;
 *  - an unanchored pattern P matches like "**" + "/" + P;
 *  - a pattern alone in a .gitignore ignores the path exactly when
 *    glob_match matches the path or a directory above it;
 *  - for the rules of the text (as the .gitignore of the root, or of the
 *    path's first directory), a path below an ignored directory is ignored.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pathmatch.h"
#include "core/util.h"

#define MAX_NS    (10 * INT64_C(1000000000)) /* per input; exponential blows far past it */
#define MAX_DEPTH 16                         /* prefixes checked one by one */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next field of data (up to '\n'), as a malloc'd string cut at any NUL. */
static char *field(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t n = nl ? (size_t)(nl - *data) : *size;
	char *s = xstrndup((const char *)*data, n);
	*data += n + (nl != NULL);
	*size -= n + (nl != NULL);
	return s;
}

/* The prefixes of path, as glob_match and gitignore_ignored see its segments. */
static void prefixes(const char *path, struct argv_array *out)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = path;
	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n && !(n == 1 && *p == '.')) {
			if (sb.len)
				strbuf_addch(&sb, '/');
			strbuf_add(&sb, p, n);
			argv_push(out, sb.buf);
		}
		p = *e ? e + 1 : e;
	}
	strbuf_release(&sb);
}

static int has_git_segment(const struct argv_array *pre)
{
	for (size_t i = 0; i < pre->argc; i++)
		if (!strcmp(base_name(pre->argv[i]), ".git"))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct argv_array pre = ARGV_ARRAY_INIT;
	char *pattern, *path, *cause = NULL;
	int64_t t0 = now_mono_ns();
	unsigned flags;
	int is_dir, ok, m;

	if (!size)
		return 0;
	flags = data[0];
	data++;
	size--;
	is_dir = flags & 1;
	pattern = field(&data, &size);
	path = field(&data, &size);
	prefixes(path, &pre);

	/* glob_check and glob_match agree on what is malformed */
	ok = !glob_check(pattern, &cause);
	if (ok ? cause != NULL : !cause || strchr(cause, '\n'))
		abort();
	free(cause);
	m = glob_match(pattern, path, is_dir);
	if (!ok && m)
		abort();

	/* no '/': the base name at any depth, as "**" + "/" + pattern */
	if (ok && !strchr(pattern, '/')) {
		char *q = xasprintf("**/%s", pattern);
		if (glob_match(q, path, is_dir) != m)
			abort();
		free(q);
	}

	/* the pattern as the only rule of a .gitignore: ignored = it or a parent matches */
	if (*pattern && *pattern != '#' && *pattern != '!' && pattern[strlen(pattern) - 1] != ' ' &&
	    pattern[strlen(pattern) - 1] != '\r' && !has_git_segment(&pre) &&
	    pre.argc <= MAX_DEPTH && strncmp(pattern, "\xef\xbb\xbf", 3)) {
		struct gitignore *g = gitignore_new("/nonexistent/golive-fuzz");
		int want = 0;
		gitignore_add_text(g, "", pattern, strlen(pattern));
		for (size_t k = 0; k < pre.argc && !want; k++)
			want = glob_match(pattern, pre.argv[k], k + 1 < pre.argc || is_dir);
		if (gitignore_ignored(g, path, is_dir) != want)
			abort();
		gitignore_free(g);
	}

	/* the rest is a .gitignore, of the root or of the path's first directory */
	{
		struct gitignore *g = gitignore_new("/nonexistent/golive-fuzz");
		const char *dir = flags & 2 && pre.argc ? pre.argv[0] : "";
		gitignore_add_text(g, dir, (const char *)data, size);
		if (flags & 4)
			gitignore_add_text(g, "", pattern, strlen(pattern));
		int ign = gitignore_ignored(g, path, is_dir);
		for (size_t k = 0; k + 1 < pre.argc && k < MAX_DEPTH; k++)
			if (gitignore_ignored(g, pre.argv[k], 1) && !ign)
				abort(); /* inside an ignored directory, yet not ignored */
		if (has_git_segment(&pre) && !ign)
			abort();
		gitignore_free(g);
	}

	if (now_mono_ns() - t0 > MAX_NS)
		abort();
	argv_clear(&pre);
	free(pattern);
	free(path);
	return 0;
}
