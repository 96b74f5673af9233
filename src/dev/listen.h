/*
 * listen.h - TCP addresses as the user writes them, and the listening
 * sockets golive holds for `golive dev --listen` and `--proxy`.
 *
 * ADDR forms: "host:port", "[v6addr]:port", ":port". A missing host means
 * 127.0.0.1, never all interfaces: a dev server is not exposed unless the
 * user names a host ("0.0.0.0:8080", "[::]:8080"). Host names are resolved
 * with getaddrinfo (the first result wins); the port is decimal, 0..65535,
 * and 0 asks the kernel for a free port (tests).
 */
#ifndef GOLIVE_LISTEN_H
#define GOLIVE_LISTEN_H

#include <sys/socket.h>

#include "core/util.h"

/* A resolved socket address: a small value struct, copy it freely. */
struct listen_addr {
	struct sockaddr_storage ss; /* AF_INET or AF_INET6 */
	socklen_t len;              /* the meaningful length of ss */
};

/* The backlog asked of listen(2); the kernel caps it at net.core.somaxconn. */
#define LISTEN_BACKLOG 4096

/*
 * Parses and resolves addr into *out. Returns 0, or -1 with *cause
 * (malloc'd, e.g. "bad address 127.0.0.1: missing port").
 */
int listen_parse(const char *addr, struct listen_addr *out, char **cause);

/* "127.0.0.1:8080" or "[::1]:8080"; malloc'd, the caller frees it. */
char *listen_format(const struct listen_addr *a);

/* The port of a, in host byte order. */
int listen_port(const struct listen_addr *a);

/*
 * True when a connection to b could reach a socket bound to a: the same
 * port, and the same address or either one a wildcard (0.0.0.0, ::).
 */
int listen_same_endpoint(const struct listen_addr *a, const struct listen_addr *b);

/*
 * Binds a blocking TCP listening socket on addr with SO_REUSEADDR and
 * LISTEN_BACKLOG. The fd is close-on-exec: the supervisor dup2()s it to
 * fd 3.. in the child, which clears the flag on the copy. When bound is not
 * NULL it receives the address actually bound (getsockname), which tells
 * the port when addr asked for port 0.
 * Returns the fd, or -1 with *cause (malloc'd, e.g.
 * "listen 127.0.0.1:8080: address already in use").
 */
int listen_bind(const char *addr, struct listen_addr *bound, char **cause);

/*
 * As listen_bind, for the first socket of a SO_REUSEPORT group (lpool.h):
 * the option is set after bind(2), so the bind still fails with "address
 * already in use" when another socket holds the port (another golive dev,
 * reuseport or not), and later sockets can join.
 */
int listen_bind_group(const char *addr, struct listen_addr *bound, char **cause);

/*
 * Another listening socket in the group of the socket bound to *bound (an
 * address listen_bind_group returned, with its actual port). Returns the fd
 * (close-on-exec), or -1 with *cause.
 */
int listen_join_group(const struct listen_addr *bound, char **cause);

#endif
