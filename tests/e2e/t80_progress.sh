#!/usr/bin/env bash
# t80_progress: the progress line on a terminal, and nothing of it elsewhere.
#  - golive build -a -v encoding/json on a pseudo-terminal draws "\r\033[K[N/M] ..."
#    lines, M = the package graph of the summary, N never above M and never
#    decreasing, ending at M; go's -v lines all come through intact; the last
#    progress line is erased before the summary and nothing is drawn after it;
#  - NO_COLOR=1, --quiet, TERM=dumb or a stderr that is not a TTY: no "\033[K"
#    at all (a control run on the TTY of the same kind of build does show it).
. "$(dirname "$0")/lib.sh"

command -v script >/dev/null || fail "script(1) (bsdutils) is not installed: run scripts/bootstrap"
o=$tmp/out
mkdir -p "$o"
export TERM=xterm

# on_tty NAME CMD: runs the shell command CMD on a pseudo-terminal; what the
# terminal shows goes to $o/NAME.tty, the status to $o/NAME.rc.
on_tty() {
	local rc=0
	script -qfec "$2" /dev/null </dev/null >"$o/$1.tty" 2>&1 || rc=$?
	echo "$rc" >"$o/$1.rc"
}

# --- the real thing -----------------------------------------------------------
cd "$tmp"
on_tty big "'$GOLIVE' build -a -v encoding/json"
expect_eq "$(cat "$o/big.rc")" 0 "golive build -a -v encoding/json on a TTY succeeds"
go list -deps encoding/json | grep -v -x unsafe | sort >"$o/deps.txt"
python3 - "$o/big.tty" "$o/deps.txt" <<'EOF' || fail "progress output checks failed (see above)"
import re, sys
d = open(sys.argv[1], "rb").read().decode()
deps = open(sys.argv[2]).read().split()
bad = []
def check(cond, msg):
    if not cond:
        bad.append(msg)

draws = re.findall(r"\r\x1b\[K\[(\d+)(?:/(\d+))?\] ([^\r\x1b]*)", d)
check(len(draws) >= 5, f"only {len(draws)} progress lines drawn")
m = re.search(r"(\x1b\[1m)?golive: build ok", d)
check(m is not None, "no 'golive: build ok' summary")
if m and draws:
    before, after = d[:m.start()], d[m.start():]
    check(before.endswith("\r\x1b[K"), f"the progress line is not erased before the summary: {before[-80:]!r}")
    check("\x1b[K" not in after, "progress drawn after the summary started")
    g = re.search(r"packages: (\d+) in the build graph, (\d+) compiled", after)
    check(g is not None, "no packages line in the summary")
    graph = int(g.group(1)) if g else -1
    check(graph == len(deps), f"summary graph {graph} != go list -deps {len(deps)}")
    totals = {int(t) for _, t, _ in draws if t}
    check(totals == {graph}, f"progress totals {sorted(totals)} != the graph {graph}")
    counts = [int(n) for n, _, _ in draws]
    check(all(a <= b for a, b in zip(counts, counts[1:])), "progress count decreased")
    check(max(counts) <= graph, f"progress count {max(counts)} above the graph {graph}")
    check(counts[-1] == graph, f"the last progress line says {counts[-1]}, want {graph} (all compiled)")
    check(any(c.startswith("compiling ") for _, _, c in draws), "no 'compiling <pkg>' in the progress")
    names = {c[len("compiling "):] for _, _, c in draws if c.startswith("compiling ")}
    check(names <= set(deps), f"progress names unknown packages: {sorted(names - set(deps))[:5]}")
    # go's own -v output, once the progress drawings are taken out.
    text = re.sub(r"\r\x1b\[K(\[[^\r\x1b]*)?", "", before).replace("\r\n", "\n")
    # golive's profile line (docs/profiles.md) comes before go's output.
    check(text.startswith("golive: profile "), f"no profile line first: {text[:80]!r}")
    lines = [l for l in text.splitlines() if not l.startswith("golive: profile ")]
    check(sorted(lines) == sorted(deps), f"go -v lines mangled or missing: {sorted(set(lines) ^ set(deps))[:5]}")
    check(text.endswith("\n"), "go's last line is not complete before the summary")
for b in bad:
    print("progress:", b)
sys.exit(1 if bad else 0)
EOF
pass "progress lines drawn and numbered against the graph; go -v output intact; erased before the summary"
grep -q $'\033\\[1mgolive: build ok' "$o/big.tty" || fail "no bold summary on the TTY"
pass "the summary is highlighted on a TTY"

# --- small cold builds: control and the no-progress cases ------------------------
# A module of 6 chained packages with fresh content each time (never in go's cache).
gen_module() {
	local d=$tmp/gen-$1 i
	new_module "$d" example.com/gen
	for i in 1 2 3 4 5 6; do
		mkdir -p "$d/p$i"
		{
			echo "// fresh: $1 $(date +%s%N)"
			echo "package p$i"
			[ "$i" -gt 1 ] && echo "import \"example.com/gen/p$((i - 1))\""
			echo "import \"fmt\""
			for f in $(seq 1 40); do
				echo "func F$f(x int) string { return fmt.Sprint(x*$f, \"$1\") }"
			done
			if [ "$i" -gt 1 ]; then echo "func Up() string { return p$((i - 1)).F1($i) }"; fi
		} >"$d/p$i/p.go"
	done
	printf 'package main\n\nimport ("fmt"; "example.com/gen/p6")\n\nfunc main() { fmt.Println(p6.Up()) }\n' >"$d/main.go"
	echo "$d"
}

d=$(gen_module control)
on_tty control "cd '$d' && '$GOLIVE' build -o app ."
expect_eq "$(cat "$o/control.rc")" 0 "control build on a TTY succeeds"
grep -q $'\r\033\\[K\\[' "$o/control.tty" || fail "control: a cold build on a TTY drew no progress line"
pass "control: a small cold build on a TTY draws progress"

for v in nocolor quiet dumb notty; do
	d=$(gen_module "$v")
	case $v in
	nocolor) on_tty "$v" "cd '$d' && NO_COLOR=1 '$GOLIVE' build -o app ." ;;
	quiet) on_tty "$v" "cd '$d' && '$GOLIVE' build --quiet -o app ." ;;
	dumb) on_tty "$v" "cd '$d' && TERM=dumb '$GOLIVE' build -o app ." ;;
	notty) on_tty "$v" "cd '$d' && '$GOLIVE' build -o app . 2>'$o/notty.err'" ;;
	esac
	expect_eq "$(cat "$o/$v.rc")" 0 "$v: build succeeds"
	[ -x "$d/app" ] || fail "$v: no binary"
	if grep -q $'\033\\[K' "$o/$v.tty"; then fail "$v: \\033[K on the terminal"; fi
	pass "$v: no \\033[K on the terminal"
	case $v in
	quiet) expect_eq "$(tr -d '\r' <"$o/$v.tty")" "" "quiet: nothing at all on the terminal" ;;
	notty)
		if grep -q $'\033' "$o/notty.err"; then fail "notty: escape sequences in redirected stderr"; fi
		pass "notty: no escape sequence in redirected stderr"
		grep -q '^golive: build ok' "$o/notty.err" || fail "notty: no plain summary in the redirected stderr"
		pass "notty: plain summary in the redirected stderr"
		;;
	*)
		if grep -q $'\033' "$o/$v.tty"; then fail "$v: escape sequences on the terminal"; fi
		pass "$v: no escape sequence at all"
		grep -q '^golive: build ok' "$o/$v.tty" || fail "$v: no summary"
		pass "$v: the plain summary is printed"
		;;
	esac
done

# Not a terminal at all: no escape sequences anywhere.
d=$(gen_module pipe)
(cd "$d" && "$GOLIVE" build -o app . 2>&1 | cat >"$o/pipe.out") || fail "build into a pipe failed"
if grep -q $'\033' "$o/pipe.out"; then fail "pipe: escape sequences in piped output"; fi
pass "pipe: no escape sequence when stderr is a pipe"

finish
