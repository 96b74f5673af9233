/*
 * toolexec.h - the wrapper: golive as `go build -toolexec=golive`.
 *
 * go runs `golive <tool> <args>` for every tool invocation, hundreds per
 * build, so this path is kept small: it reads no configuration and loads no
 * library it does not use.
 *
 * With GOLIVE_PROFILE=prod (checked first) the wrapper execs the tool in
 * place and does nothing else: no configuration, no plugin, no event.
 * Without a session (GOLIVE_SESSION unset or empty) the wrapper execs the
 * tool in place: nothing is recorded and the build behaves exactly like
 * plain go build. With a session it runs the tool as a child (inheriting
 * stdin, stdout and stderr, forwarding SIGINT/SIGTERM/SIGHUP), measures it
 * (wall, user/sys CPU, peak RSS) and its own cost, appends one event line
 * to $GOLIVE_SESSION/events.jsonl with a single O_APPEND write, and leaves
 * with the tool's exact status (dying by the same signal if it died by one).
 * It never prints to stdout, never changes the tool's arguments or output,
 * and never alters the `-V=full` answer. A session it cannot write to is
 * skipped silently: anything printed would become cached tool output.
 */
#ifndef GOLIVE_TOOLEXEC_H
#define GOLIVE_TOOLEXEC_H

/* Runs the wrapper for argv as main() got it; never returns. */
void toolexec_main(int argc, char **argv) __attribute__((noreturn));

#endif
