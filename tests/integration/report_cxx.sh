#!/bin/bash
# report_cxx.sh - readable C++ names on tests/progs/cxxnames: std::sort over
# a vector with a lambda, the overloads geo::scale(int) (3 calls) and
# geo::scale(double) (5), geo::Rect deleted through its base 7 times (the
# deleting destructor D0 and the complete one), geo::Mid's destructor
# as a complete object (2) and as the base of a Leaf (4).  Short names in
# text, JSON, CSV and folded; the overloads kept apart by their parameters;
# --full-names; the full name in JSON; --filter on the full name; the one
# line on std:: internals when they hold most of the time, and not otherwise;
# --callers by the short name or a part of the full one.
. "$(dirname "$0")/../lib.sh"
REPORT=$BUILD/paraprof-report

run_profiled "$PROGS/cxxnames" sort >/dev/null
sorted=$(ls paraprof.*.ppd)
check "sort run: one dump" test -f "$sorted"
mkdir light && (cd light && PARAPROF_OUTPUT=$WORK/light LD_PRELOAD=$LIB "$PROGS/cxxnames" light >/dev/null)
light=$(ls light/paraprof.*.ppd)
check "light run: one dump" test -f "$light"

# --wide: the names as made, none cut in the middle to fit 80 columns
"$REPORT" --no-color --wide -n 0 -m 0 "$sorted" >report.txt
expect_eq "text: exit status" "$?" 0
# the names of the text report: the lines that are not indented details
awk '/^Recommendations:/ { exit } /^[^ =-]/ && NR > 6 && !/Severity \(/' report.txt >names.txt
expect_range "text: the names of the functions" "$(wc -l <names.txt)" 60 200
expect_eq "text: no nested template arguments past <…>" \
	"$(sed 's/<…>//g' names.txt | grep -c '<[^>]*<')" 0
expect_eq "text: no name of 200 characters or more" "$(awk 'length($0) >= 200' names.txt | wc -l)" 0
check "text: std::__introsort_loop<…>" grep -qx 'std::__introsort_loop<…>' names.txt
check "text: std::vector<…>::push_back" grep -qx 'std::vector<…>::push_back' names.txt
check "text: the lambda as Registry::sort_by_area::{lambda}" \
	grep -qx 'Registry::sort_by_area::{lambda}' names.txt
expect_eq "text: every name once (none collides)" "$(sort names.txt | uniq -d | head -3)" ""

"$REPORT" -f json -n 0 -m 0 "$sorted" >report.json
calls() { ppjson report.json rows functions "name=$1" calls; }
expect_eq "the overloads stay apart: geo::scale(int)" "$(calls 'geo::scale(int)')" 3
expect_eq "the overloads stay apart: geo::scale(double)" "$(calls 'geo::scale(double)')" 5
expect_eq "push_back: 6 fills of 20000" "$(calls 'std::vector<…>::push_back')" 120000
expect_eq "deleting destructor: geo::Rect::~Rect [deleting]" \
	"$(calls 'geo::Rect::~Rect [deleting]')" 7
expect_eq "complete destructor: geo::Rect::~Rect" "$(calls 'geo::Rect::~Rect')" 7
expect_eq "complete destructor of a class with a virtual base: geo::Mid::~Mid" \
	"$(calls 'geo::Mid::~Mid')" 2
expect_eq "its base-object destructor: geo::Mid::~Mid [base]" \
	"$(calls 'geo::Mid::~Mid [base]')" 4
expect_eq "JSON: full_name of a short one" \
	"$(ppjson report.json rows functions 'name=geo::scale(int)' full_name)" 'geo::scale(int)'
full=$(ppjson report.json rows functions 'name=std::__introsort_loop<…>' full_name)
check "JSON: full_name is the demangled name" \
	test "${full#void std::__introsort_loop<__gnu_cxx::__normal_iterator<Item*, std::vector<Item, std::allocator<Item> > >, long}" != "$full"
expect_range "JSON: ... in full" "${#full}" 400 5000
lambda=$(ppjson report.json rows functions 'name=Registry::sort_by_area::{lambda}' full_name)
expect_eq "JSON: the lambda's full name" "$lambda" \
	'Registry::sort_by_area()::{lambda(Item const&, Item const&)#1}::operator()(Item const&, Item const&) const'
check "JSON: the std:: recommendation" \
	grep -q '"kind": "std", "text": "[0-9.]*% of the functions' report.json
check "text: one line on std:: internals with the flag" \
	grep -q '^- [0-9.]*% of .*std:: internals: build with -finstrument-functions-exclude-file-list=/usr/include' report.txt

"$REPORT" -f csv -n 0 -m 0 "$sorted" >report.csv
check "CSV: short names" grep -q '^[0-9]*,function,std::__introsort_loop<…>,' report.csv
check "CSV: the overloads" grep -q ',function,geo::scale(double),' report.csv

"$REPORT" -f folded "$sorted" >folded.txt
check "folded: the short names on the paths" \
	grep -q '^main;Registry::sort_by_area;std::sort<…>;std::__sort<…>;std::__introsort_loop<…>' folded.txt
expect_eq "folded: no nested template arguments past <…>" \
	"$(sed 's/<…>//g' folded.txt | grep -c '<[^>;]*<')" 0

"$REPORT" -f pprof -o run.pb.gz "$sorted"
expect_eq "pprof: exit status" "$?" 0
check "pprof: the short name as the function's name" \
	sh -c 'zcat run.pb.gz | grep -aqF "std::__introsort_loop<…>"'
check "pprof: the full name as its system name" sh -c "zcat run.pb.gz | grep -aqF '$full'"

# --full-names: the demangled names as they are, the destructors still told apart
"$REPORT" --no-color --full-names -n 0 -m 0 "$sorted" >full.txt
expect_eq "--full-names: exit status" "$?" 0
check "--full-names: the full std::__introsort_loop" grep -qxF "$full" full.txt
check "--full-names: the lambda" grep -qxF "$lambda" full.txt
check "--full-names: geo::scale(int)" grep -qx 'geo::scale(int)' full.txt
check "--full-names: geo::Rect::~Rect() [deleting]" grep -qxF 'geo::Rect::~Rect() [deleting]' full.txt
check "--full-names: geo::Rect::~Rect()" grep -qxF 'geo::Rect::~Rect()' full.txt
expect_eq "--full-names: nothing shortened" "$(grep -c '<…>' full.txt)" 0
"$REPORT" -f folded --full-names "$sorted" >folded_full.txt
check "--full-names: folded too" grep -qF ";$full " folded_full.txt

# --filter looks at the full name as well: the lambda's parameter types
"$REPORT" -f csv -n 0 -m 0 --filter 'lambda\(Item const&, Item const&\)' "$sorted" >filtered.csv
check "--filter on the full name: the lambda" \
	grep -q ',function,Registry::sort_by_area::{lambda},' filtered.csv
check "--filter on the full name: std::__introsort_loop<…> (its arguments name the lambda)" \
	grep -q ',function,std::__introsort_loop<…>,' filtered.csv
check "--filter on the full name: not geo::scale(int)" \
	sh -c '! grep -q "geo::scale" filtered.csv'

# --callers by the short name, and by a part of the full one; the table
# fits 80 columns, a name too long cut in the middle (--wide: whole)
"$REPORT" --no-color --wide --callers 'Registry::sort_by_area::{lambda}' "$sorted" >callers.txt
check "--callers: the lambda by its short name" \
	grep -q '^Callers of Registry::sort_by_area::{lambda}: ' callers.txt
check "--callers: its callers by their short names" \
	grep -q ' __gnu_cxx::__ops::_Iter_comp_iter<…>::operator()<…>$' callers.txt
"$REPORT" --no-color --callers 'Registry::sort_by_area::{lambda}' "$sorted" >callers80.txt
expect_range "--callers: no line wider than 80 columns" "$(widest callers80.txt)" 40 80
check "--callers: at 80 columns, the long caller cut in the middle, both ends kept" \
	grep -q ' __gnu_cxx::__op.*….*operator()<…>$' callers80.txt
"$REPORT" --no-color --graph "$sorted" >graph80.txt
expect_range "--graph of C++ names: no line wider than 80 columns" "$(widest graph80.txt)" 40 80
"$REPORT" --no-color --callers 'sort_by_area()::{lambda(Item const&, Item const&)#1}::operator()' \
	"$sorted" >callers_full.txt
expect_eq "--callers: a part of the full name finds it too" \
	"$(grep -c '^Callers of Registry::sort_by_area::{lambda}: ' callers_full.txt)" 1

# the light run: the program's own loop holds the time, no std:: line
"$REPORT" --no-color -n 0 -m 0 "$light" >light.txt
expect_eq "light: exit status" "$?" 0
expect_eq "light: no std:: line" "$(grep -c 'std:: internals' light.txt)" 0
check "light: the same short names" grep -qx 'geo::Rect::~Rect \[deleting\]' light.txt

help_matches_man "$REPORT" "$SRC/man/paraprof-report.1"
