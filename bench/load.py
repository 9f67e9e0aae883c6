"""The load test of SPEC S11 (issue 25): 50 staff at once on gunicorn + PostgreSQL.

    BENCH_SCALE=small|full .venv/bin/python bench/load.py   (make bench runs it)

On a copy of the Manage Orders bench database (1,000,000 orders; 50,000 small), made afresh each
run from `bench` (`bench_small`) as a template, since the test changes data. gunicorn runs as the
README's production section says (`--workers 4 --max-requests 2000`, DEBUG off), with a Celery
worker and the sandbox marketplace beside it: a download run and an upload run go on in the
background while locust (headless, loopback only) sends LOAD_USERS users (50), each logging in
once and then browsing 1 to 3 s apart (bench/locust/locustfile.py). Bounded: each user stops after
LOAD_REQUESTS requests, the whole after LOAD_SECONDS (full 240, small 90).

Figures (once every user has logged in: the ramp-up's password hashing left out; errors from the
start): `load_p50_ms`, `load_p95_ms` (goal under 250 ms), `load_errors`
(goal 0) and `load_rps`. Needs Redis (REDIS_URL, by default the local server's database 12).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    ORDER_SIZES,
    ORDERS_COMPANY_CODE,
    RESULTS,
    ensure_database,
    free_port,
    merge_results,
    sandbox_account_fields,
    seeded_orders,
    start_sandbox,
    stop_sandbox,
)

SCALE = os.environ.get("BENCH_SCALE", "full")
if SCALE not in ORDER_SIZES:
    sys.exit(f"BENCH_SCALE must be one of {', '.join(ORDER_SIZES)}, not {SCALE!r}")
os.environ.setdefault(
    "DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{'bench' if SCALE == 'full' else 'bench_small'}"
)
SERVER, _, SOURCE_DB = os.environ["DATABASE_URL"].rpartition("/")
LOAD_DB = f"{SOURCE_DB}_load"
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")
os.environ.setdefault("SELLERCLOUD_DEMO", "1")  # a bench database: the development keys are fine
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "240" if SCALE == "full" else "90"))
REQUESTS = int(os.environ.get("LOAD_REQUESTS", "150"))
PASSWORD = "load-test-password-2026"  # noqa: S105 (users of a throwaway bench database)
GOAL_P95_MS = 250


def _copy_database() -> None:
    """LOAD_DB afresh from SOURCE_DB as a template (no one may be connected to the source)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        others = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN (%s, %s) AND pid <> %s"
        conn.execute(others, [SOURCE_DB, LOAD_DB, conn.info.backend_pid])
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(LOAD_DB)))
        started = time.monotonic()
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(LOAD_DB), sql.Identifier(SOURCE_DB))
        )
        print(f"copied {SOURCE_DB} to {LOAD_DB} in {time.monotonic() - started:.0f}s", flush=True)


def _staff(sandbox_port: int) -> tuple[list[dict[str, Any]], list[str]]:
    """USERS staff of the bench company (view, process, refund), the orders each browses and
    refunds, search terms; the company's Cdiscount account on the sandbox."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from channels.models import CdiscountAccount
    from orders.models import Order, Payment
    from sellercloud.models import Company, Membership, User

    company = Company.objects.get(code=ORDERS_COMPANY_CODE)
    CdiscountAccount.objects.update_or_create(
        company=company,
        defaults={**sandbox_account_fields(sandbox_port), "allow_unpaid_orders": True, "download_enabled": False},
    )
    ids = list(Order.objects.filter(company=company).order_by("-order_date").values_list("pk", flat=True)[:5000])
    refundable = list(
        Order.objects.filter(company=company, status="in_process", grand_total__gt=1)
        .order_by("pk")
        .values_list("pk", "grand_total")[: USERS * 4]
    )
    Payment.objects.bulk_create(
        Payment(order_id=pk, operation_type="Cdiscount", method="Card", amount=total, paid_at=timezone.now())
        for pk, total in refundable
    )
    password = make_password(PASSWORD)
    accounts = []
    for n in range(USERS):
        user, _ = User.objects.update_or_create(username=f"load-{n:02d}", defaults={"password": password})
        Membership.objects.update_or_create(
            user=user,
            company=company,
            defaults={"can_view_orders": True, "can_process_orders": True, "can_issue_refunds": True},
        )
        accounts.append(
            {
                "username": user.username,
                "password": PASSWORD,
                "orders": ids[n * 100 : (n + 1) * 100] or ids[:100],
                "refund_orders": [pk for pk, _ in refundable[n * 4 : (n + 1) * 4]] or [refundable[0][0]],
            }
        )
    terms = list(Order.objects.filter(company=company).order_by("?").values_list("channel_order_id", flat=True)[:30])
    terms += ["Martin", "Dubois", "Lefèvre"]
    return accounts, terms


def _background_runs(user_id: int) -> None:
    """A download run and an upload run, queued as the buttons do: the worker runs them during the load."""
    from channels.dispatch import download_request, upload_request
    from channels.models import CdiscountAccount
    from sellercloud.models import User

    account = CdiscountAccount.objects.get(company__code=ORDERS_COMPANY_CODE)
    user = User.objects.get(pk=user_id)
    download_request(account=account, user=user)
    upload_request(account=account, user=user)


def _wait_listening(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    import socket

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process.poll() is not None:
                sys.exit(f"{what} did not start.")
            time.sleep(0.2)
    sys.exit(f"{what} did not answer within 90 s.")


def main() -> None:
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.db import connections

    seeded_orders(ORDER_SIZES[SCALE])
    connections.close_all()
    _copy_database()
    connections.databases["default"]["NAME"] = LOAD_DB  # from here on, the copy
    env = {**os.environ, "DATABASE_URL": f"{SERVER}/{LOAD_DB}", "DJANGO_DEBUG": "false"}

    sandbox_port, web_port = free_port(), free_port()
    sandbox = start_sandbox(
        sandbox_port, orders=2000, days=10, state_file=ROOT / "var" / "bench-sandbox-load.json", reset=True
    )
    processes: list[subprocess.Popen[bytes]] = []
    work = Path(tempfile.mkdtemp(prefix="load-"))
    try:
        accounts, terms = _staff(sandbox_port)
        (work / "accounts.json").write_text(json.dumps(accounts))
        connections.close_all()
        web = [
            sys.executable, "-m", "gunicorn", "sellercloud.wsgi:application", "--bind", f"127.0.0.1:{web_port}",
            "--workers", "4", "--max-requests", "2000",
        ]  # fmt: skip
        worker = [sys.executable, "-m", "celery", "-A", "sellercloud", "worker", "--concurrency", "1", "-l", "warning"]
        for command, name in ((web, "web"), (worker, "worker")):
            log = (work / f"{name}.log").open("wb")
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603
        _wait_listening(web_port, processes[0], "gunicorn")

        from sellercloud.models import User

        _background_runs(User.objects.get(username="load-00").pk)
        locust = [
            sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locust" / "locustfile.py"), "--headless",
            "--users", str(USERS), "--spawn-rate", "10", "--run-time", f"{SECONDS}s", "--stop-timeout", "5",
            "--host", f"http://127.0.0.1:{web_port}", "--only-summary", "--loglevel", "WARNING",
        ]  # fmt: skip
        locust_env = {
            **env,
            "LOAD_ACCOUNTS": str(work / "accounts.json"),
            "LOAD_USERS": str(USERS),
            "LOAD_TERMS": json.dumps(terms),
            "LOAD_REQUESTS": str(REQUESTS),
            "LOAD_DEEP_PAGE": "2000" if SCALE == "full" else "500",
            "LOAD_RESULTS": str(work / "results.json"),
        }
        started = time.monotonic()
        subprocess.run(locust, cwd=ROOT, env=locust_env, check=False, timeout=SECONDS + 120)  # noqa: S603
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        stop_sandbox(sandbox)

    results = json.loads((work / "results.json").read_text())
    times = sorted(results["times_ms"])
    if not times:
        sys.exit(f"No request was made; see the logs in {work}")
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    figures = {
        "load_p50_ms": round(statistics.median(times), 1),
        "load_p95_ms": round(p95, 1),
        "load_errors": len(results["errors"]),
        "load_rps": round(len(times) / max(results["steady_seconds"], 1), 1),
    }
    merge_results(figures)
    steady = results["steady_seconds"]
    print(f"\nLoad ({SCALE}): {USERS} users for {elapsed:.0f}s; {len(times)} requests after logging in ({steady:.0f}s)")
    for error in results["errors"][:10]:
        print(f"  error: {error}")
    goals = {"load_p95_ms": p95 < GOAL_P95_MS, "load_errors": not results["errors"]}  # the others are reported
    for key, value in figures.items():
        verdict = "reported" if key not in goals else "goal met" if goals[key] else "GOAL MISSED"
        print(f"{key:<32}{value:>10}   {verdict}")
    print(f"\nlogs in {work}; written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
