/*
 * goversion.h - Go version strings: parse, compare, format. Pure: no
 * allocation, no I/O, nothing printed; safe on any thread.
 *
 * Accepted forms (what go.mod's go line, compile's -lang, vet.cfg's
 * GoVersion, go list's Module.GoVersion, `go env GOVERSION` and `go
 * version` print), with or without the "go" prefix:
 *
 *   1.21, go1.21                          a language version: no patch
 *   1.21.3, go1.21.3                      a release
 *   1.21rc1, go1.21beta2, go1.21alpha1    prereleases (rc, beta, alpha + a number)
 *   1, go1                                go1.0.0
 *   devel go1.24-abcdef Tue Jan 2 ...     a development toolchain of Go 1.24
 *   devel +abcdef Tue Jan 2 ...           an old development toolchain (no version)
 *
 * A well-formed version may be followed by white space and then anything
 * ("go1.22.0 X:rangefunc", a trailing newline); the rest is ignored.
 * Numbers are decimal, without leading zeros, at most 9 digits; the major
 * version is at least 1. Anything else does not parse.
 *
 * Order (goversion_cmp) is the go command's (cmd/go/internal/gover), with
 * development toolchains placed where their features are:
 *
 *   1.20rc1 < 1.20 = 1.20.0 < 1.20.1       before Go 1.21, "1.N" was the first release
 *   1.21 < devel go1.21 < 1.21alpha1 < 1.21beta1 < 1.21rc1 < 1.21.0 < 1.21.1
 *   every numbered version < devel without a version
 *
 * The zero value (memset 0, GOVERSION_UNKNOWN) is "unknown": goversion_known()
 * is false for it, and it compares lower than every version.
 */
#ifndef GOLIVE_GOVERSION_H
#define GOLIVE_GOVERSION_H

#include <stddef.h>

enum goversion_pre {                        /* in comparison order */
	             GOVERSION_RELEASE = 0, /* no prerelease marker */
	             GOVERSION_DEVEL,       /* a development toolchain ("devel ...") */
	             GOVERSION_ALPHA,
	             GOVERSION_BETA,
	             GOVERSION_RC,
};

struct goversion {
	unsigned major;         /* 1; 0 when unknown or for a devel without a version */
	unsigned minor;         /* 21 */
	unsigned patch;         /* 3; meaningful when has_patch */
	int has_patch;          /* 1 for "1.21.3" and "1.21.0"; 0 for "1.21", "1.21rc1" */
	enum goversion_pre pre; /* prerelease marker */
	unsigned pre_num;       /* the 1 of rc1 (0 for RELEASE and DEVEL) */
};

#define GOVERSION_UNKNOWN                                                                          \
	{                                                                                          \
		0, 0, 0, 0, GOVERSION_RELEASE, 0                                                   \
	}

/* Buffer size that holds every goversion_format() result. */
#define GOVERSION_MAX 48

/*
 * Parses s (NUL-terminated) in one of the forms above into *out. Returns
 * 0, or -1 when s is not a Go version (then *out is unknown).
 */
int goversion_parse(const char *s, struct goversion *out);

/* True when v is a version (not the unknown zero value). */
int goversion_known(const struct goversion *v);

/* -1, 0 or +1 as a sorts before, the same as or after b (the order above). */
int goversion_cmp(const struct goversion *a, const struct goversion *b);

/*
 * The language version of v into *out: major.minor without patch or
 * prerelease ("1.21.3", "1.21rc1", "devel go1.21-abc" all give "1.21"), what
 * compile's -lang and go.mod's go line mean. Unknown and a devel without a
 * version stay as they are. out may be v.
 */
void goversion_lang(const struct goversion *v, struct goversion *out);

/*
 * True when v's language version (goversion_lang) is at least Go
 * major.minor: "1.21rc1", "1.21.0" and "devel go1.21-abc" are at least 1.21,
 * "1.20.9" is not; a devel without a version always is. False for unknown:
 * callers decide what an unknown version means.
 */
int goversion_at_least(const struct goversion *v, unsigned major, unsigned minor);

/*
 * Writes v's canonical form into buf (at most size bytes, NUL-terminated,
 * GOVERSION_MAX always suffices): "go1.21", "go1.21.3", "go1.21rc1",
 * "devel go1.24", "devel", or "unknown". goversion_parse() reads every
 * form back but "unknown". Returns buf.
 */
char *goversion_format(const struct goversion *v, char *buf, size_t size);

/*
 * The go directive of a go.mod's text (len bytes, need not be
 * NUL-terminated): returns 1 with its version in *out; 0 when there is no
 * go line, with *out = go1.16, what the go command assumes for such a
 * module; -1 when the go line's version does not parse (*out unknown).
 * Comments and other directives (toolchain, godebug, ...) are skipped.
 */
int goversion_gomod(const char *text, size_t len, struct goversion *out);

#endif
