"""A download run's state and bookkeeping: the lock it holds, its counts, its window, how it is
created, how its progress is written after each page, and how it ends (SPEC S6). engine.py
carries the run out."""

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channels import runs
from channels.accounts import AccountLock
from channels.cdiscount.client import CdiscountClient
from channels.models import CdiscountAccount, SyncRun

logger = logging.getLogger(__name__)


class LockLost(Exception):
    """Another run holds the account now: this one stops without touching the watermark."""


@dataclass
class RunState:
    run: SyncRun
    account: CdiscountAccount
    client: CdiscountClient
    lock: AccountLock | None
    seen: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(["created", "updated", "unchanged", "skipped", "failed"], 0)
    )
    log: list[str] = field(default_factory=list)
    lock_renewed: float = field(default_factory=time.monotonic)

    def keep_lock(self, *, force: bool = False) -> None:
        """Renew the account's lock after every page, and within a page that runs long (a slow
        database), so a live run never loses it; raise LockLost if another run has it now."""
        if self.lock is None:
            return
        if force or time.monotonic() - self.lock_renewed > settings.DOWNLOAD_LOCK_TTL_SECONDS / 3:
            if not self.lock.renew():
                raise LockLost()
            self.lock_renewed = time.monotonic()


def download_window(*, account: CdiscountAccount, start: datetime) -> tuple[datetime, datetime, int | None]:
    """The window of an ordinary run that starts at `start` (SPEC S6), with the overlap it used
    (None for a first run, which looks back the account's N days)."""
    if account.download_watermark is None:
        return start - timedelta(days=account.lookback_days), start, None
    overlap = settings.DOWNLOAD_OVERLAP_MINUTES
    return account.download_watermark - timedelta(minutes=overlap), start, overlap


def run_create(
    *,
    account: CdiscountAccount,
    trigger: str,
    user: Any = None,
    window_from: datetime | None = None,
    window_to: datetime | None = None,
    channel_order_id: str = "",
) -> SyncRun:
    """A Queued download run; a backfill when dates are given."""
    return SyncRun.objects.create(
        account=account,
        kind=SyncRun.Kind.DOWNLOAD,
        trigger=trigger,
        user=user if user is not None and getattr(user, "is_authenticated", False) else None,
        window_from=window_from,
        window_to=window_to,
        is_backfill=window_from is not None or window_to is not None,
        channel_order_id=channel_order_id,
    )


# Progress and heartbeat are written at most this often: each write is a commit, and a page of
# unchanged orders costs less than that commit (SPEC S11); the progress page polls every 2 s.
PROGRESS_EVERY_SECONDS = 1.0


def after_page(state: RunState, on_page: Callable[[SyncRun], None] | None) -> None:
    state.keep_lock(force=True)
    run = state.run
    run.pages += 1
    for name, value in state.counts.items():
        setattr(run, name, value)
    run.progress = f"{run.pages} pages, {sum(state.counts.values())} orders"
    now = timezone.now()
    if run.heartbeat_at is None or (now - run.heartbeat_at).total_seconds() >= PROGRESS_EVERY_SECONDS:
        run.heartbeat_at = now
        run.save(update_fields=["pages", *state.counts, "heartbeat_at", "progress"])
    if on_page is not None:
        on_page(run)


def finish_run(state: RunState, status: str, error: str, calls_before: Mapping[str, float]) -> None:
    run, account = state.run, state.account
    run.status = status
    run.error = error[:2000]
    run.finished_at = timezone.now()
    calls = state.client.calls.snapshot()
    run.api_calls = int(calls["api"] - calls_before["api"])
    for name, value in state.counts.items():
        setattr(run, name, value)
    run.log = "\n".join([*state.log, runs.calls_note(calls_before, calls)]).strip()
    with transaction.atomic():
        run.save()
        ordinary = not run.is_backfill and not run.channel_order_id
        if status in SyncRun.SUCCESS_STATUSES:
            updates: dict[str, Any] = {"consecutive_failures": 0}
            if ordinary:
                updates["download_watermark"] = run.window_to
            CdiscountAccount.objects.filter(pk=account.pk).update(**updates)
        else:
            CdiscountAccount.objects.filter(pk=account.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    logger.info(
        "event=download_finished run=%s account=%s status=%s pages=%d created=%d updated=%d unchanged=%d "
        "skipped=%d failed=%d api_calls=%d error=%s",
        run.pk,
        account.pk,
        status,
        run.pages,
        run.created,
        run.updated,
        run.unchanged,
        run.skipped,
        run.failed,
        run.api_calls,
        error[:200] or "-",
    )
