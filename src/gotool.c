/* gotool.c - see gotool.h. */
#define _GNU_SOURCE
#include "gotool.h"
#include "proc.h"

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
