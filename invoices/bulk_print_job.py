"""The work of a Bulk Print Invoices job (invoices.bulk_print keeps its state and its file).

1. `bulk_print_issue` (one task): in the grid's order, each order's invoice number is issued in a
   short transaction of its own (`invoice_issue`: the order's invoice again on a re-run, so the
   same numbers); refusals are listed with their reason. Then one task per chunk of the printable
   orders is enqueued.
2. `bulk_print_render_chunk` (a task per chunk; a worker's processes take them side by side, so the
   renders use both cores): each invoice rendered from its snapshot, the chunk's pages written to
   one file. The task that finishes the last chunk merges the chunk files in the grid's order.

Every step can run twice (a task delivered again after its worker died): the numbers are issued
once, a chunk's file is written again whole, the merge reads only finished chunks, and a print is
counted once per job (a marker per invoice in the cache).
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from typing import Any

import pikepdf
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from orders.filters import user_can_act_on_orders
from orders.models import Order
from sellercloud.models import Company, User
from sellercloud.permissions import Permission

from .bulk_print import JOB_TTL, chunk_size, job_key, job_path
from .models import Invoice
from .services import (
    InvoiceRefused,
    InvoiceRenderFailed,
    document_print,
    invoice_issue,
    invoice_print,
    invoice_settings_for,
)

logger = logging.getLogger(__name__)

OUT_OF_TIME = "Not printed: the job ran out of time. Print it again (it keeps its number)."
UNEXPECTED = "It could not be printed (an unexpected error, logged): print it from Order Details."
# A plan entry: [order id, invoice id] (the invoice's pages) or [order id, None] (a packing slip,
# with Show Prices off: no number).
Entry = list[Any]


def bulk_print_issue(job_id: str, *, max_seconds: float, enqueue_chunk: Callable[[int], object]) -> int:
    """Issue the job's invoice numbers, then enqueue its chunks; returns the chunks enqueued."""
    meta = cache.get(job_key(job_id, "meta"))
    if meta is None:
        logger.warning("event=bulk_print_expired job=%s", job_id)
        return 0
    plan = cache.get(job_key(job_id, "plan"))
    if plan is None:  # not delivered before, or its worker died before the plan was kept
        plan = _issue_numbers(job_id, meta, max_seconds=max_seconds)
        cache.set(job_key(job_id, "plan"), plan, JOB_TTL)
    chunks = len(plan["chunks"])
    if not chunks:
        _merge(job_id, plan)
        return 0
    cache.add(job_key(job_id, "chunks_done"), 0, JOB_TTL)
    for index in range(chunks):
        enqueue_chunk(index)
    logger.info("event=bulk_print_issued job=%s entries=%d chunks=%d", job_id, len(plan["entries"]), chunks)
    return chunks


def _issue_numbers(job_id: str, meta: dict[str, Any], *, max_seconds: float) -> dict[str, Any]:
    user = User.objects.get(pk=meta["user_id"])
    orders = Order.objects.select_related("company").in_bulk(meta["order_ids"])
    entries: list[Entry] = []
    failures: list[tuple[int, str]] = []
    deadline = time.monotonic() + max_seconds
    companies: dict[int, str | bool] = {}  # per company: why not, or whether prices are shown
    for done, order_id in enumerate(meta["order_ids"], start=1):
        order = orders.get(order_id)
        if time.monotonic() > deadline:
            outcome: Entry | str = OUT_OF_TIME
        elif order is None:
            outcome = "The order no longer exists."
        else:
            if order.company_id not in companies:
                companies[order.company_id] = _company_allows(order.company, user)
            outcome = _issue_one(order, user, companies[order.company_id])
        if isinstance(outcome, str):
            failures.append((order_id, outcome))
        else:
            entries.append(outcome)
        cache.set(job_key(job_id, "issued"), done, JOB_TTL)
    size = chunk_size()
    chunks = [entries[start : start + size] for start in range(0, len(entries), size)]
    return {"entries": entries, "chunks": chunks, "failures": failures}


def _company_allows(company: Company, user: User) -> str | bool:
    """Why the user may not print the company's orders, or whether its prints show prices: read
    once per company of the job, not once per order."""
    if not user_can_act_on_orders(user, Permission.PROCESS_ORDERS, company.pk):
        return f"You may not view and process orders of {company.name}."
    return invoice_settings_for(company).show_prices


def _issue_one(order: Order, user: User, allowed: str | bool) -> Entry | str:
    """The order's plan entry, or why it cannot be printed."""
    if isinstance(allowed, str):
        return allowed
    try:
        if not allowed:  # Show Prices off: a packing slip, no number
            return [order.pk, None]
        return [order.pk, invoice_issue(order=order, by=user).pk]
    except InvoiceRefused as exc:
        return str(exc)
    except Exception:  # one order's surprise must not leave the job unfinished for the others
        logger.exception("event=bulk_print_order_failed order=%s", order.pk)
        return UNEXPECTED


def bulk_print_render_chunk(job_id: str, index: int, *, max_seconds: float) -> int:
    """Render one chunk into its file; the last chunk done merges the job. Returns pages printed."""
    meta, plan = cache.get(job_key(job_id, "meta")), cache.get(job_key(job_id, "plan"))
    if meta is None or plan is None:
        logger.warning("event=bulk_print_expired job=%s chunk=%s", job_id, index)
        return 0
    if cache.get(job_key(job_id, f"chunk:{index}")) is None:  # not rendered by an earlier delivery
        user = User.objects.get(pk=meta["user_id"])
        outcome = _render_chunk(job_id, plan["chunks"][index], user, max_seconds=max_seconds)
        # The file first, then the outcome: a kept outcome means its file is there.
        default_storage.delete(job_path(job_id, f"chunk-{index:04d}.pdf"))
        default_storage.save(job_path(job_id, f"chunk-{index:04d}.pdf"), ContentFile(outcome.pop("pdf")))
        cache.set(job_key(job_id, f"chunk:{index}"), outcome, JOB_TTL)
    if cache.add(job_key(job_id, f"chunk:{index}:counted"), 1, JOB_TTL):
        cache.incr(job_key(job_id, "chunks_done"))
    done = cache.get(job_key(job_id, "chunks_done")) or 0
    if done >= len(plan["chunks"]) and cache.get(job_key(job_id, "result")) is None:
        _merge(job_id, plan)
    return cache.get(job_key(job_id, f"chunk:{index}"), {}).get("printed", 0)


def merged_pdf(parts: list[bytes]) -> bytes:
    """One PDF of these PDFs' pages, in order. By qpdf (pikepdf): a hundred invoices merged took
    1.5 s of CPU with pypdf, 0.2 s with qpdf (issue 19)."""
    out = pikepdf.Pdf.new()
    sources = [pikepdf.Pdf.open(io.BytesIO(part)) for part in parts]  # open until saved: pages point into them
    for source in sources:
        out.pages.extend(source.pages)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _render_chunk(job_id: str, entries: list[Entry], user: User, *, max_seconds: float) -> dict[str, Any]:
    pdfs: list[bytes] = []
    printed, failures = 0, []
    invoices = Invoice.objects.select_related("order", "company").in_bulk([e[1] for e in entries if e[1]])
    orders = Order.objects.select_related("company").in_bulk([e[0] for e in entries if not e[1]])
    options: dict[int, bool] = {}
    deadline = time.monotonic() + max_seconds
    for order_id, invoice_id in entries:
        if time.monotonic() > deadline:
            failures.append((order_id, OUT_OF_TIME))
            continue
        try:
            pdf = _render_one(job_id, invoices.get(invoice_id), orders.get(order_id), user, options)
        except (InvoiceRefused, InvoiceRenderFailed) as exc:
            failures.append((order_id, str(exc)))
            continue
        except Exception:
            logger.exception("event=bulk_print_order_failed order=%s", order_id)
            failures.append((order_id, UNEXPECTED))
            continue
        pdfs.append(pdf)
        printed += 1
        cache.incr(job_key(job_id, "rendered"))
    return {"printed": printed, "failures": failures, "pdf": merged_pdf(pdfs) if pdfs else b""}


def _render_one(
    job_id: str, invoice: Invoice | None, order: Order | None, user: User, options: dict[int, bool]
) -> bytes:
    if invoice is None:
        if order is None:
            raise InvoiceRefused("The order no longer exists.")
        return invoice_print(order=order, by=user).pdf  # the packing slip (Show Prices off)
    company_id = invoice.company_id
    if company_id not in options:
        options[company_id] = invoice_settings_for(invoice.company).print_printed_count
    # Counted once per job: a chunk delivered again renders again without counting again.
    first_time = cache.add(job_key(job_id, f"counted:{invoice.pk}"), 1, JOB_TTL)
    return document_print(invoice, by=user, print_printed_count=options[company_id], count=first_time).pdf


def _merge(job_id: str, plan: dict[str, Any]) -> None:
    """The chunk files in the grid's order as the job's PDF, and the job's outcome."""
    parts: list[bytes] = []
    printed, failures = 0, list(plan["failures"])
    for index in range(len(plan["chunks"])):
        chunk = cache.get(job_key(job_id, f"chunk:{index}"))
        printed += chunk["printed"]
        failures.extend(chunk["failures"])
        if chunk["printed"]:
            with default_storage.open(job_path(job_id, f"chunk-{index:04d}.pdf"), "rb") as f:
                parts.append(f.read())
    path = ""
    if printed:
        path = job_path(job_id, "invoices.pdf")
        default_storage.delete(path)
        path = default_storage.save(path, ContentFile(merged_pdf(parts)))
    position = {order_id: n for n, order_id in enumerate(cache.get(job_key(job_id, "meta"))["order_ids"])}
    failures.sort(key=lambda f: position.get(f[0], 0))
    cache.set(job_key(job_id, "result"), {"printed": printed, "failures": failures, "pdf": path}, JOB_TTL)
    for index in range(len(plan["chunks"])):  # merged: a chunk delivered again finds its outcome kept
        default_storage.delete(job_path(job_id, f"chunk-{index:04d}.pdf"))
    logger.info("event=bulk_print_done job=%s printed=%d refused=%d", job_id, printed, len(failures))
