/* fastwarm.c - see fastwarm.h. */
#define _GNU_SOURCE
#include "dev/fastwarm.h"
#include "core/proc.h"
#include "core/util.h"
#include "wrapper/devplan.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SCRIPT (256u << 20) /* go build -a -n's output */
#define MAX_SRC    (16u << 20)
#define MTIME_SLACK_NS                                                                             \
	(100 * 1000000LL) /* file times come from a coarse clock: stay clear of T0                 \
	                   */

/*
 * Splits a line of go's -n script into words: go quotes a word with Go
 * string syntax when it holds a space or a shell metacharacter
 * (joinUnambiguously). Returns -1 on a quote it does not understand.
 */
static int split_words(const char *s, struct argv_array *out)
{
	struct strbuf w = STRBUF_INIT;
	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		strbuf_reset(&w);
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s != '\\') {
					strbuf_addch(&w, *s);
					continue;
				}
				s++;
				switch (*s) {
				case '"':
				case '\\':
					strbuf_addch(&w, *s);
					break;
				case 'n':
					strbuf_addch(&w, '\n');
					break;
				case 't':
					strbuf_addch(&w, '\t');
					break;
				default:
					strbuf_release(&w);
					return -1;
				}
			}
			if (*s != '"') {
				strbuf_release(&w);
				return -1;
			}
			s++;
		} else {
			while (*s && *s != ' ')
				strbuf_addch(&w, *s++);
		}
		argv_push(out, w.buf ? w.buf : "");
	}
	strbuf_release(&w);
	return 0;
}

/* A heredoc of the script: `cat >PATH << 'EOF' # internal` ... `EOF`. */
struct heredoc {
	char *path, *text;
};

struct warm {
	struct devplan plan;
	char *root, *vendor;
	long long t0;
	ARRAY(struct heredoc) docs;
	int recorded, skipped;
};

static const char *heredoc(const struct warm *w, const char *path)
{
	for (size_t i = w->docs.n; i-- > 0;)
		if (strcmp(w->docs.v[i].path, path) == 0)
			return w->docs.v[i].text;
	return NULL;
}

static const char *flag_value(const struct argv_array *av, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 1; i < av->argc; i++) {
		if (strcmp(av->argv[i], name) == 0 && i + 1 < av->argc)
			return av->argv[i + 1];
		if (strncmp(av->argv[i], name, n) == 0 && av->argv[i][n] == '=')
			return av->argv[i] + n + 1;
	}
	return NULL;
}

static int has_flag(const struct argv_array *av, const char *name)
{
	return flag_value(av, name) != NULL;
}

static long long mtime_ns(const struct stat *st)
{
	return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/*
 * One compile of the script (words, run in cwd, for the action headed
 * `# importpath`): recorded when it qualifies (fastwarm.h).
 */
static void take_compile(struct warm *w, const char *importpath, const char *cwd,
                         struct argv_array *words)
{
	struct devplan_pkg k;
	struct strbuf *srcs = NULL;
	struct stat st;
	size_t first = 0;
	memset(&k, 0, sizeof(k));
	if (!importpath || devplan_find(&w->plan, importpath) ||
	    !devplan_link_archive(&w->plan, importpath))
		return;
	/* Not of the main module (std, a dependency): not counted. */
	const char *last = words->argv[words->argc - 1];
	char *abs = starts_with(last, "./") ? xasprintf("%s%s", cwd, last + 1) : xstrdup(last);
	int mine = path_within(abs, w->root);
	free(abs);
	if (!mine)
		return;
	/* Another package's file, go's own ($WORK: cgo), asm, embed: not ours to replay. */
	if (has_flag(words, "-asmhdr") || has_flag(words, "-symabis") ||
	    has_flag(words, "-embedcfg") || !has_flag(words, "-importcfg"))
		goto skip;
	const char *ic = heredoc(w, flag_value(words, "-importcfg"));
	if (!ic)
		goto skip;
	for (size_t i = 1; i < words->argc; i++)
		if (strcmp(words->argv[i], "-pack") == 0)
			first = i + 1;
	if (!first || first >= words->argc)
		goto skip;
	k.importpath = (char *)importpath;
	k.cwd = (char *)cwd;
	k.importcfg = (char *)ic;
	k.env = w->plan.link.env; /* go's environment for its tools */
	srcs = xcalloc(words->argc - first, sizeof(*srcs));
	/* go -n prints the working directory as "." (fmtCmd): the compile gets it whole. */
	for (size_t i = 0; i < words->argc; i++) {
		const char *a = words->argv[i];
		if (i >= first && (strcmp(a, ".") == 0 || starts_with(a, "./")))
			argv_pushf(&k.argv, "%s%s", cwd, a + 1);
		else
			argv_push(&k.argv, a);
	}
	for (size_t i = first; i < k.argv.argc; i++) {
		const char *f = k.argv.argv[i];
		if (f[0] != '/' || !ends_with(f, ".go") || !path_within(f, w->root) ||
		    path_within(f, w->vendor))
			goto skip;
		/* Read, then check the time of what was read: older than T0 is what go built. */
		int fd = open(f, O_RDONLY | O_CLOEXEC);
		struct strbuf *sb = &srcs[k.files.argc];
		strbuf_init(sb, 0);
		int ok = fd >= 0 && strbuf_read_fd(sb, fd, MAX_SRC, NULL) >= 0 &&
		         fstat(fd, &st) == 0 && mtime_ns(&st) < w->t0 - MTIME_SLACK_NS;
		if (fd >= 0)
			close(fd);
		argv_push(&k.files, f);
		if (!ok)
			goto skip;
		/* ... and the directory: no file added, removed or renamed since. */
		char *dir = xstrdup(f);
		*strrchr(dir, '/') = '\0';
		ok = stat(dir, &st) == 0 && mtime_ns(&st) < w->t0 - MTIME_SLACK_NS;
		free(dir);
		if (!ok)
			goto skip;
	}
	if (devplan_save_pkg(w->plan.dir, &k, srcs) == 0) {
		w->recorded++;
		goto out;
	}
skip:
	w->skipped++;
out:
	for (size_t i = 0; srcs && i < k.files.argc; i++)
		strbuf_release(&srcs[i]);
	free(srcs);
	argv_clear(&k.argv);
	argv_clear(&k.files);
}

/* Walks go build -a -n's script (its stderr). */
static void walk_script(struct warm *w, char *script, const char *cwd0)
{
	char *cwd = xstrdup(cwd0), *importpath = NULL;
	int hash_lines = 0;
	for (char *line = script, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strcmp(line, "#") == 0) {
			hash_lines++;
			continue;
		}
		if (starts_with(line, "# ") && hash_lines % 2 == 1) {
			free(importpath);
			importpath = xstrdup(line + 2);
			continue;
		}
		if (starts_with(line, "cd ")) {
			struct argv_array a = ARGV_ARRAY_INIT;
			if (split_words(line, &a) == 0 && a.argc == 2) {
				free(cwd);
				cwd = xstrdup(a.argv[1]);
			}
			argv_clear(&a);
			continue;
		}
		if (starts_with(line, "cat >") && ends_with(line, " << 'EOF' # internal")) {
			struct heredoc d;
			struct strbuf t = STRBUF_INIT;
			d.path = xstrndup(line + 5, strcspn(line + 5, " "));
			while ((line = next) && *line) {
				next = strchr(line, '\n');
				if (next)
					*next++ = '\0';
				if (strcmp(line, "EOF") == 0)
					break;
				strbuf_addstr(&t, line);
				strbuf_addch(&t, '\n');
			}
			d.text = strbuf_detach(&t, NULL);
			ARRAY_PUSH(w->docs, d);
			continue;
		}
		struct argv_array words = ARGV_ARRAY_INIT;
		if (split_words(line, &words) == 0 && words.argc > 1 &&
		    (ends_with(words.argv[0], "/compile") ||
		     ends_with(words.argv[0], "/compile.exe")))
			take_compile(w, importpath, cwd, &words);
		argv_clear(&words);
	}
	free(cwd);
	free(importpath);
}

int cmd_fastwarm(int argc, char **argv)
{
	struct warm w;
	char *cause = NULL;
	int rc = 1;
	memset(&w, 0, sizeof(w));
	if (argc != 3) {
		error("usage: golive __fastwarm PLAN_DIR T0");
		return 2;
	}
	w.t0 = strtoll(argv[2], NULL, 10);
	char *bp = xasprintf("%s/gobuild.json", argv[1]);
	char *rootf = xasprintf("%s/root", argv[1]);
	json_t *b = json_load_file(bp, 0, NULL);
	struct strbuf rs = STRBUF_INIT, script = STRBUF_INIT;
	struct argv_array go = ARGV_ARRAY_INIT;
	const char *bcwd = json_string_value(json_object_get(b, "cwd"));
	json_t *bargv = json_object_get(b, "argv"), *v;
	size_t i;
	if (!bcwd || json_array_size(bargv) < 2 || strbuf_read_file(&rs, rootf, 4096) < 0 ||
	    devplan_load(&w.plan, argv[1], &cause) < 0 || !w.plan.have_link)
		goto out;
	rs.buf[strcspn(rs.buf, "\n")] = '\0';
	w.root = xstrdup(rs.buf);
	w.vendor = xasprintf("%s/vendor", w.root);
	/* go build -a -n, then the build's own flags and packages (not -toolexec, -json). */
	json_array_foreach(bargv, i, v)
	{
		const char *a = json_string_value(v);
		if (!a || starts_with(a, "-toolexec") || strcmp(a, "-json") == 0)
			continue;
		argv_push(&go, a);
		if (i == 1) {
			argv_push(&go, "-a");
			argv_push(&go, "-n");
		}
	}
	unsetenv("TOOLEXEC_IMPORTPATH");
	unsetenv(DEVPLAN_ENV);
	int p[2];
	if (chdir(bcwd) < 0 || pipe2(p, O_CLOEXEC) < 0)
		goto out;
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct proc_opts o = PROC_OPTS_INIT;
	o.stdin_fd = o.stdout_fd = nul;
	o.stderr_fd = p[1];
	pid_t pid = proc_spawn(go.argv, &o, &cause);
	close(p[1]);
	if (nul >= 0)
		close(nul);
	if (pid < 0) {
		close(p[0]);
		goto out;
	}
	(void)strbuf_read_fd(&script, p[0], MAX_SCRIPT, NULL);
	close(p[0]);
	int st = 0;
	if (proc_wait(pid, &st, NULL) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		goto out;
	walk_script(&w, script.buf ? script.buf : (char *)"", bcwd);
	json_t *r = json_object();
	json_object_set_new(r, "recorded", json_integer(w.recorded));
	json_object_set_new(r, "skipped", json_integer(w.skipped));
	char *wp = xasprintf("%s/warm.json", argv[1]);
	json_dump_file(r, wp, JSON_COMPACT);
	free(wp);
	json_decref(r);
	rc = 0;
out:
	free(cause);
	for (size_t k = 0; k < w.docs.n; k++) {
		free(w.docs.v[k].path);
		free(w.docs.v[k].text);
	}
	ARRAY_FREE(w.docs);
	devplan_release(&w.plan);
	free(w.root);
	free(w.vendor);
	json_decref(b);
	free(bp);
	free(rootf);
	strbuf_release(&rs);
	strbuf_release(&script);
	argv_clear(&go);
	return rc;
}
