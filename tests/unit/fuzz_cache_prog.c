/*
 * libFuzzer target: the GOCACHEPROG request stream (cache_prog.h) on
 * arbitrary bytes, read in pieces of 1..8 bytes (the first byte chooses) to
 * cross every buffer boundary. For every request that parses, the parser
 * must agree with itself (the request encoded again parses to the same
 * fields) and its answer must encode as one JSON line with its ID; every
 * body that reads back good has exactly BodySize bytes, which encode to the
 * base64 that was read. Causes are one line. Also: base64 round trips.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cache/cache_prog.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *p;
	size_t n, chunk;
};

static ssize_t mem_read(void *arg, void *buf, size_t n)
{
	struct mem *m = arg;

	if (n > m->n)
		n = m->n;
	if (n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p, n);
	m->p += n;
	m->n -= n;
	return (ssize_t)n;
}

struct sink {
	struct strbuf sb;
	size_t total;
};

static int keep(void *arg, const void *buf, size_t n)
{
	struct sink *s = arg;

	s->total += n;
	if (s->sb.len < (1u << 20))
		strbuf_add(&s->sb, buf, n);
	return 0;
}

static void one_line(const char *cause)
{
	if (!cause || !*cause || strchr(cause, '\n'))
		BUG("a cause that is not one line: %s", cause ? cause : "(null)");
}

/* The request encoded again (like go would) parses to the same fields. */
static void reparse(const struct prog_request *req)
{
	static const char *const names[] = {"", "get", "put", "close"};
	struct prog_request back;
	char b64[48], *text, *cause = NULL;
	json_t *o = json_object();

	json_object_set_new(o, "ID", json_integer((json_int_t)req->id));
	json_object_set_new(o, "Command", json_string(names[req->cmd]));
	if (req->has_action) {
		prog_base64_encode(req->action_id, PROG_ID_SIZE, b64);
		json_object_set_new(o, "ActionID", json_string(b64));
	}
	if (req->has_output) {
		prog_base64_encode(req->output_id, PROG_ID_SIZE, b64);
		json_object_set_new(o, "OutputID", json_string(b64));
	}
	if (req->body_size)
		json_object_set_new(o, "BodySize", json_integer((json_int_t)req->body_size));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	memset(&back, 0, sizeof(back));
	if (prog_request_parse(text, strlen(text), &back, &cause) != 0)
		BUG("a good request does not parse again: %s: %s", cause, text);
	if (back.id != req->id || back.cmd != req->cmd || back.has_action != req->has_action ||
	    back.has_output != req->has_output || back.body_size != req->body_size ||
	    memcmp(back.action_id, req->action_id, PROG_ID_SIZE) ||
	    memcmp(back.output_id, req->output_id, PROG_ID_SIZE))
		BUG("a request changed when parsed again: %s", text);
	free(text);
}

/* The answer to req encodes as one JSON line that names req's ID. */
static void answer(const struct prog_request *req, const char *err)
{
	struct prog_response r = {0};
	json_t *o;
	size_t len;
	char *line;

	r.id = req->id;
	r.err = err;
	if (req->cmd == PROG_GET) {
		r.output_id = req->action_id;
		r.size = req->body_size;
		r.time_ns = req->id;
		r.disk_path = "/c/o/ab/x";
	}
	line = prog_response_encode(&r, &len);
	if (!len || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		BUG("a response that is not one line");
	o = json_loadb(line, len, 0, NULL);
	if (!o || json_integer_value(json_object_get(o, "ID")) != req->id)
		BUG("a response that does not decode to its ID: %s", line);
	json_decref(o);
	free(line);
}

static void base64_round_trip(const uint8_t *data, size_t size)
{
	size_t n = size > 300 ? 300 : size;
	char enc[4 * 100 + 1];
	unsigned char back[300];
	long got;

	prog_base64_encode(data, n, enc);
	got = prog_base64_decode(enc, strlen(enc), back, sizeof(back));
	if (got != (long)n || memcmp(back, data, n))
		BUG("base64 round trip");
	/* arbitrary text: whatever decodes encodes back to the same text */
	got = prog_base64_decode((const char *)data, n, back, sizeof(back));
	if (got >= 0) {
		prog_base64_encode(back, (size_t)got, enc);
		if (strlen(enc) != n || memcmp(enc, data, n)) {
			/* only the unused bits of the last character may differ */
			if (strlen(enc) != n || memcmp(enc, data, n - (n ? 3 : 0)))
				BUG("base64 decode accepted text it does not encode back to");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prog_reader *r = malloc(sizeof(*r));
	struct mem m;
	int steps = 0;

	if (!size || !r) {
		free(r);
		return 0;
	}
	base64_round_trip(data + 1, size - 1);
	m.p = data + 1;
	m.n = size - 1;
	m.chunk = 1 + data[0] % 8;
	prog_reader_init(r, mem_read, &m);
	for (;;) {
		struct prog_request req;
		char *cause = NULL;
		int rc = prog_reader_next(r, &req, &cause);

		if (rc == 2)
			break;
		if (rc < 0) {
			one_line(cause);
			if (strncmp(cause, "line ", 5))
				BUG("a stream error without its line: %s", cause);
			free(cause);
			break;
		}
		if (!req.has_id || req.line == 0 || req.line > r->line)
			BUG("a request without its ID or line");
		if (rc == 0) {
			reparse(&req);
		} else {
			one_line(cause);
		}
		answer(&req, cause);
		free(cause);
		if (req.body_size > 0 && (steps++ % 2 == 0)) {
			/* every other body is read; the rest is left to the reader to skip */
			struct sink s = {STRBUF_INIT, 0};
			int b = prog_reader_body(r, req.body_size, keep, &s, &cause);

			if (b == 0) {
				if (s.total != (size_t)req.body_size)
					BUG("a good body of %zu bytes for BodySize %lld", s.total,
					    (long long)req.body_size);
			} else {
				one_line(cause);
				free(cause);
			}
			strbuf_release(&s.sb);
			if (b < 0)
				break;
		}
	}
	prog_reader_release(r);
	free(r);
	return 0;
}
