# runtime_names.sh - region and span names are keyed by their content (issue
# 9, item 13): a buffer reused for "job-0" then "job-1" gives each name
# exactly its own calls; the same text anywhere is the same name.
. "$(dirname "$0")/../lib.sh"

# tests/progs/noinst_names.c, known in advance: name kind calls
cat >expected.txt <<'END'
job-0 region 110
job-1 region 250
job-2 region 7
job-3 region 11
job-4 region 5
span-0 span 30
span-1 span 40
END
# kind_number KIND: the record kind ppdump prints for region or span
kind_number() {
	case $1 in region) echo "$PPF_KIND_REGION" ;; span) echo "$PPF_KIND_SPAN" ;; esac
}

run_profiled "$PROGS/noinst_names" >out.txt
"$PPDUMP" paraprof.*.ppd >dump.txt
while read -r name kind calls; do
	expect_eq "$name: calls in the dump" \
		"$(awk -v n="$name" -v k="$(kind_number "$kind")" '$1 == "name" && $2 == k && $3 == n {
			sub("calls=", "", $4); print $4 }' dump.txt)" "$calls"
	expect_eq "$name: calls paraprof_get_stats() gives in-process" \
		"$(awk -v n="$name" '$1 == n { sub("calls=", "", $2); print $2 }' out.txt)" "$calls"
done <expected.txt
# (the program's own blocking libc calls are names of another kind)
expect_eq "no other region or span name in the dump" \
	"$(awk -v r="$PPF_KIND_REGION" -v s="$PPF_KIND_SPAN" \
		'$1 == "name" && ($2 == r || $2 == s) { print $3 }' dump.txt | sort | tr '\n' ' ')" \
	"job-0 job-1 job-2 job-3 job-4 span-0 span-1 "

"$BUILD/paraprof-report" --format json --min-calls 1 paraprof.*.ppd >report.json
while read -r name kind calls; do
	have=$(ppjson report.json sum functions calls "name=$name" "kind=$kind")
	echo "$name $([ "$have" = "$calls" ] && echo same || echo differs) $have"
done <expected.txt >agree.txt
expect_eq "paraprof-report --format json: every name's calls" \
	"$(grep -c ' same ' agree.txt)" 7
