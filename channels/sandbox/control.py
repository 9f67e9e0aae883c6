"""A small Python helper over the sandbox's `/_sandbox/` control API, for tests and demos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class RecordedRequest:
    """One request the sandbox received (accepted or refused), as its request log has it."""

    seq: int
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int | None  # None when no answer was sent (a timeout or a lost answer)
    fault: str | None  # "timeout", "error", "rate_limit", "lost_answer" or None

    @property
    def is_token(self) -> bool:
        return self.path.endswith("/openid-connect/token")


class SandboxControl:
    """Drive a running sandbox: faults, lifecycle, single orders, and what it received."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base_url}/_sandbox{path}", timeout=self.timeout, **kwargs)
        if not response.ok:
            raise RuntimeError(f"sandbox control {method} {path} failed: {response.status_code} {response.text}")
        return response.json()

    # faults
    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """Change fault settings, e.g. set_faults(next_errors=2, latency=0.05)."""
        return self._call("POST", "/faults", json=faults)

    def reset_faults(self) -> dict[str, Any]:
        return self._call("POST", "/faults/reset")

    def faults(self) -> dict[str, Any]:
        return self._call("GET", "/faults")

    def expire_tokens(self) -> int:
        """Make every token issued so far invalid (the next API call gets a 401)."""
        return int(self._call("POST", "/tokens/expire")["expired"])

    # lifecycle and orders
    def advance(self, *, order_ids: list[str] | None = None, steps: int = 1) -> list[str]:
        """Move orders (all, or the given ones) one lifecycle step per step; returns the changed ids."""
        payload: dict[str, Any] = {"steps": steps}
        if order_ids is not None:
            payload["order_ids"] = order_ids
        return list(self._call("POST", "/advance", json=payload)["changed"])

    def tick(self) -> list[str]:
        return list(self._call("POST", "/tick")["changed"])

    def create_orders(
        self,
        *,
        count: int = 1,
        status: str = "WaitingAcceptance",
        supply_mode: str | None = "Seller",
        lines: int | None = None,
        malformed: str | None = None,
    ) -> list[str]:
        """New orders created now; returns their ids. supply_mode=None mixes Seller and Fulfillment
        as generated orders do; the default, Seller, keeps a test's orders shippable."""
        payload = {"count": count, "status": status, "supply_mode": supply_mode, "lines": lines, "malformed": malformed}
        return list(self._call("POST", "/orders", json=payload)["order_ids"])

    def order(self, order_id: str) -> dict[str, Any]:
        """The order as the API shows it (ignoring any malformation)."""
        return self._call("GET", f"/orders/{order_id}")["order"]

    def update_order(self, order_id: str, **changes: Any) -> dict[str, Any]:
        """Change one order: status=..., line_status={line_id: status}, malformed=kind|None,
        supply_mode=..., parcel={...} (with status Shipped)."""
        return self._call("PATCH", f"/orders/{order_id}", json=changes)["order"]

    def set_status(self, order_id: str, status: str) -> dict[str, Any]:
        return self.update_order(order_id, status=status)

    def request_line_cancel(self, order_id: str, line_id: str) -> dict[str, Any]:
        return self.update_order(order_id, line_status={line_id: "CancelRequest"})

    def malform(self, order_id: str, kind: str = "bad_price") -> dict[str, Any]:
        """kind: missing_lines, bad_price or unknown_status."""
        return self.update_order(order_id, malformed=kind)

    def repair(self, order_id: str) -> dict[str, Any]:
        return self.update_order(order_id, malformed=None)

    def order_ids(self, *, status: str | None = None) -> list[str]:
        params = {"status": status} if status else None
        return [o["orderId"] for o in self._call("GET", "/orders", params=params)["orders"]]

    def statuses(self) -> dict[str, str]:
        """Every order's id and status."""
        return {o["orderId"]: o["status"] for o in self._call("GET", "/orders")["orders"]}

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    # what it received
    def requests(self, *, since: int = 0, path_contains: str | None = None) -> list[RecordedRequest]:
        entries = self._call("GET", "/requests", params={"since": since})["requests"]
        recorded = [
            RecordedRequest(
                seq=e["seq"],
                method=e["method"],
                path=e["path"],
                query=e["query"],
                body=e["body"],
                status=e["status"],
                fault=e["fault"],
            )
            for e in entries
        ]
        if path_contains:
            recorded = [r for r in recorded if path_contains in r.path]
        return recorded

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def save(self) -> None:
        self._call("POST", "/save")
