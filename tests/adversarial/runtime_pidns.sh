# runtime_pidns.sh - containers reuse pids (issue 9, item 8): processes of
# several pid namespaces that share /dev/shm and an output directory never
# take each other's segment, and no dump is overwritten.
. "$(dirname "$0")/../lib.sh"

if ! unshare --pid --fork true 2>/dev/null; then
	skip "unshare --pid is not permitted here: no pid namespaces to test"
	exit 0
fi
mkdir ns

# three runs, each pid 1 of a namespace of its own, into one directory
for i in 1 2 3; do
	PARAPROF_OUTPUT=$WORK/ns LD_PRELOAD=$LIB unshare --pid --fork "$PROGS/fib" $((20 + i)) \
		>/dev/null 2>>ns.err
done
expect_eq "three runs as pid 1: three dumps, none overwritten" \
	"$(ls ns | grep -c '^paraprof\.1\(-[0-9]*\)\?\.ppd$')" 3
calls=""
for f in ns/paraprof.1.ppd ns/paraprof.1-1.ppd ns/paraprof.1-2.ppd; do
	"$PPDUMP" "$f" >d.txt 2>/dev/null && calls="$calls $(field d.txt fib calls)"
done
# the calls fib(21), fib(22) and fib(23) make
expect_eq "each dump is its own run's (calls of fib)" "$calls" " 35421 57313 92735"
check "the second and third run said where their dump went ($(head -c 200 ns.err))" \
	test "$(grep -c 'exists; this profile is saved as' ns.err)" -eq 2

# two live processes, both pid 1, at once: each keeps its own segment
before=$(ls /dev/shm)
PARAPROF_OUTPUT=$WORK/ns2 LD_PRELOAD=$LIB unshare --pid --fork --kill-child "$PROGS/report_mix" loop >/dev/null 2>&1 &
p1=$!
PARAPROF_OUTPUT=$WORK/ns2 LD_PRELOAD=$LIB unshare --pid --fork --kill-child "$PROGS/report_mix" loop >/dev/null 2>&1 &
p2=$!
mkdir ns2
sleep 0.5
new=$(ls /dev/shm | grep '^paraprof\.1\.' | while read -r s; do
	echo "$before" | grep -qx "$s" || echo "$s"; done)
expect_eq "two namespaces' pid 1 at once: two segments" "$(echo "$new" | grep -c .)" 2
check "both are still running (neither took the other's segment)" kill -0 $p1 $p2
kill -9 $p1 $p2 2>/dev/null
# unshare's child (the program) dies with it: pid 1 of its namespace
wait $p1 $p2 2>/dev/null
sleep 0.2
for s in $new; do
	check "the segment $s was left whole: it is a paraprof segment" \
		test "$(head -c 8 "/dev/shm/$s")" = PPROFSEG
	rm -f "/dev/shm/$s"
done
