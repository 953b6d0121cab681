# runtime_sampler.sh - memory sampling without a thread of the library's
# own (issue 9, item 15): a process under the library has the threads it
# made and no more, so unshare(CLONE_NEWUSER) works; memory is still
# sampled, at instrumented calls, as the program grows.
. "$(dirname "$0")/../lib.sh"

"$PROGS/adv_unshare" >plain.txt
if [ "$(head -1 plain.txt)" != "unshare ok" ]; then
	skip "unshare(CLONE_NEWUSER) fails here even without the library: $(head -1 plain.txt)"
else
	run_profiled "$PROGS/adv_unshare" >unshare.txt 2>unshare.err
	expect_eq "under the library, unshare(CLONE_NEWUSER) works" "$(head -1 unshare.txt)" "unshare ok"
	expect_eq "under the library, the program has one thread" "$(sed -n 's/^threads //p' unshare.txt)" 1
	"$PPDUMP" paraprof.*.ppd >unshare.dump
	expect_eq "... and is profiled" "$(field unshare.dump f calls)" 2
	rm -f paraprof.*.ppd
fi

# The exit hook takes a sample once the interval (10 ms) has passed: the
# RSS seen at step()'s exits and the timeline follow 64 MiB of growth.
run_profiled "$PROGS/adv_grow"
"$PPDUMP" paraprof.*.ppd >grow.txt
expect_eq "growing: step() counted" "$(field grow.txt step calls)" 64
rss=$(field grow.txt step rss_max_kib)
check "growing: the RSS seen at step()'s exits grew past 48 MiB (${rss:-?} KiB)" \
	test "${rss:-0}" -ge $((48 * 1024))
tl=$(hfield grow.txt timeline)
check "growing: the timeline has samples along the run (${tl:-?})" test "${tl:-0}" -ge 5
peak=$(hfield grow.txt rss_peak_kib)
check "growing: the peak is past 64 MiB (${peak:-?} KiB)" test "${peak:-0}" -ge $((64 * 1024))
