/*
 * cmd_check.c - `golive check`: source analysis without building.
 *
 * Flow: read golive.yaml (analyzers:, rules:), compile the rules once (a bad
 * query is a configuration error), turn the arguments into a list of files
 * (existing directories as go would build them, core/godir.c; DIR/...
 * outside the cwd's module walked likewise; .go files as given; everything
 * else is a package pattern for `go list`, except ./... and ./DIR/... in
 * the cwd's module, walked the way go list would resolve them when that is
 * certain, cmd/check_modwalk.h), analyse the files on a pool of threads
 * (one analysis_ctx each), sort the findings and print them as text, JSON
 * or SARIF. Exit 0 clean, 1 findings at or above fail_on, 2 usage or
 * configuration error (docs/check.md).
 */
#define _GNU_SOURCE
#include "analysis/analyze.h"
#include "analysis/anapkg.h"
#include "cmd/commands.h"
#include "core/buildcons.h"
#include "core/config.h"
#include "core/godir.h"
#include "analysis/diag.h"
#include "core/golist.h"
#include "core/gotool.h"
#include "core/goversion.h"
#include "core/util.h"
#include "analysis/baseline.h"
#include "analysis/fix.h"
#include "cmd/check_modwalk.h"
#include "cmd/check_rules.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_JOBS         256
#define WORKER_STACK     (16u << 20) /* deep Go nesting recurses in the analyzers */
#define MAX_SOURCE_BYTES (16u << 20) /* as analysis_run_file reads */
#define MAX_GOMOD_BYTES  (16u << 20) /* a larger go.mod is not read: Go version unknown */

static const char check_usage[] =
    "usage: golive check [options] [packages or directories]\n"
    "\n"
    "Analyses Go source without building it and prints every finding as\n"
    "path/file.go:LINE:COL: [analyzer] message. Arguments that are existing\n"
    "directories are analysed as plain directories (the .go files go would\n"
    "build there: build constraints, GOOS/GOARCH, tags; not recursively);\n"
    "DIR/... outside the current module walks DIR as go's ./... does; .go\n"
    "files as themselves; anything else is a package pattern for go list\n"
    "(default ./...), with build tags, GOOS/GOARCH and GOFLAGS applied;\n"
    "./... and ./DIR/... in the current module are walked without go list\n"
    "when that gives go list's answer (GOLIVE_CHECK_GOLIST=1: always go list).\n"
    "\n"
    "options:\n"
    "  --json             print a JSON report on stdout (schema: docs/check.md)\n"
    "  --sarif            print a SARIF 2.1.0 log on stdout (GitHub code scanning)\n"
    "  --tests            also analyse _test.go files\n"
    "  --tags LIST        build tags (comma-separated)\n"
    "  --fail-on LEVEL    never, warning or error: exit 1 on findings at or above\n"
    "                     LEVEL (default: analyzers.fail_on in golive.yaml, else never)\n"
    "  -j, --jobs N       analyse N files at a time (default: online CPUs)\n"
    "  --config FILE      read FILE instead of searching for golive.yaml\n"
    "  --quiet            no summary line on stderr\n"
    "  --fix              apply the safe fixes findings offer; report the rest\n"
    "  --fix-unsafe       with --fix or --diff: the unsafe fixes too\n"
    "  --diff             print the fixes as a unified diff, change nothing\n"
    "                     (exit 1 when there is one)\n"
    "  --baseline FILE    report only findings FILE (a baseline) does not hold\n"
    "  --baseline-write FILE  write the findings to FILE as the baseline\n"
    "  --baseline-suppressed  with --baseline and --sarif: keep baselined\n"
    "                     results, marked as suppressed (kind external)\n"
    "  --test-rules [DIR] test the rules: their valid:/invalid: snippets and\n"
    "                     the .go files of DIR with // want ID and // ok ID\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 no failing findings, 1 findings at or above fail_on,\n"
    "2 usage or configuration error, 127 go not found (package patterns only).\n";

struct check_opts {
	int json, sarif, tests, quiet;
	int fix, fix_unsafe, diff, baseline_suppressed, test_rules;
	const char *baseline, *baseline_write;
	long jobs;
	int has_fail_on;
	enum fail_on fail_on;
	const char *tags, *config;
	struct argv_array args;
};

/* ---- options ------------------------------------------------------------- */

/* The value of option a (name n bytes long): "--x=v" or the next argument. */
static const char *opt_value(int argc, char **argv, int *i, size_t n, int *bad)
{
	const char *a = argv[*i];
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	if (a[n] != '\0' && a[1] == 'j' && n == 2)
		return a + n; /* -j4 */
	*bad = 1;
	return NULL;
}

/* Whether a is option name, alone or as name=value (or -jN for -j). */
static int is_opt(const char *a, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(a, name, n) != 0)
		return 0;
	return a[n] == '\0' || a[n] == '=' ||
	       (strcmp(name, "-j") == 0 && a[n] >= '0' && a[n] <= '9');
}

static int parse_opts(struct check_opts *o, int argc, char **argv)
{
	int only_args = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		int bad = 0;

		if (only_args || a[0] != '-' || strcmp(a, "-") == 0) {
			argv_push(&o->args, a);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = 1;
		} else if (is_help_flag(a)) {
			fputs(check_usage, stdout);
			exit(0);
		} else if (strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (strcmp(a, "--sarif") == 0) {
			o->sarif = 1;
		} else if (strcmp(a, "--tests") == 0) {
			o->tests = 1;
		} else if (strcmp(a, "--fix") == 0) {
			o->fix = 1;
		} else if (strcmp(a, "--fix-unsafe") == 0) {
			o->fix_unsafe = 1;
		} else if (strcmp(a, "--diff") == 0) {
			o->diff = 1;
		} else if (strcmp(a, "--baseline-suppressed") == 0) {
			o->baseline_suppressed = 1;
		} else if (strcmp(a, "--test-rules") == 0) {
			o->test_rules = 1;
		} else if (is_opt(a, "--baseline-write")) {
			val = opt_value(argc, argv, &i, 16, &bad);
			if (bad || !*val)
				return error("golive check: --baseline-write needs a file");
			o->baseline_write = val;
		} else if (is_opt(a, "--baseline")) {
			val = opt_value(argc, argv, &i, 10, &bad);
			if (bad || !*val)
				return error("golive check: --baseline needs a file");
			o->baseline = val;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			o->quiet = 1;
		} else if (is_opt(a, "--tags") || is_opt(a, "-tags")) {
			val = opt_value(argc, argv, &i, a[1] == '-' ? 6 : 5, &bad);
			if (bad)
				return error("golive check: --tags needs a value");
			o->tags = val;
		} else if (is_opt(a, "--config")) {
			val = opt_value(argc, argv, &i, 8, &bad);
			if (bad || !*val)
				return error("golive check: --config needs a file");
			o->config = val;
		} else if (is_opt(a, "--fail-on")) {
			val = opt_value(argc, argv, &i, 9, &bad);
			if (bad)
				return error("golive check: --fail-on needs a value");
			if (fail_on_parse(val, &o->fail_on) < 0)
				return error(
				    "golive check: --fail-on: want never, warning or error, "
				    "got \"%s\"",
				    val);
			o->has_fail_on = 1;
		} else if (is_opt(a, "-j") || is_opt(a, "--jobs")) {
			val = opt_value(argc, argv, &i, a[1] == 'j' ? 2 : 6, &bad);
			char *end = NULL;
			long v = bad ? 0 : strtol(val, &end, 10);
			if (bad || !*val || *end || v < 1 || v > MAX_JOBS)
				return error("golive check: -j: want a number 1..%d, got \"%s\"",
				             MAX_JOBS, bad ? "" : val);
			o->jobs = v;
		} else {
			return error("golive check: unknown option %s (see golive check --help)",
			             a);
		}
	}
	if (o->json && o->sarif)
		return error("golive check: --json and --sarif exclude each other");
	if (o->fix && o->diff)
		return error("golive check: --fix and --diff exclude each other");
	if (o->fix_unsafe && !o->fix && !o->diff)
		return error("golive check: --fix-unsafe goes with --fix or --diff");
	if (o->baseline_suppressed && (!o->baseline || !o->sarif))
		return error(
		    "golive check: --baseline-suppressed goes with --baseline and --sarif");
	if (o->baseline && o->baseline_write)
		return error("golive check: --baseline and --baseline-write exclude each other");
	if (o->test_rules && (o->json || o->sarif || o->fix || o->diff || o->baseline ||
	                      o->baseline_write || o->args.argc > 1))
		return error("golive check: --test-rules takes one directory and no other mode");
	return 0;
}

/* ---- paths --------------------------------------------------------------- */

/*
 * The directories paths are shown relative to: the physical cwd, and $PWD
 * when it names the same directory through symlinks (go list reports
 * directories under $PWD, as go's os.Getwd does).
 */
struct cwds {
	char *phys;
	char *logical; /* NULL when $PWD is unset, stale or the same as phys */
};

static int cwds_init(struct cwds *c)
{
	char buf[PATH_MAX];
	const char *pwd = getenv("PWD");
	struct stat a, b;

	c->phys = c->logical = NULL;
	if (!getcwd(buf, sizeof(buf)))
		return error("golive check: cannot get the current directory: %s", strerror(errno));
	c->phys = xstrdup(buf);
	if (pwd && pwd[0] == '/' && strcmp(pwd, buf) != 0 && stat(pwd, &a) == 0 &&
	    stat(".", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		c->logical = xstrdup(pwd);
	return 0;
}

static void cwds_release(struct cwds *c)
{
	free(c->phys);
	free(c->logical);
}

/* abs relative to dir ("x/y.go", "../z/y.go"); malloc'd. */
static char *relative_to(const char *dir, const char *abs)
{
	size_t common = 0, i = 0;
	struct strbuf sb = STRBUF_INIT;

	/* The longest common prefix that ends at a path separator. */
	for (;; i++) {
		char a = dir[i], b = abs[i];
		if ((a == '/' || a == '\0') && (b == '/' || b == '\0'))
			common = i;
		if (a != b || a == '\0' || b == '\0')
			break;
	}
	for (const char *p = dir + common; *p; p++)
		if (*p == '/' && p[1] != '\0')
			strbuf_addstr(&sb, sb.len ? "/.." : "..");
	const char *rest = abs + common;
	while (*rest == '/')
		rest++;
	if (*rest) {
		if (sb.len)
			strbuf_addch(&sb, '/');
		strbuf_addstr(&sb, rest);
	}
	if (!sb.len)
		strbuf_addch(&sb, '.');
	return strbuf_detach(&sb, NULL);
}

/*
 * How go vet shows abs: relative to the cwd when that is shorter (below
 * the cwd always is), else absolute. The result opens the same file from
 * the cwd. malloc'd.
 */
static char *short_path(const struct cwds *c, const char *abs)
{
	const char *dirs[2] = {c->logical, c->phys};

	for (int k = 0; k < 2; k++) {
		if (!dirs[k])
			continue;
		size_t n = strlen(dirs[k]);
		if (n == 1 && abs[0] == '/' && abs[1])
			return xstrdup(abs + 1);
		if (strncmp(abs, dirs[k], n) == 0 && abs[n] == '/' && abs[n + 1])
			return xstrdup(abs + n + 1);
	}
	/* "../" from the physical cwd only: that is how the kernel resolves it. */
	char *rel = relative_to(c->phys, abs);
	if (strlen(rel) < strlen(abs))
		return rel;
	free(rel);
	return xstrdup(abs);
}

/* ---- the files to analyse ------------------------------------------------ */

struct check_file {
	char *abs;   /* lexically clean absolute path: the identity of the file */
	char *path;  /* what is opened and printed: relative to the cwd when shorter */
	size_t unit; /* index of the package or directory it belongs to */
};

struct problem {
	char *kind, *name, *message;
};

struct inputs {
	ARRAY(struct check_file) files;
	ARRAY(struct problem) problems;
	struct argv_array units;       /* packages and plain directories, by name */
	ARRAY(struct goversion) langs; /* per unit: its Go language version (maybe unknown) */
};

static void add_problem(struct inputs *in, const char *kind, const char *name, const char *msg)
{
	struct problem p = {xstrdup(kind), xstrdup(name), xstrdup(msg)};
	ARRAY_PUSH(in->problems, p);
}

/* The unit called name, added with language version lang (NULL: unknown) when new. */
static size_t add_unit(struct inputs *in, const char *name, const struct goversion *lang)
{
	struct goversion unknown = GOVERSION_UNKNOWN;
	for (size_t i = in->units.argc; i-- > 0;)
		if (strcmp(in->units.argv[i], name) == 0)
			return i;
	argv_push(&in->units, name);
	ARRAY_PUSH(in->langs, lang ? *lang : unknown);
	return in->units.argc - 1;
}

/*
 * The Go language version of the plain directory dir (absolute): the go
 * line of the nearest go.mod at or above it (go1.16 when it has none, as
 * go assumes), or unknown when there is none or it cannot be read.
 */
static struct goversion dir_goversion(const char *dir)
{
	struct goversion v = GOVERSION_UNKNOWN, unknown = GOVERSION_UNKNOWN;
	char *d = xstrdup(dir);
	for (;;) {
		char *gomod = xasprintf("%s/go.mod", strcmp(d, "/") ? d : "");
		struct strbuf sb = STRBUF_INIT;
		struct stat st;
		int found = stat(gomod, &st) == 0 && S_ISREG(st.st_mode);
		if (found) {
			if (strbuf_read_file(&sb, gomod, MAX_GOMOD_BYTES) < 0 ||
			    goversion_gomod(sb.buf, sb.len, &v) < 0)
				v = unknown;
			else
				goversion_lang(&v, &v);
		}
		strbuf_release(&sb);
		free(gomod);
		char *slash = strrchr(d, '/');
		if (found || !slash || !strcmp(d, "/"))
			break;
		slash[slash == d ? 1 : 0] = '\0';
	}
	free(d);
	return v;
}

static void add_file(struct inputs *in, const struct cwds *c, const char *abs, size_t unit)
{
	struct check_file f;
	f.abs = path_join_clean(c->phys, abs);
	f.path = short_path(c, f.abs);
	f.unit = unit;
	ARRAY_PUSH(in->files, f);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file a plain directory leaves out for a reason to print (godir_problem_fn). */
static void dir_problem(void *data, const char *path, const char *message)
{
	add_problem(data, "file", path, message);
	warning("%s: %s", path, message);
}

/*
 * A plain directory: its .go files that go would build here (build
 * constraints, file-name suffixes), not recursive, in name order. Adds
 * the directory as a unit even when nothing is left, unless in_tree (one
 * of the directories of DIR/...: only those with Go files count).
 */
static void add_dir(struct inputs *in, const struct cwds *c, const char *arg,
                    const struct buildctx *bc, int tests, int in_tree)
{
	char *abs = path_join_clean(c->phys, arg);
	struct argv_array names = ARGV_ARRAY_INIT;

	if (godir_files(arg, bc, tests, &names, dir_problem, in) < 0) {
		add_problem(in, "package", arg, strerror(errno));
		warning("%s: %s", arg, strerror(errno));
		free(abs);
		return;
	}
	if (!names.argc && in_tree) {
		free(abs);
		return;
	}
	struct goversion lang = dir_goversion(abs);
	size_t unit = add_unit(in, abs, &lang);
	for (size_t i = 0; i < names.argc; i++) {
		char *p = xasprintf("%s/%s", abs, names.argv[i]);
		add_file(in, c, p, unit);
		free(p);
	}
	argv_clear(&names);
	free(abs);
}

/* The directory of the nearest go.mod at or above dir (absolute), or NULL; malloc'd. */
static char *module_root(const char *dir)
{
	char *d = xstrdup(dir);
	for (;;) {
		char *gomod = xasprintf("%s/go.mod", strcmp(d, "/") ? d : "");
		struct stat st;
		int found = stat(gomod, &st) == 0 && S_ISREG(st.st_mode);
		free(gomod);
		if (found)
			return d;
		char *slash = strrchr(d, '/');
		if (!slash || !strcmp(d, "/"))
			break;
		slash[slash == d ? 1 : 0] = '\0';
	}
	free(d);
	return NULL;
}

/*
 * DIR/... that go list cannot resolve from here (DIR in no module, or in
 * another module than the cwd; GO111MODULE neither off nor auto, where go
 * list resolves it in GOPATH mode): every directory below DIR
 * that go's ./... would visit, as plain directories. Returns 0, or -1 when
 * the pattern is for go list.
 */
static int add_tree(struct inputs *in, const struct cwds *c, const char *pattern,
                    const struct buildctx *bc, int tests)
{
	char *root = godir_tree_root(pattern);
	struct stat st;
	const char *gomod = getenv("GO111MODULE");
	if (!root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (gomod && (!strcmp(gomod, "off") || !strcmp(gomod, "auto")))) {
		free(root);
		return -1;
	}
	char *abs = path_join_clean(c->phys, root);
	char *mod = module_root(abs), *here = module_root(c->phys);
	int same = mod && here && strcmp(mod, here) == 0;
	free(abs);
	free(mod);
	free(here);
	if (same) {
		free(root);
		return -1; /* in the cwd's module: go list knows its packages */
	}
	struct argv_array dirs = ARGV_ARRAY_INIT;
	size_t before = in->units.argc;
	godir_walk(root, &dirs);
	for (size_t i = 0; i < dirs.argc; i++)
		add_dir(in, c, dirs.argv[i], bc, tests, 1);
	if (in->units.argc == before) {
		add_problem(in, "package", pattern, "matched no packages");
		warning("%s: matched no packages", pattern);
	}
	argv_clear(&dirs);
	free(root);
	return 0;
}

static void add_package_files(struct inputs *in, const struct cwds *c,
                              const struct golist_package *p, size_t unit,
                              const struct argv_array *names)
{
	for (size_t i = 0; i < names->argc; i++) {
		char *abs = xasprintf("%s/%s", p->dir, names->argv[i]);
		add_file(in, c, abs, unit);
		free(abs);
	}
}

/*
 * The .go names under dir (recursively, as go's ./... walks: no ".x", "_x"
 * or testdata directories, no symlinked directories) that are not regular
 * files: a FIFO, a device, a symlink to one. go list opens every .go file
 * of a package to read its header and would block on a FIFO for good.
 */
static void find_non_regular(const char *dir, unsigned depth, struct argv_array *out)
{
	DIR *d = depth < 64 ? opendir(dir) : NULL;

	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		const char *n = e->d_name;
		struct stat st;
		if (n[0] == '.' || n[0] == '_')
			continue;
		if (e->d_type == DT_DIR) {
			if (strcmp(n, "testdata") != 0) {
				char *sub = xasprintf("%s/%s", dir, n);
				find_non_regular(sub, depth + 1, out);
				free(sub);
			}
			continue;
		}
		if (e->d_type == DT_REG || !ends_with(n, ".go") || strlen(n) <= 3)
			continue;
		if (fstatat(dirfd(d), n, &st, 0) == 0 &&
		    (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			continue; /* a symlink to a file or a directory (go follows neither into a
			             walk) */
		argv_pushf(out, "%s/%s", dir, n);
	}
	closedir(d);
}

/*
 * For local "..." patterns (./..., ../x/..., /abs/...): the non-regular .go
 * files under their roots, each reported once and hidden from go list by an
 * -overlay that deletes it. Returns the overlay file's path (malloc'd, in
 * TMPDIR; the caller unlinks it) or NULL when there is nothing to hide.
 */
static char *hide_non_regular(struct inputs *in, const struct cwds *c,
                              const struct argv_array *patterns)
{
	struct argv_array bad = ARGV_ARRAY_INIT;

	for (size_t i = 0; i < patterns->argc; i++) {
		const char *p = patterns->argv[i], *dots = strstr(p, "...");
		if (!dots || !(p[0] == '/' || starts_with(p, "./") || starts_with(p, "../")))
			continue;
		char *root = xstrndup(p, (size_t)(dots - p));
		char *slash = strrchr(root, '/');
		if (slash)
			*slash = '\0'; /* "./a/b..." walks ./a: the pattern may match b, bx, ... */
		/* go resolves a relative pattern from $PWD when it names the cwd (os.Getwd) */
		const char *cwd = c->logical ? c->logical : c->phys;
		char *abs = path_join_clean(cwd, *root ? root : "/");
		find_non_regular(abs, 0, &bad);
		free(abs);
		free(root);
	}
	if (!bad.argc) {
		argv_clear(&bad);
		return NULL;
	}
	qsort(bad.argv, bad.argc, sizeof(char *), cmp_str);
	json_t *replace = json_object();
	for (size_t i = 0; i < bad.argc; i++) {
		if (json_object_get(replace, bad.argv[i]))
			continue; /* under two patterns' roots */
		char *shown = short_path(c, bad.argv[i]);
		add_problem(in, "file", shown, "not a regular file");
		warning("%s: not a regular file", shown);
		free(shown);
		json_object_set_new(replace, bad.argv[i], json_string("")); /* "": deleted */
	}
	argv_clear(&bad);
	json_t *ov = json_pack("{s:o}", "Replace", replace);
	const char *tmp = getenv("TMPDIR");
	char *path = xasprintf("%s/golive-overlay-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0 || json_dumpfd(ov, fd, JSON_COMPACT) < 0) {
		warning("golive check: overlay for go list (%s): %s", path, strerror(errno));
		if (fd >= 0)
			unlink(path);
		free(path);
		path = NULL;
	}
	if (fd >= 0)
		close(fd);
	json_decref(ov);
	return path;
}

/*
 * The patterns resolved by walking the module (cmd/check_modwalk.h) when
 * that gives what go list would: 1 then, else 0 (go list's turn).
 * GOLIVE_CHECK_GOLIST=1 forces go list; GOLIVE_CHECK_DEBUG=1 prints which
 * ran ("golive check: resolver: walk|go list ...") on stderr.
 */
static int add_walked(struct inputs *in, const struct cwds *c, const struct check_opts *o,
                      const char *go, const struct argv_array *patterns)
{
	struct modwalk w;
	struct argv_array bad = ARGV_ARRAY_INIT;
	const char *force = getenv("GOLIVE_CHECK_GOLIST"), *debug = getenv("GOLIVE_CHECK_DEBUG");
	char *why = NULL;
	int ok = 0;

	memset(&w, 0, sizeof(w));
	if (force && *force && strcmp(force, "0") != 0) {
		why = xstrdup("GOLIVE_CHECK_GOLIST is set");
	} else if (c->logical) {
		why = xasprintf("$PWD is %s, not the physical cwd", c->logical);
	} else {
		/* a FIFO or the like under a root: go list's -overlay path reports it */
		for (size_t i = 0; i < patterns->argc; i++) {
			char *root = godir_tree_root(patterns->argv[i]);
			if (root && starts_with(root, "./")) {
				char *abs = path_join_clean(c->phys, root);
				find_non_regular(abs, 0, &bad);
				free(abs);
			} else if (root && !strcmp(root, ".")) {
				find_non_regular(c->phys, 0, &bad);
			}
			free(root);
		}
		if (bad.argc)
			why = xasprintf("%s is not a regular file", bad.argv[0]);
		else
			ok = modwalk_resolve(c->phys, patterns, o->tags, o->tests, go, &w, &why);
	}
	if (debug && *debug && strcmp(debug, "0") != 0) {
		if (ok)
			fprintf(stderr, "golive check: resolver: walk (%zu packages)\n", w.pkgs.n);
		else
			fprintf(stderr, "golive check: resolver: go list (%s)\n", why);
	}
	for (size_t i = 0; ok && i < w.pkgs.n; i++) {
		const struct modwalk_pkg *p = &w.pkgs.v[i];
		size_t unit = add_unit(in, p->import_path, &w.lang);
		for (size_t k = 0; k < p->files.argc; k++) {
			char *abs = xasprintf("%s/%s", p->dir, p->files.argv[k]);
			add_file(in, c, abs, unit);
			free(abs);
		}
	}
	modwalk_release(&w);
	argv_clear(&bad);
	free(why);
	return ok;
}

/* Resolves the package patterns with go list; -1 with *cause when go list failed as a whole. */
static int add_packages(struct inputs *in, const struct cwds *c, const struct check_opts *o,
                        const char *go, const struct argv_array *patterns, char **cause)
{
	golist_packages pkgs = ARRAY_INIT;
	struct argv_array flags = ARGV_ARRAY_INIT;

	if (add_walked(in, c, o, go, patterns))
		return 0;
	char *overlay = hide_non_regular(in, c, patterns);

	if (o->tags)
		argv_pushf(&flags, "-tags=%s", o->tags);
	if (overlay)
		argv_pushf(&flags, "-overlay=%s", overlay);
	int rc = golist_run(go, &flags, patterns, GOLIST_FIND, &pkgs, cause);
	if (overlay)
		unlink(overlay);
	free(overlay);
	argv_clear(&flags);
	if (rc < 0) {
		golist_packages_release(&pkgs);
		return -1;
	}
	char *toolchain = gotool_goroot_version(go);
	for (size_t i = 0; i < pkgs.n; i++) {
		const struct golist_package *p = &pkgs.v[i];
		if (p->error) {
			warning("%s: %s", p->import_path, p->error);
			add_problem(in, "package", p->import_path, p->error);
		}
		if (!p->dir)
			continue;
		/* the version go compiles it for, as in golive build */
		struct goversion lang = GOVERSION_UNKNOWN;
		const char *v = golist_go_version(p, toolchain);
		if (v && goversion_parse(v, &lang) == 0)
			goversion_lang(&lang, &lang);
		size_t unit = add_unit(in, p->import_path, &lang);
		add_package_files(in, c, p, unit, &p->go_files);
		add_package_files(in, c, p, unit, &p->cgo_files);
		if (o->tests) {
			add_package_files(in, c, p, unit, &p->test_go_files);
			add_package_files(in, c, p, unit, &p->xtest_go_files);
		}
	}
	free(toolchain);
	golist_packages_release(&pkgs);
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	const struct check_file *x = a, *y = b;
	return strcmp(x->abs, y->abs);
}

/* Sorts the files by path and drops the ones named twice. */
static void unique_files(struct inputs *in)
{
	if (in->files.n < 2)
		return;
	qsort(in->files.v, in->files.n, sizeof(*in->files.v), cmp_file);
	size_t w = 1;
	for (size_t r = 1; r < in->files.n; r++) {
		if (strcmp(in->files.v[r].abs, in->files.v[w - 1].abs) == 0) {
			free(in->files.v[r].abs);
			free(in->files.v[r].path);
		} else {
			in->files.v[w++] = in->files.v[r];
		}
	}
	in->files.n = w;
}

static void inputs_release(struct inputs *in)
{
	for (size_t i = 0; i < in->files.n; i++) {
		free(in->files.v[i].abs);
		free(in->files.v[i].path);
	}
	ARRAY_FREE(in->files);
	for (size_t i = 0; i < in->problems.n; i++) {
		free(in->problems.v[i].kind);
		free(in->problems.v[i].name);
		free(in->problems.v[i].message);
	}
	ARRAY_FREE(in->problems);
	argv_clear(&in->units);
	ARRAY_FREE(in->langs);
}

/* "DIR/..." where DIR is an existing directory named without "./", "../" or "/". */
static int is_relative_tree(const char *a)
{
	char *root = godir_tree_root(a);
	struct stat st;
	int r = root && root[0] != '/' && !starts_with(root, "./") && !starts_with(root, "../") &&
	        strcmp(root, ".") != 0 && strcmp(root, "..") != 0 && stat(root, &st) == 0 &&
	        S_ISDIR(st.st_mode);
	free(root);
	return r;
}

/*
 * The build context plain directories are read in: GOOS/GOARCH, --tags and
 * GOFLAGS' -tags, and go's release tags when go is found (else the newest).
 */
static void plain_buildctx(struct buildctx *bc, const char *tags)
{
	char *go = gotool_find();
	char *v = go ? gotool_goroot_version(go) : NULL;
	struct goversion gv = GOVERSION_UNKNOWN;
	if (v && goversion_parse(v, &gv) < 0)
		gv = (struct goversion)GOVERSION_UNKNOWN;
	buildctx_from_env(bc, tags, &gv);
	free(v);
	free(go);
}

/* go's reserved patterns: always package patterns, even where a directory has the name. */
static int is_meta_pattern(const char *a)
{
	return strcmp(a, "std") == 0 || strcmp(a, "cmd") == 0 || strcmp(a, "all") == 0;
}

/*
 * Sorts the arguments out: directories and .go files are added directly,
 * the rest is resolved by go list. Returns 0, EXIT_USAGE or EXIT_NO_GO
 * (after printing why).
 */
static int collect_inputs(struct inputs *in, const struct cwds *c, const struct check_opts *o)
{
	struct argv_array patterns = ARGV_ARRAY_INIT;
	char *go = NULL, *cause = NULL;
	int ret = 0;
	struct buildctx bc;

	plain_buildctx(&bc, o->tags);
	for (size_t i = 0; i < o->args.argc; i++) {
		const char *a = o->args.argv[i];
		struct stat st;
		if (!strstr(a, "...") && !is_meta_pattern(a) && stat(a, &st) == 0 &&
		    S_ISDIR(st.st_mode)) {
			add_dir(in, c, a, &bc, o->tests, 0);
		} else if (strstr(a, "...") && add_tree(in, c, a, &bc, o->tests) == 0) {
			continue;
		} else if (ends_with(a, ".go") && stat(a, &st) == 0 && S_ISREG(st.st_mode)) {
			char *abs = path_join_clean(c->phys, a);
			char *dir = xstrndup(abs, (size_t)(strrchr(abs, '/') - abs));
			struct goversion lang = dir_goversion(*dir ? dir : "/");
			add_file(in, c, abs, add_unit(in, *dir ? dir : "/", &lang));
			free(dir);
			free(abs);
		} else if (ends_with(a, ".go") && stat(a, &st) == 0 && !S_ISDIR(st.st_mode)) {
			/* Not to go list either: go would hang on a FIFO. */
			add_problem(in, "file", a, "not a regular file");
			warning("%s: not a regular file", a);
		} else if (is_relative_tree(a)) {
			argv_pushf(&patterns, "./%s",
			           a); /* a directory, as DIR is: not an import path */
		} else {
			argv_push(&patterns, a);
		}
	}
	if (!o->args.argc && add_tree(in, c, "./...", &bc, o->tests) < 0)
		argv_push(&patterns, "./...");
	if (patterns.argc) {
		go = gotool_find();
		if (!go) {
			error(GOTOOL_MISSING);
			ret = EXIT_NO_GO;
			goto out;
		}
		if (cmd_require_go(go, NULL, 0, NULL) != 0) {
			ret = EXIT_GO_VERSION;
			goto out;
		}
		if (add_packages(in, c, o, go, &patterns, &cause) < 0) {
			error("golive check: go list: %s", cause);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	unique_files(in);
	if (!in->files.n && in->problems.n) {
		error("golive check: nothing to analyse: no package could be loaded");
		ret = EXIT_USAGE;
	}
out:
	buildctx_release(&bc);
	free(cause);
	free(go);
	argv_clear(&patterns);
	return ret;
}

/* ---- analysis on a pool of threads --------------------------------------- */

struct pool {
	const struct inputs *in;
	struct analysis_pkg **pkgs; /* per unit: its files (anapkg.h), freed after its last */
	atomic_size_t *left;        /* per unit: its files not analysed yet */
	atomic_size_t next;
};

struct worker {
	pthread_t thread;
	struct pool *pool;
	struct analysis_ctx *ctx;
	diag_array diags;
	ARRAY(struct problem) problems;
	size_t analysed, generated;
	ARRAY(unsigned char) unit_seen; /* per unit: 1 when a file of it was analysed */
};

/* One file of unit u is done: the unit's package goes with its last file (sources held). */
static void unit_file_done(struct worker *w, size_t u)
{
	analysis_ctx_set_package(w->ctx, NULL);
	if (atomic_fetch_sub(&w->pool->left[u], 1) == 1) {
		analysis_pkg_free(w->pool->pkgs[u]);
		w->pool->pkgs[u] = NULL;
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	const struct inputs *in = w->pool->in;

	for (;;) {
		size_t i = atomic_fetch_add(&w->pool->next, 1);
		if (i >= in->files.n)
			break;
		const struct check_file *f = &in->files.v[i];
		char *cause = NULL;
		analysis_ctx_set_goversion(w->ctx, &in->langs.v[f->unit]);
		analysis_ctx_set_package(w->ctx, w->pool->pkgs[f->unit]);
		int rc = analysis_run_file(w->ctx, f->path, &w->diags, &cause);
		unit_file_done(w, f->unit);
		if (rc < 0) {
			/* The cause may name the file already: keep only what went wrong. */
			const char *why = cause ? cause : "cannot read";
			size_t n = strlen(f->path);
			if (strncmp(why, f->path, n) == 0 && why[n] == ':' && why[n + 1] == ' ')
				why += n + 2;
			struct problem p = {xstrdup("file"), xstrdup(f->path), xstrdup(why)};
			ARRAY_PUSH(w->problems, p);
			free(cause);
			continue;
		}
		if (rc == 1) {
			w->generated++;
			continue;
		}
		w->analysed++;
		w->unit_seen.v[f->unit] = 1;
	}
	return NULL;
}

struct results {
	diag_array diags;
	size_t analysed, generated, packages;
};

/*
 * Runs the analysis over every input file on nworkers threads, whose
 * contexts are ctxs[0..nworkers). File problems are appended to in.
 */
static void analyse(struct inputs *in, struct analysis_ctx **ctxs, size_t nworkers,
                    struct results *res)
{
	struct pool pool;
	struct worker *ws = xcalloc(nworkers, sizeof(*ws));
	pthread_attr_t attr;
	unsigned char *seen = xcalloc(in->units.argc + 1, 1);

	pool.in = in;
	/* each unit's files, for analyzers that follow a call into another file */
	pool.pkgs = xcalloc(in->units.argc + 1, sizeof(*pool.pkgs));
	pool.left = xcalloc(in->units.argc + 1, sizeof(*pool.left));
	for (size_t i = 0; i < in->files.n; i++) {
		size_t u = in->files.v[i].unit;
		if (!pool.pkgs[u])
			pool.pkgs[u] = analysis_pkg_new();
		analysis_pkg_add(pool.pkgs[u], in->files.v[i].path, NULL, 0);
		atomic_fetch_add(&pool.left[u], 1);
	}
	atomic_init(&pool.next, 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	for (size_t k = 0; k < nworkers; k++) {
		ws[k].pool = &pool;
		ws[k].ctx = ctxs[k];
		ARRAY_GROW(ws[k].unit_seen, in->units.argc + 1);
		memset(ws[k].unit_seen.v, 0, in->units.argc + 1);
		int err = nworkers > 1 ? pthread_create(&ws[k].thread, &attr, work, &ws[k]) : -1;
		if (err) {
			/* One worker (or no thread to be had): work on this thread. */
			work(&ws[k]);
			ws[k].thread = pthread_self();
		}
	}
	pthread_attr_destroy(&attr);
	for (size_t k = 0; k < nworkers; k++) {
		struct worker *w = &ws[k];
		if (!pthread_equal(w->thread, pthread_self()))
			pthread_join(w->thread, NULL);
		ARRAY_GROW(res->diags, res->diags.n + w->diags.n);
		for (size_t i = 0; i < w->diags.n; i++)
			res->diags.v[res->diags.n++] = w->diags.v[i];
		ARRAY_FREE(w->diags);
		for (size_t i = 0; i < w->problems.n; i++) {
			warning("%s: %s", w->problems.v[i].name, w->problems.v[i].message);
			ARRAY_PUSH(in->problems, w->problems.v[i]);
		}
		ARRAY_FREE(w->problems);
		res->analysed += w->analysed;
		res->generated += w->generated;
		for (size_t u = 0; u < in->units.argc; u++)
			seen[u] |= w->unit_seen.v[u];
		ARRAY_FREE(w->unit_seen);
	}
	for (size_t u = 0; u < in->units.argc; u++) {
		res->packages += seen[u];
		analysis_pkg_free(pool.pkgs[u]); /* NULL: freed by the worker of its last file */
	}
	free(pool.pkgs);
	free(pool.left);
	free(seen);
	free(ws);
	diag_sort_unique(&res->diags);
}

/* ---- output -------------------------------------------------------------- */

/* UTF-16 code units in the first n bytes of s (invalid bytes count one each). */
static unsigned utf16_units(const unsigned char *s, size_t n)
{
	unsigned u = 0;
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		if (i + len > n)
			len = 1;
		u += len == 4 ? 2 : 1;
		i += len;
	}
	return u;
}

/* Byte column col of 1-based line of src as UTF-16 code units (col itself when out of range). */
static unsigned utf16_col(const struct strbuf *src, unsigned line, unsigned col)
{
	const char *p = src->buf;
	if (line < 1 || col < 2)
		return col;
	for (unsigned l = 1; l < line && p; l++) {
		p = memchr(p, '\n', src->len - (size_t)(p - src->buf));
		if (p)
			p++;
	}
	if (!p)
		return col;
	size_t rest = src->len - (size_t)(p - src->buf);
	size_t n = col - 1 < rest ? col - 1 : rest;
	return utf16_units((const unsigned char *)p, n) + 1;
}

/* SARIF columns are UTF-16 code units (as GitHub reads them); ours are bytes. */
static void columns_to_utf16(diag_array *a)
{
	struct strbuf src = STRBUF_INIT;
	const char *loaded = NULL;
	int ok = 0;

	for (size_t i = 0; i < a->n; i++) {
		struct diag *d = &a->v[i];
		if (!loaded || strcmp(loaded, d->file) != 0) {
			strbuf_reset(&src);
			ok = strbuf_read_file(&src, d->file, MAX_SOURCE_BYTES) == 0;
			loaded = d->file;
		}
		if (!ok)
			continue;
		d->col = utf16_col(&src, d->line, d->col);
		if (d->end_line)
			d->end_col = utf16_col(&src, d->end_line, d->end_col);
		for (size_t k = 0; d->fix && k < d->fix->nedits; k++) {
			struct diag_edit *e = &d->fix->edits[k];
			e->col = utf16_col(&src, e->line, e->col);
			e->end_col = utf16_col(&src, e->end_line, e->end_col);
		}
	}
	strbuf_release(&src);
}

/* ---- fixes and baselines ------------------------------------------------- */

/*
 * --fix and --diff: per file, the fixes of its findings (safe ones, unsafe
 * ones too with --fix-unsafe) applied to its text; --diff appends the
 * unified diff to diff, --fix writes the file and drops the findings it
 * fixed from res. Returns the number of fixes taken; *files the files changed.
 */
static size_t apply_fixes(const struct check_opts *o, diag_array *diags, struct strbuf *diff,
                          size_t *files)
{
	struct strbuf src = STRBUF_INIT, out = STRBUF_INIT;
	ARRAY(struct diag_fix *) fixes = ARRAY_INIT;
	ARRAY(size_t) which = ARRAY_INIT;
	unsigned char *fixed = xcalloc(diags->n + 1, 1), *taken = NULL;
	size_t total = 0, w = 0;

	*files = 0;
	for (size_t i = 0; i < diags->n;) {
		size_t j = i;
		const char *file = diags->v[i].file;
		struct fix_result fr;

		fixes.n = which.n = 0;
		for (; j < diags->n && !strcmp(diags->v[j].file, file); j++) {
			struct diag_fix *f = diags->v[j].fix;
			if (f && (f->safe || o->fix_unsafe)) {
				ARRAY_PUSH(fixes, f);
				ARRAY_PUSH(which, j);
			}
		}
		if (fixes.n && strbuf_read_file(&src, file, MAX_SOURCE_BYTES) == 0) {
			strbuf_reset(&out);
			taken = xrealloc(taken, fixes.n);
			fix_apply(src.buf, src.len, fixes.v, fixes.n, &out, &fr, taken);
			if (fr.applied && o->diff) {
				fix_unified_diff(file, src.buf, src.len, out.buf, out.len, diff);
			} else if (fr.applied && file_replace(file, out.buf, out.len) < 0) {
				warning("%s: cannot write the fixes: %s", file, strerror(errno));
				fr.applied = 0;
			}
			if (fr.applied) {
				total += fr.applied;
				(*files)++;
				for (size_t k = 0; k < fixes.n; k++)
					fixed[which.v[k]] = taken[k];
			}
		}
		strbuf_reset(&src);
		i = j;
	}
	if (o->fix) { /* the fixed findings are gone */
		for (size_t i = 0; i < diags->n; i++)
			if (fixed[i])
				diag_release(&diags->v[i]);
			else
				diags->v[w++] = diags->v[i];
		diags->n = w;
	}
	free(fixed);
	free(taken);
	ARRAY_FREE(fixes);
	ARRAY_FREE(which);
	strbuf_release(&src);
	strbuf_release(&out);
	return total;
}

typedef ARRAY(struct diag_rule) rule_array;

/* The rules a SARIF log describes: enabled built-ins, golive's own, user rules. */
static void sarif_rules(const struct analysis_settings *s, rule_array *out)
{
	for (size_t i = 0; builtin_analyzers[i]; i++) {
		const struct analyzer *a = builtin_analyzers[i];
		struct diag_rule r = {a->name, a->doc, a->severity, NULL};
		if (analysis_effective(s, a, &r.severity))
			ARRAY_PUSH(*out, r);
	}
	struct diag_rule self = {"golive", "problems with golive's own directives in the source",
	                         SEV_WARNING, NULL};
	ARRAY_PUSH(*out, self);
	for (size_t i = 0; i < s->rules.n; i++) {
		const struct rule_spec *rs = &s->rules.v[i];
		struct diag_rule r = {rs->id, rs->message, rs->severity, NULL};
		if (!rs->off)
			ARRAY_PUSH(*out, r);
	}
}

static int add_json(const char *buf, size_t size, void *data)
{
	strbuf_add(data, buf, size);
	return 0;
}

/* Prints doc and frees it: dumped in memory, then written at once (not a stdio call a token). */
static void print_json(json_t *doc)
{
	struct strbuf sb = STRBUF_INIT;
	json_dump_callback(doc, add_json, &sb, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	strbuf_add(&sb, "\n", 1);
	fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
	json_decref(doc);
}

static void report(const struct check_opts *o, const struct analysis_settings *s,
                   const struct cwds *c, struct inputs *in, struct results *res,
                   const unsigned char *baselined)
{
	struct diag_report r;
	ARRAY(struct diag_problem) probs = ARRAY_INIT;
	rule_array rules = ARRAY_INIT;

	for (size_t i = 0; i < in->problems.n; i++) {
		struct diag_problem p = {in->problems.v[i].kind, in->problems.v[i].name,
		                         in->problems.v[i].message};
		ARRAY_PUSH(probs, p);
	}
	memset(&r, 0, sizeof(r));
	r.diags = &res->diags;
	r.files = res->analysed;
	r.generated = res->generated;
	r.packages = res->packages;
	r.problems = probs.v;
	r.nproblems = probs.n;
	r.srcroot = c->logical ? c->logical : c->phys;
	r.baselined = baselined;

	if (o->json) {
		struct strbuf sb = STRBUF_INIT;
		diag_report_json_write(&r, &sb);
		strbuf_addch(&sb, '\n');
		fwrite(sb.buf, 1, sb.len, stdout);
		strbuf_release(&sb);
	} else if (o->sarif) {
		sarif_rules(s, &rules);
		r.rules = rules.v;
		r.nrules = rules.n;
		columns_to_utf16(&res->diags);
		print_json(diag_report_sarif(&r));
	} else {
		for (size_t i = 0; i < res->diags.n; i++)
			diag_print_text(&res->diags.v[i], stdout, NULL);
	}
	fflush(stdout);
	if (!o->quiet) {
		size_t n = res->diags.n, m = res->analysed, k = res->packages;
		fprintf(stderr, "golive check: %zu finding%s in %zu file%s (%zu package%s)\n", n,
		        n == 1 ? "" : "s", m, m == 1 ? "" : "s", k, k == 1 ? "" : "s");
	}
	ARRAY_FREE(probs);
	ARRAY_FREE(rules);
}

/* Makes the first analysis context (compiling the rules) on a thread of its own. */
struct ctx_job {
	const struct analysis_settings *s;
	struct analysis_ctx *ctx;
	char *cause;
};

static void *make_ctx(void *arg)
{
	struct ctx_job *j = arg;
	j->ctx = analysis_ctx_new(j->s, &j->cause);
	return NULL;
}

static size_t default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : (size_t)n;
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o;
	struct golive_config cfg;
	struct cwds cwd = {NULL, NULL};
	struct inputs in;
	struct results res;
	struct analysis_ctx **ctxs = NULL;
	size_t nworkers = 0;
	char *cause = NULL;
	unsigned char *baselined = NULL;
	int ret = EXIT_USAGE;

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	memset(&res, 0, sizeof(res));
	config_init(&cfg);
	if (parse_opts(&o, argc, argv) < 0)
		goto out;
	if (!o.config && getenv("GOLIVE_CONFIG") && *getenv("GOLIVE_CONFIG"))
		o.config = getenv("GOLIVE_CONFIG");
	if (config_load(&cfg, o.config, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		goto out;
	}
	if (!o.has_fail_on)
		o.fail_on = cfg.analysis.fail_on;
	/* rules' paths: are relative to golive.yaml's directory (else the cwd) */
	if (cfg.path && strrchr(cfg.path, '/'))
		cfg.analysis.root = xstrndup(cfg.path, (size_t)(strrchr(cfg.path, '/') - cfg.path));
	else
		cfg.analysis.root = getcwd(NULL, 0);
	if (cfg.analysis.root && !cfg.analysis.root[0]) {
		free(cfg.analysis.root);
		cfg.analysis.root = xstrdup("/");
	}

	if (o.test_rules) {
		ret = check_test_rules(&cfg.analysis, o.args.argc ? o.args.argv[0] : NULL, o.quiet);
		goto out;
	}
	/*
	 * The rules compile once (every worker's context shares them), on a
	 * thread while go list runs; a rule that does not compile is the error
	 * reported, whatever the inputs.
	 */
	struct ctx_job cj = {&cfg.analysis, NULL, NULL};
	pthread_t ct;
	int threaded = pthread_create(&ct, NULL, make_ctx, &cj) == 0, rc_in;
	if (!threaded)
		make_ctx(&cj);
	rc_in = cwds_init(&cwd) < 0 ? EXIT_USAGE : collect_inputs(&in, &cwd, &o);
	if (threaded)
		pthread_join(ct, NULL);
	if (!cj.ctx) {
		fprintf(stderr, "%s\n", cj.cause);
		free(cj.cause);
		ret = EXIT_USAGE;
		goto out;
	}
	struct analysis_ctx *first = cj.ctx;
	ctxs = xcalloc(1, sizeof(*ctxs));
	ctxs[nworkers++] = first;
	ret = rc_in;
	if (ret)
		goto out;

	size_t want = o.jobs ? (size_t)o.jobs : default_jobs();
	if (want > in.files.n)
		want = in.files.n ? in.files.n : 1;
	ctxs = xrealloc(ctxs, want * sizeof(*ctxs));
	while (nworkers < want) { /* the rules compiled once, shared */
		ctxs[nworkers] = analysis_ctx_clone(first);
		nworkers++;
	}
	analyse(&in, ctxs, nworkers, &res);
	if (o.fix || o.diff) {
		size_t files;
		struct strbuf diff = STRBUF_INIT;
		size_t n = apply_fixes(&o, &res.diags, &diff, &files);
		if (o.diff) {
			fwrite(diff.buf, 1, diff.len, stdout);
			if (!o.quiet)
				fprintf(stderr, "golive check: %zu fix%s for %zu file%s\n", n,
				        n == 1 ? "" : "es", files, files == 1 ? "" : "s");
			strbuf_release(&diff);
			ret = n ? 1 : 0;
			goto out;
		}
		if (!o.quiet)
			fprintf(stderr, "golive check: fixed %zu finding%s in %zu file%s\n", n,
			        n == 1 ? "" : "s", files, files == 1 ? "" : "s");
	}
	if (o.baseline_write) {
		if (baseline_write(o.baseline_write, &res.diags, &cause) < 0) {
			fprintf(stderr, "golive check: %s\n", cause);
			ret = EXIT_USAGE;
			goto out;
		}
		if (!o.quiet)
			fprintf(stderr, "golive check: wrote %zu finding%s to %s\n", res.diags.n,
			        res.diags.n == 1 ? "" : "s", o.baseline_write);
		ret = 0;
		goto out;
	}
	if (o.baseline) {
		baselined = xcalloc(res.diags.n + 1, 1);
		if (baseline_match(o.baseline, &res.diags, baselined, &cause) < 0) {
			fprintf(stderr, "golive check: %s\n", cause);
			ret = EXIT_USAGE;
			goto out;
		}
		size_t w = 0, old = 0;
		for (size_t i = 0; i < res.diags.n; i++) {
			old += baselined[i];
			if (o.baseline_suppressed)
				continue;
			if (baselined[i])
				diag_release(&res.diags.v[i]);
			else
				res.diags.v[w++] = res.diags.v[i];
		}
		if (!o.baseline_suppressed) {
			res.diags.n = w;
			free(baselined);
			baselined = NULL;
		}
		if (!o.quiet)
			fprintf(stderr, "golive check: %zu finding%s in the baseline\n", old,
			        old == 1 ? "" : "s");
	}
	report(&o, &cfg.analysis, &cwd, &in, &res, baselined);
	ret = 0;
	for (size_t i = 0; i < res.diags.n && !ret; i++)
		if (!baselined || !baselined[i]) {
			diag_array one = {&res.diags.v[i], 1, 1};
			ret = diag_fails(&one, o.fail_on) ? 1 : 0;
		}
out:
	for (size_t k = 0; k < nworkers; k++)
		analysis_ctx_free(ctxs[k]);
	free(ctxs);
	free(baselined);
	diag_array_release(&res.diags);
	inputs_release(&in);
	cwds_release(&cwd);
	argv_clear(&o.args);
	config_release(&cfg);
	free(cause);
	return ret;
}
