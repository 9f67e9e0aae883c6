"""The dashboard figure of SPEC S11 [dashboard_ms], measured in-process with Django's test client.

    BENCH_SCALE=small|full .venv/bin/python bench/dashboard.py   (make bench runs it)

On the orders database of bench/manage_orders.py (1,000,000 orders, or 50,000 with
BENCH_SCALE=small, seeded once; DATABASE_URL may name another). The dashboard of the company
`bench-orders` (its Cdiscount account's health card included) and of all companies is requested
BENCH_REPEAT times (default 25) after a warm-up; the figure is the p50 of the server time of the
company's page (goal under 150 ms), each view drawing its charts (in use they are drawn once a
minute, orders.dashboard). Merged into bench/results.json.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    ORDER_SIZES,
    ORDERS_COMPANY_CODE,
    RESULTS,
    ensure_database,
    merge_results,
    seeded_orders,
)

SCALE = os.environ.get("BENCH_SCALE", "full")
if SCALE not in ORDER_SIZES:
    sys.exit(f"BENCH_SCALE must be one of {', '.join(ORDER_SIZES)}, not {SCALE!r}")
TARGET = ORDER_SIZES[SCALE]
os.environ.setdefault(
    "DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{'bench' if SCALE == 'full' else 'bench_small'}"
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")
os.environ.setdefault("SELLERCLOUD_DEMO", "1")  # a bench database: the development keys are fine
# Every view draws its charts: the figure is the view that draws them (once a minute in use).
os.environ.setdefault("DASHBOARD_CHARTS_SECONDS", "0")
REPEAT = max(20, int(os.environ.get("BENCH_REPEAT", "25")))
GOAL_MS = 150


def main() -> None:
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("The dashboard bench runs on PostgreSQL (DATABASE_URL=postgres://...).")
    ensure_database(url)

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from sellercloud.models import Company, Membership, User

    total = seeded_orders(TARGET)
    company = Company.objects.get(code=ORDERS_COMPANY_CODE)
    user, _ = User.objects.get_or_create(username="bench-dashboard", defaults={"first_name": "Bench"})
    Membership.objects.get_or_create(user=user, company=company)  # View orders by default
    client = Client()
    client.force_login(user)
    session = client.session
    session["current_company_id"] = company.pk  # sellercloud.shell.SESSION_COMPANY_KEY
    session.save()

    pages = {"company": "/dashboard/", "all": "/dashboard/?all=1"}
    for path in pages.values():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert b'data-figure="late"' in response.content, path
    with CaptureQueriesContext(connection) as captured:
        client.get(pages["company"])
    queries = len(captured)

    timings: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(3):  # warm-up
        for path in pages.values():
            client.get(path)
    for _ in range(REPEAT):
        for name, path in pages.items():
            started = time.perf_counter()
            client.get(path)
            timings[name].append((time.perf_counter() - started) * 1000)
    p50 = {name: statistics.median(values) for name, values in timings.items()}
    figures = {"dashboard_ms": round(p50["company"], 1)}
    merge_results(figures)

    print(f"\nDashboard on {total:,} orders ({SCALE}, {REPEAT} requests each, p50 server time)")
    print(f"{'one company':<20}{p50['company']:>10.1f} ms   ({queries} queries)")
    print(f"{'all companies':<20}{p50['all']:>10.1f} ms")
    goal = "goal met" if figures["dashboard_ms"] < GOAL_MS else "GOAL MISSED"
    print(f"\n{'dashboard_ms':<32}{figures['dashboard_ms']:>10}   {goal} (under {GOAL_MS})")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
