/* anacache.c - see anacache.h. */
#define _GNU_SOURCE
#include "analysis/anacache.h"

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

#include "analysis/anapkg.h"

#define ENTRY_MAX    (64u << 20) /* bytes: a cache entry larger than this is a miss */
#define ENTRY_FORMAT 1

/* ---- a package's sources ------------------------------------------------ */

static int under_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return n && strncmp(path, dir, n) == 0 && path[n] == '/';
}

/*
 * The file a generated file's leading //line directive names (malloc'd), or
 * NULL. cgo writes "//line /abs/x.go:1:1" after its header comment, cover
 * "//line /abs/x.go:1" first; both within the first few lines.
 */
static char *line_directive_target(const char *path)
{
	char buf[1024];
	struct stat st;
	/* O_NONBLOCK and a regular file only: a FIFO named .go must not hang us. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, "//line /", 8) != 0)
			continue;
		const char *s = l + 7, *e = strchr(s, '\n');
		if (!e || e - s < 8)
			return NULL; /* cut by the read, or too short to name a file */
		/* FILE:LINE or FILE:LINE:COL; FILE may hold colons, so take the last ".go:". */
		for (const char *p = e - 4; p > s; p--) {
			if (memcmp(p, ".go:", 4) != 0)
				continue;
			const char *q = p + 4;
			int colons = 0, digits = 0;
			for (; q < e; q++) {
				if (*q >= '0' && *q <= '9')
					digits++;
				else if (*q == ':' && digits && !colons)
					colons++, digits = 0;
				else
					break;
			}
			if (q != e || !digits)
				return NULL;
			return xstrndup(s, (size_t)(p + 3 - s));
		}
		return NULL;
	}
	return NULL;
}

static int argv_contains(const struct argv_array *a, const char *s)
{
	for (size_t i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return 1;
	return 0;
}

void pkgsrc_resolve(char *const *files, size_t n, const char *workdir, struct argv_array *out)
{
	for (size_t i = 0; i < n; i++) {
		const char *f = files[i];
		if (!ends_with(f, ".go"))
			continue;
		if (workdir && *workdir && under_dir(f, workdir)) {
			char *t = line_directive_target(f);
			if (t && !under_dir(t, workdir) && !argv_contains(out, t))
				argv_push(out, t);
			free(t);
		} else if (!argv_contains(out, f)) {
			argv_push(out, f);
		}
	}
}

static int cmp_file(const void *pa, const void *pb)
{
	const struct pkgsrc_file *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);
	return c ? c : strcmp(a->path, b->path);
}

size_t pkgsrc_load(struct pkgsrc *ps, char *const *files, size_t n)
{
	size_t nread = 0;
	for (size_t i = 0; i < n; i++) {
		struct pkgsrc_file f;
		struct strbuf sb = STRBUF_INIT;
		f.path = xstrdup(files[i]);
		f.name = base_name(f.path);
		f.src = NULL;
		f.len = 0;
		if (strbuf_read_file(&sb, files[i], ANACACHE_MAX_FILE) == 0) {
			f.src = strbuf_detach(&sb, &f.len);
			nread++;
		}
		strbuf_release(&sb);
		if (!ps->dir) {
			const char *slash = strrchr(f.path, '/');
			ps->dir =
			    slash ? xstrndup(f.path, slash == f.path ? 1 : (size_t)(slash - f.path))
			          : xstrdup(".");
		}
		ARRAY_PUSH(ps->files, f);
	}
	if (ps->files.n > 1)
		qsort(ps->files.v, ps->files.n, sizeof(*ps->files.v), cmp_file);
	return nread;
}

void pkgsrc_release(struct pkgsrc *ps)
{
	for (size_t i = 0; i < ps->files.n; i++) {
		free(ps->files.v[i].path);
		free(ps->files.v[i].src);
	}
	ARRAY_FREE(ps->files);
	free(ps->dir);
	ps->dir = NULL;
	pkgsrc_set_goversion(ps, NULL);
}

int pkgsrc_set_goversion(struct pkgsrc *ps, const char *version)
{
	struct goversion v, unknown = GOVERSION_UNKNOWN;
	ps->lang = unknown;
	if (!version || !*version)
		return 0;
	if (goversion_parse(version, &v) < 0)
		return -1;
	goversion_lang(&v, &ps->lang);
	return 0;
}

/* ---- the cache ---------------------------------------------------------- */

char *anacache_default_dir(void)
{
	const char *v = getenv("GOLIVE_CACHE_DIR");
	if (v && *v)
		return xstrdup(v);
	return user_cache_dir("analysis");
}

void anacache_exe_id(char *buf, size_t size)
{
	struct stat st;
	if (stat("/proc/self/exe", &st) == 0)
		snprintf(buf, size, "%lld.%lld.%09ld", (long long)st.st_size,
		         (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
	else if (size)
		buf[0] = '\0';
}

char *anacache_gocache_dir(void)
{
	const char *g = getenv("GOCACHE"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	if (g && *g)
		return *g == '/' ? xstrdup(g) : NULL;
	/* go's default: os.UserCacheDir()/go-build */
	if (x && *x == '/')
		return xasprintf("%s/go-build", x);
	if (h && *h == '/')
		return xasprintf("%s/.cache/go-build", h);
	return NULL;
}

int anacache_open(struct anacache *c, const char *dir, char **cause)
{
	memset(c, 0, sizeof(*c));
	anacache_exe_id(c->exe_id, sizeof(c->exe_id));
	char *d = dir && *dir ? xstrdup(dir) : anacache_default_dir();
	if (!d) {
		*cause = xstrdup("no analysis cache directory: set GOLIVE_CACHE_DIR, "
		                 "XDG_CACHE_HOME or HOME");
		return -1;
	}
	if (d[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd))) {
			*cause = xasprintf("analysis cache %s: cannot resolve it: %s", d,
			                   strerror(errno));
			free(d);
			return -1;
		}
		char *abs = xasprintf("%s/%s", cwd, d);
		free(d);
		d = abs;
	}
	/* Never inside GOCACHE, however either is spelled (a symlink, ".."): go owns it. */
	char *gocache = anacache_gocache_dir();
	if (gocache && path_within(d, gocache)) {
		*cause = xasprintf("analysis cache %s is inside GOCACHE (%s); golive never stores "
		                   "its data there",
		                   d, gocache);
		free(gocache);
		free(d);
		return -1;
	}
	free(gocache);
	if (mkdir_p(d, 0700) < 0) {
		*cause = xasprintf("analysis cache %s: %s", d, strerror(errno));
		free(d);
		return -1;
	}
	c->dir = d;
	return 0;
}

void anacache_close(struct anacache *c)
{
	free(c->dir);
	c->dir = NULL;
}

static void hash_field(XXH3_state_t *st, const void *p, size_t len)
{
	uint64_t n = len;
	XXH3_128bits_update(st, &n, sizeof(n));
	if (len)
		XXH3_128bits_update(st, p, len);
}

void anacache_key(const struct anacache *c, const struct pkgsrc *ps, uint64_t settings_hash,
                  char key[ANACACHE_KEY_HEX + 1])
{
	XXH3_state_t *st = XXH3_createState();
	if (!st)
		BUG("out of memory");
	XXH3_128bits_reset(st);
	hash_field(st, "golive analysis " GOLIVE_VERSION_STRING,
	           strlen("golive analysis " GOLIVE_VERSION_STRING));
	hash_field(st, c->exe_id, strlen(c->exe_id));
	hash_field(st, &settings_hash, sizeof(settings_hash));
	char lang[GOVERSION_MAX];
	goversion_format(&ps->lang, lang, sizeof(lang));
	hash_field(st, lang, strlen(lang));
	for (size_t i = 0; i < ps->files.n; i++) {
		const struct pkgsrc_file *f = &ps->files.v[i];
		hash_field(st, f->name, strlen(f->name));
		if (f->src)
			hash_field(st, f->src, f->len);
		else
			hash_field(st, "\xff missing", 9);
	}
	XXH128_hash_t h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	snprintf(key, ANACACHE_KEY_HEX + 1, "%016llx%016llx", (unsigned long long)h.high64,
	         (unsigned long long)h.low64);
}

static char *entry_path(const struct anacache *c, const char *key)
{
	return xasprintf("%s/%.2s/%s.json", c->dir, key, key);
}

json_t *anacache_diags_to_json(const diag_array *diags, const char *dir)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < diags->n; i++) {
		const struct diag *d = &diags->v[i];
		json_t *o = diag_to_json(d);
		if (dir && under_dir(d->file, dir)) {
			size_t n = strlen(dir);
			while (n > 1 && dir[n - 1] == '/')
				n--;
			json_object_set_new(o, "file", json_string(d->file + n + 1));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

int anacache_diags_from_json(json_t *arr, const char *dir, diag_array *out, char **cause)
{
	size_t i;
	json_t *v;
	if (!json_is_array(arr)) {
		*cause = xstrdup("diags: expected an array");
		return -1;
	}
	json_array_foreach(arr, i, v)
	{
		struct diag d;
		if (diag_from_json(&d, v, cause) < 0)
			return -1;
		if (dir && d.file[0] != '/') {
			char *abs = xasprintf("%s/%s", dir, d.file);
			free(d.file);
			d.file = abs;
		}
		ARRAY_PUSH(*out, d);
	}
	return 0;
}

int anacache_get(const struct anacache *c, const char *key, const char *pkgdir, diag_array *out)
{
	if (!c->dir)
		return 0;
	char *path = entry_path(c, key);
	struct strbuf sb = STRBUF_INIT;
	int hit = 0;
	if (strbuf_read_file(&sb, path, ENTRY_MAX) == 0) {
		json_t *o = json_loadb(sb.buf, sb.len, JSON_REJECT_DUPLICATES, NULL);
		json_t *fmt = json_object_get(o, "format");
		if (json_is_integer(fmt) && json_integer_value(fmt) == ENTRY_FORMAT) {
			diag_array tmp = ARRAY_INIT;
			char *cause = NULL;
			if (anacache_diags_from_json(json_object_get(o, "diags"), pkgdir, &tmp,
			                             &cause) == 0) {
				for (size_t i = 0; i < tmp.n; i++)
					ARRAY_PUSH(*out, tmp.v[i]);
				ARRAY_FREE(tmp);
				hit = 1;
			} else {
				diag_array_release(&tmp);
			}
			free(cause);
		}
		json_decref(o);
	}
	strbuf_release(&sb);
	free(path);
	return hit;
}

int anacache_put(const struct anacache *c, const char *key, const char *pkgdir,
                 const diag_array *diags)
{
	if (!c->dir) {
		errno = ENOENT;
		return -1;
	}
	json_t *o = json_object();
	json_object_set_new(o, "format", json_integer(ENTRY_FORMAT));
	json_object_set_new(o, "golive", json_string(GOLIVE_VERSION_STRING));
	json_object_set_new(o, "diags", anacache_diags_to_json(diags, pkgdir));
	char *txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!txt) {
		errno = ENOMEM;
		return -1;
	}
	char *sub = xasprintf("%s/%.2s", c->dir, key);
	char *path = entry_path(c, key);
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	int rc = -1, e = 0;
	if (mkdir(sub, 0700) < 0 && errno != EEXIST) {
		e = errno;
		goto out;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		goto out;
	}
	size_t len = strlen(txt);
	txt[len] = '\n'; /* json_dumps' NUL, now a newline: we write len + 1 bytes */
	if (write_all(fd, txt, len + 1) < 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(txt);
	free(sub);
	free(path);
	free(tmp);
	if (rc)
		errno = e;
	return rc;
}

int anacache_analyse(const struct anacache *c, const struct analysis_settings *s,
                     struct analysis_ctx **ctxp, const struct pkgsrc *ps, const char *key,
                     diag_array *out, int *hit, char **cause)
{
	diag_array found = ARRAY_INIT;
	if (hit)
		*hit = 0;
	if (key && anacache_get(c, key, ps->dir, &found)) {
		if (hit)
			*hit = 1;
	} else {
		if (!*ctxp && !(*ctxp = analysis_ctx_new(s, cause)))
			return -1;
		struct analysis_pkg *pkg = analysis_pkg_new();
		analysis_ctx_set_goversion(*ctxp, &ps->lang);
		for (size_t i = 0; i < ps->files.n; i++)
			if (ps->files.v[i].src)
				analysis_pkg_add(pkg, ps->files.v[i].path, ps->files.v[i].src,
				                 ps->files.v[i].len);
		analysis_ctx_set_package(*ctxp, pkg);
		for (size_t i = 0; i < ps->files.n; i++) {
			const struct pkgsrc_file *f = &ps->files.v[i];
			if (f->src)
				analysis_run_source(*ctxp, f->path, f->src, f->len, &found);
		}
		analysis_ctx_set_package(*ctxp, NULL);
		analysis_pkg_free(pkg);
		diag_sort_unique(&found);
		if (key)
			(void)anacache_put(c, key, ps->dir, &found);
	}
	diag_sort_unique(&found);
	for (size_t i = 0; i < found.n; i++)
		ARRAY_PUSH(*out, found.v[i]);
	ARRAY_FREE(found);
	return 0;
}
