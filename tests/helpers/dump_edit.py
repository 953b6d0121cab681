#!/usr/bin/env python3
# dump_edit.py - damages a paraprof dump or segment in place, for the tests
# of hostile and damaged files.  Offsets come from the caller (tests/lib.sh
# has them from format.h: offsetof_header_used_size, ...).
#
# Usage: dump_edit.py put64 FILE OFFSET VALUE
#            writes VALUE as a little-endian 64-bit integer at byte OFFSET
#        dump_edit.py bump-calls FILE THREAD_OFF THREAD_COUNT THREAD_SIZE
#                     THREAD_RECORDS RECORD_CALLS
#            gives the newest record of the first thread area that has one a
#            call more than its histogram holds; the arguments are the
#            offsets of header.thread_off and header.thread_count, the size
#            of a thread area, and the offsets of its `records` and of a
#            record's `calls`
import struct
import sys


def put64(path, offset, value):
    with open(path, "r+b") as f:
        f.seek(int(offset))
        f.write(struct.pack("<Q", int(value)))


def bump_calls(path, toff, tcount, tsize, trec, rcalls):
    toff, tcount, tsize, trec, rcalls = map(int, (toff, tcount, tsize, trec, rcalls))
    with open(path, "r+b") as f:
        data = f.read()
        base = struct.unpack_from("<Q", data, toff)[0]
        count = struct.unpack_from("<I", data, tcount)[0]
        for t in range(count):
            head = struct.unpack_from("<Q", data, base + t * tsize + trec)[0]
            if head:
                calls = struct.unpack_from("<Q", data, head + rcalls)[0]
                f.seek(head + rcalls)
                f.write(struct.pack("<Q", calls + 1))
                break


EDITS = {"put64": (put64, 3), "bump-calls": (bump_calls, 6)}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in EDITS or len(sys.argv) != 2 + EDITS[sys.argv[1]][1]:
        sys.exit("usage: dump_edit.py put64 FILE OFFSET VALUE | "
                 "dump_edit.py bump-calls FILE THREAD_OFF THREAD_COUNT THREAD_SIZE "
                 "THREAD_RECORDS RECORD_CALLS")
    EDITS[sys.argv[1]][0](*sys.argv[2:])
