"""The orders a run touched, for its page (issue 24, point 12): a small run lists them, and a
Download Order by ID links to its order."""

from __future__ import annotations

from django.utils import timezone

from orders.choices import EventKind
from orders.models import ChannelPayload, Order, OrderEvent

from .models import SyncRun

SHOWN = 20  # a run that touched more says its counts only


def orders_touched(run: SyncRun) -> list[Order]:
    """The orders the run created, updated or uploaded, when there are at most SHOWN of them
    (an unchanged order is not touched); the one order of a Download Order by ID."""
    account = run.account
    if run.channel_order_id:
        return list(Order.objects.filter(channel_account=account, channel_order_id=run.channel_order_id)[:1])
    if run.kind == SyncRun.Kind.UPLOAD:
        if not 0 < run.uploaded + run.failed <= SHOWN:
            return []
        uploaded = OrderEvent.objects.filter(kind=EventKind.UPLOAD, data__run_id=run.pk).values("order_id")
        return list(Order.objects.filter(pk__in=uploaded).order_by("pk")[:SHOWN])
    if run.kind != SyncRun.Kind.DOWNLOAD or not 0 < run.created + run.updated <= SHOWN or run.started_at is None:
        return []
    # A download keeps a new payload for every order it created or changed, stamped as it ran.
    payloads = ChannelPayload.objects.filter(
        order__channel_account=account,
        received_at__gte=run.started_at,
        received_at__lte=run.finished_at or timezone.now(),
    ).values("order_id")
    return list(Order.objects.filter(pk__in=payloads).order_by("pk")[:SHOWN])
