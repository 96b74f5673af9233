/* session.c - see session.h. */
#define _GNU_SOURCE
#include "wrapper/session.h"
#include "core/jsonl.h"
#include "analysis/anacache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The start time of process pid (field 22 of /proc/PID/stat), 0 when there is none. */
static unsigned long long proc_start_time(pid_t pid)
{
	char path[64];
	struct strbuf sb = STRBUF_INIT;
	unsigned long long t = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (strbuf_read_file(&sb, path, 4096) == 0) {
		const char *p = strrchr(sb.buf, ')'); /* the command may hold spaces and ')' */
		/* after ") ": state is field 3; starttime is field 22, 19 fields later */
		for (int field = 2; p && field < 22; field++)
			p = strchr(p + 1, ' ');
		if (p)
			t = strtoull(p + 1, NULL, 10);
	}
	strbuf_release(&sb);
	return t;
}

int session_create(struct session *s, const char *parent, char **cause)
{
	const char *tmp = parent;
	if (!tmp || !*tmp)
		tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	char *templ = xasprintf("%s/golive-session-XXXXXX", tmp);
	if (!mkdtemp(templ)) {
		*cause =
		    xasprintf("cannot create a session directory in %s: %s", tmp, strerror(errno));
		free(templ);
		return -1;
	}
	char real[PATH_MAX];
	s->dir = realpath(templ, real) ? xstrdup(real) : xstrdup(templ);
	free(templ);

	/* Prove it takes an append, as the wrappers will. */
	char *probe = session_path(s, EVENTS_FILE);
	int fd = open(probe, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	free(probe);
	if (fd < 0) {
		*cause =
		    xasprintf("session directory %s is not writable: %s", s->dir, strerror(errno));
		session_remove(s);
		return -1;
	}
	close(fd);
	/* Who owns it, for session_sweep_stale() of a later golive. */
	char *owner = session_path(s, OWNER_FILE);
	char line[64];
	snprintf(line, sizeof(line), "%d %llu\n", (int)getpid(), proc_start_time(getpid()));
	fd = open(owner, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		(void)!write(fd, line, strlen(line));
		close(fd);
	}
	free(owner);
	return 0;
}

void session_disown(const struct session *s)
{
	char *owner = session_path(s, OWNER_FILE);
	unlink(owner);
	free(owner);
}

int session_sweep_stale(const char *parent)
{
	const char *tmp = parent;
	if (!tmp || !*tmp)
		tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	DIR *dp = opendir(tmp);
	struct dirent *e;
	int n = 0;
	if (!dp)
		return 0;
	while ((e = readdir(dp))) {
		if (strncmp(e->d_name, "golive-session-", 15))
			continue;
		struct session old = {xasprintf("%s/%s", tmp, e->d_name)};
		char *owner = session_path(&old, OWNER_FILE);
		struct strbuf sb = STRBUF_INIT;
		struct stat st;
		int pid = 0;
		unsigned long long start = 0;
		/* ours (a shared /tmp holds other users' too), and its owner recorded */
		if (lstat(old.dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
		    strbuf_read_file(&sb, owner, 64) == 0 &&
		    sscanf(sb.buf, "%d %llu", &pid, &start) == 2 && pid > 0 &&
		    proc_start_time(pid) != start) {
			session_remove(&old);
			n++;
		} else {
			session_release(&old);
		}
		strbuf_release(&sb);
		free(owner);
	}
	closedir(dp);
	return n;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void session_remove(struct session *s)
{
	if (s->dir)
		nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	session_release(s);
}

void session_release(struct session *s)
{
	free(s->dir);
	s->dir = NULL;
}

char *session_path(const struct session *s, const char *name)
{
	return xasprintf("%s/%s", s->dir, name);
}

long session_read_events(const struct session *s, long long *offset, event_array *evs, long *bad)
{
	char *path = session_path(s, EVENTS_FILE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (lseek(fd, (off_t)*offset, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	struct strbuf sb = STRBUF_INIT;
	/* 256 MiB: far beyond any real build (an event is ~400 bytes). */
	long n = strbuf_read_fd(&sb, fd, 256u << 20, NULL);
	close(fd);
	if (n < 0) {
		strbuf_release(&sb);
		return -1;
	}
	long added = 0;
	size_t pos = 0, len;
	const char *line;
	while (jsonl_next_line(sb.buf, sb.len, &pos, &line, &len)) {
		struct event ev;
		char *cause = NULL;
		if (len && event_decode(&ev, line, len, &cause) == 0) {
			ARRAY_PUSH(*evs, ev);
			added++;
		} else if (len && bad) {
			(*bad)++;
		}
		free(cause);
	}
	*offset += (long long)pos;
	strbuf_release(&sb);
	return added;
}

void event_array_release(event_array *evs)
{
	for (size_t i = 0; i < evs->n; i++)
		event_release(&evs->v[i]);
	ARRAY_FREE(*evs);
}

/* ---- analysis in the build ---------------------------------------------- */

int session_write_analysis(const char *dir, const struct analysis_settings *settings,
                           const char *root, const char *cache, char **cause)
{
	json_t *o = json_object();
	json_object_set_new(o, "settings", analysis_settings_to_json(settings));
	json_object_set_new(o, "root", json_string(root));
	json_object_set_new(o, "cache", cache ? json_string(cache) : json_null());
	return jsonl_write_file(o, dir, ANALYSIS_FILE, cause);
}

int session_read_analysis(const char *dir, struct session_analysis *a, char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("%s/%s", dir, ANALYSIS_FILE);
	json_t *o = NULL;
	int rc = -1;
	memset(a, 0, sizeof(*a));
	analysis_settings_init(&a->settings);
	if (strbuf_read_file(&sb, path, 16u << 20) < 0) {
		if (errno == ENOENT) {
			rc = 0;
			goto out;
		}
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	json_error_t jerr;
	o = json_loadb(sb.buf, sb.len, JSON_REJECT_DUPLICATES, &jerr);
	const char *root = json_string_value(json_object_get(o, "root"));
	json_t *cache = json_object_get(o, "cache");
	if (!json_is_object(o) || !root ||
	    (cache && !json_is_null(cache) && !json_is_string(cache))) {
		*cause = xasprintf("%s: malformed", path);
		goto out;
	}
	if (analysis_settings_from_json(&a->settings, json_object_get(o, "settings"), cause) < 0)
		goto out;
	a->root = xstrdup(root);
	a->cache = json_is_string(cache) ? xstrdup(json_string_value(cache)) : NULL;
	rc = 1;
out:
	json_decref(o);
	strbuf_release(&sb);
	free(path);
	return rc;
}

int session_write_defer(const char *dir, int include_deps, const char *root, char **cause)
{
	char *path = xasprintf("%s/%s", dir, ANALYSIS_DEFER);
	char *text = xasprintf("%d\n%s\n", include_deps ? 1 : 0, root);
	int rc = file_replace(path, text, strlen(text));
	if (rc < 0)
		*cause = xasprintf("%s: %s", path, strerror(errno));
	free(text);
	free(path);
	return rc;
}

int session_read_defer(const char *dir, int *include_deps, char **root)
{
	char path[4096], buf[4096 + 8];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, ANALYSIS_DEFER);
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 4)
		return 0;
	buf[len] = '\0';
	char *nl = strchr(buf + 2, '\n');
	if ((buf[0] != '0' && buf[0] != '1') || buf[1] != '\n' || buf[2] != '/' || !nl || nl[1])
		return 0;
	*include_deps = buf[0] == '1';
	*root = xstrndup(buf + 2, (size_t)(nl - (buf + 2)));
	return 1;
}

void session_analysis_release(struct session_analysis *a)
{
	analysis_settings_release(&a->settings);
	free(a->root);
	free(a->cache);
	a->root = a->cache = NULL;
}

static void set_opt_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, v ? json_string(v) : json_null());
}

char *pkg_diags_encode(const struct pkg_diags *p, size_t *len)
{
	json_t *o = json_object();
	set_opt_str(o, "importpath", p->importpath);
	set_opt_str(o, "pkg", p->pkg);
	set_opt_str(o, "dir", p->dir);
	set_opt_str(o, "key", p->key);
	json_object_set_new(o, "printed", json_boolean(p->printed));
	json_object_set_new(o, "diags", anacache_diags_to_json(&p->diags, NULL));
	return jsonl_encode(o, len);
}

static int opt_str(json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

int pkg_diags_decode(struct pkg_diags *p, const char *line, size_t len, char **cause)
{
	memset(p, 0, sizeof(*p));
	json_error_t jerr;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *printed = json_object_get(o, "printed");
	if (!json_is_object(o)) {
		*cause = o ? xstrdup("expected a JSON object")
		           : xasprintf("column %d: %s", jerr.column, jerr.text);
		json_decref(o);
		return -1;
	}
	if (opt_str(o, "importpath", &p->importpath) || opt_str(o, "pkg", &p->pkg) ||
	    opt_str(o, "dir", &p->dir) || opt_str(o, "key", &p->key) ||
	    (printed && !json_is_boolean(printed))) {
		*cause = xstrdup("a field has the wrong type");
		goto bad;
	}
	p->printed = json_is_true(printed);
	if (anacache_diags_from_json(json_object_get(o, "diags"), NULL, &p->diags, cause) < 0)
		goto bad;
	json_decref(o);
	return 0;
bad:
	json_decref(o);
	pkg_diags_release(p);
	return -1;
}

void pkg_diags_release(struct pkg_diags *p)
{
	free(p->importpath);
	free(p->pkg);
	free(p->dir);
	free(p->key);
	diag_array_release(&p->diags);
	memset(p, 0, sizeof(*p));
}

void pkg_diags_array_release(pkg_diags_array *a)
{
	for (size_t i = 0; i < a->n; i++)
		pkg_diags_release(&a->v[i]);
	ARRAY_FREE(*a);
}

long session_read_diags(const struct session *s, pkg_diags_array *out, long *bad)
{
	char *path = session_path(s, DIAGS_FILE);
	struct strbuf sb = STRBUF_INIT;
	long added = 0;
	if (strbuf_read_file(&sb, path, 256u << 20) < 0) {
		int e = errno;
		free(path);
		strbuf_release(&sb);
		return e == ENOENT ? 0 : -1;
	}
	free(path);
	size_t pos = 0, len;
	const char *line;
	while (jsonl_next_line(sb.buf, sb.len, &pos, &line, &len)) {
		struct pkg_diags p;
		char *cause = NULL;
		if (len && pkg_diags_decode(&p, line, len, &cause) == 0) {
			ARRAY_PUSH(*out, p);
			added++;
		} else if (len && bad) {
			(*bad)++;
		}
		free(cause);
	}
	strbuf_release(&sb);
	return added;
}
