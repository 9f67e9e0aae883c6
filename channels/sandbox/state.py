"""The sandbox marketplace's data and rules: orders, tokens, faults, the request log.

Everything here is plain Python behind one lock; server.py only turns HTTP into calls on it.
State (orders, their lifecycle position, tokens) is kept in its own JSON file, so that orders
never move back in their lifecycle when the sandbox restarts. Nothing touches the product's DB.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import random
import secrets
import string
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from channels.cdiscount.schemas import parse_datetime

from .generator import CATALOGUE, OrderGenerator, _stamp

ORDER_STATUSES = (
    "Processing",
    "WaitingAcceptance",
    "Accepted",
    "Refused",
    "InPreparation",
    "Shipped",
    "Delivered",
    "Rejected",
    "Cancelled",
)
LINE_STATUSES = (*ORDER_STATUSES, "CancelRequest")
TERMINAL = frozenset({"Delivered", "Cancelled", "Refused", "Rejected"})
# The API shows the shipping address (on the lines) from InPreparation on (reference 3.4).
ADDRESS_VISIBLE = frozenset({"InPreparation", "Shipped", "Delivered"})
MALFORMED_KINDS = ("missing_lines", "bad_price", "unknown_status")
# Line states that do not travel with the order any more.
LINE_CLOSED = frozenset({"Cancelled", "Refused", "Rejected"})
_PAGING = frozenset({"pageIndex", "pageSize"})

CARRIERS: list[dict[str, Any]] = [
    {"code": "pcc", "label": "Colissimo", "additionalParametersRequired": False},
    {"code": "pcc", "label": "La Poste", "additionalParametersRequired": False},
    {"code": "pcc", "label": "Chronopost", "additionalParametersRequired": False},
    {"code": "dpd", "label": "DPD", "additionalParametersRequired": False},
    {"code": "gls", "label": "GLS", "additionalParametersRequired": False},
    {"code": "ups", "label": "UPS", "additionalParametersRequired": False},
    {"code": "dhl", "label": "DHL", "additionalParametersRequired": False},
    {"code": "tnt", "label": "TNT", "additionalParametersRequired": False},
    {"code": "fedex", "label": "FedEx", "additionalParametersRequired": False},
    {"code": "mondialrelay", "label": "Mondial Relay", "additionalParametersRequired": True},
    {"code": "relaiscolis", "label": "Relais Colis", "additionalParametersRequired": True},
    {"code": "colisprive", "label": "Colis Privé", "additionalParametersRequired": False},
    {"code": "geodis", "label": "Geodis", "additionalParametersRequired": False},
    {"code": "kuehne", "label": "Kuehne + Nagel", "additionalParametersRequired": False},
    {"code": "schenker", "label": "DB Schenker", "additionalParametersRequired": False},
    {"code": "heppner", "label": "Heppner", "additionalParametersRequired": False},
    {"code": "ciblex", "label": "Ciblex", "additionalParametersRequired": False},
    {"code": "agediss", "label": "Agediss", "additionalParametersRequired": False},
]
_CARRIER_LABELS = {c["label"].casefold(): c["label"] for c in CARRIERS}


class SandboxError(Exception):
    """An answer in problem+json: what the real API would refuse, with its status code."""

    def __init__(self, status: int, title: str, detail: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or {}


@dataclass
class Faults:
    """Fault injection, switchable per run and at run time (POST /_sandbox/faults).

    Rates are probabilities per API request; `next_*` counters hit the next N requests exactly,
    which is what deterministic tests use.
    """

    latency: float = 0.0  # seconds added to every API request
    error_rate: float = 0.0  # answer 503
    timeout_rate: float = 0.0  # sleep `timeout_sleep`, then drop the connection without answering
    timeout_sleep: float = 31.0  # past the client's default 30 s timeout
    rate_limit_rate: float = 0.0  # answer 429 with Retry-After
    retry_after: float = 1.0  # seconds; fractional values are a sandbox extension for fast tests
    lost_answer_rate: float = 0.0  # POSTs: record the change, then drop the connection
    token_ttl: float | None = None  # tokens really die after this many seconds (expires_in still says 7200)
    next_errors: int = 0
    next_timeouts: int = 0
    next_rate_limits: int = 0  # a 429 burst of this many requests
    next_lost_answers: int = 0

    def update(self, values: dict[str, Any]) -> None:
        names = {f.name: f for f in dataclasses.fields(self)}
        for key, value in values.items():
            if key not in names:
                raise SandboxError(400, "Validation Failed", f"Unknown fault {key!r}", {key: ["unknown fault"]})
            if key == "token_ttl" and value is None:
                self.token_ttl = None
                continue
            kind = int if key.startswith("next_") else float
            try:
                converted = kind(value)
            except (TypeError, ValueError):
                raise SandboxError(400, "Validation Failed", f"Bad value for {key}", {key: ["not a number"]}) from None
            if converted < 0:
                raise SandboxError(400, "Validation Failed", f"Bad value for {key}", {key: ["must be >= 0"]})
            setattr(self, key, converted)


def system_clock() -> datetime:
    """The sandbox's default clock: the machine's time, in UTC."""
    return datetime.now(UTC)


class PinnedClock:
    """A clock that starts at a chosen instant and then moves with real time.

    Order ids and dates carry "today": a test that pins the clock gets the same marketplace on
    any day it runs, while updatedAt still moves forward between two changes.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("PinnedClock needs an aware datetime")
        self.start = start.astimezone(UTC)
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._origin)


@dataclass
class SandboxConfig:
    """Everything the sandbox is started with (the command's options)."""

    seed: int = 1
    orders: int = 100
    client_id: str = "demo-client"
    client_secret: str = "demo-secret"
    seller_id: str = "98979"
    sales_channel_id: str = "CDISFR"
    state_file: Path | None = None
    reset: bool = False
    days: int = 20  # seeded orders are spread over this many days back
    malformed: int = 0  # how many seeded orders are malformed
    tick_seconds: float = 0.0  # background lifecycle ticker; 0 = off (tests use advance)
    new_orders_per_tick: int = 1
    acceptance_wait_steps: int = 2  # advances an order waits in WaitingAcceptance before the portal accepts it
    # Chances per lifecycle step: a customer cancels before InPreparation, Cdiscount's controls
    # reject an accepted order, a customer asks to cancel a line in preparation.
    customer_cancel_rate: float = 0.05
    reject_rate: float = 0.02
    cancel_request_rate: float = 0.05
    token_lifetime: int = 7200
    faults: Faults = field(default_factory=Faults)
    # Where "now" (and so today's date in order ids) comes from. Token expiry stays on real time:
    # it measures how long a token lived, not which day it is.
    clock: Callable[[], datetime] = system_clock


def _ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


class SandboxState:
    """Orders, tokens, faults and the request log, behind one lock."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.faults = config.faults
        self.lock = threading.RLock()
        self.orders: dict[str, dict[str, Any]] = {}  # insertion order = createdAt order
        self.tokens: dict[str, dict[str, Any]] = {}  # token -> {client_id, expires_at}
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
            self.dirty = False
        text = f'{{"version":1,"seed":{int(self.config.seed)},"tokens":{tokens},"orders":[{",".join(parts)}]}}'
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
        key = (self.version, tuple(sorted((k, tuple(v)) for k, v in params.items() if k not in _PAGING)))
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

    # --- approval and shipments (the real API's rules) -----------------------------------------

    def approve(self, order_id: str, body: Any) -> None:
        """POST /orders/{orderId}/approval-status: only Cdiscount orders in WaitingAcceptance."""
        if not isinstance(body, dict):
            raise SandboxError(400, "Validation Failed", "The body must be a JSON object.", {"body": ["expected"]})
        decision = body.get("approval_status", body.get("approvalStatus"))
        if decision not in {"Accepted", "Refused"}:
            raise SandboxError(
                400,
                "Validation Failed",
                "approval_status must be Accepted or Refused.",
                {"approval_status": ["must be Accepted or Refused"]},
            )
        order = self.get(order_id)
        if order["salesChannel"]["id"] != "CDISFR":
            raise SandboxError(400, "Bad Request", "Approval is only available for Cdiscount orders.")
        if order["status"] != "WaitingAcceptance":
            raise SandboxError(
                409,
                "Conflict",
                f"Order {order_id} is in status {order['status']}: "
                "only an order in WaitingAcceptance can be accepted or refused.",
                {"status": [f"Cannot switch from {order['status']} to {decision}"]},
            )
        self._set_status(order, decision)

    def ship(self, order_id: str, body: Any) -> None:
        """POST /orders/{orderId}/shipments: one parcel per complete Cdiscount order."""
        parcels = [body] if isinstance(body, dict) else body
        if not isinstance(parcels, list) or not parcels or not all(isinstance(p, dict) for p in parcels):
            raise SandboxError(400, "Validation Failed", "The body must be an array of parcels.", {"body": ["array"]})
        order = self.get(order_id)
        if len(parcels) > 1:
            raise SandboxError(
                400,
                "Validation Failed",
                "Cdiscount only enables one parcel per complete order.",
                {"parcels": ["only one parcel per order"]},
            )
        parcel = parcels[0]
        existing = {p["parcelNumber"] for line in order["lines"] for p in line["parcels"]}
        if existing:
            raise SandboxError(
                409,
                "Conflict",
                f"Order {order_id} already has parcel {sorted(existing)[0]}: "
                "Cdiscount only enables one parcel per complete order.",
                {"parcelNumber": ["Cannot switch to shipped status: the order is already shipped"]},
            )
        errors: dict[str, list[str]] = {}
        number = parcel.get("parcelNumber")
        if not isinstance(number, str) or not number.strip():
            errors["parcelNumber"] = ["The parcelNumber field is required."]
        elif len(number) > 50 or any(ch in number for ch in " &*$"):
            errors["parcelNumber"] = ["At most 50 characters, without spaces or & * $."]
        carrier = parcel.get("carrierName")
        if not isinstance(carrier, str) or not carrier.strip():
            errors["carrierName"] = ["The carrierName field is required."]
        elif carrier.casefold() not in _CARRIER_LABELS:
            errors["carrierName"] = [f"Unknown carrier '{carrier}': use a label from GET /carriers."]
        url = parcel.get("trackingUrl")
        if url is not None and not isinstance(url, str):
            errors["trackingUrl"] = ["Must be text."]
        line_ids = parcel.get("orderLineIds")
        lines_by_id = {line["orderLineId"]: line for line in order["lines"]}
        open_ids = {i for i, line in lines_by_id.items() if line["status"] not in LINE_CLOSED}
        if line_ids is None:
            line_ids = sorted(open_ids)  # without orderLineIds the parcel covers all lines
        elif not isinstance(line_ids, list) or not all(isinstance(i, str) for i in line_ids):
            errors["orderLineIds"] = ["Must be a list of order line ids."]
            line_ids = []
        else:
            unknown = [i for i in line_ids if i not in lines_by_id]
            if unknown:
                errors["orderLineIds"] = [f"Unknown order line id(s) {', '.join(unknown)} for order {order_id}."]
            elif set(line_ids) != open_ids:
                errors["orderLineIds"] = [
                    "Cdiscount only enables one parcel per complete order: list every line of the order "
                    f"({', '.join(sorted(open_ids))})."
                ]
        if errors:
            raise SandboxError(400, "Validation Failed", "One or more validation errors occurred.", errors)
        if order["status"] != "InPreparation":
            raise SandboxError(
                400,
                "Validation Failed",
                f"Cannot switch to shipped status: order {order_id} is {order['status']}, not InPreparation.",
                {"status": [f"Order status is {order['status']}"]},
            )
        modes = {lines_by_id[i]["offer"]["supplyMode"] for i in line_ids}
        if modes != {"Seller"}:
            raise SandboxError(
                400,
                "Validation Failed",
                f"Order {order_id} is fulfilled by {', '.join(sorted(modes))}: only supply mode Seller is shipped "
                "by the seller.",
                {"supplyMode": ["must be Seller"]},
            )
        bad_lines = [i for i in line_ids if lines_by_id[i]["status"] not in {"InPreparation", "CancelRequest"}]
        if bad_lines:
            raise SandboxError(
                400,
                "Validation Failed",
                f"Cannot switch to shipped status: line(s) {', '.join(bad_lines)} not InPreparation.",
                {"orderLineIds": ["lines must be InPreparation"]},
            )
        record = {
            "parcelNumber": number,
            "carrierName": _CARRIER_LABELS[carrier.casefold()],
            "trackingUrl": url,
        }
        for line_id in line_ids:
            lines_by_id[line_id]["parcels"].append(dict(record))
            lines_by_id[line_id]["status"] = "Shipped"
        order["status"] = "Shipped"
        self.touch(order)

    @staticmethod
    def _add_parcel(order: dict[str, Any], parcel: dict[str, Any]) -> None:
        for line in order["lines"]:
            if line["status"] not in LINE_CLOSED:
                line["parcels"] = [dict(parcel)]

    def _set_status(self, order: dict[str, Any], status: str) -> None:
        if order["status"] != status:
            order["_steps"] = 0  # steps are counted per status (how long it has waited in it)
        order["status"] = status
        for line in order["lines"]:
            if line["status"] in LINE_CLOSED and status not in LINE_CLOSED:
                continue
            if line["status"] == "CancelRequest" and status == "InPreparation":
                continue
            line["status"] = status
        self.touch(order)

    # --- control (tests and demos) -------------------------------------------------------------

    def update_order(self, order_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change one order by hand: status, line statuses, malformation. Bumps updatedAt."""
        order = self.get(order_id)
        allowed = {"status", "line_status", "malformed", "parcel", "supply_mode"}
        unknown = set(changes) - allowed
        if unknown:
            raise SandboxError(400, "Validation Failed", "Unknown change", {k: ["unknown"] for k in unknown})
        if "supply_mode" in changes:
            for line in order["lines"]:
                line["offer"]["supplyMode"] = changes["supply_mode"]
        if "status" in changes:
            status = changes["status"]
            if status not in ORDER_STATUSES:
                raise SandboxError(400, "Validation Failed", f"Unknown status {status!r}", {"status": ["unknown"]})
            self._set_status(order, status)
            has_parcel = any(line["parcels"] for line in order["lines"])
            if status in {"Shipped", "Delivered"} and not has_parcel:
                parcel = changes.get("parcel") or self.generator.parcel("Colissimo")
                self._add_parcel(order, parcel)
        for line_id, status in (changes.get("line_status") or {}).items():
            line = next((ln for ln in order["lines"] if ln["orderLineId"] == line_id), None)
            if line is None:
                raise SandboxError(404, "Not Found", f"Order {order_id} has no line {line_id}.")
            if status not in LINE_STATUSES:
                raise SandboxError(400, "Validation Failed", f"Unknown line status {status!r}", {"status": ["?"]})
            line["status"] = status
        if "malformed" in changes:
            kind = changes["malformed"]
            if kind is not None and kind not in MALFORMED_KINDS:
                raise SandboxError(400, "Validation Failed", "Unknown malformation", {"malformed": [*MALFORMED_KINDS]})
            order["_malformed"] = kind
        self.touch(order)
        return order

    def _chance(self, order: dict[str, Any], tag: str, probability: float) -> bool:
        # Deterministic per seed, order and step, so a test or a demo replays the same way. The
        # id's date prefix (yymmdd) is left out: an order's fate must not depend on the day it
        # was made, or a test would pass on some days and fail on others.
        key = order["orderId"][6:]
        digest = hashlib.sha256(f"{self.config.seed}:{key}:{tag}:{order['_steps']}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < probability

    def advance(self, *, order_ids: Iterable[str] | None = None, steps: int = 1) -> list[str]:
        """Move orders one lifecycle step per `steps` (the background ticker calls this too).

        Processing -> WaitingAcceptance -> (waits for approval-status, then after
        `acceptance_wait_steps` the seller portal accepts it) Accepted -> InPreparation (the
        address appears) -> the seller ships it (Fulfillment orders: the warehouse does) ->
        Shipped -> Delivered. Some customers cancel before InPreparation; some lines of orders
        in preparation get a CancelRequest, which becomes Cancelled at the next step.
        """
        changed: list[str] = []
        with self.lock:
            targets = [self.get(i) for i in order_ids] if order_ids is not None else list(self.orders.values())
            for _ in range(steps):
                for order in targets:
                    if self._advance_one(order):
                        changed.append(order["orderId"])
        return list(dict.fromkeys(changed))

    def _advance_one(self, order: dict[str, Any]) -> bool:
        status = order["status"]
        if status in TERMINAL:
            return False
        order["_steps"] = order.get("_steps", 0) + 1
        cfg = self.config
        if status == "Processing":
            self._set_status(order, "WaitingAcceptance")
        elif status in {"WaitingAcceptance", "Accepted"} and self._chance(
            order, "customer-cancel", cfg.customer_cancel_rate
        ):
            self._set_status(order, "Cancelled")
        elif status == "WaitingAcceptance":
            if order["_steps"] <= self.config.acceptance_wait_steps:
                return False
            self._set_status(order, "Accepted")
        elif status == "Accepted":
            rejected = self._chance(order, "controls", cfg.reject_rate)
            self._set_status(order, "Rejected" if rejected else "InPreparation")
        elif status == "InPreparation":
            return self._advance_in_preparation(order)
        elif status == "Shipped":
            self._set_status(order, "Delivered")
        return True

    def _advance_in_preparation(self, order: dict[str, Any]) -> bool:
        lines = order["lines"]
        requested = [line for line in lines if line["status"] == "CancelRequest"]
        if requested:
            for line in requested:
                line["status"] = "Cancelled"
            if all(line["status"] in LINE_CLOSED for line in lines):
                order["status"] = "Cancelled"
            self.touch(order)
            return True
        if lines[0]["offer"]["supplyMode"] != "Seller":
            # The warehouse ships Fulfillment/Xdock orders and reports it itself.
            self._add_parcel(order, self.generator.parcel("Colissimo"))
            self._set_status(order, "Shipped")
            return True
        if self._chance(order, "cancel-request", self.config.cancel_request_rate):
            open_lines = [line for line in lines if line["status"] == "InPreparation"]
            if open_lines:
                open_lines[-1]["status"] = "CancelRequest"
                self.touch(order)
                return True
        return False

    def tick(self) -> list[str]:
        """One beat of the background ticker: advance everything and take new orders."""
        with self.lock:
            changed = self.advance()
            changed += self.create_orders(count=self.config.new_orders_per_tick)
        return changed

    # --- tokens --------------------------------------------------------------------------------

    def issue_token(self, client_id: str) -> tuple[str, int]:
        """A JWT-looking token. It really dies after faults.token_ttl if set (an early expiry)."""
        lifetime = self.config.token_lifetime
        real = self.faults.token_ttl if self.faults.token_ttl is not None else lifetime
        token = ".".join(
            [
                "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9",
                secrets.token_urlsafe(48),
                "".join(secrets.choice(string.ascii_letters + string.digits + "-_") for _ in range(43)),
            ]
        )
        with self.lock:
            now = time.time()
            self.tokens = {t: v for t, v in self.tokens.items() if v["expires_at"] > now}
            self.tokens[token] = {"client_id": client_id, "expires_at": now + real}
            self.dirty = True
        return token, lifetime

    def token_valid(self, token: str) -> bool:
        with self.lock:
            entry = self.tokens.get(token)
            return entry is not None and entry["expires_at"] > time.time()

    def expire_tokens(self) -> int:
        with self.lock:
            count = len(self.tokens)
            self.tokens.clear()
            self.dirty = True
        return count

    # --- faults and the request log ------------------------------------------------------------

    def draw_fault(self, *, method: str) -> str | None:
        """Which fault (if any) hits this API request: one-shot counters first, then the rates."""
        f = self.faults
        with self.lock:
            if f.next_timeouts > 0:
                f.next_timeouts -= 1
                return "timeout"
            if f.next_errors > 0:
                f.next_errors -= 1
                return "error"
            if f.next_rate_limits > 0:
                f.next_rate_limits -= 1
                return "rate_limit"
            roll = self._fault_rng.random()
            if roll < f.timeout_rate:
                return "timeout"
            roll -= f.timeout_rate
            if roll < f.error_rate:
                return "error"
            roll -= f.error_rate
            if roll < f.rate_limit_rate:
                return "rate_limit"
        return None

    def draw_lost_answer(self) -> bool:
        f = self.faults
        with self.lock:
            if f.next_lost_answers > 0:
                f.next_lost_answers -= 1
                return True
            return self._fault_rng.random() < f.lost_answer_rate

    def log_request(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self._request_seq += 1
            entry["seq"] = self._request_seq
            self.requests.append(entry)

    def requests_since(self, seq: int = 0) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(e) for e in self.requests if e["seq"] > seq]

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
