# report_callgraph.sh - call paths in paraprof-report (issue 11): a known
# call tree (tests/progs/calltree: main calls a and b, a calls c 10 times, b
# 5 times, c sleeps 1 ms, a worker thread runs a once more) gives exact
# calls per path in JSON, exact callers and callees in text, JSON and CSV,
# hot paths under a slow entry with the shares its calls imply, a call
# graph; two dumps merge path by path; a live segment (--pid) has its paths;
# a cap on paths is said in the warnings.
. "$(dirname "$0")/../lib.sh"
# the call tree of the program's functions: its sleeps are not recorded as
# libc calls here (runtime_libcalls tests those)
export PARAPROF_LIBCALLS=0
REPORT=$BUILD/paraprof-report
# c (1 ms and a little) is CRITICAL, and so is every caller above it
SEV=critical=500us,high=200us,medium=100us

run_profiled "$PROGS/calltree" >/dev/null
dump=first.ppd
mv paraprof.*.ppd $dump
"$REPORT" --format json --min-calls 1 --severity $SEV "$dump" >r.json
expect_eq "json report: exit status" "$?" 0
ppjson r.json paths calls >paths.txt
expect_eq "JSON paths: every node after its parent (ppjson reads them)" "$?" 0
# calls_on PATH: calls of the node at PATH ("main;a;c"), empty when none
calls_on() {
	awk -v p="$1" '$1 == p { print $2 }' paths.txt
}
expect_eq "JSON paths: main>a>c 10 calls" "$(calls_on 'main;a;c')" 10
expect_eq "JSON paths: main>b>c 5 calls" "$(calls_on 'main;b;c')" 5
expect_eq "JSON paths: worker>a>c 10 calls (another thread)" "$(calls_on 'worker;a;c')" 10
expect_eq "JSON paths: main>a and main>b one call each" \
	"$(calls_on 'main;a')/$(calls_on 'main;b')" "1/1"
expect_eq "JSON paths: c is on exactly three paths" "$(grep -c ';c ' paths.txt)" 3
expect_eq "JSON paths: the tree has 8 nodes (main a b c c, worker a c)" "$(wc -l <paths.txt)" 8
# the nodes of c share its time: they sum to its total, to the ns
expect_eq "JSON paths: c's nodes sum to c's total" \
	"$(ppjson r.json paths total_ns | awk '$1 ~ /;c$/ { t += $2 } END { print t }')" \
	"$(ppjson r.json rows functions name=c total_ns)"
expect_eq "JSON: no path cut" "$(ppjson r.json value paths_cut)" 0

# ---- callers and callees ----
"$REPORT" --callers c "$dump" >callers.txt
expect_eq "--callers c: exit status" "$?" 0
# table ROWS of a --callers/--callees text: "NAME CALLS", one a line
table() {
	awk '/^Calle[rs]s of / { on = 0 } /^ *Calls  *Share/ { on = 1; next }
		on && $1 ~ /^[0-9]+$/ { n = $0; sub(/^ *[0-9]+ +[0-9.]+% +[^ ]+ +[^ ]+ +[^ ]+  /, "", n)
			print n, $1 }' "$1"
}
expect_eq "--callers c: exactly a (20: main's and the worker's) and b (5)" \
	"$(table callers.txt | paste -sd,)" "a 20,b 5"
check "--callers c: the heading gives c's 25 calls" grep -q "^Callers of c: 25 calls | " callers.txt
check "--callers: only the header and the table (no severity section)" \
	test -z "$(grep 'Severity' callers.txt)"
"$REPORT" --callees a "$dump" >callees.txt
expect_eq "--callees a: exactly c (20)" "$(table callees.txt | paste -sd,)" "c 20"
"$REPORT" --callers main --callees c "$dump" >both.txt
expect_eq "--callers main: [root]; --callees c: none" \
	"$(table both.txt | paste -sd,)/$(grep -c '^(none: it calls no instrumented function)$' both.txt)" \
	"[root] 1/1"
"$REPORT" --callers worker "$dump" >worker.txt
expect_eq "--callers worker (a thread's start): [root]" "$(table worker.txt)" "[root] 1"

"$REPORT" --format json --callers c --callees a "$dump" >calls.json
expect_eq "--callers c in JSON: a 20, b 5" \
	"$(ppjson calls.json rows callers.callers name calls | paste -sd,)" "a 20,b 5"
expect_eq "--callees a in JSON: c 20" "$(ppjson calls.json rows callees.callees name calls)" "c 20"
# every call of c sleeps 1 ms: through each edge, p95 and min are >= 1 ms
for row in $(ppjson calls.json rows callers.callers min_ns p95_ns | tr ' ' ,); do
	check "--callers c: min and p95 through an edge >= 1 ms ($row)" \
		test "${row%,*}" -ge 1000000 -a "${row#*,}" -ge "${row%,*}"
done
expect_eq "--callers c: the edges' totals sum to c's (exact sums of nodes)" \
	"$(ppjson calls.json sum callers.callers total_ns)" "$(ppjson calls.json value callers.total_ns)"
"$REPORT" --format csv --callers c "$dump" >callers.csv
expect_eq "--callers c in CSV: one row per caller" \
	"$(tr -d '\r' <callers.csv | awk -F, 'NR > 1 { print $1, $2, $3, $5 }' | paste -sd,)" \
	"caller c a 20,caller c b 5"

# names: exact beats a part, a unique part is enough, others are errors
"$REPORT" --callers wor "$dump" >part.txt
check "--callers wor: the one name containing it (worker)" grep -q "^Callers of worker: " part.txt
"$REPORT" --callers nosuch "$dump" >out.txt 2>err.txt
expect_eq "--callers of an unknown name: exit 2" "$?" 2
expect_eq "--callers of an unknown name: one line, nothing on stdout" \
	"$(wc -l <err.txt)/$(wc -c <out.txt)" "1/0"
check "--callers of an unknown name: says so" \
	grep -q "^paraprof-report: --callers: 'nosuch': no function" err.txt
rm -f paraprof.*.ppd
run_profiled "$PROGS/calltree" 10 mutual >/dev/null
"$REPORT" --callers rec paraprof.*.ppd >rec.txt
check "--callers rec: the exact name, though rec_b contains it" grep -q "^Callers of rec: " rec.txt
"$REPORT" --callees re paraprof.*.ppd >out.txt 2>err.txt
expect_eq "--callees re (rec, rec_b): exit 2" "$?" 2
check "--callees re: ambiguous, naming both" \
	grep -q "^paraprof-report: --callees: 're' is ambiguous: 2 names contain it (rec.*, rec.*)$" err.txt
# recursion counts on the outermost node: the 11 calls of rec (10 deep),
# those from rec_b too, are on main > rec
expect_eq "--callers rec (recursive through rec_b): main only, every call" "$(table rec.txt)" "main 11"

# ---- the issue's own program: no worker ----
rm -f paraprof.*.ppd
run_profiled "$PROGS/calltree" 0 noworker >/dev/null
"$REPORT" --callers c paraprof.*.ppd >callers1.txt
expect_eq "calltree without its worker: callers of c exactly a (10) and b (5)" \
	"$(table callers1.txt | paste -sd,)" "a 10,b 5"

# ---- hot paths ----
"$REPORT" --min-calls 1 --severity $SEV --no-color "$dump" >hot.txt
# paths_of NAME: the Path lines under entry NAME, "SHARE CALLS PATH"
paths_of() {
	awk -v n="$1" '$0 == n { on = 1; next } on && /^  Path: / {
		sub(/%/, "", $2); p = $0; sub(/.*Calls: [0-9]* \| /, "", p); print $2, $8, p; next }
		on && !/^  / { on = 0 }' hot.txt
}
paths_of c >c_paths.txt
expect_eq "hot paths of c (CRITICAL): exactly its three paths, with their calls" \
	"$(cut -d' ' -f2- c_paths.txt | sort | paste -sd,)" \
	"10 main > a > c,10 worker > a > c,5 main > b > c"
# each call of c sleeps 1 ms; say it takes 1 to 3 ms on a busy machine:
# then a path of 10 calls has 18 to 67 % of c's time (10 x 1 against
# 10 x 3 + 5 x 3, and 10 x 3 against 10 x 1 + 5 x 1), the path of 5 calls
# 7 to 43 %; and the shares add up to 100 %
awk '$2 == 10 { print int($1) }' c_paths.txt >ten.txt
for share in $(cat ten.txt); do
	expect_range "hot paths of c: a path of 10 calls takes 18 to 67 %" "$share" 18 67
done
expect_range "hot paths of c: the path of 5 calls takes 7 to 43 %" \
	"$(awk '$2 == 5 { print int($1) }' c_paths.txt)" 7 43
expect_range "hot paths of c: the shares add up to 100 % (x10)" \
	"$(awk '{ s += $1 } END { printf "%d", s * 10 + 0.5 }' c_paths.txt)" 998 1002
# and each is its node's total over c's, as JSON has them
ppjson r.json paths total_ns >totals.txt
c_total=$(ppjson r.json rows functions name=c total_ns)
while read -r share calls path; do
	node=$(echo "$path" | sed 's/ > /;/g')
	want=$(awk -v p="$node" -v t="$c_total" '$1 == p { printf "%.1f", 100 * $2 / t }' totals.txt)
	expect_eq "hot path $path: its share is its node's total over c's" "$share" "$want"
done <c_paths.txt
check "hot paths of c: a p95 of at least 1 ms each" \
	test "$(grep -A7 '^c$' hot.txt | grep -c '^  Path: [0-9.]*% | P95: [0-9.]*ms | ')" = 3
expect_eq "hot paths in JSON: c's three, by node id" \
	"$(python3 -c 'import json,sys; d = json.load(open("r.json"))
f = [x for x in d["functions"] if x["name"] == "c"][0]
ids = {p["id"] for p in d["paths"] if p["name"] == "c"}
print(len(f["hot_paths"]), {h["path_id"] for h in f["hot_paths"]} == ids, sum(h["calls"] for h in f["hot_paths"]))')" \
	"3 True 25"
"$REPORT" --min-calls 1 --no-color "$dump" >low.txt
check "hot paths: none under LOW entries (default thresholds)" test -z "$(grep '^  Path: ' low.txt)"

# ---- --graph ----
"$REPORT" --graph --min-calls 1 --no-color "$dump" >graph.txt
check "--graph: a Call graph section" grep -q "^Call graph (the top 5: " graph.txt
expect_range "--graph: no line wider than 80 columns" "$(widest graph.txt)" 40 80
# the block of c: its callers above it with calls/all, its line, no callee
block=$(awk '/^\[[0-9]+\] / && $NF == "c" { print prev2; print prev1; print; getline; print; exit }
	{ prev2 = prev1; prev1 = $0 }' graph.txt)
check "--graph: c's block has a above it with 20/25" grep -q " 20/25  *a \[[0-9]\]$" <<<"$block"
check "--graph: c's block has b above it with 5/25" grep -q " 5/25  *b \[[0-9]\]$" <<<"$block"
check "--graph: c's line has its 25 calls" grep -q "^\[[0-9]\] .* 25  c$" <<<"$block"
"$REPORT" --graph --min-calls 1 --format json "$dump" >graph.json
expect_eq "--graph in JSON: c's callers a 20, b 5" \
	"$(python3 -c 'import json; d = json.load(open("graph.json"))
g = [x for x in d["call_graph"] if x["callers"]["name"] == "c"][0]
print(",".join("%s %d" % (e["name"], e["calls"]) for e in g["callers"]["callers"]), len(g["callees"]["callees"]))')" \
	"a 20,b 5 0"

# ---- two dumps merge path by path ----
rm -f paraprof.*.ppd
run_profiled "$PROGS/calltree" >/dev/null
run_profiled "$PROGS/calltree" >/dev/null
expect_eq "two runs: two dumps" "$(ls paraprof.*.ppd | wc -l)" 2
"$REPORT" --format json --callers c paraprof.*.ppd >merged.json
ppjson merged.json paths calls >paths.txt
expect_eq "merged: main>a>c 20, main>b>c 10, worker>a>c 20" \
	"$(calls_on 'main;a;c')/$(calls_on 'main;b;c')/$(calls_on 'worker;a;c')" "20/10/20"
expect_eq "merged: still 8 nodes" "$(wc -l <paths.txt)" 8
expect_eq "merged: callers of c a 40, b 10" \
	"$(ppjson merged.json rows callers.callers name calls | paste -sd,)" "a 40,b 10"

# ---- a live segment ----
mkfifo hold
PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$PROGS/calltree" 0 hold <hold >live.out &
pid=$!
exec 3>hold
trap 'exec 3>&-; kill -9 $pid 2>/dev/null; rm -f $(segments_of $pid); rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q ready live.out && break; sleep 0.05; done
"$REPORT" --pid $pid --format json --callers c >live.json
expect_eq "--pid of a running calltree: exit 0" "$?" 0
expect_eq "--pid: the process is live" "$(ppjson live.json value processes.0.live)" True
ppjson live.json paths calls >paths.txt
expect_eq "--pid: main>a>c 10, main>b>c 5, worker>a>c 10 (main still running)" \
	"$(calls_on 'main;a;c')/$(calls_on 'main;b;c')/$(calls_on 'worker;a;c')" "10/5/10"
expect_eq "--pid: callers of c a 20, b 5" \
	"$(ppjson live.json rows callers.callers name calls | paste -sd,)" "a 20,b 5"
exec 3>&-
wait $pid
expect_eq "calltree hold: exits 0 when its input ends" "$?" 0

# ---- a cap on paths ----
rm -f paraprof.*.ppd
PARAPROF_MAX_PATHS=4 run_profiled "$PROGS/calltree" 100 mutual >/dev/null
cut=$("$PPDUMP" paraprof.*.ppd | awk '$1 == "header" { for (i = 2; i <= NF; i++) if ($i ~ /^paths_cut=/) { sub(/.*=/, "", $i); print $i } }')
check "cap 4: the runtime cut paths ($cut)" test "${cut:-0}" -gt 0
"$REPORT" --format json --callers c paraprof.*.ppd >cap.json
expect_eq "cap 4: JSON paths_cut is the header's" "$(ppjson cap.json value paths_cut)" "$cut"
expect_eq "cap 4: a warning of kind paths_cut counts them" \
	"$(ppjson cap.json rows warnings kind=paths_cut count)" "$cut"
expect_eq "cap 4: callers of c still sum to its 25 calls" \
	"$(ppjson cap.json sum callers.callers calls)" 25
"$REPORT" --no-color paraprof.*.ppd >cap.txt
check "cap 4: the text warnings say so" \
	grep -q "^- $cut call paths\? past PARAPROF_MAX_PATHS \(is\|are\) under \[more paths\]" cap.txt

# ---- a flat profile: no paths kept ----
rm -f paraprof.*.ppd
PARAPROF_MAX_PATHS=0 run_profiled "$PROGS/calltree" >/dev/null
"$REPORT" --min-calls 1 --severity $SEV --no-color paraprof.*.ppd >flat.txt
check "flat profile: c is CRITICAL" grep -q "^CRITICAL" flat.txt
check "flat profile: no hot path under any entry (no caller is known)" \
	test -z "$(grep '^  Path: ' flat.txt)"
"$REPORT" --callers c paraprof.*.ppd >flat_callers.txt
expect_eq "flat profile: c's 25 calls are all under [more paths]" \
	"$(table flat_callers.txt)" "[more paths] 25"
