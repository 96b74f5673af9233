/*
 * cmd_dev.h - golive dev's state, shared by its three files (private to
 * them): cmd_dev.c (the loop: watching, building, running), cmd_dev_output.c
 * (each cycle's status line and JSON line) and cmd_dev_opts.c (the options,
 * and what they pick: the package to run, the sockets, the proxy).
 */
#ifndef GOLIVE_CMD_DEV_H
#define GOLIVE_CMD_DEV_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/pathmatch.h"
#include "core/profile.h"
#include "core/util.h"
#include "dev/changeq.h"
#include "dev/devfast.h"
#include "dev/devgraph.h"
#include "dev/devtrace.h"
#include "dev/notify.h"
#include "dev/httpproxy.h"
#include "dev/proxy.h"
#include "dev/supervise.h"
#include "dev/watch.h"

#define MAX_STOPPING 16

struct dev_opts {
	int json, quiet;
	int debug_info, no_fast; /* --debug-info, --no-fast */
	int browser;             /* --browser */
	const char *config, *package, *proxy, *to;
	const char *trace_out, *chrome_trace, *report, *profile;
	const char *poll; /* --poll: config_parse_poll()'s input, NULL: golive.yaml's */
	int debounce_ms, grace_ms, stop_signal; /* -1 / 0: from golive.yaml */
	struct argv_array listen, args;
	int have_args;
};

/* One cycle: what triggered it and when each step happened (ns, monotonic). */
struct cycle {
	int n;
	const char *trigger; /* "start", "change", "crash" */
	struct argv_array files;
	int64_t t_event, t_build_start, t_build_end, t_ready;
	int active;
	struct devtrace_cycle tc; /* its trace, when tracing is on */
	int fast;                 /* built by the fast path (dev/devfast.h) */
	char *fallback;           /* a full build: why not the fast path */
};

/* A program being stopped: signal sent, waiting for it to end. */
struct stopping {
	struct supervisor *sup;
	char *bin;
	pid_t pid;
	int64_t t0, kill_at;
	int killed;
	int open_conns; /* connections it still held when it got the stop signal (drain.h) */
};

struct dev {
	struct dev_opts o;
	struct devfast fast; /* the fast path's state (dev/devfast.h) */
	struct devtrace trace;
	char *trace_paths[3]; /* trace: outputs from golive.yaml, made absolute */
	struct golive_config cfg;
	enum golive_profile profile; /* dev or ci: every build's --profile */
	char *go, *self, *pkg, *name, *tmp, *bindir;
	int color, listen_mode;
	int64_t t0;

	/* what to watch */
	struct devgraph graph;
	struct pathmap built; /* content hash of each file at the last build */
	struct gitignore *gi;
	struct watcher *w;
	struct changeq cq; /* the changes not built yet: debounce, hashes (dev/changeq.h) */
	/*
	 * Files outside the graph that changed since the last listing, with when:
	 * a package imported for the first time by a build is in the graph only
	 * once that build is over, and a save of its files meanwhile must count.
	 */
	struct pathmap outside;
	int64_t last_build_start;

	/* the build */
	pid_t build_pid;
	int build_pidfd, build_out;
	struct strbuf build_log;
	char *build_bin, *build_dir;
	struct cycle bc;
	struct argv_array ana_pkgs; /* fast-built packages to analyse once the program serves */
	long long build_t0;         /* the build's start, ns since the epoch */
	/* the fast path's warm-up (dev/fastwarm.h): due after a full build, once a session */
	long long warm_t0; /* the start of the full build it completes (0: not due) */
	int warm_done;
	pid_t warm_pid;
	int64_t warm_start;
	unsigned seq;
	int ncycles;

	/* the graph listing */
	pid_t list_pid;
	int list_pidfd, list_again;
	char *list_path;

	/* the program */
	struct supervise_opts sopts;
	struct argv_array penv;
	int *fds; /* --listen: slot 0's sockets (the pool owns them), for their ports */
	size_t nfds;
	struct lpool *lp; /* --listen: a socket set per program version (lpool.h) */
	/* the ports the program accepts on (--listen's, or --proxy's --to): drain.h */
	unsigned drain_ports[16];
	size_t ndrain_ports;
	int said_cut;           /* the warning about connections cut at a restart was printed */
	int cut_conns;          /* connections cut at restarts so far */
	struct supervisor *cur; /* the newest program (running, or waiting for a restart) */
	char *cur_bin;
	int cur_ready, cur_exited;
	struct supervisor *prev; /* listen mode: the old one, serving until cur is ready */
	char *prev_bin;
	struct cycle rc; /* the cycle waiting for cur to be ready */
	int64_t ready_deadline, restart_at;
	int64_t backoff_ms;
	char *start_bin; /* sequential modes: start this once the old one is gone */
	struct cycle start_cycle;
	struct stopping stopping[MAX_STOPPING];
	size_t nstopping;
	int ever_notified;
	struct notify *nt;
	struct proxy *px;
	int proxy_listen_fd;
	/* --browser: the HTTP-aware proxy on the public address (dev/httpproxy.h) */
	struct httpproxy *hp;
	int browser_fd; /* --listen: the public socket golive keeps; -1 */
	/* watch.include restart: false changes, told to the pages at reload_at */
	struct argv_array reload_files;
	int64_t reload_at;
	char *findings;          /* a built version's findings payload, sent once it serves */
	char *findings_shown;    /* the serving version's: sent again after a static reload */
	struct strbuf ana_found; /* the last fast-path analysis's findings, as text lines */
	/*
	 * when the pages get the findings of every package of the plan, those go
	 * served from its cache included (0: not due): shortly after a new
	 * version serves, so that the pages' reloads go first
	 */
	int64_t findings_at;

	/* the cycle feed for golive lsp (core/devfeed.h): started (truncated) at the first cycle */
	int feed_started;
	struct json_t *feed_errors; /* the failed build's compiler errors, for its cycle's line */

	/* stdin forwarding */
	int in_fd, in_w, in_r, in_eof;
	struct strbuf in_buf; /* read from stdin, not yet taken by the pipe */
};

/* Milliseconds from a to b (monotonic ns). */
static inline double ms_between(int64_t a, int64_t b)
{
	return (double)(b - a) / 1e6;
}

/* ms as a JSON number, rounded down to the microsecond. */
static inline json_t *json_round(double ms)
{
	return json_real((double)(long long)(ms * 1000) / 1000);
}

/* ANSI attributes for the status lines, "" when stderr is no colour terminal. */
static inline const char *c_bold(const struct dev *d)
{
	return d->color ? "\033[1m" : "";
}
static inline const char *c_green(const struct dev *d)
{
	return d->color ? "\033[32m" : "";
}
static inline const char *c_red(const struct dev *d)
{
	return d->color ? "\033[31m" : "";
}
static inline const char *c_dim(const struct dev *d)
{
	return d->color ? "\033[2m" : "";
}
static inline const char *c_off(const struct dev *d)
{
	return d->color ? "\033[0m" : "";
}

/* cmd_dev_output.c */

/* Writes o as one line on stdout (flushed), and frees it. */
void dev_json_line(json_t *o);
/* "850 ms", "1.25 s" */
void dev_fmt_dur(char *buf, size_t n, double ms);
/*
 * The cycle feed (core/devfeed.h): dev_feed_failed() keeps the compiler
 * errors of d->build_log (call it before the log is emptied);
 * dev_report_cycle() appends each ok or failed cycle's line.
 */
void dev_feed_failed(struct dev *d);

/*
 * The cycle's trace, JSON line and status line. build: "ok", "failed",
 * "cancelled", or NULL; pid: the program started, or 0; ready: how it was
 * found ready, or NULL.
 */
void dev_report_cycle(struct dev *d, struct cycle *c, const char *build, pid_t pid,
                      const char *ready);
/* A status line "golive: ..." on stderr, unless --quiet. */
void dev_say(const struct dev *d, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* "exited with status N" or "killed by SIGNAME". */
void dev_describe_exit(const struct supervise_exit *ex, char *buf, size_t n);
/*
 * Prints a fast build's findings where and as golive build prints a full
 * build's: "# importpath" then each diagnostic on stderr (JSON log lines
 * with trace.log_format: json).
 */
void dev_print_findings(const struct dev *d, const devfast_findings_array *a);
/*
 * cmd_dev.c: spawns argv in a new process group with default signals and an
 * empty mask, stdin from /dev/null, stdout to out_fd and stderr to err_fd
 * (-1: /dev/null). The pid, or -1 with *cause.
 */
pid_t dev_spawn_group(char *const argv[], int out_fd, int err_fd, char **cause);

/* cmd_dev_fast.c: the warm-up (stopped before every build, run when idle). */
void dev_stop_warm(struct dev *d);
void dev_run_warm(struct dev *d);
/* Analyses pkgs (a fast build's) and prints the findings; 1 when they reach fail_on. */
int dev_analyse_fast(struct dev *d, const struct argv_array *pkgs);
/*
 * A fast build succeeded: its packages are queued for analysis once the new
 * program serves, or with fail_on analysed now; -1 when findings refuse it.
 */
int dev_fast_findings(struct dev *d);

/* What is watched (JSON and status line), t_start: when the listing began. */
void dev_print_watch(struct dev *d, int64_t t_start);

/* cmd_dev_browser.c: --browser's hooks (all do nothing without it) */

/*
 * --listen: golive's HTTP proxy on the public socket, forwarding to priv, the
 * programs' private loopback address (their lpool.h sockets). 0 or -1.
 */
struct listen_addr;
int dev_browser_listen(struct dev *d, int public_fd, const struct listen_addr *priv);
/* Either proxy: hold (1) or release (0) new connections to the program (not with --listen). */
void dev_proxy_hold(struct dev *d, int hold);
/* Either proxy: its fd to poll, -1; its timeout (-1: none); one round without waiting. */
int dev_proxy_fd(const struct dev *d);
int dev_proxy_timeout(const struct dev *d);
void dev_proxy_run(struct dev *d);
/*
 * Pages: a build started; a build failed (its output in d->build_log, and
 * the findings that refused a fast build); a build succeeded (the findings
 * in its output wait for its version to serve); a version serves (reload,
 * then its findings); the fast path's analysis ended (d->ana_found).
 */
void dev_browser_building(struct dev *d, const struct argv_array *files);
void dev_browser_failed(struct dev *d);
void dev_browser_built(struct dev *d);
void dev_browser_ready(struct dev *d);
void dev_browser_analysed(struct dev *d);
/* At findings_at: every package's findings (the plan's, through the analysis cache). */
void dev_browser_findings_due(struct dev *d);
/*
 * rel matches watch.include's restart: false globs: 1, and the pages are
 * told after the debounce (dev_browser_reload_due); 0 for any other path.
 */
int dev_browser_static(struct dev *d, const char *rel, int is_dir);
/* The debounce of those changes is over (d->reload_at passed): "css" or "reload". */
void dev_browser_reload_due(struct dev *d);

/* cmd_dev_opts.c */

/* Parses golive dev's command line into o; prints the usage and exits for --help. 0 or -1. */
int dev_parse_opts(struct dev_opts *o, int argc, char **argv);
/* Picks the package to run: the option, golive.yaml, else the module's main package. */
int dev_resolve_package(struct dev *d, const char *cwd);
/* Binds --listen's sockets, or --proxy's, from the options or golive.yaml. 0 or -1. */
int dev_setup_sockets(struct dev *d);

#endif
