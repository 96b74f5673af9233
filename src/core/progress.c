/* progress.c - see progress.h. */
#include "core/progress.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void progress_init(struct progress *p, int enabled, int fd)
{
	memset(p, 0, sizeof(*p));
	p->enabled = enabled;
	p->fd = fd;
	p->at_bol = 1;
	p->total = -1;
}

static void erase(struct progress *p)
{
	if (p->shown)
		(void)write_all(p->fd, "\r\033[K", 4);
	p->shown = 0;
}

static void draw(struct progress *p)
{
	char line[512];
	struct winsize ws;
	int cols = 80;
	if (!p->enabled || !p->at_bol)
		return;
	if (ioctl(p->fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		cols = ws.ws_col;
	int n;
	if (p->total >= 0)
		n = snprintf(line, sizeof(line), "\r\033[K[%ld/%ld] %s%s", p->done, p->total,
		             p->current[0] ? "compiling " : "building", p->current);
	else
		n = snprintf(line, sizeof(line), "\r\033[K[%ld] %s%s", p->done,
		             p->current[0] ? "compiling " : "building", p->current);
	if (n < 0)
		return;
	/* 4 bytes of "\r\033[K" are not columns; keep one column free. */
	size_t max = (size_t)cols - 1 + 4;
	size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	if (len > max)
		len = max;
	(void)write_all(p->fd, line, len);
	p->shown = 1;
}

void progress_update(struct progress *p, long done, long total, const char *current)
{
	if (!p->enabled)
		return;
	p->done = done;
	p->total = total;
	if (current)
		snprintf(p->current, sizeof(p->current), "%s", current);
	draw(p);
}

void progress_write(struct progress *p, int fd, const char *data, size_t len)
{
	if (!len)
		return;
	erase(p);
	(void)write_all(fd, data, len);
	if (p->enabled) {
		p->at_bol = data[len - 1] == '\n';
		draw(p);
	}
}

void progress_finish(struct progress *p)
{
	erase(p);
	p->enabled = 0;
}
