#!/bin/bash
# report_hostile.sh - paraprof-report on hostile files (issue 9, item 4): a
# FIFO named like a segment or given as FILE never blocks; a symbolic link in
# /dev/shm is never followed (no byte of its target printed); a sparse 4 GiB
# segment that claims 4 GiB in use is refused at once, a sparse 4 GiB FILE is
# read in bounded time and memory; control characters in command lines,
# names, routes and paths come out escaped in text and --list.
#
# Everything planted in /dev/shm is named after this shell's pid ($$, a
# process of ours) and removed on exit.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/lib.sh"
REPORT=$BUILD/paraprof-report
GEN=$BUILD/bench/gen_dump
P=$$
trap 'rm -f /dev/shm/paraprof.$P /dev/shm/paraprof.$P.*; rm -rf "$WORK"' EXIT
rm -f /dev/shm/paraprof.$P /dev/shm/paraprof.$P.*
ESC=$(printf '\033')

# no_escape DESC FILE: FILE holds no ESC, BEL or C1 CSI byte
no_escape() {
	if LC_ALL=C grep -q "$(printf '[\033\007\233]')" "$2"; then
		not_ok "$1: raw control bytes in the output"
	else
		ok "$1"
	fi
}

# ---- FIFOs ----
for name in paraprof.$P paraprof.$P.1.1; do
	mkfifo /dev/shm/$name
	timeout 10 "$REPORT" --pid $P >fifo.out 2>fifo.err
	expect_eq "--pid on a FIFO /dev/shm/$name: exit 2 at once" "$?" 2
	expect_eq "--pid on a FIFO: one line" "$(cat fifo.err)" \
		"paraprof-report: /dev/shm/$name: not a regular file"
	timeout 10 "$REPORT" --list >list.out 2>list.err
	expect_eq "--list with a FIFO in /dev/shm: exit 0 at once" "$?" 0
	check "--list names the FIFO as not a regular file" \
		grep -q "^$P  .*  $name  *(not a regular file)$" list.out
	timeout 10 "$REPORT" --pid $P --disable >/dev/null 2>ctl.err
	expect_eq "--disable on a FIFO: exit 2 at once" "$?" 2
	rm -f /dev/shm/$name
done
mkfifo fifo.ppd
timeout 10 "$REPORT" fifo.ppd >/dev/null 2>fifo.err
expect_eq "FILE a FIFO: exit 2 at once" "$?" 2
expect_eq "FILE a FIFO: one line" "$(cat fifo.err)" "paraprof-report: fifo.ppd: not a regular file"

# ---- a symbolic link to /etc/passwd ----
ln -s /etc/passwd /dev/shm/paraprof.$P.2.2
timeout 10 "$REPORT" --list >list.out 2>&1
expect_eq "--list with a symbolic link: exit 0" "$?" 0
check "--list prints nothing of the link's target" sh -c "! grep -q 'root:' list.out"
check "--list says it is a link, not followed" \
	grep -q "^$P  .*  paraprof.$P.2.2  *(not a regular file (a symbolic link, not followed))$" list.out
timeout 10 "$REPORT" --pid $P >link.out 2>link.err
expect_eq "--pid on a symbolic link: exit 2" "$?" 2
expect_eq "--pid on a symbolic link: one line" "$(cat link.err)" \
	"paraprof-report: /dev/shm/paraprof.$P.2.2: not a regular file (a symbolic link, not followed)"
check "--pid on a symbolic link: nothing of the target" sh -c "! grep -q 'root:' link.out link.err"
rm -f /dev/shm/paraprof.$P.2.2

# ---- sparse: 4 GiB that claim to be in use ----
# put64 FILE OFFSET VALUE: a little-endian 64-bit field
put64() {
	python3 "$HELPERS/dump_edit.py" put64 "$@"
}
seg=/dev/shm/paraprof.$P.3.3
"$GEN" -q -n 50 -t 2 -p $P -L -o $seg
put64 $seg "$offsetof_header_used_size" $((4 << 30))
truncate -s 4G $seg
/usr/bin/time -f %M -o rss.txt timeout 10 "$REPORT" --pid $P >sparse.out 2>sparse.err
expect_eq "--pid on a sparse 4 GiB segment: exit 2 at once" "$?" 2
check "--pid on a sparse segment: says it is sparse ($(cat sparse.err))" \
	grep -q "^paraprof-report: $seg: sparse: the header says 4294967296 bytes are in use, but the file holds [0-9]* (a damaged or planted file)$" sparse.err
expect_range "--pid on a sparse segment: memory (KiB)" "$(tail -n 1 rss.txt)" 1 65536
timeout 10 "$REPORT" --list >list.out 2>&1
expect_eq "--list with a sparse segment: exit 0" "$?" 0
check "--list says it is sparse" grep -q "^$P  .*(sparse: " list.out
rm -f $seg
# the same bytes as a FILE: read in bounded time and memory (the holes are
# not populated; only what validation reaches is read)
"$GEN" -q -n 50 -t 2 -p $P -o sparse.ppd
put64 sparse.ppd "$offsetof_header_used_size" $((4 << 30))
truncate -s 4G sparse.ppd
/usr/bin/time -f %M -o rss.txt timeout 10 "$REPORT" --min-calls 1 sparse.ppd >sparse.out 2>sparse.err
expect_eq "a sparse 4 GiB FILE: read (exit 0)" "$?" 0
expect_range "a sparse 4 GiB FILE: memory (KiB)" "$(tail -n 1 rss.txt)" 1 131072

# ---- control characters in what a dump holds ----
# a command line (argv) with an escape sequence, a real run
PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$PROGS/exitcode" "${ESC}[2Jwiped${ESC}]0;title$(printf '\007')" \
	>/dev/null 2>&1
dump=$(ls paraprof.*.ppd | head -n 1)
timeout 10 "$REPORT" --min-calls 1 --no-color "$dump" >argv.txt 2>&1
expect_eq "argv with escapes: report made" "$?" 0
no_escape "argv with escapes: the text report has none raw" argv.txt
check "argv with escapes: shown escaped" grep -qF 'exitcode \x1b[2Jwiped\x1b]0;title\x07 (pid' argv.txt
rm -f paraprof.*.ppd

# regions, spans and caches named with escapes, through the C API
cat >names.c <<'C'
#include <paraprof.h>
int main(void)
{
	paraprof_cache_t *c = paraprof_cache_new("cache\033[1m", 8, 0);
	for (int i = 0; i < 6; i++) {
		paraprof_region_begin("region\033[31m", 0);
		paraprof_region_end();
		paraprof_span_end(paraprof_span_begin("span\302\233" "2J"));
		paraprof_request_t r = paraprof_request_begin("GET", "/x\033[2J");
		paraprof_request_end(&r, 200);
		paraprof_cache_get(c, "k", 1, NULL, 0, NULL);
	}
	paraprof_cache_free(c);
	return 0;
}
C
if cc -I"$SRC/include" -o names names.c -lpthread 2>cc.err; then
	PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB ./names >/dev/null 2>&1
	timeout 10 "$REPORT" --min-calls 1 --no-color paraprof.*.ppd >names.txt 2>&1
	expect_eq "names with escapes: report made" "$?" 0
	no_escape "names with escapes: none raw in the text report" names.txt
	check "a region name, escaped" grep -qF 'region\x1b[31m [region]' names.txt
	check "a span name (a C1 control), escaped" grep -qF 'span\xc2\x9b2J [span]' names.txt
	# (the library itself replaces control bytes in routes: see the unit
	# test of the text report for routes that a dump holds)
	check "a cache name, escaped" grep -qF 'cache\x1b[1m' names.txt
	rm -f paraprof.*.ppd
else
	not_ok "names.c does not build: $(head -n 3 cc.err)"
fi

# a module path with an escape: functions no symbol covers are named after it
mod="$WORK/mod${ESC}[5m"
cp "$GEN" "$mod"
"$GEN" -q -n 2000 -t 1 -m "$mod" -o mod.ppd
timeout 10 "$REPORT" --no-color --top 0 --min-calls 0 mod.ppd >mod.txt 2>&1
no_escape "module path with escapes: none raw" mod.txt
check "module path with escapes: shown escaped" grep -qF 'mod\x1b[5m+0x' mod.txt

# --list: the command line of a planted segment
"$GEN" -q -n 10 -t 1 -p $P -L -c "evil${ESC}[2J${ESC}]0;x$(printf '\007')" -o /dev/shm/paraprof.$P.4.4
timeout 10 "$REPORT" --list >list.out 2>&1
no_escape "--list: a command line with escapes, none raw" list.out
check "--list: the command line escaped" grep -qF 'evil\x1b[2J\x1b]0;x\x07' list.out
rm -f /dev/shm/paraprof.$P.4.4
