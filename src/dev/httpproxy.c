/* httpproxy.c - see httpproxy.h. */
#define _GNU_SOURCE
#include "dev/httpproxy.h"

#include <errno.h>
#include <http_parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev/bodydec.h"
#include "dev/browser.h"
#include "dev/inject.h"
#include "dev/proxycore.h"

#define QMAX       32            /* pipelined requests awaiting answers, per connection */
#define HEAD_CAP   (64 * 1024)   /* a request's or response's head */
#define STREAM_CAP (1024 * 1024) /* queued for an events stream that does not read */
#define LINGER_MS  2000          /* reading what a client still sends after our close */

/* A byte queue: data[off, len) are still to be sent. */
struct bq {
	struct strbuf sb;
	size_t off;
};

static size_t bq_len(const struct bq *q)
{
	return q->sb.len - q->off;
}

static void bq_compact(struct bq *q)
{
	if (q->off == q->sb.len) {
		strbuf_reset(&q->sb);
		q->off = 0;
	} else if (q->off > 65536 && q->off > q->sb.len / 2) {
		memmove(q->sb.buf, q->sb.buf + q->off, q->sb.len - q->off);
		q->sb.len -= q->off;
		q->sb.buf[q->sb.len] = '\0';
		q->off = 0;
	}
}

/* A message head being parsed: the URL or reason, then "name\0value\0" pairs. */
struct head {
	struct strbuf first; /* URL (requests) or reason phrase (responses) */
	struct strbuf names, values;
	ARRAY(size_t) n_off; /* offsets into names/values, one per header */
	ARRAY(size_t) v_off;
	int in_value;
	size_t size;
};

static void head_reset(struct head *h)
{
	strbuf_reset(&h->first);
	strbuf_reset(&h->names);
	strbuf_reset(&h->values);
	h->n_off.n = h->v_off.n = 0;
	h->in_value = 0;
	h->size = 0;
}

static void head_release(struct head *h)
{
	strbuf_release(&h->first);
	strbuf_release(&h->names);
	strbuf_release(&h->values);
	free(h->n_off.v);
	free(h->v_off.v);
}

static int head_field(struct head *h, const char *at, size_t n)
{
	if ((h->size += n) > HEAD_CAP)
		return -1;
	if (h->in_value || !h->n_off.n) {
		ARRAY_GROW(h->n_off, h->n_off.n + 1);
		ARRAY_GROW(h->v_off, h->v_off.n + 1);
		if (h->n_off.n) {
			strbuf_addch(&h->names, '\0');
			strbuf_addch(&h->values, '\0');
		}
		h->n_off.v[h->n_off.n++] = h->names.len;
		h->v_off.v[h->v_off.n++] = h->values.len;
		h->in_value = 0;
	}
	strbuf_add(&h->names, at, n);
	return 0;
}

static int head_value(struct head *h, const char *at, size_t n)
{
	if ((h->size += n) > HEAD_CAP || !h->n_off.n)
		return -1;
	h->in_value = 1;
	strbuf_add(&h->values, at, n);
	return 0;
}

static const char *hname(const struct head *h, size_t i)
{
	return h->names.buf + h->n_off.v[i];
}

static const char *hval(const struct head *h, size_t i)
{
	return h->values.buf + h->v_off.v[i];
}

/* The first value of header name, or NULL. */
static const char *head_get(const struct head *h, const char *name)
{
	for (size_t i = 0; i < h->n_off.n; i++)
		if (!strcasecmp(hname(h, i), name))
			return hval(h, i);
	return NULL;
}

/* Appends the headers to out, but those named in skip (NULL-terminated). */
static void head_emit(const struct head *h, struct strbuf *out, const char *const *skip)
{
	for (size_t i = 0; i < h->n_off.n; i++) {
		int drop = 0;
		for (size_t k = 0; skip && skip[k] && !drop; k++)
			drop = !strcasecmp(hname(h, i), skip[k]);
		if (!drop)
			strbuf_addf(out, "%s: %s\r\n", hname(h, i), hval(h, i));
	}
}

/* A request sent to the program, waiting for its answer. */
struct req {
	struct inject_req ir;
	int head;       /* HEAD: the answer has no body */
	int idempotent; /* safe to send again */
	int http11;     /* the client speaks HTTP/1.1: chunked answers are fine */
	size_t bytes;   /* its bytes at the start of c->replay */
	int complete;   /* all of it was read from the client */
};

struct hconn {
	struct proxycore_conn base; /* first: the core's part (sockets, backend state) */
	int64_t kill_at;            /* the linger after our close ends then (0: none) */
	int64_t head_by; /* the request head being read must be whole by then (0: none) */
	http_parser reqp, resp;
	struct head rq, rs;
	struct bq cin, c2b, b2c;
	/* the requests in c2b/at the program, oldest first */
	struct req q[QMAX];
	size_t qn;
	struct strbuf replay; /* their bytes, while replay_ok */
	int replay_ok;
	/* the request being read */
	int rq_local, rq_chunked, rq_queued;
	char *local_path; /* a /__golive/ request waiting for the answers before it */
	int local_head, local_close;
	/* the answer being read */
	enum inject_mode mode;
	int rs_interim, rs_chunked_out, rs_close_out, rs_started, rs_bytes;
	struct injector inj;
	/*
	 * A page with a Content-Length within buf_cap: its rewritten head (but
	 * the length and the blank line) and body, sent whole at its end with
	 * the length they came to (a <meta> CSP rewritten changes it)
	 */
	int rs_defer;
	struct strbuf defer_head, defer_body;
	struct bodydec dec;
	int dec_on;
	unsigned c_eof : 1, b_eof : 1, tunnel : 1, stream : 1, closing : 1, lingering : 1;
	unsigned http1 : 1; /* its first bytes were not HTTP/2's preface: HTTP/1 requests */
};

struct httpproxy {
	struct proxy core; /* first: httpproxy.h and the callbacks cast */
	unsigned version;
	char *sticky_name; /* the last "error"/"findings" event, until a reload or "clear" */
	char *sticky;
};

static http_parser_settings req_settings, resp_settings;

static void resp_reset(struct hconn *c)
{
	if (c->dec_on)
		bodydec_release(&c->dec);
	c->dec_on = 0;
	injector_release(&c->inj);
	strbuf_release(&c->defer_head);
	strbuf_release(&c->defer_body);
	c->rs_defer = 0;
	c->mode = INJECT_NONE;
	c->rs_interim = c->rs_chunked_out = c->rs_close_out = c->rs_started = c->rs_bytes = 0;
}

static void conn_kill(struct httpproxy *p, struct hconn *c, int reset)
{
	proxycore_kill(&p->core, &c->base, reset);
}

/* Frees what c owns but its sockets (proxycore_kill closes those). */
static void conn_release(struct proxy *pc, struct proxycore_conn *bc)
{
	struct hconn *c = (struct hconn *)bc;
	(void)pc;
	resp_reset(c);
	head_release(&c->rq);
	head_release(&c->rs);
	strbuf_release(&c->cin.sb);
	strbuf_release(&c->c2b.sb);
	strbuf_release(&c->b2c.sb);
	strbuf_release(&c->replay);
	free(c->local_path);
	c->local_path = NULL;
}

/* ---- writing toward the program ------------------------------------------------ */

/* Bytes of the request being read, to the program (and kept for a replay). */
static void to_backend(struct hconn *c, const char *data, size_t n, size_t cap)
{
	strbuf_add(&c->c2b.sb, data, n);
	if (c->replay_ok) {
		if (c->replay.len + n > cap) {
			c->replay_ok = 0;
			strbuf_release(&c->replay);
		} else {
			strbuf_add(&c->replay, data, n);
		}
	}
	if (c->rq_queued && c->qn)
		c->q[c->qn - 1].bytes += n;
}

/* http_parser's data points at this pair. */
struct pctx {
	struct httpproxy *p;
	struct hconn *c;
};

#define CTX(hp) ((struct pctx *)(hp)->data)

static int rq_begin(http_parser *hp)
{
	struct hconn *c = CTX(hp)->c;
	if (c->qn >= QMAX)
		http_parser_pause(hp, 1); /* its head is parsed once an answer leaves the queue */
	head_reset(&c->rq);
	c->rq_local = c->rq_chunked = c->rq_queued = 0;
	if (!c->head_by)
		c->head_by =
		    now_mono_ns() + proxycore_ms_ns(CTX(hp)->p->core.opts.header_timeout_ms);
	return 0;
}

static int rq_url(http_parser *hp, const char *at, size_t n)
{
	struct hconn *c = CTX(hp)->c;
	if ((c->rq.size += n) > HEAD_CAP)
		return -1;
	strbuf_add(&c->rq.first, at, n);
	return 0;
}

static int rq_field(http_parser *hp, const char *at, size_t n)
{
	return head_field(&CTX(hp)->c->rq, at, n);
}

static int rq_value(http_parser *hp, const char *at, size_t n)
{
	return head_value(&CTX(hp)->c->rq, at, n);
}

static int method_idempotent(unsigned m)
{
	return m == HTTP_GET || m == HTTP_HEAD || m == HTTP_OPTIONS || m == HTTP_TRACE ||
	       m == HTTP_PUT || m == HTTP_DELETE;
}

static int rq_headers(http_parser *hp)
{
	struct httpproxy *p = CTX(hp)->p;
	struct hconn *c = CTX(hp)->c;
	struct head *h = &c->rq;
	c->head_by = 0;
	if (starts_with(h->first.buf, INJECT_PREFIX)) {
		c->rq_local = 1;
		return 0;
	}
	struct req r;
	memset(&r, 0, sizeof(r));
	r.ir.get = hp->method == HTTP_GET;
	r.ir.navigation =
	    inject_is_navigation(head_get(h, "sec-fetch-dest"), head_get(h, "sec-fetch-mode"),
	                         head_get(h, "accept"), head_get(h, "x-requested-with"));
	r.ir.range = head_get(h, "range") != NULL;
	r.ir.upgrade = hp->upgrade;
	r.head = hp->method == HTTP_HEAD;
	r.idempotent = method_idempotent(hp->method);
	r.http11 = hp->http_major > 1 || (hp->http_major == 1 && hp->http_minor >= 1);
	c->rq_chunked = (hp->flags & F_CHUNKED) != 0;
	if (!r.idempotent || c->rq_chunked)
		c->replay_ok = 0;
	c->q[c->qn++] = r;
	c->rq_queued = 1;

	struct strbuf out = STRBUF_INIT;
	strbuf_addf(&out, "%s %s HTTP/%u.%u\r\n", http_method_str((enum http_method)hp->method),
	            h->first.buf, hp->http_major, hp->http_minor);
	int rewrite = r.ir.get && r.ir.navigation && !r.ir.range && !r.ir.upgrade;
	static const char *const skip_ae[] = {"accept-encoding", NULL};
	head_emit(h, &out, rewrite ? skip_ae : NULL);
	if (rewrite) /* an answer golive can insert into without decoding it */
		strbuf_addstr(&out, "Accept-Encoding: identity\r\n");
	strbuf_addstr(&out, "\r\n");
	to_backend(c, out.buf, out.len, p->core.opts.buf_cap);
	strbuf_release(&out);
	return 0;
}

static int rq_body(http_parser *hp, const char *at, size_t n)
{
	struct httpproxy *p = CTX(hp)->p;
	struct hconn *c = CTX(hp)->c;
	if (c->rq_local || !n)
		return 0;
	if (c->rq_chunked) {
		char sz[32];
		int k = snprintf(sz, sizeof(sz), "%zx\r\n", n);
		to_backend(c, sz, (size_t)k, p->core.opts.buf_cap);
		to_backend(c, at, n, p->core.opts.buf_cap);
		to_backend(c, "\r\n", 2, p->core.opts.buf_cap);
	} else {
		to_backend(c, at, n, p->core.opts.buf_cap);
	}
	return 0;
}

static void serve_local(struct httpproxy *p, struct hconn *c);

static int rq_complete(http_parser *hp)
{
	struct httpproxy *p = CTX(hp)->p;
	struct hconn *c = CTX(hp)->c;
	if (c->rq_local) {
		c->local_path = xstrdup(c->rq.first.buf);
		c->local_head = hp->method == HTTP_HEAD;
		c->local_close = !http_should_keep_alive(hp);
		if (!c->qn)
			serve_local(p, c);
		else
			http_parser_pause(hp, 1); /* answered once the answers before it are out */
		return 0;
	}
	if (c->rq_chunked)
		to_backend(c, "0\r\n\r\n", 5, p->core.opts.buf_cap);
	if (c->rq_queued && c->qn)
		c->q[c->qn - 1].complete = 1;
	c->rq_queued = 0;
	return 0;
}

/* ---- writing toward the client ------------------------------------------------- */

/* Body bytes of the answer, framed as the client is told. */
static void to_client_body(struct hconn *c, const char *data, size_t n)
{
	if (!n)
		return;
	if (c->rs_defer) {
		strbuf_add(&c->defer_body, data, n);
	} else if (c->rs_chunked_out) {
		strbuf_addf(&c->b2c.sb, "%zx\r\n", n);
		strbuf_add(&c->b2c.sb, data, n);
		strbuf_addstr(&c->b2c.sb, "\r\n");
	} else {
		strbuf_add(&c->b2c.sb, data, n);
	}
}

static int rs_begin(http_parser *hp)
{
	struct hconn *c = CTX(hp)->c;
	head_reset(&c->rs);
	resp_reset(c);
	return 0;
}

static int rs_status(http_parser *hp, const char *at, size_t n)
{
	struct hconn *c = CTX(hp)->c;
	if ((c->rs.size += n) > HEAD_CAP)
		return -1;
	strbuf_add(&c->rs.first, at, n);
	return 0;
}

static int rs_field(http_parser *hp, const char *at, size_t n)
{
	return head_field(&CTX(hp)->c->rs, at, n);
}

static int rs_value(http_parser *hp, const char *at, size_t n)
{
	return head_value(&CTX(hp)->c->rs, at, n);
}

static int rs_headers(http_parser *hp)
{
	struct httpproxy *p = CTX(hp)->p;
	struct hconn *c = CTX(hp)->c;
	struct head *h = &c->rs;
	if (!c->qn)
		return -1; /* an answer nobody asked for */
	struct req *r = &c->q[0];
	unsigned status = hp->status_code;
	struct strbuf *out = &c->b2c.sb;
	size_t start = out->len; /* where this answer's head starts */
	c->rs_started = 1;
	strbuf_addf(out, "HTTP/%u.%u %u %s\r\n", hp->http_major, hp->http_minor, status,
	            h->first.buf);
	if (status >= 100 && status < 200 && status != 101) {
		c->rs_interim = 1;
		head_emit(h, out, NULL);
		strbuf_addstr(out, "\r\n");
		return 0;
	}
	if (status == 101) {
		head_emit(h, out, NULL);
		strbuf_addstr(out, "\r\n");
		return 2; /* the rest is the new protocol's */
	}
	c->mode = r->head ? INJECT_NONE
	                  : inject_decide(&r->ir, (int)status, head_get(h, "content-type"),
	                                  head_get(h, "content-encoding"));
	if (c->mode == INJECT_NONE) {
		head_emit(h, out, NULL);
		strbuf_addstr(out, "\r\n");
		c->rs_chunked_out = !r->head && (hp->flags & F_CHUNKED);
		return r->head ? 1 : 0;
	}
	/* Inserting the script: new framing, and a CSP that lets it run. */
	char *nonce = NULL, *csp = NULL;
	const char *pol = head_get(h, "content-security-policy");
	if (pol)
		csp = inject_csp(pol, &nonce);
	injector_init_page(&c->inj, nonce, p->version);
	free(nonce);
	int keep = http_should_keep_alive(hp);
	if (c->mode == INJECT_PLAIN && (hp->flags & F_CONTENTLENGTH) && !(hp->flags & F_CHUNKED) &&
	    hp->content_length <= p->core.opts.buf_cap) {
		c->rs_defer = 1; /* the head so far (its status line) moves to defer_head */
		strbuf_add(&c->defer_head, out->buf + start, out->len - start);
		out->len = start;
		out->buf[start] = '\0';
		out = &c->defer_head;
	}
	static const char *const skip[] = {"content-length",
	                                   "transfer-encoding",
	                                   "content-security-policy",
	                                   "content-encoding",
	                                   "content-md5",
	                                   "etag",
	                                   "connection",
	                                   NULL};
	static const char *const skip_plain[] = {"content-length",
	                                         "transfer-encoding",
	                                         "content-security-policy",
	                                         "content-md5",
	                                         "etag",
	                                         "connection",
	                                         NULL};
	int dk = inject_mode_decoder(c->mode);
	head_emit(h, out, dk >= 0 ? skip : skip_plain);
	if (csp)
		strbuf_addf(out, "Content-Security-Policy: %s\r\n", csp);
	free(csp);
	if (c->rs_defer) {
		/* its Content-Length at its end */
	} else if (r->http11) {
		strbuf_addstr(out, "Transfer-Encoding: chunked\r\n");
		c->rs_chunked_out = 1;
	} else {
		c->rs_close_out = 1;
		keep = 0;
	}
	if (!keep)
		strbuf_addstr(out, "Connection: close\r\n");
	else if (!r->http11)
		strbuf_addstr(out, "Connection: keep-alive\r\n");
	if (!c->rs_defer)
		strbuf_addstr(out, "\r\n");
	if (dk >= 0) {
		if (bodydec_init(&c->dec, (enum bodydec_kind)dk) < 0) {
			bodydec_release(&c->dec);
			return -1;
		}
		c->dec_on = 1;
	}
	return 0;
}

/* bodydec's sink: decoded bytes through the injector, into a strbuf. */
struct sink_ctx {
	struct injector *inj;
	struct strbuf *out;
};

static void inject_sink(void *arg, const char *data, size_t n)
{
	struct sink_ctx *k = arg;
	injector_feed(k->inj, data, n, k->out);
}

static int rs_body(http_parser *hp, const char *at, size_t n)
{
	struct hconn *c = CTX(hp)->c;
	if (c->mode == INJECT_NONE) {
		to_client_body(c, at, n);
		return 0;
	}
	struct strbuf tmp = STRBUF_INIT;
	if (c->mode == INJECT_PLAIN) {
		injector_feed(&c->inj, at, n, &tmp);
	} else if (bodydec_feed(&c->dec, at, n, inject_sink, &(struct sink_ctx){&c->inj, &tmp}) <
	           0) {
		strbuf_release(&tmp);
		return -1; /* not that encoding after all: reset, never a corrupt page */
	}
	to_client_body(c, tmp.buf, tmp.len);
	strbuf_release(&tmp);
	return 0;
}

static int rs_complete(http_parser *hp)
{
	struct hconn *c = CTX(hp)->c;
	if (c->rs_interim) {
		c->rs_interim = 0;
		return 0;
	}
	if (c->mode != INJECT_NONE) {
		if (c->dec_on && bodydec_finish(&c->dec) < 0)
			return -1; /* a truncated stream */
		struct strbuf tmp = STRBUF_INIT;
		injector_finish(&c->inj, &tmp);
		to_client_body(c, tmp.buf, tmp.len);
		strbuf_release(&tmp);
		if (c->rs_defer) {
			strbuf_add(&c->b2c.sb, c->defer_head.buf, c->defer_head.len);
			strbuf_addf(&c->b2c.sb, "Content-Length: %zu\r\n\r\n", c->defer_body.len);
			strbuf_add(&c->b2c.sb, c->defer_body.buf, c->defer_body.len);
		}
	}
	if (c->rs_chunked_out)
		strbuf_addstr(&c->b2c.sb, "0\r\n\r\n");
	if (c->rs_close_out || !http_should_keep_alive(hp))
		c->closing = 1;
	/* the request is answered: it leaves the queue and the replay copy */
	size_t b = c->q[0].bytes;
	memmove(&c->q[0], &c->q[1], (c->qn - 1) * sizeof(c->q[0]));
	c->qn--;
	if (c->replay_ok && b <= c->replay.len) {
		memmove(c->replay.buf, c->replay.buf + b, c->replay.len - b);
		c->replay.len -= b;
		c->replay.buf[c->replay.len] = '\0';
	}
	if (!c->qn && !c->rq_queued) { /* nothing outstanding: replays are possible again */
		strbuf_reset(&c->replay);
		c->replay_ok = 1;
		c->base.replays = 0;
	}
	c->rs_bytes = 0;
	resp_reset(c);
	c->rs_started = 0;
	return 0;
}

static void settings_init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	http_parser_settings_init(&req_settings);
	req_settings.on_message_begin = rq_begin;
	req_settings.on_url = rq_url;
	req_settings.on_header_field = rq_field;
	req_settings.on_header_value = rq_value;
	req_settings.on_headers_complete = rq_headers;
	req_settings.on_body = rq_body;
	req_settings.on_message_complete = rq_complete;
	http_parser_settings_init(&resp_settings);
	resp_settings.on_message_begin = rs_begin;
	resp_settings.on_status = rs_status;
	resp_settings.on_header_field = rs_field;
	resp_settings.on_header_value = rs_value;
	resp_settings.on_headers_complete = rs_headers;
	resp_settings.on_body = rs_body;
	resp_settings.on_message_complete = rs_complete;
}

/* ---- golive's own resources ----------------------------------------------------- */

static void stream_event(struct hconn *c, const char *name, const char *data)
{
	strbuf_addf(&c->b2c.sb, "event: %s\ndata: %s\n\n", name, data);
}

static void serve_local(struct httpproxy *p, struct hconn *c)
{
	char *path = c->local_path;
	c->local_path = NULL;
	size_t plen = strcspn(path, "?#");
	struct strbuf *out = &c->b2c.sb;
	if (plen == strlen(INJECT_EVENTS_PATH) && !strncmp(path, INJECT_EVENTS_PATH, plen)) {
		strbuf_addstr(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
		                   "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\n\r\n");
		strbuf_addstr(out, "retry: 300\n\n");
		char hello[64];
		snprintf(hello, sizeof(hello), "{\"version\":%u}", p->version);
		stream_event(c, "hello", hello);
		if (p->sticky)
			stream_event(c, p->sticky_name, p->sticky);
		c->stream = 1;
		/* nothing is outstanding: the program's connection is idle */
		proxycore_end_close(&p->core, &c->base.backend);
		c->base.state = PROXYCORE_IDLE;
		free(path);
		return;
	}
	size_t len = 0;
	const char *body = "golive dev: not found\n";
	const char *status = "404 Not Found", *type = "text/plain; charset=utf-8";
	if (plen == strlen(INJECT_SCRIPT_PATH) && !strncmp(path, INJECT_SCRIPT_PATH, plen)) {
		body = browser_script(&len);
		status = "200 OK";
		type = "text/javascript; charset=utf-8";
	} else {
		len = strlen(body);
	}
	strbuf_addf(out,
	            "HTTP/1.1 %s\r\nContent-Type: %s\r\nCache-Control: no-cache\r\n"
	            "Content-Length: %zu\r\n%s\r\n",
	            status, type, len, c->local_close ? "Connection: close\r\n" : "");
	if (!c->local_head)
		strbuf_add(out, body, len);
	if (c->local_close)
		c->closing = 1;
	free(path);
}

/* ---- the connection's pump --------------------------------------------------------- */

static void bad_request(struct httpproxy *p, struct hconn *c)
{
	if (!c->qn && !c->rs_started) {
		strbuf_addstr(&c->b2c.sb, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
		                          "Content-Length: 31\r\nConnection: close\r\n\r\n"
		                          "golive dev: malformed request\n");
		c->closing = 1;
		c->c_eof = 1;
		return;
	}
	conn_kill(p, c, 1);
}

/*
 * HTTP/2 with prior knowledge (RFC 9113 3.3, h2c as gRPC clients speak it)
 * opens the connection with its preface: from there on the connection is a
 * tunnel, bytes both ways untouched (no injection, no replay). Returns 1
 * when cin starts with the whole preface (c is a tunnel now); else 0, and
 * c->http1 is set once cin can no longer be its start.
 */
#define H2_PREFACE     "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN (sizeof(H2_PREFACE) - 1)

static int h2_preface(struct hconn *c)
{
	size_t n = bq_len(&c->cin);
	if (memcmp(c->cin.sb.buf + c->cin.off, H2_PREFACE,
	           n < H2_PREFACE_LEN ? n : H2_PREFACE_LEN)) {
		c->http1 = 1;
		return 0;
	}
	if (n < H2_PREFACE_LEN)
		return 0;
	c->tunnel = 1;
	c->replay_ok = 0;
	c->head_by = 0;
	return 1;
}

/* Parses what the client sent, as far as the queues allow. */
static void client_parse(struct httpproxy *p, struct hconn *c)
{
	size_t cap = p->core.opts.buf_cap;
	while (!c->base.dead && bq_len(&c->cin)) {
		if (c->tunnel) { /* as is, up to cap queued for the program */
			size_t n = bq_len(&c->cin),
			       room = bq_len(&c->c2b) < cap ? cap - bq_len(&c->c2b) : 0;
			if (n > room)
				n = room;
			strbuf_add(&c->c2b.sb, c->cin.sb.buf + c->cin.off, n);
			c->cin.off += n;
			break;
		}
		if (c->stream || c->closing) { /* nothing more is read from it */
			c->cin.off = c->cin.sb.len;
			break;
		}
		if (!c->http1 && h2_preface(c))
			continue; /* a tunnel now */
		if (!c->http1)
			break; /* the start of the preface: wait for the rest (head_by bounds it) */
		if (c->local_path || bq_len(&c->c2b) >= cap || c->qn >= QMAX ||
		    bq_len(&c->b2c) >= cap)
			break;
		size_t want = bq_len(&c->cin);
		if (want > cap)
			want = cap;
		struct pctx ctx = {p, c};
		c->reqp.data = &ctx;
		size_t n =
		    http_parser_execute(&c->reqp, &req_settings, c->cin.sb.buf + c->cin.off, want);
		c->cin.off += n;
		enum http_errno e = HTTP_PARSER_ERRNO(&c->reqp);
		if (e == HPE_PAUSED) {
			http_parser_pause(&c->reqp, 0);
			continue;
		}
		if (e != HPE_OK) {
			bad_request(p, c);
			break;
		}
		if (c->reqp.upgrade) {
			c->tunnel = 1;
			continue;
		}
		if (n < want)
			break;
	}
	bq_compact(&c->cin);
}

/* Parses what the program sent (data[0, n)); -1 when it is not HTTP. */
static int backend_parse(struct httpproxy *p, struct hconn *c, const char *data, size_t n)
{
	if (c->tunnel && !c->qn) {
		strbuf_add(&c->b2c.sb, data, n);
		return 0;
	}
	struct pctx ctx = {p, c};
	c->resp.data = &ctx;
	size_t k = http_parser_execute(&c->resp, &resp_settings, data, n);
	if (HTTP_PARSER_ERRNO(&c->resp) != HPE_OK)
		return -1;
	if (c->resp.upgrade) { /* 101: both ways raw from here */
		c->tunnel = 1;
		if (c->qn) {
			c->qn = 0;
			c->replay_ok = 0;
		}
		strbuf_add(&c->b2c.sb, data + k, n - k);
		if (bq_len(&c->cin)) /* what the client sent after its request */
			client_parse(p, c);
	}
	return 0;
}

/* Closes the program's side; the next request makes a new connection. */
static void backend_drop(struct httpproxy *p, struct hconn *c)
{
	proxycore_end_close(&p->core, &c->base.backend);
	c->base.state = PROXYCORE_IDLE;
	c->b_eof = 0;
	http_parser_init(&c->resp, HTTP_RESPONSE);
}

/*
 * The program's connection failed or closed before answering: send the
 * requests again when that is safe, else 503 (nothing of the answer sent
 * yet) or a reset.
 */
static void backend_failed(struct httpproxy *p, struct hconn *c)
{
	if (!c->qn && !bq_len(&c->c2b) && !c->tunnel) {
		backend_drop(p, c); /* an idle keep-alive connection went away */
		return;
	}
	if (c->rs_started || c->rs_bytes || c->tunnel) {
		conn_kill(p, c, 1);
		return;
	}
	if (!c->qn) {
		/* the rest of the body of a request it has answered: it did not want it */
		backend_drop(p, c);
		strbuf_reset(&c->c2b.sb);
		c->c2b.off = 0;
		c->closing = 1;
		return;
	}
	if (c->replay_ok && c->base.replays < PROXY_MAX_REPLAYS) {
		for (size_t i = 0; i < c->qn; i++)
			if (!c->q[i].idempotent)
				goto refuse;
		backend_drop(p, c);
		proxycore_replay(&p->core, &c->base);
		strbuf_reset(&c->c2b.sb);
		c->c2b.off = 0;
		strbuf_add(&c->c2b.sb, c->replay.buf, c->replay.len);
		return;
	}
refuse:
	backend_drop(p, c);
	proxycore_refuse(&p->core, &c->b2c.sb);
	c->qn = 0;
	c->closing = 1;
	strbuf_reset(&c->c2b.sb);
	c->c2b.off = 0;
}

/* No program to connect to in time: 502 when nothing of an answer went out. */
static void backend_gone(struct httpproxy *p, struct hconn *c)
{
	if (c->rs_started || c->tunnel) {
		conn_kill(p, c, 1);
		return;
	}
	static const char body[] = "golive dev: the program is not answering\n";
	strbuf_addf(&c->b2c.sb,
	            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\n"
	            "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	            sizeof(body) - 1, body);
	c->base.state = PROXYCORE_IDLE;
	c->qn = 0;
	c->closing = 1;
	strbuf_reset(&c->c2b.sb);
	c->c2b.off = 0;
}

static int send_some(int fd, struct bq *q)
{
	if (!bq_len(q))
		return 0;
	ssize_t n = send(fd, q->sb.buf + q->off, bq_len(q), MSG_NOSIGNAL);
	if (n > 0)
		q->off += (size_t)n;
	else if (n < 0 && !proxycore_would_block())
		return -1;
	bq_compact(q);
	return 0;
}

/* Registers the events c needs now; kills c when epoll refuses. */
static void conn_update(struct httpproxy *p, struct hconn *c)
{
	size_t cap = p->core.opts.buf_cap;
	uint32_t cw = 0, bw = 0;
	if (!c->c_eof && (bq_len(&c->cin) < cap || c->stream || c->lingering))
		cw |= EPOLLIN;
	if (bq_len(&c->b2c))
		cw |= EPOLLOUT;
	if (c->base.state == PROXYCORE_CONNECTING) {
		bw = EPOLLOUT;
	} else if (c->base.state == PROXYCORE_OPEN) {
		if (!c->b_eof && bq_len(&c->b2c) < cap)
			bw |= EPOLLIN;
		if (bq_len(&c->c2b))
			bw |= EPOLLOUT;
	}
	proxycore_watch(&p->core, &c->base, cw, bw);
}

/* Moves whatever can move without blocking. */
static void conn_pump(struct httpproxy *p, struct hconn *c)
{
	size_t cap = p->core.opts.buf_cap;
	char buf[16384];
	ssize_t n;

	/* from the client */
	for (int i = 0; i < 4 && !c->c_eof && bq_len(&c->cin) < cap; i++) {
		n = recv(c->base.client.fd, buf, sizeof(buf), 0);
		if (n > 0) {
			strbuf_add(&c->cin.sb, buf, (size_t)n);
		} else if (!n) {
			c->c_eof = 1;
		} else {
			if (!proxycore_would_block()) {
				conn_kill(p, c, 1);
				return;
			}
			break;
		}
	}
	client_parse(p, c);
	if (c->base.dead)
		return;
	if (bq_len(&c->c2b) && c->base.state == PROXYCORE_IDLE)
		proxycore_connect_soon(&c->base);

	/*
	 * To and from the program. While sending makes room, what the client
	 * sent is parsed on: with c2b emptied and cin full, no event would
	 * come for either (an upload stalled there).
	 */
	while (c->base.state == PROXYCORE_OPEN) {
		size_t before = bq_len(&c->cin);
		if (send_some(c->base.backend.fd, &c->c2b) < 0) {
			backend_failed(p, c);
			if (c->base.dead)
				return;
			break;
		}
		if (!before || bq_len(&c->c2b) >= cap)
			break;
		client_parse(p, c);
		if (c->base.dead)
			return;
		if (bq_len(&c->cin) == before)
			break;
	}
	for (int i = 0;
	     i < 4 && c->base.state == PROXYCORE_OPEN && !c->b_eof && bq_len(&c->b2c) < cap; i++) {
		n = recv(c->base.backend.fd, buf, sizeof(buf), 0);
		if (n > 0) {
			c->rs_bytes = 1;
			if (backend_parse(p, c, buf, (size_t)n) < 0) {
				conn_kill(p, c, 1);
				return;
			}
		} else if (!n) {
			if (c->tunnel) {
				c->b_eof = 1;
				break;
			}
			/* the end of a close-delimited answer, or a close */
			struct pctx ctx = {p, c};
			c->resp.data = &ctx;
			http_parser_execute(&c->resp, &resp_settings, NULL, 0);
			if (c->rs_started && c->qn) {
				conn_kill(p, c, 1); /* closed in the middle of an answer */
				return;
			}
			backend_failed(p, c);
			if (c->base.dead)
				return;
			break;
		} else {
			if (!proxycore_would_block()) {
				backend_failed(p, c);
				if (c->base.dead)
					return;
			}
			break;
		}
	}
	if (c->local_path && !c->qn) {
		serve_local(p, c);
		client_parse(p, c);
		if (c->base.dead)
			return;
	}

	/* to the client */
	if (send_some(c->base.client.fd, &c->b2c) < 0) {
		conn_kill(p, c, 1);
		return;
	}
	if (c->stream && bq_len(&c->b2c) > STREAM_CAP) {
		conn_kill(p, c, 1);
		return;
	}
	if (c->tunnel && c->c_eof && !bq_len(&c->cin) && !bq_len(&c->c2b) &&
	    c->base.state == PROXYCORE_OPEN)
		shutdown(c->base.backend.fd, SHUT_WR);
	if (c->tunnel && c->b_eof && !bq_len(&c->b2c)) {
		conn_kill(p, c, 0);
		return;
	}
	if (c->closing && !bq_len(&c->b2c) && !c->lingering) {
		/* our answer is out: stop writing, read what the client still sends */
		shutdown(c->base.client.fd, SHUT_WR);
		proxycore_end_close(&p->core, &c->base.backend);
		c->base.state = PROXYCORE_IDLE;
		c->lingering = 1;
		c->kill_at = now_mono_ns() + proxycore_ms_ns(LINGER_MS);
	}
	if (c->c_eof && !c->tunnel &&
	    (c->lingering || c->stream || (!c->qn && !bq_len(&c->b2c) && !bq_len(&c->c2b)))) {
		conn_kill(p, c, 0);
		return;
	}
	conn_update(p, c);
}

/* ---- proxycore's callbacks -------------------------------------------------------- */

#define HP(pc) ((struct httpproxy *)(pc))
#define HC(bc) ((struct hconn *)(bc))

static void cb_accepted(struct proxy *pc, struct proxycore_conn *bc)
{
	struct hconn *c = HC(bc);
	c->replay_ok = 1;
	c->head_by = now_mono_ns() + proxycore_ms_ns(pc->opts.header_timeout_ms);
	strbuf_init(&c->cin.sb, 0);
	strbuf_init(&c->c2b.sb, 0);
	strbuf_init(&c->b2c.sb, 0);
	strbuf_init(&c->replay, 0);
	strbuf_init(&c->rq.first, 0);
	strbuf_init(&c->rq.names, 0);
	strbuf_init(&c->rq.values, 0);
	strbuf_init(&c->rs.first, 0);
	strbuf_init(&c->rs.names, 0);
	strbuf_init(&c->rs.values, 0);
	strbuf_init(&c->defer_head, 0);
	strbuf_init(&c->defer_body, 0);
	injector_init(&c->inj, NULL);
	http_parser_init(&c->reqp, HTTP_REQUEST);
	http_parser_init(&c->resp, HTTP_RESPONSE);
	conn_update(HP(pc), c);
}

static void cb_ready(struct proxy *pc, struct proxycore_conn *bc)
{
	conn_pump(HP(pc), HC(bc));
}

static void cb_opened(struct proxy *pc, struct proxycore_conn *bc)
{
	http_parser_init(&HC(bc)->resp, HTTP_RESPONSE);
	conn_pump(HP(pc), HC(bc));
}

static void cb_gave_up(struct proxy *pc, struct proxycore_conn *bc)
{
	backend_gone(HP(pc), HC(bc));
	conn_pump(HP(pc), HC(bc));
}

/*
 * A client still sending a request head after opts.header_timeout_ms
 * (slowloris): 408 and a close, which frees its slot; while answers to its
 * earlier requests are on their way, it gets another period.
 */
static void head_timeout(struct httpproxy *p, struct hconn *c, int64_t now)
{
	c->head_by = 0;
	if (c->tunnel || c->stream || c->closing)
		return;
	if (c->qn || c->local_path || c->rs_started) {
		c->head_by = now + proxycore_ms_ns(p->core.opts.header_timeout_ms);
		return;
	}
	p->core.st.failed++;
	strbuf_addstr(&c->b2c.sb, "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\n"
	                          "Content-Length: 34\r\nConnection: close\r\n\r\n"
	                          "golive dev: request head too slow\n");
	c->closing = 1;
	c->c_eof = 1; /* nothing more is read: the linger ends it */
	conn_pump(p, c);
}

/* The linger after our close, and the request head's deadline. */
static int cb_tick(struct proxy *pc, struct proxycore_conn *bc, int64_t now)
{
	struct hconn *c = HC(bc);
	if (c->kill_at && now >= c->kill_at)
		conn_kill(HP(pc), c, 0);
	else if (c->head_by && now >= c->head_by)
		head_timeout(HP(pc), c, now);
	else
		return 0;
	return 1;
}

static int64_t cb_timer(const struct proxycore_conn *bc)
{
	const struct hconn *c = (const struct hconn *)bc;
	int64_t t = c->kill_at ? c->kill_at : -1;
	if (c->head_by && (t < 0 || c->head_by < t))
		t = c->head_by;
	return t;
}

static const struct proxycore_ops hp_ops = {
    .conn_size = sizeof(struct hconn),
    .accepted = cb_accepted,
    .ready = cb_ready,
    .opened = cb_opened,
    .gave_up = cb_gave_up,
    .tick = cb_tick,
    .timer = cb_timer,
    .release = conn_release,
};

/* ---- the interface ------------------------------------------------------------------ */

struct httpproxy *httpproxy_new(int listen_fd, const char *backend, const struct proxy_opts *opts,
                                char **cause)
{
	settings_init();
	return HP(
	    proxycore_new(sizeof(struct httpproxy), listen_fd, backend, opts, &hp_ops, cause));
}

void httpproxy_free(struct httpproxy *p)
{
	if (!p)
		return;
	free(p->sticky_name);
	free(p->sticky);
	proxycore_free(&p->core);
}

void httpproxy_keep(struct httpproxy *p, const char *name, const char *data)
{
	free(p->sticky_name);
	free(p->sticky);
	p->sticky_name = name ? xstrdup(name) : NULL;
	p->sticky = name ? xstrdup(data ? data : "{}") : NULL;
}

void httpproxy_event(struct httpproxy *p, const char *name, const char *data)
{
	char vbuf[64];
	if (!data)
		data = "{}";
	int forget = !strcmp(name, "reload") || !strcmp(name, "clear");
	int keep = !strcmp(name, "error") || !strcmp(name, "findings");
	if (forget || keep)
		httpproxy_keep(p, keep ? name : NULL, data);
	if (!strcmp(name, "reload")) {
		p->version++;
		snprintf(vbuf, sizeof(vbuf), "{\"version\":%u}", p->version);
		data = vbuf;
		/*
		 * Idle keep-alive connections to the program that served until now:
		 * closed, so that stopping it cuts nothing (the next request opens one).
		 */
		for (struct proxycore_conn *bc = p->core.conns; bc; bc = bc->next) {
			struct hconn *c = HC(bc);
			if (bc->state == PROXYCORE_OPEN && !c->qn && !bq_len(&c->c2b) &&
			    !c->tunnel && !c->rq_queued)
				backend_drop(p, c);
		}
	}
	struct proxycore_conn *next;
	for (struct proxycore_conn *bc = p->core.conns; bc; bc = next) {
		next = bc->next;
		if (!HC(bc)->stream)
			continue;
		stream_event(HC(bc), name, data);
		conn_pump(p, HC(bc));
	}
	proxycore_free_dead(&p->core);
}

unsigned httpproxy_version(const struct httpproxy *p)
{
	return p->version;
}

size_t httpproxy_streams(const struct httpproxy *p)
{
	size_t n = 0;
	for (const struct proxycore_conn *bc = p->core.conns; bc; bc = bc->next)
		n += ((const struct hconn *)bc)->stream;
	return n;
}
