/*
 * notify.h - the receiving end of the sd_notify protocol, so that `golive
 * dev` can stop the old program only once the new one says READY=1.
 *
 * notify_new() binds a unix datagram socket in the abstract namespace
 * ("@golive-notify-<pid>-<n>": nothing on disk to clean up); the program
 * gets its name in NOTIFY_SOCKET. The socket is non-blocking and pollable:
 * when notify_fd() is readable, call notify_read() until it returns 0.
 * SO_PASSCRED is on, so each message carries the sender's pid (checked by
 * the kernel) and the caller can ignore messages from other processes.
 *
 * Note: abstract sockets are per network namespace, and any process in it
 * may send; compare notify_msg.pid with the program's pid before trusting one.
 */
#ifndef GOLIVE_NOTIFY_H
#define GOLIVE_NOTIFY_H

#include <stddef.h>
#include <sys/types.h>

#include "core/util.h"

struct notify;

/* The largest datagram read; longer ones are cut (systemd's limit too). */
#define NOTIFY_MAX 4096

/* One datagram, parsed; a small value struct. */
struct notify_msg {
	pid_t pid;        /* sender's pid (SCM_CREDENTIALS); 0 when unknown */
	int ready;        /* READY=1 */
	int stopping;     /* STOPPING=1 */
	int reloading;    /* RELOADING=1 */
	pid_t mainpid;    /* MAINPID=N; 0 when absent or malformed */
	int has_status;   /* a STATUS= line was present */
	char status[256]; /* its value, cut to fit; "" when absent */
};

/* A new receiver; NULL with *cause (malloc'd) when the socket fails. */
struct notify *notify_new(char **cause);
/* Closes the socket and frees n (NULL is fine). */
void notify_free(struct notify *n);

/* The value to put in the program's NOTIFY_SOCKET; owned by n. */
const char *notify_socket(const struct notify *n);
/* The fd to poll for POLLIN. */
int notify_fd(const struct notify *n);

/*
 * Reads one pending datagram without blocking and parses it into *msg.
 * Returns 1 when a message was read, 0 when none is pending, -1 with errno
 * on a socket error. File descriptors sent along (FDSTORE) are closed.
 */
int notify_read(struct notify *n, struct notify_msg *msg);

/*
 * Parses the newline-separated KEY=VALUE assignments of one datagram into
 * *msg (pid left at 0). Unknown keys are ignored, as systemd does.
 */
void notify_parse(const char *buf, size_t len, struct notify_msg *msg);

#endif
