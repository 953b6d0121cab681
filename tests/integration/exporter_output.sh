#!/bin/bash
# exporter_output.sh - what paraprof-exporter serves (issue 15): exact counts
# of a program with known calls, live and from its dump; histogram buckets
# whose cumulative counts are the histogram's (checked against tests/ppdump,
# which reads the segment without the analyzer); --top and the "(other)"
# sums; hostile names escaped; planted, damaged and other users' segments
# skipped and counted; OpenMetrics when asked; options, help and man page.
#
# Everything planted in /dev/shm is named after processes of this test and
# removed on exit; the exporters, the program and the sleeps are killed by
# the trap (by their own pids: a timeout(1) killed with -9 would leave its
# child running), and every wait of the test is bounded.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/lib.sh"
EXPORTER=$BUILD/paraprof-exporter
GEN=$BUILD/bench/gen_dump
CHECK="python3 $HELPERS/exporter_check.py"
PIDS=""
PLANTED=""
trap 'kill -9 $PIDS 2>/dev/null; rm -f $PLANTED; rm -f $(segments_of $PIDS); rm -rf "$WORK"' EXIT

# start_exporter ARGS...: exporter_start (lib.sh) with exporter.err, the
# pid kept for the trap
start_exporter() {
	exporter_start exporter.err "$@"
	PIDS="$PIDS $EPID"
}
stop_exporter() {
	kill -TERM "$EPID" 2>/dev/null
	wait "$EPID" 2>/dev/null
}
# scrape FILE [CURL ARGS...]: FILE, its headers in FILE.headers, and
# FILE.flat (exporter_check.py flat: one sample a line, labels unescaped);
# FLAT_RC: 0 when the helper found the scrape well formed
scrape() {
	_f=$1; shift
	curl -sS --max-time 20 -D "$_f.headers" -o "$_f" "$@" "http://127.0.0.1:$EPORT/metrics"
	$CHECK flat "$_f" >"$_f.flat" 2>"$_f.lint"
	FLAT_RC=$?
}
# q OP FILE METRIC [LABEL=VALUE | LABEL!=VALUE]...: of the samples of
# METRIC in FILE.flat whose labels match: OP sum (their values added),
# count, or label:NAME (the values of label NAME, one a line)
q() {
	_op=$1 _f=$2.flat _m=$3; shift 3
	CONDS=$(printf '%s\t' "$@") OP=$_op awk -F'\t' -v m="$_m" '
	BEGIN { n = split(ENVIRON["CONDS"], c, "\t") - 1; op = ENVIRON["OP"]; s = 0; k = 0 }
	$1 == m {
		split("", L)
		for (i = 2; i < NF; i++) { e = index($i, "="); L[substr($i, 1, e - 1)] = substr($i, e + 1) }
		for (j = 1; j <= n; j++) {
			e = index(c[j], "="); neg = substr(c[j], e - 1, 1) == "!"
			if ((L[substr(c[j], 1, e - 1 - neg)] == substr(c[j], e + 1)) == neg) next
		}
		s += $NF; k++
		if (op ~ /^label:/) print L[substr(op, 7)]
	}
	END { if (op == "sum") printf "%.15g\n", s; else if (op == "count") print k }' "$_f"
}
num() { q sum "$@"; }

# ---- a program with known calls, hostile names, a cache and an endpoint ----
{
	echo '#include <paraprof.h>'
	echo '#include <stdio.h>'
	echo '#include <time.h>'
	echo 'static volatile int sink;'
	for i in $(seq 0 59); do echo "void f$i(void); void f$i(void) { sink += $i; }"; done
	cat <<'C'
void leaf(void); void leaf(void) { sink++; }
void mid(void); void mid(void) { for (int i = 0; i < 10; i++) leaf(); }
void slow_fn(void);
void slow_fn(void) { struct timespec t = { 0, 2000000 }; nanosleep(&t, NULL); }
static void region(const char *name, int n)
{
	for (int i = 0; i < n; i++) {
		paraprof_region_begin(name, 0);
		paraprof_region_end();
	}
}
int main(void)
{
C
	for i in $(seq 0 59); do echo "	for (int k = 0; k <= $i; k++) f$i();"; done
	cat <<'C'
	for (int i = 0; i < 100; i++) mid();
	for (int i = 0; i < 3; i++) slow_fn();
	region("q\"b\\s\nn", 5);
	region("bad\xff\xfe", 3);
	region("esc\033[31m", 4);
	region("(other)", 2);
	paraprof_cache_t *c = paraprof_cache_new("c\"1", 8, 0);
	paraprof_cache_set(c, "k", 1, "v", 1, 0);
	char v[8];
	size_t vlen;
	for (int i = 0; i < 7; i++) paraprof_cache_get(c, "k", 1, v, sizeof(v), &vlen);
	for (int i = 0; i < 2; i++) paraprof_cache_get(c, "nope", 4, v, sizeof(v), &vlen);
	struct paraprof_cache_stats st;
	paraprof_cache_stats(c, &st);	/* publishes the counters in the segment */
	for (int i = 0; i < 5; i++) {
		paraprof_request_t r = paraprof_request_begin("GET", "/api/items/42");
		paraprof_request_end(&r, i < 4 ? 200 : 404);
	}
	printf("ready\n");
	fflush(stdout);
	while (getchar() != EOF)
		;
	return 0;
}
C
} >prog.c
if ! cc -O1 -g -finstrument-functions -I"$SRC/include" -o prog prog.c 2>cc.err; then
	not_ok "the test program does not build: $(head -n 3 cc.err)"
	exit 1
fi
nm prog >prog.nm
mkdir dumps
mkfifo ctl
PARAPROF_QUIET=1 PARAPROF_OUTPUT=$WORK/dumps LD_PRELOAD=$LIB ./prog <ctl >prog.out &
PPID_=$!
PIDS="$PIDS $PPID_"
exec 3>ctl
for i in $(seq 100); do grep -q ready prog.out && break; sleep 0.05; done
check "the program is ready" grep -q ready prog.out
pid=$PPID_
seg=$(segments_of $pid | head -n 1)
check "the program has a live segment" test -n "$seg"
PPDUMP_HIST=1 "$PPDUMP" "$seg" >seg.txt

# ---- live: every entry (--top 0), raw: the dump's own figures ----
start_exporter --top 0 -v --raw
check "the exporter listens on a free port" test -n "$EPORT"
scrape all.txt
expect_eq "scrape: exit 0" "$?" 0
check "scrape: Content-Type of the text format" \
	grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' all.txt.headers
expect_eq "the scrape is well formed" "$FLAT_RC" 0
P="pid=$pid"
expect_eq "program label" "$(q label:program all.txt paraprof_calls_total $P function=leaf)" prog
expect_eq "leaf: 1000 calls" "$(num all.txt paraprof_calls_total $P function=leaf kind=function)" 1000
expect_eq "mid: 100 calls" "$(num all.txt paraprof_calls_total $P function=mid)" 100
expect_eq "f0: 1 call" "$(num all.txt paraprof_calls_total $P function=f0)" 1
expect_eq "f59: 60 calls" "$(num all.txt paraprof_calls_total $P function=f59)" 60
expect_eq "slow_fn: 3 calls" "$(num all.txt paraprof_calls_total $P function=slow_fn)" 3
expect_eq "module label: the program's path" \
	"$(q label:module all.txt paraprof_calls_total $P function=leaf)" "$WORK/prog"
expect_eq "slow_fn: no call at or under 1.998 ms" \
	"$(num all.txt paraprof_call_duration_seconds_bucket $P function=slow_fn le=0.001998847)" 0
expect_eq "slow_fn: 3 calls under +Inf" \
	"$(num all.txt paraprof_call_duration_seconds_bucket $P function=slow_fn le=+Inf)" 3
check "slow_fn: its seconds at least 6 ms" \
	awk -v v="$(num all.txt paraprof_seconds_total $P function=slow_fn)" 'BEGIN { exit !(v >= 0.006) }'
out=$($CHECK hist all.txt seg.txt prog.nm $pid)
check "every function's buckets are the histogram's, cut at bucket ends ($out)" \
	test "${out#checked }" != "$out"
entries=$(grep -c '^\(fn\|name\) ' seg.txt)
# (the region named "(other)" is summed under (other): still one series)
expect_eq "--top 0: one calls series per entry" \
	"$(q count all.txt paraprof_calls_total $P)" "$entries"
expect_eq "--top 0: only the region named (other) is beyond" \
	"$(num all.txt paraprof_other_entries $P)" 1

# hostile names, as escape.h escapes them, then the exposition format
expect_eq "a name with a quote, a backslash and a newline" \
	"$(q count all.txt paraprof_calls_total $P kind=region 'function=q"b\\s\x0an')" 1
expect_eq "its calls" "$(num all.txt paraprof_calls_total $P kind=region 'function=q"b\\s\x0an')" 5
expect_eq "a name that is not UTF-8" \
	"$(num all.txt paraprof_calls_total $P kind=region 'function=bad\xff\xfe')" 3
expect_eq "a name with an escape sequence" \
	"$(num all.txt paraprof_calls_total $P kind=region 'function=esc\x1b[31m')" 4
expect_eq "a region named (other) is in the (other) sum, not a second series" \
	"$(q count all.txt paraprof_calls_total $P kind=region 'function=(other)')" 1
expect_eq "... with its 2 calls" \
	"$(num all.txt paraprof_calls_total $P kind=region 'function=(other)')" 2
expect_eq "no raw control byte in the scrape" \
	"$(LC_ALL=C tr -d '\n\040-\176\200-\377' <all.txt | wc -c)" 0
expect_eq "cache hits" "$(num all.txt paraprof_cache_hits_total $P 'cache=c"1')" 7
expect_eq "cache misses" "$(num all.txt paraprof_cache_misses_total $P 'cache=c"1')" 2
expect_eq "cache entries" "$(num all.txt paraprof_cache_entries $P 'cache=c"1')" 1
ep='function=GET /api/items/{id}'
expect_eq "endpoint: 2xx responses" "$(num all.txt paraprof_responses_total $P "$ep" class=2xx)" 4
expect_eq "endpoint: 4xx responses" "$(num all.txt paraprof_responses_total $P "$ep" class=4xx)" 1
expect_eq "endpoint: 5 calls" "$(num all.txt paraprof_calls_total $P "$ep" kind=endpoint)" 5
expect_eq "health: dropped functions" "$(num all.txt paraprof_dropped_functions_total $P)" 0
expect_eq "health: requests" "$(num all.txt paraprof_requests_total $P)" 5
if command -v promtool >/dev/null; then
	promtool check metrics <all.txt >promtool.out 2>&1
	expect_eq "promtool check metrics passes" "$?" 0
else
	not_ok "promtool is missing (make exporter-test-deps installs Debian's prometheus)"
fi

# ---- OpenMetrics when asked ----
scrape om.txt -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'
check "OpenMetrics: its Content-Type" \
	grep -qi '^Content-Type: application/openmetrics-text; version=1.0.0' om.txt.headers
expect_eq "OpenMetrics: ends with # EOF" "$(tail -n 1 om.txt)" "# EOF"
check "OpenMetrics: counter families named without _total" grep -qx '# TYPE paraprof_calls counter' om.txt
expect_eq "OpenMetrics: well formed" "$FLAT_RC" 0
expect_eq "OpenMetrics: leaf's calls" "$(num om.txt paraprof_calls_total $P function=leaf)" 1000
check "the text format has no # EOF" sh -c "! grep -q '^# EOF' all.txt"
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EPORT/nothing" >code.txt
expect_eq "another path: 404" "$(cat code.txt)" 404
curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$EPORT/metrics" >code.txt
expect_eq "POST: 405" "$(cat code.txt)" 405
scrape after.txt
expect_eq "the exporter counts its responses" \
	"$(num after.txt paraprof_exporter_http_responses_total code=404)" 1
stop_exporter
expect_eq "SIGTERM: exit 0" "$?" 0

# ---- --top: the rest summed under (other) ----
start_exporter --top 10
scrape top.txt
expect_eq "--top 10: well formed" "$FLAT_RC" 0
expect_eq "--top 10: ten named entries" \
	"$(q count top.txt paraprof_calls_total $P 'function!=(other)')" 10
expect_eq "--top 10: the rest counted" "$(num top.txt paraprof_other_entries $P)" $((entries - 10))
fn_calls=$(awk '$1 == "fn" { for (i = 3; i <= NF; i++) if ($i ~ /^calls=/) s += substr($i, 7) } END { print s }' seg.txt)
expect_eq "--top 10: the functions' calls, (other) included, add up to the dump's" \
	"$(num top.txt paraprof_calls_total $P kind=function)" "$fn_calls"
expect_eq "--top 10: slow_fn (the most total time) is named" \
	"$(num top.txt paraprof_calls_total $P function=slow_fn)" 3
# without --raw the hooks' own cost is out: 1,000 calls of leaf and more
check "without --raw: the functions' seconds less than with (the hooks' cost out)" \
	awk -v c="$(num top.txt paraprof_seconds_total $P kind=function)" \
	    -v r="$(num all.txt paraprof_seconds_total $P kind=function)" 'BEGIN { exit !(c < r) }' 
fn_inf=$(num all.txt paraprof_call_duration_seconds_bucket $P le=+Inf kind=function)
expect_eq "--top 10: the buckets of (other) and the named add up too" \
	"$(num top.txt paraprof_call_duration_seconds_bucket $P le=+Inf kind=function)" "$fn_inf"
stop_exporter

# ---- planted, damaged and other users' segments: skipped and counted ----
ns=$(stat -L -c %i /proc/self/ns/pid)
start_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f20; }
sleep 100 3>&- & s1=$!
sleep 100 3>&- & s2=$!
sleep 100 3>&- & s3=$!
PIDS="$PIDS $s1 $s2 $s3"
fifo=/dev/shm/paraprof.$s1.$ns.$(start_of $s1)
bad=/dev/shm/paraprof.$s2.$ns.$(start_of $s2)
foreign=/dev/shm/paraprof.$s3.$ns.$(start_of $s3)
PLANTED="$fifo $bad $foreign"
mkfifo "$fifo"
"$GEN" -q -n 20 -t 1 -p $s2 -T "$(start_of $s2)" -N "$ns" -L -c "damaged" -o "$bad"
# thread_off past the end: the header passes, the tables do not
printf '\377\377\377\377\377\377\377\177' |
	dd of="$bad" bs=1 seek="$offsetof_header_thread_off" conv=notrunc status=none
start_exporter -v
scrape before.txt
scrape skipped.txt
for r in unreadable invalid; do
	d=$(( $(num skipped.txt paraprof_exporter_skipped_total reason=$r) - \
	      $(num before.txt paraprof_exporter_skipped_total reason=$r) ))
	expect_range "a scrape counts the planted $r segment" "$d" 1 1000
done
check "-v: the FIFO named, unreadable" grep -qF "$fifo: skipped (unreadable): not a regular file" exporter.err
check "-v: the damaged segment named, invalid" grep -qF "$bad: skipped (invalid): " exporter.err
expect_eq "no series of the FIFO's pid" "$(q count skipped.txt paraprof_calls_total pid=$s1)" 0
expect_eq "no series of the damaged segment's pid" "$(q count skipped.txt paraprof_calls_total pid=$s2)" 0
expect_eq "the program is still exported" "$(num skipped.txt paraprof_calls_total $P function=leaf)" 1000
if as_other "$GEN" -q -n 5 -t 1 -p $s3 -T "$(start_of $s3)" -N "$ns" -L -c "foreign" -o "$foreign"; then
	scrape foreign.txt
	check "-v: another user's segment named, foreign" grep -qF "$foreign: skipped (foreign)" exporter.err
	expect_eq "no series of another user's segment" \
		"$(q count foreign.txt paraprof_calls_total pid=$s3)" 0
else
	skip "another user's segment: no throw-away user here (not root)"
fi
kill -0 $EPID 2>/dev/null
expect_eq "the exporter still runs" "$?" 0
stop_exporter
kill $s1 $s2 $s3
wait $s1 $s2 $s3 2>/dev/null
rm -f $PLANTED

# ---- the dump, once the program has ended; duplicates counted ----
exec 3>&-
wait $PPID_
expect_eq "the program ends" "$?" 0
dump=$(ls dumps/paraprof.$pid.ppd 2>/dev/null)
check "its dump was written" test -n "$dump"
cp "$dump" dumps/paraprof.copy.ppd
printf 'not a dump' >dumps/junk.ppd
start_exporter --dir "$WORK/dumps" -v
scrape dump.txt
expect_eq "dump: leaf's 1000 calls" "$(num dump.txt paraprof_calls_total $P function=leaf)" 1000
expect_eq "dump: main's one call, now that it returned" "$(num dump.txt paraprof_calls_total $P function=main)" 1
expect_eq "dump: one process from dumps (the copy is a duplicate)" \
	"$(num dump.txt paraprof_exporter_processes source=dump)" 1
expect_eq "dump: the copy counted as a duplicate" "$(num dump.txt paraprof_exporter_skipped_total reason=duplicate)" 1
check "dump: the junk file counted as invalid" grep -qF "junk.ppd: skipped (invalid)" exporter.err
expect_eq "dump: well formed" "$FLAT_RC" 0
stop_exporter

# ---- options ----
"$EXPORTER" --top x >/dev/null 2>opt.err
expect_eq "--top x: exit 2" "$?" 2
check "--top x: one line" grep -qx "paraprof-exporter: --top: 'x' is not a number" opt.err
"$EXPORTER" --buckets 1ms,1ms >/dev/null 2>opt.err
expect_eq "--buckets not ascending: exit 2" "$?" 2
"$EXPORTER" --buckets 2ms,1ms >/dev/null 2>opt.err
expect_eq "--buckets descending: exit 2" "$?" 2
"$EXPORTER" --buckets 5 >/dev/null 2>opt.err
expect_eq "--buckets without a unit: exit 2" "$?" 2
"$EXPORTER" --listen nowhere >/dev/null 2>opt.err
expect_eq "--listen without a port: exit 2" "$?" 2
"$EXPORTER" extra >/dev/null 2>opt.err
expect_eq "an argument: exit 2" "$?" 2
timeout 10 "$EXPORTER" --listen 192.0.2.1:9 >/dev/null 2>opt.err
expect_eq "an address not ours: exit 1" "$?" 1
start_exporter --buckets 100us,1ms,10ms --top 3 --dir "$WORK/dumps"
scrape custom.txt
expect_eq "--buckets: three bounds and +Inf per series" \
	"$(q count custom.txt paraprof_call_duration_seconds_bucket $P function=slow_fn)" 4
expect_eq "--buckets: 1ms moved to a bucket end" \
	"$(q label:le custom.txt paraprof_call_duration_seconds_bucket $P function=slow_fn | sed -n 2p)" 0.000999423
stop_exporter
groff -man -ww -z "$SRC/man/paraprof-exporter.1" >groff.out 2>&1
expect_eq "paraprof-exporter(1) renders without warnings" "$(cat groff.out)" ""
help_matches_man "$EXPORTER" "$SRC/man/paraprof-exporter.1"
