#!/usr/bin/env python3
"""Sums test results over meson test logs.

Criterion executables report "Tested: N | Passing: N | Failing: N | Crashing: N"
and skipped tests as "Skipped"; other tests (fuzz replays) count as one each.
Prints one line per build and a closing 'N passed, N failed, N skipped' line.
"""
import json
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")
SKIP = re.compile(r"^\[SKIP\]", re.M)


def summarize(path):
    passed = failed = skipped = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            t = json.loads(line)
            out = (t.get("stdout") or "") + (t.get("stderr") or "")
            m = SYNTH.search(out)
            ok = t.get("result") in ("OK", "EXPECTEDFAIL")
            if m:
                tested, passing, failing, crashing = map(int, m.groups())
                skipped += len(SKIP.findall(out))
                passed += passing
                failed += failing + crashing
                if not ok and failing + crashing == 0:
                    failed += 1  # the executable failed outside any test
            elif t.get("result") == "SKIP":
                skipped += 1
            elif ok:
                passed += 1
            else:
                failed += 1
    return passed, failed, skipped


def main():
    total = [0, 0, 0]
    for path in sys.argv[1:]:
        p, f, s = summarize(path)
        print(f"{path.split('/')[0]}: {p} passed, {f} failed, {s} skipped")
        total = [total[0] + p, total[1] + f, total[2] + s]
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
