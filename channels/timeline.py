"""The Sync Log's coverage timeline drawn on the server: positions of the SVG shapes for one
account's Coverage (channels.ledger). The template only writes them out: no script, no inline
style, so it works under the app's Content-Security-Policy; colours come from the stylesheet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .ledger import Coverage, Span

WIDTH = 1000.0  # the viewBox's width; the SVG scales to its panel
BAR_Y, BAR_H = 18.0, 22.0
HEIGHT = 58.0
MIN_GAP_WIDTH = 3.0  # a short gap stays visible


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    title: str  # shown on hover (<title>) and read by screen readers


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: float
    height: float
    bar_y: float
    bar_h: float
    covered: list[Bar]
    gaps: list[Bar]
    ticks: list[Tick]
    summary: str  # the SVG's accessible name


def _fmt(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%d/%m %H:%M")


def span_label(span: Span, tz: ZoneInfo) -> str:
    hours = span.duration.total_seconds() / 3600
    length = f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"
    return f"{_fmt(span.start, tz)} → {_fmt(span.end, tz)} ({length})"


def timeline(coverage: Coverage, tz: ZoneInfo) -> Timeline:
    """Covered spans and gaps placed on [since, until], with a tick at each local midnight."""
    total = (coverage.until - coverage.since).total_seconds() or 1.0

    def x_of(moment: datetime) -> float:
        return round(WIDTH * (moment - coverage.since).total_seconds() / total, 2)

    def bar(span: Span, minimum: float, prefix: str) -> Bar:
        x = x_of(span.start)
        return Bar(x=x, width=max(minimum, round(x_of(span.end) - x, 2)), title=f"{prefix}: {span_label(span, tz)}")

    ticks = []
    day = datetime.combine(coverage.since.astimezone(tz).date() + timedelta(days=1), time.min, tzinfo=tz)
    while day < coverage.until:
        ticks.append(Tick(x=x_of(day), label=day.strftime("%d/%m")))
        day = datetime.combine(day.date() + timedelta(days=1), time.min, tzinfo=tz)
    gaps = len(coverage.gaps)
    summary = f"Download windows from {_fmt(coverage.since, tz)} to {_fmt(coverage.until, tz)}: " + (
        f"{gaps} gap{'s' if gaps != 1 else ''}" if gaps else "no gap"
    )
    return Timeline(
        width=WIDTH,
        height=HEIGHT,
        bar_y=BAR_Y,
        bar_h=BAR_H,
        covered=[bar(span, 0.5, "Covered") for span in coverage.covered],
        gaps=[bar(span, MIN_GAP_WIDTH, "Gap") for span in coverage.gaps],
        ticks=ticks,
        summary=summary,
    )
