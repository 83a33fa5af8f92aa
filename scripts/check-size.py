#!/usr/bin/env python3
"""scripts/check-size.py: the size rules CONTRIBUTING.md states, checked.

No function in harness/ over 100 lines and at most five over 80, each of those with a
comment line "long: <why>" in the ten lines above it; none in reports/ over 150; no C
file in either over 900 lines. A function is counted from the line of its opening
brace at column 0 to its closing brace at column 0 (the layout .clang-format writes).
--list prints every function over 60 lines."""
import glob
import os
import re
import sys

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
LIMITS = {"harness": (100, 80, 5), "reports": (150, 150, 0)}
FILE_LIMIT = 900
name_re = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def functions(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    start = None
    for i, line in enumerate(lines):
        if line == "{" and start is None:
            start = i
        elif line == "}" and start is not None:
            sig = start - 1
            while sig > 0 and lines[sig][:1] in (" ", "\t", ")"):
                sig -= 1
            m = name_re.findall(" ".join(lines[sig:start]))
            name = m[0] if m else "?"
            above = "\n".join(lines[max(0, start - 12):start])
            yield name, start + 1, i - start + 1, "long:" in above
            start = None


def main():
    listing = "--list" in sys.argv
    bad = []
    for d, (hard, soft, allowed) in LIMITS.items():
        over_soft = []
        for path in sorted(glob.glob(d + "/*.c")):
            n = sum(1 for _ in open(path, encoding="utf-8"))
            if n > FILE_LIMIT:
                bad.append(f"{path}: {n} lines (limit {FILE_LIMIT})")
            for name, line, length, why in functions(path):
                if listing and length > 60:
                    print(f"{path}:{line}: {name} {length}")
                if length > hard:
                    bad.append(f"{path}:{line}: {name} is {length} lines (limit {hard})")
                elif length > soft:
                    over_soft.append((path, line, name, length))
                    if not why:
                        bad.append(f"{path}:{line}: {name} is {length} lines (over {soft}) "
                                   "with no 'long:' comment saying why")
        if len(over_soft) > allowed:
            bad.append(f"{d}/: {len(over_soft)} functions over {soft} lines (at most {allowed}): "
                       + ", ".join(f"{n} ({l})" for _, _, n, l in over_soft))
    for b in bad:
        print("check-size: " + b)
    if bad:
        sys.exit(1)
    print("check-size: functions and files within the limits")


main()
