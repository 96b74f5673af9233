/*
 * Tests of cache_prog.c: base64, the request parser, the request stream
 * (bodies, empty lines, skipped bodies, bounds), the response encoder, and
 * the program itself driven like go drives it: over pipes, one request at a
 * time, answers read back (a fake go). The remote is a dir:// cache in a
 * temporary directory: upload, a fresh local directory served from the
 * remote, a corrupted object and a wrong HMAC key refused, read-only mode,
 * and a remote that is down (one warning, the local cache goes on).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache_backend.h"
#include "cache/cache_config.h"
#include "cache/cache_entry.h"
#include "cache/cache_prog.h"
#include "core/crypto.h"
#include "core/gotool.h"
#include "core/util.h"

/* ---- base64 ------------------------------------------------------------------- */

static void test_base64(void **state)
{
	static const struct {
		const char *plain, *b64;
	} v[] = {{"", ""},
	         {"f", "Zg=="},
	         {"fo", "Zm8="},
	         {"foo", "Zm9v"},
	         {"foob", "Zm9vYg=="},
	         {"fooba", "Zm9vYmE="},
	         {"foobar", "Zm9vYmFy"}};
	unsigned char out[16];
	char enc[16];
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		prog_base64_encode((const unsigned char *)v[i].plain, strlen(v[i].plain), enc);
		assert_string_equal(enc, v[i].b64);
		assert_int_equal(prog_base64_decode(v[i].b64, strlen(v[i].b64), out, sizeof(out)),
		                 strlen(v[i].plain));
		assert_memory_equal(out, v[i].plain, strlen(v[i].plain));
	}
	assert_int_equal(prog_base64_decode("Zg=", 3, out, sizeof(out)), -1);  /* not 4n */
	assert_int_equal(prog_base64_decode("Z===", 4, out, sizeof(out)), -1); /* too much pad */
	assert_int_equal(prog_base64_decode("Zg==Zg==", 8, out, sizeof(out)), -1); /* pad inside */
	assert_int_equal(prog_base64_decode("Zm9v", 4, out, 2), -1);               /* over max */
	assert_int_equal(prog_base64_decode("Zm 9", 4, out, sizeof(out)), -1);
	assert_int_equal(prog_base64_decode("Zm=v", 4, out, sizeof(out)), -1);
}

/* ---- the request parser ------------------------------------------------------------- */

/* base64 of 32 bytes of value b. */
static const char *id64(int b, char out[48])
{
	unsigned char id[PROG_ID_SIZE];

	memset(id, b, sizeof(id));
	prog_base64_encode(id, sizeof(id), out);
	return out;
}

static int parse(const char *line, struct prog_request *req, char **cause)
{
	memset(req, 0, sizeof(*req));
	*cause = NULL;
	return prog_request_parse(line, strlen(line), req, cause);
}

static void test_parse_good(void **state)
{
	struct prog_request req;
	char *cause, a[48], o[48], line[512];
	(void)state;

	snprintf(line, sizeof(line), "{\"ID\":7,\"Command\":\"get\",\"ActionID\":\"%s\"}",
	         id64(1, a));
	assert_int_equal(parse(line, &req, &cause), 0);
	assert_int_equal(req.id, 7);
	assert_int_equal(req.cmd, PROG_GET);
	assert_true(req.has_action);
	assert_int_equal(req.action_id[0], 1);
	assert_int_equal(req.action_id[31], 1);
	assert_int_equal(req.body_size, 0);

	/* unknown members are ignored (go may add some) */
	snprintf(line, sizeof(line),
	         "{\"ID\":8,\"Command\":\"put\",\"ActionID\":\"%s\",\"OutputID\":\"%s\","
	         "\"BodySize\":12345,\"Future\":[1,2]}",
	         id64(2, a), id64(3, o));
	assert_int_equal(parse(line, &req, &cause), 0);
	assert_int_equal(req.cmd, PROG_PUT);
	assert_int_equal(req.body_size, 12345);
	assert_int_equal(req.output_id[5], 3);

	assert_int_equal(parse("{\"ID\":9,\"Command\":\"close\"}", &req, &cause), 0);
	assert_int_equal(req.cmd, PROG_CLOSE);
	assert_int_equal(req.id, 9);
}

static void expect_bad(const char *line, int want, const char *cause_part)
{
	struct prog_request req;
	char *cause;

	assert_int_equal(parse(line, &req, &cause), want);
	assert_non_null(cause);
	if (!strstr(cause, cause_part))
		fail_msg("cause \"%s\" does not say \"%s\"", cause, cause_part);
	assert_null(strchr(cause, '\n'));
	if (want == 1)
		assert_true(req.has_id);
	free(cause);
}

static void test_parse_bad(void **state)
{
	char a[48], line[512];
	(void)state;

	expect_bad("garbage", -1, "not JSON");
	expect_bad("[1,2]", -1, "not a JSON object");
	expect_bad("{\"Command\":\"get\"}", -1, "no ID");
	expect_bad("{\"ID\":-1,\"Command\":\"get\"}", -1, "ID is not");
	expect_bad("{\"ID\":\"1\",\"Command\":\"get\"}", -1, "ID is not");
	expect_bad("{\"ID\":1,\"ID\":2,\"Command\":\"get\"}", -1, "not JSON");
	expect_bad("{\"ID\":3}", 1, "no Command");
	expect_bad("{\"ID\":3,\"Command\":\"get2\"}", 1, "unknown command \"get2\"");
	expect_bad("{\"ID\":3,\"Command\":\"get\"}", 1, "get without an ActionID");
	expect_bad("{\"ID\":3,\"Command\":\"get\",\"ActionID\":\"AAAA\"}", 1,
	           "ActionID \"AAAA\" is not base64 of 32 bytes");
	expect_bad("{\"ID\":3,\"Command\":\"get\",\"ActionID\":5}", 1, "ActionID is not a string");
	snprintf(line, sizeof(line), "{\"ID\":4,\"Command\":\"put\",\"ActionID\":\"%s\"}",
	         id64(1, a));
	expect_bad(line, 1, "put without an OutputID");
	expect_bad("{\"ID\":5,\"Command\":\"put\",\"BodySize\":-3}", 1, "BodySize is not");
	/* an odd byte in a message is shown as '?' */
	expect_bad("{\"ID\":3,\"Command\":\"g\\u0001t\"}", 1, "unknown command \"g?t\"");
}

/* ---- the stream ------------------------------------------------------------------------ */

struct mem {
	const char *p;
	size_t n, chunk; /* at most chunk bytes per read, to cross buffer ends */
};

static ssize_t mem_read(void *arg, void *buf, size_t n)
{
	struct mem *m = arg;

	if (n > m->n)
		n = m->n;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p, n);
	m->p += n;
	m->n -= n;
	return (ssize_t)n;
}

static int to_sb(void *arg, const void *buf, size_t n)
{
	strbuf_add(arg, buf, n);
	return 0;
}

static void test_stream(void **state)
{
	struct prog_reader *r = xmalloc(sizeof(*r));
	struct prog_request req;
	struct strbuf body = STRBUF_INIT, in = STRBUF_INIT;
	char *cause = NULL, a[48], o[48];
	(void)state;

	/* what go writes: each request, an empty line, the body of a put */
	strbuf_addf(&in, "{\"ID\":1,\"Command\":\"get\",\"ActionID\":\"%s\"}\n\n", id64(1, a));
	strbuf_addf(&in,
	            "{\"ID\":2,\"Command\":\"put\",\"ActionID\":\"%s\",\"OutputID\":\"%s\","
	            "\"BodySize\":5}\n\n\"aGVsbG8=\"\n",
	            id64(1, a), id64(2, o));
	strbuf_addf(&in, "{\"ID\":3,\"Command\":\"close\"}\n\n");
	for (size_t chunk = 0; chunk < 4; chunk++) {
		struct mem m = {in.buf, in.len, chunk};

		prog_reader_init(r, mem_read, &m);
		assert_int_equal(prog_reader_next(r, &req, &cause), 0);
		assert_int_equal(req.cmd, PROG_GET);
		assert_int_equal(req.line, 1);
		assert_int_equal(prog_reader_next(r, &req, &cause), 0);
		assert_int_equal(req.cmd, PROG_PUT);
		assert_int_equal(req.line, 3);
		strbuf_reset(&body);
		assert_int_equal(prog_reader_body(r, req.body_size, to_sb, &body, &cause), 0);
		assert_string_equal(body.buf, "hello");
		assert_int_equal(prog_reader_next(r, &req, &cause), 0);
		assert_int_equal(req.cmd, PROG_CLOSE);
		assert_int_equal(req.line, 6);
		assert_int_equal(prog_reader_next(r, &req, &cause), 2);
		prog_reader_release(r);
	}
	strbuf_release(&in);
	strbuf_release(&body);
	free(r);
}

/* Reads the one put in text and its body; returns prog_reader_body's result, then next's. */
static int body_of(const char *text, int64_t size, int *next, char **cause)
{
	struct prog_reader *r = xmalloc(sizeof(*r));
	struct prog_request req;
	struct strbuf body = STRBUF_INIT;
	struct mem m = {text, strlen(text), 0};
	char *c2 = NULL;
	int rc;

	prog_reader_init(r, mem_read, &m);
	*cause = NULL;
	rc = prog_reader_body(r, size, to_sb, &body, cause);
	*next = rc < 0 ? -9 : prog_reader_next(r, &req, &c2);
	free(c2);
	prog_reader_release(r);
	strbuf_release(&body);
	free(r);
	return rc;
}

static void test_stream_bodies(void **state)
{
	const char *close = "{\"ID\":3,\"Command\":\"close\"}\n";
	char text[512], *cause;
	int next;
	(void)state;

	/* wrong bodies are read to their end: the next request is found */
	snprintf(text, sizeof(text), "\n\"aGVsbG8=\"\n%s", close);
	assert_int_equal(body_of(text, 4, &next, &cause), 1);
	assert_non_null(strstr(cause, "5 bytes, BodySize says 4"));
	assert_int_equal(next, 0);
	free(cause);
	snprintf(text, sizeof(text), "\"aGV*bG8=\"\n%s", close);
	assert_int_equal(body_of(text, 5, &next, &cause), 1);
	assert_non_null(strstr(cause, "not base64"));
	assert_int_equal(next, 0);
	free(cause);
	snprintf(text, sizeof(text), "\"aGVsbG8\"\n%s", close);
	assert_int_equal(body_of(text, 5, &next, &cause), 1);
	assert_non_null(strstr(cause, "cut off"));
	free(cause);
	snprintf(text, sizeof(text), "\"aGVsbG8=\"x\n%s", close);
	assert_int_equal(body_of(text, 5, &next, &cause), 1);
	assert_non_null(strstr(cause, "after the body's closing quote"));
	assert_int_equal(next, 0);
	free(cause);
	snprintf(text, sizeof(text), "\"aGVsbG8=\n%s", close);
	assert_int_equal(body_of(text, 5, &next, &cause), 1);
	assert_non_null(strstr(cause, "closing quote"));
	free(cause);
	/* broken streams */
	assert_int_equal(body_of("\"aGVsbG8=", 5, &next, &cause), -1);
	assert_non_null(strstr(cause, "ends in the middle of a body"));
	free(cause);
	assert_int_equal(body_of(close, 5, &next, &cause), -1);
	assert_non_null(strstr(cause, "want the put's body"));
	free(cause);
	assert_int_equal(body_of("", 5, &next, &cause), -1);
	free(cause);
}

static void test_stream_broken(void **state)
{
	struct prog_reader *r = xmalloc(sizeof(*r));
	struct prog_request req;
	struct strbuf in = STRBUF_INIT;
	char *cause = NULL, a[48], o[48];
	(void)state;

	/* a request line over the cap */
	strbuf_addstr(&in, "{\"ID\":1,\"x\":\"");
	for (size_t i = 0; i < PROG_MAX_LINE; i++)
		strbuf_addch(&in, 'a');
	strbuf_addstr(&in, "\"}\n");
	{
		struct mem m = {in.buf, in.len, 0};
		prog_reader_init(r, mem_read, &m);
		assert_int_equal(prog_reader_next(r, &req, &cause), -1);
		assert_string_equal(cause, "line 1: a request line over 65536 bytes");
		free(cause);
		prog_reader_release(r);
	}
	/* garbage, cut-off input, a body nobody asked for */
	{
		static const struct {
			const char *in, *cause;
		} v[] = {
		    {"\n\nnot json\n", "line 3: not JSON"},
		    {"{\"ID\":1,\"Command\":\"close\"", "line 1: the input ends in the middle"},
		    {"\"aGVsbG8=\"\n", "line 1: not JSON"},
		};
		for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
			struct mem m = {v[i].in, strlen(v[i].in), 0};
			prog_reader_init(r, mem_read, &m);
			assert_int_equal(prog_reader_next(r, &req, &cause), -1);
			if (strncmp(cause, v[i].cause, strlen(v[i].cause)))
				fail_msg("input %zu: cause \"%s\", want \"%s...\"", i, cause,
				         v[i].cause);
			free(cause);
			prog_reader_release(r);
		}
	}
	/* a bad put whose body the caller does not read: the next call skips it */
	strbuf_reset(&in);
	strbuf_addf(&in,
	            "{\"ID\":4,\"Command\":\"put\",\"ActionID\":\"%s\",\"BodySize\":5}\n\n"
	            "\"aGVsbG8=\"\n{\"ID\":5,\"Command\":\"put\",\"ActionID\":\"%s\","
	            "\"OutputID\":\"%s\",\"BodySize\":-1}\n\n\"aGVsbG8=\"\n"
	            "{\"ID\":6,\"Command\":\"close\"}\n",
	            id64(1, a), id64(1, a), id64(2, o));
	{
		struct mem m = {in.buf, in.len, 0};
		prog_reader_init(r, mem_read, &m);
		assert_int_equal(prog_reader_next(r, &req, &cause), 1);
		assert_int_equal(req.id, 4);
		free(cause);
		assert_int_equal(prog_reader_next(r, &req, &cause), 1);
		assert_int_equal(req.id, 5);
		assert_int_equal(req.line, 4);
		free(cause);
		assert_int_equal(prog_reader_next(r, &req, &cause), 0);
		assert_int_equal(req.id, 6);
		assert_int_equal(req.line, 7);
		assert_int_equal(prog_reader_next(r, &req, &cause), 2);
		prog_reader_release(r);
	}
	strbuf_release(&in);
	free(r);
}

/* ---- responses ------------------------------------------------------------------------- */

static json_t *decode_line(const char *line, size_t len)
{
	json_error_t je;
	json_t *o;

	assert_true(len > 0 && line[len - 1] == '\n');
	assert_null(memchr(line, '\n', len - 1));
	o = json_loadb(line, len, 0, &je);
	if (!o)
		fail_msg("not JSON: %s: %.*s", je.text, (int)len, line);
	return o;
}

static void test_response(void **state)
{
	static const char *const known[] = {"get", "put", "close", NULL};
	struct prog_response r = {0};
	unsigned char out[PROG_ID_SIZE], back[PROG_ID_SIZE];
	char *line;
	size_t len;
	json_t *o;
	(void)state;

	r.known = known;
	line = prog_response_encode(&r, &len);
	assert_string_equal(line, "{\"ID\":0,\"KnownCommands\":[\"get\",\"put\",\"close\"]}\n");
	free(line);

	memset(&r, 0, sizeof(r));
	r.id = 42;
	r.miss = 1;
	line = prog_response_encode(&r, &len);
	assert_string_equal(line, "{\"ID\":42,\"Miss\":true}\n");
	free(line);

	for (int i = 0; i < PROG_ID_SIZE; i++)
		out[i] = (unsigned char)(i * 7);
	memset(&r, 0, sizeof(r));
	r.id = 43;
	r.output_id = out;
	r.size = 1234;
	r.time_ns = 1700000000123456789LL;
	r.disk_path = "/c/o/ab/ab\"x";
	line = prog_response_encode(&r, &len);
	o = decode_line(line, len);
	assert_int_equal(json_integer_value(json_object_get(o, "ID")), 43);
	assert_int_equal(json_integer_value(json_object_get(o, "Size")), 1234);
	assert_string_equal(json_string_value(json_object_get(o, "Time")),
	                    "2023-11-14T22:13:20.123456789Z");
	assert_string_equal(json_string_value(json_object_get(o, "DiskPath")), "/c/o/ab/ab\"x");
	assert_null(json_object_get(o, "Miss"));
	assert_int_equal(prog_base64_decode(json_string_value(json_object_get(o, "OutputID")), 44,
	                                    back, sizeof(back)),
	                 PROG_ID_SIZE);
	assert_memory_equal(back, out, PROG_ID_SIZE);
	json_decref(o);
	free(line);

	/* an error says nothing else */
	r.err = "disk \"full\"\n";
	line = prog_response_encode(&r, &len);
	o = decode_line(line, len);
	assert_string_equal(json_string_value(json_object_get(o, "Err")), "disk \"full\"\n");
	assert_int_equal(json_object_size(o), 2);
	json_decref(o);
	free(line);
}

static void test_remote_key(void **state)
{
	unsigned char id[PROG_ID_SIZE];
	char k1[65], k2[65], *cause = NULL;
	(void)state;

	memset(id, 0xab, sizeof(id));
	assert_int_equal(prog_remote_key(id, k1, &cause), 0);
	id[31] ^= 1;
	assert_int_equal(prog_remote_key(id, k2, &cause), 0);
	assert_string_not_equal(k1, k2);
	assert_int_equal(strlen(k1), 64);
	/* the domain is part of it: not the sha256 of the id's hex alone */
	{
		char hex[65], plain[65];
		memset(id, 0xab, sizeof(id));
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		assert_int_equal(sha256_hex(hex, 64, plain, &cause), 0);
		assert_string_not_equal(k1, plain);
	}
}

/* ---- the program, driven like go drives it --------------------------------------------- */

struct fake {
	int in_w, out_r, err_fd;
	char *err_path;
	pthread_t t;
	struct cache_prog_options o;
	struct cache_settings s;
	int status;
	struct strbuf pending; /* bytes read from out_r past the last line */
	int64_t next_id;
};

static char *tmp_root;
static unsigned long long fake_max_object; /* for the next fake_start; 0: the default */

static void *fake_thread(void *arg)
{
	struct fake *f = arg;

	f->status = cache_prog_run(&f->o);
	close(f->o.out_fd);
	return NULL;
}

/* Starts the program on local dir, with backend url (NULL: none), mode, hmac key. */
static void fake_start(struct fake *f, const char *dir, const char *url, enum cache_mode mode,
                       const char *hmac)
{
	int in[2], out[2];

	memset(f, 0, sizeof(*f));
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	f->err_path = xasprintf("%s/err.XXXXXX", tmp_root);
	f->err_fd = mkstemp(f->err_path);
	assert_true(f->err_fd >= 0);
	cache_settings_init(&f->s);
	if (fake_max_object)
		f->s.max_object = fake_max_object;
	if (url) {
		f->s.backend = xstrdup(url);
		f->s.mode = mode;
		f->s.timeout_ms = 500;
	}
	f->o.dir = dir;
	f->o.settings = &f->s;
	f->o.hmac_key = hmac;
	f->o.flush_ms = 5000;
	f->o.stats = 1;
	f->o.in_fd = in[0];
	f->o.out_fd = out[1];
	f->o.err_fd = f->err_fd;
	f->in_w = in[1];
	f->out_r = out[0];
	strbuf_init(&f->pending, 0);
	assert_int_equal(pthread_create(&f->t, NULL, fake_thread, f), 0);
}

/* The next answer line (blocks), as JSON; NULL at the end of the output. */
static json_t *fake_recv(struct fake *f)
{
	for (;;) {
		char *nl = memchr(f->pending.buf, '\n', f->pending.len);
		char buf[4096];
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - f->pending.buf) + 1;
			json_t *o = decode_line(f->pending.buf, len);
			memmove(f->pending.buf, f->pending.buf + len, f->pending.len - len);
			f->pending.len -= len;
			return o;
		}
		n = read(f->out_r, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n >= 0);
		if (n == 0)
			return NULL;
		strbuf_add(&f->pending, buf, (size_t)n);
	}
}

static void fake_send(struct fake *f, const char *s, size_t n)
{
	assert_int_equal(write_all(f->in_w, s, n), 0);
}

/* Sends a JSON request like go's encoder: the object, '\n', then an empty line. */
static int64_t fake_request(struct fake *f, json_t *req)
{
	char *s;
	int64_t id = ++f->next_id;

	json_object_set_new(req, "ID", json_integer(id));
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	fake_send(f, s, strlen(s));
	fake_send(f, "\n\n", 2);
	free(s);
	return id;
}

static void set_id(json_t *req, const char *name, const unsigned char id[PROG_ID_SIZE])
{
	char b64[48];

	prog_base64_encode(id, PROG_ID_SIZE, b64);
	json_object_set_new(req, name, json_string(b64));
}

/* A put of body under action, OutputID = sha256(body) as go computes it; its answer. */
static json_t *fake_put(struct fake *f, const unsigned char action[PROG_ID_SIZE], const char *body,
                        size_t n)
{
	json_t *req = json_pack("{s:s}", "Command", "put"), *resp;
	unsigned char out[PROG_ID_SIZE];
	char hex[65], *cause = NULL, *b64 = xmalloc(4 * ((n + 2) / 3) + 1);
	int64_t id;

	assert_int_equal(sha256_hex(body, n, hex, &cause), 0);
	for (int i = 0; i < PROG_ID_SIZE; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
	set_id(req, "ActionID", action);
	set_id(req, "OutputID", out);
	if (n)
		json_object_set_new(req, "BodySize", json_integer((json_int_t)n));
	id = fake_request(f, req);
	if (n) {
		prog_base64_encode((const unsigned char *)body, n, b64);
		fake_send(f, "\"", 1);
		fake_send(f, b64, strlen(b64));
		fake_send(f, "\"\n", 2);
	}
	free(b64);
	resp = fake_recv(f);
	assert_non_null(resp);
	assert_int_equal(json_integer_value(json_object_get(resp, "ID")), id);
	return resp;
}

static json_t *fake_get(struct fake *f, const unsigned char action[PROG_ID_SIZE])
{
	json_t *req = json_pack("{s:s}", "Command", "get"), *resp;
	int64_t id;

	set_id(req, "ActionID", action);
	id = fake_request(f, req);
	resp = fake_recv(f);
	assert_non_null(resp);
	assert_int_equal(json_integer_value(json_object_get(resp, "ID")), id);
	return resp;
}

/* Sends close (unless eof_only), reads its answer and the end of output; the status. */
static int fake_finish(struct fake *f, int eof_only, struct strbuf *err)
{
	if (!eof_only) {
		int64_t id = fake_request(f, json_pack("{s:s}", "Command", "close"));
		json_t *resp = fake_recv(f);
		assert_non_null(resp);
		assert_int_equal(json_integer_value(json_object_get(resp, "ID")), id);
		json_decref(resp);
	}
	close(f->in_w);
	assert_null(fake_recv(f));
	pthread_join(f->t, NULL);
	close(f->out_r);
	close(f->o.in_fd);
	close(f->err_fd);
	strbuf_reset(err);
	assert_int_equal(strbuf_read_file(err, f->err_path, 1 << 20), 0);
	unlink(f->err_path);
	free(f->err_path);
	cache_settings_release(&f->s);
	strbuf_release(&f->pending);
	return f->status;
}

/* The body at a hit's DiskPath, which must be under dir. */
static void expect_hit(json_t *resp, const char *dir, const char *body, size_t n)
{
	const char *path = json_string_value(json_object_get(resp, "DiskPath"));
	struct strbuf sb = STRBUF_INIT;

	assert_null(json_object_get(resp, "Miss"));
	assert_non_null(path);
	assert_true(starts_with(path, dir));
	assert_int_equal(strbuf_read_file(&sb, path, 1 << 20), 0);
	assert_int_equal(sb.len, n);
	assert_memory_equal(sb.buf, body, n);
	if (json_object_get(resp, "OutputID")) /* a get */
		assert_int_equal(json_integer_value(json_object_get(resp, "Size")), n);
	strbuf_release(&sb);
}

static void expect_miss(json_t *resp)
{
	assert_true(json_is_true(json_object_get(resp, "Miss")));
	assert_null(json_object_get(resp, "DiskPath"));
}

static int count_files(const char *dir)
{
	char *argv[] = {"find", (char *)dir, "-type", "f", NULL};
	struct strbuf out = STRBUF_INIT;
	char *cause = NULL;
	int n = 0;

	if (gotool_run_capture(argv, &out, NULL, 1 << 20, &cause) == 0)
		for (size_t i = 0; i < out.len; i++)
			n += out.buf[i] == '\n';
	free(cause);
	strbuf_release(&out);
	return n;
}

static void remove_tree(const char *dir)
{
	char *argv[] = {"rm", "-rf", (char *)dir, NULL};
	char *cause = NULL;
	struct strbuf sink = STRBUF_INIT;

	gotool_run_capture(argv, &sink, NULL, 0, &cause);
	free(cause);
	strbuf_release(&sink);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/golive-test-cacheprog.XXXXXX";
	(void)state;

	tmp_root = xstrdup(mkdtemp(tmpl));
	unsetenv("GOCACHE");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(tmp_root);
	free(tmp_root);
	return 0;
}

static void test_prog_local(void **state)
{
	struct fake f;
	struct strbuf err = STRBUF_INIT;
	unsigned char a1[PROG_ID_SIZE], a2[PROG_ID_SIZE];
	char *dir = xasprintf("%s/local", tmp_root);
	json_t *resp;
	(void)state;

	memset(a1, 0x11, sizeof(a1));
	memset(a2, 0x22, sizeof(a2));
	fake_start(&f, dir, NULL, CACHE_MODE_OFF, NULL);
	resp = fake_recv(&f); /* the capabilities, first */
	assert_int_equal(json_integer_value(json_object_get(resp, "ID")), 0);
	assert_int_equal(json_array_size(json_object_get(resp, "KnownCommands")), 3);
	json_decref(resp);
	resp = fake_get(&f, a1);
	expect_miss(resp);
	json_decref(resp);
	resp = fake_put(&f, a1, "package archive", 15);
	expect_hit(resp, dir, "package archive", 15);
	json_decref(resp);
	resp = fake_put(&f, a2, "", 0); /* an empty body: no body line */
	expect_hit(resp, dir, "", 0);
	json_decref(resp);
	resp = fake_get(&f, a1);
	expect_hit(resp, dir, "package archive", 15);
	assert_non_null(json_object_get(resp, "Time"));
	json_decref(resp);
	resp = fake_get(&f, a2);
	expect_hit(resp, dir, "", 0);
	json_decref(resp);
	assert_int_equal(fake_finish(&f, 0, &err), 0);
	assert_non_null(strstr(err.buf, "golive cache prog: 3 gets (2 local hits, 0 remote hits, "
	                                "1 misses), 2 puts; local only"));

	/* a second run on the same directory: hits at once; EOF without close is clean */
	fake_start(&f, dir, NULL, CACHE_MODE_OFF, NULL);
	json_decref(fake_recv(&f));
	resp = fake_get(&f, a1);
	expect_hit(resp, dir, "package archive", 15);
	json_decref(resp);
	assert_int_equal(fake_finish(&f, 1, &err), 0);

	/* a broken entry (its body gone) is a miss, not an error */
	{
		char *argv[] = {"sh", "-c", "rm -f \"$0\"/o/*/*", dir, NULL};
		struct strbuf sink = STRBUF_INIT;
		char *cause = NULL;
		assert_int_equal(gotool_run_capture(argv, &sink, NULL, 0, &cause), 0);
		strbuf_release(&sink);
	}
	fake_start(&f, dir, NULL, CACHE_MODE_OFF, NULL);
	json_decref(fake_recv(&f));
	resp = fake_get(&f, a1);
	expect_miss(resp);
	json_decref(resp);
	assert_int_equal(fake_finish(&f, 0, &err), 0);
	strbuf_release(&err);
	free(dir);
}

static void test_prog_bad_requests(void **state)
{
	struct fake f;
	struct strbuf err = STRBUF_INIT;
	char *dir = xasprintf("%s/bad", tmp_root);
	json_t *resp;
	(void)state;

	fake_max_object = 1000;
	fake_start(&f, dir, NULL, CACHE_MODE_OFF, NULL);
	fake_max_object = 0;
	json_decref(fake_recv(&f));
	/* answerable: an Err for that ID, one line on stderr, and the program goes on */
	{
		const char *bad = "{\"ID\":5,\"Command\":\"get\",\"ActionID\":\"AAAA\"}\n\n";
		fake_send(&f, bad, strlen(bad));
	}
	resp = fake_recv(&f);
	assert_int_equal(json_integer_value(json_object_get(resp, "ID")), 5);
	assert_non_null(strstr(json_string_value(json_object_get(resp, "Err")), "ActionID"));
	json_decref(resp);
	/* a put over max_object: its body is read and dropped */
	{
		char a[48], o[48], line[256];
		snprintf(line, sizeof(line),
		         "{\"ID\":6,\"Command\":\"put\",\"ActionID\":\"%s\",\"OutputID\":\"%s\","
		         "\"BodySize\":2000}\n\n\"",
		         id64(1, a), id64(2, o));
		fake_send(&f, line, strlen(line));
		for (int i = 0; i < 4 * 2001 / 3; i++)
			fake_send(&f, "A", 1);
		fake_send(&f, "\"\n", 2);
	}
	resp = fake_recv(&f);
	assert_int_equal(json_integer_value(json_object_get(resp, "ID")), 6);
	assert_non_null(strstr(json_string_value(json_object_get(resp, "Err")), "max_object"));
	json_decref(resp);
	/* garbage: the stream cannot be answered any more; exit 1 */
	fake_send(&f, "}{ garbage\n", strlen("}{ garbage\n"));
	close(f.in_w);
	assert_null(fake_recv(&f));
	pthread_join(f.t, NULL);
	assert_int_equal(f.status, 1);
	close(f.out_r);
	close(f.o.in_fd);
	close(f.err_fd);
	assert_int_equal(strbuf_read_file(&err, f.err_path, 1 << 20), 0);
	assert_non_null(
	    strstr(err.buf, "golive cache prog: request 5 (line 1): ActionID \"AAAA\""));
	assert_non_null(strstr(err.buf,
	                       "golive cache prog: request 6 (line 3): body of 2000 bytes is over "
	                       "cache.max_object (1000)"));
	assert_non_null(strstr(err.buf, "golive cache prog: line 6: not JSON"));
	unlink(f.err_path);
	free(f.err_path);
	cache_settings_release(&f.s);
	strbuf_release(&f.pending);
	strbuf_release(&err);
	free(dir);
}

/* --dir inside GOCACHE is refused, spelled directly or through a symlink into it. */
static void test_prog_inside_gocache(void **state)
{
	char *gc = xasprintf("%s/gocache", tmp_root), *link = xasprintf("%s/gclink", tmp_root);
	char *dirs[2] = {xasprintf("%s/gocache/x", tmp_root), xasprintf("%s/gclink/y", tmp_root)};
	(void)state;

	assert_int_equal(mkdir(gc, 0700), 0);
	assert_int_equal(symlink(gc, link), 0);
	for (int i = 0; i < 2; i++) {
		struct fake f;
		struct strbuf err = STRBUF_INIT;
		setenv("GOCACHE", gc, 1);
		fake_start(&f, dirs[i], NULL, CACHE_MODE_OFF, NULL);
		pthread_join(f.t, NULL);
		unsetenv("GOCACHE");
		assert_int_equal(f.status, 2);
		close(f.in_w);
		close(f.out_r);
		close(f.o.in_fd);
		close(f.err_fd);
		assert_int_equal(strbuf_read_file(&err, f.err_path, 1 << 20), 0);
		assert_non_null(strstr(err.buf, "is inside GOCACHE"));
		unlink(f.err_path);
		free(f.err_path);
		cache_settings_release(&f.s);
		strbuf_release(&f.pending);
		strbuf_release(&err);
		free(dirs[i]);
	}
	unlink(link);
	free(link);
	free(gc);
}

static void test_prog_remote(void **state)
{
	struct fake f;
	struct strbuf err = STRBUF_INIT;
	unsigned char a1[PROG_ID_SIZE], a2[PROG_ID_SIZE];
	char *remote = xasprintf("%s/remote", tmp_root), *url = xasprintf("dir://%s", remote);
	char *l1 = xasprintf("%s/l1", tmp_root), *l2 = xasprintf("%s/l2", tmp_root);
	char *l3 = xasprintf("%s/l3", tmp_root), *l4 = xasprintf("%s/l4", tmp_root);
	char *l5 = xasprintf("%s/l5", tmp_root);
	char body[3000];
	json_t *resp;
	(void)state;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)(i * 31 + 7);
	memset(a1, 0x31, sizeof(a1));
	memset(a2, 0x32, sizeof(a2));

	/* machine 1: puts go to the remote, signed */
	fake_start(&f, l1, url, CACHE_MODE_READ_WRITE, "key1");
	json_decref(fake_recv(&f));
	resp = fake_put(&f, a1, body, sizeof(body));
	expect_hit(resp, l1, body, sizeof(body));
	json_decref(resp);
	resp = fake_put(&f, a2, "small", 5);
	json_decref(resp);
	assert_int_equal(fake_finish(&f, 0, &err), 0);
	assert_non_null(strstr(err.buf, "uploaded 2 ("));
	assert_int_equal(count_files(remote), 4); /* 2 manifests, 2 objects */

	/* machine 2, an empty local directory: served by the remote */
	fake_start(&f, l2, url, CACHE_MODE_READ_WRITE, "key1");
	json_decref(fake_recv(&f));
	resp = fake_get(&f, a1);
	expect_hit(resp, l2, body, sizeof(body));
	json_decref(resp);
	resp = fake_get(&f, a1); /* now local */
	expect_hit(resp, l2, body, sizeof(body));
	json_decref(resp);
	assert_int_equal(fake_finish(&f, 0, &err), 0);
	assert_non_null(strstr(err.buf, "2 gets (1 local hits, 1 remote hits, 0 misses)"));

	/* a reader with another key refuses the entries: a miss, and one line says why */
	fake_start(&f, l3, url, CACHE_MODE_READ_ONLY, "other");
	json_decref(fake_recv(&f));
	resp = fake_get(&f, a1);
	expect_miss(resp);
	json_decref(resp);
	resp = fake_get(&f, a2);
	expect_miss(resp);
	json_decref(resp);
	/* read-only: a put is kept locally, never uploaded */
	{
		unsigned char a3[PROG_ID_SIZE];
		memset(a3, 0x33, sizeof(a3));
		resp = fake_put(&f, a3, "local only", 10);
		expect_hit(resp, l3, "local only", 10);
		json_decref(resp);
	}
	assert_int_equal(fake_finish(&f, 0, &err), 0);
	assert_non_null(strstr(err.buf, "refused (a miss): manifest: bad signature"));
	assert_null(strstr(strstr(err.buf, "refused") + 1, "refused (a miss)"));
	assert_non_null(strstr(err.buf, "(read-only): fetched 0.0 MB, uploaded 0"));
	assert_int_equal(count_files(remote), 4);

	/* a corrupted object: a miss, never a wrong body */
	{
		char *argv[] = {"sh", "-c",
		                "for f in \"$0\"/cas/*/*; do printf X | dd of=\"$f\" bs=1 seek=100 "
		                "conv=notrunc 2>/dev/null; done",
		                remote, NULL};
		struct strbuf sink = STRBUF_INIT;
		char *cause = NULL;
		assert_int_equal(gotool_run_capture(argv, &sink, NULL, 0, &cause), 0);
		strbuf_release(&sink);
	}
	fake_start(&f, l4, url, CACHE_MODE_READ_WRITE, "key1");
	json_decref(fake_recv(&f));
	resp = fake_get(&f, a1);
	expect_miss(resp);
	json_decref(resp);
	assert_int_equal(fake_finish(&f, 0, &err), 0);
	assert_non_null(strstr(err.buf, "content hashes to"));

	/* an entry written by another writer, with an absurd creation time: a hit, no overflow */
	{
		struct cache_backend_options bo = {0};
		struct cache_backend *b = NULL;
		struct cache_entry e;
		unsigned char a6[PROG_ID_SIZE];
		char key[65], sha[65], *cause = NULL, *m, *l6 = xasprintf("%s/l6", tmp_root);
		size_t mlen;

		memset(a6, 0x66, sizeof(a6));
		bo.url = url;
		assert_int_equal(cache_backend_open(&bo, &b, &cause), 0);
		assert_int_equal(sha256_hex("hello", 5, sha, &cause), 0);
		assert_int_equal(cache_put(b, CACHE_CAS, sha, "hello", 5, &cause), 0);
		assert_int_equal(prog_remote_key(a6, key, &cause), 0);
		memset(&e, 0, sizeof(e));
		memcpy(e.key, key, sizeof(e.key));
		strcpy(e.tool, "cacheprog");
		strcpy(e.golive, "other");
		e.created = INT64_MAX;
		e.noutputs = 1;
		strcpy(e.outputs[0].role, "o");
		memcpy(e.outputs[0].sha256, sha, sizeof(sha));
		e.outputs[0].size = 5;
		m = cache_entry_encode(&e, NULL, &mlen, &cause);
		assert_non_null(m);
		assert_int_equal(cache_put(b, CACHE_AC, key, m, mlen, &cause), 0);
		free(m);
		cache_backend_close(b);
		fake_start(&f, l6, url, CACHE_MODE_READ_ONLY, NULL);
		json_decref(fake_recv(&f));
		resp = fake_get(&f, a6);
		expect_hit(resp, l6, "hello", 5);
		assert_non_null(json_string_value(json_object_get(resp, "Time")));
		json_decref(resp);
		assert_int_equal(fake_finish(&f, 0, &err), 0);
		free(l6);
	}

	/* a remote that is down: one warning for many gets, the local cache goes on */
	fake_start(&f, l5, "redis://127.0.0.1:1/0", CACHE_MODE_READ_WRITE, NULL);
	json_decref(fake_recv(&f));
	for (int i = 0; i < 5; i++) {
		unsigned char a[PROG_ID_SIZE];
		memset(a, 0x40 + i, sizeof(a));
		resp = fake_get(&f, a);
		expect_miss(resp);
		json_decref(resp);
		resp = fake_put(&f, a, "x", 1);
		expect_hit(resp, l5, "x", 1);
		json_decref(resp);
		resp = fake_get(&f, a);
		expect_hit(resp, l5, "x", 1);
		json_decref(resp);
	}
	assert_int_equal(fake_finish(&f, 0, &err), 0);
	{
		const char *w = strstr(err.buf, "warning: remote cache redis://127.0.0.1:1/0: ");
		assert_non_null(w);
		assert_null(strstr(w + 1, "warning"));
		assert_non_null(strstr(err.buf, "10 gets (5 local hits, 0 remote hits, 5 misses)"));
	}
	strbuf_release(&err);
	free(remote);
	free(url);
	free(l1);
	free(l2);
	free(l3);
	free(l4);
	free(l5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64),
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_stream),
	    cmocka_unit_test(test_stream_bodies),
	    cmocka_unit_test(test_stream_broken),
	    cmocka_unit_test(test_response),
	    cmocka_unit_test(test_remote_key),
	    cmocka_unit_test(test_prog_local),
	    cmocka_unit_test(test_prog_bad_requests),
	    cmocka_unit_test(test_prog_inside_gocache),
	    cmocka_unit_test(test_prog_remote),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
