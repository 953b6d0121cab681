#!/usr/bin/env python3
# accflat.py - the entries of a JSON report (paraprof-report --format json),
# one a line, for bench/accuracy.sh to read with awk:
#
#   NAME KIND calls=N total_ns=N self_ns=N avg_ns=N p50_ns=N cpu_ns=N cpu_wall_ns=N
#
# An entry's name has no spaces in the reports of tests/progs/accuracy.c (C
# functions and libc calls); a field the entry lacks is left out.
import json
import sys

FIELDS = ("calls", "total_ns", "self_ns", "avg_ns", "p50_ns", "cpu_ns", "cpu_wall_ns")

with open(sys.argv[1]) as f:
    doc = json.load(f)
for entry in doc["functions"]:
    print(entry["name"].replace(" ", "_"), entry["kind"],
          *("%s=%s" % (k, entry[k]) for k in FIELDS if k in entry))
