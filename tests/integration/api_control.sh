# api_control.sh - paraprof-report --pid PID --enable/--disable/--clear on a
# running program: calls made while disabled are not counted, exactly; a
# clear zeroes what came before and keeps every later call.
. "$(dirname "$0")/../lib.sh"
REPORT=$BUILD/paraprof-report

mkfifo cmd
PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$PROGS/controlled" <cmd >out.txt &
pid=$!
exec 3>cmd
trap 'exec 3>&-; kill $pid 2>/dev/null; rm -rf "$WORK"' EXIT

# waits until the program has printed `n` lines "done"
await() {
	for _ in $(seq 200); do
		[ "$(grep -c '^done$' out.txt)" -ge "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

echo "run 100" >&3; await 1
"$REPORT" --pid $pid --disable >ctl.txt
expect_eq "--disable: exit status" "$?" 0
expect_eq "--disable: says what it did" "$(cat ctl.txt)" "paraprof-report: pid $pid: recording disabled"
echo "run 50" >&3; await 2
"$REPORT" --pid $pid --enable >/dev/null
echo "run 30" >&3; await 3
"$REPORT" --pid $pid --format json --min-calls 1 >live.json
calls=$(ppjson live.json sum functions calls name=tick)
expect_eq "calls made while disabled from outside are not counted, exactly" "$calls" 130

"$REPORT" --pid $pid --clear >ctl.txt
expect_eq "--clear: says what it did" "$(cat ctl.txt)" "paraprof-report: pid $pid: statistics cleared"
"$REPORT" --pid $pid --format json --min-calls 1 >cleared.json
calls=$(ppjson cleared.json sum functions calls name=tick)
expect_eq "--clear: the running program's statistics read as zero at once" "$calls" 0
echo "run 7" >&3; await 4
echo "quit" >&3
wait $pid
"$PPDUMP" paraprof.$pid.ppd >dump.txt
expect_eq "--clear: every later call is counted" "$(field dump.txt tick calls)" 7

"$REPORT" --pid $pid --enable 2>err.txt
expect_eq "--enable on a program that has exited: exit status 2" "$?" 2
check "--enable on a program that has exited: one clear line" \
	grep -q "^paraprof-report: pid $pid: no profile at /dev/shm/paraprof.$pid" err.txt
"$REPORT" --enable paraprof.$pid.ppd 2>usage.txt
expect_eq "--enable with a file: usage error" "$?" 2
