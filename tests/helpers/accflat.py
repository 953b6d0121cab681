#!/usr/bin/env python3
# accflat.py - the entries of JSON reports (paraprof-report --format json)
# as lines for bench/accuracy.sh to read with awk: for each FILE.json given,
# FILE.txt with one line per entry,
#
#   NAME KIND calls=N total_ns=N self_ns=N avg_ns=N p50_ns=N cpu_ns=N cpu_wall_ns=N
#
# (a field the entry lacks left out; a space in a name becomes "_", though
# the names of tests/progs/accuracy.c's entries, C functions and libc calls,
# have none).  One run for every report: a Python start-up costs more than
# a report.
import json
import sys

FIELDS = ("calls", "total_ns", "self_ns", "avg_ns", "p50_ns", "cpu_ns", "cpu_wall_ns")

for path in sys.argv[1:]:
    with open(path) as f:
        doc = json.load(f)
    with open(path[: -len(".json")] + ".txt", "w") as out:
        for entry in doc["functions"]:
            print(entry["name"].replace(" ", "_"), entry["kind"],
                  *("%s=%s" % (k, entry[k]) for k in FIELDS if k in entry), file=out)
