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
# (make check-asan: an ASan-built launcher needs its runtime first, and puts
# it first for the program too)
old=libm.so.6
asan=${PARAPROF_TEST_PRELOAD:+$PARAPROF_TEST_PRELOAD:}
LD_PRELOAD=$asan$old "$PP" -o out3 -- "$PROG" env >env.txt 2>err.txt; rc=$?
expect_eq "env: exit status" "$rc" 0
lib=$(realpath "$BUILD/libparaprof.so")
expect_eq "LD_PRELOAD: library first, then the old value" \
	"$(sed -n 's/^LD_PRELOAD=//p' env.txt)" "$asan$lib:$asan$old"
outdir=$(sed -n 's/^PARAPROF_OUTPUT=//p' env.txt)
expect_eq "PARAPROF_OUTPUT is DIR, absolute (a daemon's later dump lands there too)" \
	"$outdir" "$(realpath out3)"
check "no private directory left in DIR" test -z "$(find out3 -name '.paraprof*')"
"$PP" -o out3 -- sh -c 'echo "$PARAPROF_SESSION"' >s1.txt 2>/dev/null
"$PP" -o out3 -- sh -c 'echo "$PARAPROF_SESSION"' >s2.txt 2>/dev/null
check "PARAPROF_SESSION: 16 hex digits, not 0 ($(cat s1.txt))" \
	sh -c "grep -qx '[0-9a-f]\{16\}' s1.txt && ! grep -qx '0*' s1.txt"
check "PARAPROF_SESSION: another for each run ($(cat s2.txt))" sh -c "! cmp -s s1.txt s2.txt"

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
	check "--format=json: the report parses" ppjson report.json
fi

# ---- killed: 128 + signal, report from the segment it left ----
"$PP" -o out6 --format csv --min-calls 1 -- "$PROG" kill >report.csv 2>err.txt; rc=$?
expect_eq "killed by SIGKILL: 137" "$rc" 137
expect_eq "killed: report from the segment it left (calls of sym_work)" \
	"$(csv_calls sym_work <report.csv)" 7
dump=$(ls out6 | grep '^paraprof\.[0-9]*\.ppd$')
check "killed: its segment saved as a dump in DIR ($dump)" test -n "$dump"
kpid=${dump#paraprof.}; kpid=${kpid%.ppd}
check "killed: the segment removed from /dev/shm" \
	sh -c "! ls /dev/shm | grep -q '^paraprof\.${kpid:-none}\(\.\|$\)'"
"$BUILD/paraprof-report" --format csv --min-calls 1 "out6/$dump" >again.csv 2>/dev/null
expect_eq "killed: the saved dump reports the same" "$(csv_calls sym_work <again.csv)" 7
# (should it have stayed, it is removed here: nothing of this test is left behind)
for seg in $("$BUILD/paraprof-report" --list | awk -v c="$PROG kill" \
		'index($0, c) && substr($0, length($0) - length(c) + 1) == c { print $5 }'); do
	rm -f "/dev/shm/$seg"
done

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
rm -f /dev/shm/paraprof."$child" /dev/shm/paraprof."$child".*

# ---- the dumps of this run, not older ones in DIR ----
"$PP" -o out9 --format json --min-calls 1 -- "$PROG" exit 0 >first.json 2>/dev/null
"$PP" -o out9 --format json --min-calls 1 -- "$PROG" exit 0 >second.json 2>/dev/null
procs() { ppjson "$1" rows processes pid | paste -sd ' ' -; }
expect_eq "two runs into one DIR: both dumps kept" "$(ls out9 | grep -c '^paraprof\..*\.ppd$')" 2
expect_eq "two runs into one DIR: the second report holds its own process alone" \
	"$(procs second.json | wc -w)" 1
check "two runs into one DIR: not the first run's" sh -c "[ '$(procs first.json)' != '$(procs second.json)' ]"

# ---- every process of the run: the dead ones' segments become dumps, a
#      running one gets a snapshot; a dump named paraprof.<pid>-<n>.ppd counts.
#      (Synthetic segments with the run's PARAPROF_SESSION, planted by the
#      program: a child that died without its dump, and a daemon.)
cat >plant.sh <<'SH'
GEN=$1
ns=$(stat -L -c %i /proc/self/ns/pid)
dead=$(sh -c 'echo $$')
"$GEN" -q -n 5 -t 1 -p "$dead" -S "$PARAPROF_SESSION" -L -c "a dead child" \
	-o /dev/shm/paraprof.$dead.$ns.1
setsid sleep 10 </dev/null >/dev/null 2>&1 &
d=$!
start=$(sed 's/.*) //' /proc/$d/stat | cut -d' ' -f20)
"$GEN" -q -n 5 -t 1 -p "$d" -S "$PARAPROF_SESSION" -T "$start" -L -c "the daemon" \
	-o /dev/shm/paraprof.$d.$ns.$start
"$GEN" -q -n 5 -t 1 -p 4242 -S "$PARAPROF_SESSION" -c "renamed" -o "$PARAPROF_OUTPUT/paraprof.4242-1.ppd"
"$GEN" -q -n 5 -t 1 -p 4343 -S 123 -c "another run" -o "$PARAPROF_OUTPUT/paraprof.4343.ppd"
echo "$dead $d $ns $start" >ids
SH
"$PP" -o out8 --format json --min-calls 1 -- bash plant.sh "$BUILD/bench/gen_dump" >run.json 2>run.err
rc=$?
read -r dead daemon ns start <ids
trap 'kill -9 $daemon 2>/dev/null; rm -f /dev/shm/paraprof.$daemon.$ns.$start /dev/shm/paraprof.$dead.$ns.1; rm -rf "$WORK"' EXIT
expect_eq "a run with a dead child and a daemon: exit 0" "$rc" 0
check "the daemon is named in one line ($(grep 'still running' run.err))" grep -qx \
	"paraprof: process $daemon (the daemon) is still running; its profile so far is in out8/paraprof-snapshot.$daemon.ppd" run.err
check "the dead child's segment is saved in DIR" test -f out8/paraprof.$dead.ppd
check "the dead child's segment is removed" test ! -e /dev/shm/paraprof.$dead.$ns.1
check "the daemon's segment is kept (it still records)" test -e /dev/shm/paraprof.$daemon.$ns.$start
expect_eq "the report holds the dead child, the daemon and paraprof.4242-1.ppd, not another run's" \
	"$(procs run.json | tr ' ' '\n' | sort -n | tr '\n' ' ')" \
	"$(printf '%s\n' $dead $daemon 4242 | sort -n | tr '\n' ' ')"
kill -9 $daemon 2>/dev/null
rm -f /dev/shm/paraprof.$daemon.$ns.$start

# ---- the same with real processes: children that end with _exit(), and a
#      daemon() that outlives the program and writes its own dump later ----
cat >family.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile int sink;
void work(void);
void late(void);
void work(void) { sink++; }
void late(void) { sink++; }
int main(int argc, char **argv)
{
	int n = atoi(argv[1]);

	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0) {
			for (int k = 0; k < 10; k++)
				work();
			_exit(0);
		}
		waitpid(p, NULL, 0);
	}
	if (argc > 2 && fork() == 0 && daemon(1, 1) == 0) {
		FILE *f;

		for (int k = 0; k < 5; k++)
			late();
		if ((f = fopen(argv[2], "w"))) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
		sleep(2);
		for (int k = 0; k < 5; k++)
			late();
		return 0;
	}
	for (int k = 0; k < 3; k++)
		work();
	return 0;
}
C
cc -O0 -finstrument-functions -o family family.c
PARAPROF_SESSION=00000000000000ab PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB ./family 0 >/dev/null
s=$("$PPDUMP" paraprof.*.ppd 2>/dev/null | sed -n 's/^header .*session=\([0-9a-f]*\) .*/\1/p')
rm -f paraprof.*.ppd
if [ "$s" != 00000000000000ab ]; then
	skip "real _exit() children and daemon(): the library does not record PARAPROF_SESSION yet"
else
	"$PP" -o out10 --format csv --min-calls 1 -- ./family 20 "$WORK/daemon.pid" >fam.csv 2>fam.err
	expect_eq "20 children ending with _exit(): every call counted" "$(csv_calls work <fam.csv)" 203
	expect_eq "20 children ending with _exit(): a dump each" \
		"$(ls out10 | grep -c '^paraprof\.[0-9]*\.ppd$')" 21
	dpid=$(cat daemon.pid 2>/dev/null)
	check "the daemon is still running, said in one line" \
		grep -q "^paraprof: process $dpid (./family 20 $WORK/daemon.pid) is still running; its profile so far is in out10/paraprof-snapshot.$dpid.ppd$" fam.err
	expect_eq "the daemon's calls so far are in the report" "$(csv_calls late <fam.csv)" 5
	for _ in $(seq 100); do [ -e "out10/paraprof.$dpid.ppd" ] && break; sleep 0.05; done
	"$PPDUMP" "out10/paraprof.$dpid.ppd" >late.txt 2>&1
	expect_eq "the daemon's own dump lands in DIR when it exits" "$(grep -c '^fn .* calls=10 ' late.txt)" 1
fi
