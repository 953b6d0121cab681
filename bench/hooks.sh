#!/bin/sh
# hooks.sh - what the hooks cost, measured in one run against the baseline
# and against peers, on fib(30) built with -finstrument-functions:
#   baseline  glibc's no-op __cyg_profile_func_* hooks
#   floor     two bare rdtsc reads per call (bench/floor.c)
#   paraprof  LD_PRELOAD=libparaprof.so
#   uftrace   uftrace record (Debian package uftrace)
#   disabled  LD_PRELOAD=libparaprof.so with PARAPROF_ENABLE=0
#   before    BEFORE=path/libparaprof.so: another build (an older commit),
#             measured in the same run, to compare a change of the hooks
# the spread of paraprof's cost over 20 processes (each its own stack and
# address layout), a call-heavy program of 300 functions (callgraph, from
# bench/gen_callgraph.sh: CPU time against the no-op hooks, call paths on
# and off), the C API's region and span pairs, and memory: segment size
# and peak RSS for fib(30) and fib(35).
set -eu
BUILD=${BUILD:-build}
B=$(cd "$BUILD" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ns() { sed -n 's/.*ns_per_call=\([0-9.]*\).*/\1/p'; }

base=$("$B/bench/fibbench" 30 | ns)
off=$(PARAPROF_ENABLE=0 PARAPROF_OUTPUT=$tmp LD_PRELOAD=$B/libparaprof.so "$B/bench/fibbench" 30 | ns)
floor=$(LD_PRELOAD=$B/bench/libfloor.so "$B/bench/fibbench" 30 | ns)
pp=$(PARAPROF_OUTPUT=$tmp LD_PRELOAD=$B/libparaprof.so "$B/bench/fibbench" 30 | ns)
before=""
if [ -n "${BEFORE:-}" ]; then
	before=$(PARAPROF_OUTPUT=$tmp LD_PRELOAD=$BEFORE "$B/bench/fibbench" 30 | ns)
	before_off=$(PARAPROF_ENABLE=0 PARAPROF_OUTPUT=$tmp LD_PRELOAD=$BEFORE "$B/bench/fibbench" 30 | ns)
fi
if command -v uftrace >/dev/null; then
	uf=$(cd "$tmp" && uftrace record -d "$tmp/uftrace.data" "$B/bench/fibbench" 30 | ns)
else
	uf=""
fi

echo "hook cost per call, fib(30) = 2,692,537 calls, best of 7 runs:"
awk -v b="$base" -v f="$floor" -v p="$pp" -v u="$uf" -v o="$off" -v q="$before" \
	-v qo="${before_off:-}" 'BEGIN {
	printf "  %-28s %8.2f ns/call\n", "baseline (glibc no-op hooks)", b
	printf "  %-28s %8.2f ns/call  (+%.2f, target <= 2)\n", "paraprof, disabled", o, o - b
	printf "  %-28s %8.2f ns/call  (+%.2f)\n", "floor (2 x rdtsc)", f, f - b
	printf "  %-28s %8.2f ns/call  (+%.2f)\n", "paraprof", p, p - b
	if (q != "") {
		printf "  %-28s %8.2f ns/call  (+%.2f)\n", "BEFORE", q, q - b
		printf "  %-28s %8.2f ns/call  (+%.2f)\n", "BEFORE, disabled", qo, qo - b
	}
	if (u != "")
		printf "  %-28s %8.2f ns/call  (+%.2f)\n", "uftrace record", u, u - b
	printf "ratios of added cost:\n"
	printf "  paraprof / floor   = %5.2f   (target <= 1.50)\n", (p - b) / (f - b)
	if (u != "")
		printf "  paraprof / uftrace = %5.2f   (target <= 0.25)\n", (p - b) / (u - b)
	if (q != "")
		printf "  paraprof / BEFORE  = %5.2f\n", (p - b) / (q - b)
}'

echo "spread over 20 processes, fib(30) under paraprof (ns/call):"
for i in $(seq 20); do
	PARAPROF_OUTPUT=$tmp LD_PRELOAD=$B/libparaprof.so "$B/bench/fibbench" 30 3 | ns
	rm -f "$tmp"/paraprof.*.ppd
done | sort -n | awk -v b="$base" -v f="$floor" '{ v[NR] = $1 } END {
	printf "  min %.2f  median %.2f  max %.2f   added cost / floor: min %.2f, median %.2f, max %.2f\n",
		v[1], v[10], v[20], (v[1] - b) / (f - b), (v[10] - b) / (f - b), (v[20] - b) / (f - b) }'

cpu() { sed -n 's/.*cpu_ms=\([0-9.]*\).*/\1/p'; }
echo "callgraph: 300 functions, a program's call graph, CPU time of the loop:"
cg_base=$("$B/bench/callgraph" | cpu)
cg_floor=$(LD_PRELOAD=$B/bench/libfloor.so "$B/bench/callgraph" | cpu)
cg_pp=$(PARAPROF_OUTPUT=$tmp LD_PRELOAD=$B/libparaprof.so "$B/bench/callgraph" | cpu)
cg_flat=$(PARAPROF_MAX_PATHS=0 PARAPROF_OUTPUT=$tmp LD_PRELOAD=$B/libparaprof.so "$B/bench/callgraph" | cpu)
cg_uf=""
if command -v uftrace >/dev/null; then
	cg_uf=$(cd "$tmp" && uftrace record -d "$tmp/uftrace.cg" "$B/bench/callgraph" | cpu)
fi
"$B/bench/callgraph" | sed 's/ cpu_ms=.*//; s/^/  /'
awk -v b="$cg_base" -v p="$cg_pp" -v f="$cg_flat" -v u="$cg_uf" -v fl="$cg_floor" 'BEGIN {
	printf "  %-28s %8.1f ms\n", "baseline (glibc no-op hooks)", b
	printf "  %-28s %8.1f ms  (%.2fx: what two clock reads a call cost here)\n", "floor (2 x rdtsc)", fl, fl / b
	printf "  %-28s %8.1f ms  (%.2fx, target <= 3; added cost / floor: %.2f)\n", "paraprof, call paths", p, p / b, (p - b) / (fl - b)
	printf "  %-28s %8.1f ms  (%.2fx)\n", "paraprof, PARAPROF_MAX_PATHS=0", f, f / b
	if (u != "")
		printf "  %-28s %8.1f ms  (%.2fx; the loop only: uftrace writes in another process too)\n", "uftrace record", u, u / b
}'

echo "C API, not instrumented, 1,000,000 pairs, best of 5 runs:"
for lib in "$B/libparaprof.so" ${BEFORE:+"$BEFORE"}; do
	[ "$lib" = "$B/libparaprof.so" ] && what="" || what=" (BEFORE)"
	PARAPROF_OUTPUT=$tmp LD_PRELOAD=$lib "$B/bench/regionbench" |
		awk -v w="$what" '{ split($1, r, "="); split($2, s, "=");
			printf "  region begin/end pair%s  %8.2f ns\n  span begin/end pair%s    %8.2f ns\n",
				w, r[2], w, s[2] }'
done

echo "memory (does not grow with calls):"
for n in 30 35; do
	rm -f "$tmp"/paraprof.*.ppd
	out=$(PARAPROF_OUTPUT=$tmp LD_PRELOAD=$B/libparaprof.so "$B/bench/fibbench" $n 1)
	rss=$(echo "$out" | sed 's/.*maxrss_kib=//')
	seg=$(stat -c %s "$tmp"/paraprof.*.ppd)
	calls=$(echo "$out" | sed 's/calls=\([0-9]*\).*/\1/')
	printf "  fib(%d): %10s calls  segment %7d bytes  peak RSS %6d KiB\n" $n "$calls" "$seg" "$rss"
done
