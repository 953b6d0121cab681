# runtime_unwind.sh - calls that never reach their exit hook
. "$(dirname "$0")/../lib.sh"

run_profiled "$PROGS/jumps" >/dev/null
"$PPDUMP" paraprof.*.ppd >jumps.txt
expect_eq "longjmp out of depth 10: later leaf() calls exact" "$(field jumps.txt leaf calls)" 1000
expect_eq "longjmp: every frame of descend is one call" "$(field jumps.txt descend calls)" 1000
expect_eq "longjmp: the frames left by longjmp are counted abandoned" \
	"$(field jumps.txt descend abandoned)" 1000
expect_eq "longjmp: jumper returns normally" "$(field jumps.txt jumper calls)/$(field jumps.txt jumper abandoned)" "100/0"
expect_eq "longjmp: main is one call" "$(field jumps.txt main calls)" 1
rm -f paraprof.*.ppd

run_profiled "$PROGS/throws" >/dev/null
"$PPDUMP" paraprof.*.ppd >throws.txt
expect_eq "C++ exception through 10 frames: later leaf() calls exact" "$(field throws.txt _Z4leafv calls)" 1000
expect_eq "C++ exception: every frame of descend is one call" "$(field throws.txt _Z7descendi calls)" 1000
expect_eq "C++ exception: catcher calls" "$(field throws.txt _Z7catcherv calls)" 100
rm -f paraprof.*.ppd

run_profiled "$PROGS/deep" 100000 >deep.out
"$PPDUMP" paraprof.*.ppd >deep.txt
expect_eq "recursion deeper than the shadow stack: the program's result" "$(cat deep.out)" 100000
overflows=$(hfield deep.txt stack_overflows)
down=$(field deep.txt down calls)
expect_eq "recursion deeper than the shadow stack: recorded + overflowed = all calls" \
	"$((down + overflows))" 100001
expect_eq "after the overflow, leaf() calls exact" "$(field deep.txt leaf calls)" 1000
rm -f paraprof.*.ppd
