# runtime_torture.sh - the torture test (issue 9, "done when"): one run under
# the launcher of threads, fork/exec/vfork/posix_spawn/daemon, dlopen and
# dlclose with address reuse, longjmp/siglongjmp, C++ exceptions, a signal
# handler every 100 us, recursion 10^6 deep and every exit path (return
# from main, exit(), _exit() in children, pthread_exit); then every process
# it made has its dump, and every function of every process its exact
# calls and abandoned frames, as the process itself wrote them down
# (tests/progs/torture.c says what each process does and how it counts).
. "$(dirname "$0")/../lib.sh"

mkdir exp out
# about 1 s; the timeout makes a hang a failure rather than a stuck suite
timeout -k 5 60 "$BUILD/paraprof" -o "$WORK/out" -- "$PROGS/torture" "$WORK/exp" \
	>launcher.out 2>launcher.err
expect_eq "the launcher and the torture exit 0" "$?" 0

# Every process of the run: its pid is in its expectation file's name.
pids=$(ls exp | sed -n 's/^expect\.\([0-9]*\)\..*/\1/p' | sort -u)
expect_eq "9 process images wrote down their counts" "$(ls exp | wc -l)" 9
left=$(segments_of $pids)
expect_eq "no segment of the run left in /dev/shm" "$left" ""
# shellcheck disable=SC2086 # a list of paths
rm -f $left

python3 - "$WORK/exp" "$WORK/out" "$BUILD/paraprof-report" >verdicts.txt 2>&1 <<'PY'
import json, os, subprocess, sys

exp_dir, out_dir, report = sys.argv[1:4]

def say(good, text):
    print("%s|%s" % ("ok" if good else "not ok", text))

# the dumps, read through paraprof-report as a user would
dumps = {}
for name in sorted(os.listdir(out_dir)):
    if not name.endswith(".ppd"):
        continue
    r = subprocess.run([report, "--format", "json", "--min-calls", "1", "--top", "0",
                        os.path.join(out_dir, name)], capture_output=True, text=True)
    say(r.returncode == 0 and not r.stderr,
        "%s: paraprof-report reads it whole (exit %d) %s" % (name, r.returncode, r.stderr.strip()[:200]))
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        continue
    proc = doc["processes"][0]
    fns = {}
    for e in doc["functions"]:
        if e["kind"] == "function" and e["calls"]:
            calls, abandoned = fns.get(e["name"], (0, 0))
            fns[e["name"]] = (calls + e["calls"], abandoned + e["abandoned"])
    dumps[(proc["pid"], proc["command"])] = (name, fns, doc["counters"])

matched = set()
for name in sorted(os.listdir(exp_dir)):
    role = name.split(".", 2)[2]
    lines = open(os.path.join(exp_dir, name)).read().splitlines()
    head = lines[0].split(" ", 1)
    pid, cmd = int(head[0][4:]), head[1][4:]
    want = {}
    for l in lines[1:]:
        w = l.split()
        if w[0] == "fn":
            want[w[1]] = (int(w[2]), int(w[3]))
        elif w[0] == "note":
            print("note|%s: %s" % (role, l[5:]))
    what = "%s (pid %d)" % (role, pid)
    if (pid, cmd) not in dumps:
        say(False, "%s: its dump is there" % what)
        continue
    matched.add((pid, cmd))
    dump, have, counters = dumps[(pid, cmd)]
    say(True, "%s: its dump is there (%s)" % (what, dump))
    wrong = ["%s %d, expected %d" % (f, have.get(f, (0, 0))[0], c)
             for f, (c, a) in sorted(want.items()) if have.get(f, (0, 0))[0] != c]
    say(not wrong, "%s: calls of every function exact%s" % (what, wrong and ": " + "; ".join(wrong) or ""))
    wrong = ["%s %d, expected %d" % (f, have.get(f, (0, 0))[1], a)
             for f, (c, a) in sorted(want.items()) if have.get(f, (0, 0))[1] != a]
    say(not wrong, "%s: abandoned frames of every function exact%s" % (what, wrong and ": " + "; ".join(wrong) or ""))
    extra = sorted(set(have) - set(want))
    say(not extra, "%s: no function it did not call%s" % (what, extra and ": " + ", ".join(extra) or ""))
    bad = ["%s=%d" % (k, counters.get(k, 0)) for k in
           ("stack_overflows", "unmatched_exits", "dropped_functions", "threads_dropped")
           if counters.get(k, 0)]
    total = sum(a for c, a in want.values())
    if counters.get("abandoned_frames", 0) != total:
        bad.append("abandoned_frames=%d, expected %d" % (counters.get("abandoned_frames", 0), total))
    say(not bad, "%s: nothing dropped, overflowed or unmatched%s" % (what, bad and ": " + ", ".join(bad) or ""))

extra = sorted(v[0] for k, v in dumps.items() if k not in matched and v[1])
say(not extra, "no dump of a process that wrote nothing down%s" % (extra and ": " + ", ".join(extra) or ""))
PY
while IFS='|' read -r verdict text; do
	case $verdict in
	ok) ok "$text" ;;
	"not ok") not_ok "$text" ;;
	note) echo "# $text" ;;
	*) not_ok "the checker said: $verdict $text" ;;
	esac
done <verdicts.txt
if grep -q 'dl_reuse=1' verdicts.txt; then
	ok "dlopen: libtorture_b.so took the address libtorture_a.so had"
else
	skip "dlopen: libtorture_b.so did not take libtorture_a.so's address here (counts checked all the same)"
fi
