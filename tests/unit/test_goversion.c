/*
 * Unit tests of goversion.c: the forms go prints (go.mod, -lang, vet.cfg,
 * go env GOVERSION, devel toolchains), what does not parse, the go
 * command's order (cmd/go/internal/gover's tests, plus devel), the
 * language version, formatting round trips and go.mod's go directive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/goversion.h"

static struct goversion parsed(const char *s)
{
	struct goversion v;
	if (goversion_parse(s, &v) != 0)
		fail_msg("\"%s\" does not parse", s);
	return v;
}

static void test_parse_forms(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		unsigned major, minor, patch;
		int has_patch;
		enum goversion_pre pre;
		unsigned pre_num;
	} ok[] = {
	    {"1.21", 1, 21, 0, 0, GOVERSION_RELEASE, 0},
	    {"go1.21", 1, 21, 0, 0, GOVERSION_RELEASE, 0},
	    {"go1.21.3", 1, 21, 3, 1, GOVERSION_RELEASE, 0},
	    {"1.21.0", 1, 21, 0, 1, GOVERSION_RELEASE, 0},
	    {"go1.20", 1, 20, 0, 0, GOVERSION_RELEASE, 0},
	    {"go1.21rc1", 1, 21, 0, 0, GOVERSION_RC, 1},
	    {"1.22beta2", 1, 22, 0, 0, GOVERSION_BETA, 2},
	    {"go1.9alpha10", 1, 9, 0, 0, GOVERSION_ALPHA, 10},
	    {"go1", 1, 0, 0, 1, GOVERSION_RELEASE, 0},
	    {"1", 1, 0, 0, 1, GOVERSION_RELEASE, 0},
	    {"go1.0", 1, 0, 0, 0, GOVERSION_RELEASE, 0},
	    {"go2.0.0", 2, 0, 0, 1, GOVERSION_RELEASE, 0},
	    {"go1.999999999.5", 1, 999999999, 5, 1, GOVERSION_RELEASE, 0},
	    /* what go env GOVERSION and go version may add after a space */
	    {"go1.22.0 X:rangefunc", 1, 22, 0, 1, GOVERSION_RELEASE, 0},
	    {"go1.26.8\n", 1, 26, 8, 1, GOVERSION_RELEASE, 0},
	    {"go1.19.8\ttime 2023", 1, 19, 8, 1, GOVERSION_RELEASE, 0},
	    /* development toolchains */
	    {"devel go1.24-abcdef12 Tue Jan 2 15:04:05 2024 +0000", 1, 24, 0, 0, GOVERSION_DEVEL,
	     0},
	    {"devel go1.27", 1, 27, 0, 0, GOVERSION_DEVEL, 0},
	    {"devel +b7a03cd Mon Jan 1 00:00:00 2018", 0, 0, 0, 0, GOVERSION_DEVEL, 0},
	    {"devel", 0, 0, 0, 0, GOVERSION_DEVEL, 0},
	    {"devel go1.x-abc", 0, 0, 0, 0, GOVERSION_DEVEL, 0}, /* unreadable: no version */
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct goversion v = parsed(ok[i].in);
		if (v.major != ok[i].major || v.minor != ok[i].minor || v.patch != ok[i].patch ||
		    v.has_patch != ok[i].has_patch || v.pre != ok[i].pre ||
		    v.pre_num != ok[i].pre_num)
			fail_msg("\"%s\": got %u.%u.%u has_patch=%d pre=%d/%u", ok[i].in, v.major,
			         v.minor, v.patch, v.has_patch, (int)v.pre, v.pre_num);
		assert_true(goversion_known(&v));
	}
}

static void test_parse_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "go",
	    "go1.",
	    "1.21.",
	    "1..21",
	    "go1.21.3.4",
	    "go01.21",
	    "go1.021",
	    "1.21.03",
	    "0.5",
	    "go0",
	    "go1.21x1",
	    "1.21rc1.2",
	    "1.21.3rc1",
	    "1.21-rc1",
	    "v1.21",
	    " go1.21",
	    "go 1.21",
	    "GO1.21",
	    "go1.21-bigcorp",
	    "1.21\x01",
	    "go1.1000000000",
	    "go1.21rc01",
	    "develop",
	    "devel-go1.21",
	    "gox1.21",
	    "-1.21",
	    "1.21 ", /* a trailing space is the start of an
	                ignored rest: accepted, see below */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct goversion v;
		int rc = goversion_parse(bad[i], &v);
		if (strcmp(bad[i], "1.21 ") == 0) {
			assert_int_equal(rc, 0);
			continue;
		}
		if (rc != -1)
			fail_msg("\"%s\" parsed", bad[i]);
		assert_false(goversion_known(&v)); /* left unknown */
	}
}

/* The order of cmd/go/internal/gover (gover_test.go's compareTests), and devel. */
static void test_cmp(void **state)
{
	(void)state;
	static const struct {
		const char *a, *b;
		int want;
	} cases[] = {
	    {"1.20", "1.20", 0},
	    {"1.20", "1.20.0", 0}, /* before 1.21, 1.N was the release */
	    {"1.20rc1", "1.20", -1},
	    {"1.20rc1", "1.20.0", -1},
	    {"1.20.1", "1.20", 1},
	    {"1.19", "1.20", -1},
	    {"1.21", "1.21.0", -1}, /* from 1.21, 1.N is the language, before its releases */
	    {"1.21", "1.21rc1", -1},
	    {"1.21rc1", "1.21.0", -1},
	    {"1.21alpha1", "1.21beta1", -1},
	    {"1.21beta1", "1.21rc1", -1},
	    {"1.21rc1", "1.21rc2", -1},
	    {"1.21rc2", "1.21rc10", -1},
	    {"1.21.0", "1.21.1", -1},
	    {"1.21.9", "1.21.10", -1},
	    {"1.21.10", "1.22", -1},
	    {"1.9", "1.10", -1},
	    {"1.99999999", "1.100000000", -1},
	    {"1", "1.0", 0},
	    {"1", "1.0.0", 0},
	    {"go1.21", "1.21", 0},
	    {"2", "1.99", 1},
	    {"devel go1.24-abc", "1.24", 1},
	    {"devel go1.24-abc", "1.24alpha1", -1},
	    {"devel go1.24-abc", "1.24rc1", -1},
	    {"devel go1.24-abc", "1.23.9", 1},
	    {"devel go1.24-abc", "devel go1.24-def", 0},
	    {"devel +abc", "1.99999.1", 1},
	    {"devel +abc", "devel go1.30-abc", 1},
	    {"devel +abc", "devel +def", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct goversion a = parsed(cases[i].a), b = parsed(cases[i].b);
		int got = goversion_cmp(&a, &b), back = goversion_cmp(&b, &a);
		if (got != cases[i].want || back != -cases[i].want)
			fail_msg("cmp(%s, %s) = %d (reverse %d), want %d", cases[i].a, cases[i].b,
			         got, back, cases[i].want);
	}
	/* unknown sorts first, and equals unknown */
	struct goversion u = GOVERSION_UNKNOWN, u2 = GOVERSION_UNKNOWN, one = parsed("1");
	assert_int_equal(goversion_cmp(&u, &u2), 0);
	assert_int_equal(goversion_cmp(&u, &one), -1);
	assert_int_equal(goversion_cmp(&one, &u), 1);
}

static void test_lang_and_at_least(void **state)
{
	(void)state;
	static const struct {
		const char *in, *lang;
		int at_least_121;
	} cases[] = {
	    {"go1.21.3", "go1.21", 1},
	    {"1.21", "go1.21", 1},
	    {"go1.21rc1", "go1.21", 1},
	    {"go1.21.0", "go1.21", 1},
	    {"devel go1.21-abc Tue", "go1.21", 1},
	    {"go1.20.14", "go1.20", 0},
	    {"go1.20", "go1.20", 0},
	    {"go1.19rc2", "go1.19", 0},
	    {"go1.16", "go1.16", 0},
	    {"1.26.8", "go1.26", 1},
	    {"go2", "go2.0", 1},
	    {"devel +abc", "devel", 1},
	};
	char buf[GOVERSION_MAX];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct goversion v = parsed(cases[i].in), l;
		goversion_lang(&v, &l);
		assert_string_equal(goversion_format(&l, buf, sizeof(buf)), cases[i].lang);
		if (goversion_at_least(&v, 1, 21) != cases[i].at_least_121)
			fail_msg("at_least(%s, 1.21) != %d", cases[i].in, cases[i].at_least_121);
		assert_int_equal(goversion_at_least(&l, 1, 21), cases[i].at_least_121);
		goversion_lang(&v, &v); /* in place */
		assert_int_equal(goversion_cmp(&v, &l), 0);
	}
	struct goversion v = parsed("go1.21"), u = GOVERSION_UNKNOWN;
	assert_true(goversion_at_least(&v, 1, 20));
	assert_true(goversion_at_least(&v, 0, 99));
	assert_false(goversion_at_least(&v, 1, 22));
	assert_false(goversion_at_least(&v, 2, 0));
	assert_false(goversion_at_least(&u, 1, 0)); /* unknown: the caller decides */
	goversion_lang(&u, &v);
	assert_false(goversion_known(&v));
}

static void test_format(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"1.21", "go1.21"},
	    {"go1.21.3", "go1.21.3"},
	    {"1.21rc1", "go1.21rc1"},
	    {"1.22beta2", "go1.22beta2"},
	    {"go1.9alpha1", "go1.9alpha1"},
	    {"1", "go1.0.0"},
	    {"go1.26.8 X:foo", "go1.26.8"},
	    {"devel go1.24-abc Tue", "devel go1.24"},
	    {"devel +abc", "devel"},
	};
	char buf[GOVERSION_MAX], small[6];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct goversion v = parsed(cases[i].in), back;
		assert_string_equal(goversion_format(&v, buf, sizeof(buf)), cases[i].out);
		/* what format prints, parse reads back as the same version */
		assert_int_equal(goversion_parse(buf, &back), 0);
		assert_int_equal(goversion_cmp(&v, &back), 0);
		assert_memory_equal(&v, &back, sizeof(v));
	}
	struct goversion u = GOVERSION_UNKNOWN, big = parsed("go1.999999999.999999999");
	assert_string_equal(goversion_format(&u, buf, sizeof(buf)), "unknown");
	assert_string_equal(goversion_format(&big, buf, sizeof(buf)), "go1.999999999.999999999");
	assert_string_equal(goversion_format(&big, small, sizeof(small)), "go1.9"); /* cut, ended */
	assert_ptr_equal(goversion_format(&big, small, 0), small);
}

static void test_gomod(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		const char *want; /* formatted */
	} cases[] = {
	    {"module example.com/m\n\ngo 1.20\n", 1, "go1.20"},
	    {"module example.com/m\r\n\r\ngo 1.21.3\r\n", 1, "go1.21.3"},
	    {"module m\ngo 1.22 // the minimum\n", 1, "go1.22"},
	    {"module m\n\tgo\t1.21rc1\n", 1, "go1.21rc1"},
	    {"module m\ngo \"1.21\"\n", 1, "go1.21"},
	    {"// go 1.30 in a comment\nmodule m\ngo 1.21", 1, "go1.21"},
	    {"module m\ntoolchain go1.23.1\ngodebug default=go1.20\ngo 1.21\n", 1, "go1.21"},
	    {"module m\ngo 1.21\ngo 1.22\n", 1, "go1.21"}, /* the first (go itself refuses) */
	    {"module m\n", 0, "go1.16"},                   /* no go line: go's default */
	    {"", 0, "go1.16"},
	    {"module m\ngolang 1.30\ngoos linux\n", 0, "go1.16"},
	    {"module m\ngo\n", 0, "go1.16"},
	    {"module m\ngo 1.x\n", -1, "unknown"},
	    {"module m\ngo go1.21\n", -1, "unknown"}, /* go.mod has no "go" prefix */
	    {"module m\ngo devel\n", -1, "unknown"},
	    {"module m\ngo \"1.21\n", -1, "unknown"},
	    {"module m\ngo 1.21.3.4\n", -1, "unknown"},
	};
	char buf[GOVERSION_MAX];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct goversion v;
		int rc = goversion_gomod(cases[i].text, strlen(cases[i].text), &v);
		if (rc != cases[i].rc ||
		    strcmp(goversion_format(&v, buf, sizeof(buf)), cases[i].want))
			fail_msg("gomod case %zu: rc %d version %s, want %d %s", i, rc, buf,
			         cases[i].rc, cases[i].want);
	}
	/* not NUL-terminated: the length is what counts */
	struct goversion v;
	const char text[] = "go 1.21\ngo 1.22";
	assert_int_equal(goversion_gomod(text + 8, 7, &v), 1);
	assert_string_equal(goversion_format(&v, buf, sizeof(buf)), "go1.22");
	assert_int_equal(goversion_gomod(text, 6, &v), 1); /* "go 1.2" */
	assert_string_equal(goversion_format(&v, buf, sizeof(buf)), "go1.2");
	/* a NUL inside the go line is not a version */
	const char nul[] = "go 1.2\0001\n";
	assert_int_equal(goversion_gomod(nul, sizeof(nul) - 1, &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_forms), cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_cmp),         cmocka_unit_test(test_lang_and_at_least),
	    cmocka_unit_test(test_format),      cmocka_unit_test(test_gomod),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
