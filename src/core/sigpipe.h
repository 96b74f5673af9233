/*
 * sigpipe.h - signals as bytes on a pipe, for the poll() loops of golive dev
 * and golive test --watch (the self-pipe trick).
 *
 * sigpipe_open() installs one handler (SA_RESTART) for each signal of sigs
 * that writes the signal's number as one byte to a pipe, and ignores
 * SIGPIPE. The loop polls the returned read end (non-blocking,
 * close-on-exec) and reads the bytes. A byte that does not fit (the pipe
 * full) is dropped: a signal is pending anyway. Once per process; dies
 * when no pipe can be made.
 */
#ifndef GOLIVE_SIGPIPE_H
#define GOLIVE_SIGPIPE_H

#include <stddef.h>

int sigpipe_open(const int *sigs, size_t n);

#endif
