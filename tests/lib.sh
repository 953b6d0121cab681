# lib.sh - helpers for the integration tests (sourced by each tests/integration/*.sh)
#
# Each test script runs in a fresh temporary directory ($WORK), with $BUILD
# (absolute), $LIB (what to preload: LD_PRELOAD=$LIB) and $LIB_SO (the file
# libparaprof.so) set.  It reports every check with ok/not_ok; the runner
# counts them.
#
# The facts of format.h that a test needs are shell variables, from
# "ppdump --facts": PPF_FLAG_COMPLETE, PPF_KIND_REGION, ...,
# offsetof_header_used_size, ... (tests/ppdump.c lists them).  What a test
# does in Python is in tests/helpers/ ($HELPERS), each script saying what it
# does; ppjson (tests/helpers/ppjson.py) reads a JSON report.
#
# PARAPROF_TEST_PRELOAD (set by make check-asan): libraries preloaded before
# libparaprof.so.  An ASan-built library needs the ASan runtime first in a
# program that was not built with ASan; $LIB is then "RUNTIME LIBRARY"
# (LD_PRELOAD takes spaces), so use $LIB_SO where a file is meant.

set -u
: "${BUILD:?}"
# Debian's python3 (make installs it, with python3-pil): a python3 found
# first in PATH may be a version manager's shim, which takes ten times as
# long to start and has none of Debian's modules
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
BUILD=$(cd "$BUILD" && pwd)
LIB_SO=$BUILD/libparaprof.so
LIB=${PARAPROF_TEST_PRELOAD:+$PARAPROF_TEST_PRELOAD }$LIB_SO
PPDUMP=$BUILD/tests/ppdump
PROGS=$BUILD/progs
TEST_NAME=$(basename "$0" .sh)
SRC=$(cd "$(dirname "$0")/../.." && pwd)	# the source tree
HELPERS=$SRC/tests/helpers
eval "$("$PPDUMP" --facts)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/paraprof-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
touch "$WORK/.begun"

ok() { echo "ok - $TEST_NAME: $*"; }
not_ok() { echo "not ok - $TEST_NAME: $*"; }

# check DESC COMMAND...: passes when COMMAND succeeds
check() {
	desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect_eq DESC ACTUAL EXPECTED
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1 ($2)"; else not_ok "$1: got '$2', expected '$3'"; fi
}

# expect_range DESC VALUE LO HI (integers, inclusive)
expect_range() {
	if [ -n "$2" ] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
		ok "$1 ($2 in [$3, $4])"
	else
		not_ok "$1: got '$2', expected [$3, $4]"
	fi
}

# run_profiled PROG ARGS...: runs PROG under the library, dumps into $WORK
run_profiled() {
	PARAPROF_OUTPUT=$WORK LD_PRELOAD=$LIB "$@"
}

# run_linked PROG ARGS...: runs PROG, a program linked with -lparaprof (not
# preloaded), with what PARAPROF_TEST_PRELOAD says must be loaded first
run_linked() {
	if [ -n "${PARAPROF_TEST_PRELOAD:-}" ]; then
		LD_PRELOAD=$PARAPROF_TEST_PRELOAD "$@"
	else
		"$@"
	fi
}

# field DUMP_OUTPUT_FILE SYMBOL FIELD: FIELD of the function SYMBOL of the
# program (resolved with nm), e.g. field out.txt fib calls
field() {
	_prog=$(sed -n 's/^header .*cmdline=\([^ ]*\).*/\1/p' "$1")
	_addr=$(nm "$_prog" | awk -v s="$2" '$3 == s { print $1; exit }' | sed 's/^0*//')
	awk -v a="+0x$_addr" -v f="$3" '$1 == "fn" && substr($2, length($2) - length(a) + 1) == a {
		for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$1"
}

# hfield DUMP_OUTPUT_FILE FIELD: a header field
hfield() {
	awk -v f="$2" '$1 == "header" { for (i = 2; i <= NF; i++) {
		split($i, kv, "="); if (kv[1] == f) print substr($i, length(f) + 2) } }' "$1"
}

# dump_of PID: the dump file a process wrote
dump_of() {
	echo "$WORK/paraprof.$1.ppd"
}

# segments_of PID...: the live segments in /dev/shm of the processes PID
# (paraprof.PID, or paraprof.PID.* as format.h names them), one a line; only
# those made since this test began, so never another run's (/dev/shm is
# shared).  A test removes what it finds with rm -f $(segments_of ...).
segments_of() {
	for _p in "$@"; do
		find /dev/shm -maxdepth 1 \( -name "paraprof.$_p" -o -name "paraprof.$_p.*" \) \
			-newer "$WORK/.begun" 2>/dev/null
	done
}

# as_other CMD ARGS...: runs CMD as a throw-away unprivileged user
# (paraprof-adv, made on first use; the tests run as root).  Returns 77 when
# no such user can be had: the caller then skips with a message (skip).
ADV_USER=paraprof-adv
as_other() {
	if [ "$(id -u)" != 0 ]; then return 77; fi
	if ! id "$ADV_USER" >/dev/null 2>&1; then
		useradd -M -r -d /nonexistent -s /usr/sbin/nologin "$ADV_USER" 2>/dev/null ||
			return 77
	fi
	setpriv --reuid="$(id -u "$ADV_USER")" --regid="$(id -g "$ADV_USER")" \
		--clear-groups -- "$@"
}

# ppjson FILE [QUERY ARGS...]: reads a JSON document (tests/helpers/ppjson.py
# says how), e.g. ppjson report.json sum functions calls name=tick
ppjson() {
	python3 "$HELPERS/ppjson.py" "$@"
}

# widest FILE: the display width of its longest line (UTF-8 characters)
widest() {
	python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")))' "$1"
}

# skip DESC: a check that cannot run here, said as such (not counted)
skip() { echo "skip - $TEST_NAME: $*"; }

# help_matches_man PROG MANPAGE: PROG --help exits 0 and names the same long
# options as MANPAGE (one not_ok for each that only one of them names)
help_matches_man() {
	"$1" --help >help.txt
	expect_eq "--help: exit 0" "$?" 0
	for _opt in $(grep -o -- '--[a-z][a-z-]*' help.txt | sort -u); do
		_m=$(echo "$_opt" | sed 's/-/\\\\-/g')
		grep -q -- "$_m" "$2" || not_ok "--help lists $_opt, the man page does not"
	done
	for _opt in $(grep -o '\\-\\-[a-z][a-z\\-]*' "$2" | sed 's/\\-/-/g' | sort -u); do
		grep -q -- "$_opt" help.txt || not_ok "the man page documents $_opt, --help does not"
	done
	ok "--help and the man page list the same options"
}

# exporter_start LOG ARGS...: starts paraprof-exporter with ARGS on a free
# loopback port, its stderr into LOG, without this shell's fd 3 (a test's
# control FIFO must close when the test closes it); sets EPID and EPORT
# (empty when it did not say within 5 s that it listens)
exporter_start() {
	_log=$1; shift
	"$BUILD/paraprof-exporter" --listen 127.0.0.1:0 "$@" 2>"$_log" 3>&- &
	EPID=$!
	EPORT=
	for _i in $(seq 100); do
		EPORT=$(sed -n 's|^paraprof-exporter: listening on http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$_log")
		[ -n "$EPORT" ] && break
		sleep 0.05
	done
}
