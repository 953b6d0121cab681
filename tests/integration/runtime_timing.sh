# runtime_timing.sh - honest times: a function that busy-waits 2 ms, 50 times
. "$(dirname "$0")/../lib.sh"

run_profiled "$PROGS/busy" 2000 >busy.out
"$PPDUMP" paraprof.*.ppd >busy.txt
calls=$(field busy.txt spin calls)
sum=$(field busy.txt spin sum_ns)
own=$(sed -n 's/^own_ns=//p' busy.out)
expect_eq "busy-wait: calls" "$calls" 50
# The reference is the program's own clock around each call (a busy-wait
# that is preempted really takes longer).  paraprof's time lies inside it.
avg=$((sum / calls))
own_avg=$((own / calls))
expect_range "busy-wait 2 ms: average within 2 % of the calls' real duration (ns)" \
	"$avg" "$((own_avg * 98 / 100))" "$((own_avg * 102 / 100))"
# spin() reads a microsecond clock: a call lasts at least 2000 us less 1 us
check "busy-wait 2 ms: never less than the 2 ms waited ($avg ns)" test "$avg" -ge 1999000
p50=$(field busy.txt spin p50)
expect_range "busy-wait 2 ms: p50 within 1 % of 2 ms (most calls are not preempted)" "$p50" 1980000 2040000
