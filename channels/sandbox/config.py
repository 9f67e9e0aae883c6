"""The sandbox's settings and vocabulary: statuses, carriers, faults, the clock, its errors.

No Django, nothing of the product: the sandbox is a stand-alone fake of the Octopia Seller API.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
PAGING = frozenset({"pageIndex", "pageSize"})

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
CARRIER_LABELS = {c["label"].casefold(): c["label"] for c in CARRIERS}


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
    next_import_failures: int = 0  # the next N invoice imports end in Failure (a file check)

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
    # An invoice import stays Running this long (or until a lifecycle step), then ends.
    invoice_import_seconds: float = 2.0
    faults: Faults = field(default_factory=Faults)
    # Where "now" (and so today's date in order ids) comes from. Token expiry stays on real time:
    # it measures how long a token lived, not which day it is.
    clock: Callable[[], datetime] = system_clock
