"""What the bench scripts share: their database, and bench/results.json."""

import json
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"


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
