"""Invoice figures of SPEC S11, measured in-process.

    BENCH_SCALE=small|full .venv/bin/python bench/invoices.py   (make bench runs it)

On PostgreSQL only, in a database of its own (`bench_invoices`, created when missing, unless
DATABASE_URL names another): the company `bench-invoices` with complete legal details and a logo
(the demo's, Cdiscount printed as the French Facture), its orders seeded with `seed_orders` and
given a payment. Each run invoices orders not invoiced before, so the series just grows.

- `invoice_pdf_ms`: one invoice, order to PDF bytes (`invoice_print`: the number and snapshot
  issued under the row locks, then rendered), p50 of BENCH_REPEAT prints after a warm-up.
- `invoice_batch_100_s`: 100 issued invoices rendered from their snapshots and merged into one PDF
  with pypdf, the renders spread over one process per core (a forked pool; bulk print, issue 19
  point 2, is not built yet, so this measures the way it is meant to work).
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, ensure_database, merge_results  # noqa: E402

if TYPE_CHECKING:
    from sellercloud.models import Company

SCALE = os.environ.get("BENCH_SCALE", "full")
if SCALE not in ("small", "full"):
    sys.exit(f"BENCH_SCALE must be small or full, not {SCALE!r}")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_invoices")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")
os.environ.setdefault("SELLERCLOUD_DEMO", "1")  # a bench database: the development keys are fine
REPEAT = max(10, int(os.environ.get("BENCH_REPEAT", "15" if SCALE == "small" else "40")))
BATCH = 100
WARM_UP = 3
COMPANY_CODE = "bench-invoices"


def _company() -> Company:
    from django.core.management import call_command

    from invoices.demo import demo_seed_legal_details
    from sellercloud.models import Company

    call_command("migrate", verbosity=0)
    # The legal details the demo company gets from the seed (same SIRET / VAT number: a bench).
    identity = {
        "legal_name": "Bench Lumière SAS",
        "address_line1": "18 rue des Francs-Bourgeois",
        "postal_code": "75003",
        "city": "Paris",
        "vat_number": "FR44732829320",
        "siret": "73282932000017",
    }
    company, _ = Company.objects.update_or_create(code=COMPANY_CODE, defaults={"name": "Bench Lumière SAS", **identity})
    demo_seed_legal_details(company=company)
    return company


def _orders_to_invoice(company: Company, needed: int) -> list[int]:
    """Ids of `needed` paid orders without an invoice, seeding and paying more when short."""
    from django.core.management import call_command
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from invoices.models import Invoice
    from orders.choices import OrderStatus
    from orders.models import Order, Payment

    def candidates() -> list[int]:
        invoiced = Invoice.objects.filter(order=OuterRef("pk"))
        qs = Order.objects.filter(company=company, grand_total__gt=0).exclude(status=OrderStatus.CANCELED)
        return list(qs.exclude(Exists(invoiced)).order_by("pk").values_list("pk", flat=True)[:needed])

    ids = candidates()
    if len(ids) < needed:
        have = Order.objects.filter(company=company).count()
        call_command("seed_orders", count=(needed - len(ids)) * 2 + 50, company=COMPANY_CODE, seed=have + 1)
        ids = candidates()
    unpaid = Order.objects.filter(pk__in=ids).exclude(Exists(Payment.objects.filter(order=OuterRef("pk"))))
    Payment.objects.bulk_create(
        [
            Payment(order=o, operation_type="Cdiscount", method="Card", amount=o.grand_total, paid_at=timezone.now())
            for o in unpaid
        ]
    )
    return ids


def _render(snapshot: dict) -> bytes:
    from invoices.renderers.base import PrintJob
    from invoices.renderers.registry import renderer_for

    return renderer_for(snapshot["invoice_type"], snapshot["order"]["channel"]).render(PrintJob(snapshot=snapshot))


def _batch_pdf(snapshots: list[dict]) -> bytes:
    """One PDF of all the invoices: rendered over one forked process per core, merged with pypdf."""
    from multiprocessing import get_context

    from django.db import connections
    from pypdf import PdfWriter

    connections.close_all()  # the children must not share the parent's connection
    workers = os.cpu_count() or 1
    with get_context("fork").Pool(workers) as pool:
        pdfs = pool.map(_render, snapshots, chunksize=max(1, len(snapshots) // (workers * 4)))
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(io.BytesIO(pdf))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def main() -> None:
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("The invoice bench runs on PostgreSQL (DATABASE_URL=postgres://...).")
    ensure_database(url)

    import django

    django.setup()
    from pypdf import PdfReader

    from invoices.models import Invoice
    from invoices.services import invoice_issue, invoice_print
    from orders.models import Order

    company = _company()
    ids = _orders_to_invoice(company, WARM_UP + REPEAT + BATCH)
    single, batch_ids = ids[: WARM_UP + REPEAT], ids[WARM_UP + REPEAT :]

    timings = []
    for n, order_id in enumerate(single):
        started = time.perf_counter()
        pdf = invoice_print(order=Order.objects.select_related("company").get(pk=order_id), by=None).pdf
        elapsed = (time.perf_counter() - started) * 1000
        assert pdf.startswith(b"%PDF")
        if n >= WARM_UP:  # warm-up: WeasyPrint's import, fonts, the stylesheet, connections
            timings.append(elapsed)

    for order_id in batch_ids:  # issued first: the batch prints documents of record
        invoice_issue(order=Order.objects.select_related("company").get(pk=order_id), by=None)
    snapshots = list(
        Invoice.objects.filter(order_id__in=batch_ids, kind=Invoice.Kind.INVOICE)
        .order_by("sequence_number")
        .values_list("snapshot", flat=True)
    )
    started = time.perf_counter()
    merged = _batch_pdf(snapshots)
    batch_s = time.perf_counter() - started
    pages = len(PdfReader(io.BytesIO(merged)).pages)
    assert pages >= BATCH, pages

    figures = {"invoice_pdf_ms": round(statistics.median(timings), 1), "invoice_batch_100_s": round(batch_s, 2)}
    merge_results(figures)
    print(f"\nInvoices ({SCALE}): {REPEAT} single prints (p50), {BATCH} invoices merged ({pages} pages)")
    print(f"single print p50 {statistics.median(timings):.1f} ms, min {min(timings):.1f}, max {max(timings):.1f}")
    goals = {
        "invoice_pdf_ms": figures["invoice_pdf_ms"] < 80,
        "invoice_batch_100_s": figures["invoice_batch_100_s"] < 4,
    }
    for key, value in figures.items():
        print(f"{key:<32}{value:>10}   {'goal met' if goals[key] else 'GOAL MISSED'}")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
