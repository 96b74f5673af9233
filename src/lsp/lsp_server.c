/*
 * lsp_server.c - see lsp.h. One thread, one poll() loop: messages from the
 * client are handled as they come; analyses wait for a quiet period after
 * the last change of a document (opt.debounce_ms) and golive dev's feeds
 * are looked at a few times a second.
 */
#define _GNU_SOURCE
#include "lsp/lsp_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "analysis/anapkg.h"
#include "core/jsonl.h"

const TSLanguage *tree_sitter_go(void);

/* ---- sending ------------------------------------------------------------- */

/*
 * Writes what is pending without blocking (out_fd is non-blocking): a
 * client that stops reading must not stop the server from reading it.
 */
static void flush_out(struct lsp_server *s)
{
	while (s->out_off < s->out.len && !s->gone) {
		ssize_t n = write(s->out_fd, s->out.buf + s->out_off, s->out.len - s->out_off);
		if (n > 0) {
			s->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		s->gone = 1; /* EPIPE: the client went away; stop at the next turn of the loop */
	}
	if (s->out_off == s->out.len) {
		strbuf_reset(&s->out);
		s->out_off = 0;
	} else if (s->out.len - s->out_off > LSP_MAX_UNSENT) {
		fprintf(stderr,
		        "golive lsp: the client has not read %zu MiB of answers: stopping\n",
		        (s->out.len - s->out_off) >> 20);
		s->gone = 1;
	}
}

void lsp_send(struct lsp_server *s, json_t *msg)
{
	if (!msg)
		return;
	if (s->gone) {
		json_decref(msg);
		return;
	}
	jsonrpc_frame(&s->out, msg);
	json_decref(msg);
	flush_out(s);
}

void lsp_notify(struct lsp_server *s, const char *method, json_t *params)
{
	lsp_send(s, json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", method, "params",
	                      params ? params : json_object()));
}

static void reply(struct lsp_server *s, json_t *id, json_t *result)
{
	lsp_send(s, json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(),
	                      "result", result ? result : json_null()));
}

static void reply_error(struct lsp_server *s, json_t *id, int code, const char *message)
{
	lsp_send(s, json_pack("{s:s, s:O, s:{s:i, s:o}}", "jsonrpc", "2.0", "id",
	                      id ? id : json_null(), "error", "code", code, "message",
	                      json_string_lossy(message)));
}

void lsp_show(struct lsp_server *s, int type, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	lsp_notify(s, "window/showMessage",
	           json_pack("{s:i, s:o}", "type", type, "message", json_string_lossy(sb.buf)));
	strbuf_release(&sb);
}

/* ---- URIs ---------------------------------------------------------------- */

char *lsp_uri_to_path(const char *uri)
{
	if (!starts_with(uri, "file://"))
		return NULL;
	const char *p = uri + 7;
	if (*p != '/') { /* file://host/path: only the local host */
		if (!starts_with(p, "localhost/"))
			return NULL;
		p += 9;
	}
	const char *q = strpbrk(p, "?#");
	char *path = percent_decode(p, q ? (size_t)(q - p) : strlen(p));
	if (!path || path[0] != '/') {
		free(path);
		return NULL;
	}
	return path;
}

char *lsp_path_to_uri(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/-._~", *p))
			strbuf_addch(&sb, *p);
		else
			strbuf_addf(&sb, "%%%02X", *p);
	}
	return strbuf_detach(&sb, NULL);
}

/* ---- documents ------------------------------------------------------------ */

struct lsp_doc *lsp_doc_find(struct lsp_server *s, const char *uri)
{
	for (size_t i = 0; i < s->docs.n; i++)
		if (!strcmp(s->docs.v[i]->uri, uri))
			return s->docs.v[i];
	return NULL;
}

static void doc_free(struct lsp_doc *d)
{
	free(d->uri);
	free(d->path);
	textdoc_release(&d->td);
	if (d->tree)
		ts_tree_delete(d->tree);
	lsp_decls_free(d->decls);
	diag_array_release(&d->diags);
	free(d);
}

static void publish(struct lsp_server *s, const char *uri, json_t *diags, int version)
{
	json_t *p = json_pack("{s:s, s:o}", "uri", uri, "diagnostics", diags);
	if (version >= 0)
		json_object_set_new(p, "version", json_integer(version));
	lsp_notify(s, "textDocument/publishDiagnostics", p);
}

/*
 * Keeps the trees of the LSP_HOT_TREES most recently edited documents: a
 * tree costs about 30 times its text, and only a document being typed in
 * needs one (a fresh parse on the first keystroke in another costs one
 * parse). The memory of dropped trees goes back to the system at most once
 * a second.
 */
static void drop_cold_trees(struct lsp_server *s)
{
	size_t hot = 0;
	for (size_t i = 0; i < s->docs.n; i++)
		hot += s->docs.v[i]->tree != NULL;
	int dropped = 0;
	while (hot > LSP_HOT_TREES) {
		struct lsp_doc *old = NULL;
		for (size_t i = 0; i < s->docs.n; i++) {
			struct lsp_doc *d = s->docs.v[i];
			if (d->tree && (!old || d->edited_ns < old->edited_ns))
				old = d;
		}
		ts_tree_delete(old->tree);
		old->tree = NULL;
		lsp_decls_free(old->decls);
		old->decls = NULL;
		hot--;
		dropped = 1;
	}
	int64_t now = now_mono_ns();
	if (dropped && now - s->trim_ns > 1000000000) {
		malloc_trim(0);
		s->trim_ns = now;
	}
}

void lsp_doc_analyse(struct lsp_server *s, struct lsp_doc *d)
{
	d->due_ns = 0;
	if (d->is_config) {
		lsp_module_reload(s, d->mod);
		return;
	}
	if (!d->is_go)
		return;
	diag_array_release(&d->diags);
	d->gen++;
	const char *path = d->path ? d->path : d->uri;
	if (d->td.text.len > (16u << 20)) {
		if (!d->too_large)
			lsp_show(s, 2,
			         "golive lsp: %s is too large to analyse (%zu MiB, limit 16 MiB)",
			         path, d->td.text.len >> 20);
		d->too_large = 1;
	} else if (d->mod->ctx) {
		uint64_t sig;
		struct analysis_pkg *pkg =
		    lsp_package_of(s, path, d->td.text.buf, d->td.text.len, &sig);
		if (sig != d->pkg_sig) { /* another file of the package changed: no reuse */
			lsp_decls_free(d->decls);
			d->decls = NULL;
			d->pkg_sig = sig;
		}
		analysis_ctx_set_goversion(d->mod->ctx, &d->mod->lang);
		analysis_ctx_set_package(d->mod->ctx, pkg);
		if (d->edited_ns) /* being typed in: parse incrementally, keep the tree */
			lsp_analyse_edited(s, d, path);
		else /* only opened: no tree kept, no parse when no analyzer wants the file */
			analysis_run_source(d->mod->ctx, path, d->td.text.buf, d->td.text.len,
			                    &d->diags);
		analysis_ctx_set_package(d->mod->ctx, NULL);
		analysis_pkg_free(pkg);
	}
	if (!d->edited_ns && d->tree) {
		ts_tree_delete(d->tree);
		d->tree = NULL;
	}
	if (!s->pull)
		publish(s, d->uri, lsp_diags_json(s, d), d->version);
	if (s->log_timing && d->change_read_ns)
		fprintf(stderr, "golive lsp: timing %.3f ms from didChange to diagnostics\n",
		        (double)(now_mono_ns() - d->change_read_ns) / 1e6);
	d->change_read_ns = 0;
	if (d->tree)
		drop_cold_trees(s);
}

/* Params' textDocument.uri, or NULL. */
static const char *param_uri(json_t *params)
{
	return json_string_value(json_object_get(json_object_get(params, "textDocument"), "uri"));
}

static void schedule(struct lsp_server *s, struct lsp_doc *d)
{
	d->due_ns = now_mono_ns() + (int64_t)s->opt.debounce_ms * 1000000;
	if (!d->due_ns)
		d->due_ns = 1;
}

static void did_open(struct lsp_server *s, json_t *params)
{
	json_t *td = json_object_get(params, "textDocument");
	const char *uri = json_string_value(json_object_get(td, "uri"));
	json_t *text = json_object_get(td, "text");
	if (!uri || !json_is_string(text))
		return;
	struct lsp_doc *d = lsp_doc_find(s, uri);
	if (!d) {
		d = xcalloc(1, sizeof(*d));
		d->uri = xstrdup(uri);
		d->path = lsp_uri_to_path(uri);
		textdoc_init(&d->td, "", 0);
		ARRAY_PUSH(s->docs, d);
	}
	textdoc_set(&d->td, json_string_value(text), json_string_length(text));
	if (d->tree) {
		ts_tree_delete(d->tree);
		d->tree = NULL;
	}
	d->version = (int)json_integer_value(json_object_get(td, "version"));
	d->edited_ns = 0;
	const char *lang = json_string_value(json_object_get(td, "languageId"));
	const char *name = base_name(d->path ? d->path : uri);
	d->is_config = !strcmp(name, CONFIG_FILE_NAME);
	d->is_go = !d->is_config && ((lang && !strcmp(lang, "go")) || ends_with(name, ".go"));
	d->mod = lsp_module_of(s, d->path);
	/* an opened file is analysed at once: nothing to wait for */
	lsp_doc_analyse(s, d);
	if (d->is_go && d->path) /* the editor's text may not be the disk's */
		lsp_package_touched(s, d->path, d);
}

static void did_change(struct lsp_server *s, json_t *params)
{
	struct lsp_doc *d = lsp_doc_find(s, param_uri(params) ? param_uri(params) : "");
	if (!d)
		return;
	json_t *changes = json_object_get(params, "contentChanges");
	size_t i;
	json_t *c;
	json_array_foreach(changes, i, c)
	{
		json_t *text = json_object_get(c, "text");
		if (!json_is_string(text))
			continue;
		json_t *range = json_object_get(c, "range");
		if (!range) {
			textdoc_set(&d->td, json_string_value(text), json_string_length(text));
			if (d->tree) {
				ts_tree_delete(d->tree);
				d->tree = NULL;
			}
			continue;
		}
		json_t *st = json_object_get(range, "start"), *en = json_object_get(range, "end");
		json_int_t sl = json_integer_value(json_object_get(st, "line"));
		json_int_t sc = json_integer_value(json_object_get(st, "character"));
		json_int_t el = json_integer_value(json_object_get(en, "line"));
		json_int_t ec = json_integer_value(json_object_get(en, "character"));
		TSInputEdit edit;
		if (sl < 0 || sc < 0 || el < 0 || ec < 0 || sl > UINT32_MAX || sc > UINT32_MAX ||
		    el > UINT32_MAX || ec > UINT32_MAX ||
		    textdoc_apply(&d->td, (uint32_t)sl, (uint32_t)sc, (uint32_t)el, (uint32_t)ec,
		                  json_string_value(text), json_string_length(text), &edit) < 0) {
			/* the editor's text and ours now differ: say so, ask for the whole text */
			lsp_show(
			    s, 1,
			    "golive lsp: edit out of range in %s (%lld:%lld-%lld:%lld, %zu lines): "
			    "reopen the file",
			    d->uri, (long long)sl, (long long)sc, (long long)el, (long long)ec,
			    d->td.lines.n);
			continue;
		}
		if (d->tree)
			ts_tree_edit(d->tree, &edit);
	}
	json_t *v = json_object_get(json_object_get(params, "textDocument"), "version");
	if (json_is_integer(v))
		d->version = (int)json_integer_value(v);
	d->edited_ns = now_mono_ns();
	if (!d->change_read_ns)
		d->change_read_ns = d->edited_ns;
	schedule(s, d);
	if (d->is_go && d->path) /* its package's other documents follow its text */
		lsp_package_touched(s, d->path, d);
}

static void did_close(struct lsp_server *s, json_t *params)
{
	const char *uri = param_uri(params);
	for (size_t i = 0; uri && i < s->docs.n; i++) {
		struct lsp_doc *d = s->docs.v[i];
		if (strcmp(d->uri, uri))
			continue;
		int cfg = d->is_config;
		struct lsp_module *m = d->mod;
		s->docs.v[i] = s->docs.v[--s->docs.n];
		/* its findings go with it (golive.yaml's come back from the file on disk) */
		if (!cfg)
			publish(s, d->uri, json_array(), -1);
		if (d->is_go && d->path) /* the others read it from disk again */
			lsp_package_touched(s, d->path, d);
		doc_free(d);
		if (cfg)
			lsp_module_reload(s, m);
		return;
	}
}

static void did_save(struct lsp_server *s, json_t *params)
{
	struct lsp_doc *d = lsp_doc_find(s, param_uri(params) ? param_uri(params) : "");
	if (d && d->due_ns)
		lsp_doc_analyse(s, d);
}

static void did_change_watched(struct lsp_server *s, json_t *params)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(params, "changes"), i, c)
	{
		char *path = lsp_uri_to_path(json_string_value(json_object_get(c, "uri"))
		                                 ? json_string_value(json_object_get(c, "uri"))
		                                 : "");
		if (path)
			lsp_file_changed(s, path);
		free(path);
	}
}

/* ---- lifecycle ------------------------------------------------------------ */

static void add_folder(struct lsp_server *s, const char *uri)
{
	char *p = uri ? lsp_uri_to_path(uri) : NULL;
	if (p)
		argv_push(&s->folders, p);
	free(p);
}

static json_t *initialize(struct lsp_server *s, json_t *params)
{
	json_t *caps = json_object_get(params, "capabilities");
	json_t *tdc = json_object_get(caps, "textDocument");
	s->pull = json_object_get(tdc, "diagnostic") != NULL;
	json_t *ws = json_object_get(caps, "workspace");
	s->refresh =
	    json_is_true(json_object_get(json_object_get(ws, "diagnostics"), "refreshSupport"));
	s->snippets = json_is_true(
	    json_object_get(json_object_get(ws, "workspaceEdit"), "snippetEditSupport"));
	s->watch_dynamic = json_is_true(
	    json_object_get(json_object_get(ws, "didChangeWatchedFiles"), "dynamicRegistration"));
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(params, "workspaceFolders"), i, f)
	    add_folder(s, json_string_value(json_object_get(f, "uri")));
	if (!s->folders.argc)
		add_folder(s, json_string_value(json_object_get(params, "rootUri")));
	json_t *io = json_object_get(params, "initializationOptions");
	json_t *deb = json_object_get(io, "debounceMs");
	if (json_is_integer(deb) && json_integer_value(deb) >= 0 &&
	    json_integer_value(deb) <= 10000)
		s->opt.debounce_ms = (int)json_integer_value(deb);

	json_t *sync =
	    json_pack("{s:b, s:i, s:{s:b}}", "openClose", 1, "change", 2, "save", "includeText", 0);
	json_t *c = json_pack("{s:o, s:{s:[s]}, s:{s:{s:b, s:b}}}", "textDocumentSync", sync,
	                      "codeActionProvider", "codeActionKinds", "quickfix", "workspace",
	                      "workspaceFolders", "supported", 1, "changeNotifications", 1);
	if (s->pull)
		json_object_set_new(c, "diagnosticProvider",
		                    json_pack("{s:s, s:b, s:b}", "identifier", "golive",
		                              "interFileDependencies", 1, "workspaceDiagnostics",
		                              0));
	return json_pack("{s:o, s:{s:s, s:s}}", "capabilities", c, "serverInfo", "name", "golive",
	                 "version", GOLIVE_VERSION_STRING);
}

/* Asks the client to tell us about golive.yaml and go.mod changes on disk. */
static void register_watchers(struct lsp_server *s)
{
	if (!s->watch_dynamic)
		return;
	json_t *w = json_pack("[{s:s}, {s:s}, {s:s}]", "globPattern", "**/" CONFIG_FILE_NAME,
	                      "globPattern", "**/go.mod", "globPattern", "**/*.go");
	json_t *reg =
	    json_pack("{s:[{s:s, s:s, s:{s:o}}]}", "registrations", "id", "golive-watch", "method",
	              "workspace/didChangeWatchedFiles", "registerOptions", "watchers", w);
	lsp_send(s,
	         json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id", (json_int_t)s->next_id++,
	                   "method", "client/registerCapability", "params", reg));
}

static void did_change_folders(struct lsp_server *s, json_t *params)
{
	json_t *ev = json_object_get(params, "event");
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(ev, "added"), i, f)
	    add_folder(s, json_string_value(json_object_get(f, "uri")));
}

/* ---- dispatch -------------------------------------------------------------- */

static void handle(struct lsp_server *s, json_t *msg)
{
	if (!json_is_object(msg)) {
		reply_error(s, NULL, JSONRPC_INVALID_REQUEST, "not a JSON-RPC message");
		return;
	}
	json_t *id = json_object_get(msg, "id");
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *params = json_object_get(msg, "params");
	if (!method) {
		if (!id || (!json_object_get(msg, "result") && !json_object_get(msg, "error")))
			reply_error(s, id, JSONRPC_INVALID_REQUEST, "a request needs a method");
		return; /* a response to one of ours: nothing waits for it */
	}
	if (id && !json_is_integer(id) && !json_is_string(id)) {
		reply_error(s, NULL, JSONRPC_INVALID_REQUEST, "id must be a number or a string");
		return;
	}
	static const char *const notifications[] = {
	    "initialized",
	    "textDocument/didOpen",
	    "textDocument/didChange",
	    "textDocument/didSave",
	    "textDocument/didClose",
	    "workspace/didChangeWatchedFiles",
	    "workspace/didChangeWorkspaceFolders",
	    "exit",
	};
	for (size_t i = 0; id && i < ARRAY_SIZE(notifications); i++)
		if (!strcmp(method, notifications[i])) {
			char *m = xasprintf("%s is a notification: send it without an id", method);
			reply_error(s, id, JSONRPC_INVALID_REQUEST, m);
			free(m);
			return;
		}
	if (!strcmp(method, "exit")) {
		s->exit_now = 1;
		return;
	}
	if (!s->initialized && strcmp(method, "initialize")) {
		if (id)
			reply_error(s, id, LSP_SERVER_NOT_INITIALIZED, "server not initialized");
		return;
	}
	if (s->shutdown && id) {
		reply_error(s, id, JSONRPC_INVALID_REQUEST, "server is shutting down");
		return;
	}
	if (!strcmp(method, "initialize")) {
		if (!id)
			return;
		if (s->initialized) {
			reply_error(s, id, JSONRPC_INVALID_REQUEST, "initialize sent twice");
			return;
		}
		s->initialized = 1;
		reply(s, id, initialize(s, params));
	} else if (!strcmp(method, "initialized")) {
		register_watchers(s);
	} else if (!strcmp(method, "shutdown")) {
		s->shutdown = 1;
		if (id)
			reply(s, id, json_null());
	} else if (!strcmp(method, "textDocument/didOpen")) {
		did_open(s, params);
	} else if (!strcmp(method, "textDocument/didChange")) {
		did_change(s, params);
	} else if (!strcmp(method, "textDocument/didSave")) {
		did_save(s, params);
	} else if (!strcmp(method, "textDocument/didClose")) {
		did_close(s, params);
	} else if (!strcmp(method, "workspace/didChangeWatchedFiles")) {
		did_change_watched(s, params);
	} else if (!strcmp(method, "workspace/didChangeWorkspaceFolders")) {
		did_change_folders(s, params);
	} else if (!strcmp(method, "textDocument/codeAction") && id) {
		const char *uri = param_uri(params);
		struct lsp_doc *d = uri ? lsp_doc_find(s, uri) : NULL;
		if (!d) {
			reply(s, id, json_array());
			return;
		}
		if (d->due_ns)
			lsp_doc_analyse(s, d);
		reply(s, id, lsp_code_actions(s, d, params));
	} else if (!strcmp(method, "textDocument/diagnostic") && id) {
		int code = 0;
		char *err = NULL;
		json_t *r = lsp_pull_report(s, params, &code, &err);
		if (r)
			reply(s, id, r);
		else
			reply_error(s, id, code, err);
		free(err);
	} else if (id) {
		char *m = xasprintf("unknown method %s", method);
		reply_error(s, id, JSONRPC_METHOD_NOT_FOUND, m);
		free(m);
	}
	/* other notifications ($/cancelRequest, $/setTrace, ...) need nothing */
}

/* ---- the loop --------------------------------------------------------------- */

/* ms until the first pending analysis (-1: none), running those due. */
static int run_due(struct lsp_server *s)
{
	int64_t now = now_mono_ns(), next = -1;
	for (size_t i = 0; i < s->docs.n && !s->gone; i++) {
		struct lsp_doc *d = s->docs.v[i];
		if (!d->due_ns)
			continue;
		if (d->due_ns <= now) {
			lsp_doc_analyse(s, d);
			now = now_mono_ns();
		} else if (next < 0 || d->due_ns - now < next) {
			next = d->due_ns - now;
		}
	}
	return next < 0 ? -1 : (int)((next + 999999) / 1000000);
}

static char *find_docs_base(void)
{
	const char *env = getenv("GOLIVE_DOCS_URL");
	if (env && *env)
		return xstrdup(env);
	/* the docs next to the binary: build/x/golive -> docs/, bin/golive -> share/doc/golive */
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		static const char *const rel[] = {"../../docs", "../share/doc/golive"};
		for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
			char *dir = xasprintf("%s/../%s", exe, rel[i]);
			char *clean = path_join_clean("/", dir);
			char *probe = xasprintf("%s/analyzers.md", clean);
			free(dir);
			if (access(probe, R_OK) == 0) {
				free(probe);
				char *uri = lsp_path_to_uri(clean);
				free(clean);
				char *base = xasprintf("%s/", uri);
				free(uri);
				return base;
			}
			free(probe);
			free(clean);
		}
	}
	return xstrdup("file:///usr/local/share/doc/golive/");
}

int lsp_serve(int in_fd, int out_fd, const struct lsp_options *opt)
{
	struct lsp_server srv, *s = &srv;
	memset(s, 0, sizeof(*s));
	s->in_fd = in_fd;
	s->out_fd = out_fd;
	s->opt = *opt;
	s->next_id = 1;
	jsonrpc_reader_init(&s->reader);
	s->docs_base = find_docs_base();
	s->parser = ts_parser_new();
	if (!ts_parser_set_language(s->parser, tree_sitter_go()))
		BUG("tree-sitter-go grammar is incompatible with the tree-sitter core");
	s->log_timing = getenv("GOLIVE_LSP_TIMING") && !strcmp(getenv("GOLIVE_LSP_TIMING"), "1");
	signal(SIGPIPE, SIG_IGN);
	strbuf_init(&s->out, 0);
	int fl = fcntl(out_fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(out_fd, F_SETFL, fl | O_NONBLOCK);

	char *buf = xmalloc(1 << 16);
	int eof = 0;
	while (!s->exit_now && !s->gone && !eof) {
		json_t *msg;
		char *cause = NULL;
		enum jsonrpc_status st;
		while (!s->exit_now &&
		       (st = jsonrpc_reader_next(&s->reader, &msg, &cause)) != JSONRPC_NEED) {
			if (st == JSONRPC_BAD) {
				fprintf(stderr, "golive lsp: %s\n", cause);
				reply_error(s, NULL, JSONRPC_PARSE_ERROR, cause);
				free(cause);
				cause = NULL;
				continue;
			}
			handle(s, msg);
			json_decref(msg);
		}
		if (s->exit_now)
			break;
		int timeout = run_due(s);
		if (s->initialized) {
			int ft = lsp_feeds_poll(s);
			if (timeout < 0 || ft < timeout)
				timeout = ft;
		}
		struct pollfd p[2] = {
		    {.fd = in_fd, .events = POLLIN},
		    {.fd = s->out_off < s->out.len ? out_fd : -1, .events = POLLOUT}};
		int r = poll(p, 2, timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && p[1].revents)
			flush_out(s);
		if (r <= 0 || !p[0].revents)
			continue;
		ssize_t n = read(in_fd, buf, 1 << 16);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			eof = 1; /* the client went away */
			break;
		}
		jsonrpc_reader_feed(&s->reader, buf, (size_t)n);
	}
	free(buf);
	/* what is left to say (shutdown's answer): a second at most */
	for (int64_t end = now_mono_ns() + 1000000000LL;
	     s->out_off < s->out.len && !s->gone && now_mono_ns() < end;) {
		struct pollfd p = {.fd = out_fd, .events = POLLOUT};
		if (poll(&p, 1, 100) > 0)
			flush_out(s);
	}
	strbuf_release(&s->out);
	int status = s->exit_now && s->shutdown ? 0 : 1;
	for (size_t i = 0; i < s->docs.n; i++)
		doc_free(s->docs.v[i]);
	ARRAY_FREE(s->docs);
	for (size_t i = 0; i < s->modules.n; i++)
		lsp_module_free(s->modules.v[i]);
	ARRAY_FREE(s->modules);
	lsp_module_free(s->default_mod);
	argv_clear(&s->folders);
	if (s->bc_ready)
		buildctx_release(&s->bc);
	free(s->docs_base);
	jsonrpc_reader_release(&s->reader);
	ts_parser_delete(s->parser);
	return status;
}
