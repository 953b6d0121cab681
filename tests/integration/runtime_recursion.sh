# runtime_recursion.sh - recursion a million deep (issue 9, item 11): every
# call counted and timed, whatever the depth, up to what memory allows.
. "$(dirname "$0")/../lib.sh"

# tests/progs/deeprec.c: down() N + 1 frames deep, leaf() twice a level
# (a quarter under ASan, the check-asan stage: still 4 times the first
# shadow stack, grown twice; the full depth runs in the plain stage)
N=1000000
[ -n "${PARAPROF_TEST_PRELOAD:-}" ] && N=250000
run_profiled "$PROGS/deeprec" $N >out.txt
expect_eq "the program's own counts" "$(cat out.txt)" "down=$((N + 1)) leaf=$((2 * (N + 1))) after=1000"
"$PPDUMP" paraprof.*.ppd >deep.txt
down=$(field deep.txt down calls)
leaf=$(field deep.txt leaf calls)
expect_eq "calls of down (recursive, $((N + 1)) frames)" "$down" $((N + 1))
expect_eq "calls of leaf (two a level)" "$leaf" $((2 * (N + 1)))
expect_eq "calls in all" "$(( ${down:-0} + ${leaf:-0} ))" $((3 * (N + 1)))
expect_eq "after the recursion, after() calls exact" "$(field deep.txt after calls)" 1000
expect_eq "the thread's function is one call" "$(field deep.txt deep_thread calls)" 1
expect_eq "main is one call" "$(field deep.txt main calls)" 1
expect_eq "no call past the shadow stack" "$(hfield deep.txt stack_overflows)" 0
expect_eq "no abandoned frames, no unmatched exits" \
	"$(hfield deep.txt abandoned_frames)/$(hfield deep.txt unmatched_exits)" "0/0"
expect_eq "every frame of down timed (in its histogram)" "$(field deep.txt down hist)" $((N + 1))
expect_eq "every call of leaf timed (in its histogram)" "$(field deep.txt leaf hist)" $((2 * (N + 1)))
# Inclusive time counts the one outermost frame of down: the longest.  It
# lies inside the thread function's one call, which lies inside the run.
incl=$(field deep.txt down incl_ns)
expect_eq "inclusive time of down is its outermost frame's" "$incl" "$(field deep.txt down max_ns)"
thread_ns=$(field deep.txt deep_thread incl_ns)
check "down's inclusive time ($incl ns) <= its thread function's ($thread_ns ns)" \
	test "${incl:-0}" -gt 0 -a "${incl:-0}" -le "${thread_ns:-0}"
check "the thread function's time ($thread_ns ns) <= wall time" \
	test "${thread_ns:-0}" -le "$(hfield deep.txt wall_ns)"
# the innermost frame holds two leaf() calls: far below the outermost
check "the shortest frame of down ($(field deep.txt down min_ns) ns) is far below the longest" \
	test "$(field deep.txt down min_ns)" -lt $(( ${incl:-0} / 1000 ))
"$BUILD/paraprof-report" --wide paraprof.*.ppd >report.txt 2>&1
check "the report warns of no call deeper than the shadow stack" \
	sh -c '! grep -q "deeper than the shadow stack" report.txt'
