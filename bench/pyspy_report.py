#!/usr/bin/env python3
"""Summarise a py-spy "raw" (collapsed stacks) profile: self and inclusive share per function.

python bench/pyspy_report.py profile.txt [--top 30] [--filter causerie]
"""

from __future__ import annotations

import argparse
from collections import Counter


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("path")
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--filter", default="", help="only list functions whose frame contains this text")
    args = p.parse_args()
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    with open(args.path) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            count = int(n)
            total += count
            frames = stack.split(";")
            if frames:
                own[frames[-1]] += count
            for fr in set(frames):
                incl[fr] += count
    print(f"{total} samples")
    for title, counter in (("self", own), ("inclusive", incl)):
        print(f"\n== {title} ==")
        shown = 0
        for fr, c in counter.most_common():
            if args.filter and args.filter not in fr:
                continue
            print(f"{100 * c / total:6.1f}%  {fr}")
            shown += 1
            if shown >= args.top:
                break


if __name__ == "__main__":
    main()
