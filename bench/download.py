"""Download figures of SPEC S11, measured against the sandbox running in its own process.

    BENCH_SCALE=small|full .venv/bin/python bench/download.py   (make bench runs it)

- download_orders_per_s: orders created per second by a full download of N orders (full: 20,000;
  small: 4,000), about 2 lines each.
- download_over_copy: that download's time / the time PostgreSQL takes to COPY the very rows it
  wrote (orders, items, payments, events, packages, payloads) back into the same tables, every
  index in place, measured in the same round: the rows are copied out and deleted (not timed),
  then COPY FROM and its commit are timed. Goal <= 1.5 (the physical floor of the import).
- download_over_fetch: that download's time / the time to merely page through the same API and
  decode the JSON (the same client, the same pages), measured in the same round (reported).
  download_over_fetch_150ms: the same with the sandbox answering each request 150 ms late, as a
  remote marketplace does. Goal <= 1.1: the import hides behind the network.
  download_over_fetch_typed: the same against a fetch that also parses each order into our typed
  objects (channels.cdiscount.schemas), as any importer must for a changed order.
- redownload_over_fetch: the same for downloading the same, unchanged orders again. Goal <= 1.15.
- idle_poll_calls: API calls of a scheduled run with nothing new (the token cached), for a seller
  whose last hour was quiet: a small sandbox of its own (300 orders over 20 days). Goal 1.
  busy_poll_calls: the same on the 20,000-order sandbox, whose last hour (the overlap the run
  reads again) holds about 200 changed orders: two pages, a page past the end and two counts.
- freshness_p95_s: with the download schedule at 1 minute (a beat loop ticking every minute that
  claims due accounts and runs their downloads, as the Celery beat and worker do), the time from an
  order changing on the sandbox to the change showing locally; p95 over the changes made during
  BENCH_FRESHNESS_SECONDS (default 240 full, 150 small). Goal <= 90 s.

PostgreSQL only: the `bench` database (`bench_small` for the small scale; DATABASE_URL names
another), created when missing,
the company `bench-download`, whose orders are deleted before each full download (not timed).
Figures are the median over BENCH_ROUNDS rounds (default 3) and merged into bench/results.json.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    ensure_database,
    free_port,
    merge_results,
    sandbox_account_fields,
    stop_sandbox,
)
from bench.common import start_sandbox as common_start_sandbox  # noqa: E402

SCALE = os.environ.get("BENCH_SCALE", "full")
SIZES = {"small": 4_000, "full": 20_000}
if SCALE not in SIZES:
    sys.exit(f"BENCH_SCALE must be one of {', '.join(SIZES)}, not {SCALE!r}")
ORDERS = SIZES[SCALE]
DB_NAME = "bench" if SCALE == "full" else "bench_small"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")
os.environ.setdefault("SELLERCLOUD_DEMO", "1")  # a bench database: the development keys are fine
# The bench sandboxes listen on loopback, which the client refuses unless listed.
os.environ.setdefault("CDISCOUNT_ALLOWED_PRIVATE_NETWORKS", "127.0.0.0/8")
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "3")))
FRESHNESS_SECONDS = int(os.environ.get("BENCH_FRESHNESS_SECONDS", "240" if SCALE == "full" else "150"))
COMPANY_CODE = "bench-download"
SLOW_PAGE_SECONDS = 0.15  # download_over_fetch_150ms
STATE_FILE = ROOT / "var" / f"bench-sandbox-{ORDERS}.json"


def start_sandbox(
    port: int, *, orders: int = ORDERS, days: int = 25, state_file: Path = STATE_FILE
) -> subprocess.Popen[bytes]:
    """The big sandbox keeps its state file; any other is generated afresh."""
    return common_start_sandbox(port, orders=orders, days=days, state_file=state_file, reset=state_file != STATE_FILE)


def main() -> None:
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("The download bench runs on PostgreSQL (DATABASE_URL=postgres://...).")
    ensure_database(url)
    from sellercloud import embedded_redis

    embedded_redis.ensure_redis_url()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from channels.accounts import client_for
    from channels.cdiscount.client import OrderQuery
    from channels.cdiscount.parsing import iter_page_items
    from channels.models import CdiscountAccount, SyncRun
    from channels.sandbox.control import SandboxControl
    from channels.services import download_claim_due_accounts, download_run_now
    from orders.models import Order
    from sellercloud.models import Company

    call_command("migrate", verbosity=0)
    port = free_port()
    sandbox = start_sandbox(port)
    control = SandboxControl(f"http://127.0.0.1:{port}")
    try:
        company, _ = Company.objects.get_or_create(code=COMPANY_CODE, defaults={"name": "Bench Download SAS"})
        account, _ = CdiscountAccount.objects.update_or_create(
            company=company,
            defaults={
                **sandbox_account_fields(port),
                "allow_unpaid_orders": True,
                "download_enabled": False,
                "lookback_days": 40,
            },
        )
        now = timezone.now()
        window = {"date_from": now - timedelta(days=40), "date_to": now}

        def fetch_only(*, typed: bool = False) -> float:
            """Page through the window: HTTP and JSON decoding (`typed`: also our typed parse)."""
            client = client_for(account)
            query = OrderQuery(
                updated_at_min=window["date_from"], updated_at_max=window["date_to"], sales_channel_id="CDISFR"
            )
            started = time.perf_counter()
            count = 0
            for page in client.iter_order_pages(query=query):
                count += len(list(iter_page_items(page.raw_items))) if typed else len(page.raw_items)
            elapsed = time.perf_counter() - started
            assert count == ORDERS, f"paged {count} orders, expected {ORDERS}"
            return elapsed

        def timed_download() -> tuple[float, SyncRun]:
            started = time.perf_counter()
            run = download_run_now(
                account=account,
                trigger=SyncRun.Trigger.COMMAND,
                date_from=window["date_from"],
                date_to=window["date_to"],
            )
            elapsed = time.perf_counter() - started
            assert run is not None and run.status == SyncRun.Status.COMPLETED, run and run.error
            return elapsed, run

        def start_afresh() -> None:
            """No orders of the account (not timed), so that the next download creates them all."""
            Order.objects.filter(channel_account=account).delete()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE orders_order")

        fetch_only()  # warm-up: token, connections, the sandbox's page cache
        rounds = []
        for _ in range(ROUNDS):
            start_afresh()
            fetch_a = fetch_only()
            full, run = timed_download()
            copy = measure_copy(account_id=account.pk)
            fetch_b = fetch_only()
            again, rerun = timed_download()
            typed = fetch_only(typed=True)
            # The same download against a marketplace 150 ms away.
            start_afresh()
            control.set_faults(latency=SLOW_PAGE_SECONDS)
            try:
                slow_fetch = fetch_only()
                slow, _ = timed_download()
            finally:
                control.reset_faults()
            fetch = (fetch_a + fetch_b) / 2
            rounds.append(
                {
                    "fetch_s": fetch,
                    "fetch_typed_s": typed,
                    "download_s": full,
                    "copy_s": copy,
                    "redownload_s": again,
                    "slow_fetch_s": slow_fetch,
                    "slow_download_s": slow,
                    "created": run.created,
                    "unchanged": rerun.unchanged,
                }
            )
            print(
                f"round: fetch {fetch:.2f} s (with our typed parse {typed:.2f} s), "
                f"download {full:.2f} s ({run.created} created), COPY of its rows {copy:.2f} s, "
                f"again {again:.2f} s ({rerun.unchanged} unchanged); at {SLOW_PAGE_SECONDS * 1000:.0f} ms "
                f"a request: fetch {slow_fetch:.2f} s, download {slow:.2f} s",
                flush=True,
            )

        # An ordinary run sets the watermark; the next one, with nothing new, is the idle poll.
        download_run_now(account=account, trigger=SyncRun.Trigger.SCHEDULE)
        busy = download_run_now(account=account, trigger=SyncRun.Trigger.SCHEDULE)
        idle_calls = measure_idle_poll(Company=Company, CdiscountAccount=CdiscountAccount, run_now=download_run_now)

        freshness = measure_freshness(
            account=account,
            control=control,
            claim=download_claim_due_accounts,
            run=lambda: download_run_now(account=account, trigger=SyncRun.Trigger.SCHEDULE),
            Order=Order,
        )
    finally:
        stop_sandbox(sandbox)

    figures = {
        "download_orders_per_s": round(statistics.median(r["created"] / r["download_s"] for r in rounds), 1),
        "download_over_copy": round(statistics.median(r["download_s"] / r["copy_s"] for r in rounds), 2),
        "download_over_fetch": round(statistics.median(r["download_s"] / r["fetch_s"] for r in rounds), 2),
        "download_over_fetch_150ms": round(
            statistics.median(r["slow_download_s"] / r["slow_fetch_s"] for r in rounds), 2
        ),
        "redownload_over_fetch": round(statistics.median(r["redownload_s"] / r["fetch_s"] for r in rounds), 2),
        # The same two against a fetch that also parses every order into our typed objects.
        "download_over_fetch_typed": round(statistics.median(r["download_s"] / r["fetch_typed_s"] for r in rounds), 2),
        "redownload_over_fetch_typed": round(
            statistics.median(r["redownload_s"] / r["fetch_typed_s"] for r in rounds), 2
        ),
        "idle_poll_calls": idle_calls,
        "busy_poll_calls": busy.api_calls if busy is not None else None,
        "freshness_p95_s": freshness,
        "download_bench_orders": ORDERS,
    }
    merge_results(figures)
    goals = {
        "download_over_copy": "<= 1.5",
        "download_over_fetch": "reported",
        "download_over_fetch_150ms": "<= 1.1",
        "redownload_over_fetch": "<= 1.15",
        "idle_poll_calls": "1",
        "freshness_p95_s": "<= 90",
    }
    print(f"\nDownload figures ({SCALE}: {ORDERS} orders, {ROUNDS} rounds)")
    for key, value in figures.items():
        print(f"  {key:40} {value!s:>10}   {goals.get(key, '')}")


def download_tables() -> list[tuple[str, str]]:
    """The tables a download writes, each with the SQL that selects the rows of an account's
    orders: the orders first, then the rows that reference them."""
    from orders.models import ChannelPayload, Order, OrderEvent, OrderItem, Package, Payment

    orders = f"SELECT id FROM {Order._meta.db_table} WHERE channel_account_id = %(account)s"  # noqa: S608
    tables = [(Order._meta.db_table, "channel_account_id = %(account)s")]
    for model in (OrderItem, Payment, OrderEvent, Package, ChannelPayload):
        tables.append((model._meta.db_table, f"order_id IN ({orders})"))
    return tables


def measure_copy(*, account_id: int) -> float:
    """Seconds PostgreSQL takes to COPY the rows a download wrote for this account back into the
    same tables, every index and constraint in place, and commit: the physical floor of the
    import. The rows are read out with COPY TO and deleted first (not timed); afterwards they
    are all back, ids included, as the download left them."""
    from django.db import connection, transaction

    tables = download_tables()
    dumps: list[tuple[str, bytes, int]] = []
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table, where in tables:
            where_sql = where % {"account": int(account_id)}
            data = bytearray()
            with raw.copy(f"COPY (SELECT * FROM {table} WHERE {where_sql}) TO STDOUT") as copy:  # noqa: S608
                for block in copy:
                    data += block
            rows = raw.execute(f"SELECT count(*) FROM {table} WHERE {where_sql}").fetchone()[0]  # noqa: S608
            dumps.append((table, bytes(data), rows))
        with transaction.atomic():
            for table, where in reversed(tables):
                cursor.execute(f"DELETE FROM {table} WHERE {where % {'account': int(account_id)}}")  # noqa: S608
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, dump, _ in dumps:
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(dump)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        for table, where in tables:
            where_sql = where % {"account": int(account_id)}
            count = cursor.cursor.execute(f"SELECT count(*) FROM {table} WHERE {where_sql}").fetchone()[0]  # noqa: S608
            expected = next(rows for name, _, rows in dumps if name == table)
            assert count == expected, f"{table}: {count} rows back, {expected} copied out"
    print("COPY of the download's rows: " + ", ".join(f"{t} {n}" for t, _, n in dumps), flush=True)
    return elapsed


def measure_idle_poll(*, Company, CdiscountAccount, run_now) -> int | None:  # noqa: N803
    """API calls of an idle poll, as the sandbox logged them (token calls apart), against a small
    sandbox of its own generated afresh, so that the last hour holds only a few orders."""
    from channels.models import SyncRun
    from channels.sandbox.control import SandboxControl

    port = free_port()
    sandbox = start_sandbox(port, orders=300, days=20, state_file=STATE_FILE.with_name("bench-sandbox-idle.json"))
    control = SandboxControl(f"http://127.0.0.1:{port}")
    try:
        company, _ = Company.objects.get_or_create(code=f"{COMPANY_CODE}-idle", defaults={"name": "Bench Idle SAS"})
        account, _ = CdiscountAccount.objects.update_or_create(
            company=company,
            defaults={**sandbox_account_fields(port), "download_enabled": False, "download_watermark": None},
        )
        run_now(account=account, trigger=SyncRun.Trigger.SCHEDULE)  # the first run sets the watermark
        before = len(control.requests())
        idle = run_now(account=account, trigger=SyncRun.Trigger.SCHEDULE)
        calls = [r for r in control.requests()[before:] if not r.is_token and "/seller/v2" in r.path]
        assert idle is not None and idle.api_calls == len(calls), (idle and idle.api_calls, len(calls))
        return len(calls)
    finally:
        stop_sandbox(sandbox)


def measure_freshness(*, account, control, claim, run, Order) -> float | None:  # noqa: N803
    """A beat loop ticking every minute (1-minute schedule) while orders change on the sandbox at
    random moments; each change's delay until it shows locally; p95 of the delays."""
    from django.db import connection
    from django.utils import timezone

    account.download_enabled = True
    account.download_interval_minutes = 1
    account.next_download_at = timezone.now()
    # Only these fields: the row's watermark moved since `account` was read.
    account.save(update_fields=["download_enabled", "download_interval_minutes", "next_download_at"])
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.is_set():
                tick = time.monotonic()
                for claimed in claim():
                    if claimed.account_id == account.pk:
                        # A task with an ETA: the run starts at its due time, before the next tick.
                        stop.wait(max(0.0, (claimed.due_at - timezone.now()).total_seconds()))
                        run()
                stop.wait(max(0.0, 60 - (time.monotonic() - tick)))
        finally:
            connection.close()

    candidates = [o for o in control.order_ids(status="InPreparation")]
    rng = random.Random(7)
    rng.shuffle(candidates)
    beat_thread = threading.Thread(target=beat, daemon=True)
    beat_thread.start()
    delays: list[float] = []
    started = time.monotonic()
    try:
        while time.monotonic() - started < FRESHNESS_SECONDS and candidates:
            time.sleep(rng.uniform(5, 20))
            order_id = candidates.pop()
            control.set_status(order_id, "Shipped")
            changed = time.monotonic()
            while time.monotonic() - changed < 180:
                if Order.objects.filter(
                    channel_account=account, channel_order_id=order_id, channel_status="Shipped"
                ).exists():
                    delays.append(time.monotonic() - changed)
                    break
                time.sleep(0.5)
            else:
                delays.append(float("inf"))
    finally:
        stop.set()
        beat_thread.join(timeout=120)
        account.download_enabled = False
        account.save(update_fields=["download_enabled"])
    if not delays:
        return None
    delays.sort()
    p95 = delays[min(len(delays) - 1, int(round(0.95 * (len(delays) - 1))))]
    print(f"freshness: {len(delays)} changes, delays {', '.join(f'{d:.0f}' for d in delays)} s")
    return round(p95, 1)


if __name__ == "__main__":
    main()
