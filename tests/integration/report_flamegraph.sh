# report_flamegraph.sh - paraprof-report --format svg on tests/progs/calltree
# (main calls a, which calls c 10 times, and b, which calls c 5 times; a
# worker thread runs a), rendered by headless Chromium: the screenshot is
# not blank and shows frames, the document holds the frames of the known
# tree with their calls, and its script searches (^c$ colours c's three
# frames and gives c's share of the width) and zooms (a click on b leaves
# b, its callee and its callers, b's c across the whole width).  Chromium
# runs under timeout, with a profile directory of its own.
. "$(dirname "$0")/../lib.sh"
# the call tree of the program's functions: its sleeps are not recorded as
# libc calls here (runtime_libcalls tests those)
export PARAPROF_LIBCALLS=0
REPORT=$BUILD/paraprof-report
PY=/usr/bin/python3		# Debian's, which python3-pil is for
CHECK="$HELPERS/flamegraph_check.py"

run_profiled "$PROGS/calltree" >/dev/null
dump=$(ls paraprof.*.ppd)
"$REPORT" --format svg -o flame.svg "$dump"
expect_eq "svg: exit status" "$?" 0
check "svg: an SVG document" grep -q '^<svg version="1.1"' flame.svg
check "svg: nothing loaded from elsewhere (no href, no url())" \
	test "$(grep -c 'href\|url(' flame.svg)" = 0

if ! command -v chromium >/dev/null || ! "$PY" -c 'import PIL' 2>/dev/null; then
	not_ok "chromium and python3-pil are needed (make installs them: exports-test-deps)"
	exit 0
fi
# chrome ARGS...: headless Chromium, bounded, its state in $WORK
chrome() {
	HOME=$WORK timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$WORK/chromium" --no-first-run "$@" 2>>chromium.log
}

height=$(sed -n 's/^<svg .* height="\([0-9]*\)".*/\1/p' flame.svg)
# (headless Chromium's viewport is shorter than its window: room to spare)
chrome --window-size=1200,$((height + 200)) --screenshot="$WORK/shot.png" "file://$WORK/flame.svg" >/dev/null
check "chromium took a screenshot" test -s shot.png
set -- $("$PY" "$CHECK" pixels shot.png)
check "the screenshot is not blank (${1:-?} pixels drawn)" test "${1:-0}" -gt 20000
# main and worker span the width, with a and c above each: several rows
check "frames are drawn (${2:-?} pixels of frame colours)" test "${2:-0}" -gt 20000

# A copy that, once loaded, searches for ^c$ (prompt() answered) and clicks
# b, dumped as Chromium holds it then.
sed 's|</svg>$|<script>window.addEventListener("load", function () { window.prompt = function () { return "^c$"; }; search(); zoom(frames.filter(function (f) { return f.getAttribute("data-n") == "b"; })[0]); });</script></svg>|' \
	flame.svg >zoom.svg
chrome --virtual-time-budget=3000 --dump-dom "file://$WORK/zoom.svg" >dom.xml
"$PY" "$CHECK" frames dom.xml >frames.txt
expect_eq "the dumped document is XML with frames" "$?" 0
# frame NAME CALLS: the line of that frame
frame() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n && $2 == c' frames.txt; }
for f in "main 1" "worker 1" "b 1" "c 10" "c 5"; do
	check "the document has the frame $f" test -n "$(frame $f)"
done
expect_eq "a on two paths (main's, worker's)" "$(awk -F'\t' '$1 == "a"' frames.txt | wc -l)" 2
expect_eq "c on three paths, 25 calls" \
	"$(awk -F'\t' '$1 == "c" { n++; s += $2 } END { print n "/" s }' frames.txt)" "3/25"
expect_eq "zoomed on b: shown are all, main, b and b's c" \
	"$(awk -F'\t' '$3 == 1 { print $1 "/" $2 }' frames.txt | sort | paste -sd' ')" \
	"all/2 b/1 c/5 main/1"
check "zoomed on b: b spans the width (1180 px)" test "$(frame b 1 | cut -f4)" = 1180
check "zoomed on b: its c nearly so (c's time is most of b's)" \
	test "$(frame c 5 | cut -f4)" -ge 1100
expect_eq "search ^c\$: c's three frames coloured" \
	"$(grep -o 'fill="rgb(230,0,230)"' dom.xml | wc -l)" 3
# c's share of the width: its paths' inclusive time over main's and worker's
"$REPORT" --format folded --weight total "$dump" >total.txt
want=$(awk '$1 ~ /;c$/ { c += $2 } $1 == "main" || $1 == "worker" { all += $2 }
	END { printf "%.1f", 100 * c / all }' total.txt)
got=$(sed -n 's/.*>Matched: \([0-9.]*\)%<.*/\1/p' dom.xml)
check "search ^c\$: says c covers $want % of the width (it says ${got:-nothing})" \
	awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(a != "" && d <= 0.11 && d >= -0.11) }'
check "chromium logged no script error" test "$(grep -ci 'uncaught' chromium.log)" = 0
