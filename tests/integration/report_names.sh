#!/bin/bash
# report_names.sh - self-contained dumps and --merge -o (issue 13, items 1
# and 4): a dump names its functions itself, so that it reads right after
# the program was rebuilt with every function moved, and with the program
# gone; so do the dumps --gc and the launcher save; --merge -o writes one
# dump whose report is the merged report of its inputs.
. "$(dirname "$0")/../lib.sh"
REPORT=$BUILD/paraprof-report
PP=$BUILD/paraprof
CC=${CC:-cc}
N=200000
[ -n "${PARAPROF_TEST_PRELOAD:-}" ] && N=20000	# the ASan stage: fewer calls

# The issue's program: parse_line N times, resolve_host 205, tokenize 7.
# Built with -DEXTRA, a function comes before the others: each one moves.
cat >prog.c <<'END'
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#ifdef EXTRA
__attribute__((noinline)) int extra_first(int x) { return x * 3 + 1; }
#endif
static volatile int sink;
__attribute__((noinline)) void parse_line(int i) { sink += i; }
__attribute__((noinline)) void resolve_host(int i) { sink ^= i; }
__attribute__((noinline)) void tokenize(int i) { sink -= i; }
int main(int argc, char **argv)
{
	int n = atoi(argv[1]);
	for (int i = 0; i < n; i++) parse_line(i);
	for (int i = 0; i < 205; i++) resolve_host(i);
	for (int i = 0; i < 7; i++) tokenize(i);
#ifdef EXTRA
	sink += extra_first(2);
#endif
	if (argc > 2 && !strcmp(argv[2], "kill"))
		raise(SIGKILL);
	return 0;
}
END
build() {
	$CC -O1 -g -finstrument-functions ${1:+-D$1} -o prog prog.c
}
addr_of() {
	nm prog | awk -v s="$1" '$3 == s { print $1 }'
}
# "name calls" of every function of a CSV report of DUMP..., sorted
names_calls() {
	"$REPORT" --format csv --top 0 --min-calls 0 "$@" 2>err.txt |
		awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			$col["kind"] == "function" { print $col["name"], $col["calls"] }' | sort
}
expected="main 1
parse_line $N
resolve_host 205
tokenize 7"

# ---- at exit, then the program rebuilt: every function moved ----
build
old_parse=$(addr_of parse_line)
run_profiled ./prog $N
dump=$(ls paraprof.*.ppd)
expect_eq "the run's report" "$(names_calls "$dump")" "$expected"
build EXTRA
check "the rebuild moved parse_line ($old_parse -> $(addr_of parse_line))" \
	test "$old_parse" != "$(addr_of parse_line)"
expect_eq "after the rebuild: the old names, exact counts" "$(names_calls "$dump")" "$expected"
expect_eq "after the rebuild: no build-id warning (the binary is not read)" "$(cat err.txt)" ""
"$REPORT" --format json --min-calls 0 "$dump" >old.json 2>/dev/null
expect_eq "JSON: parse_line's module is the profiled program" \
	"$(ppjson old.json rows functions name=parse_line module)" "$WORK/prog"

# ---- the binary gone: still fully named ----
mv prog prog.moved
expect_eq "without the binary: fully named, exact counts" "$(names_calls "$dump")" "$expected"
expect_eq "without the binary: no 0x name" "$("$REPORT" --format csv --top 0 --min-calls 0 \
	"$dump" 2>/dev/null | grep -c '0x')" 0
mv prog.moved prog

# ---- --gc: a killed process's segment, saved while the binary is there ----
session=$(printf '%08x%08x' $((RANDOM * 32768 + RANDOM + 1)) $$)
build
# (the shell's "Killed" line is not wanted)
PARAPROF_SESSION=$session LD_PRELOAD=$LIB sh -c '"$@"; exit 0' sh ./prog $N kill 2>/dev/null
mkdir gc
"$REPORT" --gc --session "$session" -o gc >gc.txt 2>&1
check "--gc saved the killed process's segment" grep -q 'has exited; saved as gc/' gc.txt
build EXTRA
expect_eq "--gc's dump after the rebuild: the old names" "$(names_calls gc/paraprof.*.ppd)" \
	"parse_line $N
resolve_host 205
tokenize 7"
rm -f $(segments_of $(ls gc | sed -n 's/^paraprof\.\([0-9]*\)\.ppd$/\1/p'))

# ---- the launcher: a killed program's dump comes through --gc too ----
build
PARAPROF_QUIET=1 "$PP" -o launched --format csv -- ./prog $N kill >/dev/null 2>&1
build EXTRA
expect_eq "the launcher's dump after the rebuild: the old names" \
	"$(names_calls launched/paraprof.*.ppd)" "parse_line $N
resolve_host 205
tokenize 7"

# ---- --merge -o: one dump, the same report as its inputs ----
run_profiled ./prog $((N / 2))		# the EXTRA build: a third run
set -- paraprof.*.ppd
expect_eq "two dumps of two builds" "$#" 2
"$REPORT" --merge -o merged.ppd "$@" >merge.out 2>&1; rc=$?
expect_eq "--merge -o: exit 0" "$rc" 0
expect_eq "--merge -o: says nothing" "$(cat merge.out)" ""
expect_eq "--merge -o: mode 0600" "$(stat -c %a merged.ppd)" 600
expect_eq "merged across builds by name: each function once, calls added" \
	"$(names_calls merged.ppd)" "extra_first 1
main 2
parse_line $((N + N / 2))
resolve_host 410
tokenize 14"
"$REPORT" --format json --top 0 --min-calls 0 "$@" >inputs.json 2>/dev/null
"$REPORT" --format json --top 0 --min-calls 0 merged.ppd >merged.json 2>/dev/null
python3 "$HELPERS/report_same.py" inputs.json merged.json >same.txt; rc=$?
expect_eq "the merged dump's JSON report equals its inputs' (but processes)" \
	"$rc $(head -3 same.txt)" "0 "
expect_eq "the merged dump: one process, pid 0" "$(ppjson merged.json value processes.0.pid)" 0
check "the merged dump has the call paths" test "$(ppjson merged.json paths name | wc -l)" -ge 5
rm prog
expect_eq "the merged dump without the binary: still named" "$(names_calls merged.ppd | head -1)" \
	"extra_first 1"
cp merged.ppd before.ppd
"$REPORT" --merge -o merged.ppd "$@" 2>err.txt; rc=$?
expect_eq "--merge -o over an existing file: exit 2" "$rc" 2
check "... says it exists" grep -q 'merged.ppd: exists; not replaced' err.txt
check "... and leaves it alone" cmp -s merged.ppd before.ppd
"$REPORT" --merge "$@" 2>err.txt; rc=$?
expect_eq "--merge without -o: usage error" "$rc" 2
