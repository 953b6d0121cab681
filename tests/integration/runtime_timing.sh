# runtime_timing.sh - honest times: a function that busy-waits 2 ms, 50 times
. "$(dirname "$0")/../lib.sh"

run_profiled "$PROGS/busy" 2000
"$PPDUMP" paraprof.*.ppd >busy.txt
calls=$(field busy.txt spin calls)
sum=$(field busy.txt spin sum_ns)
expect_eq "busy-wait: calls" "$calls" 50
avg=$((sum / calls))
# the function waits at least 2000 us and returns at the first clock read
# past it; allow 2 % above
expect_range "busy-wait 2 ms: average within 2 % (ns)" "$avg" 1960000 2040000
p50=$(field busy.txt spin p50)
expect_range "busy-wait 2 ms: p50 within 1 % + 2 % (ns)" "$p50" 1940000 2060000
