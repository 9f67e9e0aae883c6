"""Order Details' figures of SPEC S11, measured in-process with Django's test client.

    .venv/bin/python bench/order_details.py   (make bench runs it)

On PostgreSQL, in a database of its own (`bench_order_details`, created when missing, unless
DATABASE_URL names another): two paid Cdiscount orders, one with a row of each kind and one with
many (60 items, 20 payments, 20 refunds, 10 packages, 200 history lines, 20 channel payloads).
Their Order Details page is requested as a Client Admin.

- `order_details_queries`: the SQL queries of the page of the large order (transaction control
  left out); the goal is that it equals the small order's: constant in the number of rows.
- `order_details_ms`: p50 server time of the large order's page (BENCH_REPEAT requests).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, ensure_database, merge_results  # noqa: E402

if TYPE_CHECKING:
    from orders.models import Order

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_order_details")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")
os.environ.setdefault("SELLERCLOUD_DEMO", "1")  # a bench database: the development keys are fine
REPEAT = max(10, int(os.environ.get("BENCH_REPEAT", "25")))
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.I)
LARGE = {"items": 60, "payments": 20, "refunds": 20, "packages": 10, "events": 200, "payloads": 20}


def _order(rows: dict[str, int]) -> Order:
    """A paid Cdiscount order with `rows` of each kind."""
    from django.utils import timezone

    from orders.choices import Channel, EventKind
    from orders.events import order_event
    from orders.models import ChannelPayload, Order, OrderItem, Package, Payment, Refund
    from sellercloud.models import Company

    company, _ = Company.objects.get_or_create(code="bench-details", defaults={"name": "Bench Details SAS"})
    now, today, tag = timezone.now(), timezone.localdate(), uuid.uuid4().hex[:8].upper()
    order = Order.objects.create(
        company=company,
        channel=Channel.CDISCOUNT,
        channel_order_id=f"2612{tag}",
        order_date=now,
        customer_name="Hélène Lefèvre",
        subtotal=Decimal("99.80"),
        grand_total=Decimal("99.80"),
        payment_status="charged",
    )
    OrderItem.objects.bulk_create(
        OrderItem(order=order, channel_line_id=f"L{n}", sku=f"LAMP-{n}", title="Lampe", quantity=1, unit_price=5)
        for n in range(rows["items"])
    )
    payments = Payment.objects.bulk_create(
        Payment(order=order, operation_type="Cdiscount", method="Card", amount=Decimal("5.00"), paid_at=now)
        for _ in range(rows["payments"])
    )
    Refund.objects.bulk_create(
        Refund(
            order=order,
            payment=payments[n % len(payments)],
            amount=Decimal("1.00"),
            refund_date=today,
            notes="Geste commercial",
            form_token=uuid.uuid4(),
        )
        for n in range(rows["refunds"])
    )
    Package.objects.bulk_create(
        Package(order=order, carrier="Colissimo", tracking_number=f"6A{tag}{n:03d}", ship_date=today)
        for n in range(rows["packages"])
    )
    for n in range(rows["events"]):
        order_event(order=order, kind=EventKind.NOTE, message=f"Note {n}", user=None)
    ChannelPayload.objects.bulk_create(
        ChannelPayload(order=order, raw={"n": n}, sha256=uuid.uuid4().hex * 2) for n in range(rows["payloads"])
    )
    return order


def main() -> None:
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("The Order Details bench runs on PostgreSQL (DATABASE_URL=postgres://...).")
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from sellercloud.models import User

    call_command("migrate", verbosity=0)
    small, large = _order({key: 1 for key in LARGE}), _order(LARGE)
    user, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_client_admin": True})
    client = Client()
    client.force_login(user)

    def queries(order: Any) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("orders:detail", args=[order.pk])).status_code == 200
        return sum(1 for q in captured if not TRANSACTION_CONTROL.match(q["sql"]))

    few, many = queries(small), queries(large)
    url_large = reverse("orders:detail", args=[large.pk])
    for _ in range(3):
        client.get(url_large)
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        client.get(url_large)
        timings.append((time.perf_counter() - started) * 1000)

    figures = {"order_details_queries": many, "order_details_ms": round(statistics.median(timings), 1)}
    merge_results(figures)
    rows = ", ".join(f"{n} {kind}" for kind, n in LARGE.items())
    print(f"\nOrder Details: one row of each kind, then {rows}")
    print(f"queries: {few} (small order), {many} (large order)")
    verdict = "goal met" if many == few else "GOAL MISSED (grows with the rows)"
    print(f"{'order_details_queries':<32}{many:>10}   {verdict}")
    print(f"{'order_details_ms':<32}{figures['order_details_ms']:>10}   (p50 of {REPEAT}, the large order)")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
