# runtime_partial.sh - a function split by gcc's partial inlining (issue 9,
# item 9): its entry hook runs inlined in main, its exit hook in
# process.part.0 with another call site; every call must still be counted
# and timed exactly.
. "$(dirname "$0")/../lib.sh"

# What tests/progs/partial.c does, known in advance: 100000 calls of
# process(i & 7); with "on", item() sum(i & 7) = 12500 * 28 times, and 20 us
# of spinning in the calls with i % 64 == 7 (i = 7 + 64k < 100000: 1563).
CALLS=100000
ITEMS=350000
SPINS=1563
SPIN_NS=20000

CCVER=$(${CC:-cc} --version | head -n 1)

for prog in partial partial_o3; do
	if ! nm "$PROGS/$prog" | grep -q ' process\.part\.'; then
		skip "$prog: $CCVER made no process.part.* clone; nothing to test"
		continue
	fi
	ok "$prog: $CCVER split process() into process.part.*"

	rm -f paraprof.*.ppd
	run_profiled "$PROGS/$prog" on >out.txt
	expect_eq "$prog: the program's own counts" "$(cat out.txt)" \
		"process=$CALLS item=$ITEMS spins=$SPINS"
	"$PPDUMP" paraprof.*.ppd >dump.txt
	expect_eq "$prog: calls of process" "$(field dump.txt process calls)" $CALLS
	expect_eq "$prog: calls of item (process's callee)" "$(field dump.txt item calls)" $ITEMS
	expect_eq "$prog: main is one call" "$(field dump.txt main calls)" 1
	expect_eq "$prog: no frame of process abandoned" "$(field dump.txt process abandoned)" 0
	expect_eq "$prog: no abandoned frames" "$(hfield dump.txt abandoned_frames)" 0
	expect_eq "$prog: no unmatched exits" "$(hfield dump.txt unmatched_exits)" 0
	expect_eq "$prog: no shadow-stack overflow" "$(hfield dump.txt stack_overflows)" 0
	expect_eq "$prog: every call of process in its histogram" "$(field dump.txt process hist)" $CALLS

	# Durations.  The calls of process are disjoint intervals inside main's
	# one call on one thread and one monotonic clock, so their sum can
	# never exceed main's time, whatever the load; the spins give a floor.
	sum=$(field dump.txt process sum_ns)
	main_ns=$(field dump.txt main incl_ns)
	wall=$(hfield dump.txt wall_ns)
	check "$prog: time in process ($sum ns) >= its spins ($((SPINS * SPIN_NS)) ns)" \
		test "${sum:-0}" -ge $((SPINS * SPIN_NS))
	check "$prog: time in process ($sum ns) <= main's time ($main_ns ns)" \
		test "${sum:-0}" -le "${main_ns:-0}"
	avg=$(( ${sum:-0} / CALLS ))
	expect_range "$prog: average of process (ns) between its spins' share and main's time / calls" \
		"$avg" $((SPINS * SPIN_NS / CALLS)) $(( ${main_ns:-0} / CALLS ))
	check "$prog: the longest call of process spun ($(field dump.txt process max_ns) ns >= $SPIN_NS)" \
		test "$(field dump.txt process max_ns)" -ge $SPIN_NS
	# 1.6 % of the calls spin: the 99th percentile is one of them (less
	# the histogram's 1/128 bucket error), the median is not (it would take
	# the kernel preempting half of 100000 sub-microsecond calls).
	p99=$(field dump.txt process p99)
	p50=$(field dump.txt process p50)
	check "$prog: p99 of process is a spinning call ($p99 ns >= 19000)" test "${p99:-0}" -ge 19000
	check "$prog: p50 of process is not ($p50 ns < 19000)" test "${p50:-99999}" -lt 19000
	# main's one call is the run, less start-up and exit: at least half of
	# the wall time (the program runs >= 31 ms of spins), never more.
	check "$prog: main's time ($main_ns ns) within the wall time ($wall ns)" \
		test "${main_ns:-0}" -le "$wall" -a "${main_ns:-0}" -ge $((wall / 2))
	"$BUILD/paraprof-report" --wide paraprof.*.ppd >report.txt 2>&1
	check "$prog: the report blames no longjmp and no unmatched exit" \
		sh -c '! grep -qE "longjmp|no matching entry|deeper than the shadow stack" report.txt'
done

# The early return (not split off: both hooks inlined into main)
rm -f paraprof.*.ppd
run_profiled "$PROGS/partial" >out.txt
"$PPDUMP" paraprof.*.ppd >off.txt
expect_eq "early return: calls of process" "$(field off.txt process calls)" $CALLS
expect_eq "early return: item never called" "$(field off.txt item calls)" ""
expect_eq "early return: no abandoned frames, no unmatched exits" \
	"$(hfield off.txt abandoned_frames)/$(hfield off.txt unmatched_exits)" "0/0"
