"""Manage Orders figures of SPEC S11, measured in-process with Django's test client.

    BENCH_SCALE=small|full .venv/bin/python bench/manage_orders.py   (make bench runs it)

On PostgreSQL only: the `bench` database (created when missing) for the full scale of
1,000,000 orders, `bench_small` for 50,000 (so switching scale never mixes the two), unless
DATABASE_URL names another. The orders are seeded once with `seed_orders` (COPY) into the company
`bench-orders`, reused by later runs, then VACUUM ANALYZEd.

Each page is requested BENCH_REPEAT times (default 25, at least 20) after a warm-up, ours and the
Django admin changelist interleaved so both see the same machine noise; the figure is the p50 of
the server time. The admin is configured fairly (orders/admin.py: the same list_display columns,
list_filter on channel, search_fields on the same fields, Django's defaults including the full
result count). Figures are merged into bench/results.json.
"""

from __future__ import annotations

import html
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ORDER_SIZES, RESULTS, ensure_database, merge_results, seeded_orders  # noqa: E402

SCALE = os.environ.get("BENCH_SCALE", "full")
SIZES = ORDER_SIZES
if SCALE not in SIZES:
    sys.exit(f"BENCH_SCALE must be one of {', '.join(SIZES)}, not {SCALE!r}")
TARGET = SIZES[SCALE]
DB_NAME = "bench" if SCALE == "full" else "bench_small"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")
os.environ.setdefault("SELLERCLOUD_DEMO", "1")  # a bench database: the development keys are fine
REPEAT = max(20, int(os.environ.get("BENCH_REPEAT", "25")))
# Page 2000 of 50 at full scale (SPEC S11); the small set has about 700 Cdiscount pages.
DEEP_PAGE = 2000 if SCALE == "full" else 500
TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I
)


def main() -> None:
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("The Manage Orders bench runs on PostgreSQL (DATABASE_URL=postgres://...).")
    ensure_database(url)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from orders.choices import Channel
    from orders.models import Order
    from sellercloud.models import User

    total = seeded_orders(TARGET)

    user, _ = User.objects.get_or_create(
        username="bench-admin",
        defaults={"is_client_admin": True, "is_staff": True, "is_superuser": True, "first_name": "Bench"},
    )
    client = Client()
    client.force_login(user)

    # A Cdiscount order from the middle of the set: its channel order id is the search term.
    middle = Order.objects.filter(channel=Channel.CDISCOUNT).order_by("pk").values_list("pk", flat=True)
    probe = Order.objects.get(pk=middle[min(TARGET // 3, middle.count() - 1)])
    term = probe.channel_order_id

    pages = {
        "first": ("/orders/?channel=cdiscount", "/admin/orders/order/?channel__exact=cdiscount"),
        "deep": (
            f"/orders/?channel=cdiscount&page={DEEP_PAGE}",
            f"/admin/orders/order/?channel__exact=cdiscount&p={DEEP_PAGE}",
        ),
        "search": (f"/orders/?q={term}", f"/admin/orders/order/?q={term}"),
    }
    # The page after page DEEP_PAGE reached by Next: its link carries the keyset cursor.
    found = re.search(r'href="([^"]*)" rel="next"', client.get(pages["deep"][0]).content.decode())
    assert found and "after=" in found.group(1), "the deep page offers no keyset Next link"
    pages["keyset"] = (
        "/orders/" + html.unescape(found.group(1)),
        f"/admin/orders/order/?channel__exact=cdiscount&p={DEEP_PAGE + 1}",
    )

    # Check both answer, and that the search finds the order, before timing anything.
    for name, (ours, admin) in pages.items():
        for path in (ours, admin):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        if name == "search":
            assert term in client.get(ours).content.decode(), "our search did not find the order"

    queries = {}
    for name, (ours, admin) in pages.items():
        for side, path in (("ours", ours), ("admin", admin)):
            with CaptureQueriesContext(connection) as captured:
                client.get(path)
            # Statements that query or change data; BEGIN / COMMIT around the session save
            # (SESSION_SAVE_EVERY_REQUEST) are transaction control, not queries.
            queries[(name, side)] = sum(1 for q in captured if not TRANSACTION_CONTROL.match(q["sql"]))

    timings: dict[tuple[str, str], list[float]] = {(n, s): [] for n in pages for s in ("ours", "admin")}
    for _ in range(3):  # warm-up: caches, connections, the planner's statistics
        for ours, admin in pages.values():
            client.get(ours)
            client.get(admin)
    for _ in range(REPEAT):
        for name, (ours, admin) in pages.items():
            for side, path in (("ours", ours), ("admin", admin)):
                started = time.perf_counter()
                client.get(path)
                timings[(name, side)].append((time.perf_counter() - started) * 1000)

    p50 = {key: statistics.median(values) for key, values in timings.items()}
    figures = {
        "manage_orders_first_page_ms": round(p50[("first", "ours")], 1),
        "manage_orders_deep_page_ms": round(p50[("deep", "ours")], 1),
        "manage_orders_keyset_page_ms": round(p50[("keyset", "ours")], 1),
        "manage_orders_search_ms": round(p50[("search", "ours")], 1),
        "manage_orders_queries": max(queries[(name, "ours")] for name in pages),
        "admin_over_ours": round(p50[("first", "admin")] / p50[("first", "ours")], 2),
    }
    merge_results(figures)

    print(f"\nManage Orders on {total:,} orders ({SCALE}, {REPEAT} requests each, p50 server time)")
    print(f"{'page':<28}{'ours ms':>10}{'admin ms':>10}{'admin/ours':>12}{'queries':>10}{'admin q':>9}")
    labels = {
        "first": "first page, Cdiscount",
        "deep": f"page {DEEP_PAGE}, Cdiscount",
        "search": "search channel order id",
        "keyset": f"page {DEEP_PAGE + 1} by Next",
    }
    for name in pages:
        ours_ms, admin_ms = p50[(name, "ours")], p50[(name, "admin")]
        print(
            f"{labels[name]:<28}{ours_ms:>10.1f}{admin_ms:>10.1f}{admin_ms / ours_ms:>12.1f}"
            f"{queries[(name, 'ours')]:>10}{queries[(name, 'admin')]:>9}"
        )
    goals = {
        "manage_orders_first_page_ms": figures["manage_orders_first_page_ms"] < 60,
        "manage_orders_deep_page_ms": figures["manage_orders_deep_page_ms"] < 60,
        "manage_orders_keyset_page_ms": figures["manage_orders_keyset_page_ms"] < 30,
        "manage_orders_search_ms": figures["manage_orders_search_ms"] < 60,
        "manage_orders_queries": figures["manage_orders_queries"] <= 8,
        "admin_over_ours": figures["admin_over_ours"] >= 5,
    }
    print()
    for key, value in figures.items():
        print(f"{key:<32}{value:>10}   {'goal met' if goals[key] else 'GOAL MISSED'}")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
