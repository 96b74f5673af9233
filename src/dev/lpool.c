/* lpool.c - see lpool.h. */
#define _GNU_SOURCE
#include "dev/lpool.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/util.h"

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

#define LPOOL_MAX_OWNERS 32

struct lpool {
	struct listen_addr bound[LPOOL_MAX_ADDRS];
	size_t naddrs;
	int fds[LPOOL_MAX_SLOTS][LPOOL_MAX_ADDRS];
	int nslots;
	int steered; /* the slot new connections go to */
	int nosteer; /* the kernel took no steering program: one shared slot */
	struct {
		const void *owner;
		int slot;
	} owners[LPOOL_MAX_OWNERS];
	size_t nowners;
};

struct lpool *lpool_new(void)
{
	struct lpool *p = xcalloc(1, sizeof(*p));
	p->nslots = 1;
	return p;
}

void lpool_free(struct lpool *p)
{
	if (!p)
		return;
	for (int s = 0; s < p->nslots; s++)
		for (size_t a = 0; a < p->naddrs; a++)
			close(p->fds[s][a]);
	free(p);
}

int lpool_add(struct lpool *p, const char *addr, struct listen_addr *bound, char **cause)
{
	if (p->naddrs == LPOOL_MAX_ADDRS || p->nslots > 1) {
		*cause = xasprintf("listen %s: more than %d addresses", addr, LPOOL_MAX_ADDRS);
		return -1;
	}
	int fd = listen_bind_group(addr, &p->bound[p->naddrs], cause);
	if (fd < 0)
		return -1;
	p->fds[0][p->naddrs++] = fd;
	/* steered to slot 0 from the start; a kernel that refuses it gets one slot */
	struct sock_filter code[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
	struct sock_fprog prog = {.len = 1, .filter = code};
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
		p->nosteer = 1;
	if (bound)
		*bound = p->bound[p->naddrs - 1];
	return fd;
}

size_t lpool_naddrs(const struct lpool *p)
{
	return p->naddrs;
}

static int slot_users(const struct lpool *p, int slot)
{
	int n = 0;
	for (size_t i = 0; i < p->nowners; i++)
		n += p->owners[i].slot == slot;
	return n;
}

/* A new slot: one more socket in each address's group. -1 when one cannot be bound. */
static int grow(struct lpool *p)
{
	int s = p->nslots;
	if (s == LPOOL_MAX_SLOTS)
		return -1;
	for (size_t a = 0; a < p->naddrs; a++) {
		char *cause = NULL;
		int fd = listen_join_group(&p->bound[a], &cause);
		if (fd < 0) {
			warning("golive dev: %s; the old and the new program share a socket",
			        cause);
			free(cause);
			while (a--)
				close(p->fds[s][a]);
			return -1;
		}
		p->fds[s][a] = fd;
	}
	return p->nslots++;
}

int lpool_pick(struct lpool *p)
{
	if (p->nosteer || !slot_users(p, p->steered))
		return p->steered;
	for (int s = 0; s < p->nslots; s++)
		if (!slot_users(p, s))
			return s;
	int s = grow(p);
	return s >= 0 ? s : p->steered;
}

const int *lpool_fds(const struct lpool *p, int slot)
{
	return p->fds[slot];
}

void lpool_own(struct lpool *p, int slot, const void *owner)
{
	if (p->nowners < LPOOL_MAX_OWNERS) {
		p->owners[p->nowners].owner = owner;
		p->owners[p->nowners].slot = slot;
		p->nowners++;
	}
}

static int slot_of(const struct lpool *p, const void *owner)
{
	for (size_t i = 0; i < p->nowners; i++)
		if (p->owners[i].owner == owner)
			return p->owners[i].slot;
	return -1;
}

void lpool_release(struct lpool *p, const void *owner)
{
	for (size_t i = 0; i < p->nowners; i++)
		if (p->owners[i].owner == owner) {
			p->owners[i] = p->owners[--p->nowners];
			return;
		}
}

int lpool_steer(struct lpool *p, const void *owner)
{
	int slot = slot_of(p, owner);
	if (slot < 0 || slot == p->steered)
		return 0;
	/* one instruction: return slot, the index of its socket in the group */
	struct sock_filter code[] = {BPF_STMT(BPF_RET | BPF_K, (unsigned)slot)};
	struct sock_fprog prog = {.len = 1, .filter = code};
	int ret = 0;
	for (size_t a = 0; a < p->naddrs; a++)
		if (setsockopt(p->fds[0][a], SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
		               sizeof(prog)) < 0)
			ret = -1;
	p->steered = slot;
	return ret;
}

const int *lpool_own_fds(const struct lpool *p, const void *owner, size_t *n)
{
	int slot = slot_of(p, owner);
	*n = 0;
	if (slot < 0 || slot == p->steered || slot_users(p, slot) != 1)
		return NULL;
	*n = p->naddrs;
	return p->fds[slot];
}

int lpool_queued(const int *fds, size_t n)
{
	int total = 0;
	for (size_t i = 0; i < n; i++) {
		/* a listening socket's tcpi_unacked is its accept queue's length */
		struct tcp_info ti;
		socklen_t len = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fds[i], IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
			return -1;
		total += (int)ti.tcpi_unacked;
	}
	return total;
}
