#!/bin/bash
# exporter.sh - how long a scrape of paraprof-exporter takes
#
# Plants PROCS synthetic live segments (bench/gen_dump, FUNCS functions
# each, in one thread) in /dev/shm under the pids and start times of PROCS
# sleep processes of ours, so that the exporter takes them for running
# programs, starts the exporter on a free loopback port and times GET
# /metrics with curl: best and median of 7 scrapes after one warm-up with
# the default --top 50, best and median of 3 with --top 0 (every function:
# half a GiB of text).  The target: a
# scrape of 100 processes x 1,000 functions in <= 200 ms.  A measurement to
# read, not a test: it prints, it does not fail on a slow machine.  Removes
# what it planted and stops what it started.
#
# Environment: BUILD (default build), BENCH_PROCS (100), BENCH_FUNCS (1000).
set -eu
BUILD=${BUILD:-build}
PROCS=${BENCH_PROCS:-100}
FUNCS=${BENCH_FUNCS:-1000}
GEN=$BUILD/bench/gen_dump
EXPORTER=$BUILD/paraprof-exporter
WORK=$(mktemp -d "${TMPDIR:-/tmp}/paraprof-bench.XXXXXX")
SLEEPS=""
SEGS=""
EPID=""
cleanup() {
	[ -n "$EPID" ] && kill "$EPID" 2>/dev/null
	# shellcheck disable=SC2086
	[ -n "$SLEEPS" ] && kill $SLEEPS 2>/dev/null
	# shellcheck disable=SC2086
	[ -n "$SEGS" ] && rm -f $SEGS
	rm -rf "$WORK"
}
trap cleanup EXIT

ns=$(stat -L -c %i /proc/self/ns/pid)
for i in $(seq "$PROCS"); do
	sleep 600 &
	p=$!
	SLEEPS="$SLEEPS $p"
	start=$(sed 's/.*) //' "/proc/$p/stat" | cut -d' ' -f20)
	seg=/dev/shm/paraprof.$p.$ns.$start
	SEGS="$SEGS $seg"
	"$GEN" -q -n "$FUNCS" -t 1 -s "$i" -p "$p" -T "$start" -N "$ns" -L \
		-c "bench-app-$i --serve" -o "$seg"
done
bytes=$(du -cb $SEGS | tail -n 1 | cut -f1)

# run TOP N: N scrapes; prints the best, the median and the size
run() {
	"$EXPORTER" --listen 127.0.0.1:0 --top "$1" 2>"$WORK/exporter.err" &
	EPID=$!
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$WORK/exporter.err")
		[ -n "$port" ] && break
		sleep 0.05
	done
	url=http://127.0.0.1:$port/metrics
	curl -s -o "$WORK/scrape.txt" "$url"	# warm-up: the page cache, the symbols' file
	times=$(for _ in $(seq "$2"); do
		curl -s -o "$WORK/scrape.txt" -w '%{time_total}\n' "$url"
	done | sort -n)
	best=$(echo "$times" | head -n 1)
	median=$(echo "$times" | sed -n "$(( ($2 + 1) / 2 ))p")
	size=$(stat -c %s "$WORK/scrape.txt")
	kill "$EPID"
	wait "$EPID" 2>/dev/null || true
	EPID=""
	awk -v b="$best" -v m="$median" -v s="$size" 'BEGIN { printf "%7.1f ms best  %7.1f ms median  %6.1f MiB\n", b * 1000, m * 1000, s / 1048576 }'
}

echo "paraprof-exporter: one scrape of $PROCS processes x $FUNCS functions" \
	"($((bytes / 1048576)) MiB of segments; target <= 200 ms):"
printf '  --top 50 (default, 7 scrapes): %s\n' "$(run 50 7)"
printf '  --top 0 (all, 3 scrapes):      %s\n' "$(run 0 3)"
