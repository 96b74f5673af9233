/* toolexec.c - see toolexec.h. */
#define _GNU_SOURCE
#include "wrapper/toolexec.h"
#include "trace/tracectx.h"
#include "analysis/anacache.h"
#include "core/config.h"
#include "wrapper/devplan.h"
#include "wrapper/event.h"
#include "core/proc.h"
#include "cache/rcache.h"
#include "wrapper/analyser.h"
#include "wrapper/session.h"
#include "wrapper/toolargs.h"
#include "plugin/plugin.h"
#include "plugin/plugin_check.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Replaces this process with the tool. */
static NORETURN void exec_tool(char **argv)
{
	if (argv[0][0] == '/')
		execv(argv[0], argv);
	else
		execvp(argv[0], argv);
	int e = errno;
	fprintf(stderr, "golive: cannot run %s: %s\n", argv[0], strerror(e));
	exit(e == ENOENT ? 127 : 126);
}

/* Appends one line to a file of the session with one write(); errors are ignored. */
static void append_line(const char *session, const char *file, const char *line, size_t len)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", session, file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	/* One write(): O_APPEND makes it atomic against the other wrappers. */
	(void)!write(fd, line, len);
	close(fd);
}

/* ---- analysing a compile's package ---------------------------------------- */

/* One compile's analysis: what to run, on which files, and what it found. */
struct job {
	const struct analysis_settings *settings;
	struct anacache cache;
	struct pkgsrc ps;
	char key[ANACACHE_KEY_HEX + 1];
	diag_array diags;
	int done; /* 1 when the package was analysed (diags is its result) */
};

static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/*
 * go's object directory for a compile ($WORK/bNNN, the -o file's directory;
 * malloc'd), or NULL: cgo, cover and go test write their generated files there.
 */
static char *work_dir(const struct tool_invocation *ti)
{
	if (!ti->output || ti->output[0] != '/')
		return NULL;
	const char *s = strrchr(ti->output, '/');
	return s > ti->output ? xstrndup(ti->output, (size_t)(s - ti->output)) : NULL;
}

static int has_arg(const struct tool_invocation *ti, const char *arg)
{
	for (size_t i = 0; i < ti->first_file && i < ti->nargs; i++)
		if (strcmp(ti->args[i], arg) == 0)
			return 1;
	return 0;
}

/*
 * The package's user sources: the compile's files with $WORK files mapped
 * back to their originals, kept when under root and not under root/vendor
 * (every file when root is NULL).
 */
static void select_sources(const struct tool_invocation *ti, const char *root,
                           struct argv_array *out)
{
	struct argv_array all = ARGV_ARRAY_INIT;
	char *work = work_dir(ti);
	pkgsrc_resolve(ti->args + ti->first_file, ti->nfiles, work, &all);
	char *vendor = root ? xasprintf("%s/vendor", root) : NULL;
	for (size_t i = 0; i < all.argc; i++)
		if (!root || (under(all.argv[i], root) && !under(all.argv[i], vendor)))
			argv_push(out, all.argv[i]);
	free(vendor);
	free(work);
	argv_clear(&all);
}

/*
 * Loads files and analyses them (through the cache at cache_dir) as the Go
 * version the compile ti is for: its -lang, else (go before 1.21 passes
 * none outside modules, nor for a go line newer than itself) the
 * toolchain's version, $GOVERSION, which go sets for its tools; else
 * unknown (the newest Go). job->done on success.
 */
static void job_run(struct job *job, const struct analysis_settings *s, const char *cache_dir,
                    const struct argv_array *files, const struct tool_invocation *ti)
{
	struct analysis_ctx *ctx = NULL;
	char *cause = NULL;
	job->settings = s;
	if (anacache_open(&job->cache, cache_dir, &cause) < 0) {
		free(cause); /* no cache: analyse anyway */
		cause = NULL;
	}
	if (analyser_package(&job->cache, s, &ctx, files->argv, files->argc,
	                     ti->lang ? ti->lang : getenv("GOVERSION"), &job->ps, job->key,
	                     &job->diags, &cause) == 0)
		job->done = 1;
	free(cause);
	if (ctx)
		analysis_ctx_free(ctx);
}

static void job_release(struct job *job)
{
	anacache_close(&job->cache);
	pkgsrc_release(&job->ps);
	diag_array_release(&job->diags);
}

/*
 * After a successful compile whose findings reach fail_on: prints them (go
 * shows them under "# pkg" and does not cache the failed action) and
 * returns 1; otherwise returns 0 and prints nothing.
 */
static int fail_if_needed(const struct job *job, int status, enum fail_on fail_on)
{
	if (!job->done || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    !diag_fails(&job->diags, fail_on))
		return 0;
	for (size_t i = 0; i < job->diags.n; i++)
		diag_print_text(&job->diags.v[i], stderr, NULL);
	fprintf(stderr, "golive: findings reach analyzers.fail_on (%s)\n", fail_on_name(fail_on));
	return 1;
}

/* ---- without a session ----------------------------------------------------- */

/* The first source file of the compile that is not in go's $WORK, or NULL. */
static const char *first_user_file(const struct tool_invocation *ti, const char *work)
{
	for (size_t i = ti->first_file; i < ti->first_file + ti->nfiles; i++)
		if (!work || !under(ti->args[i], work))
			return ti->args[i];
	return NULL;
}

/* GOROOT from the tool's path ($GOROOT/pkg/tool/<os_arch>/compile), malloc'd, or NULL. */
static char *goroot_of_tool(const char *tool)
{
	const char *p = strstr(tool, "/pkg/tool/");
	const char *next;
	while (p && (next = strstr(p + 1, "/pkg/tool/")))
		p = next;
	return p && p > tool ? xstrndup(tool, (size_t)(p - tool)) : NULL;
}

/*
 * No session, a compile golive does not analyse: through the shared cache
 * when GOLIVE_CACHE names one (rcache.h), else an execv of the tool.
 */
static NORETURN void run_plain(int argc, char **argv)
{
	const char *c = getenv("GOLIVE_CACHE");
	struct rcache rc;
	struct event ev;
	if (!c || !*c)
		exec_tool(argv + 1);
	memset(&ev, 0, sizeof(ev));
	if (rcache_begin(&rc, NULL, NULL, argc - 1, argv + 1, "", &ev) == 1)
		exit(0); /* restored from the cache */
	if (!rc.active) {
		rcache_release(&rc);
		event_release(&ev);
		exec_tool(argv + 1);
	}
	struct proc_opts opts = PROC_OPTS_INIT;
	char *cause = NULL;
	int status = 0;
	opts.use_path = argv[1][0] != '/';
	rcache_capture(&rc, &opts);
	int64_t t0 = now_mono_ns();
	pid_t pid = proc_spawn(argv + 1, &opts, &cause);
	if (pid < 0) {
		fprintf(stderr, "golive: %s\n", cause);
		exit(127);
	}
	if (proc_wait(pid, &status, NULL) < 0) {
		fprintf(stderr, "golive: waiting for %s: %s\n", argv[1], strerror(errno));
		exit(1);
	}
	rcache_end(&rc, status, now_mono_ns() - t0, &ev);
	rcache_release(&rc);
	event_release(&ev);
	proc_exit_like(status);
}

/*
 * Plain `go build -toolexec=golive`: analysis only for a compile of the
 * main module (the module holding go's cwd) whose golive.yaml sets
 * analyzers.fail_on. Everything else is an execv of the tool, after a few
 * string compares and, for non-std packages, a stat walk up to go.mod.
 */
static NORETURN void run_without_session(int argc, char **argv)
{
	struct tool_invocation ti;
	struct golive_config cfg;
	struct argv_array files = ARGV_ARRAY_INIT;
	struct strbuf buf = STRBUF_INIT;
	struct job job;
	char *work = NULL, *goroot = NULL, *cfg_path = NULL, *root = NULL, *cause = NULL;
	char cwd[PATH_MAX];
	const char *first;

	if (argv[1][0] != '/' || toolargs_kind(argv[1], NULL, 0) != TOOL_COMPILE)
		exec_tool(argv + 1);
	toolargs_classify(&ti, argc, argv);
	if (ti.probe || !ti.nfiles || has_arg(&ti, "-std"))
		run_plain(argc, argv);
	work = work_dir(&ti);
	first = first_user_file(&ti, work);
	goroot = goroot_of_tool(argv[1]);
	if (!first || first[0] != '/' || (goroot && under(first, goroot)))
		run_plain(argc, argv);
	{
		char *dir = xstrdup(first);
		*strrchr(dir, '/') = '\0';
		int rc = config_find(*dir ? dir : "/", &cfg_path, &root, &cause);
		free(dir);
		if (rc < 0 || !cfg_path || !getcwd(cwd, sizeof(cwd)) ||
		    (strcmp(cwd, root) != 0 && !under(cwd, root)))
			run_plain(argc, argv); /* no golive.yaml, or not the main module */
	}

	config_init(&cfg);
	if (strbuf_read_file(&buf, cfg_path, CONFIG_MAX_SIZE) < 0) {
		fprintf(stderr, "golive: %s: %s\n", cfg_path, file_strerror(errno));
		exit(1);
	}
	if (config_parse(&cfg, cfg_path, buf.buf, buf.len, &cause) < 0) {
		/* A broken golive.yaml must not silently switch a CI gate off. */
		fprintf(stderr, "golive: %s\n", cause);
		exit(1);
	}
	if (cfg.analysis.fail_on == FAIL_NEVER)
		run_plain(argc, argv);
	select_sources(&ti, cfg.analysis.include_deps ? NULL : root, &files);
	if (!files.argc)
		run_plain(argc, argv);

	struct proc_opts opts = PROC_OPTS_INIT;
	struct rcache rc;
	struct event ev;
	int status = 0;
	pid_t pid = -1;
	memset(&ev, 0, sizeof(ev));
	const char *shared = getenv("GOLIVE_CACHE");
	int hit = 0;
	if (shared && *shared)
		hit = rcache_begin(&rc, NULL, &ti, argc - 1, argv + 1, "", &ev);
	else
		rcache_init(&rc);
	int64_t t0 = now_mono_ns();
	if (!hit) {
		rcache_capture(&rc, &opts);
		pid = proc_spawn(argv + 1, &opts, &cause);
		if (pid < 0) {
			fprintf(stderr, "golive: %s\n", cause);
			exit(127);
		}
	}
	memset(&job, 0, sizeof(job));
	/* compiled rules kept beside the findings: the next compile loads them */
	cfg.analysis.blob_dir = anacache_default_dir();
	cfg.analysis.root = root ? xstrdup(root) : NULL;
	job_run(&job, &cfg.analysis, NULL, &files, &ti);
	if (pid > 0 && proc_wait(pid, &status, NULL) < 0) {
		fprintf(stderr, "golive: waiting for %s: %s\n", argv[1], strerror(errno));
		exit(1);
	}
	if (!hit)
		rcache_end(&rc, status, now_mono_ns() - t0, &ev);
	rcache_release(&rc);
	event_release(&ev);
	int failed = fail_if_needed(&job, status, cfg.analysis.fail_on);
	job_release(&job);
	config_release(&cfg);
	strbuf_release(&buf);
	argv_clear(&files);
	free(work);
	free(goroot);
	free(cfg_path);
	free(root);
	toolargs_release(&ti);
	if (failed)
		exit(1);
	proc_exit_like(status);
}

/* ---- with a session ------------------------------------------------------------ */

/* Appends the job's findings to <session>/diags.jsonl (one line, one write). */
static void record_diags(const char *session, const struct tool_invocation *ti,
                         const struct job *job, int printed)
{
	struct pkg_diags p;
	memset(&p, 0, sizeof(p));
	p.importpath = getenv("TOOLEXEC_IMPORTPATH");
	p.pkg = (char *)ti->pkg;
	p.dir = job->ps.dir;
	p.key = (char *)job->key;
	p.printed = printed;
	p.diags = job->diags;
	size_t len = 0;
	char *line = pkg_diags_encode(&p, &len);
	if (line)
		append_line(session, DIAGS_FILE, line, len);
	free(line);
}

/* The first compile of the build compiles the rules, the others load them. */
static void session_settings(struct session_analysis *sa, const char *session)
{
	sa->settings.blob_dir = xstrdup(session);
	sa->settings.root = xstrdup(sa->root);
}

/*
 * Whether golive build asked for the analysis of this compile and the
 * package is in the main module (or include_deps): 1 with the sources in
 * files, else 0. With <session>/analysis.defer, *deferred is set and
 * analysis.json is left to the session's analyser (analyser.h); otherwise
 * sa holds analysis.json.
 */
static int analysis_wanted(const char *session, const struct tool_invocation *ti,
                           struct session_analysis *sa, struct argv_array *files, int *deferred)
{
	char *cause = NULL, *root = NULL;
	int include_deps = 0;
	*deferred = 0;
	if (ti->kind != TOOL_COMPILE || ti->probe || !ti->nfiles)
		return 0;
	if (session_read_defer(session, &include_deps, &root)) {
		select_sources(ti, include_deps ? NULL : root, files);
		free(root);
		*deferred = 1;
		return files->argc > 0;
	}
	if (session_read_analysis(session, sa, &cause) != 1) {
		free(cause);
		return 0;
	}
	select_sources(ti, sa->settings.include_deps ? NULL : sa->root, files);
	session_settings(sa, session);
	return files->argc > 0;
}

/* ---- plugins (plugin.h; in the session only, never in the prod profile) ------- */

/* go's command for plugins: $GOROOT/bin/go from the tool's path, or "go". */
static char *go_of_tool(const char *tool)
{
	char *goroot = goroot_of_tool(tool);
	char *go = goroot ? xasprintf("%s/bin/go", goroot) : xstrdup("go");
	free(goroot);
	return go;
}

/*
 * A plugin failed: one line in the session's plugins.log; and when it is
 * required, or rewrites arguments (running the tool without it would put an
 * unmodified object into go's cache under the salted tool ID), the tool
 * fails here with that line on stderr.
 */
static void plugin_failed(const char *session, const struct plugin *p, const char *cause)
{
	plugin_log_failure(session, p, cause);
	if (p->required || (p->flags & GOLIVE_PLUGIN_REWRITES_ARGS)) {
		fprintf(stderr, "golive: %s%s\n", cause,
		        p->required ? " (required: true)" : " (it rewrites this tool's arguments)");
		exit(1);
	}
}

/*
 * -V=full with rewriting plugins: the tool's answer with the plugins' salt
 * in it (plugin_salt_line), so go's cache keeps their objects apart.
 */
static NORETURN void salted_version(char **argv, const char *salt)
{
	int pfd[2];
	struct proc_opts opts = PROC_OPTS_INIT;
	char *cause = NULL;
	int status = 0;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		die_errno("pipe");
	opts.use_path = argv[0][0] != '/';
	opts.stdout_fd = pfd[1];
	pid_t pid = proc_spawn(argv, &opts, &cause);
	close(pfd[1]);
	if (pid < 0) {
		fprintf(stderr, "golive: %s\n", cause);
		exit(127);
	}
	struct strbuf out = STRBUF_INIT, line = STRBUF_INIT, salted = STRBUF_INIT;
	strbuf_read_fd(&out, pfd[0], 1u << 20, NULL);
	close(pfd[0]);
	if (proc_wait(pid, &status, NULL) < 0)
		exit(1);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		size_t n = strcspn(out.buf, "\n");
		strbuf_add(&line, out.buf, n);
		if (plugin_salt_line(line.buf, salt, &salted) == 0) {
			strbuf_addstr(&salted, out.buf + n); /* the newline and anything after */
			(void)write_all(1, salted.buf, salted.len);
			exit(0);
		}
	}
	(void)write_all(1, out.buf, out.len); /* not an answer we know: go will say so */
	proc_exit_like(status);
}

/*
 * The wrapper's own peak RSS in KiB. Not ru_maxrss: Linux carries the high
 * watermark across execve(), and go starts each wrapper with vfork-like
 * clone(CLONE_VM), so ru_maxrss would report go's own memory. VmHWM in
 * /proc/self/status belongs to this address space only. Falls back to
 * ru_maxrss when /proc is not readable.
 */
static long self_peak_rss_kb(long fallback)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fallback;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return fallback;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nVmHWM:");
	return p ? strtol(p + 8, NULL, 10) : fallback;
}

void toolexec_main(int argc, char **argv)
{
	/* The prod profile (docs/profiles.md): plain go build, nothing read, nothing recorded. */
	const char *profile = getenv("GOLIVE_PROFILE");
	if (profile && strcmp(profile, "prod") == 0)
		exec_tool(argv + 1);

	const char *session = getenv("GOLIVE_SESSION");
	if (!session || !*session)
		run_without_session(argc, argv);

	struct tool_invocation ti;
	struct event ev;
	struct rusage ru, self;
	struct proc_opts opts = PROC_OPTS_INIT;
	struct session_analysis sa;
	struct job job;
	char *cause = NULL;
	int status = 0, failed = 0;

	toolargs_classify(&ti, argc, argv);
	memset(&ev, 0, sizeof(ev));
	memset(&sa, 0, sizeof(sa));
	memset(&job, 0, sizeof(job));
	opts.use_path = argv[1][0] != '/';

	/* Plugins golive build verified for this session (plugins.json), if any. */
	plugin_array plugins = ARRAY_INIT;
	struct argv_array tool_argv = ARGV_ARRAY_INIT, files = ARGV_ARRAY_INIT;
	char salt[17] = "";
	if (plugins_read_session(session, &plugins, &cause) < 0) {
		struct plugin none = {0};
		none.name = (char *)"plugins.json";
		plugin_log_failure(session, &none, cause); /* golive's own file: go on without */
		free(cause);
		cause = NULL;
		plugin_array_release(&plugins);
	}
	if (plugins.n)
		plugins_salt(&plugins, salt);
	if (ti.probe && salt[0] && argc >= 3 && strcmp(argv[2], "-V=full") == 0)
		salted_version(argv + 1, salt);
	/* The tool's argv: go's, unless a plugin rewrites it (no copy without plugins). */
	char **run_argv = argv + 1;
	char *go = NULL, *workdir = NULL;
	struct golive_tool_call call;
	memset(&call, 0, sizeof(call));
	if (plugins.n && !ti.probe) {
		for (int i = 1; i < argc; i++)
			argv_push(&tool_argv, argv[i]);
		go = go_of_tool(argv[1]);
		workdir = xasprintf("%s/plugin-work", session);
		mkdir(workdir, 0700);
		call.tool = ti.name;
		call.importpath = getenv("TOOLEXEC_IMPORTPATH");
		call.package = ti.pkg;
		call.workdir = workdir;
		call.go = go;
		for (size_t i = 0; i < plugins.n; i++) {
			const struct plugin *p = &plugins.v[i];
			if (!(p->hooks & PLUGIN_HOOK_BEFORE))
				continue;
			call.argc = (int)tool_argv.argc;
			call.argv = (const char *const *)tool_argv.argv;
			struct argv_array next = ARGV_ARRAY_INIT;
			int rc = plugin_before_tool(p, session, &call, &next, &cause);
			if (rc < 0) {
				plugin_failed(session, p, cause);
				free(cause);
				cause = NULL;
			} else if (rc == 1) {
				argv_clear(&tool_argv);
				tool_argv = next;
				continue;
			}
			argv_clear(&next);
		}
		call.argc = (int)tool_argv.argc;
		call.argv = (const char *const *)tool_argv.argv;
		run_argv = tool_argv.argv;
	}

	/*
	 * This invocation's span: a child of golive build's (TRACEPARENT), and
	 * the parent of whatever the tool itself traces.
	 */
	const char *tp = getenv("TRACEPARENT");
	if (tp && *tp && !ti.probe) {
		struct trace_ctx in, me;
		char *why = NULL, buf[TRACEPARENT_LEN + 1];
		if (tracectx_parse_traceparent(tp, &in, &why) == 0 &&
		    tracectx_child(&in, &me) == 0) {
			ev.has_span = 1;
			memcpy(ev.trace_id, me.trace_id, sizeof(ev.trace_id));
			memcpy(ev.span_id, me.span_id, sizeof(ev.span_id));
			memcpy(ev.parent_id, in.span_id, sizeof(ev.parent_id));
			tracectx_format_traceparent(&me, buf);
			setenv("TRACEPARENT", buf, 1);
		}
		free(why);
	}

	/*
	 * The analysis of a compile's sources: by the session's analyser after
	 * the compile when golive build started one (analyser.h), else here
	 * while the compiler runs.
	 */
	int deferred = 0;
	int analyse = analysis_wanted(session, &ti, &sa, &files, &deferred);
	if (analyse && deferred &&
	    (plugins.n || analyser_request(session, getenv("TOOLEXEC_IMPORTPATH"), ti.pkg,
	                                   ti.lang ? ti.lang : getenv("GOVERSION"), &files) < 0)) {
		/* with plugins, or when the queue is gone: here, while the compiler runs */
		deferred = 0;
		analyse = session_read_analysis(session, &sa, &cause) == 1;
		free(cause);
		cause = NULL;
		if (analyse)
			session_settings(&sa, session);
	}

	/* The shared compile cache (rcache.h): a verified hit means the tool does not run. */
	struct rcache rc;
	int hit = 0;
	rcache_init(&rc);
	if (ti.kind == TOOL_COMPILE && !ti.probe) {
		int run_argc = plugins.n ? (int)tool_argv.argc : argc - 1;
		/* ti describes run_argv unless a plugin rewrote the arguments */
		hit = rcache_begin(&rc, session, plugins.n ? NULL : &ti, run_argc, run_argv, salt,
		                   &ev);
	}
	ev.start_ns = now_unix_ns();
	int64_t t0 = now_mono_ns();
	pid_t pid = -1;
	memset(&ru, 0, sizeof(ru));
	/* golive dev's build: the sources as this compile will read them (devplan.h) */
	struct devplan_sources dsrc;
	devplan_sources_read(plugins.n ? NULL : getenv(DEVPLAN_ENV), &ti, &dsrc);
	if (!hit) {
		rcache_capture(&rc, &opts);
		pid = proc_spawn(run_argv, &opts, &cause);
		if (pid < 0) {
			fprintf(stderr, "golive: %s\n", cause);
			exit(127);
		}
	}
	/* golive build draws "compiling <pkg>" from this marker (TTY only). */
	if (ti.kind == TOOL_COMPILE && !ti.probe && getenv("GOLIVE_PROGRESS")) {
		const char *ip = getenv("TOOLEXEC_IMPORTPATH");
		char line[1024];
		int n = snprintf(line, sizeof(line), "%s\n", ip ? ip : ti.pkg ? ti.pkg : "");
		if (n > 0 && (size_t)n < sizeof(line))
			append_line(session, "started", line, (size_t)n);
	}
	/* Measure the inputs and analyse the sources while the tool runs. */
	ev.files = (long)ti.nfiles;
	ev.bytes = toolargs_source_bytes(&ti);
	if (analyse && !deferred)
		job_run(&job, &sa.settings, sa.cache, &files, &ti);
	/* Plugins' analyze_file hooks on the same files, while the compiler runs. */
	diag_array plugin_diags = ARRAY_INIT;
	for (size_t i = 0; files.argc && i < plugins.n; i++) {
		const struct plugin *p = &plugins.v[i];
		if (!(p->hooks & PLUGIN_HOOK_FILE))
			continue;
		if (plugin_analyze_files(p, session, &files, &plugin_diags, &cause) < 0) {
			plugin_failed(session, p, cause);
			free(cause);
			cause = NULL;
		}
	}
	if (pid > 0 && proc_wait(pid, &status, &ru) < 0) {
		fprintf(stderr, "golive: waiting for %s: %s\n", argv[1], strerror(errno));
		exit(1);
	}
	ev.wall_ns = now_mono_ns() - t0;
	/* golive dev's build: how to replay this compile or link (devplan.h). */
	if (!plugins.n && WIFEXITED(status) && WEXITSTATUS(status) == 0 && getenv(DEVPLAN_ENV))
		devplan_record(getenv(DEVPLAN_ENV), &ti, run_argv, &dsrc);
	devplan_sources_release(&dsrc);
	if (!hit)
		rcache_end(&rc, status, ev.wall_ns, &ev);
	rcache_release(&rc);

	if (job.done || plugin_diags.n) {
		/* The plugins' findings join golive's own, under the same fail_on. */
		for (size_t i = 0; i < plugin_diags.n; i++) {
			ARRAY_PUSH(job.diags, plugin_diags.v[i]);
			memset(&plugin_diags.v[i], 0, sizeof(plugin_diags.v[i]));
		}
		int done = job.done;
		job.done = 1;
		failed = fail_if_needed(&job, status, sa.settings.fail_on);
		if (!done && !job.ps.dir && files.argc) {
			/* no analysis of its own (not asked for): the package's dir for golive
			 * build */
			char *dir = xstrdup(files.argv[0]);
			char *slash = strrchr(dir, '/');
			if (slash)
				*slash = '\0';
			job.ps.dir = dir;
		}
		record_diags(session, &ti, &job, failed);
		ev.analysed = 1;
		ev.diags = (long)job.diags.n;
	}
	diag_array_release(&plugin_diags);
	if (plugins.n && !ti.probe) {
		struct golive_tool_result res = {
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0,
		    ev.wall_ns,
		    proc_tv_ns(&ru.ru_utime),
		    proc_tv_ns(&ru.ru_stime),
		    ru.ru_maxrss,
		};
		for (size_t i = 0; i < plugins.n; i++) {
			const struct plugin *p = &plugins.v[i];
			if (!(p->hooks & PLUGIN_HOOK_AFTER))
				continue;
			if (plugin_after_tool(p, session, &call, &res, &cause) < 0) {
				plugin_failed(session, p, cause);
				free(cause);
				cause = NULL;
			}
		}
	}

	ev.tool = ti.name;
	ev.path = argv[1];
	ev.importpath = getenv("TOOLEXEC_IMPORTPATH");
	ev.pkg = (char *)ti.pkg;
	ev.probe = ti.probe;
	ev.tool_user_ns = proc_tv_ns(&ru.ru_utime);
	ev.tool_sys_ns = proc_tv_ns(&ru.ru_stime);
	ev.tool_maxrss_kb = ru.ru_maxrss;
	ev.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	ev.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	getrusage(RUSAGE_SELF, &self);
	ev.self_user_ns = proc_tv_ns(&self.ru_utime);
	ev.self_sys_ns = proc_tv_ns(&self.ru_stime);
	ev.self_maxrss_kb = self_peak_rss_kb(self.ru_maxrss);

	size_t len = 0;
	char *line = event_encode(&ev, &len);
	if (line)
		append_line(session, EVENTS_FILE, line, len);
	free(line);
	job_release(&job);
	session_analysis_release(&sa);
	toolargs_release(&ti);
	plugin_array_release(&plugins);
	argv_clear(&tool_argv);
	argv_clear(&files);
	free(go);
	free(workdir);
	if (failed)
		exit(1);
	proc_exit_like(status);
}
