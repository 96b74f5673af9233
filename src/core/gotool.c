/* gotool.c - see gotool.h. */
#define _GNU_SOURCE
#include "core/gotool.h"
#include "core/goversion.h"
#include "core/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *gotool_find(void)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		return NULL;
	char *copy = xstrdup(path), *save = NULL, *found = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/go", *dir ? dir : ".");
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			char real[PATH_MAX];
			found = realpath(cand, real) ? xstrdup(real) : cand;
			if (found != cand)
				free(cand);
			break;
		}
		free(cand);
	}
	free(copy);
	return found;
}

int gotool_run_capture(char *const argv[], struct strbuf *out, struct strbuf *err, size_t max,
                       char **cause)
{
	int opipe[2] = {-1, -1}, epipe[2] = {-1, -1}, devnull = -1, status = 0, rc = -1;
	pid_t pid = -1;
	struct proc_opts opts = PROC_OPTS_INIT;
	char *saved_importpath = getenv("TOOLEXEC_IMPORTPATH");

	if (saved_importpath)
		saved_importpath = xstrdup(saved_importpath);
	unsetenv("TOOLEXEC_IMPORTPATH");
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || pipe2(opipe, O_CLOEXEC) < 0 || pipe2(epipe, O_CLOEXEC) < 0) {
		*cause = xasprintf("cannot run %s: %s", argv[0], strerror(errno));
		goto out;
	}
	opts.use_path = 1;
	opts.stdin_fd = devnull;
	opts.stdout_fd = opipe[1];
	opts.stderr_fd = err ? epipe[1] : devnull;
	pid = proc_spawn(argv, &opts, cause);
	close(opipe[1]);
	close(epipe[1]);
	opipe[1] = epipe[1] = -1;
	if (pid < 0)
		goto out;

	/* Read both pipes until EOF so that the child never blocks on a full one. */
	struct pollfd pfd[2] = {{opipe[0], POLLIN, 0}, {epipe[0], POLLIN, 0}};
	int open_fds = err ? 2 : 1;
	if (!err) {
		close(epipe[0]);
		epipe[0] = -1;
		pfd[1].fd = -1;
	}
	while (open_fds > 0) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[8192];
			ssize_t n = read(pfd[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				pfd[i].fd = -1;
				open_fds--;
				continue;
			}
			struct strbuf *sb = i == 0 ? out : err;
			if (sb->len < max)
				strbuf_add(sb, buf,
				           (size_t)n < max - sb->len ? (size_t)n : max - sb->len);
		}
	}
	if (proc_wait(pid, &status, NULL) < 0) {
		*cause = xasprintf("waiting for %s: %s", argv[0], strerror(errno));
		goto out;
	}
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	for (int i = 0; i < 2; i++) {
		if (opipe[i] >= 0)
			close(opipe[i]);
		if (epipe[i] >= 0)
			close(epipe[i]);
	}
	if (devnull >= 0)
		close(devnull);
	if (saved_importpath) {
		setenv("TOOLEXEC_IMPORTPATH", saved_importpath, 1);
		free(saved_importpath);
	}
	return rc;
}

int gotool_version(const char *go, struct strbuf *out, char **cause)
{
	char *argv[] = {(char *)go, "version", NULL};
	int rc = gotool_run_capture(argv, out, NULL, 4096, cause);
	if (rc < 0)
		return -1;
	while (out->len && (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == '\r'))
		out->buf[--out->len] = '\0';
	if (rc != 0) {
		*cause = xasprintf("%s version exited with status %d", go, rc);
		return -1;
	}
	return 0;
}

/* The first line of dir/VERSION when it names a go version, else NULL. */
static char *version_file(const char *dir)
{
	char *path = xasprintf("%s/VERSION", dir);
	struct strbuf sb = STRBUF_INIT;
	char *v = NULL;
	if (strbuf_read_file(&sb, path, 4096) == 0 && starts_with(sb.buf, "go")) {
		size_t n = strcspn(sb.buf, "\r\n \t");
		v = xstrndup(sb.buf, n);
	}
	strbuf_release(&sb);
	free(path);
	return v;
}

char *gotool_goroot_version(const char *go)
{
	const char *env = getenv("GOROOT");
	char *v = env && *env ? version_file(env) : NULL;
	if (v || !go)
		return v;
	char *real = realpath(go, NULL);
	if (!real)
		return NULL;
	char *slash = strrchr(real, '/'); /* .../bin/go -> .../bin */
	if (slash) {
		*slash = '\0';
		slash = strrchr(real, '/'); /* .../bin -> GOROOT */
		if (slash) {
			*slash = '\0';
			v = version_file(*real ? real : "/");
		}
	}
	free(real);
	return v;
}

/* ---- gotool_check ---------------------------------------------------------- */

/*
 * The value of KEY in a go env file (KEY=value lines, as `go env -w`
 * writes them and GOROOT/go.env ships them), malloc'd, or NULL.
 */
static char *env_file_value(const char *path, const char *key)
{
	struct strbuf sb = STRBUF_INIT;
	char *v = NULL;
	size_t klen = strlen(key);
	if (strbuf_read_file(&sb, path, 64 << 10) == 0) {
		for (char *line = sb.buf; line && *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (!strncmp(line, key, klen) && line[klen] == '=') {
				free(v); /* the last one wins */
				v = xstrdup(line + klen + 1);
				v[strcspn(v, "\r")] = '\0';
			}
			line = nl ? nl + 1 : NULL;
		}
	}
	strbuf_release(&sb);
	return v;
}

/* GOTOOLCHAIN as go sees it: the environment, the user's go env file, GOROOT/go.env. */
static char *effective_gotoolchain(const char *goroot)
{
	const char *e = getenv("GOTOOLCHAIN");
	if (e && *e)
		return xstrdup(e);
	char *file = NULL, *v = NULL;
	const char *genv = getenv("GOENV"), *xdg = getenv("XDG_CONFIG_HOME"),
	           *home = getenv("HOME");
	if (genv && *genv)
		file = strcmp(genv, "off") ? xstrdup(genv) : NULL;
	else if (xdg && *xdg)
		file = xasprintf("%s/go/env", xdg);
	else if (home && *home)
		file = xasprintf("%s/.config/go/env", home);
	if (file)
		v = env_file_value(file, "GOTOOLCHAIN");
	free(file);
	if (!v && goroot) {
		file = xasprintf("%s/go.env", goroot);
		v = env_file_value(file, "GOTOOLCHAIN");
		free(file);
	}
	return v && *v ? v : (free(v), xstrdup("auto"));
}

/* GOROOT of the go binary at go (.../bin/go), malloc'd, or NULL. */
static char *goroot_of(const char *go)
{
	const char *env = getenv("GOROOT");
	if (env && *env)
		return xstrdup(env);
	char *real = realpath(go, NULL);
	char *slash = real ? strrchr(real, '/') : NULL;
	if (slash) {
		*slash = '\0';
		slash = strrchr(real, '/');
	}
	if (!slash) {
		free(real);
		return NULL;
	}
	*slash = '\0';
	return real;
}

/*
 * The nearest go.mod from dir up: its path into *path and the 1-based
 * line of its go and toolchain directives into *go_line / *tc_line (0
 * when absent), their versions into *gov / *tcv. 1 when found, 0 when
 * there is none, -1 with *cause when it cannot be read or a version does
 * not parse.
 */
static int read_gomod(const char *dir, char **path, struct goversion *gov, unsigned *go_line,
                      struct goversion *tcv, unsigned *tc_line, char **cause)
{
	char *d = dir ? realpath(dir, NULL) : getcwd(NULL, 0);
	struct strbuf sb = STRBUF_INIT;
	int ret = 0;

	*path = NULL;
	*go_line = *tc_line = 0;
	memset(gov, 0, sizeof(*gov));
	memset(tcv, 0, sizeof(*tcv));
	while (d && *d) {
		char *cand = xasprintf("%s/go.mod", strcmp(d, "/") ? d : "");
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
			*path = cand;
			break;
		}
		free(cand);
		char *slash = strrchr(d, '/');
		if (!slash || slash == d) {
			if (strcmp(d, "/") == 0)
				break;
			d[1] = '\0';
			continue;
		}
		*slash = '\0';
	}
	free(d);
	if (!*path)
		return 0;
	if (strbuf_read_file(&sb, *path, 4u << 20) < 0) {
		*cause = xasprintf("%s: %s", *path, strerror(errno));
		return -1;
	}
	ret = 1;
	unsigned lineno = 0;
	for (char *line = sb.buf; line && ret == 1;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		char *w = line + strspn(line, " \t");
		int is_go = !strncmp(w, "go", 2) && (w[2] == ' ' || w[2] == '\t');
		int is_tc = !strncmp(w, "toolchain", 9) && (w[9] == ' ' || w[9] == '\t');
		if (is_go || is_tc) {
			char *v = w + (is_go ? 2 : 9);
			v += strspn(v, " \t");
			v[strcspn(v, " \t\r/")] = '\0';
			struct goversion parsed;
			if (goversion_parse(v, &parsed) < 0) {
				*cause =
				    xasprintf("%s:%u: %s version \"%.40s\" is not a Go version",
				              *path, lineno, is_go ? "go" : "toolchain", v);
				ret = -1;
			} else if (is_go) {
				*gov = parsed;
				*go_line = lineno;
			} else {
				*tcv = parsed;
				*tc_line = lineno;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	strbuf_release(&sb);
	return ret;
}

int gotool_check(const char *go, const char *dir, struct gotool_check *c, char **cause)
{
	struct goversion have, want, tc, run;
	char hbuf[GOVERSION_MAX], wbuf[GOVERSION_MAX];
	char *ver = gotool_goroot_version(go), *goroot = NULL, *gomod = NULL, *toolchain = NULL;
	unsigned go_line = 0, tc_line = 0;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (!ver || goversion_parse(ver, &have) < 0 || !goversion_known(&have) ||
	    have.pre == GOVERSION_DEVEL) {
		/* No VERSION file, or a development toolchain: nothing to check against. */
		c->version = ver ? ver : xstrdup("unknown");
		return 0;
	}
	c->version = ver;
	if (!goversion_at_least(&have, 1, GOTOOL_OLDEST_MINOR)) {
		*cause = xasprintf("%s is %s, older than the oldest Go golive supports (go1.%d); "
		                   "install Go 1.%d or newer and put it first on PATH",
		                   go, ver, GOTOOL_OLDEST_MINOR, GOTOOL_OLDEST_MINOR);
		return -1;
	}
	run = have;

	const char *gm = getenv("GO111MODULE");
	int rc = gm && !strcmp(gm, "off")
	             ? 0
	             : read_gomod(dir, &gomod, &want, &go_line, &tc, &tc_line, cause);
	if (rc < 0)
		goto out;
	if (rc > 0 && goversion_at_least(&have, 1, 21)) {
		/* Go >= 1.21 enforces go.mod's go line and may switch toolchains. */
		goroot = goroot_of(go);
		toolchain = effective_gotoolchain(goroot);
		int local = !strcmp(toolchain, "local");
		struct goversion need = want;
		unsigned need_line = go_line;
		if (!local && tc_line && goversion_cmp(&tc, &need) > 0) {
			need = tc;
			need_line = tc_line;
		}
		if (go_line && goversion_cmp(&want, &have) > 0 && local) {
			*cause = xasprintf(
			    "%s:%u asks for go %s, newer than the go on PATH (%s, %s), "
			    "and GOTOOLCHAIN=local forbids switching; install Go %s or "
			    "newer, or set GOTOOLCHAIN=auto",
			    gomod, go_line, goversion_format(&want, wbuf, sizeof(wbuf)) + 2, ver,
			    go, goversion_format(&want, hbuf, sizeof(hbuf)) + 2);
			goto out;
		}
		if (need_line && goversion_cmp(&need, &have) > 0 && !local) {
			run = need;
			c->warning =
			    xasprintf("%s:%u asks for %s; go switches to that toolchain "
			              "(GOTOOLCHAIN=%s), downloading it if it is not cached",
			              gomod, need_line, goversion_format(&need, wbuf, sizeof(wbuf)),
			              toolchain);
		}
	}
	c->run = run;
	if (!goversion_at_least(&run, 1, GOTOOL_NEWEST_MINOR + 1)) {
		ret = 0;
		goto out;
	}
	/* Newer than tested: say so once, and go on. */
	{
		char *w =
		    xasprintf("%s%s%s is newer than the newest Go golive is tested with "
		              "(go1.%d); please report what breaks",
		              c->warning ? c->warning : "", c->warning ? "; " : "",
		              goversion_format(&run, hbuf, sizeof(hbuf)), GOTOOL_NEWEST_MINOR);
		free(c->warning);
		c->warning = w;
	}
	ret = 0;
out:
	free(goroot);
	free(gomod);
	free(toolchain);
	return ret;
}

void gotool_check_release(struct gotool_check *c)
{
	free(c->version);
	free(c->warning);
	memset(c, 0, sizeof(*c));
}
