"""Bulk Print Invoices (issue 19): the invoices of many orders in one PDF, made in the background.

Manage Orders' Actions menu lists it (registered in apps.py into orders.bulk, which never imports
invoices); its `start` gets the orders' ids in the grid's order. The task prints each order through
the one print service (`invoice_print`: the number issued in a short transaction of its own, or
the order's invoice again on a re-run, so the same numbers), counts the progress in the cache, and
merges the pages with pypdf in the grid's order. An order that cannot be invoiced is listed with
its reason, the others printed. The job and its PDF stay a day (the cache's expiry).
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from pypdf import PdfWriter

from orders.filters import user_can_act_on_orders
from orders.models import Order
from sellercloud.models import User
from sellercloud.permissions import Permission

from .services import InvoiceRefused, InvoiceRenderFailed, invoice_print

logger = logging.getLogger(__name__)

JOB_TTL = 24 * 60 * 60
# One job's orders at most: a PDF of a few thousand invoices is already tens of megabytes.
MAX_ORDERS = 2000
FAILURES_KEPT = 50


def _key(job_id: str, part: str) -> str:
    return f"invoices:bulk-print:{job_id}:{part}"


def bulk_print_start(*, user: User, order_ids: list[int], enqueue: Callable[[str], object]) -> str:
    """Record the job and, once the transaction commits, `enqueue(job_id)` (invoices.dispatch)."""
    job_id = uuid.uuid4().hex
    meta = {"user_id": user.pk, "order_ids": order_ids, "total": len(order_ids)}
    cache.set_many({_key(job_id, "meta"): meta, _key(job_id, "progress"): _progress()}, JOB_TTL)
    transaction.on_commit(partial(enqueue, job_id))
    logger.info("event=bulk_print_queued job=%s orders=%d user=%s", job_id, len(order_ids), user.pk)
    return job_id


def task_budget_seconds() -> float:
    """How long a job prints before it stops and lists the rest (well under Celery's limits)."""
    return float(getattr(settings, "INVOICES_BULK_PRINT_SECONDS", 420))


def _progress(
    done: int = 0, printed: int = 0, failures: list[tuple[int, str]] | None = None, finished: bool = False
) -> dict[str, Any]:
    failures = failures or []
    return {
        "done": done,
        "printed": printed,
        "failed": len(failures),
        "failures": failures[:FAILURES_KEPT],
        "finished": finished,
    }


def bulk_print_run(job_id: str, *, max_seconds: float) -> int:
    """Print the job's orders in its order, then store the merged PDF; returns the invoices printed.
    The permission is checked again per company: the task runs later than the click. After
    `max_seconds` the orders left are listed as not printed and the PDF holds those printed."""
    meta = cache.get(_key(job_id, "meta"))
    if meta is None:
        logger.warning("event=bulk_print_expired job=%s", job_id)
        return 0
    user = User.objects.get(pk=meta["user_id"])
    orders = Order.objects.select_related("company").in_bulk(meta["order_ids"])
    writer = PdfWriter()
    printed, failures = 0, []
    deadline = time.monotonic() + max_seconds
    for done, order_id in enumerate(meta["order_ids"], start=1):
        order = orders.get(order_id)
        if time.monotonic() > deadline:
            reason = "Not printed: the job ran out of time. Print it again (it keeps its number)."
        elif order is None:
            reason = "The order no longer exists."
        else:
            reason = _print_into(writer, order, user)
        if reason:
            failures.append((order_id, reason))
        else:
            printed += 1
        cache.set(_key(job_id, "progress"), _progress(done, printed, failures), JOB_TTL)
    out = io.BytesIO()
    if printed:
        writer.write(out)
    cache.set(_key(job_id, "pdf"), out.getvalue(), JOB_TTL)
    cache.set(_key(job_id, "progress"), _progress(len(meta["order_ids"]), printed, failures, True), JOB_TTL)
    logger.info("event=bulk_print_done job=%s printed=%d refused=%d", job_id, printed, len(failures))
    return printed


def _print_into(writer: PdfWriter, order: Order, user: User) -> str:
    """Append the order's invoice to `writer`; returns why not ("" when printed)."""
    if not user_can_act_on_orders(user, Permission.PROCESS_ORDERS, order.company_id):
        return f"You may not view and process orders of {order.company.name}."
    try:
        printed = invoice_print(order=order, by=user)
    except (InvoiceRefused, InvoiceRenderFailed) as exc:
        return str(exc)
    except Exception:  # one order's surprise must not leave the job unfinished for the others
        logger.exception("event=bulk_print_order_failed order=%s", order.pk)
        return "It could not be printed (an unexpected error, logged): print it from Order Details."
    writer.append(io.BytesIO(printed.pdf))
    return ""


def bulk_print_status(job_id: str, *, user: User) -> dict[str, Any] | None:
    """The job's progress for its owner, or None (unknown, expired, or someone else's)."""
    meta = cache.get(_key(job_id, "meta"))
    if not meta or meta["user_id"] != user.pk:
        return None
    progress = cache.get(_key(job_id, "progress")) or _progress()
    total, done = meta["total"], min(progress["done"], meta["total"])
    failed = progress["failed"]
    return {
        "job_id": job_id,
        "label": "Bulk Print Invoices",
        "total": total,
        "done": done,
        "printed": progress["printed"],
        "failed": failed,
        "failures": progress["failures"],
        "finished": progress["finished"],
        "percent": int(100 * done / total) if total else 100,
        "summary": f"{done} of {total} orders done: {progress['printed']} printed, {failed} refused.",
    }


def bulk_print_pdf(job_id: str, *, user: User) -> tuple[bytes, str] | None:
    """The finished job's PDF and its file name for its owner, or None (not ready, nothing
    printed, expired, or someone else's)."""
    status = bulk_print_status(job_id, user=user)
    pdf = cache.get(_key(job_id, "pdf")) if status and status["finished"] else None
    if not pdf:
        return None
    return pdf, f"invoices-{timezone.localtime().strftime('%Y%m%d-%H%M')}.pdf"
