/* listen.c - see listen.h. */
#define _GNU_SOURCE
#include "dev/listen.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * "<what> <addr>: <reason>", with the reason's first letter lowered when it
 * starts a plain word ("Address already in use" -> "address already in use").
 */
static char *cause_fmt(const char *what, const char *addr, const char *reason)
{
	char *s = xasprintf("%s %s: %s", what, addr, reason);
	char *r = s + strlen(s) - strlen(reason);
	if (isupper((unsigned char)r[0]) && islower((unsigned char)r[1]))
		r[0] = (char)tolower((unsigned char)r[0]);
	return s;
}

/* Parses addr into *out; returns NULL or a static reason for the failure. */
static const char *parse(const char *addr, struct listen_addr *out)
{
	const char *host, *port;
	size_t hostlen;
	int family = AF_UNSPEC;

	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');
		if (!rb)
			return "missing ']'";
		if (rb[1] != ':')
			return "missing port";
		host = addr + 1;
		hostlen = (size_t)(rb - host);
		port = rb + 2;
		family = AF_INET6;
		if (!hostlen)
			return "empty IPv6 address";
	} else {
		const char *colon = strrchr(addr, ':');
		if (!colon)
			return "missing port";
		host = addr;
		hostlen = (size_t)(colon - addr);
		if (memchr(host, ':', hostlen))
			return "IPv6 addresses need brackets: [addr]:port";
		port = colon + 1;
	}

	size_t plen = strlen(port);
	if (!plen || plen > 5 || strspn(port, "0123456789") != plen || atoi(port) > 65535)
		return "bad port (want 0..65535)";

	char hbuf[256];
	if (!hostlen) {
		memcpy(hbuf, "127.0.0.1", sizeof("127.0.0.1"));
	} else {
		if (hostlen >= sizeof(hbuf))
			return "host name too long";
		memcpy(hbuf, host, hostlen);
		hbuf[hostlen] = '\0';
	}

	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	int r = getaddrinfo(hbuf, port, &hints, &res);
	if (r)
		return r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r);
	if (!res || res->ai_addrlen > sizeof(out->ss) ||
	    (res->ai_family != AF_INET && res->ai_family != AF_INET6)) {
		freeaddrinfo(res);
		return "no usable address";
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return NULL;
}

int listen_parse(const char *addr, struct listen_addr *out, char **cause)
{
	const char *reason = parse(addr, out);
	if (!reason)
		return 0;
	*cause = cause_fmt("bad address", addr, reason);
	return -1;
}

char *listen_format(const struct listen_addr *a)
{
	char host[INET6_ADDRSTRLEN];
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		return xasprintf("[%s]:%d", host, listen_port(a));
	}
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
	inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
	return xasprintf("%s:%d", host, listen_port(a));
}

int listen_port(const struct listen_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

/*
 * Binds and listens on a. reuseport: 0 plain; LISTEN_GROUP_FIRST sets
 * SO_REUSEPORT after bind (so the bind still fails on a port another socket
 * holds, reuseport or not); LISTEN_GROUP_JOIN sets it before (joining the
 * group the first one made).
 */
enum { LISTEN_PLAIN, LISTEN_GROUP_FIRST, LISTEN_GROUP_JOIN };

static int bind_addr(const struct listen_addr *a, int reuseport, struct listen_addr *bound,
                     char **cause)
{
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (reuseport == LISTEN_GROUP_JOIN &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
		goto fail;
	if (reuseport == LISTEN_GROUP_FIRST &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	if (bound) {
		memset(bound, 0, sizeof(*bound));
		bound->len = sizeof(bound->ss);
		if (getsockname(fd, (struct sockaddr *)&bound->ss, &bound->len) < 0)
			goto fail;
	}
	return fd;

fail:;
	int saved = errno;
	char *shown = listen_format(a);
	*cause = cause_fmt("listen", shown, strerror(saved));
	free(shown);
	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

static int parse_and_bind(const char *addr, int reuseport, struct listen_addr *bound, char **cause)
{
	struct listen_addr a;
	const char *reason = parse(addr, &a);
	if (reason) {
		*cause = cause_fmt("listen", addr, reason);
		return -1;
	}
	return bind_addr(&a, reuseport, bound, cause);
}

int listen_bind(const char *addr, struct listen_addr *bound, char **cause)
{
	return parse_and_bind(addr, LISTEN_PLAIN, bound, cause);
}

int listen_bind_group(const char *addr, struct listen_addr *bound, char **cause)
{
	return parse_and_bind(addr, LISTEN_GROUP_FIRST, bound, cause);
}

int listen_join_group(const struct listen_addr *bound, char **cause)
{
	return bind_addr(bound, LISTEN_GROUP_JOIN, NULL, cause);
}

/* True when a's address is 0.0.0.0 or ::. */
static int is_wildcard(const struct listen_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
	return 0;
}

int listen_same_endpoint(const struct listen_addr *a, const struct listen_addr *b)
{
	if (listen_port(a) != listen_port(b))
		return 0;
	if (is_wildcard(a) || is_wildcard(b))
		return 1;
	if (a->ss.ss_family != b->ss.ss_family)
		return 0;
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)&b->ss)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
	               &((const struct sockaddr_in6 *)&b->ss)->sin6_addr, sizeof(struct in6_addr));
}
