# runtime_modules.sh - a library dlopen()ed where a dlclose()d one was
# (issue 9, item 12): each function keeps its own module and name, in the
# dump and in the process (paraprof_foreach_stats).
. "$(dirname "$0")/../lib.sh"

# two libraries of the same layout, so that b_only lands where a_only was
for x in a b; do
	printf 'int %s_only(int x);\nint %s_only(int x) { return x * 2 + 1; }\n' $x $x >lib$x.c
	cc -O2 -g -fPIC -shared -finstrument-functions -o "$WORK/lib$x.so" lib$x.c || exit 1
done
run_profiled "$PROGS/adv_dlreuse" "$WORK/liba.so" "$WORK/libb.so" >reuse.out 2>reuse.err
expect_eq "the program runs" "$?" 0
if [ "$(head -1 reuse.out)" != reused ]; then
	skip "B was not loaded at A's address here: $(head -1 reuse.out)"
	exit 0
fi
"$BUILD/paraprof-report" -f json -n 0 -m 1 paraprof.*.ppd >report.json 2>report.err
expect_eq "paraprof-report reads the dump" "$?" 0
# name calls module (its file name), one line per function entry named *_only
ppjson report.json rows functions name calls module |
	awk '$1 ~ /_only$/ { sub(".*/", "", $3); print $1, $2, $3 }' >functions.txt
expect_eq "a_only: 2000 calls, in liba.so" "$(grep '^a_only ' functions.txt)" "a_only 2000 liba.so"
expect_eq "b_only: 3000 calls, in libb.so" "$(grep '^b_only ' functions.txt)" "b_only 3000 libb.so"
expect_eq "no other entry of the two" "$(wc -l <functions.txt)" 2
expect_eq "in the process: a_only has its 2000 calls" "$(grep '^stats a_only ' reuse.out)" \
	"stats a_only 2000"
expect_eq "in the process: b_only has its 3000 calls" "$(grep '^stats b_only ' reuse.out)" \
	"stats b_only 3000"
