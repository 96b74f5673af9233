#!/usr/bin/env bash
# t30_parallel: concurrent wrappers lose and duplicate nothing.
# go build -a -x -p N encoding/json with a session, for N = 2 and 8: every
# events.jsonl line is valid JSON, and for every tool the number of non-probe
# events equals the number of wrapped command lines -x printed; probes are
# recorded with probe=true and never counted as runs.
. "$(dirname "$0")/lib.sh"

cd "$tmp"
for p in 2 8; do
	s=$tmp/session-p$p
	mkdir "$s"
	rc=0
	GOLIVE_SESSION=$s go build -a -x -p "$p" -toolexec="$GOLIVE" encoding/json \
		>"$tmp/x-p$p.out" 2>"$tmp/x-p$p.err" || rc=$?
	expect_eq "$rc" 0 "-p $p: go build -a -x -toolexec=golive encoding/json succeeds"

	ev=$s/events.jsonl
	problems=$(check_events_file "$ev") || fail "-p $p: events malformed: $problems"
	pass "-p $p: every event line is valid JSON with all fields"

	# With -toolexec, -x prints each wrapped run as "[VAR=.. ]<golive> <GOTOOLDIR>/<tool> args".
	python3 - "$tmp/x-p$p.err" "$GOLIVE" "$GOTOOLDIR_" >"$tmp/x-p$p.counts" <<'EOF'
import collections, re, sys
text, golive, tooldir = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
pat = re.compile(r"(?:^|\s)" + re.escape(golive) + r" " + re.escape(tooldir) + r"/([a-z0-9]+)\s")
c = collections.Counter(m.group(1) for m in pat.finditer(text))
for k in sorted(c):
    print(k, c[k])
EOF
	python3 - "$ev" >"$tmp/ev-p$p.counts" <<'EOF'
import collections, json, sys
c = collections.Counter()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if not e["probe"]:
        c[e["tool"]] += 1
for k in sorted(c):
    print(k, c[k])
EOF
	grep -q '^compile [0-9]' "$tmp/x-p$p.counts" || fail "-p $p: no wrapped compile lines found in -x output"
	grep -q '^asm [0-9]' "$tmp/x-p$p.counts" || fail "-p $p: no wrapped asm lines found in -x output"
	pass "-p $p: -x shows wrapped compile and asm runs ($(tr '\n' ' ' <"$tmp/x-p$p.counts"))"
	expect_same_file "$tmp/x-p$p.counts" "$tmp/ev-p$p.counts" "-p $p: one event per wrapped tool run, per tool"

	# Each compile of the graph exactly once (no duplicated line), keyed by import path.
	dups=$(python3 - "$ev" <<'EOF'
import collections, json, sys
c = collections.Counter()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if not e["probe"] and e["tool"] == "compile":
        c[e.get("importpath")] += 1
print(" ".join(f"{k}x{v}" for k, v in c.items() if v != 1 or not k))
EOF
)
	expect_eq "$dups" "" "-p $p: each package compiled exactly once, all with an import path"
	n=$(count_events "$ev" "e['tool']=='compile' and not e['probe'] and e.get('importpath')=='encoding/json'")
	expect_eq "$n" 1 "-p $p: encoding/json itself compiled"

	n=$(count_events "$ev" "e['probe']")
	[ "$n" -ge 2 ] || fail "-p $p: want -V=full probes for compile and asm, got $n"
	n=$(count_events "$ev" "e['probe'] and e['tool']=='compile' and e['files']==0 and 'importpath' not in e")
	[ "$n" -ge 1 ] || fail "-p $p: no compile -V=full probe with probe=true"
	pass "-p $p: probes recorded with probe=true, no files, no import path"

	# Wall-clock overlap: with -p > 1 some compiles must have run concurrently.
	overlap=$(python3 - "$ev" <<'EOF'
import json, sys
iv = sorted((e["start_ns"], e["start_ns"] + e["wall_ns"]) for e in map(json.loads, open(sys.argv[1]))
            if not e["probe"])
print(sum(1 for a, b in zip(iv, iv[1:]) if b[0] < a[1]))
EOF
)
	[ "$overlap" -gt 0 ] || fail "-p $p: no two tool runs overlapped: the wrapper serializes the build?"
	pass "-p $p: tool runs overlapped ($overlap times): the build is not serialized"
done

finish
