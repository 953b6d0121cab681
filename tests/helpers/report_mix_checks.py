#!/usr/bin/env python3
# report_mix_checks.py - report_basic.sh's checks of paraprof-report on a
# run of tests/progs/report_mix, against what the program measured itself
# (MIX_OUT: "fn NAME CALLS TOTAL_NS" per function, "mixed NS" per call of
# mixed()).  Prints one "ok - ..." or "not ok - ..." line per check.
#
# Usage: report_mix_checks.py json REPORT.json REPORT.txt MIX_OUT
#            the JSON report: exact calls, averages, the same entries,
#            sections and calls as the text report, --check passing
#        report_mix_checks.py timing REPORT.json MIX_OUT
#            p50, p95, p99, min and max of mixed() against its exact ones
#        report_mix_checks.py csv REPORT.csv REPORT.json
#            the CSV rows are the JSON functions, in order, with their calls
import csv
import json
import re
import sys


def ok(cond, what):
    print(("ok - " if cond else "not ok - ") + what)


def check_json(report_json, report_txt, mix_out):
    doc = json.load(open(report_json))
    text = open(report_txt).read()
    f = {e["name"]: e for e in doc["functions"]}
    ok(doc["format_version"] == 1, "json: format_version 1")
    ok(f["fast"]["calls"] == 1000 and f["mixed"]["calls"] == 100, "json: exact call counts")
    # every function's average against the one it measured
    for l in open(mix_out):
        w = l.split()
        if w[0] != "fn": continue
        avg = int(w[3]) / int(w[2])
        ok(f[w[1]]["calls"] == int(w[2]) and abs(f[w[1]]["avg_ns"] - avg) <= avg * 0.005 + 20000,
           "json: average of %s %d, measured %d" % (w[1], f[w[1]]["avg_ns"], avg))
    # agrees with the text: same entries, same sections, same call counts
    cur = None; seen = {}
    for line in text.splitlines():
        s = re.match(r"^(CRITICAL|HIGH|MEDIUM|LOW) Severity", line)
        if s: cur = s.group(1); continue
        if cur and line in f: seen[line] = cur
    ok(seen == {n: e["severity"] for n, e in f.items()}, "json and text: same entries in the same sections")
    for n, e in f.items():
        # the name's line, then its row: Calls (thousands separated) first
        ok(re.search(r"^%s\n +%s  " % (re.escape(n), format(e["calls"], ",")), text, re.M) is not None,
           "json and text: calls of %s" % n)
    ok(doc["check"]["pass"] is True and doc["check"]["judged_what"] == "functions", "json: check passes at the default targets")


def check_timing(timing_json, mix_out):
    f = {e["name"]: e for e in json.load(open(timing_json))["functions"]}
    m = f["mixed"]
    # 95 calls of >= 1 ms and 5 of >= 10 ms.  The program measured each call
    # itself: the exact nearest-rank quantiles of those, against the report's,
    # within the histogram's 1/128, plus 0.5 % for the runtime's clock against
    # clock_gettime and 20 us for the hooks around the call.
    own = sorted(int(l.split()[1]) for l in open(mix_out) if l.startswith("mixed "))
    def exact(q): return own[max(1, -(-len(own) * q // 100)) - 1]
    for q, key in ((95, "p95_ns"), (99, "p99_ns"), (50, "p50_ns")):
        want = exact(q)
        ok(len(own) == 100 and abs(m[key] - want) <= want / 128 + want * 0.005 + 20000,
           "json: %s of mixed %d, exact %d" % (key, m[key], want))
    # p95 is in the 1 ms class, not the 10 ms one (a 1 ms sleep may well take
    # 1.03 ms; the check against the exact value above is the precise one),
    # unless the machine really made a 1 ms call last 2 ms or more
    ok(own[94] >= 2000000 or m["p95_ns"] < 2000000,
       "json: p95 of mixed is ~1 ms (%d)" % m["p95_ns"])
    ok(m["p99_ns"] >= 10000000 * (1 - 1/128), "json: p99 of mixed is ~10 ms or more (%d)" % m["p99_ns"])
    # min and max against the program's own: the runtime's clock (a calibrated
    # TSC) may differ from clock_gettime by a little, allowed 0.5 %
    ok(abs(m["min_ns"] - own[0]) <= own[0] * 0.005 + 20000 and
       abs(m["max_ns"] - own[-1]) <= own[-1] * 0.005 + 20000,
       "json: min %d and max %d of mixed, measured %d and %d" % (m["min_ns"], m["max_ns"], own[0], own[-1]))


def check_csv(report_csv, report_json):
    # the rows of kind "hidden" count what the filters hide; they are no entries
    rows = [r for r in csv.DictReader(open(report_csv, newline="")) if r["kind"] != "hidden"]
    doc = json.load(open(report_json))
    good = [r["name"] for r in rows] == [e["name"] for e in doc["functions"]]
    print(("ok" if good else "not ok") + " - report_basic: csv rows are the json functions, in order")
    calls = {r["name"]: int(r["calls"]) for r in rows}
    print(("ok" if calls.get("fast") == 1000 else "not ok") + " - report_basic: csv calls of fast")


CHECKS = {"json": check_json, "timing": check_timing, "csv": check_csv}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CHECKS:
        sys.exit("usage: report_mix_checks.py json|timing|csv FILES...")
    CHECKS[sys.argv[1]](*sys.argv[2:])
