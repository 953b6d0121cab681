#!/usr/bin/env python3
# torture_check.py - the verdicts of runtime_torture.sh: every process image
# of tests/progs/torture wrote down its exact calls and abandoned frames per
# function (EXP_DIR/expect.<pid>.<role>); each must have its dump in OUT_DIR,
# read whole by paraprof-report, with exactly those counts, no function
# more, and nothing dropped, overflowed or unmatched.
#
# Usage: torture_check.py EXP_DIR OUT_DIR PARAPROF_REPORT
# Prints one line per verdict, "ok|TEXT" or "not ok|TEXT", and "note|TEXT"
# for what a process noted (dl_reuse=1: the address reuse happened).
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
