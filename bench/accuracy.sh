#!/bin/sh
# accuracy.sh - the accuracy table: what paraprof reports of programs of
# known cost against what the programs measure of themselves
#
# Runs each case of tests/progs/accuracy.c (busy loops, sleeps, blocking
# reads on a pipe, a contended mutex, a parent of a million tiny calls) as a
# process of its own under the library, reads its report as JSON, and
# prints one row per figure: the program's own measurement (expected), the
# report's (measured), the error, and the error of the raw figures
# (paraprof-report --raw: the hooks' own cost left in).  The tiny calls'
# expected figures are those of the same code built without
# -finstrument-functions (progs/accuracy_noinst), timed by itself.
#
# A measurement to read; tests/integration/accuracy.sh runs it and checks
# the rows against stated tolerances.
#
# Environment: BUILD (default build); ACC_ROWS: also write the rows to this
# file, tab-separated: id, unit, expected, measured, raw, error kind (rel:
# relative to expected, abs: in the row's unit), calls expected, calls
# counted; ACC_TINY_CALLS (1,000,000): the tiny calls per parent call;
# ACC_RUNS (5): the runs of each build of the tiny calls; ACC_RAW=0: no
# --raw reports (the raw column repeats the measured one);
# PARAPROF_TEST_PRELOAD: libraries preloaded before the library (the ASan
# stage's runtime, as in tests/lib.sh).
set -eu
BUILD=${BUILD:-build}
B=$(cd "$BUILD" && pwd)
HELPERS=$(cd "$(dirname "$0")/../tests/helpers" && pwd)
REPORT=$B/paraprof-report
LIB=${PARAPROF_TEST_PRELOAD:+$PARAPROF_TEST_PRELOAD }$B/libparaprof.so
TINY=${ACC_TINY_CALLS:-1000000}
# Debian's python3 (tests/lib.sh says why)
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paraprof-acc.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
rows=$tmp/rows.tsv
: >"$rows"

# ACC_RAW=0: no --raw report (the raw column repeats the measured one)
if [ "${ACC_RAW:-1}" != 0 ]; then
	raw_opt=--raw
else
	raw_opt=
fi

# report DIR: the report of the dumps in $tmp/DIR (read together) as JSON
# in $tmp/DIR.json, and with --raw in $tmp/DIR.raw.json (a copy without)
report() {
	"$REPORT" -f json --min-calls 1 --top 1000 "$tmp/$1"/paraprof.*.ppd >"$tmp/$1.json"
	if [ -n "$raw_opt" ]; then
		"$REPORT" -f json --min-calls 1 --top 1000 $raw_opt "$tmp/$1"/paraprof.*.ppd \
			>"$tmp/$1.raw.json"
	else
		cp "$tmp/$1.json" "$tmp/$1.raw.json"
	fi
}

# profile DIR CASE ARGS...: runs progs/accuracy CASE ARGS under the
# library, its output in $tmp/DIR.out (appended to), its dump in $tmp/DIR
profile() {
	_dir=$1
	shift
	mkdir -p "$tmp/$_dir"
	PARAPROF_OUTPUT=$tmp/$_dir LD_PRELOAD=$LIB "$B/progs/accuracy" "$@" >>"$tmp/$_dir.out"
}

# The runs, each case a process of its own (the libc entries of one case
# are not another's); the tiny calls RUNS times in each build, taken in
# turn, so that both see the machine's load alike.
profile busy busy 200 200
report busy
profile busy20 busy 200 20
report busy20
profile sleep sleep 50 2000
report sleep
profile pipe pipe 50 2000
report pipe
profile mutex mutex 20 2000
report mutex
RUNS=${ACC_RUNS:-5}
for i in $(seq "$RUNS"); do
	profile "tiny.$i" tiny "$TINY" 1
	"$B/progs/accuracy_noinst" tiny "$TINY" 1 >>"$tmp/noinst.out"
	report "tiny.$i"
	cat "$tmp/tiny.$i.out" >>"$tmp/tiny.out"
done
mkdir "$tmp/tiny"
ln "$tmp"/tiny.*/paraprof.*.ppd "$tmp/tiny/"
report tiny
# every report's entries as lines for awk: $tmp/X.json -> $tmp/X.txt
python3 "$HELPERS/accflat.py" "$tmp"/*.json

# own FILE KEY: the value the program printed as KEY=value, the average of
# the runs that printed it; own_sum: their sum
own() {
	sed -n "s/^$2=//p" "$1" | awk '{ s += $1 } END { if (NR) printf "%.2f\n", s / NR }'
}
own_sum() {
	sed -n "s/^$2=//p" "$1" | awk '{ s += $1 } END { if (NR) printf "%.0f\n", s }'
}

# entry DIR EXT NAME KIND FIELD: FIELD of the entry NAME of KIND in
# $tmp/DIR.EXT (txt: the report, raw.txt: the raw report); "" when absent
entry() {
	awk -v n="$3" -v k="$4" -v f="$5" '$1 == n && $2 == k {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' \
		"$tmp/$1.$2"
}

# row ID UNIT EXPECTED MEASURED RAW KIND CALLS_EXPECTED CALLS
row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$rows"
}

# fn_row ID CASE NAME KIND FIELD EXPECTED CALLS_EXPECTED: a row of one field
# of one entry, in ns, error relative
fn_row() {
	row "$1" ns "$6" "$(entry "$2" txt "$3" "$4" "$5")" "$(entry "$2" raw.txt "$3" "$4" "$5")" \
		rel "$7" "$(entry "$2" txt "$3" "$4" calls)"
}

# waiting CASE EXT NAME: the share (%) of NAME's measured calls off CPU
waiting() {
	awk -v c="$(entry "$1" "$2" "$3" function cpu_ns)" \
		-v w="$(entry "$1" "$2" "$3" function cpu_wall_ns)" \
		'BEGIN { if (w > 0) printf "%.2f", 100 * (1 - c / w) }'
}

# 1. busy loops: 200 calls of 200 us
o=$tmp/busy.out
fn_row spin_avg busy spin function avg_ns "$(own "$o" spin_avg_ns)" "$(own_sum "$o" spin_calls)"
fn_row spin_p50 busy spin function p50_ns "$(own "$o" spin_p50_ns)" "$(own_sum "$o" spin_calls)"
# ... of 20 us, where the library starts reading the thread's CPU clock
# (PARAPROF_CPU_MIN_US): its reads count in the calls' time
o=$tmp/busy20.out
fn_row spin20_avg busy20 spin function avg_ns "$(own "$o" spin_avg_ns)" \
	"$(own_sum "$o" spin_calls)"
fn_row spin20_p50 busy20 spin function p50_ns "$(own "$o" spin_p50_ns)" \
	"$(own_sum "$o" spin_calls)"

# 2. sleeps: 50 calls of 2 ms in nanosleep
o=$tmp/sleep.out
row sleeper_waiting % \
	"$(awk -v c="$(own "$o" sleeper_cpu_ns)" -v w="$(own "$o" sleeper_total_ns)" \
		'BEGIN { printf "%.2f", 100 * (1 - c / w) }')" \
	"$(waiting sleep txt sleeper)" "$(waiting sleep raw.txt sleeper)" abs \
	"$(own_sum "$o" sleeper_calls)" "$(entry sleep txt sleeper function calls)"
fn_row sleeper_total sleep sleeper function total_ns "$(own "$o" sleeper_total_ns)" \
	"$(own_sum "$o" sleeper_calls)"
fn_row nanosleep_total sleep nanosleep libc total_ns "$(own "$o" nanosleep_total_ns)" \
	"$(own_sum "$o" nanosleep_calls)"

# 3. blocking reads: 50 bytes written 2 ms apart
o=$tmp/pipe.out
fn_row read_total pipe read libc total_ns "$(own "$o" read_total_ns)" "$(own_sum "$o" read_calls)"

# 4. a contended mutex: 20 times held 2 ms after the wait began
o=$tmp/mutex.out
fn_row lock_total mutex pthread_mutex_lock libc total_ns "$(own "$o" lock_total_ns)" \
	"$(own_sum "$o" lock_calls)"

# 5. tiny calls, against the same code without -finstrument-functions: the
# parents' inclusive time the best run's of each build (interference from
# the rest of the machine only adds to a run's time, and varies from run to
# run more than the hooks' cost), the leaves' p50 that of all the calls,
# against the best run's average
o=$tmp/tiny.out
n=$tmp/noinst.out

# own_min FILE KEY: the least value the runs printed as KEY=value
own_min() {
	sed -n "s/^$2=//p" "$1" | sort -g | head -n 1
}

# best EXT NAME FIELD: the least FIELD of the entry NAME (a function) in the
# reports of the tiny runs
best() {
	for i in $(seq $RUNS); do
		entry "tiny.$i" "$1" "$2" function "$3"
	done | sort -g | head -n 1
}

# parent_row ID NAME: the parent NAME's inclusive time, best of the runs
parent_row() {
	row "$1" ns "$(own_min "$n" "$2_avg_ns")" "$(best txt "$2" avg_ns)" \
		"$(best raw.txt "$2" avg_ns)" rel "$(own_sum "$o" parent_calls)" \
		"$(entry tiny txt "$2" function calls)"
}

parent_row parent35_avg parent35
fn_row leaf35_p50 tiny leaf35 function p50_ns "$(own_min "$n" leaf35_ns)" \
	"$(own_sum "$o" leaf_calls)"
parent_row parentdep_avg parentdep
fn_row leafdep_p50 tiny leafdep function p50_ns "$(own_min "$n" leafdep_ns)" \
	"$(own_sum "$o" leaf_calls)"
parent_row parent0_avg parent0
row empty_p50 ns "$(own_min "$n" empty_ns)" "$(entry tiny txt empty function p50_ns)" \
	"$(entry tiny raw.txt empty function p50_ns)" abs "$(own_sum "$o" leaf_calls)" \
	"$(entry tiny txt empty function calls)"

[ -n "${ACC_ROWS:-}" ] && cp "$rows" "$ACC_ROWS"

# The table: relative errors in %, absolute ones in the row's unit.
echo "paraprof accuracy: the report against the programs' own measurements"
[ -n "$raw_opt" ] ||
	echo "(no --raw report: the raw column repeats the measured one)"
awk -F '\t' -v tiny="$TINY" '
BEGIN {
	label["spin_avg"] = "busy loop 200 us x 200: spin avg"
	label["spin_p50"] = "busy loop 200 us x 200: spin p50"
	label["spin20_avg"] = "busy loop 20 us x 200: spin avg"
	label["spin20_p50"] = "busy loop 20 us x 200: spin p50"
	label["sleeper_waiting"] = "sleep 2 ms x 50: sleeper waiting"
	label["sleeper_total"] = "sleep 2 ms x 50: sleeper total"
	label["nanosleep_total"] = "sleep 2 ms x 50: nanosleep [libc] total"
	label["read_total"] = "pipe read, 2 ms apart x 50: read [libc] total"
	label["lock_total"] = "mutex held 2 ms x 20: pthread_mutex_lock [libc] total"
	n = tiny == 1000000 ? "10^6" : tiny
	label["parent35_avg"] = n " calls of a 35 ns leaf: parent inclusive, best"
	label["leaf35_p50"] = n " calls of a 35 ns leaf: leaf p50"
	label["parentdep_avg"] = n " calls of a 35 ns chain leaf: parent incl., best"
	label["leafdep_p50"] = n " calls of a 35 ns chain leaf: leaf p50"
	label["parent0_avg"] = n " calls of an empty leaf: parent inclusive, best"
	label["empty_p50"] = n " calls of an empty leaf: leaf p50 (self)"
	printf "%-54s %14s %14s %9s %9s\n", "case", "expected", "measured", "error", "raw error"
}
function fmt(v, unit) {
	if (unit == "%")
		return sprintf("%.1f %%", v)
	if (v >= 1e6)
		return sprintf("%.2f ms", v / 1e6)
	if (v >= 1e3)
		return sprintf("%.2f us", v / 1e3)
	return sprintf("%.1f ns", v)
}
function err(m, e, kind, unit) {
	if (m == "")
		return "-"
	if (kind == "abs")
		return sprintf("%+.1f %s", m - e, unit == "%" ? "pt" : unit)
	return e > 0 ? sprintf("%+.1f %%", 100 * (m - e) / e) : "-"
}
{
	printf "%-54s %14s %14s %9s %9s\n", label[$1], fmt($3, $2), $4 == "" ? "-" : fmt($4, $2),
		err($4, $3, $6, $2), err($5, $3, $6, $2)
}' "$rows"
