"""Rounds into table rows: medians with min-max, ratios against the baseline, targets met or missed."""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def spread(values: Sequence[float | None], digits: int = 0, scale: float = 1.0) -> str:
    """`median (min-max)` of the rounds, e.g. `13,973 (13,280-14,693)`; rounds that gave no value are skipped."""
    present = [v * scale for v in values if v is not None]
    if not present:
        return "n/a"
    fmt = f"{{:,.{digits}f}}"
    return f"{fmt.format(median(present))} ({fmt.format(min(present))}-{fmt.format(max(present))})"


@dataclass
class Row:
    """One line of the results table."""

    scenario: str
    measured: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""
    rounds: dict[str, Any] = field(default_factory=dict)  # the raw per-round figures, kept in the JSON results


def verdict(met: bool, shortfall: str = "") -> str:
    return "met" if met else f"MISSED{': ' + shortfall if shortfall else ''}"


HEADER = ("scenario", "full path: median (min-max)", "baseline", "ratio", "target", "verdict")


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        cells = (row.scenario, row.measured, row.baseline, row.ratio, row.target, row.verdict)
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines)
