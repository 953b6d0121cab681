#!/bin/bash
# symbols_report.sh - names in paraprof-report through the symbol resolver,
# on synthetic dumps from bench/gen_dump (whose module table points at a real
# ELF file, and whose first functions are that file's real symbols): names
# against nm(1), "module+0xOFFSET" for what no symbol covers, the build-id
# warning when the file changed, and a missing file.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/lib.sh"
GEN=$BUILD/bench/gen_dump
REPORT=$BUILD/paraprof-report

# the name column of a CSV report on stdin (names have no commas here)
csv_names() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$col["kind"] == "function" { print $col["name"] }'
}

cp "$GEN" mod
"$GEN" -q -n 3000 -t 4 -k 2 -m "$WORK/mod" -o a.ppd; rc=$?
expect_eq "gen_dump writes a dump" "$rc" 0
"$REPORT" --no-color a.ppd >report.txt 2>err.txt; rc=$?
expect_eq "paraprof-report loads the synthetic dump" "$rc" 0
expect_eq "no warning while the file is the one profiled" "$(cat err.txt)" ""
check "the report has its header" grep -q '^Performance Bottleneck Analysis' report.txt

"$REPORT" --format csv --top 0 --min-calls 0 a.ppd 2>/dev/null | csv_names | sort >names.txt
expect_eq "every function listed" "$(wc -l <names.txt)" 3000
# every function symbol with a size in the file (as nm sees it) is named
nm -S --defined-only mod | awk 'NF == 4 && ($3 == "T" || $3 == "t") { print $4 }' |
	sort -u >nm.txt
expect_range "nm lists the file's functions" "$(wc -l <nm.txt)" 5 3000
missing=$(comm -23 nm.txt names.txt | head -5 | tr '\n' ' ')
expect_eq "every sized function of the file is named as nm names it" "$missing" ""
check "main is named" grep -qx main names.txt
# the synthetic ones past the file's text are unresolved: basename+0xOFFSET.
# gen_dump takes the file's sized functions by address, and names repeat
# (static functions of several object files, such as ASan's constructors)
nm_funcs=$(nm -S --defined-only mod | awk 'NF == 4 && ($3 == "T" || $3 == "t") { print $1 }' |
	sort -u | wc -l)
expect_range "unresolved addresses print as mod+0xOFFSET" \
	"$(grep -c '^mod+0x[0-9a-f]*$' names.txt)" $((3000 - nm_funcs)) 3000

# the file changed after the run: one warning, names from the file there is
cp "$BUILD/paraprof-report" mod
"$REPORT" --no-color --top 0 a.ppd >/dev/null 2>err.txt; rc=$?
expect_eq "changed file: still exit 0" "$rc" 0
expect_eq "changed file: one build-id warning" "$(cat err.txt)" \
	"paraprof-report: warning: $WORK/mod: build-id differs from the profiled program"

# the file is gone: every function unresolved, no crash
rm mod
"$REPORT" --format csv --top 0 --min-calls 0 a.ppd 2>err.txt | csv_names >gone.txt; rc=${PIPESTATUS[0]}
expect_eq "missing file: exit 0" "$rc" 0
expect_eq "missing file: every function is mod+0xOFFSET" \
	"$(grep -c '^mod+0x[0-9a-f]*$' gone.txt)" 3000

# a few dumps of different shapes load, alone and merged
for args in "-n 1 -t 1" "-n 100 -t 16 -k 16" "-n 5000 -t 2"; do
	"$GEN" -q $args -o "s.ppd"
	"$REPORT" --no-color s.ppd >/dev/null 2>&1; rc=$?
	expect_eq "gen_dump $args: loads" "$rc" 0
done
"$GEN" -q -n 100 -t 2 -s 7 -p 7001 -o m1.ppd
"$GEN" -q -n 100 -t 2 -s 7 -p 7002 -o m2.ppd
sum_calls() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$col["kind"] == "function" { s += $col["calls"] } END { print s + 0 }'
}
one=$("$REPORT" --format csv --top 0 --min-calls 0 m1.ppd | sum_calls)
two=$("$REPORT" --format csv --top 0 --min-calls 0 m1.ppd m2.ppd | sum_calls)
check "synthetic dump has calls ($one)" test "$one" -gt 0
expect_eq "two processes' dumps merge: calls double" "$two" $((2 * one))
