/*
 * cmd_dev_program.c - one program's life under golive dev (cmd_dev.h):
 * starting a version, knowing when it is ready, swapping it in for the old
 * one, draining and stopping the old one, restarting after a crash with
 * backoff, and, with several programs, its output prefixed with its name.
 *
 * Each program keeps its own versions, timers and sockets: a crash of one,
 * or its restart, never touches another. The loop (cmd_dev.c) polls each
 * program's pidfds, proxy and output pipe and calls in here.
 *
 * Restart order: with --listen the new version starts first and the old
 * one is stopped once the new one is ready (READY=1 when the program has
 * ever sent it, else as soon as it has exec'd): the listening sockets
 * belong to golive, so connections queue in them meanwhile. Without
 * --listen (the program binds its own port) the old one is stopped first;
 * with --proxy the proxy holds new connections while that happens.
 */
#define _GNU_SOURCE
#include "cmd/cmd_dev.h"
#include "dev/drain.h"
#include "dev/keeper.h"
#include "dev/lpool.h"
#include "dev/proxy.h"
#include "dev/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DRAIN_MAX_MS 1000 /* at most this long pausing an old program until it is idle */
#define READY_TIMEOUT_MS                                                                           \
	10000 /* a program that once sent READY=1 gets this long to send it again */
#define OUT_LINE_MAX (64u << 10) /* a longer line of a program's output is cut there */

/* The prefixes' colours on a TTY, as docker compose picks them: one per program in turn. */
static const char *const prefix_colors[] = {"\033[36m", "\033[33m", "\033[32m",
                                            "\033[35m", "\033[34m", "\033[91m",
                                            "\033[96m", "\033[93m", "\033[92m"};

void dev_prog_init(struct program *p, struct dev *d, int idx)
{
	memset(p, 0, sizeof(*p));
	p->d = d;
	p->idx = idx;
	p->proxy_listen_fd = p->out_r = p->out_w = -1;
	p->grace_ms = -1;
	p->color = p->out_color = "";
	strbuf_init(&p->out_line, 0);
}

void dev_prog_setup(struct program *p)
{
	struct dev *d = p->d;
	if (d->nt)
		argv_pushf(&p->penv, "NOTIFY_SOCKET=%s", notify_socket(d->nt));
	argv_push(&p->penv, "GOLIVE_DEV=1");
	for (size_t i = 0; p->env && i < p->env->argc; i++)
		argv_push(&p->penv, p->env->argv[i]);
	const char *c = prefix_colors[(size_t)p->idx % ARRAY_SIZE(prefix_colors)];
	if (d->color)
		p->color = c;
	/* its output goes to stdout (stderr with --json): coloured when that is a terminal */
	if (isatty(d->o.json ? 2 : 1) && !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
	    !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0))
		p->out_color = c;
	struct supervise_opts so = SUPERVISE_OPTS_INIT;
	so.env = p->penv.argv;
	so.fds = p->fds;
	so.nfds = p->nfds;
	so.stdin_fd = d->in_r;
	so.stdout_fd = d->o.json ? 2 : -1; /* --json: stdout is golive's alone */
	if (d->multi) {
		int pp[2];
		/* one pipe for both streams, as docker compose shows them: lines stay whole */
		if (pipe2(pp, O_CLOEXEC) == 0) {
			p->out_r = pp[0];
			p->out_w = pp[1];
			fcntl(p->out_r, F_SETFL, O_NONBLOCK);
			so.stdout_fd = so.stderr_fd = p->out_w;
		}
	}
	so.stop_signal = d->o.stop_signal         ? d->o.stop_signal
	                 : p->stop_signal         ? p->stop_signal
	                 : d->cfg.run.stop_signal ? d->cfg.run.stop_signal
	                                          : SIGTERM;
	so.grace_ms = d->o.grace_ms >= 0 ? d->o.grace_ms
	              : p->grace_ms >= 0 ? p->grace_ms
	                                 : d->cfg.run.grace_ms;
	p->sopts = so;
}

/* Frees a version's supervisor; its --listen sockets are free for another. */
static void free_version(struct program *p, struct supervisor *s)
{
	if (p->lp)
		lpool_release(p->lp, s);
	dev_debug_forget(p, s);
	supervise_free(s);
}

static void begin_stop(struct program *p, struct supervisor *s, char *bin)
{
	pid_t pid = supervise_pid(s);
	if (pid <= 0 || p->nstopping == MAX_STOPPING) {
		struct supervise_exit ex;
		char *cause = NULL;
		if (pid > 0 && supervise_stop(s, &ex, &cause) < 0) {
			warning("golive dev: %s", cause);
			free(cause);
		}
		free_version(p, s);
		if (bin)
			unlink(bin);
		free(bin);
		return;
	}
	int sig = p->sopts.stop_signal, open_conns = 0;
	if (dev_debug_stop(p, s, sig, DRAIN_MAX_MS)) {
		/* under delve: drained without a pause, the signal to the program */
	} else if (p->ndrain_ports) {
		/* Nothing in flight when it gets the signal (drain.h), unless it takes too long. */
		size_t nq = 0;
		const int *q = p->lp ? lpool_own_fds(p->lp, s, &nq) : NULL;
		if (drain_pause(pid, pid, p->drain_ports, p->ndrain_ports, q, nq, DRAIN_MAX_MS) ==
		    1)
			open_conns = drain_accepted(pid, p->drain_ports, p->ndrain_ports);
		kill(-pid, sig);
		kill(-pid, SIGCONT);
	} else {
		kill(-pid, sig);
	}
	struct stopping *st = &p->stopping[p->nstopping++];
	st->open_conns = open_conns > 0 ? open_conns : 0;
	st->sup = s;
	st->bin = bin;
	st->pid = pid;
	st->t0 = now_mono_ns();
	st->kill_at = st->t0 + (int64_t)p->sopts.grace_ms * 1000000;
	st->killed = 0;
}

/* The "stop" line of a version golive stopped, and a word when it needed SIGKILL. */
static void report_stop(const struct program *p, pid_t pid, int killed, int64_t t0)
{
	if (p->d->o.json) {
		char sig[32];
		json_t *o = dev_json_new(p->d, p, "stop");
		json_object_set_new(o, "pid", json_integer(pid));
		json_object_set_new(
		    o, "signal",
		    json_string(signal_to_name(p->sopts.stop_signal, sig, sizeof(sig))));
		json_object_set_new(o, "killed", json_boolean(killed));
		json_object_set_new(o, "stop_ms", json_round(ms_between(t0, now_mono_ns())));
		dev_json_line(o);
	}
	if (killed)
		dev_psay(p, "pid %d did not stop within %lld ms of the stop signal; killed it",
		         (int)pid, (long long)p->sopts.grace_ms);
}

static void maybe_start_pending(struct program *p);

void dev_prog_stop_done(struct program *p, size_t i)
{
	struct stopping *st = &p->stopping[i];
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
	p->stopping[i] = p->stopping[--p->nstopping];
	st = &done;
	maybe_start_pending(p);
	report_stop(p, st->pid, st->killed, st->t0);
	/*
	 * It held requests past the drain limit and died of the signal (no
	 * graceful exit): they were cut. Say so once, with what fixes it.
	 */
	if (st->open_conns && (ex.signal || ex.killed)) {
		if (!p->said_cut) {
			p->said_cut = 1;
			warning(
			    "golive dev: %s%sthe old program still served %d connection%s %d ms "
			    "into the restart and died of the stop signal: %s cut. To finish long "
			    "requests and streams, handle SIGTERM with http.Server.Shutdown "
			    "(docs/dev.md)",
			    p->d->multi ? p->name : "", p->d->multi ? ": " : "", st->open_conns,
			    st->open_conns == 1 ? "" : "s", DRAIN_MAX_MS,
			    st->open_conns == 1 ? "it was" : "they were");
		}
	}
	free_version(p, st->sup);
	if (st->bin)
		unlink(st->bin);
	free(st->bin);
}

static void ready(struct program *p, const char *how)
{
	struct dev *d = p->d;
	p->cur_ready = 1;
	p->ready_deadline = 0;
	if (p->rc.active) {
		p->rc.t_ready = now_mono_ns();
		dev_report_cycle(d, p, &p->rc, p->rc.t_build_end ? "ok" : NULL,
		                 supervise_pid(p->cur), how);
		dev_cycle_reset(&p->rc);
		if (p->idx == 0)
			dev_browser_ready(d);
	}
	/* new connections go to this version's sockets only (lpool.h) */
	if (p->lp && p->cur && lpool_steer(p->lp, p->cur) < 0)
		warning("golive dev: cannot steer connections to the new program: %s",
		        strerror(errno));
	if (p->prev) {
		begin_stop(p, p->prev, p->prev_bin);
		p->prev = NULL;
		p->prev_bin = NULL;
	}
}

/* Starts p->cur (already set up); reports and schedules per the restart policy. */
static int start_cur(struct program *p, struct cycle *c)
{
	char *cause = NULL;
	p->cur_ready = 0;
	p->cur_exited = 0;
	if (supervise_start(p->cur, &cause) < 0) {
		error("golive dev: %s", cause);
		free(cause);
		p->cur_exited = 1;
		dev_report_cycle(p->d, p, c, c->t_build_end ? "ok" : NULL, 0, NULL);
		dev_cycle_reset(c);
		return -1;
	}
	keeper_add(supervise_pid(p->cur));
	dev_debug_started(p, p->cur);
	dev_cycle_reset(&p->rc);
	p->rc = *c;
	p->rc.active = 1;
	memset(c, 0, sizeof(*c));
	dev_proxy_hold(p, 0);
	if (p->listen_mode && p->ever_notified)
		p->ready_deadline = now_mono_ns() + (int64_t)READY_TIMEOUT_MS * 1000000;
	else
		ready(p, "exec");
	return 0;
}

static struct supervisor *new_version(struct program *p, const char *bin)
{
	struct argv_array av = ARGV_ARRAY_INIT;
	argv_push(&av, bin);
	for (size_t i = 0; i < p->args.argc; i++)
		argv_push(&av, p->args.argv[i]);
	struct supervise_opts so = p->sopts;
	dev_debug_wrap(p, &av, &so);
	so.argv = av.argv;
	int slot = p->lp ? lpool_pick(p->lp) : -1;
	if (slot >= 0)
		so.fds = lpool_fds(p->lp, slot);
	struct supervisor *s = supervise_new(&so);
	dev_debug_track(p, s);
	if (slot >= 0)
		lpool_own(p->lp, slot, s);
	argv_clear(&av);
	return s;
}

void dev_prog_switch_to(struct program *p, char *bin, struct cycle *c)
{
	p->restart_at = 0;
	dev_debug_save(p); /* its breakpoints, for the new one */
	if (p->listen_mode) {
		/* New first; the old one serves until the new one is ready. */
		if (p->cur) {
			if (p->prev || !p->cur_ready || p->cur_exited) {
				/* cur never became ready (or is down): drop it, prev keeps serving
				 */
				begin_stop(p, p->cur, p->cur_bin);
			} else {
				p->prev = p->cur;
				p->prev_bin = p->cur_bin;
			}
			p->cur = NULL;
			p->cur_bin = NULL;
		}
		p->cur = new_version(p, bin);
		p->cur_bin = bin;
		start_cur(p, c);
		return;
	}
	/* Sequential: stop the old one, start the new one when it is gone. */
	if (p->cur) {
		dev_proxy_hold(p, 1);
		begin_stop(p, p->cur, p->cur_bin);
		p->cur = NULL;
		p->cur_bin = NULL;
	}
	free(p->start_bin);
	dev_cycle_reset(&p->start_cycle);
	p->start_bin = bin;
	p->start_cycle = *c;
	memset(c, 0, sizeof(*c));
}

static void maybe_start_pending(struct program *p)
{
	if (!p->start_bin || p->nstopping)
		return;
	p->cur = new_version(p, p->start_bin);
	p->cur_bin = p->start_bin;
	p->start_bin = NULL;
	start_cur(p, &p->start_cycle);
}

void dev_prog_ended(struct program *p, struct supervisor *s)
{
	struct dev *d = p->d;
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
	if (s == p->prev) {
		/* the old one went away by itself while the new one got ready */
		free_version(p, p->prev);
		unlink(p->prev_bin);
		free(p->prev_bin);
		p->prev = NULL;
		p->prev_bin = NULL;
		return;
	}
	char what[64];
	dev_describe_exit(&ex, what, sizeof(what));
	int again = !(ex.signal == 0 && ex.exit_code == 0);
	p->cur_exited = 1;
	if (d->o.json) {
		char sig[32];
		json_t *o = dev_json_new(d, p, "exit");
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
	if (p->rc.active) { /* it died before it was ready */
		dev_report_cycle(d, p, &p->rc, p->rc.t_build_end ? "ok" : NULL, 0, NULL);
		dev_cycle_reset(&p->rc);
	}
	if (again) {
		char t[32];
		dev_fmt_dur(t, sizeof(t), (double)ex.restart_delay_ms);
		dev_psay(p, "%spid %d %s%s after %.1f s; restarting in %s", c_red(d), (int)ex.pid,
		         what, c_off(d), (double)ex.ran_ms / 1000, t);
		p->restart_at = now_mono_ns() + ex.restart_delay_ms * 1000000;
	} else {
		dev_psay(p, "pid %d %s; waiting for a change", (int)ex.pid, what);
	}
}

void dev_prog_notify(struct dev *d, pid_t from)
{
	for (size_t i = 0; i < d->nprogs; i++) {
		struct program *p = &d->progs[i];
		if (!p->cur)
			continue;
		pid_t pid = supervise_pid(p->cur);
		if (pid <= 0 || (from != pid && getpgid(from) != pid && !dev_debug_owns(p, from)))
			continue;
		p->ever_notified = 1;
		if (!p->cur_ready)
			ready(p, "notify");
		return;
	}
}

void dev_prog_tick(struct program *p)
{
	int64_t now = now_mono_ns();
	for (size_t i = 0; i < p->nstopping; i++)
		if (!p->stopping[i].killed && now >= p->stopping[i].kill_at) {
			kill(-p->stopping[i].pid, SIGKILL);
			p->stopping[i].killed = 1;
		}
	maybe_start_pending(p);
	if (p->ready_deadline && now >= p->ready_deadline && p->cur && !p->cur_ready) {
		dev_psay(p, "pid %d sent no READY=1 within %d ms; taking it as ready",
		         (int)supervise_pid(p->cur), READY_TIMEOUT_MS);
		ready(p, "timeout");
	}
	if (p->restart_at && now >= p->restart_at && p->cur && p->cur_exited) {
		struct cycle c;
		memset(&c, 0, sizeof(c));
		c.trigger = "crash";
		c.n = ++p->d->ncycles;
		c.t_event = p->restart_at;
		p->restart_at = 0;
		start_cur(p, &c);
	}
}

static int64_t min_deadline(int64_t a, int64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

int64_t dev_prog_deadline(const struct program *p)
{
	int64_t t = min_deadline(p->restart_at, p->ready_deadline);
	for (size_t i = 0; i < p->nstopping; i++)
		if (!p->stopping[i].killed)
			t = min_deadline(t, p->stopping[i].kill_at);
	return t;
}

int dev_prog_busy(const struct program *p)
{
	return p->rc.active || p->start_bin;
}

int dev_prog_owns(const struct program *p, pid_t pid)
{
	if ((p->cur && pid == supervise_pid(p->cur)) || (p->prev && pid == supervise_pid(p->prev)))
		return 1;
	for (size_t i = 0; i < p->nstopping; i++)
		if (pid == p->stopping[i].pid)
			return 1;
	return 0;
}

void dev_prog_read_output(struct program *p)
{
	char buf[16384];
	for (;;) {
		ssize_t n = read(p->out_r, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		strbuf_add(&p->out_line, buf, (size_t)n);
	}
	/* whole lines out; a line longer than the cap goes out in pieces */
	char *nl = memrchr(p->out_line.buf, '\n', p->out_line.len);
	size_t whole = nl ? (size_t)(nl - p->out_line.buf) + 1 : 0;
	if (!whole && p->out_line.len >= OUT_LINE_MAX)
		whole = p->out_line.len;
	if (!whole)
		return;
	dev_print_prefixed(p, p->out_line.buf, whole);
	memmove(p->out_line.buf, p->out_line.buf + whole, p->out_line.len - whole);
	p->out_line.len -= whole;
	p->out_line.buf[p->out_line.len] = '\0';
}

void dev_prog_shutdown(struct program *p)
{
	struct supervisor *all[2] = {p->cur, p->prev};
	char *bins[2] = {p->cur_bin, p->prev_bin};
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
				keeper_remove(pid);
				report_stop(p, pid, ex.killed, t0);
			}
			free_version(p, all[i]);
			if (bins[i])
				unlink(bins[i]);
			free(bins[i]);
		}
	p->cur = p->prev = NULL;
	p->cur_bin = p->prev_bin = NULL;
	for (size_t i = 0; i < p->nstopping; i++) {
		struct supervise_exit ex;
		char *cause = NULL;
		if (supervise_stop(p->stopping[i].sup, &ex, &cause) < 0)
			free(cause);
		keeper_remove(p->stopping[i].pid);
		free_version(p, p->stopping[i].sup);
		if (p->stopping[i].bin)
			unlink(p->stopping[i].bin);
		free(p->stopping[i].bin);
	}
	p->nstopping = 0;
	if (p->start_bin)
		unlink(p->start_bin);
	free(p->start_bin);
	p->start_bin = NULL;
	if (p->out_r >= 0) {
		dev_prog_read_output(p); /* what the versions said last */
		if (p->out_line.len) {
			strbuf_addch(&p->out_line, '\n');
			dev_print_prefixed(p, p->out_line.buf, p->out_line.len);
			strbuf_reset(&p->out_line);
		}
	}
}

void dev_prog_release(struct program *p)
{
	dev_cycle_reset(&p->rc);
	dev_cycle_reset(&p->start_cycle);
	free(p->start_bin);
	free(p->cur_bin);
	free(p->prev_bin);
	if (p->px)
		proxy_free(p->px);
	if (p->proxy_listen_fd >= 0)
		close(p->proxy_listen_fd);
	lpool_free(p->lp);
	free(p->fds);
	if (p->out_r >= 0)
		close(p->out_r);
	if (p->out_w >= 0)
		close(p->out_w);
	strbuf_release(&p->out_line);
	argv_clear(&p->args);
	argv_clear(&p->penv);
	argv_clear(&p->listen);
	free(p->pkg);
	free(p->name);
	free(p->exe);
	free(p->import_path);
	memset(p, 0, sizeof(*p));
	p->proxy_listen_fd = p->out_r = p->out_w = -1;
}
