"""Stacked bar charts drawn on the server: the positions of the SVG shapes, so the template writes
them out with no script and no inline style (the app's Content-Security-Policy). Colours come from
the stylesheet, by series key."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

# The viewBox: the SVG scales to its half of the panel (about 550 px), so the text stays readable.
WIDTH, HEIGHT = 600.0, 170.0
LEFT, RIGHT, TOP, BOTTOM = 30.0, 4.0, 8.0, 20.0  # room for the axis labels


@dataclass(frozen=True)
class Segment:
    key: str  # the series, also the CSS class suffix
    y: float
    height: float
    title: str


@dataclass(frozen=True)
class Column:
    x: float
    width: float
    label: str  # under the column, every few days
    total: int
    segments: list[Segment]
    label_x: float = 0.0
    label_anchor: str = "start"  # the last day's label ends at the plot's edge, not past it


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    columns: list[Column]
    legend: list[tuple[str, str, int]]  # key, label, total over the period
    grid: list[tuple[float, int]]  # y, value
    baseline: float
    summary: str


def _nice_ceiling(value: int) -> int:
    """A round top for the axis: 1, 2, 5, 10, 20, 50..."""
    if value <= 0:
        return 1
    power = 10 ** int(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def stacked_bars(
    days: list[date], counts: dict[tuple[date, str], int], series: list[tuple[str, str]], *, title: str
) -> Chart:
    """One column per day, stacked by series (key, label) in the given order."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = [sum(counts.get((day, key), 0) for key, _ in series) for day in days]
    top = _nice_ceiling(max(totals, default=0))
    step = plot_w / max(1, len(days))
    columns = []
    for index, (day, total) in enumerate(zip(days, totals, strict=True)):
        y = TOP + plot_h
        segments = []
        for key, label in series:
            n = counts.get((day, key), 0)
            if n:
                h = plot_h * n / top
                y -= h
                segments.append(Segment(key, round(y, 2), round(h, 2), f"{day:%d/%m}: {label} {n}"))
        last = index == len(days) - 1
        label = f"{day:%d/%m}" if (len(days) - 1 - index) % 5 == 0 else ""  # today, then every 5 days back
        x = round(LEFT + index * step + 1, 2)
        label_x, anchor = (WIDTH - RIGHT, "end") if last else (x, "start")
        columns.append(Column(x, round(step - 2, 2), label, total, segments, label_x, anchor))
    legend = [(key, label, sum(counts.get((day, key), 0) for day in days)) for key, label in series]
    marks = (0, top // 2, top) if top % 2 == 0 else (0, top)  # whole numbers only
    grid = [(round(TOP + plot_h * (1 - n / top), 2), n) for n in marks]
    summary = f"{title}: {sum(totals)} orders over {len(days)} days, " + ", ".join(
        f"{label} {n}" for _, label, n in legend if n
    )
    return Chart(WIDTH, HEIGHT, columns, [item for item in legend if item[2]], grid, TOP + plot_h, summary)
