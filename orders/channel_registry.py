"""What orders needs from a channel, and the registry channels plug into (STYLE 3.4).

Data flows one way: marketplace -> client -> channels -> orders -> pages. So `orders/` never
imports `channels/`; it declares here the little it needs to know of a channel (its label, the
note after a local cancel or refund, how a new package starts, one parcel per order or not, the
actions it offers on an order or a package, and its accounts' health cards for the dashboard),
and each channel app registers an adapter for
its Channel in its AppConfig.ready(). Order pages ask `adapter_for(order)` and never name a
marketplace. A channel without an adapter (Website, Local Store) gets the plain one.

To add a channel: implement ChannelAdapter (a PlainAdapter subclass is the short way), then call
`register(Channel.X, adapter)` in your app's ready(). Its actions appear in Order Details'
Actions menu (or on the package row) and run through the one generic view, with no edit here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from sellercloud.permissions import Permission

from .choices import UploadStatus

if TYPE_CHECKING:
    from django import forms

    from .models import Order, Package


@dataclass(frozen=True)
class ActionResult:
    """What a channel action did, as the page tells it: a message and its level."""

    message: str
    level: Literal["success", "warning", "error"] = "success"


@dataclass(frozen=True)
class ChannelAction:
    """One action a channel offers on an order (`on="order"`) or on one of its packages.

    `why_not(order, package)` says why it cannot be done now (None when it can), for the menu;
    `run(order=, package=, by=, data=)` checks again (the page may be stale), does it, and raises
    orders.rules.OrderRuleError with a sentence when the marketplace or a rule refuses. `form`,
    when set, is shown before the action runs and its cleaned data is passed as `data`. An
    action hidden unless allowed is left out of the menu while `why_not` answers; otherwise it
    is shown disabled with the reason.
    """

    key: str
    label: str
    permission: Permission
    run: Callable[..., ActionResult]
    why_not: Callable[[Order, Package | None], str | None]
    on: Literal["order", "package"] = "order"
    confirm: Callable[[Order, Package | None], str] | None = None
    form: type[forms.Form] | None = None
    hidden_unless_allowed: bool = True

    def question(self, order: Order, package: Package | None = None) -> str:
        return self.confirm(order, package) if self.confirm else ""


@dataclass(frozen=True)
class HealthCard:
    """One marketplace account's health, as the dashboard shows it (the channel fills it in)."""

    channel: str  # the channel's label
    company_id: int
    company_name: str
    time_zone: str  # the company's: the card's times are shown in it
    url: str  # the account's settings page
    last_download_at: datetime | None
    last_upload_at: datetime | None
    next_run_at: datetime | None  # None: the scheduled download is off
    consecutive_failures: int
    token_expires_at: datetime | None
    drift_count: int | None  # open differences of the last reconciliation; None before the first
    drift_url: str
    waiting_acceptance: int
    failed_uploads: int
    failed_uploads_url: str
    open_problems: int  # orders a download could not take, not resolved yet
    problems_url: str


@dataclass(frozen=True)
class DocumentUpload:
    """One invoice or credit note of an order as sent to (or kept from) the marketplace, for
    Order Details: its status, when, its attempts, the last error and its history."""

    document: str  # "Invoice F2026-000012", "Credit note AV2026-000003"
    status: str  # a word for the status colour: pending, importing, uploaded, failed, local...
    status_label: str
    note: str = ""
    at: datetime | None = None
    attempts: int = 0
    error: str = ""
    history: list[tuple[datetime, str]] = field(default_factory=list)
    retry: bool = False  # the channel's "retry_invoice_upload" action applies


class ChannelAdapter(Protocol):
    """What order pages and services need from a channel."""

    label: str  # the channel's name in messages, e.g. "Cdiscount"
    one_parcel_per_order: bool
    actions: tuple[ChannelAction, ...]

    def cancel_note(self, order: Order) -> str:
        """Said after a local cancel ("do it on the seller portal too"), or ""."""
        ...

    def refund_note(self, order: Order) -> str:
        """Said after a local refund, or ""."""
        ...

    def new_package_upload_status(self, order: Order) -> str:
        """The upload status a package made by Ship Order starts with."""
        ...

    def upload_note(self, order: Order) -> str:
        """Added to "Shipped with ..." when the package waits for an upload, or ""."""
        ...

    def form_note(self, order: Order, action: str) -> str:
        """A reminder shown above the form of Cancel, Issue Refund or Ship Order, or ""."""
        ...

    def health_cards(self, company_ids: list[int]) -> list[HealthCard]:
        """The health of each of the channel's accounts among these companies (the dashboard)."""
        ...

    def invoice_uploads(self, order: Order) -> list[DocumentUpload]:
        """The order's invoices as sent to the marketplace (Order Details), or [] when it takes none."""
        ...


class PlainAdapter:
    """A channel without a marketplace account here (Website, Local Store, ...): nothing to tell
    a marketplace, no upload, no extra action."""

    one_parcel_per_order = False
    actions: tuple[ChannelAction, ...] = ()

    def __init__(self, label: str = "") -> None:
        self.label = label

    def cancel_note(self, order: Order) -> str:
        return ""

    def refund_note(self, order: Order) -> str:
        return ""

    def new_package_upload_status(self, order: Order) -> str:
        return UploadStatus.NOT_REQUIRED

    def upload_note(self, order: Order) -> str:
        return ""

    def form_note(self, order: Order, action: str) -> str:
        return ""

    def health_cards(self, company_ids: list[int]) -> list[HealthCard]:
        return []

    def invoice_uploads(self, order: Order) -> list[DocumentUpload]:
        return []


_ADAPTERS: dict[str, ChannelAdapter] = {}


def register(channel: str, adapter: ChannelAdapter) -> None:
    """Plug `adapter` in for orders of `channel` (a Channel value). Called from AppConfig.ready()."""
    _ADAPTERS[channel] = adapter


def unregister(channel: str) -> None:
    """Take a channel's adapter out (tests that plug in a fake one put the registry back)."""
    _ADAPTERS.pop(channel, None)


def adapter_for(order: Order | Any) -> ChannelAdapter:
    """The adapter of the order's channel, or the plain one. A replacement order (RMA Replace /
    Exchange) carries its channel's label but lives only here: the plain adapter, no channel action."""
    from .choices import Channel

    adapter = _ADAPTERS.get(order.channel)
    if adapter is not None and getattr(order, "replacement_of_id", None) is None:
        return adapter
    label = Channel(order.channel).label if order.channel in Channel.values else str(order.channel)
    return PlainAdapter(str(label))


def health_cards(company_ids: list[int]) -> list[HealthCard]:
    """Every registered channel's account health for these companies, by company then channel."""
    adapters = list({id(a): a for a in _ADAPTERS.values()}.values())
    cards = [card for adapter in adapters for card in adapter.health_cards(company_ids)]
    return sorted(cards, key=lambda card: (card.company_name, card.channel))


def channel_action(order: Order, key: str, *, on: str) -> ChannelAction | None:
    """The action `key` the order's channel offers on an order or a package, if any."""
    return next((a for a in adapter_for(order).actions if a.key == key and a.on == on), None)
