# runtime_setuid.sh - a setuid or setgid program linked with -lparaprof
# reads no PARAPROF_* variable and keeps profiling off (issue 9, item 2):
# the user who runs it must not choose where a root process writes files.
. "$(dirname "$0")/../lib.sh"

if ! as_other true; then
	skip "setuid programs: no throw-away user here (not root?)"
	exit 0
fi
# the kernel ignores the setuid bit on a nosuid mount
if findmnt -n -o OPTIONS -T "$WORK" | grep -qw nosuid; then
	skip "setuid programs: $WORK is on a nosuid mount"
	exit 0
fi
chmod 755 "$WORK"
cc -O2 -finstrument-functions -I"$SRC/include" -o prog "$SRC/tests/progs/adv_setuid.c" \
	-L"$BUILD" -Wl,-rpath,"$BUILD" -Wl,--no-as-needed -lparaprof -Wl,--as-needed || exit 1
mkdir rootonly shared
chmod 700 rootonly
chmod 777 shared
ADV_UID=$(id -u "$ADV_USER")

# pid_of OUT: the pid the program printed
pid_of() {
	sed -n 's/^pid \([0-9]*\) .*/\1/p' "$1"
}

# the control: not setuid, run by the other user, it is profiled
as_other env PARAPROF_OUTPUT="$WORK/shared" ./prog >plain.out 2>plain.err
pid=$(pid_of plain.out)
expect_eq "not setuid: profiled" "$(sed 's/^pid [0-9]* //' plain.out)" "euid $ADV_UID profiling 1"
check "not setuid: its dump is where PARAPROF_OUTPUT says" test -f "shared/paraprof.$pid.ppd"

for mode in 4755 2755; do
	case $mode in 4755) what=setuid ;; 2755) what=setgid ;; esac
	cp prog "prog-$what"
	chown root:root "prog-$what"
	chmod $mode "prog-$what"
	as_other env PARAPROF_OUTPUT="$WORK/rootonly" PARAPROF_ENABLE=0 PARAPROF_QUIET=1 \
		"./prog-$what" >"$what.out" 2>"$what.err"
	expect_eq "$what: the program runs normally" "$?" 0
	pid=$(pid_of "$what.out")
	case $what in
	setuid) euid=0 ;;
	setgid) euid=$ADV_UID ;;
	esac
	expect_eq "$what: profiling is off" "$(sed 's/^pid [0-9]* //' "$what.out")" \
		"euid $euid profiling -38"
	expect_eq "$what: no dump where PARAPROF_OUTPUT says" "$(ls rootonly)" ""
	expect_eq "$what: no dump in the current directory" "$(ls | grep '^paraprof')" ""
	expect_eq "$what: no segment in /dev/shm" "$(ls /dev/shm | grep "^paraprof\.$pid\.")" ""
	expect_eq "$what: one line, even with PARAPROF_QUIET set" "$(cat "$what.err")" \
		"paraprof: a setuid or setgid program: profiling is off"
	rm -f rootonly/* "/dev/shm/paraprof.$pid" /dev/shm/paraprof."$pid".*
done
