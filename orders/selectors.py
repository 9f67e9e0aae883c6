"""Read side of Order Details (SPEC S7): the scoped order lookup, the page's data in a fixed
number of queries, the Actions menu, and the key-path diff of channel payloads.

Nothing here changes data and nothing here decides a rule: what an order allows comes from
orders.rules.why_not, what a user may do from sellercloud.permissions.user_can.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse

from sellercloud.models import User
from sellercloud.permissions import Permission, user_can, user_companies
from sellercloud.shell import MenuItem

from .action_registry import registered_annotations, registered_order_actions
from .actions import CHANNEL_ACTIONS_AFTER, ORDER_ACTIONS, order_action
from .channel_registry import DocumentUpload, adapter_for
from .choices import ShippingStatus
from .models import RMA, ChannelPayload, Order, OrderEvent, Package, Payment, Refund
from .payments import refundable_amount
from .profit import ProfitAndLoss, order_profit_and_loss
from .rules import Action, why_not
from .totals import totals_of

# --- Lookup -----------------------------------------------------------------------------------


def order_for_user_or_404(user: User, order_id: int, *, queryset: Any = None) -> Order:
    """The order when it belongs to one of the user's companies and they may view orders there;
    otherwise 404, never 403 (SPEC S3: what is not yours does not exist)."""
    queryset = queryset if queryset is not None else Order.objects.select_related("company", "channel_account")
    order = queryset.filter(pk=order_id, company__in=user_companies(user)).first()
    if order is None or not user_can(user, Permission.VIEW_ORDERS, order.company):
        raise Http404("No such order.")
    return order


def details_queryset() -> Any:
    """Order with everything Order Details shows, one query per relation whatever the row counts."""
    queryset = Order.objects.select_related("company", "channel_account").annotate(**registered_annotations())
    return queryset.prefetch_related(
        "items",
        "payments",
        Prefetch("refunds", queryset=Refund.objects.select_related("user", "rma")),
        Prefetch("packages", queryset=Package.objects.select_related("created_by")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("user")),
        Prefetch("payloads", queryset=ChannelPayload.objects.order_by("-received_at", "-id")),
    )


# --- Channel Data diff ------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference between two payload versions, at a key path such as lines[0].status."""

    path: str
    kind: str  # "added", "removed" or "changed"
    old: str = ""
    new: str = ""


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key in value:
            yield from _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{index}]")
    else:
        yield prefix or "(root)", value


def _show(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def payload_diff(old: Any, new: Any) -> list[Change]:
    """What changed from `old` to `new`, leaf by leaf (small and readable rather than minimal)."""
    before, after = dict(_flatten(old)), dict(_flatten(new))
    changes = []
    for path, value in after.items():
        if path not in before:
            if not _filled_elsewhere(path, value, before):  # emptied: its leaves say "removed"
                changes.append(Change(path, "added", new=_show(value)))
        elif before[path] != value:
            changes.append(Change(path, "changed", old=_show(before[path]), new=_show(value)))
    changes.extend(
        Change(path, "removed", old=_show(before[path]))
        for path in before
        if path not in after and not _filled_elsewhere(path, before[path], after)
    )
    return changes


def _filled_elsewhere(path: str, value: Any, other: dict[str, Any]) -> bool:
    """An empty list or object at `path` whose place holds leaves on the other side: an empty
    list filled (or a filled one emptied) is one change, told by those leaves, not also as the
    empty container's own row (issue 24)."""
    if not (isinstance(value, list | dict) and not value):
        return False
    return any(key.startswith((f"{path}[", f"{path}.")) for key in other)


@dataclass(frozen=True)
class PayloadVersion:
    payload: ChannelPayload
    number: int
    changes: list[Change]
    is_first: bool

    @property
    def pretty(self) -> str:
        return json.dumps(self.payload.raw, indent=2, ensure_ascii=False, sort_keys=True)


def payload_versions(payloads: list[ChannelPayload]) -> list[PayloadVersion]:
    """Newest first, each with what changed against the version before it."""
    versions = []
    for index, payload in enumerate(payloads):
        previous = payloads[index + 1] if index + 1 < len(payloads) else None
        changes = payload_diff(previous.raw, payload.raw) if previous is not None else []
        versions.append(PayloadVersion(payload, len(payloads) - index, changes, previous is None))
    return versions


def _share_refunds(order: Order) -> None:
    """Hand each payment its refunds from the order's prefetched ones.

    refundable_amount reads payment.refunds.all() and the Profit & Loss reads order.refunds.all():
    both are the same rows, so they are read once and placed in each payment's prefetch cache (the
    cache prefetch_related itself fills), instead of a second query for the same refunds.
    """
    refunds = list(order.refunds.all())
    for payment in order.payments.all():
        mine = [r for r in refunds if r.payment_id == payment.pk]
        for refund in mine:
            refund.payment = payment  # the panel shows its operation type: no query per refund
        # Django's own prefetch cache, which its stubs do not declare.
        payment._prefetched_objects_cache = {**getattr(payment, "_prefetched_objects_cache", {}), "refunds": mine}  # type: ignore[attr-defined]


# --- The page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    refundable: Decimal


@dataclass(frozen=True)
class PackageRow:
    """A package of the Packages panel, with its upload button when the user may press it."""

    package: Package
    upload_action: MenuItem | None = None


@dataclass
class OrderDetails:
    """Everything Order Details renders for one user."""

    order: Order
    items: list[Any]
    payments: list[PaymentRow]
    refunds: list[Refund]
    packages: list[Package]
    events: list[OrderEvent]
    payloads: list[PayloadVersion]
    profit: ProfitAndLoss
    actions: list[MenuItem]
    allowed: dict[str, bool] = field(default_factory=dict)  # action value -> offered and permitted
    package_rows: list[PackageRow] = field(default_factory=list)
    rmas: list[RMA] = field(default_factory=list)
    discount: Decimal = Decimal("0.00")  # the lines' discounts (a replacement order's), orders.totals
    replacements: list[Order] = field(default_factory=list)
    invoice_uploads: list[DocumentUpload] = field(default_factory=list)  # the channel's, if it takes invoices


def package_upload_action(order: Order, package: Package, user: User) -> MenuItem | None:
    """The first action the order's channel offers on this package now (Retry upload of a Failed
    one, Upload to Cdiscount of a Not Required one), or None. The services decide the rest
    (Canceled, already Ship Confirmed...) and say why when they refuse."""
    for action in adapter_for(order).actions:
        if action.on != "package" or not user_can(user, action.permission, order.company):
            continue
        if action.why_not(order, package) is None:
            url = reverse("orders:channel_package_action", args=[order.pk, package.pk, action.key])
            return MenuItem(action.label, url, "post", confirm=action.question(order, package))
    return None


def _channel_items(order: Order, user: User, allowed: dict[str, bool]) -> list[MenuItem]:
    """The Actions menu items of the order's channel (Accept / Refuse for Cdiscount)."""
    items = []
    for action in adapter_for(order).actions:
        if action.on != "order" or not user_can(user, action.permission, order.company):
            continue
        reason = action.why_not(order, None) or ""
        if reason and action.hidden_unless_allowed:
            continue
        allowed[action.key] = not reason
        url = reverse("orders:channel_action", args=[order.pk, action.key])
        method = "get" if action.form else "post"
        confirm = "" if action.form else action.question(order)
        items.append(MenuItem(action.label, url, method=method, confirm=confirm, disabled_reason=reason))
    return items


def _instead_links(order: Order, user: User, instead: tuple[Action, ...]) -> tuple[tuple[str, str], ...]:
    """Links to the actions a refused one points to (Create RMA, Issue Refund), those allowed now."""
    links = []
    for action in instead:
        declared = order_action(action)
        if user_can(user, declared.permission, order.company) and not why_not(order, action):
            links.append((declared.label, reverse(declared.url_name, args=[order.pk])))
    return tuple(links)


def order_actions_menu(order: Order, user: User) -> tuple[list[MenuItem], dict[str, bool]]:
    """The Actions menu, from the declarations of orders.actions: an action the user may not do
    is absent; one hidden unless allowed is absent while the order refuses it; any other action
    the order refuses is disabled with the reason from orders.rules. Also returns which actions
    are usable, for links elsewhere on the page."""
    items: list[MenuItem] = []
    allowed: dict[str, bool] = {}
    for declared in ORDER_ACTIONS:
        if user_can(user, declared.permission, order.company):
            reason = why_not(order, declared.action) or ""
            if not (reason and declared.hidden_unless_allowed):
                allowed[declared.action.value] = not reason
                url = reverse(declared.url_name, args=[order.pk])
                method = "post" if declared.confirm else "get"
                links = _instead_links(order, user, declared.instead) if reason else ()
                items.append(
                    MenuItem(declared.label, url, method, disabled_reason=reason, confirm=declared.confirm, links=links)
                )
        if declared.action == CHANNEL_ACTIONS_AFTER:
            items.extend(_channel_items(order, user, allowed))
    # Then the actions other apps register (Print Invoice), shown disabled with their reason.
    for extra in registered_order_actions():
        if user_can(user, extra.permission, order.company):
            reason = extra.why_not(order) or ""
            allowed[extra.key] = not reason
            url = reverse(extra.url_name, args=[order.pk])
            items.append(MenuItem(extra.label, url, extra.method, disabled_reason=reason, confirm=extra.confirm))
    return items, allowed


def order_details_context(*, order_id: int, user: User) -> OrderDetails:
    """Order Details for `user` in a fixed number of queries (SPEC S11), 404 outside their
    companies. The benchmark calls this directly."""
    order = order_for_user_or_404(user, order_id, queryset=details_queryset())
    _share_refunds(order)
    actions, allowed = order_actions_menu(order, user)
    payments = [PaymentRow(p, refundable_amount(payment=p)) for p in order.payments.all()]
    packages = list(order.packages.all())
    items = list(order.items.all())
    # Only a shipped order has RMAs, and only an order with RMAs has replacements (they come from
    # its RMAs): the others pay no query for them.
    rmas = list(order.rmas.all()) if order.shipping_status != ShippingStatus.UNSHIPPED else []
    return OrderDetails(
        order=order,
        items=items,
        discount=totals_of(items).discount_total,
        payments=payments,
        refunds=list(order.refunds.all()),
        packages=packages,
        events=list(order.events.all()),
        payloads=payload_versions(list(order.payloads.all())),
        profit=order_profit_and_loss(order=order),
        actions=actions,
        allowed=allowed,
        package_rows=[PackageRow(p, package_upload_action(order, p, user)) for p in packages],
        rmas=rmas,
        replacements=list(order.replacements.all()) if rmas else [],
        invoice_uploads=adapter_for(order).invoice_uploads(order),
    )
