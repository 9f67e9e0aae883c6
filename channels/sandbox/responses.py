"""The sandbox's answers: problem+json errors as the real API writes them, Keycloak's token
errors, and the parsing of request bodies and parameters (reference 3.9)."""

from __future__ import annotations

import dataclasses
import json
import secrets
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
