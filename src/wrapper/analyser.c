/* analyser.c - see analyser.h. */
#define _GNU_SOURCE
#include "wrapper/analyser.h"
#include "cmd/commands.h"
#include "core/proc.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int analyser_package(const struct anacache *cache, const struct analysis_settings *s,
                     struct analysis_ctx **ctx, char *const *files, size_t n, const char *lang,
                     struct pkgsrc *ps, char key[ANACACHE_KEY_HEX + 1], diag_array *out,
                     char **cause)
{
	if (!pkgsrc_load(ps, files, n))
		return -1; /* not one readable file: nothing to say */
	/* A version golive cannot read is unknown: the newest Go. */
	(void)pkgsrc_set_goversion(ps, lang);
	anacache_key(cache, ps, analysis_settings_hash(s), key);
	return anacache_analyse(cache, s, ctx, ps, key, out, NULL, cause);
}

/*
 * Appends text to a file of the session with one write() (O_APPEND:
 * atomic), creating it when create is set.
 */
static int append(const char *dir, const char *name, const char *text, size_t len, int create)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, text, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -1;
}

int analyser_request(const char *session, const char *importpath, const char *pkg, const char *lang,
                     const struct argv_array *files)
{
	json_t *o = json_object(), *a = json_array();
	if (importpath)
		json_object_set_new(o, "importpath", json_string(importpath));
	if (pkg)
		json_object_set_new(o, "pkg", json_string(pkg));
	if (lang)
		json_object_set_new(o, "lang", json_string(lang));
	for (size_t i = 0; i < files->argc; i++)
		json_array_append_new(a, json_string(files->argv[i]));
	json_object_set_new(o, "files", a);
	char *txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!txt)
		return -1;
	size_t len = strlen(txt);
	char *line = xmalloc(len + 2);
	memcpy(line, txt, len);
	line[len++] = '\n';
	free(txt);
	/* the queue exists while an analyser reads it: no O_CREAT */
	int rc = append(session, ANALYSE_QUEUE, line, len, 0);
	free(line);
	return rc;
}

/* ---- requests ------------------------------------------------------------- */

struct request {
	char *importpath, *pkg, *lang; /* may be NULL */
	struct argv_array files;
	int end; /* {"end": true} */
};

/* 0, or -1 for a line that is not a request (skipped). */
static int request_decode(struct request *r, const char *line, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->files = (struct argv_array)ARGV_ARRAY_INIT;
	json_error_t jerr;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr), *f;
	size_t i;
	if (!json_is_object(o)) {
		json_decref(o);
		return -1;
	}
	r->end = json_is_true(json_object_get(o, "end"));
	const char *ip = json_string_value(json_object_get(o, "importpath"));
	const char *pkg = json_string_value(json_object_get(o, "pkg"));
	const char *lang = json_string_value(json_object_get(o, "lang"));
	r->importpath = ip ? xstrdup(ip) : NULL;
	r->pkg = pkg ? xstrdup(pkg) : NULL;
	r->lang = lang ? xstrdup(lang) : NULL;
	json_array_foreach(json_object_get(o, "files"), i, f)
	{
		if (json_is_string(f))
			argv_push(&r->files, json_string_value(f));
	}
	json_decref(o);
	return r->end || r->files.argc ? 0 : -1;
}

static void request_release(struct request *r)
{
	free(r->importpath);
	free(r->pkg);
	free(r->lang);
	argv_clear(&r->files);
}

/* The package a request or a diags.jsonl line names: its import path, else -p. */
static const char *identity(const char *importpath, const char *pkg)
{
	return importpath ? importpath : pkg ? pkg : "";
}

/* Analyses one request and appends its diags.jsonl line. 0, or -1 with *cause. */
static int serve(const char *dir, const struct request *r, const struct analysis_settings *s,
                 const struct anacache *cache, struct analysis_ctx **ctx, char **cause)
{
	struct pkgsrc ps = PKGSRC_INIT;
	diag_array d = ARRAY_INIT;
	char key[ANACACHE_KEY_HEX + 1] = "";
	int rc = analyser_package(cache, s, ctx, r->files.argv, r->files.argc, r->lang, &ps, key,
	                          &d, cause);
	if (rc == 0) {
		struct pkg_diags p;
		memset(&p, 0, sizeof(p));
		p.importpath = r->importpath;
		p.pkg = r->pkg;
		p.dir = ps.dir;
		p.key = key;
		p.diags = d;
		size_t len = 0;
		char *line = pkg_diags_encode(&p, &len);
		if (line)
			(void)append(dir, DIAGS_FILE, line, len, 1);
		free(line);
	}
	diag_array_release(&d);
	pkgsrc_release(&ps);
	return rc < 0 && *cause ? -1 : 0;
}

/*
 * Calls fn for each whole line of buf[*done..len), advancing *done past
 * them; stops early when fn returns nonzero and returns that.
 */
static int each_line(const struct strbuf *buf, size_t *done,
                     int (*fn)(void *, const char *, size_t), void *arg)
{
	while (*done < buf->len) {
		const char *l = buf->buf + *done;
		const char *nl = memchr(l, '\n', buf->len - *done);
		if (!nl)
			break;
		*done += (size_t)(nl - l) + 1;
		int rc = fn(arg, l, (size_t)(nl - l));
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- the analyser process ------------------------------------------------- */

struct analyser {
	const char *dir;
	struct session_analysis sa;
	struct anacache cache;
	struct analysis_ctx *ctx;
	int failed; /* a rule does not compile: golive build reports it */
};

static int serve_line(void *arg, const char *line, size_t len)
{
	struct analyser *a = arg;
	struct request r;
	char *cause = NULL;
	if (request_decode(&r, line, len) < 0)
		return 0;
	int end = r.end;
	if (!end && !a->failed &&
	    serve(a->dir, &r, &a->sa.settings, &a->cache, &a->ctx, &cause) < 0)
		a->failed = 1;
	free(cause);
	request_release(&r);
	return end;
}

int cmd_analyse(int argc, char **argv)
{
	if (argc != 3 || argv[1][0] != '/') {
		fprintf(stderr,
		        "usage: golive __analyse SESSION PARENT_PID (golive build runs it)\n");
		return EXIT_USAGE;
	}
	struct analyser a;
	memset(&a, 0, sizeof(a));
	a.dir = argv[1];
	/* golive build waits for us; when it is gone, nobody does */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != (pid_t)strtol(argv[2], NULL, 10))
		return 1;
	struct sched_param sp = {0};
	(void)sched_setscheduler(0, SCHED_IDLE, &sp);

	char *cause = NULL;
	if (session_read_analysis(a.dir, &a.sa, &cause) != 1) {
		free(cause);
		session_analysis_release(&a.sa);
		return 1;
	}
	/* the rules compiled once, kept as a blob in the session (rules.h) */
	a.sa.settings.blob_dir = xstrdup(a.dir);
	a.sa.settings.root = xstrdup(a.sa.root);
	if (anacache_open(&a.cache, a.sa.cache, &cause) < 0) {
		free(cause); /* no cache: analyse anyway */
		cause = NULL;
	}
	char *path = xasprintf("%s/%s", a.dir, ANALYSE_QUEUE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (in >= 0 && inotify_add_watch(in, path, IN_MODIFY) < 0) {
		close(in);
		in = -1;
	}
	free(path);
	struct strbuf buf = STRBUF_INIT;
	size_t done = 0;
	int end = 0;
	while (fd >= 0 && !end) {
		char chunk[65536];
		ssize_t n;
		while ((n = read(fd, chunk, sizeof(chunk))) > 0)
			strbuf_add(&buf, chunk, (size_t)n);
		end = each_line(&buf, &done, serve_line, &a);
		if (done > (1u << 20)) { /* forget what was served */
			memmove(buf.buf, buf.buf + done, buf.len - done);
			buf.len -= done;
			buf.buf[buf.len] = '\0';
			done = 0;
		}
		if (end)
			break;
		/* the next request; a timeout in case a change slips past inotify */
		struct pollfd pfd = {in, POLLIN, 0};
		if (poll(&pfd, in >= 0 ? 1 : 0, in >= 0 ? 1000 : 20) > 0) {
			char ev[4096];
			while (read(in, ev, sizeof(ev)) > 0)
				;
		}
	}
	strbuf_release(&buf);
	if (fd >= 0)
		close(fd);
	if (in >= 0)
		close(in);
	if (a.ctx)
		analysis_ctx_free(a.ctx);
	anacache_close(&a.cache);
	session_analysis_release(&a.sa);
	return a.failed || !end ? 1 : 0;
}

/* ---- golive build's side -------------------------------------------------- */

pid_t analyser_start(const char *self, const struct session *s, char **cause)
{
	char *path = session_path(s, ANALYSE_QUEUE);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	close(fd);
	free(path);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct proc_opts opts = PROC_OPTS_INIT;
	opts.stdin_fd = opts.stdout_fd = opts.stderr_fd = null;
	char ppid[32];
	snprintf(ppid, sizeof(ppid), "%ld", (long)getpid());
	char *argv[] = {(char *)self, "__analyse", s->dir, ppid, NULL};
	pid_t pid = proc_spawn(argv, &opts, cause);
	if (null >= 0)
		close(null);
	return pid;
}

/* The size of the session's diags.jsonl: the analyser's progress. */
static long long diags_size(const struct session *s)
{
	struct stat st;
	char *path = session_path(s, DIAGS_FILE);
	long long n = stat(path, &st) == 0 ? (long long)st.st_size : 0;
	free(path);
	return n;
}

/* How the analyser ended, from its wait status; recorded in ANALYSER_END. */
static enum analyser_end ended(const struct session *s, int status, enum analyser_end how)
{
	static const char *const names[] = {"done\n", "failed\n", "starved\n"};
	if (how == ANALYSER_DONE && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		how = ANALYSER_FAILED;
	char *path = session_path(s, ANALYSER_END);
	(void)file_replace(path, names[how], strlen(names[how]));
	free(path);
	return how;
}

enum analyser_end analyser_finish(const struct session *s, pid_t pid, int grace_ms)
{
	static const char end[] = "{\"end\":true}\n";
	int status = 0;
	struct sched_param sp = {0};
	(void)append(s->dir, ANALYSE_QUEUE, end, sizeof(end) - 1, 0);
	if (sched_setscheduler(pid, SCHED_OTHER, &sp) == 0) {
		if (proc_wait(pid, &status, NULL) < 0)
			return ended(s, 0, ANALYSER_FAILED);
		return ended(s, status, ANALYSER_DONE);
	}
	/*
	 * Not allowed to raise it: wait while it makes progress (the machine is
	 * ours now that go has ended, unless others load it); a starved one is
	 * killed, and golive build analyses the rest at its own priority.
	 */
	long long size = diags_size(s);
	int64_t last = now_mono_ns();
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return ended(s, status, ANALYSER_DONE);
		if (w < 0 && errno != EINTR)
			return ended(s, 0, ANALYSER_FAILED);
		long long now_size = diags_size(s);
		if (now_size != size) {
			size = now_size;
			last = now_mono_ns();
		} else if (now_mono_ns() - last > (int64_t)grace_ms * 1000000) {
			kill(pid, SIGKILL);
			(void)proc_wait(pid, &status, NULL);
			return ended(s, status, ANALYSER_STARVED);
		}
		struct timespec ts = {0, 5 * 1000000};
		nanosleep(&ts, NULL);
	}
}

struct catch_up {
	const struct session *s;
	const struct analysis_settings *settings;
	const struct anacache *cache;
	struct analysis_ctx **ctx;
	struct argv_array seen; /* identities in diags.jsonl */
	long served;
	char *cause;
};

static int catch_up_line(void *arg, const char *line, size_t len)
{
	struct catch_up *c = arg;
	struct request r;
	if (request_decode(&r, line, len) < 0)
		return 0;
	int skip = r.end;
	for (size_t i = 0; !skip && i < c->seen.argc; i++)
		skip = strcmp(c->seen.argv[i], identity(r.importpath, r.pkg)) == 0;
	int rc = 0;
	if (!skip) {
		if (serve(c->s->dir, &r, c->settings, c->cache, c->ctx, &c->cause) < 0)
			rc = -1;
		else
			c->served++;
	}
	request_release(&r);
	return rc;
}

long analyser_catch_up(const struct session *s, const struct analysis_settings *settings,
                       const struct anacache *cache, struct analysis_ctx **ctx, char **cause)
{
	struct catch_up c = {s, settings, cache, ctx, ARGV_ARRAY_INIT, 0, NULL};
	pkg_diags_array lines = ARRAY_INIT;
	session_read_diags(s, &lines, NULL);
	for (size_t i = 0; i < lines.n; i++)
		argv_push(&c.seen, identity(lines.v[i].importpath, lines.v[i].pkg));
	pkg_diags_array_release(&lines);
	struct strbuf buf = STRBUF_INIT;
	char *path = session_path(s, ANALYSE_QUEUE);
	size_t done = 0;
	int rc = 0;
	if (strbuf_read_file(&buf, path, 256u << 20) == 0)
		rc = each_line(&buf, &done, catch_up_line, &c);
	free(path);
	strbuf_release(&buf);
	argv_clear(&c.seen);
	if (rc < 0) {
		*cause = c.cause;
		return -1;
	}
	free(c.cause);
	return c.served;
}
