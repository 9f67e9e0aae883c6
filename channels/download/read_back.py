"""Reading an order back when Cdiscount refuses what we asked (issue 24, point 5).

A refusal (a 409 on Accept, a 400 on a shipment) often means the order moved on Cdiscount: the
customer cancelled it, another tool shipped it. The order is read at once and applied through
the download's own upsert, so Order Details shows the truth (Problem Order with its reason when
our shipment contradicts a cancellation), and the message says what the read shows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from channels.cdiscount.client import CdiscountClient
from channels.cdiscount.exceptions import ChannelAPIError
from channels.cdiscount.schemas import OrderStatus as CdiscountStatus
from channels.models import CdiscountAccount
from orders.models import Order
from sellercloud.dates import DATE_FORMAT

from .upsert import order_upsert_from_cdiscount

logger = logging.getLogger(__name__)

_CLOSED = {
    CdiscountStatus.CANCELLED: "cancelled",
    CdiscountStatus.REFUSED: "refused",
    CdiscountStatus.REJECTED: "rejected",
}


@dataclass(frozen=True)
class SeenOnCdiscount:
    """The order as the read found it: its status, the raw order, and the sentence for people."""

    status: str
    raw: Any
    words: str
    cd_order: Any = None  # the parsed order, to apply later

    @property
    def closed(self) -> bool:
        return self.status in _CLOSED


def read_back(
    *, account: CdiscountAccount | None, client: CdiscountClient, order: Order, apply: bool = True
) -> SeenOnCdiscount | None:
    """GET the order and, unless told not to, apply it now; None when it cannot be read (the
    refusal's words then stand)."""
    if account is None:
        return None
    try:
        item = client.fetch_order(order_id=order.channel_order_id)
    except ChannelAPIError as exc:
        logger.info("event=read_back_failed order=%s error=%s", order.pk, exc.message)
        return None
    if item.order is None:
        return None
    status = item.order.status
    day = timezone.localtime(item.order.updated_at, ZoneInfo(account.company.time_zone)).strftime(DATE_FORMAT)
    if status in _CLOSED:
        words = f"Cdiscount {_CLOSED[status]} this order on {day}."
    else:
        words = f"Cdiscount shows this order {status} (last changed on {day})."
    seen = SeenOnCdiscount(status=str(status), raw=item.raw, words=words, cd_order=item.order)
    if apply:
        apply_seen(account=account, seen=seen)
    return seen


def apply_seen(*, account: CdiscountAccount, seen: SeenOnCdiscount) -> None:
    """Apply what the read found, through the download's upsert."""
    try:
        order_upsert_from_cdiscount(account=account, cd_order=seen.cd_order, raw=seen.raw)
    except Exception:  # the read still tells the user what Cdiscount has; the next download applies it
        logger.exception("event=read_back_apply_failed order=%s", seen.raw.get("orderId"))
