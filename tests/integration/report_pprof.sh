# report_pprof.sh - paraprof-report --format pprof on tests/progs/calltree
# (main calls a, which calls c 10 times, and b, which calls c 5 times; a
# worker thread runs a), read back by go tool pprof (Debian's golang-go):
# exact calls of c and per path, pprof's totals equal to paraprof's own JSON
# report, the program's build id, and a binary file never written to a
# terminal.  go runs under timeout with HOME, GOCACHE and GOPATH in $WORK
# and nothing fetched.
. "$(dirname "$0")/../lib.sh"
# the call tree of the program's functions: its sleeps are not recorded as
# libc calls here (runtime_libcalls tests those)
export PARAPROF_LIBCALLS=0
REPORT=$BUILD/paraprof-report

run_profiled "$PROGS/calltree" >/dev/null
dump=$(ls paraprof.*.ppd)
"$REPORT" --format pprof -o run.pb.gz "$dump"
expect_eq "pprof -o FILE: exit status" "$?" 0
check "pprof: a gzip file" test "$(head -c 2 run.pb.gz | od -An -tx1 | tr -d ' ')" = 1f8b
"$REPORT" --format pprof "$dump" >stdout.pb.gz
expect_eq "pprof to a redirected stdout: exit status" "$?" 0
check "pprof to stdout: the same as -o" cmp -s stdout.pb.gz run.pb.gz
if command -v script >/dev/null; then
	script -qec "$REPORT --format pprof $dump" /dev/null >tty.txt 2>&1
	expect_eq "pprof to a terminal: exit status 2" "$?" 2
	check "pprof to a terminal: refused with a reason" grep -q "pprof is binary" tty.txt
else
	skip "no script(1) to give paraprof-report a terminal"
fi
"$REPORT" --format json --top 0 --min-calls 1 "$dump" >report.json

if ! command -v go >/dev/null; then
	not_ok "go is needed (make installs golang-go: exports-test-deps)"
	exit 0
fi
mkdir -p home gocache gopath
# pp ARGS...: go tool pprof on run.pb.gz, every node kept, no symbolization
pp() {
	HOME=$WORK/home GOCACHE=$WORK/gocache GOPATH=$WORK/gopath GOPROXY=off GOFLAGS= \
		timeout 60 go tool pprof -symbolize=none -nodefraction=0 -edgefraction=0 \
		-nodecount=1000 "$@" run.pb.gz 2>>pprof.err
}
pp -top -sample_index=calls >calls.txt
expect_eq "go tool pprof -top: exit status" "$?" 0
# flat NAME FILE / cum NAME FILE: pprof -top's columns for NAME
flat() { awk -v n="$1" '$NF == n { print $1 }' "$2"; }
cum() { awk -v n="$1" '$NF == n { print $4 }' "$2"; }
expect_eq "calls of c (flat, -sample_index=calls)" "$(flat c calls.txt)" 25
expect_eq "calls of a (two paths), b, main, worker" \
	"$(flat a calls.txt)/$(flat b calls.txt)/$(flat main calls.txt)/$(flat worker calls.txt)" \
	"2/1/1/1"

# -traces: one sample per path, leaf first, as "main;a;c VALUE"
pp -traces -sample_index=calls >traces.txt
awk '/^-+\+/ { if (p != "") print p, v; p = ""; next }
	NF == 2 && $1 ~ /^[0-9]+$/ { v = $1; p = $2; next }
	NF == 1 && p != "" { p = $1 ";" p }
	END { if (p != "") print p, v }' traces.txt >paths.txt
path_value() { awk -v p="$1" '$1 == p { print $2 }' paths.txt; }
expect_eq "traces: main;a;c" "$(path_value 'main;a;c')" 10
expect_eq "traces: main;b;c" "$(path_value 'main;b;c')" 5
expect_eq "traces: worker;a;c" "$(path_value 'worker;a;c')" 10
expect_eq "traces: one sample per path (8)" "$(wc -l <paths.txt)" 8

# times in ns against the JSON report: self (the default sample type) makes
# flat a function's self time and cum its time with its callees
pp -top -unit=ns >self.txt
check "self is the default sample type" grep -q "^Type: self" self.txt
for fn in c a main; do
	expect_eq "self of $fn (flat) = the report's self_ns" "$(flat $fn self.txt | tr -d ns)" \
		"$(ppjson report.json rows functions name=$fn self_ns)"
done
for fn in main worker c; do
	expect_eq "total of $fn (cum of self) = the report's total_ns" \
		"$(cum $fn self.txt | tr -d ns)" "$(ppjson report.json rows functions name=$fn total_ns)"
done
pp -top -unit=ns -sample_index=total >total.txt
expect_eq "total of c (flat, -sample_index=total) = the report's total_ns" \
	"$(flat c total.txt | tr -d ns)" "$(ppjson report.json rows functions name=c total_ns)"

# the mapping: the program's file and build id
bid=$(readelf -n "$PROGS/calltree" | awk '/Build ID:/ { print $3 }')
pp -raw >raw.txt
check "the mapping names calltree with its build id ($bid)" \
	grep -q "calltree.*$bid\|$bid.*calltree" raw.txt
