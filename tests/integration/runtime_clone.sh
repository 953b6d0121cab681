# runtime_clone.sh - raw clone() children that share the parent's memory and
# its thread-local storage (issue 9, item 6): the parent's dump is written,
# read whole, and its counts are exact.  The children's calls may be left
# uncounted (a process that shares its parent's TLS cannot have a shadow
# stack of its own); when they are counted, they must be exact too.
. "$(dirname "$0")/../lib.sh"

N=200000
for run in 1 2 3; do
	rm -f paraprof.*.ppd
	# about 2 s (each child's calls take the slow path: it shares the
	# parent's thread pointer); the timeout makes a hang a failure, not a
	# stuck suite
	timeout -s KILL 30 env PARAPROF_OUTPUT="$WORK" LD_PRELOAD="$LIB" "$PROGS/cloned" $N \
		>out.txt 2>err.txt
	expect_eq "run $run: the program exits 0" "$?" 0
	pid=$(sed -n "s/^parent=//p" out.txt)
	pid=${pid:-none}
	said=$(tail -n 1 out.txt)
	parent=$(echo "$said" | tr ' ' '\n' | sed -n 's/^parent_work=//p')
	kids=$(echo "$said" | tr ' ' '\n' | sed -n 's/^pids=//p' | tr ',' ' ')
	expect_eq "run $run: three children, each exited 0" \
		"$(echo "$said" | tr ' ' '\n' | sed -n 's/^clean=//p')" 3
	left=$(segments_of $pid $kids)
	expect_eq "run $run: no segment left in /dev/shm by the parent or the children" "$left" ""
	# shellcheck disable=SC2086 # a list of paths
	rm -f $left
	if [ ! -f "$(dump_of $pid)" ]; then
		not_ok "run $run: the parent wrote no dump ($(head -c 200 err.txt))"
		continue
	fi
	ok "run $run: the parent wrote its dump"
	"$PPDUMP" "$(dump_of $pid)" >dump.txt 2>&1
	expect_eq "run $run: parent_work calls exact" "$(field dump.txt parent_work calls)" "${parent:-?}"
	expect_eq "run $run: main is one call" "$(field dump.txt main calls)" 1
	child=$(field dump.txt child_work calls)
	case $child in
	"" | 0) ok "run $run: the children's calls are not counted" ;;
	*) expect_eq "run $run: the children's calls, counted, are exact" "$child" $((3 * N)) ;;
	esac
	expect_eq "run $run: no abandoned frames, no unmatched exits" \
		"$(hfield dump.txt abandoned_frames)/$(hfield dump.txt unmatched_exits)" "0/0"
	check "run $run: the dump marks a complete run" test $(( $(hfield dump.txt flags) & PPF_FLAG_COMPLETE )) -ne 0
	"$BUILD/paraprof-report" "$(dump_of $pid)" >report.txt 2>report.err
	expect_eq "run $run: paraprof-report reads the dump: exit 0" "$?" 0
	check "run $run: paraprof-report refuses and leaves out nothing ($(head -c 200 report.err))" \
		test ! -s report.err
done
