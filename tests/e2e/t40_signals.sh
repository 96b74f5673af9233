#!/usr/bin/env bash
# t40_signals: exit statuses and signals pass through golive, and an
# interrupted build leaves nothing running.
#  (a) the wrapper leaves with the tool's exit code, or dies by the tool's signal
#      (SIGSEGV: 139, SIGTERM: 143), with and without GOLIVE_SESSION; the event
#      records exit / signal;
#  (b) SIGTERM / SIGINT sent to the wrapper reach the tool (which exits 7);
#  (c) SIGINT to `golive build -a std` ends it within 15 s by SIGINT (130), with
#      no process left; SIGINT to the process group of
#      `go build -toolexec=golive -a std` leaves no process either.
. "$(dirname "$0")/lib.sh"
ulimit -c 0

# A private copy of golive: every process it starts has $tmp in its command line.
mkdir -p "$tmp/bin"
cp "$GOLIVE" "$tmp/bin/golive"
G=$tmp/bin/golive

cat >"$tmp/helper.c" <<'EOF'
/* helper exit N | sig N | trap FILE CODE */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static const char *out;
static int code;
static void on(int s)
{
	const char *m = s == SIGTERM ? "TERM\n" : s == SIGINT ? "INT\n" : "OTHER\n";
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		(void)!write(fd, m, strlen(m));
		close(fd);
	}
	_exit(code);
}
int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "exit"))
		return atoi(argv[2]);
	if (argc > 2 && !strcmp(argv[1], "sig")) {
		int s = atoi(argv[2]);
		sigset_t m;
		signal(s, SIG_DFL);
		sigemptyset(&m);
		sigaddset(&m, s);
		sigprocmask(SIG_UNBLOCK, &m, 0);
		raise(s);
		return 98;
	}
	if (argc > 3 && !strcmp(argv[1], "trap")) {
		char ready[4096];
		struct sigaction sa;
		out = argv[2];
		code = atoi(argv[3]);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on;
		sigaction(SIGTERM, &sa, 0);
		sigaction(SIGINT, &sa, 0);
		snprintf(ready, sizeof(ready), "%s.ready", out);
		close(open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644));
		for (int i = 0; i < 600; i++)
			usleep(50000);
		return 99;
	}
	fprintf(stderr, "usage: helper exit N | sig N | trap FILE CODE\n");
	return 64;
}
EOF
cc -O1 -o "$tmp/helper" "$tmp/helper.c" || fail "cannot compile the helper"
H=$tmp/helper

# --- (a) exit codes and signals ------------------------------------------------
s=$tmp/session
mkdir "$s"
for mode in nosession session; do
	if [ $mode = session ]; then export GOLIVE_SESSION=$s; else unset GOLIVE_SESSION; fi
	rc=0; "$G" "$H" exit 3 || rc=$?
	expect_eq "$rc" 3 "$mode: exit 3 relayed"
	rc=0; "$G" "$H" exit 0 || rc=$?
	expect_eq "$rc" 0 "$mode: exit 0 relayed"
	rc=0; "$G" "$H" exit 255 || rc=$?
	expect_eq "$rc" 255 "$mode: exit 255 relayed"
	rc=0; { "$G" "$H" sig 11; } 2>/dev/null || rc=$?
	expect_eq "$rc" 139 "$mode: SIGSEGV of the tool kills golive by SIGSEGV"
	rc=0; { "$G" "$H" sig 15; } 2>/dev/null || rc=$?
	expect_eq "$rc" 143 "$mode: SIGTERM of the tool kills golive by SIGTERM"
	rc=0; "$G" "$tmp/no-such-tool" 2>"$tmp/nosuch.err" || rc=$?
	expect_eq "$rc" 127 "$mode: a missing tool exits 127"
	grep -q "no-such-tool" "$tmp/nosuch.err" || fail "$mode: missing tool not named on stderr"
done
unset GOLIVE_SESSION
ev=$s/events.jsonl
problems=$(check_events_file "$ev") || fail "events malformed: $problems"
pass "helper events are well formed"
expect_eq "$(count_events "$ev" "e['tool']=='helper'")" 5 "five helper runs recorded (none for the missing tool)"
expect_eq "$(count_events "$ev" "e['exit']==3 and e['signal']==0")" 1 "exit 3 recorded"
expect_eq "$(count_events "$ev" "e['exit']==255 and e['signal']==0")" 1 "exit 255 recorded"
expect_eq "$(count_events "$ev" "e['exit']==-1 and e['signal']==11")" 1 "SIGSEGV recorded as exit -1, signal 11"
expect_eq "$(count_events "$ev" "e['exit']==-1 and e['signal']==15")" 1 "SIGTERM recorded as exit -1, signal 15"

# --- (b) signals to the wrapper reach the tool ----------------------------------
# start_bg NAME cmd...: runs cmd in a session of its own; its pid (the group
# leader) lands in $tmp/NAME.pid, its exit status in $tmp/NAME.rc when it ends.
start_bg() {
	local name=$1
	shift
	rm -f "$tmp/$name.pid" "$tmp/$name.rc"
	(
		rc=0
		setsid sh -c 'echo $$ >"$0"; exec "$@"' "$tmp/$name.pid" "$@" \
			>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null || rc=$?
		echo "$rc" >"$tmp/$name.rc"
	) &
	wait_until "[ -s '$tmp/$name.pid' ]" 10 || fail "$name did not start"
	track_pid "$(cat "$tmp/$name.pid")"
}

for mode in nosession session; do
	for sig in TERM INT; do
		f=$tmp/trap-$mode-$sig
		if [ $mode = session ]; then export GOLIVE_SESSION=$s; else unset GOLIVE_SESSION; fi
		start_bg trap "$G" "$H" trap "$f" 7
		unset GOLIVE_SESSION
		wait_until "[ -e '$f.ready' ]" 10 || fail "$mode: the helper did not start"
		kill -s "$sig" "$(cat "$tmp/trap.pid")"
		wait_until "[ -s '$tmp/trap.rc' ]" 10 || fail "$mode: golive did not exit after SIG$sig"
		expect_eq "$(cat "$tmp/trap.rc")" 7 "$mode: SIG$sig to the wrapper reaches the tool; golive exits 7"
		expect_eq "$(cat "$f" 2>/dev/null)" "$sig" "$mode: the tool saw SIG$sig"
	done
done
expect_eq "$(count_events "$ev" "e['tool']=='helper' and e['exit']==7")" 2 "the trapped runs are recorded with exit 7"

# --- (c) interrupting whole builds ---------------------------------------------
export GOCACHE=$tmp/gocache

# golive build -a std, SIGINT to golive alone.
start_bg gbuild "$G" build -a std
gpid=$(cat "$tmp/gbuild.pid")
wait_until "[ -n \"\$(procs_matching '$G $GOTOOLDIR_/compile')\" ]" 60 ||
	fail "golive build -a std: no compile started: $(cat "$tmp/gbuild.err")"
sleep 3
[ -z "$(cat "$tmp/gbuild.rc" 2>/dev/null)" ] || fail "golive build -a std ended before the interrupt"
ls "$TMPDIR" | grep -q '^golive-session-' || fail "golive build has no session directory in TMPDIR"
pass "golive build -a std is compiling (session in TMPDIR)"
kill -INT "$gpid"
wait_until "[ -s '$tmp/gbuild.rc' ]" 15 || fail "golive build did not exit within 15 s of SIGINT"
expect_eq "$(cat "$tmp/gbuild.rc")" 130 "golive build dies by SIGINT (130)"
if ! wait_until "no_procs_matching '$tmp'" 5; then
	fail "processes left after interrupting golive build: $(procs_matching "$tmp")"
fi
pass "nothing left running after interrupting golive build"
[ -z "$(ls "$TMPDIR" | grep '^golive-session-' || true)" ] || fail "interrupted golive build left its session directory"
pass "the interrupted golive build removed its session directory"
grep -q 'golive: build ok' "$tmp/gbuild.err" && fail "interrupted build printed a success summary"
pass "no success summary after the interrupt"

# go build -toolexec=golive -a std with a session, SIGINT to the process group.
mkdir "$tmp/session2"
export GOLIVE_SESSION=$tmp/session2
start_bg gobuild go build -toolexec="$G" -a std
unset GOLIVE_SESSION
pg=$(cat "$tmp/gobuild.pid")
wait_until "[ -n \"\$(procs_matching '$G $GOTOOLDIR_/compile')\" ]" 60 ||
	fail "go build -toolexec -a std: no compile started: $(cat "$tmp/gobuild.err")"
sleep 3
[ -z "$(cat "$tmp/gobuild.rc" 2>/dev/null)" ] || fail "go build -a std ended before the interrupt"
pass "go build -toolexec=golive -a std is compiling"
kill -INT -- "-$pg"
wait_until "[ -s '$tmp/gobuild.rc' ]" 15 || fail "go build did not exit within 15 s of SIGINT"
[ "$(cat "$tmp/gobuild.rc")" -ne 0 ] || fail "interrupted go build exited 0"
pass "interrupted go build -toolexec exits non-zero ($(cat "$tmp/gobuild.rc"))"
if ! wait_until "no_procs_matching '$tmp' && [ -z \"\$(pgrep -g $pg)\" ]" 5; then
	fail "processes left after interrupting go build -toolexec: $(procs_matching "$tmp")"
fi
pass "nothing left running after interrupting go build -toolexec"
n=$(count_events "$tmp/session2/events.jsonl" "e['tool']=='compile' and not e['probe'] and e['exit']==0")
[ "$n" -ge 1 ] || fail "no completed compile recorded before the interrupt"
problems=$(check_events_file "$tmp/session2/events.jsonl") || fail "events of the interrupted build malformed: $problems"
pass "events of the interrupted build are well formed ($n compiles finished)"

finish
