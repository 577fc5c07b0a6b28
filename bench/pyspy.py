"""py-spy for the benchmark: where its binary is, and a summary of its raw (collapsed) stacks."""

import collections
import sys
from pathlib import Path

from bench.servers import BASE_DIR

PY_SPY = str(Path(sys.executable).parent / "py-spy")


def _function(frame: str) -> str:
    """`name (path:line)` -> `name (short path)`: one entry per function, whichever line was running."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "lib/python3.11/", str(BASE_DIR) + "/"):
        path = path.split(marker, 1)[-1]
    return f"{name} ({path})"


def summarise(raw: Path, top: int = 45) -> str:
    """Inclusive and own sample shares per function from py-spy's collapsed stacks (`frame;frame;... count`)."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [_function(frame) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{total} samples\n", "## inclusive (the function and what it calls)"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    lines += ["", "## own (samples in the function itself)"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines) + "\n"
