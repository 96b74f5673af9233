/* rcache.c - see rcache.h. */
#define _GNU_SOURCE
#include "cache/rcache.h"
#include "cache/cache_entry.h"
#include "core/crypto.h"
#include "core/gotool.h"
#include "core/jsonl.h"
#include "plugin/plugin.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

/* ---- the tool's -V=full answer, memoised per tool binary ---------------------- */

/* Where the answer of tool (with stat st) is kept: in the session, else the user cache dir. */
static char *tool_answer_path(const char *session, const char *tool, const struct stat *st)
{
	char id[256];
	snprintf(id, sizeof(id), "%llu.%llu.%lld.%lld.%ld", (unsigned long long)st->st_dev,
	         (unsigned long long)st->st_ino, (long long)st->st_size,
	         (long long)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec);
	XXH64_hash_t h = XXH64(tool, strlen(tool), XXH64(id, strlen(id), 0));
	if (session)
		return xasprintf("%s/toolid-%016llx", session, (unsigned long long)h);
	char *dir = user_cache_dir("toolid");
	if (!dir)
		return NULL;
	mkdir_p(dir, 0755);
	char *p = xasprintf("%s/%016llx", dir, (unsigned long long)h);
	free(dir);
	return p;
}

/* Runs `tool -V=full` and keeps its first line in line. 0, or -1 with *why. */
static int run_version(const char *tool, struct strbuf *line, char **why)
{
	char *argv[] = {(char *)tool, (char *)"-V=full", NULL};
	struct strbuf out = STRBUF_INIT;
	int rc = gotool_run_capture(argv, &out, NULL, 1u << 16, why);
	if (rc != 0 || !out.len) {
		if (rc >= 0)
			*why = xasprintf("%s -V=full failed", tool);
		strbuf_release(&out);
		return -1;
	}
	strbuf_add(line, out.buf, strcspn(out.buf, "\n"));
	strbuf_release(&out);
	return 0;
}

static int tool_answer(const char *session, const char *tool, const char *salt,
                       struct strbuf *answer, char **why)
{
	struct stat st;
	struct strbuf line = STRBUF_INIT;
	if (stat(tool, &st) < 0) {
		*why = xasprintf("%s: %s", tool, strerror(errno));
		return -1;
	}
	char *path = tool_answer_path(session, tool, &st);
	if (!path || strbuf_read_file(&line, path, 4096) < 0 || !line.len) {
		strbuf_reset(&line);
		if (run_version(tool, &line, why) < 0) {
			free(path);
			strbuf_release(&line);
			return -1;
		}
		if (path) {
			char *tmp = xasprintf("%s.%d", path, (int)getpid());
			int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd >= 0) {
				int ok = write_all(fd, line.buf, line.len) == 0;
				close(fd);
				if (!ok || rename(tmp, path) < 0)
					unlink(tmp);
			}
			free(tmp);
		}
	}
	free(path);
	line.len = strcspn(line.buf, "\n");
	line.buf[line.len] = '\0';
	if (salt && *salt)
		plugin_salt_line(line.buf, salt, answer);
	else
		strbuf_addstr(answer, line.buf);
	strbuf_release(&line);
	return 0;
}

/* ---- helpers -------------------------------------------------------------------- */

/*
 * Where the build records that the cache is down: the session's
 * cache.down, else (plain go build -toolexec=golive) a file in go's $WORK,
 * the directory go makes for one build and removes after it; NULL when the
 * tool's -o is not in a $WORK/bNNN directory.
 */
static char *down_path(const char *session, const char *output)
{
	if (session)
		return xasprintf("%s/%s", session, RCACHE_DOWN_FILE);
	if (!output || output[0] != '/')
		return NULL;
	const char *slash = strrchr(output, '/');
	const char *b = slash;
	while (b > output && b[-1] != '/')
		b--;
	/* b..slash is the action directory's name: "b" and digits. */
	if (b == output || slash - b < 2 || *b != 'b' ||
	    strspn(b + 1, "0123456789") != (size_t)(slash - b - 1))
		return NULL;
	const char *w = b - 1, *ws = w;
	while (ws > output && ws[-1] != '/')
		ws--;
	if (!starts_with(ws, "go-build"))
		return NULL;
	return xasprintf("%.*s/%s", (int)(w - output), output, RCACHE_WORK_DOWN_FILE);
}

/* Whether this build's cache was turned off by a failure. */
static int is_down(const struct rcache *rc)
{
	return rc->down && access(rc->down, F_OK) == 0;
}

/* The first failure of the build's cache: later wrappers skip the cache. */
static void trip(const struct rcache *rc, const char *cause)
{
	if (!rc->down)
		return;
	int fd = open(rc->down, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)!write(fd, cause, strlen(cause));
		close(fd);
	}
}

static void set_outcome(struct event *ev, const char *what, char *note)
{
	free(ev->rcache);
	free(ev->rcache_note);
	ev->rcache = xstrdup(what);
	ev->rcache_note = note; /* taken */
}

/* Writes buf to path through a temp file in its directory and rename. 0, or -1 with *why. */
static int write_atomic(const char *path, const void *buf, size_t len, char **why)
{
	char *tmp = xasprintf("%s.golive-XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		*why = xasprintf("%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, 0644) < 0 || write_all(fd, buf, len) < 0 || close(fd) < 0) {
		*why = xasprintf("%s: %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		*why = xasprintf("%s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static const char *output_path(const struct cache_key *k, const char *role)
{
	for (size_t i = 0; i < k->noutputs; i++)
		if (strcmp(k->outputs[i].role, role) == 0)
			return k->outputs[i].path;
	return NULL;
}

/* ---- lookup ---------------------------------------------------------------------- */

/*
 * Fetches and checks the entry; on success writes the outputs. 1 hit, 0
 * miss (*note may say why), -1 backend failure (*note).
 */
static int lookup(struct rcache *rc, long long *bytes, int64_t *saved, char **note)
{
	struct strbuf buf = STRBUF_INIT;
	struct cache_entry e;
	char *cause = NULL;
	int ret = 0;
	struct strbuf objs[CACHE_MAX_OUTPUTS];
	size_t nobjs = 0;

	int g = cache_get(rc->backend, CACHE_AC, rc->key.hex, &buf, &cause);
	if (g <= 0) {
		*note = cause;
		ret = g < 0 ? -1 : 0;
		goto out;
	}
	if (cache_entry_decode(buf.buf, buf.len, rc->key.hex, rc->hmac_key, rc->settings.max_object,
	                       &e, &cause) < 0) {
		*note = xasprintf("bad entry: %s", cause);
		free(cause);
		goto out;
	}
	/* Every output go asked for must be in the entry, and only those. */
	if (e.noutputs != rc->key.noutputs) {
		*note = xstrdup("bad entry: its outputs differ from this invocation's");
		goto out;
	}
	for (size_t i = 0; i < e.noutputs; i++) {
		if (!output_path(&rc->key, e.outputs[i].role)) {
			*note = xasprintf("bad entry: unexpected output %s", e.outputs[i].role);
			goto out;
		}
		strbuf_init(&objs[nobjs++], 0);
		struct strbuf *o = &objs[nobjs - 1];
		g = cache_get(rc->backend, CACHE_CAS, e.outputs[i].sha256, o, &cause);
		if (g <= 0) {
			*note =
			    g < 0 ? cause : xasprintf("object %.12s missing", e.outputs[i].sha256);
			ret = g < 0 ? -1 : 0;
			goto out;
		}
		char hex[65];
		if (o->len != e.outputs[i].size) {
			*note = xasprintf("object %.12s: %zu bytes, the entry says %llu",
			                  e.outputs[i].sha256, o->len,
			                  (unsigned long long)e.outputs[i].size);
			goto out;
		}
		if (sha256_hex(o->buf, o->len, hex, &cause) < 0) {
			*note = cause;
			ret = -1;
			goto out;
		}
		if (strcmp(hex, e.outputs[i].sha256) != 0) {
			*note = xasprintf("object %.12s: content hashes to %.12s",
			                  e.outputs[i].sha256, hex);
			goto out;
		}
	}
	/* Verified: put every output in place. */
	*bytes = 0;
	for (size_t i = 0; i < e.noutputs; i++) {
		if (write_atomic(output_path(&rc->key, e.outputs[i].role), objs[i].buf, objs[i].len,
		                 &cause) < 0) {
			*note = cause;
			goto out;
		}
		*bytes += (long long)objs[i].len;
	}
	*saved = e.tool_ns;
	ret = 1;
out:
	for (size_t i = 0; i < nobjs; i++)
		strbuf_release(&objs[i]);
	strbuf_release(&buf);
	return ret;
}

void rcache_init(struct rcache *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->out_fd = rc->err_fd = -1;
	cache_settings_init(&rc->settings);
}

int rcache_begin(struct rcache *rc, const char *session, const struct tool_invocation *known,
                 int argc, char **run_argv, const char *salt, struct event *ev)
{
	char *cause = NULL;
	rcache_init(rc);
	rc->session = session;
	if (session) {
		if (cache_settings_read(session, &rc->settings, &cause) <= 0) {
			free(cause);
			return 0;
		}
	} else if (cache_settings_resolve(NULL, &rc->settings, &cause) < 0) {
		free(cause); /* a bad GOLIVE_CACHE: no cache (golive build reports it) */
		return 0;
	}
	if (rc->settings.mode == CACHE_MODE_OFF || !rc->settings.backend)
		return 0;

	struct tool_invocation own;
	char **av = NULL;
	if (!known) {
		/* toolargs wants main()'s argv: a placeholder for "golive", then the tool. */
		av = xcalloc((size_t)argc + 2, sizeof(char *));
		av[0] = (char *)"golive";
		for (int i = 0; i < argc; i++)
			av[i + 1] = run_argv[i];
		toolargs_classify(&own, argc + 1, av);
	}
	const struct tool_invocation *ti = known ? known : &own;
	int ret = 0;
	int64_t t0 = now_mono_ns();
	if (ti->kind != TOOL_COMPILE || ti->probe)
		goto out;
	rc->down = down_path(session, ti->output);
	if (is_down(rc)) {
		set_outcome(ev, "skipped", NULL);
		goto out;
	}
	struct strbuf answer = STRBUF_INIT;
	if (tool_answer(session, run_argv[0], salt, &answer, &cause) < 0) {
		set_outcome(ev, "error", cause);
		strbuf_release(&answer);
		goto out;
	}
	if (session) {
		char *memo = xasprintf("%s/hashes", session);
		cache_key_set_memo_dir(memo);
		free(memo);
	}
	int k = cache_key_compute(ti, answer.buf, &rc->key, &cause);
	cache_key_set_memo_dir(NULL);
	strbuf_release(&answer);
	if (k <= 0) {
		set_outcome(ev, k == 0 ? "uncacheable" : "error", cause);
		goto out;
	}
	ev->rcache_key = xstrdup(rc->key.hex);
	ev->rcache_dir_bound = rc->key.dir_bound;
	const char *hk = getenv("GOLIVE_CACHE_HMAC_KEY");
	rc->hmac_key = hk && *hk ? xstrdup(hk) : NULL;
	struct cache_backend_options bo = {rc->settings.backend, rc->settings.timeout_ms,
	                                   rc->settings.ttl_s, rc->settings.prefix,
	                                   (size_t)rc->settings.max_object};
	if (cache_backend_open(&bo, &rc->backend, &cause) < 0) {
		trip(rc, cause);
		set_outcome(ev, "error", cause);
		goto out;
	}
	long long bytes = 0;
	int64_t saved = 0;
	char *note = NULL;
	int r = lookup(rc, &bytes, &saved, &note);
	if (r == 1) {
		set_outcome(ev, "hit", NULL);
		ev->rcache_bytes = bytes;
		ev->rcache_saved_ns = saved;
		ret = 1;
	} else if (r < 0) {
		/* The cache is off for the rest of the build: nothing is stored either. */
		trip(rc, note);
		set_outcome(ev, "error", note);
	} else {
		set_outcome(ev, "miss", note);
		rc->active = 1;
		rc->capture = rc->settings.mode == CACHE_MODE_READ_WRITE;
	}
out:
	ev->rcache_ns = now_mono_ns() - t0;
	if (!known)
		toolargs_release(&own);
	free(av);
	return ret;
}

/* ---- the miss: capture, relay, store ------------------------------------------ */

static int same_file(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

void rcache_capture(struct rcache *rc, struct proc_opts *opts)
{
	if (!rc->capture)
		return;
	rc->out_fd = memfd_create("golive-tool-out", MFD_CLOEXEC);
	if (rc->out_fd < 0) {
		rc->capture = 0;
		return;
	}
	if (same_file(1, 2)) {
		rc->err_fd = rc->out_fd;
	} else {
		rc->err_fd = memfd_create("golive-tool-err", MFD_CLOEXEC);
		if (rc->err_fd < 0) {
			close(rc->out_fd);
			rc->out_fd = -1;
			rc->capture = 0;
			return;
		}
	}
	opts->stdout_fd = rc->out_fd;
	opts->stderr_fd = rc->err_fd;
}

/* Copies what the tool wrote to memfd fd onto to; returns the byte count. */
static off_t relay(int fd, int to)
{
	off_t n = lseek(fd, 0, SEEK_END);
	char buf[65536];
	if (n <= 0 || lseek(fd, 0, SEEK_SET) < 0)
		return n < 0 ? 0 : n;
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(to, buf, (size_t)r) < 0)
			break;
	return n;
}

/* The uploader's work, in the detached child. Returns the line for rcache.jsonl. */
static char *upload(struct rcache *rc, const struct cache_entry *e, struct strbuf *objs,
                    const char *manifest, size_t mlen)
{
	char *cause = NULL;
	long long sent = 0;
	int64_t t0 = now_mono_ns();
	struct cache_backend *b = NULL;
	struct cache_backend_options bo = {rc->settings.backend, rc->settings.timeout_ms,
	                                   rc->settings.ttl_s, rc->settings.prefix,
	                                   (size_t)rc->settings.max_object};
	if (cache_backend_open(&bo, &b, &cause) < 0)
		goto done;
	/*
	 * Every object is sent even when one of that name exists: a corrupted
	 * copy (the reason this compile missed) must not outlive the upload.
	 */
	for (size_t i = 0; i < e->noutputs; i++) {
		if (cache_put(b, CACHE_CAS, e->outputs[i].sha256, objs[i].buf, objs[i].len,
		              &cause) < 0)
			goto done;
		sent += (long long)objs[i].len;
	}
	/* The manifest last: a reader never finds an entry whose objects are not there yet. */
	if (cache_put(b, CACHE_AC, rc->key.hex, manifest, mlen, &cause) < 0)
		goto done;
	sent += (long long)mlen;
done:
	if (cause)
		trip(rc, cause);
	if (b)
		cache_backend_close(b);
	json_t *o = json_object();
	json_object_set_new(o, "key", json_string(rc->key.hex));
	json_object_set_new(o, "bytes", json_integer(sent));
	json_object_set_new(o, "ns", json_integer(now_mono_ns() - t0));
	if (cause)
		json_object_set_new(o, "error", json_string(cause));
	free(cause);
	size_t len;
	return jsonl_encode(o, &len);
}

/* Forks the uploader: detached from go's pipes, holding the session's upload lock. */
static void start_upload(struct rcache *rc, const struct cache_entry *e, struct strbuf *objs,
                         const char *manifest, size_t mlen)
{
	int lock = -1;
	if (rc->session) {
		char *p = xasprintf("%s/%s", rc->session, RCACHE_LOCK_FILE);
		lock = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		free(p);
		if (lock >= 0 && flock(lock, LOCK_SH) < 0) {
			close(lock);
			lock = -1;
		}
	}
	pid_t pid = fork();
	if (pid != 0) {
		if (lock >= 0)
			close(lock); /* the child's copy keeps the lock */
		return;
	}
	/* The uploader. go waits for EOF on the wrapper's fds 0-2: let go of them first. */
	setsid();
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul >= 0) {
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
	}
	if (lock >= 0 && lock != 3) {
		dup2(lock, 3);
		lock = 3;
	}
	for (int fd = lock >= 0 ? 4 : 3; fd < 1024; fd++)
		close(fd);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* A bound on the whole upload: every request is bounded, this caps the sum. */
	unsigned secs =
	    (unsigned)((rc->settings.timeout_ms * (long)(2 * e->noutputs + 2)) / 1000 + 1);
	alarm(secs);
	if (is_down(rc))
		_exit(0); /* another wrapper's request failed meanwhile */
	char *line = upload(rc, e, objs, manifest, mlen);
	if (line && rc->session) {
		char *p = xasprintf("%s/%s", rc->session, RCACHE_UPLOADS_FILE);
		int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			(void)!write(fd, line, strlen(line));
			close(fd);
		}
		free(p);
	}
	_exit(0);
}

static void store(struct rcache *rc, int64_t tool_ns, struct event *ev)
{
	struct cache_entry e;
	struct strbuf objs[CACHE_MAX_OUTPUTS];
	char *cause = NULL;
	size_t n = 0;
	memset(&e, 0, sizeof(e));
	memcpy(e.key, rc->key.hex, sizeof(e.key));
	snprintf(e.tool, sizeof(e.tool), "compile");
	snprintf(e.golive, sizeof(e.golive), "%s", GOLIVE_VERSION_STRING);
	e.tool_ns = tool_ns;
	e.created = (int64_t)time(NULL);
	long long total = 0;
	for (size_t i = 0; i < rc->key.noutputs; i++) {
		struct cache_entry_output *o = &e.outputs[i];
		strbuf_init(&objs[n++], 0);
		/* Read now: go rewrites the build ID in the -o file once the wrapper exits. */
		if (strbuf_read_file(&objs[i], rc->key.outputs[i].path,
		                     (size_t)rc->settings.max_object + 1) < 0) {
			cause = xasprintf("%s: %s", rc->key.outputs[i].path, strerror(errno));
			goto out;
		}
		if (objs[i].len > rc->settings.max_object) {
			cause = xasprintf("%s is larger than cache.max_object",
			                  rc->key.outputs[i].path);
			goto out;
		}
		snprintf(o->role, sizeof(o->role), "%s", rc->key.outputs[i].role);
		o->size = objs[i].len;
		if (sha256_hex(objs[i].buf, objs[i].len, o->sha256, &cause) < 0)
			goto out;
		total += (long long)objs[i].len;
	}
	e.noutputs = rc->key.noutputs;
	size_t mlen = 0;
	char *manifest = cache_entry_encode(&e, rc->hmac_key, &mlen, &cause);
	if (!manifest)
		goto out;
	start_upload(rc, &e, objs, manifest, mlen);
	free(manifest);
	ev->rcache_store = 1;
	ev->rcache_bytes = total;
out:
	if (cause) {
		free(ev->rcache_note);
		ev->rcache_note = cause;
	}
	for (size_t i = 0; i < n; i++)
		strbuf_release(&objs[i]);
}

void rcache_end(struct rcache *rc, int status, int64_t tool_ns, struct event *ev)
{
	off_t printed = 0;
	if (rc->out_fd >= 0)
		printed += relay(rc->out_fd, 1);
	if (rc->err_fd >= 0 && rc->err_fd != rc->out_fd)
		printed += relay(rc->err_fd, 2);
	if (!rc->active || !rc->capture || rc->settings.mode != CACHE_MODE_READ_WRITE)
		return;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return; /* failed: never stored */
	if (printed) {
		free(ev->rcache_note);
		ev->rcache_note = xstrdup("not stored: the compiler printed output");
		return;
	}
	if (is_down(rc))
		return; /* a failure while the compiler ran turned the cache off */
	store(rc, tool_ns, ev);
}

void rcache_release(struct rcache *rc)
{
	if (rc->err_fd >= 0 && rc->err_fd != rc->out_fd)
		close(rc->err_fd);
	if (rc->out_fd >= 0)
		close(rc->out_fd);
	if (rc->backend)
		cache_backend_close(rc->backend);
	if (rc->key.hex[0])
		cache_key_release(&rc->key);
	cache_settings_release(&rc->settings);
	free(rc->hmac_key);
	free(rc->down);
	rcache_init(rc);
}

int rcache_wait_uploads(const char *session, long max_ms)
{
	char *p = xasprintf("%s/%s", session, RCACHE_LOCK_FILE);
	int fd = open(p, O_RDWR | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return 1;
	int64_t deadline = now_mono_ns() + (int64_t)max_ms * 1000000;
	int done = 0;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			done = 1;
			break;
		}
		if (now_mono_ns() >= deadline)
			break;
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
	close(fd);
	return done;
}
