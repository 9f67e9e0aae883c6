"""`seed_orders --count N [--company CODE]`: many realistic orders, fast, for the benchmark and demos.

French names from Faker (fr_FR) with a fixed seed, so two runs with the same arguments make the
same data; channels mixed with Cdiscount the majority; Order, Payment and Shipping Status spread
the way a live shop spreads them; about two items per order; shipped orders get a package with a
tracking number. On PostgreSQL the rows go in with COPY (a million orders in a few minutes); on
other databases with bulk_create in batches.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone
from faker import Faker

from channels.models import CdiscountAccount
from orders.choices import Channel, OrderStatus, PaymentStatus, ShippingStatus, UploadStatus
from orders.models import Order, OrderItem, Package
from orders.text import search_text
from orders.totals import totals_of
from sellercloud.models import Company

# Weights: Cdiscount is the seller's main channel here.
CHANNEL_WEIGHTS = {
    Channel.CDISCOUNT: 70,
    Channel.AMAZON: 10,
    Channel.EBAY: 6,
    Channel.WEBSITE: 6,
    Channel.WALMART: 3,
    Channel.BIGCOMMERCE: 3,
    Channel.LOCAL: 2,
}
STATUS_WEIGHTS = {
    OrderStatus.COMPLETED: 48,
    OrderStatus.IN_PROCESS: 32,
    OrderStatus.CANCELED: 10,
    OrderStatus.ON_HOLD: 6,
    OrderStatus.PROBLEM: 4,
}
PRODUCTS = [
    ("LAMP", "Lampe de chevet en laiton", Decimal("49.90")),
    ("SUSP", "Suspension en rotin naturel", Decimal("89.00")),
    ("APPL", "Applique murale noire", Decimal("39.50")),
    ("LAMPD", "Lampadaire arc en métal", Decimal("149.00")),
    ("GUIR", "Guirlande lumineuse 10 m", Decimal("19.99")),
    ("AMPO", "Ampoule LED E27 filament", Decimal("7.90")),
    ("BOUG", "Bougeoir en céramique", Decimal("24.00")),
    ("MIRO", "Miroir rond doré 60 cm", Decimal("79.00")),
]
CARRIERS = ["Colissimo", "Chronopost", "Mondial Relay", "DPD", "GLS"]
BATCH = 20_000


class Command(BaseCommand):
    help = "Create N realistic orders (with items and packages) in one company, quickly."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="How many orders to create.")
        parser.add_argument("--company", default="seed", help="Company code (created when missing).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (same seed, same data).")
        parser.add_argument("--days", type=int, default=730, help="Spread order dates over this many days.")

    def handle(self, *args: Any, count: int, company: str, seed: int, days: int, **options: Any) -> None:
        if count < 0:
            raise CommandError("--count must be positive.")
        started = time.monotonic()
        target = self._company(company)
        account, _ = CdiscountAccount.objects.get_or_create(company=target)
        generator = OrderGenerator(company=target, account=account, seed=seed, days=days)
        with transaction.atomic():
            # Ids are assigned here, so items and packages can refer to their order in the same pass.
            first_id = (Order.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            batches = generator.batches(first_id=first_id, count=count)
            copy = connection.vendor == "postgresql"
            totals = _copy_postgresql(batches) if copy else _bulk_create(batches)
        self.stdout.write(
            f"Created {totals[0]} orders, {totals[1]} items, {totals[2]} packages in {target.code} "
            f"in {time.monotonic() - started:.1f}s."
        )

    def _company(self, code: str) -> Company:
        company = Company.objects.filter(code=code).first()
        if company is None:
            company = Company.objects.create(code=code, name=f"{code.title()} SAS", legal_name=f"{code.title()} SAS")
            self.stdout.write(f"Created company {code}.")
        return company


class OrderGenerator:
    """Rows as dicts of column values, in batches; deterministic for a seed."""

    def __init__(self, *, company: Company, account: CdiscountAccount, seed: int, days: int) -> None:
        self.company = company
        self.account = account
        self.rng = random.Random(seed)
        self.days = days
        faker = Faker("fr_FR")
        faker.seed_instance(seed)
        # Faker is slow per call: draw pools once, then combine them with the fast random module.
        self.first_names = [faker.first_name() for _ in range(400)]
        self.last_names = [faker.last_name() for _ in range(800)]
        self.now = timezone.now()
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_weights = list(CHANNEL_WEIGHTS.values())
        self.statuses = list(STATUS_WEIGHTS)
        self.status_weights = list(STATUS_WEIGHTS.values())

    def batches(self, *, first_id: int, count: int) -> Iterator[tuple[list[dict], list[dict], list[dict]]]:
        for start in range(0, count, BATCH):
            orders, items, packages = [], [], []
            for order_id in range(first_id + start, first_id + min(start + BATCH, count)):
                order, order_items, package = self.order(order_id)
                orders.append(order)
                items.extend(order_items)
                if package:
                    packages.append(package)
            yield orders, items, packages

    def order(self, order_id: int) -> tuple[dict, list[dict], dict | None]:
        rng = self.rng
        channel = rng.choices(self.channels, self.channel_weights)[0]
        status = rng.choices(self.statuses, self.status_weights)[0]
        order_date = self.now - timedelta(seconds=rng.randrange(self.days * 86400))
        shipped = status == OrderStatus.COMPLETED
        lines: list[dict[str, Any]] = []
        for line_no in range(rng.choice((1, 1, 2, 2, 2, 3, 3))):
            code, title, price = rng.choice(PRODUCTS)
            quantity = rng.choice((1, 1, 1, 2))
            lines.append(
                {
                    "id": None,
                    "order_id": order_id,
                    "channel_line_id": f"{order_id}-{line_no + 1}",
                    "sku": f"{code}-{rng.randrange(1, 600):04d}",
                    "title": title,
                    "quantity": quantity,
                    "unit_price": price,
                    "commission_with_vat": (price * quantity * Decimal("0.12")).quantize(Decimal("0.01")),
                    "commission_without_vat": (price * quantity * Decimal("0.10")).quantize(Decimal("0.01")),
                }
            )
        # The order's shipping rides on its first line, as a channel's per-line shipping does.
        shipping = rng.choice((Decimal("0.00"), Decimal("4.99"), Decimal("6.90")))
        for line in lines:
            line["shipping"], line["cancelled"] = (shipping if line is lines[0] else Decimal("0.00")), False
        totals = totals_of(SimpleNamespace(**line) for line in lines)
        if status == OrderStatus.CANCELED:
            payment = rng.choice((PaymentStatus.FULL_REFUND, PaymentStatus.NO_PAYMENT))
        else:
            payment = rng.choices(
                (PaymentStatus.CHARGED, PaymentStatus.PARTIAL_REFUND, PaymentStatus.NO_PAYMENT),
                (90, 5, 5),
            )[0]
        first, last = rng.choice(self.first_names), rng.choice(self.last_names)
        is_cdiscount = channel == Channel.CDISCOUNT
        order = {
            "id": order_id,
            "company_id": self.company.pk,
            "channel": channel,
            "channel_account_id": self.account.pk if is_cdiscount else None,
            # Cdiscount's shape: the date and time, then a code; the id keeps it unique.
            "channel_order_id": f"{order_date:%y%m%d%H%M}{_base36(order_id):>06}"
            if is_cdiscount
            else f"{channel[:3].upper()}-{order_id:09d}",
            "order_date": order_date,
            "channel_updated_at": order_date,
            "status": status,
            "status_before_hold": OrderStatus.IN_PROCESS if status == OrderStatus.ON_HOLD else "",
            "hold_reason": "Vérification de l'adresse" if status == OrderStatus.ON_HOLD else "",
            "hold_source": "user" if status == OrderStatus.ON_HOLD else "",
            "payment_status": payment,
            "shipping_status": ShippingStatus.FULLY_SHIPPED if shipped else ShippingStatus.UNSHIPPED,
            "channel_status": ("Shipped" if shipped else "WaitingForShipmentAcceptation") if is_cdiscount else "",
            "ship_by": order_date + timedelta(days=3),
            "ship_confirmed_at": order_date + timedelta(days=2) if shipped else None,
            "customer_reference": f"{rng.randrange(10**7, 10**8)}-{_base36(order_id % 46656):>03}",
            "customer_name": f"{first} {last}",
            "search_name": search_text(f"{first} {last}"),
            "subtotal": totals.subtotal,
            "shipping_total": totals.shipping_total,
            "grand_total": totals.grand_total,
            "commission_with_vat": sum((line["commission_with_vat"] for line in lines), Decimal("0.00")),
            "commission_without_vat": sum((line["commission_without_vat"] for line in lines), Decimal("0.00")),
        }
        package = None
        if shipped:
            package = {
                "id": None,
                "order_id": order_id,
                "carrier": rng.choice(CARRIERS),
                "tracking_number": f"6A{order_id:011d}",
                "ship_date": (order_date + timedelta(days=1)).date(),
                "upload_status": UploadStatus.UPLOADED if is_cdiscount else UploadStatus.NOT_REQUIRED,
                "uploaded_at": order_date + timedelta(days=2) if is_cdiscount else None,
            }
        return order, lines, package


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _columns(model: type[models.Model], *, with_id: bool) -> list[tuple[str, str, Any]]:
    """(attname, column, default) for each concrete field: the default fills what rows omit."""
    now = timezone.now()
    columns = []
    for field in model._meta.concrete_fields:
        if field.primary_key and not with_id:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default: Any = now
        else:
            default = field.get_default()  # "" for a blank text column, None for a nullable one
        columns.append((field.attname, field.column, default))
    return columns


def _copy_postgresql(batches: Iterator[tuple[list[dict], list[dict], list[dict]]]) -> tuple[int, int, int]:
    from psycopg.types.json import Jsonb

    totals = [0, 0, 0]
    tables = ((Order, True), (OrderItem, False), (Package, False))
    specs = [(model, _columns(model, with_id=with_id)) for model, with_id in tables]
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper: it has copy()
        for batch in batches:
            for index, ((model, columns), rows) in enumerate(zip(specs, batch, strict=True)):
                names = ", ".join(column for _, column, _ in columns)
                with raw.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:  # noqa: S608
                    for row in rows:
                        copy.write_row(
                            [
                                Jsonb(value) if isinstance(value, dict) else value
                                for value in (row.get(attname, default) for attname, _, default in columns)
                            ]
                        )
                totals[index] += len(rows)
        # Explicit ids bypassed the sequence: move it past them.
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('orders_order', 'id'), "
            "(SELECT COALESCE(MAX(id), 1) FROM orders_order))"
        )
    return totals[0], totals[1], totals[2]


def _bulk_create(batches: Iterator[tuple[list[dict], list[dict], list[dict]]]) -> tuple[int, int, int]:
    totals = [0, 0, 0]
    for orders, items, packages in batches:
        Order.objects.bulk_create([Order(**row) for row in orders], batch_size=1000)
        OrderItem.objects.bulk_create([OrderItem(**_no_id(row)) for row in items], batch_size=1000)
        Package.objects.bulk_create([Package(**_no_id(row)) for row in packages], batch_size=1000)
        totals[0] += len(orders)
        totals[1] += len(items)
        totals[2] += len(packages)
    return totals[0], totals[1], totals[2]


def _no_id(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "id"}
