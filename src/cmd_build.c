/*
 * cmd_build.c - `golive build`: go build through the golive wrapper, then a
 * summary of what every tool invocation cost.
 *
 * Flow: read golive.yaml, create a session directory, start `go list -deps`
 * (the package graph, for the cache-hit count) and `go build -toolexec=<this
 * golive>` in process groups of their own, relay go's output (drawing a
 * progress line under it on a TTY), then read the session's events and
 * print the summary. go's exit status is golive's.
 */
#define _GNU_SOURCE
#include "buildargs.h"
#include "commands.h"
#include "config.h"
#include "gotool.h"
#include "proc.h"
#include "progress.h"
#include "session.h"
#include "summary.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define GRACE_NS (5LL * 1000000000LL)

static const char build_usage[] =
    "usage: golive build [golive options] [go build flags] [packages]\n"
    "\n"
    "Runs go build with golive as its -toolexec wrapper, passes go's output\n"
    "through, then prints a summary: wall time, tool runs, the slowest\n"
    "compiles, link time and how many packages came from go's cache.\n"
    "Flags and packages default to build.flags / build.packages in golive.yaml.\n"
    "\n"
    "golive options:\n"
    "  --json             print the summary as JSON on stdout\n"
    "  --quiet            no progress line and no text summary\n"
    "  --keep             keep the session directory (events.jsonl) and print its path\n"
    "  --top N            list the N slowest compiles (default 10, build.top)\n"
    "  --config FILE      read FILE instead of searching for golive.yaml\n"
    "  --session-dir DIR  create the session directory under DIR (default $TMPDIR)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: go build's; 2 for a usage or configuration error; 127 when go is not found.\n";

struct build_opts {
	int json, quiet, keep, top;
	const char *config, *session_parent;
};

/* Separates golive's own options from the go build words. */
static int parse_opts(struct build_opts *o, int argc, char **argv, struct argv_array *go_words)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (is_help_flag(a)) {
			fputs(build_usage, stdout);
			exit(0);
		}
		if (strcmp(a, "--json") == 0) {
			o->json = 1;
		} else if (strcmp(a, "--quiet") == 0) {
			o->quiet = 1;
		} else if (strcmp(a, "--keep") == 0) {
			o->keep = 1;
		} else if (starts_with(a, "--top") || starts_with(a, "--config") ||
		           starts_with(a, "--session-dir")) {
			size_t n = strcspn(a, "=");
			if (a[n] == '=')
				val = a + n + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return error("golive build: %.*s needs a value", (int)n, a);
			if (strncmp(a, "--top", n) == 0 && n == 5) {
				char *end;
				long v = strtol(val, &end, 10);
				if (!*val || *end || v < 0 || v > 1000)
					return error("golive build: --top: want a number 0..1000, "
					             "got \"%s\"",
					             val);
				o->top = (int)v;
			} else if (strncmp(a, "--config", n) == 0 && n == 8) {
				o->config = val;
			} else if (strncmp(a, "--session-dir", n) == 0 && n == 13) {
				o->session_parent = val;
			} else {
				argv_push(go_words, a);
				if (a[n] != '=')
					argv_push(go_words, val);
			}
		} else if (starts_with(a, "--") && strcmp(a, "--") != 0) {
			return error("golive build: unknown option %s (see golive build --help)",
			             a);
		} else {
			argv_push(go_words, a);
		}
	}
	return 0;
}

/* The -toolexec value: this golive's absolute path, quoted for go when needed. */
static char *toolexec_value(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		die_errno("cannot find golive's own path (/proc/self/exe)");
	self[n] = '\0';
	if (!strpbrk(self, " \t\n'\"\\"))
		return xstrdup(self);
	if (!strchr(self, '\''))
		return xasprintf("'%s'", self);
	if (!strpbrk(self, "\"\\"))
		return xasprintf("\"%s\"", self);
	die("golive's path cannot be quoted for -toolexec: %s", self);
}

static int pidfd_open_compat(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* Reads newline-separated import paths from a file into out. */
static void read_lines(const char *path, struct argv_array *out)
{
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, path, 64u << 20) == 0) {
		char *save = NULL;
		for (char *l = strtok_r(sb.buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (*l)
				argv_push(out, l);
	}
	strbuf_release(&sb);
}

/* Returns the last non-empty line of the session's "started" file (the compile in progress). */
static void last_started(const struct session *s, char *buf, size_t size)
{
	char *path = session_path(s, "started");
	struct strbuf sb = STRBUF_INIT;
	buf[0] = '\0';
	if (strbuf_read_file(&sb, path, 1u << 20) == 0) {
		while (sb.len && sb.buf[sb.len - 1] == '\n')
			sb.buf[--sb.len] = '\0';
		char *nl = strrchr(sb.buf, '\n');
		snprintf(buf, size, "%s", nl ? nl + 1 : sb.buf);
	}
	strbuf_release(&sb);
	free(path);
}

struct run {
	pid_t go_pid, list_pid;
	int go_status, list_status;
	int go_done, list_done;
	int pidfd;
	int out_fd, err_fd; /* read ends of go's stdout/stderr when relaying, else -1 */
	int64_t kill_at;    /* when to SIGKILL go's group after an interrupt, 0 if not */
};

static void relay(struct run *r, struct progress *pr, int *fdp, int to)
{
	char buf[16384];
	ssize_t n = read(*fdp, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(*fdp);
		*fdp = -1;
		return;
	}
	(void)r;
	progress_write(pr, to, buf, (size_t)n);
}

/* Runs the event loop until go build has exited and its output is drained. */
static void wait_for_go(struct run *r, struct progress *pr, const struct session *s,
                        const char *deps_path, struct argv_array *deps)
{
	long long ev_off = 0;
	long done = 0;
	event_array evs = ARRAY_INIT;

	while (!r->go_done || r->out_fd >= 0 || r->err_fd >= 0) {
		struct pollfd pfd[3] = {{r->out_fd, POLLIN, 0},
		                        {r->err_fd, POLLIN, 0},
		                        {r->go_done ? -1 : r->pidfd, POLLIN, 0}};
		int timeout = -1;
		if (pr->enabled)
			timeout = 100;
		if (!r->go_done && r->pidfd < 0)
			timeout = 50; /* no pidfd: poll for the exit */
		if (r->kill_at)
			timeout = timeout < 0 ? 200 : timeout;
		int n = poll(pfd, 3, timeout);
		if (n < 0 && errno != EINTR)
			die_errno("poll");
		if (n > 0) {
			if (pfd[0].revents)
				relay(r, pr, &r->out_fd, 1);
			if (pfd[1].revents)
				relay(r, pr, &r->err_fd, 2);
		}
		if (!r->go_done && waitpid(r->go_pid, &r->go_status, WNOHANG) == r->go_pid)
			r->go_done = 1;
		if (r->list_pid > 0 && !r->list_done &&
		    waitpid(r->list_pid, &r->list_status, WNOHANG) == r->list_pid) {
			r->list_done = 1;
			if (WIFEXITED(r->list_status) && WEXITSTATUS(r->list_status) == 0)
				read_lines(deps_path, deps);
		}
		int sig = proc_forwarded_signal();
		if (sig && !r->kill_at) {
			r->kill_at = now_mono_ns() + GRACE_NS;
			if (r->list_pid > 0 && !r->list_done)
				kill(-r->list_pid, SIGKILL);
		}
		if (r->kill_at && !r->go_done && now_mono_ns() >= r->kill_at) {
			kill(-r->go_pid, SIGKILL);
			r->kill_at = now_mono_ns() + GRACE_NS;
		}
		if (pr->enabled && s->dir) {
			char cur[256];
			if (session_read_events(s, &ev_off, &evs, NULL) > 0) {
				for (size_t i = 0; i < evs.n; i++)
					if (!evs.v[i].probe &&
					    strcmp(evs.v[i].tool, "compile") == 0)
						done++;
				event_array_release(&evs);
			}
			last_started(s, cur, sizeof(cur));
			progress_update(pr, done, deps->argc ? (long)deps->argc : -1, cur);
		}
	}
	event_array_release(&evs);
}

/*
 * Prints the summary: JSON on stdout with --json (also without a session,
 * then with no per-tool figures), else text on stderr unless --quiet or
 * there is no session to summarise.
 */
static void report(const struct build_opts *o, const struct session *s, int64_t wall, int status,
                   const struct argv_array *deps, int color)
{
	event_array evs = ARRAY_INIT;
	long long off = 0;
	struct build_summary sum;
	memset(&sum, 0, sizeof(sum));
	if (s->dir)
		session_read_events(s, &off, &evs, &sum.bad_events);
	sum.wall_ns = wall;
	sum.exit_status = status;
	summary_compute(&sum, &evs, deps, (size_t)o->top);
	if (o->json) {
		json_t *j = summary_to_json(&sum);
		json_object_set_new(j, "session",
		                    o->keep && s->dir ? json_string(s->dir) : json_null());
		char *txt = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (txt)
			printf("%s\n", txt);
		free(txt);
		json_decref(j);
	} else if (!o->quiet && s->dir) {
		summary_print_text(&sum, stderr, color);
	}
	summary_release(&sum);
	event_array_release(&evs);
	if (o->keep && s->dir)
		fprintf(stderr, "golive: session kept in %s\n", s->dir);
}

int cmd_build(int argc, char **argv)
{
	struct build_opts o = {0, 0, 0, -1, NULL, NULL};
	struct argv_array go_words = ARGV_ARRAY_INIT, go_argv = ARGV_ARRAY_INIT,
	                  list_argv = ARGV_ARRAY_INIT, deps = ARGV_ARRAY_INIT;
	struct build_args ba = BUILD_ARGS_INIT;
	struct golive_config cfg;
	struct session s = {NULL};
	struct progress pr;
	struct run r = {-1, -1, 0, 0, 0, 0, -1, -1, -1, 0};
	char *cause = NULL, *go = NULL, *deps_path = NULL, *toolexec = NULL;
	int ret = EXIT_USAGE;

	config_init(&cfg);
	if (parse_opts(&o, argc, argv, &go_words) < 0)
		goto out;
	if (!o.config)
		o.config = getenv("GOLIVE_CONFIG") && *getenv("GOLIVE_CONFIG")
		               ? getenv("GOLIVE_CONFIG")
		               : NULL;
	if (config_load(&cfg, o.config, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		goto out;
	}
	if (o.top < 0)
		o.top = cfg.build.top;
	o.keep |= cfg.build.keep;

	/* Flags: golive.yaml first, the command line after it (the later wins in go). */
	if (buildargs_parse(&ba, (int)cfg.build.flags.argc, cfg.build.flags.argv, &cause) < 0) {
		error("%s: build.flags: %s", cfg.path ? cfg.path : "golive.yaml", cause);
		goto out;
	}
	if (ba.packages.argc) {
		error("%s: build.flags: \"%s\" is not a go build flag (packages go in "
		      "build.packages)",
		      cfg.path ? cfg.path : "golive.yaml", ba.packages.argv[0]);
		goto out;
	}
	if (buildargs_parse(&ba, (int)go_words.argc, go_words.argv, &cause) < 0) {
		error("golive build: %s", cause);
		goto out;
	}
	if (ba.has_toolexec) {
		error(
		    "golive build: -toolexec is golive's own; run go build -toolexec=... directly "
		    "to use another wrapper");
		goto out;
	}
	if (!ba.packages.argc)
		for (size_t i = 0; i < cfg.build.packages.argc; i++)
			argv_push(&ba.packages, cfg.build.packages.argv[i]);
	if (!ba.has_output && cfg.build.output) {
		argv_push(&ba.flags, "-o");
		if (cfg.build.output[0] == '/')
			argv_push(&ba.flags, cfg.build.output);
		else
			argv_pushf(&ba.flags, "%s/%s", cfg.root, cfg.build.output);
	}

	go = gotool_find();
	if (!go) {
		error(GOTOOL_MISSING);
		ret = EXIT_NO_GO;
		goto out;
	}

	if (session_create(&s, o.session_parent, &cause) < 0) {
		warning("%s; building without a session (no per-tool summary)", cause);
		free(cause);
		cause = NULL;
	}
	int tty = isatty(2) && !o.quiet && !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
	          !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
	progress_init(&pr, tty && s.dir, 2);

	unsetenv("TOOLEXEC_IMPORTPATH");
	if (s.dir) {
		setenv("GOLIVE_SESSION", s.dir, 1);
		if (pr.enabled)
			setenv("GOLIVE_PROGRESS", "1", 1);
		else
			unsetenv("GOLIVE_PROGRESS");
	} else {
		unsetenv("GOLIVE_SESSION");
	}

	int64_t t0 = now_mono_ns();

	/* The package graph, in parallel with the build. */
	if (s.dir) {
		deps_path = session_path(&s, "deps.txt");
		int dfd = open(deps_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
		struct proc_opts lo = PROC_OPTS_INIT;
		argv_push(&list_argv, go);
		argv_push(&list_argv, "list");
		argv_push(&list_argv, "-deps");
		argv_push(&list_argv, "-e");
		argv_push(&list_argv, "-f={{.ImportPath}}");
		buildargs_list_flags(&ba, &list_argv);
		if (ba.packages.argc)
			argv_push(&list_argv, "--");
		for (size_t i = 0; i < ba.packages.argc; i++)
			argv_push(&list_argv, ba.packages.argv[i]);
		lo.new_pgroup = 1;
		lo.stdin_fd = nfd;
		lo.stdout_fd = dfd;
		lo.stderr_fd = nfd;
		if (dfd >= 0 && nfd >= 0) {
			/* go list must not see the session: it runs no tools, but be sure. */
			r.list_pid = proc_spawn(list_argv.argv, &lo, &cause);
			if (r.list_pid < 0) {
				free(cause);
				cause = NULL;
			}
		}
		if (dfd >= 0)
			close(dfd);
		if (nfd >= 0)
			close(nfd);
	}

	toolexec = toolexec_value();
	argv_push(&go_argv, go);
	argv_push(&go_argv, "build");
	argv_pushf(&go_argv, "-toolexec=%s", toolexec);
	for (size_t i = 0; i < ba.flags.argc; i++)
		argv_push(&go_argv, ba.flags.argv[i]);
	for (size_t i = 0; i < ba.packages.argc; i++)
		argv_push(&go_argv, ba.packages.argv[i]);

	struct proc_opts gopt = PROC_OPTS_INIT;
	int opipe[2] = {-1, -1}, epipe[2] = {-1, -1};
	gopt.new_pgroup = 1;
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	gopt.stdin_fd = nullfd; /* a background process group must not read the terminal */
	if (pr.enabled && pipe2(opipe, O_CLOEXEC) == 0 && pipe2(epipe, O_CLOEXEC) == 0) {
		gopt.stdout_fd = opipe[1];
		gopt.stderr_fd = epipe[1];
	}
	r.go_pid = proc_spawn(go_argv.argv, &gopt, &cause);
	if (nullfd >= 0)
		close(nullfd);
	if (opipe[1] >= 0)
		close(opipe[1]);
	if (epipe[1] >= 0)
		close(epipe[1]);
	r.out_fd = gopt.stdout_fd >= 0 ? opipe[0] : -1;
	r.err_fd = gopt.stderr_fd >= 0 ? epipe[0] : -1;
	if (r.go_pid < 0) {
		error("%s", cause);
		ret = EXIT_NO_GO;
		goto out;
	}
	r.pidfd = pidfd_open_compat(r.go_pid);
	wait_for_go(&r, &pr, &s, deps_path, &deps);
	progress_finish(&pr);
	int64_t wall = now_mono_ns() - t0;
	if (r.pidfd >= 0)
		close(r.pidfd);

	int sig = proc_forwarded_signal();
	if (sig) {
		/* Interrupted: leave nothing behind, then go the way we were told to. */
		kill(-r.go_pid, SIGKILL);
		if (r.list_pid > 0 && !r.list_done) {
			kill(-r.list_pid, SIGKILL);
			proc_wait(r.list_pid, &r.list_status, NULL);
		}
		if (s.dir && !o.keep)
			session_remove(&s);
		proc_die_by_signal(sig);
	}
	if (r.list_pid > 0 && !r.list_done) {
		proc_wait(r.list_pid, &r.list_status, NULL);
		if (WIFEXITED(r.list_status) && WEXITSTATUS(r.list_status) == 0)
			read_lines(deps_path, &deps);
	}

	ret = WIFEXITED(r.go_status) ? WEXITSTATUS(r.go_status) : 128 + WTERMSIG(r.go_status);
	report(&o, &s, wall, ret, deps.argc ? &deps : NULL, tty);
	fflush(stdout);
	if (!WIFEXITED(r.go_status) && WIFSIGNALED(r.go_status)) {
		if (s.dir && !o.keep)
			session_remove(&s);
		proc_exit_like(r.go_status);
	}
out:
	if (s.dir) {
		if (o.keep)
			session_release(&s);
		else
			session_remove(&s);
	}
	free(cause);
	free(go);
	free(deps_path);
	free(toolexec);
	argv_clear(&go_words);
	argv_clear(&go_argv);
	argv_clear(&list_argv);
	argv_clear(&deps);
	buildargs_release(&ba);
	config_release(&cfg);
	return ret;
}
