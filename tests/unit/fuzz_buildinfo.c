/*
 * fuzz_buildinfo.c - libFuzzer target for buildinfo_parse_modinfo() and
 * buildinfo_format_m() (buildinfo.c): Go's module info text and quoting.
 *
 * The first input byte picks the mode:
 *  - even: the rest is the text, as is;
 *  - odd: the text is one of the built-in module infos below (what go 1.19
 *    writes, and Go's quoted forms) with the input spliced in: at the offset
 *    in the next two bytes, the fourth byte's count of template bytes is
 *    replaced by the rest of the input.
 *
 * Besides not crashing: a refusal is one line ("line N: ..."); what parses
 * prints as `go version -m` would, and that output, read back as module
 * info (the first line dropped, the tab indent removed), parses again to
 * the same output: the parser and the printer agree on Go's quoting.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verify/buildinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const templates[] = {
    "path\texample.com/hello\n"
    "mod\texample.com/hello\t(devel)\t\n"
    "dep\tgithub.com/google/go-cmp\tv0.5.9\n"
    "=>\t/usr/share/gocode/src/github.com/google/go-cmp\t(devel)\t\n"
    "build\t-compiler=gc\n"
    "build\t-ldflags=\"-X 'main.v=a\\\"b'\"\n"
    "build\tCGO_ENABLED=1\n"
    "build\tGOARCH=amd64\n"
    "build\tvcs.revision=0123456789abcdef\n"
    "build\tvcs.modified=true\n",
    "path\tcmd/go\n"
    "build\t-gcflags=\"all=-N -l\"\n"
    "build\t-tags=dev,netgo\n"
    "build\t-trimpath=true\n",
    "mod\tm\tv1.0.0\th1:abc=\n"
    "=>\tr\tv1.0.1\th1:def=\n"
    "dep\td\tv0.0.0-20220101000000-abcdef012345\th1:ghi=\n"
    "build\t\"a=b\"=\"\\t\\u00e9\\U0001F600\\x41\\101\\\\\"\n"
    "build\t`k k`=`v\rv`\n"
    "build\tk=\xe2\x80\x8b\x01\n",
};

static void check_cause(const char *cause)
{
	if (!cause || strncmp(cause, "line ", 5) || strchr(cause, '\n'))
		abort();
}

/* The module info text of a `go version -m` output: first line dropped, indent removed. */
static void unindent(const struct strbuf *m, struct strbuf *text)
{
	const char *p = strchr(m->buf, '\n') + 1, *end = m->buf + m->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || *p != '\t')
			abort(); /* every line is indented and ends */
		strbuf_add(text, p + 1, (size_t)(nl - p));
		p = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf text = STRBUF_INIT, m1 = STRBUF_INIT, m2 = STRBUF_INIT, again = STRBUF_INIT;
	struct buildinfo bi = {0}, bi2 = {0};
	char *cause = NULL;

	if (!size)
		return 0;
	if ((data[0] & 1) && size >= 4) {
		const char *t = templates[(data[0] >> 1) % 3];
		size_t len = strlen(t), at = ((size_t)data[1] | (size_t)data[2] << 8) % (len + 1);
		size_t cut = data[3] % 32 < len - at ? data[3] % 32 : len - at;
		strbuf_add(&text, t, at);
		strbuf_add(&text, data + 4, size - 4);
		strbuf_addstr(&text, t + at + cut);
	} else {
		strbuf_add(&text, data + 1, size - 1);
	}

	if (buildinfo_parse_modinfo(&bi, text.buf, text.len, &cause)) {
		check_cause(cause);
		if (bi.path || bi.deps.n || bi.settings.n || bi.main.path)
			abort(); /* released on failure */
		free(cause);
		goto out;
	}
	if (cause)
		abort();
	for (size_t i = 0; i < bi.settings.n; i++)
		if (!bi.settings.v[i].key || !bi.settings.v[i].value)
			abort();
	bi.go_version = xstrdup("go1.19.8");
	buildinfo_format_m(&bi, "f", &m1);
	if (strncmp(m1.buf, "f: go1.19.8\n", 12))
		abort();

	/* printed, then read back: the same */
	unindent(&m1, &again);
	if (buildinfo_parse_modinfo(&bi2, again.buf, again.len, &cause))
		abort();
	bi2.go_version = xstrdup("go1.19.8");
	buildinfo_format_m(&bi2, "f", &m2);
	if (strcmp(m1.buf, m2.buf))
		abort();
out:
	buildinfo_release(&bi);
	buildinfo_release(&bi2);
	strbuf_release(&text);
	strbuf_release(&m1);
	strbuf_release(&m2);
	strbuf_release(&again);
	return 0;
}
