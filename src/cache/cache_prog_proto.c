/*
 * cache_prog_proto.c - the GOCACHEPROG protocol of `golive cache prog`
 * (cache_prog.h): go's requests, the body stream (base64 in a JSON string,
 * decoded on the way), the answers; pure, for cache_prog.c, the unit tests
 * and the fuzzer.
 */
#define _GNU_SOURCE
#include "cache/cache_prog.h"
#include "core/crypto.h"
#include "core/jsonl.h"
#include "core/util.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define REMOTE_DOMAIN "golive-cacheprog v1\n"

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

void prog_to_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* 64 lowercase hex digits into 32 bytes; 0, or -1. */
int prog_from_hex64(const char *s, unsigned char out[PROG_ID_SIZE])
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
	prog_to_hex(id, PROG_ID_SIZE, buf + n);
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
