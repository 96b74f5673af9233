/* browser.c - see browser.h. */
#define _GNU_SOURCE
#include "dev/browser.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/*
 * The page side. DOM built with createElement/textContent (no innerHTML:
 * compiler messages are text), styles through the CSSOM (allowed under a
 * CSP without 'unsafe-inline').
 */
static const char script[] =
    "(function(){\n"
    "'use strict';\n"
    "if (window.__golive) return;\n"
    "var me = document.currentScript, m = me && /[?&]v=(\\d+)/.exec(me.src);\n"
    "var G = window.__golive = {version: m ? +m[1] : -1, reloads: 0};\n"
    "var box = null, badge = null;\n"
    "function css(el, o) { for (var k in o) el.style[k] = o[k]; return el; }\n"
    "function el(tag, text, o) { var e = document.createElement(tag);\n"
    "  if (text != null) e.textContent = text; return o ? css(e, o) : e; }\n"
    "function clear() { if (box) box.remove(); box = null; if (badge) badge.remove(); badge = "
    "null; }\n"
    "function root() { return document.body || document.documentElement; }\n"
    "function show(d, kind) {\n"
    "  clear();\n"
    "  box = el('div', null, {position: 'fixed', inset: '0', zIndex: '2147483647',\n"
    "    background: 'rgba(20,20,24,.94)', color: '#eee', font: '14px/1.5 "
    "ui-monospace,monospace',\n"
    "    padding: '24px', overflow: 'auto', whiteSpace: 'pre-wrap'});\n"
    "  box.id = 'golive-overlay';\n"
    "  box.dataset.kind = kind;\n"
    "  box.appendChild(el('div', d.title || 'build failed', {color: kind === 'findings' ? "
    "'#ffd866' : '#ff6b6b', fontWeight: 'bold', fontSize: '16px', marginBottom: '12px'}));\n"
    "  (d.diagnostics || []).forEach(function (x) {\n"
    "    var row = el('div', null, {margin: '6px 0'});\n"
    "    var a = el('a', x.file + ':' + x.line + (x.col ? ':' + x.col : ''), {color: '#7cc7ff'});\n"
    "    a.href = x.href; a.className = 'golive-loc';\n"
    "    row.appendChild(a); row.appendChild(el('span', ': ' + x.message));\n"
    "    box.appendChild(row);\n"
    "  });\n"
    "  if (!(d.diagnostics || []).length && d.log) box.appendChild(el('div', d.log));\n"
    "  var x = el('div', '\\u00d7', {position: 'absolute', top: '8px', right: '16px', cursor: "
    "'pointer', fontSize: '22px'});\n"
    "  x.onclick = clear; box.appendChild(x);\n"
    "  root().appendChild(box);\n"
    "}\n"
    "function building() {\n"
    "  if (badge) return;\n"
    "  badge = el('div', 'golive: building\\u2026', {position: 'fixed', right: '8px', bottom: "
    "'8px', zIndex: '2147483647', background: '#333', color: '#fff', font: '12px sans-serif', "
    "padding: '4px 8px', borderRadius: '4px', opacity: '.85'});\n"
    "  badge.id = 'golive-badge'; root().appendChild(badge);\n"
    "}\n"
    "function swapcss() {\n"
    "  var links = document.querySelectorAll('link[rel~=\"stylesheet\"]');\n"
    "  Array.prototype.forEach.call(links, function (l) {\n"
    "    var u = new URL(l.href, location.href);\n"
    "    if (u.origin !== location.origin) return;\n"
    "    u.searchParams.set('golive', Date.now());\n"
    "    var n = l.cloneNode(); n.href = u.href;\n"
    "    n.onload = n.onerror = function () { l.remove(); };\n"
    "    l.after(n);\n"
    "  });\n"
    "  if (badge) { badge.remove(); badge = null; }\n"
    "}\n"
    "function reload() { G.reloads++; location.reload(); }\n"
    "function data(e) { try { return JSON.parse(e.data); } catch (_) { return {}; } }\n"
    "var es = new EventSource('/__golive/events');\n"
    "G.events = es;\n"
    "es.addEventListener('hello', function (e) { var d = data(e);\n"
    "  if (G.version >= 0 && d.version !== G.version) reload(); });\n"
    "es.addEventListener('building', building);\n"
    "es.addEventListener('reload', function (e) { reload(); });\n"
    "es.addEventListener('css', swapcss);\n"
    "es.addEventListener('error', function (e) { if (e.data) show(data(e), 'error'); });\n"
    "es.addEventListener('findings', function (e) { show(data(e), 'findings'); });\n"
    "es.addEventListener('clear', clear);\n"
    "})();\n";

const char *browser_script(size_t *len)
{
	*len = sizeof(script) - 1;
	return script;
}

static void add_encoded(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("/._~-", c))
			strbuf_addch(sb, (char)c);
		else
			strbuf_addf(sb, "%%%02X", c);
	}
}

char *browser_editor_href(const char *tmpl, const char *abs, const char *rel, long line, long col)
{
	struct strbuf sb = STRBUF_INIT;
	if (!tmpl)
		tmpl = BROWSER_EDITOR_URL;
	for (const char *p = tmpl; *p;) {
		if (!strncmp(p, "{abs}", 5)) {
			const char *a = abs;
			if (sb.len && sb.buf[sb.len - 1] == '/' && *a == '/')
				a++;
			add_encoded(&sb, a);
			p += 5;
		} else if (!strncmp(p, "{file}", 6)) {
			add_encoded(&sb, rel);
			p += 6;
		} else if (!strncmp(p, "{line}", 6)) {
			strbuf_addf(&sb, "%ld", line);
			p += 6;
		} else if (!strncmp(p, "{col}", 5)) {
			strbuf_addf(&sb, "%ld", col > 0 ? col : 1);
			p += 5;
		} else {
			strbuf_addch(&sb, *p++);
		}
	}
	return strbuf_detach(&sb, NULL);
}

/* "file:line[:col]: message" at l (n bytes): fills the parts, 1 when it is one. */
static int parse_diag(const char *l, size_t n, size_t *flen, long *line, long *col,
                      const char **msg)
{
	for (size_t i = 1; i + 1 < n; i++) {
		if (l[i] != ':' || !isdigit((unsigned char)l[i + 1]))
			continue;
		char *end;
		long ln = strtol(l + i + 1, &end, 10);
		long cl = 0;
		if (end < l + n && *end == ':' && end + 1 < l + n && isdigit((unsigned char)end[1]))
			cl = strtol(end + 1, &end, 10);
		if (end + 1 >= l + n || *end != ':' || end[1] != ' ' || ln <= 0)
			return 0;
		*flen = i;
		*line = ln;
		*col = cl;
		*msg = end + 2;
		return memchr(l, ' ', i) == NULL;
	}
	return 0;
}

char *browser_error_json(const char *title, const char *log, size_t len, const char *base,
                         const char *tmpl)
{
	json_t *o = json_object(), *diags = json_array();
	for (const char *l = log; l < log + len;) {
		const char *e = memchr(l, '\n', (size_t)(log + len - l));
		if (!e)
			e = log + len;
		size_t flen;
		long line, col;
		const char *msg;
		if (json_array_size(diags) < 200 &&
		    parse_diag(l, (size_t)(e - l), &flen, &line, &col, &msg)) {
			char *file = xstrndup(l, flen);
			char *abs =
			    file[0] == '/' || !base ? xstrdup(file) : path_join_clean(base, file);
			size_t bl = base ? strlen(base) : 0;
			if (bl && !strncmp(abs, base, bl) && abs[bl] == '/') { /* shown relative */
				free(file);
				file = xstrdup(abs + bl + 1);
			}
			char *href = browser_editor_href(tmpl, abs, file, line, col);
			json_t *d = json_object();
			json_object_set_new(d, "file", json_string(file));
			json_object_set_new(d, "abs", json_string(abs));
			json_object_set_new(d, "line", json_integer(line));
			json_object_set_new(d, "col", json_integer(col));
			json_object_set_new(d, "message", json_stringn(msg, (size_t)(e - msg)));
			json_object_set_new(d, "href", json_string(href));
			json_array_append_new(diags, d);
			free(file);
			free(abs);
			free(href);
		}
		l = e + 1;
	}
	json_object_set_new(o, "title", json_string(title ? title : "build failed"));
	json_object_set_new(o, "diagnostics", diags);
	size_t cut = len > 65536 ? 65536 : len;
	while (cut < len && cut && ((unsigned char)log[cut] & 0xC0) == 0x80)
		cut--; /* not in the middle of a UTF-8 sequence */
	json_t *lg = json_stringn(log, cut);
	json_object_set_new(o, "log", lg ? lg : json_string("(the build's output is not UTF-8)"));
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s ? s : xstrdup("{}");
}

char *browser_files_json(const struct argv_array *files)
{
	json_t *o = json_object(), *a = json_array();
	for (size_t i = 0; files && i < files->argc; i++)
		json_array_append_new(a, json_string(files->argv[i]));
	json_object_set_new(o, "files", a);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s ? s : xstrdup("{}");
}
