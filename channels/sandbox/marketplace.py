"""The marketplace's own rules on approvals and shipments, as the real API applies them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .config import CARRIER_LABELS, LINE_CLOSED, SandboxConfig, SandboxError
from .generator import OrderGenerator


class MarketplaceRules:
    """Part of SandboxState: POST approval-status and POST shipments, with the API's refusals."""

    config: SandboxConfig
    lock: threading.RLock
    generator: OrderGenerator

    # SandboxState's own, used here.
    get: Callable[[str], dict[str, Any]]
    touch: Callable[[dict[str, Any]], None]

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
        elif carrier.casefold() not in CARRIER_LABELS:
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
        assert isinstance(carrier, str)  # else errors said so above
        record = {
            "parcelNumber": number,
            "carrierName": CARRIER_LABELS[carrier.casefold()],
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
