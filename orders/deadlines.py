"""Ship-by deadlines: the orders still to ship that are past their Ship By date, and those due
by the end of today. The one rule the dashboard's deadline list and Manage Orders' Ship By filter
share, so a dashboard link lists exactly the orders it counted."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from .choices import OPEN_STATUSES, ShippingStatus

LATE = "late"
DUE_TODAY = "today"
CHOICES = [("", "Any"), (LATE, "Late: past Ship By, not shipped"), (DUE_TODAY, "Due today, not shipped")]
# Still to ship: open, nothing shipped. The partial index order_to_ship_idx covers exactly these.
TO_SHIP = Q(status__in=sorted(OPEN_STATUSES), shipping_status=ShippingStatus.UNSHIPPED)


def end_of_today(now: datetime, tz: ZoneInfo) -> datetime:
    """The next midnight in `tz`: "today" is the company's day, not the server's."""
    return datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time.min, tzinfo=tz)


def deadline_q(which: str, *, now: datetime, tz: ZoneInfo) -> Q:
    """The orders of a deadline: LATE (Ship By passed) or DUE_TODAY (Ship By from now to midnight)."""
    if which == LATE:
        return TO_SHIP & Q(ship_by__lt=now)
    return TO_SHIP & Q(ship_by__gte=now, ship_by__lt=end_of_today(now, tz))
