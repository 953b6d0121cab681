#!/bin/bash
# server.sh - examples/server under load (make bench-server): wrk on loopback,
# bounded (-t 2 -c 8 -d 5s a run; 3 alternating rounds with and without the
# library, about 65 s in all), on two loads: GET /api/health (the cheapest
# request: the profiler's share is largest) and a mix of health, agents (a
# chain of instrumented calls) and workflow runs.  Prints the median
# throughput without the library and with it; paraprof-report --pid read
# DURING a loaded run, and the Endpoints of a dump after; and the cost of one
# paraprof_request_begin/end pair in a tight loop (bench/requestbench,
# target <= 200 ns).  A measurement, not a timed test: it never fails on a
# slow machine, only when something does not work.  BENCH_SECONDS and
# BENCH_ROUNDS change the run length and the rounds.
set -eu
BUILD=${BUILD:-build}
B=$(cd "$BUILD" && pwd)
SERVER=$B/examples/server
REPORT=$B/paraprof-report
DURATION=${BENCH_SECONDS:-5}
tmp=$(mktemp -d)
pid=""
stop_server() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	pid=""
}
trap 'stop_server; rm -rf "$tmp"' EXIT

# start_server [LD_PRELOAD value]: starts it on a free port, sets pid and port
start_server() {
	: >"$tmp/server.out"
	PARAPROF_OUTPUT=$tmp LD_PRELOAD=${1:-} "$SERVER" 0 >"$tmp/server.out" 2>"$tmp/server.err" &
	pid=$!
	port=""
	for _ in $(seq 100); do
		port=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$tmp/server.out")
		[ -n "$port" ] && return 0
		sleep 0.05
	done
	echo "server.sh: the server did not start: $(cat "$tmp/server.err")" >&2
	exit 1
}

# The mixed load: 4 health, 4 agents (ids to merge), 1 workflow run in 9.
cat >"$tmp/mix.lua" <<'EOF'
local n = 0
request = function()
	n = n + 1
	local k = n % 9
	if k < 4 then
		return wrk.format("GET", "/api/health")
	elseif k < 8 then
		return wrk.format("GET", "/api/agents/" .. (n % 1000))
	end
	return wrk.format("POST", "/api/workflows/" .. (n % 7) .. "/run")
end
EOF

# load NAME [wrk args]: one bounded wrk run; prints requests/s
load() {
	wrk -t 2 -c 8 -d "${DURATION}s" --timeout 5s "$@" >"$tmp/wrk.txt"
	awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.txt"
}

# Alternating rounds (without, with, without, with, ...): the machine's
# drift hits both alike; the median of each is printed.
ROUNDS=${BENCH_ROUNDS:-3}
for round in $(seq "$ROUNDS"); do
	for lib in "" "$B/libparaprof.so"; do
		tag=${lib:+with}
		tag=${tag:-without}
		start_server "$lib"
		load "http://127.0.0.1:$port/api/health" >>"$tmp/health_$tag"
		if [ -n "$lib" ] && [ "$round" = 1 ]; then
			# the live read, in the middle of the mixed run
			load -s "$tmp/mix.lua" "http://127.0.0.1:$port/" >>"$tmp/mix_$tag" &
			wrk_pid=$!
			sleep "$((DURATION / 2)).5"
			t0=$(date +%s%N)
			"$REPORT" --pid "$pid" >"$tmp/live.txt"
			t1=$(date +%s%N)
			wait "$wrk_pid"
			live_ms=$(( (t1 - t0) / 1000000 ))
			live_pid=$pid
		else
			load -s "$tmp/mix.lua" "http://127.0.0.1:$port/" >>"$tmp/mix_$tag"
		fi
		stop_server
	done
done
dump=$(ls -t "$tmp"/paraprof.*.ppd | head -n 1)
"$REPORT" -n 5 "$dump" >"$tmp/dump.txt"
pairs=$(LD_PRELOAD=$B/libparaprof.so PARAPROF_OUTPUT=$tmp "$B/bench/requestbench")

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "examples/server under wrk -t 2 -c 8 -d ${DURATION}s on 127.0.0.1, median of $ROUNDS alternating"
echo "runs each (thread per connection, keep-alive; the server is built with"
echo "-finstrument-functions, so \"with\" also times every function call):"
for w in health mix; do
	awk -v w="$w" -v a="$(median "$tmp/${w}_without")" -v b="$(median "$tmp/${w}_with")" \
		-v ra="$(sort -n "$tmp/${w}_without" | tr '\n' ' ')" \
		-v rb="$(sort -n "$tmp/${w}_with" | tr '\n' ' ')" 'BEGIN {
		label = w == "health" ? "GET /api/health" : "mix: health, agents, workflows"
		printf "  %-32s without: %9.0f req/s   with paraprof: %9.0f req/s  (%+.1f%%)\n",
			label, a, b, (a > 0 ? (b - a) * 100 / a : 0)
		printf "  %-32s   (runs: %s/ %s)\n", "", ra, rb }'
done
echo
echo "paraprof-report --pid $live_pid during the mixed load (${live_ms} ms), its Endpoints:"
sed -n '/^Endpoints/,/^$/p' "$tmp/live.txt" | sed 's/^/  /'
echo "the dump of the last run with the library, its Endpoints:"
sed -n '/^Endpoints/,/^$/p' "$tmp/dump.txt" | sed 's/^/  /'
echo "one request, in a tight loop (bench/requestbench, best of 5 x 1,000,000):"
echo "$pairs" | tr ' ' '\n' | awk -F= '{
	label["pair_ns"] = "begin/end pair, one path"
	label["rotating_pair_ns"] = "begin/end pair, 8 paths"
	label["two_threads_pair_ns"] = "begin/end pair, 2 threads at once"
	label["headers_ns"] = "paraprof_request_headers()"
	printf "  %-36s %7.1f ns%s\n", label[$1], $2, $1 ~ /pair/ ? "  (target <= 200)" : "" }'
