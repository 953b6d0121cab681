# runtime_exitrace.sh - exit() while other threads keep entering new
# functions and short threads come and go (issue 9, item 6): every dump
# written at exit is read whole, nothing torn, nothing left out.
. "$(dirname "$0")/../lib.sh"

runs=20
# under ASan (the check-asan stage) each run takes half a second: 8 of them
[ -n "${PARAPROF_TEST_PRELOAD:-}" ] && runs=8
whole=0
complete=0
for i in $(seq $runs); do
	rm -f paraprof.*.ppd
	run_profiled "$PROGS/exitrace" 4
	"$BUILD/paraprof-report" --min-calls 1 paraprof.*.ppd >report.txt 2>report.err
	rc=$?
	if [ "$rc" -eq 0 ] && [ ! -s report.err ]; then
		whole=$((whole + 1))
	else
		echo "run $i: exit $rc: $(head -c 300 report.err)"
	fi
	"$PPDUMP" paraprof.*.ppd >dump.txt 2>/dev/null &&
		[ $(( $(hfield dump.txt flags) & PPF_FLAG_COMPLETE )) -ne 0 ] && complete=$((complete + 1))
done
expect_eq "$runs runs that exit amid new functions and threads: dumps read whole" "$whole" $runs
expect_eq "$runs runs: every dump marks a complete run" "$complete" $runs
