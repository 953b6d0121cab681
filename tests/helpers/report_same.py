#!/usr/bin/env python3
# report_same.py - compares two JSON reports (paraprof-report --format json)
# field by field, for report_names.sh: the report of a merged dump against
# the report of its inputs merged on the fly.
#
# Usage: report_same.py A.json B.json
#
# Left out of the comparison: "generated_at" (the time of each run) and
# "processes" (the inputs' pids, sources and start times, where a merged
# dump has one process of its own: paraprof-report(1) says what its header
# holds).  The call paths are compared by their name path ("main;a;c"), not
# by their ids.  Prints each difference ("PATH: A != B") and exits 1 when
# there is one, 0 when the two are the same.
import json
import sys


def by_name_path(paths):
    """The nodes of a report's "paths", keyed by "main;a;c" (ids dropped)."""
    by_id = {p["id"]: p for p in paths}
    out = {}
    for p in paths:
        names, q = [], p
        while q is not None:
            names.append(q["name"] + ("[cut]" if q.get("cut") else ""))
            q = by_id.get(q.get("parent"))
        key = ";".join(reversed(names))
        node = {k: v for k, v in p.items() if k not in ("id", "parent")}
        out[key] = node
    return out


def diff(a, b, where, out):
    """Appends to `out` every place where a and b differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{where}.{k}: only in {'B' if k not in a else 'A'}")
            else:
                diff(a[k], b[k], f"{where}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{where}: {len(a)} items != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{where}.{i}", out)
    elif a != b:
        out.append(f"{where}: {a!r} != {b!r}")


def main():
    docs = []
    for name in sys.argv[1:3]:
        with open(name) as f:
            doc = json.load(f)
        doc.pop("generated_at", None)
        doc.pop("processes", None)
        if isinstance(doc.get("paths"), list):
            doc["paths"] = by_name_path(doc["paths"])
        docs.append(doc)
    out = []
    diff(docs[0], docs[1], "", out)
    for line in out:
        print(line)
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main())
