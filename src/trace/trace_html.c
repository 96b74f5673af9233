/*
 * trace_html.c - see trace.h: the HTML build report (--report FILE).
 *
 * Spans are copied as they arrive; at end() everything the page shows is
 * worked out here (roots, lanes, the critical path, the slowest packages,
 * per-tool totals, the diagnostics) and put in one JSON object built with
 * jansson. The page is fixed HTML, CSS and JS (below) around that object,
 * which sits in a <script type="application/json"> element with every '<'
 * written as \u003c, so no string from a span can end the element or reach
 * the markup: the script reads the object and builds the DOM with
 * textContent. Nothing is fetched: no fonts, images or scripts, and a
 * Content-Security-Policy that would refuse them anyway. The file is
 * written to "<path>.tmp" and renamed over path.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core/jsonl.h"
#include "trace/trace.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GOLIVE_VERSION_STRING
#define GOLIVE_VERSION_STRING "dev"
#endif

#define TOP_PACKAGES 15

/* ---- the fixed page -------------------------------------------------------- */

/*
 * The page around the data, in pieces that each stay under the 4095
 * characters ISO C asks compilers to support in one string literal.
 * Nothing here may contain a URL: the report must load nothing.
 */
static const char *const html_head[] = {
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
    "<meta name=\"referrer\" content=\"no-referrer\">\n"
    "<link rel=\"icon\" href=\"data:,\">\n"
    "<title>golive build report</title>\n"
    "<style>\n"
    ":root{--bg:#fff;--fg:#1d1f21;--mut:#5f6368;--line:#dadce0;--card:#f4f5f7;"
    "--bad:#c5221f;--ok:#188038;--crit:#202124;--foc:#1a73e8}\n"
    "@media (prefers-color-scheme:dark){:root{--bg:#17191c;--fg:#e8eaed;"
    "--mut:#9aa0a6;--line:#3c4043;--card:#202327;--bad:#f28b82;--ok:#81c995;"
    "--crit:#fff;--foc:#8ab4f8}}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%;background:var(--bg)}\n"
    "body{margin:0 auto;max-width:1280px;padding:12px;font:14px/1.4 system-ui,"
    "-apple-system,\"Segoe UI\",Roboto,sans-serif;color:var(--fg);"
    "background:var(--bg);overflow-wrap:anywhere}\n"
    "h1{font-size:20px;margin:4px 0 10px}\n"
    "h2{font-size:16px;margin:22px 0 8px}\n"
    "#summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,"
    "1fr));gap:8px;margin:0}\n"
    ".kv{background:var(--card);border-radius:6px;padding:6px 8px;min-width:0}\n"
    ".kv.wide{grid-column:1/-1}\n"
    "dt{font-size:12px;color:var(--mut)}\n"
    "dd{margin:0;font-weight:600}\n"
    ".ok{color:var(--ok)}\n"
    ".bad{color:var(--bad)}\n"
    ".note{color:var(--mut);font-size:13px;margin:4px 0 8px}\n"
    ".mono,.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "font-size:12px}\n"
    ".bar-tools{display:flex;flex-wrap:wrap;align-items:center;gap:6px 12px;"
    "margin:6px 0}\n"
    "button{font:inherit;font-size:13px;min-width:32px;padding:2px 8px;border:1px "
    "solid var(--line);border-radius:4px;background:var(--card);color:var(--fg)}\n"
    "#legend{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:12px}\n"
    ".sw{display:inline-block;width:10px;height:10px;border-radius:2px;"
    "margin-right:4px;vertical-align:-1px}\n"
    ".sw.fail{background:repeating-linear-gradient(45deg,transparent 0 2px,"
    "var(--bad) 2px 4px);outline:1px solid var(--bad)}\n"
    ".sw.crit{box-shadow:inset 0 0 0 2px var(--crit)}\n"
    "#timeline{position:relative;overflow-x:auto;overflow-y:hidden;border:1px solid "
    "var(--line);border-radius:6px;background:var(--card);"
    "-webkit-overflow-scrolling:touch}\n"
    ".tl-inner{position:relative;min-width:100%}\n"
    ".axis{position:relative;overflow:hidden;height:18px;border-bottom:1px solid "
    "var(--line);font-size:11px;color:var(--mut)}\n"
    ".tick{position:absolute;top:0;height:100%;border-left:1px solid var(--line);"
    "padding-left:2px;white-space:nowrap}\n"
    ".roots,.lanes{position:relative;margin:3px 0}\n"
    ".bar,.root-bar{position:absolute;height:17px;min-width:2px;border-radius:3px;"
    "font-size:11px;line-height:17px;padding:0 3px;overflow:hidden;"
    "white-space:nowrap;color:#111;cursor:pointer}\n"
    ".root-bar{background:#9aa0a6;color:#fff;font-weight:600}\n"
    ".root-bar.fail,.bar.fail{background-image:repeating-linear-gradient(45deg,"
    "transparent 0 4px,rgba(197,34,31,.55) 4px 8px);outline:2px solid var(--bad);"
    "outline-offset:-2px}\n"
    ".bar.critical{box-shadow:inset 0 0 0 2px var(--crit);font-weight:700}\n"
    ".bar:focus,.bar.sel{outline:2px solid var(--foc);outline-offset:0;z-index:2}\n"
    "#tip{position:fixed;z-index:10;max-width:min(340px,92vw);background:var(--bg);"
    "color:var(--fg);border:1px solid var(--line);border-radius:6px;box-shadow:0 "
    "4px 16px rgba(0,0,0,.3);padding:8px 10px;font-size:13px;pointer-events:none}\n"
    "#tip[hidden]{display:none}\n"
    "#tip b{display:block;margin-bottom:4px}\n"
    "#tip dl{display:grid;grid-template-columns:auto 1fr;gap:1px 10px;margin:0}\n",
    "#tip dt{font-size:12px}\n"
    "#tip dd{font-weight:400}\n"
    ".scroll{overflow-x:auto;max-width:100%}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "th,td{text-align:left;padding:4px 6px;border-bottom:1px solid var(--line);"
    "vertical-align:top}\n"
    "th{font-size:12px;color:var(--mut);font-weight:600}\n"
    ".num{text-align:right;white-space:nowrap}\n"
    ".share{display:inline-block;width:56px;height:8px;background:var(--line);"
    "border-radius:4px;vertical-align:middle;margin-right:6px;overflow:hidden}\n"
    ".share span{display:block;height:100%;background:#4e79a7}\n"
    "ol#critical{padding:0 0 0 36px;margin:0;max-height:330px;overflow:auto;"
    "border:1px solid var(--line);border-radius:6px}\n"
    "ol#critical:empty{display:none}\n"
    "ol#critical li{padding:2px 0;cursor:pointer}\n"
    ".sev-error{color:var(--bad);font-weight:600}\n"
    ".sev-warning{color:#b06000}\n"
    "footer{margin:24px 0 8px;color:var(--mut);font-size:12px}\n"
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<header><h1 id=\"title\">golive build report</h1><dl id=\"summary\"></dl></header>\n"
    "<noscript><p>This report is drawn by its inline script: enable JavaScript to "
    "see it.</p></noscript>\n"
    "<section><h2>Timeline</h2>\n"
    "<div class=\"bar-tools\"><span><button type=\"button\" id=\"zout\" aria-label=\"zoom "
    "out\">&minus;</button> <button type=\"button\" id=\"zin\" aria-label=\"zoom "
    "in\">+</button> <button type=\"button\" id=\"zfit\">fit</button></span><div "
    "id=\"legend\"></div></div>\n"
    "<div id=\"timeline\"></div>\n"
    "<p class=\"note\">One bar per tool run, in lanes by start time; hover or tap a "
    "bar for its details.</p></section>\n"
    "<section><h2>Critical path</h2>\n"
    "<p class=\"note\">golive does not see go's action graph, so this chain is "
    "inferred from time alone: it starts at the run that finished last and "
    "repeatedly steps back to the run that finished most recently before the "
    "current one started.</p>\n"
    "<p id=\"crit-sum\" class=\"note\"></p><ol id=\"critical\"></ol></section>\n"
    "<section><h2>Slowest packages</h2><p id=\"pkg-sum\" class=\"note\"></p><div "
    "class=\"scroll\"><table id=\"packages\"></table></div></section>\n"
    "<section><h2>Tools</h2><div class=\"scroll\"><table "
    "id=\"tools\"></table></div></section>\n"
    "<section><h2>Diagnostics</h2><div id=\"diags\" class=\"scroll\"></div></section>\n"
    "<footer id=\"foot\"></footer>\n"
    "<div id=\"tip\" role=\"tooltip\" hidden></div>\n"
    "<script type=\"application/json\" id=\"golive-data\">\n",
};

static const char *const html_tail[] = {
    "</script>\n"
    "<script>\n"
    "(function () {\n"
    "'use strict';\n"
    "var root = document.documentElement;\n"
    "window.onerror = function (msg) { root.dataset.error = String(msg); };\n"
    "var D = JSON.parse(document.getElementById('golive-data').textContent);\n"
    "var S = D.spans || [], W = Math.max(D.wall_ns || 0, 1), LH = 20;\n"
    "var PAL = {compile: '#7aa6d8', link: '#f2a25c', asm: '#8fcfc9', cgo: '#edc948',"
    " vet: '#8cc47e',\n"
    "  pack: '#c9a0c3', cover: '#ff9da7', build: '#b9a08b', restart: '#d4cfcb', "
    "cycle: '#aab4bf'};\n"
    "function $(id) { return document.getElementById(id); }\n"
    "function el(tag, cls, text) {\n"
    "  var e = document.createElement(tag);\n"
    "  if (cls) e.className = cls;\n"
    "  if (text != null) e.textContent = String(text);\n"
    "  return e;\n"
    "}\n"
    "function add(p, c) { p.appendChild(c); return c; }\n"
    "function has(o, k) { return o != null && "
    "Object.prototype.hasOwnProperty.call(o, k); }\n"
    "function color(n) {\n"
    "  if (has(PAL, n)) return PAL[n];\n"
    "  var h = 0;\n"
    "  for (var i = 0; i < n.length; i++) h = (h * 31 + n.charCodeAt(i)) >>> 0;\n"
    "  return 'hsl(' + (h % 360) + ',55%,68%)';\n"
    "}\n"
    "function dur(ns) {\n"
    "  if (ns == null) return '';\n"
    "  var ms = ns / 1e6;\n"
    "  if (ms < 1) return ms.toFixed(2) + ' ms';\n"
    "  if (ms < 1000) return ms.toFixed(ms < 10 ? 1 : 0) + ' ms';\n"
    "  var s = ms / 1000;\n"
    "  if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + ' s';\n"
    "  var m = Math.floor(s / 60);\n"
    "  return m + ' min ' + Math.round(s - 60 * m) + ' s';\n"
    "}\n"
    "function size(b) {\n"
    "  if (b == null) return '';\n"
    "  var u = ['B', 'KiB', 'MiB', 'GiB'], i = 0;\n"
    "  while (b >= 1024 && i < 3) { b /= 1024; i++; }\n"
    "  return (i ? b.toFixed(b < 10 ? 1 : 0) : b) + ' ' + u[i];\n"
    "}\n"
    "function pct(f) { return (100 * f).toFixed(f < 0.1 ? 1 : 0) + '%'; }\n"
    "function label(s) { return s.name + (s.importpath ? ' ' + s.importpath : ''); }\n"
    "function swatch(name) { var e = el('span', 'sw'); e.style.background = "
    "color(name); return e; }\n"
    "\n"
    "/* header */\n"
    "var sm = D.summary || {}, dl = $('summary');\n"
    "function kv(k, v, cls) {\n"
    "  if (v == null || v === '') return null;\n"
    "  var d = add(dl, el('div', 'kv'));\n"
    "  add(d, el('dt', null, k));\n"
    "  return add(d, el('dd', cls, v));\n"
    "}\n"
    "var failed = S.filter(function (s) { return !s.root && s.error; });\n"
    "var bad = sm.exit_code != null ? sm.exit_code !== 0 : (failed.length > 0 || "
    "!!sm.error);\n"
    "var result = bad ? 'failed' + (sm.exit_code != null ? ' (exit ' + sm.exit_code "
    "+ ')' : '') : 'ok';\n"
    "if (failed.length) result += ', ' + failed.length + ' tool run' + "
    "(failed.length > 1 ? 's' : '') + ' failed';\n"
    "var dev = sm.name === 'cycle';\n"
    "if (dev) $('title').textContent = 'golive dev report';\n"
    "if (sm.cycle != null) kv('cycle', '#' + sm.cycle + (sm.trigger ? ' (' + "
    "sm.trigger + ')' : ''));\n"
    "var built = kv('built', sm.packages || (dev ? null : sm.name || '(unknown)'));\n"
    "if (built) built.parentNode.className = 'kv wide';\n"
    "var changed = kv('changed', sm.changed, 'mono');\n"
    "if (changed) changed.parentNode.className = 'kv wide';\n"
    "kv('result', result, bad ? 'bad' : 'ok');\n"
    "kv('build', sm.build);\n"
    "kv('ready', sm.ready);\n"
    "kv('wall time', dur(D.wall_ns));\n"
    "kv('tool runs', sm.tool_runs != null ? sm.tool_runs : S.length - (D.roots || 0));\n"
    "kv('cache hits', sm.cache_hits);\n"
    "kv('packages in graph', sm.graph_packages);\n"
    "kv('go', sm.go_version);\n"
    "kv('golive', sm.golive_version);\n"
    "if (D.start_unix_ms) kv('started', new Date(D.start_unix_ms).toLocaleString());\n"
    "if (D.service && D.service !== 'golive') kv('service', D.service);\n"
    "var tid = kv('trace id', (D.trace_ids || []).join(' '), 'mono');\n"
    "if (tid) tid.parentNode.className = 'kv wide';\n"
    "if (failed.length) {\n",
    "  var fl = kv('failed', failed.slice(0, 8).map(label).join(', ') + "
    "(failed.length > 8 ? ', ...' : ''), 'bad');\n"
    "  fl.parentNode.className = 'kv wide';\n"
    "}\n"
    "document.title = (dev ? 'golive dev: cycle ' + sm.cycle : 'golive build: ' + "
    "(sm.packages || '')) + ' - ' + (bad ? 'failed' : 'ok');\n"
    "\n"
    "/* critical path */\n"
    "var crit = D.critical || [], onCrit = {};\n"
    "crit.forEach(function (i) { onCrit[i] = true; });\n"
    "\n"
    "/* timeline */\n"
    "var tl = $('timeline'), inner = add(tl, el('div', 'tl-inner')), axis = "
    "add(inner, el('div', 'axis'));\n"
    "var roots = add(inner, el('div', 'roots')), lanes = add(inner, el('div', 'lanes'));\n"
    "roots.style.height = ((D.root_lanes || 0) * LH) + 'px';\n"
    "lanes.style.height = ((D.lanes || 0) * LH) + 'px';\n"
    "var bars = {}, names = [], seen = {};\n"
    "S.forEach(function (s, i) {\n"
    "  var b = el('div', s.root ? 'root-bar' : 'bar', label(s));\n"
    "  if (!s.root && onCrit[i]) b.className += ' critical';\n"
    "  if (s.error) b.className += ' fail';\n"
    "  b.style.left = (100 * s.start / W) + '%';\n"
    "  b.style.width = (100 * s.dur / W) + '%';\n"
    "  b.style.top = ((s.lane || 0) * LH) + 'px';\n"
    "  if (!s.root) b.style.background = color(s.name);\n"
    "  b.tabIndex = 0;\n"
    "  b.dataset.i = i;\n"
    "  add(s.root ? roots : lanes, b);\n"
    "  bars[i] = b;\n"
    "  if (!s.root && !has(seen, s.name)) { seen[s.name] = 0; names.push(s.name); }\n"
    "  if (!s.root) seen[s.name]++;\n"
    "});\n"
    "var lg = $('legend');\n"
    "names.forEach(function (n) {\n"
    "  var e = add(lg, el('span'));\n"
    "  add(e, swatch(n));\n"
    "  add(e, document.createTextNode(n + ' (' + seen[n] + ')'));\n"
    "});\n"
    "[['crit', 'critical path'], ['fail', 'failed']].forEach(function (m) {\n"
    "  var e = add(lg, el('span'));\n"
    "  add(e, el('span', 'sw ' + m[0]));\n"
    "  add(e, document.createTextNode(m[1]));\n"
    "});\n"
    "var zoom = tl.clientWidth && tl.clientWidth < 600 ? 2 : 1;\n"
    "function ticks() {\n"
    "  axis.textContent = '';\n"
    "  var n = Math.max(2, Math.floor(inner.clientWidth / 90)), raw = W / n;\n"
    "  var p = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), step = p;\n"
    "  [1, 2, 5, 10].some(function (m) { step = m * p; return step >= raw; });\n"
    "  for (var t = 0; t <= W; t += step) {\n"
    "    var k = add(axis, el('div', 'tick', dur(t)));\n"
    "    k.style.left = (100 * t / W) + '%';\n"
    "  }\n"
    "}\n"
    "function setZoom(z) {\n"
    "  var c = tl.scrollLeft + tl.clientWidth / 2, f = c / (inner.clientWidth || 1);\n"
    "  zoom = Math.min(256, Math.max(1, z));\n"
    "  inner.style.width = (zoom * 100) + '%';\n"
    "  ticks();\n"
    "  tl.scrollLeft = f * inner.clientWidth - tl.clientWidth / 2;\n"
    "}\n"
    "$('zin').onclick = function () { setZoom(zoom * 2); };\n"
    "$('zout').onclick = function () { setZoom(zoom / 2); };\n"
    "$('zfit').onclick = function () { setZoom(1); };\n"
    "inner.style.width = (zoom * 100) + '%';\n"
    "ticks();\n"
    "window.addEventListener('resize', ticks);\n"
    "\n"
    "/* details on hover, tap and focus */\n"
    "var tip = $('tip'), sel = null;\n"
    "function row(d, k, v) {\n"
    "  if (v == null || v === '') return;\n"
    "  add(d, el('dt', null, k));\n"
    "  add(d, el('dd', null, v));\n"
    "}\n"
    "function show(i, x, y) {\n"
    "  var s = S[i];\n"
    "  if (!s) return;\n"
    "  if (sel !== bars[i]) fill(s, i);\n"
    "  tip.style.left = tip.style.top = '0';\n"
    "  tip.hidden = false;\n"
    "  var w = tip.offsetWidth, h = tip.offsetHeight;\n"
    "  var left = Math.max(4, Math.min(x + 12, window.innerWidth - w - 4));\n"
    "  var top = y + 16 + h > window.innerHeight ? Math.max(4, y - h - 12) : y + 16;\n"
    "  tip.style.left = left + 'px';\n"
    "  tip.style.top = top + 'px';\n"
    "  if (sel) sel.classList.remove('sel');\n"
    "  sel = bars[i];\n"
    "  if (sel) sel.classList.add('sel');\n"
    "}\n"
    "function fill(s, i) {\n"
    "  tip.textContent = '';\n"
    "  add(tip, el('b', null, s.name));\n"
    "  var d = add(tip, el('dl'));\n"
    "  row(d, 'package', s.importpath);\n",
    "  row(d, 'starts at', '+' + dur(s.start));\n"
    "  row(d, 'wall', dur(s.dur));\n"
    "  row(d, 'CPU', s.cpu_ns != null ? dur(s.cpu_ns) : null);\n"
    "  row(d, 'max RSS', s.rss_kb != null ? size(1024 * s.rss_kb) : null);\n"
    "  row(d, 'files', s.files != null ? s.files + (s.bytes != null ? ' (' + "
    "size(s.bytes) + ')' : '') : null);\n"
    "  row(d, 'diagnostics', s.diags);\n"
    "  row(d, 'exit code', s.exit);\n"
    "  if (s.error) row(d, 'failed', s.status || 'yes');\n"
    "  if (onCrit[i]) row(d, 'critical path', 'step ' + (crit.indexOf(i) + 1) + ' "
    "of ' + crit.length);\n"
    "}\n"
    "function hide() {\n"
    "  tip.hidden = true;\n"
    "  if (sel) sel.classList.remove('sel');\n"
    "  sel = null;\n"
    "}\n"
    "function barOf(e) {\n"
    "  var t = e.target;\n"
    "  return t && t.dataset && t.dataset.i != null ? t : null;\n"
    "}\n"
    "inner.addEventListener('mousemove', function (e) {\n"
    "  var b = barOf(e);\n"
    "  if (b) show(+b.dataset.i, e.clientX, e.clientY); else hide();\n"
    "});\n"
    "inner.addEventListener('mouseleave', hide);\n"
    "inner.addEventListener('click', function (e) {\n"
    "  var b = barOf(e);\n"
    "  if (b) { show(+b.dataset.i, e.clientX, e.clientY); e.stopPropagation(); }\n"
    "});\n"
    "inner.addEventListener('focusin', function (e) {\n"
    "  var b = barOf(e);\n"
    "  if (!b) return;\n"
    "  var r = b.getBoundingClientRect();\n"
    "  show(+b.dataset.i, Math.max(0, r.left), r.bottom - 8);\n"
    "});\n"
    "inner.addEventListener('focusout', hide);\n"
    "document.addEventListener('click', hide);\n"
    "document.addEventListener('keydown', function (e) { if (e.key === 'Escape') "
    "hide(); });\n"
    "tl.addEventListener('scroll', hide);\n"
    "\n"
    "/* critical path list */\n"
    "var cl = $('critical'), ctot = 0;\n"
    "crit.forEach(function (i) {\n"
    "  var s = S[i];\n"
    "  if (!s) return;\n"
    "  ctot += s.dur;\n"
    "  var li = add(cl, el('li'));\n"
    "  add(li, swatch(s.name));\n"
    "  add(li, el('span', null, s.name + ' '));\n"
    "  add(li, el('span', 'path', s.importpath || ''));\n"
    "  add(li, el('span', 'note', ' ' + dur(s.dur)));\n"
    "  li.onclick = function (e) {\n"
    "    e.stopPropagation();\n"
    "    bars[i].scrollIntoView({block: 'nearest', inline: 'center'});\n"
    "    bars[i].focus();\n"
    "  };\n"
    "});\n"
    "$('crit-sum').textContent = crit.length\n"
    "  ? crit.length + (crit.length > 1 ? ' runs, ' : ' run, ') + dur(ctot) + ' of "
    "work (' + pct(Math.min(1, ctot / W)) + ' of the wall time); the rest is "
    "waiting between them'\n"
    "  : 'no tool runs';\n"
    "\n"
    "/* tables */\n"
    "function table(t, head, rows) {\n"
    "  if (!rows.length) return;\n"
    "  var tr = add(add(t, el('thead')), el('tr'));\n"
    "  head.forEach(function (h) { add(tr, el('th', h[1], h[0])); });\n"
    "  var tb = add(t, el('tbody'));\n"
    "  rows.forEach(function (r) {\n"
    "    var x = add(tb, el('tr'));\n"
    "    r.forEach(function (c, k) {\n"
    "      var td = add(x, el('td', head[k][1]));\n"
    "      if (c && c.nodeType) add(td, c); else td.textContent = c == null ? '' : "
    "String(c);\n"
    "    });\n"
    "  });\n"
    "}\n"
    "var P = D.packages || [];\n"
    "$('pkg-sum').textContent = P.length\n"
    "  ? 'Import paths by the summed wall time of their tool runs' + (P.length >= "
    "15 ? ' (the top 15)' : '') + ', and their share of all ' + dur(D.tool_wall_ns) "
    "+ ' of tool time.'\n"
    "  : 'no packages';\n"
    "if (!(D.tools || []).length) add($('tools').parentNode, el('p', null, 'no tool "
    "runs'));\n"
    "table($('packages'), [['import path', 'path'], ['wall', 'num'], ['share', "
    "'num'], ['runs', 'num']],\n"
    "  P.map(function (p) {\n"
    "    var f = el('span'), bar = add(f, el('span', 'share'));\n"
    "    add(bar, el('span')).style.width = pct(Math.min(1, p.share || 0));\n"
    "    add(f, document.createTextNode(pct(p.share || 0)));\n"
    "    return [p.importpath, dur(p.wall_ns), f, p.runs];\n"
    "  }));\n"
    "table($('tools'), [['tool'], ['runs', 'num'], ['wall', 'num'], ['CPU', 'num'], "
    "['failed', 'num']],\n"
    "  (D.tools || []).map(function (t) {\n",
    "    var f = el('span');\n"
    "    add(f, swatch(t.name));\n"
    "    add(f, document.createTextNode(t.name));\n"
    "    return [f, t.count, dur(t.wall_ns), dur(t.cpu_ns), t.failed || ''];\n"
    "  }));\n"
    "var G = D.diagnostics || [], dg = $('diags');\n"
    "if (!G.length) {\n"
    "  add(dg, el('p', null, 'no findings'));\n"
    "} else {\n"
    "  var SEV = {error: 1, warning: 1, info: 1};\n"
    "  table(add(dg, el('table')), [['location', 'path'], ['severity'], "
    "['analyzer'], ['message']],\n"
    "    G.map(function (g) {\n"
    "      var loc = (g.file || '?') + (g.line ? ':' + g.line + (g.col ? ':' + "
    "g.col : '') : '');\n"
    "      var sv = el('span', has(SEV, g.severity) ? 'sev-' + g.severity : null, "
    "g.severity || '');\n"
    "      return [loc, sv, g.analyzer || '', g.message || ''];\n"
    "    }));\n"
    "}\n"
    "$('foot').textContent = 'Written by ' + (D.generator || 'golive') + '. This "
    "file is self-contained: it loads nothing from the network.';\n"
    "root.dataset.fits = root.scrollWidth <= root.clientWidth ? '1' : '0';\n"
    "root.dataset.ready = '1';\n"
    "})();\n"
    "</script>\n"
    "</body>\n"
    "</html>\n",
};

/* ---- the exporter ---------------------------------------------------------- */

struct html_exporter {
	struct trace_exporter base; /* first: the vtable the caller holds */
	char *path;
	char *service;            /* the resource's service.name, or NULL */
	ARRAY(struct span) spans; /* deep copies (trace_span_copy) */
	int ended;
};

/* What end() works out about one span; info[i] is the i-th span in start order. */
struct span_info {
	const struct span *s;
	int root;      /* no parent among the spans given */
	long parent;   /* index of the parent, or -1 */
	long lane;     /* roots and the others have lanes of their own, from 0 */
	int has_child; /* some span's parent */
};

static struct html_exporter *html_of(struct trace_exporter *e)
{
	return (struct html_exporter *)e;
}

/* a - b, saturated: hostile times must not overflow. */
static int64_t sub_sat(int64_t a, int64_t b)
{
	int64_t d;
	if (__builtin_sub_overflow(a, b, &d))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return d;
}

static int64_t add_sat(int64_t a, int64_t b)
{
	int64_t d;
	if (__builtin_add_overflow(a, b, &d))
		return b < 0 ? INT64_MIN : INT64_MAX;
	return d;
}

static const struct trace_attr *find_attr(const struct trace_attr *attrs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (attrs[i].key && strcmp(attrs[i].key, key) == 0)
			return &attrs[i];
	return NULL;
}

/* The string attribute key, or NULL (absent, or of another type). */
static const char *attr_str(const struct trace_attr *attrs, size_t n, const char *key)
{
	const struct trace_attr *a = find_attr(attrs, n, key);
	return a && a->type == TRACE_ATTR_STRING ? a->v.s : NULL;
}

/* The integer attribute key (a finite double is truncated) in *v: 1, or 0 when absent. */
static int attr_int(const struct trace_attr *attrs, size_t n, const char *key, int64_t *v)
{
	const struct trace_attr *a = find_attr(attrs, n, key);
	if (a && a->type == TRACE_ATTR_INT) {
		*v = a->v.i;
		return 1;
	}
	if (a && a->type == TRACE_ATTR_DOUBLE && a->v.d > -9.2e18 && a->v.d < 9.2e18) {
		*v = (int64_t)a->v.d;
		return 1;
	}
	return 0;
}

static int html_begin(struct trace_exporter *e, const struct trace_resource *res, char **cause)
{
	struct html_exporter *h = html_of(e);
	if (h->ended) {
		*cause = xasprintf("html report %s: begin after end", h->path);
		return -1;
	}
	const char *svc = res ? attr_str(res->attrs, res->nattrs, "service.name") : NULL;
	if (svc && *svc) {
		free(h->service);
		h->service = xstrdup(svc);
	}
	return 0;
}

static int html_span(struct trace_exporter *e, const struct span *s, char **cause)
{
	struct html_exporter *h = html_of(e);
	if (h->ended) {
		*cause = xasprintf("html report %s: span after end", h->path);
		return -1;
	}
	ARRAY_GROW(h->spans, h->spans.n + 1);
	trace_span_copy(&h->spans.v[h->spans.n++], s);
	return 0;
}

/* ---- working it out ----------------------------------------------------------- */

/* Start order; at one start, roots first, then the longer span, by name, by span id. */
static int cmp_start(const void *a, const void *b)
{
	const struct span_info *x = a, *y = b;
	if (x->s->start_ns != y->s->start_ns)
		return x->s->start_ns < y->s->start_ns ? -1 : 1;
	if (x->root != y->root)
		return x->root ? -1 : 1;
	if (x->s->end_ns != y->s->end_ns)
		return x->s->end_ns > y->s->end_ns ? -1 : 1;
	int c = strcmp(x->s->name, y->s->name);
	return c ? c : memcmp(x->s->span_id, y->s->span_id, 8);
}

struct id_index {
	uint8_t id[8];
	long index;
};

static int cmp_id(const void *a, const void *b)
{
	return memcmp(((const struct id_index *)a)->id, ((const struct id_index *)b)->id, 8);
}

/* The index of the span with span id id, or -1. ids is sorted by id. */
static long find_id(const struct id_index *ids, size_t n, const uint8_t id[8])
{
	struct id_index key;
	memcpy(key.id, id, 8);
	const struct id_index *hit = n ? bsearch(&key, ids, n, sizeof(*ids), cmp_id) : NULL;
	return hit ? hit->index : -1;
}

/*
 * Fills info[0..n) in start order: roots (an all-zero parent, or a parent
 * that is not one of the spans), parents and children.
 */
static void relate(struct span_info *info, const struct span *spans, size_t n)
{
	static const uint8_t zero[8];
	struct id_index *ids = xcalloc(n ? n : 1, sizeof(*ids));

	for (size_t i = 0; i < n; i++) {
		info[i].s = &spans[i];
		memcpy(ids[i].id, spans[i].span_id, 8);
		ids[i].index = (long)i;
	}
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_id);
	for (size_t i = 0; i < n; i++) {
		const struct span *s = info[i].s;
		info[i].root =
		    memcmp(s->parent_id, zero, 8) == 0 || find_id(ids, n, s->parent_id) < 0;
	}
	if (n)
		qsort(info, n, sizeof(*info), cmp_start);
	for (size_t i = 0; i < n; i++) { /* now: span id -> index in start order */
		memcpy(ids[i].id, info[i].s->span_id, 8);
		ids[i].index = (long)i;
	}
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_id);
	for (size_t i = 0; i < n; i++) {
		info[i].parent = info[i].root ? -1 : find_id(ids, n, info[i].s->parent_id);
		if (info[i].parent >= 0)
			info[info[i].parent].has_child = 1;
	}
	free(ids);
}

/*
 * Gives each span of info (in start order) the lowest lane free at its
 * start, roots and the others apart, as the Chrome exporter does. Returns
 * the number of lanes of the others; *root_lanes gets the roots'.
 */
static long assign_lanes(struct span_info *info, size_t n, long *root_lanes)
{
	ARRAY(int64_t) lanes[2] = {ARRAY_INIT, ARRAY_INIT}; /* when each lane is free */
	for (size_t i = 0; i < n; i++) {
		struct span_info *in = &info[i];
		int r = in->root ? 1 : 0;
		size_t k = 0;
		while (k < lanes[r].n && lanes[r].v[k] > in->s->start_ns)
			k++;
		if (k == lanes[r].n)
			ARRAY_PUSH(lanes[r], in->s->end_ns);
		else
			lanes[r].v[k] = in->s->end_ns;
		in->lane = (long)k;
	}
	long others = (long)lanes[0].n;
	*root_lanes = (long)lanes[1].n;
	ARRAY_FREE(lanes[0]);
	ARRAY_FREE(lanes[1]);
	return others;
}

struct by_end {
	int64_t start, end;
	long index;
};

/* End order; at one end, the earlier start last, then the lower index last. */
static int cmp_end(const void *a, const void *b)
{
	const struct by_end *x = a, *y = b;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	if (x->start != y->start)
		return x->start > y->start ? -1 : 1;
	return x->index > y->index ? -1 : x->index < y->index;
}

/*
 * The critical path as golive can see it, without go's action graph: from
 * the non-root span that ends last, step to the non-root span that ended
 * latest at or before the current one's start, until there is none (each
 * span once; on a tie, the longer span, then the earlier in start order).
 * Returns the chain's indexes into info, earliest first, and its length in
 * *len (NULL when empty).
 */
static long *critical_path(const struct span_info *info, size_t n, size_t *len)
{
	struct by_end *e = xcalloc(n ? n : 1, sizeof(*e));
	char *used = xcalloc(n ? n : 1, 1);
	ARRAY(long) chain = ARRAY_INIT;
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (!info[i].root)
			e[m++] = (struct by_end){info[i].s->start_ns, info[i].s->end_ns, (long)i};
	if (m)
		qsort(e, m, sizeof(*e), cmp_end);
	for (size_t cur = m; cur > 0;) { /* cur: position in e plus one */
		const struct by_end *c = &e[cur - 1];
		ARRAY_PUSH(chain, c->index);
		used[c->index] = 1;
		/* the first position whose end is after c's start */
		size_t lo = 0, hi = m;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (e[mid].end <= c->start)
				lo = mid + 1;
			else
				hi = mid;
		}
		while (lo > 0 && used[e[lo - 1].index])
			lo--;
		cur = lo;
	}
	for (size_t i = 0; i < chain.n / 2; i++) {
		long t = chain.v[i];
		chain.v[i] = chain.v[chain.n - 1 - i];
		chain.v[chain.n - 1 - i] = t;
	}
	free(used);
	free(e);
	*len = chain.n;
	return chain.v;
}

/* ---- the data ---------------------------------------------------------------- */

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string_lossy(v));
}

static void set_int(json_t *o, const char *key, int64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

/* Copies the integer attribute key of attrs into o under name, when present. */
static void copy_int(json_t *o, const char *name, const struct trace_attr *attrs, size_t n,
                     const char *key)
{
	int64_t v;
	if (attr_int(attrs, n, key, &v))
		set_int(o, name, v);
}

static json_t *span_json(const struct span_info *info, size_t i, int64_t t0)
{
	const struct span_info *in = &info[i];
	const struct span *s = in->s;
	json_t *o = json_object();
	int64_t u = 0, y = 0;
	int hu, hy;

	set_str(o, "name", s->name);
	set_int(o, "start", sub_sat(s->start_ns, t0));
	set_int(o, "dur", sub_sat(s->end_ns, s->start_ns));
	set_int(o, "lane", in->lane);
	if (in->root)
		json_object_set_new(o, "root", json_true());
	if (in->parent >= 0)
		set_int(o, "parent", in->parent);
	if (s->error) {
		json_object_set_new(o, "error", json_true());
		set_str(o, "status", s->status_message);
	}
	set_str(o, "importpath", attr_str(s->attrs, s->nattrs, "golive.importpath"));
	set_str(o, "package", attr_str(s->attrs, s->nattrs, "golive.package"));
	copy_int(o, "exit", s->attrs, s->nattrs, "process.exit.code");
	hu = attr_int(s->attrs, s->nattrs, "golive.cpu_user_ns", &u);
	hy = attr_int(s->attrs, s->nattrs, "golive.cpu_sys_ns", &y);
	if (hu || hy)
		set_int(o, "cpu_ns", add_sat(u, y));
	copy_int(o, "rss_kb", s->attrs, s->nattrs, "golive.maxrss_kb");
	copy_int(o, "files", s->attrs, s->nattrs, "golive.files");
	copy_int(o, "bytes", s->attrs, s->nattrs, "golive.bytes");
	copy_int(o, "diags", s->attrs, s->nattrs, "golive.diagnostics");
	return o;
}

/* The CPU time of a span: user plus system. */
static int64_t span_cpu(const struct span *s)
{
	int64_t u = 0, y = 0;
	attr_int(s->attrs, s->nattrs, "golive.cpu_user_ns", &u);
	attr_int(s->attrs, s->nattrs, "golive.cpu_sys_ns", &y);
	return add_sat(u, y);
}

/* A group of spans (one import path, or one tool). */
struct group {
	const char *key;
	int64_t wall, cpu;
	long count, failed;
};

struct keyed {
	const char *key;
	const struct span *s;
};

static int cmp_keyed(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

/* Most wall time first; then by key. */
static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->wall != y->wall)
		return x->wall > y->wall ? -1 : 1;
	return strcmp(x->key, y->key);
}

/*
 * Groups the non-root spans of info by importpath (by_package) or by name,
 * most wall time first. Returns the groups (the caller frees) and their
 * number in *ng.
 */
static struct group *group_spans(const struct span_info *info, size_t n, int by_package, size_t *ng)
{
	struct keyed *k = xcalloc(n ? n : 1, sizeof(*k));
	struct group *g = xcalloc(n ? n : 1, sizeof(*g));
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct span *s = info[i].s;
		const char *key =
		    by_package ? attr_str(s->attrs, s->nattrs, "golive.importpath") : s->name;
		if (!info[i].root && key)
			k[m++] = (struct keyed){key, s};
	}
	if (m)
		qsort(k, m, sizeof(*k), cmp_keyed);
	*ng = 0;
	for (size_t i = 0; i < m; i++) {
		if (!*ng || strcmp(g[*ng - 1].key, k[i].key) != 0)
			g[(*ng)++].key = k[i].key;
		struct group *cur = &g[*ng - 1];
		cur->wall = add_sat(cur->wall, sub_sat(k[i].s->end_ns, k[i].s->start_ns));
		cur->cpu = add_sat(cur->cpu, span_cpu(k[i].s));
		cur->count++;
		cur->failed += k[i].s->error != 0;
	}
	if (*ng)
		qsort(g, *ng, sizeof(*g), cmp_group);
	free(k);
	return g;
}

/* The slowest packages: top TOP_PACKAGES, with their share of total. */
static json_t *packages_json(const struct span_info *info, size_t n, int64_t total)
{
	size_t ng;
	struct group *g = group_spans(info, n, 1, &ng);
	json_t *a = json_array();
	for (size_t i = 0; i < ng && i < TOP_PACKAGES; i++) {
		json_t *o = json_object();
		set_str(o, "importpath", g[i].key);
		set_int(o, "wall_ns", g[i].wall);
		set_int(o, "runs", g[i].count);
		json_object_set_new(o, "share",
		                    json_real(total > 0 ? (double)g[i].wall / (double)total : 0.0));
		json_array_append_new(a, o);
	}
	free(g);
	return a;
}

static json_t *tools_json(const struct span_info *info, size_t n)
{
	size_t ng;
	struct group *g = group_spans(info, n, 0, &ng);
	json_t *a = json_array();
	for (size_t i = 0; i < ng; i++) {
		json_t *o = json_object();
		set_str(o, "name", g[i].key);
		set_int(o, "count", g[i].count);
		set_int(o, "wall_ns", g[i].wall);
		set_int(o, "cpu_ns", g[i].cpu);
		if (g[i].failed)
			set_int(o, "failed", g[i].failed);
		json_array_append_new(a, o);
	}
	free(g);
	return a;
}

/* One golive.diagnostic event, for sorting. */
struct diag_ref {
	const char *file;
	int64_t line, col;
	const struct span_event *ev;
	long span;  /* index in start order */
	size_t seq; /* arrival order, the last tie-break */
};

static int cmp_diag(const void *a, const void *b)
{
	const struct diag_ref *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Every "golive.diagnostic" event of every span, by file, line and column. */
static json_t *diagnostics_json(const struct span_info *info, size_t n)
{
	ARRAY(struct diag_ref) d = ARRAY_INIT;
	for (size_t i = 0; i < n; i++) {
		const struct span *s = info[i].s;
		for (size_t k = 0; k < s->nevents; k++) {
			const struct span_event *ev = &s->events[k];
			if (strcmp(ev->name, "golive.diagnostic") != 0)
				continue;
			struct diag_ref r = {NULL, 0, 0, ev, (long)i, d.n};
			r.file = attr_str(ev->attrs, ev->nattrs, "code.filepath");
			if (!r.file)
				r.file = "";
			attr_int(ev->attrs, ev->nattrs, "code.lineno", &r.line);
			attr_int(ev->attrs, ev->nattrs, "code.column", &r.col);
			ARRAY_PUSH(d, r);
		}
	}
	if (d.n)
		qsort(d.v, d.n, sizeof(*d.v), cmp_diag);
	json_t *a = json_array();
	for (size_t i = 0; i < d.n; i++) {
		const struct span_event *ev = d.v[i].ev;
		json_t *o = json_object();
		set_str(o, "file", d.v[i].file);
		if (d.v[i].line)
			set_int(o, "line", d.v[i].line);
		if (d.v[i].col)
			set_int(o, "col", d.v[i].col);
		set_str(o, "severity", attr_str(ev->attrs, ev->nattrs, "golive.severity"));
		set_str(o, "analyzer", attr_str(ev->attrs, ev->nattrs, "golive.analyzer"));
		set_str(o, "message", attr_str(ev->attrs, ev->nattrs, "message"));
		set_int(o, "span", d.v[i].span);
		json_array_append_new(a, o);
	}
	ARRAY_FREE(d);
	return a;
}

/*
 * The attribute key for the header: from the first root that has it, else
 * from the first span named "build" that has it (golive dev's build, under
 * its cycle); NULL when none has it.
 */
static const struct trace_attr *summary_attr(const struct span_info *info, size_t n,
                                             const char *key)
{
	for (int roots = 1; roots >= 0; roots--)
		for (size_t i = 0; i < n; i++) {
			const struct span *s = info[i].s;
			if (info[i].root != roots || (!roots && strcmp(s->name, "build") != 0))
				continue;
			const struct trace_attr *a = find_attr(s->attrs, s->nattrs, key);
			if (a)
				return a;
		}
	return NULL;
}

static void summary_str(json_t *o, const char *name, const struct span_info *info, size_t n,
                        const char *key)
{
	const struct trace_attr *a = summary_attr(info, n, key);
	if (a)
		set_str(o, name, attr_str(a, 1, key));
}

static void summary_int(json_t *o, const char *name, const struct span_info *info, size_t n,
                        const char *key)
{
	const struct trace_attr *a = summary_attr(info, n, key);
	if (a)
		copy_int(o, name, a, 1, key);
}

/* The header: what was built and how it went (see summary_attr). */
static json_t *summary_json(const struct span_info *info, size_t n)
{
	json_t *o = json_object();
	const struct span *r = NULL;
	for (size_t i = 0; i < n && !r; i++)
		if (info[i].root)
			r = info[i].s;
	if (r) {
		set_str(o, "name", r->name);
		if (r->error) {
			json_object_set_new(o, "error", json_true());
			set_str(o, "status", r->status_message);
		}
	}
	summary_str(o, "packages", info, n, "golive.packages");
	summary_int(o, "exit_code", info, n, "process.exit.code");
	summary_int(o, "tool_runs", info, n, "golive.tool_runs");
	summary_int(o, "cache_hits", info, n, "golive.cache_hits");
	summary_int(o, "graph_packages", info, n, "golive.graph_packages");
	summary_str(o, "go_version", info, n, "golive.go_version");
	summary_str(o, "golive_version", info, n, "golive.version");
	summary_int(o, "cycle", info, n, "golive.cycle"); /* golive dev */
	summary_str(o, "trigger", info, n, "golive.trigger");
	summary_str(o, "changed", info, n, "golive.files");
	summary_str(o, "build", info, n, "golive.build");
	summary_str(o, "ready", info, n, "golive.ready");
	if (!json_object_get(o, "golive_version"))
		set_str(o, "golive_version", GOLIVE_VERSION_STRING);
	return o;
}

static char *hex(const uint8_t *id, size_t n, char *buf)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = digits[id[i] >> 4];
		buf[2 * i + 1] = digits[id[i] & 15];
	}
	buf[2 * n] = '\0';
	return buf;
}

/* The trace ids of the roots (of every span when there is no root), each once. */
static json_t *trace_ids_json(const struct span_info *info, size_t n)
{
	static const uint8_t zero[16];
	json_t *a = json_array();
	int any_root = 0;
	for (size_t i = 0; i < n; i++)
		any_root |= info[i].root;
	for (size_t i = 0; i < n; i++) {
		char buf[33];
		if ((any_root && !info[i].root) || memcmp(info[i].s->trace_id, zero, 16) == 0)
			continue;
		hex(info[i].s->trace_id, 16, buf);
		int dup = 0;
		for (size_t k = 0; k < json_array_size(a) && !dup; k++)
			dup = strcmp(json_string_value(json_array_get(a, k)), buf) == 0;
		if (!dup)
			json_array_append_new(a, json_string(buf));
	}
	return a;
}

/*
 * The report's data: {"generator", "service", "trace_ids", "start_unix_ms",
 * "wall_ns", "roots", "lanes", "root_lanes", "summary", "spans" (start
 * order; times in ns from the earliest start), "critical" (indexes into
 * spans, earliest first), "tool_wall_ns", "packages", "tools",
 * "diagnostics"}.
 */
static json_t *report_data(struct html_exporter *h)
{
	size_t n = h->spans.n, ncrit = 0;
	struct span_info *info = xcalloc(n ? n : 1, sizeof(*info));
	relate(info, h->spans.v, n);
	long root_lanes = 0, lanes = assign_lanes(info, n, &root_lanes);
	long *crit = critical_path(info, n, &ncrit);

	int64_t t0 = n ? info[0].s->start_ns : 0, last = t0, tool_wall = 0;
	long roots = 0;
	for (size_t i = 0; i < n; i++) {
		if (info[i].s->end_ns > last)
			last = info[i].s->end_ns;
		roots += info[i].root;
		if (!info[i].root && !info[i].has_child)
			tool_wall =
			    add_sat(tool_wall, sub_sat(info[i].s->end_ns, info[i].s->start_ns));
	}

	json_t *d = json_object();
	json_object_set_new(d, "generator", json_string("golive " GOLIVE_VERSION_STRING));
	set_str(d, "service", h->service);
	json_object_set_new(d, "trace_ids", trace_ids_json(info, n));
	set_int(d, "start_unix_ms", t0 / 1000000);
	set_int(d, "wall_ns", sub_sat(last, t0));
	set_int(d, "roots", roots);
	set_int(d, "lanes", lanes);
	set_int(d, "root_lanes", root_lanes);
	json_object_set_new(d, "summary", summary_json(info, n));
	json_t *spans = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(spans, span_json(info, i, t0));
	json_object_set_new(d, "spans", spans);
	json_t *c = json_array();
	for (size_t i = 0; i < ncrit; i++)
		json_array_append_new(c, json_integer(crit[i]));
	json_object_set_new(d, "critical", c);
	set_int(d, "tool_wall_ns", tool_wall);
	json_object_set_new(d, "packages", packages_json(info, n, tool_wall));
	json_object_set_new(d, "tools", tools_json(info, n));
	json_object_set_new(d, "diagnostics", diagnostics_json(info, n));
	free(crit);
	free(info);
	return d;
}

/* ---- the page ---------------------------------------------------------------- */

static void add_all(struct strbuf *sb, const char *const *parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strbuf_addstr(sb, parts[i]);
}

/* json with every '<' as \u003c: valid JSON still, and no "</script" or "<!--" in it. */
static void add_script_safe(struct strbuf *sb, const char *json)
{
	for (const char *p = json; *p;) {
		size_t k = strcspn(p, "<");
		strbuf_add(sb, p, k);
		p += k;
		if (*p == '<') {
			strbuf_addstr(sb, "\\u003c");
			p++;
		}
	}
}

/* Writes buf to "<path>.tmp" and renames it over path. */
static int write_atomic(const char *path, const char *buf, size_t len, char **cause)
{
	char *tmp = xasprintf("%s.tmp", path);
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		*cause = xasprintf("html report %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, buf, len) < 0) {
		*cause = xasprintf("html report %s: %s", tmp, strerror(errno));
		goto out;
	}
	int closed = close(fd);
	fd = -1;
	if (closed < 0) {
		*cause = xasprintf("html report %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) < 0) {
		*cause = xasprintf("html report %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int html_end(struct trace_exporter *e, char **cause)
{
	struct html_exporter *h = html_of(e);
	struct strbuf page = STRBUF_INIT;
	int rc = -1;

	if (h->ended) {
		*cause = xasprintf("html report %s: end called twice", h->path);
		return -1;
	}
	h->ended = 1;

	json_t *data = report_data(h);
	char *txt = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(data);
	if (!txt) {
		*cause = xasprintf("html report %s: cannot encode the report's data", h->path);
		goto out;
	}
	add_all(&page, html_head, ARRAY_SIZE(html_head));
	add_script_safe(&page, txt);
	add_all(&page, html_tail, ARRAY_SIZE(html_tail));
	rc = write_atomic(h->path, page.buf, page.len, cause);
out:
	free(txt);
	strbuf_release(&page);
	return rc;
}

static void html_free(struct trace_exporter *e)
{
	struct html_exporter *h = html_of(e);
	if (!h)
		return;
	for (size_t i = 0; i < h->spans.n; i++)
		trace_span_release(&h->spans.v[i]);
	ARRAY_FREE(h->spans);
	free(h->service);
	free(h->path);
	free(h);
}

struct trace_exporter *trace_html_new(const char *path, char **cause)
{
	if (!path || path_creatable(path) < 0) {
		*cause = xasprintf("html report %s: %s", path ? path : "(null)",
		                   path ? strerror(errno) : strerror(EINVAL));
		return NULL;
	}
	struct html_exporter *h = xcalloc(1, sizeof(*h));
	h->base.name = "html";
	h->base.begin = html_begin;
	h->base.span = html_span;
	h->base.end = html_end;
	h->base.free = html_free;
	h->path = xstrdup(path);
	return &h->base;
}
