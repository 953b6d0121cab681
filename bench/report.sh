#!/bin/sh
# report.sh - how long paraprof-report takes on a big synthetic dump
#
# Writes a dump of FUNCS functions x THREADS threads with bench/gen_dump
# (defaults 100,000 x 16; each function recorded by K threads, default 1, and
# the hottest 1 % by all: BENCH_K=16 gives the full cross product, a 2.9 GB
# file) and times paraprof-report on it, best of 3 runs after one to warm
# the page cache.  A measurement to read, not a test: the target is <= 1 s.
#
# Environment: BUILD (default build), BENCH_FUNCS, BENCH_THREADS, BENCH_K.
set -eu
BUILD=${BUILD:-build}
FUNCS=${BENCH_FUNCS:-100000}
THREADS=${BENCH_THREADS:-16}
K=${BENCH_K:-1}
DUMP=$BUILD/bench/report-$FUNCS-$THREADS-$K.ppd

if [ ! -e "$DUMP" ] || [ "$BUILD/bench/gen_dump" -nt "$DUMP" ]; then
	"$BUILD/bench/gen_dump" -q -n "$FUNCS" -t "$THREADS" -k "$K" -r 1700000000000000000 \
		-o "$DUMP"
fi
bytes=$(stat -c %s "$DUMP")

# wall seconds of one run, from the monotonic clock in ns
run_once() {
	t0=$(date +%s%N)
	"$BUILD/paraprof-report" --no-color "$@" "$DUMP" >/dev/null
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000 ))
}

run_once >/dev/null	# warm-up: the dump in the page cache, the binary loaded
best=
for i in 1 2 3; do
	us=$(run_once)
	if [ -z "$best" ] || [ "$us" -lt "$best" ]; then best=$us; fi
done
json_best=
for i in 1 2 3; do
	us=$(run_once --format json)
	if [ -z "$json_best" ] || [ "$us" -lt "$json_best" ]; then json_best=$us; fi
done
records=$(( FUNCS * K + FUNCS / 100 * (THREADS - K) ))
echo "paraprof-report on $FUNCS functions x $THREADS threads" \
	"(each function in $K thread(s), hottest 1% in all: $records records," \
	"$((bytes / 1048576)) MiB):"
printf '  text: %d.%03d s   json: %d.%03d s   (best of 3; target <= 1 s)\n' \
	$((best / 1000000)) $((best / 1000 % 1000)) \
	$((json_best / 1000000)) $((json_best / 1000 % 1000))
