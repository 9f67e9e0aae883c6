"""Set On Hold and Release Hold (SPEC S5, S8): the one place that says what a hold writes."""

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sellercloud.models import User

from .channel_registry import adapter_for
from .choices import HoldSource, OrderStatus
from .events import hold_released_event, hold_set_event
from .models import Order
from .rules import Action, OrderRuleError, check_action
from .services import locked

__all__ = ["hold_values", "order_hold", "order_release_hold"]


def hold_values(*, status_before: Any, reason: str, source: HoldSource, channel_request: str = "") -> dict[str, Any]:
    """The fields a hold sets. `status_before` is a status, or F("status") in an UPDATE."""
    return {
        "status_before_hold": status_before,
        "status": OrderStatus.ON_HOLD,
        "hold_reason": reason[:255],
        "hold_source": source,
        "hold_channel_request": channel_request,
    }


@transaction.atomic
def order_hold(
    *,
    order: Order,
    reason: str,
    by: User | None = None,
    source: HoldSource = HoldSource.USER,
    channel_request: str = "",
) -> bool:
    """Set On Hold, remembering the status to restore. Returns False when it was already On Hold.

    A conditional UPDATE, so a hold set twice at once (two bulk runs, a download and a user)
    never overwrites the status before the hold (SPEC S6). A hold from the channel records which
    customer cancellation request it stands for (SPEC S5).
    """
    reason = reason.strip()
    if not reason:
        raise OrderRuleError("Give a reason for the hold.")
    order = locked(order)
    if order.status == OrderStatus.ON_HOLD:
        return False
    check_action(order, Action.HOLD)
    values = hold_values(status_before=F("status"), reason=reason, source=source, channel_request=channel_request)
    changed = (
        Order.objects.filter(pk=order.pk)
        .exclude(status=OrderStatus.ON_HOLD)
        .update(**values, updated_at=timezone.now())
    )
    if changed:
        hold_set_event(
            order=order,
            by=by,
            source=adapter_for(order).label,
            reason=reason,
            status_before=order.status,
            channel_request=channel_request,
        )
    return bool(changed)


@transaction.atomic
def order_release_hold(*, order: Order, by: User | None, note: str = "") -> bool:
    """Release Hold: restore the status before the hold. The one place that records a release,
    so a download never sets a hold again for a cancellation request a user released (SPEC S5).
    Returns False when the order was not On Hold."""
    order = locked(order)
    if order.status != OrderStatus.ON_HOLD:
        return False
    restored = order.status_before_hold or OrderStatus.IN_PROCESS
    released_request = order.hold_channel_request if order.hold_source == HoldSource.CHANNEL else ""
    changed = Order.objects.filter(pk=order.pk, status=OrderStatus.ON_HOLD).update(
        status=restored,
        status_before_hold="",
        hold_reason="",
        hold_source="",
        hold_channel_request="",
        released_channel_request=released_request or F("released_channel_request"),
        updated_at=timezone.now(),
    )
    if changed:
        hold_released_event(
            order=order,
            by=by,
            source=adapter_for(order).label,
            restored=restored,
            released_request=released_request,
            note=note,
        )
    return bool(changed)
