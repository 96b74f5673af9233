#!/usr/bin/env bash
# t97_dev_fast: golive dev's fast path (src/dev/fastpath.h), differentially.
# The app of tests/e2e/testdata/fastapp (16 packages in a DAG, gorilla/mux
# through a replace to Debian's sources) runs under golive dev --listen; a
# scripted sequence of 60+ edits (function bodies, constants, exported
# signatures and types in leaf, middle and main packages; new files, new
# imports, syntax errors then their fixes, a go.mod edit, a file deleted and
# restored, a git checkout of another branch and back) is applied one at a
# time. After each, the last cycle must have taken the path the rules
# predict (fast, or full with the predicted reason) and the served program's
# output must equal that of a plain go build of the same tree (or both
# builds fail). The fast-path binary carries the build setting golive.fast=1;
# a full dev build does not, and both link with -s -w.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

[ -d /usr/share/gocode/src/github.com/gorilla/mux ] ||
	fail "Debian's golang-github-gorilla-mux-dev is not installed"
app=$tmp/app
python3 "$GOLIVE_SRC/tests/e2e/testdata/fastapp/gen.py" "$app"
export GOFLAGS=-mod=mod
# std precompiled in both caches; the module's packages compile in each
warm_std_cache "$GOCACHE" "$app"
copy_cache "$GOCACHE" "$tmp/plaincache"
(cd "$app" && git init -q -b main && git add -A && git -c user.name=t -c user.email=t@t commit -qm base) ||
	fail "git init"

dev_start fast "$app" --listen 127.0.0.1:0
dev_wait fast "len([c for c in C if c.get('pid')]) >= 1" 300 "the first build"
check "the first build is a full one" [ "$(dev_q fast "C[-1]['path']")" = full ]
pass "golive dev serves the app"

python3 - "$app" "$tmp" "$GOLIVE_SRC" <<'PY' || fail "the edit sequence failed (see above)$(dev_report fast)"
import json, os, re, subprocess, sys, time, urllib.request
app, tmp, src = sys.argv[1:4]
jpath = f"{tmp}/fast.json"

def lines():
    out = []
    for raw in open(jpath, "rb").read().split(b"\n")[:-1]:
        try:
            out.append(json.loads(raw))
        except Exception:
            pass
    return out

def done_cycles():
    return [c for c in lines() if c.get("type") == "cycle" and c.get("build") in ("ok", "failed")]

addr = [l["addr"] for l in lines() if l.get("type") == "listen"][0]

def settle(n0, limit=180):
    t0 = time.time()
    last, since = None, time.time()
    while time.time() - t0 < limit:
        size = os.path.getsize(jpath) + os.path.getsize(f"{tmp}/fast.err")
        if size != last:
            last, since = size, time.time()
        elif len(done_cycles()) > n0 and time.time() - since > 1.0:
            return done_cycles()[-1]
        time.sleep(0.05)
    raise SystemExit(f"no cycle within {limit}s")

# plain_start(), then plain_output(p): a plain go build of the tree as it is
# now, started right after an edit so that it runs while golive dev builds
# (the tree does not change until the next edit); None if it fails.
def plain_start():
    env = dict(os.environ, GOCACHE=f"{tmp}/plaincache")
    return subprocess.Popen(["go", "build", "-o", f"{tmp}/plain", "."], cwd=app, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def plain_output(p):
    if p.wait() != 0:
        return None
    return subprocess.run([f"{tmp}/plain", "-print"], capture_output=True, text=True).stdout

def served():
    with urllib.request.urlopen(f"http://{addr}/", timeout=10) as r:
        return r.read().decode()

def rd(p): return open(f"{app}/{p}").read()
def wr(p, s):
    os.makedirs(os.path.dirname(f"{app}/{p}") or app, exist_ok=True)
    tmpf = f"{app}/{p}.tmp~"
    open(tmpf, "w").write(s)
    os.rename(tmpf, f"{app}/{p}")
def sub(p, pat, rep, count=1):
    s = rd(p)
    t = re.sub(pat, rep, s, count=count)
    assert t != s, (p, pat)
    wr(p, t)

def pkgfile(name):
    kind = {"l": "leaf", "m": "mid", "u": "up"}[name[0]]
    return f"{kind}/{name}/{name}.go"

n = [0]
def body(name, k):
    p = "main.go" if name == "main" else pkgfile(name)
    if name == "main":
        return lambda: sub(p, r'strings\.Join\(parts, "[^"]*"\)', f'strings.Join(parts, " {k} ")')
    return lambda: sub(p, r"return Base \+ (\d+ \+ )?", f"return Base + {k} + ")
def const(name, v):
    if name == "main":
        return lambda: sub("main.go", r'const version = "[^"]*"', f'const version = "v{v}"')
    return lambda: sub(pkgfile(name), r"const Base = \d+", f"const Base = {v}")
def sig(name, v):
    # an exported signature: Value gets a variadic parameter (callers still compile)
    if name == "main":
        return lambda: sub("main.go", r"func output\([^)]*\) string", f"func output(extra{v} ...string) string")
    return lambda: sub(pkgfile(name), r"func Value\([^)]*\) int", f"func Value(k{v} ...int) int")
def typ(name, t):
    if name == "main":
        return lambda: sub("main.go", r"const version", f"type T{t} struct{{ A int{t} }}\n\nconst version")
    return lambda: sub(pkgfile(name), r"N int\d*\n", f"N int{t}\n")

steps = []  # (what, edit, expected path, reason substring, expect ok)
k = 0
for rnd in range(2):
    for name in ["l1", "l3", "m2", "m5", "u2", "main"]:
        k += 1
        steps.append((f"body {name}", body(name, k), "fast", None, True))
        steps.append((f"const {name}", const(name, 40 + k), "fast", None, True))
    for name in ["l2", "m4", "main"] if rnd == 0 else ["l5", "m1", "main"]:
        k += 1
        steps.append((f"signature {name}", sig(name, k), "fast", None, True))
        steps.append((f"type {name}", typ(name, [8, 16, 32, 64][k % 4]), "fast", None, True))
# new file, then a body edit of its package
steps.append(("new file l4/extra.go", lambda: wr("leaf/l4/extra.go", "package l4\n\nfunc Extra() int { return 1 }\n"), "full", "is new to the build", True))
steps.append(("body l4", body("l4", 101), "fast", None, True))
# the export data of l4 unchanged (a comment at its end), right after a full build:
# only l4 recompiles (go rewrites the build id line of the archives it keeps)
steps.append(("new file l4/extra2.go", lambda: wr("leaf/l4/extra2.go", "package l4\n\nfunc Extra2() int { return 2 }\n"), "full", "is new to the build", True))
steps.append(("comment l4", lambda: wr(pkgfile("l4"), rd(pkgfile("l4")) + "\n// a comment\n"), "fast", None, True, 1))
# a new import
steps.append(("new import in m3", lambda: sub("mid/m3/m3.go", r'import \(\n', 'import (\n\t"strings"\n') or sub("mid/m3/m3.go", r"return Base \+ ", 'return Base + len(strings.Repeat("x", 3)) + '), "full", "imports", True))
steps.append(("body m3", body("m3", 102), "fast", None, True))
# a syntax error, then its fix
steps.append(("syntax error in l2", lambda: sub(pkgfile("l2"), r"func Describe\(\) string \{", "func Describe() string {{"), "fast", None, False))
steps.append(("fix l2", lambda: sub(pkgfile("l2"), r"func Describe\(\) string \{\{", "func Describe() string {"), "fast", None, True))
steps.append(("syntax error in main", lambda: sub("main.go", r"func main\(\) \{", "func main() {\n\tx :="), "fast", None, False))
steps.append(("fix main", lambda: sub("main.go", r"func main\(\) \{\n\tx :=", "func main() {"), "fast", None, True))
steps.append(("body u3", body("u3", 103), "fast", None, True))
# go.mod
steps.append(("go.mod edit", lambda: wr("go.mod", rd("go.mod") + "\n// edited\n"), "full", "go.mod", True))
steps.append(("body l1 after go.mod", body("l1", 104), "fast", None, True))
# a file deleted and restored
steps.append(("delete l4/extra.go", lambda: os.remove(f"{app}/leaf/l4/extra.go"), "full", "was deleted", True))
steps.append(("body u1", body("u1", 105), "fast", None, True))
steps.append(("restore l4/extra.go", lambda: wr("leaf/l4/extra.go", "package l4\n\nfunc Extra() int { return 2 }\n"), "full", "is new to the build", True))
steps.append(("body l4 again", body("l4", 106), "fast", None, True))
# a git checkout of another branch, and back
def git(*a):
    r = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *a], cwd=app, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"git {' '.join(a)}: {r.stderr}")
def make_branch():
    # the branch is made in a clone, so the app's tree does not change meanwhile
    git("add", "-A"); git("commit", "-qm", "work")
    clone = f"{tmp}/clone"
    subprocess.run(["git", "clone", "-q", app, clone], check=True, capture_output=True)
    s = open(f"{clone}/mid/m2/m2.go").read()
    open(f"{clone}/mid/m2/m2.go", "w").write(re.sub(r"return Base \+ (\d+ \+ )?", "return Base + 77 + ", s, count=1))
    open(f"{clone}/mid/m2/other.go", "w").write("package m2\n\nfunc Other() int { return 7 }\n")
    for a in (["add", "-A"], ["commit", "-qm", "other"], ["push", "-q", "origin", "HEAD:other"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *a], cwd=clone, check=True, capture_output=True)
steps.append(("settle after making the branch (same tree)", lambda: None, None, None, True))
steps.append(("make a branch (the tree stays)", make_branch, None, None, True))
steps.append(("git checkout other", lambda: git("checkout", "-q", "-f", "other"), "full", "new to the build", True))
steps.append(("body m2 on other", body("m2", 107), "fast", None, True))
steps.append(("git checkout main", lambda: git("checkout", "-q", "-f", "main"), "full", "was deleted", True))
steps.append(("body m2 on main", body("m2", 108), "fast", None, True))
steps.append(("const l5 last", const("l5", 99), "fast", None, True))

failures = 0
counted = 0
for what, edit, path, reason, ok, *ncompiled in steps:
    n0 = len(done_cycles())
    edit()
    if path is None:
        time.sleep(1.5)
        continue
    counted += 1
    p = plain_start()
    c = settle(n0)
    want = plain_output(p)
    bad = []
    if c["path"] != path:
        bad.append(f"path {c['path']} (fallback: {c.get('fallback')}), want {path}")
    if ncompiled and len(c.get("compiled", [])) != ncompiled[0]:
        bad.append(f"compiled {c.get('compiled')}, want {ncompiled[0]} package(s)")
    if reason and reason not in (c.get("fallback") or ""):
        bad.append(f"fallback reason {c.get('fallback')!r}, want ...{reason}...")
    if ok:
        if c["build"] != "ok":
            bad.append(f"build {c['build']}, want ok")
        elif want is None:
            bad.append("plain go build failed")
        else:
            got = served()
            if got != want:
                bad.append(f"served {got!r}, plain go build {want!r}")
    else:
        if c["build"] != "failed":
            bad.append(f"build {c['build']}, want failed")
        if want is not None:
            bad.append("plain go build succeeded")
    print(f"{'ok ' if not bad else 'BAD'} {counted:2d} {what}: {c['path']} {c['build']} {c.get('build_ms')} ms" + ("" if not bad else ": " + "; ".join(bad)))
    failures += bool(bad)
print(f"{counted} edits, {failures} wrong")
sys.exit(1 if failures or counted < 50 else 0)
PY
pass "60+ edits: each cycle took the predicted path and served what plain go build builds"

# The plan keeps only the archives its link names: earlier full builds'
# copies and replaced fast-path outputs are removed, so it does not grow.
plan=$(find "$XDG_CACHE_HOME" -type d -path '*/plan/a' | head -1)
[ -n "$plan" ] || fail "no plan directory under $XDG_CACHE_HOME"
python3 - "$(dirname "$plan")" <<'PY' || fail "the plan's archive directory holds archives its link does not name"
import json, os, sys
plan = sys.argv[1]
link = json.load(open(os.path.join(plan, "link.json")))
lines = link["importcfg"]
named = {l.split("=", 1)[1] for l in lines if l.startswith("packagefile ")}
have = {os.path.join(plan, "a", n) for n in os.listdir(os.path.join(plan, "a"))}
extra = sorted(have - named)
print(f"{len(have)} archives, {len(extra)} not named by the link")
sys.exit(1 if extra or not have else 0)
PY
pass "the plan's archives are the ones its link names"

# The served binary is marked as a fast-path build; -s -w in both paths.
bin=$(exe_of "$(dev_q fast "C[-1]['pid']")")
go version -m "$bin" | grep -q 'golive.fast=1' || fail "the fast-path binary does not carry golive.fast=1"
go version -m "$bin" | grep -q -- '-ldflags="-s -w"' || fail "the dev binary is not linked with -s -w"
# golive verify refuses it: a fast-path binary is never a release build.
set +e
"$GOLIVE" verify "$bin" >"$tmp/verify.out" 2>&1
vrc=$?
set -e
expect_eq "$vrc" 1 "golive verify: a fast-path binary violates the policy (exit 1)"
grep -q "golive.fast=1: a golive dev fast-path build" "$tmp/verify.out" ||
	fail "golive verify does not name the fast-path marker: $(cat "$tmp/verify.out")"
pass "the fast-path binary is marked, and golive verify flags it"

dev_stop fast INT
expect_eq "$DEV_RC" 0 "golive dev exits 0"
finish
