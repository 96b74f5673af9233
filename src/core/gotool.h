/*
 * gotool.h - finding and asking the Go toolchain (`go` on PATH).
 */
#ifndef GOLIVE_GOTOOL_H
#define GOLIVE_GOTOOL_H

#include "core/goversion.h"
#include "core/util.h"

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

/*
 * The Go releases golive supports (docs/go-versions.md): go1.19, the oldest
 * (Debian 12's golang-go, tested in `make test`), through go1.26, the newest
 * it is tested with. Older toolchains are refused; newer ones are used
 * with one warning.
 */
#define GOTOOL_OLDEST_MINOR 19
#define GOTOOL_NEWEST_MINOR 26

/* What gotool_check found; every string malloc'd or NULL. */
struct gotool_check {
	char *version;        /* the toolchain that will run: "go1.26.8" (go.mod may switch it) */
	char *warning;        /* one line to print (without "golive: "), or NULL */
	struct goversion run; /* the Go that will run (after a switch); unknown when unknown */
};

/*
 * Checks, without running go, that the Go toolchain go (an absolute path
 * from gotool_find) can do the work golive asks of it in the module of
 * dir (NULL: the cwd):
 *  - the toolchain's version (GOROOT/VERSION) is in the supported range;
 *  - in module mode (GO111MODULE is not "off"), the nearest go.mod's go
 *    line and toolchain line against it, under GOTOOLCHAIN (the
 *    environment, else go's user env file, else GOROOT/go.env, as go
 *    reads it): with GOTOOLCHAIN=local a go line newer than the toolchain
 *    is an error (go would fail with less explanation); with switching
 *    allowed, the toolchain go will download and run is the one checked,
 *    and a warning says that go switches.
 * Returns 0 (with c->warning set when there is something to say), or -1
 * with *cause, one line naming the toolchain's path or go.mod's line.
 * An unknown version (no VERSION file, a devel toolchain) passes. Release c
 * with gotool_check_release().
 */
int gotool_check(const char *go, const char *dir, struct gotool_check *c, char **cause);
void gotool_check_release(struct gotool_check *c);

#endif
