"""t_lsp.py - golive lsp through a real LSP client (lspclient.py): pull and push
diagnostics, UTF-16 positions on non-ASCII lines, incremental edits, code actions,
golive.yaml reload and errors, bad input. Run by tests/e2e/t110_lsp.sh:

    python3 t_lsp.py GOLIVE WORKDIR
Prints "ok N - what" per check; exits non-zero on the first failure.
"""
import json
import os
import subprocess
import sys
import time

import lspclient as L

golive, work = sys.argv[1], sys.argv[2]
n = 0


def ok(cond, what, detail=""):
    global n
    n += 1
    if not cond:
        print("not ok %d - %s %s" % (n, what, detail))
        sys.exit(1)
    print("ok %d - %s" % (n, what))


def u16(s):
    return len(s.encode("utf-16-le")) // 2


mod = os.path.join(work, "m")
os.makedirs(mod, exist_ok=True)
with open(os.path.join(mod, "go.mod"), "w") as f:
    f.write("module example.com/m\n\ngo 1.22\n")
cfg = os.path.join(mod, "golive.yaml")
with open(cfg, "w") as f:
    f.write("analyzers:\n  httpctx: { severity: error }\n")

# A handler whose finding sits after non-ASCII text on its line: é (2 bytes,
# 1 unit), 😀 (4 bytes, 2 units), 中 (3 bytes, 1 unit).
prefix = '\ts := "é😀中"; ctx := '
src = ('package main\n\nimport (\n\t"context"\n\t"net/http"\n)\n\n'
       'func handle(w http.ResponseWriter, req *http.Request) {\n'
       + prefix + 'context.Background()\n\t_, _ = s, ctx\n}\n')
h = os.path.join(mod, "h.go")
with open(h, "w") as f:
    f.write(src)
hu = L.uri(h)
LINE = 8

# ---- pull diagnostics ---------------------------------------------------------
c = L.Client([golive, "lsp"])
caps = {"textDocument": {"diagnostic": {"dynamicRegistration": False}},
        "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True},
                      "diagnostics": {"refreshSupport": True}}}
res = c.initialize(mod, caps)
ok(res["capabilities"].get("diagnosticProvider", {}).get("identifier") == "golive",
   "a client that pulls gets diagnosticProvider")
ok(res["capabilities"]["textDocumentSync"]["change"] == 2, "incremental sync")
reg = c.wait(lambda m: m.get("method") == "client/registerCapability", what="registerCapability")
globs = [w["globPattern"] for w in reg["params"]["registrations"][0]["registerOptions"]["watchers"]]
ok("**/golive.yaml" in globs, "golive.yaml watched through the client", str(globs))

# pull on a file that is not open: the file on disk
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})["result"]
ok(r["kind"] == "full" and [d["code"] for d in r["items"]] == ["httpctx"],
   "pull of an unopened file analyses it from disk", json.dumps(r))

c.open(h, src)
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})["result"]
items = r["items"]
ok(len(items) == 1, "one finding pulled", json.dumps(r))
d = items[0]
ok(d["source"] == "golive" and d["code"] == "httpctx", "source golive, code httpctx")
ok(d["codeDescription"]["href"].endswith("analyzers.md#httpctx"), "codeDescription.href",
   d["codeDescription"]["href"])
ok(d["severity"] == 1, "severity from golive.yaml (error)", str(d["severity"]))
want_s = u16(prefix)
want_e = want_s + len("context.Background()")
ok(d["range"]["start"] == {"line": LINE, "character": want_s},
   "start in UTF-16 code units after é😀中 (%d, bytes would be %d)"
   % (want_s, len(prefix.encode())), json.dumps(d["range"]))
ok(d["range"]["end"] == {"line": LINE, "character": want_e}, "end: the whole call, not a point",
   json.dumps(d["range"]))
rid = r["resultId"]
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}, "previousResultId": rid})
ok(r["result"]["kind"] == "unchanged", "same text, same resultId: unchanged")

# an incremental edit inside the non-ASCII text: insert 𝄞 (2 units) after 😀
col = u16('\ts := "é😀')
c.change(h, 2, [{"range": L.rng(LINE, col, LINE, col), "text": "𝄞"}])
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})["result"]
ok(r["items"][0]["range"]["start"]["character"] == want_s + 2,
   "an edit at a UTF-16 position shifts the finding by 2 units", json.dumps(r["items"]))

# typing: several edits in one change, keystroke by keystroke, replacing the call
start = want_s + 2
edits = [{"range": L.rng(LINE, start, LINE, start + len("context.Background()")), "text": ""}]
typed = "req.Context()"
for i, ch in enumerate(typed):
    edits.append({"range": L.rng(LINE, start + i, LINE, start + i), "text": ch})
c.change(h, 3, edits)
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})["result"]
ok(r["items"] == [], "the typed fix clears the finding", json.dumps(r["items"]))

# a multi-line edit: a new handler body line with the finding two lines lower
c.change(h, 4, [{"range": L.rng(LINE + 1, 0, LINE + 1, 0),
                 "text": "\t// 日本語\n\tc2 := context.TODO()\n\t_ = c2\n"}])
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})["result"]
ok(len(r["items"]) == 1 and r["items"][0]["range"]["start"] == {"line": LINE + 2, "character": 7},
   "a multi-line insertion: the new finding at its line", json.dumps(r["items"]))

# code actions: ignore (no snippets announced: a plain placeholder)
a = c.request("textDocument/codeAction", {"textDocument": {"uri": hu},
              "range": L.rng(LINE + 2, 0, LINE + 2, 0), "context": {"diagnostics": []}})["result"]
ign = [x for x in a if x["title"].startswith("Ignore")]
ok(len(ign) == 1, "an ignore action", json.dumps(a))
te = ign[0]["edit"]["changes"][hu][0]
ok(te["newText"] == "\t//golive:ignore httpctx reason\n" and te["range"]["start"] ==
   {"line": LINE + 2, "character": 0}, "it inserts //golive:ignore above, indented", json.dumps(te))
c.change(h, 5, [{"range": te["range"], "text": te["newText"]}])
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})["result"]
ok(r["items"] == [], "applied, the finding is ignored", json.dumps(r["items"]))

# ---- golive.yaml --------------------------------------------------------------
c.notify("textDocument/didClose", {"textDocument": {"uri": hu}})
c.open(h, src, 10)
with open(cfg, "w") as f:
    f.write("analyzers:\n  httpctx: { severity: info }\n")
c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": L.uri(cfg), "type": 2}]})
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})["result"]
ok(r["items"][0]["severity"] == 3, "golive.yaml changed on disk: new severity (info)",
   json.dumps(r["items"]))
c.wait(lambda m: m.get("method") == "workspace/diagnostic/refresh", what="diagnostic refresh")
ok(True, "and the client that pulls is asked to pull again (workspace/diagnostic/refresh)")
with open(cfg, "w") as f:
    f.write("analyzers:\n  httpctx: { severity: info }\n  nosuch: on\n")
c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": L.uri(cfg), "type": 2}]})
cd = c.diagnostics(L.uri(cfg), lambda ds: len(ds) == 1)
ok(cd[0]["range"]["start"] == {"line": 2, "character": 2} and "nosuch" in cd[0]["message"],
   "a broken golive.yaml: a diagnostic at its line:col", json.dumps(cd))
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})["result"]
ok(len(r["items"]) == 1 and r["items"][0]["severity"] == 3,
   "meanwhile the last good configuration holds", json.dumps(r["items"]))
# edited in the editor (not saved): a rule; the buffer is what counts
ytext = ("analyzers:\n  httpctx: off\nrules:\n- id: no-todo\n  query: '(call_expression"
         " function: (selector_expression field: (field_identifier) @f (#eq? @f \"Background\")))"
         " @call'\n  message: no Background\n")
c.open(cfg, ytext)
cd = c.diagnostics(L.uri(cfg), lambda ds: ds == [])
ok(cd == [], "the fixed buffer clears golive.yaml's diagnostic")
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})["result"]
ok([d["code"] for d in r["items"]] == ["no-todo"] and
   r["items"][0]["codeDescription"]["href"].endswith("config.md#rules"),
   "the buffer's rules apply (code = rule id)", json.dumps(r["items"]))
c.change(cfg, 2, [{"range": L.rng(4, 9, 4, 9), "text": "(("}])
cd = c.diagnostics(L.uri(cfg), lambda ds: len(ds) == 1)
ok(cd[0]["range"]["start"]["line"] == 4, "a rule whose query breaks: reported in golive.yaml",
   json.dumps(cd))
c.notify("textDocument/didClose", {"textDocument": {"uri": L.uri(cfg)}})

# ---- bad input -----------------------------------------------------------------
c.send_raw(b"Content-Length: 9\r\n\r\n{not json")
e = c.wait(lambda m: "error" in m and m["error"]["code"] == -32700, what="parse error")
ok(e["id"] is None, "a body that is not JSON: -32700 with id null")
c.send_raw(b"Content-Length: 4\r\n\r\n\"\xff\"\n")
e = c.wait(lambda m: "error" in m and m["error"]["code"] == -32700, what="parse error (utf-8)")
ok(True, "invalid UTF-8 in a message: -32700")
c.send_raw(b"X-Nothing: 1\r\n\r\n")
e = c.wait(lambda m: "error" in m and "Content-Length" in m["error"]["message"],
           what="a header without length")
ok(True, "a header without Content-Length: an error, then reading goes on")
r = c.request("no/such", {})
ok(r["error"]["code"] == -32601, "an unknown method: -32601")
c.change(h, 11, [{"range": L.rng(9999, 0, 9999, 1), "text": "x"}])
m = c.wait(lambda m: m.get("method") == "window/showMessage" and "out of range" in
           m["params"]["message"], what="out-of-range message")
ok(True, "an out-of-range edit: told, not applied")
c.change(h, 12, [{"range": L.rng(5, 3, 2, 0), "text": "x"}])
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})["result"]
ok(len(r["items"]) == 1, "an inverted range changes nothing; the document still analyses")
bad = os.path.join(mod, "bad.go")
with open(bad, "wb") as f:  # invalid UTF-8 before the finding, on its line
    f.write(src.encode().replace(prefix.encode(), b'\ts := "\xff\xfe\xc3"; ctx := '))
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": L.uri(bad)}})["result"]
ok(len(r["items"]) == 1 and r["items"][0]["range"]["start"]["character"] == 20,
   "invalid UTF-8 in a file: each bad byte one UTF-16 unit (U+FFFD)", json.dumps(r["items"]))
os.remove(bad)
big = os.path.join(mod, "big.go")
bigtext = "package main\n" + ("// " + "x" * 96 + "\n") * (50 * 1024 * 1024 // 100)
c.open(big, bigtext)
m = c.wait(lambda m: m.get("method") == "window/showMessage" and "too large" in
           m["params"]["message"], timeout=120, what="too large")
ok(True, "a 50 MB file: too large to analyse, said once")
c.notify("textDocument/didClose", {"textDocument": {"uri": L.uri(big)}})
del bigtext
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})["result"]
ok(len(r["items"]) == 1, "the server still answers after all that")
ok(c.close() == 0, "shutdown + exit: status 0")

# ---- push diagnostics, debounce, close ---------------------------------------
with open(cfg, "w") as f:
    f.write("")
c = L.Client([golive, "lsp"])
res = c.initialize(mod, {"workspace": {"workspaceEdit": {"snippetEditSupport": True}}})
ok("diagnosticProvider" not in res["capabilities"], "a client that does not pull: pushed")
c.open(h, src)
ds = c.diagnostics(hu, lambda ds: len(ds) == 1)
ok(ds[0]["range"]["start"]["character"] == want_s, "pushed on open, in UTF-16")
a = c.request("textDocument/codeAction", {"textDocument": {"uri": hu},
              "range": ds[0]["range"], "context": {"diagnostics": ds}})["result"]
fix = [x for x in a if not x["title"].startswith("Ignore")]
ok(len(fix) == 1 and fix[0]["title"] == "use req.Context()" and fix[0]["isPreferred"],
   "httpctx's quick fix offered, with the handler's request name", json.dumps(a))
fixed = L.apply_edits(src, fix[0]["edit"]["changes"][hu])
ok(fixed.splitlines()[LINE] == prefix + "req.Context()",
   "the fix's UTF-16 range replaces exactly the call on the non-ASCII line",
   fixed.splitlines()[LINE])
ign = [x for x in a if x["title"].startswith("Ignore")][0]
se = ign["edit"]["documentChanges"][0]["edits"][0]
ok(se["snippet"]["value"] == "\t//golive:ignore httpctx ${1:reason}\n",
   "a client that takes snippets: the reason is a placeholder", json.dumps(se))
b = src.index("context.Background()")
callcol = want_s
t0 = time.time()
c.change(h, 2, [{"range": L.rng(LINE, callcol, LINE, callcol + 20), "text": "req.Context()"}])
ds = c.diagnostics(hu, lambda ds: ds == [])
ok(ds == [], "an edit that removes the finding: pushed empty")
c.notify("textDocument/didClose", {"textDocument": {"uri": hu}})
ok(c.diagnostics(hu) == [], "closing a file clears its diagnostics")
# no pushes for a file that is not open any more
c.request("shutdown", None)
c.p.stdin.close()  # the client disappears without exit
ok(c.p.wait(timeout=20) == 1, "a client that goes away: the server exits (status 1)")

# ---- debounce: changes wait for a quiet period; a save analyses at once --------
c = L.Client([golive, "lsp", "--debounce-ms", "10000"])
c.initialize(mod, {})
c.open(h, src)
ok(len(c.diagnostics(hu)) == 1, "debounce 10 s: the opened file is analysed at once")
for v in range(2, 7):  # five keystrokes
    c.change(h, v, [{"range": L.rng(LINE, 0, LINE, 0), "text": " "}])
c.request("no/such", {})  # answered in order: the changes were read before it
early = [m for m in c.seen if m.get("method") == "textDocument/publishDiagnostics"]
ok(early == [], "five keystrokes: no analysis before the quiet period ends", json.dumps(early))
c.notify("textDocument/didSave", {"textDocument": {"uri": hu}})
ds = c.diagnostics(hu)
ok(len(ds) == 1 and ds[0]["range"]["start"]["character"] == want_s + 5,
   "didSave analyses at once, the five keystrokes applied", json.dumps(ds))
ok(c.close() == 0, "debounce session: clean exit")

# ---- typing anywhere: the incremental analysis agrees with a fresh one ---------
# Keystroke-sized random edits (inserts, deletes, newlines, non-ASCII) across a
# file of several handlers; every few, the open document's findings are
# compared with those of the same text analysed from disk.
import random  # noqa: E402
rnd = random.Random(19)
parts = ['package main\n\nimport (\n\t"context"\n\t"net/http"\n\t"os/exec"\n)\n']
for i in range(12):
    parts.append('\n// h%d serves /%d.\nfunc h%d(w http.ResponseWriter, r *http.Request) {\n'
                 '\tctx := context.Background()\n\t_ = exec.Command("ls")\n\t_ = ctx\n}\n' % (i, i, i))
text = "".join(parts)
rf = os.path.join(mod, "rand.go")
shadow = os.path.join(mod, "shadow.go")
c = L.Client([golive, "lsp", "--debounce-ms", "0"])
c.initialize(mod, {"textDocument": {"diagnostic": {}}})
c.open(rf, text)
pieces = ["x", "\n", "é", "😀", "context.TODO()", "\t", "r.Context()", " ", "\n\n"]
agree = compared = 0
for step in range(120):
    lines = text.split("\n")
    # in the functions' bodies: the header and the braces stay, so most of the
    # file keeps parsing while it changes
    body = [k for k in range(8, len(lines)) if lines[k].startswith("\t")]
    line = rnd.choice(body)
    col16 = rnd.randrange(L.u16len(lines[line]) + 1) if lines[line] else 0
    a = L.offset(text, line, col16)
    kind = rnd.random()
    if kind < 0.5:  # insert
        ins = rnd.choice(pieces)
        change = {"range": L.rng(line, col16, line, col16), "text": ins}
        text = text[:a] + ins + text[a:]
    else:  # delete up to 3 characters (maybe a newline)
        b = min(len(text), a + rnd.randrange(1, 4))
        if any(ch in "{}()\n" for ch in text[a:b]):
            b = a  # keep the structure: an empty edit
        el = text.count("\n", 0, b)
        ec = L.u16len(text[text.rfind("\n", 0, b) + 1:b])
        change = {"range": L.rng(line, col16, el, ec), "text": ""}
        text = text[:a] + text[b:]
    c.change(rf, step + 2, [change])
    if step % 12 == 11:
        with open(shadow, "w") as f:
            f.write(text)
        got = c.request("textDocument/diagnostic", {"textDocument": {"uri": L.uri(rf)}})["result"]["items"]
        want = c.request("textDocument/diagnostic", {"textDocument": {"uri": L.uri(shadow)}})["result"]["items"]
        key = lambda d: (d["range"]["start"]["line"], d["range"]["start"]["character"], d["code"], d["message"])  # noqa: E731
        if sorted(map(key, got)) != sorted(map(key, want)) or \
                sorted(json.dumps(d["range"]) for d in got) != sorted(json.dumps(d["range"]) for d in want):
            ok(False, "step %d: the typed document's findings are the fresh analysis's" % step,
               "\ngot  %s\nwant %s\ntext:\n%s" % (sorted(map(key, got)), sorted(map(key, want)), text))
        agree += 1
        compared += len(got)
ok(agree == 10 and compared > 50, "120 random keystrokes: at 10 checkpoints the findings (%d in "
   "all) equal a fresh analysis's" % compared)
# then new code typed between the functions, a character at a time: a doc comment
# and a handler (unclosed braces swallow what follows until they close), blank lines


def check_same(what):
    with open(shadow, "w") as f:
        f.write(text)
    got = c.request("textDocument/diagnostic", {"textDocument": {"uri": L.uri(rf)}})["result"]["items"]
    want = c.request("textDocument/diagnostic", {"textDocument": {"uri": L.uri(shadow)}})["result"]["items"]
    if sorted(json.dumps(d, sort_keys=True) for d in got) != sorted(json.dumps(d, sort_keys=True) for d in want):
        ok(False, what, "\ngot  %s\nwant %s\ntext:\n%s" % (got, want, text))
    return len(got)


version = 1000
checks = compared2 = 0
for k in range(4):
    lines = text.split("\n")
    blanks = [i for i in range(8, len(lines)) if lines[i] == ""]
    line = rnd.choice(blanks)
    new_fn = ("\n// n%d is new.\nfunc n%d(w http.ResponseWriter, q *http.Request) {\n"
              "\tc := context.Background()\n\t_ = c\n}\n" % (k, k))
    for i, ch in enumerate(new_fn):
        lines = text.split("\n")
        # the position after what was typed so far
        typed = new_fn[:i]
        l2 = line + typed.count("\n")
        c2 = L.u16len(typed[typed.rfind("\n") + 1:]) if "\n" in typed else L.u16len(typed)
        a = L.offset(text, l2, c2)
        version += 1
        c.change(rf, version, [{"range": L.rng(l2, c2, l2, c2), "text": ch}])
        text = text[:a] + ch + text[a:]
        if i % 9 == 8 or i == len(new_fn) - 1:
            compared2 += check_same("typing n%d, %d characters in: findings equal a fresh "
                                    "analysis's" % (k, i + 1))
            checks += 1
ok(checks > 20 and compared2 > 100, "4 new handlers typed a character at a time: at %d "
   "checkpoints the findings (%d in all) equal a fresh analysis's" % (checks, compared2))
got = c.request("textDocument/diagnostic", {"textDocument": {"uri": L.uri(rf)}})["result"]["items"]
ok(len([d for d in got if d["message"].startswith("use q.Context()")]) == 4,
   "each new handler's finding names its own request (q.Context())", json.dumps(got)[:500])
# a generated file stays skipped while edited (its marker is above the package clause)
gen = os.path.join(mod, "gen.go")
gsrc = "// Code generated by hand. DO NOT EDIT.\n\n" + src
c.open(gen, gsrc)
c.change(gen, 2, [{"range": L.rng(LINE + 2, 0, LINE + 2, 0), "text": "\tctx = context.TODO()\n"}])
c.request("textDocument/diagnostic", {"textDocument": {"uri": L.uri(gen)}})
c.change(gen, 3, [{"range": L.rng(LINE + 2, 0, LINE + 2, 0), "text": "\tctx = context.TODO()\n"}])
got = c.request("textDocument/diagnostic", {"textDocument": {"uri": L.uri(gen)}})["result"]["items"]
ok(got == [], "a generated file edited: still skipped", json.dumps(got))
c.change(gen, 4, [{"range": L.rng(0, 0, 1, 0), "text": ""}])
got = c.request("textDocument/diagnostic", {"textDocument": {"uri": L.uri(gen)}})["result"]["items"]
ok(len(got) == 3, "its marker deleted: analysed", json.dumps(got))
# an edit in the imports (the header) reanalyses every declaration
c.change(rf, 500, [{"range": L.rng(3, 1, 3, 1), "text": "ctx2 "}])  # import ctx2 "context"
got = c.request("textDocument/diagnostic", {"textDocument": {"uri": L.uri(rf)}})["result"]["items"]
ok(not any("context.Background" in d["message"] for d in got),
   "renaming an import (the header) reanalyses every declaration", json.dumps(got[:3]))
ok(c.close() == 0, "random-edit session: clean exit")
os.remove(shadow)

# ---- every method with params of the wrong shape: errors or nothing, never a crash
c = L.Client([golive, "lsp", "--debounce-ms", "0"])
c.initialize(mod, {"textDocument": {"diagnostic": {}}})
c.open(h, src)
methods = ["textDocument/didOpen", "textDocument/didChange", "textDocument/didSave",
           "textDocument/didClose", "textDocument/codeAction", "textDocument/diagnostic",
           "workspace/didChangeWatchedFiles", "workspace/didChangeWorkspaceFolders",
           "initialized", "$/cancelRequest"]
shapes = [None, 1, "x", [], {}, {"textDocument": None}, {"textDocument": {"uri": 5}},
          {"textDocument": {"uri": hu, "version": "v", "text": 3}, "contentChanges": [1, {"range": 2}]},
          {"textDocument": {"uri": hu}, "contentChanges": [{"range": {"start": {"line": -1}},
                                                           "text": "x"}]},
          {"textDocument": {"uri": hu}, "range": {"start": {"line": "a"}}, "context": {"only": 5}},
          {"textDocument": {"uri": "file:///nonexistent/%zz.go"}},
          {"changes": [{"uri": None}, 5, {"uri": "file:///x/golive.yaml"}]},
          {"event": {"added": [5, {"uri": None}]}}]
answered = 0
for m in methods:
    for sh in shapes:
        c.notify(m, sh)
        r = c.request(m, sh)
        answered += 1
        ok_shape = "result" in r or ("error" in r and isinstance(r["error"]["code"], int))
        if not ok_shape:
            ok(False, "%s %s: a result or an error" % (m, json.dumps(sh)), json.dumps(r))
r = c.request("textDocument/diagnostic", {"textDocument": {"uri": hu}})
ok("result" in r, "%d requests and notifications of the wrong shape: each answered, the "
   "server still serves" % (2 * answered))
ok(c.close() == 0, "wrong-shape session: clean exit")

# ---- a client that stops reading: the server keeps reading, then goes --------
import threading  # noqa: E402
p = subprocess.Popen([golive, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
init = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"capabilities": {}}})
msgs = [b"Content-Length: %d\r\n\r\n%s" % (len(init), init.encode())]
for i in range(1, 20001):  # 20,000 requests: ~2 MB of answers nobody reads
    body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "no/such"}).encode()
    msgs.append(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
done = []


def writer():
    p.stdin.write(b"".join(msgs))
    p.stdin.close()
    done.append(1)


t = threading.Thread(target=writer, daemon=True)
t.start()
t.join(60)
ok(done == [1], "a client that reads nothing: the server still reads its 20,000 requests")
ok(p.wait(timeout=30) == 1, "and, the client gone, exits (status 1)")
p.stdout.close()

# ---- httpctx's one step into another file of the package ------------------------
xf = os.path.join(mod, "xf")
os.makedirs(xf, exist_ok=True)
xh, xs = os.path.join(xf, "handlers.go"), os.path.join(xf, "store.go")
with open(xh, "w") as f:
    f.write('package xf\n\nimport "net/http"\n\n'
            'func user(w http.ResponseWriter, r *http.Request) {\n\t_ = loadUser("x")\n}\n')
store_bg = ('package xf\n\nimport "context"\n\n'
            'func loadUser(id string) string {\n\t_ = context.Background()\n\treturn id\n}\n')
store_ok = store_bg.replace("\t_ = context.Background()\n", "\t_ = context.TODO\n")
with open(xs, "w") as f:
    f.write(store_bg)
c = L.Client([golive, "lsp", "--debounce-ms", "0"])
res = c.initialize(mod, caps)
ok(res["capabilities"]["diagnosticProvider"]["interFileDependencies"] is True,
   "interFileDependencies: a file's findings depend on its package's other files")


def pull_xh():
    return c.request("textDocument/diagnostic", {"textDocument": {"uri": L.uri(xh)}})["result"]["items"]


got = pull_xh()
ok([d["message"].split(";")[0] for d in got] ==
   ["loadUser drops the request's context: user → loadUser (store.go:5) → context.Background()"],
   "pull of an unopened handler file: the call into store.go, with its chain", json.dumps(got))
c.open(xh)
c.open(xs, store_bg)
c.change(xs, 2, [{"range": L.rng(5, 0, 6, 0), "text": "\t_ = context.TODO\n"}])
got = pull_xh()
ok(got == [], "store.go fixed in the editor, not saved: the handler's finding goes", json.dumps(got))
c.notify("textDocument/didClose", {"textDocument": {"uri": L.uri(xs)}})
got = pull_xh()
ok(len(got) == 1 and "store.go:5" in got[0]["message"],
   "store.go closed unsaved: the disk's text counts again", json.dumps(got))
with open(xs, "w") as f:
    f.write(store_ok)
c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": L.uri(xs), "type": 2}]})
c.wait(lambda m: m.get("method") == "workspace/diagnostic/refresh", what="a refresh after store.go changed on disk")
got = pull_xh()
ok(got == [], "store.go changed on disk: a refresh, and the finding goes", json.dumps(got))
ok(c.close() == 0, "one-step session: clean exit")

# ---- several modules in one workspace -------------------------------------------
m2 = os.path.join(work, "m2")
os.makedirs(m2, exist_ok=True)
with open(os.path.join(m2, "go.mod"), "w") as f:
    f.write("module example.com/m2\n\ngo 1.22\n")
with open(os.path.join(m2, "golive.yaml"), "w") as f:
    f.write("analyzers:\n  httpctx: off\n")
h2 = os.path.join(m2, "h.go")
with open(h2, "w") as f:
    f.write(src)
c = L.Client([golive, "lsp"])
c.initialize(work, {})
c.open(h, src)
c.open(h2, src)
ok(len(c.diagnostics(hu)) == 1, "module m: httpctx on")
ok(c.diagnostics(L.uri(h2)) == [], "module m2 of the same workspace: its golive.yaml turns it off")
ok(c.close() == 0, "second session: clean exit")
print("%d checks passed" % n)
