"""The import ledger: which spans of `updatedAt` the account's successful downloads covered, and
the gaps between them (issue 23).

A gap is time since the account's first download that no Completed or Partial Success window
covers. A Failed run between two good ones leaves none: the watermark did not move, so the next
good run reads its window again. The span after the last good window is a gap only once it is
older than the schedule explains (downloads switched off, or failing for a while); a younger
one is simply not due yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone

from .models import CdiscountAccount, SyncRun

DEFAULT_DAYS = 7
MAX_DAYS = 90  # the Sync Log keeps runs this long by default (SYNC_RUN_RETENTION_DAYS)
# Spans shorter than this are rounding, not missed orders.
TOLERANCE = timedelta(seconds=1)


@dataclass(frozen=True)
class Span:
    """[start, end) of `updatedAt`, in UTC."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Coverage:
    """What the timeline of one account shows over [since, until)."""

    account: CdiscountAccount
    since: datetime
    until: datetime
    covered: list[Span]
    gaps: list[Span]
    first_download: datetime | None


def _good_windows() -> Q:
    # One-order downloads have no window; backfills count: they read their span as well.
    return Q(
        kind=SyncRun.Kind.DOWNLOAD,
        status__in=SyncRun.SUCCESS_STATUSES,
        channel_order_id="",
        window_from__isnull=False,
        window_to__isnull=False,
    )


def merge(spans: list[Span]) -> list[Span]:
    """The union of `spans`, as disjoint spans in order."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if merged and span.start <= merged[-1].end + TOLERANCE:
            if span.end > merged[-1].end:
                merged[-1] = Span(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def uncovered(covered: list[Span], start: datetime, end: datetime) -> list[Span]:
    """The parts of [start, end) outside the disjoint, ordered `covered` spans."""
    holes = []
    cursor = start
    for span in covered:
        if span.end <= cursor:
            continue
        if span.start >= end:
            break
        if span.start - cursor > TOLERANCE:
            holes.append(Span(cursor, span.start))
        cursor = max(cursor, span.end)
    if end - cursor > TOLERANCE:
        holes.append(Span(cursor, end))
    return holes


def grace(account: CdiscountAccount) -> timedelta:
    """How long after the last good window's end the next one may still be on its way: two
    intervals of the schedule, plus the time after which a silent run is taken for dead."""
    return timedelta(minutes=2 * account.download_interval_minutes, seconds=settings.DOWNLOAD_STALE_SECONDS)


def account_coverage(*, account: CdiscountAccount, days: int = DEFAULT_DAYS, now: datetime | None = None) -> Coverage:
    """The account's covered spans and gaps over the last `days` days (not before its first
    download). The span after the last window is a gap only past the grace (see `grace`)."""
    now = now or timezone.now()
    runs = SyncRun.objects.filter(_good_windows(), account=account)
    first = runs.aggregate(first=Min("window_from"))["first"]
    since = now - timedelta(days=days)
    if first is None:
        return Coverage(account=account, since=since, until=now, covered=[], gaps=[], first_download=None)
    start = max(since, first)
    rows = runs.filter(window_to__gt=start, window_from__lt=now).values_list("window_from", "window_to")
    covered = merge([Span(max(a, start), min(b, now)) for a, b in rows if a is not None and b is not None])
    gaps = uncovered(covered, start, now)
    trailing = gaps and covered and gaps[-1].end == now and gaps[-1].start >= covered[-1].end
    if trailing and gaps[-1].duration <= grace(account):
        gaps.pop()  # the next scheduled run is still due to cover it
    return Coverage(account=account, since=since, until=now, covered=covered, gaps=gaps, first_download=first)


def gap_containing(*, account: CdiscountAccount, span: Span, now: datetime | None = None) -> Span | None:
    """The current gap that holds `span` (a gap the page showed), or None once it is closed."""
    now = now or timezone.now()
    days = max(1, min(MAX_DAYS, (now - span.start).days + 1))
    for gap in account_coverage(account=account, days=days, now=now).gaps:
        # A trailing gap only grew since the page was drawn (it ends now).
        if gap.start - TOLERANCE <= span.start and span.end <= gap.end + TOLERANCE:
            return gap
    return None
