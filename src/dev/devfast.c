/* devfast.c - see devfast.h. */
#define _GNU_SOURCE
#include "dev/devfast.h"
#include "analysis/anacache.h"
#include "dev/fastpath.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void devfast_init(struct devfast *f, const char *dir, const char *root, int enabled)
{
	memset(f, 0, sizeof(*f));
	f->plan_dir = xasprintf("%s/plan", dir);
	f->root = xstrdup(root);
	f->enabled = enabled;
	mkdir_p(f->plan_dir, 0700);
	char *p = xasprintf("%s/root", f->plan_dir);
	FILE *fp = fopen(p, "w");
	if (fp) {
		fprintf(fp, "%s\n", root);
		fclose(fp);
	}
	free(p);
}

void devfast_release(struct devfast *f)
{
	free(f->plan_dir);
	free(f->root);
	argv_clear(&f->dirty);
	argv_clear(&f->last);
	pathmap_clear(&f->dirty_set);
	free(f->force_full);
	free(f->reason);
	json_decref(f->compiled);
	json_decref(f->steps);
	memset(f, 0, sizeof(*f));
}

static void link_file(const struct devfast *f, const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", f->plan_dir, name);
}

/*
 * After a full build recorded a new plan: the archives of <plan>/a that its
 * link no longer names (copies of earlier builds, fast builds' outputs)
 * are removed, so the directory does not grow with every build.
 */
static void sweep_archives(const struct devfast *f)
{
	struct devplan p;
	char *cause = NULL;
	if (devplan_load(&p, f->plan_dir, &cause) < 0) {
		free(cause);
		return;
	}
	if (!p.have_link) {
		devplan_release(&p);
		return;
	}
	struct pathmap keep = PATHMAP_INIT;
	for (size_t i = 0; i < p.link.lines.argc; i++) {
		const char *l = p.link.lines.argv[i], *eq;
		if (starts_with(l, "packagefile ") && (eq = strchr(l, '=')))
			pathmap_set(&keep, eq + 1, 1);
	}
	char *adir = xasprintf("%s/a", f->plan_dir);
	DIR *dp = opendir(adir);
	struct dirent *e;
	while (dp && (e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", adir, e->d_name);
		if (!pathmap_get(&keep, path, NULL))
			unlink(path);
		free(path);
	}
	if (dp)
		closedir(dp);
	free(adir);
	pathmap_clear(&keep);
	devplan_release(&p);
}

int devfast_begin(struct devfast *f, const struct argv_array *files, const char *self,
                  const char *bin, struct argv_array *av)
{
	char cur[4096], prev[4096];
	free(f->reason);
	f->reason = NULL;
	f->fast = 0;
	for (size_t i = 0; files && i < files->argc; i++)
		if (!pathmap_get(&f->dirty_set, files->argv[i], NULL)) {
			pathmap_set(&f->dirty_set, files->argv[i], 1);
			argv_push(&f->dirty, files->argv[i]);
		}
	if (!f->enabled) {
		f->reason = xstrdup("fast path off");
	} else if (f->force_full) {
		f->reason = f->force_full;
		f->force_full = NULL;
	} else if (!files || !files->argc) {
		f->reason = xstrdup("first build");
	} else {
		struct devplan p;
		struct argv_array pkgs = ARGV_ARRAY_INIT;
		char *cause = NULL;
		if (devplan_load(&p, f->plan_dir, &cause) < 0) {
			f->reason = cause;
		} else if (fastpath_check(&p, f->root, &f->dirty, &pkgs, &f->reason) == 1) {
			f->fast = 1;
		}
		devplan_release(&p);
		if (f->fast && !pkgs.argc) {
			f->fast = 0;
			f->reason = xstrdup("nothing to recompile");
		}
		if (f->fast) {
			argv_clear(av);
			argv_push(av, self);
			argv_push(av, "__fastbuild");
			argv_push(av, f->plan_dir);
			argv_push(av, bin);
			for (size_t i = 0; i < pkgs.argc; i++)
				argv_push(av, pkgs.argv[i]);
		}
		argv_clear(&pkgs);
	}
	if (!f->fast) {
		/* The last good plan stays until this build has recorded a new one. */
		link_file(f, "link.json", cur, sizeof(cur));
		link_file(f, "link.prev", prev, sizeof(prev));
		if (rename(cur, prev) < 0 && errno != ENOENT)
			unlink(cur);
		setenv(DEVPLAN_ENV, f->plan_dir, 1);
	}
	return f->fast;
}

void devfast_spawned(struct devfast *f)
{
	(void)f;
	unsetenv(DEVPLAN_ENV);
}

static void clear_dirty(struct devfast *f)
{
	argv_clear(&f->last);
	f->last = f->dirty;
	memset(&f->dirty, 0, sizeof(f->dirty));
	pathmap_clear(&f->dirty_set);
}

void devfast_refuse(struct devfast *f)
{
	for (size_t i = 0; i < f->last.argc; i++)
		if (!pathmap_get(&f->dirty_set, f->last.argv[i], NULL)) {
			pathmap_set(&f->dirty_set, f->last.argv[i], 1);
			argv_push(&f->dirty, f->last.argv[i]);
		}
	argv_clear(&f->last);
}

void devfast_compiled(const struct devfast *f, struct argv_array *pkgs)
{
	char *rp = xasprintf("%s/result.json", f->plan_dir);
	json_t *r = json_load_file(rp, 0, NULL), *v;
	size_t i;
	free(rp);
	json_array_foreach(json_object_get(r, "compiled"), i, v)
	{
		if (json_is_string(v))
			argv_push(pkgs, json_string_value(v));
	}
	json_decref(r);
}

/* The value of the recorded compile's -lang (go1.21), or NULL. */
static const char *compile_lang(const struct devplan_pkg *k)
{
	for (size_t i = 1; i < k->argv.argc; i++) {
		const char *a = k->argv.argv[i];
		if (strcmp(a, "-lang") == 0 && i + 1 < k->argv.argc)
			return k->argv.argv[i + 1];
		if (starts_with(a, "-lang="))
			return a + 6;
	}
	return NULL;
}

int devfast_analyse(const struct devfast *f, const struct analysis_settings *s,
                    const struct argv_array *pkgs, devfast_findings_array *out, char **cause)
{
	struct devplan p;
	struct anacache ac;
	struct analysis_ctx *ctx = NULL;
	char *why = NULL;
	int rc = 0;
	if (devplan_load(&p, f->plan_dir, cause) < 0)
		return -1;
	if (anacache_open(&ac, NULL, &why) < 0) {
		free(why); /* no cache: analyse anyway */
		why = NULL;
	}
	uint64_t hash = analysis_settings_hash(s);
	size_t n = pkgs ? pkgs->argc : p.npkgs;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct devplan_pkg *k = pkgs ? devplan_find(&p, pkgs->argv[i]) : &p.pkgs[i];
		struct pkgsrc ps = PKGSRC_INIT;
		char key[ANACACHE_KEY_HEX + 1];
		diag_array d = ARRAY_INIT;
		if (!k || !pkgsrc_load(&ps, k->files.argv, k->files.argc)) {
			pkgsrc_release(&ps);
			continue;
		}
		(void)pkgsrc_set_goversion(&ps, compile_lang(k));
		anacache_key(&ac, &ps, hash, key);
		rc = anacache_analyse(&ac, s, &ctx, &ps, key, &d, NULL, cause);
		if (rc == 0 && d.n) {
			struct devfast_findings pf = {xstrdup(k->importpath), d};
			diag_sort_unique(&pf.diags);
			ARRAY_PUSH(*out, pf);
		} else {
			diag_array_release(&d);
		}
		pkgsrc_release(&ps);
	}
	if (ctx)
		analysis_ctx_free(ctx);
	anacache_close(&ac);
	devplan_release(&p);
	return rc;
}

void devfast_findings_release(devfast_findings_array *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].importpath);
		diag_array_release(&a->v[i].diags);
	}
	ARRAY_FREE(*a);
}

int devfast_end(struct devfast *f, int status, int cancelled)
{
	char cur[4096], prev[4096];
	int ok = !cancelled && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	link_file(f, "link.json", cur, sizeof(cur));
	link_file(f, "link.prev", prev, sizeof(prev));
	if (!f->fast) {
		if (ok) {
			unlink(prev);
			clear_dirty(f);
			sweep_archives(f);
		} else if (access(prev, F_OK) == 0) {
			rename(prev, cur); /* back to the last good build's plan */
		}
		return 0;
	}
	/* the fast build's <plan>/result.json: what it ran, compiled, or why it gave up */
	json_t *r = NULL;
	if (!cancelled) {
		char *rp = xasprintf("%s/result.json", f->plan_dir);
		r = json_load_file(rp, 0, NULL);
		free(rp);
		json_decref(f->steps);
		f->steps = json_incref(json_object_get(r, "steps"));
	}
	int ret = 0;
	if (ok) {
		clear_dirty(f);
		json_decref(f->compiled);
		f->compiled = json_incref(json_object_get(r, "compiled"));
	} else if (!cancelled && WIFEXITED(status) && WEXITSTATUS(status) == FASTPATH_FALLBACK) {
		const char *why = json_string_value(json_object_get(r, "fallback"));
		free(f->force_full);
		f->force_full = xstrdup(why ? why : "the fast build gave up");
		ret = 1;
	}
	json_decref(r);
	return ret;
}

void devfast_json(const struct devfast *f, int fast, const char *reason, json_t *o)
{
	json_object_set_new(o, "path", json_string(fast ? "fast" : "full"));
	json_object_set_new(o, "golive_fast", json_boolean(fast));
	json_object_set_new(o, "fallback", !fast && reason ? json_string(reason) : json_null());
	if (fast && json_is_array(f->compiled))
		json_object_set(o, "compiled", f->compiled);
}
