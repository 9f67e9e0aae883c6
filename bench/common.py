"""What the bench scripts share: their database, and bench/results.json."""

import json
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"

# A company with complete legal details, which an invoice needs (the invoice upload bench, the soak).
LEGAL = {
    "name": "Bench Factures SAS",
    "legal_name": "Bench Factures SAS",
    "address_line1": "18 rue des Francs-Bourgeois",
    "postal_code": "75003",
    "city": "Paris",
    "vat_number": "FR44732829320",
    "siret": "73282932000017",
    "legal_form": "company",
    "company_type": "SAS",
    "share_capital": Decimal("20000.00"),
    "rcs_city": "Paris",
}


def ensure_database(url: str) -> None:
    """Create the bench database when it does not exist yet."""
    import psycopg
    from psycopg import sql

    server, _, name = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def merge_results(figures: dict[str, Any]) -> None:
    """Write these figures into bench/results.json, keeping the other scripts' keys (and any of
    ours this run did not measure, given as None)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update({key: value for key, value in figures.items() if value is not None})
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


# The orders database that Manage Orders and the dashboard are measured on (SPEC S11).
ORDER_SIZES = {"small": 50_000, "full": 1_000_000}
ORDERS_COMPANY_CODE = "bench-orders"


def seeded_orders(target: int) -> int:
    """Migrate, then seed the company `bench-orders` up to `target` orders once (`seed_orders`,
    COPY) and VACUUM ANALYZE; later runs reuse them. Django must be set up. Returns all orders."""
    from django.core.management import call_command
    from django.db import connection

    from orders.models import Order
    from sellercloud.models import Company

    call_command("migrate", verbosity=0)
    company = Company.objects.filter(code=ORDERS_COMPANY_CODE).first()
    existing = Order.objects.filter(company=company).count() if company else 0
    if existing < target:
        print(f"seeding {target - existing} orders (have {existing}) ...", flush=True)
        started = time.monotonic()
        call_command("seed_orders", count=target - existing, company=ORDERS_COMPANY_CODE, seed=existing + 1)
        print(f"seeded in {time.monotonic() - started:.0f}s; VACUUM ANALYZE ...", flush=True)
        with connection.cursor() as cursor:
            for table in ("orders_order", "orders_orderitem", "orders_package"):
                cursor.execute(f"VACUUM ANALYZE {table}")  # the visibility map makes id pages index-only
    return Order.objects.count()


# The sandbox marketplace in a process of its own, for the benches that download or upload.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sandbox_account_fields(port: int) -> dict[str, str]:
    """A Cdiscount account's Custom URL environment pointing at the sandbox on this port."""
    return {
        "environment": "custom",
        "custom_api_base_url": f"http://127.0.0.1:{port}/seller/v2",
        "custom_token_url": f"http://127.0.0.1:{port}/auth/realms/maas/protocol/openid-connect/token",
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "seller_id": "98979",
    }


def start_sandbox(port: int, *, orders: int, days: int, state_file: Path, reset: bool) -> subprocess.Popen[bytes]:
    """The sandbox in its own process, so its JSON work does not share the bench's interpreter;
    `reset` generates its orders afresh, else its state file is reused (20,000 orders take a while)."""
    state_file.parent.mkdir(exist_ok=True)
    command = [
        sys.executable, "manage.py", "cdiscount_sandbox", "--port", str(port), "--orders", str(orders),
        "--seed", "2026", "--days", str(days), "--tick-seconds", "0", "--state-file", str(state_file),
        *(["--reset"] if reset else []),
    ]  # fmt: skip
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    deadline = time.monotonic() + 180  # generating 20,000 orders the first time takes a while
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                sys.exit("The sandbox did not start.")
            time.sleep(0.2)
    process.kill()
    sys.exit("The sandbox did not answer within 180 s.")


def stop_sandbox(sandbox: subprocess.Popen[bytes]) -> None:
    sandbox.send_signal(signal.SIGINT)  # it saves its state file, then exits
    try:
        sandbox.wait(timeout=60)
    except subprocess.TimeoutExpired:
        sandbox.kill()
