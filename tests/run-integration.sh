#!/bin/sh
# run-integration.sh - runs every tests/SUITE/*.sh (SUITE: integration, the
# default, or adversarial) and counts the checks.  Prints each failing line,
# and "N passed, N failed" last; exits 1 on failure.
BUILD=$(cd "${BUILD:-build}" && pwd)
export BUILD
suite=${1:-integration}
dir=$(dirname "$0")
passed=0
failed=0
out=$(mktemp)
for t in "$dir"/$suite/*.sh; do
	[ -e "$t" ] || continue
	bash "$t" >"$out" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $(basename "$t" .sh): exited with status $rc"
	fi
	if [ "$f" -ne 0 ]; then
		grep '^not ok ' "$out"
		echo "--- output of $(basename "$t"):"
		tail -n 30 "$out"
	fi
	echo "  TEST    $(basename "$t" .sh): $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
done
rm -f "$out"
echo "$passed passed, $failed failed"
echo "$suite: $passed passed, $failed failed" >"$BUILD/$suite.summary"
[ "$failed" -eq 0 ]
