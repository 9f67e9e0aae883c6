"""The sandbox marketplace's data: orders, their generation, rendering and queries, kept on disk.

Everything here is plain Python behind one lock; server.py only turns HTTP into calls on it.
SandboxState gathers its parts: marketplace.py (approval and shipment rules), lifecycle.py (how
orders move on), access.py (tokens, faults, the request log); config.py holds its settings.
State (orders, their lifecycle position, tokens) is kept in its own JSON file, so that orders
never move back in their lifecycle when the sandbox restarts. Nothing touches the product's DB.
"""

from __future__ import annotations

import copy
import json
import os
import random
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from channels.cdiscount.parsing import parse_datetime

from .access import Access
from .config import (
    ADDRESS_VISIBLE,
    MALFORMED_KINDS,
    ORDER_STATUSES,
    PAGING,
    SandboxConfig,
    SandboxError,
)
from .generator import CATALOGUE, OrderGenerator, _stamp
from .invoices import InvoiceDocuments
from .lifecycle import Lifecycle


def _ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


class SandboxState(Lifecycle, InvoiceDocuments, Access):
    """Orders, tokens, invoice imports, faults and the request log, behind one lock."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.faults = config.faults
        self.lock = threading.RLock()
        self.orders: dict[str, dict[str, Any]] = {}  # insertion order = createdAt order
        self.tokens: dict[str, dict[str, Any]] = {}  # token -> {client_id, expires_at}
        self.invoice_imports: dict[str, dict[str, Any]] = {}
        self.requests: deque[dict[str, Any]] = deque(maxlen=50_000)
        self._request_seq = 0
        self._last_stamp = self.now() - timedelta(seconds=1)
        self.dirty = False
        # Each order's JSON, kept between saves: a save re-serialises only the orders that changed,
        # so a 20,000-order state does not stall the API every half second during a benchmark.
        self._saved_json: dict[str, str] = {}
        # The last query's result, reused while nothing changed: paging through a window then
        # costs a slice, not a scan of every order per page.
        self.version = 0
        self._query_cache: tuple[Any, list[dict[str, Any]]] | None = None
        self._changed: set[str] = set()
        self.generator = OrderGenerator(
            seed=config.seed, seller_id=config.seller_id, sales_channel_id=config.sales_channel_id
        )
        self._fault_rng = random.Random(config.seed + 1)
        if config.state_file and config.state_file.exists() and not config.reset:
            self._load(config.state_file)
        else:
            self._seed(config.orders, malformed=config.malformed)
            self.dirty = True
        if self.orders:
            last = max(o["_u"] for o in self.orders.values())
            self._last_stamp = max(self._last_stamp, _ms(datetime.fromtimestamp(last, UTC)))

    # --- persistence ---------------------------------------------------------------------------

    def _load(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        for order in data.get("orders", []):
            self.orders[order["orderId"]] = order
        self.tokens = {t: v for t, v in data.get("tokens", {}).items() if v.get("expires_at", 0) > time.time()}
        self.invoice_imports = data.get("invoiceImports", {})
        # A restarted sandbox must not hand out the same ids or people again.
        self.generator.rng.seed(f"{self.config.seed}:{len(self.orders)}:{time.time()}")

    def save(self) -> None:
        """Write the state file atomically (a crash mid-write never leaves half a file)."""
        path = self.config.state_file
        if path is None:
            return
        with self.lock:
            for order_id in self._changed | (self.orders.keys() - self._saved_json.keys()):
                order = self.orders.get(order_id)
                if order is not None:
                    self._saved_json[order_id] = json.dumps(order, ensure_ascii=False, separators=(",", ":"))
            self._changed.clear()
            parts = list(self._saved_json.values())
            tokens = json.dumps(self.tokens)
            imports = json.dumps(self.invoice_imports, ensure_ascii=False)
            self.dirty = False
        text = (
            f'{{"version":1,"seed":{int(self.config.seed)},"tokens":{tokens},"invoiceImports":{imports},'
            f'"orders":[{",".join(parts)}]}}'
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".tmp{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)

    # --- generation ----------------------------------------------------------------------------

    def _seed(self, count: int, *, malformed: int) -> None:
        rng = self.generator.rng
        now = self.now()
        span = max(1, self.config.days) * 86400
        created_times = sorted(_ms(now - timedelta(seconds=rng.uniform(600, span))) for _ in range(count))
        for i, created in enumerate(created_times):
            age_days = (now - created).total_seconds() / 86400
            status = self._seed_status(rng, age_days)
            order = self.generator.order(
                order_id=self.generator.order_id(created, self.orders), created=created, status=status
            )
            if status in {"Shipped", "Delivered"}:
                self._add_parcel(order, self.generator.parcel(rng.choice(["Colissimo", "Chronopost", "DPD"])))
            if status == "InPreparation" and rng.random() < 0.05:
                order["lines"][0]["status"] = "CancelRequest"
            # Last changed within three days of its creation, and not after now: clamping to now
            # instead would give every recent order the same updatedAt, a burst no seller sees.
            updated = _ms(created + timedelta(minutes=rng.uniform(1, 60 * 24 * min(age_days, 3))))
            order["updatedAt"] = _stamp(updated)
            order["_u"] = updated.timestamp()
            order["_c"] = created.timestamp()
            order["_steps"] = 0
            order["_malformed"] = MALFORMED_KINDS[i % len(MALFORMED_KINDS)] if i < malformed else None
            self.orders[order["orderId"]] = order

    @staticmethod
    def _seed_status(rng: random.Random, age_days: float) -> str:
        if age_days < 1:
            choices = [("WaitingAcceptance", 40), ("Accepted", 15), ("InPreparation", 35), ("Processing", 5)]
            choices.append(("Cancelled", 5))
        elif age_days < 4:
            choices = [("InPreparation", 40), ("Shipped", 40), ("Cancelled", 6), ("Refused", 4), ("Delivered", 10)]
        else:
            choices = [("Delivered", 70), ("Shipped", 10), ("Cancelled", 10), ("Refused", 5), ("Rejected", 5)]
        return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]

    def create_orders(
        self,
        *,
        count: int = 1,
        status: str = "WaitingAcceptance",
        supply_mode: str | None = None,
        lines: int | None = None,
        malformed: str | None = None,
    ) -> list[str]:
        """New orders created now (a customer just bought something)."""
        if status not in ORDER_STATUSES:
            raise SandboxError(400, "Validation Failed", f"Unknown status {status!r}", {"status": ["unknown"]})
        if malformed is not None and malformed not in MALFORMED_KINDS:
            raise SandboxError(400, "Validation Failed", "Unknown malformation", {"malformed": list(MALFORMED_KINDS)})
        if lines is not None and not 1 <= lines <= len(CATALOGUE):
            raise SandboxError(
                400, "Validation Failed", "Bad line count", {"lines": [f"between 1 and {len(CATALOGUE)}"]}
            )
        ids = []
        with self.lock:
            for _ in range(max(0, count)):
                stamp = self._next_stamp()
                order = self.generator.order(
                    order_id=self.generator.order_id(stamp, self.orders),
                    created=stamp,
                    status=status,
                    supply_mode=supply_mode,
                    line_count=lines,
                )
                if status in {"Shipped", "Delivered"}:
                    self._add_parcel(order, self.generator.parcel("Colissimo"))
                order["_c"] = order["_u"] = stamp.timestamp()
                order["_steps"] = 0
                order["_malformed"] = malformed
                self.orders[order["orderId"]] = order
                self._changed.add(order["orderId"])
                self.version += 1
                ids.append(order["orderId"])
            self.dirty = True
        return ids

    # --- time ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The sandbox's current time, from its configured clock."""
        return self.config.clock()

    def _next_stamp(self) -> datetime:
        # updatedAt must move forward on every change, even two changes in the same millisecond,
        # so that polling by updatedAtMin/Max never misses one. The API writes milliseconds.
        stamp = _ms(self.now())
        if stamp <= self._last_stamp:
            stamp = self._last_stamp + timedelta(milliseconds=1)
        self._last_stamp = stamp
        return stamp

    def touch(self, order: dict[str, Any]) -> None:
        stamp = self._next_stamp()
        order["updatedAt"] = _stamp(stamp)
        order["_u"] = stamp.timestamp()
        self._changed.add(order["orderId"])
        self.version += 1
        self.dirty = True

    # --- rendering -----------------------------------------------------------------------------

    def render(self, order: dict[str, Any], *, apply_malformation: bool = True) -> dict[str, Any]:
        """The order as the API shows it: internal keys dropped, address hidden before InPreparation.

        Shallow copies only (a page of 100 orders must be cheap to render): nested values are
        shared with the state, so serialise the result before releasing the lock.
        """
        out = {k: v for k, v in order.items() if not k.startswith("_") and k != "lines"}
        show_address = order["status"] in ADDRESS_VISIBLE
        lines = []
        for line in order["lines"]:
            rendered = {k: v for k, v in line.items() if not k.startswith("_")}
            if show_address:
                rendered["shippingAddress"] = line["_shippingAddress"]
            lines.append(rendered)
        out["lines"] = lines
        kind = order.get("_malformed")
        if apply_malformation and kind:
            out = copy.deepcopy(out)
            if kind == "missing_lines":
                out.pop("lines")
            elif kind == "bad_price":
                out["lines"][0]["sellingPrice"]["unitSalesPrice"] = "douze euros"
            elif kind == "unknown_status":
                out["status"] = "Teleported"
        return out

    def get(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise SandboxError(404, "Not Found", f"Order {order_id} was not found.")
        return order

    # --- queries -------------------------------------------------------------------------------

    def query(self, params: dict[str, list[str]]) -> list[dict[str, Any]]:
        """The orders matching the filters of GET /orders and /orders/count, in list order."""
        key = (self.version, tuple(sorted((k, tuple(v)) for k, v in params.items() if k not in PAGING)))
        if self._query_cache is not None and self._query_cache[0] == key:
            return self._query_cache[1]
        result = self._query(params)
        self._query_cache = (key, result)
        return result

    def _query(self, params: dict[str, list[str]]) -> list[dict[str, Any]]:
        errors: dict[str, list[str]] = {}

        def one(name: str) -> str | None:
            values = params.get(name)
            return values[-1] if values else None

        def stamp(name: str) -> float | None:
            value = one(name)
            if value is None or value == "":
                return None
            try:
                return parse_datetime(value).timestamp()
            except ValueError:
                errors[name] = [f"The value '{value}' is not valid for {name}."]
                return None

        bounds = {name: stamp(name) for name in ("updatedAtMin", "updatedAtMax", "createdAtMin", "createdAtMax")}
        statuses: set[str] | None = None
        if one("status"):
            # Comma-separated or repeated: the real syntax is unverified, so accept both (reference 6).
            statuses = {s.strip() for v in params["status"] for s in v.split(",") if s.strip()}
            unknown = statuses - set(ORDER_STATUSES)
            if unknown:
                errors["status"] = [f"The value '{', '.join(sorted(unknown))}' is not valid for status."]
        if errors:
            raise SandboxError(400, "Validation Failed", "One or more validation errors occurred.", errors)
        reference = one("reference")
        channel = one("salesChannelId")
        result = []
        for order in self.orders.values():
            u, c = order["_u"], order["_c"]
            if bounds["updatedAtMin"] is not None and u < bounds["updatedAtMin"]:
                continue
            if bounds["updatedAtMax"] is not None and u > bounds["updatedAtMax"]:
                continue
            if bounds["createdAtMin"] is not None and c < bounds["createdAtMin"]:
                continue
            if bounds["createdAtMax"] is not None and c > bounds["createdAtMax"]:
                continue
            if reference and order.get("reference") != reference and order["orderId"] != reference:
                continue
            if channel and order["salesChannel"]["id"] != channel:
                continue
            if statuses is not None and order["status"] not in statuses:
                continue
            result.append(order)
        sort = (one("sort") or "").lstrip("+-").split(":")[-1]
        if sort in {"updatedAt", "shippedAtMax"}:
            result.sort(key=lambda o: (o[sort], o["orderId"]))
        return result

    def summary(self) -> dict[str, Any]:
        with self.lock:
            by_status: dict[str, int] = {}
            for order in self.orders.values():
                by_status[order["status"]] = by_status.get(order["status"], 0) + 1
            return {
                "orders": len(self.orders),
                "by_status": by_status,
                "malformed": sorted(o["orderId"] for o in self.orders.values() if o.get("_malformed")),
                "requests": self._request_seq,
            }
