/*
 * inject.h - what `golive dev --browser` changes in the pages it proxies:
 * the decision to touch a response at all, the streaming insertion of the
 * reload script into an HTML body, and the Content-Security-Policy that
 * must let that script run. Pure functions and a small value struct: no
 * sockets, no allocation but the strings and strbufs named below (fuzzed
 * by tests/unit/fuzz_inject.c).
 */
#ifndef GOLIVE_INJECT_H
#define GOLIVE_INJECT_H

#include <stddef.h>

#include "core/util.h"

/* The path prefix golive serves itself, and its two resources. */
#define INJECT_PREFIX      "/__golive/"
#define INJECT_SCRIPT_PATH "/__golive/reload.js"
#define INJECT_EVENTS_PATH "/__golive/events"

/* What a request said, as far as injection cares; a value struct. */
struct inject_req {
	int get;        /* GET (HEAD, POST, ... are never injected) */
	int navigation; /* a top-level or frame navigation (inject_is_navigation) */
	int range;      /* it asked for a range */
	int upgrade;    /* it asked for a protocol upgrade */
};

/*
 * A navigation: Sec-Fetch-Dest document/iframe/frame, or Sec-Fetch-Mode
 * navigate without a Dest; without Sec-Fetch-* headers (old browsers,
 * curl), an Accept that names text/html and no X-Requested-With. NULL
 * means the header is absent.
 */
int inject_is_navigation(const char *sec_fetch_dest, const char *sec_fetch_mode, const char *accept,
                         const char *x_requested_with);

/* How the body of a response is to be treated. */
enum inject_mode {
	INJECT_NONE,     /* forward untouched */
	INJECT_PLAIN,    /* insert the script into the identity body */
	INJECT_GUNZIP,   /* decode gzip (zlib), then insert; Content-Encoding goes */
	INJECT_INFLATE,  /* the same for deflate (zlib) */
	INJECT_UNBROTLI, /* the same for br (libbrotli) */
};

/* The decoder of a decoding mode (bodydec.h: BODYDEC_*), -1 for NONE and PLAIN. */
int inject_mode_decoder(enum inject_mode m);

/*
 * Whether to inject into the answer to r: a GET navigation without Range or
 * Upgrade, a status that has a body and is not partial (not 1xx, 204, 206,
 * 304), Content-Type text/html, Content-Encoding none/identity (PLAIN),
 * gzip/x-gzip (GUNZIP), deflate (INFLATE) or br (UNBROTLI); a list of
 * codings and anything else are passed through untouched (the page then
 * does not reload: never a corrupt body).
 */
enum inject_mode inject_decide(const struct inject_req *r, int status, const char *content_type,
                               const char *content_encoding);

/*
 * The CSP header value csp rewritten so that the script (served from the
 * page's own origin) and its EventSource may run: script-src-elem and
 * script-src (else default-src) get 'self' unless they allow it already
 * ('self', *), or a nonce: the policy's first 'nonce-...' value goes to
 * *nonce (malloc'd) for the script tag, and under 'strict-dynamic'
 * without one a nonce of golive's is added. connect-src (else default-src)
 * gets 'self' the same way; 'none' is dropped where a source is added.
 * Returns a malloc'd string; *nonce is NULL when no nonce is needed.
 */
char *inject_csp(const char *csp, char **nonce);
/*
 * The same for a further policy of the page (a <meta> one besides the
 * header's): *nonce is the nonce the tag carries already (NULL: none yet),
 * kept; a directive that allows the script by neither it nor 'self' gets
 * 'nonce-<*nonce>' (or 'self' when the tag has no nonce).
 */
char *inject_csp_more(const char *csp, char **nonce);

/*
 * The tag inserted, <script async src="/__golive/reload.js?v=VERSION" [nonce=".."]></script>
 * (the script reloads a page whose version is no longer the one serving; async: the
 * page's DOMContentLoaded never waits for it); malloc'd.
 */
char *inject_tag(const char *nonce, unsigned version);

/*
 * Streaming insertion of a tag before the first "</body" (ASCII case
 * insensitive) of an HTML body, or at its end when there is none. Feed the
 * body in pieces of any size: bytes that may start "</body" are held back
 * (at most 5) until the next piece tells. Output = input + tag, always.
 *
 * Set up with injector_init_page, the injector also rewrites each
 * <meta http-equiv="Content-Security-Policy" content="..."> before the
 * insertion point as inject_csp_more does a policy (entities in the value
 * decoded; the new value written in double quotes, & and " escaped; the
 * rest of the tag byte for byte), since the browser enforces it beside the
 * header's, and builds the tag when it is due, with the nonce both need. A
 * <meta tag is held whole until its '>' (at most INJECT_META_MAX bytes:
 * longer, it is passed on as it is).
 */
#define INJECT_META_MAX 8192
struct injector {
	const char *tag;    /* the tag (for injector_init; built at insertion for _page) */
	char *tag_own;      /* the tag built here */
	int page;           /* injector_init_page: meta CSPs rewritten, tag built when due */
	unsigned version;   /* for the tag built here */
	char *nonce;        /* the nonce the tag will carry (malloc'd), NULL: none */
	struct strbuf hold; /* held back: a possible "</body", "<meta" or a whole <meta tag */
	unsigned maybe_body : 1, maybe_meta : 1; /* what hold may still start */
	unsigned in_meta : 1;                    /* hold is a <meta tag until its '>' */
	char quote;                              /* in a <meta tag: the open quote, or 0 */
	int done;                                /* the tag is in */
};

/* Inserts tag (not owned; it must outlive the injector) and nothing else. */
void injector_init(struct injector *in, const char *tag);
/*
 * Inserts inject_tag(nonce, version), nonce being the one the header's
 * policy wants (inject_csp; NULL: none; copied), and rewrites meta CSPs.
 */
void injector_init_page(struct injector *in, const char *nonce, unsigned version);
/* Appends to out what can be sent of data[0, n) (with the tag when it is due). */
void injector_feed(struct injector *in, const char *data, size_t n, struct strbuf *out);
/* The body ended: appends what was held, and the tag if it is not in yet. */
void injector_finish(struct injector *in, struct strbuf *out);
/* Frees what the injector holds (a zeroed struct is fine). */
void injector_release(struct injector *in);

#endif
