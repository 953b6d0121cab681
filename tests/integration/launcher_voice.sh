#!/bin/bash
# launcher_voice.sh - a voice when nothing was recorded (the launcher's line
# before the run, from the program's ELF file; the library's line at exit)
# and the launcher's -O FILE (issue 14, items 6 and 7).
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/lib.sh"
PP=$BUILD/paraprof
PLAIN=$PROGS/noinst_hello	# no -finstrument-functions, no API call
INST=$PROGS/chatty		# instrumented, prints on stdout

# count FILE REGEX: the lines of FILE that match REGEX
count() { grep -c -- "$2" "$1"; }

# valid_json FILE: python3 -m json.tool accepts FILE
valid_json() { python3 -m json.tool "$1" >/dev/null; }

LAUNCH_RE='^paraprof: .* was not built with -finstrument-functions: only API regions, spans and requests are recorded$'
LIB_RE='^paraprof: pid [0-9]* (noinst_hello) recorded nothing: was it built with -finstrument-functions?$'

# ---- the launcher's line ----
"$PP" -o d1 -- "$PLAIN" >out.txt 2>err.txt; rc=$?
expect_eq "uninstrumented: the program's status" "$rc" 0
expect_eq "uninstrumented: it still ran" "$(cat out.txt)" "hello from noinst_hello"
expect_eq "uninstrumented: the launcher's line, once" "$(count err.txt "$LAUNCH_RE")" 1
check "uninstrumented: the line names PROG as given" \
	grep -qF "paraprof: $PLAIN was not built with -finstrument-functions" err.txt
expect_eq "uninstrumented: the line comes first" \
	"$(head -1 err.txt | grep -c "$LAUNCH_RE")" 1
expect_eq "uninstrumented: not also the library's line in a launcher's run" \
	"$(count err.txt 'recorded nothing')" 0
check "uninstrumented: 'left no profile' says why, accurately" \
	grep -qx "paraprof: $PLAIN left no profile: no process of the run recorded a function call, region, span or request" err.txt
expect_eq "uninstrumented: no guess at PARAPROF_ENABLE=0" "$(count err.txt PARAPROF_ENABLE)" 0

"$PP" -o d2 -- "$PLAIN" exit7 >/dev/null 2>err.txt; rc=$?
expect_eq "uninstrumented: its exit status passes through" "$rc" 7
expect_eq "uninstrumented, status 7: the launcher's line, once" "$(count err.txt "$LAUNCH_RE")" 1

# through PATH, as given: the name without a slash is what the line says
PATH=$PROGS:$PATH "$PP" -o d3 -- noinst_hello >/dev/null 2>err.txt
check "found through PATH: the line names it as given" \
	grep -qx "paraprof: noinst_hello was not built with -finstrument-functions: only API regions, spans and requests are recorded" err.txt

"$PP" -o d4 -- "$INST" >out.txt 2>err.txt; rc=$?
expect_eq "instrumented: exit 0" "$rc" 0
expect_eq "instrumented: no launcher's line" "$(count err.txt 'finstrument-functions')" 0
check "instrumented: the report follows" grep -q 'work' out.txt

# the API (regions, spans) without the flag: the line says what is still recorded
"$PP" -o d5 -- "$PROGS/noinst_api" regions >out.txt 2>err.txt
expect_eq "uninstrumented, API used: the launcher's line, once" "$(count err.txt "$LAUNCH_RE")" 1
check "uninstrumented, API used: its regions are reported" grep -q 'outer' out.txt

# an uninstrumented program whose instrumented library it needs (DT_NEEDED,
# found through its RUNPATH $ORIGIN, or LD_LIBRARY_PATH): no line
cat >libinst.c <<'SRC_EOF'
int inst_work(int x);
int inst_work(int x) { return x * 3; }
SRC_EOF
cat >usesinst.c <<'SRC_EOF'
#include <stdio.h>
int inst_work(int x);
int main(void) { for (int i = 0; i < 10; i++) printf("%d\n", inst_work(i)); return 0; }
SRC_EOF
mkdir -p app
if cc -O0 -fPIC -shared -finstrument-functions -o app/libinst.so libinst.c &&
   cc -O0 -o app/usesinst usesinst.c -Lapp -linst -Wl,-rpath,'$ORIGIN' -Wl,--enable-new-dtags &&
   cc -O0 -o app/usesinst_nopath usesinst.c -Lapp -linst; then
	"$PP" -o d6 -- app/usesinst >/dev/null 2>err.txt; rc=$?
	expect_eq "instrumented library by RUNPATH: runs" "$rc" 0
	expect_eq "instrumented library by RUNPATH: no launcher's line" \
		"$(count err.txt 'finstrument-functions')" 0
	LD_LIBRARY_PATH=$WORK/app "$PP" -o d7 -- app/usesinst_nopath >/dev/null 2>err.txt
	expect_eq "instrumented library by LD_LIBRARY_PATH: no launcher's line" \
		"$(count err.txt 'finstrument-functions')" 0
else
	not_ok "cc could not build the DT_NEEDED case"
fi

# a static program: no line before (it is not the flag), the accurate one after
if cc -O0 -static -o static_hello usesinst.c -x c - <<<'int inst_work(int x) { return x; }' \
	2>/dev/null; then
	"$PP" -o d8 -- ./static_hello >/dev/null 2>err.txt; rc=$?
	expect_eq "static: runs" "$rc" 0
	expect_eq "static: no launcher's line before" "$(count err.txt 'finstrument-functions')" 0
	check "static: 'left no profile' says it is static" \
		grep -qx "paraprof: ./static_hello left no profile: it is a static program, which LD_PRELOAD does not reach" err.txt
else
	skip "no static libc here: the static case is not checked"
fi

# ---- the library's line at exit ----
LD_PRELOAD=$LIB PARAPROF_OUTPUT=$WORK "$PLAIN" >out.txt 2>err.txt; rc=$?
expect_eq "LD_PRELOAD, uninstrumented: exit 0" "$rc" 0
expect_eq "LD_PRELOAD, uninstrumented: the library's line, once" "$(count err.txt "$LIB_RE")" 1
pid_said=$(sed -n 's/^paraprof: pid \([0-9]*\) .*/\1/p' err.txt)
check "LD_PRELOAD, uninstrumented: no dump (nothing recorded)" \
	test ! -e "$WORK/paraprof.$pid_said.ppd"

LD_PRELOAD=$LIB PARAPROF_OUTPUT=$WORK "$PLAIN" fork >out.txt 2>err.txt
expect_eq "LD_PRELOAD, forked child: both ran" "$(sort out.txt | tr '\n' ' ')" \
	"child hello from noinst_hello "
expect_eq "LD_PRELOAD, forked child: one line, the parent's" "$(count err.txt "$LIB_RE")" 1
# the pid said is the one that started the program: the parent (the shell's $!)
LD_PRELOAD=$LIB PARAPROF_OUTPUT=$WORK "$PLAIN" fork >/dev/null 2>err.txt &
ppid=$!
wait $ppid
expect_eq "LD_PRELOAD, forked child: the pid said is the parent's" \
	"$(sed -n 's/^paraprof: pid \([0-9]*\) .*/\1/p' err.txt)" "$ppid"

# an exec: the new program speaks for itself, once (the shell before it
# recorded nothing and said nothing, as exec runs no exit handler) ...
LD_PRELOAD=$LIB PARAPROF_OUTPUT=$WORK sh -c 'exec "$1"' sh "$PLAIN" >/dev/null 2>err.txt
expect_eq "LD_PRELOAD, exec'ed by a shell: one line, the program's" \
	"$(count err.txt 'recorded nothing')/$(count err.txt "$LIB_RE")" 1/1
# ... but not after an instrumented program that exec'ed it recorded (the
# process recorded something: its dump is there)
mkdir -p ex
LD_PRELOAD=$LIB PARAPROF_OUTPUT=$WORK/ex "$PROGS/execs" true >/dev/null 2>err.txt
expect_eq "LD_PRELOAD, exec after recording: no line" "$(count err.txt 'recorded nothing')" 0
check "LD_PRELOAD, exec after recording: the dump of before the exec is there" \
	test -n "$(ls ex/paraprof.*.ppd 2>/dev/null)"

LD_PRELOAD=$LIB PARAPROF_OUTPUT=$WORK PARAPROF_QUIET=1 "$PLAIN" fork >/dev/null 2>err.txt
expect_eq "PARAPROF_QUIET=1: no line" "$(cat err.txt)" ""

LD_PRELOAD=$LIB PARAPROF_OUTPUT=$WORK "$INST" >/dev/null 2>err.txt &
ipid=$!
wait $ipid
expect_eq "LD_PRELOAD, instrumented: no line" "$(count err.txt 'recorded nothing')" 0
check "LD_PRELOAD, instrumented: its dump is there" test -s "$WORK/paraprof.$ipid.ppd"

LD_PRELOAD=$LIB PARAPROF_OUTPUT=$WORK "$PROGS/noinst_api" regions >/dev/null 2>err.txt
expect_eq "LD_PRELOAD, uninstrumented but regions: no line" "$(count err.txt 'recorded nothing')" 0

# ---- -O FILE ----
"$PP" -o d9 -f json -O out.json -- "$INST" >out.txt 2>err.txt; rc=$?
expect_eq "-O: exit 0" "$rc" 0
check "-O: python3 -m json.tool accepts the file" valid_json out.json
check "-O: the report is in the file" grep -q '"work"' out.json
expect_eq "-O: the program's output still reaches stdout" \
	"$(grep -c '^chatty: work ' out.txt) $(grep -c '^} not json {$' out.txt)" "20 2"
expect_eq "-O: no report on stdout" "$(count out.txt '"functions"')" 0

"$PP" -o d10 --format=json --report-file=long.json -- "$INST" >/dev/null 2>&1
check "--report-file=FILE: the same" valid_json long.json
"$PP" -o d11 -Oattached.txt -- "$INST" >/dev/null 2>&1
check "-OFILE (attached): a text report in FILE" grep -q 'work' attached.txt

echo "keep me" >exists.json
"$PP" -o d12 -f json -O exists.json -- "$PLAIN" >out.txt 2>err.txt; rc=$?
expect_eq "-O onto an existing file: exit status 2" "$rc" 2
expect_eq "-O onto an existing file: one line" "$(cat err.txt)" \
	"paraprof: exists.json: exists; not replaced (paraprof writes a new file)"
expect_eq "-O onto an existing file: the file is kept" "$(cat exists.json)" "keep me"
expect_eq "-O onto an existing file: the program did not run" "$(cat out.txt)" ""
ln -s nowhere dangling.json
"$PP" -o d13 -O dangling.json -- "$INST" >/dev/null 2>err.txt; rc=$?
expect_eq "-O onto a dangling symlink: refused too" "$rc" 2
"$PP" -O "" -- "$INST" >/dev/null 2>err.txt; rc=$?
expect_eq "-O with an empty name: usage error" "$rc" 2
"$PP" -O >/dev/null 2>err.txt; rc=$?
expect_eq "-O without a file: usage error" "$rc" 2

# ---- the documentation ----
help_matches_man "$PP" "$SRC/man/paraprof.1"
check "paraprof(1) documents -O's refusal" grep -q 'not replaced (paraprof writes a new file)' \
	"$SRC/man/paraprof.1"
check "paraprof(1) documents the launcher's line" grep -q 'only API regions, spans and requests' \
	"$SRC/man/paraprof.1"
check "libparaprof(3) documents the exit line" grep -q 'recorded nothing: was it built' \
	"$SRC/man/libparaprof.3"
for page in paraprof.1 libparaprof.3; do
	warn=$(groff -man -ww -z "$SRC/man/$page" 2>&1)
	expect_eq "groff -man -ww -z $page is clean" "$warn" ""
done
