/*
 * cmd_dev.c - `golive dev`: watch the module, rebuild on save through
 * `golive build`, and restart the program without refusing a connection.
 *
 * One thread, one poll() loop, no polling of files or processes: the fds
 * are the watcher (watch.h), the build's pidfd and output pipe, the graph
 * listing's pidfd, the programs' pidfds (supervise.h), the sd_notify socket
 * (notify.h), the proxy's epoll fd (proxy.h), golive's stdin (forwarded to
 * the program) and a self-pipe for SIGINT/SIGTERM/SIGHUP. Timers (the
 * debounce, a crash restart, a stop's grace period, a READY timeout) only
 * shorten poll()'s timeout.
 *
 * A build is a child `golive build --quiet -o BIN PKG` (the same driver,
 * wrapper, analyzers and events as a user's golive build) leading a process
 * group of its own (GOLIVE_DEV_BUILD=1 keeps go in it), so cancelling it is
 * one kill(-pgid, SIGKILL). Its output is held until it ends and printed
 * only when the build was not superseded.
 *
 * Restart order: with --listen the new program starts first and the old one
 * is stopped once the new one is ready (READY=1 when the program has ever
 * sent it, else as soon as it has exec'd): the listening sockets belong to
 * golive, so connections queue in them meanwhile. Without --listen (the
 * program binds its own port) the old one is stopped first; with --proxy
 * the proxy holds new connections while that happens.
 */
#define _GNU_SOURCE
#include "cmd/cmd_dev.h"
#include "cmd/commands.h"
#include "core/config.h"
#include "analysis/diag.h"
#include "dev/devgraph.h"
#include "dev/fastpath.h"
#include "dev/drain.h"
#include "dev/devtrace.h"
#include "core/golist.h"
#include "dev/keeper.h"
#include "core/gotool.h"
#include "dev/listen.h"
#include "dev/lpool.h"
#include "dev/notify.h"
#include "core/pathmatch.h"
#include "core/proc.h"
#include "core/profile.h"
#include "dev/proxy.h"
#include "wrapper/session.h"
#include "dev/supervise.h"
#include "core/util.h"
#include "dev/watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>
#include <xxhash.h>

extern char **environ;

#define DRAIN_MAX_MS 1000 /* at most this long pausing an old program until it is idle */
#define READY_TIMEOUT_MS                                                                           \
	10000 /* a program that once sent READY=1 gets this long to send it again */

static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;
	if (write(sig_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a signal is pending anyway */
	}
	errno = saved;
}

static void cycle_reset(struct cycle *c)
{
	free(c->fallback);
	argv_clear(&c->files);
	devtrace_cycle_release(&c->tc);
	memset(c, 0, sizeof(*c));
}

/* ---- processes ---------------------------------------------------------- */

/*
 * Spawns argv in a new process group with default signals and an empty
 * mask, stdin from /dev/null, stdout to out_fd and stderr to err_fd (-1:
 * /dev/null).
 */
pid_t dev_spawn_group(char *const argv[], int out_fd, int err_fd, char **cause)
{
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t none, all;
	pid_t pid;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                                    POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (err_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		*cause = xasprintf("cannot run %s: %s", argv[0], strerror(rc));
		return -1;
	}
	return pid;
}

/* Kills a group and reaps its leader. */
static void kill_and_reap(pid_t pid)
{
	int st;
	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	keeper_remove(pid);
}

/* The subreaper collects orphans of killed builds: reap whatever is not ours. */
static void reap_orphans(const struct dev *d)
{
	siginfo_t si;
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			return;
		pid_t p = si.si_pid;
		int ours = p == d->build_pid || p == d->list_pid || p == d->warm_pid ||
		           (d->cur && p == supervise_pid(d->cur)) ||
		           (d->prev && p == supervise_pid(d->prev));
		for (size_t i = 0; i < d->nstopping; i++)
			ours |= p == d->stopping[i].pid;
		if (ours)
			return; /* its owner reaps it */
		waitpid(p, NULL, WNOHANG);
	}
}

/* ---- the graph ---------------------------------------------------------- */

static void start_listing(struct dev *d)
{
	if (d->list_pid > 0) {
		d->list_again = 1;
		return;
	}
	struct argv_array av = ARGV_ARRAY_INIT, pats = ARGV_ARRAY_INIT;
	argv_push(&av, d->go);
	argv_push(&pats, d->pkg);
	devgraph_list_argv(&av, &d->cfg.build.flags, &pats);
	int fd = open(d->list_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char *cause = NULL;
	if (fd >= 0) {
		d->list_pid = dev_spawn_group(av.argv, fd, -1, &cause);
		close(fd);
	}
	if (d->list_pid > 0) {
		d->list_pidfd = proc_pidfd_open(d->list_pid);
		keeper_add(d->list_pid);
	} else
		d->list_pid = 0;
	free(cause);
	argv_clear(&av);
	argv_clear(&pats);
}

/* Hashes the graph's files that have no recorded hash yet. */
static void add_pending(struct dev *d, const char *rel);

/*
 * Hashes the graph's files that have no recorded hash yet, except those
 * saved since the last build started: what that build compiled of them is
 * unknown, so they are queued as changes instead.
 */
static void hash_new_files(struct dev *d)
{
	for (size_t i = 0; i < d->graph.files.cap; i++) {
		const char *k = d->graph.files.keys[i];
		uint64_t t;
		if (k && !pathmap_get(&d->built, k, NULL) && pathmap_get(&d->outside, k, &t) &&
		    (int64_t)t >= d->last_build_start) {
			add_pending(d, k);
		} else if (k && !pathmap_get(&d->built, k, NULL)) {
			char *abs = xasprintf("%s/%s", d->cfg.root, k);
			pathmap_set(&d->built, k, devgraph_hash_file(abs));
			free(abs);
		}
	}
}

static int load_graph(struct dev *d, char **cause)
{
	struct strbuf sb;
	strbuf_init(&sb, 4096);
	int rc = strbuf_read_file(&sb, d->list_path, 256u << 20);
	if (rc < 0) {
		*cause = xasprintf("%s: %s", d->list_path, strerror(errno));
	} else {
		rc = devgraph_parse(&d->graph, sb.buf, sb.len, cause);
		if (rc == 0) {
			hash_new_files(d);
			pathmap_clear(&d->outside);
			if (d->w) /* the poller stats the graph's files (watch.h) */
				devgraph_watch_files(&d->graph, d->w);
		}
	}
	strbuf_release(&sb);
	return rc;
}

static void listing_done(struct dev *d)
{
	kill_and_reap(d->list_pid); /* it has ended: this reaps it and whatever it left */
	close(d->list_pidfd);
	d->list_pid = 0;
	d->list_pidfd = -1;
	char *cause = NULL;
	if (load_graph(d, &cause) < 0) {
		warning("golive dev: reading the package graph: %s", cause);
		free(cause);
	}
	if (d->list_again) {
		d->list_again = 0;
		start_listing(d);
	}
}

/* ---- watching ----------------------------------------------------------- */

static char *rel_path(const struct dev *d, const char *abs)
{
	size_t n = strlen(d->cfg.root);
	if (strncmp(abs, d->cfg.root, n) == 0 && (abs[n] == '/' || abs[n] == '\0'))
		return xstrdup(abs[n] ? abs + n + 1 : "");
	return xstrdup(abs);
}

static int skip_dir(const char *abs, void *data)
{
	struct dev *d = data;
	char *rel = rel_path(d, abs);
	int skip = changeq_skip_dir(rel, &d->cfg.watch.exclude, d->gi);
	free(rel);
	return skip;
}

/* Queues a changed path (dev/changeq.h: the first after a quiet period builds at once). */
static void add_pending(struct dev *d, const char *rel)
{
	changeq_add(&d->cq, rel);
}

static void on_watch_event(const struct watch_event *ev, void *data)
{
	struct dev *d = data;
	if (ev->kind & WATCH_RESCAN) {
		changeq_rescan(&d->cq);
		return;
	}
	char *rel = rel_path(d, ev->path);
	int is_dir = (ev->kind & WATCH_DIR) != 0;
	int relevant = 0;
	int excluded = glob_match_any(&d->cfg.watch.exclude, rel, is_dir) ||
	               (d->gi && gitignore_ignored(d->gi, rel, is_dir));
	if (excluded || dev_browser_static(d, rel, is_dir)) {
		relevant = 0;
	} else if (d->cfg.watch.include.argc &&
	           glob_match_any(&d->cfg.watch.include, rel, is_dir)) {
		relevant = 1;
	} else {
		enum devgraph_kind k = devgraph_classify(&d->graph, rel, is_dir);
		relevant = k != DEVGRAPH_NONE && !(is_dir && !(ev->kind & WATCH_DELETE));
	}
	if (relevant)
		add_pending(d, rel);
	else if (!is_dir && !excluded && d->outside.n < 4096)
		pathmap_set(&d->outside, rel, (uint64_t)now_mono_ns());
	free(rel);
}

/* A directory that is or holds a package directory of the graph. */
static int graph_dir(const char *rel, void *data)
{
	const struct dev *d = data;
	return devgraph_classify(&d->graph, rel, 1) == DEVGRAPH_DIR;
}

/*
 * The debounce has run out: which pending paths really changed since the
 * last build (content hash), recorded as built now. Fills files.
 */
static void take_changes(struct dev *d, struct argv_array *files)
{
	changeq_take(&d->cq, d->cfg.root, &d->built, graph_dir, d, files);
}

/* A pending path is missing: half of a save (vim renames main.go away first), so wait. */
static int pending_gone(const struct dev *d)
{
	return changeq_gone(&d->cq, d->cfg.root);
}

/* ---- building ----------------------------------------------------------- */

static void build_cleanup(struct dev *d)
{
	if (d->build_out >= 0)
		close(d->build_out);
	if (d->build_pidfd >= 0)
		close(d->build_pidfd);
	d->build_out = d->build_pidfd = -1;
	d->build_pid = 0;
	if (d->build_dir) {
		struct session s = {d->build_dir};
		session_remove(&s); /* frees build_dir */
		d->build_dir = NULL;
	}
	strbuf_reset(&d->build_log);
}

static void cancel_build(struct dev *d)
{
	if (!d->build_pid)
		return;
	kill_and_reap(d->build_pid);
	devfast_end(&d->fast, 0, 1);
	d->bc.t_build_end = now_mono_ns();
	dev_report_cycle(d, &d->bc, "cancelled", 0, NULL);
	cycle_reset(&d->bc);
	if (d->build_bin)
		unlink(d->build_bin);
	free(d->build_bin);
	d->build_bin = NULL;
	build_cleanup(d);
}

static void start_build(struct dev *d, const char *trigger, struct argv_array *files,
                        int64_t t_event)
{
	cancel_build(d);
	dev_stop_warm(d);
	cycle_reset(&d->bc);
	d->bc.n = ++d->ncycles;
	d->bc.trigger = trigger;
	if (files)
		for (size_t i = 0; i < files->argc; i++)
			argv_push(&d->bc.files, files->argv[i]);
	d->bc.t_event = t_event;
	d->bc.active = 1;
	d->seq++;
	d->build_bin = xasprintf("%s/%s.%u", d->tmp, d->name, d->seq);
	d->build_dir = xasprintf("%s/b%u", d->tmp, d->seq);
	if (mkdir(d->build_dir, 0700) < 0)
		warning("golive dev: %s: %s", d->build_dir, strerror(errno));

	struct argv_array av = ARGV_ARRAY_INIT;
	argv_push(&av, d->self);
	argv_push(&av, "build");
	argv_push(&av, "--quiet");
	argv_push(&av, "--session-dir");
	argv_push(&av, d->build_dir);
	argv_push(&av, "--profile");
	argv_push(&av, profile_name(d->profile));
	if (d->cfg.path) {
		argv_push(&av, "--config");
		argv_push(&av, d->cfg.path);
	}
	/*
	 * Tracing: the build's spans go to its session directory (read back in
	 * build_done) under this cycle's span; it exports nothing itself.
	 */
	char tp[TRACEPARENT_LEN + 1], *old_tp = NULL, *old_sdk = NULL;
	int traced = devtrace_enabled(&d->trace) && devtrace_cycle_begin(&d->bc.tc, tp) == 0;
	if (traced) {
		argv_push(&av, "--trace-out");
		argv_pushf(&av, "%s/trace.jsonl", d->build_dir);
		old_tp = getenv("TRACEPARENT") ? xstrdup(getenv("TRACEPARENT")) : NULL;
		old_sdk = getenv("OTEL_SDK_DISABLED") ? xstrdup(getenv("OTEL_SDK_DISABLED")) : NULL;
		setenv("TRACEPARENT", tp, 1);
		setenv("OTEL_SDK_DISABLED", "true", 1);
	}
	if (!d->o.debug_info && !d->cfg.run.debug_info) { /* dev links: no DWARF, no symbols */
		char *ldflags = fastpath_dev_ldflags(&d->cfg.build.flags, getenv("GOFLAGS"));
		argv_push(&av, ldflags);
		free(ldflags);
	}
	argv_push(&av, "-o");
	argv_push(&av, d->build_bin);
	argv_push(&av, d->pkg);
	/* The fast path replaces the build's command line when the change allows it. */
	d->bc.fast = devfast_begin(&d->fast, files, d->self, d->build_bin, &av);
	dev_browser_building(d, files);
	d->bc.fallback = d->fast.reason ? xstrdup(d->fast.reason) : NULL;

	int p[2];
	char *cause = NULL;
	d->bc.t_build_start = now_mono_ns();
	d->last_build_start = d->bc.t_build_start;
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		d->build_t0 = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		die_errno("pipe");
	setenv("GOLIVE_DEV_BUILD", "1", 1);
	d->build_pid = dev_spawn_group(av.argv, p[1], p[1], &cause);
	unsetenv("GOLIVE_DEV_BUILD");
	devfast_spawned(&d->fast);
	if (traced) {
		/* The program must see the environment golive dev was given. */
		if (old_tp)
			setenv("TRACEPARENT", old_tp, 1);
		else
			unsetenv("TRACEPARENT");
		if (old_sdk)
			setenv("OTEL_SDK_DISABLED", old_sdk, 1);
		else
			unsetenv("OTEL_SDK_DISABLED");
		free(old_tp);
		free(old_sdk);
	}
	close(p[1]);
	argv_clear(&av);
	if (d->build_pid < 0) {
		close(p[0]);
		error("golive dev: %s", cause);
		free(cause);
		d->build_pid = 0;
		d->bc.t_build_end = now_mono_ns();
		dev_report_cycle(d, &d->bc, "failed", 0, NULL);
		cycle_reset(&d->bc);
		build_cleanup(d);
		return;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	d->build_out = p[0];
	d->build_pidfd = proc_pidfd_open(d->build_pid);
	keeper_add(d->build_pid);
}

static void drain_build_output(struct dev *d)
{
	char buf[16384];
	for (;;) {
		ssize_t n = read(d->build_out, buf, sizeof(buf));
		if (n > 0) {
			if (d->build_log.len < (8u << 20))
				strbuf_add(&d->build_log, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			close(d->build_out);
			d->build_out = -1;
		}
		return;
	}
}

static void switch_to(struct dev *d, char *bin, struct cycle *c);
static void maybe_start_pending(struct dev *d);

static void build_done(struct dev *d)
{
	int st = 0;
	while (waitpid(d->build_pid, &st, 0) < 0 && errno == EINTR)
		;
	/* Whatever is left in the pipe (go's children may hold it: kill the group). */
	kill(-d->build_pid, SIGKILL);
	keeper_remove(d->build_pid);
	if (devfast_end(&d->fast, st, 0)) {
		/* The fast build gave up: the full build, for the same cycle. */
		struct cycle c = d->bc;
		memset(&d->bc, 0, sizeof(d->bc));
		unlink(d->build_bin);
		free(d->build_bin);
		d->build_bin = NULL;
		build_cleanup(d);
		start_build(d, c.trigger, &c.files, c.t_event);
		d->ncycles--;
		d->bc.n = c.n;
		d->bc.t_build_start = c.t_build_start;
		cycle_reset(&c);
		return;
	}
	if (d->build_out >= 0) {
		drain_build_output(d);
	}
	d->bc.t_build_end = now_mono_ns();
	if (d->build_log.len) {
		fwrite(d->build_log.buf, 1, d->build_log.len, stderr);
		fflush(stderr);
	}
	int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (ok && d->bc.fast)
		ok = dev_fast_findings(d) == 0;
	else if (ok && d->fast.enabled && !d->warm_done)
		d->warm_t0 = d->build_t0; /* the warm-up completes this build's plan */
	char *bin = d->build_bin;
	d->build_bin = NULL;
	if (d->bc.tc.started && d->build_dir) {
		char *path = xasprintf("%s/trace.jsonl", d->build_dir), *cause = NULL;
		if (devtrace_cycle_read_build(&d->bc.tc, path, &cause) < 0) {
			warning("golive dev: cycle %d trace: the build's spans: %s", d->bc.n,
			        cause);
			free(cause);
		}
		free(path);
	}
	if (!ok) {
		dev_browser_failed(d); /* before build_cleanup empties the log */
		dev_feed_failed(d);
	} else
		dev_browser_built(d);
	build_cleanup(d);
	struct cycle c = d->bc;
	int fast = c.fast;
	memset(&d->bc, 0, sizeof(d->bc));
	if (ok) {
		switch_to(d, bin, &c);
	} else {
		dev_report_cycle(d, &c, "failed", 0, NULL);
		cycle_reset(&c);
		unlink(bin);
		free(bin);
	}
	/*
	 * Imports or files may have changed: list the graph again, now that the
	 * CPU is free. Not after a fast build: it only runs when the files and
	 * imports are the recorded ones (~200 ms of go list saved per cycle).
	 */
	if (!fast)
		start_listing(d);
}

/* ---- running ------------------------------------------------------------ */

/* Frees a program's supervisor; its --listen sockets are free for another. */
static void free_program(struct dev *d, struct supervisor *s)
{
	if (d->lp)
		lpool_release(d->lp, s);
	supervise_free(s);
}

static void begin_stop(struct dev *d, struct supervisor *s, char *bin)
{
	pid_t pid = supervise_pid(s);
	if (pid <= 0 || d->nstopping == MAX_STOPPING) {
		struct supervise_exit ex;
		char *cause = NULL;
		if (pid > 0 && supervise_stop(s, &ex, &cause) < 0) {
			warning("golive dev: %s", cause);
			free(cause);
		}
		free_program(d, s);
		if (bin)
			unlink(bin);
		free(bin);
		return;
	}
	int sig = d->sopts.stop_signal, open_conns = 0;
	if (d->ndrain_ports) {
		/* Nothing in flight when it gets the signal (drain.h), unless it takes too long. */
		size_t nq = 0;
		const int *q = d->lp ? lpool_own_fds(d->lp, s, &nq) : NULL;
		if (drain_pause(pid, pid, d->drain_ports, d->ndrain_ports, q, nq, DRAIN_MAX_MS) ==
		    1)
			open_conns = drain_accepted(pid, d->drain_ports, d->ndrain_ports);
		kill(-pid, sig);
		kill(-pid, SIGCONT);
	} else {
		kill(-pid, sig);
	}
	struct stopping *st = &d->stopping[d->nstopping++];
	st->open_conns = open_conns > 0 ? open_conns : 0;
	st->sup = s;
	st->bin = bin;
	st->pid = pid;
	st->t0 = now_mono_ns();
	st->kill_at = st->t0 + (int64_t)d->sopts.grace_ms * 1000000;
	st->killed = 0;
}

/* The "stop" line of a program golive stopped, and a word when it needed SIGKILL. */
static void report_stop(const struct dev *d, pid_t pid, int killed, int64_t t0)
{
	if (d->o.json) {
		char sig[32];
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string("stop"));
		json_object_set_new(o, "pid", json_integer(pid));
		json_object_set_new(
		    o, "signal",
		    json_string(signal_to_name(d->sopts.stop_signal, sig, sizeof(sig))));
		json_object_set_new(o, "killed", json_boolean(killed));
		json_object_set_new(o, "stop_ms", json_round(ms_between(t0, now_mono_ns())));
		dev_json_line(o);
	}
	if (killed)
		dev_say(d, "pid %d did not stop within %lld ms of the stop signal; killed it",
		        (int)pid, (long long)d->sopts.grace_ms);
}

static void stop_done(struct dev *d, size_t i)
{
	struct stopping *st = &d->stopping[i];
	struct supervise_exit ex;
	char *cause = NULL;
	memset(&ex, 0, sizeof(ex));
	keeper_remove(st->pid);
	if (supervise_reap(st->sup, &ex, &cause) < 0) {
		warning("golive dev: %s", cause);
		free(cause);
	}
	/* Gone: the next version starts now (sequential mode), the bookkeeping after. */
	struct stopping done = *st;
	d->stopping[i] = d->stopping[--d->nstopping];
	st = &done;
	maybe_start_pending(d);
	report_stop(d, st->pid, st->killed, st->t0);
	/*
	 * It held requests past the drain limit and died of the signal (no
	 * graceful exit): they were cut. Say so once, with what fixes it.
	 */
	if (st->open_conns && (ex.signal || ex.killed)) {
		if (!d->said_cut) {
			d->said_cut = 1;
			warning(
			    "golive dev: the old program still served %d connection%s %d ms into "
			    "the restart and died of the stop signal: %s cut. To finish long "
			    "requests and streams, handle SIGTERM with http.Server.Shutdown "
			    "(docs/dev.md)",
			    st->open_conns, st->open_conns == 1 ? "" : "s", DRAIN_MAX_MS,
			    st->open_conns == 1 ? "it was" : "they were");
		}
	}
	free_program(d, st->sup);
	if (st->bin)
		unlink(st->bin);
	free(st->bin);
}

static void program_ready(struct dev *d, const char *how)
{
	d->cur_ready = 1;
	d->ready_deadline = 0;
	if (d->rc.active) {
		d->rc.t_ready = now_mono_ns();
		dev_report_cycle(d, &d->rc, d->rc.t_build_end ? "ok" : NULL, supervise_pid(d->cur),
		                 how);
		cycle_reset(&d->rc);
		dev_browser_ready(d);
	}
	/* new connections go to this program's sockets only (lpool.h) */
	if (d->lp && d->cur && lpool_steer(d->lp, d->cur) < 0)
		warning("golive dev: cannot steer connections to the new program: %s",
		        strerror(errno));
	if (d->prev) {
		begin_stop(d, d->prev, d->prev_bin);
		d->prev = NULL;
		d->prev_bin = NULL;
	}
}

/* Starts d->cur (already set up); reports and schedules per the restart policy. */
static int start_cur(struct dev *d, struct cycle *c)
{
	char *cause = NULL;
	d->cur_ready = 0;
	d->cur_exited = 0;
	if (supervise_start(d->cur, &cause) < 0) {
		error("golive dev: %s", cause);
		free(cause);
		d->cur_exited = 1;
		dev_report_cycle(d, c, c->t_build_end ? "ok" : NULL, 0, NULL);
		cycle_reset(c);
		return -1;
	}
	keeper_add(supervise_pid(d->cur));
	cycle_reset(&d->rc);
	d->rc = *c;
	d->rc.active = 1;
	memset(c, 0, sizeof(*c));
	dev_proxy_hold(d, 0);
	if (d->listen_mode && d->ever_notified)
		d->ready_deadline = now_mono_ns() + (int64_t)READY_TIMEOUT_MS * 1000000;
	else
		program_ready(d, "exec");
	return 0;
}

static struct supervisor *new_supervisor(struct dev *d, const char *bin)
{
	struct argv_array av = ARGV_ARRAY_INIT;
	argv_push(&av, bin);
	for (size_t i = 0; i < d->o.args.argc; i++)
		argv_push(&av, d->o.args.argv[i]);
	struct supervise_opts so = d->sopts;
	so.argv = av.argv;
	int slot = d->lp ? lpool_pick(d->lp) : -1;
	if (slot >= 0)
		so.fds = lpool_fds(d->lp, slot);
	struct supervisor *s = supervise_new(&so);
	if (slot >= 0)
		lpool_own(d->lp, slot, s);
	argv_clear(&av);
	return s;
}

/* A new binary is built: run it, by the mode's restart order. Takes bin and c. */
static void switch_to(struct dev *d, char *bin, struct cycle *c)
{
	d->restart_at = 0;
	d->backoff_ms = 0;
	if (d->listen_mode) {
		/* New first; the old one serves until the new one is ready. */
		if (d->cur) {
			if (d->prev || !d->cur_ready || d->cur_exited) {
				/* cur never became ready (or is down): drop it, prev keeps serving
				 */
				begin_stop(d, d->cur, d->cur_bin);
			} else {
				d->prev = d->cur;
				d->prev_bin = d->cur_bin;
			}
			d->cur = NULL;
			d->cur_bin = NULL;
		}
		d->cur = new_supervisor(d, bin);
		d->cur_bin = bin;
		start_cur(d, c);
		return;
	}
	/* Sequential: stop the old one, start the new one when it is gone. */
	if (d->cur) {
		dev_proxy_hold(d, 1);
		begin_stop(d, d->cur, d->cur_bin);
		d->cur = NULL;
		d->cur_bin = NULL;
	}
	free(d->start_bin);
	cycle_reset(&d->start_cycle);
	d->start_bin = bin;
	d->start_cycle = *c;
	memset(c, 0, sizeof(*c));
}

static void maybe_start_pending(struct dev *d)
{
	if (!d->start_bin || d->nstopping)
		return;
	d->cur = new_supervisor(d, d->start_bin);
	d->cur_bin = d->start_bin;
	d->start_bin = NULL;
	start_cur(d, &d->start_cycle);
}

static void program_ended(struct dev *d, struct supervisor *s)
{
	struct supervise_exit ex;
	char *cause = NULL;
	memset(&ex, 0, sizeof(ex));
	pid_t pid = supervise_pid(s);
	int rc = supervise_reap(s, &ex, &cause);
	if (rc < 0) {
		warning("golive dev: %s", cause);
		free(cause);
		return;
	}
	if (rc == 0)
		return;
	keeper_remove(pid);
	if (s == d->prev) {
		/* the old one went away by itself while the new one got ready */
		free_program(d, d->prev);
		unlink(d->prev_bin);
		free(d->prev_bin);
		d->prev = NULL;
		d->prev_bin = NULL;
		return;
	}
	char what[64];
	dev_describe_exit(&ex, what, sizeof(what));
	int again = !(ex.signal == 0 && ex.exit_code == 0);
	d->cur_exited = 1;
	if (d->o.json) {
		char sig[32];
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string("exit"));
		json_object_set_new(o, "pid", json_integer(ex.pid));
		json_object_set_new(o, "code",
		                    ex.signal ? json_null() : json_integer(ex.exit_code));
		json_object_set_new(o, "signal",
		                    ex.signal
		                        ? json_string(signal_to_name(ex.signal, sig, sizeof(sig)))
		                        : json_null());
		json_object_set_new(o, "ran_ms", json_integer(ex.ran_ms));
		json_object_set_new(o, "restart_in_ms",
		                    again ? json_integer(ex.restart_delay_ms) : json_null());
		dev_json_line(o);
	}
	if (d->rc.active) { /* it died before it was ready */
		dev_report_cycle(d, &d->rc, d->rc.t_build_end ? "ok" : NULL, 0, NULL);
		cycle_reset(&d->rc);
	}
	if (again) {
		char t[32];
		dev_fmt_dur(t, sizeof(t), (double)ex.restart_delay_ms);
		dev_say(d, "%spid %d %s%s after %.1f s; restarting in %s", c_red(d), (int)ex.pid,
		        what, c_off(d), (double)ex.ran_ms / 1000, t);
		d->restart_at = now_mono_ns() + ex.restart_delay_ms * 1000000;
	} else {
		dev_say(d, "pid %d %s; waiting for a change", (int)ex.pid, what);
	}
}

/* ---- stdin -------------------------------------------------------------- */

static void setup_stdin(struct dev *d)
{
	int p[2];
	d->in_fd = d->in_w = d->in_r = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	d->in_r = p[0];
	d->in_w = p[1];
	fcntl(d->in_w, F_SETFL, O_NONBLOCK);
	if (fcntl(0, F_GETFD) < 0) {
		close(d->in_w); /* no stdin: the program reads EOF */
		d->in_w = -1;
		return;
	}
	/* A terminal we are not in the foreground of would stop us with SIGTTIN. */
	if (isatty(0) && tcgetpgrp(0) != getpgrp())
		return;
	d->in_fd = 0;
}

/*
 * Moves input from golive's stdin to the program's pipe. What the pipe cannot
 * take now waits in in_buf, and stdin is not read again until it has gone:
 * a program that does not read its stdin holds the input back, nothing is
 * dropped and nothing spins.
 */
static void flush_stdin(struct dev *d)
{
	while (d->in_buf.len && d->in_w >= 0) {
		ssize_t w = write(d->in_w, d->in_buf.buf, d->in_buf.len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0) { /* every reader is gone for good: drop it */
			strbuf_reset(&d->in_buf);
			return;
		}
		memmove(d->in_buf.buf, d->in_buf.buf + w, d->in_buf.len - (size_t)w);
		d->in_buf.len -= (size_t)w;
		d->in_buf.buf[d->in_buf.len] = '\0';
	}
	if (d->in_w < 0)
		strbuf_reset(&d->in_buf);
	if (!d->in_buf.len && d->in_eof && d->in_w >= 0) {
		close(d->in_w); /* golive's stdin ended: the program reads EOF */
		d->in_w = -1;
	}
}

static void forward_stdin(struct dev *d)
{
	char buf[4096];
	ssize_t n = read(d->in_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		d->in_fd = -1;
		d->in_eof = 1;
	} else {
		strbuf_add(&d->in_buf, buf, (size_t)n);
	}
	flush_stdin(d);
}

/* ---- setup -------------------------------------------------------------- */

static char *dev_cache_dir(const struct dev *d)
{
	char *base = user_cache_dir("dev");
	if (!base)
		base = xasprintf("%s/golive-dev-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		                 (int)getuid());
	char *key = xasprintf("%s\n%s", d->cfg.root, d->pkg);
	char *dir = xasprintf("%s/%s-%016llx", base, d->name,
	                      (unsigned long long)XXH3_64bits(key, strlen(key)));
	free(key);
	free(base);
	mkdir_p(dir, 0700); /* a failure shows in the build's -o */
	return dir;
}

/*
 * Each golive dev keeps its binaries and build sessions in <bindir>/<its pid>;
 * removes the directories of earlier ones that are gone (SIGKILLed).
 */
static void clean_bindir(const char *dir)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return;
	struct dirent *e;
	while ((e = readdir(dp))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (!e->d_name[0] || *end || pid <= 0 || pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		struct session s = {xasprintf("%s/%s", dir, e->d_name)};
		session_remove(&s);
	}
	closedir(dp);
}

/* ---- the loop ----------------------------------------------------------- */

enum {
	FD_SIG,
	FD_WATCH,
	FD_BUILD,
	FD_BUILDOUT,
	FD_LIST,
	FD_CUR,
	FD_PREV,
	FD_NOTIFY,
	FD_PROXY,
	FD_STDIN,
	FD_STDIN_OUT,
	FD_STOP0
};

static int64_t min_deadline(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static void handle_notify(struct dev *d)
{
	struct notify_msg m;
	while (notify_read(d->nt, &m) == 1) {
		if (!m.ready || !d->cur)
			continue;
		pid_t pid = supervise_pid(d->cur);
		if (pid <= 0 || (m.pid != pid && getpgid(m.pid) != pid))
			continue;
		d->ever_notified = 1;
		if (!d->cur_ready)
			program_ready(d, "notify");
	}
}

static void shutdown_all(struct dev *d)
{
	if (d->build_pid) {
		kill_and_reap(d->build_pid);
		build_cleanup(d);
	}
	if (d->list_pid) {
		kill_and_reap(d->list_pid);
		close(d->list_pidfd);
		d->list_pid = 0;
	}
	struct supervisor *all[2] = {d->cur, d->prev};
	char *bins[2] = {d->cur_bin, d->prev_bin};
	for (int i = 0; i < 2; i++)
		if (all[i]) {
			struct supervise_exit ex;
			char *cause = NULL;
			pid_t pid = supervise_pid(all[i]);
			int64_t t0 = now_mono_ns();
			if (pid > 0 && supervise_stop(all[i], &ex, &cause) < 0) {
				warning("golive dev: %s", cause);
				free(cause);
			} else if (pid > 0) {
				report_stop(d, pid, ex.killed, t0);
			}
			free_program(d, all[i]);
			if (bins[i])
				unlink(bins[i]);
			free(bins[i]);
		}
	d->cur = d->prev = NULL;
	d->cur_bin = d->prev_bin = NULL;
	for (size_t i = 0; i < d->nstopping; i++) {
		struct supervise_exit ex;
		char *cause = NULL;
		if (supervise_stop(d->stopping[i].sup, &ex, &cause) < 0)
			free(cause);
		free_program(d, d->stopping[i].sup);
		if (d->stopping[i].bin)
			unlink(d->stopping[i].bin);
		free(d->stopping[i].bin);
	}
	d->nstopping = 0;
	if (d->start_bin)
		unlink(d->start_bin);
	free(d->start_bin);
	d->start_bin = NULL;
}

static int loop(struct dev *d)
{
	for (;;) {
		struct pollfd pfd[FD_STOP0 + MAX_STOPPING];
		for (size_t i = 0; i < ARRAY_SIZE(pfd); i++) {
			pfd[i].fd = -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		pfd[FD_SIG].fd = sig_pipe[0];
		pfd[FD_WATCH].fd = watch_fd(d->w);
		pfd[FD_BUILD].fd = d->build_pid ? d->build_pidfd : -1;
		pfd[FD_BUILDOUT].fd = d->build_pid ? d->build_out : -1;
		pfd[FD_LIST].fd = d->list_pid ? d->list_pidfd : -1;
		pfd[FD_CUR].fd = d->cur && !d->cur_exited ? supervise_pidfd(d->cur) : -1;
		pfd[FD_PREV].fd = d->prev ? supervise_pidfd(d->prev) : -1;
		pfd[FD_NOTIFY].fd = d->nt ? notify_fd(d->nt) : -1;
		pfd[FD_PROXY].fd = dev_proxy_fd(d);
		pfd[FD_STDIN].fd = d->in_buf.len ? -1 : d->in_fd;
		pfd[FD_STDIN_OUT].fd = d->in_buf.len ? d->in_w : -1;
		pfd[FD_STDIN_OUT].events = POLLOUT;
		for (size_t i = 0; i < d->nstopping; i++)
			pfd[FD_STOP0 + i].fd = supervise_pidfd(d->stopping[i].sup);

		int64_t deadline = 0;
		if (changeq_waiting(&d->cq))
			deadline = changeq_deadline(&d->cq);
		deadline = min_deadline(deadline, d->restart_at);
		deadline = min_deadline(deadline, d->ready_deadline);
		deadline = min_deadline(deadline, d->reload_at);
		if (!d->build_pid && !d->rc.active && !d->start_bin)
			deadline = min_deadline(deadline, d->findings_at);
		for (size_t i = 0; i < d->nstopping; i++)
			if (!d->stopping[i].killed)
				deadline = min_deadline(deadline, d->stopping[i].kill_at);
		int timeout = -1;
		int64_t now = now_mono_ns();
		if (deadline)
			timeout = deadline <= now ? 0 : (int)((deadline - now + 999999) / 1000000);
		int pt = dev_proxy_timeout(d);
		if (pt >= 0 && (timeout < 0 || pt < timeout))
			timeout = pt;
		int n = poll(pfd, FD_STOP0 + d->nstopping, timeout);
		if (n < 0 && errno != EINTR)
			die_errno("poll");
		now = now_mono_ns();

		if (pfd[FD_SIG].revents) {
			unsigned char c;
			if (read(sig_pipe[0], &c, 1) == 1 && c != SIGCHLD)
				return c;
		}
		dev_proxy_run(d);
		if (pfd[FD_STDIN].revents)
			forward_stdin(d);
		if (pfd[FD_STDIN_OUT].revents)
			flush_stdin(d);
		if (pfd[FD_WATCH].revents) {
			char *cause = NULL;
			if (watch_read(d->w, on_watch_event, d, &cause) < 0) {
				warning("golive dev: %s", cause);
				free(cause);
			}
			if (d->cq.eager && !pending_gone(d)) {
				/* leading edge: a lone save builds without waiting */
				struct argv_array files = ARGV_ARRAY_INIT;
				int64_t t_event = d->cq.first_event;
				take_changes(d, &files);
				if (files.argc)
					start_build(d, "change", &files, t_event);
				argv_clear(&files);
			}
			d->cq.eager = 0;
		}
		if (pfd[FD_BUILDOUT].revents)
			drain_build_output(d);
		if (pfd[FD_BUILD].revents && d->build_pid)
			build_done(d);
		if (pfd[FD_LIST].revents && d->list_pid)
			listing_done(d);
		if (pfd[FD_NOTIFY].revents)
			handle_notify(d);
		if (pfd[FD_PREV].revents && d->prev)
			program_ended(d, d->prev);
		if (pfd[FD_CUR].revents && d->cur)
			program_ended(d, d->cur);
		for (size_t i = d->nstopping; i-- > 0;)
			if (pfd[FD_STOP0 + i].revents && i < d->nstopping &&
			    pfd[FD_STOP0 + i].fd == supervise_pidfd(d->stopping[i].sup))
				stop_done(d, i);
		now = now_mono_ns();
		for (size_t i = 0; i < d->nstopping; i++)
			if (!d->stopping[i].killed && now >= d->stopping[i].kill_at) {
				kill(-d->stopping[i].pid, SIGKILL);
				d->stopping[i].killed = 1;
			}
		maybe_start_pending(d);
		if (d->ana_pkgs.argc && !d->rc.active && !d->start_bin &&
		    (!d->findings_at || now >= d->findings_at)) {
			/* the fast build's program serves: its analysis, off the critical path */
			struct argv_array pkgs = d->ana_pkgs;
			memset(&d->ana_pkgs, 0, sizeof(d->ana_pkgs));
			dev_analyse_fast(d, &pkgs);
			dev_browser_analysed(d);
			argv_clear(&pkgs);
		}
		if (d->findings_at && now >= d->findings_at && !d->rc.active && !d->start_bin &&
		    !d->build_pid)
			dev_browser_findings_due(d);
		dev_run_warm(d);
		if (d->ready_deadline && now >= d->ready_deadline && d->cur && !d->cur_ready) {
			dev_say(d, "pid %d sent no READY=1 within %d ms; taking it as ready",
			        (int)supervise_pid(d->cur), READY_TIMEOUT_MS);
			program_ready(d, "timeout");
		}
		if (d->reload_at && now >= d->reload_at)
			dev_browser_reload_due(d);
		if (d->restart_at && now >= d->restart_at && d->cur && d->cur_exited) {
			struct cycle c;
			memset(&c, 0, sizeof(c));
			c.trigger = "crash";
			c.n = ++d->ncycles;
			c.t_event = d->restart_at;
			d->restart_at = 0;
			start_cur(d, &c);
		}
		if (changeq_waiting(&d->cq) && now >= changeq_deadline(&d->cq)) {
			struct argv_array files = ARGV_ARRAY_INIT;
			int64_t t_event = d->cq.first_event;
			take_changes(d, &files);
			if (files.argc)
				start_build(d, "change", &files, t_event);
			argv_clear(&files);
		}
		reap_orphans(d);
	}
}

int cmd_dev(int argc, char **argv)
{
	struct dev dd, *d = &dd;
	char cwd[PATH_MAX], *cause = NULL;
	int ret = EXIT_USAGE;
	memset(d, 0, sizeof(*d));
	d->o.debounce_ms = d->o.grace_ms = -1;
	d->build_out = d->build_pidfd = d->list_pidfd = d->proxy_listen_fd = d->browser_fd = -1;
	d->in_fd = d->in_w = d->in_r = -1;
	strbuf_init(&d->build_log, 0);
	strbuf_init(&d->ana_found, 0);
	strbuf_init(&d->in_buf, 0);
	config_init(&d->cfg);
	d->t0 = now_mono_ns();

	if (dev_parse_opts(&d->o, argc, argv) < 0)
		goto out;
	if (!getcwd(cwd, sizeof(cwd)))
		die_errno("getcwd");
	if (!d->o.config && getenv("GOLIVE_CONFIG") && *getenv("GOLIVE_CONFIG"))
		d->o.config = getenv("GOLIVE_CONFIG");
	if (config_load(&d->cfg, d->o.config, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		goto out;
	}
	{
		const char *want[3] = {d->cfg.trace.trace_out, d->cfg.trace.chrome_trace,
		                       d->cfg.trace.report};
		const char **have[3] = {&d->o.trace_out, &d->o.chrome_trace, &d->o.report};
		for (size_t i = 0; i < 3; i++)
			if (!*have[i] && want[i]) {
				d->trace_paths[i] = want[i][0] == '/'
				                        ? xstrdup(want[i])
				                        : xasprintf("%s/%s", d->cfg.root, want[i]);
				*have[i] = d->trace_paths[i];
			}
		struct strbuf warn = STRBUF_INIT;
		if (devtrace_init(&d->trace, d->o.trace_out, d->o.chrome_trace, d->o.report, &warn,
		                  &cause) < 0) {
			error("golive dev: %s", cause);
			strbuf_release(&warn);
			goto out;
		}
		for (char *line = strtok(warn.buf, "\n"); line; line = strtok(NULL, "\n"))
			warning("%s", line);
		strbuf_release(&warn);
	}
	if (d->o.debounce_ms >= 0)
		d->cfg.watch.debounce_ms = d->o.debounce_ms;
	changeq_init(&d->cq, d->cfg.watch.debounce_ms);
	if (!d->o.have_args)
		for (size_t i = 0; i < d->cfg.run.args.argc; i++)
			argv_push(&d->o.args, d->cfg.run.args.argv[i]);
	d->color = isatty(2) && !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
	           !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
	{
		char why[PATH_MAX + 32];
		if (profile_choose(d->o.profile, d->cfg.profiles.prod_marker, &d->profile, why,
		                   sizeof(why), &cause) < 0) {
			error("golive dev: %s", cause);
			goto out;
		}
		/* Reloading is a development feature: a prod build is golive build's job. */
		if (d->profile == PROFILE_PROD) {
			error(
			    "golive dev: the prod profile (%s) is for golive build; use --profile "
			    "dev or ci",
			    why);
			goto out;
		}
		dev_say(d, "profile %s (%s)", profile_name(d->profile), why);
	}

	d->go = gotool_find();
	if (!d->go) {
		error(GOTOOL_MISSING);
		ret = EXIT_NO_GO;
		goto out;
	}
	if (cmd_require_go(d->go, NULL, 0, NULL) != 0) {
		ret = EXIT_GO_VERSION;
		goto out;
	}
	char self[PATH_MAX];
	ssize_t sn = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sn <= 0)
		die_errno("cannot find golive's own path (/proc/self/exe)");
	self[sn] = '\0';
	d->self = xstrdup(self);

	if (dev_resolve_package(d, cwd) < 0)
		goto out;

	/* Sockets first: an address in use is a usage error, before anything runs. */
	if (dev_setup_sockets(d) < 0)
		goto out;
	ret = 1;
	if (supervise_init_process(&cause) < 0) {
		error("golive dev: %s", cause);
		goto out;
	}
	if (keeper_start() < 0)
		warning("golive dev: cannot start the keeper process (%s): if golive is killed, "
		        "what the program started may outlive it",
		        strerror(errno));
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		die_errno("pipe");
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL); /* wakes the loop to reap orphans (we are a subreaper) */
	signal(SIGPIPE, SIG_IGN);

	d->bindir = dev_cache_dir(d);
	clean_bindir(d->bindir);
	d->tmp = xasprintf("%s/%d", d->bindir, (int)getpid());
	/* mkdir_p: the first directory that cannot be made says why (EROFS, EACCES). */
	if (mkdir_p(d->tmp, 0700) < 0) {
		error("golive dev: cannot create %s: %s", d->tmp, strerror(errno));
		free(d->tmp);
		d->tmp = NULL;
		goto out;
	}
	d->list_path = xasprintf("%s/graph.json", d->tmp);
	devfast_init(&d->fast, d->tmp, d->cfg.root, d->cfg.run.fast && !d->o.no_fast);

	d->nt = notify_new(&cause);
	if (!d->nt) {
		warning("golive dev: %s; READY=1 from the program is not awaited", cause);
		free(cause);
		cause = NULL;
	} else {
		argv_pushf(&d->penv, "NOTIFY_SOCKET=%s", notify_socket(d->nt));
	}
	argv_push(&d->penv, "GOLIVE_DEV=1");
	for (size_t i = 0; i < d->cfg.run.env.argc; i++)
		argv_push(&d->penv, d->cfg.run.env.argv[i]);
	setup_stdin(d);
	struct supervise_opts so = SUPERVISE_OPTS_INIT;
	so.env = d->penv.argv;
	so.fds = d->fds;
	so.nfds = d->nfds;
	so.stdin_fd = d->in_r;
	so.stdout_fd = d->o.json ? 2 : -1; /* --json: stdout is golive's alone */
	so.stop_signal = d->o.stop_signal         ? d->o.stop_signal
	                 : d->cfg.run.stop_signal ? d->cfg.run.stop_signal
	                                          : SIGTERM;
	so.grace_ms = d->o.grace_ms >= 0 ? d->o.grace_ms : d->cfg.run.grace_ms;
	d->sopts = so;

	/* The graph, then the watches, then the first build. */
	int64_t t_watch = now_mono_ns();
	devgraph_init(&d->graph, d->cfg.root);
	start_listing(d);
	if (d->list_pid > 0) {
		siginfo_t si;
		while (waitid(P_PID, (id_t)d->list_pid, &si, WEXITED | WNOWAIT) < 0 &&
		       errno == EINTR)
			;
		kill_and_reap(d->list_pid); /* reaps it, and forgets it in the keeper */
		close(d->list_pidfd);
		d->list_pid = 0;
		d->list_pidfd = -1;
		if (load_graph(d, &cause) < 0) {
			warning("golive dev: reading the package graph: %s", cause);
			free(cause);
			cause = NULL;
		}
	}
	if (d->cfg.watch.gitignore)
		d->gi = gitignore_new(d->cfg.root);
	{
		char *why = NULL;
		d->w = watch_open(d->cfg.root,
		                  d->o.poll ? config_parse_poll(d->o.poll)
		                            : config_parse_poll(d->cfg.watch.poll),
		                  &why, &cause);
		if (why)
			dev_say(d, "%s", why);
		free(why);
	}
	if (!d->w || watch_add_tree(d->w, d->cfg.root, skip_dir, d, &cause) < 0) {
		error("golive dev: %s", cause);
		goto out;
	}
	devgraph_watch_files(&d->graph, d->w);
	dev_print_watch(d, t_watch);

	struct argv_array none = ARGV_ARRAY_INIT;
	start_build(d, "start", &none, now_mono_ns());
	char signame[32];
	int sig = loop(d);
	dev_say(d, "%s: stopping", signal_to_name(sig, signame, sizeof(signame)));
	shutdown_all(d);
	keeper_stop();
	ret = 0;
out:
	if (d->build_pid) {
		kill_and_reap(d->build_pid);
		build_cleanup(d);
	}
	free(cause);
	cycle_reset(&d->bc);
	cycle_reset(&d->rc);
	cycle_reset(&d->start_cycle);
	devtrace_release(&d->trace);
	dev_stop_warm(d);
	devfast_release(&d->fast);
	argv_clear(&d->ana_pkgs);
	for (size_t i = 0; i < ARRAY_SIZE(d->trace_paths); i++)
		free(d->trace_paths[i]);
	free(d->build_bin);
	if (d->px)
		proxy_free(d->px);
	httpproxy_free(d->hp);
	if (d->browser_fd >= 0)
		close(d->browser_fd);
	if (d->proxy_listen_fd >= 0)
		close(d->proxy_listen_fd);
	lpool_free(d->lp);
	free(d->fds);
	notify_free(d->nt);
	watch_free(d->w);
	gitignore_free(d->gi);
	devgraph_release(&d->graph);
	pathmap_clear(&d->built);
	changeq_release(&d->cq);
	pathmap_clear(&d->outside);
	argv_clear(&d->reload_files);
	free(d->findings);
	free(d->findings_shown);
	strbuf_release(&d->ana_found);
	argv_clear(&d->penv);
	argv_clear(&d->o.listen);
	argv_clear(&d->o.args);
	strbuf_release(&d->build_log);
	strbuf_release(&d->in_buf);
	if (d->tmp) {
		struct session s = {d->tmp};
		session_remove(&s);
	}
	if (d->bindir)
		rmdir(d->bindir);
	free(d->bindir);
	free(d->list_path);
	free(d->go);
	free(d->self);
	free(d->pkg);
	free(d->name);
	if (d->in_r >= 0)
		close(d->in_r);
	if (d->in_w >= 0)
		close(d->in_w);
	config_release(&d->cfg);
	return ret;
}
