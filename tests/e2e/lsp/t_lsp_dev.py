"""t_lsp_dev.py - golive lsp shows golive dev's state (core/devfeed.h): run by
tests/e2e/t112_lsp_dev.sh while golive dev serves the module.

    python3 t_lsp_dev.py GOLIVE MODULE_DIR
A syntax error saved in main.go: golive dev's build fails, the compiler's error
appears as a diagnostic at its line (source "golive dev") with a "build failed"
message; the fix saved: the diagnostic goes and "serving vN (pid P)" is shown.
"""
import json
import os
import sys

import lspclient as L

golive, mod = sys.argv[1], sys.argv[2]
n = 0


def ok(cond, what, detail=""):
    global n
    n += 1
    if not cond:
        print("not ok %d - %s %s" % (n, what, detail))
        sys.exit(1)
    print("ok %d - %s" % (n, what))


main = os.path.join(mod, "main.go")
mu = L.uri(main)
good = open(main).read()
c = L.Client([golive, "lsp"])
c.initialize(mod, {})
c.open(main, good)
c.diagnostics(mu)  # the first analysis
# give the server a look at the feed as it is now (it follows what comes next)
c.request("no/such", {})
import time  # noqa: E402
time.sleep(0.5)

lines = good.split("\n")
at = next(i for i, x in enumerate(lines) if x.startswith("func body()"))
broken = "\n".join(lines[:at] + ["func broken( {"] + lines[at:])


def save(text, version):
    with open(main, "w") as f:
        f.write(text)
    c.notify("textDocument/didChange", {"textDocument": {"uri": mu, "version": version},
                                        "contentChanges": [{"text": text}]})
    c.notify("textDocument/didSave", {"textDocument": {"uri": mu}})


save(broken, 2)
ds = c.diagnostics(mu, lambda ds: any(d["source"] == "golive dev" for d in ds), timeout=120)
bd = [d for d in ds if d["source"] == "golive dev"]
ok(bd and bd[0]["range"]["start"]["line"] == at and bd[0]["severity"] == 1,
   "the compiler's error on main.go at its line (%d)" % (at + 1), json.dumps(bd))
ok(bd[0]["code"] == "build" and bd[0]["message"], "with the compiler's message: " + bd[0]["message"])
m = c.wait(lambda m: m.get("method") == "window/showMessage" and
           "build failed" in m["params"]["message"], what="build failed message")
ok(m["params"]["type"] == 1, "window/showMessage: " + m["params"]["message"])

save(good, 3)
ds = c.diagnostics(mu, lambda ds: not any(d["source"] == "golive dev" for d in ds), timeout=120)
ok(True, "the next good build clears it")
m = c.wait(lambda m: m.get("method") == "window/showMessage" and
           "serving v" in m["params"]["message"], timeout=120, what="serving message")
ok("(pid " in m["params"]["message"], "window/showMessage: " + m["params"]["message"])
ok(c.close() == 0, "clean exit")
