/*
 * cache_prog.c - `golive cache prog`, the shared cache as a GOCACHEPROG
 * program (see cache_prog.h); the protocol is in cache_prog_proto.c.
 *
 * One thread reads go's requests in order and answers what it can at once:
 * local hits and misses, puts (the body is streamed from base64 into a temp
 * file, hashed on the way, renamed into place) and close. A get that misses
 * locally goes to a small pool of getter threads when a remote is on; puts
 * go to one uploader thread. Each of those threads opens its own backend (a
 * backend is used by one thread at a time). Answers are whole lines written
 * under one mutex, so threads never interleave them.
 */
#define _GNU_SOURCE
#include "cache/cache_prog.h"
#include "cache/cache_backend.h"
#include "cache/cache_entry.h"
#include "core/crypto.h"
#include "core/jsonl.h"
#include "core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define PROG_TOOL       "cacheprog" /* the manifests' tool */
#define SHORT_HEX       12
#define ENTRY_MAX       4096 /* bytes of a local a/ entry */
#define TOUCH_AFTER_S   3600 /* a used file's mtime is refreshed when older */
#define TRIM_EVERY_S    86400
#define TRIM_UNUSED_S   (5 * 86400)
#define DEFAULT_FLUSH   30000
#define DEFAULT_GETTERS 4
#define MAX_QUEUE       100000 /* pending uploads; more are dropped (counted) */

/* ---- the program ---------------------------------------------------------------- */

struct get_job {
	int64_t id;
	unsigned char aid[PROG_ID_SIZE];
};

struct up_job {
	char action[2 * PROG_ID_SIZE + 1]; /* hex */
	char sha[65];                      /* the body's sha256 = its OutputID */
	uint64_t size;
	int64_t time_ns;
};

struct prog {
	const struct cache_prog_options *o;
	char *dir;
	uint64_t max_object;
	pthread_mutex_t out_mu; /* one response line at a time */
	int out_broken;         /* under out_mu: writing to go failed */
	pthread_mutex_t err_mu; /* one message line at a time */

	/* the remote */
	int remote, upload;
	char *display;
	struct cache_backend_options bo;
	atomic_int remote_off;
	char *off_cause; /* under mu */
	atomic_int bad_said;

	pthread_mutex_t mu; /* guards the queues and off_cause */
	pthread_cond_t get_cv, up_cv, up_done_cv;
	ARRAY(struct get_job) gets;
	size_t gets_head;
	int gets_closing;
	pthread_t getters[16];
	int ngetters;
	ARRAY(struct up_job) ups;
	size_t ups_head;
	int ups_draining, ups_abort, up_exited, uploader_started;
	pthread_t uploader;

	/* figures */
	atomic_llong n_gets, local_hits, remote_hits, misses, bad, n_puts, put_errors, uploads,
	    upload_errors, dropped, fetched_bytes, uploaded_bytes;
};

static PRINTF_LIKE(2, 3) void say(struct prog *p, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_addstr(&sb, "golive cache prog: ");
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_addch(&sb, '\n');
	pthread_mutex_lock(&p->err_mu);
	(void)write_all(p->o->err_fd, sb.buf, sb.len);
	pthread_mutex_unlock(&p->err_mu);
	strbuf_release(&sb);
}

static void respond(struct prog *p, const struct prog_response *resp)
{
	size_t len;
	char *line = prog_response_encode(resp, &len);

	pthread_mutex_lock(&p->out_mu);
	if (!p->out_broken && write_all(p->o->out_fd, line, len) < 0)
		p->out_broken = 1;
	pthread_mutex_unlock(&p->out_mu);
	free(line);
}

static void respond_miss(struct prog *p, int64_t id)
{
	struct prog_response r = {0};

	r.id = id;
	r.miss = 1;
	p->misses++;
	respond(p, &r);
}

static void respond_err(struct prog *p, int64_t id, const char *err)
{
	struct prog_response r = {0};

	r.id = id;
	r.err = err;
	respond(p, &r);
}

/* The first failure of the remote: off for the rest of the run, one warning. */
static void remote_fail(struct prog *p, const char *cause)
{
	if (atomic_exchange(&p->remote_off, 1))
		return;
	pthread_mutex_lock(&p->mu);
	p->off_cause = xstrdup(cause);
	pthread_mutex_unlock(&p->mu);
	say(p,
	    "warning: remote cache %s: %s; off for the rest of this run (the local cache goes on)",
	    p->display, cause);
}

/* A remote entry that was refused: counted, and the first one said. */
static void remote_bad(struct prog *p, const char *key, const char *why)
{
	p->bad++;
	if (!atomic_exchange(&p->bad_said, 1))
		say(p, "remote entry %.*s refused (a miss): %s", SHORT_HEX, key, why);
}

/* <dir>/<kind>/<xx>/<hex> (malloc'd). */
static char *local_path(const struct prog *p, const char *kind, const char *hex)
{
	return xasprintf("%s/%s/%.2s/%s", p->dir, kind, hex, hex);
}

/* Renames tmp to path, making path's directory when missing. 0, or -1 (errno). */
static int place(const char *tmp, const char *path)
{
	if (rename(tmp, path) == 0)
		return 0;
	if (errno == ENOENT) {
		char *d = xstrndup(path, (size_t)(strrchr(path, '/') - path));
		int ok = mkdir_p(d, 0777) == 0;
		free(d);
		if (ok && rename(tmp, path) == 0)
			return 0;
	}
	return -1;
}

/* A new temp file in <dir>/tmp (its path into *tmp). The fd, or -1 with errno. */
static int temp_file(const struct prog *p, char **tmp)
{
	int fd;

	*tmp = xasprintf("%s/tmp/b-XXXXXX", p->dir);
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		char *d = xasprintf("%s/tmp", p->dir);
		mkdir_p(d, 0777);
		free(d);
		strcpy(*tmp + strlen(*tmp) - 6, "XXXXXX");
		fd = mkostemp(*tmp, O_CLOEXEC);
	}
	if (fd >= 0)
		(void)fchmod(fd, 0644);
	return fd;
}

/* Writes buf to path through a temp file and rename. 0, or -1 with *cause. */
static int local_write(const struct prog *p, const char *path, const void *buf, size_t n,
                       char **cause)
{
	char *tmp = NULL;
	int fd = temp_file(p, &tmp), ret = -1;

	if (fd < 0) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, buf, n) < 0 || close(fd) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		*cause = xasprintf("%s: %s", tmp, strerror(e));
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (place(tmp, path) < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	return ret;
}

/* Writes a/<action>: the entry naming the body. 0, or -1 with *cause. */
static int local_entry_write(const struct prog *p, const char *action_hex, const char *out_hex,
                             uint64_t size, int64_t time_ns, char **cause)
{
	json_t *o = json_object();
	char *path = local_path(p, "a", action_hex), *line;
	size_t len;
	int ret;

	json_object_set_new(o, "output", json_string(out_hex));
	json_object_set_new(o, "size", json_integer((json_int_t)size));
	json_object_set_new(o, "time", json_integer((json_int_t)time_ns));
	line = jsonl_encode(o, &len);
	ret = local_write(p, path, line, len, cause);
	free(line);
	free(path);
	return ret;
}

/* Refreshes path's mtime when older than TOUCH_AFTER_S (the trim keeps used files). */
static void touch_used(const char *path, const struct stat *st)
{
	if (time(NULL) - st->st_mtime > TOUCH_AFTER_S)
		(void)utimensat(AT_FDCWD, path, NULL, 0);
}

struct local_hit {
	unsigned char out[PROG_ID_SIZE];
	uint64_t size;
	int64_t time_ns;
	char *path; /* the body */
};

/* 1 with *h filled (h->path malloc'd), or 0 when this directory has no usable entry. */
static int local_lookup(const struct prog *p, const char *action_hex, struct local_hit *h)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = local_path(p, "a", action_hex);
	json_t *o = NULL, *size, *t;
	const char *out;
	struct stat st;
	int ret = 0;

	memset(h, 0, sizeof(*h));
	if (strbuf_read_file(&sb, path, ENTRY_MAX) < 0)
		goto out;
	o = json_loadb(sb.buf, sb.len, JSON_REJECT_DUPLICATES, NULL);
	out = json_string_value(json_object_get(o, "output"));
	size = json_object_get(o, "size");
	t = json_object_get(o, "time");
	if (!out || !json_is_integer(size) || json_integer_value(size) < 0 || !json_is_integer(t) ||
	    json_integer_value(t) < 0 || prog_from_hex64(out, h->out) < 0)
		goto out;
	h->size = (uint64_t)json_integer_value(size);
	h->time_ns = (int64_t)json_integer_value(t);
	h->path = local_path(p, "o", out);
	if (stat(h->path, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != h->size) {
		free(h->path);
		h->path = NULL;
		goto out;
	}
	touch_used(h->path, &st);
	if (stat(path, &st) == 0)
		touch_used(path, &st);
	ret = 1;
out:
	json_decref(o);
	strbuf_release(&sb);
	free(path);
	return ret;
}

static void respond_hit(struct prog *p, int64_t id, const struct local_hit *h)
{
	struct prog_response r = {0};

	r.id = id;
	r.output_id = h->out;
	r.size = (int64_t)h->size;
	r.time_ns = h->time_ns;
	r.disk_path = h->path;
	respond(p, &r);
}

/* ---- remote gets ------------------------------------------------------------------ */

/* Opens *b when it is not yet; 0, or -1 after turning the remote off. */
static int ensure_backend(struct prog *p, struct cache_backend **b)
{
	char *cause = NULL;

	if (*b)
		return 0;
	if (cache_backend_open(&p->bo, b, &cause) == 0)
		return 0;
	remote_fail(p, cause);
	free(cause);
	*b = NULL;
	return -1;
}

/*
 * Asks the remote for job's action; answers go either way. A request that
 * fails turns the remote off; an entry or object that is wrong is a miss.
 */
static void remote_get(struct prog *p, struct cache_backend **b, const struct get_job *job,
                       struct strbuf *buf)
{
	struct cache_entry e;
	struct local_hit h = {0};
	char key[65], action_hex[2 * PROG_ID_SIZE + 1], sha[65], *cause = NULL, *path = NULL;
	const struct cache_entry_output *out;
	int64_t created_ns;
	int rc;

	if (p->remote_off || ensure_backend(p, b) < 0)
		goto miss;
	if (prog_remote_key(job->aid, key, &cause) < 0) {
		remote_fail(p, cause);
		goto miss;
	}
	rc = cache_get(*b, CACHE_AC, key, buf, &cause);
	if (rc < 0)
		remote_fail(p, cause);
	if (rc <= 0)
		goto miss;
	if (cache_entry_decode(buf->buf, buf->len, key, p->o->hmac_key, p->max_object, &e, &cause) <
	    0) {
		remote_bad(p, key, cause);
		goto miss;
	}
	if (strcmp(e.tool, PROG_TOOL) != 0 || e.noutputs != 1) {
		remote_bad(p, key, "manifest: not a cacheprog entry");
		goto miss;
	}
	out = &e.outputs[0];
	rc = cache_get(*b, CACHE_CAS, out->sha256, buf, &cause);
	if (rc < 0)
		remote_fail(p, cause);
	if (rc < 0)
		goto miss;
	if (rc == 0) {
		free(cause);
		cause = xasprintf("object %.*s: missing", SHORT_HEX, out->sha256);
		remote_bad(p, key, cause);
		goto miss;
	}
	if (buf->len != out->size) {
		cause = xasprintf("object %.*s: %zu bytes, the manifest says %" PRIu64, SHORT_HEX,
		                  out->sha256, buf->len, out->size);
		remote_bad(p, key, cause);
		goto miss;
	}
	if (sha256_hex(buf->buf, buf->len, sha, &cause) < 0) {
		remote_fail(p, cause);
		goto miss;
	}
	if (strcmp(sha, out->sha256) != 0) {
		cause = xasprintf("object %.*s: content hashes to %.*s", SHORT_HEX, out->sha256,
		                  SHORT_HEX, sha);
		remote_bad(p, key, cause);
		goto miss;
	}
	/* verified: into the local directory, then the answer */
	prog_to_hex(job->aid, PROG_ID_SIZE, action_hex);
	path = local_path(p, "o", sha);
	created_ns = e.created <= INT64_MAX / 1000000000 ? e.created * 1000000000 : now_unix_ns();
	if (local_write(p, path, buf->buf, buf->len, &cause) < 0 ||
	    local_entry_write(p, action_hex, sha, out->size, created_ns, &cause) < 0) {
		say(p, "request %" PRId64 ": %s", job->id, cause);
		goto miss;
	}
	prog_from_hex64(sha, h.out);
	h.size = out->size;
	h.time_ns = created_ns;
	h.path = path;
	p->remote_hits++;
	p->fetched_bytes += (long long)buf->len;
	respond_hit(p, job->id, &h);
	goto out;
miss:
	respond_miss(p, job->id);
out:
	free(path);
	free(cause);
}

static void *getter_main(void *arg)
{
	struct prog *p = arg;
	struct cache_backend *b = NULL;
	struct strbuf buf = STRBUF_INIT;

	for (;;) {
		struct get_job job;

		pthread_mutex_lock(&p->mu);
		while (p->gets_head == p->gets.n && !p->gets_closing)
			pthread_cond_wait(&p->get_cv, &p->mu);
		if (p->gets_head == p->gets.n) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		job = p->gets.v[p->gets_head++];
		if (p->gets_head == p->gets.n)
			p->gets_head = p->gets.n = 0;
		pthread_mutex_unlock(&p->mu);
		remote_get(p, &b, &job, &buf);
	}
	if (b)
		cache_backend_close(b);
	strbuf_release(&buf);
	return NULL;
}

/* ---- uploads ------------------------------------------------------------------------ */

/* Uploads one put: the object, then its manifest. */
static void upload_one(struct prog *p, struct cache_backend **b, const struct up_job *job,
                       struct strbuf *buf)
{
	struct cache_entry e;
	unsigned char aid[PROG_ID_SIZE];
	char key[65], sha[65], *cause = NULL, *path = local_path(p, "o", job->sha),
	                       *manifest = NULL;
	size_t mlen;

	if (ensure_backend(p, b) < 0) {
		p->dropped++;
		goto out;
	}
	strbuf_reset(buf);
	if (strbuf_read_file(buf, path, (size_t)job->size + 1) < 0 || buf->len != job->size ||
	    sha256_hex(buf->buf, buf->len, sha, &cause) < 0 || strcmp(sha, job->sha) != 0) {
		/* the local file went away or changed since the put: nothing to vouch for */
		p->upload_errors++;
		goto out;
	}
	prog_from_hex64(job->action, aid);
	if (prog_remote_key(aid, key, &cause) < 0) {
		p->upload_errors++;
		goto out;
	}
	memset(&e, 0, sizeof(e));
	memcpy(e.key, key, sizeof(e.key));
	snprintf(e.tool, sizeof(e.tool), "%s", PROG_TOOL);
	snprintf(e.golive, sizeof(e.golive), "%s", GOLIVE_VERSION_STRING);
	e.created = job->time_ns / 1000000000;
	e.noutputs = 1;
	snprintf(e.outputs[0].role, sizeof(e.outputs[0].role), "o");
	memcpy(e.outputs[0].sha256, job->sha, sizeof(e.outputs[0].sha256));
	e.outputs[0].size = job->size;
	manifest = cache_entry_encode(&e, p->o->hmac_key, &mlen, &cause);
	if (!manifest) {
		say(p, "cannot upload %.*s: %s", SHORT_HEX, job->action, cause);
		p->upload_errors++;
		goto out;
	}
	if (cache_put(*b, CACHE_CAS, job->sha, buf->buf, buf->len, &cause) < 0 ||
	    cache_put(*b, CACHE_AC, key, manifest, mlen, &cause) < 0) {
		remote_fail(p, cause);
		p->upload_errors++;
		goto out;
	}
	p->uploads++;
	p->uploaded_bytes += (long long)buf->len;
out:
	free(manifest);
	free(cause);
	free(path);
}

static void *uploader_main(void *arg)
{
	struct prog *p = arg;
	struct cache_backend *b = NULL;
	struct strbuf buf = STRBUF_INIT;

	for (;;) {
		struct up_job job;

		pthread_mutex_lock(&p->mu);
		while (p->ups_head == p->ups.n && !p->ups_draining)
			pthread_cond_wait(&p->up_cv, &p->mu);
		if (p->ups_head == p->ups.n || p->ups_abort) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		job = p->ups.v[p->ups_head++];
		if (p->ups_head == p->ups.n)
			p->ups_head = p->ups.n = 0;
		pthread_mutex_unlock(&p->mu);
		if (p->remote_off)
			p->dropped++;
		else
			upload_one(p, &b, &job, &buf);
	}
	if (b)
		cache_backend_close(b);
	strbuf_release(&buf);
	pthread_mutex_lock(&p->mu);
	p->up_exited = 1;
	pthread_cond_broadcast(&p->up_done_cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Waits up to flush_ms for the uploads; what is left then is dropped. */
static void flush_uploads(struct prog *p)
{
	struct timespec deadline;
	long ms = p->o->flush_ms > 0 ? p->o->flush_ms : DEFAULT_FLUSH;
	size_t left = 0;

	if (!p->uploader_started)
		return;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	p->ups_draining = 1;
	pthread_cond_broadcast(&p->up_cv);
	while (!p->up_exited)
		if (pthread_cond_timedwait(&p->up_done_cv, &p->mu, &deadline) == ETIMEDOUT)
			break;
	if (!p->up_exited) {
		/* the job in flight ends within one request's timeout */
		p->ups_abort = 1;
		left = p->ups.n - p->ups_head;
	}
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->uploader, NULL);
	if (left) {
		p->dropped += (long long)left;
		say(p, "%zu uploads not done after %ld ms: left out", left, ms);
	}
}

static void queue_upload(struct prog *p, const struct up_job *job)
{
	pthread_mutex_lock(&p->mu);
	if (p->ups.n - p->ups_head >= MAX_QUEUE) {
		p->dropped++;
	} else {
		ARRAY_PUSH(p->ups, *job);
		pthread_cond_signal(&p->up_cv);
	}
	pthread_mutex_unlock(&p->mu);
}

/* ---- requests of the main thread ---------------------------------------------------- */

static void do_get(struct prog *p, const struct prog_request *req)
{
	struct local_hit h;
	char hex[2 * PROG_ID_SIZE + 1];

	p->n_gets++;
	prog_to_hex(req->action_id, PROG_ID_SIZE, hex);
	if (local_lookup(p, hex, &h)) {
		p->local_hits++;
		respond_hit(p, req->id, &h);
		free(h.path);
		return;
	}
	if (p->ngetters && !p->remote_off) {
		struct get_job job;
		job.id = req->id;
		memcpy(job.aid, req->action_id, sizeof(job.aid));
		pthread_mutex_lock(&p->mu);
		ARRAY_PUSH(p->gets, job);
		pthread_cond_signal(&p->get_cv);
		pthread_mutex_unlock(&p->mu);
		return;
	}
	respond_miss(p, req->id);
}

/* Where a put's body goes: the temp file and the hash. */
struct put_sink {
	int fd;
	int err; /* errno of the failed write */
	struct sha256_ctx *sha;
};

static int put_write(void *arg, const void *buf, size_t n)
{
	struct put_sink *s = arg;

	if (s->sha)
		sha256_update(s->sha, buf, n);
	if (s->fd >= 0 && write_all(s->fd, buf, n) < 0) {
		s->err = errno;
		return -1;
	}
	return 0;
}

static int drop_bytes(void *arg, const void *buf, size_t n)
{
	(void)arg;
	(void)buf;
	(void)n;
	return 0;
}

/* Reads the body of a put that is refused (why) and answers with the error. -1: broken. */
static int refuse_put(struct prog *p, struct prog_reader *r, const struct prog_request *req,
                      const char *why, char **fatal)
{
	char *cause = NULL;

	if (req->body_size > 0 &&
	    prog_reader_body(r, req->body_size, drop_bytes, NULL, &cause) < 0) {
		*fatal = cause;
		return -1;
	}
	free(cause); /* the body was refused anyway */
	say(p, "request %" PRId64 " (line %lu): %s", req->id, req->line, why);
	respond_err(p, req->id, why);
	p->put_errors++;
	return 0;
}

/* A put: the body into the local directory, the answer, the upload. -1: the stream broke. */
static int do_put(struct prog *p, struct prog_reader *r, const struct prog_request *req,
                  char **fatal)
{
	struct put_sink s = {-1, 0, NULL};
	struct prog_response resp = {0};
	char out_hex[2 * PROG_ID_SIZE + 1], action_hex[2 * PROG_ID_SIZE + 1], sha[65] = "";
	char *tmp = NULL, *path = NULL, *cause = NULL, *why = NULL;
	int64_t now = now_unix_ns();
	int rc, ret = 0;

	p->n_puts++;
	if ((uint64_t)req->body_size > p->max_object) {
		why = xasprintf("body of %" PRId64 " bytes is over cache.max_object (%" PRIu64
		                "): not cached",
		                req->body_size, p->max_object);
		ret = refuse_put(p, r, req, why, fatal);
		goto out;
	}
	prog_to_hex(req->output_id, PROG_ID_SIZE, out_hex);
	prog_to_hex(req->action_id, PROG_ID_SIZE, action_hex);
	s.fd = temp_file(p, &tmp);
	if (s.fd < 0) {
		why = xasprintf("%s: %s", tmp, strerror(errno));
		ret = refuse_put(p, r, req, why, fatal);
		goto out;
	}
	s.sha = sha256_new(&cause); /* NULL without libcrypto: stored, never uploaded */
	if (req->body_size > 0) {
		rc = prog_reader_body(r, req->body_size, put_write, &s, &why);
		if (rc < 0) {
			*fatal = why;
			why = NULL;
			ret = -1;
			goto out;
		}
		if (rc > 0) {
			if (s.err) {
				free(why);
				why = xasprintf("%s: %s", tmp, strerror(s.err));
			}
			goto fail;
		}
	}
	if (s.sha && sha256_final_hex(s.sha, sha, &cause) < 0)
		sha[0] = '\0';
	rc = close(s.fd);
	s.fd = -1;
	path = local_path(p, "o", out_hex);
	if (rc < 0 || place(tmp, path) < 0) {
		why = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	free(tmp);
	tmp = NULL;
	if (local_entry_write(p, action_hex, out_hex, (uint64_t)req->body_size, now, &why) < 0)
		goto fail;
	resp.id = req->id;
	resp.disk_path = path;
	respond(p, &resp);
	/* go names a body by its sha256: only such a body can be checked by readers */
	if (p->uploader_started && !p->remote_off && !strcmp(sha, out_hex)) {
		struct up_job job;
		memcpy(job.action, action_hex, sizeof(job.action));
		memcpy(job.sha, sha, sizeof(job.sha));
		job.size = (uint64_t)req->body_size;
		job.time_ns = now;
		queue_upload(p, &job);
	}
	goto out;
fail:
	say(p, "request %" PRId64 " (line %lu): %s", req->id, req->line, why);
	respond_err(p, req->id, why);
	p->put_errors++;
out:
	if (s.fd >= 0)
		close(s.fd);
	if (tmp)
		unlink(tmp);
	sha256_free(s.sha);
	free(tmp);
	free(path);
	free(cause);
	free(why);
	return ret;
}

/* ---- trimming ------------------------------------------------------------------------ */

/* Removes the files of dir/<xx>/ not used for max_age seconds. */
static void trim_kind(const char *dir, time_t now, time_t max_age, int flat)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!flat && S_ISDIR(st.st_mode)) {
			char *sub = xasprintf("%s/%s", dir, de->d_name);
			trim_kind(sub, now, max_age, 1);
			free(sub);
		} else if (S_ISREG(st.st_mode) && now - st.st_mtime > max_age) {
			unlinkat(dirfd(d), de->d_name, 0);
		}
	}
	closedir(d);
}

/* About once a day: files unused for TRIM_UNUSED_S go (like go's own cache trim). */
static void trim(struct prog *p)
{
	char *stamp = xasprintf("%s/trim.txt", p->dir), *d;
	time_t now = time(NULL);
	struct stat st;
	int fd;

	if (stat(stamp, &st) == 0 && now - st.st_mtime < TRIM_EVERY_S)
		goto out;
	fd = open(stamp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	d = xasprintf("%s/a", p->dir);
	trim_kind(d, now, TRIM_UNUSED_S, 0);
	free(d);
	d = xasprintf("%s/o", p->dir);
	trim_kind(d, now, TRIM_UNUSED_S, 0);
	free(d);
	d = xasprintf("%s/tmp", p->dir);
	trim_kind(d, now, TRIM_EVERY_S, 1);
	free(d);
out:
	free(stamp);
}

/* ---- run ------------------------------------------------------------------------------- */

static ssize_t fd_read(void *arg, void *buf, size_t n)
{
	return read(*(int *)arg, buf, n);
}

static void print_stats(struct prog *p)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%lld gets (%lld local hits, %lld remote hits, %lld misses), %lld puts",
	            (long long)p->n_gets, (long long)p->local_hits, (long long)p->remote_hits,
	            (long long)p->misses, (long long)p->n_puts);
	if (p->put_errors)
		strbuf_addf(&sb, " (%lld failed)", (long long)p->put_errors);
	if (p->remote) {
		strbuf_addf(&sb, "; remote %s (%s): fetched %.1f MB, uploaded %lld (%.1f MB)",
		            p->display, p->upload ? "read-write" : "read-only",
		            (double)p->fetched_bytes / 1e6, (long long)p->uploads,
		            (double)p->uploaded_bytes / 1e6);
		if (p->upload_errors || p->dropped)
			strbuf_addf(&sb, ", %lld failed, %lld not sent",
			            (long long)p->upload_errors, (long long)p->dropped);
		if (p->bad)
			strbuf_addf(&sb, ", %lld bad entries refused", (long long)p->bad);
		if (p->off_cause)
			strbuf_addf(&sb, "; off after: %s", p->off_cause);
	} else {
		strbuf_addf(&sb, "; local only (%s)", p->dir);
	}
	say(p, "%s", sb.buf);
	strbuf_release(&sb);
}

/* Sets up the remote from opts->settings; a problem is one warning and no remote. */
static void setup_remote(struct prog *p)
{
	const struct cache_settings *s = p->o->settings;
	struct cache_backend *b = NULL;
	char *cause = NULL, hex[65];

	if (!s || s->mode == CACHE_MODE_OFF || !s->backend)
		return;
	memset(&p->bo, 0, sizeof(p->bo));
	p->bo.url = s->backend;
	p->bo.timeout_ms = s->timeout_ms;
	p->bo.ttl_s = s->ttl_s;
	p->bo.prefix = s->prefix;
	p->bo.max_object = (size_t)p->max_object;
	if (cache_backend_open(&p->bo, &b, &cause) < 0) {
		say(p, "warning: %s; working as a local cache", cause);
		goto out;
	}
	p->display = xstrdup(b->display);
	cache_backend_close(b);
	if (sha256_hex("", 0, hex, &cause) < 0) {
		say(p, "warning: remote cache %s: %s; working as a local cache", p->display, cause);
		goto out;
	}
	p->remote = 1;
	p->upload = s->mode == CACHE_MODE_READ_WRITE;
out:
	free(cause);
}

int cache_prog_run(const struct cache_prog_options *opts)
{
	static const char *const known[] = {"get", "put", "close", NULL};
	struct prog *p = xcalloc(1, sizeof(*p));
	struct prog_reader *r = xmalloc(sizeof(*r));
	struct prog_response caps = {0};
	pthread_condattr_t ca;
	const char *gocache = getenv("GOCACHE");
	char *fatal = NULL, *tmpdir = NULL, *gocache_dir = NULL;
	int ret = 2, closed = 0, in_fd = opts->in_fd;

	p->o = opts;
	pthread_mutex_init(&p->out_mu, NULL);
	pthread_mutex_init(&p->err_mu, NULL);
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->get_cv, NULL);
	pthread_cond_init(&p->up_cv, NULL);
	pthread_cond_init(&p->up_done_cv, &ca);
	pthread_condattr_destroy(&ca);
	prog_reader_init(r, fd_read, &in_fd);
	signal(SIGPIPE, SIG_IGN);

	p->max_object = opts->settings && opts->settings->max_object ? opts->settings->max_object
	                                                             : (64ull << 20);
	if (opts->dir) {
		char *cwd = getcwd(NULL, 0);
		p->dir = path_join_clean(cwd ? cwd : "/", opts->dir);
		free(cwd);
	} else {
		p->dir = user_cache_dir("cacheprog");
		if (!p->dir) {
			say(p,
			    "no local directory: set HOME or XDG_CACHE_HOME to an absolute path, "
			    "or pass --dir");
			goto out;
		}
	}
	if (gocache && *gocache == '/') {
		gocache_dir = path_join_clean("/", gocache);
	} else if (!gocache || !*gocache) {
		/* go's default: os.UserCacheDir()/go-build */
		const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
		if (x && *x == '/')
			gocache_dir = xasprintf("%s/go-build", x);
		else if (h && *h == '/')
			gocache_dir = xasprintf("%s/.cache/go-build", h);
	}
	if (gocache_dir) {
		char *g = path_join_clean("/", gocache_dir);
		int bad = path_within(p->dir, g); /* through symlinks too */
		if (bad)
			say(p,
			    "%s is inside GOCACHE (%s): go owns that directory; use another "
			    "--dir",
			    p->dir, g);
		free(g);
		if (bad)
			goto out;
	}
	{
		json_t *t = json_string(p->dir);
		if (!t) {
			say(p, "%s: the directory's path is not UTF-8 (go could not be told it)",
			    p->dir);
			goto out;
		}
		json_decref(t);
	}
	tmpdir = xasprintf("%s/tmp", p->dir);
	if (mkdir_p(tmpdir, 0777) < 0 || access(tmpdir, W_OK) < 0) {
		say(p, "cannot use %s: %s", tmpdir, strerror(errno));
		goto out;
	}

	setup_remote(p);
	if (p->remote) {
		int n = opts->getters > 0 ? opts->getters : DEFAULT_GETTERS;
		if (n > (int)ARRAY_SIZE(p->getters))
			n = (int)ARRAY_SIZE(p->getters);
		for (int i = 0; i < n; i++)
			if (pthread_create(&p->getters[p->ngetters], NULL, getter_main, p) == 0)
				p->ngetters++;
		if (p->upload && pthread_create(&p->uploader, NULL, uploader_main, p) == 0)
			p->uploader_started = 1;
	}

	caps.known = known;
	respond(p, &caps);
	ret = 0;
	for (;;) {
		struct prog_request req;
		char *cause = NULL;
		int rc = prog_reader_next(r, &req, &cause);

		if (rc == 2)
			break;
		if (rc < 0) {
			fatal = cause;
			break;
		}
		if (rc == 1) {
			say(p, "request %" PRId64 " (line %lu): %s", req.id, req.line, cause);
			if (req.body_size > 0) {
				char *c2 = NULL;
				if (prog_reader_body(r, req.body_size, drop_bytes, NULL, &c2) < 0) {
					free(cause);
					fatal = c2;
					break;
				}
				free(c2);
			}
			respond_err(p, req.id, cause);
			free(cause);
			continue;
		}
		if (req.cmd == PROG_GET) {
			do_get(p, &req);
		} else if (req.cmd == PROG_PUT) {
			if (do_put(p, r, &req, &fatal) < 0)
				break;
		} else {
			closed = 1;
			caps.id = req.id;
			caps.known = NULL;
			break;
		}
	}
	if (fatal) {
		say(p, "%s", fatal);
		ret = 1;
	}

	/* the pending gets are answered, the uploads sent (bounded), then close's answer */
	pthread_mutex_lock(&p->mu);
	p->gets_closing = 1;
	pthread_cond_broadcast(&p->get_cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->ngetters; i++)
		pthread_join(p->getters[i], NULL);
	flush_uploads(p);
	trim(p);
	if (opts->stats)
		print_stats(p);
	if (closed)
		respond(p, &caps);
out:
	prog_reader_release(r);
	free(r);
	free(gocache_dir);
	free(fatal);
	free(tmpdir);
	free(p->dir);
	free(p->display);
	free(p->off_cause);
	ARRAY_FREE(p->gets);
	ARRAY_FREE(p->ups);
	pthread_cond_destroy(&p->get_cv);
	pthread_cond_destroy(&p->up_cv);
	pthread_cond_destroy(&p->up_done_cv);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->out_mu);
	pthread_mutex_destroy(&p->err_mu);
	free(p);
	return ret;
}
