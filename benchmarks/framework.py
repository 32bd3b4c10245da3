"""One result row per figure, one table, one JSON file.

Figures are ratios against a baseline measured in the same run, or distributions (p50/p99, worst stall):
these machines are shared and noisy, so a raw time is never a pass/fail verdict.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str
    baseline: float | None
    ratio: float | None
    budget: str
    ok: bool | None
    note: str = ""


def ratio_figure(name: str, value: float, baseline: float, unit: str, max_ratio: float, note: str = "") -> Figure:
    ratio = value / baseline if baseline else None
    return Figure(
        name,
        round(value, 4),
        unit,
        round(baseline, 4),
        None if ratio is None else round(ratio, 3),
        f"<= {max_ratio}x",
        None if ratio is None else ratio <= max_ratio,
        note,
    )


def limit_figure(
    name: str, value: float, unit: str, limit: float, baseline: float | None = None, note: str = ""
) -> Figure:
    ratio = value / baseline if baseline else None
    return Figure(
        name,
        round(value, 4),
        unit,
        None if baseline is None else round(baseline, 4),
        None if ratio is None else round(ratio, 3),
        f"<= {limit} {unit}",
        value <= limit,
        note,
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def print_table(figures: list[Figure], flush: bool = False) -> None:
    header = ("name", "value", "unit", "baseline", "ratio", "budget", "ok")
    rows = [header] + [
        (
            f.name,
            _fmt(f.value),
            f.unit,
            _fmt(f.baseline),
            _fmt(f.ratio),
            f.budget,
            {True: "ok", False: "MISSED", None: "-"}[f.ok],
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    for index, row in enumerate(rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)), flush=flush)
        if index == 0:
            print("  ".join("-" * w for w in widths), flush=flush)


def write_results(figures: list[Figure], path: Path) -> None:
    path.write_text(json.dumps([asdict(f) for f in figures], indent=2))


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


Benchmark = Callable[[bool], list[Figure]]
