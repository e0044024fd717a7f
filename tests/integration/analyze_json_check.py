#!/usr/bin/env python3
# tests/integration/analyze_json_check.py - compares `dumpwalk analyze
# --format json` with an oracle, for analyze_test.c.
#   snap OURS SNAP: every key rust-minidump's JSON snapshot and ours both have
#                   (recursively; a null in the snapshot means "not known to
#                   it" only for keys we do not emit) must carry the same value.
#   corpus OURS EXPECTED: each thread of the program's expected.json has its
#                   frames ("module!function") as an ordered subsequence of ours, our
#                   frames in modules without symbols left out.
# Prints what differs and exits 1.
import json, sys

def load_snap(p):
    text = open(p, encoding="utf-8").read()
    return json.loads(text[text.index("\n{") + 1:])

def cmp(a, b, path, bad):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in b:
            if k in a:
                cmp(a[k], b[k], path + "." + k, bad)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            bad.append("%s: %d items, oracle %d" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            cmp(x, y, "%s[%d]" % (path, i), bad)
    elif a != b:
        bad.append("%s: %r, oracle %r" % (path, a, b))

def snap(ours, oracle):
    a, b = json.load(open(ours)), load_snap(oracle)
    # Modules: minidump-stackwalk's order is the dump's, as ours; compare by name too.
    bad = []
    cmp(a, b, "", bad)
    return bad

def corpus(ours, expected):
    a, e = json.load(open(ours)), json.load(open(expected))
    bad = []
    by_id = {t["thread_id"]: t for t in a["threads"]}
    for t in e.get("threads", []):
        want = t.get("frames", [])
        got = by_id.get(t["id"])
        if got is None:
            bad.append("thread %d missing" % t["id"])
            continue
        # expected.json names the program's own frames (system DLLs carry no
        # symbols here) and a frame outside every module by its address.
        names = []
        for f in got["frames"]:
            if f["module"] is None:
                names.append("0x%x" % int(f["offset"], 16))
            elif f["function"] is not None:
                names.append("%s!%s" % (f["module"], f["function"]))
        # An ordered subsequence (tests/corpus/README.md): runtime frames
        # (libstdc++'s terminate path under a C++ throw) may sit between.
        it = iter(names)
        if not all(w in it for w in want):
            bad.append("thread %d: %s, expected %s as a subsequence" % (t["id"], names, want))
    return bad

if __name__ == "__main__":
    bad = (snap if sys.argv[1] == "snap" else corpus)(sys.argv[2], sys.argv[3])
    for b in bad:
        print(b)
    sys.exit(1 if bad else 0)
