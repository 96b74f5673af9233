/*
 * libFuzzer target: goversion_parse() on arbitrary bytes (a NUL-terminated
 * copy, and its two halves) and goversion_gomod() on the raw bytes. An
 * accepted version formats to a string that parses back to the same
 * version; goversion_cmp is reflexive and antisymmetric, agrees with
 * equality of the formatted forms, and the language version never sorts
 * after the version from 1.21 on; a rejected string leaves the version
 * unknown.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/goversion.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one(const char *s, struct goversion *v, int *ok)
{
	char buf[GOVERSION_MAX], again[GOVERSION_MAX];
	struct goversion back, lang;
	*ok = goversion_parse(s, v) == 0;
	if (!*ok) {
		if (goversion_known(v))
			abort();
		return;
	}
	if (!goversion_known(v) || goversion_cmp(v, v) != 0)
		abort();
	goversion_format(v, buf, sizeof(buf));
	if (goversion_parse(buf, &back) != 0 || goversion_cmp(v, &back) != 0 ||
	    memcmp(v, &back, sizeof(back)) != 0)
		abort();
	if (strcmp(goversion_format(&back, again, sizeof(again)), buf) != 0)
		abort();
	goversion_lang(v, &lang);
	if (!goversion_known(&lang) || lang.has_patch || lang.pre_num)
		abort();
	/* from 1.21, "1.N" sorts before all of 1.N's releases and prereleases */
	if (goversion_at_least(v, 1, 21) && v->major == 1 && goversion_cmp(&lang, v) > 0)
		abort();
	if (goversion_at_least(v, 1, 21) != goversion_at_least(&lang, 1, 21))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1), *a, *b;
	struct goversion v, va, vb, m;
	int ok, oka, okb;

	memcpy(s, data, size);
	s[size] = '\0';
	check_one(s, &v, &ok);

	a = xstrndup(s, size / 2);
	b = xstrdup(s + size / 2); /* s[size] ends it */
	check_one(a, &va, &oka);
	check_one(b, &vb, &okb);
	if (oka && okb) {
		char fa[GOVERSION_MAX], fb[GOVERSION_MAX];
		int c = goversion_cmp(&va, &vb);
		if (c < -1 || c > 1 || goversion_cmp(&vb, &va) != -c)
			abort();
		goversion_format(&va, fa, sizeof(fa));
		goversion_format(&vb, fb, sizeof(fb));
		if (strcmp(fa, fb) == 0 && c != 0)
			abort();
		if (goversion_cmp(&va, &v) == 0 && goversion_cmp(&vb, &v) == 0 && c != 0)
			abort();
	}

	int rc = goversion_gomod((const char *)data, size, &m);
	if (rc < -1 || rc > 1 || (rc >= 0) != goversion_known(&m))
		abort();
	free(a);
	free(b);
	free(s);
	return 0;
}
