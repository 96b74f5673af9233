/*
 * plugin_check.c - see plugin_check.h: verifying a plugin file, its session
 * copy, the audit log; and struct plugin's release functions.
 */
#define _GNU_SOURCE
#include "plugin/plugin_check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/crypto.h"
#include "core/jsonl.h"

/* ---- struct plugin ---------------------------------------------------------- */

void plugin_release(struct plugin *p)
{
	free(p->name);
	free(p->version);
	free(p->source);
	free(p->file);
	free(p->sha256);
	argv_clear(&p->args);
	memset(p, 0, sizeof(*p));
}

void plugin_array_release(plugin_array *a)
{
	for (size_t i = 0; i < a->n; i++)
		plugin_release(&a->v[i]);
	ARRAY_FREE(*a);
}

/* ---- the audit log ---------------------------------------------------------- */

/* RFC 3339 in UTC with nanoseconds, like log.c's records: 2024-05-01T12:00:00.123456789Z. */
static void rfc3339_now(char buf[64])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, 64, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 64 - n, ".%09ldZ", ts.tv_nsec);
}

void plugin_audit(const char *session, const char *plugin, const char *action, json_t *fields)
{
	json_t *o = json_object(), *reason = NULL, *v;
	const char *k;
	char when[64], *line, *path;
	size_t len;
	int fd;

	rfc3339_now(when);
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "plugin", json_string_lossy(plugin ? plugin : ""));
	if (fields && json_is_object(fields)) {
		json_object_foreach(fields, k, v)
		{
			if (!strcmp(k, "reason"))
				reason = v;
			else if (strcmp(k, "time") && strcmp(k, "plugin") && strcmp(k, "action"))
				json_object_set(o, k, v);
		}
	}
	json_object_set_new(o, "action", json_string_lossy(action ? action : ""));
	if (reason)
		json_object_set(o, "reason", reason);
	json_decref(fields);
	line = jsonl_encode(o, &len); /* drops o */
	if (!line || !session)
		goto out;
	path = xasprintf("%s/%s", session, PLUGIN_AUDIT);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		goto out;
	/* one write(): O_APPEND keeps the lines of parallel writers whole */
	if (write_all(fd, line, len)) {
		/* nothing to do: the audit log never stops a build */
	}
	close(fd);
out:
	free(line);
}

/* ---- verification ----------------------------------------------------------- */

/* What one plugin_verify() call has gathered, for the audit line and the messages. */
struct verify {
	const char *name, *session;
	json_t *fields; /* the audit line's members so far */
};

/* Audits the refusal, sets *cause to "plugin NAME: REASON" and returns -1. */
static int refuse(struct verify *vf, char **cause, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int refuse(struct verify *vf, char **cause, const char *fmt, ...)
{
	struct strbuf reason = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&reason, fmt, ap);
	va_end(ap);
	json_object_set_new(vf->fields, "reason", json_string_lossy(reason.buf));
	plugin_audit(vf->session, vf->name, "refused", vf->fields);
	vf->fields = NULL;
	*cause = xasprintf("plugin %s: %s", vf->name, reason.buf);
	strbuf_release(&reason);
	return -1;
}

/* A usable file name for the session copy: what config.c accepts as a name. */
static int is_copy_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n && n <= 64 && strcmp(s, ".") && strcmp(s, "..") &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static const char *file_type(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a file";
}

/*
 * The path of the file open on fd, as the kernel names it (symlinks
 * resolved: what was opened, not what was asked for), or NULL.
 */
static char *fd_path(int fd)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] != '/')
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

/*
 * The trusted directory (resolved, malloc'd) that path (resolved, absolute)
 * is below, or NULL.
 */
static char *under_trusted_dir(const char *path, const struct argv_array *dirs)
{
	for (size_t i = 0; dirs && i < dirs->argc; i++) {
		char *real = realpath(dirs->argv[i], NULL);
		size_t n;

		if (!real)
			continue; /* a trusted directory that does not exist trusts nothing */
		n = strlen(real);
		if (!strcmp(real, "/") || (!strncmp(path, real, n) && path[n] == '/'))
			return real;
		free(real);
	}
	return NULL;
}

/*
 * A trusted directory trusts whoever can write to it: every directory from
 * path's up to root (path below root, both resolved) must be owned by root
 * or the current user and writable by neither group nor others. 0, or -1
 * with *why naming the first that is not (malloc'd).
 */
static int trusted_chain_ok(const char *path, const char *root, char **why)
{
	char *dir = xstrdup(path);
	size_t rootlen = strlen(root);
	int ret = 0;
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			break;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		struct stat st;
		if (lstat(dir, &st) < 0) {
			*why = xasprintf("%s: %s", dir, strerror(errno));
			ret = -1;
			break;
		}
		if (st.st_uid != 0 && st.st_uid != geteuid()) {
			*why = xasprintf(
			    "directory %s is owned by uid %u, neither root nor the current "
			    "user",
			    dir, (unsigned)st.st_uid);
			ret = -1;
			break;
		}
		if (st.st_mode & (S_IWGRP | S_IWOTH)) {
			*why = xasprintf("directory %s is %s (mode %04o): whoever can write it can "
			                 "put a plugin there",
			                 dir,
			                 st.st_mode & S_IWOTH ? "world-writable" : "group-writable",
			                 (unsigned)(st.st_mode & 07777));
			ret = -1;
			break;
		}
		if (strlen(dir) <= rootlen || !strcmp(dir, "/"))
			break; /* the trusted directory itself was the last one */
	}
	free(dir);
	return ret;
}

/*
 * Writes buf[0..len) to a new file <session>/plugins/<name> of mode mode.
 * Returns the file's path (malloc'd), or NULL with *why (malloc'd).
 */
static char *write_copy(const char *session, const char *name, const void *buf, size_t len,
                        mode_t mode, char **why)
{
	char *dir = xasprintf("%s/%s", session, PLUGIN_COPY_DIR);
	char *file = xasprintf("%s/%s", dir, name);
	int fd = -1;

	/* chmod: 0700 whatever the umask (a umask of 0177 would leave no x bit) */
	if (mkdir(dir, 0700) == 0 ? chmod(dir, 0700) != 0 : errno != EEXIST) {
		*why = xasprintf("cannot create %s: %s", dir, strerror(errno));
		goto fail;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		*why = xasprintf("cannot create the session copy %s: %s", file, strerror(errno));
		goto fail;
	}
	/* fchmod: the umask must not take bits off, nor can it add any */
	if (write_all(fd, buf, len) || fchmod(fd, mode) || close(fd)) {
		*why = xasprintf("cannot write the session copy %s: %s", file, strerror(errno));
		fd = -1;
		unlink(file);
		goto fail;
	}
	free(dir);
	return file;
fail:
	free(dir);
	free(file);
	return NULL;
}

int plugin_verify(const struct plugin_spec *spec, const struct argv_array *trusted_dirs,
                  const char *session, struct plugin *out, char **cause)
{
	struct verify vf = {spec->name ? spec->name : "(unnamed)", session, json_object()};
	const char *src = spec->path ? spec->path : spec->exec;
	enum plugin_kind kind = spec->path ? PLUGIN_SO : PLUGIN_EXEC;
	struct strbuf bytes = STRBUF_INIT;
	char hex[65], *real = NULL, *copy = NULL, *why = NULL;
	const char *verified_by = "sha256";
	struct stat st;
	int fd = -1, truncated = 0, ret = -1;

	if (!session)
		BUG("plugin_verify without a session");
	memset(out, 0, sizeof(*out));
	json_object_set_new(vf.fields, "kind", json_string(kind == PLUGIN_SO ? "so" : "exec"));
	json_object_set_new(vf.fields, "source", json_string_lossy(src ? src : ""));

	if (!is_copy_name(spec->name)) {
		ret = refuse(&vf, cause, "not a valid plugin name");
		goto out;
	}
	if (!src || (spec->path && spec->exec)) {
		ret = refuse(&vf, cause, "needs exactly one of path and exec");
		goto out;
	}
	if (src[0] != '/') {
		json_t *j = json_string_lossy(src);
		char *q = json_dumps(j, JSON_ENCODE_ANY);
		json_decref(j);
		ret = refuse(&vf, cause, "must be an absolute path, got %s", q ? q : "?");
		free(q);
		goto out;
	}

	/* O_NONBLOCK: opening a FIFO must not hang; fstat refuses it next */
	fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = refuse(&vf, cause, "%s: %s", src, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st)) {
		ret = refuse(&vf, cause, "%s: %s", src, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = refuse(&vf, cause, "%s: not a regular file (%s)", src, file_type(st.st_mode));
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		ret = refuse(&vf, cause,
		             "%s: owned by uid %u, neither root nor the current user (uid %u)", src,
		             (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		ret = refuse(&vf, cause, "%s: %s (mode %04o)", src,
		             (st.st_mode & S_IWGRP) && (st.st_mode & S_IWOTH)
		                 ? "group- and world-writable"
		             : st.st_mode & S_IWGRP ? "group-writable"
		                                    : "world-writable",
		             (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > (off_t)PLUGIN_FILE_MAX) {
		ret = refuse(&vf, cause, "%s: larger than %u MiB", src, PLUGIN_FILE_MAX >> 20);
		goto out;
	}

	/* the bytes from this one descriptor are what is hashed, copied and run */
	if (strbuf_read_fd(&bytes, fd, PLUGIN_FILE_MAX, &truncated) < 0) {
		ret = refuse(&vf, cause, "%s: read: %s", src, strerror(errno));
		goto out;
	}
	if (truncated) {
		ret = refuse(&vf, cause, "%s: larger than %u MiB", src, PLUGIN_FILE_MAX >> 20);
		goto out;
	}
	if (sha256_hex(bytes.buf, bytes.len, hex, &why)) {
		ret = refuse(&vf, cause, "%s", why);
		goto out;
	}
	json_object_set_new(vf.fields, "sha256", json_string(hex));
	if (spec->sha256) {
		if (strcasecmp(hex, spec->sha256)) {
			ret = refuse(&vf, cause,
			             "%s: sha256 mismatch: the file has %s, golive.yaml pins %s",
			             src, hex, spec->sha256);
			goto out;
		}
	} else {
		real = fd_path(fd);
		if (!real) {
			ret = refuse(
			    &vf, cause,
			    "%s: no sha256: and the opened file's path is unknown (no /proc)", src);
			goto out;
		}
		char *root = under_trusted_dir(real, trusted_dirs);
		if (!root) {
			ret = refuse(&vf, cause, "%s: no sha256: and not under a trusted directory",
			             src);
			goto out;
		}
		int chain = trusted_chain_ok(real, root, &why);
		free(root);
		if (chain < 0) {
			ret = refuse(&vf, cause,
			             "%s: no sha256: and its trusted directory cannot be "
			             "trusted: %s",
			             src, why);
			goto out;
		}
		verified_by = "trusted_dir";
	}
	json_object_set_new(vf.fields, "verified_by", json_string(verified_by));

	copy = write_copy(session, spec->name, bytes.buf, bytes.len,
	                  kind == PLUGIN_EXEC ? 0500 : 0400, &why);
	if (!copy) {
		ret = refuse(&vf, cause, "%s", why);
		goto out;
	}

	out->name = xstrdup(spec->name);
	out->version = xstrdup("");
	out->kind = kind;
	out->source = xstrdup(src);
	out->file = copy;
	out->sha256 = xstrdup(hex);
	for (size_t i = 0; i < spec->args.argc; i++)
		argv_push(&out->args, spec->args.argv[i]);
	out->timeout_ms = spec->timeout_ms;
	out->required = spec->required;
	json_object_set_new(vf.fields, "file", json_string_lossy(copy));
	plugin_audit(session, spec->name, "verified", vf.fields);
	vf.fields = NULL;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	json_decref(vf.fields);
	strbuf_release(&bytes);
	free(real);
	free(why);
	return ret;
}
