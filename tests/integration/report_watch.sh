# report_watch.sh - paraprof-report --pid PID --watch (issue 14, item 8): a
# live table in a detached tmux session of 100x30, driven by keys: heavy()
# (20 ms, 20 times a second) first by time/s, light() (50,000 calls a
# second) first by calls/s; q, Ctrl-C and the process's end each leave with
# status 0 and the terminal restored (stty says icanon again, the table gone
# with the alternate screen); without a terminal --watch is a usage error.
# Every wait is bounded; the trap kills the tmux server and the programs.
. "$(dirname "$0")/../lib.sh"

REPORT=$BUILD/paraprof-report
SOCK=$WORK/tmux.sock
PIDS=
trap 'tmux -S "$SOCK" kill-server 2>/dev/null; kill -9 $PIDS 2>/dev/null; wait 2>/dev/null;
      rm -f $(segments_of $PIDS); rm -rf "$WORK"' EXIT

if ! command -v tmux >/dev/null; then
	skip "tmux is not installed (make integration installs it)"
	exit 0
fi

# start_prog SECONDS: runs watched for SECONDS under the library; sets PID
# once its segment is there (at most 5 s)
start_prog() {
	# not run_profiled: a function in the background is a subshell, and $!
	# would be its pid
	PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$PROGS/watched" "$1" &
	PID=$!
	PIDS="$PIDS $PID"
	for _i in $(seq 50); do
		[ -n "$(segments_of $PID)" ] && return 0
		sleep 0.1
	done
	not_ok "no segment for watched (pid $PID) after 5 s"
}

# watch_in_tmux SESSION ARGS...: paraprof-report ARGS in a new detached
# session of 100x30; after it the shell prints one line, "watch-exit=STATUS
# icanon" (or -icanon: whether the terminal is canonical again), and waits
# (the pane stays)
watch_in_tmux() {
	_s=$1; shift
	tmux -S "$SOCK" new-session -d -s "$_s" -x 100 -y 30 \
		"$REPORT $*; rc=\$?; echo watch-exit=\$rc \$(stty -a | tr ' ;' '\n\n' | grep -x -- '-*icanon'); sleep 60"
}

# pane SESSION: the pane's text, wrapped lines joined (a line wider than the
# pane shows as one longer line)
pane() {
	tmux -S "$SOCK" capture-pane -p -J -t "$1"
}

# wait_pane SESSION REGEX: waits (at most 8 s) until the pane shows REGEX;
# leaves the pane's text in pane.txt; 0 when it did
wait_pane() {
	for _i in $(seq 80); do
		pane "$1" >pane.txt 2>/dev/null
		grep -Eq -- "$2" pane.txt && return 0
		sleep 0.1
	done
	return 1
}

# line_of NAME: the line number of NAME's row in pane.txt
line_of() {
	grep -n " $1\$" pane.txt | head -1 | cut -d: -f1
}

# rate NAME: NAME's calls/s in pane.txt as an integer (49.9k -> 49900)
rate() {
	awk -v n="$1" '$NF == n {
		v = $2; m = 1
		if (v ~ /k$/) m = 1e3; else if (v ~ /M$/) m = 1e6; else if (v ~ /G$/) m = 1e9
		sub(/[kMG]$/, "", v); printf "%d\n", v * m; exit }' pane.txt
}

# wait_rate NAME LO HI: waits (at most 5 s) until NAME's calls/s in the pane
# of w1 is in [LO, HI], two refreshes after the change that should bring it
# there; leaves the pane in pane.txt
wait_rate() {
	sleep 1.1
	for _i in $(seq 40); do
		pane w1 >pane.txt
		_r=$(rate "$1")
		[ -n "$_r" ] && [ "$_r" -ge "$2" ] && [ "$_r" -le "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

start_prog 20

# ---- q ----
watch_in_tmux w1 --pid "$PID" --watch 0.5
# two refreshes at least: rates over an interval, not since the start
sleep 1.2
check "the table shows heavy and light under the column names" \
	wait_pane w1 'CALLS/S.*NAME'
grep -q ' heavy$' pane.txt && grep -q ' light$' pane.txt
expect_eq "heavy and light listed" "$?" 0
# (the command, $PROGS/watched, is cut at the pane's width when the
# checkout's path is long: its first 20 characters always fit)
check "the title says the interval, the key (time/s) and the command" \
	grep -qF "paraprof-report: pid $PID, every 0.5s, by time/s: ${PROGS:0:20}" pane.txt
long=$(awk 'length($0) > 100' pane.txt | wc -l)
expect_eq "no line wider than the pane (100 columns)" "$long" 0
cp pane.txt by_time.txt
hl=$(line_of heavy) ll=$(line_of light)
check "by time/s: heavy ($hl) above light ($ll)" test "${hl:-99}" -lt "${ll:-0}"
# light: 2,500 calls a round, at most 20 rounds a second (fewer on a busy
# machine); heavy: one a round
# (the interval is measured between copies, whose times jitter: 30 % more)
expect_range "light's calls/s" "$(rate light)" 5000 65000
expect_range "heavy's calls/s" "$(rate heavy)" 2 26

tmux -S "$SOCK" send-keys -t w1 c
check "c: the title says by calls/s" wait_pane w1 'by calls/s'
hl=$(line_of heavy) ll=$(line_of light)
check "by calls/s: light ($ll) above heavy ($hl)" test "${ll:-99}" -lt "${hl:-0}"

tmux -S "$SOCK" send-keys -t w1 p
check "p: the title says by p95" wait_pane w1 'by p95'
hl=$(line_of heavy) ll=$(line_of light)
check "by p95: heavy ($hl) above light ($ll)" test "${hl:-99}" -lt "${ll:-0}"

tmux -S "$SOCK" send-keys -t w1 n
check "n: the title says by name" wait_pane w1 'by name'
hl=$(line_of heavy) ll=$(line_of light)
check "by name: heavy ($hl) above light ($ll)" test "${hl:-99}" -lt "${ll:-0}"

# rates are of the interval, not averages since the start: with recording
# off they fall to 0 at the next refreshes while the counts stay
"$REPORT" --pid "$PID" --disable >/dev/null
wait_rate light 0 0
expect_eq "recording disabled: light's calls/s" "$(rate light)" 0
expect_eq "recording disabled: heavy's calls/s" "$(rate heavy)" 0
calls=$(awk '$NF == "light" { print $(NF - 1) }' pane.txt)
expect_range "recording disabled: light's calls still counted" "${calls:-0}" 2500 100000000
"$REPORT" --pid "$PID" --enable >/dev/null
wait_rate light 5000 65000
expect_range "recording enabled again: light's calls/s" "$(rate light)" 5000 65000

# a smaller window: the next redraws fit it (TIOCGWINSZ, SIGWINCH)
tmux -S "$SOCK" resize-window -t w1 -x 60 -y 6
check "resized to 60x6: redrawn" wait_pane w1 'by name'
sleep 0.6
pane w1 >pane.txt
long=$(awk 'length($0) > 60' pane.txt | wc -l)
expect_eq "60 columns: no line wider" "$long" 0
expect_eq "6 lines: the title, the status, a blank, the column names and 2 rows" \
	"$(grep -c . pane.txt)" 5
check "60 columns: the column names still there" grep -q 'CALLS/S' pane.txt

tmux -S "$SOCK" send-keys -t w1 q
check "q: paraprof-report exits" wait_pane w1 'watch-exit='
expect_eq "q: exit status" "$(sed -n 's/^watch-exit=\([0-9]*\).*/\1/p' pane.txt)" 0
expect_eq "q: the terminal is canonical again" "$(sed -n 's/^watch-exit=[0-9]* //p' pane.txt)" icanon
check "q: the table left with the alternate screen" sh -c '! grep -q "CALLS/S" pane.txt'

# ---- Ctrl-C ----
watch_in_tmux w2 --pid "$PID" --watch=0.5
check "Ctrl-C run: the table is drawn" wait_pane w2 ' light$'
tmux -S "$SOCK" send-keys -t w2 C-c
check "Ctrl-C: paraprof-report exits" wait_pane w2 'watch-exit='
expect_eq "Ctrl-C: exit status" "$(sed -n 's/^watch-exit=\([0-9]*\).*/\1/p' pane.txt)" 0
expect_eq "Ctrl-C: the terminal is canonical again" "$(sed -n 's/^watch-exit=[0-9]* //p' pane.txt)" icanon

# ---- the process ends ----
kill "$PID" 2>/dev/null
start_prog 3
watch_in_tmux w3 --pid "$PID" -w 0.2
check "end: the table is drawn" wait_pane w3 ' heavy$'
check "end: paraprof-report says the process ended" \
	wait_pane w3 "pid $PID \\(.*watched 3\\) has ended"
check "end: and exits" wait_pane w3 'watch-exit='
expect_eq "end: exit status" "$(sed -n 's/^watch-exit=\([0-9]*\).*/\1/p' pane.txt)" 0
expect_eq "end: the terminal is canonical again" "$(sed -n 's/^watch-exit=[0-9]* //p' pane.txt)" icanon
wait "$PID"

# ---- usage ----
"$REPORT" --pid "$PID" --watch 0.5 >out.txt 2>err.txt
expect_eq "no terminal on stdout: exit status" "$?" 2
expect_eq "no terminal on stdout: one line" "$(cat err.txt)" \
	"paraprof-report: --watch needs a terminal on standard output"
"$REPORT" --pid "$PID" --watch 0.01 >out.txt 2>err.txt
expect_eq "--watch 0.01 (under 0.1 s): exit status" "$?" 2
check "--watch 0.01: says why" grep -q "'0.01' is not an interval" err.txt
"$REPORT" --watch 1 >out.txt 2>err.txt
expect_eq "--watch without --pid: exit status" "$?" 2
"$REPORT" --pid "$PID" --watch 1 --format json >out.txt 2>err.txt
expect_eq "--watch with --format: exit status" "$?" 2

help_matches_man "$REPORT" "$SRC/man/paraprof-report.1"
expect_eq "groff -man -ww -z paraprof-report.1 is clean" \
	"$(groff -man -ww -z "$SRC/man/paraprof-report.1" 2>&1)" ""
