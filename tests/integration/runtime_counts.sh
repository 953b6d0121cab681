# runtime_counts.sh - exact call counts: recursion, threads, many short threads
. "$(dirname "$0")/../lib.sh"

run_profiled "$PROGS/fib" 25 >/dev/null
"$PPDUMP" paraprof.*.ppd >fib.txt
expect_eq "fib(25) records exactly 242785 calls of fib" "$(field fib.txt fib calls)" 242785
expect_eq "main is one call" "$(field fib.txt main calls)" 1
expect_eq "every call of fib is in its histogram" "$(field fib.txt fib hist)" 242785
wall=$(hfield fib.txt wall_ns)
incl=$(field fib.txt fib incl_ns)
check "inclusive time of recursive fib ($incl ns) is not more than wall time ($wall ns)" \
	test "$incl" -le "$wall"
# each frame's self time is its duration less its callees' durations, and
# fib's callees are its own frames: the sum over all frames telescopes to the
# outermost frames' durations, which is what inclusive_ns adds up
expect_eq "self time of fib equals its inclusive time (no instrumented callees besides itself)" \
	"$(field fib.txt fib self_ns)" "$incl"
check "the dump marks a complete run" test $(( $(hfield fib.txt flags) & PPF_FLAG_COMPLETE )) -ne 0
rm -f paraprof.*.ppd

for mode in exit stay; do
	run_profiled "$PROGS/threads" $mode
	"$PPDUMP" paraprof.*.ppd >threads.txt
	expect_eq "8 threads ($mode): total calls of work" "$(field threads.txt work calls)" 36000
	expect_eq "8 threads ($mode): thread_main calls" "$(field threads.txt thread_main calls)" \
		"$([ $mode = exit ] && echo 8 || echo 0)"
	if [ $mode = stay ]; then
		# live threads keep their own areas: each holds 1000*(i+1) calls
		per=$(PPDUMP_AREAS=1 "$PPDUMP" paraprof.*.ppd | awk '$1 == "rec" { print $4 }' |
			sed 's/calls=//' | grep -v '^0$' | sort -n | tr '\n' ' ')
		expect_eq "per-thread counts of work" "$per" "1 1000 2000 3000 4000 5000 6000 7000 8000 "
	fi
	rm -f paraprof.*.ppd
done

# 20,000 threads (5,000 under ASan, the check-asan stage: still five times
# the thread areas there are, and 78 times PARAPROF_MAX_THREADS)
T=20000
[ -n "${PARAPROF_TEST_PRELOAD:-}" ] && T=5000
run_profiled "$PROGS/manythreads" $T
"$PPDUMP" paraprof.*.ppd >many.txt
expect_eq "$T short-lived threads: calls of work" "$(field many.txt work calls)" $T
expect_eq "$T short-lived threads: threads seen" "$(hfield many.txt threads_seen)" $((T + 1))
used=$(hfield many.txt used)
check "$T threads keep the segment bounded ($used bytes < 2 MiB)" test "$used" -lt 2097152
