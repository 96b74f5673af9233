#!/usr/bin/env bash
# t49_html_report: golive build --report FILE, opened in headless Chromium.
#  - the harness first proves itself on a control page that fetches an image,
#    logs to the console and throws: the logging proxy sees the fetch and the
#    console check sees both messages;
#  - `golive build -a --report` of examples/webapp with a file that has
#    findings: the report renders (data-ready, no data-error, no console
#    message, no uncaught exception), fetches nothing (no request reaches the
#    proxy that every connection is forced through), has id="timeline" with
#    one class="bar" element per tool span of --trace-out in the same build
#    and one root bar, marks the critical path, lists the findings; a
#    1280x900 screenshot is a PNG; under phone emulation (375x812 through
#    the DevTools protocol: --window-size cannot go below 500 px) the page
#    does not overflow sideways, a tap on a bar shows its details inside the
#    screen, the page makes no request and logs nothing; that screenshot is a
#    PNG too;
#  - a failing compile: the report is written, its failed bar marked;
#  - a package pattern with </script><img onerror> in it: shown as text, no
#    img element, nothing run.
. "$(dirname "$0")/lib.sh"

command -v chromium >/dev/null 2>&1 ||
	fail "chromium is not installed (scripts/bootstrap installs it)"
python3 -c 'import html.parser' || fail "python3 has no html.parser"

# A private profile and home for every Chromium run.
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config XDG_CACHE_HOME=$tmp/home/.cache
export XDG_RUNTIME_DIR=$tmp/home/run
mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

# --- a logging proxy: every request line it gets, answered with 502 -----------------------
cat >"$tmp/proxy.py" <<'EOF'
import http.server, socketserver, sys
log = open(sys.argv[1], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def handle_one_request(self):
        line = self.rfile.readline(65537)
        self.close_connection = True
        if not line:
            return
        log.write(line.decode("latin-1").rstrip("\r\n") + "\n")
        try:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
s.serve_forever()
EOF
: >"$tmp/proxy.log"
setsid sh -c 'echo $$ >"$0"; exec python3 "$1" "$2" "$3"' "$tmp/proxy.pid" "$tmp/proxy.py" \
	"$tmp/proxy.log" "$tmp/proxy.port" </dev/null >"$tmp/proxy.out" 2>&1 &
disown
wait_until '[ -s "$tmp/proxy.pid" ]' 10 || fail "the proxy did not start"
track_pid "$(cat "$tmp/proxy.pid")"
wait_until '[ -s "$tmp/proxy.port" ]' 10 || fail "the proxy did not start: $(cat "$tmp/proxy.out")"
port=$(cat "$tmp/proxy.port")

# Every connection goes to the proxy (loopback included), and no name resolves
# but the proxy's address.
CHROME_FLAGS=(--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage
	--no-first-run --no-default-browser-check --disable-background-networking
	--disable-component-update --disable-sync --disable-default-apps --disable-extensions
	--disable-features=NetworkTimeServiceQuerying,OptimizationHints,OptimizationGuideOnDeviceModel,MediaRouter,Translate
	--proxy-server="http://127.0.0.1:$port" --proxy-bypass-list="<-loopback>"
	--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
T_CHROME_RUNS=0

# chrome NAME ARGS...: one Chromium run with its own profile; stderr in $tmp/NAME.err.
chrome() {
	local name=$1
	shift
	T_CHROME_RUNS=$((T_CHROME_RUNS + 1))
	timeout 60 chromium "${CHROME_FLAGS[@]}" --user-data-dir="$tmp/profile-$name" \
		--enable-logging=stderr --v=0 "$@" 2>"$tmp/$name.err"
}

# console_lines NAME: the console messages and uncaught exceptions of a run.
console_lines() { grep -E ':CONSOLE[:(]|Uncaught' "$tmp/$1.err" || true; }

# page_requests: what reached the proxy, but for Chromium's own start-up
# traffic (the component updater and the account check it makes whatever the page).
page_requests() {
	grep -vE '^(CONNECT (update\.googleapis\.com|accounts\.google\.com|clients2\.google\.com|redirector\.gvt1\.com):443 |(GET|POST) http://(update\.googleapis\.com/service/update2/|clients2\.google\.com/time/))' \
		"$tmp/proxy.log" || true
}

# is_png FILE W H: a PNG of W x H pixels (0 0: any size, not empty).
is_png() {
	python3 - "$@" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
ok = d[:8] == b"\x89PNG\r\n\x1a\n" and d[12:16] == b"IHDR" and len(d) > 1000
w, h = struct.unpack(">II", d[16:24]) if ok else (0, 0)
want = (int(sys.argv[2]), int(sys.argv[3]))
sys.exit(0 if ok and (want == (0, 0) or (w, h) == want) else 1)
EOF
}

# tool_spans OTLP: the number of spans with a parent among the spans.
tool_spans() {
	python3 - "$1" <<'EOF'
import json, sys
spans = [s for l in open(sys.argv[1]) for rs in json.loads(l)["resourceSpans"]
         for ss in rs["scopeSpans"] for s in ss["spans"]]
ids = {s["spanId"] for s in spans}
print(sum(1 for s in spans if s.get("parentSpanId") in ids))
EOF
}

# dom FILE: what the dumped DOM shows, as JSON.
dom() {
	python3 - "$1" <<'EOF'
import html.parser, json, sys
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.r, self.text_of = [], {"html": {}, "bars": 0, "root_bars": 0,
            "critical_bars": 0, "failed_bars": 0, "img": 0, "timeline": 0, "summary": "",
            "package_rows": 0, "tool_rows": 0, "diag_rows": 0, "critical_items": 0,
            "diags_text": "", "data": None, "scripts": 0}, None
    def inside(self, id_):
        return any(a.get("id") == id_ for _, a in self.stack)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        r = self.r
        if tag == "html":
            r["html"] = {k: v for k, v in a.items() if k.startswith("data-")}
        if tag == "img":
            r["img"] += 1
        if tag == "script":
            r["scripts"] += 1
        if a.get("id") == "timeline":
            r["timeline"] += 1
        if self.inside("timeline"):
            r["bars"] += "bar" in cls
            r["root_bars"] += "root-bar" in cls
            r["critical_bars"] += "bar" in cls and "critical" in cls
            r["failed_bars"] += "bar" in cls and "fail" in cls
        if tag == "tr" and self.stack and self.stack[-1][0] == "tbody":
            for id_, k in (("packages", "package_rows"), ("tools", "tool_rows"), ("diags", "diag_rows")):
                r[k] += self.inside(id_)
        if tag == "li" and self.inside("critical"):
            r["critical_items"] += 1
        if tag not in VOID:
            self.stack.append((tag, a))
    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break
    def handle_data(self, d):
        if self.inside("summary"):
            self.r["summary"] += d + " "
        if self.inside("diags"):
            self.r["diags_text"] += d + " "
        if self.stack and self.stack[-1][1].get("id") == "golive-data":
            self.r["data"] = (self.r["data"] or "") + d
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
r = p.r
if r["data"]:
    d = json.loads(r["data"])
    r["data"] = {"spans": len(d["spans"]), "non_root": sum(1 for s in d["spans"] if not s.get("root")),
                 "critical": len(d["critical"]), "packages": len(d["packages"]),
                 "tools": len(d["tools"]), "diagnostics": len(d["diagnostics"])}
print(json.dumps(r))
EOF
}

# j JSON EXPR: evaluates the Python expression EXPR with d = the parsed JSON
# text; strings print raw, the rest as JSON.
j() {
	python3 -c 'import json, sys
v = eval(sys.argv[2], {"d": json.loads(sys.argv[1])})
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

# render NAME REPORT: the dumped DOM of a report, checked for a clean render
# and no network; its summary (dom above) in $tmp/NAME.json.
render() {
	local name=$1 report=$2
	: >"$tmp/proxy.log"
	chrome "$name" --dump-dom "file://$report" >"$tmp/$name.dom" ||
		fail "$name: chromium failed: $(tail -5 "$tmp/$name.err")"
	local c
	c=$(console_lines "$name")
	[ -z "$c" ] || fail "$name: console messages or exceptions: $c"
	sleep 0.2 # a request still in flight at exit would still have reached the proxy
	c=$(page_requests)
	[ -z "$c" ] || fail "$name: the report made network requests: $c"
	dom "$tmp/$name.dom" >"$tmp/$name.json" || fail "$name: cannot read the dumped DOM"
}

# --- the harness sees a fetch and console errors ---------------------------------------------
cat >"$tmp/control.html" <<'EOF'
<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>
<img src="http://golive-probe.invalid/x.png">
<script>console.error("probe-console-error"); null.x;</script></body></html>
EOF
chrome control --dump-dom "file://$tmp/control.html" >/dev/null ||
	fail "chromium failed on the control page: $(tail -5 "$tmp/control.err")"
grep -q 'golive-probe.invalid' "$tmp/proxy.log" ||
	fail "the proxy did not see the control page's fetch: $(cat "$tmp/proxy.log")"
grep -q 'probe-console-error' <<<"$(console_lines control)" ||
	fail "no console line for console.error: $(grep -c . "$tmp/control.err") lines of stderr"
grep -q 'Uncaught' <<<"$(console_lines control)" || fail "no line for an uncaught exception"
pass "the harness sees a control page's fetch, console.error and uncaught exception"

# --- a real build with findings ---------------------------------------------------------------
w=$tmp/webapp
copy_webapp "$w"
export GOCACHE=$tmp/gocache GOLIVE_CACHE_DIR=$tmp/anacache
cat >"$w/api.go" <<'EOF'
package main

import (
	"context"
	"log"
	"net/http"
)

func apiHandler(w http.ResponseWriter, r *http.Request) {
	ctx := context.Background()
	_ = ctx
	resp, err := http.Get("http://example.com/")
	if err != nil {
		log.Printf("fetch failed: %v", err)
		return
	}
	resp.Body.Close()
}
EOF
(cd "$w" && "$GOLIVE" build -a --quiet --report "$tmp/a.html" --trace-out "$tmp/a.otlp" \
	-o "$tmp/app" .) >"$tmp/a.out" 2>&1 || fail "golive build failed: $(tail -5 "$tmp/a.out")"
[ -s "$tmp/a.html" ] || fail "no report written"
[ ! -e "$tmp/a.html.tmp" ] || fail "the report's temporary file was left behind"
ntools=$(tool_spans "$tmp/a.otlp")
[ "$ntools" -ge 50 ] || fail "only $ntools tool spans in a -a build"
size=$(wc -c <"$tmp/a.html" | tr -d ' ')
pass "golive build -a --report: $size bytes, $ntools tool spans in --trace-out"

render a "$tmp/a.html"
r=$(cat "$tmp/a.json")
expect_eq "$(j "$r" 'd["html"].get("data-ready")')" 1 "the report rendered (data-ready)"
expect_eq "$(j "$r" '"data-error" in d["html"]')" false "no error reported by window.onerror"
pass "no console message, no uncaught exception, no request reached the proxy"
expect_eq "$(j "$r" 'd["timeline"]')" 1 "one id=\"timeline\""
expect_eq "$(j "$r" 'd["bars"]')" "$ntools" "one class=\"bar\" per tool span"
expect_eq "$(j "$r" 'd["root_bars"]')" 1 "the build span is the root bar, not a bar"
expect_eq "$(j "$r" 'd["data"]["non_root"]')" "$ntools" "the embedded data has every tool span"
crit=$(j "$r" 'd["data"]["critical"]')
[ "$crit" -ge 1 ] || fail "no critical path"
expect_eq "$(j "$r" 'd["critical_bars"]')" "$crit" "the critical path's bars are marked"
expect_eq "$(j "$r" 'd["critical_items"]')" "$crit" "and listed"
expect_eq "$(j "$r" 'd["package_rows"]')" 15 "the 15 slowest packages"
expect_eq "$(j "$r" 'd["tool_rows"] == d["data"]["tools"] and d["tool_rows"] >= 4')" true \
	"per-tool totals (compile, asm, cgo, link, ...)"
ndiag=$(j "$r" 'd["data"]["diagnostics"]')
[ "$ndiag" -ge 2 ] || fail "the findings of api.go are not in the report's data ($ndiag)"
expect_eq "$(j "$r" 'd["diag_rows"]')" "$ndiag" "one diagnostics row per finding"
grep -q 'api.go:10:9' <<<"$(j "$r" 'd["diags_text"]')" || fail "the findings do not show api.go:10:9"
expect_eq "$(j "$r" '"ok" in d["summary"] and "go1." in d["summary"]')" true \
	"the header: result, go version"

chrome a-shot --window-size=1280,900 --screenshot="$tmp/a-1280.png" "file://$tmp/a.html" >/dev/null ||
	fail "chromium --screenshot failed: $(tail -5 "$tmp/a-shot.err")"
check "a 1280x900 screenshot is a PNG" is_png "$tmp/a-1280.png" 1280 900

# --- the same report on a phone ---------------------------------------------------------------
cat >"$tmp/cdp.py" <<'EOF'
# cdp.py URL PNG WIDTH HEIGHT CHROMIUM ARGS...: loads URL under phone emulation
# through the DevTools protocol (--remote-debugging-pipe: fd 3 in, fd 4 out,
# NUL-separated JSON), taps a bar of the critical path, screenshots the
# viewport to PNG and prints the page's state, the tap's tooltip, and every
# exception, console message, log entry and request of the page.
import base64, json, os, subprocess, sys, time
url, png, width, height = sys.argv[1:5]
r_in, w_in = os.pipe()
r_out, w_out = os.pipe()
def fds():
    a, b = os.dup(r_in), os.dup(w_out)
    os.dup2(a, 3)
    os.dup2(b, 4)
proc = subprocess.Popen(sys.argv[5:] + ["--remote-debugging-pipe", "about:blank"], preexec_fn=fds,
                        close_fds=False, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
os.close(r_in)
os.close(w_out)
buf, events, seq, deadline = b"", [], [0], time.time() + 50
def read_msg():
    global buf
    while b"\0" not in buf:
        if time.time() > deadline:
            raise SystemExit("cdp: timed out")
        chunk = os.read(r_out, 65536)
        if not chunk:
            raise SystemExit("cdp: the browser went away")
        buf += chunk
    msg, buf = buf.split(b"\0", 1)
    return json.loads(msg)
def call(method, params=None, session=None):
    seq[0] += 1
    m = {"id": seq[0], "method": method, "params": params or {}}
    if session:
        m["sessionId"] = session
    os.write(w_in, json.dumps(m).encode() + b"\0")
    while True:
        r = read_msg()
        if r.get("id") == seq[0]:
            if "error" in r:
                raise SystemExit("cdp: %s: %s" % (method, r["error"]))
            return r.get("result", {})
        events.append(r)
def wait_event(name):
    while True:
        for i, e in enumerate(events):
            if e.get("method") == name:
                return events.pop(i)
        events.append(read_msg())
def value(expr, s):
    return call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, s).get("result", {}).get("value")
try:
    tid = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    s = call("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
    for d in ("Page", "Runtime", "Log", "Network"):
        call(d + ".enable", {}, s)
    call("Emulation.setDeviceMetricsOverride", {"width": int(width), "height": int(height),
         "deviceScaleFactor": 2, "mobile": True}, s)
    events.clear()
    call("Page.navigate", {"url": url}, s)
    wait_event("Page.loadEventFired")
    out = {"page": value("""({ready: document.documentElement.dataset.ready || null,
        error: document.documentElement.dataset.error || null,
        viewport: document.documentElement.clientWidth,
        scroll_width: document.documentElement.scrollWidth,
        bars: document.querySelectorAll('#timeline .bar').length})""", s), "tip": None}
    pt = value("""(function () {
        var b = document.querySelector('#timeline .bar.critical');
        if (!b) return null;
        b.scrollIntoView({block: 'center', inline: 'center'});
        var r = b.getBoundingClientRect(), t = document.getElementById('timeline').getBoundingClientRect();
        var left = Math.max(r.left, t.left + 1), right = Math.min(r.right, t.right - 1, left + 16);
        return {x: (left + right) / 2, y: r.top + r.height / 2};
    })()""", s)
    if pt:  # a tap, as a phone delivers it to a page without touch handlers
        for t in ("mouseMoved", "mousePressed", "mouseReleased"):
            call("Input.dispatchMouseEvent", {"type": t, "x": pt["x"], "y": pt["y"],
                 "button": "none" if t == "mouseMoved" else "left", "clickCount": 1}, s)
        time.sleep(0.3)
        out["tip"] = value("""(function () {
            var t = document.getElementById('tip'), r = t.getBoundingClientRect();
            return {hidden: t.hidden, text: t.textContent, left: r.left, right: r.right,
                    viewport: document.documentElement.clientWidth};
        })()""", s)
    shot = call("Page.captureScreenshot", {"format": "png"}, s)
    with open(png, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    out["exceptions"] = [e["params"]["exceptionDetails"].get("text", "") for e in events
                         if e.get("method") == "Runtime.exceptionThrown"]
    out["console"] = [e["params"]["type"] for e in events if e.get("method") == "Runtime.consoleAPICalled"]
    out["log"] = [e["params"]["entry"]["level"] + ": " + e["params"]["entry"]["text"] for e in events
                  if e.get("method") == "Log.entryAdded"]
    out["requests"] = [e["params"]["request"]["url"] for e in events
                       if e.get("method") == "Network.requestWillBeSent" and e["params"]["request"]["url"] != url]
    print(json.dumps(out))
    try:
        call("Browser.close")
    except SystemExit:
        pass
finally:
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
EOF
: >"$tmp/proxy.log"
T_CHROME_RUNS=$((T_CHROME_RUNS + 1))
ph=$(timeout 60 python3 "$tmp/cdp.py" "file://$tmp/a.html" "$tmp/a-phone.png" 375 812 \
	chromium "${CHROME_FLAGS[@]}" --user-data-dir="$tmp/profile-phone" 2>"$tmp/phone.err") ||
	fail "the phone run failed: $(tail -5 "$tmp/phone.err")"
expect_eq "$(j "$ph" '[d["page"]["ready"], d["page"]["error"], d["page"]["viewport"]]')" \
	'["1", null, 375]' "375 px phone: the report rendered"
expect_eq "$(j "$ph" 'd["page"]["scroll_width"] <= d["page"]["viewport"]')" true \
	"375 px phone: the page does not overflow sideways ($(j "$ph" 'd["page"]["scroll_width"]') px)"
expect_eq "$(j "$ph" 'd["page"]["bars"]')" "$ntools" "375 px phone: every bar"
expect_eq "$(j "$ph" 'd["exceptions"] + d["console"] + d["log"] + d["requests"]')" '[]' \
	"375 px phone: no exception, console message, log entry or request"
expect_eq "$(j "$ph" 'd["tip"] is not None and not d["tip"]["hidden"] and "wall" in d["tip"]["text"] and d["tip"]["left"] >= 0 and d["tip"]["right"] <= d["tip"]["viewport"]')" \
	true "375 px phone: a tap on a bar shows its details on the screen"
expect_eq "$(page_requests)" "" "375 px phone: nothing reached the proxy"
check "the phone screenshot is a PNG (750x1624: 375x812 at 2x)" is_png "$tmp/a-phone.png" 750 1624

# --- a failing compile -------------------------------------------------------------------------
echo 'func broken() { undefined() }' >>"$w/main.go"
set +e
(cd "$w" && "$GOLIVE" build --quiet --report "$tmp/b.html" --trace-out "$tmp/b.otlp" \
	-o "$tmp/app" .) >"$tmp/b.out" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a broken build exited 0"
[ -s "$tmp/b.html" ] || fail "no report for a failed build"
render b "$tmp/b.html"
r=$(cat "$tmp/b.json")
expect_eq "$(j "$r" 'd["html"].get("data-ready")')" 1 "a failed build: the report rendered"
expect_eq "$(j "$r" 'd["bars"]')" "$(tool_spans "$tmp/b.otlp")" "a failed build: one bar per tool span"
expect_eq "$(j "$r" 'd["failed_bars"] >= 1 and "failed" in d["summary"]')" true \
	"a failed build: the failed compile's bar is marked, the header says failed"

# --- a hostile package pattern -----------------------------------------------------------------
hostile='./</script><img src=x onerror=alert(1)>'
set +e
(cd "$w" && "$GOLIVE" build --quiet --report "$tmp/c.html" "$hostile") >"$tmp/c.out" 2>&1
set -e
[ -s "$tmp/c.html" ] || fail "no report for a build of a missing package: $(cat "$tmp/c.out")"
! grep -q '<img' "$tmp/c.html" || fail "the report file has an <img tag"
render c "$tmp/c.html"
r=$(cat "$tmp/c.json")
expect_eq "$(j "$r" '[d["html"].get("data-ready"), d["img"], d["scripts"]]')" '["1", 0, 2]' \
	"a hostile pattern: rendered; no img element, no extra script"
grep -qF "$hostile" <<<"$(j "$r" 'd["summary"]')" || fail "the pattern is not shown as text"
pass "a hostile pattern is shown as text"

echo "# $T_CHROME_RUNS chromium runs"
finish
