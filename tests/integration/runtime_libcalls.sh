# runtime_libcalls.sh - blocking libc calls as entries of their own (issue
# 12, item 2): tests/progs/libcalls makes known numbers of nanosleep, read,
# write, usleep, pthread_join and contended pthread_mutex_lock calls; each is
# a callee of the function that made it, exactly counted on its path; the
# caller's self time no longer holds the wait; an uncontended lock is not
# recorded; errno is as libc left it; PARAPROF_LIBCALLS=0 turns it off; an
# uninstrumented program under the library leaves no profile.  The same
# program built with _FORTIFY_SOURCE=2 (read, poll, recv and pread through
# __read_chk and friends) gives the same paths.
. "$(dirname "$0")/../lib.sh"

REPORT=$BUILD/paraprof-report

run_profiled "$PROGS/libcalls" >out.txt
expect_eq "libcalls exits 0" "$?" 0
check "read(-1) under the library: EBADF" grep -qx "read(-1): EBADF" out.txt
check "an uncontended lock leaves errno alone" grep -qx "uncontended lock: errno 0" out.txt
dump=$(dump_of "$(ls "$WORK" | sed -n 's/^paraprof\.\([0-9]*\)\.ppd$/\1/p' | head -1)")

"$REPORT" --format folded --weight calls "$dump" >folded.txt
expect_eq "folded: exits 0" "$?" 0
# every path that ends in a libc call, with its calls
# libc_paths FOLDED: every path that ends in a libc call, with its calls
libc_paths() {
	grep -E ';(nanosleep|usleep|read|write|pthread_join|pthread_mutex_lock|poll|send|recv|pread) ' \
		"$1" | sort | paste -sd' '
}
expected="holder;usleep 1 main;bad_read;read 1 main;joiner;pthread_join 1 main;locker;pthread_join 1 main;locker;pthread_mutex_lock 1 main;piper;pthread_join 1 main;piper;read 3 main;poller;poll 2 main;poller;pread 1 main;poller;recv 1 main;poller;send 1 main;sleeper;nanosleep 5 sleepy;usleep 1 writer;usleep 3 writer;write 3"
expect_eq "each libc call on its caller's path, exactly counted" "$(libc_paths folded.txt)" \
	"$expected"
check "pread of a pipe under the library: ESPIPE" grep -qx "pread(pipe): ESPIPE" out.txt


"$REPORT" --format csv --min-calls 1 "$dump" >report.csv
# csv NAME FIELD: FIELD (a column's title) of NAME's row
csv() {
	awk -F, -v n="$1" -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$(c["name"]) == n { print $(c[f]); exit }' report.csv
}
expect_eq "nanosleep: kind libc" "$(csv nanosleep kind)" libc
expect_eq "nanosleep: 5 calls" "$(csv nanosleep calls)" 5
expect_range "nanosleep: 2 ms a call at least (total ns)" "$(csv nanosleep total_ns)" 10000000 1000000000
expect_eq "pthread_mutex_lock: the contended call only (1 of 1,002)" "$(csv pthread_mutex_lock calls)" 1
expect_range "pthread_mutex_lock: waited about 3 ms (ns)" "$(csv pthread_mutex_lock total_ns)" \
	1000000 1000000000
s=$(csv sleeper self_ns) t=$(csv sleeper total_ns)
expect_range "sleeper's self time is not its sleep (% of its total)" "$((100 * s / t))" 0 50
"$REPORT" --min-calls 1 --no-color --wide "$dump" >report.txt
check "the text report tags the entry: nanosleep [libc]" grep -qx "nanosleep \[libc\]" report.txt
check "a recommendation says that sleeper waits, in nanosleep" \
	grep -q "^- sleeper waits [0-9.]*% of its time (.*) in libc calls, most in nanosleep (5 calls; p95 " \
	report.txt
check "... and no recommendation says to optimise sleeper's body" \
	sh -c '! grep -q "sleeper spends .* in its own code" report.txt'

rm -f "$WORK"/paraprof.*.ppd
PARAPROF_LIBCALLS=0 run_profiled "$PROGS/libcalls" >/dev/null
"$REPORT" --format csv --min-calls 1 "$WORK"/paraprof.*.ppd >report.csv
expect_eq "PARAPROF_LIBCALLS=0: no libc entries" \
	"$(awk -F, 'NR > 1 && $2 == "libc"' report.csv | wc -l)" 0
s=$(csv sleeper self_ns) t=$(csv sleeper total_ns)
expect_range "PARAPROF_LIBCALLS=0: sleeper's sleep is its self time (%)" "$((100 * s / t))" 90 100
"$REPORT" --min-calls 1 --no-color --wide "$WORK"/paraprof.*.ppd >report0.txt
check "PARAPROF_LIBCALLS=0: no recommendation says sleeper waits" \
	sh -c '! grep -q "sleeper waits" report0.txt'

rm -f "$WORK"/paraprof.*.ppd
PARAPROF_LIBCALLS=yes run_profiled "$PROGS/libcalls" >/dev/null 2>err.txt
expect_eq "PARAPROF_LIBCALLS=yes: one warning" "$(cat err.txt)" \
	"paraprof: PARAPROF_LIBCALLS=yes is not 0 or 1; using 1"

# cat is not instrumented: its read and write calls make no segment
rm -f "$WORK"/paraprof.*.ppd
echo hello >in.txt
run_profiled cat in.txt >cat.txt &
cpid=$!
wait $cpid
expect_eq "cat under the library: its output" "$(cat cat.txt)" hello
expect_eq "cat under the library: no dump" "$(ls "$WORK" | grep -c '^paraprof\.')" 0
expect_eq "cat under the library: no segment" "$(segments_of $cpid | wc -l)" 0

# the hardened build: the fortified entry points, recorded as the plain calls
check "libcalls_fortify calls __read_chk, __poll_chk, __recv_chk, __pread_chk" \
	test "$(nm -D "$PROGS/libcalls_fortify" | grep -cE ' U __(read|poll|recv|pread)_chk@')" = 4
rm -f "$WORK"/paraprof.*.ppd
run_profiled "$PROGS/libcalls_fortify" >out_fortify.txt
expect_eq "libcalls_fortify exits 0" "$?" 0
check "fortified read(-1): EBADF" grep -qx "read(-1): EBADF" out_fortify.txt
"$REPORT" --format folded --weight calls "$WORK"/paraprof.*.ppd >folded_fortify.txt
expect_eq "fortified: the same paths, exactly counted" "$(libc_paths folded_fortify.txt)" \
	"$expected"
rm -f "$WORK"/paraprof.*.ppd
