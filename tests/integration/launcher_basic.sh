#!/bin/bash
# launcher_basic.sh - the paraprof launcher: options, exit statuses, where the
# dumps go, fork children in the report, the environment it sets, signals.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/lib.sh"
PP=$BUILD/paraprof
PROG=$PROGS/sym_launch
export PARAPROF_QUIET=1

# calls of FUNCTION in a CSV report on stdin (the calls column by its header)
csv_calls() {
	awk -F, -v f="$1" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$col["name"] == f { print $col["calls"] }'
}

# ---- options ----
out=$("$PP" --version); rc=$?
expect_eq "--version exits 0" "$rc" 0
check "--version names paraprof" grep -q '^paraprof [0-9]' <<<"$out"

help=$("$PP" --help); rc=$?
expect_eq "--help exits 0" "$rc" 0
for opt in --top --sort --format --severity --target --check --min-calls --slowest \
		--no-color --output --help --version; do
	check "--help lists $opt" grep -q -- "$opt" <<<"$help"
	check "paraprof(1) documents $opt" grep -q -- "${opt//-/\\\\-}" "$SRC/man/paraprof.1"
done
for var in PARAPROF_OUTPUT PARAPROF_ENABLE PARAPROF_MEM_INTERVAL_MS PARAPROF_SHM_SIZE \
		PARAPROF_QUIET; do
	check "paraprof(1) documents $var" grep -q "^\.B $var" "$SRC/man/paraprof.1"
done
for page in paraprof.1 paraprof.5; do
	warn=$(groff -man -ww -z "$SRC/man/$page" 2>&1)
	expect_eq "groff -man -ww -z $page is clean" "$warn" ""
done

"$PP" >/dev/null 2>err.txt; rc=$?
expect_eq "no program: usage error" "$rc" 2
check "no program: says so" grep -q '^paraprof: no program to run' err.txt
"$PP" --bogus -- "$PROG" >/dev/null 2>err.txt; rc=$?
expect_eq "unknown option: usage error" "$rc" 2
check "unknown option: named" grep -q "unknown option '--bogus'" err.txt
"$PP" --top >/dev/null 2>err.txt; rc=$?
expect_eq "option without its value: usage error" "$rc" 2

# ---- programs that cannot run ----
"$PP" -o d -- ./no-such-program >/dev/null 2>err.txt; rc=$?
expect_eq "missing program: 127 as in a shell" "$rc" 127
expect_eq "missing program: message" "$(cat err.txt)" \
	"paraprof: ./no-such-program: No such file or directory"
"$PP" -o d -- no-such-program-in-path >/dev/null 2>err.txt; rc=$?
expect_eq "missing program in PATH: 127" "$rc" 127
printf '#!/bin/sh\nexit 0\n' >noexec.sh
"$PP" -o d -- ./noexec.sh >/dev/null 2>err.txt; rc=$?
expect_eq "program without execute permission: 126" "$rc" 126
check "private directory removed after a failed start" \
	test -z "$(find d -name '.paraprof.*' 2>/dev/null)"

# ---- exit status and dumps ----
"$PP" -o out1 --format csv --min-calls 1 -- "$PROG" exit 3 >report.csv 2>err.txt; rc=$?
expect_eq "program's exit status passed on" "$rc" 3
expect_eq "one dump in -o DIR" "$(ls out1 | grep -c '^paraprof\.[0-9]*\.ppd$')" 1
# (a dead process's profile that the library found under one of the pids,
# paraprof-stale.*, may join them on a machine where profiled programs were
# killed: see runtime_process.sh)
expect_eq "nothing else left in DIR" "$(ls -A out1 | grep -vc '^paraprof-stale\.')" 1
expect_eq "report printed with the options passed on (calls of sym_work)" \
	"$(csv_calls sym_work <report.csv)" 7

mkdir cwd && (cd cwd && "$PP" -- "$PROG" exit 0 >/dev/null 2>&1); rc=$?
expect_eq "exit status 0" "$rc" 0
expect_eq "default DIR is the current directory" "$(ls cwd | grep -c '^paraprof\..*\.ppd$')" 1

"$PP" -o "new/nested dir" -- "$PROG" exit 0 >/dev/null 2>&1; rc=$?
expect_eq "-o creates a missing directory (with a space)" "$(ls "new/nested dir" | grep -vc '^paraprof-stale\.')" 1

# ---- fork: both processes' dumps, merged in one report ----
"$PP" -o out2 --format csv --min-calls 1 -- "$PROG" fork >report.csv 2>err.txt; rc=$?
expect_eq "fork: exit status" "$rc" 0
expect_eq "fork: two dumps" "$(ls out2 | grep -c '^paraprof\..*\.ppd$')" 2
expect_eq "fork: calls of parent and child merged" "$(csv_calls sym_work <report.csv)" 10

# ---- the environment of the program ----
LD_PRELOAD=libm.so.6 "$PP" -o out3 -- "$PROG" env >env.txt 2>err.txt; rc=$?
expect_eq "env: exit status" "$rc" 0
lib=$(realpath "$BUILD/libparaprof.so")
expect_eq "LD_PRELOAD: library first, then the old value" \
	"$(sed -n 's/^LD_PRELOAD=//p' env.txt)" "$lib:libm.so.6"
outdir=$(sed -n 's/^PARAPROF_OUTPUT=//p' env.txt)
check "PARAPROF_OUTPUT is a private directory in DIR ($outdir)" \
	grep -q "^$(realpath out3)/\.paraprof\.[0-9]*$" <<<"$outdir"
check "private directory gone afterwards" test ! -e "$outdir"

# ---- --check: the program's status first, then the check's ----
"$PP" -o out4 --check --target avg=1s -- "$PROG" exit 0 >/dev/null 2>&1; rc=$?
expect_eq "--check, targets hold: 0" "$rc" 0
"$PP" -o out4 --check --target avg=1ns -- "$PROG" exit 0 >/dev/null 2>&1; rc=$?
expect_eq "--check, a target fails: 1" "$rc" 1
"$PP" -o out4 --check --target avg=1ns -- "$PROG" exit 4 >/dev/null 2>&1; rc=$?
expect_eq "--check, program failed: its status" "$rc" 4

# ---- JSON passes through ----
if command -v python3 >/dev/null; then
	"$PP" -o out5 --format=json --min-calls=1 -- "$PROG" exit 0 >report.json 2>/dev/null
	check "--format=json: the report parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' report.json
fi

# ---- killed: 128 + signal, report from the segment it left ----
"$PP" -o out6 --format csv --min-calls 1 -- "$PROG" kill >report.csv 2>err.txt; rc=$?
expect_eq "killed by SIGKILL: 137" "$rc" 137
expect_eq "killed: report from the segment it left (calls of sym_work)" \
	"$(csv_calls sym_work <report.csv)" 7
dump=$(ls out6 | grep '^paraprof\.[0-9]*\.ppd$')
check "killed: its segment saved as a dump in DIR ($dump)" test -n "$dump"
kpid=${dump#paraprof.}; kpid=${kpid%.ppd}
check "killed: the segment removed from /dev/shm" test ! -e "/dev/shm/paraprof.${kpid:-none}"
"$BUILD/paraprof-report" --format csv --min-calls 1 "out6/$dump" >again.csv 2>/dev/null
expect_eq "killed: the saved dump reports the same" "$(csv_calls sym_work <again.csv)" 7

# ---- SIGTERM to the launcher reaches the program; the launcher reports ----
"$PP" -o out7 --format csv --min-calls 1 -- "$PROG" sleep "$WORK/pid" >report.csv 2>err.txt &
launcher=$!
for _ in $(seq 100); do [ -s "$WORK/pid" ] && break; sleep 0.05; done
child=$(cat "$WORK/pid" 2>/dev/null)
check "program started ($child)" test -n "$child"
kill -TERM "$launcher"
wait "$launcher"; rc=$?
expect_eq "SIGTERM forwarded: program ended by it (128 + 15)" "$rc" 143
check "program is gone" sh -c "! kill -0 $child 2>/dev/null"
expect_eq "report after SIGTERM (calls of sym_work)" "$(csv_calls sym_work <report.csv)" 1
rm -f /dev/shm/paraprof."$child"
