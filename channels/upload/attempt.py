"""One package's attempt: claim it, read the order when it must, post the parcel once, record the outcome."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from orders.choices import Channel, UploadStatus
from orders.links import http_url_or_empty
from orders.models import Order, OrderItem, Package

from ..cdiscount.exceptions import ChannelAPIError, ChannelAuthError, PermanentChannelError, TransientChannelError
from ..cdiscount.schemas import CLOSED_LINE_STATUSES
from ..download.read_back import apply_seen, read_back
from ..events import tracking_upload_failed_event, tracking_uploaded_event
from .common import (
    CarrierNotMapped,
    RunContext,
    RunStopped,
    UploadOutcome,
    backoff_seconds,
    post_once,
    refused_words,
)

logger = logging.getLogger(__name__)


# One package ---------------------------------------------------------------------------------


@dataclass
class _Attempt:
    """One claimed package being uploaded, with what the run needs to record it."""

    ctx: RunContext
    package: Package
    order: Order
    claimed_at: datetime | None
    line_ids: list[str]
    parcel: dict[str, Any] = field(default_factory=dict)

    @property
    def attempts(self) -> int:
        return self.package.upload_attempts


def claim_package(package_id: int, now: datetime) -> bool:
    """The conditional UPDATE that makes this run the only one posting the package (SPEC S6);
    it counts the attempt too, so a later attempt knows to read the order first."""
    stale = now - timedelta(seconds=settings.UPLOAD_CLAIM_STALE_SECONDS)
    return bool(
        Package.objects.filter(pk=package_id, upload_status=UploadStatus.PENDING)
        .filter(Q(upload_claimed_at__isnull=True) | Q(upload_claimed_at__lt=stale))
        .filter(Q(next_upload_at__isnull=True) | Q(next_upload_at__lte=now))
        .update(upload_claimed_at=now, upload_attempts=F("upload_attempts") + 1)
    )


def preload(package_ids: list[int]) -> dict[int, tuple[Package, list[str]]]:
    """The run's packages with their orders and shippable line ids, in a few queries (not three
    per package). Safe to read before the claims: a package that changed meanwhile (uploaded,
    withdrawn, deferred by another run) is no longer claimable, and its tracking never changes."""
    loaded: dict[int, tuple[Package, list[str]]] = {}
    for start in range(0, len(package_ids), 500):
        packages = list(Package.objects.filter(pk__in=package_ids[start : start + 500]).select_related("order"))
        lines: dict[int, list[str]] = {p.order_id: [] for p in packages}
        items = (
            OrderItem.objects.filter(order_id__in=list(lines))
            .exclude(channel_line_status__in=CLOSED_LINE_STATUSES)
            .exclude(channel_line_id="")
            .order_by("order_id", "pk")
            .values_list("order_id", "channel_line_id")
        )
        for order_id, line_id in items:
            lines[order_id].append(line_id)
        for package in packages:
            loaded[package.pk] = (package, lines[package.order_id])
    return loaded


def upload_package(ctx: RunContext, package_id: int, *, claimed: bool, force_read: bool) -> UploadOutcome:
    now = timezone.now()
    if not claimed and not claim_package(package_id, now):
        return UploadOutcome.SKIPPED
    preloaded = None if claimed else ctx.preloaded.get(package_id)
    if preloaded is not None:
        package, line_ids = preloaded
        package.upload_attempts += 1  # what the claim did
        package.upload_claimed_at = now
    else:  # claimed by the caller (a user's retry): read it as it is now
        package, line_ids = preload([package_id])[package_id]
    attempt = _Attempt(
        ctx=ctx, package=package, order=package.order, claimed_at=package.upload_claimed_at, line_ids=line_ids
    )
    # attempts counts this one: more than one means an earlier post may have reached Cdiscount.
    read_first = force_read or package.upload_attempts > 1
    try:
        return _attempt(attempt, read_first=read_first)
    except RunStopped:
        _release(attempt)
        return UploadOutcome.DEFERRED


def _attempt(a: _Attempt, *, read_first: bool) -> UploadOutcome:
    order, package = a.order, a.package
    if order.channel != Channel.CDISCOUNT or order.channel_account_id != a.ctx.account.pk:
        return _fail(a, "The order is not a Cdiscount order of this account.")
    line_ids = a.line_ids
    if not line_ids:
        return _fail(a, "The order has no line left to ship (every line is cancelled, refused or rejected).")
    try:
        carrier_name, tracking_url = _carrier_for(a)
    except CarrierNotMapped as exc:
        return _fail(a, str(exc))
    except ChannelAPIError as exc:
        return _api_fault(a, exc, "reading Cdiscount's carriers")
    a.parcel = {
        "parcelNumber": package.tracking_number,
        "carrierName": carrier_name,
        "trackingUrl": tracking_url,
        "orderLineIds": line_ids,
    }
    if read_first:
        # Never post twice: an earlier attempt may have reached Cdiscount without an answer.
        try:
            numbers = _parcels_on_marketplace(a)
        except ChannelAPIError as exc:
            return _api_fault(a, exc, "reading the order before posting again")
        if package.tracking_number in numbers:
            return _mark_uploaded(a, already_there=True)
        if numbers:
            return _fail(
                a,
                f"Cdiscount already has parcel {sorted(numbers)[0]} for this order and accepts one parcel per "
                "order: check the order on the Cdiscount portal.",
            )
    try:
        _post(a, carrier_name=carrier_name, tracking_url=tracking_url, line_ids=line_ids)
    except ChannelAuthError as exc:
        return _api_fault(a, exc, "posting the shipment")
    except PermanentChannelError as exc:
        # Read the order back and apply it (channels.download.read_back): the refusal may be about
        # our own earlier parcel, or the order may have moved on Cdiscount (cancelled by the
        # customer); the message then says so, and the order shows it at once.
        seen = read_back(account=a.ctx.account, client=a.ctx.client, order=a.order, apply=False)
        if seen is not None and package.tracking_number in _parcel_numbers(seen.raw):
            return _mark_uploaded(a, already_there=True)
        if seen is not None and seen.closed:
            outcome = _fail(a, f"{seen.words} The tracking was not uploaded.", exc)
            apply_seen(account=a.ctx.account, seen=seen)  # Problem Order: we shipped what they cancelled
            return outcome
        return _fail(a, marketplace_message(exc), exc)
    except TransientChannelError as exc:
        return _defer(a, exc)
    return _mark_uploaded(a, already_there=False)


def _carrier_for(a: _Attempt) -> tuple[str, str]:
    """Cdiscount's carrier name and the tracking URL for the package."""
    package = a.package
    key = package.carrier.strip().casefold()
    mapping = a.ctx.mappings.get(key)
    template = ""
    if mapping is not None and mapping.cdiscount_carrier.strip():
        name = mapping.cdiscount_carrier.strip()
        template = mapping.tracking_url_template
    else:
        label = a.ctx.carrier_labels().get(key)
        if label is None:
            raise CarrierNotMapped(
                f"carrier {package.carrier} is not mapped to a Cdiscount carrier: "
                "add it under General Settings > Fulfillment"
            )
        name = label
    # A URL stored before URLs were checked may be anything: only http(s) leaves the building.
    url = http_url_or_empty(package.tracking_url)
    if not url and template:
        url = template.replace("{tracking_number}", quote(package.tracking_number, safe=""))
    return name, url


def _parcels_on_marketplace(a: _Attempt) -> set[str]:
    """The parcel numbers Cdiscount shows on the order (GET /orders/{orderId})."""
    item = a.ctx.client.fetch_order(order_id=a.order.channel_order_id)
    return _parcel_numbers(item.raw)


def _parcel_numbers(raw: Any) -> set[str]:
    """Parcel numbers in a raw order (tolerant: a malformed order must not hide a parcel)."""
    numbers: set[str] = set()
    lines = raw.get("lines") if isinstance(raw, dict) else None
    for line in lines if isinstance(lines, list) else []:
        parcels = line.get("parcels") if isinstance(line, dict) else None
        for parcel in parcels if isinstance(parcels, list) else []:
            if isinstance(parcel, dict) and parcel.get("parcelNumber"):
                numbers.add(str(parcel["parcelNumber"]))
    return numbers


def _post(a: _Attempt, *, carrier_name: str, tracking_url: str, line_ids: list[str]) -> None:
    """POST the parcel once (common.post_once: a 429 waits and sends again)."""
    post_once(
        a.ctx,
        lambda: a.ctx.client.ship_order(
            order_id=a.order.channel_order_id,
            parcel_number=a.package.tracking_number,
            carrier_name=carrier_name,
            order_line_ids=line_ids,
            tracking_url=tracking_url or None,
        ),
    )


def marketplace_message(exc: ChannelAPIError) -> str:
    """Why the marketplace refused a shipment, in its own words."""
    return refused_words(exc, "the shipment")


# Recording outcomes --------------------------------------------------------------------------


def _mine(a: _Attempt) -> QuerySet[Package]:
    # Only while our claim stands (a claim gone stale and taken by another run is theirs now) and
    # the package still waits (a download that saw the parcel may have marked it Uploaded).
    return Package.objects.filter(pk=a.package.pk, upload_status=UploadStatus.PENDING, upload_claimed_at=a.claimed_at)


def _mark_uploaded(a: _Attempt, *, already_there: bool) -> UploadOutcome:
    now = timezone.now()
    package, ctx = a.package, a.ctx
    number = package.tracking_number
    with transaction.atomic():
        # By primary key, whatever the status now: the parcel is on Cdiscount, that is the truth.
        Package.objects.filter(pk=package.pk).update(
            upload_status=UploadStatus.UPLOADED,
            uploaded_at=now,
            upload_error="",
            upload_claimed_at=None,
            next_upload_at=None,
        )
        Order.objects.filter(pk=a.order.pk, ship_confirmed_at__isnull=True).update(ship_confirmed_at=now)
        tracking_uploaded_event(
            order=a.order,
            by=ctx.user,
            tracking_number=number,
            carrier=str(a.parcel.get("carrierName")),
            already_there=already_there,
            data={
                "package_id": package.pk,
                "run_id": ctx.run.pk,
                "attempts": package.upload_attempts,
                "already_there": already_there,
                **a.parcel,
            },
        )
    logger.debug(  # one line per run and per failure (SPEC S6); successes are counted in the run
        "event=upload_package_uploaded run=%s account=%s package=%s order=%s already_there=%s",
        ctx.run.pk,
        ctx.account.pk,
        package.pk,
        a.order.channel_order_id,
        already_there,
    )
    return UploadOutcome.UPLOADED


def _fail(a: _Attempt, message: str, exc: ChannelAPIError | None = None) -> UploadOutcome:
    """A refusal: Failed with the marketplace's words, shown on the order; only a user retries it."""
    package, ctx = a.package, a.ctx
    with transaction.atomic():
        updated = _mine(a).update(
            upload_status=UploadStatus.FAILED, upload_error=message[:2000], upload_claimed_at=None, next_upload_at=None
        )
        if not updated:
            return UploadOutcome.SKIPPED  # the claim went stale and another run has the package now
        data: dict[str, Any] = {"package_id": package.pk, "run_id": ctx.run.pk, "attempts": package.upload_attempts}
        if exc is not None:
            data.update(status=exc.status, title=exc.title, detail=exc.detail, errors=exc.errors)
        tracking_upload_failed_event(order=a.order, by=ctx.user, reason=message, data=data)
    ctx.note(f"Order {a.order.channel_order_id} (package {package.pk}): {message}")
    logger.warning(
        "event=upload_package_failed run=%s account=%s package=%s order=%s message=%s",
        ctx.run.pk,
        ctx.account.pk,
        package.pk,
        a.order.channel_order_id,
        message[:300],
    )
    return UploadOutcome.FAILED


def _defer(a: _Attempt, exc: TransientChannelError) -> UploadOutcome:
    """A temporary fault: Pending again, due after a backoff; a later run takes it (reading the
    order first, since this post may have been recorded)."""
    package, ctx = a.package, a.ctx
    if package.upload_attempts >= settings.UPLOAD_MAX_ATTEMPTS:
        return _fail(a, f"Gave up after {package.upload_attempts} attempts; the last error: {exc}", exc)
    due = timezone.now() + timedelta(seconds=backoff_seconds(package.upload_attempts, exc.retry_after))
    if not _mine(a).update(
        upload_claimed_at=None,
        next_upload_at=due,
        upload_error=f"Temporary error on attempt {package.upload_attempts}, retried later: {exc}"[:2000],
    ):
        return UploadOutcome.SKIPPED  # the claim went stale and another run has the package now
    logger.info(
        "event=upload_package_deferred run=%s account=%s package=%s order=%s attempts=%d due=%s error=%s",
        ctx.run.pk,
        ctx.account.pk,
        package.pk,
        a.order.channel_order_id,
        package.upload_attempts,
        due.isoformat(),
        str(exc)[:200],
    )
    return UploadOutcome.DEFERRED


def _api_fault(a: _Attempt, exc: ChannelAPIError, doing: str) -> UploadOutcome:
    """A fault outside the post itself: credentials stop the run, temporary faults defer, other
    refusals fail the package with the marketplace's words."""
    if isinstance(exc, ChannelAuthError):
        a.ctx.stop_with(f"Cdiscount refused the credentials while {doing}: {exc}")
        raise RunStopped()
    if isinstance(exc, TransientChannelError):
        return _defer(a, exc)
    return _fail(a, marketplace_message(exc), exc)


def _release(a: _Attempt) -> None:
    """Give the package back as it was (due now), for the next run."""
    _mine(a).update(upload_claimed_at=None)
