# report_input.sh - paraprof-report on bad input, live segments and --list;
# the man page renders clean and --help lists the options it documents.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/../lib.sh"
REPORT=$BUILD/paraprof-report

run_profiled "$PROGS/report_mix" >/dev/null
dump=$(ls paraprof.*.ppd)
size=$(stat -c %s "$dump")

# expect_bad DESC FILE MESSAGE: exit 2, "paraprof-report: FILE: MESSAGE...",
# one line, nothing on stdout
expect_bad() {
	"$REPORT" "$2" >bad.out 2>bad.err
	rc=$?
	if [ "$rc" = 2 ] && [ ! -s bad.out ] && [ "$(wc -l <bad.err)" = 1 ] &&
		grep -q "^paraprof-report: $2: $3" bad.err; then
		ok "$1: exit 2, $(cat bad.err)"
	else
		not_ok "$1: exit $rc, stderr '$(cat bad.err)', expected 'paraprof-report: $2: $3'"
	fi
}

# poke FILE OFFSET BYTES...: overwrites bytes (octal escapes for printf);
# the offsets of header fields are format.h's (tests/lib.sh)
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

head -c $((size - 100)) "$dump" >truncated.ppd
expect_bad "truncated dump" truncated.ppd "truncated: $((size - 100)) bytes, the header says $size"
head -c 200 "$dump" >short.ppd
expect_bad "dump shorter than its header" short.ppd "truncated: 200 bytes, the header needs"
cp "$dump" magic.ppd && poke magic.ppd 0 'XPROF'
expect_bad "wrong magic" magic.ppd "not a paraprof dump (bad magic)"
cp "$dump" version.ppd &&
	poke version.ppd "$offsetof_header_version" "\\$(printf %o $((PPF_VERSION + 1)))"
expect_bad "future version" version.ppd \
	"unsupported format version $((PPF_VERSION + 1)) (this paraprof reads $PPF_VERSION_MIN to $PPF_VERSION)"
cp "$dump" count.ppd && poke count.ppd "$offsetof_header_module_count" '\377\377\000\000'
expect_bad "module count past the capacity" count.ppd "module table: count 65535 exceeds its capacity"
cp "$dump" off.ppd && poke off.ppd "$offsetof_header_thread_off" '\000\000\000\100'
expect_bad "thread table offset past the end" off.ppd "thread table at offset 0x40000000"
printf 'hello\n' >text.ppd
expect_bad "a text file" text.ppd "not a paraprof dump (bad magic)"
: >empty.ppd
expect_bad "an empty file" empty.ppd "empty file"
expect_bad "a missing file" missing.ppd "No such file or directory"
expect_bad "a directory" . "not a regular file"

"$REPORT" "$dump" truncated.ppd >/dev/null 2>&1
expect_eq "a bad file among good ones: exit 2" "$?" 2

# ---- one damaged record: left out, named in one line, the rest reported ----
# (the newest record of the first thread area that has one gets a call more
# than its histogram holds)
cp "$dump" hurt.ppd
python3 "$HELPERS/dump_edit.py" bump-calls hurt.ppd "$offsetof_header_thread_off" \
	"$offsetof_header_thread_count" "$sizeof_thread" "$offsetof_thread_records" \
	"$offsetof_record_calls"
"$REPORT" --min-calls 1 --top 0 --no-color "$dump" >whole.txt 2>/dev/null
"$REPORT" --min-calls 1 --top 0 --no-color hurt.ppd >hurt.txt 2>hurt.err
expect_eq "a damaged record: the report is made (exit 0)" "$?" 0
expect_eq "a damaged record: one line on stderr" "$(wc -l <hurt.err)" 1
check "a damaged record: the line names it and what was wrong ($(cat hurt.err))" \
	grep -q "^paraprof-report: hurt.ppd: record of [a-z]* .* (thread [0-9]*, at 0x[0-9a-f]*) dropped: histogram sum mismatch: [0-9]* in buckets + 0 dropped, but [0-9]* calls$" hurt.err
# the notes wrap at 80 columns: each joined back into one line
awk '/^- / { if (h != "") print h; h = $0; next } h != "" && /^  / { h = h " " substr($0, 3); next }
	{ if (h != "") print h; h = "" } END { if (h != "") print h }' hurt.txt >hurt_notes.txt
check "a damaged record: said under Warnings" \
	grep -q "^- hurt.ppd of pid [0-9]* (.*): 1 damaged record left out, 0 record lists cut short" hurt_notes.txt
expect_eq "a damaged record: one entry fewer, the others kept" \
	"$(grep -c '^  Self: ' hurt.txt)" "$(( $(grep -c '^  Self: ' whole.txt) - 1 ))"
"$REPORT" --top >/dev/null 2>usage.err
expect_eq "missing option value: exit 2" "$?" 2
expect_eq "missing option value: one line" "$(cat usage.err)" \
	"paraprof-report: option '--top' needs an argument (try --help)"
"$REPORT" --colour "$dump" >/dev/null 2>usage.err
expect_eq "unknown option: exit 2" "$?" 2
expect_eq "unknown option: one line" "$(cat usage.err)" \
	"paraprof-report: unknown option '--colour' (try --help)"
"$REPORT" --severity high=5s "$dump" >/dev/null 2>usage.err
expect_eq "--severity out of order: exit 2" "$?" 2
"$REPORT" --target p95=500 "$dump" >/dev/null 2>usage.err
check "a time without a unit is refused" grep -q "'500' is not a time" usage.err

# ---- a live segment ----
PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$PROGS/report_mix" loop >live.out &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -f /dev/shm/paraprof.$pid /dev/shm/paraprof.$pid.*; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q ready live.out && break; sleep 0.05; done
sleep 0.2
"$REPORT" --pid $pid --min-calls 1 --format json >live.json
expect_eq "--pid of a running program: exit 0" "$?" 0
ticks=$(ppjson live.json rows functions name=tick calls | head -n 1)
expect_range "--pid: tick() calls so far" "$ticks" 2 100000
live=$(ppjson live.json value processes.0.live processes.0.complete processes.0.pid)
expect_eq "--pid: the process is live, not complete" "$live" "True False $pid"
"$REPORT" --list >list.txt
check "--list shows the running program" \
	grep -q "^$pid  *running  *recording  *[0-9]*  *paraprof\.$pid[.0-9]*  *$PROGS/report_mix loop$" list.txt
sleep 0.1
"$REPORT" --pid $pid --min-calls 1 --format json >live2.json
ticks2=$(ppjson live2.json rows functions name=tick calls | head -n 1)
check "--pid again: more tick() calls ($ticks -> $ticks2)" test "$ticks2" -gt "$ticks"
kill -9 $pid
wait $pid 2>/dev/null
"$REPORT" --list >list2.txt
check "--list: a killed program is gone" grep -q "^$pid  *gone  *recording" list2.txt
"$REPORT" --pid $pid --min-calls 1 --no-color --wide >killed.txt
expect_eq "--pid of a killed program: exit 0" "$?" 0
check "--pid of a killed program: says so" grep -q "^Program: .* (pid $pid, live segment)" killed.txt
check "--pid of a killed program: tick is there" grep -q "^tick$" killed.txt
rm -f /dev/shm/paraprof.$pid /dev/shm/paraprof.$pid.*
"$REPORT" --pid $pid >/dev/null 2>nopid.err
expect_eq "--pid with no segment: exit 2" "$?" 2
check "--pid with no segment: message" grep -q "^paraprof-report: /dev/shm/paraprof\.$pid\.\*: no segment for pid $pid$" nopid.err

# ---- several segments of one pid (paraprof.<pid>.<pidns>.<start>) ----
# A dead process's segment and a live one's under the same pid (the pid came
# round again): --pid reads the live one, else the newest, and names the
# others in one line.  Synthetic segments (gen_dump) with a running sleep's
# pid and start ticks.
GEN=$BUILD/bench/gen_dump
ns=$(stat -L -c %i /proc/self/ns/pid)
sleep 30 &
spid=$!
trap 'kill -9 $pid $spid 2>/dev/null; rm -f /dev/shm/paraprof.$pid /dev/shm/paraprof.$pid.* /dev/shm/paraprof.$spid.*; rm -rf "$WORK"' EXIT
start=$(sed 's/.*) //' /proc/$spid/stat | cut -d' ' -f20)
live_seg=/dev/shm/paraprof.$spid.$ns.$start
dead_seg=/dev/shm/paraprof.$spid.$ns.$((start - 1))
"$GEN" -q -n 20 -t 1 -p $spid -T $start -N $ns -r 1000 -L -c "the live one" -o $live_seg
"$GEN" -q -n 20 -t 1 -p $spid -T $((start - 1)) -N $ns -r 2000 -L -c "the dead one" -o $dead_seg
cmd_of() { ppjson "$1" value processes.0.command; }
"$REPORT" --pid $spid --format json >two.json 2>two.err
expect_eq "two segments of a pid: exit 0" "$?" 0
expect_eq "two segments of a pid: the running process's is read" "$(cmd_of two.json)" "the live one"
expect_eq "two segments of a pid: the other named in one line" "$(cat two.err)" \
	"paraprof-report: pid $spid: also $dead_seg (gone); read $live_seg"
"$REPORT" --list >list3.txt
check "--list: the live process's segment is running" \
	grep -q "^$spid  *running  *recording  *[0-9]*  *${live_seg#/dev/shm/}  *the live one$" list3.txt
check "--list: the dead process's segment of the same pid is gone" \
	grep -q "^$spid  *gone  *recording  *[0-9]*  *${dead_seg#/dev/shm/}  *the dead one$" list3.txt
kill $spid; wait $spid 2>/dev/null
"$REPORT" --pid $spid --format json >two.json 2>two.err
expect_eq "both gone: the newest (start_realtime_ns) is read" "$(cmd_of two.json)" "the dead one"
expect_eq "both gone: the other named" "$(cat two.err)" \
	"paraprof-report: pid $spid: also $live_seg (gone); read $dead_seg"
"$REPORT" --pid $spid --disable >/dev/null 2>ctl.err
expect_eq "--disable when no process of the pid runs: exit 2" "$?" 2
check "--disable when no process of the pid runs: says so" \
	grep -q "^paraprof-report: pid $spid: the process is not running" ctl.err
# a segment of format version 1 (named paraprof.<pid>, no new fields) is read
rm -f $live_seg $dead_seg
"$GEN" -q -n 20 -t 1 -p $spid -c "version one" -o /dev/shm/paraprof.$spid
printf '\001' | dd of=/dev/shm/paraprof.$spid bs=1 seek="$offsetof_header_version" conv=notrunc status=none
"$REPORT" --pid $spid --format json >v1.json 2>v1.err
expect_eq "a version 1 segment: exit 0" "$?" 0
expect_eq "a version 1 segment: read" "$(cmd_of v1.json)" "version one"
rm -f /dev/shm/paraprof.$spid

# ---- documentation ----
groff -man -ww -z "$SRC/man/paraprof-report.1" >groff.out 2>&1
expect_eq "paraprof-report(1) renders without warnings" "$(cat groff.out)" ""
help_matches_man "$REPORT" "$SRC/man/paraprof-report.1"
"$REPORT" --version | grep -q "^paraprof-report [0-9.]* (dump format version $PPF_VERSION)$"
expect_eq "--version" "$?" 0
