/* devplan.c - see devplan.h. */
#define _GNU_SOURCE
#include "wrapper/devplan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

extern char **environ;

#define DEVPLAN_MAX_FILE (64u << 20)

void devplan_hash(const char *s, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)XXH3_64bits(s, strlen(s)));
}

/* The value of flag name in ti's arguments (before the files), or NULL. */
static const char *flag_value(const struct tool_invocation *ti, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < ti->nargs && i < ti->first_file; i++) {
		const char *a = ti->args[i];
		if (strcmp(a, name) == 0 && i + 1 < ti->nargs)
			return ti->args[i + 1];
		if (strncmp(a, name, n) == 0 && a[n] == '=')
			return a + n + 1;
	}
	return NULL;
}

static int has_flag(const struct tool_invocation *ti, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < ti->nargs && i < ti->first_file; i++)
		if (strncmp(ti->args[i], name, n) == 0 &&
		    (!ti->args[i][n] || ti->args[i][n] == '='))
			return 1;
	return 0;
}

static json_t *json_strings(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *go_env(void)
{
	json_t *a = json_array();
	for (char **e = environ; *e; e++)
		if (starts_with(*e, "GO") && !starts_with(*e, "GOLIVE") &&
		    !starts_with(*e, "GOFLAGS="))
			json_array_append_new(a, json_string(*e));
	return a;
}

/* Writes text to path through a temporary file and a rename. 0 or -1. */
static int write_file_atomic(const char *path, const char *text, size_t len)
{
	char *tmp = xasprintf("%s.%d.tmp", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = -1;
	if (fd >= 0) {
		rc = write_all(fd, text, len);
		if (close(fd) < 0)
			rc = -1;
		if (rc == 0 && rename(tmp, path) < 0)
			rc = -1;
	}
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int save_json(const char *path, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	int rc = s ? write_file_atomic(path, s, strlen(s)) : -1;
	free(s);
	return rc;
}

static int copy_file(const char *from, const char *to)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = -1;
	if (strbuf_read_file(&sb, from, DEVPLAN_MAX_FILE) >= 0)
		rc = write_file_atomic(to, sb.buf, sb.len);
	strbuf_release(&sb);
	return rc;
}

static char *read_text(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, path, DEVPLAN_MAX_FILE) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

/* Whether path is an empty regular file (an empty buffer was read, or nothing was). */
static int file_is_empty(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

/* The main module's root, as golive dev wrote it into the plan (malloc'd), or NULL. */
static char *plan_root(const char *plan)
{
	char *rootf = xasprintf("%s/root", plan);
	char *root = read_text(rootf);
	free(rootf);
	if (root)
		root[strcspn(root, "\n")] = '\0';
	return root;
}

void devplan_sources_read(const char *plan_dir, const struct tool_invocation *ti,
                          struct devplan_sources *out)
{
	char cwd[PATH_MAX];
	memset(out, 0, sizeof(*out));
	if (!plan_dir || !*plan_dir || ti->probe || ti->kind != TOOL_COMPILE || !ti->nfiles ||
	    !getcwd(cwd, sizeof(cwd)))
		return;
	char *root = plan_root(plan_dir);
	if (!root)
		return;
	out->bufs = xcalloc(ti->nfiles, sizeof(*out->bufs));
	out->n = ti->nfiles;
	for (size_t i = 0; i < ti->nfiles; i++) {
		char *abs = path_join_clean(cwd, ti->args[ti->first_file + i]);
		strbuf_init(&out->bufs[i], 0);
		/* the module's files only: std's and the module cache's are never replayed */
		if (path_within(abs, root) &&
		    strbuf_read_file(&out->bufs[i], abs, DEVPLAN_MAX_FILE) >= 0)
			out->read++;
		free(abs);
	}
	free(root);
}

void devplan_sources_release(struct devplan_sources *s)
{
	for (size_t i = 0; i < s->n; i++)
		strbuf_release(&s->bufs[i]);
	free(s->bufs);
	memset(s, 0, sizeof(*s));
}

static void record_compile(const char *plan, const struct tool_invocation *ti, char **run_argv,
                           const struct devplan_sources *src)
{
	const char *ip = getenv("TOOLEXEC_IMPORTPATH");
	char cwd[PATH_MAX], h[17];
	if (!ip || !*ip || strchr(ip, ' ') || !ti->nfiles || !src || src->n != ti->nfiles ||
	    !getcwd(cwd, sizeof(cwd)))
		return;
	char *root = plan_root(plan);
	if (!root)
		return;
	char *vendor = xasprintf("%s/vendor", root);
	struct argv_array files = ARGV_ARRAY_INIT;
	int mine = 0, foreign = 0;
	for (size_t i = ti->first_file; i < ti->first_file + ti->nfiles; i++) {
		char *abs = path_join_clean(cwd, ti->args[i]);
		if (path_within(abs, root) && !path_within(abs, vendor))
			mine = 1;
		else
			foreign = 1; /* cgo's generated files live in $WORK */
		argv_push(&files, abs);
		free(abs);
	}
	free(vendor);
	if (!mine)
		goto out;
	devplan_hash(ip, h);
	char *dir = xasprintf("%s/pkgs/%s", plan, h);
	mkdir_p(dir, 0700);
	/*
	 * The sources as read before the compile started: a save during the
	 * compile leaves the snapshot older than what was compiled (the next
	 * change recompiles), never newer (a new import the record lacks).
	 * A file outside the module (cgo's, in $WORK) is copied now: its
	 * package is marked cgo and never replayed.
	 */
	for (size_t i = 0; i < files.argc; i++) {
		char *to = xasprintf("%s/%zu", dir, i);
		if (!path_within(files.argv[i], root))
			copy_file(files.argv[i], to);
		else if (src->bufs[i].len || file_is_empty(files.argv[i]))
			write_file_atomic(to, src->bufs[i].buf, src->bufs[i].len);
		else
			unlink(to); /* not read before the compile: no snapshot, no replay */
		free(to);
	}
	json_t *o = json_object();
	json_t *argv = json_array();
	json_array_append_new(argv, json_string(run_argv[0]));
	for (size_t i = 0; i < ti->nargs; i++)
		json_array_append_new(argv, json_string(ti->args[i]));
	json_object_set_new(o, "importpath", json_string(ip));
	json_object_set_new(o, "argv", argv);
	json_object_set_new(o, "cwd", json_string(cwd));
	json_object_set_new(o, "env", go_env());
	json_object_set_new(o, "files", json_strings(files.argv, files.argc));
	json_object_set_new(o, "cgo", json_boolean(foreign || has_flag(ti, "-cgo")));
	json_object_set_new(o, "asm",
	                    json_boolean(has_flag(ti, "-symabis") || has_flag(ti, "-asmhdr")));
	const char *ic = flag_value(ti, "-importcfg"), *ec = flag_value(ti, "-embedcfg");
	char *t = ic ? read_text(ic) : NULL;
	json_object_set_new(o, "importcfg", t ? json_string(t) : json_null());
	free(t);
	t = ec ? read_text(ec) : NULL;
	json_object_set_new(o, "embedcfg", t ? json_string(t) : json_null());
	free(t);
	char *path = xasprintf("%s.json", dir);
	if (!ic || json_object_get(o, "importcfg") != json_null())
		save_json(path, o);
	free(path);
	json_decref(o);
	free(dir);
out:
	argv_clear(&files);
	free(root);
}

static void record_link(const char *plan, const struct tool_invocation *ti, char **run_argv)
{
	const char *ic = flag_value(ti, "-importcfg");
	char cwd[PATH_MAX];
	if (!ic || ic[0] != '/' || !getcwd(cwd, sizeof(cwd)) || !ti->nargs)
		return;
	/* $WORK/b001/importcfg.link: $WORK is two levels up. */
	char *work = xstrdup(ic);
	for (int k = 0; k < 2; k++) {
		char *s = strrchr(work, '/');
		if (s && s != work)
			*s = '\0';
	}
	char *text = read_text(ic);
	if (!text) {
		free(work);
		return;
	}
	char *adir = xasprintf("%s/a", plan);
	mkdir_p(adir, 0700);
	struct argv_array from = ARGV_ARRAY_INIT, to = ARGV_ARRAY_INIT;
	json_t *lines = json_array();
	const char *main_arg = ti->args[ti->nargs - 1];
	char *main_path = NULL;
	int ok = 1;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *eq;
		if (starts_with(line, "packagefile ") && (eq = strchr(line, '='))) {
			const char *file = eq + 1;
			char *ip = xstrndup(line + 12, (size_t)(eq - line - 12));
			char *copy = NULL;
			if (path_within(file, work)) {
				char h[17];
				devplan_hash(ip, h);
				copy = xasprintf("%s/%s.%d.a", adir, h, (int)getpid());
				if (copy_file(file, copy) < 0)
					ok = 0;
				argv_push(&from, file);
				argv_push(&to, copy);
			}
			if (strcmp(file, main_arg) == 0 && !main_path)
				main_path = xstrdup(ip);
			char *l = xasprintf("packagefile %s=%s", ip, copy ? copy : file);
			json_array_append_new(lines, json_string(l));
			free(l);
			free(copy);
			free(ip);
		} else {
			json_array_append_new(lines, json_string(line));
		}
	}
	json_t *argv = json_array();
	json_array_append_new(argv, json_string(run_argv[0]));
	for (size_t i = 0; i < ti->nargs; i++) {
		const char *a = ti->args[i];
		for (size_t k = 0; k < from.argc; k++)
			if (strcmp(a, from.argv[k]) == 0)
				a = to.argv[k];
		json_array_append_new(argv, json_string(a));
	}
	json_t *o = json_object();
	json_object_set_new(o, "argv", argv);
	json_object_set_new(o, "cwd", json_string(cwd));
	json_object_set_new(o, "env", go_env());
	json_object_set_new(o, "importcfg", lines);
	json_object_set_new(o, "main", main_path ? json_string(main_path) : json_null());
	if (ok && main_path) {
		char *path = xasprintf("%s/link.json", plan);
		save_json(path, o);
		free(path);
	}
	json_decref(o);
	free(main_path);
	argv_clear(&from);
	argv_clear(&to);
	free(adir);
	free(text);
	free(work);
}

void devplan_save_build(const char *plan_dir, char *const *argv, const char *cwd)
{
	json_t *o = json_object(), *a = json_array();
	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(a, json_string(argv[i]));
	json_object_set_new(o, "argv", a);
	json_object_set_new(o, "cwd", json_string(cwd));
	char *path = xasprintf("%s/gobuild.json", plan_dir);
	save_json(path, o);
	free(path);
	json_decref(o);
}

int devplan_save_pkg(const char *plan_dir, const struct devplan_pkg *k, const struct strbuf *srcs)
{
	char h[17];
	int rc = 0;
	devplan_hash(k->importpath, h);
	char *dir = xasprintf("%s/pkgs/%s", plan_dir, h);
	mkdir_p(dir, 0700);
	for (size_t i = 0; i < k->files.argc && rc == 0; i++) {
		char *to = xasprintf("%s/%zu", dir, i);
		rc = write_file_atomic(to, srcs[i].buf ? srcs[i].buf : "", srcs[i].len);
		free(to);
	}
	json_t *o = json_object();
	json_object_set_new(o, "importpath", json_string(k->importpath));
	json_object_set_new(o, "argv", json_strings(k->argv.argv, k->argv.argc));
	json_object_set_new(o, "cwd", json_string(k->cwd));
	json_object_set_new(o, "env", json_strings(k->env.argv, k->env.argc));
	json_object_set_new(o, "files", json_strings(k->files.argv, k->files.argc));
	json_object_set_new(o, "cgo", json_false());
	json_object_set_new(o, "asm", json_false());
	json_object_set_new(o, "importcfg", k->importcfg ? json_string(k->importcfg) : json_null());
	json_object_set_new(o, "embedcfg", json_null());
	char *path = xasprintf("%s.json", dir);
	if (rc == 0)
		rc = save_json(path, o);
	free(path);
	json_decref(o);
	free(dir);
	return rc;
}

void devplan_record(const char *plan_dir, const struct tool_invocation *ti, char **run_argv,
                    const struct devplan_sources *src)
{
	if (!plan_dir || !*plan_dir || ti->probe)
		return;
	if (ti->kind == TOOL_COMPILE)
		record_compile(plan_dir, ti, run_argv, src);
	else if (ti->kind == TOOL_LINK)
		record_link(plan_dir, ti, run_argv);
}

/* ---- loading ------------------------------------------------------------ */

static void strings_of(json_t *a, struct argv_array *out)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) if (json_is_string(v)) argv_push(out, json_string_value(v));
}

static char *str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static void pkg_release(struct devplan_pkg *k)
{
	free(k->importpath);
	free(k->hash);
	argv_clear(&k->argv);
	free(k->cwd);
	argv_clear(&k->env);
	free(k->importcfg);
	free(k->embedcfg);
	argv_clear(&k->files);
	argv_clear(&k->deps);
}

int devplan_load(struct devplan *p, const char *dir, char **cause)
{
	memset(p, 0, sizeof(*p));
	p->dir = xstrdup(dir);
	char *pk = xasprintf("%s/pkgs", dir);
	DIR *dp = opendir(pk);
	size_t cap = 0;
	if (!dp && errno != ENOENT) {
		*cause = xasprintf("%s: %s", pk, strerror(errno));
		free(pk);
		return -1;
	}
	struct dirent *e;
	while (dp && (e = readdir(dp))) {
		if (!ends_with(e->d_name, ".json") || strlen(e->d_name) != 21)
			continue;
		char *path = xasprintf("%s/%s", pk, e->d_name);
		json_t *o = json_load_file(path, 0, NULL);
		free(path);
		if (!o)
			continue;
		if (p->npkgs == cap) {
			cap = cap ? cap * 2 : 32;
			p->pkgs = xrealloc(p->pkgs, cap * sizeof(*p->pkgs));
		}
		struct devplan_pkg *k = &p->pkgs[p->npkgs];
		memset(k, 0, sizeof(*k));
		k->importpath = str_of(o, "importpath");
		k->hash = xstrndup(e->d_name, 16);
		strings_of(json_object_get(o, "argv"), &k->argv);
		k->cwd = str_of(o, "cwd");
		strings_of(json_object_get(o, "env"), &k->env);
		k->importcfg = str_of(o, "importcfg");
		k->embedcfg = str_of(o, "embedcfg");
		strings_of(json_object_get(o, "files"), &k->files);
		k->cgo = json_is_true(json_object_get(o, "cgo"));
		k->asm = json_is_true(json_object_get(o, "asm"));
		json_decref(o);
		if (!k->importpath || !k->cwd || !k->argv.argc) {
			pkg_release(k);
			continue;
		}
		if (k->importcfg) {
			char *t = xstrdup(k->importcfg);
			for (char *l = strtok(t, "\n"); l; l = strtok(NULL, "\n")) {
				char *eq;
				if (starts_with(l, "packagefile ") && (eq = strchr(l, '='))) {
					char *d = xstrndup(l + 12, (size_t)(eq - l - 12));
					argv_push(&k->deps, d);
					free(d);
				}
			}
			free(t);
		}
		p->npkgs++;
	}
	if (dp)
		closedir(dp);
	free(pk);
	char *lp = xasprintf("%s/link.json", dir);
	json_t *o = json_load_file(lp, 0, NULL);
	free(lp);
	if (o) {
		strings_of(json_object_get(o, "argv"), &p->link.argv);
		strings_of(json_object_get(o, "env"), &p->link.env);
		strings_of(json_object_get(o, "importcfg"), &p->link.lines);
		p->link.cwd = str_of(o, "cwd");
		p->link.main_path = str_of(o, "main");
		p->have_link = p->link.argv.argc > 1 && p->link.cwd && p->link.main_path;
		json_decref(o);
	}
	return 0;
}

void devplan_release(struct devplan *p)
{
	for (size_t i = 0; i < p->npkgs; i++)
		pkg_release(&p->pkgs[i]);
	free(p->pkgs);
	argv_clear(&p->link.argv);
	argv_clear(&p->link.env);
	argv_clear(&p->link.lines);
	free(p->link.cwd);
	free(p->link.main_path);
	free(p->dir);
	memset(p, 0, sizeof(*p));
}

struct devplan_pkg *devplan_find(const struct devplan *p, const char *importpath)
{
	for (size_t i = 0; i < p->npkgs; i++)
		if (strcmp(p->pkgs[i].importpath, importpath) == 0)
			return &p->pkgs[i];
	return NULL;
}

struct devplan_pkg *devplan_find_file(const struct devplan *p, const char *file, size_t *index)
{
	for (size_t i = 0; i < p->npkgs; i++)
		for (size_t j = 0; j < p->pkgs[i].files.argc; j++)
			if (strcmp(p->pkgs[i].files.argv[j], file) == 0) {
				if (index)
					*index = j;
				return &p->pkgs[i];
			}
	return NULL;
}

char *devplan_snapshot_path(const struct devplan *p, const struct devplan_pkg *pkg, size_t i)
{
	return xasprintf("%s/pkgs/%s/%zu", p->dir, pkg->hash, i);
}

static char **link_line(const struct devplan *p, const char *importpath)
{
	size_t n = strlen(importpath);
	for (size_t i = 0; i < p->link.lines.argc; i++) {
		const char *l = p->link.lines.argv[i];
		if (starts_with(l, "packagefile ") && strncmp(l + 12, importpath, n) == 0 &&
		    l[12 + n] == '=')
			return &p->link.lines.argv[i];
	}
	return NULL;
}

const char *devplan_link_archive(const struct devplan *p, const char *importpath)
{
	char **l = link_line(p, importpath);
	return l ? strchr(*l, '=') + 1 : NULL;
}

void devplan_link_set_archive(struct devplan *p, const char *importpath, const char *archive)
{
	char **l = link_line(p, importpath);
	char *line = xasprintf("packagefile %s=%s", importpath, archive);
	if (l) {
		free(*l);
		*l = line;
	} else {
		argv_push(&p->link.lines, line);
		free(line);
	}
}

int devplan_save_link(const struct devplan *p, char **cause)
{
	json_t *o = json_object();
	json_object_set_new(o, "argv", json_strings(p->link.argv.argv, p->link.argv.argc));
	json_object_set_new(o, "cwd", json_string(p->link.cwd));
	json_object_set_new(o, "env", json_strings(p->link.env.argv, p->link.env.argc));
	json_object_set_new(o, "importcfg", json_strings(p->link.lines.argv, p->link.lines.argc));
	json_object_set_new(o, "main", json_string(p->link.main_path));
	char *path = xasprintf("%s/link.json", p->dir);
	int rc = save_json(path, o);
	if (rc < 0)
		*cause = xasprintf("%s: %s", path, strerror(errno));
	free(path);
	json_decref(o);
	return rc;
}
