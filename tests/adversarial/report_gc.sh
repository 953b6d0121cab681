#!/bin/bash
# report_gc.sh - paraprof-report --gc (issue 9, item 7): the segments that
# dead processes of the calling user left in /dev/shm become dumps and are
# removed; a running process's, another user's, another pid namespace's and
# anything that is not a segment are left alone; a dump never replaces a
# file nor follows a planted link; --session takes one run's segments and
# snapshots its running processes.
#
# --gc looks at every segment in /dev/shm, so the test runs in a mount
# namespace of its own with a private /dev/shm: other people's segments are
# never in its reach.
if [ "${PP_PRIVATE_SHM:-}" != 1 ]; then
	if unshare -m sh -c 'mount -t tmpfs -o mode=1777 tmpfs /dev/shm' 2>/dev/null; then
		exec unshare -m env PP_PRIVATE_SHM=1 bash -c \
			'mount -t tmpfs -o mode=1777,size=8g tmpfs /dev/shm && exec bash "$0"' "$0"
	fi
	echo "skip - $(basename "$0" .sh): needs unshare -m and mount (root) for a private /dev/shm"
	exit 0
fi
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/lib.sh"
REPORT=$BUILD/paraprof-report
GEN=$BUILD/bench/gen_dump
trap 'kill -9 $live 2>/dev/null; rm -rf "$WORK"' EXIT
live=
ns=$(stat -L -c %i /proc/self/ns/pid)

# a pid that no process has now (one that has just exited)
dead_pid() { sh -c 'echo $$'; }

# ---- a killed process's segment: saved, removed, and it reports ----
PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$PROGS/killme" >kill.out &
kpid=$!
for _ in $(seq 200); do grep -q made kill.out && break; sleep 0.05; done
kill -9 $kpid; wait $kpid 2>/dev/null
kseg=$(ls /dev/shm | grep "^paraprof\.$kpid\b")
check "a killed process left its segment ($kseg)" test -n "$kseg"
# a running process (its segment must stay)
PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$PROGS/report_mix" loop >live.out &
live=$!
for _ in $(seq 100); do grep -q ready live.out && break; sleep 0.05; done
lseg=$(ls /dev/shm | grep "^paraprof\.$live\b")
check "a running process has its segment ($lseg)" test -n "$lseg"

mkdir gc1 && cd gc1
timeout 20 "$REPORT" --gc >gc.out 2>gc.err
expect_eq "--gc: exit 0" "$?" 0
expect_eq "--gc: one line per segment saved" "$(cat gc.out)" \
	"paraprof-report: /dev/shm/$kseg: pid $kpid ($PROGS/killme) has exited; saved as ./paraprof.$kpid.ppd"
expect_eq "--gc: nothing on stderr" "$(cat gc.err)" ""
check "--gc: the killed process's segment is removed" test ! -e "/dev/shm/$kseg"
check "--gc: the running process's segment stays" test -e "/dev/shm/$lseg"
expect_eq "--gc: the dump is mode 0600" "$(stat -c %a paraprof.$kpid.ppd)" 600
"$PPDUMP" paraprof.$kpid.ppd >k.txt
expect_eq "--gc: the dump holds the killed process's calls" "$(field k.txt step calls)" 10000
"$REPORT" --min-calls 1 paraprof.$kpid.ppd >/dev/null 2>&1
expect_eq "--gc: paraprof-report reads the dump" "$?" 0
cd "$WORK"
kill -9 $live; wait $live 2>/dev/null
lpid=$live; live=

# ---- never replace, never follow: the names are taken ----
# (the running process above is dead now: its segment is the one to save)
mkdir gc2
echo precious >gc2/paraprof.$lpid.ppd
echo secret >target
ln -s "$WORK/target" gc2/paraprof.$lpid-1.ppd
timeout 20 "$REPORT" --gc -o gc2 >gc.out 2>gc.err
expect_eq "--gc -o DIR: exit 0" "$?" 0
expect_eq "--gc: a file of the dump's name is not replaced" "$(cat gc2/paraprof.$lpid.ppd)" precious
expect_eq "--gc: a planted link is not followed" "$(cat target)" secret
check "--gc: the next free name is taken" test -f gc2/paraprof.$lpid-2.ppd
expect_eq "--gc: it says where" "$(cat gc.out)" \
	"paraprof-report: /dev/shm/$lseg: pid $lpid ($PROGS/report_mix loop) has exited; saved as gc2/paraprof.$lpid-2.ppd"
check "--gc: no temporary left behind" sh -c "! ls -A gc2 | grep -q tmp"

# ---- another user's segment of a dead process is left alone ----
opid=$(dead_pid)
oseg=/dev/shm/paraprof.$opid.$ns.1
as_other "$GEN" -q -n 5 -t 1 -p "$opid" -L -c "not yours" -o "$oseg"
rc=$?
if [ "$rc" = 77 ]; then
	skip "another user's segment: no throw-away user can be made here"
else
	chmod 0666 "$oseg"	# even one we could write
	mkdir gc3
	timeout 20 "$REPORT" --gc -o gc3 >gc.out 2>gc.err
	expect_eq "another user's segment: exit 0" "$?" 0
	check "another user's segment: left where it is" test -e "$oseg"
	expect_eq "another user's segment: no dump, no line" "$(ls gc3)$(cat gc.out gc.err)" ""
	rm -f "$oseg"
fi

# ---- hostile entries of ours: a FIFO, a link, a sparse segment, another
#      pid namespace's; none blocks, none is followed or read past its blocks
p1=$(dead_pid)
mkfifo /dev/shm/paraprof.$p1.$ns.1
ln -s /etc/passwd /dev/shm/paraprof.$p1.$ns.2
"$GEN" -q -n 5 -t 1 -p "$p1" -L -o /dev/shm/paraprof.$p1.$ns.3
python3 "$HELPERS/dump_edit.py" put64 /dev/shm/paraprof.$p1.$ns.3 "$offsetof_header_used_size" \
	$((4 << 30))
truncate -s 4G /dev/shm/paraprof.$p1.$ns.3
"$GEN" -q -n 5 -t 1 -p "$p1" -N 12345 -L -o /dev/shm/paraprof.$p1.12345.4
mkdir gc4
timeout 20 "$REPORT" --gc -o gc4 >gc.out 2>gc.err
expect_eq "hostile entries: exit 0, at once" "$?" 0
check "a FIFO: left alone, said so" \
	grep -qx "paraprof-report: /dev/shm/paraprof.$p1.$ns.1: left alone: not a regular file" gc.err
check "a link: left alone, not followed" grep -qx \
	"paraprof-report: /dev/shm/paraprof.$p1.$ns.2: left alone: not a regular file (a symbolic link, not followed)" gc.err
check "a sparse segment: left alone" \
	grep -q "^paraprof-report: /dev/shm/paraprof.$p1.$ns.3: left alone: sparse: " gc.err
check "another pid namespace's: left alone" \
	grep -q "^paraprof-report: /dev/shm/paraprof.$p1.12345.4: left alone: a process of another pid namespace" gc.err
expect_eq "hostile entries: all still there" \
	"$(ls /dev/shm | grep -c "^paraprof\.$p1\.")" 4
expect_eq "hostile entries: no dump" "$(ls gc4)" ""
rm -f /dev/shm/paraprof.$p1.*

# ---- --session: one run's segments; its running process gets a snapshot ----
S=00c0ffee12345678
T=0000000000000bad
d1=$(dead_pid); d2=$(dead_pid)
"$GEN" -q -n 5 -t 1 -p "$d1" -S $S -L -c "of the run" -o /dev/shm/paraprof.$d1.$ns.1
"$GEN" -q -n 5 -t 1 -p "$d2" -S $T -L -c "of another run" -o /dev/shm/paraprof.$d2.$ns.1
sleep 30 &
live=$!
start=$(sed 's/.*) //' /proc/$live/stat | cut -d' ' -f20)
"$GEN" -q -n 5 -t 1 -p "$live" -S $S -T "$start" -L -c "the daemon" -o /dev/shm/paraprof.$live.$ns.$start
mkdir gc5
t0=$(date +%s%N)
timeout 20 "$REPORT" --gc --session $S -o gc5 >gc.out 2>gc.err
expect_eq "--session: exit 0" "$?" 0
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_range "--session: waits a bounded moment for the running one (ms)" "$ms" 400 5000
expect_eq "--session: the run's dead process saved, its running one snapshotted" "$(sort gc.out)" \
"paraprof-report: /dev/shm/paraprof.$d1.$ns.1: pid $d1 (of the run) has exited; saved as gc5/paraprof.$d1.ppd
paraprof-report: /dev/shm/paraprof.$live.$ns.$start: pid $live (the daemon) is still running; its profile so far is in gc5/paraprof-snapshot.$live.ppd"
check "--session: the dead one's segment removed" test ! -e /dev/shm/paraprof.$d1.$ns.1
check "--session: the running one's segment kept" test -e /dev/shm/paraprof.$live.$ns.$start
check "--session: another run's segment left alone" test -e /dev/shm/paraprof.$d2.$ns.1
"$PPDUMP" gc5/paraprof-snapshot.$live.ppd >snap.txt
expect_eq "--session: the snapshot is of the daemon, not complete" \
	"$(hfield snap.txt pid)/$(( $(hfield snap.txt flags) & PPF_FLAG_COMPLETE ))/$(hfield snap.txt session)" \
	"$live/0/$S"
kill $live; wait $live 2>/dev/null; live=
rm -f /dev/shm/paraprof.*

# ---- usage and failures ----
timeout 10 "$REPORT" --gc -o /nonexistent/dir >gc.out 2>gc.err
expect_eq "--gc into a missing directory: exit 2" "$?" 2
expect_eq "--gc into a missing directory: one line" "$(cat gc.err)" \
	"paraprof-report: /nonexistent/dir: No such file or directory"
"$REPORT" --gc x.ppd >/dev/null 2>gc.err
expect_eq "--gc with a file: usage error" "$?" 2
"$REPORT" --session 12 x.ppd >/dev/null 2>gc.err
expect_eq "--session without --gc: usage error" "$?" 2
check "--session without --gc: says so" grep -qx "paraprof-report: --session goes with --gc" gc.err
"$REPORT" --gc --session xyz >/dev/null 2>gc.err
expect_eq "--session not hex: usage error" "$?" 2
