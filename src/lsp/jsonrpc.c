/*
 * jsonrpc.c - see jsonrpc.h. The header block is parsed by hand (it is
 * "Name: value" lines, not JSON); bodies go to jansson.
 */
#define _GNU_SOURCE
#include "lsp/jsonrpc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

void jsonrpc_reader_init(struct jsonrpc_reader *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->buf, 0);
}

void jsonrpc_reader_release(struct jsonrpc_reader *r)
{
	strbuf_release(&r->buf);
	memset(r, 0, sizeof(*r));
}

/* Drops consumed bytes once they are most of the buffer. */
static void compact(struct jsonrpc_reader *r)
{
	if (r->start == r->buf.len) {
		strbuf_reset(&r->buf);
		r->start = 0;
	} else if (r->start > 65536 && r->start > r->buf.len / 2) {
		memmove(r->buf.buf, r->buf.buf + r->start, r->buf.len - r->start);
		r->buf.len -= r->start;
		r->buf.buf[r->buf.len] = '\0';
		r->start = 0;
	}
}

void jsonrpc_reader_feed(struct jsonrpc_reader *r, const char *data, size_t len)
{
	if (r->skip) {
		size_t n = len < r->skip ? len : r->skip;
		r->skip -= n;
		data += n;
		len -= n;
	}
	if (len)
		strbuf_add(&r->buf, data, len);
}

/* Finds "\r\n\r\n" (or a bare "\n\n", which some clients send) in [p, p+n). */
static const char *header_end(const char *p, size_t n, size_t *sep)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n') {
			*sep = 2;
			return p + i;
		}
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n') {
			*sep = 3;
			return p + i;
		}
	}
	return NULL;
}

/*
 * Parses the header lines in [p, end): 0 with *len from Content-Length, or
 * -1 with *cause.
 */
static int parse_header(const char *p, const char *end, size_t *len, char **cause)
{
	int have_len = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n = (size_t)(le - p);
		if (n && p[n - 1] == '\r')
			n--;
		static const char cl[] = "content-length:";
		if (n >= sizeof(cl) - 1 && strncasecmp(p, cl, sizeof(cl) - 1) == 0) {
			const char *v = p + sizeof(cl) - 1, *ve = p + n;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			size_t val = 0;
			if (v == ve) {
				*cause = xstrdup("jsonrpc: empty Content-Length");
				return -1;
			}
			for (; v < ve && isdigit((unsigned char)*v); v++) {
				if (val > (SIZE_MAX - 9) / 10) {
					*cause = xstrdup("jsonrpc: Content-Length too large");
					return -1;
				}
				val = val * 10 + (size_t)(*v - '0');
			}
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			if (v != ve) {
				*cause = xasprintf("jsonrpc: bad Content-Length \"%.*s\"",
				                   (int)(n > 64 ? 64 : n), p);
				return -1;
			}
			*len = val;
			have_len = 1;
		} else if (n && !memchr(p, ':', n)) {
			*cause = xasprintf("jsonrpc: malformed header line \"%.*s\"",
			                   (int)(n > 64 ? 64 : n), p);
			return -1;
		}
		p = nl ? nl + 1 : end;
	}
	if (!have_len) {
		*cause = xstrdup("jsonrpc: header without Content-Length");
		return -1;
	}
	return 0;
}

enum jsonrpc_status jsonrpc_reader_next(struct jsonrpc_reader *r, json_t **msg, char **cause)
{
	*msg = NULL;
	for (;;) {
		const char *p = r->buf.buf + r->start;
		size_t avail = r->buf.len - r->start;
		if (!r->have_header) {
			/* blank lines between messages are tolerated */
			while (avail && (*p == '\r' || *p == '\n')) {
				p++;
				avail--;
				r->start++;
			}
			if (!avail) {
				compact(r);
				return JSONRPC_NEED;
			}
			size_t sep = 0;
			size_t scan = avail < JSONRPC_MAX_HEADER ? avail : JSONRPC_MAX_HEADER;
			const char *he = header_end(p, scan, &sep);
			if (!he) {
				if (avail < JSONRPC_MAX_HEADER)
					return JSONRPC_NEED;
				/* no header end in 8 KiB: drop it and look for the next header */
				r->start += JSONRPC_MAX_HEADER;
				compact(r);
				*cause = xasprintf("jsonrpc: header longer than %u bytes skipped",
				                   JSONRPC_MAX_HEADER);
				return JSONRPC_BAD;
			}
			size_t hlen = (size_t)(he - p) + sep;
			size_t blen = 0;
			int rc = parse_header(p, he, &blen, cause);
			r->start += hlen;
			if (rc < 0) {
				compact(r);
				return JSONRPC_BAD;
			}
			if (blen > JSONRPC_MAX_BODY) {
				size_t have = r->buf.len - r->start;
				size_t drop = have < blen ? have : blen;
				r->start += drop;
				r->skip = blen - drop;
				compact(r);
				*cause =
				    xasprintf("jsonrpc: message of %zu bytes skipped (limit %u)",
				              blen, JSONRPC_MAX_BODY);
				return JSONRPC_BAD;
			}
			r->body_len = blen;
			r->have_header = 1;
			continue;
		}
		if (avail < r->body_len)
			return JSONRPC_NEED;
		json_error_t err;
		json_t *v = json_loadb(p, r->body_len, JSON_ALLOW_NUL, &err);
		r->start += r->body_len;
		r->have_header = 0;
		compact(r);
		if (!v) {
			*cause = xasprintf("jsonrpc: body is not JSON: %s (byte %d)", err.text,
			                   err.position);
			return JSONRPC_BAD;
		}
		*msg = v;
		return JSONRPC_MSG;
	}
}

void jsonrpc_frame(struct strbuf *out, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	if (!s)
		return; /* out of memory in jansson: nothing sensible to send */
	size_t n = strlen(s);
	strbuf_addf(out, "Content-Length: %zu\r\n\r\n", n);
	strbuf_add(out, s, n);
	free(s);
}
