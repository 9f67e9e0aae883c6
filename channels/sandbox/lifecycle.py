"""How orders move along their lifecycle over time, and changes made by hand (control API)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from .config import LINE_CLOSED, LINE_STATUSES, MALFORMED_KINDS, ORDER_STATUSES, TERMINAL, SandboxError
from .marketplace import MarketplaceRules


class Lifecycle(MarketplaceRules):
    """Part of SandboxState: advance(), tick() and update_order()."""

    orders: dict[str, dict[str, Any]]

    create_orders: Callable[..., list[str]]  # SandboxState's
    finish_imports: Callable[[], list[str]]  # InvoiceDocuments'

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
        in preparation get a CancelRequest, which becomes Cancelled at the next step. Invoice
        imports still Running end at a step.
        """
        changed: list[str] = []
        with self.lock:
            self.finish_imports()
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
