/*
 * cache_prog.c - `golive cache prog`, the shared cache as a GOCACHEPROG
 * program (see cache_prog.h).
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

#define REMOTE_DOMAIN   "golive-cacheprog v1\n"
#define PROG_TOOL       "cacheprog" /* the manifests' tool */
#define SHORT_HEX       12
#define ENTRY_MAX       4096 /* bytes of a local a/ entry */
#define TOUCH_AFTER_S   3600 /* a used file's mtime is refreshed when older */
#define TRIM_EVERY_S    86400
#define TRIM_UNUSED_S   (5 * 86400)
#define DEFAULT_FLUSH   30000
#define DEFAULT_GETTERS 4
#define MAX_QUEUE       100000 /* pending uploads; more are dropped (counted) */

/* ---- small helpers ------------------------------------------------------------- */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The value of a base64 character, or -1. */
static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void prog_base64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64chars[(v >> 18) & 63];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64chars[v & 63] : '=';
	}
	out[o] = '\0';
}

long prog_base64_decode(const char *s, size_t len, unsigned char *out, size_t max)
{
	size_t o = 0;

	if (len % 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			v[j] = b64val((unsigned char)s[i + j]);
			if (v[j] < 0) {
				/* '=' only as the last one or two characters of the last quad */
				if (s[i + j] != '=' || i + 4 != len || j < 2)
					return -1;
				pad++;
				v[j] = 0;
			} else if (pad) {
				return -1;
			}
		}
		unsigned bits = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
		                (unsigned)v[3];
		if (o + 3 - (size_t)pad > max)
			return -1;
		out[o++] = (unsigned char)(bits >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(bits >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)bits;
	}
	return (long)o;
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* 64 lowercase hex digits into 32 bytes; 0, or -1. */
static int from_hex64(const char *s, unsigned char out[PROG_ID_SIZE])
{
	for (size_t i = 0; i < 2 * PROG_ID_SIZE; i++) {
		int c = s[i], v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		if (i % 2)
			out[i / 2] = (unsigned char)(out[i / 2] << 4 | v);
		else
			out[i / 2] = (unsigned char)v;
	}
	return s[2 * PROG_ID_SIZE] == '\0' ? 0 : -1;
}

/* Untrusted text for a one-line message: at most 40 bytes, odd bytes as '?'. */
static const char *quote_safe(const char *s, size_t n, char buf[48])
{
	size_t o = 0;

	for (size_t i = 0; i < n && o < 40; i++)
		buf[o++] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
	if (n > 40)
		buf[o++] = '.', buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

int prog_remote_key(const unsigned char id[PROG_ID_SIZE], char out[65], char **cause)
{
	char buf[sizeof(REMOTE_DOMAIN) + 2 * PROG_ID_SIZE];
	size_t n = sizeof(REMOTE_DOMAIN) - 1;

	memcpy(buf, REMOTE_DOMAIN, n);
	to_hex(id, PROG_ID_SIZE, buf + n);
	return sha256_hex(buf, n + 2 * PROG_ID_SIZE, out, cause);
}

/* ---- requests ------------------------------------------------------------------ */

/* A base64 ID member: absent/null (0), 32 bytes (1), or wrong (-1 with *cause). */
static int get_id(json_t *o, const char *name, unsigned char out[PROG_ID_SIZE], char **cause)
{
	json_t *v = json_object_get(o, name);
	const char *s;

	if (!v || json_is_null(v))
		return 0;
	s = json_string_value(v);
	if (!s) {
		*cause = xasprintf("%s is not a string", name);
		return -1;
	}
	if (json_string_length(v) != 44 ||
	    prog_base64_decode(s, 44, out, PROG_ID_SIZE) != PROG_ID_SIZE) {
		char q[48];
		*cause = xasprintf("%s \"%s\" is not base64 of %d bytes", name,
		                   quote_safe(s, json_string_length(v), q), PROG_ID_SIZE);
		return -1;
	}
	return 1;
}

int prog_request_parse(const char *line, size_t len, struct prog_request *req, char **cause)
{
	unsigned long lineno = req->line;
	json_error_t je;
	json_t *o, *v;
	int ret = -1, r;

	memset(req, 0, sizeof(*req));
	req->line = lineno;
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		*cause = xasprintf("not JSON: %s (column %d)", je.text, je.column);
		goto out;
	}
	if (!json_is_object(o)) {
		*cause = xstrdup("not a JSON object");
		goto out;
	}
	v = json_object_get(o, "ID");
	if (!v) {
		*cause = xstrdup("no ID");
		goto out;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		*cause = xstrdup("ID is not an integer >= 0");
		goto out;
	}
	req->id = (int64_t)json_integer_value(v);
	req->has_id = 1;
	ret = 1;

	v = json_object_get(o, "BodySize");
	if (!v || json_is_null(v)) {
		req->body_size = 0;
	} else if (json_is_integer(v) && json_integer_value(v) >= 0) {
		req->body_size = (int64_t)json_integer_value(v);
	} else {
		req->body_size = -1;
		*cause = xstrdup("BodySize is not an integer >= 0");
		goto out;
	}
	v = json_object_get(o, "Command");
	if (!json_is_string(v)) {
		*cause = xstrdup(v ? "Command is not a string" : "no Command");
		goto out;
	}
	if (!strcmp(json_string_value(v), "get"))
		req->cmd = PROG_GET;
	else if (!strcmp(json_string_value(v), "put"))
		req->cmd = PROG_PUT;
	else if (!strcmp(json_string_value(v), "close"))
		req->cmd = PROG_CLOSE;

	if ((r = get_id(o, "ActionID", req->action_id, cause)) < 0)
		goto out;
	req->has_action = r;
	if ((r = get_id(o, "OutputID", req->output_id, cause)) < 0)
		goto out;
	req->has_output = r;

	switch (req->cmd) {
	case PROG_UNKNOWN: {
		char q[48];
		v = json_object_get(o, "Command");
		*cause = xasprintf("unknown command \"%s\" (this program knows get, put, close)",
		                   quote_safe(json_string_value(v), json_string_length(v), q));
		goto out;
	}
	case PROG_GET:
		if (!req->has_action) {
			*cause = xstrdup("get without an ActionID");
			goto out;
		}
		break;
	case PROG_PUT:
		if (!req->has_action || !req->has_output) {
			*cause = xstrdup(req->has_action ? "put without an OutputID"
			                                 : "put without an ActionID");
			goto out;
		}
		break;
	case PROG_CLOSE:
		break;
	}
	ret = 0;
out:
	json_decref(o);
	return ret;
}

/* ---- the stream ---------------------------------------------------------------- */

void prog_reader_init(struct prog_reader *r, ssize_t (*read_fn)(void *, void *, size_t), void *arg)
{
	memset(r, 0, sizeof(*r) - sizeof(r->buf));
	r->read = read_fn;
	r->arg = arg;
	strbuf_init(&r->cur, 0);
}

void prog_reader_release(struct prog_reader *r)
{
	strbuf_release(&r->cur);
}

/* Makes sure a byte is buffered: 1, 0 at the end of input, -1 on a read error. */
static int fill(struct prog_reader *r)
{
	ssize_t n;

	if (r->pos < r->len)
		return 1;
	do
		n = r->read(r->arg, r->buf, sizeof(r->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	r->pos = 0;
	r->len = (size_t)n;
	return n > 0;
}

/*
 * Drops the rest of the current line (its '\n' included), at most limit
 * more bytes. 0; 1 at the end of input; -1 on a read error; -2 over limit.
 */
static int skip_line(struct prog_reader *r, uint64_t limit)
{
	for (;;) {
		int f = fill(r);
		if (f <= 0)
			return f < 0 ? -1 : 1;
		char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		size_t n = nl ? (size_t)(nl - (r->buf + r->pos)) : r->len - r->pos;
		if (n > limit)
			return -2;
		limit -= n;
		r->pos += n;
		if (nl) {
			r->pos++;
			return 0;
		}
	}
}

/* Skips empty lines; then a byte is buffered (1), or the input ended (0), or -1. */
static int skip_empty(struct prog_reader *r)
{
	for (;;) {
		int f = fill(r);
		if (f <= 0)
			return f;
		if (r->buf[r->pos] != '\n')
			return 1;
		r->pos++;
		r->line++;
	}
}

static int read_failed(struct prog_reader *r, char **cause)
{
	*cause = xasprintf("line %lu: cannot read the input: %s", r->line + 1, strerror(errno));
	return -1;
}

int prog_reader_next(struct prog_reader *r, struct prog_request *req, char **cause)
{
	int f, rc;

	for (;;) {
		f = skip_empty(r);
		if (f < 0)
			return read_failed(r, cause);
		if (f == 0)
			return 2;
		if (r->buf[r->pos] != '"' || !r->body_pending)
			break;
		/* the body of a put the caller did not read */
		r->line++;
		r->body_pending = 0;
		f = skip_line(r, UINT64_MAX);
		if (f < 0)
			return read_failed(r, cause);
	}
	r->body_pending = 0;
	r->line++;
	strbuf_reset(&r->cur);
	for (;;) {
		f = fill(r);
		if (f < 0)
			return read_failed(r, cause);
		if (f == 0) {
			*cause = xasprintf("line %lu: the input ends in the middle of a request",
			                   r->line);
			return -1;
		}
		char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		size_t n = nl ? (size_t)(nl - (r->buf + r->pos)) : r->len - r->pos;
		if (r->cur.len + n > PROG_MAX_LINE) {
			*cause = xasprintf("line %lu: a request line over %u bytes", r->line,
			                   PROG_MAX_LINE);
			return -1;
		}
		strbuf_add(&r->cur, r->buf + r->pos, n);
		r->pos += n;
		if (nl) {
			r->pos++;
			break;
		}
	}
	req->line = r->line;
	rc = prog_request_parse(r->cur.buf, r->cur.len, req, cause);
	if (rc < 0) {
		char *c = *cause;
		*cause = xasprintf("line %lu: %s", r->line, c);
		free(c);
		return -1;
	}
	/* a body line may follow: the caller reads it, or the next call skips it */
	if (req->body_size != 0)
		r->body_pending = 1;
	return rc;
}

/* Decoded bytes on their way to the sink. */
struct body_out {
	int (*sink)(void *, const void *, size_t);
	void *arg;
	int64_t size, total;
	int sink_failed;
	size_t n;
	unsigned char buf[12288];
};

static void body_flush(struct body_out *b)
{
	if (b->n && !b->sink_failed && b->total <= b->size && b->sink(b->arg, b->buf, b->n) < 0)
		b->sink_failed = 1;
	b->n = 0;
}

static void body_byte(struct body_out *b, unsigned char c)
{
	b->total++;
	b->buf[b->n++] = c;
	if (b->n == sizeof(b->buf))
		body_flush(b);
}

int prog_reader_body(struct prog_reader *r, int64_t size,
                     int (*sink)(void *arg, const void *buf, size_t n), void *arg, char **cause)
{
	struct body_out *b = xcalloc(1, sizeof(*b));
	uint64_t chars = 0, limit;
	unsigned quad = 0;
	int qn = 0, pad = 0, closed = 0, f, ret = -1;
	char *bad = NULL;

	r->body_pending = 0;
	b->sink = sink;
	b->arg = arg;
	b->size = size;
	limit = 4 * (((uint64_t)size + 2) / 3) + PROG_MAX_LINE;
	f = skip_empty(r);
	if (f < 0) {
		read_failed(r, cause);
		goto out;
	}
	if (f == 0 || r->buf[r->pos] != '"') {
		*cause = xasprintf("line %lu: want the put's body (a JSON string of base64), %s",
		                   r->line + 1, f ? "got something else" : "the input ends");
		goto out;
	}
	r->line++;
	r->pos++;
	for (;;) {
		f = fill(r);
		if (f < 0) {
			read_failed(r, cause);
			goto out;
		}
		if (f == 0) {
			*cause =
			    xasprintf("line %lu: the input ends in the middle of a body", r->line);
			goto out;
		}
		const char *p = r->buf + r->pos, *end = r->buf + r->len;
		while (p < end) {
			unsigned char c = (unsigned char)*p++;
			int v;
			if (c == '\n') {
				r->pos = (size_t)(p - r->buf);
				goto eol;
			}
			if (++chars > limit) {
				*cause = xasprintf(
				    "line %lu: a body line longer than BodySize %" PRId64 " allows",
				    r->line, size);
				r->pos = (size_t)(p - r->buf);
				goto out;
			}
			if (bad)
				continue;
			if (closed) {
				bad = xstrdup("bytes after the body's closing quote");
				continue;
			}
			if (c == '"') {
				closed = 1;
				continue;
			}
			v = b64val(c);
			if (v < 0 && c == '=' && qn >= 2) {
				pad++;
				v = 0;
			} else if (v < 0 || pad) {
				bad = xasprintf("body: byte %" PRIu64 " is not base64 (0x%02x)",
				                chars, c);
				continue;
			}
			quad = quad << 6 | (unsigned)v;
			if (++qn == 4) {
				body_byte(b, (unsigned char)(quad >> 16));
				if (pad < 2)
					body_byte(b, (unsigned char)(quad >> 8));
				if (pad < 1)
					body_byte(b, (unsigned char)quad);
				qn = 0;
				quad = 0;
			}
		}
		r->pos = r->len;
	}
eol:
	body_flush(b);
	ret = 1;
	if (bad) {
		*cause = bad;
		bad = NULL;
	} else if (!closed) {
		*cause = xstrdup("body: the line ends before the string's closing quote");
	} else if (qn) {
		*cause = xstrdup("body: base64 cut off (not a multiple of 4 characters)");
	} else if (b->total != size) {
		*cause =
		    xasprintf("body: %" PRId64 " bytes, BodySize says %" PRId64, b->total, size);
	} else if (b->sink_failed) {
		*cause = xstrdup("body: could not be stored");
	} else {
		ret = 0;
	}
out:
	free(bad);
	free(b);
	return ret;
}

/* ---- responses ----------------------------------------------------------------- */

/* RFC 3339 with nanoseconds, in UTC (what go's time.Time takes from JSON). */
static void rfc3339(int64_t ns, char *buf, size_t size)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;
	char date[40];

	gmtime_r(&s, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%09ldZ", date, (long)(ns % 1000000000));
}

char *prog_response_encode(const struct prog_response *resp, size_t *len)
{
	json_t *o = json_object();
	char *line;

	json_object_set_new(o, "ID", json_integer((json_int_t)resp->id));
	if (resp->err && *resp->err) {
		json_object_set_new(o, "Err", json_string_lossy(resp->err));
		goto out;
	}
	if (resp->known) {
		json_t *a = json_array();
		for (const char *const *k = resp->known; *k; k++)
			json_array_append_new(a, json_string(*k));
		json_object_set_new(o, "KnownCommands", a);
	}
	if (resp->miss)
		json_object_set_new(o, "Miss", json_true());
	if (resp->output_id) {
		char b64[4 * ((PROG_ID_SIZE + 2) / 3) + 1];
		prog_base64_encode(resp->output_id, PROG_ID_SIZE, b64);
		json_object_set_new(o, "OutputID", json_string(b64));
	}
	if (resp->size > 0)
		json_object_set_new(o, "Size", json_integer((json_int_t)resp->size));
	if (resp->time_ns > 0) {
		char t[64];
		rfc3339(resp->time_ns, t, sizeof(t));
		json_object_set_new(o, "Time", json_string(t));
	}
	if (resp->disk_path)
		json_object_set_new(o, "DiskPath", json_string_lossy(resp->disk_path));
out:
	line = jsonl_encode(o, len);
	if (!line)
		BUG("a cacheprog response does not encode");
	return line;
}

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
	    json_integer_value(t) < 0 || from_hex64(out, h->out) < 0)
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
	to_hex(job->aid, PROG_ID_SIZE, action_hex);
	path = local_path(p, "o", sha);
	created_ns = e.created <= INT64_MAX / 1000000000 ? e.created * 1000000000 : now_unix_ns();
	if (local_write(p, path, buf->buf, buf->len, &cause) < 0 ||
	    local_entry_write(p, action_hex, sha, out->size, created_ns, &cause) < 0) {
		say(p, "request %" PRId64 ": %s", job->id, cause);
		goto miss;
	}
	from_hex64(sha, h.out);
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
	from_hex64(job->action, aid);
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
	to_hex(req->action_id, PROG_ID_SIZE, hex);
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
	to_hex(req->output_id, PROG_ID_SIZE, out_hex);
	to_hex(req->action_id, PROG_ID_SIZE, action_hex);
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

/* Whether dir is gocache or below it. */
static int inside(const char *dir, const char *gocache)
{
	size_t n = strlen(gocache);

	while (n > 1 && gocache[n - 1] == '/')
		n--;
	return !strncmp(dir, gocache, n) && (dir[n] == '\0' || dir[n] == '/');
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
		int bad = inside(p->dir, g);
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
