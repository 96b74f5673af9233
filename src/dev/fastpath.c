/* fastpath.c - see fastpath.h. */
#define _GNU_SOURCE
#include "dev/fastpath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <tree_sitter/api.h>
#include <unistd.h>

extern char **environ;
const TSLanguage *tree_sitter_go(void);

#define MAX_SRC (16u << 20)

/* ---- the header of a Go file ---------------------------------------------- */

static void add_node(struct strbuf *sig, const char *src, TSNode n)
{
	strbuf_add(sig, src + ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n));
	strbuf_addch(sig, '\n');
}

/* Each import_spec under n: its name (if any) and path. */
static void add_imports(struct strbuf *sig, const char *src, TSNode n)
{
	for (uint32_t k = 0; k < ts_node_named_child_count(n); k++) {
		TSNode x = ts_node_named_child(n, k);
		const char *t = ts_node_type(x);
		if (strcmp(t, "import_spec") == 0) {
			strbuf_addstr(sig, "import ");
			for (uint32_t i = 0; i < ts_node_named_child_count(x); i++)
				if (strcmp(ts_node_type(ts_node_named_child(x, i)), "comment") != 0)
					add_node(sig, src, ts_node_named_child(x, i));
		} else if (strcmp(t, "comment") != 0) {
			add_imports(sig, src, x);
		}
	}
}

void fastpath_header(const char *src, size_t len, struct strbuf *sig)
{
	TSParser *parser = ts_parser_new();
	ts_parser_set_language(parser, tree_sitter_go());
	TSTree *tree = ts_parser_parse_string(parser, NULL, src, (uint32_t)len);
	TSNode root = ts_tree_root_node(tree);
	int seen_package = 0;
	for (uint32_t i = 0; i < ts_node_child_count(root); i++) {
		TSNode c = ts_node_child(root, i);
		const char *t = ts_node_type(c);
		if (strcmp(t, "package_clause") == 0) {
			seen_package = 1;
			add_node(sig, src, c);
		} else if (strcmp(t, "import_declaration") == 0) {
			add_imports(sig, src, c);
		} else if (!seen_package && strcmp(t, "comment") == 0) {
			size_t n;
			const char *s = src + ts_node_start_byte(c);
			n = ts_node_end_byte(c) - ts_node_start_byte(c);
			if (memmem(s, n, "go:build", 8) || memmem(s, n, "+build", 6))
				add_node(sig, src, c);
		} else if (strcmp(t, "ERROR") == 0 && !seen_package) {
			strbuf_addstr(sig, "error before the package clause\n");
		}
	}
	if (!seen_package)
		strbuf_addstr(sig, "no package clause\n");
	/* Directives that change what the compile reads or needs, wherever they are. */
	for (const char *p = src, *end = src + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *q = p;
		while (q < p + n && (*q == ' ' || *q == '\t'))
			q++;
		size_t m = n - (size_t)(q - p);
		if ((m >= 10 && memcmp(q, "//go:embed", 10) == 0) ||
		    (m >= 9 && memcmp(q, "//go:cgo_", 9) == 0) ||
		    (m >= 13 && memcmp(q, "//go:linkname", 13) == 0)) {
			strbuf_add(sig, q, m);
			strbuf_addch(sig, '\n');
		}
		p += n + 1;
	}
	ts_tree_delete(tree);
	ts_parser_delete(parser);
}

/* ---- may a change take the fast path? ------------------------------------- */

static int read_file(const char *path, struct strbuf *sb)
{
	strbuf_reset(sb);
	return strbuf_read_file(sb, path, MAX_SRC);
}

/*
 * Compares the file set and the headers of pkg's current sources with the
 * recorded ones (only changed files are parsed). 0, or -1 with *reason.
 */
static int pkg_check(const struct devplan *p, const struct devplan_pkg *k, char **reason)
{
	struct strbuf cur = STRBUF_INIT, old = STRBUF_INIT, s1 = STRBUF_INIT, s2 = STRBUF_INIT;
	int rc = 0;
	if (k->cgo || k->asm) {
		*reason = xasprintf("%s uses %s", k->importpath, k->cgo ? "cgo" : "assembly");
		return -1;
	}
	for (size_t i = 0; i < k->files.argc && rc == 0; i++) {
		char *snap = devplan_snapshot_path(p, k, i);
		if (read_file(k->files.argv[i], &cur) < 0) {
			*reason = xasprintf("%s was deleted", base_name(k->files.argv[i]));
			rc = -1;
		} else if (read_file(snap, &old) < 0) {
			*reason = xasprintf("no recorded copy of %s", base_name(k->files.argv[i]));
			rc = -1;
		} else if (cur.len != old.len || memcmp(cur.buf, old.buf, cur.len) != 0) {
			strbuf_reset(&s1);
			strbuf_reset(&s2);
			fastpath_header(cur.buf, cur.len, &s1);
			fastpath_header(old.buf, old.len, &s2);
			if (s1.len != s2.len || memcmp(s1.buf, s2.buf, s1.len) != 0) {
				*reason = xasprintf("%s: its package clause, imports, build "
				                    "constraints or directives changed",
				                    base_name(k->files.argv[i]));
				rc = -1;
			}
		}
		free(snap);
	}
	/* A file added to the package's directory, or a .syso go would pack in. */
	if (rc == 0 && k->files.argc) {
		char *dir = xstrdup(k->files.argv[0]);
		*strrchr(dir, '/') = '\0';
		DIR *dp = opendir(dir);
		struct dirent *e;
		while (dp && rc == 0 && (e = readdir(dp))) {
			if (ends_with(e->d_name, ".syso") || ends_with(e->d_name, ".s") ||
			    ends_with(e->d_name, ".c")) {
				*reason = xasprintf("%s has %s", k->importpath, e->d_name);
				rc = -1;
			}
		}
		if (dp)
			closedir(dp);
		free(dir);
	}
	strbuf_release(&cur);
	strbuf_release(&old);
	strbuf_release(&s1);
	strbuf_release(&s2);
	return rc;
}

int fastpath_check(const struct devplan *p, const char *root, const struct argv_array *changed,
                   struct argv_array *pkgs, char **reason)
{
	if (!p->have_link) {
		*reason = xstrdup("no recorded build");
		return 0;
	}
	for (size_t i = 0; i < changed->argc; i++) {
		const char *rel = changed->argv[i];
		if (!ends_with(rel, ".go") || ends_with(rel, "_test.go")) {
			*reason = xasprintf("%s changed", rel);
			return 0;
		}
		char *abs = path_join_clean(root, rel);
		const struct devplan_pkg *k = devplan_find_file(p, abs, NULL);
		int exists = access(abs, F_OK) == 0;
		free(abs);
		if (!k) {
			/* a new file of a recorded package, or a package go served from its cache
			 */
			char *adir = path_join_clean(root, rel);
			int known = 0;
			*strrchr(adir, '/') = '\0';
			for (size_t j = 0; j < p->npkgs && !known; j++)
				for (size_t m = 0; m < p->pkgs[j].files.argc && !known; m++) {
					const char *fp = p->pkgs[j].files.argv[m];
					const char *sl = strrchr(fp, '/');
					known = sl && (size_t)(sl - fp) == strlen(adir) &&
					        strncmp(fp, adir, strlen(adir)) == 0;
				}
			free(adir);
			*reason = xasprintf(!exists ? "%s was deleted"
			                    : known ? "%s is new to the build"
			                            : "%s: its package is not in the plan yet",
			                    rel);
			return 0;
		}
		int dup = 0;
		for (size_t j = 0; j < pkgs->argc; j++)
			dup |= strcmp(pkgs->argv[j], k->importpath) == 0;
		if (dup)
			continue;
		if (pkg_check(p, k, reason) < 0)
			return 0;
		argv_push(pkgs, k->importpath);
	}
	return 1;
}

/* The value of the last -ldflags / --ldflags in words[0..n), or NULL. */
static const char *last_ldflags(char *const *words, size_t n)
{
	const char *user = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *a = words[i];
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (strcmp(a, "-ldflags") == 0 && i + 1 < n)
			user = words[++i];
		else if (starts_with(a, "-ldflags="))
			user = a + 9;
	}
	return user;
}

/*
 * GOFLAGS split as the go command splits it (cmd/internal/quoted): fields
 * separated by spaces, a field may be wrapped whole in '...' or "...".
 */
static void split_goflags(const char *s, struct argv_array *out)
{
	while (s && *s) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (!*s)
			break;
		const char *end;
		if (*s == '\'' || *s == '"') {
			end = strchr(s + 1, *s);
			if (!end)
				return; /* go refuses it too: nothing taken from it */
			argv_pushf(out, "%.*s", (int)(end - s - 1), s + 1);
			s = end + 1;
			continue;
		}
		end = s + strcspn(s, " \t\n\r");
		argv_pushf(out, "%.*s", (int)(end - s), s);
		s = end;
	}
}

char *fastpath_dev_ldflags(const struct argv_array *flags, const char *goflags)
{
	struct argv_array gf = ARGV_ARRAY_INIT;
	split_goflags(goflags, &gf);
	/* the command line's -ldflags replaces GOFLAGS' one, as in go build */
	const char *user = last_ldflags(flags->argv, flags->argc);
	if (!user)
		user = last_ldflags(gf.argv, gf.argc);
	char *r = xasprintf("-ldflags=%s%s-s -w", user ? user : "", user && *user ? " " : "");
	argv_clear(&gf);
	return r;
}

/* ---- __fastbuild ---------------------------------------------------------- */

struct job {
	struct devplan_pkg *k;
	int need, done, failed, deps_left, running;
	int exported; /* its export data changed */
	pid_t pid;
	int64_t t0; /* when its compile started (monotonic ns) */
	char *out, *log;
	size_t *rdeps, nrdeps;
	struct strbuf *src; /* k's sources as read before the compile started (k->files.argc) */
};

struct fb {
	struct devplan plan;
	char *tmp;
	struct job *jobs;
	size_t njobs;
	json_t *result;
};

/*
 * The export data of an archive: its __.PKGDEF member from the "\n$$B\n"
 * line on (or all of it without one), or -1. The header lines before it
 * hold the build ID, which go rewrites in the archives it keeps
 * (ACTION/CONTENT) while a replayed compile keeps ACTION/ACTION: the same
 * export data must compare equal.
 */
static int pkgdef(const char *archive, struct strbuf *out)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = -1;
	strbuf_reset(out);
	if (strbuf_read_file(&sb, archive, 1u << 30) < 0 || sb.len < 8 ||
	    memcmp(sb.buf, "!<arch>\n", 8) != 0)
		goto out;
	for (size_t off = 8; off + 60 <= sb.len;) {
		const char *h = sb.buf + off;
		long size = strtol(h + 48, NULL, 10);
		if (size < 0 || off + 60 + (size_t)size > sb.len)
			break;
		if (strncmp(h, "__.PKGDEF", 9) == 0) {
			const char *m = memmem(h + 60, (size_t)size, "\n$$B\n", 5);
			const char *from = m ? m : h + 60;
			strbuf_add(out, from, (size_t)(h + 60 + size - from));
			rc = 0;
			break;
		}
		off += 60 + (size_t)size + ((size_t)size & 1);
	}
out:
	strbuf_release(&sb);
	return rc;
}

/* environ with the recorded NAME=value entries put over it (malloc'd array). */
static char **make_env(const struct argv_array *rec)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = xcalloc(n + rec->argc + 1, sizeof(char *));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		size_t klen = strcspn(environ[i], "=");
		int over = starts_with(environ[i], "TOOLEXEC_IMPORTPATH=");
		for (size_t j = 0; j < rec->argc && !over; j++)
			over = strncmp(rec->argv[j], environ[i], klen + 1) == 0;
		if (!over)
			env[m++] = environ[i];
	}
	for (size_t j = 0; j < rec->argc; j++)
		env[m++] = rec->argv[j];
	return env;
}

/* Runs argv in cwd with env, output to log (stdout and stderr). Returns the pid or -1. */
static pid_t run(char *const *argv, const char *cwd, char **env, const char *log)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int nul = open("/dev/null", O_RDONLY);
	if (fd < 0 || nul < 0 || chdir(cwd) < 0)
		_exit(127);
	dup2(nul, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	execve(argv[0], argv, env);
	_exit(127);
}

/* Replaces the value of flag name in av (either -name V or -name=V). */
static void set_flag(struct argv_array *av, const char *name, const char *value)
{
	size_t n = strlen(name);
	for (size_t i = 1; i < av->argc; i++) {
		char *a = av->argv[i];
		if (strcmp(a, name) == 0 && i + 1 < av->argc) {
			free(av->argv[i + 1]);
			av->argv[i + 1] = xstrdup(value);
			return;
		}
		if (strncmp(a, name, n) == 0 && a[n] == '=') {
			av->argv[i] = xasprintf("%s=%s", name, value);
			free(a);
			return;
		}
	}
}

/* One tool run of this build in result.json's "steps" (golive dev traces them). */
static void add_step(struct fb *f, const char *tool, const char *ip, int64_t t0, int st)
{
	json_t *steps = json_object_get(f->result, "steps");
	if (!steps) {
		steps = json_array();
		json_object_set_new(f->result, "steps", steps);
	}
	json_t *o = json_object();
	json_object_set_new(o, "tool", json_string(tool));
	json_object_set_new(o, "importpath", json_string(ip ? ip : ""));
	json_object_set_new(o, "start_ns", json_integer(t0));
	json_object_set_new(o, "end_ns", json_integer(now_mono_ns()));
	json_object_set_new(o, "exit", json_integer(WIFEXITED(st) ? WEXITSTATUS(st) : -1));
	json_array_append_new(steps, o);
}

static const char *archive_of(struct fb *f, const char *ip)
{
	for (size_t i = 0; i < f->njobs; i++)
		if (f->jobs[i].done && !f->jobs[i].failed && f->jobs[i].out &&
		    strcmp(f->jobs[i].k->importpath, ip) == 0)
			return f->jobs[i].out;
	return devplan_link_archive(&f->plan, ip);
}

static int fallback(struct fb *f, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int fallback(struct fb *f, const char *fmt, ...)
{
	va_list ap;
	struct strbuf sb = STRBUF_INIT;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	json_object_set_new(f->result, "fallback", json_string(sb.buf));
	strbuf_release(&sb);
	return FASTPATH_FALLBACK;
}

/* Starts job j's compile. 0, or FASTPATH_FALLBACK. */
static int start_job(struct fb *f, struct job *j)
{
	struct devplan_pkg *k = j->k;
	char *reason = NULL;
	if (pkg_check(&f->plan, k, &reason) < 0) {
		int rc = fallback(f, "%s", reason);
		free(reason);
		return rc;
	}
	struct strbuf ic = STRBUF_INIT;
	char *t = xstrdup(k->importcfg ? k->importcfg : "");
	for (char *l = strtok(t, "\n"); l; l = strtok(NULL, "\n")) {
		char *eq;
		if (starts_with(l, "packagefile ") && (eq = strchr(l, '='))) {
			*eq = '\0';
			const char *a = archive_of(f, l + 12);
			if (!a || access(a, R_OK) < 0) {
				int rc = fallback(f, "no archive of %s", l + 12);
				free(t);
				strbuf_release(&ic);
				return rc;
			}
			strbuf_addf(&ic, "%s=%s\n", l, a);
		} else {
			strbuf_addf(&ic, "%s\n", l);
		}
	}
	free(t);
	char *icpath = xasprintf("%s/%s.importcfg", f->tmp, k->hash);
	int fd = open(icpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, ic.buf, ic.len) < 0) {
		if (fd >= 0)
			close(fd);
		strbuf_release(&ic);
		int rc = fallback(f, "cannot write %s", icpath);
		free(icpath);
		return rc;
	}
	close(fd);
	strbuf_release(&ic);
	struct argv_array av = ARGV_ARRAY_INIT;
	for (size_t i = 0; i < k->argv.argc; i++)
		argv_push(&av, k->argv.argv[i]);
	j->out = xasprintf("%s/a/%s.f%d.a", f->plan.dir, k->hash, (int)getpid());
	j->log = xasprintf("%s/%s.log", f->tmp, k->hash);
	set_flag(&av, "-o", j->out);
	if (k->importcfg)
		set_flag(&av, "-importcfg", icpath);
	free(icpath);
	if (k->embedcfg) {
		char *ec = xasprintf("%s/%s.embedcfg", f->tmp, k->hash);
		fd = open(ec, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			(void)write_all(fd, k->embedcfg, strlen(k->embedcfg));
			close(fd);
		}
		set_flag(&av, "-embedcfg", ec);
		free(ec);
	}
	/*
	 * The sources as the compile will read them, read first: a save during
	 * the compile then makes the snapshot older than what was compiled (the
	 * next change recompiles), never newer (a new import unseen).
	 */
	j->src = xcalloc(k->files.argc ? k->files.argc : 1, sizeof(*j->src));
	for (size_t i = 0; i < k->files.argc; i++) {
		strbuf_init(&j->src[i], 0);
		if (read_file(k->files.argv[i], &j->src[i]) < 0)
			strbuf_reset(&j->src[i]); /* gone: the compile fails, no snapshot */
	}
	char **env = make_env(&k->env);
	j->t0 = now_mono_ns();
	j->pid = run(av.argv, k->cwd, env, j->log);
	free(env);
	argv_clear(&av);
	if (j->pid < 0)
		return fallback(f, "fork: %s", strerror(errno));
	j->running = 1;
	return 0;
}

/* Adds golive.fast=1 to the build settings of the modinfo line. */
static char *mark_line(const char *line)
{
	const char *at = strstr(line, "\\nbuild\\t");
	if (!starts_with(line, "modinfo ") || !at)
		return xstrdup(line);
	return xasprintf("%.*s\\nbuild\\t" FASTPATH_MARKER "%s", (int)(at - line), line, at);
}

static int do_link(struct fb *f, const char *output)
{
	struct devplan *p = &f->plan;
	struct strbuf ic = STRBUF_INIT;
	for (size_t i = 0; i < p->link.lines.argc; i++) {
		const char *l = p->link.lines.argv[i];
		char *eq;
		if (starts_with(l, "packagefile ") && (eq = strchr(l, '='))) {
			char *ip = xstrndup(l + 12, (size_t)(eq - l - 12));
			strbuf_addf(&ic, "packagefile %s=%s\n", ip, archive_of(f, ip));
			free(ip);
		} else {
			char *m = mark_line(l);
			strbuf_addf(&ic, "%s\n", m);
			free(m);
		}
	}
	char *icpath = xasprintf("%s/importcfg.link", f->tmp);
	int fd = open(icpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, ic.buf, ic.len) < 0) {
		if (fd >= 0)
			close(fd);
		strbuf_release(&ic);
		free(icpath);
		return fallback(f, "cannot write importcfg.link");
	}
	close(fd);
	strbuf_release(&ic);
	struct argv_array av = ARGV_ARRAY_INIT;
	for (size_t i = 0; i < p->link.argv.argc; i++)
		argv_push(&av, p->link.argv.argv[i]);
	set_flag(&av, "-o", output);
	set_flag(&av, "-importcfg", icpath);
	free(icpath);
	free(av.argv[av.argc - 1]);
	av.argv[av.argc - 1] = xstrdup(archive_of(f, p->link.main_path));
	char *log = xasprintf("%s/link.log", f->tmp);
	char **env = make_env(&p->link.env);
	int st = 0, rc = 0;
	int64_t t0 = now_mono_ns();
	pid_t pid = run(av.argv, p->link.cwd, env, log);
	free(env);
	argv_clear(&av);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pid > 0)
		add_step(f, "link", p->link.main_path, t0, st);
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		struct strbuf out = STRBUF_INIT;
		strbuf_read_file(&out, log, 4096);
		out.len = strcspn(out.buf, "\n");
		out.buf[out.len] = '\0';
		rc = fallback(f, "the link failed: %s", out.len ? out.buf : "no output");
		strbuf_release(&out);
		unlink(output);
	}
	free(log);
	return rc;
}

/* Saves the result, removes the temporary directory. */
static int finish(struct fb *f, int rc)
{
	json_object_set_new(f->result, "status", json_integer(rc));
	char *path = xasprintf("%s/result.json", f->plan.dir);
	json_dump_file(f->result, path, JSON_COMPACT);
	free(path);
	json_decref(f->result);
	if (f->tmp) {
		DIR *dp = opendir(f->tmp);
		struct dirent *e;
		while (dp && (e = readdir(dp)))
			if (e->d_name[0] != '.') {
				char *x = xasprintf("%s/%s", f->tmp, e->d_name);
				unlink(x);
				free(x);
			}
		if (dp)
			closedir(dp);
		rmdir(f->tmp);
	}
	for (size_t i = 0; i < f->njobs; i++) {
		struct job *j = &f->jobs[i];
		if (rc != 0 && j->out)
			unlink(j->out);
		free(j->out);
		free(j->log);
		free(j->rdeps);
		for (size_t s = 0; j->src && j->k && s < j->k->files.argc; s++)
			strbuf_release(&j->src[s]);
		free(j->src);
	}
	free(f->jobs);
	free(f->tmp);
	devplan_release(&f->plan);
	return rc;
}

/* Writes j's sources as read before its compile over its package's recorded ones. */
static void update_snapshot(struct fb *f, struct job *j)
{
	struct devplan_pkg *k = j->k;
	for (size_t i = 0; j->src && i < k->files.argc; i++) {
		char *snap = devplan_snapshot_path(&f->plan, k, i);
		char *tmp = xasprintf("%s.tmp", snap);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0 && write_all(fd, j->src[i].buf, j->src[i].len) == 0 && close(fd) == 0)
			rename(tmp, snap);
		else if (fd >= 0)
			close(fd);
		free(tmp);
		free(snap);
	}
}

int cmd_fastbuild(int argc, char **argv)
{
	struct fb f;
	char *cause = NULL;
	memset(&f, 0, sizeof(f));
	if (argc < 4) {
		error("usage: golive __fastbuild PLAN_DIR OUTPUT PKG...");
		return EXIT_FAILURE;
	}
	f.result = json_object();
	if (devplan_load(&f.plan, argv[1], &cause) < 0) {
		json_object_set_new(f.result, "fallback", json_string(cause));
		free(cause);
		return finish(&f, FASTPATH_FALLBACK);
	}
	if (!f.plan.have_link)
		return finish(&f, fallback(&f, "no recorded link"));
	f.tmp = xasprintf("%s/fast.%d", f.plan.dir, (int)getpid());
	mkdir_p(f.tmp, 0700);
	/* Every package that may need a compile: the changed ones and what imports them. */
	f.jobs = xcalloc(f.plan.npkgs, sizeof(*f.jobs));
	for (int i = 3; i < argc; i++) {
		struct devplan_pkg *k = devplan_find(&f.plan, argv[i]);
		if (!k)
			return finish(&f, fallback(&f, "no recorded compile of %s", argv[i]));
		size_t at = (size_t)(k - f.plan.pkgs);
		f.jobs[at].k = k;
		f.jobs[at].need = 1;
	}
	for (int grew = 1; grew;) {
		grew = 0;
		for (size_t i = 0; i < f.plan.npkgs; i++) {
			if (f.jobs[i].k)
				continue;
			struct devplan_pkg *k = &f.plan.pkgs[i];
			for (size_t d = 0; d < k->deps.argc && !f.jobs[i].k; d++) {
				struct devplan_pkg *dk = devplan_find(&f.plan, k->deps.argv[d]);
				if (dk && f.jobs[dk - f.plan.pkgs].k) {
					f.jobs[i].k = k;
					grew = 1;
				}
			}
		}
	}
	/* The edges among them. */
	f.njobs = f.plan.npkgs;
	for (size_t i = 0; i < f.njobs; i++) {
		if (!f.jobs[i].k)
			continue;
		for (size_t d = 0; d < f.jobs[i].k->deps.argc; d++) {
			struct devplan_pkg *dk = devplan_find(&f.plan, f.jobs[i].k->deps.argv[d]);
			struct job *dj = dk ? &f.jobs[dk - f.plan.pkgs] : NULL;
			if (!dj || !dj->k)
				continue;
			f.jobs[i].deps_left++;
			dj->rdeps = xrealloc(dj->rdeps, (dj->nrdeps + 1) * sizeof(size_t));
			dj->rdeps[dj->nrdeps++] = i;
		}
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	json_t *compiled = json_array(), *exported = json_array();
	json_object_set_new(f.result, "compiled", compiled);
	json_object_set_new(f.result, "export_changed", exported);
	int running = 0, rc = 0, failed = 0;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	for (;;) {
		/* Settle what is ready: skip it when nothing it imports changed, else start it. */
		for (int progress = 1; progress && !failed && rc == 0;) {
			progress = 0;
			for (size_t i = 0; i < f.njobs && rc == 0; i++) {
				struct job *j = &f.jobs[i];
				if (!j->k || j->done || j->running || j->deps_left)
					continue;
				if (!j->need) {
					j->done = 1;
					for (size_t r = 0; r < j->nrdeps; r++)
						f.jobs[j->rdeps[r]].deps_left--;
					progress = 1;
				} else if (running < ncpu) {
					rc = start_job(&f, j);
					running += rc == 0;
				}
			}
		}
		if (!running)
			break;
		int st;
		pid_t pid = wait(&st);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (size_t i = 0; i < f.njobs; i++) {
			struct job *j = &f.jobs[i];
			if (!j->running || j->pid != pid)
				continue;
			j->running = 0;
			j->done = 1;
			running--;
			add_step(&f, "compile", j->k->importpath, j->t0, st);
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				struct strbuf out = STRBUF_INIT;
				j->failed = failed = 1;
				strbuf_read_file(&out, j->log, 1u << 20);
				fprintf(stderr, "# %s\n%s", j->k->importpath, out.buf);
				strbuf_release(&out);
				continue;
			}
			json_array_append_new(compiled, json_string(j->k->importpath));
			const char *old = devplan_link_archive(&f.plan, j->k->importpath);
			j->exported = !old || pkgdef(old, &a) < 0 || pkgdef(j->out, &b) < 0 ||
			              a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0;
			if (j->exported)
				json_array_append_new(exported, json_string(j->k->importpath));
			for (size_t r = 0; r < j->nrdeps; r++) {
				f.jobs[j->rdeps[r]].deps_left--;
				if (j->exported)
					f.jobs[j->rdeps[r]].need = 1;
			}
		}
	}
	strbuf_release(&a);
	strbuf_release(&b);
	for (size_t i = 0; i < f.njobs; i++)
		if (f.jobs[i].running) {
			kill(f.jobs[i].pid, SIGKILL);
			waitpid(f.jobs[i].pid, NULL, 0);
		}
	if (rc != 0)
		return finish(&f, rc);
	if (failed) {
		fflush(stderr);
		return finish(&f, 1);
	}
	rc = do_link(&f, argv[2]);
	if (rc != 0)
		return finish(&f, rc);
	/* Commit: the new archives are the plan's now. */
	for (size_t i = 0; i < f.njobs; i++) {
		struct job *j = &f.jobs[i];
		if (!j->k || !j->out || j->failed)
			continue;
		const char *old = devplan_link_archive(&f.plan, j->k->importpath);
		char *adir = xasprintf("%s/a/", f.plan.dir);
		if (old && starts_with(old, adir))
			unlink(old);
		free(adir);
		devplan_link_set_archive(&f.plan, j->k->importpath, j->out);
		free(j->out);
		j->out = NULL;
		update_snapshot(&f, j);
	}
	if (devplan_save_link(&f.plan, &cause) < 0) {
		json_object_set_new(f.result, "fallback", json_string(cause));
		free(cause);
		unlink(argv[2]);
		return finish(&f, FASTPATH_FALLBACK);
	}
	return finish(&f, 0);
}
