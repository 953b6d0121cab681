# runtime_paths.sh - call paths in the segment (issue 11): a known call tree
# gives exact calls per path, each thread's tree folds into the process's
# path by path, recursion 100,000 deep (direct, and through another
# function) takes one record per function, and a cap below the program's
# paths cuts them and counts them, function totals exact.  The paths are
# read with tests/ppdump (PPDUMP_PATHS), which follows record.parent by
# itself, not through the analyzer.
. "$(dirname "$0")/../lib.sh"

# sym NAME: +0x<address> of NAME in calltree, as ppdump prints a path element
sym() {
	echo "+0x$(nm "$PROGS/calltree" | awk -v s="$1" '$3 == s { print $1; exit }' | sed 's/^0*//')"
}
# calls_on PATH: the calls of PATH ("main;a;c"), summed over areas
calls_on() {
	p=$(echo "$1" | tr ';' '\n' | while read -r f; do sym "$f"; done | paste -sd';')
	awk -v p="$p" '$1 == "path" && $2 == p { split($3, kv, "="); n += kv[2] } END { print n + 0 }' paths.txt
}
# records_of NAME: how many path records NAME has
records_of() {
	awk -v s="$(sym "$1")" '$1 == "path" { n = split($2, e, ";"); if (e[n] == s) c++ } END { print c + 0 }' paths.txt
}

run() {
	rm -f paraprof.*.ppd
	run_profiled "$PROGS/calltree" "$@" >out.txt
	expect_eq "calltree $*: exits 0" "$?" 0
	"$PPDUMP" paraprof.*.ppd >dump.txt
	PPDUMP_PATHS=1 "$PPDUMP" paraprof.*.ppd >paths.txt
}

run
expect_eq "main;a;c: 10 calls" "$(calls_on 'main;a;c')" 10
expect_eq "main;b;c: 5 calls" "$(calls_on 'main;b;c')" 5
expect_eq "worker;a;c (another thread, folded into the process): 10 calls" \
	"$(calls_on 'worker;a;c')" 10
expect_eq "main;a and main;b: one call each" "$(calls_on 'main;a')/$(calls_on 'main;b')" "1/1"
expect_eq "c: 25 calls in all, as the paths add up" "$(field dump.txt c calls)" 25
expect_eq "c: three paths" "$(records_of c)" 3
# every call of c sleeps 1 ms: its inclusive time is its paths' (to the ns)
incl=$(awk -v s="$(sym c)" '$1 == "path" { n = split($2, e, ";"); if (e[n] == s) { split($4, kv, "="); t += kv[2] } } END { print t + 0 }' paths.txt)
expect_eq "c: inclusive time = the sum over its paths" "$(field dump.txt c incl_ns)" "$incl"
check "c: 25 calls of 1 ms take 25 ms or more ($incl ns)" test "$incl" -ge 25000000
expect_eq "no path cut" "$(hfield dump.txt paths_cut)" 0

run 100000
expect_eq "rec 100,000 deep: 100,001 calls" "$(field dump.txt rec calls)" 100001
expect_eq "rec 100,000 deep: one record (direct recursion stays on its node)" "$(records_of rec)" 1
expect_eq "rec: nothing abandoned, nothing overflowed" \
	"$(field dump.txt rec abandoned)/$(hfield dump.txt stack_overflows)" "0/0"
# inclusive time counts the outermost frame only: at most the run's time
check "rec: inclusive time below the process's wall time" \
	test "$(field dump.txt rec incl_ns)" -le "$(hfield dump.txt wall_ns)"

run 100000 mutual
# rec(n) calls rec_b(n - 1) for odd n, which calls rec(n - 1)
expect_eq "rec and rec_b 100,000 deep in turn: every call" \
	"$(field dump.txt rec calls)/$(field dump.txt rec_b calls)" "100001/50000"
expect_eq "rec and rec_b: one record each (recursion through another function too)" \
	"$(records_of rec)/$(records_of rec_b)" "1/1"
expect_eq "main;rec;rec_b: every call of rec_b" "$(calls_on 'main;rec;rec_b')" \
	"$(field dump.txt rec_b calls)"

# a cap of 4 records: the fifth and later paths are cut, totals stay exact
rm -f paraprof.*.ppd
PARAPROF_MAX_PATHS=4 run_profiled "$PROGS/calltree" 100 mutual >out.txt
"$PPDUMP" paraprof.*.ppd >dump.txt
PPDUMP_PATHS=1 "$PPDUMP" paraprof.*.ppd >paths.txt
expect_eq "cap 4: the header says so" "$(hfield dump.txt max_paths)" 4
check "cap 4: paths were cut ($(hfield dump.txt paths_cut))" test "$(hfield dump.txt paths_cut)" -gt 0
kept=$(awk '$1 == "path" && $NF == "cut=0"' paths.txt | wc -l)
check "cap 4: at most 4 paths kept (in the process's area, plus what each thread kept: $kept)" \
	test "$(hfield dump.txt paths)" -le 4
expect_eq "cap 4: c's calls exact" "$(field dump.txt c calls)" 25
expect_eq "cap 4: a's, b's, rec's and rec_b's calls exact" \
	"$(field dump.txt a calls)/$(field dump.txt b calls)/$(field dump.txt rec calls)/$(field dump.txt rec_b calls)" \
	"2/1/101/50"
check "cap 4: cut records are roots" awk '$1 == "path" && $NF == "cut=1" && $2 ~ /;/ { exit 1 }' paths.txt
expect_eq "cap 4: no unmatched exits or abandoned frames" \
	"$(hfield dump.txt unmatched_exits)/$(hfield dump.txt abandoned_frames)" "0/0"
