"""`make soak`: the full-size chaos of SPEC S12 on PostgreSQL + Redis, real workers and beat.

    .venv/bin/python bench/soak.py     (SOAK_SECONDS=120 SOAK_ORDERS=2000 for a short run)

A fresh database `soak` (on DATABASE_URL's server) and Redis database (SOAK_REDIS_URL, default
db 13, emptied first); the sandbox marketplace in its own process with SOAK_ORDERS orders
(20,000); four solo Celery worker processes and `celery beat` with the real schedule; one
Cdiscount account downloading every minute (the shortest interval the app allows), uploading
tracking and invoices every minute. For SOAK_SECONDS (900) the sandbox answers 20% of API calls
503, lets 5% time out, loses 10% of the answers to POSTs (the change recorded, the answer
dropped), sends a burst of 429s about every minute and kills every token twice; about every
SOAK_KILL_EVERY seconds (180, give or take a quarter), while a run is going, the busiest worker
gets SIGKILL and is started again. Meanwhile staff ship orders through the service the Ship
Order page uses (tracking and invoice uploads follow) and customers keep buying. Then the faults
stop and the system gets up to SOAK_SETTLE_SECONDS (600) to finish what is pending, and
bench/soak_checks.py counts what must be 0. Exit status 1 if any is not.

Settings for the workers (each may be overridden from the environment): a 5 s client timeout
(the sandbox hangs 6 s), a killed run failed after 120 s without heartbeat, a dead claim taken
back after 120 s and upload backoffs of 15-60 s, so that the settle fits in minutes.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    LEGAL,
    RESULTS,
    free_port,
    merge_results,
    sandbox_account_fields,
    start_sandbox,
    stop_sandbox,
)
from bench.soak_checks import check_all  # noqa: E402
from bench.soak_processes import Fleet  # noqa: E402

SECONDS = int(os.environ.get("SOAK_SECONDS", "900"))
ORDERS = int(os.environ.get("SOAK_ORDERS", "20000"))
SETTLE_SECONDS = int(os.environ.get("SOAK_SETTLE_SECONDS", "600"))
KILL_EVERY = int(os.environ.get("SOAK_KILL_EVERY", "180"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "4"))
SHIP_PER_MINUTE = int(os.environ.get("SOAK_SHIP_PER_MINUTE", "120"))
NEW_ORDERS_PER_MINUTE = int(os.environ.get("SOAK_NEW_ORDERS_PER_MINUTE", "30"))
HTTP_TIMEOUT = float(os.environ.get("CDISCOUNT_HTTP_TIMEOUT", "5"))
SERVER = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/").rpartition("/")[0]
DATABASE_URL = f"{SERVER}/soak"
REDIS_URL = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/13")
FAULTS = {
    "error_rate": 0.2,
    "timeout_rate": 0.05,
    "timeout_sleep": HTTP_TIMEOUT + 1,
    "lost_answer_rate": 0.1,
    "retry_after": 1,
}
# 429s in a row, about once a minute: fewer than the client's attempts at one GET (5), so a run
# can wait them out (Retry-After); a longer burst fails the run that meets it, every time.
RATE_LIMIT_BURST = 3
WORKER_ENV = {
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "CELERY_BROKER_URL": REDIS_URL,
    "DJANGO_SETTINGS_MODULE": "sellercloud.settings",
    "SELLERCLOUD_DEMO": "1",  # a throwaway database: the development keys are fine
    "CDISCOUNT_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",  # the sandbox, on loopback
    "CDISCOUNT_HTTP_TIMEOUT": str(HTTP_TIMEOUT),
    "DOWNLOAD_STALE_SECONDS": os.environ.get("DOWNLOAD_STALE_SECONDS", "120"),
    "UPLOAD_CLAIM_STALE_SECONDS": os.environ.get("UPLOAD_CLAIM_STALE_SECONDS", "120"),
    "UPLOAD_BACKOFF_BASE_SECONDS": os.environ.get("UPLOAD_BACKOFF_BASE_SECONDS", "15"),
    "UPLOAD_BACKOFF_MAX_SECONDS": os.environ.get("UPLOAD_BACKOFF_MAX_SECONDS", "60"),
    "INVOICE_IMPORT_POLL_SECONDS": os.environ.get("INVOICE_IMPORT_POLL_SECONDS", "10"),
}
os.environ.update(WORKER_ENV)  # this process works on the same database: staff, checks


def fresh_stores() -> None:
    """Drop and create the database `soak`, empty the soak's Redis database."""
    import psycopg
    import redis
    from psycopg import sql

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'soak'")
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier("soak")))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier("soak")))
    redis.Redis.from_url(REDIS_URL).flushdb()


def set_up(port: int) -> tuple[Any, Any]:
    """A company with its legal details, a member of staff, its Cdiscount account on the sandbox
    with download, tracking upload and invoice upload on, every minute."""
    from django.contrib.auth import get_user_model

    from channels.account_services import account_update_settings
    from channels.models import CarrierMapping, CdiscountAccount
    from sellercloud.models import Company, Membership

    company = Company.objects.create(code="soak", **LEGAL)
    staff = get_user_model().objects.create_user(username="soak-staff", password=None)
    Membership.objects.create(user=staff, company=company, can_view_orders=True, can_process_orders=True)
    account = CdiscountAccount.objects.create(company=company, **sandbox_account_fields(port))
    CarrierMapping.objects.create(account=account, carrier="Colissimo", cdiscount_carrier="Colissimo")
    account_update_settings(
        account=account,
        by=None,
        changes={
            "download_enabled": True,
            "download_interval_minutes": 1,
            "upload_enabled": True,
            "upload_interval_minutes": 1,
            "invoice_upload_enabled": True,
        },
    )
    return account, staff


def staff_ship(account: Any, staff: Any, control: Any, count: int) -> int:
    """Staff ship `count` orders waiting in preparation, with tracking, through the service the
    Ship Order page calls. Only orders they fulfil themselves (supply mode Seller): Cdiscount's
    warehouse ships the others. Returns how many they shipped."""
    from orders.choices import OrderStatus, ShippingStatus
    from orders.models import Order
    from orders.rules import OrderRuleError
    from orders.services import company_today, order_ship

    waiting = Order.objects.filter(
        channel_account=account,
        status=OrderStatus.IN_PROCESS,
        shipping_status=ShippingStatus.UNSHIPPED,
        channel_status="InPreparation",
        packages__isnull=True,
    ).select_related("company", "channel_account")
    shipped = 0
    for order in waiting.order_by("?")[: count * 2]:
        if shipped >= count:
            break
        if {line["offer"]["supplyMode"] for line in control.order(order.channel_order_id)["lines"]} != {"Seller"}:
            continue
        try:
            tracking = f"6A{order.channel_order_id}"
            order_ship(
                order=order, by=staff, carrier="Colissimo", tracking_number=tracking, ship_date=company_today(order)
            )
        except OrderRuleError:
            continue  # put on hold by a download meanwhile (a cancellation request): not shipped
        shipped += 1
    return shipped


def customers_buy(control: Any, count: int) -> None:
    """New orders, half ready to ship at once, half waiting for acceptance; the portal moves a few
    older ones waiting for acceptance into preparation."""
    control.create_orders(count=count - count // 2, status="InPreparation", supply_mode="Seller")
    control.create_orders(count=count // 2, status="WaitingAcceptance", supply_mode="Seller")
    waiting = control.order_ids(status="WaitingAcceptance")
    for order_id in random.sample(waiting, min(len(waiting), count // 3)):
        control.set_status(order_id, "InPreparation")


class RequestLog:
    """The sandbox's request log gathered as the soak goes (the sandbox keeps only the last 50,000)."""

    def __init__(self, control: Any) -> None:
        self.control = control
        self.entries: list[dict[str, Any]] = []
        self.seq = 0
        self.gaps = 0

    def poll(self) -> None:
        for r in self.control.requests(since=self.seq):
            if r.seq != self.seq + 1:
                self.gaps += r.seq - self.seq - 1
            self.seq = r.seq
            if not r.is_token:
                self.entries.append({"method": r.method, "path": r.path, "status": r.status, "fault": r.fault})


def running(account: Any) -> bool:
    from channels.models import SyncRun

    return SyncRun.objects.filter(
        account=account, status=SyncRun.Status.PROCESSING, heartbeat_at__isnull=False
    ).exists()


def progress(account: Any, started: float, fleet: Fleet, phase: str) -> str:
    from django.db.models import Count

    from channels.models import SyncRun
    from orders.models import Order, Package

    runs = dict(SyncRun.objects.filter(account=account).order_by().values_list("status").annotate(n=Count("id")))
    pending = Package.objects.filter(order__channel_account=account, upload_status="pending").count()
    orders = Order.objects.filter(channel_account=account).count()
    return (
        f"[{time.monotonic() - started:5.0f}s {phase}] orders {orders}, pending packages {pending}, "
        f"runs {runs}, kills {fleet.kills}"
    )


def settled(account: Any, control: Any, since: Any) -> bool:
    """Nothing left to do: no run going, nothing waiting to upload, a clean download finished
    after the faults stopped and every importable order here in its latest status."""
    from channels.download.mapping import imported_when_first_seen
    from channels.models import InvoiceUpload, SyncRun
    from orders.models import Order, Package

    runs = SyncRun.objects.filter(account=account)
    if runs.filter(status__in=SyncRun.ACTIVE_STATUSES).exists():
        return False
    if Package.objects.filter(order__channel_account=account, upload_status="pending").exists():
        return False
    if InvoiceUpload.objects.filter(account=account, status__in=InvoiceUpload.WAITING).exists():
        return False
    if not runs.filter(kind=SyncRun.Kind.DOWNLOAD, status=SyncRun.Status.COMPLETED, started_at__gt=since).exists():
        return False
    allow_unpaid = account.allow_unpaid_orders
    wanted = {
        (order_id, status)
        for order_id, status in control.statuses().items()
        if imported_when_first_seen(status=status, allow_unpaid=allow_unpaid)
    }
    return wanted == set(
        Order.objects.filter(channel_account=account).values_list("channel_order_id", "channel_status")
    )


def soak(work: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from channels.sandbox.control import SandboxControl

    call_command("migrate", verbosity=0)
    port = free_port()
    print(f"sandbox: {ORDERS} orders on 127.0.0.1:{port} ...", flush=True)
    sandbox = start_sandbox(port, orders=ORDERS, days=20, state_file=work / "sandbox.json", reset=True)
    fleet = Fleet.make(count=WORKERS, work=work, env={**os.environ, **WORKER_ENV})
    try:
        control = SandboxControl(f"http://127.0.0.1:{port}", timeout=60)
        account, staff = set_up(port)
        log = RequestLog(control)
        control.set_faults(**FAULTS)
        fleet.start()
        print(f"{WORKERS} workers and beat started; logs in {work}", flush=True)
        started = time.monotonic()
        # Kills drift against the beat's minute (75-125% of KILL_EVERY apart), so they do not
        # always find the same kind of run at the same point of it.
        jitter = random.Random(int(os.environ.get("SOAK_SEED", "2026")))
        next_kill = min(KILL_EVERY * jitter.uniform(0.5, 0.8), SECONDS / 2)  # a short run has one too
        next_burst, next_buy, next_report, next_ship = 30.0, 0.0, 60.0, 0.0
        token_kills = [SECONDS / 3, 2 * SECONDS / 3]
        fleet.sample()
        while (elapsed := time.monotonic() - started) < SECONDS:
            log.poll()
            if elapsed >= next_ship:
                staff_ship(account, staff, control, max(1, SHIP_PER_MINUTE // 6))
                next_ship += 10
            if elapsed >= next_buy:
                customers_buy(control, NEW_ORDERS_PER_MINUTE)
                next_buy += 60
            if elapsed >= next_burst:
                control.set_faults(next_rate_limits=RATE_LIMIT_BURST)
                next_burst = elapsed + jitter.uniform(40, 80)  # not on the beat's minute
            if token_kills and elapsed >= token_kills[0]:
                token_kills.pop(0)
                print(f"  tokens expired: {control.expire_tokens()}", flush=True)
            # Killed mid-run: when a run is going (or 30 s after the kill fell due, whatever runs).
            if elapsed >= next_kill and (running(account) or elapsed >= next_kill + 30):
                print(f"  SIGKILL {fleet.kill_busiest()} (restarted)", flush=True)
                next_kill = elapsed + KILL_EVERY * jitter.uniform(0.75, 1.25)
            if dead := fleet.revive():
                print(f"  restarted after dying by itself: {', '.join(dead)}", flush=True)
            if elapsed >= next_report:
                print(progress(account, started, fleet, "chaos"), flush=True)
                next_report += 60
            time.sleep(2)

        control.reset_faults()
        calm = timezone.now()
        settle_started = time.monotonic()
        print(f"faults off; settling (at most {SETTLE_SECONDS}s) ...", flush=True)
        done = False
        while time.monotonic() - settle_started < SETTLE_SECONDS:
            log.poll()
            fleet.revive()
            if settled(account, control, calm):
                done = True
                break
            if int(time.monotonic() - settle_started) % 60 < 10:
                print(progress(account, started, fleet, "settle"), flush=True)
            time.sleep(10)
        settle_seconds = time.monotonic() - settle_started
        fleet.stop()
        log.poll()
        outcome = check_all(account_id=account.pk, staff_id=staff.pk, sandbox=control.statuses(), requests=log.entries)
    finally:
        fleet.stop()
        stop_sandbox(sandbox)

    outcome.checks["soak_unsettled"] = int(not done)
    outcome.checks["soak_request_log_gaps"] = log.gaps
    outcome.figures.update(
        {
            "soak_seconds": SECONDS,
            "soak_settle_seconds": round(settle_seconds),
            "soak_worker_kills": fleet.kills,
            "soak_orders_seeded": ORDERS,
        }
    )
    print(f"\nSoak: {ORDERS} orders, {SECONDS}s of chaos, settled in {settle_seconds:.0f}s, {fleet.kills} worker kills")
    for key, value in outcome.checks.items():
        print(f"{key:<36}{value:>8}   {'ok' if value == 0 else 'FAILED'}")
    for key, value in outcome.figures.items():
        print(f"{key:<36}{value}")
    for note in outcome.notes:
        print(f"  {note}")
    merge_results({**outcome.checks, **outcome.figures})
    print(f"\n{'all checks passed' if outcome.ok else 'SOME CHECKS FAILED'}; logs in {work}; written to {RESULTS.name}")
    return 0 if outcome.ok else 1


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    if not DATABASE_URL.startswith("postgres"):
        sys.exit("The soak runs on PostgreSQL (DATABASE_URL=postgres://...).")
    signal.signal(signal.SIGTERM, _interrupt)  # stopped from outside: clean up as on Ctrl-C
    (ROOT / "var").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="soak-", dir=ROOT / "var"))
    fresh_stores()
    sys.exit(soak(work))


if __name__ == "__main__":
    main()
