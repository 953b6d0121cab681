# runtime_env.sh - settings: invalid values, PARAPROF_ENABLE=0, no /dev/shm room
. "$(dirname "$0")/../lib.sh"

PARAPROF_MEM_INTERVAL_MS=abc run_profiled "$PROGS/exitcode" 2>err.txt
expect_eq "an invalid value: program runs on" "$?" 3
expect_eq "an invalid value: one warning" "$(cat err.txt)" \
	"paraprof: PARAPROF_MEM_INTERVAL_MS=abc is not a number of milliseconds from 1 to 60000; using 10"
"$PPDUMP" paraprof.*.ppd >env.txt
expect_eq "an invalid value: still profiled" "$(field env.txt f calls)" 10
rm -f paraprof.*.ppd

PARAPROF_ENABLE=0 run_profiled "$PROGS/exitcode"
"$PPDUMP" paraprof.*.ppd >off.txt
expect_eq "PARAPROF_ENABLE=0: the segment is made at start (for --enable)" "$(hfield off.txt pid)" "$(ls paraprof.*.ppd | sed 's/paraprof\.\([0-9]*\)\.ppd/\1/')"
expect_eq "PARAPROF_ENABLE=0: nothing counted" "$(field off.txt f calls)" ""
check "PARAPROF_ENABLE=0: the segment says disabled" test $(( $(hfield off.txt flags) & PPF_FLAG_ENABLED )) -eq 0
rm -f paraprof.*.ppd

PARAPROF_SHM_SIZE=1G PARAPROF_QUIET=1 run_profiled "$PROGS/exitcode" 2>quiet.txt
expect_eq "PARAPROF_QUIET: nothing on stderr" "$(cat quiet.txt)" ""
rm -f paraprof.*.ppd

# a segment that cannot be made (a private /dev/shm of 64 KiB, in a mount
# namespace of the test's own): the program runs on, unprofiled, one line
if unshare -m true 2>/dev/null; then
	unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs /dev/shm &&
		PARAPROF_OUTPUT=$0 LD_PRELOAD=$1 "$2"' "$WORK" "$LIB" "$PROGS/exitcode" 2>full.txt
	expect_eq "no room in /dev/shm: exit status unchanged" "$?" 3
	check "no room in /dev/shm: one clear line" grep -qx \
		"paraprof: cannot allocate /dev/shm/paraprof\.[0-9]*\.[0-9]*\.[0-9]*: No space left on device: /dev/shm is full, free space there (PARAPROF_SHM_SIZE does not help); profiling is off" full.txt
	expect_eq "no room in /dev/shm: just that line" "$(wc -l <full.txt)" 1
	expect_eq "no room in /dev/shm: no dump" "$(ls paraprof.*.ppd 2>/dev/null)" ""
else
	echo "# skipped: no mount namespaces here (unshare -m)"
fi

# PARAPROF_SESSION: the launcher's run id, kept in header.session (a 64-bit
# field at offset 824 of the header, format.h)
session_of() {
	od -An -t x8 -j 824 -N 8 "$1" | tr -d ' '
}
PARAPROF_SESSION=0123456789abcdef run_profiled "$PROGS/exitcode" 2>session.err
expect_eq "PARAPROF_SESSION: no warning" "$(cat session.err)" ""
expect_eq "PARAPROF_SESSION: kept in the header" "$(session_of paraprof.*.ppd)" 0123456789abcdef
rm -f paraprof.*.ppd
PARAPROF_SESSION=FF run_profiled "$PROGS/exitcode" 2>session.err
expect_eq "PARAPROF_SESSION: fewer digits, upper case" "$(session_of paraprof.*.ppd)" 00000000000000ff
rm -f paraprof.*.ppd
for bad in 0 xyz 0123456789abcdef0 0x12; do
	PARAPROF_SESSION=$bad run_profiled "$PROGS/exitcode" 2>session.err
	expect_eq "PARAPROF_SESSION=$bad: one warning" "$(cat session.err)" \
		"paraprof: PARAPROF_SESSION=$bad is not 1 to 16 hexadecimal digits, not all 0; ignored"
	expect_eq "PARAPROF_SESSION=$bad: no session" "$(session_of paraprof.*.ppd)" 0000000000000000
	rm -f paraprof.*.ppd
done
