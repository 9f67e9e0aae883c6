"""Import Tracking (SPEC S8): a CSV of shipments, each row a Ship Order with the same rules.

The file: a header row, then one row per order, with the columns Order ID or Channel Order ID,
Carrier, Tracking Number and Ship Date (optional: Service, Tracking URL, Shipping Cost). Column
names are matched loosely ("Tracking #", "tracking_number", "N° de suivi" ...); `;`, `,` or tab
delimited; UTF-8 with or without a BOM (Excel's "CSV UTF-8"), or Windows-1252 (Excel's plain CSV).
Dates as 2026-03-31, 31/03/2026, 31.03.2026 or 31-03-2026 (day first: a French product), with or
without a time; a blank ship date means today in the order's company time zone. Shipping costs as
12.50 or 12,50 (orders.money's rule; spaces and a euro sign are ignored); blank means 0.

Each row is shipped through orders.services.order_ship in its own savepoint: a bad row changes
nothing and does not stop the others. Only orders of the companies where the user may process
orders are found; any other order is "not found", exactly like one that does not exist.

orders.tracking_file reads the file, this module ships one row; orders.tracking_import_jobs runs a whole file as a
background job (a 50,000-row file takes longer than a web request may), row after row, and keeps
the report.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from django.db import transaction

from sellercloud.models import User
from sellercloud.permissions import Permission, user_can, user_companies

from .channel_registry import adapter_for
from .choices import UploadStatus
from .models import Order, Package
from .money import MoneyError, parse_money
from .rules import OrderRuleError
from .services import company_today, order_ship
from .tracking_file import MAX_BYTES, Record, TrackingFile, TrackingImportError, tracking_file_read

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_BYTES",
    "Record",
    "RowOutcome",
    "RowResult",
    "TrackingFile",
    "TrackingImportError",
    "TrackingImportReport",
    "tracking_file_read",
    "tracking_import_companies",
    "tracking_row_import",
]


class RowOutcome(StrEnum):
    SHIPPED = "shipped"
    ERROR = "error"


@dataclass(frozen=True)
class RowResult:
    """One row's result, for the report."""

    row: int  # the row number in the file (the header is row 1)
    order_ref: str  # what the row named: the Order ID or the Channel Order ID
    order_id: int | None  # our order, when found
    outcome: RowOutcome
    message: str
    package_id: int | None = None


@dataclass
class TrackingImportReport:
    """What an import did, row by row."""

    rows: list[RowResult] = field(default_factory=list)

    @property
    def shipped(self) -> int:
        return sum(r.outcome == RowOutcome.SHIPPED for r in self.rows)

    @property
    def errors(self) -> int:
        return sum(r.outcome == RowOutcome.ERROR for r in self.rows)


# csv.Error on a row: a cell over the csv module's limit (128 KB), which a quote left open makes.
UNREADABLE_ROW = (
    'This row cannot be read: a cell is far too long, or a quote (") is opened and never closed. '
    "Correct the row in the spreadsheet and import it again."
)
# A row the database refused for a reason we did not foresee; its words go to the log, not to people.
ROW_NOT_SAVED = (
    "This row could not be saved, so nothing was changed for it. Check its values (carrier, service, "
    "tracking number, tracking URL, ship date, shipping cost) and import the row again, or ship the "
    "order from its page."
)
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%d/%m/%y")


def _parse_date(value: str) -> date:
    text = value.strip().split("T")[0].split(" ")[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise OrderRuleError(f"Ship date “{value.strip()}” is not a date: write it as 2026-03-31 or 31/03/2026.")


def _parse_cost(value: str) -> Decimal:
    # A spreadsheet may write "1 234,50 €" (with a no-break space); the rest is orders.money's rule.
    text = re.sub(r"[ \u00a0\u202f€]", "", value)
    if not text:
        return Decimal("0.00")
    try:
        return parse_money(text, label="Shipping cost")
    except MoneyError as exc:
        raise OrderRuleError(str(exc)) from None


# Order IDs are bigint primary keys. A reference is one only when it is written with 0-9 and fits:
# str.isdigit() also takes "²" and "①" (which int() refuses) and "١٢" (which int() reads as 12).
_ORDER_ID_MAX = 2**63 - 1


def _order_pk(ref: str) -> int | None:
    """The Order ID `ref` writes, or None when it is not one (then it may be a channel order id)."""
    if ref.isascii() and ref.isdecimal() and 0 < int(ref) <= _ORDER_ID_MAX:
        return int(ref)
    return None


# What a package holds (orders.models.Package), checked here so that a row too long for its column
# is told which value to shorten rather than the database's words.
_MAX_LENGTHS = {
    "carrier": ("Carrier", Package._meta.get_field("carrier").max_length),
    "service": ("Service", Package._meta.get_field("service").max_length),
    "tracking_url": ("Tracking URL", Package._meta.get_field("tracking_url").max_length),
}


def _check_lengths(values: dict[str, str]) -> None:
    for name, (label, limit) in _MAX_LENGTHS.items():
        if limit is not None and len(values[name]) > limit:
            raise OrderRuleError(f"{label} is at most {limit} characters: shorten it.")


def _allowed_company_ids(user: User) -> set[int]:
    return {c.pk for c in user_companies(user) if user_can(user, Permission.PROCESS_ORDERS, c)}


def _find_order(*, order_id: str, channel_order_id: str, companies: set[int]) -> Order:
    """The order the row names, among the user's companies; OrderRuleError when there is none
    (an order of another company is "not found" too) or when a channel id names several."""
    orders = Order.objects.filter(company_id__in=companies)
    ref = order_id.strip().lstrip("#")
    if ref:
        if (pk := _order_pk(ref)) is not None:
            order = orders.filter(pk=pk).first()
            if order is not None:
                return order
            if not channel_order_id:
                raise OrderRuleError(f"Order {ref} not found.")
        elif not channel_order_id:
            channel_order_id = ref  # an Order ID column holding marketplace ids
    ref = channel_order_id.strip()
    matches = list(orders.filter(channel_order_id=ref)[:2])
    if not matches:
        raise OrderRuleError(f"Order {ref} not found.")
    if len(matches) > 1:
        raise OrderRuleError(f"Channel order id {ref} matches several orders: use the Order ID column.")
    return matches[0]


def tracking_import_companies(user: User) -> set[int]:
    """The companies whose orders `user` may ship: a row naming any other order is "not found"."""
    return _allowed_company_ids(user)


def tracking_row_import(
    *, record: Record, columns: dict[str, int], companies: set[int], user: User
) -> RowResult | None:
    """Ship the order `record` names (SPEC S8: a Ship Order with the same rules) and say how it went;
    None for a row with every cell blank, which is ignored.

    The row is its own savepoint: a refused row (order not found, On Hold, already shipped, a bad
    tracking number or date...) or a database error leaves no trace and does not break the
    caller's transaction, in which the caller records the result.
    """
    if record.cells is None:
        return RowResult(record.row, "", None, RowOutcome.ERROR, UNREADABLE_ROW)
    if not any(c.strip() for c in record.cells):
        return None
    return _import_row(record.row, record.cells, columns, companies, user)


def _import_row(
    row_number: int, cells: list[str], columns: dict[str, int], companies: set[int], user: User
) -> RowResult:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    order_ref = cell("order_id") or cell("channel_order_id")
    order: Order | None = None
    try:
        # Lookups included: a database error anywhere in the row must not poison the caller's transaction.
        with transaction.atomic():
            if not order_ref:
                raise OrderRuleError("The row names no order: fill in Order ID or Channel Order ID.")
            order = _find_order(
                order_id=cell("order_id"), channel_order_id=cell("channel_order_id"), companies=companies
            )
            _check_lengths({name: cell(name) for name in _MAX_LENGTHS})
            ship_date = _parse_date(cell("ship_date")) if cell("ship_date") else company_today(order)
            package = order_ship(
                order=order,
                by=user,
                carrier=cell("carrier"),
                tracking_number=cell("tracking_number"),
                ship_date=ship_date,
                service=cell("service"),
                tracking_url=cell("tracking_url"),
                shipping_cost=_parse_cost(cell("shipping_cost")),
            )
    except OrderRuleError as exc:
        return RowResult(row_number, order_ref, order.pk if order else None, RowOutcome.ERROR, str(exc))
    except Exception:  # a database error (or a bug) on one row must not stop the others
        logger.exception("event=tracking_import_row_failed row=%d order=%s", row_number, order_ref)
        return RowResult(row_number, order_ref, order.pk if order else None, RowOutcome.ERROR, ROW_NOT_SAVED)
    message = f"Shipped with {package.carrier} {package.tracking_number}"
    if package.upload_status == UploadStatus.PENDING:
        message += f": {adapter_for(order).upload_note(order)}"
    return RowResult(row_number, order_ref, order.pk, RowOutcome.SHIPPED, message, package.pk)
