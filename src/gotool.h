/*
 * gotool.h - finding and asking the Go toolchain (`go` on PATH).
 */
#ifndef GOLIVE_GOTOOL_H
#define GOLIVE_GOTOOL_H

#include "util.h"

/* The one line printed when go is missing, with how to install it. */
#define GOTOOL_MISSING                                                                             \
	"go toolchain not found on PATH; install it (Debian/Ubuntu: apt-get install golang-go) "   \
	"or add its bin directory to PATH"

/* Returns the absolute path of `go` found on PATH (malloc'd), or NULL. */
char *gotool_find(void);

/*
 * Runs argv (looked up in PATH) with stdin from /dev/null and captures at
 * most max bytes of its stdout into out (stderr is captured into err when
 * err is not NULL, else discarded). TOOLEXEC_IMPORTPATH is removed from the
 * child's environment. Returns the exit status (0..255, 128+N for a
 * signal), or -1 with *cause when it could not be run.
 */
int gotool_run_capture(char *const argv[], struct strbuf *out, struct strbuf *err, size_t max,
                       char **cause);

/* `go version` without the trailing newline, e.g. "go version go1.19.8 linux/amd64". */
int gotool_version(const char *go, struct strbuf *out, char **cause);

/*
 * The toolchain's version ("go1.19.8") from the VERSION file of its GOROOT
 * (the directory above the real bin/go), without running go; NULL when
 * there is no such file or it does not start with "go". $GOROOT, when set,
 * is tried first. malloc'd.
 */
char *gotool_goroot_version(const char *go);

#endif
