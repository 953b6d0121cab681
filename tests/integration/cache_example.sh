#!/bin/bash
# cache_example.sh - examples/cached under the library: the counters of its two
# named caches reach the dump and every report format, agree with what the
# program printed from paraprof_cache_stats(), and obey the facts the program
# guarantees (50 distinct squares, computed once each; 800 lookups per
# cache; a 50-entry session cache that is full).  Also: libparaprof(3)
# documents every name of the cache API, and the library exports them.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/lib.sh"
PROG=$BUILD/examples/cached
REPORT=$BUILD/paraprof-report
export PARAPROF_QUIET=1

out=$(run_profiled "$PROG"); rc=$?
expect_eq "cached exits 0" "$rc" 0
check "each square computed once (single flight)" \
	grep -q '^slow_square computed 50 times for 800 calls$' <<<"$out"
dump=$(ls "$WORK"/paraprof.*.ppd 2>/dev/null | head -n 1)
check "a dump was written" test -s "$dump"

# cfield CACHE FIELD: FIELD of CACHE in the JSON report (one cache a line)
json=$("$REPORT" -f json "$dump")
cfield() {
	sed -n "s/.*{\"name\": \"$1\".*\"$2\": \([^,}]*\).*/\1/p" <<<"$json"
}
# pfield CACHE WORD: the number after WORD in the program's line for CACHE
pfield() {
	awk -v c="$1" -v w="$2" '$1 == c { for (i = 2; i < NF; i++) if ($i == w) print $(i + 1) }' \
		<<<"$out"
}

for c in global sessions; do
	hits=$(cfield $c hits)
	misses=$(cfield $c misses)
	expect_eq "$c: hits + misses = 800 lookups" "$((hits + misses))" 800
	expect_eq "$c: hits as the program saw them" "$hits" "$(pfield $c hits)"
	expect_eq "$c: misses as the program saw them" "$misses" "$(pfield $c misses)"
	expect_eq "$c: evictions as the program saw them" "$(cfield $c evictions)" \
		"$(pfield $c evictions)"
done
expect_eq "global: live at exit" "$(cfield global live)" true
expect_eq "global: max_size 1000" "$(cfield global max_size)" 1000
expect_eq "global: 50 entries" "$(cfield global size)" 50
expect_eq "global: 50 stores" "$(cfield global sets)" 50
expect_eq "global: no eviction" "$(cfield global evictions)" 0
# each of the 50 keys missed by 1 to 4 threads
expect_range "global: misses" "$(cfield global misses)" 50 200
expect_eq "sessions: freed" "$(cfield sessions live)" false
expect_eq "sessions: full" "$(cfield sessions size)/$(cfield sessions max_size)" 50/50
expect_eq "sessions: one store per miss" "$(cfield sessions sets)" "$(cfield sessions misses)"
ev=$(cfield sessions evictions)
expect_range "sessions: evictions" "$ev" 1 $(($(cfield sessions sets) - 50))
# 50 entries of "sid:N" (5 to 7 bytes) with a 5-byte value
expect_range "sessions: bytes" "$(cfield sessions bytes)" $((50 * 10)) $((50 * 12))

text=$("$REPORT" "$dump")
check "text: a Caches section" grep -q '^Caches$' <<<"$text"
check "text: sessions, freed" grep -q '^sessions (freed)$' <<<"$text"
check "text: global's counters" grep -q \
	"Hits: $(cfield global hits) | Misses: $(cfield global misses) |" <<<"$text"
# the recommendations wrap at 80 columns: each joined back into one line
notes=$(awk '/^- / { if (h != "") print h; h = $0; next } h != "" && /^  / { h = h " " substr($0, 3); next }
	{ if (h != "") print h; h = "" } END { if (h != "") print h }' <<<"$text")
check "text: sessions gets a recommendation" \
	grep -q 'Cache sessions hits only .* raise its max size' <<<"$notes"
check "text: global gets none" bash -c '! grep -q "Cache global hits only" <<<"$1"' _ "$notes"
csv=$("$REPORT" -f csv "$dump")
check "csv: no crash with caches" test -n "$csv"

# ---- the API: documented and exported ----
names=$(sed -n '/==== cache/,/==== end of cache/p' "$SRC/include/paraprof.h" |
	grep -o '\bparaprof_[a-z_]*\b\|\bPARAPROF_[A-Z_]*\b' | sort -u |
	grep -v '_$\|^PARAPROF_H$' | grep -vx 'paraprof_cache\|paraprof_flight')	# struct tags
for n in $names paraprof_strerror paraprof_err_name PARAPROF_EINVAL PARAPROF_ENOMEM \
		PARAPROF_ENOENT PARAPROF_E2BIG PARAPROF_ERANGE PARAPROF_ERRNO_MAP; do
	check "libparaprof(3) documents $n" grep -qw -- "$n" "$SRC/man/libparaprof.3"
done
warn=$(groff -man -ww -z "$SRC/man/libparaprof.3" 2>&1)
expect_eq "groff -man -ww -z libparaprof.3 is clean" "$warn" ""
exported=$(nm -D --defined-only "$LIB_SO" | awk '{ print $3 }')
for n in $names paraprof_strerror paraprof_err_name; do
	case $n in
	paraprof_cache_t|paraprof_flight_t|paraprof_compute_fn) continue ;;
	paraprof_*) check "libparaprof.so exports $n" grep -qx "$n" <<<"$exported" ;;
	esac
done
check "libparaprof.so hides cache internals" \
	bash -c '! grep -q "^cache_" <<<"$1"' _ "$exported"
