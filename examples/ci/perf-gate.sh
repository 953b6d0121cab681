#!/bin/sh
# perf-gate.sh - a CI step that fails when a workload got slower than its
# stored baseline
#
# Builds SOURCE with -finstrument-functions, runs it with ARGS under the
# paraprof launcher and checks its profile against BASELINE (a dump of an
# earlier run) with paraprof-report --check --baseline; on a regression it
# prints the diff of the two runs as well.  With no BASELINE yet, this run
# becomes it (commit it, or keep it as a pipeline artifact).  The workload
# is one process; copy and adapt the build line to your project.  The
# program and this run's dumps stay in PERF_GATE_DIR: a dump names its
# functions from the binary at the path it ran from.
#
#   usage: perf-gate.sh BASELINE.ppd SOURCE.c [ARGS...]
#   exit:  0 no regression (or baseline stored), 1 a regression, 2 an error
#
# Environment: CC (cc), CFLAGS (-O2 -g), PARAPROF (paraprof),
# PARAPROF_REPORT (paraprof-report), MAX_REGRESSION (p10=10%, see
# paraprof-report(1)), PERF_GATE_DIR (./perf-gate).
set -u
if [ $# -lt 2 ]; then
	echo "usage: perf-gate.sh BASELINE.ppd SOURCE.c [ARGS...]" >&2
	exit 2
fi
baseline=$1
src=$2
shift 2
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g}
PARAPROF=${PARAPROF:-paraprof}
PARAPROF_REPORT=${PARAPROF_REPORT:-paraprof-report}
MAX_REGRESSION=${MAX_REGRESSION:-p10=10%}
dir=${PERF_GATE_DIR:-perf-gate}
mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || exit 2
rm -rf "$dir/run" "$dir/gate.txt" "$dir/report.txt"

# shellcheck disable=SC2086  # CFLAGS is a list of flags
$CC $CFLAGS -finstrument-functions -o "$dir/app" "$src" || exit 2

if [ ! -f "$baseline" ]; then
	"$PARAPROF" -o "$dir/run" -O "$dir/report.txt" -- "$dir/app" "$@" >/dev/null || exit 2
	cp "$dir"/run/paraprof.*.ppd "$baseline" || exit 2
	echo "perf-gate: no baseline yet: this run is now $baseline"
	exit 0
fi

# the launcher passes the report options on; its exit status is the
# check's when the program succeeded
"$PARAPROF" -o "$dir/run" -O "$dir/gate.txt" --no-color --check --baseline "$baseline" \
	--max-regression "$MAX_REGRESSION" -- "$dir/app" "$@" >/dev/null
status=$?
[ -f "$dir/gate.txt" ] && cat "$dir/gate.txt"
case $status in
0) exit 0 ;;
1)
	echo
	"$PARAPROF_REPORT" --no-color --diff "$baseline" -- "$dir"/run/paraprof.*.ppd
	exit 1
	;;
*)
	echo "perf-gate: the workload or the check failed (exit status $status)" >&2
	exit 2
	;;
esac
