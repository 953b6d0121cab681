# runtime_shm.sh - the segment's size and a full /dev/shm (issue 9, "Also"):
# PARAPROF_SHM_SIZE=1T parses and works as documented; when /dev/shm fills
# up the program runs on and the message points at /dev/shm, not at
# PARAPROF_SHM_SIZE.
. "$(dirname "$0")/../lib.sh"

# header_u64 FILE OFFSET: a 64-bit field of a dump's header (format.h:
# reserved_size at 16)
header_u64() {
	od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '
}

for size in 1T 1t 1024G; do
	PARAPROF_SHM_SIZE=$size run_profiled "$PROGS/exitcode" 2>size.err
	expect_eq "PARAPROF_SHM_SIZE=$size: the program runs" "$?" 3
	expect_eq "PARAPROF_SHM_SIZE=$size: no warning" "$(cat size.err)" ""
	dump=$(ls paraprof.*.ppd)
	expect_eq "PARAPROF_SHM_SIZE=$size: 1 TiB reserved" "$(header_u64 "$dump" 16)" 1099511627776
	"$PPDUMP" "$dump" >size.txt
	expect_eq "PARAPROF_SHM_SIZE=$size: profiled" "$(field size.txt f calls)" 10
	rm -f paraprof.*.ppd
done
PARAPROF_SHM_SIZE=2T run_profiled "$PROGS/exitcode" 2>size.err
expect_eq "PARAPROF_SHM_SIZE=2T: past the limit, one warning" "$(cat size.err)" \
	"paraprof: PARAPROF_SHM_SIZE=2T is not a size from 4M to 1T; using 1G"
dump=$(ls paraprof.*.ppd)
expect_eq "PARAPROF_SHM_SIZE=2T: 1 GiB reserved" "$(header_u64 "$dump" 16)" 1073741824
rm -f paraprof.*.ppd

# the real limit of the size is the address space: under ulimit -v of 4 GB a
# 1 TiB segment cannot be mapped; the program runs on, one line says why
(ulimit -v 4000000 && PARAPROF_SHM_SIZE=1T run_profiled "$PROGS/exitcode") 2>as.err
expect_eq "1T under ulimit -v: the program runs" "$?" 3
check "1T under ulimit -v: one line names the limit" grep -qx "paraprof: cannot map /dev/shm/paraprof\.[0-9.]*[0-9] (PARAPROF_SHM_SIZE=1099511627776 bytes): Cannot allocate memory (lower PARAPROF_SHM_SIZE, or raise ulimit -v); profiling is off" as.err
expect_eq "1T under ulimit -v: just that line, no dump" "$(wc -l <as.err)/$(ls paraprof.*.ppd 2>/dev/null)" "1/"

# /dev/shm fills up while the program runs (a private tmpfs of 448 KiB in a
# mount namespace of the test's own: room for the segment's tables, about
# 390 KiB, and a few chunks, not for 8 threads x 64 functions)
if ! unshare -m true 2>/dev/null; then
	skip "a full /dev/shm: no mount namespaces here (unshare -m)"
	exit 0
fi
unshare -m sh -c 'mount -t tmpfs -o size=448k tmpfs /dev/shm &&
	PARAPROF_OUTPUT=$0 LD_PRELOAD=$1 "$2" "$3"' "$WORK" "$LIB" "$PROGS/adv_closefds" \
	"$WORK/own.txt" >full.out 2>full.err
expect_eq "/dev/shm full mid-run: the program runs on" "$?" 0
expect_eq "/dev/shm full mid-run: one line that points at /dev/shm" "$(cat full.err)" \
	"paraprof: /dev/shm is full: functions first called from now on are not recorded (free space in /dev/shm; PARAPROF_SHM_SIZE does not help)"
"$PPDUMP" paraprof.*.ppd >full.txt
expect_eq "/dev/shm full mid-run: what was recorded is dumped" "$(field full.txt first calls)" 1
check "/dev/shm full mid-run: the functions left out are counted" \
	test "$(hfield full.txt dropped_functions)" -gt 0
