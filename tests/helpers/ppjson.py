#!/usr/bin/env python3
# ppjson.py - reads a JSON document (paraprof-report --format json, or what
# the example server answers) for the shell tests; tests/lib.sh calls it as
# the function ppjson.
#
# Usage: ppjson.py FILE [QUERY ARGS...]      FILE "-" is standard input
#
#   (no query)                     exit 0 when FILE parses as JSON, 1 when not
#   value PATH...                  the values at the PATHs, on one line
#   rows LIST [KEY=VALUE...] FIELD...
#                                  for each entry of the list at LIST whose
#                                  KEYs have those VALUEs: its FIELDs on one
#                                  line ("" for a field it lacks)
#   sum LIST FIELD [KEY=VALUE...]  the sum of FIELD over those entries (0: none)
#   paths FIELD...                 for each node of the report's "paths" (flat,
#                                  with parent ids): its path "main;a;c" and its
#                                  FIELDs on one line; exit 1 when a node comes
#                                  before its parent or names a missing one
#
# A PATH, LIST or FIELD is dotted, list indices being numbers:
# processes.0.pid, status.2xx; "." is the document itself.  Values print as
# Python prints them (True, False, 12) and a line's values are separated by
# spaces.  Exit status 1 when FILE does not parse or a PATH is not there.
import json
import sys


def walk(doc, path):
    """The value at the dotted `path` in `doc`; KeyError/IndexError when absent."""
    if path == ".":
        return doc
    for key in path.split("."):
        doc = doc[int(key)] if isinstance(doc, list) else doc[key]
    return doc


def entries(doc, path, selectors):
    """The entries of the list at `path` whose fields match every KEY=VALUE."""
    wanted = [s.split("=", 1) for s in selectors]
    for entry in walk(doc, path):
        if all(str(entry.get(k)) == v for k, v in wanted):
            yield entry


def field(entry, path):
    try:
        return walk(entry, path)
    except (KeyError, IndexError, TypeError):
        return ""


def paths(doc, fields):
    """Prints each node of doc["paths"]: its path "a;b;c" and its `fields`.
    A node must come after its parent (KeyError otherwise)."""
    seen = {}
    for node in doc["paths"]:
        parent = node["parent"]
        prefix = "" if parent is None else seen[parent] + ";"
        seen[node["id"]] = prefix + node["name"]
        print(seen[node["id"]], *(field(node, f) for f in fields))


def main(argv):
    if len(argv) < 2:
        sys.exit("usage: ppjson.py FILE [value PATH... | rows LIST [KEY=VALUE...] FIELD... | "
                 "sum LIST FIELD [KEY=VALUE...] | paths FIELD...]")
    try:
        doc = json.load(sys.stdin if argv[1] == "-" else open(argv[1]))
    except (OSError, ValueError) as e:
        print("ppjson.py: %s: %s" % (argv[1], e), file=sys.stderr)
        return 1
    query, args = (argv[2], argv[3:]) if len(argv) > 2 else (None, [])
    try:
        if query is None:
            pass
        elif query == "value":
            print(*(walk(doc, p) for p in args))
        elif query == "rows":
            selectors = [a for a in args[1:] if "=" in a]
            fields = [a for a in args[1:] if "=" not in a]
            for entry in entries(doc, args[0], selectors):
                print(*(field(entry, f) for f in fields))
        elif query == "paths":
            paths(doc, args)
        elif query == "sum":
            print(sum(field(e, args[1]) or 0 for e in entries(doc, args[0], args[2:])))
        else:
            print("ppjson.py: unknown query %s" % query, file=sys.stderr)
            return 2
    except (KeyError, IndexError, TypeError) as e:
        print("ppjson.py: %s: no %s" % (argv[1], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
