/* session.c - see session.h. */
#define _GNU_SOURCE
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int session_create(struct session *s, const char *parent, char **cause)
{
	const char *tmp = parent;
	if (!tmp || !*tmp)
		tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	char *templ = xasprintf("%s/golive-session-XXXXXX", tmp);
	if (!mkdtemp(templ)) {
		*cause =
		    xasprintf("cannot create a session directory in %s: %s", tmp, strerror(errno));
		free(templ);
		return -1;
	}
	char real[PATH_MAX];
	s->dir = realpath(templ, real) ? xstrdup(real) : xstrdup(templ);
	free(templ);

	/* Prove it takes an append, as the wrappers will. */
	char *probe = session_path(s, EVENTS_FILE);
	int fd = open(probe, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	free(probe);
	if (fd < 0) {
		*cause =
		    xasprintf("session directory %s is not writable: %s", s->dir, strerror(errno));
		session_remove(s);
		return -1;
	}
	close(fd);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void session_remove(struct session *s)
{
	if (s->dir)
		nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	session_release(s);
}

void session_release(struct session *s)
{
	free(s->dir);
	s->dir = NULL;
}

char *session_path(const struct session *s, const char *name)
{
	return xasprintf("%s/%s", s->dir, name);
}

long session_read_events(const struct session *s, long long *offset, event_array *evs, long *bad)
{
	char *path = session_path(s, EVENTS_FILE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (lseek(fd, (off_t)*offset, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	struct strbuf sb = STRBUF_INIT;
	/* 256 MiB: far beyond any real build (an event is ~400 bytes). */
	long n = strbuf_read_fd(&sb, fd, 256u << 20, NULL);
	close(fd);
	if (n < 0) {
		strbuf_release(&sb);
		return -1;
	}
	long added = 0;
	size_t pos = 0;
	while (pos < sb.len) {
		char *nl = memchr(sb.buf + pos, '\n', sb.len - pos);
		if (!nl)
			break; /* a line still being written: read it next time */
		size_t len = (size_t)(nl - (sb.buf + pos));
		struct event ev;
		char *cause = NULL;
		if (len && event_decode(&ev, sb.buf + pos, len, &cause) == 0) {
			ARRAY_PUSH(*evs, ev);
			added++;
		} else if (len && bad) {
			(*bad)++;
		}
		free(cause);
		pos += len + 1;
	}
	*offset += (long long)pos;
	strbuf_release(&sb);
	return added;
}

void event_array_release(event_array *evs)
{
	for (size_t i = 0; i < evs->n; i++)
		event_release(&evs->v[i]);
	ARRAY_FREE(*evs);
}
