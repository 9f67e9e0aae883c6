"""Fulfillment upload figures of SPEC S11, against the sandbox running in this process.

    BENCH_SCALE=small|full .venv/bin/python bench/upload.py   (make bench runs it)

- upload_per_s: packages uploaded per second by one upload run of 1,000 Pending packages against
  a sandbox answering every API call after 50 ms. Goal >= 50 (which needs several in flight).
- upload_calls_per_package: HTTP calls to the API during that run / packages uploaded (token
  calls not counted). Goal 1.0 on a clean run.

Setup, not timed: the sandbox gets 1,000 InPreparation orders (created through its control API),
a download imports them (channels.services.download_run_now), and each is shipped here with
orders.services.order_ship, the account's upload on (a Pending package each); the carrier is
mapped under the account's carrier mapping, as a user would. The company `bench-upload` and its
orders are deleted and made again each time.

PostgreSQL only: the `bench` database (`bench_small` for BENCH_SCALE=small), created when missing
and migrated. The figure is the median over BENCH_ROUNDS rounds (default 3; 1 for small); the
keys are merged into bench/results.json (other bench scripts write other keys).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database, merge_results  # noqa: E402

SCALE = os.environ.get("BENCH_SCALE", "full")
if SCALE not in ("small", "full"):
    sys.exit(f"BENCH_SCALE must be small or full, not {SCALE!r}")
PACKAGES = int(os.environ.get("BENCH_UPLOAD_PACKAGES", "1000"))
LATENCY = 0.05
DB_NAME = "bench" if SCALE == "full" else "bench_small"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")
os.environ.setdefault("SELLERCLOUD_DEMO", "1")  # a bench database: the development keys are fine
# The bench sandboxes listen on loopback, which the client refuses unless listed.
os.environ.setdefault("CDISCOUNT_ALLOWED_PRIVATE_NETWORKS", "127.0.0.0/8")
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "3" if SCALE == "full" else "1")))
COMPANY_CODE = "bench-upload"
GOALS = {"upload_per_s": ">= 50", "upload_calls_per_package": "1.0"}


def one_round(round_no: int) -> dict[str, float]:
    """Set up 1,000 Pending packages against a fresh sandbox, then time one upload run."""
    from django.utils import timezone

    from channels.models import CarrierMapping, CdiscountAccount, SyncRun
    from channels.sandbox import Faults, SandboxConfig, SandboxServer
    from channels.sandbox.control import SandboxControl
    from channels.services import download_run_now
    from channels.upload import upload_run_now
    from orders.choices import UploadStatus
    from orders.models import Order, Package
    from orders.services import company_today, order_ship
    from sellercloud.models import Company

    server = SandboxServer(config=SandboxConfig(orders=0, seed=2026 + round_no, faults=Faults())).start()
    control = SandboxControl(server.base_url)
    try:
        company, _ = Company.objects.get_or_create(code=COMPANY_CODE, defaults={"name": "Bench Upload SAS"})
        Order.objects.filter(company=company).delete()
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
                "access_token": "",
                "token_expires_at": None,
            },
        )
        account.sync_runs.all().delete()
        CarrierMapping.objects.update_or_create(
            account=account,
            carrier="Colissimo",
            defaults={
                "cdiscount_carrier": "Colissimo",
                "tracking_url_template": "https://www.laposte.fr/outils/suivre-vos-envois?code={tracking_number}",
            },
        )
        # Each round's sandbox has its own port, so its token and carrier cache keys are new too.
        control.create_orders(count=PACKAGES, status="InPreparation")
        now = timezone.now()
        # A window reaching into the future: a burst of orders gets stamps a little ahead of the clock.
        run = download_run_now(
            account=account,
            trigger=SyncRun.Trigger.COMMAND,
            date_from=now - timedelta(days=1),
            date_to=now + timedelta(hours=1),
        )
        assert run is not None and run.created == PACKAGES, f"download imported {run and run.created} orders"
        for order in Order.objects.filter(channel_account=account).select_related("company", "channel_account"):
            order_ship(
                order=order,
                by=None,
                carrier="Colissimo",
                tracking_number=f"6A{order.channel_order_id}",
                ship_date=company_today(order),
            )
        pending = Package.objects.filter(order__channel_account=account, upload_status=UploadStatus.PENDING)
        assert pending.count() == PACKAGES

        control.set_faults(latency=LATENCY)
        control.clear_requests()
        started = time.perf_counter()
        upload = upload_run_now(account=account, trigger=SyncRun.Trigger.COMMAND)
        elapsed = time.perf_counter() - started
        assert upload is not None
        upload.refresh_from_db()
        api_requests = [r for r in control.requests() if not r.is_token]
        uploaded = Package.objects.filter(order__channel_account=account, upload_status=UploadStatus.UPLOADED).count()
        assert uploaded == upload.uploaded == PACKAGES, f"uploaded {uploaded}, run says {upload.uploaded}"
        assert len(api_requests) == upload.api_calls, (len(api_requests), upload.api_calls)
        print(
            f"  round {round_no}: {PACKAGES} packages in {elapsed:.2f} s, "
            f"{upload.api_calls} API calls, run {upload.pk} {upload.status}"
        )
        return {"upload_per_s": uploaded / elapsed, "upload_calls_per_package": upload.api_calls / uploaded}
    finally:
        server.stop()


def main() -> None:
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("The upload bench runs on PostgreSQL (DATABASE_URL=postgres://...).")
    ensure_database(url)
    from sellercloud import embedded_redis

    embedded_redis.ensure_redis_url()

    import django

    django.setup()
    import logging

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if os.environ.get("BENCH_UPLOAD_THREADS"):
        from django.conf import settings

        settings.UPLOAD_THREADS = int(os.environ["BENCH_UPLOAD_THREADS"])
    logging.getLogger("channels").setLevel(logging.WARNING)  # one line per package is noise here
    rounds = [one_round(i + 1) for i in range(ROUNDS)]
    figures = {
        "upload_per_s": round(statistics.median(r["upload_per_s"] for r in rounds), 1),
        "upload_calls_per_package": round(statistics.median(r["upload_calls_per_package"] for r in rounds), 3),
    }
    merge_results(figures)
    print(f"\nUpload figures ({PACKAGES} packages, {LATENCY * 1000:.0f} ms latency, {ROUNDS} rounds)")
    print(f"{'figure':<28} {'value':>10}  goal")
    for key, value in figures.items():
        print(f"{key:<28} {value:>10}  {GOALS[key]}")


if __name__ == "__main__":
    main()
