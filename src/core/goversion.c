/* goversion.c - see goversion.h. */
#include "core/goversion.h"

#include <stdio.h>
#include <string.h>

#define MAX_DIGITS 9 /* every 9-digit number fits an unsigned */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The end of a version: the end of the string, or white space before the ignored rest. */
static int at_end(const char *p)
{
	return *p == '\0' || is_space(*p);
}

/*
 * Reads a decimal number without leading zeros at *p into *out and
 * advances *p; -1 when there is none or it is too long.
 */
static int read_num(const char **p, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0;
	size_t n = 0;
	while (is_digit(s[n])) {
		if (n == MAX_DIGITS)
			return -1;
		v = v * 10 + (unsigned)(s[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && s[0] == '0'))
		return -1;
	*p = s + n;
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	enum goversion_pre pre;
} kinds[] = {
    {"alpha", GOVERSION_ALPHA},
    {"beta", GOVERSION_BETA},
    {"rc", GOVERSION_RC},
};

/* "devel go1.24-abcdef ..." or "devel +abcdef ...": s points after "devel". */
static void parse_devel(const char *s, struct goversion *v)
{
	struct goversion d = GOVERSION_UNKNOWN;
	d.pre = GOVERSION_DEVEL;
	while (is_space(*s))
		s++;
	if (s[0] == 'g' && s[1] == 'o' && is_digit(s[2])) {
		const char *p = s + 2;
		unsigned major, minor;
		if (read_num(&p, &major) == 0 && major > 0 && *p == '.') {
			p++;
			if (read_num(&p, &minor) == 0 && (*p == '-' || at_end(p))) {
				d.major = major;
				d.minor = minor;
			}
		}
	}
	*v = d;
}

int goversion_parse(const char *s, struct goversion *out)
{
	struct goversion v = GOVERSION_UNKNOWN;
	const char *p = s;

	*out = v;
	if (strncmp(p, "devel", 5) == 0 && at_end(p + 5)) {
		parse_devel(p + 5, out);
		return 0;
	}
	if (p[0] == 'g' && p[1] == 'o')
		p += 2;
	if (read_num(&p, &v.major) < 0 || v.major == 0)
		return -1;
	if (at_end(p)) { /* "1" is 1.0.0 */
		v.has_patch = 1;
		*out = v;
		return 0;
	}
	if (*p++ != '.' || read_num(&p, &v.minor) < 0)
		return -1;
	if (*p == '.') {
		p++;
		if (read_num(&p, &v.patch) < 0)
			return -1;
		v.has_patch = 1;
	} else if (*p >= 'a' && *p <= 'z') {
		size_t i, n = 0;
		while (p[n] >= 'a' && p[n] <= 'z')
			n++;
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strlen(kinds[i].name) == n && strncmp(p, kinds[i].name, n) == 0)
				break;
		if (i == sizeof(kinds) / sizeof(kinds[0]))
			return -1;
		v.pre = kinds[i].pre;
		p += n;
		if (is_digit(*p) && read_num(&p, &v.pre_num) < 0)
			return -1;
	}
	if (!at_end(p))
		return -1;
	*out = v;
	return 0;
}

int goversion_known(const struct goversion *v)
{
	return v->major != 0 || v->pre == GOVERSION_DEVEL;
}

static int cmp_u(unsigned long long a, unsigned long long b)
{
	return a < b ? -1 : a > b;
}

/*
 * The patch as the go command orders it: a missing patch sorts before .0,
 * except that before 1.21 a language version "1.N" was the release 1.N.0.
 */
static unsigned long long patch_key(const struct goversion *v)
{
	if (v->has_patch)
		return (unsigned long long)v->patch + 1;
	return v->pre == GOVERSION_RELEASE && v->minor < 21 ? 1 : 0;
}

int goversion_cmp(const struct goversion *a, const struct goversion *b)
{
	int ka = !goversion_known(a) ? 0 : a->major == 0 ? 2 : 1; /* unknown, numbered, devel */
	int kb = !goversion_known(b) ? 0 : b->major == 0 ? 2 : 1;
	int c;
	if (ka != 1 || kb != 1)
		return ka < kb ? -1 : ka > kb;
	if ((c = cmp_u(a->major, b->major)) || (c = cmp_u(a->minor, b->minor)) ||
	    (c = cmp_u(patch_key(a), patch_key(b))) || (c = cmp_u(a->pre, b->pre)))
		return c;
	return cmp_u(a->pre_num, b->pre_num);
}

void goversion_lang(const struct goversion *v, struct goversion *out)
{
	struct goversion l = GOVERSION_UNKNOWN;
	if (!goversion_known(v) || v->major == 0) {
		*out = *v;
		return;
	}
	l.major = v->major;
	l.minor = v->minor;
	*out = l;
}

int goversion_at_least(const struct goversion *v, unsigned major, unsigned minor)
{
	if (!goversion_known(v))
		return 0;
	if (v->major == 0) /* devel without a version: the newest there is */
		return 1;
	return v->major != major ? v->major > major : v->minor >= minor;
}

char *goversion_format(const struct goversion *v, char *buf, size_t size)
{
	const char *kind = "";
	if (!size)
		return buf;
	if (!goversion_known(v)) {
		snprintf(buf, size, "unknown");
		return buf;
	}
	if (v->pre == GOVERSION_DEVEL) {
		if (v->major)
			snprintf(buf, size, "devel go%u.%u", v->major, v->minor);
		else
			snprintf(buf, size, "devel");
		return buf;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].pre == v->pre)
			kind = kinds[i].name;
	if (v->has_patch)
		snprintf(buf, size, "go%u.%u.%u", v->major, v->minor, v->patch);
	else if (*kind)
		snprintf(buf, size, "go%u.%u%s%u", v->major, v->minor, kind, v->pre_num);
	else
		snprintf(buf, size, "go%u.%u", v->major, v->minor);
	return buf;
}

int goversion_gomod(const char *text, size_t len, struct goversion *out)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		if (le - p > 3 && p[0] == 'g' && p[1] == 'o' && (p[2] == ' ' || p[2] == '\t')) {
			char tok[64];
			size_t n = 0;
			p += 3;
			while (p < le && (*p == ' ' || *p == '\t'))
				p++;
			if (p < le && *p == '"') { /* a quoted string, as modfile allows */
				p++;
				while (p + n < le && p[n] != '"')
					n++;
				if (p + n == le)
					n = 0; /* unterminated */
			} else {
				while (p + n < le && !is_space(p[n]) &&
				       !(p[n] == '/' && p + n + 1 < le && p[n + 1] == '/'))
					n++;
			}
			if (n == 0 || n >= sizeof(tok) || !is_digit(*p) || memchr(p, '\0', n)) {
				struct goversion u = GOVERSION_UNKNOWN;
				*out = u;
				return -1;
			}
			memcpy(tok, p, n);
			tok[n] = '\0';
			return goversion_parse(tok, out) == 0 ? 1 : -1;
		}
		p = nl ? nl + 1 : end;
	}
	struct goversion d = GOVERSION_UNKNOWN;
	d.major = 1;
	d.minor = 16;
	*out = d;
	return 0;
}
