/* notify.c - see notify.h. */
#define _GNU_SOURCE
#include "dev/notify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct notify {
	int fd;
	char *name; /* "@golive-notify-<pid>-<n>" */
};

static unsigned notify_seq; /* distinguishes receivers within one process */

struct notify *notify_new(char **cause)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*cause = xasprintf("notify socket: %s", strerror(errno));
		return NULL;
	}
	char *name = NULL;
	for (int tries = 0;; tries++) {
		free(name);
		name = xasprintf("@golive-notify-%ld-%u", (long)getpid(), notify_seq++);
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		size_t len = strlen(name); /* the '@' becomes the leading NUL */
		memcpy(sa.sun_path + 1, name + 1, len - 1);
		socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
		if (!bind(fd, (struct sockaddr *)&sa, salen))
			break;
		if (errno != EADDRINUSE || tries >= 16) {
			*cause = xasprintf("notify socket %s: %s", name, strerror(errno));
			free(name);
			close(fd);
			return NULL;
		}
	}
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		*cause = xasprintf("notify socket %s: SO_PASSCRED: %s", name, strerror(errno));
		free(name);
		close(fd);
		return NULL;
	}
	struct notify *n = xcalloc(1, sizeof(*n));
	n->fd = fd;
	n->name = name;
	return n;
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	close(n->fd);
	free(n->name);
	free(n);
}

const char *notify_socket(const struct notify *n)
{
	return n->name;
}

int notify_fd(const struct notify *n)
{
	return n->fd;
}

/* True when the line [l, l+n) is exactly "key=1"-style "kv". */
static int line_is(const char *l, size_t n, const char *kv)
{
	return n == strlen(kv) && !memcmp(l, kv, n);
}

void notify_parse(const char *buf, size_t len, struct notify_msg *msg)
{
	size_t pos = 0;
	while (pos < len) {
		const char *l = buf + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;
		pos += n + 1;

		if (line_is(l, n, "READY=1")) {
			msg->ready = 1;
		} else if (line_is(l, n, "STOPPING=1")) {
			msg->stopping = 1;
		} else if (line_is(l, n, "RELOADING=1")) {
			msg->reloading = 1;
		} else if (n >= 7 && !memcmp(l, "STATUS=", 7)) {
			size_t vn = n - 7;
			if (vn >= sizeof(msg->status))
				vn = sizeof(msg->status) - 1;
			memcpy(msg->status, l + 7, vn);
			msg->status[vn] = '\0';
			/* a NUL inside the value ends it */
			msg->has_status = 1;
		} else if (n > 8 && n < 8 + 16 && !memcmp(l, "MAINPID=", 8)) {
			char num[16];
			memcpy(num, l + 8, n - 8);
			num[n - 8] = '\0';
			char *end;
			long v = strtol(num, &end, 10);
			if (!*end && v > 0 && v == (pid_t)v)
				msg->mainpid = (pid_t)v;
		}
	}
}

int notify_read(struct notify *n, struct notify_msg *msg)
{
	char buf[NOTIFY_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 32)];
	} ctl;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh;
	ssize_t r;

	memset(msg, 0, sizeof(*msg));
	do {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		r = recvmsg(n->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred cred;
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			msg->pid = cred.pid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nfd; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
				close(fd);
			}
		}
	}
	notify_parse(buf, (size_t)r, msg);
	return 1;
}
