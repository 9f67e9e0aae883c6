"""Invoice upload figure of SPEC S11 (issue 21), against the sandbox running in this process.

    BENCH_SCALE=small|full .venv/bin/python bench/invoice_upload.py   (make bench runs it)

- invoice_upload_calls_per_invoice: POSTs of invoice documents per invoice uploaded by one clean
  invoice upload run (no fault). Goal 1.0: each invoice posted once. The import status reads
  (GET /order-invoice-imports/{importId}) are counted apart and reported as
  invoice_upload_status_reads_per_invoice, with the run's time per invoice (issue and render
  included) as invoice_upload_ms_per_invoice.

Setup, not timed: Upload invoices to Cdiscount on for the company `bench-invoices` (complete legal
details), BENCH_INVOICES InPreparation orders on a fresh sandbox (default 200; 50 for small),
downloaded, shipped here and their tracking uploaded (Ship Confirmed). The company's orders are
deleted and made again each time; its invoice numbers go on from year to year's series.

PostgreSQL only: the `bench` database (`bench_small` for BENCH_SCALE=small), created when missing
and migrated. The keys are merged into bench/results.json.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import LEGAL, ensure_database, merge_results  # noqa: E402

SCALE = os.environ.get("BENCH_SCALE", "full")
if SCALE not in ("small", "full"):
    sys.exit(f"BENCH_SCALE must be small or full, not {SCALE!r}")
INVOICES = int(os.environ.get("BENCH_INVOICES", "200" if SCALE == "full" else "50"))
DB_NAME = "bench" if SCALE == "full" else "bench_small"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")
os.environ.setdefault("SELLERCLOUD_DEMO", "1")  # a bench database: the development keys are fine
os.environ.setdefault("CDISCOUNT_ALLOWED_PRIVATE_NETWORKS", "127.0.0.0/8")
COMPANY_CODE = "bench-invoices"
GOALS = {
    "invoice_upload_calls_per_invoice": "1.0",
    "invoice_upload_status_reads_per_invoice": "(reported)",
    "invoice_upload_ms_per_invoice": "(reported)",
}


def measure() -> dict[str, float]:
    """Ship INVOICES orders with the option on, then time one invoice upload run and count its calls."""
    from django.utils import timezone

    from channels.account_services import account_update_settings
    from channels.invoice_upload import invoice_upload_run_now
    from channels.models import CarrierMapping, CdiscountAccount, InvoiceUpload, SyncRun
    from channels.sandbox import Faults, SandboxConfig, SandboxServer
    from channels.sandbox.control import SandboxControl
    from channels.services import download_run_now
    from channels.upload import upload_run_now
    from orders.models import Order
    from orders.services import company_today, order_ship
    from sellercloud.models import Company

    config = SandboxConfig(orders=0, seed=2027, faults=Faults(), invoice_import_seconds=0)
    server = SandboxServer(config=config).start()
    control = SandboxControl(server.base_url)
    try:
        company, _ = Company.objects.update_or_create(code=COMPANY_CODE, defaults=LEGAL)
        InvoiceUpload.objects.filter(account__company=company).delete()
        # Invoices are documents of record (never deleted): the bench's orders keep theirs and
        # are left behind under another account-less company name; only new orders are measured.
        account, _ = CdiscountAccount.objects.update_or_create(
            company=company,
            defaults={
                "environment": "custom",
                "custom_api_base_url": server.api_base_url,
                "custom_token_url": server.token_url,
                "client_id": server.config.client_id,
                "client_secret": server.config.client_secret,
                "seller_id": server.config.seller_id,
                "download_enabled": False,  # the beat must not touch it: this script drives it
                "upload_enabled": True,
                "invoice_upload_enabled": False,
                "access_token": "",
                "token_expires_at": None,
            },
        )
        Order.objects.filter(channel_account=account).update(channel_account=None, channel_order_id="")
        account.sync_runs.all().delete()
        account_update_settings(account=account, by=None, changes={"invoice_upload_enabled": True})
        CarrierMapping.objects.update_or_create(
            account=account, carrier="Colissimo", defaults={"cdiscount_carrier": "Colissimo"}
        )
        control.create_orders(count=INVOICES, status="InPreparation")
        now = timezone.now()
        run = download_run_now(
            account=account,
            trigger=SyncRun.Trigger.COMMAND,
            date_from=now - timedelta(days=1),
            date_to=now + timedelta(hours=1),
        )
        assert run is not None and run.created == INVOICES, f"download imported {run and run.created} orders"
        for order in Order.objects.filter(channel_account=account).select_related("company", "channel_account"):
            order_ship(order=order, by=None, carrier="Colissimo", tracking_number=f"6A{order.channel_order_id}",
                       ship_date=company_today(order))  # fmt: skip
        shipped = upload_run_now(account=account, trigger=SyncRun.Trigger.COMMAND)
        assert shipped is not None and shipped.uploaded == INVOICES, "tracking upload did not confirm every order"

        control.clear_requests()
        started = time.perf_counter()
        done = invoice_upload_run_now(account=account, trigger=SyncRun.Trigger.COMMAND)
        elapsed = time.perf_counter() - started
        assert done is not None
        done.refresh_from_db()
        uploaded = InvoiceUpload.objects.filter(account=account, status=InvoiceUpload.Status.UPLOADED).count()
        assert uploaded == done.uploaded == INVOICES, f"uploaded {uploaded}, run says {done.uploaded}"
        requests = [r for r in control.requests() if not r.is_token]
        posts = [r for r in requests if r.method == "POST" and r.path.endswith("/invoice-documents")]
        reads = [r for r in requests if r.method == "GET" and "/order-invoice-imports/" in r.path]
        print(f"  {INVOICES} invoices in {elapsed:.2f} s: {len(posts)} POSTs, {len(reads)} status reads, run {done.pk}")
        return {
            "invoice_upload_calls_per_invoice": round(len(posts) / uploaded, 3),
            "invoice_upload_status_reads_per_invoice": round(len(reads) / uploaded, 3),
            "invoice_upload_ms_per_invoice": round(elapsed * 1000 / uploaded, 1),
        }
    finally:
        server.stop()


def main() -> None:
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("The invoice upload bench runs on PostgreSQL (DATABASE_URL=postgres://...).")
    ensure_database(url)
    from sellercloud import embedded_redis

    embedded_redis.ensure_redis_url()

    import django

    django.setup()
    import logging

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.getLogger("channels").setLevel(logging.WARNING)
    logging.getLogger("invoices").setLevel(logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    figures = measure()
    merge_results(figures)
    print(f"\nInvoice upload figures ({INVOICES} invoices, clean run)")
    print(f"{'figure':<42} {'value':>10}  goal")
    for key, value in figures.items():
        print(f"{key:<42} {value:>10}  {GOALS[key]}")


if __name__ == "__main__":
    main()
