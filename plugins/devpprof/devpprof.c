/*
 * devpprof - a golive plugin (include/golive/plugin.h) that serves
 * net/http/pprof from every program golive builds in the dev profile,
 * without a line of the program changing.
 *
 *   plugins:
 *     - name: devpprof
 *       path: /usr/local/lib/golive/devpprof.so
 *       sha256: ...
 *       args: { addr: "127.0.0.1:6060" }
 *       timeout: 30s          # the first build lists pprof's export data
 *
 * How: for a compile of package main it writes one more Go file into its
 * work directory (a init() that serves the pprof handlers on addr from a
 * mux of its own, in a goroutine) and adds it to the compile's files; the
 * new imports (net/http, net/http/pprof, os, fmt) get their export data
 * from `go list -export -deps net/http/pprof`, added to a copy of the
 * compile's -importcfg. For every link it adds the packagefile lines of
 * pprof's whole dependency closure to a copy of the link's -importcfg.
 *
 * That go list runs its tools through the same golive (-toolexec, the
 * build's environment): its compiles get the build's -V=full salt, so
 * every package the build already compiled is a hit in go's cache (the
 * very objects the build links) and only what pprof adds (a handful of
 * packages) compiles inside this hook. A plain go list would compile
 * pprof's whole closure again, unsalted, within the plugin's timeout:
 * minutes on a cold cache, and with -trimpath or -race even when plain
 * builds had filled the cache.
 *
 * The export list is cached in $XDG_CACHE_HOME/golive/devpprof, keyed by
 * what decides the files it names: the compiler's -V=full answer through
 * golive (toolchain and salt), GOCACHE, -race, -trimpath and the target
 * environment; every file it names must still exist.
 *
 * It declares GOLIVE_PLUGIN_REWRITES_ARGS: golive runs it in the dev
 * profile only and salts the tools' -V=full answer with its name, version
 * and args, so go's build cache keeps dev objects and plain ones apart.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <golive/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEVPPROF_VERSION "1.0.0"

extern char **environ;

struct devpprof {
	const char *addr;
};

/* A growable list of "importpath=file" lines. */
struct lines {
	char **v;
	size_t n, alloc;
};

static void lines_push(struct lines *l, const char *s, size_t n)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 64;
		l->v = realloc(l->v, l->alloc * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n] = strndup(s, n);
	if (!l->v[l->n])
		abort();
	l->n++;
}

static void lines_split(struct lines *l, const char *buf)
{
	for (const char *p = buf; *p;) {
		size_t n = strcspn(p, "\n");
		if (n)
			lines_push(l, p, n);
		p += n + (p[n] == '\n');
	}
}

static char *read_fd(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			abort();
		if (n + 1 >= cap)
			buf = realloc(buf, cap *= 2);
		if (!buf)
			abort();
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static char *read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *s = read_fd(fd, NULL);
	close(fd);
	return s;
}

static int write_file(const char *path, const char *data, size_t len)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int has_arg(const struct golive_tool_call *c, const char *a)
{
	for (int i = 1; i < c->argc; i++)
		if (strcmp(c->argv[i], a) == 0)
			return 1;
	return 0;
}

/* FNV-1a, for the export list's cache key. */
static unsigned long long fnv(unsigned long long h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;
}

/* mkdir -p for the cache directory. */
static void mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	mkdir(path, 0755);
}

/* Every "path=file" of l names a file that exists. */
static int all_exist(const struct lines *l)
{
	struct stat st;
	for (size_t i = 0; i < l->n; i++) {
		const char *eq = strchr(l->v[i], '=');
		if (!eq || stat(eq + 1, &st) < 0)
			return 0;
	}
	return l->n > 0;
}

/*
 * The environment for the go commands this hook runs: the build's, without
 * TOOLEXEC_IMPORTPATH (go sets it per tool; a nested go must not inherit it).
 */
static char **child_env(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 1, sizeof(*env));
	if (!env)
		abort();
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "TOOLEXEC_IMPORTPATH=", 20) != 0)
			env[k++] = environ[i];
	env[k] = NULL;
	return env;
}

/*
 * Runs argv[0] (an absolute path) with stdin from /dev/null and stderr into
 * the file errpath (never the hook's own: that is the tool's output, which
 * go caches); returns its stdout, NULL when it could not run or did not exit 0.
 */
static char *run(const char *const *argv, const char *errpath, size_t *len)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char **env = child_env();
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		return NULL;
	}
	char *txt = read_fd(pfd[0], len);
	close(pfd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		free(txt);
		return NULL;
	}
	return txt;
}

/* The golive this hook runs in: every hook is a fork of golive's wrapper. */
static int self_exe(char *buf, size_t size)
{
	ssize_t r = readlink("/proc/self/exe", buf, size - 1);
	if (r <= 0 || (size_t)r >= size - 1)
		return -1;
	buf[r] = '\0';
	return 0;
}

/* "-toolexec=" and path, quoted for go's word splitting when needed. */
static int toolexec_flag(char *buf, size_t size, const char *path)
{
	const char *q = "";
	if (strpbrk(path, " \t\r\n'\"")) {
		if (!strchr(path, '\''))
			q = "'";
		else if (!strchr(path, '"'))
			q = "\"";
		else
			return -1;
	}
	int n = snprintf(buf, size, "-toolexec=%s%s%s", q, path, q);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/*
 * pprof's dependency closure with export data, "importpath=file" lines:
 * from the cache, else from go list -export through golive (which builds
 * what is missing: only what the build itself did not compile).
 */
static int export_list(const struct golive_host_api *api, struct golive_host *h,
                       const struct golive_tool_call *c, int trimpath, struct lines *out)
{
	int race = has_arg(c, "-race");
	char self[4096], toolexec[4200];
	if (self_exe(self, sizeof(self)) < 0 ||
	    toolexec_flag(toolexec, sizeof(toolexec), self) < 0) {
		api->log(h, "cannot name golive's executable for go list -toolexec");
		return -1;
	}
	/*
	 * The compiler's -V=full answer through golive names the toolchain and
	 * the build's salt: go list's objects are those of builds that answer
	 * the same (a list made by another Go at the same path, or for another
	 * plugin configuration, is not reused). The compile of main and the
	 * link share the list: the compiler beside the tool made its objects.
	 */
	char compiler[4200];
	const char *slash = strrchr(c->argv[0], '/');
	snprintf(compiler, sizeof(compiler), "%.*s/compile", slash ? (int)(slash - c->argv[0]) : 0,
	         c->argv[0]);
	const char *vargv[] = {self, compiler, "-V=full", NULL};
	char *vfull = run(vargv, "/dev/null", NULL);
	if (!vfull) {
		api->log(h, "golive's answer to compile -V=full failed");
		return -1;
	}
	unsigned long long key = 14695981039346656037ull;
	const char *vars[] = {"GOOS",   "GOARCH",       "GOAMD64", "GOFLAGS", "CGO_ENABLED",
	                      "GOROOT", "GOEXPERIMENT", "GOCACHE", "GOENV"};
	key = fnv(key, c->go);
	key = fnv(key, race ? "race" : "");
	key = fnv(key, trimpath ? "trimpath" : "");
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		key = fnv(fnv(key, vars[i]), getenv(vars[i]));
	/* The compiler's path names the toolchain, -V=full its build and golive's salt. */
	key = fnv(key, compiler);
	key = fnv(key, vfull);
	free(vfull);

	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char dir[4096], path[4200];
	if (xdg && *xdg == '/')
		snprintf(dir, sizeof(dir), "%s/golive/devpprof", xdg);
	else
		snprintf(dir, sizeof(dir), "%s/.cache/golive/devpprof",
		         home && *home ? home : "/tmp");
	snprintf(path, sizeof(path), "%s/%016llx.txt", dir, key);

	char *cached = read_file(path);
	if (cached) {
		lines_split(out, cached);
		free(cached);
		if (all_exist(out))
			return 0;
		for (size_t i = 0; i < out->n; i++)
			free(out->v[i]);
		out->n = 0;
	}

	/* The export data must come from a build like this one: -race and -trimpath alike. */
	const char *argv[12] = {c->go,
	                        "list",
	                        "-export",
	                        "-deps",
	                        toolexec,
	                        "-f",
	                        "{{if .Export}}{{.ImportPath}}={{.Export}}{{end}}"};
	int n = 7;
	if (race)
		argv[n++] = "-race";
	if (trimpath)
		argv[n++] = "-trimpath";
	argv[n++] = "net/http/pprof";
	argv[n] = NULL;
	char errpath[4200];
	snprintf(errpath, sizeof(errpath), "%s/devpprof.golist.%d.err", c->workdir, (int)getpid());
	size_t len = 0;
	char *txt = run(argv, errpath, &len);
	if (!txt) {
		char msg[1024];
		char *err = read_file(errpath);
		snprintf(msg, sizeof(msg), "go list -export net/http/pprof failed: %.900s",
		         err ? err : "");
		api->log(h, msg);
		free(err);
		unlink(errpath);
		return -1;
	}
	unlink(errpath);
	lines_split(out, txt);
	mkdirs(dir);
	if (write_file(path, txt, len) < 0)
		api->log(h, "cannot write the export list cache");
	free(txt);
	return all_exist(out) ? 0 : -1;
}

/* The index of the value of flag in c->argv ("-importcfg" FILE), or -1. */
static int flag_value(const struct golive_tool_call *c, const char *flag)
{
	for (int i = 1; i + 1 < c->argc; i++)
		if (strcmp(c->argv[i], flag) == 0)
			return i + 1;
	return -1;
}

/*
 * A copy of the importcfg file at path with "packagefile P=F" added for
 * every line of l whose import path it lacks (only those in want, when
 * want is not NULL), written to dst.
 */
static int extend_importcfg(const char *path, const struct lines *l, const char *const *want,
                            const char *dst)
{
	char *cfg = read_file(path);
	if (!cfg)
		return -1;
	size_t len = strlen(cfg), cap = len + 64;
	for (size_t i = 0; i < l->n; i++)
		cap += strlen(l->v[i]) + 16;
	char *buf = malloc(cap);
	if (!buf)
		abort();
	memcpy(buf, cfg, len);
	if (len && buf[len - 1] != '\n')
		buf[len++] = '\n';
	for (size_t i = 0; i < l->n; i++) {
		const char *eq = strchr(l->v[i], '=');
		size_t n = (size_t)(eq - l->v[i]);
		int wanted = !want;
		for (size_t k = 0; want && want[k]; k++)
			wanted |= strlen(want[k]) == n && strncmp(want[k], l->v[i], n) == 0;
		if (!wanted)
			continue;
		/* already there? "packagefile P=" at a line start */
		char needle[4200];
		snprintf(needle, sizeof(needle), "packagefile %.*s=", (int)n, l->v[i]);
		int present = strncmp(cfg, needle, strlen(needle)) == 0;
		for (const char *p = strstr(cfg, needle); !present && p; p = strstr(p + 1, needle))
			present = p[-1] == '\n';
		if (present)
			continue;
		len += (size_t)sprintf(buf + len, "packagefile %s\n", l->v[i]);
	}
	int rc = write_file(dst, buf, len);
	free(buf);
	free(cfg);
	return rc;
}

/*
 * Whether the link's importcfg at path describes a -trimpath build: its
 * "modinfo" line holds the build settings as a quoted Go string, where a
 * setting reads \nbuild\t-trimpath=true\n. *has_modinfo: whether there was
 * such a line at all (go >= 1.18 always writes one).
 */
static int link_trimpath(const char *path, int *has_modinfo)
{
	char *cfg = read_file(path);
	*has_modinfo = 0;
	if (!cfg)
		return 0;
	int yes = 0;
	for (char *l = cfg; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, "modinfo ", 8) != 0)
			continue;
		char *end = strchr(l, '\n');
		if (end)
			*end = '\0';
		*has_modinfo = 1;
		yes = strstr(l, "\\nbuild\\t-trimpath=true\\n") != NULL;
		break;
	}
	free(cfg);
	return yes;
}

/* addr goes into Go source as a string literal: printable, no quote or backslash. */
static int addr_ok(const char *a)
{
	if (!*a || strlen(a) > 200)
		return 0;
	for (; *a; a++)
		if (*a < 0x21 || *a > 0x7e || *a == '"' || *a == '\\' || *a == '`')
			return 0;
	return 1;
}

static int dp_init(const struct golive_host_api *api, struct golive_host *h, void **state)
{
	static struct devpprof st;
	const char *addr = api->arg(h, "addr");
	st.addr = addr ? addr : "127.0.0.1:6060";
	if (!addr_ok(st.addr)) {
		api->log(h, "args.addr must be host:port");
		return 1;
	}
	*state = &st;
	return 0;
}

static const char source_fmt[] =
    "// Code generated by golive's devpprof plugin (dev profile only). DO NOT EDIT.\n"
    "\n"
    "package main\n"
    "\n"
    "import (\n"
    "\tgolive_devpprof_fmt \"fmt\"\n"
    "\tgolive_devpprof_http \"net/http\"\n"
    "\tgolive_devpprof_pprof \"net/http/pprof\"\n"
    "\tgolive_devpprof_os \"os\"\n"
    ")\n"
    "\n"
    "func init() {\n"
    "\tmux := golive_devpprof_http.NewServeMux()\n"
    "\tmux.HandleFunc(\"/debug/pprof/\", golive_devpprof_pprof.Index)\n"
    "\tmux.HandleFunc(\"/debug/pprof/cmdline\", golive_devpprof_pprof.Cmdline)\n"
    "\tmux.HandleFunc(\"/debug/pprof/profile\", golive_devpprof_pprof.Profile)\n"
    "\tmux.HandleFunc(\"/debug/pprof/symbol\", golive_devpprof_pprof.Symbol)\n"
    "\tmux.HandleFunc(\"/debug/pprof/trace\", golive_devpprof_pprof.Trace)\n"
    "\tgo func() {\n"
    "\t\terr := golive_devpprof_http.ListenAndServe(\"%s\", mux)\n"
    "\t\tgolive_devpprof_fmt.Fprintf(golive_devpprof_os.Stderr, \"golive devpprof: %%v\\n\", "
    "err)\n"
    "\t}()\n"
    "}\n";

static int dp_before_tool(void *state, const struct golive_host_api *api, struct golive_host *h,
                          const struct golive_tool_call *c)
{
	const struct devpprof *st = state;
	int is_compile = strcmp(c->tool, "compile") == 0 && c->package &&
	                 strcmp(c->package, "main") == 0 && c->importpath &&
	                 !strchr(c->importpath, ' ') && !strstr(c->importpath, ".test");
	int is_link = strcmp(c->tool, "link") == 0;
	int cfg = flag_value(c, "-importcfg");
	if ((!is_compile && !is_link) || cfg < 0 || !c->workdir)
		return 0;
	/* Builds golive cannot extend safely: leave them alone. */
	if (has_arg(c, "-shared") || has_arg(c, "-dynlink") || has_arg(c, "-linkshared"))
		return 0;

	/*
	 * go build -trimpath: go passes the compile "-trimpath DIR=>PATH;$WORK/bNNN=>"
	 * (more than its own $WORK rewrite). The link has no such flag; its
	 * importcfg's modinfo line (the build settings of runtime/debug.BuildInfo,
	 * a Go string) says "build\t-trimpath=true". That holds when the compile of
	 * main came from go's cache too, so the link never pairs an object built
	 * with -trimpath with pprof's export data built without it. A link without
	 * modinfo falls back to the note the compile of main leaves.
	 */
	char note[4200];
	snprintf(note, sizeof(note), "%s/devpprof.trimpath", c->workdir);
	int trimpath = 0;
	if (is_compile) {
		int t = flag_value(c, "-trimpath");
		trimpath = t > 0 && strchr(c->argv[t], ';') != NULL;
		if (trimpath)
			write_file(note, "1\n", 2);
	} else {
		int modinfo = 0;
		trimpath = link_trimpath(c->argv[cfg], &modinfo);
		if (!modinfo)
			trimpath = access(note, F_OK) == 0;
	}
	struct lines exports = {NULL, 0, 0};
	if (export_list(api, h, c, trimpath, &exports) < 0)
		return 2;

	char newcfg[4200], gofile[4200];
	snprintf(newcfg, sizeof(newcfg), "%s/importcfg.%d", c->workdir, (int)getpid());
	static const char *const direct[] = {"fmt", "net/http", "net/http/pprof", "os", NULL};
	if (extend_importcfg(c->argv[cfg], &exports, is_compile ? direct : NULL, newcfg) < 0) {
		api->log(h, "cannot write the extended importcfg");
		return 3;
	}
	const char **argv = calloc((size_t)c->argc + 2, sizeof(*argv));
	if (!argv)
		abort();
	for (int i = 0; i < c->argc; i++)
		argv[i] = i == cfg ? newcfg : c->argv[i];
	int argc = c->argc;
	if (is_compile) {
		snprintf(gofile, sizeof(gofile), "%s/golive_devpprof_%d.go", c->workdir,
		         (int)getpid());
		char src[sizeof(source_fmt) + 256];
		int n = snprintf(src, sizeof(src), source_fmt, st->addr);
		if (n < 0 || (size_t)n >= sizeof(src) || write_file(gofile, src, (size_t)n) < 0) {
			api->log(h, "cannot write the generated Go file");
			free(argv);
			return 4;
		}
		argv[argc++] = gofile; /* the compile's files come last */
	}
	int rc = api->set_args(h, argc, argv) == 0 ? 0 : 5;
	free(argv);
	for (size_t i = 0; i < exports.n; i++)
		free(exports.v[i]);
	free(exports.v);
	return rc;
}

const struct golive_plugin_v1 golive_plugin_v1 = {
    .abi_version = GOLIVE_PLUGIN_ABI,
    .struct_size = sizeof(struct golive_plugin_v1),
    .name = "devpprof",
    .version = DEVPPROF_VERSION,
    .flags = GOLIVE_PLUGIN_REWRITES_ARGS,
    .init = dp_init,
    .before_tool = dp_before_tool,
};
