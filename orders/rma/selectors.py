"""Read side of the RMA pages: the scoped lookup, RMA Details' data in a fixed number of queries,
and its Actions menu. Nothing here decides a rule (orders.rma_rules does) or a permission
(sellercloud.permissions does)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.urls import reverse

from sellercloud.models import User
from sellercloud.permissions import Permission, user_can, user_companies
from sellercloud.shell import MenuItem

from ..models import RMA, OrderEvent, Refund, RMAItem
from ..rma_rules import RMAAction, rma_why_not
from ..rma_values import item_value, items_value, rma_refundable, rma_refunded

# Each action of RMA Details: its permission, URL name, and the question of a direct POST ("": a form page).
RMA_ACTIONS: tuple[tuple[RMAAction, Permission, str, str], ...] = (
    (RMAAction.RECEIVE, Permission.MANAGE_RMAS, "rmas:receive", ""),
    (RMAAction.RESOLVE, Permission.MANAGE_RMAS, "rmas:resolution", ""),
    (RMAAction.REFUND, Permission.ISSUE_REFUNDS, "rmas:refund", ""),
    (RMAAction.HOLD, Permission.MANAGE_RMAS, "rmas:hold", "Put this RMA On Hold?"),
    (RMAAction.RELEASE, Permission.MANAGE_RMAS, "rmas:release", "Release this RMA?"),
    (RMAAction.CLOSE, Permission.MANAGE_RMAS, "rmas:close", "Close this RMA?"),
    (RMAAction.CANCEL, Permission.MANAGE_RMAS, "rmas:cancel", "Cancel this RMA? Its items may then be returned again."),
)
ACTION_PERMISSION = {action: permission for action, permission, _, _ in RMA_ACTIONS}


def details_queryset() -> QuerySet[RMA]:
    return RMA.objects.select_related("company", "order", "created_by").prefetch_related(
        Prefetch("items", queryset=RMAItem.objects.select_related("order_item")),
        Prefetch("refunds", queryset=Refund.objects.select_related("user", "payment")),
    )


def rma_for_user_or_404(user: User, rma_id: int, *, queryset: Any = None) -> RMA:
    """The RMA when its company is one of the user's and they may view orders there; else 404."""
    queryset = queryset if queryset is not None else details_queryset()
    rma = queryset.filter(pk=rma_id, company__in=user_companies(user)).first()
    if rma is None or not user_can(user, Permission.VIEW_ORDERS, rma.company):
        raise Http404("No such RMA.")
    return rma


def rma_actions_menu(rma: RMA, user: User) -> list[MenuItem]:
    """RMA Details' Actions: absent without the permission, disabled with the reason when the RMA refuses."""
    items = []
    for action, permission, url_name, confirm in RMA_ACTIONS:
        if not user_can(user, permission, rma.company):
            continue
        reason = rma_why_not(rma, action) or ""
        method = "post" if confirm else "get"
        items.append(MenuItem(action.label, reverse(url_name, args=[rma.pk]), method, reason, confirm))
    return items


@dataclass(frozen=True)
class ItemRow:
    item: RMAItem
    value: Decimal


@dataclass
class RMADetails:
    rma: RMA
    items: list[ItemRow]
    refunds: list[Refund]
    events: list[OrderEvent]
    actions: list[MenuItem]
    value: Decimal
    refunded: Decimal
    refundable: Decimal


def rma_details_context(*, rma_id: int, user: User) -> RMADetails:
    """RMA Details for `user`, 404 outside their companies."""
    rma = rma_for_user_or_404(user, rma_id)
    items = list(rma.items.all())
    events = OrderEvent.objects.filter(order_id=rma.order_id, data__rma_id=rma.pk).select_related("user")
    return RMADetails(
        rma=rma,
        items=[ItemRow(item, item_value(item)) for item in items],
        refunds=list(rma.refunds.all()),
        events=list(events),
        actions=rma_actions_menu(rma, user),
        value=items_value(items),
        refunded=rma_refunded(rma),
        refundable=rma_refundable(rma),
    )
