#!/bin/bash
# request_env.sh - request profiling's setting and documentation:
# PARAPROF_SLOW_THRESHOLD (valid: every request over it is slow and warned
# about, within the rate limit, with every refused line reported in a later
# line or at exit; invalid: one warning and the 1.0 s default); every name of
# the request section of paraprof.h documented in libparaprof(3) and
# exported by the library.  The server is always stopped.
. "$(dirname "$0")/../server.sh"

# stop: SIGTERM, and the exit status
stop() {
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	pid=""
	expect_eq "$1: the server exits 0 on SIGTERM" "$rc" 0
}

# ---- a tiny threshold: every request is slow; 30 at once hit the limit ----
start_server "$WORK/tiny" PARAPROF_SLOW_THRESHOLD=0.000001
# 30 requests on one connection (curl's URL range), done within a few ms
curl -s --max-time 20 -o /dev/null "http://127.0.0.1:$port/api/agents/[1-30]"
stop tiny
err=$WORK/tiny/err
shown=$(grep -c '^paraprof: slow request GET /api/agents/{id} [0-9]*\.[0-9]\{3\} s (threshold 0\.000 s)' "$err")
# the refused lines, reported in later lines and at exit
later=$(sed -n 's/.* (\([0-9]*\) more slow requests not shown)$/\1/p' "$err" | awk '{ s += $1 } END { print s + 0 }')
atexit=$(sed -n 's/^paraprof: \([0-9]*\) more slow requests not shown (at most 10 slow-request lines a second)$/\1/p' "$err")
expect_range "tiny: lines shown (a burst of 10, then 10 a second)" "$shown" 10 29
expect_eq "tiny: shown + reported as not shown = 30 requests" "$((shown + later + ${atexit:-0}))" 30
check "tiny: the refused count is reported at exit" test -n "$atexit"
check "tiny: nothing else on stderr" bash -c '! grep -v "^paraprof: " "$1"' _ "$err"
json=$("$REPORT" -f json "$WORK"/tiny/paraprof.*.ppd)
slow=$(ppjson - rows endpoints "name=GET /api/agents/{id}" slow calls <<<"$json")
expect_eq "tiny: every request counted slow" "$slow" "30 30"

# ---- an invalid value: one warning, the default (1.0 s) ----
start_server "$WORK/bad" PARAPROF_SLOW_THRESHOLD=abc
curl -s --max-time 20 -o /dev/null "http://127.0.0.1:$port/api/health"
curl -s --max-time 20 -o /dev/null "http://127.0.0.1:$port/api/slow"
stop bad
err=$WORK/bad/err
expect_eq "bad: one warning about the value" \
	"$(grep -c '^paraprof: PARAPROF_SLOW_THRESHOLD=abc is not a number of seconds' "$err")" 1
check "bad: the default threshold holds (1.0 s)" \
	grep -q '^paraprof: slow request GET /api/slow [0-9.]* s (threshold 1\.000 s)$' "$err"
expect_eq "bad: only /api/slow was slow" "$(grep -c 'slow request' "$err")" 1

# ---- a large value: nothing is slow ----
start_server "$WORK/large" PARAPROF_SLOW_THRESHOLD=2.5
curl -s --max-time 20 -o /dev/null "http://127.0.0.1:$port/api/slow"
stop large
expect_eq "large: no slow-request line under 2.5 s" "$(grep -c 'slow request' "$WORK/large/err")" 0

# ---- documented and exported ----
names=$(sed -n '/==== request profiling/,/==== end of request profiling/p' "$SRC/include/paraprof.h" |
	grep -o '\bparaprof_[a-z_]*\b\|\bPARAPROF_[A-Z_]*\b' | sort -u |
	grep -v '_$\|^paraprof_request$\|^paraprof_endpoint_stats$\|^PARAPROF_E')
check "the request section names something" test -n "$names"
for n in $names PARAPROF_SLOW_THRESHOLD "slow request" "OTHER (overflow)" \
		"more slow requests not shown" 'X\-Process\-Time' 'X\-Request\-Count'; do
	check "libparaprof(3) documents $n" grep -qF -- "$n" "$SRC/man/libparaprof.3"
done
exported=$(nm -D --defined-only "$LIB_SO" | awk '{ print $3 }')
for n in $names; do
	case $n in
	paraprof_request_t) ;;
	paraprof_*) check "libparaprof.so exports $n" grep -qx "$n" <<<"$exported" ;;
	esac
done
check "libparaprof.so hides request internals" \
	bash -c '! grep -q "^request_" <<<"$1"' _ "$exported"

# ---- without the library: the weak calls fall through, the server still
# answers with both headers (its own clock and count) ----
mkdir -p "$WORK/nolib"
"$SERVER" 0 >"$WORK/nolib/out" 2>"$WORK/nolib/err" &
pid=$!
port=""
for _ in $(seq 100); do
	port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$WORK/nolib/out")
	[ -n "$port" ] && break
	sleep 0.05
done
hdrs=$(curl -s --max-time 10 -D - -o /dev/null "http://127.0.0.1:$port/api/agents/7" | tr -d '\r')
check "no library: X-Process-Time" grep -Eq '^X-Process-Time: [0-9]+\.[0-9]{6}$' <<<"$hdrs"
check "no library: X-Request-Count 1" grep -q '^X-Request-Count: 1$' <<<"$hdrs"
stop nolib
check "no library: no dump" bash -c '! ls "$1"/paraprof.*.ppd 2>/dev/null' _ "$WORK"
