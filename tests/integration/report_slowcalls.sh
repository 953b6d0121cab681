# report_slowcalls.sh - the slowest calls with their native stacks (issue
# 11): qsort (libc, not instrumented) calls the instrumented comparator cmp
# 2,000-odd times, one call 100 times longer than the others; that call is
# the first --slowest-calls cmp shows, with qsort in its stack below cmp.
. "$(dirname "$0")/../lib.sh"

rm -f paraprof.*.ppd
run_profiled "$PROGS/slowcmp" >out.txt
expect_eq "slowcmp exits 0" "$?" 0
dump=$(ls paraprof.*.ppd)
slow_ns=$(sed -n 's/.*slow_ns=\([0-9]*\).*/\1/p' out.txt)

"$BUILD/paraprof-report" -f json --slowest-calls cmp "$dump" >slow.json 2>slow.err
expect_eq "--slowest-calls cmp -f json: exit 0 ($(head -c 200 slow.err))" "$?" 0
python3 - "$slow_ns" slow.json >verdicts.txt <<'PY'
import json, sys
slow_ns = int(sys.argv[1])
doc = json.load(open(sys.argv[2]))
calls = doc["slowest_calls"]
def say(ok, what):
    print(("ok" if ok else "not ok") + "|" + what)
say(doc["function"] == "cmp", "the function is cmp (%s)" % doc["function"])
say(1 <= len(calls) <= 4, "1 to 4 calls kept (%d)" % len(calls))
first = calls[0] if calls else {"duration_ns": 0, "stack": [], "path": []}
say(first["duration_ns"] >= slow_ns,
    "the first is the 100x call: %d ns >= %d" % (first["duration_ns"], slow_ns))
say(all(a["duration_ns"] >= b["duration_ns"] for a, b in zip(calls, calls[1:])),
    "longest first")
stack = first["stack"]
say(stack[:1] == ["cmp"], "its innermost frame is cmp (%s)" % stack[:3])
q = [i for i, f in enumerate(stack) if "qsort" in f]
say(bool(q) and q[0] > 0, "qsort is in its stack, below cmp (%s)" % stack)
m = [i for i, f in enumerate(stack) if f == "main"]
say(bool(q) and bool(m) and m[0] > q[0], "main is below qsort")
say(first["path"] == ["main", "cmp"], "its call path is main > cmp (%s)" % first["path"])
PY
while IFS='|' read -r verdict text; do
	if [ "$verdict" = ok ]; then ok "$text"; else not_ok "$text"; fi
done <verdicts.txt
check "the checker judged 8 things" test "$(wc -l <verdicts.txt)" -eq 8

"$BUILD/paraprof-report" --slowest-calls cmp "$dump" >slow.txt
expect_eq "--slowest-calls cmp (text): exit 0" "$?" 0
check "the text names qsort's frame below cmp (qsort_r, or an interceptor's under ASan)" grep -Eq "^ +[0-9]+  .*qsort" slow.txt
"$BUILD/paraprof-report" --slowest-calls no_such_function "$dump" >/dev/null 2>err.txt
expect_eq "an unknown function: exit 2" "$?" 2
check "an unknown function: one line naming it" \
	test "$(wc -l <err.txt)" -eq 1 -a -n "$(grep no_such_function err.txt)"

# PARAPROF_SLOW_CALL_US=0 keeps no stacks
rm -f paraprof.*.ppd
PARAPROF_SLOW_CALL_US=0 run_profiled "$PROGS/slowcmp" >out.txt
"$BUILD/paraprof-report" --slowest-calls cmp paraprof.*.ppd >/dev/null 2>err.txt
expect_eq "PARAPROF_SLOW_CALL_US=0: no call kept (exit 2)" "$?" 2
