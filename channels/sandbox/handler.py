"""The sandbox's request handler: the real Octopia paths, the `/_sandbox/` control API, faults.

Standard library only (http.server): no Django in the request path. Errors are
application/problem+json, as the real API's (reference 3.9). server.py serves it.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import secrets
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .config import CARRIERS, SandboxError
from .invoices import loggable_file, multipart_file
from .responses import MAX_PAGE_SIZE, TOKEN_PATH, faults_dict, index_page, int_param, json_body, keycloak, problem
from .state import SandboxState

logger = logging.getLogger(__name__)

API_PREFIX = "/seller/v2"


_ORDER = re.compile(r"^/seller/v2/orders/(?P<id>[^/]+)$")
_APPROVAL = re.compile(r"^/seller/v2/orders/(?P<id>[^/]+)/approval-status$")
_SHIPMENTS = re.compile(r"^/seller/v2/orders/(?P<id>[^/]+)/shipments$")
_INVOICE_DOCUMENTS = re.compile(r"^/seller/v2/orders/(?P<id>[^/]+)/invoice-documents$")
_INVOICE_IMPORT = re.compile(r"^/seller/v2/order-invoice-imports/(?P<id>[^/]+)$")
_CONTROL_ORDER = re.compile(r"^/_sandbox/orders/(?P<id>[^/]+)$")


class _DropConnection(Exception):
    """Close the socket without answering (a timeout past the client's, or a lost answer)."""

    def __init__(self, *, logged: bool = False) -> None:
        super().__init__()
        self.logged = logged


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: several requests per connection, like a real gateway
    server_version = "OctopiaSandbox/1.0"

    def version_string(self) -> str:
        return self.server_version

    timeout = 120  # idle keep-alive connections are closed after this
    # Headers and body leave in one write, without Nagle: otherwise every keep-alive answer
    # waits for the client's delayed ACK (about 40 ms), which would dominate the benchmarks.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    @property
    def state(self) -> SandboxState:
        return self.server.state  # type: ignore[attr-defined]  # server._Server holds it: the base class does not

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # Requests go to the request log (GET /_sandbox/requests), not to stderr.
        return

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    # --- plumbing ------------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = parse_qs(url.query, keep_blank_values=True)
        raw_body = self._read_body()
        if path.startswith("/_sandbox"):
            self._control(method, path, query, raw_body)
            return
        entry: dict[str, Any] = {
            "time": time.time(),
            "method": method,
            "path": path,
            "query": query,
            "body": self._loggable_body(path, raw_body, self.headers.get("Content-Type", "")),
            "status": None,
            "fault": None,
        }
        try:
            if path == TOKEN_PATH:
                self._latency()
                status, body, headers = self._token(method, raw_body)
            elif path.startswith(API_PREFIX):
                status, body, headers = self._api(method, path, query, raw_body, entry)
            else:
                status, body, headers = problem(404, "Not Found", "Resource not found.", path)
        except _DropConnection as drop:
            self.close_connection = True
            if not drop.logged:
                self.state.log_request(entry)
            return
        except SandboxError as exc:
            status, body, headers = problem(exc.status, exc.title, exc.detail, path, exc.errors)
        except Exception:  # pragma: no cover - a sandbox bug must still answer like a server would
            logger.exception("sandbox_error path=%s", path)
            status, body, headers = problem(500, "Internal Server Error", "Unexpected sandbox error.", path)
        entry["status"] = status
        self.state.log_request(entry)
        self._send(status, body, headers)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    @staticmethod
    def _loggable_body(path: str, raw: bytes, content_type: str) -> Any:
        if not raw:
            return None
        if content_type.lower().startswith("multipart/"):
            return loggable_file(content_type, raw)
        if path == TOKEN_PATH:
            form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            if "client_secret" in form:
                form["client_secret"] = "***"  # never keep a secret, even in a test tool
            return form
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")[:2000]

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        if body is None:
            payload = b""
        elif isinstance(body, bytes):
            payload = body
        else:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        if payload:
            self.send_header("Content-Type", headers.pop("Content-Type", "application/json; charset=utf-8"))
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _latency(self) -> None:
        if self.state.faults.latency > 0:
            time.sleep(self.state.faults.latency)

    # --- token endpoint ------------------------------------------------------------------------

    def _token(self, method: str, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        if method != "POST":
            return problem(405, "Method Not Allowed", "Use POST.", TOKEN_PATH)
        form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        config = self.state.config
        if form.get("grant_type") != "client_credentials":
            return keycloak(400, "unsupported_grant_type", "Unsupported grant_type")
        if not form.get("client_id") or not form.get("client_secret"):
            return keycloak(400, "invalid_request", "Missing client_id or client_secret")
        if not (
            secrets.compare_digest(form["client_id"], config.client_id)
            and secrets.compare_digest(form["client_secret"], config.client_secret)
        ):
            return keycloak(401, "invalid_client", "Invalid client credentials")
        token, lifetime = self.state.issue_token(form["client_id"])
        body = {
            "access_token": token,
            "expires_in": lifetime,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": "profile email",
        }
        return 200, body, {"Cache-Control": "no-store"}

    # --- Seller API ----------------------------------------------------------------------------

    def _api(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, entry: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        state = self.state
        self._latency()
        fault = state.draw_fault(method=method)
        entry["fault"] = fault
        if fault == "timeout":
            # Logged now: the client has given up long before this thread wakes up.
            state.log_request(entry)
            time.sleep(state.faults.timeout_sleep)
            raise _DropConnection(logged=True)
        if fault == "error":
            return problem(503, "Service Unavailable", "The service is temporarily unavailable.", path)
        if fault == "rate_limit":
            status, body, headers = problem(429, "Too Many Requests", "Rate limit exceeded, retry later.", path)
            seconds = state.faults.retry_after
            headers["Retry-After"] = str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"
            return status, body, headers

        auth = self.headers.get("Authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not token or not state.token_valid(token):
            status, body, headers = problem(
                401, "Unauthorized", "The access token is missing, invalid or expired.", path
            )
            headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return status, body, headers
        seller_id = self.headers.get("SellerId")
        if not seller_id:
            return problem(
                400, "Validation Failed", "The SellerId header is required.", path, {"SellerId": ["required"]}
            )
        if seller_id != state.config.seller_id:
            return problem(403, "Forbidden", f"The client is not linked to seller {seller_id}.", path)

        with state.lock:
            if method == "GET":
                status, body, headers = self._api_get(path, query)
                # Serialised under the lock: rendered orders share nested values with the state.
                return status, json.dumps(body, ensure_ascii=False).encode("utf-8"), headers
            if method == "POST" and (match := _INVOICE_DOCUMENTS.match(path)):
                part = multipart_file(self.headers.get("Content-Type", ""), raw)
                answer: tuple[int, Any, dict[str, str]] = (201, state.upload_invoice(match["id"], part), {})
            elif method == "POST":
                body = json_body(raw, path)
                match = _APPROVAL.match(path)
                if match:
                    state.approve(match["id"], body)
                    answer = (204, None, {})
                else:
                    match = _SHIPMENTS.match(path)
                    if not match:
                        return problem(404, "Not Found", "Resource not found.", path)
                    state.ship(match["id"], body)
                    answer = (201, None, {})
            else:
                return problem(405, "Method Not Allowed", f"{method} is not allowed here.", path)
        if state.draw_lost_answer():
            entry["fault"] = "lost_answer"
            entry["status"] = answer[0]  # what it would have answered: the change is recorded
            raise _DropConnection
        return answer

    def _api_get(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        state = self.state
        if path == f"{API_PREFIX}/orders":
            page_index = int_param(query, "pageIndex", default=1, minimum=1, maximum=None, path=path)
            page_size = int_param(query, "pageSize", default=MAX_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE, path=path)
            matches = state.query(query)
            start = (page_index - 1) * page_size
            page = matches[start : start + page_size]
            body = {"itemsPerPage": len(page), "items": [state.render(o) for o in page]}
            headers: dict[str, str] = {}
            if start + page_size < len(matches):
                next_query = {k: v[-1] for k, v in query.items()}
                next_query["pageIndex"] = str(page_index + 1)
                next_query["pageSize"] = str(page_size)
                headers["Link"] = f'<{self._base()}{path}?{urlencode(next_query)}>; rel="next"'
            return 200, body, headers
        if path == f"{API_PREFIX}/orders/count":
            matches = state.query(query)
            return 200, len(matches), {}
        if path == f"{API_PREFIX}/carriers":
            return 200, CARRIERS, {}
        if match := _INVOICE_DOCUMENTS.match(path):
            int_param(query, "pageSize", default=50, minimum=1, maximum=MAX_PAGE_SIZE, path=path)
            return 200, state.invoice_documents(match["id"]), {}
        if match := _INVOICE_IMPORT.match(path):
            return 200, state.invoice_import(match["id"]), {}
        match = _ORDER.match(path)
        if match:
            return 200, state.render(state.get(match["id"])), {}
        return problem(404, "Not Found", "Resource not found.", path)

    def _base(self) -> str:
        address = self.server.server_address
        assert isinstance(address, tuple)  # a TCP server's (host, port)
        host = self.headers.get("Host") or "{}:{}".format(*address[:2])
        return f"http://{host}"

    # --- control API ---------------------------------------------------------------------------

    def _control(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> None:
        state = self.state
        try:
            body = json_body(raw, path) if raw else {}
            result: Any
            if path in ("/_sandbox", "/_sandbox/") and method == "GET":
                page = index_page(state.summary(), state.faults)
                return self._send(200, page, {"Content-Type": "text/html; charset=utf-8"})
            if path == "/_sandbox/health":
                result = {"status": "ok", **state.summary()}
            elif path == "/_sandbox/faults" and method == "GET":
                result = faults_dict(state.faults)
            elif path == "/_sandbox/faults" and method == "POST":
                with state.lock:
                    state.faults.update(body)
                result = faults_dict(state.faults)
            elif path == "/_sandbox/faults/reset" and method == "POST":
                with state.lock:
                    state.faults.__init__()  # type: ignore[misc]  # reset in place: the config shares the object
                result = faults_dict(state.faults)
            elif path == "/_sandbox/advance" and method == "POST":
                result = {"changed": state.advance(order_ids=body.get("order_ids"), steps=int(body.get("steps", 1)))}
            elif path == "/_sandbox/tick" and method == "POST":
                result = {"changed": state.tick()}
            elif path == "/_sandbox/tokens/expire" and method == "POST":
                result = {"expired": state.expire_tokens()}
            elif path == "/_sandbox/save" and method == "POST":
                state.save()
                result = {"saved": True}
            elif path == "/_sandbox/requests" and method == "GET":
                since = int((query.get("since") or ["0"])[-1])
                result = {"requests": state.requests_since(since)}
            elif path == "/_sandbox/requests" and method == "DELETE":
                with state.lock:
                    state.requests.clear()
                result = {"cleared": True}
            elif path == "/_sandbox/orders" and method == "GET":
                statuses = query.get("status")
                status = statuses[-1] if statuses else None
                with state.lock:
                    result = {
                        "orders": [
                            {"orderId": o["orderId"], "status": o["status"], "updatedAt": o["updatedAt"]}
                            for o in state.orders.values()
                            if status is None or o["status"] == status
                        ]
                    }
            elif path == "/_sandbox/orders" and method == "POST":
                ids = state.create_orders(
                    count=int(body.get("count", 1)),
                    status=body.get("status", "WaitingAcceptance"),
                    supply_mode=body.get("supply_mode"),
                    lines=body.get("lines"),
                    malformed=body.get("malformed"),
                )
                result = {"order_ids": ids}
            elif (match := _CONTROL_ORDER.match(path)) and method == "GET":
                with state.lock:
                    order = state.get(match["id"])
                    rendered = copy.deepcopy(state.render(order, apply_malformation=False))
                    result = {"order": rendered, "malformed": order["_malformed"]}
            elif (match := _CONTROL_ORDER.match(path)) and method in {"PATCH", "POST"}:
                with state.lock:
                    order = state.update_order(match["id"], body)
                    rendered = copy.deepcopy(state.render(order, apply_malformation=False))
                    result = {"order": rendered, "malformed": order["_malformed"]}
            else:
                raise SandboxError(404, "Not Found", f"No control endpoint {method} {path}.")
            self._send(200, result, {})
        except SandboxError as exc:
            self._send(*problem(exc.status, exc.title, exc.detail, path, exc.errors))
        except (TypeError, ValueError, AttributeError) as exc:
            self._send(*problem(400, "Bad Request", f"Bad control request: {exc}", path))
