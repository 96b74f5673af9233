/*
 * delve.h - what golive dev --debug needs of delve (docs/debug.md): its
 * command line, a JSON-RPC 2 client for its headless server (the
 * net/rpc/jsonrpc protocol over TCP: one JSON object per request and per
 * answer, each ending with a newline), and the breakpoint carry-over's
 * line mapping.
 *
 * The client is blocking, with a time limit on every call (a wedged delve
 * never hangs golive); it sends only what golive needs: State, Command
 * (halt, continue), ListBreakpoints, CreateBreakpoint. Library code: it
 * never prints, errors come back as a malloc'd *cause.
 *
 * delve answers ListBreakpoints and CreateBreakpoint only while the target
 * is stopped (its Command holds the target while it runs), and answers a
 * continue only when the target stops again: so a carry-over halts the old
 * target first, and the new one is continued without waiting
 * (delve_continue_nowait).
 */
#ifndef GOLIVE_DELVE_H
#define GOLIVE_DELVE_H

#include <jansson.h>
#include <stddef.h>

#include "core/util.h"

#define DELVE_INSTALL_HINT "go install github.com/go-delve/delve/cmd/dlv@latest"

/*
 * The delve to run: configured (a path, or a name looked up in PATH), else
 * "dlv" in PATH. malloc'd absolute path, or NULL when there is none.
 */
char *delve_find(const char *configured);

/*
 * Appends delve's command line to av: dlv exec --headless
 * --accept-multiclient --api-version=2 --listen=ADDR --log-dest=/dev/null
 * BIN -- ARGS (delve's own errors still go to its stderr). The
 * target starts stopped (no --continue): the caller sets breakpoints and
 * continues it.
 */
void delve_argv(struct argv_array *av, const char *dlv, const char *listen_addr, const char *bin,
                char *const *args, size_t nargs);

/* A free loopback TCP port (bound to port 0 and closed), 0 on failure. */
unsigned delve_free_port(void);

struct delve_client;

/*
 * Connects to delve at host:port within timeout_ms, trying again while it
 * starts (connection refused). alive(data) is asked between tries (NULL:
 * no check): when it returns 0 the wait stops. NULL with *cause.
 */
struct delve_client *delve_connect(const char *addr, int timeout_ms, int (*alive)(void *),
                                   void *data, char **cause);
void delve_close(struct delve_client *c);

/*
 * Calls RPCServer.method with params (stolen; NULL: {}), waiting up to
 * timeout_ms for the answer. *result (may be NULL) gets the answer's
 * "result" (a new reference). 0, or -1 with *cause (delve's error text, or
 * what failed).
 */
int delve_call(struct delve_client *c, const char *method, json_t *params, int timeout_ms,
               json_t **result, char **cause);

/* State: the target's pid and whether it runs (NonBlocking). 0 or -1. */
int delve_state(struct delve_client *c, int *pid, int *running, char **cause);
/*
 * Command halt: stops the target, waiting up to timeout_ms; a target found
 * stopped is left alone (delve keeps a halt of a stopped target pending,
 * and the next continue would stop at once).
 */
int delve_halt(struct delve_client *c, int timeout_ms, char **cause);
/* Command continue, sent without waiting for the answer (it comes when the target stops). */
int delve_continue_nowait(struct delve_client *c, char **cause);

/*
 * ListBreakpoints: the user's breakpoints (delve's internal ones, with
 * negative ids, left out) as a JSON array of delve's Breakpoint objects,
 * without what belongs to one process (id, addresses, hit counts). NULL
 * with *cause.
 */
json_t *delve_list_breakpoints(struct delve_client *c, char **cause);
/*
 * CreateBreakpoint: bp (a delve Breakpoint object, as listed above) at
 * file:line. The line delve set it on in *set_line (may be NULL). 0 or -1.
 */
int delve_create_breakpoint(struct delve_client *c, const json_t *bp, const char *file, int line,
                            int *set_line, char **cause);

/*
 * The line of the new source that holds what line (1-based) of the old
 * source held: the same line when its text is unchanged, else the line
 * with the same text (leading and trailing blanks ignored) nearest to
 * where the lines around it moved, preferring one whose neighbours match
 * too. 0 when the text is gone (or line is out of range, or blank).
 */
int delve_map_line(const char *old_src, size_t old_len, const char *new_src, size_t new_len,
                   int line);

#endif
