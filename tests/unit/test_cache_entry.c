/* Unit tests of cache_entry.c: the manifest under ac/<key>, signed and not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_entry.h"
#include "core/crypto.h"
#include "core/util.h"

#define KEY_A  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define KEY_B  "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define H1     "1111111111111111111111111111111111111111111111111111111111111111"
#define H2     "2222222222222222222222222222222222222222222222222222222222222222"
#define HMAC1  "k1-secret"
#define HMAC2  "k2-secret"
#define MAXOBJ 1000000u

static struct cache_entry sample(void)
{
	struct cache_entry e;

	memset(&e, 0, sizeof(e));
	strcpy(e.key, KEY_A);
	strcpy(e.tool, "compile");
	strcpy(e.golive, "0.1.0");
	e.tool_ns = 123456789;
	e.created = 1764000000;
	strcpy(e.outputs[0].role, "o");
	strcpy(e.outputs[0].sha256, H1);
	e.outputs[0].size = 4096;
	strcpy(e.outputs[1].role, "asmhdr");
	strcpy(e.outputs[1].sha256, H2);
	e.outputs[1].size = 17;
	e.noutputs = 2;
	return e;
}

static void assert_entry_equal(const struct cache_entry *a, const struct cache_entry *b)
{
	assert_string_equal(a->key, b->key);
	assert_string_equal(a->tool, b->tool);
	assert_string_equal(a->golive, b->golive);
	assert_int_equal(a->tool_ns, b->tool_ns);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->noutputs, b->noutputs);
	for (size_t i = 0; i < a->noutputs; i++) {
		assert_string_equal(a->outputs[i].role, b->outputs[i].role);
		assert_string_equal(a->outputs[i].sha256, b->outputs[i].sha256);
		assert_int_equal(a->outputs[i].size, b->outputs[i].size);
	}
}

/* decode of s (NUL-terminated); returns the cause (malloc'd) or NULL on success. */
static char *decode_cause(const char *s, const char *expect, const char *hmac, uint64_t maxobj,
                          struct cache_entry *e)
{
	char *cause = NULL;
	int rc = cache_entry_decode(s, strlen(s), expect, hmac, maxobj, e, &cause);

	if (rc == 0) {
		assert_null(cause);
		return NULL;
	}
	assert_int_equal(rc, -1);
	assert_non_null(cause);
	return cause;
}

/*
 * A manifest from a template: ' becomes ", $K the key A, $H / $G the hashes.
 * Keeps the table below readable.
 */
static char *expand(const char *t)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = t; *p; p++) {
		if (*p == '\'')
			strbuf_addch(&sb, '"');
		else if (p[0] == '$' && p[1] == 'K')
			strbuf_addstr(&sb, KEY_A), p++;
		else if (p[0] == '$' && p[1] == 'H')
			strbuf_addstr(&sb, H1), p++;
		else if (p[0] == '$' && p[1] == 'G')
			strbuf_addstr(&sb, H2), p++;
		else
			strbuf_addch(&sb, *p);
	}
	return strbuf_detach(&sb, NULL);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct cache_entry e = sample(), back;
	size_t len = 0;
	char *cause = NULL;
	char *text = cache_entry_encode(&e, NULL, &len, &cause);

	assert_non_null(text);
	assert_null(cause);
	assert_int_equal(len, strlen(text));
	assert_null(strstr(text, "hmac"));
	assert_null(decode_cause(text, KEY_A, NULL, MAXOBJ, &back));
	assert_entry_equal(&e, &back);
	assert_int_equal(back.signed_, 0);
	free(text);
}

/* The canonical text is the header's: keys in order, compact. */
static void test_canonical_text(void **state)
{
	(void)state;
	struct cache_entry e = sample();
	char *cause = NULL;
	char *text = cache_entry_encode(&e, NULL, NULL, &cause);
	char *want = expand("{'format':1,'key':'$K','tool':'compile','golive':'0.1.0',"
	                    "'tool_ns':123456789,'created':1764000000,'outputs':["
	                    "{'role':'o','sha256':'$H','size':4096},"
	                    "{'role':'asmhdr','sha256':'$G','size':17}]}");

	assert_non_null(text);
	assert_string_equal(text, want);
	free(want);
	free(text);
}

static void test_signed_round_trip(void **state)
{
	(void)state;
	struct cache_entry e = sample(), back;
	char *cause = NULL;
	char *text = cache_entry_encode(&e, HMAC1, NULL, &cause);

	assert_non_null(text);
	assert_non_null(strstr(text, "\"hmac\":\""));
	assert_null(decode_cause(text, KEY_A, HMAC1, MAXOBJ, &back));
	assert_entry_equal(&e, &back);
	assert_int_equal(back.signed_, 1);
	/* without a key the signature is not checked */
	assert_null(decode_cause(text, KEY_A, NULL, MAXOBJ, &back));
	assert_int_equal(back.signed_, 0);
	/* an empty key is no key */
	assert_null(decode_cause(text, KEY_A, "", MAXOBJ, &back));
	assert_int_equal(back.signed_, 0);
	free(text);
}

/* The hmac is the header's: HMAC-SHA256(key, domain + key + "\n" + canonical). */
static void test_hmac_is_documented_one(void **state)
{
	(void)state;
	struct cache_entry e = sample();
	char *cause = NULL, want[65];
	char *plain = cache_entry_encode(&e, NULL, NULL, &cause);
	char *text = cache_entry_encode(&e, HMAC1, NULL, &cause);
	char *msg = xasprintf("golive-cache-entry v1\n%s\n%s", KEY_A, plain);
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);

	assert_non_null(o);
	assert_int_equal(hmac_sha256_hex(HMAC1, strlen(HMAC1), msg, strlen(msg), want, &cause), 0);
	assert_string_equal(json_string_value(json_object_get(o, "hmac")), want);
	/* and hmac is the last member */
	assert_int_equal(strncmp(text + strlen(text) - 75, ",\"hmac\":\"", 9), 0);
	json_decref(o);
	free(msg);
	free(plain);
	free(text);
}

/* Spacing and member order of the stored bytes do not matter: the struct is what is signed. */
static void test_signature_ignores_layout(void **state)
{
	(void)state;
	struct cache_entry e = sample(), back;
	char *cause = NULL;
	char *text = cache_entry_encode(&e, HMAC1, NULL, &cause);
	json_t *o = json_loads(text, 0, NULL);
	char *pretty = json_dumps(o, JSON_INDENT(3) | JSON_SORT_KEYS);

	assert_non_null(pretty);
	assert_null(decode_cause(pretty, KEY_A, HMAC1, MAXOBJ, &back));
	assert_int_equal(back.signed_, 1);
	free(pretty);
	json_decref(o);
	free(text);
}

/* text with the first occurrence of from replaced by to (a new string). */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);

	assert_non_null(p);
	return xasprintf("%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
}

static void test_replay_under_another_key(void **state)
{
	(void)state;
	struct cache_entry e = sample(), back;
	char *cause = NULL;
	char *text = cache_entry_encode(&e, HMAC1, NULL, &cause);
	char *moved = replace(text, KEY_A, KEY_B);
	char *c;

	/* stored under B as it is: the key inside says A */
	c = decode_cause(text, KEY_B, HMAC1, MAXOBJ, &back);
	assert_string_equal(c, "manifest: key mismatch");
	free(c);
	/* the key inside rewritten to B: the signature was over A */
	c = decode_cause(moved, KEY_B, HMAC1, MAXOBJ, &back);
	assert_string_equal(c, "manifest: bad signature");
	free(c);
	/* without an HMAC key, nothing stops that: the reason to set one */
	assert_null(decode_cause(moved, KEY_B, NULL, MAXOBJ, &back));
	free(moved);
	free(text);
}

static void test_tampered_fails(void **state)
{
	(void)state;
	struct cache_entry e = sample(), back;
	char *cause = NULL;
	char *text = cache_entry_encode(&e, HMAC1, NULL, &cause);
	const char *const from[] = {"\"size\":4096", H2, "\"tool_ns\":123456789", "0.1.0",
	                            "\"asmhdr\""};
	const char *const to[] = {"\"size\":4095", H1, "\"tool_ns\":1", "0.1.1", "\"linkobj\""};

	for (size_t i = 0; i < ARRAY_SIZE(from); i++) {
		char *t = replace(text, from[i], to[i]);
		char *c = decode_cause(t, KEY_A, HMAC1, MAXOBJ, &back);

		assert_non_null(c);
		if (strcmp(c, "manifest: bad signature") != 0)
			fail_msg("%s -> %s: %s", from[i], to[i], c);
		free(c);
		free(t);
	}
	/* unchanged text under another HMAC key */
	char *c = decode_cause(text, KEY_A, HMAC2, MAXOBJ, &back);
	assert_string_equal(c, "manifest: bad signature");
	free(c);
	/* a flipped hmac digit */
	char *mac = strstr(text, "\"hmac\":\"") + 8;
	mac[0] = mac[0] == '0' ? '1' : '0';
	c = decode_cause(text, KEY_A, HMAC1, MAXOBJ, &back);
	assert_string_equal(c, "manifest: bad signature");
	free(c);
	free(text);
}

static void test_unsigned_with_key(void **state)
{
	(void)state;
	struct cache_entry e = sample(), back;
	char *cause = NULL;
	char *text = cache_entry_encode(&e, NULL, NULL, &cause);
	char *c = decode_cause(text, KEY_A, HMAC1, MAXOBJ, &back);

	assert_string_equal(c, "manifest: not signed");
	assert_int_equal(back.noutputs, 0); /* zeroed on failure */
	free(c);
	free(text);
}

#define GOOD_OUT "{'role':'o','sha256':'$H','size':4}"
#define HEAD     "{'format':1,'key':'$K','tool':'compile','golive':'0.1.0','tool_ns':1,'created':2,"

static const struct {
	const char *text;  /* a template for expand() */
	const char *cause; /* the whole cause, or its start when it ends in '*' */
} rejects[] = {
    {"", "manifest: not JSON*"},
    {"{", "manifest: not JSON*"},
    {HEAD "'outputs':[" GOOD_OUT "]} x", "manifest: not JSON*"},
    {"[1]", "manifest: not a JSON object"},
    {"{'format':1,'format':1}", "manifest: duplicate field at byte*"},
    {HEAD "'outputs':[" GOOD_OUT "],'key':'$K'}", "manifest: duplicate field at byte*"},
    {"{}", "manifest: missing \"format\""},
    {"{'format':2}", "manifest: format 2 (want 1)"},
    {"{'format':'1'}", "manifest: \"format\" is not an integer"},
    {"{'format':1.0}", "manifest: \"format\" is not an integer"},
    {HEAD "'outputs':[" GOOD_OUT "],'extra':true}", "manifest: unknown field \"extra\""},
    {HEAD "'outputs':[" GOOD_OUT "],'\\u0001\\n':1}", "manifest: unknown field \"??\""},
    {"{'format':1,'tool':'compile'}", "manifest: missing \"key\""},
    {"{'format':1,'key':7}", "manifest: \"key\" is not a string"},
    {"{'format':1,'key':'$K','tool':'compile','golive':'0.1.0','tool_ns':1,'created':2}",
     "manifest: missing \"outputs\""},
    {"{'format':1,'key':'$K','tool':'compile','golive':'0.1.0','tool_ns':-1,'created':2,"
     "'outputs':[]}",
     "manifest: \"tool_ns\" is negative"},
    {"{'format':1,'key':'$K','tool':'compile','golive':'0.1.0','tool_ns':1.5,'created':2,"
     "'outputs':[]}",
     "manifest: \"tool_ns\" is not an integer"},
    {"{'format':1,'key':'$K','tool':'compile','golive':'0.1.0','tool_ns':1,'created':null,"
     "'outputs':[]}",
     "manifest: \"created\" is not an integer"},
    {"{'format':1,'key':'$K','tool':'compile','golive':'0.1.0','tool_ns':1,"
     "'created':99999999999999999999999,'outputs':[]}",
     "manifest: not JSON*"},
    {"{'format':1,'key':'$Kaa','tool':'compile','golive':'0.1.0','tool_ns':1,'created':2,"
     "'outputs':[" GOOD_OUT "]}",
     "manifest: \"key\" is too long (66 bytes, at most 64)"},
    {"{'format':1,'key':'0123','tool':'compile','golive':'0.1.0','tool_ns':1,'created':2,"
     "'outputs':[" GOOD_OUT "]}",
     "manifest: key is not 64 lowercase hex digits"},
    {"{'format':1,'key':'0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef',"
     "'tool':'compile','golive':'0.1.0','tool_ns':1,'created':2,'outputs':[" GOOD_OUT "]}",
     "manifest: key is not 64 lowercase hex digits"},
    {"{'format':1,'key':'$K','tool':'','golive':'0.1.0','tool_ns':1,'created':2,"
     "'outputs':[" GOOD_OUT "]}",
     "manifest: tool is empty, too long or not printable ASCII"},
    {"{'format':1,'key':'$K','tool':'compile\\u00e9','golive':'0.1.0','tool_ns':1,"
     "'created':2,'outputs':[" GOOD_OUT "]}",
     "manifest: tool is empty, too long or not printable ASCII"},
    {"{'format':1,'key':'$K','tool':'0123456789012345678901234567890123456789',"
     "'golive':'0.1.0','tool_ns':1,'created':2,'outputs':[" GOOD_OUT "]}",
     "manifest: \"tool\" is too long (40 bytes, at most 31)"},
    {"{'format':1,'key':'$K','tool':'compile','golive':'0.1\\n','tool_ns':1,'created':2,"
     "'outputs':[" GOOD_OUT "]}",
     "manifest: golive is empty, too long or not printable ASCII"},
    {"{'format':1,'key':'$K','tool':'compile','golive':'0\\u0000','tool_ns':1,'created':2,"
     "'outputs':[" GOOD_OUT "]}",
     "manifest: not JSON*"},
    {HEAD "'outputs':{}}", "manifest: \"outputs\" is not an array"},
    {HEAD "'outputs':[]}", "manifest: no outputs"},
    {HEAD "'outputs':[" GOOD_OUT "," GOOD_OUT "," GOOD_OUT "," GOOD_OUT "," GOOD_OUT "]}",
     "manifest: 5 outputs (at most 4)"},
    {HEAD "'outputs':[7]}", "manifest: outputs[0] is not an object"},
    {HEAD "'outputs':[{'role':'x','sha256':'$H','size':4}]}",
     "manifest: outputs[0]: unknown role \"x\""},
    {HEAD "'outputs':[{'role':'O','sha256':'$H','size':4}]}",
     "manifest: outputs[0]: unknown role \"O\""},
    {HEAD "'outputs':[{'role':'linkobj-long-role-name','sha256':'$H','size':4}]}",
     "manifest: outputs[0]: \"role\" is too long (22 bytes, at most 15)"},
    {HEAD "'outputs':[" GOOD_OUT ",{'role':'o','sha256':'$G','size':4}]}",
     "manifest: outputs[1]: role \"o\" repeated"},
    {HEAD "'outputs':[{'role':'asmhdr','sha256':'$H','size':4}]}", "manifest: no \"o\" output"},
    {HEAD "'outputs':[{'role':'o','sha256':'$H','size':4,'path':'/x'}]}",
     "manifest: outputs[0]: unknown field \"path\""},
    {HEAD "'outputs':[{'role':'o','sha256':'$H'}]}", "manifest: outputs[0]: missing \"size\""},
    {HEAD "'outputs':[{'role':'o','size':4}]}", "manifest: outputs[0]: missing \"sha256\""},
    {HEAD "'outputs':[{'role':'o','sha256':'$H','size':'4'}]}",
     "manifest: outputs[0]: \"size\" is not an integer"},
    {HEAD "'outputs':[{'role':'o','sha256':'$H','size':-4}]}",
     "manifest: outputs[0]: \"size\" is negative"},
    {HEAD "'outputs':[{'role':'o','sha256':'$H','size':1000001}]}",
     "manifest: outputs[0]: size 1000001 > max_object 1000000"},
    {HEAD "'outputs':[{'role':'o','sha256':'abc','size':4}]}",
     "manifest: outputs[0]: sha256 is not 64 lowercase hex digits"},
    {HEAD "'outputs':[{'role':'o','sha256':'"
          "zz11111111111111111111111111111111111111111111111111111111111111','size':4}]}",
     "manifest: outputs[0]: sha256 is not 64 lowercase hex digits"},
    {HEAD "'outputs':[" GOOD_OUT "],'hmac':'abc'}",
     "manifest: \"hmac\" is not 64 lowercase hex digits"},
    {HEAD "'outputs':[" GOOD_OUT "],'hmac':5}",
     "manifest: \"hmac\" is not 64 lowercase hex digits"},
};

static void test_rejects(void **state)
{
	(void)state;
	struct cache_entry back;

	for (size_t i = 0; i < ARRAY_SIZE(rejects); i++) {
		char *text = expand(rejects[i].text);
		char *c = decode_cause(text, KEY_A, NULL, MAXOBJ, &back);
		const char *want = rejects[i].cause;
		size_t n = strlen(want);

		if (!c)
			fail_msg("accepted: %s", text);
		assert_null(strchr(c, '\n'));
		if (want[n - 1] == '*' ? strncmp(c, want, n - 1) != 0 : strcmp(c, want) != 0)
			fail_msg("%s\n  got  %s\n  want %s", text, c, want);
		free(c);
		free(text);
	}
}

/* The good manifest the table starts from is accepted, so each rejection is about its change. */
static void test_table_base_accepted(void **state)
{
	(void)state;
	struct cache_entry back;
	char *text = expand(HEAD "'outputs':[" GOOD_OUT "]}");

	assert_null(decode_cause(text, KEY_A, NULL, MAXOBJ, &back));
	assert_int_equal(back.noutputs, 1);
	assert_int_equal(back.outputs[0].size, 4);
	/* max_object 0: no limit; expect_key NULL: any key */
	assert_null(decode_cause(text, NULL, NULL, 0, &back));
	free(text);
}

static void test_too_large(void **state)
{
	(void)state;
	struct cache_entry back;
	struct strbuf sb = STRBUF_INIT;
	char *c = NULL;

	strbuf_addstr(&sb, "{\"format\":1");
	while (sb.len <= CACHE_ENTRY_MAX_SIZE)
		strbuf_addstr(&sb, "                ");
	strbuf_addch(&sb, '}');
	assert_int_equal(cache_entry_decode(sb.buf, sb.len, KEY_A, NULL, MAXOBJ, &back, &c), -1);
	assert_true(starts_with(c, "manifest: "));
	assert_non_null(strstr(c, "(at most 65536)"));
	free(c);
	strbuf_release(&sb);
}

/* Bytes that are not text at all: one line, no raw bytes in the cause. */
static void test_binary_input(void **state)
{
	(void)state;
	struct cache_entry back;
	const char bin[] = "{\"format\":1,\"\x01\xff\n\":1}";
	char *c = NULL;

	assert_int_equal(cache_entry_decode(bin, sizeof(bin) - 1, KEY_A, NULL, MAXOBJ, &back, &c),
	                 -1);
	assert_true(starts_with(c, "manifest: "));
	for (const char *p = c; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	free(c);
}

static void test_encode_refuses_invalid(void **state)
{
	(void)state;
	struct cache_entry e = sample();
	char *cause = NULL;

	e.noutputs = 0;
	assert_null(cache_entry_encode(&e, NULL, NULL, &cause));
	assert_string_equal(cause, "manifest: no outputs");
	free(cause);
	cause = NULL;

	e = sample();
	strcpy(e.outputs[1].role, "o");
	assert_null(cache_entry_encode(&e, HMAC1, NULL, &cause));
	assert_string_equal(cause, "manifest: outputs[1]: role \"o\" repeated");
	free(cause);
	cause = NULL;

	e = sample();
	memset(e.tool, 'x', sizeof(e.tool)); /* no NUL */
	assert_null(cache_entry_encode(&e, NULL, NULL, &cause));
	assert_string_equal(cause, "manifest: tool is empty, too long or not printable ASCII");
	free(cause);
	cause = NULL;

	e = sample();
	e.outputs[0].sha256[3] = 'G';
	assert_null(cache_entry_encode(&e, NULL, NULL, &cause));
	assert_string_equal(cause, "manifest: outputs[0]: sha256 is not 64 lowercase hex digits");
	free(cause);
}

/* Every role, and the largest counts. */
static void test_all_roles_and_limits(void **state)
{
	(void)state;
	struct cache_entry e = sample(), back;
	char *cause = NULL;

	strcpy(e.outputs[2].role, "linkobj");
	strcpy(e.outputs[2].sha256, H1);
	e.outputs[2].size = MAXOBJ;
	e.noutputs = 3;
	e.tool_ns = INT64_MAX;
	strcpy(e.golive, "0.1.0 \"dev\" \\ x");
	char *text = cache_entry_encode(&e, HMAC1, NULL, &cause);
	assert_non_null(text);
	assert_null(decode_cause(text, KEY_A, HMAC1, MAXOBJ, &back));
	assert_entry_equal(&e, &back);
	/* one byte more than max_object */
	char *c = decode_cause(text, KEY_A, HMAC1, MAXOBJ - 1, &back);
	assert_string_equal(c, "manifest: outputs[2]: size 1000000 > max_object 999999");
	free(c);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_canonical_text),
	    cmocka_unit_test(test_signed_round_trip),
	    cmocka_unit_test(test_hmac_is_documented_one),
	    cmocka_unit_test(test_signature_ignores_layout),
	    cmocka_unit_test(test_replay_under_another_key),
	    cmocka_unit_test(test_tampered_fails),
	    cmocka_unit_test(test_unsigned_with_key),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_table_base_accepted),
	    cmocka_unit_test(test_too_large),
	    cmocka_unit_test(test_binary_input),
	    cmocka_unit_test(test_encode_refuses_invalid),
	    cmocka_unit_test(test_all_roles_and_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
