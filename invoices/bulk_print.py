"""Bulk Print Invoices (issue 19): the invoices of many orders in one PDF, made in the background.

Manage Orders' Actions menu lists it (registered in apps.py into orders.bulk, which never imports
invoices); its `start` gets the orders' ids in the grid's order. The work itself is in
invoices.bulk_print_job: the numbers issued one short transaction each, then the PDFs rendered in
chunks, one Celery task per chunk, so a worker with two processes renders on both cores.

The job's state (its orders, progress, outcome) lives in the cache for a day; its PDF is a file in
the default storage (MEDIA_ROOT, or the shared storage STORAGES names when web and workers run on
several machines), removed with its job after a day: megabytes have no place in Redis.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from sellercloud.models import User

logger = logging.getLogger(__name__)

JOB_TTL = 24 * 60 * 60
# One job's orders at most: a PDF of a few thousand invoices is already tens of megabytes.
MAX_ORDERS = 2000
FAILURES_KEPT = 50
FOLDER = "bulk-print"


def job_key(job_id: str, part: str) -> str:
    return f"invoices:bulk-print:{job_id}:{part}"


def job_path(job_id: str, name: str) -> str:
    """Where the job's files are, in the default storage."""
    return f"{FOLDER}/{job_id}/{name}"


def task_budget_seconds() -> float:
    """How long one task of a job works before it stops and lists the rest (well under Celery's
    limits)."""
    return float(settings.INVOICES_BULK_PRINT_SECONDS)


def chunk_size() -> int:
    """Orders rendered by one task: small enough that both worker processes get a share."""
    return max(1, int(settings.INVOICES_BULK_PRINT_CHUNK))


def bulk_print_start(*, user: User, order_ids: list[int], enqueue: Callable[[str], object]) -> str:
    """Record the job and, once the transaction commits, `enqueue(job_id)` (invoices.dispatch).
    Jobs over a day old are removed first, their files with them."""
    purge_old_jobs()
    job_id = uuid.uuid4().hex
    meta = {"user_id": user.pk, "order_ids": order_ids, "total": len(order_ids)}
    cache.set_many(
        {job_key(job_id, "meta"): meta, job_key(job_id, "issued"): 0, job_key(job_id, "rendered"): 0}, JOB_TTL
    )
    transaction.on_commit(partial(enqueue, job_id))
    logger.info("event=bulk_print_queued job=%s orders=%d user=%s", job_id, len(order_ids), user.pk)
    return job_id


def purge_old_jobs() -> int:
    """Delete the files of jobs older than a day; returns how many jobs went."""
    if not default_storage.exists(FOLDER):
        return 0
    cutoff = timezone.now() - timedelta(seconds=JOB_TTL)
    removed = 0
    for job_id in default_storage.listdir(FOLDER)[0]:
        names = default_storage.listdir(f"{FOLDER}/{job_id}")[1]
        paths = [job_path(job_id, name) for name in names]
        if all(default_storage.get_modified_time(p) < cutoff for p in paths):
            for p in paths:
                default_storage.delete(p)
            removed += 1
    return removed


def bulk_print_status(job_id: str, *, user: User) -> dict[str, Any] | None:
    """The job's progress for its owner, or None (unknown, expired, or someone else's)."""
    meta = cache.get(job_key(job_id, "meta"))
    if not meta or meta["user_id"] != user.pk:
        return None
    parts = cache.get_many([job_key(job_id, p) for p in ("issued", "rendered", "plan", "result")])
    total = meta["total"]
    plan, result = parts.get(job_key(job_id, "plan")), parts.get(job_key(job_id, "result"))
    if result is not None:
        failures, printed = result["failures"], result["printed"]
        done = total
        summary = f"{total} of {total} orders done: {printed} printed, {len(failures)} refused."
    elif plan is not None:
        failures, printed = plan["failures"], min(parts.get(job_key(job_id, "rendered")) or 0, len(plan["entries"]))
        done = min(total, len(failures) + printed)
        summary = f"Printing: {printed} of {len(plan['entries'])} invoices rendered ({len(failures)} refused)."
    else:
        failures, printed, done = [], 0, 0
        issued = min(parts.get(job_key(job_id, "issued")) or 0, total)
        summary = f"Issuing the invoice numbers: {issued} of {total} orders."
    return {
        "job_id": job_id,
        "label": "Bulk Print Invoices",
        "total": total,
        "done": done,
        "printed": printed,
        "failed": len(failures),
        "failures": failures[:FAILURES_KEPT],
        "finished": result is not None,
        "percent": int(100 * done / total) if total else 100,
        "summary": summary,
    }


def bulk_print_pdf(job_id: str, *, user: User) -> tuple[IO[bytes], str] | None:
    """The finished job's PDF (an open file) and its file name for its owner, or None (not
    ready, nothing printed, expired, or someone else's)."""
    status = bulk_print_status(job_id, user=user)
    result = cache.get(job_key(job_id, "result")) if status and status["finished"] else None
    if not result or not result["pdf"] or not default_storage.exists(result["pdf"]):
        return None
    return default_storage.open(result["pdf"], "rb"), f"invoices-{timezone.localtime().strftime('%Y%m%d-%H%M')}.pdf"
