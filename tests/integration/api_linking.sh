# api_linking.sh - the three ways a program meets the C API: linked with
# -lparaprof (as paraprof.pc says), preloaded into a program that never
# linked it (weak references, PIE and non-PIE), and not there at all.
. "$(dirname "$0")/../lib.sh"
CFLAGS="-O2 -I$SRC/include"

run_linked "$BUILD/examples/regions" >linked.out
expect_eq "linked with -lparaprof: profiled" "$(sed -n 's/^fill: \([0-9]*\) calls.*/\1/p' linked.out)" 20
check "linked with -lparaprof: the library is a dependency" \
	sh -c "ldd '$BUILD/examples/regions' | grep -q libparaprof.so"
rm -f paraprof.*.ppd

cc $CFLAGS -o nolib "$SRC/examples/regions.c"
check "built without the library: it is not a dependency" \
	sh -c "! ldd ./nolib | grep -q libparaprof"
./nolib >nolib.out
expect_eq "built without the library: runs" "$?" 0
expect_eq "built without the library: says it is not profiled" "$(tail -n 1 nolib.out)" \
	"(not profiled: run it under paraprof for statistics)"
expect_eq "built without the library: no dump" "$(ls paraprof.*.ppd 2>/dev/null)" ""

run_profiled ./nolib >pre.out
expect_eq "preloaded into a PIE that never linked it: profiled" \
	"$(sed -n 's/^fill: \([0-9]*\) calls.*/\1/p' pre.out)" 20
rm -f paraprof.*.ppd
cc $CFLAGS -no-pie -o nopie "$SRC/examples/regions.c"
run_profiled ./nopie >nopie.out
expect_eq "preloaded into a non-PIE that never linked it: profiled" \
	"$(sed -n 's/^fill: \([0-9]*\) calls.*/\1/p' nopie.out)" 20
rm -f paraprof.*.ppd

run_linked "$BUILD/examples/spans" >spans.out
expect_eq "examples/spans: every job is a span" "$(sed -n 's/^job: \([0-9]*\) spans.*/\1/p' spans.out)" 200
run_linked "$BUILD/examples/stats" >stats.out
expect_eq "examples/stats: the warm-up while disabled is not counted" \
	"$(awk '/after 500/ { getline; print $2 }' stats.out)" 500
expect_eq "examples/stats: after the clear only the later calls count" \
	"$(awk '/after the clear/ { getline; print $2 }' stats.out)" 200
