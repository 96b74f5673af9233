/*
 * lsp_module.c - the workspace's modules for the language server: each
 * one's golive.yaml (its analysis settings, reloaded when it changes, its
 * errors as diagnostics on it), go.mod's language version, and golive dev's
 * cycle feed (core/devfeed.h): build errors as diagnostics, the state as
 * messages.
 */
#define _GNU_SOURCE
#include "lsp/lsp_priv.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/devfeed.h"
#include "core/goversion.h"
#include "core/jsonl.h"

void lsp_module_free(struct lsp_module *m)
{
	if (!m)
		return;
	analysis_ctx_free(m->ctx);
	config_release(&m->cfg);
	free(m->root);
	free(m->cfg_path);
	free(m->cfg_error);
	free(m->feed_path);
	json_decref(m->build_diags);
	free(m);
}

static struct lsp_module *module_new(const char *root, const char *cfg_path)
{
	struct lsp_module *m = xcalloc(1, sizeof(*m));
	m->root = xstrdup(root);
	m->cfg_path = cfg_path ? xstrdup(cfg_path) : NULL;
	config_init(&m->cfg);
	if (*root)
		m->feed_path = devfeed_path(root);
	m->feed_pos = -1;
	return m;
}

struct lsp_module *lsp_module_of(struct lsp_server *s, const char *path)
{
	char *cfg = NULL, *root = NULL, *cause = NULL;
	if (path) {
		char *dup = xstrdup(path);
		if (config_find(dirname(dup), &cfg, &root, &cause) < 0) {
			free(cause);
			cfg = root = NULL;
		}
		free(dup);
	}
	if (!root) {
		if (!s->default_mod) {
			s->default_mod = module_new("", NULL);
			lsp_module_reload(s, s->default_mod);
		}
		return s->default_mod;
	}
	for (size_t i = 0; i < s->modules.n; i++) {
		struct lsp_module *m = s->modules.v[i];
		if (!strcmp(m->root, root) &&
		    ((!m->cfg_path && !cfg) || (m->cfg_path && cfg && !strcmp(m->cfg_path, cfg)))) {
			free(cfg);
			free(root);
			return m;
		}
	}
	struct lsp_module *m = module_new(root, cfg);
	ARRAY_PUSH(s->modules, m);
	free(cfg);
	free(root);
	lsp_module_reload(s, m);
	return m;
}

/*
 * Splits "PATH:LINE:COL: message" (config.h's causes) into its position and
 * message; line 0 when it has none.
 */
static const char *split_cause(const char *cause, uint32_t *line, uint32_t *col)
{
	*line = *col = 0;
	for (const char *p = strchr(cause, ':'); p; p = strchr(p + 1, ':')) {
		unsigned l, c;
		int n = 0;
		if (sscanf(p, ":%u:%u: %n", &l, &c, &n) == 2 && n > 0) {
			*line = l;
			*col = c;
			return p + n;
		}
	}
	return cause;
}

static void publish_config(struct lsp_server *s, struct lsp_module *m, const char *text, size_t len)
{
	if (!m->cfg_path || (!m->cfg_error && !m->cfg_published))
		return;
	char *uri = lsp_path_to_uri(m->cfg_path);
	json_t *a = json_array();
	if (m->cfg_error) {
		struct textdoc td;
		textdoc_init(&td, text ? text : "", text ? len : 0);
		uint32_t l, c;
		const char *msg = split_cause(m->cfg_error, &l, &c);
		json_t *range = lsp_range_json(&td, l ? l : 1, c ? c : 1, 0, 0);
		json_object_set_new(
		    json_object_get(range, "end"), "character",
		    json_integer(textdoc_utf16_col(&td, l ? l - 1 : 0, UINT32_MAX)));
		json_array_append_new(a, json_pack("{s:o, s:i, s:s, s:s, s:o}", "range", range,
		                                   "severity", 1, "source", "golive", "code",
		                                   "config", "message", json_string_lossy(msg)));
		textdoc_release(&td);
	}
	m->cfg_published = m->cfg_error != NULL;
	lsp_notify(s, "textDocument/publishDiagnostics",
	           json_pack("{s:s, s:o}", "uri", uri, "diagnostics", a));
	free(uri);
}

/* m's language version: go.mod's go line (unknown without one). */
static void read_gomod(struct lsp_module *m)
{
	struct goversion unknown = GOVERSION_UNKNOWN;
	m->lang = unknown;
	if (!*m->root)
		return;
	char *gomod = xasprintf("%s/go.mod", m->root);
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, gomod, 1 << 20) == 0)
		(void)goversion_gomod(sb.buf, sb.len, &m->lang);
	strbuf_release(&sb);
	free(gomod);
}

/* A client that pulls diagnostics asks for them again (workspace/diagnostic/refresh). */
static void refresh_pulls(struct lsp_server *s)
{
	if (s->pull && s->refresh && s->initialized)
		lsp_send(s, json_pack("{s:s, s:I, s:s}", "jsonrpc", "2.0", "id",
		                      (json_int_t)s->next_id++, "method",
		                      "workspace/diagnostic/refresh"));
}
void lsp_module_reload(struct lsp_server *s, struct lsp_module *m)
{
	read_gomod(m);
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	int have_text = 0;
	struct golive_config c;
	config_init(&c);
	if (m->cfg_path) {
		char *uri = lsp_path_to_uri(m->cfg_path);
		struct lsp_doc *open = lsp_doc_find(s, uri);
		free(uri);
		if (open) {
			strbuf_add(&sb, open->td.text.buf, open->td.text.len);
			have_text = 1;
		} else if (strbuf_read_file(&sb, m->cfg_path, CONFIG_MAX_SIZE) == 0) {
			have_text = 1;
		} else if (errno != ENOENT) {
			cause = xasprintf("%s: %s", m->cfg_path, file_strerror(errno));
		}
	}
	struct analysis_ctx *ctx = NULL;
	if (!cause && have_text && sb.len > CONFIG_MAX_SIZE)
		cause = xasprintf("%s: larger than %d bytes", m->cfg_path, CONFIG_MAX_SIZE);
	if (!cause && have_text)
		(void)config_parse(&c, m->cfg_path, sb.buf, sb.len, &cause); /* -1 sets cause */
	if (!cause && m->cfg_path &&
	    strrchr(m->cfg_path, '/')) /* rules' paths: are relative to it */
		c.analysis.root =
		    xstrndup(m->cfg_path, (size_t)(strrchr(m->cfg_path, '/') - m->cfg_path));
	if (!cause) {
		ctx = analysis_ctx_new(&c.analysis, &cause);
		if (ctx) { /* the new settings: the context must point at m->cfg's copy */
			analysis_ctx_free(ctx);
			analysis_ctx_free(m->ctx);
			config_release(&m->cfg);
			m->cfg = c;
			config_init(&c);
			m->ctx = analysis_ctx_new(&m->cfg.analysis, &cause);
		}
	}
	config_release(&c);
	if (!m->ctx) /* a first load that failed: the defaults */
		m->ctx = analysis_ctx_new(&m->cfg.analysis, &cause);
	free(m->cfg_error);
	m->cfg_error = cause;
	publish_config(s, m, sb.buf, sb.len);
	strbuf_release(&sb);
	/* every open Go file of the module again, under the new rules */
	for (size_t i = 0; i < s->docs.n; i++) {
		struct lsp_doc *d = s->docs.v[i];
		if (d->mod != m)
			continue;
		lsp_decls_free(d->decls); /* found under the old settings */
		d->decls = NULL;
		if (d->is_go && d->gen)
			d->due_ns = now_mono_ns();
	}
	/* a client that pulls asks again (the files it has not opened, too) */
	refresh_pulls(s);
}

void lsp_file_changed(struct lsp_server *s, const char *path)
{
	const char *name = base_name(path);
	if (ends_with(name, ".go")) { /* another file of open documents' packages */
		lsp_package_touched(s, path, NULL);
		refresh_pulls(s);
		return;
	}
	if (strcmp(name, CONFIG_FILE_NAME) && strcmp(name, "go.mod"))
		return;
	/* a golive.yaml may have appeared or gone: each open file's module again */
	for (size_t i = 0; i < s->docs.n; i++) {
		struct lsp_doc *d = s->docs.v[i];
		if (d->path && !d->is_config)
			d->mod = lsp_module_of(s, d->path);
	}
	char *dup = xstrdup(path);
	const char *dir = dirname(dup);
	for (size_t i = 0; i < s->modules.n; i++) {
		struct lsp_module *m = s->modules.v[i];
		if ((m->cfg_path && !strcmp(m->cfg_path, path)) || !strcmp(m->root, dir))
			lsp_module_reload(s, m);
	}
	free(dup);
	for (size_t i = 0; i < s->docs.n; i++)
		if (s->docs.v[i]->is_go && s->docs.v[i]->gen)
			s->docs.v[i]->due_ns = now_mono_ns();
}

/* ---- golive dev's feed ----------------------------------------------------- */

/* Publishes uri's diagnostics: the open document's findings and m's build errors. */
static void publish_uri(struct lsp_server *s, struct lsp_module *m, const char *uri)
{
	struct lsp_doc *d = lsp_doc_find(s, uri);
	int with_findings = !s->pull && d && d->is_go; /* lsp_diags_json adds the build's */
	json_t *diags = with_findings ? lsp_diags_json(s, d) : json_array();
	if (!with_findings)
		json_array_extend(diags, json_object_get(m->build_diags, uri));
	lsp_notify(s, "textDocument/publishDiagnostics",
	           json_pack("{s:s, s:o}", "uri", uri, "diagnostics", diags));
}

/* One cycle line of m's feed. */
static void feed_cycle(struct lsp_server *s, struct lsp_module *m, json_t *o)
{
	const char *build = json_string_value(json_object_get(o, "build"));
	if (!build)
		return;
	json_int_t cycle = json_integer_value(json_object_get(o, "cycle"));
	json_t *old = m->build_diags;
	m->build_diags = json_object();
	json_t *errors = json_object_get(o, "errors");
	size_t i;
	json_t *e;
	json_array_foreach(strcmp(build, "ok") ? errors : NULL, i, e)
	{
		const char *file = json_string_value(json_object_get(e, "file"));
		if (!file || file[0] != '/')
			continue;
		char *uri = lsp_path_to_uri(file);
		json_t *list = json_object_get(m->build_diags, uri);
		if (!list) {
			list = json_array();
			json_object_set_new(m->build_diags, uri, list);
		}
		json_int_t line = json_integer_value(json_object_get(e, "line"));
		json_int_t col = json_integer_value(json_object_get(e, "col"));
		json_t *range;
		struct lsp_doc *d = lsp_doc_find(s, uri);
		if (d) {
			range = lsp_range_json(&d->td, (unsigned)(line > 0 ? line : 1),
			                       (unsigned)(col > 0 ? col : 1), 0, 0);
		} else {
			json_int_t l = line > 0 ? line - 1 : 0, c = col > 0 ? col - 1 : 0;
			range = json_pack("{s:{s:I, s:I}, s:{s:I, s:I}}", "start", "line", l,
			                  "character", c, "end", "line", l + 1, "character",
			                  (json_int_t)0);
		}
		const char *msg = json_string_value(json_object_get(e, "message"));
		json_array_append_new(list, json_pack("{s:o, s:i, s:s, s:s, s:o}", "range", range,
		                                      "severity", 1, "source", "golive dev", "code",
		                                      "build", "message",
		                                      json_string_lossy(msg ? msg : "")));
		free(uri);
	}
	/* the files that had build errors, and those that have them now */
	const char *uri;
	json_t *v;
	json_object_foreach(old, uri, v)
	{
		if (!json_object_get(m->build_diags, uri))
			publish_uri(s, m, uri);
	}
	json_object_foreach(m->build_diags, uri, v)
	{
		publish_uri(s, m, uri);
	}
	json_decref(old);
	if (!strcmp(build, "ok")) {
		json_t *pid = json_object_get(o, "pid");
		double ms = json_number_value(json_object_get(o, "ms"));
		if (json_is_integer(pid))
			lsp_show(s, 3, "golive dev: serving v%lld (pid %lld) in %.0f ms",
			         (long long)cycle, (long long)json_integer_value(pid), ms);
	} else {
		lsp_show(s, 1, "golive dev: build failed (%zu error%s)", json_array_size(errors),
		         json_array_size(errors) == 1 ? "" : "s");
	}
}

/* Reads what m's feed gained since the last look. */
static void feed_read(struct lsp_server *s, struct lsp_module *m)
{
	struct stat st;
	if (!m->feed_path || stat(m->feed_path, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	if (m->feed_pos < 0) { /* the first look: only what comes next counts */
		m->feed_pos = st.st_size;
		m->feed_ino = (long long)st.st_ino;
		return;
	}
	if ((long long)st.st_ino != m->feed_ino || st.st_size < m->feed_pos) {
		m->feed_ino = (long long)st.st_ino;
		m->feed_pos = 0; /* a new golive dev */
	}
	if (st.st_size == m->feed_pos)
		return;
	/* never blocks: a FIFO put there is refused, like a directory */
	int fd = open(m->feed_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= m->feed_pos) {
		close(fd);
		return;
	}
	size_t want = (size_t)(st.st_size - m->feed_pos);
	if (want > (4u << 20))
		want = 4u << 20;
	char *buf = xmalloc(want + 1);
	ssize_t got = pread(fd, buf, want, (off_t)m->feed_pos);
	close(fd);
	size_t n = got > 0 ? (size_t)got : 0, pos = 0, ln;
	const char *line;
	while (jsonl_next_line(buf, n, &pos, &line, &ln)) {
		json_t *o = json_loadb(line, ln, 0, NULL);
		if (json_is_object(o))
			feed_cycle(s, m, o);
		json_decref(o);
	}
	if (!pos && n == (4u << 20))
		pos = n; /* a 4 MiB line is not golive dev's: skip it */
	m->feed_pos += (long long)pos;
	free(buf);
}

int lsp_feeds_poll(struct lsp_server *s)
{
	int64_t now = now_mono_ns();
	if (now < s->next_feed_ns)
		return (int)((s->next_feed_ns - now) / 1000000) + 1;
	for (size_t i = 0; i < s->modules.n && !s->gone; i++)
		feed_read(s, s->modules.v[i]);
	s->next_feed_ns = now + 200 * 1000000LL;
	return 200;
}
