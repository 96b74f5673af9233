/* drain.c - see drain.h. */
#define _GNU_SOURCE
#include "dev/drain.h"
#include "core/util.h"
#include "dev/lpool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_INODES 1024
/* the first look reads the descriptors again after this long (drain_pause) */
#define FIRST_LOOK_RECHECK_US 300

unsigned drain_port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/*
 * Appends to inodes the inode of every line of /proc/PID/net/FILE whose
 * local port is in ports and whose state is not LISTEN (0A). -1 when the
 * file cannot be read.
 */
static int scan_net(pid_t pid, const char *file, const unsigned *ports, size_t nports,
                    unsigned long *inodes, size_t *n)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, file);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char local[128], remote[128];
		unsigned st;
		unsigned long inode;
		/* sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid
		 * timeout inode */
		if (sscanf(line, " %*s %127s %127s %x %*s %*s %*s %*s %*s %lu", local, remote, &st,
		           &inode) != 4 ||
		    st == 0x0A || inode == 0)
			continue;
		const char *colon = strrchr(local, ':');
		if (!colon)
			continue;
		unsigned port = (unsigned)strtoul(colon + 1, NULL, 16);
		for (size_t i = 0; i < nports; i++)
			if (ports[i] == port && *n < MAX_INODES)
				inodes[(*n)++] = inode;
	}
	fclose(f);
	return 0;
}

/*
 * The same as scan_net for one address family, through NETLINK_SOCK_DIAG:
 * the kernel leaves out listening and TIME_WAIT sockets (which hold no
 * descriptor) instead of formatting every socket of the namespace as text
 * (/proc/net/tcp takes tens of ms with thousands of finished connections
 * in TIME_WAIT, at every try of a drain). golive's network namespace: the
 * program's, as golive started it. -1 when the query fails.
 */
static int diag_scan(int family, const unsigned *ports, size_t nports, unsigned long *inodes,
                     size_t *n)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = (unsigned char)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states =
	    0xfffu & ~((1u << TCP_LISTEN) | (1u << TCP_TIME_WAIT) | (1u << TCP_CLOSE));
	struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0) {
		close(fd);
		return -1;
	}
	static _Thread_local char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int rc = -1;
	for (int done = 0; !done;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			const struct inet_diag_msg *m = NLMSG_DATA(h);
			unsigned port = ntohs(m->id.idiag_sport);
			for (size_t i = 0; i < nports && m->idiag_inode; i++)
				if (ports[i] == port && *n < MAX_INODES)
					inodes[(*n)++] = m->idiag_inode;
		}
	}
	close(fd);
	return rc;
}

int drain_accepted(pid_t pid, const unsigned *ports, size_t nports)
{
	if (!nports)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path); /* first: a process that is gone cannot tell */
	if (!dir)
		return -1;
	unsigned long *inodes = xmalloc(MAX_INODES * sizeof(*inodes));
	size_t n = 0;
	int ok4 = diag_scan(AF_INET, ports, nports, inodes, &n);
	int ok6 = ok4 < 0 ? -1 : diag_scan(AF_INET6, ports, nports, inodes, &n);
	if (ok4 < 0 || ok6 < 0) { /* no sock_diag here: the /proc text */
		n = 0;
		ok4 = scan_net(pid, "tcp", ports, nports, inodes, &n);
		ok6 = scan_net(pid, "tcp6", ports, nports, inodes, &n);
	}
	if (ok4 < 0 && ok6 < 0) {
		closedir(dir);
		free(inodes);
		return -1;
	}
	int count = 0;
	if (n) {
		struct dirent *de;
		while ((de = readdir(dir))) {
			char link[512], target[64];
			if (de->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
			ssize_t len = readlink(link, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = '\0';
			unsigned long ino;
			if (sscanf(target, "socket:[%lu]", &ino) != 1)
				continue;
			for (size_t i = 0; i < n; i++)
				if (inodes[i] == ino) {
					count++;
					break;
				}
		}
	}
	closedir(dir);
	free(inodes);
	return count;
}

/*
 * 1 when every thread of pid is stopped (state T or t in
 * /proc/PID/task/TID/stat), 0 if one is not yet, -1 when pid is gone.
 */
static int all_stopped(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	if (!dir)
		return -1;
	int ret = 1, seen = 0;
	struct dirent *de;
	while (ret == 1 && (de = readdir(dir))) {
		char stat[128], buf[512];
		if (de->d_name[0] == '.')
			continue;
		snprintf(stat, sizeof(stat), "%s/%.32s/stat", path, de->d_name);
		int fd = open(stat, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* the thread ended */
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		const char *p = strrchr(buf, ')');
		if (!p || !p[1] || !p[2])
			continue;
		seen = 1;
		if (p[2] != 'T' && p[2] != 't')
			ret = 0;
	}
	closedir(dir);
	return seen ? ret : -1;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* SIGSTOP to the group, then waits (up to ~50 ms) until every thread of pid is stopped. */
static void pause_group(pid_t pid, pid_t pgid)
{
	kill(-pgid, SIGSTOP);
	for (int i = 0; i < 500 && all_stopped(pid) == 0; i++)
		sleep_us(100);
}

int drain_pause(pid_t pid, pid_t pgid, const unsigned *ports, size_t nports, const int *lfds,
                size_t nlfds, int max_ms)
{
	int64_t deadline = now_mono_ns() + (int64_t)max_ms * 1000000;
	/*
	 * A first look without stopping it: nothing new reaches it any more (the
	 * proxy holds new connections, lpool steers them to the new version), so
	 * an old program that holds no connection and has none queued gets its
	 * signal at once: no SIGSTOP of every thread (milliseconds on a loaded
	 * machine) for the common case of a restart between requests.
	 *
	 * The queue first, then its connections: the other order misses one the
	 * program accepts between the two looks (it left the queue before the
	 * queue was read, its descriptor came after the descriptors were), and
	 * Go's Shutdown may return before it tracks a connection that Accept
	 * just returned: the client reads EOF. Nothing enters the queue after it
	 * was found empty; a connection accept() took from it just before holds a
	 * descriptor microseconds later, so the descriptors are read again.
	 */
	if ((!nlfds || lpool_queued(lfds, nlfds) <= 0) && drain_accepted(pid, ports, nports) == 0) {
		sleep_us(FIRST_LOOK_RECHECK_US);
		if (drain_accepted(pid, ports, nports) == 0)
			return 0;
	}
	for (;;) {
		pause_group(pid, pgid);
		int n = drain_accepted(pid, ports, nports);
		if (n < 0)
			return -1;
		if (n == 0 && nlfds) {
			/* connections it has yet to accept: it takes them, or nobody will */
			int q = lpool_queued(lfds, nlfds);
			n = q > 0 ? q : 0;
		}
		if (n == 0)
			return 0;
		if (now_mono_ns() >= deadline)
			return 1;
		/* It is serving: let it finish, then try again. */
		kill(-pgid, SIGCONT);
		sleep_us(5000);
	}
}
