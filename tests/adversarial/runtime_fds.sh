# runtime_fds.sh - the library holds no descriptor a program may close and
# reuse (issue 9, item 5): a program that closes fds 3..1023 and opens a
# file of its own must not find that file grown by the library's later
# allocations, and its profile must still be whole.
. "$(dirname "$0")/../lib.sh"

run_profiled "$PROGS/adv_closefds" "$WORK/own.txt" >out.txt 2>err.txt
expect_eq "closing every fd: the program runs on" "$?" 0
expect_eq "the program's own file keeps its 100 bytes" "$(sed -n 's/^fd [0-9]* size //p' out.txt)" 100
expect_eq "... and says so on disk too" "$(stat -c %s own.txt)" 100
# the slow calls' stacks are taken with an unwinder that holds no
# descriptor (libunwind 1.6 keeps a pipe open, found here as fds 4 and 5)
expect_eq "after calls whose stacks were kept, only the program's own fd is open" \
	"$(sed -n 's/^fds//p' out.txt)" " $(sed -n 's/^fd \([0-9]*\) .*/\1/p' out.txt)"
expect_eq "nothing on stderr" "$(cat err.txt)" ""
dump=$(ls paraprof.*.ppd)
"$PPDUMP" "$dump" >dump.txt
expect_eq "the dump is complete: first()" "$(field dump.txt first calls)" 1
expect_eq "... and slow()" "$(field dump.txt slow calls)" 2
"$BUILD/paraprof-report" --slowest-calls slow "$dump" >slowest.txt 2>&1
check "both slow calls were kept, with their stacks" grep -q "(2 kept" slowest.txt
check "... which reach main" grep -q "^ *[0-9]*  main$" slowest.txt
bad=0
for n in 10 17 33 47 55 61 77 87; do
	c=$(field dump.txt f$n calls)
	[ "$c" = 80 ] || { bad=1; echo "# f$n: $c calls, expected 80"; }
done
expect_eq "the dump is complete: 80 calls of each function on 8 threads" "$bad" 0
expect_eq "no function dropped" "$(hfield dump.txt dropped_functions)" 0
expect_eq "eight worker threads and main recorded" "$(hfield dump.txt threads_seen)" 9
