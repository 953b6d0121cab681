# report_folded.sh - paraprof-report --format folded on tests/progs/calltree,
# whose tree is known: main calls a (which calls c 10 times) and b (c 5
# times), a worker thread runs a (c 10 times), each c sleeps 1 ms.  Exact
# calls per path, values that add up to what the JSON report says of the
# functions, two processes merged path by path, and -o FILE (a new file,
# never replacing one), --weight and --format checked.
. "$(dirname "$0")/../lib.sh"
REPORT=$BUILD/paraprof-report

run_profiled "$PROGS/calltree" >/dev/null
dump=$(ls paraprof.*.ppd)
check "one dump written" test -f "$dump"

"$REPORT" --format folded --weight calls "$dump" >calls.txt
expect_eq "folded: exit status" "$?" 0
# value PATH FILE: the value of the line of PATH (empty when none)
value() {
	awk -v p="$1" '{ v = $NF; sub(/ [0-9]+$/, "") } $0 == p { print v }' "$2"
}
expect_eq "calls: main;a;c" "$(value 'main;a;c' calls.txt)" 10
expect_eq "calls: main;b;c" "$(value 'main;b;c' calls.txt)" 5
expect_eq "calls: worker;a;c (the other thread's tree)" "$(value 'worker;a;c' calls.txt)" 10
expect_eq "calls: main;a, main;b, worker;a" \
	"$(value 'main;a' calls.txt)/$(value 'main;b' calls.txt)/$(value 'worker;a' calls.txt)" "1/1/1"
expect_eq "calls: c on three paths, 25 calls in all" \
	"$(awk '$1 ~ /;c$/ { n++; s += $2 } END { print n "/" s }' calls.txt)" "3/25"
check "every line is 'frame;frame VALUE'" awk 'NF != 2 || $2 !~ /^[0-9]+$/ { exit 1 }' calls.txt

# self (the default) and total against the JSON report of the functions
"$REPORT" --format json --top 0 --min-calls 1 "$dump" >report.json
"$REPORT" --format folded "$dump" >self.txt
"$REPORT" --format folded --weight self "$dump" >self2.txt
check "--weight self is the default" cmp -s self.txt self2.txt
expect_eq "self: the lines add up to the profiled time (JSON profiled_ns)" \
	"$(awk '{ s += $NF } END { printf "%d", s }' self.txt)" "$(ppjson report.json value profiled_ns)"
for fn in c a main; do
	expect_eq "self: $fn's paths add up to its self time" \
		"$(awk -v f="$fn" '{ n = split($1, e, ";") } e[n] == f { s += $2 } END { printf "%d", s }' self.txt)" \
		"$(ppjson report.json rows functions name=$fn self_ns)"
done
"$REPORT" --format folded --weight total "$dump" >total.txt
expect_eq "total: c's paths add up to its inclusive time" \
	"$(awk '$1 ~ /;c$/ { s += $2 } END { printf "%d", s }' total.txt)" \
	"$(ppjson report.json rows functions name=c total_ns)"
check "total: main;a;c took 10 ms or more (10 sleeps of 1 ms)" \
	test "$(value 'main;a;c' total.txt)" -ge 10000000
check "total: main;a is at least main;a;c" \
	test "$(value 'main;a' total.txt)" -ge "$(value 'main;a;c' total.txt)"

# two processes merge path by path
mkdir two
for i in 1 2; do PARAPROF_OUTPUT=$WORK/two LD_PRELOAD=$LIB "$PROGS/calltree" >/dev/null; done
expect_eq "two runs: two dumps" "$(ls two/paraprof.*.ppd | wc -l)" 2
"$REPORT" --format folded --weight calls two/paraprof.*.ppd >two.txt
expect_eq "two runs: main;a;c, main;b;c, worker;a;c doubled" \
	"$(value 'main;a;c' two.txt)/$(value 'main;b;c' two.txt)/$(value 'worker;a;c' two.txt)" \
	"20/10/20"
expect_eq "two runs: as many lines as one" "$(wc -l <two.txt)" "$(wc -l <calls.txt)"

# -o FILE: a new file; an existing one is not replaced
"$REPORT" --format folded --weight calls -o out.folded "$dump"
expect_eq "-o: exit status" "$?" 0
check "-o: the file holds the export" cmp -s out.folded calls.txt
echo keep >kept.txt
"$REPORT" --format folded -o kept.txt "$dump" 2>err.txt
expect_eq "-o on an existing file: exit status 2" "$?" 2
expect_eq "-o on an existing file: left as it was" "$(cat kept.txt)" keep
check "-o on an existing file: says so" grep -q "^paraprof-report: kept.txt: exists; not replaced" err.txt
"$REPORT" --format folded --weight heavy "$dump" >/dev/null 2>err.txt
expect_eq "--weight heavy: exit status 2" "$?" 2
check "--weight heavy: says what is allowed" grep -q "is not total, self or calls" err.txt
"$REPORT" --format flame "$dump" >/dev/null 2>err.txt
expect_eq "--format flame: exit status 2" "$?" 2
"$REPORT" --list -o x.txt >/dev/null 2>err.txt
expect_eq "--list -o: a usage error" "$?" 2
