"""The sandbox's answers: problem+json errors as the real API writes them, Keycloak's token
errors, and the parsing of request bodies and parameters (reference 3.9)."""

from __future__ import annotations

import dataclasses
import json
import secrets
from html import escape
from http import HTTPStatus
from typing import Any

from .config import Faults, SandboxError

TOKEN_PATH = "/auth/realms/maas/protocol/openid-connect/token"
MAX_PAGE_SIZE = 100
PROBLEM_TYPES = {
    400: "https://tools.ietf.org/html/rfc7231#section-6.5.1",
    401: "https://tools.ietf.org/html/rfc7235#section-3.1",
    403: "https://tools.ietf.org/html/rfc7231#section-6.5.3",
    404: "https://tools.ietf.org/html/rfc7231#section-6.5.4",
    405: "https://tools.ietf.org/html/rfc7231#section-6.5.5",
    409: "https://tools.ietf.org/html/rfc7231#section-6.5.8",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc7231#section-6.6.1",
    503: "https://tools.ietf.org/html/rfc7231#section-6.6.4",
}


def problem(
    status: int, title: str, detail: str, instance: str, errors: dict[str, list[str]] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES.get(status, "about:blank"),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "traceId": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01",
    }
    if errors:
        body["errors"] = errors
    return status, body, {"Content-Type": "application/problem+json; charset=utf-8"}


def keycloak(status: int, error: str, description: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    # Problem details plus Keycloak's own keys: clients read either (reference 3.2).
    _, body, headers = problem(status, HTTPStatus(status).phrase, description, TOKEN_PATH)
    body.update({"error": error, "error_description": description})
    return status, body, headers


def json_body(raw: bytes, path: str) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise SandboxError(
            400, "Validation Failed", "The body is not valid JSON.", {"body": ["invalid JSON"]}
        ) from None


def int_param(
    query: dict[str, list[str]], name: str, *, default: int, minimum: int, maximum: int | None, path: str
) -> int:
    values = query.get(name)
    if not values or values[-1] == "":
        return default
    try:
        value = int(values[-1])
    except ValueError:
        raise SandboxError(
            400,
            "Validation Failed",
            "One or more validation errors occurred.",
            {name: [f"'{values[-1]}' is not valid."]},
        ) from None
    if value < minimum or (maximum is not None and value > maximum):
        limit = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise SandboxError(
            400, "Validation Failed", "One or more validation errors occurred.", {name: [f"{name} must be {limit}."]}
        )
    return value


def faults_dict(faults: Faults) -> dict[str, Any]:
    return dataclasses.asdict(faults)


# The control endpoints, for the index page people see at /_sandbox/ (the handler routes them).
CONTROL_ENDPOINTS = (
    ("GET", "/_sandbox/health", "Orders by status, malformed ones, requests served"),
    ("GET", "/_sandbox/faults", "The faults in force (JSON)"),
    ("POST", "/_sandbox/faults", 'Set faults, e.g. {"error_rate": 0.2, "latency": 0.5}'),
    ("POST", "/_sandbox/faults/reset", "No faults"),
    ("GET", "/_sandbox/orders?status=InPreparation", "The orders, optionally of one status"),
    ("POST", "/_sandbox/orders", 'Create orders: {"count": 3, "status": "WaitingAcceptance"}'),
    ("GET", "/_sandbox/orders/{orderId}", "One order as the API renders it"),
    ("PATCH", "/_sandbox/orders/{orderId}", "Change an order: status, line_status, parcel ..."),
    ("POST", "/_sandbox/advance", 'Move orders along their lifecycle (and end invoice imports): {"steps": 1}'),
    ("POST", "/_sandbox/tick", "One lifecycle tick now"),
    ("POST", "/_sandbox/tokens/expire", "Expire every token issued"),
    ("GET", "/_sandbox/requests?since=0", "The requests served, for inspection"),
    ("DELETE", "/_sandbox/requests", "Forget the requests served"),
    ("POST", "/_sandbox/save", "Write the state file now"),
)


def index_page(summary: dict[str, Any], faults: Faults) -> bytes:
    """A small HTML page for people demoing the product: what the sandbox holds, the faults in
    force and every control endpoint. Everything shown is escaped."""
    rows = "".join(
        f"<tr><td><code>{escape(method)}</code></td><td><code>{escape(path)}</code></td><td>{escape(what)}</td></tr>"
        for method, path, what in CONTROL_ENDPOINTS
    )
    active = {name: value for name, value in dataclasses.asdict(faults).items() if value not in (0, 0.0, None, "")}
    fault_text = ", ".join(f"{escape(name)} = {escape(str(value))}" for name, value in active.items()) or "none"
    statuses = ", ".join(f"{escape(k)}: {v}" for k, v in sorted(summary.get("by_status", {}).items())) or "no orders"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Cdiscount sandbox</title></head><body>"
        "<h1>Cdiscount sandbox</h1>"
        f"<p>{summary.get('orders', 0)} orders ({statuses}); {summary.get('requests', 0)} requests served.</p>"
        f"<h2>Faults in force</h2><p>{fault_text}</p>"
        f"<h2>Control endpoints</h2><table><tr><th>Method</th><th>Path</th><th>What</th></tr>{rows}</table>"
        "</body></html>"
    ).encode()
