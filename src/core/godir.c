/* godir.c - see godir.h. */
#define _GNU_SOURCE
#include "core/godir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The start of a file read for its build constraints: they sit above the package clause. */
#define HEADER_BYTES GODIR_HEADER_BYTES

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files go itself would never read: "_x.go", ".x.go"; _test.go unless tests. */
static int is_go_source(const char *name, int tests)
{
	if (name[0] == '.' || name[0] == '_' || !ends_with(name, ".go") || strlen(name) <= 3)
		return 0;
	return tests || !ends_with(name, "_test.go");
}

/* True when a line of src is `import "C"` (cgo's import, after its preamble comment). */
static int imports_c(const char *src, size_t len)
{
	static const char want[] = "import \"C\"";
	for (const char *p = src, *end = src + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		size_t n = (size_t)(e - p);
		if (n >= sizeof(want) - 1 && memcmp(p, want, sizeof(want) - 1) == 0) {
			const char *r = p + sizeof(want) - 1;
			while (r < e && (*r == ' ' || *r == '\t' || *r == '\r'))
				r++;
			if (r == e || (e - r >= 2 && r[0] == '/' && (r[1] == '/' || r[1] == '*')))
				return 1;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

struct header_cb {
	godir_header_fn fn;
	void *data;
};

/*
 * Whether file name in directory dfd is built by its //go:build or +build
 * lines: 1 yes (also when it cannot be read), 0 no, -1 malformed (*cause).
 * A file whose constraints hold goes to cb, when there is one.
 */
static int header_ok(int dfd, const char *name, const struct buildctx *c, char **cause,
                     const struct header_cb *cb)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (cb->fn)
			cb->fn(cb->data, name, NULL, 0, 0, 1);
		return 1;
	}
	char *buf = xmalloc(HEADER_BYTES);
	size_t n = 0;
	while (n < HEADER_BYTES) {
		ssize_t r = read(fd, buf + n, HEADER_BYTES - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	/* one byte more tells whether the file is longer than what was read */
	char more;
	int truncated = n == HEADER_BYTES && read(fd, &more, 1) == 1;
	close(fd);
	int v = buildcons_header_ok(c, buf, n, cause);
	int cgo_out = v > 0 && !c->cgo && imports_c(buf, n);
	if (v > 0 && cb->fn)
		cb->fn(cb->data, name, buf, n, truncated, !cgo_out);
	if (cgo_out)
		v = 0; /* go leaves cgo files out when cgo is off */
	free(buf);
	return v;
}

int godir_files(const char *dir, const struct buildctx *c, int tests, struct argv_array *names,
                godir_problem_fn problem, void *data)
{
	return godir_files_scan(dir, c, tests, names, problem, data, NULL, NULL);
}

int godir_files_scan(const char *dir, const struct buildctx *c, int tests, struct argv_array *names,
                     godir_problem_fn problem, void *data, godir_header_fn header, void *hdata)
{
	struct header_cb cb = {header, hdata};
	DIR *d = opendir(dir);
	size_t first = names->argc;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		if (!is_go_source(e->d_name, tests) || e->d_type == DT_DIR)
			continue;
		/*
		 * A FIFO, a device or a symlink to one is never read (a FIFO would
		 * hang us, /dev/zero never ends): one line names it. A dangling
		 * symlink is kept, and reported when it cannot be read.
		 */
		if (e->d_type != DT_REG && fstatat(dirfd(d), e->d_name, &st, 0) == 0 &&
		    !S_ISREG(st.st_mode)) {
			if (S_ISDIR(st.st_mode))
				continue;
			char *p = xasprintf("%s/%s", dir, e->d_name);
			problem(data, p, "not a regular file");
			free(p);
			continue;
		}
		if (!buildcons_name_ok(c, e->d_name))
			continue;
		char *cause = NULL;
		int ok = header_ok(dirfd(d), e->d_name, c, &cause, &cb);
		if (ok < 0) {
			char *p = xasprintf("%s/%s", dir, e->d_name);
			problem(data, p, cause);
			free(p);
			free(cause);
		}
		if (ok > 0)
			argv_push(names, e->d_name);
	}
	closedir(d);
	if (names->argc > first)
		qsort(names->argv + first, names->argc - first, sizeof(char *), cmp_str);
	return 0;
}

static void walk(const char *dir, unsigned depth, struct argv_array *dirs)
{
	struct argv_array subs = ARGV_ARRAY_INIT;
	DIR *d = depth < 64 ? opendir(dir) : NULL;
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		const char *n = e->d_name;
		struct stat st;
		if (n[0] == '.' || n[0] == '_' || !strcmp(n, "testdata") || !strcmp(n, "vendor"))
			continue;
		if (e->d_type == DT_DIR ||
		    (e->d_type == DT_UNKNOWN &&
		     fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)))
			argv_push(&subs, n);
	}
	closedir(d);
	if (subs.argc)
		qsort(subs.argv, subs.argc, sizeof(char *), cmp_str);
	for (size_t i = 0; i < subs.argc; i++) {
		char *sub = strcmp(dir, "/") ? xasprintf("%s/%s", dir, subs.argv[i])
		                             : xasprintf("/%s", subs.argv[i]);
		argv_push(dirs, sub);
		walk(sub, depth + 1, dirs);
		free(sub);
	}
	argv_clear(&subs);
}

int godir_walk(const char *root, struct argv_array *dirs)
{
	DIR *d = opendir(root);
	if (!d)
		return -1;
	closedir(d);
	argv_push(dirs, root);
	walk(root, 0, dirs);
	return 0;
}

char *godir_tree_root(const char *pattern)
{
	size_t n = strlen(pattern);
	if (n < 4 || strcmp(pattern + n - 4, "/...") != 0)
		return NULL;
	if (strstr(pattern, "...") != pattern + n - 3)
		return NULL; /* a wildcard inside: for go list */
	if (n == 4)
		return xstrdup("/");
	return xstrndup(pattern, n - 4);
}
