/* sigpipe.c - see sigpipe.h. */
#define _GNU_SOURCE
#include "core/sigpipe.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

static int write_end = -1;

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;
	if (write(write_end, &c, 1) < 0) {
		/* the pipe is full: a signal is pending anyway */
	}
	errno = saved;
}

int sigpipe_open(const int *sigs, size_t n)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		die_errno("pipe");
	write_end = fds[1];
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return fds[0];
}
