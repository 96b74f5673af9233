/*
 * plugin.c - see plugin.h: the session's plugin list, the cache salt, and
 * running hooks in child processes.
 *
 * Every hook call is one child: a fork that loads the .so (through
 * /proc/self/fd of the session copy) and calls the hook, or the exec:
 * program started on the session copy with fexecve(). Either way the child
 * answers one JSON object on a pipe:
 *   describe:     {"name", "version", "rewrites_args": bool, "hooks": [...]}
 *   before_tool:  {"args": [...]}          (absent or null: unchanged)
 *   after_tool:   {}
 *   analyze_file: {"diagnostics": [{"file","line","col","severity","message"}]}
 *   any:          "log": [lines] for the session's plugins.log,
 *                 "error": "..." for a failure the plugin reports itself.
 * The parent waits at most the plugin's timeout, then SIGKILLs the child's
 * process group. A child that dies, times out, exits non-zero or answers
 * something else is a failure named in one line.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "plugin/plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <tree_sitter/api.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/jsonl.h"
#include "plugin/plugin_check.h"

#ifndef GOLIVE_VERSION_STRING
#define GOLIVE_VERSION_STRING "dev"
#endif

#define ANSWER_MAX (16u << 20) /* what a plugin may answer */

const TSLanguage *tree_sitter_go(void);

extern char **environ;

/* ---- the session's list ----------------------------------------------------- */

static const char *const hook_names[] = {"before_tool", "after_tool", "analyze_file"};

static json_t *plugin_to_json(const struct plugin *p)
{
	json_t *o = json_object(), *args = json_array(), *hooks = json_array();
	for (size_t i = 0; i < p->args.argc; i++)
		json_array_append_new(args, json_string_lossy(p->args.argv[i]));
	for (size_t i = 0; i < ARRAY_SIZE(hook_names); i++)
		if (p->hooks & (1u << i))
			json_array_append_new(hooks, json_string(hook_names[i]));
	json_object_set_new(o, "name", json_string_lossy(p->name));
	json_object_set_new(o, "version", json_string_lossy(p->version ? p->version : ""));
	json_object_set_new(o, "kind", json_string(p->kind == PLUGIN_SO ? "so" : "exec"));
	json_object_set_new(o, "source", json_string_lossy(p->source ? p->source : ""));
	json_object_set_new(o, "file", json_string_lossy(p->file ? p->file : ""));
	json_object_set_new(o, "sha256", json_string_lossy(p->sha256 ? p->sha256 : ""));
	json_object_set_new(o, "args", args);
	json_object_set_new(o, "timeout_ms", json_integer(p->timeout_ms));
	json_object_set_new(o, "required", json_boolean(p->required));
	json_object_set_new(o, "rewrites_args",
	                    json_boolean(p->flags & GOLIVE_PLUGIN_REWRITES_ARGS));
	json_object_set_new(o, "hooks", hooks);
	return o;
}

int plugins_write_session(const char *session, const plugin_array *a, char **cause)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < a->n; i++)
		json_array_append_new(arr, plugin_to_json(&a->v[i]));
	json_t *doc = json_object();
	json_object_set_new(doc, "plugins", arr);
	size_t len = 0;
	char *txt = jsonl_encode(doc, &len);
	char *path = xasprintf("%s/%s", session, PLUGINS_FILE);
	char *tmp = xasprintf("%s.tmp", path);
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (!txt)
		*cause = xasprintf("%s: cannot encode the plugin list", path);
	else if (fd < 0 || write_all(fd, txt, len) < 0 || close(fd) < 0 || rename(tmp, path) < 0)
		*cause = xasprintf("%s: %s", path, strerror(errno));
	else
		rc = 0;
	if (rc < 0 && fd >= 0)
		unlink(tmp);
	free(txt);
	free(path);
	free(tmp);
	return rc;
}

static int get_string(json_t *o, const char *key, char **out)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s)
		return -1;
	*out = xstrdup(s);
	return 0;
}

/* One entry of plugins.json. 0, or -1 (p released). */
static int plugin_from_json(json_t *o, struct plugin *p)
{
	memset(p, 0, sizeof(*p));
	const char *kind = json_string_value(json_object_get(o, "kind"));
	json_t *args = json_object_get(o, "args"), *hooks = json_object_get(o, "hooks");
	json_t *timeout = json_object_get(o, "timeout_ms");
	if (!json_is_object(o) || !kind || !json_is_array(args) || !json_is_array(hooks) ||
	    !json_is_integer(timeout) || get_string(o, "name", &p->name) ||
	    get_string(o, "version", &p->version) || get_string(o, "source", &p->source) ||
	    get_string(o, "file", &p->file) || get_string(o, "sha256", &p->sha256))
		goto bad;
	if (strcmp(kind, "so") == 0)
		p->kind = PLUGIN_SO;
	else if (strcmp(kind, "exec") == 0)
		p->kind = PLUGIN_EXEC;
	else
		goto bad;
	size_t i;
	json_t *v;
	json_array_foreach(args, i, v)
	{
		if (!json_is_string(v))
			goto bad;
		argv_push(&p->args, json_string_value(v));
	}
	json_array_foreach(hooks, i, v)
	{
		for (size_t k = 0; k < ARRAY_SIZE(hook_names); k++)
			if (json_is_string(v) && strcmp(json_string_value(v), hook_names[k]) == 0)
				p->hooks |= 1u << k;
	}
	p->timeout_ms = (int)json_integer_value(timeout);
	p->required = json_is_true(json_object_get(o, "required"));
	if (json_is_true(json_object_get(o, "rewrites_args")))
		p->flags |= GOLIVE_PLUGIN_REWRITES_ARGS;
	return 0;
bad:
	plugin_release(p);
	return -1;
}

int plugins_read_session(const char *session, plugin_array *a, char **cause)
{
	char *path = xasprintf("%s/%s", session, PLUGINS_FILE);
	struct strbuf sb = STRBUF_INIT;
	int rc = 1;
	if (strbuf_read_file(&sb, path, 4u << 20) < 0) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc < 0)
			*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	json_error_t jerr;
	json_t *doc = json_loadb(sb.buf, sb.len, 0, &jerr);
	json_t *arr = json_object_get(doc, "plugins");
	if (!json_is_array(arr)) {
		*cause = xasprintf("%s: not a plugin list", path);
		rc = -1;
	} else {
		size_t i;
		json_t *o;
		json_array_foreach(arr, i, o)
		{
			struct plugin p;
			if (plugin_from_json(o, &p) < 0) {
				*cause = xasprintf("%s: plugins[%zu] is malformed", path, i);
				rc = -1;
				break;
			}
			ARRAY_PUSH(*a, p);
		}
	}
	json_decref(doc);
out:
	strbuf_release(&sb);
	free(path);
	return rc;
}

/* ---- the cache salt ------------------------------------------------------- */

void plugins_salt(const plugin_array *a, char out[17])
{
	struct strbuf sb = STRBUF_INIT;
	int any = 0;
	strbuf_addstr(&sb, "golive ");
	strbuf_addstr(&sb, GOLIVE_VERSION_STRING);
	strbuf_addch(&sb, '\n');
	for (size_t i = 0; i < a->n; i++) {
		const struct plugin *p = &a->v[i];
		if (!(p->flags & GOLIVE_PLUGIN_REWRITES_ARGS))
			continue;
		any = 1;
		/* NUL-separated: no name, version or arg can run into the next. */
		strbuf_add(&sb, p->name, strlen(p->name) + 1);
		strbuf_add(&sb, p->version ? p->version : "",
		           strlen(p->version ? p->version : "") + 1);
		for (size_t k = 0; k < p->args.argc; k++)
			strbuf_add(&sb, p->args.argv[k], strlen(p->args.argv[k]) + 1);
		strbuf_addch(&sb, '\n');
	}
	if (any)
		snprintf(out, 17, "%016llx", (unsigned long long)XXH3_64bits(sb.buf, sb.len));
	else
		out[0] = '\0';
	strbuf_release(&sb);
}

int plugin_salt_line(const char *line, const char *salt, struct strbuf *out)
{
	strbuf_reset(out);
	strbuf_addstr(out, line);
	/* "<tool> version <ver> ...": at least three fields. */
	const char *sp1 = strchr(line, ' ');
	if (!sp1 || !starts_with(sp1 + 1, "version "))
		return -1;
	const char *ver = sp1 + 1 + strlen("version ");
	if (!*ver || *ver == ' ')
		return -1;
	if (!salt || !*salt)
		return 0;
	if (starts_with(ver, "devel")) {
		const char *last = strrchr(line, ' ');
		if (!last || !starts_with(last + 1, "buildID="))
			return -1;
		strbuf_addf(out, ".golive-%s", salt);
	} else {
		strbuf_addf(out, " golive-plugins=%s", salt);
	}
	return 0;
}

/* ---- children ------------------------------------------------------------------- */

/* In the child: everything it has to say, then exit. */
static NORETURN void child_answer(int fd, json_t *answer)
{
	size_t len = 0;
	char *txt = jsonl_encode(answer, &len);
	if (txt)
		(void)write_all(fd, txt, len);
	_exit(0);
}

static NORETURN void child_error(int fd, const char *fmt, ...) PRINTF_LIKE(2, 3);
static NORETURN void child_error(int fd, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	json_t *o = json_object();
	json_object_set_new(o, "error", json_string_lossy(sb.buf));
	child_answer(fd, o);
}

/* What a hook child needs: the request, and what the .so's host functions collect. */
struct golive_host {
	const struct plugin *p;
	const char *hook;
	json_t *args; /* set_args: the new argv, or NULL */
	json_t *diags;
	json_t *log;
};

static const char *host_arg(struct golive_host *h, const char *key)
{
	if (!key)
		return NULL;
	size_t n = strlen(key);
	for (size_t i = 0; i < h->p->args.argc; i++) {
		const char *a = h->p->args.argv[i];
		if (strncmp(a, key, n) == 0 && a[n] == '=')
			return a + n + 1;
	}
	return NULL;
}

static int host_set_args(struct golive_host *h, int argc, const char *const *argv)
{
	if (strcmp(h->hook, "before_tool") != 0 || argc < 1 || !argv ||
	    !(h->p->flags & GOLIVE_PLUGIN_REWRITES_ARGS))
		return -1;
	json_t *a = json_array();
	for (int i = 0; i < argc; i++)
		json_array_append_new(a, json_string_lossy(argv[i] ? argv[i] : ""));
	json_decref(h->args);
	h->args = a;
	return 0;
}

static void host_report(struct golive_host *h, const char *file, unsigned line, unsigned col,
                        enum golive_severity severity, const char *message)
{
	if (strcmp(h->hook, "analyze_file") != 0)
		return;
	json_t *d = json_object();
	json_object_set_new(d, "file", json_string_lossy(file ? file : ""));
	json_object_set_new(d, "line", json_integer(line));
	json_object_set_new(d, "col", json_integer(col));
	json_object_set_new(d, "severity",
	                    json_string(severity == GOLIVE_ERROR     ? "error"
	                                : severity == GOLIVE_WARNING ? "warning"
	                                                             : "info"));
	json_object_set_new(d, "message", json_string_lossy(message ? message : ""));
	json_array_append_new(h->diags, d);
}

static void host_log(struct golive_host *h, const char *message)
{
	json_array_append_new(h->log, json_string_lossy(message ? message : ""));
}

static const struct golive_host_api host_api = {
    GOLIVE_PLUGIN_ABI, sizeof(struct golive_host_api), host_arg, host_set_args, host_report,
    host_log,
};

/* The request of a hook, for exec: plugins (and the .so child reads it too). */
struct request {
	const char *hook;
	const struct golive_tool_call *call;
	const struct golive_tool_result *result;
	const struct argv_array *files;
};

static json_t *call_json(const struct golive_tool_call *c)
{
	json_t *o = json_object(), *argv = json_array();
	for (int i = 0; i < c->argc; i++)
		json_array_append_new(argv, json_string_lossy(c->argv[i]));
	json_object_set_new(o, "tool", json_string_lossy(c->tool ? c->tool : ""));
	json_object_set_new(o, "importpath",
	                    c->importpath ? json_string_lossy(c->importpath) : json_null());
	json_object_set_new(o, "package", c->package ? json_string_lossy(c->package) : json_null());
	json_object_set_new(o, "argv", argv);
	json_object_set_new(o, "workdir", c->workdir ? json_string_lossy(c->workdir) : json_null());
	json_object_set_new(o, "go", c->go ? json_string_lossy(c->go) : json_null());
	return o;
}

static json_t *request_json(const struct plugin *p, const struct request *rq)
{
	json_t *o = json_object(), *pl = json_object(), *args = json_object();
	for (size_t i = 0; i < p->args.argc; i++) {
		const char *eq = strchr(p->args.argv[i], '=');
		if (!eq)
			continue;
		char *k = xstrndup(p->args.argv[i], (size_t)(eq - p->args.argv[i]));
		json_object_set_new(args, k, json_string_lossy(eq + 1));
		free(k);
	}
	json_object_set_new(pl, "name", json_string_lossy(p->name));
	json_object_set_new(pl, "args", args);
	json_object_set_new(o, "hook", json_string(rq->hook));
	json_object_set_new(o, "golive_version", json_string(GOLIVE_VERSION_STRING));
	json_object_set_new(o, "plugin", pl);
	if (rq->call)
		json_object_set_new(o, "call", call_json(rq->call));
	if (rq->result) {
		json_t *r = json_object();
		json_object_set_new(r, "exit_code", json_integer(rq->result->exit_code));
		json_object_set_new(r, "signal", json_integer(rq->result->signal));
		json_object_set_new(r, "wall_ns", json_integer(rq->result->wall_ns));
		json_object_set_new(r, "user_ns", json_integer(rq->result->user_ns));
		json_object_set_new(r, "sys_ns", json_integer(rq->result->sys_ns));
		json_object_set_new(r, "maxrss_kb", json_integer(rq->result->maxrss_kb));
		json_object_set_new(o, "result", r);
	}
	if (rq->files) {
		json_t *f = json_array();
		for (size_t i = 0; i < rq->files->argc; i++)
			json_array_append_new(f, json_string_lossy(rq->files->argv[i]));
		json_object_set_new(o, "files", f);
	}
	return o;
}

/* In the forked child of a .so plugin: load, check, call, answer on fd. */
static NORETURN void so_child(const struct plugin *p, const char *session, const struct request *rq,
                              int fd)
{
	/*
	 * Nothing a plugin prints may reach the tool's output (go caches and
	 * replays it): stdout goes nowhere, stderr to the session's plugins.log.
	 */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	char *logpath = session ? xasprintf("%s/%s", session, PLUGIN_LOG) : NULL;
	int err = logpath ? open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	if (err >= 0 || null >= 0)
		dup2(err >= 0 ? err : null, 2);
	int lib = open(p->file, O_RDONLY | O_CLOEXEC);
	if (lib < 0)
		child_error(fd, "%s: %s", p->file, strerror(errno));
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", lib);
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl)
		child_error(fd, "cannot load %s: %s", p->source, dlerror());
	const struct golive_plugin_v1 *pl = dlsym(dl, GOLIVE_PLUGIN_SYMBOL);
	if (!pl)
		child_error(fd, "%s has no %s symbol: not a golive plugin", p->source,
		            GOLIVE_PLUGIN_SYMBOL);
	if (pl->abi_version != GOLIVE_PLUGIN_ABI)
		child_error(fd, "built for plugin ABI version %u, golive has %d", pl->abi_version,
		            GOLIVE_PLUGIN_ABI);
	if (pl->struct_size != sizeof(struct golive_plugin_v1))
		child_error(fd, "struct golive_plugin_v1 of %u bytes, golive's has %zu",
		            pl->struct_size, sizeof(struct golive_plugin_v1));
	if (!pl->name || strcmp(pl->name, p->name) != 0)
		child_error(fd, "calls itself \"%s\", golive.yaml says \"%s\"",
		            pl->name ? pl->name : "(null)", p->name);
	if (session) {
		json_t *f = json_object();
		json_object_set_new(f, "hook", json_string(rq->hook));
		json_object_set_new(f, "sha256", json_string(p->sha256 ? p->sha256 : ""));
		json_object_set_new(f, "pid", json_integer(getpid()));
		if (rq->call && rq->call->importpath)
			json_object_set_new(f, "importpath",
			                    json_string_lossy(rq->call->importpath));
		plugin_audit(session, p->name, "load", f);
	}

	json_t *ans = json_object();
	if (strcmp(rq->hook, "describe") == 0) {
		json_t *hooks = json_array();
		if (pl->before_tool)
			json_array_append_new(hooks, json_string("before_tool"));
		if (pl->after_tool)
			json_array_append_new(hooks, json_string("after_tool"));
		if (pl->analyze_file)
			json_array_append_new(hooks, json_string("analyze_file"));
		json_object_set_new(ans, "name", json_string_lossy(pl->name));
		json_object_set_new(ans, "version",
		                    json_string_lossy(pl->version ? pl->version : ""));
		json_object_set_new(ans, "rewrites_args",
		                    json_boolean(pl->flags & GOLIVE_PLUGIN_REWRITES_ARGS));
		json_object_set_new(ans, "hooks", hooks);
		child_answer(fd, ans);
	}

	struct plugin me = *p; /* set_args checks the flags the plugin declares itself */
	me.flags = pl->flags;
	struct golive_host h = {&me, rq->hook, NULL, json_array(), json_array()};
	void *state = NULL;
	int rc = 0;
	if (pl->init && (rc = pl->init(&host_api, &h, &state)) != 0)
		child_error(fd, "init returned %d", rc);
	if (strcmp(rq->hook, "before_tool") == 0 && pl->before_tool) {
		rc = pl->before_tool(state, &host_api, &h, rq->call);
	} else if (strcmp(rq->hook, "after_tool") == 0 && pl->after_tool) {
		rc = pl->after_tool(state, &host_api, &h, rq->call, rq->result);
	} else if (strcmp(rq->hook, "analyze_file") == 0 && pl->analyze_file) {
		TSParser *parser = ts_parser_new();
		ts_parser_set_language(parser, tree_sitter_go());
		for (size_t i = 0; rc == 0 && i < rq->files->argc; i++) {
			struct strbuf src = STRBUF_INIT;
			const char *f = rq->files->argv[i];
			if (strbuf_read_file(&src, f, 64u << 20) < 0) {
				strbuf_release(&src);
				continue; /* a file gone is no finding */
			}
			TSTree *tree =
			    ts_parser_parse_string(parser, NULL, src.buf, (uint32_t)src.len);
			rc = pl->analyze_file(state, &host_api, &h, f, src.buf, src.len,
			                      (const struct TSTree *)tree);
			ts_tree_delete(tree);
			strbuf_release(&src);
		}
		ts_parser_delete(parser);
	}
	if (pl->fini)
		pl->fini(state);
	if (rc != 0) {
		/* A failure still delivers its log lines and the findings so far. */
		json_object_set_new(ans, "error", json_sprintf("%s returned %d", rq->hook, rc));
		json_decref(h.args);
		h.args = NULL;
	}
	if (h.args)
		json_object_set_new(ans, "args", h.args);
	json_object_set_new(ans, "diagnostics", h.diags);
	json_object_set_new(ans, "log", h.log);
	child_answer(fd, ans);
}

/* In the child of an exec: plugin: stdin and stdout on the pipes, exec the verified copy. */
static NORETURN void exec_child(const struct plugin *p, const char *session, int in, int out)
{
	char *logpath = session ? xasprintf("%s/%s", session, PLUGIN_LOG) : NULL;
	int err = logpath ? open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err >= 0 ? err : 2, 2) < 0)
		_exit(126);
	/* No O_CLOEXEC: a script's interpreter opens /dev/fd/N after the exec. */
	int fd = open(p->file, O_RDONLY);
	if (fd < 0)
		_exit(127);
	char *argv[] = {p->name, NULL};
	fexecve(fd, argv, environ);
	_exit(127);
}

/* The signal's name for messages. */
static const char *sig_name(int sig, char *buf, size_t n)
{
	return signal_to_name(sig, buf, n);
}

/*
 * A child's answer: a JSON object (its "log" lines go to the session's
 * plugins.log; an "error" is the plugin's own failure: -1 with *cause, the
 * answer still returned for what it holds). 0 with *answer, or -1 with
 * *cause (*answer NULL when it is not a JSON object at all).
 */
static int parse_answer(const struct plugin *p, const char *session, const char *hook,
                        const char *buf, size_t len, json_t **answer, char **cause)
{
	json_error_t jerr;
	json_t *ans = json_loadb(buf, len, 0, &jerr);
	*answer = NULL;
	if (!json_is_object(ans)) {
		size_t n = len > 60 ? 60 : len;
		struct strbuf shown = STRBUF_INIT;
		for (size_t i = 0; i < n; i++)
			strbuf_addch(&shown, buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '?');
		*cause = xasprintf("plugin %s: %s: the answer is not a JSON object (%s%s\"%s%s\")",
		                   p->name, hook, len ? "" : "empty", len ? "" : ": ", shown.buf,
		                   len > n ? "..." : "");
		strbuf_release(&shown);
		json_decref(ans);
		return -1;
	}
	/* Its log lines go to the session's plugins.log, whatever else it said. */
	json_t *log = json_object_get(ans, "log");
	if (session && json_is_array(log)) {
		size_t i;
		json_t *l;
		json_array_foreach(log, i, l)
		{
			if (!json_is_string(l))
				continue;
			char *what = xasprintf("log: %s", json_string_value(l));
			plugin_log_failure(session, p, what);
			free(what);
		}
	}
	*answer = ans;
	const char *err = json_string_value(json_object_get(ans, "error"));
	if (err) {
		/* The rest of the answer is the caller's: analyze_file keeps the findings. */
		*cause = xasprintf("plugin %s: %s: %s", p->name, hook, err);
		return -1;
	}
	return 0;
}

/*
 * Runs one hook child for p and parses its answer into *answer. Returns 0,
 * or -1 with *cause (one line, starting "plugin NAME: ").
 */
static int run_hook(const struct plugin *p, const char *session, const struct request *rq,
                    json_t **answer, char **cause)
{
	int outp[2], inp[2] = {-1, -1};
	char *req = NULL;
	size_t reqlen = 0, reqoff = 0;
	*answer = NULL;
	if (pipe2(outp, O_CLOEXEC) < 0) {
		*cause = xasprintf("plugin %s: pipe: %s", p->name, strerror(errno));
		return -1;
	}
	if (p->kind == PLUGIN_EXEC) {
		req = jsonl_encode(request_json(p, rq), &reqlen);
		if (pipe2(inp, O_CLOEXEC) < 0) {
			*cause = xasprintf("plugin %s: pipe: %s", p->name, strerror(errno));
			close(outp[0]);
			close(outp[1]);
			free(req);
			return -1;
		}
	}
	fflush(NULL);
	int64_t start = now_mono_ns();
	pid_t pid = fork();
	if (pid < 0) {
		*cause = xasprintf("plugin %s: fork: %s", p->name, strerror(errno));
		close(outp[0]);
		close(outp[1]);
		if (inp[0] >= 0) {
			close(inp[0]);
			close(inp[1]);
		}
		free(req);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0); /* the timeout kills the whole group */
		signal(SIGPIPE, SIG_DFL);
		close(outp[0]);
		if (p->kind == PLUGIN_EXEC) {
			close(inp[1]);
			exec_child(p, session, inp[0], outp[1]);
		}
		so_child(p, session, rq, outp[1]);
	}
	setpgid(pid, pid);
	close(outp[1]);
	if (inp[0] >= 0) {
		close(inp[0]);
		fcntl(inp[1], F_SETFL, O_NONBLOCK);
	}
	fcntl(outp[0], F_SETFL, O_NONBLOCK);

	struct strbuf out = STRBUF_INIT;
	int rfd = outp[0], wfd = inp[1], timed_out = 0, too_big = 0;
	int64_t deadline = start + (int64_t)p->timeout_ms * 1000000;
	void (*oldpipe)(int) = signal(SIGPIPE, SIG_IGN);
	while (rfd >= 0) {
		int64_t left = deadline - now_mono_ns();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		struct pollfd pfd[2] = {{rfd, POLLIN, 0}, {wfd, POLLOUT, 0}};
		int n = poll(pfd, wfd >= 0 ? 2 : 1, (int)((left + 999999) / 1000000));
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (wfd >= 0 && pfd[1].revents) {
			ssize_t w = write(wfd, req + reqoff, reqlen - reqoff);
			if (w > 0)
				reqoff += (size_t)w;
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				reqoff = reqlen; /* it closed its stdin: its business */
			if (reqoff >= reqlen) {
				close(wfd);
				wfd = -1;
			}
		}
		if (pfd[0].revents) {
			char buf[65536];
			ssize_t r = read(rfd, buf, sizeof(buf));
			if (r > 0) {
				if (out.len + (size_t)r > ANSWER_MAX)
					too_big = 1;
				else
					strbuf_add(&out, buf, (size_t)r);
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(rfd);
				rfd = -1;
			}
		}
	}
	signal(SIGPIPE, oldpipe);
	if (rfd >= 0)
		close(rfd);
	if (wfd >= 0)
		close(wfd);
	free(req);

	int st = 0;
	if (timed_out) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	} else {
		/* The answer is complete; give the child the rest of the time to exit. */
		for (;;) {
			pid_t w = waitpid(pid, &st, WNOHANG);
			if (w == pid || (w < 0 && errno != EINTR))
				break;
			if (now_mono_ns() >= deadline) {
				timed_out = 1;
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				break;
			}
			usleep(50);
		}
	}
	if (timed_out) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		kill(-pid, SIGKILL); /* whatever it left behind in its group */
		*cause = xasprintf("plugin %s: %s: no answer within its %d ms timeout; killed",
		                   p->name, rq->hook, p->timeout_ms);
		strbuf_release(&out);
		return -1;
	}
	kill(-pid, SIGKILL); /* grandchildren must not outlive the hook */
	char sb[32];
	if (WIFSIGNALED(st)) {
		*cause = xasprintf("plugin %s: %s: killed by %s", p->name, rq->hook,
		                   sig_name(WTERMSIG(st), sb, sizeof(sb)));
		strbuf_release(&out);
		return -1;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
		*cause =
		    xasprintf("plugin %s: %s: exit status %d", p->name, rq->hook, WEXITSTATUS(st));
		strbuf_release(&out);
		return -1;
	}
	if (too_big) {
		*cause = xasprintf("plugin %s: %s: answer larger than %u bytes", p->name, rq->hook,
		                   ANSWER_MAX);
		strbuf_release(&out);
		return -1;
	}
	int rc = parse_answer(p, session, rq->hook, out.buf, out.len, answer, cause);
	strbuf_release(&out);
	return rc;
}

void plugin_log_failure(const char *session, const struct plugin *p, const char *what)
{
	char *path = xasprintf("%s/%s", session, PLUGIN_LOG);
	char *prefix = xasprintf("plugin %s: ", p->name);
	char *line =
	    starts_with(what, prefix) ? xasprintf("%s\n", what) : xasprintf("%s%s\n", prefix, what);
	free(prefix);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)write_all(fd, line, strlen(line));
		close(fd);
	}
	free(line);
	free(path);
}

/* describe's answer into p. 0, or -1 with *cause. */
static int answer_describe(struct plugin *p, json_t *ans, char **cause)
{
	const char *name = json_string_value(json_object_get(ans, "name"));
	const char *version = json_string_value(json_object_get(ans, "version"));
	json_t *hooks = json_object_get(ans, "hooks");
	if (!name || !version || !json_is_array(hooks)) {
		*cause = xasprintf("plugin %s: describe: want {\"name\", \"version\", \"hooks\"}",
		                   p->name);
		return -1;
	}
	if (strcmp(name, p->name) != 0) {
		*cause = xasprintf("plugin %s: describe: calls itself \"%s\"", p->name, name);
		return -1;
	}
	free(p->version);
	p->version = xstrdup(version);
	p->flags =
	    json_is_true(json_object_get(ans, "rewrites_args")) ? GOLIVE_PLUGIN_REWRITES_ARGS : 0;
	p->hooks = 0;
	size_t i;
	json_t *v;
	json_array_foreach(hooks, i, v)
	{
		for (size_t k = 0; k < ARRAY_SIZE(hook_names); k++)
			if (json_is_string(v) && strcmp(json_string_value(v), hook_names[k]) == 0)
				p->hooks |= 1u << k;
	}
	return 0;
}

/* before_tool's answer: 1 with the new argv in *args, 0 unchanged, -1 with *cause. */
static int answer_args(const struct plugin *p, const char *argv0, json_t *ans,
                       struct argv_array *args, char **cause)
{
	json_t *a = json_object_get(ans, "args");
	if (!a || json_is_null(a))
		return 0;
	if (!(p->flags & GOLIVE_PLUGIN_REWRITES_ARGS)) {
		*cause = xasprintf("plugin %s: before_tool: rewrote the arguments but does not "
		                   "declare that it does (rewrites_args)",
		                   p->name);
		return -1;
	}
	if (!json_is_array(a) || json_array_size(a) < 1) {
		*cause = xasprintf("plugin %s: before_tool: \"args\" must be a non-empty array of "
		                   "strings",
		                   p->name);
		return -1;
	}
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v)) {
			*cause = xasprintf("plugin %s: before_tool: args[%zu] is not a string",
			                   p->name, i);
			return -1;
		}
	}
	if (strcmp(json_string_value(json_array_get(a, 0)), argv0) != 0) {
		*cause =
		    xasprintf("plugin %s: before_tool: args[0] must stay the tool's path", p->name);
		return -1;
	}
	argv_clear(args);
	json_array_foreach(a, i, v) argv_push(args, json_string_value(v));
	return 1;
}

/*
 * analyze_file's findings into out (those before a malformed one are
 * kept). failed: the plugin failed already (*cause set; keep it). 0, or
 * -1 with *cause.
 */
static int answer_diags(const struct plugin *p, json_t *ans, int failed, diag_array *out,
                        char **cause)
{
	json_t *ds = json_object_get(ans, "diagnostics");
	int rc = failed ? -1 : 0;
	if (!failed && ds && !json_is_array(ds)) {
		*cause =
		    xasprintf("plugin %s: analyze_file: \"diagnostics\" must be an array", p->name);
		return -1;
	}
	size_t i;
	json_t *d;
	json_array_foreach(ds, i, d)
	{
		const char *file = json_string_value(json_object_get(d, "file"));
		const char *msg = json_string_value(json_object_get(d, "message"));
		const char *sev = json_string_value(json_object_get(d, "severity"));
		json_t *line = json_object_get(d, "line"), *col = json_object_get(d, "col");
		enum severity s = SEV_WARNING;
		if (!file || !msg || !json_is_integer(line) || json_integer_value(line) < 1 ||
		    json_integer_value(line) > UINT32_MAX ||
		    (col && (!json_is_integer(col) || json_integer_value(col) < 0 ||
		             json_integer_value(col) > UINT32_MAX)) ||
		    (sev && severity_parse(sev, &s) < 0)) {
			if (rc == 0)
				*cause =
				    xasprintf("plugin %s: analyze_file: diagnostics[%zu] is not "
				              "{\"file\", \"line\", \"col\", \"severity\", "
				              "\"message\"}",
				              p->name, i);
			rc = -1;
			break;
		}
		char *one = xstrndup(msg, strcspn(msg, "\r\n"));
		diag_push(out, file, (unsigned)json_integer_value(line),
		          col ? (unsigned)json_integer_value(col) : 1, p->name, s, one);
		free(one);
	}
	return rc;
}

int plugin_describe(struct plugin *p, const char *session, char **cause)
{
	struct request rq = {"describe", NULL, NULL, NULL};
	json_t *ans;
	int rc = run_hook(p, session, &rq, &ans, cause);
	if (rc == 0)
		rc = answer_describe(p, ans, cause);
	json_decref(ans);
	return rc;
}

int plugin_before_tool(const struct plugin *p, const char *session,
                       const struct golive_tool_call *call, struct argv_array *args, char **cause)
{
	struct request rq = {"before_tool", call, NULL, NULL};
	json_t *ans;
	int rc = run_hook(p, session, &rq, &ans, cause);
	if (rc == 0)
		rc = answer_args(p, call->argv[0], ans, args, cause);
	json_decref(ans);
	return rc;
}

int plugin_after_tool(const struct plugin *p, const char *session,
                      const struct golive_tool_call *call, const struct golive_tool_result *result,
                      char **cause)
{
	struct request rq = {"after_tool", call, result, NULL};
	json_t *ans;
	int rc = run_hook(p, session, &rq, &ans, cause);
	json_decref(ans);
	return rc;
}

int plugin_analyze_files(const struct plugin *p, const char *session,
                         const struct argv_array *files, diag_array *out, char **cause)
{
	struct request rq = {"analyze_file", NULL, NULL, files};
	json_t *ans;
	int rc = run_hook(p, session, &rq, &ans, cause);
	if (!ans)
		return -1;
	rc = answer_diags(p, ans, rc < 0, out, cause);
	json_decref(ans);
	return rc;
}

int plugin_check_answer(struct plugin *p, const char *hook, const char *buf, size_t len,
                        const char *argv0, struct argv_array *args, diag_array *diags, char **cause)
{
	json_t *ans;
	int rc = parse_answer(p, NULL, hook, buf, len, &ans, cause);
	if (!ans)
		return -1;
	if (strcmp(hook, "describe") == 0 && rc == 0)
		rc = answer_describe(p, ans, cause);
	else if (strcmp(hook, "before_tool") == 0 && rc == 0)
		rc = answer_args(p, argv0, ans, args, cause);
	else if (strcmp(hook, "analyze_file") == 0)
		rc = answer_diags(p, ans, rc < 0, diags, cause);
	json_decref(ans);
	return rc;
}
