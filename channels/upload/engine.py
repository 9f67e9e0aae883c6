"""An upload run carried out: the due packages, a small pool of threads, and its end (SPEC S8)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, connections
from django.db.models import Q
from django.utils import timezone

from orders.choices import Channel, UploadStatus
from orders.models import Package

from .. import runs
from ..accounts import AccountLock, client_for
from ..cdiscount.client import CdiscountClient
from ..models import CarrierMapping, CdiscountAccount, SyncRun
from .attempt import preload, upload_package
from .common import CRASHED, PACKAGE_CRASHED, RunContext, UploadOutcome

logger = logging.getLogger(__name__)


def _due_package_ids(*, account: CdiscountAccount, now: datetime) -> list[int]:
    stale = now - timedelta(seconds=settings.UPLOAD_CLAIM_STALE_SECONDS)
    due = (
        Package.objects.filter(
            order__channel_account=account, order__channel=Channel.CDISCOUNT, upload_status=UploadStatus.PENDING
        )
        .filter(Q(next_upload_at__isnull=True) | Q(next_upload_at__lte=now))
        .filter(Q(upload_claimed_at__isnull=True) | Q(upload_claimed_at__lt=stale))
        .order_by("next_upload_at", "pk")
    )
    return list(due.values_list("pk", flat=True)[: settings.UPLOAD_MAX_PACKAGES_PER_RUN])


def thread_count(wanted: int | None) -> int:
    """Threads for this run. One on SQLite (it serialises writers anyway), and one when the caller
    is inside a transaction: other threads could not see its uncommitted rows."""
    if connection.vendor == "sqlite" or connection.in_atomic_block:
        return 1
    return max(1, wanted if wanted is not None else settings.UPLOAD_THREADS)


def upload_execute(
    *,
    run: SyncRun,
    lock: AccountLock | None = None,
    client: CdiscountClient | None = None,
    package_ids: list[int] | None = None,
    claimed: bool = False,
    force_read: bool = False,
    threads: int | None = None,
) -> SyncRun:
    """Carry out a Queued upload run to its end (Completed, Partial Success or Failed).

    Without `package_ids` it takes the account's due Pending packages; with them (a user's retry)
    only those, already claimed by the caller when `claimed`, reading the order first when
    `force_read`. The caller holds the account's lock or passes None. Never raises for a
    marketplace fault: the packages and the run record it.
    """
    account = CdiscountAccount.objects.get(pk=run.account_id)
    now = timezone.now()
    run.status = SyncRun.Status.PROCESSING
    run.started_at = run.heartbeat_at = now
    run.save(update_fields=["status", "started_at", "heartbeat_at"])
    ctx = RunContext(
        run=run,
        account=account,
        client=client or client_for(account),
        lock=lock,
        user=run.user,
        mappings={m.carrier.strip().casefold(): m for m in CarrierMapping.objects.filter(account=account)},
    )
    with run_to_its_end(ctx, event="upload", crashed=CRASHED, own_client=client is None):
        ids = package_ids if package_ids is not None else _due_package_ids(account=account, now=now)
        ctx.total = len(ids)
        if not claimed:
            ctx.preloaded = preload(ids)
        run_each(
            ctx,
            ids,
            threads=thread_count(threads),
            one=lambda package_id: _upload_safely(ctx, package_id, claimed=claimed, force_read=force_read),
        )
    return run


@contextmanager
def run_to_its_end(ctx: RunContext, *, event: str, crashed: str, own_client: bool) -> Iterator[None]:
    """The body of an upload run (tracking or invoices): whatever it raises, the run ends visibly
    (Failed with `crashed` in its log, the error logged) and a client made for it is closed. Only
    what is not an Exception (a worker shutting down) goes on up."""
    calls_before = ctx.client.calls.snapshot()
    try:
        yield
    except BaseException as exc:  # noqa: BLE001 - a bug or a soft time limit must still end the run visibly
        logger.exception("event=%s_crashed run=%s account=%s", event, ctx.run.pk, ctx.account.pk)
        ctx.stop_with(crashed)
        finish_run(ctx, calls_before, event=f"{event}_finished")
        if not isinstance(exc, Exception):
            raise
    else:
        finish_run(ctx, calls_before, event=f"{event}_finished")
    finally:
        if own_client:
            ctx.client.close()


def run_each(ctx: RunContext, ids: list[int], *, threads: int, one: Callable[[int], None]) -> None:
    """`one(id)` for each id, on a small pool of threads (or in this thread), until done or the
    run stops; this thread renews the lock and writes the heartbeat meanwhile."""
    if threads <= 1 or len(ids) <= 1:
        for item_id in ids:
            if ctx.stop.is_set():
                break
            one(item_id)
            ctx.tick()
        return
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for item_id in ids:
        todo.put(item_id)

    def work() -> None:
        try:
            while not ctx.stop.is_set():
                try:
                    item_id = todo.get_nowait()
                except queue.Empty:
                    return
                one(item_id)
        finally:
            # Each thread has its own connection: close it, or PostgreSQL keeps it open.
            connections.close_all()

    pool = [
        threading.Thread(target=work, name=f"upload-{ctx.run.pk}-{i}", daemon=True)
        for i in range(min(threads, len(ids)))
    ]
    for thread in pool:
        thread.start()
    try:
        for thread in pool:
            while thread.is_alive():
                thread.join(timeout=1.0)
                ctx.tick()
    except BaseException:
        ctx.stop_with("Stopped before the end (the worker was asked to stop).")
        for thread in pool:
            thread.join(timeout=60)
        raise


def _upload_safely(ctx: RunContext, package_id: int, *, claimed: bool, force_read: bool) -> None:
    """One package; a bug here is logged and the package rescheduled, the run goes on."""
    try:
        outcome = upload_package(ctx, package_id, claimed=claimed, force_read=force_read)
    except Exception:
        logger.exception("event=upload_package_crashed run=%s package=%s", ctx.run.pk, package_id)
        try:
            Package.objects.filter(pk=package_id, upload_status=UploadStatus.PENDING).update(
                upload_claimed_at=None,
                next_upload_at=timezone.now() + timedelta(seconds=settings.UPLOAD_BACKOFF_BASE_SECONDS),
                upload_error=PACKAGE_CRASHED,
            )
        except Exception:
            logger.exception("event=upload_package_release_failed run=%s package=%s", ctx.run.pk, package_id)
        ctx.record(UploadOutcome.DEFERRED, f"Package {package_id}: {PACKAGE_CRASHED}")
        return
    ctx.record(outcome)


def finish_run(ctx: RunContext, calls_before: Mapping[str, float], *, event: str) -> None:
    """End the run: its status from the counts (Failed when it stopped), its log, its calls."""
    run, account = ctx.run, ctx.account
    ctx._copy_counts()
    deferred = ctx.counts[UploadOutcome.DEFERRED]
    if ctx.stop_reason:
        status = SyncRun.Status.FAILED
    elif run.failed or deferred:
        status = SyncRun.Status.PARTIAL
    else:
        status = SyncRun.Status.COMPLETED
    if waiting := ctx.counts[UploadOutcome.WAITING]:
        ctx.log.append(
            f"{waiting} of the {ctx.noun} posted; Cdiscount is still importing them: a later run follows them."
        )
    if deferred:
        ctx.log.append(f"{deferred} of the {ctx.noun} met a temporary error and will be retried by a later run.")
    run.status = status
    run.error = ctx.stop_reason[:2000]
    run.finished_at = run.heartbeat_at = timezone.now()
    calls = ctx.client.calls.snapshot()
    run.api_calls = int(calls["api"] - calls_before["api"])
    run.log = "\n".join([*ctx.log, runs.calls_note(calls_before, calls)]).strip()
    run.save()
    logger.info(
        "event=%s run=%s account=%s status=%s %s=%d uploaded=%d failed=%d deferred=%d skipped=%d api_calls=%d error=%s",
        event,
        run.pk,
        account.pk,
        status,
        ctx.noun,
        ctx.total,
        run.uploaded,
        run.failed,
        deferred,
        run.skipped,
        run.api_calls,
        run.error[:200] or "-",
    )
