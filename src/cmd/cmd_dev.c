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
 * Each program's life (start, readiness, swap, drain, stop, crash
 * backoff) is cmd_dev_program.c's. With several programs one build makes
 * those the change affects (the graph's masks, devgraph.h): go build -o
 * DIR/ with their packages, then each swaps in its new binary on its own;
 * the loop also polls each program's output pipe (prefixed lines).
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
#include "core/sigpipe.h"
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

static int sig_fd = -1; /* core/sigpipe.h */

void dev_cycle_reset(struct cycle *c)
{
	free(c->fallback);
	argv_clear(&c->files);
	devtrace_cycle_release(&c->tc);
	memset(c, 0, sizeof(*c));
}

void dev_cycle_copy(struct cycle *dst, const struct cycle *c)
{
	*dst = *c;
	memset(&dst->files, 0, sizeof(dst->files));
	memset(&dst->tc, 0, sizeof(dst->tc));
	dst->fallback = c->fallback ? xstrdup(c->fallback) : NULL;
	for (size_t i = 0; i < c->files.argc; i++)
		argv_push(&dst->files, c->files.argv[i]);
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

void dev_kill_and_reap(pid_t pid)
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
		int ours = p == d->build_pid || p == d->list_pid || p == d->warm_pid;
		for (size_t i = 0; i < d->nprogs; i++)
			ours |= dev_prog_owns(&d->progs[i], p);
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
	for (size_t i = 0; i < d->nprogs; i++)
		argv_push(&pats, d->progs[i].pkg);
	devgraph_list_argv(&av, &d->cfg.build.flags, &pats, d->multi);
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
	dev_kill_and_reap(d->list_pid); /* it has ended: this reaps it and whatever it left */
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

/* Removes (and forgets) what the build was writing: a file, or with several a directory. */
static void remove_build_bin(struct dev *d)
{
	if (d->build_bin && d->build_multi) {
		struct session s = {d->build_bin};
		session_remove(&s); /* frees it */
	} else if (d->build_bin) {
		unlink(d->build_bin);
		free(d->build_bin);
	}
	d->build_bin = NULL;
}

static void cancel_build(struct dev *d)
{
	if (!d->build_pid)
		return;
	dev_kill_and_reap(d->build_pid);
	if (!d->build_multi)
		devfast_end(d->fast, 0, 1);
	for (size_t i = 0; i < d->nprogs; i++)
		if (d->build_mask & (UINT64_C(1) << i))
			d->progs[i].built = 0;
	d->bc.t_build_end = now_mono_ns();
	dev_report_cycle(d, d->build_multi ? NULL : d->build_prog, &d->bc, "cancelled", 0, NULL);
	dev_cycle_reset(&d->bc);
	remove_build_bin(d);
	build_cleanup(d);
}

/*
 * The programs files affect (the graph's masks), with those whose last
 * build failed: what the next build makes. A file the graph does not place
 * (watch.include, a package directory gone) affects them all.
 */
static uint64_t build_mask(const struct dev *d, const struct argv_array *files)
{
	uint64_t m = 0;
	if (!d->multi)
		return d->all;
	for (size_t i = 0; files && i < files->argc; i++) {
		char *abs = xasprintf("%s/%s", d->cfg.root, files->argv[i]);
		struct stat st;
		int is_dir = stat(abs, &st) == 0
		                 ? S_ISDIR(st.st_mode)
		                 : devgraph_classify(&d->graph, files->argv[i], 1) == DEVGRAPH_DIR;
		uint64_t f = devgraph_affects(&d->graph, files->argv[i], is_dir);
		m |= f ? f : d->all;
		free(abs);
	}
	for (size_t i = 0; i < d->nprogs; i++)
		if (!d->progs[i].built)
			m |= UINT64_C(1) << i;
	return m & d->all;
}

static void start_build(struct dev *d, const char *trigger, struct argv_array *files,
                        int64_t t_event)
{
	cancel_build(d); /* its programs are not built: in this build's mask */
	uint64_t mask = build_mask(d, files);
	if (!mask) /* several programs, none of which the change is part of */
		return;
	d->build_mask = mask;
	dev_stop_warm(d);
	dev_cycle_reset(&d->bc);
	d->bc.n = ++d->ncycles;
	d->bc.trigger = trigger;
	if (files)
		for (size_t i = 0; i < files->argc; i++)
			argv_push(&d->bc.files, files->argv[i]);
	d->bc.t_event = t_event;
	d->bc.active = 1;
	d->seq++;
	/* several programs: go build -o DIR/ writes each one's binary in DIR; one: its fast path */
	d->build_multi = (mask & (mask - 1)) != 0;
	d->build_prog = NULL;
	for (size_t i = 0; i < d->nprogs && !d->build_multi && !d->build_prog; i++)
		if (mask & (UINT64_C(1) << i))
			d->build_prog = &d->progs[i];
	if (d->build_multi) {
		d->build_bin = xasprintf("%s/o%u", d->tmp, d->seq);
		if (mkdir(d->build_bin, 0700) < 0)
			warning("golive dev: %s: %s", d->build_bin, strerror(errno));
	} else {
		d->fast = &d->build_prog->fast;
		d->build_bin = xasprintf("%s/%s.%u", d->tmp, d->build_prog->name, d->seq);
	}
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
	/* dev links: no DWARF, no symbols (--debug: DWARF, and no optimisations) */
	if (!dev_debug_build_flags(d, &av) && !d->o.debug_info && !d->cfg.run.debug_info) {
		char *ldflags = fastpath_dev_ldflags(&d->cfg.build.flags, getenv("GOFLAGS"));
		argv_push(&av, ldflags);
		free(ldflags);
	}
	argv_push(&av, "-o");
	if (d->build_multi)
		argv_pushf(&av, "%s/", d->build_bin);
	else
		argv_push(&av, d->build_bin);
	for (size_t i = 0; i < d->nprogs; i++)
		if (mask & (UINT64_C(1) << i))
			argv_push(&av, d->progs[i].pkg);
	/*
	 * The fast path replaces the build's command line when the change allows
	 * it. A build of several records no plan: each program's plan counts the
	 * files as changed since its own build.
	 */
	if (d->build_multi) {
		for (size_t i = 0; i < d->nprogs; i++)
			if (mask & (UINT64_C(1) << i))
				devfast_add_dirty(&d->progs[i].fast, files);
		d->bc.fast = 0;
		d->bc.fallback = xstrdup("several programs");
		if (d->shared.enabled) { /* its compiles, for the programs' plans (build_done) */
			static const char *const old[] = {"pkgs", "a"}; /* the last one's */
			for (size_t i = 0; i < ARRAY_SIZE(old); i++) {
				struct session s = {xasprintf("%s/%s", d->shared.plan_dir, old[i])};
				session_remove(&s);
			}
			setenv(DEVPLAN_ENV, d->shared.plan_dir, 1);
		}
	} else {
		d->bc.fast = devfast_begin(d->fast, files, d->self, d->build_bin, &av);
		d->bc.fallback = d->fast->reason ? xstrdup(d->fast->reason) : NULL;
	}
	dev_browser_building(d, files);

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
	if (!d->build_multi)
		devfast_spawned(d->fast);
	else
		unsetenv(DEVPLAN_ENV);
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
		dev_report_cycle(d, d->build_multi ? NULL : d->build_prog, &d->bc, "failed", 0,
		                 NULL);
		dev_cycle_reset(&d->bc);
		remove_build_bin(d);
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

/*
 * Several programs built: each takes its binary out of the build's
 * directory under a name of its own, and swaps it in with its own copy of
 * the cycle (the first takes the cycle's trace). Takes c.
 */
static void switch_all(struct dev *d, uint64_t mask, struct cycle *c)
{
	struct cycle tmpl;
	int first = 1;
	dev_cycle_copy(&tmpl, c);
	for (size_t i = 0; i < d->nprogs; i++) {
		struct program *p = &d->progs[i];
		if (!(mask & (UINT64_C(1) << i)))
			continue;
		char *src = xasprintf("%s/%s", d->build_bin, p->exe);
		char *bin = xasprintf("%s/%s.%u", d->tmp, p->name, d->seq);
		struct cycle mine;
		if (rename(src, bin) < 0) {
			error("golive dev: %s: the build wrote no %s (%s)", p->name, src,
			      strerror(errno));
			p->built = 0;
			free(src);
			free(bin);
			continue;
		}
		free(src);
		p->built = 1;
		if (first) {
			mine = *c;
			memset(c, 0, sizeof(*c));
			first = 0;
		} else {
			dev_cycle_copy(&mine, &tmpl);
		}
		dev_prog_switch_to(p, bin, &mine);
	}
	dev_cycle_reset(&tmpl);
	dev_cycle_reset(c);
}

static void build_done(struct dev *d)
{
	int st = 0;
	while (waitpid(d->build_pid, &st, 0) < 0 && errno == EINTR)
		;
	/* Whatever is left in the pipe (go's children may hold it: kill the group). */
	kill(-d->build_pid, SIGKILL);
	keeper_remove(d->build_pid);
	if (!d->build_multi && devfast_end(d->fast, st, 0)) {
		/* The fast build gave up: the full build, for the same cycle. */
		struct cycle c = d->bc;
		memset(&d->bc, 0, sizeof(d->bc));
		remove_build_bin(d);
		build_cleanup(d);
		start_build(d, c.trigger, &c.files, c.t_event);
		d->ncycles--;
		d->bc.n = c.n;
		d->bc.t_build_start = c.t_build_start;
		dev_cycle_reset(&c);
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
	else if (ok && !d->multi && d->fast->enabled && !d->warm_done)
		d->warm_t0 = d->build_t0; /* the warm-up completes this build's plan */
	char *bin = d->build_multi ? NULL : d->build_bin;
	if (!d->build_multi)
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
	if (ok && d->build_multi) {
		for (size_t i = 0; i < d->nprogs && d->shared.enabled; i++)
			if (d->build_mask & (UINT64_C(1) << i))
				devfast_take_records(&d->progs[i].fast, d->shared.plan_dir);
		switch_all(d, d->build_mask, &c);
	} else if (ok) {
		d->build_prog->built = 1;
		dev_prog_switch_to(d->build_prog, bin, &c);
	} else {
		for (size_t i = 0; i < d->nprogs; i++)
			if (d->build_mask & (UINT64_C(1) << i))
				d->progs[i].built = 0;
		dev_report_cycle(d, d->build_multi ? NULL : d->build_prog, &c, "failed", 0, NULL);
		dev_cycle_reset(&c);
		if (bin)
			unlink(bin);
		free(bin);
	}
	remove_build_bin(d);
	/*
	 * Imports or files may have changed: list the graph again, now that the
	 * CPU is free. Not after a fast build: it only runs when the files and
	 * imports are the recorded ones (~200 ms of go list saved per cycle).
	 */
	if (!fast)
		start_listing(d);
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
	struct strbuf key = STRBUF_INIT;
	strbuf_addstr(&key, d->cfg.root);
	for (size_t i = 0; i < d->nprogs; i++)
		strbuf_addf(&key, "\n%s", d->progs[i].pkg);
	char *dir = xasprintf("%s/%s-%016llx", base, d->name,
	                      (unsigned long long)XXH3_64bits(key.buf, key.len));
	strbuf_release(&key);
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
	FD_NOTIFY,
	FD_PROXY,
	FD_STDIN,
	FD_STDIN_OUT,
	FD_DEBUG,
	FD_PROG0
};
/* per program, from FD_PROG0 + its index * FD_PER_PROG */
enum { PFD_CUR, PFD_PREV, PFD_PROXY, PFD_OUT, PFD_STOP0, FD_PER_PROG = PFD_STOP0 + MAX_STOPPING };

static int64_t min_deadline(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static void handle_notify(struct dev *d)
{
	struct notify_msg m;
	while (notify_read(d->nt, &m) == 1)
		if (m.ready)
			dev_prog_notify(d, m.pid);
}

static void shutdown_all(struct dev *d)
{
	if (d->build_pid) {
		dev_kill_and_reap(d->build_pid);
		remove_build_bin(d);
		build_cleanup(d);
	}
	if (d->list_pid) {
		dev_kill_and_reap(d->list_pid);
		close(d->list_pidfd);
		d->list_pid = 0;
	}
	for (size_t i = 0; i < d->nprogs; i++)
		dev_prog_shutdown(&d->progs[i]);
}

/* Whether a program is starting a version or waiting to (the analysis waits for none). */
static int any_busy(const struct dev *d)
{
	for (size_t i = 0; i < d->nprogs; i++)
		if (dev_prog_busy(&d->progs[i]))
			return 1;
	return 0;
}

/* The debounce is over (or a lone save came): build what changed. */
static void build_changes(struct dev *d)
{
	struct argv_array files = ARGV_ARRAY_INIT;
	int64_t t_event = d->cq.first_event;
	take_changes(d, &files);
	if (files.argc)
		start_build(d, "change", &files, t_event);
	argv_clear(&files);
}

static int loop(struct dev *d)
{
	size_t npfd = FD_PROG0 + d->nprogs * FD_PER_PROG;
	struct pollfd *pfd = xcalloc(npfd, sizeof(*pfd));
	for (;;) {
		for (size_t i = 0; i < npfd; i++) {
			pfd[i].fd = -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		pfd[FD_SIG].fd = sig_fd;
		pfd[FD_WATCH].fd = watch_fd(d->w);
		pfd[FD_BUILD].fd = d->build_pid ? d->build_pidfd : -1;
		pfd[FD_BUILDOUT].fd = d->build_pid ? d->build_out : -1;
		pfd[FD_LIST].fd = d->list_pid ? d->list_pidfd : -1;
		pfd[FD_NOTIFY].fd = d->nt ? notify_fd(d->nt) : -1;
		pfd[FD_PROXY].fd = dev_proxy_fd(d);
		pfd[FD_STDIN].fd = d->in_buf.len ? -1 : d->in_fd;
		pfd[FD_STDIN_OUT].fd = d->in_buf.len ? d->in_w : -1;
		pfd[FD_STDIN_OUT].events = POLLOUT;
		pfd[FD_DEBUG].fd = dev_debug_fd(d);
		int64_t deadline = 0;
		for (size_t k = 0; k < d->nprogs; k++) {
			struct program *p = &d->progs[k];
			struct pollfd *pp = &pfd[FD_PROG0 + k * FD_PER_PROG];
			pp[PFD_CUR].fd =
			    p->cur && !p->cur_exited ? dev_debug_pollfd(p, p->cur) : -1;
			pp[PFD_PREV].fd = p->prev ? dev_debug_pollfd(p, p->prev) : -1;
			pp[PFD_PROXY].fd = dev_prog_proxy_fd(p);
			pp[PFD_OUT].fd = p->out_r;
			for (size_t i = 0; i < p->nstopping; i++)
				pp[PFD_STOP0 + i].fd = dev_debug_pollfd(p, p->stopping[i].sup);
			deadline = min_deadline(deadline, dev_prog_deadline(p));
		}
		if (changeq_waiting(&d->cq))
			deadline = min_deadline(deadline, changeq_deadline(&d->cq));
		deadline = min_deadline(deadline, d->reload_at);
		if (!d->build_pid && !any_busy(d))
			deadline = min_deadline(deadline, d->findings_at);
		int timeout = -1;
		int64_t now = now_mono_ns();
		if (deadline)
			timeout = deadline <= now ? 0 : (int)((deadline - now + 999999) / 1000000);
		int pt = dev_proxy_timeout(d);
		if (pt >= 0 && (timeout < 0 || pt < timeout))
			timeout = pt;
		pt = dev_debug_timeout(d);
		if (pt >= 0 && (timeout < 0 || pt < timeout))
			timeout = pt;
		int n = poll(pfd, npfd, timeout);
		if (n < 0 && errno != EINTR)
			die_errno("poll");
		now = now_mono_ns();

		if (pfd[FD_SIG].revents) {
			unsigned char c;
			if (read(sig_fd, &c, 1) == 1 && c != SIGCHLD) {
				free(pfd);
				return c;
			}
		}
		dev_proxy_run(d);
		dev_debug_run(d);
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
			if (d->cq.eager && !pending_gone(d))
				build_changes(
				    d); /* leading edge: a lone save builds without waiting */
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
		for (size_t k = 0; k < d->nprogs; k++) {
			struct program *p = &d->progs[k];
			struct pollfd *pp = &pfd[FD_PROG0 + k * FD_PER_PROG];
			if (pp[PFD_OUT].revents)
				dev_prog_read_output(p);
			if (pp[PFD_PREV].revents && p->prev &&
			    !dev_debug_ended(p, p->prev, pp[PFD_PREV].fd))
				dev_prog_ended(p, p->prev);
			if (pp[PFD_CUR].revents && p->cur &&
			    !dev_debug_ended(p, p->cur, pp[PFD_CUR].fd))
				dev_prog_ended(p, p->cur);
			for (size_t i = p->nstopping; i-- > 0;)
				if (pp[PFD_STOP0 + i].revents && i < p->nstopping &&
				    !dev_debug_ended(p, p->stopping[i].sup, pp[PFD_STOP0 + i].fd) &&
				    pp[PFD_STOP0 + i].fd == supervise_pidfd(p->stopping[i].sup))
					dev_prog_stop_done(p, i);
			dev_prog_tick(p);
		}
		now = now_mono_ns();
		if (d->ana_pkgs.argc && !any_busy(d) &&
		    (!d->findings_at || now >= d->findings_at)) {
			/* the fast build's program serves: its analysis, off the critical path */
			struct argv_array pkgs = d->ana_pkgs;
			memset(&d->ana_pkgs, 0, sizeof(d->ana_pkgs));
			dev_analyse_fast(d, &pkgs);
			dev_browser_analysed(d);
			argv_clear(&pkgs);
		}
		if (d->findings_at && now >= d->findings_at && !any_busy(d) && !d->build_pid)
			dev_browser_findings_due(d);
		dev_run_warm(d);
		if (d->reload_at && now >= d->reload_at)
			dev_browser_reload_due(d);
		if (changeq_waiting(&d->cq) && now >= changeq_deadline(&d->cq))
			build_changes(d);
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
	d->build_out = d->build_pidfd = d->list_pidfd = d->browser_fd = -1;
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

	if (dev_resolve_packages(d, cwd) < 0)
		goto out;

	/* Sockets first: an address in use is a usage error, before anything runs. */
	if (dev_setup_sockets(d) < 0 || dev_debug_setup(d) < 0)
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
	/* SIGCHLD wakes the loop to reap orphans (we are a subreaper) */
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD};
	sig_fd = sigpipe_open(sigs, ARRAY_SIZE(sigs));

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
	for (size_t i = 0; i < d->nprogs; i++) {
		/* each program its plan: one program's is where it always was */
		char *dir = d->multi ? xasprintf("%s/p%zu", d->tmp, i) : xstrdup(d->tmp);
		devfast_init(&d->progs[i].fast, dir, d->cfg.root, d->cfg.run.fast && !d->o.no_fast);
		free(dir);
	}
	d->fast = &d->progs[0].fast;
	if (d->multi) {
		char *dir = xasprintf("%s/pshared", d->tmp);
		devfast_init(&d->shared, dir, d->cfg.root, d->cfg.run.fast && !d->o.no_fast);
		free(dir);
	}

	d->nt = notify_new(&cause);
	if (!d->nt) {
		warning("golive dev: %s; READY=1 from the program is not awaited", cause);
		free(cause);
		cause = NULL;
	}
	setup_stdin(d);
	for (size_t i = 0; i < d->nprogs; i++)
		dev_prog_setup(&d->progs[i]);

	/* The graph, then the watches, then the first build. */
	int64_t t_watch = now_mono_ns();
	devgraph_init(&d->graph, d->cfg.root);
	if (d->multi) {
		const char *roots[64];
		for (size_t i = 0; i < d->nprogs; i++)
			roots[i] = d->progs[i].import_path;
		devgraph_set_roots(&d->graph, roots, d->nprogs);
	}
	start_listing(d);
	if (d->list_pid > 0) {
		siginfo_t si;
		while (waitid(P_PID, (id_t)d->list_pid, &si, WEXITED | WNOWAIT) < 0 &&
		       errno == EINTR)
			;
		dev_kill_and_reap(d->list_pid); /* reaps it, and forgets it in the keeper */
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
		dev_kill_and_reap(d->build_pid);
		build_cleanup(d);
	}
	free(cause);
	dev_cycle_reset(&d->bc);
	devtrace_release(&d->trace);
	dev_stop_warm(d);
	for (size_t i = 0; i < d->nprogs; i++)
		devfast_release(&d->progs[i].fast);
	devfast_release(&d->shared);
	argv_clear(&d->ana_pkgs);
	for (size_t i = 0; i < ARRAY_SIZE(d->trace_paths); i++)
		free(d->trace_paths[i]);
	remove_build_bin(d);
	httpproxy_free(d->hp);
	dev_debug_free(d);
	if (d->browser_fd >= 0)
		close(d->browser_fd);
	for (size_t i = 0; i < d->nprogs; i++)
		dev_prog_release(&d->progs[i]);
	free(d->progs);
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
	free(d->name);
	argv_clear(&d->o.packages);
	if (d->in_r >= 0)
		close(d->in_r);
	if (d->in_w >= 0)
		close(d->in_w);
	config_release(&d->cfg);
	return ret;
}
