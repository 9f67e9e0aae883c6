"""What an upload run's parts share: its words, its outcomes, its context (threads share it)."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from orders.models import Package
from sellercloud.models import User

from ..accounts import AccountLock, carrier_labels
from ..cdiscount.client import CdiscountClient
from ..cdiscount.exceptions import ChannelAPIError, TransientChannelError
from ..errors import unexpected_error
from ..models import CarrierMapping, CdiscountAccount, SyncRun

logger = logging.getLogger(__name__)
# What the Sync Log and Failed Uploads say when our code fails (channels.errors).
CRASHED = unexpected_error(
    what="The upload stopped",
    event="upload_crashed",
    then="Packages still pending go with the next run; if it stops the same way, tell your administrator.",
)
PACKAGE_CRASHED = unexpected_error(
    what="Not sent", event="upload_package_crashed", then="The package is tried again by a later run."
)

# Lines that do not travel with the parcel (reference 3.6: the marketplace wants every other line).
# A 429 on a POST was not processed: wait its Retry-After and send it again, at most this often
# and only for short waits; longer ones reschedule the package.
RATE_LIMIT_RESENDS = 3
RATE_LIMIT_MAX_WAIT_SECONDS = 10.0
HEARTBEAT_SECONDS = 5.0


class UploadOutcome(StrEnum):
    """What one package's attempt came to."""

    UPLOADED = "uploaded"
    FAILED = "failed"
    DEFERRED = "deferred"  # a temporary fault: Pending, due again after a backoff
    SKIPPED = "skipped"  # withdrawn or claimed by another run meanwhile
    WAITING = "waiting"  # posted; the marketplace still imports it (invoices): a later run follows it


class CarrierNotMapped(Exception):
    """The package's carrier has no Cdiscount name: a user must map it."""


class RunStopped(Exception):
    """The run must stop (credentials refused, lock lost): the package goes back untouched."""


def backoff_seconds(attempts: int, retry_after: float | None) -> float:
    """How long a temporary fault puts off the next attempt: doubling from the base, capped, with
    jitter (items that failed together do not return together), never before a Retry-After."""
    base = settings.UPLOAD_BACKOFF_BASE_SECONDS
    delay = min(settings.UPLOAD_BACKOFF_MAX_SECONDS, base * 2 ** max(0, attempts - 1))
    delay *= 0.8 + random.random() * 0.4
    return max(delay, retry_after or 0.0)


def refused_words(exc: ChannelAPIError, what: str) -> str:
    """Why the marketplace refused `what` ("the shipment", "the invoice"), in its own words."""
    status = f" (HTTP {exc.status})" if exc.status else ""
    return f"Cdiscount refused {what}{status}: {exc.marketplace_words}"


@dataclass
class RunContext:
    """One run's shared state; the counts and the pause are shared by its threads."""

    run: SyncRun
    account: CdiscountAccount
    client: CdiscountClient
    lock: AccountLock | None
    user: User | None
    mappings: dict[str, CarrierMapping] = field(default_factory=dict)
    noun: str = "packages"  # what the run's progress counts
    preloaded: dict[int, tuple[Package, list[str]]] = field(default_factory=dict)
    total: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(UploadOutcome, 0))
    log: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    stop_reason: str = ""
    _mutex: threading.Lock = field(default_factory=threading.Lock)
    _pause_until: float = 0.0
    _labels: dict[str, str] | None = None
    _lock_renewed: float = field(default_factory=time.monotonic)
    _heartbeat: float = field(default_factory=time.monotonic)

    def record(self, outcome: UploadOutcome, note: str = "") -> None:
        with self._mutex:
            self.counts[outcome] += 1
            if note:
                self.log.append(note)

    def note(self, line: str) -> None:
        with self._mutex:
            self.log.append(line)

    def stop_with(self, reason: str) -> None:
        with self._mutex:
            self.stop_reason = self.stop_reason or reason
        self.stop.set()

    def pause_for(self, seconds: float) -> None:
        """A 429: every thread of the run waits this long before its next call."""
        with self._mutex:
            self._pause_until = max(self._pause_until, time.monotonic() + seconds)

    def wait_if_paused(self) -> None:
        while True:
            with self._mutex:
                delay = self._pause_until - time.monotonic()
            if delay <= 0 or self.stop.is_set():
                return
            time.sleep(min(delay, 1.0))

    def carrier_labels(self) -> dict[str, str]:
        """Cdiscount's carrier labels (casefolded -> label), from Django's cache or GET /carriers."""
        with self._mutex:
            if self._labels is not None:
                return self._labels
        labels = {label.casefold(): label for label in carrier_labels(self.account, client=self.client)}
        with self._mutex:
            self._labels = labels
        return labels

    def tick(self, *, force: bool = False) -> None:
        """From the run's main thread: renew the lock (stop if lost) and write the heartbeat."""
        now = time.monotonic()
        if self.lock is not None and (force or now - self._lock_renewed > settings.UPLOAD_LOCK_TTL_SECONDS / 3):
            if not self.lock.renew():
                self.stop_with("Stopped: another run took over this account's upload lock.")
            self._lock_renewed = now
        if force or now - self._heartbeat > HEARTBEAT_SECONDS:
            self._heartbeat = now
            run = self.run
            self._copy_counts()
            run.heartbeat_at = timezone.now()
            run.save(update_fields=["heartbeat_at", "progress", "uploaded", "failed", "skipped"])

    def _copy_counts(self) -> None:
        with self._mutex:
            counts = dict(self.counts)
        run = self.run
        run.uploaded, run.failed, run.skipped = (
            counts[UploadOutcome.UPLOADED],
            counts[UploadOutcome.FAILED],
            counts[UploadOutcome.SKIPPED],
        )
        done = sum(counts.values())
        run.progress = (
            f"{done} of {self.total} {self.noun}: {counts[UploadOutcome.UPLOADED]} uploaded, "
            f"{counts[UploadOutcome.FAILED]} failed, {counts[UploadOutcome.DEFERRED]} to retry later, "
            f"{counts[UploadOutcome.SKIPPED]} skipped"
        )[:255]


def post_once(ctx: RunContext, send: Callable[[], object]) -> object:
    """Send one POST. A 429 was not processed: wait its Retry-After (every thread of the run
    pauses) and send again, a few times at most; anything else goes to the caller, which reads
    the marketplace before any later attempt (the POST may have been recorded)."""
    for resend in range(RATE_LIMIT_RESENDS + 1):
        ctx.wait_if_paused()
        if ctx.stop.is_set():
            raise RunStopped()
        try:
            return send()
        except TransientChannelError as exc:
            wait = exc.retry_after if exc.retry_after is not None else 1.0
            if (
                exc.status == 429
                and not exc.request_may_have_been_processed
                and wait <= RATE_LIMIT_MAX_WAIT_SECONDS
                and resend < RATE_LIMIT_RESENDS
            ):
                ctx.client.calls.add("rate_limit")
                ctx.client.calls.waited(wait)
                ctx.pause_for(wait)
                continue
            raise
    raise AssertionError("unreachable: the last resend raises")  # pragma: no cover
