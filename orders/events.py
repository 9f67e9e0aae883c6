"""One function per kind of history line (saleor's events.py): every change to an order writes
an OrderEvent, shown under Notes and History on Order Details."""

from typing import Any

from sellercloud.models import User

from .choices import EventKind
from .models import Order, OrderEvent


def order_event_row(
    *,
    order: Order,
    kind: EventKind,
    message: str,
    user: User | None = None,
    source: str = "",
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """An unsaved history line, for callers that write many at once (bulk_create)."""
    return OrderEvent(
        order=order,
        kind=kind,
        message=message,
        user=user if user is not None and user.is_authenticated else None,
        source=source,
        data=data or {},
    )


def order_event(
    *,
    order: Order,
    kind: EventKind,
    message: str,
    user: User | None = None,
    source: str = "",
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """Record one line of the order's history. `user` acted, or else `source` (e.g. "Cdiscount")."""
    event = order_event_row(order=order, kind=kind, message=message, user=user, source=source, data=data)
    event.save()
    return event
