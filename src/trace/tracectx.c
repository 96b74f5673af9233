/* tracectx.c - see tracectx.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "trace/tracectx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* How much of a rejected value a cause quotes. */
#define CAUSE_QUOTE_MAX 80

static const char hexdigits[] = "0123456789abcdef";

void tracectx_hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[b[i] >> 4];
		out[2 * i + 1] = hexdigits[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Appends s double-quoted on one line, cut after max bytes, non-printables escaped. */
static void add_quoted(struct strbuf *sb, const char *s, size_t max)
{
	size_t len = strlen(s);
	size_t n = len > max ? max : len;

	strbuf_addch(sb, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			strbuf_addf(sb, "\\%c", ch);
		else if (ch == '\t')
			strbuf_addstr(sb, "\\t");
		else if (ch == '\n')
			strbuf_addstr(sb, "\\n");
		else if (ch < 0x20 || ch >= 0x7f)
			strbuf_addf(sb, "\\x%02x", ch);
		else
			strbuf_addch(sb, ch);
	}
	strbuf_addch(sb, '"');
	if (n < len)
		strbuf_addstr(sb, "...");
}

/* Sets *cause to `<what> "<value>": <reason>` and returns -1. */
static int fail(char **cause, const char *what, const char *value, const char *reason)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s ", what);
	add_quoted(&sb, value, CAUSE_QUOTE_MAX);
	strbuf_addf(&sb, ": %s", reason);
	*cause = strbuf_detach(&sb, NULL);
	return -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decodes the 2n lowercase hex digits at s into out. Returns NULL, or a
 * static reason naming field ("trace-id has uppercase hex digits").
 */
static const char *parse_hex(const char *s, size_t n, uint8_t *out, const char *field, char *reason,
                             size_t reason_size)
{
	int upper = 0;

	for (size_t i = 0; i < 2 * n; i++) {
		if (s[i] >= 'A' && s[i] <= 'F')
			upper = 1;
		else if (hexval(s[i]) < 0) {
			snprintf(reason, reason_size, "%s is not %zu lowercase hex digits", field,
			         2 * n);
			return reason;
		}
	}
	if (upper) {
		snprintf(reason, reason_size, "%s has uppercase hex digits", field);
		return reason;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
	return NULL;
}

static int all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Parses s into *out; returns NULL or the reason it is invalid (static or in reason). */
static const char *parse_traceparent(const char *s, struct trace_ctx *out, char *reason,
                                     size_t reason_size)
{
	size_t len = strlen(s);
	uint8_t version;
	const char *r;

	if (!len)
		return "is empty";
	if (is_blank(s[0]) || is_blank(s[len - 1]))
		return "has leading or trailing whitespace";
	if (len < 2 || (r = parse_hex(s, 1, &version, "version", reason, reason_size)))
		return len < 2 ? "version is not 2 lowercase hex digits" : r;
	if (version == 0xff)
		return "version ff is invalid";
	if (len < 3 || s[2] != '-')
		return "want '-' after the 2-digit version";
	if (len < 35 || memchr(s + 3, '-', 32))
		return "trace-id is not 32 lowercase hex digits";
	if ((r = parse_hex(s + 3, 16, out->trace_id, "trace-id", reason, reason_size)))
		return r;
	if (s[35] != '-')
		return "trace-id is not 32 lowercase hex digits";
	if (len < 52 || memchr(s + 36, '-', 16))
		return "parent-id is not 16 lowercase hex digits";
	if ((r = parse_hex(s + 36, 8, out->span_id, "parent-id", reason, reason_size)))
		return r;
	if (s[52] != '-')
		return "parent-id is not 16 lowercase hex digits";
	if (len < TRACEPARENT_LEN || memchr(s + 53, '-', 2))
		return "trace-flags is not 2 lowercase hex digits";
	if ((r = parse_hex(s + 53, 1, &out->flags, "trace-flags", reason, reason_size)))
		return r;
	if (version == 0 && len != TRACEPARENT_LEN) {
		snprintf(reason, reason_size,
		         "version 00 must be exactly %d characters, not %zu (trailing data)",
		         TRACEPARENT_LEN, len);
		return reason;
	}
	if (len > TRACEPARENT_LEN && s[TRACEPARENT_LEN] != '-')
		return "want '-' between the trace-flags and the rest of a future version";
	if (all_zero(out->trace_id, sizeof(out->trace_id)))
		return "trace-id is all zeros";
	if (all_zero(out->span_id, sizeof(out->span_id)))
		return "parent-id is all zeros";
	return NULL;
}

int tracectx_parse_traceparent(const char *s, struct trace_ctx *out, char **cause)
{
	char reason[96];
	const char *r = parse_traceparent(s, out, reason, sizeof(reason));

	if (r)
		return fail(cause, "TRACEPARENT", s, r);
	return 0;
}

void tracectx_format_traceparent(const struct trace_ctx *c, char buf[TRACEPARENT_LEN + 1])
{
	buf[0] = '0';
	buf[1] = '0';
	buf[2] = '-';
	tracectx_hex(c->trace_id, sizeof(c->trace_id), buf + 3);
	buf[35] = '-';
	tracectx_hex(c->span_id, sizeof(c->span_id), buf + 36);
	buf[52] = '-';
	tracectx_hex(&c->flags, 1, buf + 53);
}

/* tracestate ------------------------------------------------------------ */

/* lcalpha / DIGIT / "_" / "-" / "*" / "/": the characters after a key's first. */
static int is_keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	       c == '*' || c == '/';
}

static int is_lcalpha(char c)
{
	return c >= 'a' && c <= 'z';
}

/* Checks the n-byte key k; returns NULL or a static reason. */
static const char *check_key(const char *k, size_t n)
{
	const char *at = memchr(k, '@', n);

	if (!n)
		return "empty key";
	if (!at) {
		if (n > 256)
			return "key longer than 256 characters";
		if (!is_lcalpha(k[0]))
			return "key does not start with a lowercase letter";
		for (size_t i = 1; i < n; i++)
			if (!is_keychar(k[i]))
				return "key has a character other than a-z 0-9 _ - * / @";
		return NULL;
	}

	size_t tn = (size_t)(at - k), sn = n - tn - 1;
	const char *sys = at + 1;

	if (memchr(sys, '@', sn))
		return "key has more than one '@'";
	if (!tn)
		return "empty tenant id before '@' in key";
	if (tn > 241)
		return "tenant id longer than 241 characters in key";
	if (!is_lcalpha(k[0]) && !(k[0] >= '0' && k[0] <= '9'))
		return "tenant id does not start with a lowercase letter or digit in key";
	for (size_t i = 1; i < tn; i++)
		if (!is_keychar(k[i]))
			return "key has a character other than a-z 0-9 _ - * / @";
	if (!sn)
		return "empty system id after '@' in key";
	if (sn > 14)
		return "system id longer than 14 characters in key";
	if (!is_lcalpha(sys[0]))
		return "system id does not start with a lowercase letter in key";
	for (size_t i = 1; i < sn; i++)
		if (!is_keychar(sys[i]))
			return "key has a character other than a-z 0-9 _ - * / @";
	return NULL;
}

/* Checks the n-byte value v (blanks around the member already cut); NULL or a reason. */
static const char *check_value(const char *v, size_t n)
{
	if (!n)
		return "empty value";
	if (n > 256)
		return "value longer than 256 characters";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '=')
			return "'=' in value";
		if (c < 0x20 || c > 0x7e)
			return "value has a character other than printable ASCII";
	}
	if (v[n - 1] == ' ')
		return "value ends in a space";
	return NULL;
}

struct member {
	const char *key;
	size_t keylen;
};

/* Validates s, appending the normalized list to out; NULL or a reason (in reason). */
static const char *parse_tracestate(const char *s, struct strbuf *out, char *reason,
                                    size_t reason_size)
{
	struct member seen[TRACESTATE_MAX_MEMBERS];
	size_t nseen = 0;
	const char *p = s;

	for (;;) {
		const char *end = strchr(p, ',');
		const char *e = end ? end : p + strlen(p);
		const char *b = p;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (b < e) {
			size_t n = (size_t)(e - b);
			const char *eq = memchr(b, '=', n);
			const char *r;
			if (!eq) {
				snprintf(reason, reason_size, "list member %zu has no '='",
				         nseen + 1);
				return reason;
			}
			size_t kn = (size_t)(eq - b);
			if ((r = check_key(b, kn)) || (r = check_value(eq + 1, n - kn - 1))) {
				snprintf(reason, reason_size, "%s (list member %zu)", r, nseen + 1);
				return reason;
			}
			if (nseen == TRACESTATE_MAX_MEMBERS)
				return "more than 32 list members";
			for (size_t i = 0; i < nseen; i++) {
				if (seen[i].keylen == kn && !memcmp(seen[i].key, b, kn)) {
					snprintf(reason, reason_size,
					         "duplicate key (list members %zu and %zu)", i + 1,
					         nseen + 1);
					return reason;
				}
			}
			seen[nseen].key = b;
			seen[nseen].keylen = kn;
			nseen++;
			if (out->len)
				strbuf_addch(out, ',');
			strbuf_add(out, b, n);
		}
		if (!end)
			return NULL;
		p = end + 1;
	}
}

int tracectx_parse_tracestate(const char *s, struct strbuf *normalized, char **cause)
{
	char reason[128];
	const char *r;

	strbuf_reset(normalized);
	r = parse_tracestate(s, normalized, reason, sizeof(reason));
	if (r) {
		strbuf_reset(normalized);
		return fail(cause, "TRACESTATE", s, r);
	}
	return 0;
}

/* ids --------------------------------------------------------------------- */

/* Fills b with n random bytes, never all zeros; 0 or -1 (errno). */
static int random_id(uint8_t *b, size_t n)
{
	do {
		size_t got = 0;
		while (got < n) {
			ssize_t r = getrandom(b + got, n - got, 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			got += (size_t)r;
		}
	} while (all_zero(b, n));
	return 0;
}

int tracectx_new_span_id(uint8_t out[8])
{
	return random_id(out, 8);
}

int tracectx_new_trace_id(uint8_t out[16])
{
	return random_id(out, 16);
}

int tracectx_child(const struct trace_ctx *parent, struct trace_ctx *child)
{
	uint8_t id[8];

	do {
		if (tracectx_new_span_id(id) < 0)
			return -1;
	} while (!memcmp(id, parent->span_id, sizeof(id)));
	if (child != parent)
		*child = *parent;
	memcpy(child->span_id, id, sizeof(id));
	return 0;
}
