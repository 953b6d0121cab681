# runtime_process.sh - fork, exec, exit status, output errors, kill -9
. "$(dirname "$0")/../lib.sh"

# segment_of PID: the segment of the running process PID,
# /dev/shm/paraprof.<pid>.<pid namespace inode>.<start ticks> (format.h)
segment_of() {
	_ns=$(stat -L -c %i "/proc/$1/ns/pid")
	_start=$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20)
	echo "/dev/shm/paraprof.$1.$_ns.$_start"
}

# header_u64 FILE OFFSET: a 64-bit field of a segment's or dump's header
# (proc_start_ticks at 816, session at 824, pidns_ino at 832: format.h)
header_u64() {
	od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '
}

run_profiled "$PROGS/forks" >forks.out
ppid=$(sed -n 's/^parent //p' forks.out)
cpid=$(sed -n 's/^child //p' forks.out)
"$PPDUMP" "$(dump_of "$ppid")" >parent.txt
"$PPDUMP" "$(dump_of "$cpid")" >child.txt
expect_eq "fork: parent before()" "$(field parent.txt before calls)" 100
expect_eq "fork: parent parent_work()" "$(field parent.txt parent_work calls)" 300
expect_eq "fork: parent has no child_work()" "$(field parent.txt child_work calls)" ""
expect_eq "fork: child child_work()" "$(field child.txt child_work calls)" 200
expect_eq "fork: child has none of the parent's calls" "$(field child.txt before calls)$(field child.txt parent_work calls)" ""
expect_eq "fork: child's dump names its parent" "$(hfield child.txt ppid)" "$ppid"
rm -f paraprof.*.ppd

run_profiled "$PROGS/execs"
pre=$(ls paraprof.*.ppd | grep -v '\.1\.ppd$')
post=$(ls paraprof.*.1.ppd)
"$PPDUMP" "$pre" >pre.txt
"$PPDUMP" "$post" >post.txt
expect_eq "exec: the program before exec keeps its calls" "$(field pre.txt before_exec calls)" 10
expect_eq "exec: the program after exec starts fresh" "$(field post.txt after_exec calls)/$(field post.txt before_exec calls)" "20/"
check "exec: the earlier dump is flagged EXEC" test $(( $(hfield pre.txt flags) & PPF_FLAG_EXEC )) -ne 0
rm -f paraprof.*.ppd

run_profiled "$PROGS/execs" true
"$PPDUMP" paraprof.*.ppd >true.txt
expect_eq "exec into an uninstrumented program: the profile before is saved" "$(field true.txt before_exec calls)" 1
pid=$(hfield true.txt pid)
start=$(hfield true.txt start_ticks)
# (this very process's name: pid, pid namespace, start time; a process
# of another test may have the pid by now)
check "exec into an uninstrumented program: nothing left in /dev/shm" \
	test -z "$(ls /dev/shm | grep "^paraprof\.$pid\.[0-9]*\.$start\(-[0-9]*\)\?$")"
rm -f paraprof.*.ppd

run_profiled "$PROGS/exitcode"
expect_eq "the program's exit status is unchanged" "$?" 3
PARAPROF_OUTPUT=/nonexistent/dir LD_PRELOAD=$LIB "$PROGS/exitcode" 2>err.txt
expect_eq "unwritable PARAPROF_OUTPUT: exit status unchanged" "$?" 3
seg=$(sed -n 's|.* the profile stays in \(/dev/shm/paraprof\.[0-9]*\.[0-9]*\.[0-9]*\)$|\1|p' err.txt)
pid=$(echo "$seg" | sed 's|/dev/shm/paraprof\.\([0-9]*\)\..*|\1|')
expect_eq "unwritable PARAPROF_OUTPUT: one clear line" "$(wc -l <err.txt)" 1
check "unwritable PARAPROF_OUTPUT: says where the profile stayed" \
	grep -q "^paraprof: cannot write /nonexistent/dir/paraprof.$pid.ppd: No such file or directory; the profile stays in $seg$" err.txt
"$PPDUMP" "$seg" >kept.txt
expect_eq "the kept segment holds the calls" "$(field kept.txt f calls)" 10
expect_eq "the kept segment is named by pid, pid namespace and start time" \
	"$(hfield kept.txt pid).$(header_u64 "$seg" 832).$(header_u64 "$seg" 816)" \
	"${seg#/dev/shm/paraprof.}"
rm -f "$seg"

# kill -9 mid-run: the segment survives with every completed call
PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$PROGS/killme" >kill.out &
pid=$!
for _ in $(seq 100); do grep -q checkpoint kill.out && break; sleep 0.05; done
seg=$(segment_of $pid)
kill -9 $pid
wait $pid 2>/dev/null || true
"$PPDUMP" "$seg" >killed.txt
n=$(field killed.txt step calls)
expect_range "kill -9: calls of step between the checkpoint and the calls made" "$n" 5000 10000
check "kill -9: the segment is not marked complete" test $(( $(hfield killed.txt flags) & PPF_FLAG_COMPLETE )) -eq 0
rm -f "$seg"

# killed_segment: runs killme to its end under the library, kills it, and
# prints its pid and its segment; the segment, holding exactly 10000 calls of
# step, stays
killed_segment() {
	PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$PROGS/killme" >kill.out &
	_pid=$!
	for _ in $(seq 200); do grep -q made kill.out && break; sleep 0.05; done
	_seg=$(segment_of $_pid)
	kill -9 $_pid
	wait $_pid 2>/dev/null
	echo $_pid "$_seg"
}

# A dead process's segment under our name (as when /proc could not tell
# start times apart): the new process finds it.  (sh moves the segment to
# the name of its own process and execs the program, which keeps it.)  The
# dead process's profile is saved under a name of its own, never taken for
# an exec of the new one.
rm -f paraprof.*.ppd
set -- $(killed_segment)
old=$1 oldseg=$2
sh -c 'ns=$(stat -L -c %i /proc/$$/ns/pid); st=$(sed "s/.*) //" /proc/$$/stat | cut -d" " -f20)
	mv "$1" "/dev/shm/paraprof.$$.$ns.$st" && echo $$ "/dev/shm/paraprof.$$.$ns.$st" >new.pid &&
	exec env PARAPROF_OUTPUT="$2" LD_PRELOAD="$3" "$4" 20' sh "$oldseg" "$WORK" "$LIB" \
	"$PROGS/fib" >/dev/null 2>stale.err
read -r new newseg <new.pid
expect_eq "a dead process's segment under our pid: our dump alone is paraprof.*.ppd" \
	"$(ls paraprof.*.ppd)" "paraprof.$new.ppd"
"$PPDUMP" "paraprof.$new.ppd" >new.txt
expect_eq "a dead process's segment under our pid: our calls are exact" \
	"$(field new.txt fib calls)/$(field new.txt step calls)" "21891/"
expect_eq "a dead process's segment under our pid: ours is not an exec" "$(hfield new.txt exec_gen)" 0
stale=$(ls paraprof-stale.$old.*.ppd)
"$PPDUMP" "$stale" >stale.txt
expect_eq "the dead process's profile is kept whole as $stale" \
	"$(field stale.txt step calls)/$(hfield stale.txt pid)" "10000/$old"
check "the dead process's profile is not flagged EXEC" test $(( $(hfield stale.txt flags) & PPF_FLAG_EXEC )) -eq 0
expect_eq "the saved profile is named on stderr, in one line" "$(cat stale.err)" \
	"paraprof: the profile that an earlier process $old left in $newseg is saved as $WORK/$stale"
check "nothing left in /dev/shm" test ! -e "$newseg"
rm -f paraprof.*.ppd paraprof-stale.*.ppd "$oldseg" "$newseg"

# the same under the launcher: the dead process is kept, but not reported
set -- $(killed_segment)
old=$1 oldseg=$2
"$BUILD/paraprof" -o out --format csv --min-calls 1 -- sh -c 'ns=$(stat -L -c %i /proc/$$/ns/pid)
	st=$(sed "s/.*) //" /proc/$$/stat | cut -d" " -f20)
	mv "$1" "/dev/shm/paraprof.$$.$ns.$st" && exec "$2" 20' sh "$oldseg" "$PROGS/fib" \
	>launched.csv 2>launched.err
expect_eq "launcher: the report holds the program alone" \
	"$(grep -c ',fib,' launched.csv)/$(grep -c ',step,' launched.csv)" "1/0"
stale=$(cd out && ls paraprof-stale.$old.*.ppd)
"$PPDUMP" "out/$stale" >stale.txt
expect_eq "launcher: the dead process's profile is kept in -o DIR" "$(field stale.txt step calls)" 10000
check "launcher: says it is not part of the report" \
	grep -q "^paraprof: out/$stale: the profile of an earlier process with the same pid, not part of this report$" launched.err
rm -f "$oldseg"
