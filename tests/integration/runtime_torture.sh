# runtime_torture.sh - the torture test (issue 9, "done when"): one run under
# the launcher of threads, fork/exec/vfork/posix_spawn/daemon, dlopen and
# dlclose with address reuse, longjmp/siglongjmp, C++ exceptions, a signal
# handler every 100 us, recursion 10^6 deep and every exit path (return
# from main, exit(), _exit() in children, pthread_exit); then every process
# it made has its dump, and every function of every process its exact
# calls and abandoned frames, as the process itself wrote them down
# (tests/progs/torture.c says what each process does and how it counts).
. "$(dirname "$0")/../lib.sh"

mkdir exp out
# about 1 s; the timeout makes a hang a failure rather than a stuck suite
timeout -k 5 60 "$BUILD/paraprof" -o "$WORK/out" -- "$PROGS/torture" "$WORK/exp" \
	>launcher.out 2>launcher.err
expect_eq "the launcher and the torture exit 0" "$?" 0

# Every process of the run: its pid is in its expectation file's name.
pids=$(ls exp | sed -n 's/^expect\.\([0-9]*\)\..*/\1/p' | sort -u)
expect_eq "9 process images wrote down their counts" "$(ls exp | wc -l)" 9
left=$(segments_of $pids)
expect_eq "no segment of the run left in /dev/shm" "$left" ""
# shellcheck disable=SC2086 # a list of paths
rm -f $left

python3 "$HELPERS/torture_check.py" "$WORK/exp" "$WORK/out" "$BUILD/paraprof-report" \
	>verdicts.txt 2>&1
while IFS='|' read -r verdict text; do
	case $verdict in
	ok) ok "$text" ;;
	"not ok") not_ok "$text" ;;
	note) echo "# $text" ;;
	*) not_ok "the checker said: $verdict $text" ;;
	esac
done <verdicts.txt
if grep -q 'dl_reuse=1' verdicts.txt; then
	ok "dlopen: libtorture_b.so took the address libtorture_a.so had"
else
	skip "dlopen: libtorture_b.so did not take libtorture_a.so's address here (counts checked all the same)"
fi
