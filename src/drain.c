/* drain.c - see drain.h. */
#define _GNU_SOURCE
#include "drain.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_INODES 1024

/* The local port of listening socket fd, or 0. */
static unsigned port_of(int fd)
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

int drain_accepted(pid_t pid, const int *fds, size_t nfds)
{
	unsigned ports[16];
	size_t nports = 0;
	for (size_t i = 0; i < nfds && nports < 16; i++) {
		unsigned p = port_of(fds[i]);
		if (p)
			ports[nports++] = p;
	}
	if (!nports)
		return 0;
	unsigned long *inodes = xmalloc(MAX_INODES * sizeof(*inodes));
	size_t n = 0;
	int ok4 = scan_net(pid, "tcp", ports, nports, inodes, &n);
	int ok6 = scan_net(pid, "tcp6", ports, nports, inodes, &n);
	if (ok4 < 0 && ok6 < 0) {
		free(inodes);
		return -1;
	}
	int count = 0;
	if (n) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		DIR *dir = opendir(path);
		if (!dir) {
			free(inodes);
			return -1;
		}
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
		closedir(dir);
	}
	free(inodes);
	return count;
}

/* 1 when pid's state in /proc/PID/stat is stopped (T/t), 0 if not, -1 when gone. */
static int is_stopped(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	const char *p = strrchr(buf, ')');
	if (!p || !p[1] || !p[2])
		return -1;
	return p[2] == 'T' || p[2] == 't';
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* SIGSTOP to the group, then waits (up to ~20 ms) until pid shows as stopped. */
static void pause_group(pid_t pid, pid_t pgid)
{
	kill(-pgid, SIGSTOP);
	for (int i = 0; i < 200 && is_stopped(pid) == 0; i++)
		sleep_us(100);
}

int drain_pause(pid_t pid, pid_t pgid, const int *fds, size_t nfds, int max_ms)
{
	int64_t deadline = now_mono_ns() + (int64_t)max_ms * 1000000;
	for (;;) {
		pause_group(pid, pgid);
		int n = drain_accepted(pid, fds, nfds);
		if (n <= 0)
			return n < 0 ? -1 : 0;
		if (now_mono_ns() >= deadline)
			return 1;
		/* It is serving: let it finish, then try again. */
		kill(-pgid, SIGCONT);
		sleep_us(2000);
	}
}
