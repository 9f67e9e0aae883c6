"""Invoice figures of SPEC S11, measured in-process.

    BENCH_SCALE=small|full .venv/bin/python bench/invoices.py   (make bench runs it)

On PostgreSQL only, in a database of its own (`bench_invoices`, created when missing, unless
DATABASE_URL names another): the company `bench-invoices` with complete legal details and a logo
(the demo's, Cdiscount printed as the French Facture), its orders seeded with `seed_orders` and
given a payment. Each run invoices orders not invoiced before, so the series just grows.

- `invoice_pdf_ms`: one invoice, order to PDF bytes (`invoice_print`: the number and snapshot
  issued under the row locks, then rendered), p50 of BENCH_REPEAT prints after a warm-up.
- `invoice_batch_100_s`: Bulk Print Invoices of 100 orders, as a user gets it: the job started,
  then a real Celery worker (prefork, one process per core, on a queue of its own) issues their
  numbers and renders the chunks side by side, and the last chunk merges them; timed from the
  start to the finished job's PDF read back. The orders are invoiced before (a re-print: the
  numbers are issued at once, the renders are the work).
- `word_invoice_s`: one Word to PDF invoice, snapshot to PDF bytes (the sample template filled in
  the sandbox, then converted by the LibreOffice converter kept running, as `make run` and
  production have it), p50 of BENCH_REPEAT prints after a warm-up. Left out, with the reason,
  where LibreOffice is not installed.

Needs Redis (REDIS_URL, by default the local server's database 9): the worker and this process
share the job's state and its queue.
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
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
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


def _batch_pdf(order_ids: list[int]) -> tuple[bytes, float]:
    """Bulk Print Invoices of `order_ids` on a real worker: the job's PDF and its seconds."""
    import subprocess
    import tempfile
    import uuid

    from django.conf import settings

    from invoices import bulk_print
    from invoices.tasks import bulk_print_task
    from orders.models import Order
    from sellercloud.models import Membership, User

    user, _ = User.objects.get_or_create(username="bench-invoices")
    company_id = Order.objects.filter(pk=order_ids[0]).values_list("company_id", flat=True).get()
    Membership.objects.update_or_create(
        user=user, company_id=company_id, defaults={"can_view_orders": True, "can_process_orders": True}
    )
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    command = [
        sys.executable, "-m", "celery", "-A", "sellercloud", "worker", "--pool", "prefork",
        "--concurrency", str(os.cpu_count() or 1), "-Q", queue, "--without-heartbeat", "--without-gossip",
        "--without-mingle", "-l", "info",
    ]  # fmt: skip
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        worker = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            deadline = time.monotonic() + 60
            while "ready." not in Path(log.name).read_text(errors="replace"):
                if worker.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"The Celery worker did not start:\n{Path(log.name).read_text()[-2000:]}")
                time.sleep(0.1)
            started = time.perf_counter()
            job_id = bulk_print.bulk_print_start(
                user=user,
                order_ids=order_ids,
                enqueue=lambda job: bulk_print_task.apply_async(args=(job,), queue=queue),
            )
            while not (status := bulk_print.bulk_print_status(job_id, user=user)) or not status["finished"]:
                if time.monotonic() > deadline + 600:
                    sys.exit("The bulk print did not finish in 10 minutes.")
                time.sleep(0.02)
            found = bulk_print.bulk_print_pdf(job_id, user=user)
            assert found is not None and status["failed"] == 0, status
            pdf, seconds = found[0].read(), time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    print(f"bulk print: {status['printed']} printed in chunks of {settings.INVOICES_BULK_PRINT_CHUNK}")
    return pdf, seconds


def _word_invoice_s(company: Company, snapshot: dict) -> float | None:
    """p50 seconds of one Word invoice, snapshot to PDF, on the reused converter."""
    from invoices.models import InvoiceType, WordTemplate
    from invoices.renderers.base import PrintJob
    from invoices.renderers.registry import renderer_for
    from invoices.word.converter import converter_ensure, converter_pid, converter_stop, libreoffice_missing
    from invoices.word.sample import SAMPLE_TEMPLATE

    if reason := libreoffice_missing():
        print(f"word_invoice_s not measured: {reason}")
        return None
    content = SAMPLE_TEMPLATE.read_bytes()
    template, _ = WordTemplate.objects.update_or_create(
        company=company, name="bench-sample", defaults={"content": content, "size": len(content)}
    )
    started_here = converter_pid() is None
    converter_ensure()  # started once, as `manage.py run_converter` keeps it
    job = PrintJob(snapshot={**snapshot, "invoice_type": InvoiceType.WORD, "word_template_id": template.pk})
    renderer = renderer_for(InvoiceType.WORD, snapshot["order"]["channel"])
    timings = []
    try:
        for n in range(WARM_UP + REPEAT):
            started = time.perf_counter()
            pdf = renderer.render(job)
            if n >= WARM_UP:
                timings.append(time.perf_counter() - started)
            assert pdf.startswith(b"%PDF")
    finally:
        if started_here:
            converter_stop()
    print(f"word invoice p50 {statistics.median(timings):.3f} s, min {min(timings):.3f}, max {max(timings):.3f}")
    return round(statistics.median(timings), 3)


def main() -> None:
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("The invoice bench runs on PostgreSQL (DATABASE_URL=postgres://...).")
    ensure_database(url)

    import django

    django.setup()
    from pypdf import PdfReader

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
    merged, batch_s = _batch_pdf(batch_ids)
    pages = len(PdfReader(io.BytesIO(merged)).pages)
    assert pages >= BATCH, pages

    from invoices.models import Invoice

    word_s = _word_invoice_s(company, Invoice.objects.get(order_id=batch_ids[0], kind=Invoice.Kind.INVOICE).snapshot)
    figures: dict[str, float | None] = {
        "invoice_pdf_ms": round(statistics.median(timings), 1),
        "invoice_batch_100_s": round(batch_s, 2),
        "word_invoice_s": word_s,
    }
    merge_results(figures)
    print(f"\nInvoices ({SCALE}): {REPEAT} single prints (p50), {BATCH} invoices merged ({pages} pages)")
    print(f"single print p50 {statistics.median(timings):.1f} ms, min {min(timings):.1f}, max {max(timings):.1f}")
    goals = {
        "invoice_pdf_ms": statistics.median(timings) < 80,
        "invoice_batch_100_s": batch_s < 4,
        "word_invoice_s": word_s is not None and word_s < 0.5,
    }
    for key, value in figures.items():
        print(f"{key:<32}{value if value is not None else '-':>10}   {'goal met' if goals[key] else 'GOAL MISSED'}")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
