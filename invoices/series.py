"""The gap-free yearly series of a company (SPEC S9): invoices F2026-000123, credit notes
AV2026-000007. One rule for both: the company's calendar year in its time zone, the next number
taken under a row lock on the series row, held until the caller's transaction commits (so a
rolled-back issue gives its number back and no number is ever skipped)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sellercloud.models import Company

from .models import InvoiceSequence


def series_year(company: Company, when: datetime) -> int:
    """The year of the series `when` falls in: the calendar year in the company's time zone."""
    return timezone.localtime(when, ZoneInfo(company.time_zone)).year


def series_number(series: str, year: int, sequence_number: int) -> str:
    """The printed number: F2026-000123, AV2026-000007."""
    return f"{series}{year}-{sequence_number:06d}"


def series_take_next(*, company: Company, series: str, year: int) -> int:
    """The next number of the company's `series` for `year`, counted as used.

    Must run inside the caller's transaction, as its last step before the commit: the row lock
    taken here serialises issues of the company's series until then.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("series_take_next must run inside the transaction that stores the document.")
    InvoiceSequence.objects.bulk_create(
        [InvoiceSequence(company=company, series=series, year=year)], ignore_conflicts=True
    )
    sequence = InvoiceSequence.objects.select_for_update().get(company=company, series=series, year=year)
    InvoiceSequence.objects.filter(pk=sequence.pk).update(next_number=F("next_number") + 1)
    return sequence.next_number
