# report_threads.sh - per-thread figures (--threads, --thread NAME|TID):
# named threads with known call counts, each exactly in its own table; the
# name set with pthread_setname_np after the thread's first call is the one
# shown; exited threads are kept up to PARAPROF_MAX_THREADS, the older ones
# folded into the process figures and counted, the process totals exact and
# the segment bounded however many threads come and go; a live segment
# shows its live threads.
. "$(dirname "$0")/../lib.sh"
REPORT=$BUILD/paraprof-report
KEPT=64			# PARAPROF_MAX_THREADS's default
SHORT=200		# short threads before alpha and beta
MANY=1000
[ -n "${PARAPROF_TEST_PRELOAD:-}" ] && SHORT=100 MANY=500	# the ASan stage: fewer threads

# csv_calls FILE FUNC THREAD: calls of FUNC in the rows of --threads CSV
# FILE whose thread column is THREAD (summed; "" when there is none)
csv_calls() {
	tr -d '\r' <"$1" | awk -F, -v f="$2" -v t="$3" \
		'$3 == f && $NF == t { n += $6; seen = 1 } END { if (seen) print n }'
}
# csv_threads FILE NAME: how many threads named NAME have a row there
csv_threads() {
	tr -d '\r' <"$1" | awk -F, -v t="$2" '$NF == t && $(NF-1) != "" { s[$(NF-1)] = 1 }
		END { for (k in s) n++; print n + 0 }'
}

# ---- SHORT short unnamed threads, then alpha (1000 x f), then beta (2000 x g)
run_profiled "$PROGS/namedthreads" $SHORT
dump=$(ls paraprof.*.ppd)
"$PPDUMP" "$dump" >dump.txt
expect_eq "process totals: f" "$(field dump.txt f calls)" 1000
expect_eq "process totals: g" "$(field dump.txt g calls)" 2000
expect_eq "process totals: tick" "$(field dump.txt tick calls)" $SHORT
expect_eq "exited threads past the cap are folded ($SHORT + 2 - $KEPT)" \
	"$(hfield dump.txt threads_folded)" $((SHORT + 2 - KEPT))
used_short=$(hfield dump.txt used)

"$REPORT" --threads --format json --min-calls 1 --top 0 "$dump" >t.json 2>/dev/null
read -r atid aexited <<<"$(ppjson t.json rows threads name=alpha tid exited)"
read -r btid bexited <<<"$(ppjson t.json rows threads name=beta tid exited)"
expect_eq "JSON: alpha, exited" "$aexited" True
expect_eq "JSON: beta, exited" "$bexited" True
expect_eq "JSON: the folded threads are counted" "$(ppjson t.json value threads_folded)" \
	$((SHORT + 2 - KEPT))
check "JSON: alpha's functions hold f" sh -c "python3 '$HELPERS/ppjson.py' t.json rows \
	threads name=alpha functions | grep -q \"'name': 'f', .*'calls': 1000,\""

"$REPORT" --threads --format csv --min-calls 1 --top 0 "$dump" >t.csv 2>/dev/null
check "CSV: tid and thread columns" sh -c "head -1 t.csv | grep -q ',cpu_wall_ns,tid,thread.\$'"
expect_eq "alpha: f calls" "$(csv_calls t.csv f alpha)" 1000
expect_eq "alpha: no g" "$(csv_calls t.csv g alpha)" ""
expect_eq "beta: g calls" "$(csv_calls t.csv g beta)" 2000
expect_eq "beta: no f" "$(csv_calls t.csv f beta)" ""
expect_eq "beta: its thread function once" "$(csv_calls t.csv beta_main beta)" 1
expect_eq "alpha's row names its tid" \
	"$(tr -d '\r' <t.csv | awk -F, '$3 == "f" && $NF == "alpha" { print $(NF-1) }')" "$atid"
expect_eq "one thread each named alpha, beta" "$(csv_threads t.csv alpha)$(csv_threads t.csv beta)" 11
expect_eq "the kept short threads and main" "$(csv_threads t.csv namedthreads)" $((KEPT - 2 + 1))
# every call of tick is in a kept thread's table or was a folded thread's
expect_eq "tick: in the kept threads + one per folded thread" \
	$(($(csv_calls t.csv tick namedthreads) + SHORT + 2 - KEPT)) $SHORT

"$REPORT" --threads "$dump" >t.txt 2>/dev/null
check "text: alpha's table has f, 1,000 calls" \
	sh -c "grep -A6 '^Thread $atid alpha (pid' t.txt | grep -A1 '^f\$' | grep -q '^ *1,000 '"
check "text: beta's table has g, 2,000 calls" \
	sh -c "grep -A6 '^Thread $btid beta (pid' t.txt | grep -A1 '^g\$' | grep -q '^ *2,000 '"
check "text: says how many threads were folded" grep -q "; $((SHORT + 2 - KEPT)) more exited" t.txt
expect_eq "text: every line fits 80 columns" "$(awk 'length > 80' t.txt | wc -l)" 0

# ---- --thread: the whole report of the named or numbered thread(s)
"$REPORT" --thread alpha --format csv --min-calls 1 --top 0 "$dump" >alpha.csv 2>/dev/null
expect_eq "--thread alpha: f" "$(tr -d '\r' <alpha.csv | awk -F, '$3 == "f" { print $6 }')" 1000
expect_eq "--thread alpha: no g, no tick, no main" \
	"$(tr -d '\r' <alpha.csv | awk -F, '$3 == "g" || $3 == "tick" || $3 == "main"')" ""
"$REPORT" --thread "$btid" --format csv --min-calls 1 --top 0 "$dump" >beta.csv 2>/dev/null
expect_eq "--thread TID (beta's): g" "$(tr -d '\r' <beta.csv | awk -F, '$3 == "g" { print $6 }')" 2000
expect_eq "--thread TID (beta's): no f" "$(tr -d '\r' <beta.csv | awk -F, '$3 == "f"')" ""
"$REPORT" --thread alpha --format json "$dump" >alpha.json 2>/dev/null
expect_eq "--thread alpha: JSON says so in its options" "$(ppjson alpha.json value options.thread)" alpha
"$REPORT" --thread alpha "$dump" >alpha.txt 2>/dev/null
check "--thread alpha: the text says so" grep -q "^Threads: only alpha (1 thread)" alpha.txt
"$REPORT" --thread nosuch "$dump" >none.txt 2>none.err
expect_eq "--thread with no match: exit status 2" "$?" 2
expect_eq "--thread with no match: one line" "$(grep -c . none.err)" 1
check "--thread with no match: says what" grep -q "no thread is named nosuch" none.err

# ---- PARAPROF_MAX_THREADS=0: every thread folded at its exit, as before
rm -f paraprof.*.ppd
PARAPROF_MAX_THREADS=0 run_profiled "$PROGS/namedthreads" 20
dump=$(ls paraprof.*.ppd)
"$PPDUMP" "$dump" >zero.txt
expect_eq "MAX_THREADS=0: all 22 folded" "$(hfield zero.txt threads_folded)" 22
expect_eq "MAX_THREADS=0: f still exact" "$(field zero.txt f calls)" 1000
"$REPORT" --threads --format csv --min-calls 1 "$dump" >zero.csv 2>/dev/null
expect_eq "MAX_THREADS=0: only main has a table" \
	"$(tr -d '\r' <zero.csv | awk -F, 'NR > 1 && $(NF-1) != "" { print $(NF-1) }' | sort -u | wc -l)" 1

# ---- a small cap keeps the newest: 3 short threads, alpha and beta
rm -f paraprof.*.ppd
PARAPROF_MAX_THREADS=5 run_profiled "$PROGS/namedthreads" 20
dump=$(ls paraprof.*.ppd)
"$REPORT" --threads --format csv --min-calls 1 "$dump" >five.csv 2>/dev/null
expect_eq "MAX_THREADS=5: alpha and beta, the newest, kept" 	"$(csv_calls five.csv f alpha) $(csv_calls five.csv g beta)" "1000 2000"
expect_eq "MAX_THREADS=5: 3 short threads and main beside them" "$(csv_threads five.csv namedthreads)" 4
PARAPROF_MAX_THREADS=abc run_profiled "$PROGS/namedthreads" 4 2>bad.err >/dev/null
check "MAX_THREADS=abc: one warning, the default used" \
	grep -q "^paraprof: PARAPROF_MAX_THREADS=abc is not a number from 0 to 512; using 64" bad.err

# ---- many short threads: bounded, totals exact
rm -f paraprof.*.ppd
run_profiled "$PROGS/namedthreads" $MANY
dump=$(ls paraprof.*.ppd)
"$PPDUMP" "$dump" >many.txt
expect_eq "$MANY threads: tick exact" "$(field many.txt tick calls)" $MANY
expect_eq "$MANY threads: folded" "$(hfield many.txt threads_folded)" $((MANY + 2 - KEPT))
expect_range "$MANY threads: areas used stay bounded" "$(hfield many.txt thread_count)" \
	$((KEPT + 2)) $((KEPT + 12))
expect_range "$MANY threads: the segment does not grow with them" "$(hfield many.txt used)" \
	1 $((used_short + 131072))

# ---- a live segment: alpha and beta alive, named after their first call,
# beta renamed by main
rm -f paraprof.*.ppd
PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$PROGS/namedthreads" 8 stay >live.out &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f $(segments_of $pid); rm -rf "$WORK"' EXIT
for _ in $(seq 250); do grep -q ready live.out && break; sleep 0.02; done
"$REPORT" --pid $pid --threads --format csv --min-calls 1 >live.csv 2>/dev/null
"$REPORT" --pid $pid --threads --format json --min-calls 1 >live.json 2>/dev/null
kill $pid; wait $pid 2>/dev/null
rm -f $(segments_of $pid)
expect_eq "live: alpha's f" "$(csv_calls live.csv f alpha)" 1000
expect_eq "live: beta's g, under the name main gave it" "$(csv_calls live.csv g beta2)" 2000
expect_eq "live: alpha is running" "$(ppjson live.json rows threads name=alpha exited)" False
