# runtime_helper.sh - what the library adds to a program must leave no
# trace in it (issue 9, item 14): PARAPROF_REGION's inline cleanup helper in
# a program built with -finstrument-functions is not profiled (no frames of
# it abandoned, no unmatched exits), and the hooks preserve errno.
. "$(dirname "$0")/../lib.sh"

run_profiled "$PROGS/regionhelper" >out.txt
"$PPDUMP" paraprof.*.ppd >dump.txt
# name KIND NAME: calls of the region or span (KIND: $PPF_KIND_REGION or
# $PPF_KIND_SPAN) NAME in dump.txt
name() {
	awk -v k="$1" -v n="$2" '$1 == "name" && $2 == k && $3 == n { sub("calls=", "", $4); print $4 }' dump.txt
}
expect_eq "the cleanup helper is not a profiled function" \
	"$(field dump.txt paraprof_region_cleanup_ calls)" ""
expect_eq "calls of work" "$(field dump.txt work calls)" 1000
expect_eq "calls of leaf" "$(field dump.txt leaf calls)" 1500
expect_eq "main is one call" "$(field dump.txt main calls)" 1
expect_eq "region step" "$(name "$PPF_KIND_REGION" step)" 1000
expect_eq "region inner (nested in step)" "$(name "$PPF_KIND_REGION" inner)" 500
expect_eq "region outer" "$(name "$PPF_KIND_REGION" outer)" 1
expect_eq "no abandoned frames" "$(hfield dump.txt abandoned_frames)" 0
expect_eq "no unmatched exits" "$(hfield dump.txt unmatched_exits)" 0
expect_eq "no frame of work abandoned" "$(field dump.txt work abandoned)" 0
"$BUILD/paraprof-report" --format json --min-calls 1 paraprof.*.ppd >report.json
ppjson report.json rows functions name >names.txt
expect_eq "the report names no paraprof_ function" "$(grep '^paraprof_' names.txt)" ""
"$BUILD/paraprof-report" --wide paraprof.*.ppd >report.txt 2>&1
check "the report warns of no longjmp and no unmatched exit" \
	sh -c '! grep -qE "longjmp|no matching entry" report.txt'
rm -f paraprof.*.ppd

# errno: checked inside and after every call, with the memory sampler due
# every millisecond; "plant": the first call meets a taken segment name
for mode in "" plant; do
	what="errno${mode:+ ($mode: the name of the segment is taken)}"
	# shellcheck disable=SC2086 # an empty mode is no argument
	PARAPROF_MEM_INTERVAL_MS=1 run_profiled "$PROGS/errnokeep" $mode >out.txt 2>err.txt
	pid=$(tr ' ' '\n' <out.txt | sed -n 's/^pid=//p')
	checks=$(tr ' ' '\n' <out.txt | sed -n 's/^checks=//p')
	check "$what: the program checked errno ($checks times)" test "${checks:-0}" -gt 1000
	expect_eq "$what: errno as the program left it after every hook" "$(cut -d' ' -f3- out.txt)" "bad=0"
	# shellcheck disable=SC2046 # a list of paths
	rm -f $(segments_of "${pid:-none}") paraprof.*.ppd
done
