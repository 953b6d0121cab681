# report_filters.sh - what paraprof-report hides and says it hides (issue
# 14, items 3, 5 and 10): the header's counts of the entries left out by
# --min-calls, --min-time, --filter and --exclude and the hidden entries it
# names; the filters on names and module paths in text, JSON and CSV alike;
# a bad pattern; --gc in --help, make install / make uninstall under
# DESTDIR (pkg-config with PKG_CONFIG_SYSROOT_DIR), the .pc version.  The
# program is tests/progs/report_filters.c: main and parse_config below
# --min-calls 5, compute_slow (30 ms), io_write (20 ms), compute_fast
# (microseconds) and the region db_query (16 ms, no module).
. "$(dirname "$0")/../lib.sh"
REPORT=$BUILD/paraprof-report

run_profiled "$PROGS/report_filters"
dump=$(ls paraprof.*.ppd)
check "one dump written" test -f "$dump"

# shown_text FILE: the entries the text report shows, sorted, one line
shown_text() {
	awk '/^ +[0-9][0-9,]*  / { sub(/ \[[a-z]+\]$/, "", prev); print prev } { prev = $0 }' "$1" |
		sort | paste -sd' '
}
# shown_json FILE, shown_csv FILE: the same from the JSON and CSV reports
shown_json() {
	ppjson "$1" rows functions name | sort | paste -sd' '
}
shown_csv() {
	tr -d '\r' <"$1" | awk -F, 'NR > 1 && $2 != "hidden" { print $3 }' | sort | paste -sd' '
}
# hidden_csv FILE: its rows of kind hidden, "OPTION=COUNT" each
hidden_csv() {
	tr -d '\r' <"$1" | awk -F, '$2 == "hidden" { print $3 "=" $6 }' | paste -sd' '
}

# report NAME OPTIONS...: the three reports of the dump, NAME.txt/.json/.csv,
# each checked to exit 0; the text's Hidden and No-entry lines, joined, in
# NAME.hidden and NAME.nothing
report() {
	_n=$1; shift
	"$REPORT" --no-color "$@" "$dump" >"$_n.txt" 2>"$_n.err"
	_t=$?
	joined "$_n.txt" Hidden: >"$_n.hidden"
	joined "$_n.txt" 'No entry to show' >"$_n.nothing"
	"$REPORT" --format json "$@" "$dump" >"$_n.json" 2>>"$_n.err"
	_j=$?
	"$REPORT" --format csv "$@" "$dump" >"$_n.csv" 2>>"$_n.err"
	expect_eq "$_n: exit status of text, json, csv" "$_t $_j $?" "0 0 0"
}
# expect_shown NAME ENTRIES: the three reports of NAME show exactly ENTRIES
expect_shown() {
	expect_eq "$1: text shows" "$(shown_text "$1.txt")" "$2"
	expect_eq "$1: json shows" "$(shown_json "$1.json")" "$2"
	expect_eq "$1: csv shows" "$(shown_csv "$1.csv")" "$2"
}
# expect_hidden NAME "MIN_CALLS MIN_TIME FILTER EXCLUDE": the counts in JSON
expect_hidden() {
	expect_eq "$1: json entries_hidden" "$(ppjson "$1.json" value entries_hidden.min_calls \
		entries_hidden.min_time entries_hidden.filter entries_hidden.exclude)" "$2"
}
# joined FILE PREFIX: the line of FILE that starts with PREFIX, joined with
# the lines it wrapped onto (at 80 columns, indented by two spaces)
joined() {
	awk -v p="$2" 'index($0, p) == 1 { h = $0; on = 1; next }
		on && /^  / { h = h " " substr($0, 3); next }
		on { print h; on = 0 } END { if (on) print h }' "$1"
}
header() {
	joined "$1.txt" 'Sorted by '
}

# ---- item 3: the header says what is hidden ----
report plain
expect_shown plain "compute_fast compute_slow db_query io_write"
expect_eq "plain: header counts the entries below --min-calls" "$(header plain)" \
	"Sorted by total time: top 4 of 6 entries (2 below --min-calls 5)"
check "plain: the hidden main, with all the time, is named" \
	grep -q '^Hidden: main (below --min-calls: 1 call, total [0-9.]*ms = 100\.0% of profiled time)$' \
	plain.hidden
check "plain: parse_config (a few % of the time) is not named" \
	bash -c '! grep -q parse_config plain.hidden'
expect_eq "plain: json entries, eligible, below_min_calls" \
	"$(ppjson plain.json value entries entries_eligible entries_below_min_calls)" "6 4 2"
expect_hidden plain "2 0 0 0"
expect_eq "plain: json hidden_large" \
	"$(ppjson plain.json rows hidden_large name hidden_by calls)" "main --min-calls 1"
expect_eq "plain: csv hidden rows" "$(hidden_csv plain.csv)" "--min-calls=2"
check "plain: every csv row has the header's 24 fields" \
	bash -c "tr -d '\r' <plain.csv | awk -F, 'NF != 24 { exit 1 }'"

report all --min-calls 0 --top 0
expect_shown all "compute_fast compute_slow db_query io_write main parse_config"
expect_eq "nothing hidden: the header says so, no more" "$(header all)" \
	"Sorted by total time: top 6 of 6 entries"
check "nothing hidden: no Hidden line" bash -c '! grep -q "^Hidden:" all.txt'
expect_hidden all "0 0 0 0"
expect_eq "nothing hidden: no csv hidden row" "$(hidden_csv all.csv)" ""

report top2 --top 2
expect_eq "--top cuts what is shown, not what is counted" "$(header top2)" \
	"Sorted by total time: top 2 of 6 entries (2 below --min-calls 5)"

# ---- item 5: --filter, --exclude, --min-time ----
report filter --filter '^compute_'
expect_shown filter "compute_fast compute_slow"
expect_eq "filter: header" "$(header filter)" \
	"Sorted by total time: top 2 of 6 entries (2 below --min-calls 5, 2 not matching --filter)"
expect_hidden filter "2 0 2 0"
expect_eq "filter: csv hidden rows" "$(hidden_csv filter.csv)" "--min-calls=2 --filter=2"
expect_eq "filter: json options.filter" "$(ppjson filter.json value options.filter)" \
	"['^compute_']"
check "filter: io_write (28 % of the time) is named as hidden by --filter" \
	grep -q '^Hidden: main (.*); io_write (not matching --filter: 20 calls' filter.hidden

report filters --filter '^compute_' --filter '^db_'
expect_shown filters "compute_fast compute_slow db_query"
expect_hidden filters "2 0 1 0"

report exclude --exclude '^io_' --exclude '_fast$'
expect_shown exclude "compute_slow db_query"
expect_hidden exclude "2 0 0 2"
expect_eq "exclude: header" "$(header exclude)" \
	"Sorted by total time: top 2 of 6 entries (2 below --min-calls 5, 2 matching --exclude)"

report both --filter '^compute_' --exclude '_slow$'
expect_shown both "compute_fast"
expect_hidden both "2 0 2 1"

# the module path: the functions are in the program, the region in none
report modout --exclude '/report_filters$'
expect_shown modout "db_query"
expect_hidden modout "2 0 0 3"
expect_eq "exclude by module: the three largest hidden named, largest first" \
	"$(ppjson modout.json rows hidden_large name hidden_by | paste -sd,)" \
	"main --min-calls,compute_slow --exclude,io_write --exclude"
check "exclude by module: text names them in that order" \
	grep -q '^Hidden: main (below --min-calls: .*); compute_slow (matching --exclude: 10 calls, .*); io_write (matching --exclude: 20 calls, .*)$' \
	modout.hidden
report modin --filter '/report_filters$'
expect_shown modin "compute_fast compute_slow io_write"
expect_hidden modin "2 0 1 0"

report mintime --min-time 5ms
expect_shown mintime "compute_slow db_query io_write"
expect_hidden mintime "2 1 0 0"
expect_eq "min-time: header" "$(header mintime)" \
	"Sorted by total time: top 3 of 6 entries (2 below --min-calls 5, 1 below --min-time 5ms)"
expect_eq "min-time: json options.min_time_ns" \
	"$(ppjson mintime.json value options.min_time_ns)" 5000000
expect_eq "min-time: csv hidden rows" "$(hidden_csv mintime.csv)" "--min-calls=2 --min-time=1"
# a hidden entry is counted once, under the first option that hides it:
# compute_fast is below --min-time before it is filtered out (1 + 3 = 6 - 2)
report order --min-calls 0 --min-time 1500us --filter '^compute_|^main$'
expect_shown order "compute_slow main"
expect_hidden order "0 1 3 0"
report mintime2 --min-calls 0 --min-time 25ms
expect_shown mintime2 "compute_slow main"

report none --filter '^nothing$'
expect_shown none ""
check "nothing left: the text says what hides them" \
	grep -q '^No entry to show: 6 of 6 hidden (2 below --min-calls 5, 4 not matching --filter)\.$' \
	none.nothing
expect_hidden none "2 0 4 0"

# the launcher passes the filters on
"$BUILD/paraprof" -o launched --format csv --min-calls 1 --filter '^compute_' \
	--exclude '_fast$' -- "$PROGS/report_filters" >launched.csv 2>launched.err
expect_eq "launcher: exit status" "$?" 0
expect_eq "launcher: the filters reach the report" "$(shown_csv launched.csv)" "compute_slow"

# bad patterns and times: one line, exit status 2, nothing on stdout
for bad in "--filter (" "--exclude [a" "--filter a{1" "--min-time 5" "--min-time 5parsecs"; do
	"$REPORT" $bad "$dump" >bad.out 2>bad.err
	rc=$?
	expect_eq "'$bad': exit status 2" "$rc" 2
	expect_eq "'$bad': one line on stderr, none on stdout" \
		"$(wc -l <bad.err) $(wc -c <bad.out)" "1 0"
done
"$REPORT" --exclude '(' "$dump" 2>bad.err >/dev/null
check "a bad regex: the message names the option and the pattern" \
	grep -q "^paraprof-report: --exclude: '(' is not a regular expression: " bad.err

# ---- item 10: --help, install, uninstall, version ----
"$REPORT" --help >help.txt
check "--gc is in --help" grep -q '^      --gc ' help.txt
help_matches_man "$REPORT" "$SRC/man/paraprof-report.1"

version=$("$REPORT" --version | awk '{ print $2 }')

stage=$WORK/stage
make -s -C "$SRC" BUILD="$BUILD" DESTDIR="$stage" PREFIX=/opt/pp install >install.out 2>&1
expect_eq "make install DESTDIR: exit status ($(tail -n 1 install.out))" "$?" 0
for f in bin/paraprof-report bin/paraprof lib/libparaprof.so lib/pkgconfig/paraprof.pc \
	include/paraprof.h include/paraprof/format.h share/man/man1/paraprof-report.1 \
	share/man/man3/libparaprof.3 share/man/man5/paraprof.5; do
	check "installed /opt/pp/$f under DESTDIR" test -f "$stage/opt/pp/$f"
done
expect_eq "installed files: none outside DESTDIR/PREFIX" \
	"$(find "$stage" -type f ! -path "$stage/opt/pp/*" | wc -l)" 0
expect_eq "installed paraprof.pc: prefix is PREFIX, without DESTDIR" \
	"$(sed -n 's/^prefix=//p' "$stage/opt/pp/lib/pkgconfig/paraprof.pc")" /opt/pp
expect_eq "installed paraprof.pc's Version is paraprof-report --version's" \
	"$(sed -n 's/^Version: //p' "$stage/opt/pp/lib/pkgconfig/paraprof.pc")" "$version"
expect_eq "installed paraprof-report --version" \
	"$("$stage/opt/pp/bin/paraprof-report" --version | awk '{ print $2 }')" "$version"
if command -v pkg-config >/dev/null; then
	expect_eq "pkg-config with PKG_CONFIG_SYSROOT_DIR: cflags in DESTDIR" \
		"$(echo $(PKG_CONFIG_PATH=$stage/opt/pp/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage \
		pkg-config --cflags paraprof))" "-I$stage/opt/pp/include"
	expect_eq "pkg-config: modversion" "$(PKG_CONFIG_PATH=$stage/opt/pp/lib/pkgconfig \
		pkg-config --modversion paraprof)" "$version"
else
	skip "no pkg-config"
fi
touch "$stage/opt/pp/bin/someone-else"
make -s -C "$SRC" BUILD="$BUILD" DESTDIR="$stage" PREFIX=/opt/pp uninstall >uninstall.out 2>&1
expect_eq "make uninstall DESTDIR: exit status ($(tail -n 1 uninstall.out))" "$?" 0
expect_eq "make uninstall leaves only the file it did not install" \
	"$(cd "$stage" && find . -type f)" "./opt/pp/bin/someone-else"
check "make uninstall removes include/paraprof, its own directory" \
	test ! -e "$stage/opt/pp/include/paraprof"
