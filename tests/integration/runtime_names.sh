# runtime_names.sh - region and span names are keyed by their content (issue
# 9, item 13): a buffer reused for "job-0" then "job-1" gives each name
# exactly its own calls; the same text anywhere is the same name.
. "$(dirname "$0")/../lib.sh"

# tests/progs/noinst_names.c, known in advance: name kind calls
cat >expected.txt <<'END'
job-0 2 110
job-1 2 250
job-2 2 7
job-3 2 11
job-4 2 5
span-0 3 30
span-1 3 40
END

run_profiled "$PROGS/noinst_names" >out.txt
"$PPDUMP" paraprof.*.ppd >dump.txt
while read -r name kind calls; do
	expect_eq "$name: calls in the dump" \
		"$(awk -v n="$name" -v k="$kind" '$1 == "name" && $2 == k && $3 == n {
			sub("calls=", "", $4); print $4 }' dump.txt)" "$calls"
	expect_eq "$name: calls paraprof_get_stats() gives in-process" \
		"$(awk -v n="$name" '$1 == n { sub("calls=", "", $2); print $2 }' out.txt)" "$calls"
done <expected.txt
expect_eq "no other name in the dump" \
	"$(awk '$1 == "name" { print $3 }' dump.txt | sort | tr '\n' ' ')" \
	"job-0 job-1 job-2 job-3 job-4 span-0 span-1 "

"$BUILD/paraprof-report" --format json --min-calls 1 paraprof.*.ppd >report.json
python3 - report.json expected.txt <<'PY' >agree.txt
import json, sys
doc = json.load(open(sys.argv[1]))
got = {}
for e in doc["functions"]:
    got[(e["name"], e["kind"])] = got.get((e["name"], e["kind"]), 0) + e["calls"]
kinds = {"2": "region", "3": "span"}
for line in open(sys.argv[2]):
    name, kind, calls = line.split()
    have = got.get((name, kinds[kind]))
    print("%s %s %s" % (name, "same" if have == int(calls) else "differs", have))
PY
expect_eq "paraprof-report --format json: every name's calls" \
	"$(grep -c ' same ' agree.txt)" 7
