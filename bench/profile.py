"""`python -m bench.profile FILE [--top N] [--under NAME]`: read a py-spy raw profile (``python
-m bench --profile DIR`` writes one per run) and print the functions that hold the most samples
inside a request (gunicorn's ``handle_request``), each with its share, inclusive of callees."""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


def inclusive(path: Path, under: str) -> tuple[Counter[str], int]:
    shares: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_LINE.sub(")", frame) for frame in stack.split(";")]
        starts = [i for i, frame in enumerate(frames) if frame.startswith(under)]
        if not starts:
            continue
        samples = int(count)
        total += samples
        for frame in set(frames[starts[0] :]):
            shares[frame] += samples
    return shares, total


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--under", default="SyncWorker.handle_request")
    args = parser.parse_args()
    shares, total = inclusive(args.file, args.under)
    print(f"{total} samples under {args.under}")
    for frame, samples in shares.most_common(args.top):
        print(f"{samples / total:6.1%}  {frame}")


if __name__ == "__main__":
    main()
