/*
 * cmd_dev_debug.c - golive dev --debug [ADDR] (cmd_dev.h, docs/debug.md):
 * every version of the program runs under delve (dev/delve.h), headless,
 * on a loopback port of its own; golive owns ADDR and forwards it to the
 * current delve through a TCP proxy (dev/proxy.h), which holds debugger
 * clients while delve restarts. Breakpoints survive a reload: before the
 * old version goes, golive halts it, lists its breakpoints and continues
 * it; the new delve starts with the program stopped, gets them again by
 * file:line (each line followed to where its text moved), and only then is
 * the program continued.
 *
 * Under delve the program is delve's child, in a process group of its own:
 * golive watches it through a pidfd, sends it the stop signal itself (after
 * waiting for what it serves, without pausing it: a ptraced process cannot
 * be paused for drain.h), and ends delve once it has gone.
 */
#define _GNU_SOURCE
#include "cmd/cmd_dev.h"
#include "core/proc.h"
#include "dev/delve.h"
#include "dev/drain.h"
#include "dev/listen.h"
#include "dev/lpool.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEBUG_ADDR_DEFAULT "127.0.0.1:2345"
#define DELVE_START_MS     60000       /* delve loading a big binary's DWARF takes seconds */
#define SOURCES_MAX        (64u << 20) /* the sources kept per version for the line mapping */

/* One version of the program: its delve, and the program delve runs. */
struct dbg_version {
	struct supervisor *sup; /* delve */
	unsigned port;          /* delve's API on 127.0.0.1 */
	pid_t target;           /* the program (delve's child), 0 once gone or unknown */
	int target_pidfd;
	json_t *src; /* {relative path: text} of the module's Go files when it started */
	struct delve_client *cont; /* the old version's last continue, open till it ends */
};

struct dev_debug {
	char *dlv, *addr;
	int listen_fd;
	struct proxy *px;
	struct dbg_version *v;
	size_t nv, cap;
	unsigned pending_port; /* from dev_debug_wrap to dev_debug_track */
	json_t *bps;           /* breakpoints read from the version being replaced */
	json_t *bps_src;       /* its sources */
};

static struct dbg_version *find(const struct dev *d, const struct supervisor *s)
{
	for (size_t i = 0; d->dbg && s && i < d->dbg->nv; i++)
		if (d->dbg->v[i].sup == s)
			return &d->dbg->v[i];
	return NULL;
}

int dev_debug_setup(struct dev *d)
{
	const char *addr = d->o.debug_addr ? d->o.debug_addr : d->cfg.run.debug;
	char *cause = NULL;
	if (!d->o.debug && !d->cfg.run.debug)
		return 0;
	if (!addr)
		addr = DEBUG_ADDR_DEFAULT;
	if (d->profile != PROFILE_DEV)
		return error(
		    "golive dev: --debug is for the dev profile only: the %s profile never "
		    "runs the program under a debugger (docs/profiles.md)",
		    profile_name(d->profile));
	if (d->multi)
		return error("golive dev: --debug goes with one program (delve debugs one); name "
		             "the one to debug: golive dev --debug ./cmd/app");
	char *dlv = delve_find(d->cfg.run.dlv);
	if (!dlv)
		return error("golive dev: --debug needs delve: %s%s not found; install it with: "
		             "%s",
		             d->cfg.run.dlv ? d->cfg.run.dlv : "dlv",
		             d->cfg.run.dlv ? " (run.dlv)" : " (on PATH)", DELVE_INSTALL_HINT);
	struct listen_addr bound;
	int fd = listen_bind(addr, &bound, &cause);
	if (fd < 0) {
		error("golive dev: --debug: %s", cause);
		free(cause);
		free(dlv);
		return -1;
	}
	struct proxy_opts po = PROXY_OPTS_INIT;
	po.retry_total_ms = DELVE_START_MS;
	struct proxy *px = proxy_new(fd, NULL, &po, &cause);
	if (!px) {
		error("golive dev: --debug: %s", cause);
		free(cause);
		close(fd);
		free(dlv);
		return -1;
	}
	struct dev_debug *g = xcalloc(1, sizeof(*g));
	g->dlv = dlv;
	g->addr = listen_format(&bound);
	g->listen_fd = fd;
	g->px = px;
	d->dbg = g;
	dev_say(d,
	        "debugging under %s: delve's API (JSON-RPC and DAP) on %s, the same across "
	        "reloads (docs/debug.md)",
	        dlv, g->addr);
	if (d->o.json) {
		json_t *o = dev_json_new(d, NULL, "debug");
		json_object_set_new(o, "addr", json_string(g->addr));
		json_object_set_new(o, "dlv", json_string(dlv));
		dev_json_line(o);
	}
	return 0;
}

void dev_debug_free(struct dev *d)
{
	struct dev_debug *g = d->dbg;
	if (!g)
		return;
	for (size_t i = 0; i < g->nv; i++) {
		if (g->v[i].target_pidfd >= 0)
			close(g->v[i].target_pidfd);
		json_decref(g->v[i].src);
		delve_close(g->v[i].cont);
	}
	free(g->v);
	proxy_free(g->px);
	close(g->listen_fd);
	json_decref(g->bps);
	json_decref(g->bps_src);
	free(g->dlv);
	free(g->addr);
	free(g);
	d->dbg = NULL;
}

int dev_debug_build_flags(const struct dev *d, struct argv_array *av)
{
	if (!d->dbg)
		return 0;
	argv_push(av, "-gcflags=all=-N -l");
	return 1;
}

void dev_debug_wrap(struct program *p, struct argv_array *av, struct supervise_opts *so)
{
	struct dev_debug *g = p->d->dbg;
	if (!g)
		return;
	struct argv_array nav = ARGV_ARRAY_INIT;
	char addr[32];
	g->pending_port = delve_free_port();
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", g->pending_port);
	delve_argv(&nav, g->dlv, addr, av->argv[0], av->argv + 1, av->argc - 1);
	argv_clear(av);
	*av = nav;
	/* delve forks the program: its pid is not delve's (docs/debug.md) */
	so->no_listen_pid = 1;
}

void dev_debug_track(struct program *p, struct supervisor *s)
{
	struct dev_debug *g = p->d->dbg;
	if (!g || !s)
		return;
	if (g->nv == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 4;
		g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
	}
	struct dbg_version *v = &g->v[g->nv++];
	memset(v, 0, sizeof(*v));
	v->sup = s;
	v->port = g->pending_port;
	v->target_pidfd = -1;
}

void dev_debug_forget(struct program *p, struct supervisor *s)
{
	struct dev_debug *g = p->d->dbg;
	struct dbg_version *v = find(p->d, s);
	if (!v)
		return;
	if (v->target_pidfd >= 0)
		close(v->target_pidfd);
	json_decref(v->src);
	delve_close(v->cont);
	*v = g->v[--g->nv];
}

static void sleep_ms(int ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};
	nanosleep(&ts, NULL);
}

/* delve (the supervisor's process) has not ended: the wait for its API goes on. */
static int delve_alive(void *data)
{
	struct supervisor *s = data;
	struct pollfd pfd = {supervise_pidfd(s), POLLIN, 0};
	return pfd.fd >= 0 && poll(&pfd, 1, 0) == 0;
}

static struct delve_client *connect_version(const struct dbg_version *v, int timeout_ms,
                                            char **cause)
{
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", v->port);
	return delve_connect(addr, timeout_ms, delve_alive, v->sup, cause);
}

/* The module's Go files as they are now: {relative path: text}. */
static json_t *read_sources(const struct dev *d)
{
	json_t *o = json_object();
	size_t total = 0;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < d->graph.files.cap; i++) {
		const char *k = d->graph.files.keys[i];
		if (!k || !ends_with(k, ".go") || k[0] == '/')
			continue;
		char *abs = xasprintf("%s/%s", d->cfg.root, k);
		strbuf_reset(&sb);
		if (strbuf_read_file(&sb, abs, 4u << 20) >= 0 && total + sb.len <= SOURCES_MAX) {
			total += sb.len;
			json_object_set_new(o, k, json_stringn_nocheck(sb.buf, sb.len));
		}
		free(abs);
	}
	strbuf_release(&sb);
	return o;
}

/* The path of file relative to the module root, or file itself. */
static const char *rel_to_root(const struct dev *d, const char *file)
{
	size_t n = strlen(d->cfg.root);
	if (strncmp(file, d->cfg.root, n) == 0 && file[n] == '/')
		return file + n + 1;
	return file;
}

/*
 * A breakpoint a DAP client made: delve's DAP server names them
 * ("sourceBp Path=... Line=N ...") as JSON-RPC cannot (letters and digits
 * only), finds its own by those names, and refuses a second breakpoint on
 * a line. The client sets them again when it attaches (at the lines it
 * followed through the edits): golive leaves them to it.
 */
static int dap_made(const json_t *bp)
{
	const char *name = json_string_value(json_object_get(bp, "name"));
	for (const char *s = name; s && *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !((unsigned char)*s & 0x80))
			return 1;
	return 0;
}

/* Sets the carried breakpoints in the new delve; one line for each that is gone. */
static void carry_breakpoints(struct program *p, struct delve_client *c)
{
	struct dev *d = p->d;
	struct dev_debug *g = d->dbg;
	size_t i, set = 0, moved = 0, dap = 0;
	json_t *bp;
	struct strbuf now = STRBUF_INIT;
	json_array_foreach(g->bps, i, bp)
	{
		const char *file = json_string_value(json_object_get(bp, "file"));
		int line = (int)json_integer_value(json_object_get(bp, "line")), to = line;
		char *cause = NULL;
		if (!file || line <= 0)
			continue;
		if (dap_made(bp)) {
			dap++;
			continue;
		}
		const char *rel = rel_to_root(d, file);
		json_t *old = g->bps_src ? json_object_get(g->bps_src, rel) : NULL;
		strbuf_reset(&now);
		int have_now = strbuf_read_file(&now, file, 4u << 20) >= 0;
		if (old && have_now)
			to = delve_map_line(json_string_value(old), json_string_length(old),
			                    now.buf, now.len, line);
		else if (!have_now)
			to = 0;
		if (!to) {
			char text[81] = "";
			if (old) { /* the line it was on, for the report */
				const char *s = json_string_value(old);
				for (int k = 1; k < line && s; k++)
					s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL;
				if (s) {
					s += strspn(s, " \t");
					snprintf(text, sizeof(text), "%.*s",
					         (int)strcspn(s, "\r\n"), s);
				}
			}
			dev_psay(p, "%sbreakpoint %s:%d removed: %s%s%s%s%s", c_red(d), rel, line,
			         have_now ? "its line is gone" : "the file is gone",
			         *text ? " (" : "", text, *text ? ")" : "", c_off(d));
			if (d->o.json) {
				json_t *o = dev_json_new(d, p, "breakpoint");
				json_object_set_new(o, "file", json_string(rel));
				json_object_set_new(o, "line", json_integer(line));
				json_object_set_new(o, "removed", json_true());
				dev_json_line(o);
			}
			continue;
		}
		if (delve_create_breakpoint(c, bp, file, to, NULL, &cause) < 0) {
			dev_psay(p, "%sbreakpoint %s:%d removed: %s%s", c_red(d), rel, to, cause,
			         c_off(d));
			free(cause);
			continue;
		}
		set++;
		moved += to != line;
	}
	strbuf_release(&now);
	if (set && moved)
		dev_psay(p,
		         "%zu breakpoint%s set again in the new program (%zu moved with its line)",
		         set, set == 1 ? "" : "s", moved);
	else if (set)
		dev_psay(p, "%zu breakpoint%s set again in the new program", set,
		         set == 1 ? "" : "s");
	if (dap)
		dev_psay(p,
		         "%zu breakpoint%s of a DAP client (an editor) left to it: it sets them "
		         "again when it attaches",
		         dap, dap == 1 ? "" : "s");
}

void dev_debug_started(struct program *p, struct supervisor *s)
{
	struct dev *d = p->d;
	struct dev_debug *g = d->dbg;
	struct dbg_version *v = find(d, s);
	char *cause = NULL;
	if (!v)
		return;
	json_decref(v->src); /* a restart after a crash: the same supervisor */
	delve_close(v->cont);
	v->cont = NULL;
	v->src = read_sources(d);
	struct delve_client *c = connect_version(v, DELVE_START_MS, &cause);
	if (!c) {
		warning("golive dev: --debug: %s", cause); /* delve ended: the loop reports it */
		free(cause);
		return;
	}
	int pid = 0;
	if (delve_state(c, &pid, NULL, &cause) < 0) {
		warning("golive dev: --debug: %s", cause);
		free(cause);
		cause = NULL;
	}
	if (pid > 0) {
		v->target = (pid_t)pid;
		v->target_pidfd = proc_pidfd_open(v->target);
	}
	if (g->bps)
		carry_breakpoints(p, c);
	json_decref(g->bps);
	json_decref(g->bps_src);
	g->bps = g->bps_src = NULL;
	if (delve_continue_nowait(c, &cause) < 0) {
		warning("golive dev: --debug: %s", cause);
		free(cause);
		cause = NULL;
	}
	/*
	 * delve's first halt of a running program costs it most of a second
	 * (measured: 0.5-1.2 s, later ones 3-50 ms), and the program stands
	 * still meanwhile. Paid now, before this version serves, rather than
	 * at the next reload, when it is read for its breakpoints. Once it
	 * runs: a halt that overtakes the continue stops nothing.
	 */
	int running = 0, i;
	for (i = 0; i < 1000 && !running; i++) {
		json_t *st = NULL;
		if (delve_call(c, "State", json_pack("{s:b}", "NonBlocking", 1), 5000, &st,
		               &cause) < 0) {
			free(cause);
			cause = NULL;
			break;
		}
		json_t *state = json_object_get(st, "State");
		running = json_is_true(json_object_get(state, "Running"));
		/* stopped at a breakpoint of the user's already: it stays there */
		int at_bp = json_is_object(
		    json_object_get(json_object_get(state, "currentThread"), "breakPoint"));
		json_decref(st);
		if (at_bp)
			break;
		if (!running)
			sleep_ms(2);
	}
	if (running) {
		sleep_ms(20);
		if (delve_halt(c, 30000, &cause) < 0 || delve_continue_nowait(c, &cause) < 0) {
			warning("golive dev: --debug: %s", cause);
			free(cause);
			cause = NULL;
		}
	}
	/*
	 * Closed at once: the continue goes on, and when the program stops with
	 * no client attached, delve prints where (its "unattended stop").
	 */
	delve_close(c);
	char be[32];
	snprintf(be, sizeof(be), "127.0.0.1:%u", v->port);
	if (proxy_set_backend(g->px, be, &cause) < 0) {
		warning("golive dev: --debug: %s", cause);
		free(cause);
	}
	proxy_hold(g->px, 0);
}

void dev_debug_save(struct program *p)
{
	struct dev_debug *g = p->d->dbg;
	struct dbg_version *v = find(p->d, p->cur);
	char *cause = NULL;
	if (!v || !v->target || p->cur_exited)
		return;
	proxy_hold(g->px, 1); /* clients wait for the new delve */
	struct delve_client *c = connect_version(v, 2000, &cause);
	json_t *bps = NULL;
	if (c && delve_halt(c, 10000, &cause) == 0)
		bps = delve_list_breakpoints(c, &cause);
	if (!bps) {
		warning("golive dev: --debug: the old program's breakpoints: %s", cause);
		free(cause);
		cause = NULL;
	} else {
		json_decref(g->bps);
		json_decref(g->bps_src);
		g->bps = bps;
		g->bps_src = json_incref(v->src);
	}
	/*
	 * It runs again: with --listen it serves until the new one is ready;
	 * either way its stop signal reaches it only while it runs. The
	 * connection stays open: delve says nothing when the program it
	 * continued for a client still attached ends.
	 */
	if (c && delve_continue_nowait(c, &cause) < 0) {
		warning("golive dev: --debug: %s", cause);
		free(cause);
	}
	if (c) {
		delve_close(v->cont);
		v->cont = c;
	}
}

int dev_debug_stop(struct program *p, struct supervisor *s, int sig, int drain_max_ms)
{
	struct dbg_version *v = find(p->d, s);
	if (!v)
		return 0;
	if (!v->target) {
		kill(-supervise_pid(s), sig);
		return 1;
	}
	/*
	 * What it serves first: no connection accepted and none left in its own
	 * queues (new ones go to the new version's, lpool.h), or drain_max_ms.
	 */
	int64_t deadline = now_mono_ns() + (int64_t)drain_max_ms * 1000000;
	while (p->ndrain_ports && now_mono_ns() < deadline) {
		int n = drain_accepted(v->target, p->drain_ports, p->ndrain_ports);
		if (n == 0 && p->lp) {
			size_t nq = 0;
			const int *q = lpool_own_fds(p->lp, s, &nq);
			n = nq ? lpool_queued(q, nq) : 0;
		}
		if (n <= 0)
			break;
		sleep_ms(1);
	}
	kill(v->target, sig); /* delve passes it on; it ends delve's program */
	return 1;
}

int dev_debug_pollfd(const struct program *p, const struct supervisor *s)
{
	const struct dbg_version *v = find(p->d, s);
	return v && v->target_pidfd >= 0 ? v->target_pidfd : supervise_pidfd(s);
}

int dev_debug_ended(struct program *p, struct supervisor *s, int fd)
{
	struct dbg_version *v = find(p->d, s);
	if (!v || fd < 0 || fd != v->target_pidfd)
		return 0;
	close(v->target_pidfd);
	v->target_pidfd = -1;
	v->target = 0;
	/*
	 * The program is gone; delve would stay for more clients. A version
	 * being stopped ends with delve's own clean exit; the current one
	 * ended by itself: delve is killed, and golive dev restarts it as after
	 * a crash.
	 */
	pid_t pid = supervise_pid(s);
	if (s == p->cur && pid > 0) {
		/* delve still knows the breakpoints: for the restart */
		char *cause = NULL;
		struct delve_client *c = connect_version(v, 1000, &cause);
		json_t *bps = c ? delve_list_breakpoints(c, &cause) : NULL;
		if (bps) {
			json_decref(p->d->dbg->bps);
			json_decref(p->d->dbg->bps_src);
			p->d->dbg->bps = bps;
			p->d->dbg->bps_src = json_incref(v->src);
		}
		free(cause);
		delve_close(c);
	}
	if (pid > 0)
		kill(-pid, s == p->cur ? SIGKILL : SIGTERM);
	return 1;
}

int dev_debug_owns(const struct program *p, pid_t pid)
{
	const struct dbg_version *v = find(p->d, p->cur);
	return v && v->target > 0 && (pid == v->target || getpgid(pid) == v->target);
}

int dev_debug_fd(const struct dev *d)
{
	return d->dbg ? proxy_fd(d->dbg->px) : -1;
}

int dev_debug_timeout(const struct dev *d)
{
	return d->dbg ? proxy_timeout_ms(d->dbg->px) : -1;
}

void dev_debug_run(struct dev *d)
{
	if (d->dbg)
		proxy_run_once(d->dbg->px, 0);
}
