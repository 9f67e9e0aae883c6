"""HTTP client of the Octopia Seller API v2 (Cdiscount): one method per endpoint.

Facts it relies on: reference/cdiscount-api.md section 3, SPEC S5/S6. The token, retries and
errors are session.py's; the client knows HTTP and JSON, nothing of our models.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from .exceptions import PermanentChannelError
from .invoice_documents import MULTIPART_FIELD, InvoiceDocument, InvoiceImport, parse_documents, parse_import
from .parsing import iter_page_items, parse_carriers, parse_order_page, parse_page_item
from .schemas import Carrier, OrderPage, OrderStatus, PageItem
from .session import ApiSession

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100  # the API's cap (reference 3.3)


class ApprovalOutcome(StrEnum):
    """What accept_order / refuse_order achieved."""

    APPLIED = "applied"  # this call changed the order
    ALREADY_DONE = "already_done"  # the API answered 409 and the order already had that decision


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """Filters of GET /orders and GET /orders/count. Datetimes must be timezone-aware."""

    updated_at_min: datetime | None = None
    updated_at_max: datetime | None = None
    created_at_min: datetime | None = None
    created_at_max: datetime | None = None
    reference: str | None = None
    sales_channel_id: str | None = None
    # Single status only: the multi-value syntax is unverified (SPEC S5); prefer filtering locally.
    status: str | None = None

    def to_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        for name, value in (
            ("updatedAtMin", self.updated_at_min),
            ("updatedAtMax", self.updated_at_max),
            ("createdAtMin", self.created_at_min),
            ("createdAtMax", self.created_at_max),
        ):
            if value is not None:
                params[name] = format_datetime(value)
        if self.reference:
            params["reference"] = self.reference
        if self.sales_channel_id:
            params["salesChannelId"] = self.sales_channel_id
        if self.status:
            params["status"] = self.status
        return params


def format_datetime(value: datetime) -> str:
    """ISO-8601 in UTC with a Z, as the API's own timestamps are written."""
    if value.tzinfo is None:
        raise ValueError("Cdiscount query datetimes must be timezone-aware")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class CdiscountClient(ApiSession):
    """Minimal Octopia Seller API v2 client. Thread-safe enough to share between threads of one process."""

    # --- orders ------------------------------------------------------------------------------

    def get_orders_page(self, *, query: OrderQuery, page_index: int = 1, page_size: int = MAX_PAGE_SIZE) -> OrderPage:
        """Return one page of GET /orders (items kept raw; parse them with `iter_page_items`)."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if page_index < 1:
            raise ValueError("page_index starts at 1")
        params = {**query.to_params(), "pageIndex": str(page_index), "pageSize": str(page_size)}
        response = self._get("/orders", params=params)
        body = self._json(response, "GET", "/orders")
        next_link = response.links.get("next", {}).get("url")
        try:
            return parse_order_page(body, page_index=page_index, page_size=page_size, next_link=next_link)
        except ValueError as exc:
            raise PermanentChannelError(
                f"Unexpected GET /orders answer: {exc}", status=response.status_code, method="GET", path="/orders"
            ) from None

    def iter_order_pages(
        self, *, query: OrderQuery, page_size: int = MAX_PAGE_SIZE, first_page: int = 1
    ) -> Iterator[OrderPage]:
        """Yield pages from pageIndex `first_page` until a short page (the API gives no total)."""
        page_index = first_page
        while True:
            page = self.get_orders_page(query=query, page_index=page_index, page_size=page_size)
            yield page
            if page.is_last:
                return
            page_index += 1

    def iter_orders(self, *, query: OrderQuery, page_size: int = MAX_PAGE_SIZE) -> Iterator[PageItem]:
        """Yield every item of every page as a PageItem (raw dict + parsed order or parse error)."""
        for page in self.iter_order_pages(query=query, page_size=page_size):
            yield from iter_page_items(page.raw_items)

    def count_orders(self, *, query: OrderQuery) -> int:
        """GET /orders/count with the same filters: a bare integer."""
        response = self._get("/orders/count", params=query.to_params())
        body = self._json(response, "GET", "/orders/count")
        if isinstance(body, dict):  # tolerate {"count": n}
            body = body.get("count", body.get("total"))
        if isinstance(body, bool) or not isinstance(body, int | str) or not str(body).strip().isdigit():
            raise PermanentChannelError(
                f"Unexpected GET /orders/count answer: {body!r}", method="GET", path="/orders/count"
            )
        return int(body)

    def fetch_order(self, *, order_id: str) -> PageItem:
        """GET /orders/{orderId}: the raw dict and the parsed order or its parse error."""
        path = f"/orders/{_quote(order_id)}"
        return parse_page_item(self._json(self._get(path), "GET", path))

    def accept_order(self, *, order_id: str) -> ApprovalOutcome:
        """Accept an order in WaitingAcceptance (Cdiscount only). A 409 because it is already
        Accepted (or further along) counts as done."""
        return self._approve(order_id=order_id, decision=OrderStatus.ACCEPTED)

    def refuse_order(self, *, order_id: str) -> ApprovalOutcome:
        """Refuse an order in WaitingAcceptance. A 409 because it is already Refused counts as done."""
        return self._approve(order_id=order_id, decision=OrderStatus.REFUSED)

    def ship_order(
        self,
        *,
        order_id: str,
        parcel_number: str,
        carrier_name: str,
        order_line_ids: list[str],
        tracking_url: str | None = None,
    ) -> None:
        """POST /orders/{orderId}/shipments with one parcel (Cdiscount: one parcel per complete order).

        Never re-sent here: on TransientChannelError with `request_may_have_been_processed`, read the
        order (its lines[].parcels[]) before sending it again.
        """
        parcel: dict[str, Any] = {
            "parcelNumber": parcel_number,
            "carrierName": carrier_name,
            "orderLineIds": list(order_line_ids),
        }
        if tracking_url:
            parcel["trackingUrl"] = tracking_url
        self._post(f"/orders/{_quote(order_id)}/shipments", json_body=[parcel])

    def list_carriers(self) -> list[Carrier]:
        """GET /carriers: the carrier labels a shipment may name."""
        body = self._json(self._get("/carriers"), "GET", "/carriers")
        try:
            return parse_carriers(body)
        except ValueError as exc:
            raise PermanentChannelError(
                f"Unexpected GET /carriers answer: {exc}", method="GET", path="/carriers"
            ) from None

    # --- invoice documents (reference 3.12) ---------------------------------------------------

    def upload_invoice(self, *, order_id: str, pdf: bytes, file_name: str) -> InvoiceImport:
        """POST /orders/{orderId}/invoice-documents: the order's invoice PDF (multipart, field
        `file`). Answers 201 with an import, status Running; follow it with `get_invoice_import`.

        Never re-sent here: a second post replaces the invoice. After a TransientChannelError,
        read `list_invoice_documents` before posting again.
        """
        path = f"/orders/{_quote(order_id)}/invoice-documents"
        response = self._post(path, files={MULTIPART_FIELD: (file_name, pdf, "application/pdf")})
        return self._parsed(parse_import, self._json(response, "POST", path), "POST", path)

    def get_invoice_import(self, *, import_id: str) -> InvoiceImport:
        """GET /order-invoice-imports/{importId}: Running, Success, PartialSuccess or Failure."""
        path = f"/order-invoice-imports/{_quote(import_id)}"
        return self._parsed(parse_import, self._json(self._get(path), "GET", path), "GET", path)

    def list_invoice_documents(self, *, order_id: str) -> list[InvoiceDocument]:
        """GET /orders/{orderId}/invoice-documents: every document Cdiscount holds for the order
        (all pages, by cursor)."""
        path = f"/orders/{_quote(order_id)}/invoice-documents"
        documents: list[InvoiceDocument] = []
        params = {"pageSize": "50"}
        for _ in range(100):  # a handful at most in practice; never loop forever on a bad cursor
            page, cursor = self._parsed(
                parse_documents, self._json(self._get(path, params=params), "GET", path), "GET", path
            )
            documents += page
            if not cursor or not page:
                break
            params = {"pageSize": "50", "cursor": cursor}
        return documents

    @staticmethod
    def _parsed(parse: Any, body: Any, method: str, path: str) -> Any:
        try:
            return parse(body)
        except ValueError as exc:
            raise PermanentChannelError(f"Unexpected {method} {path} answer: {exc}", method=method, path=path) from None

    # --- approval ----------------------------------------------------------------------------

    _DONE_STATES = {
        # Orders past acceptance: a 409 on accept means someone (auto-accept, the portal) got there first.
        OrderStatus.ACCEPTED: {
            OrderStatus.ACCEPTED,
            OrderStatus.IN_PREPARATION,
            OrderStatus.SHIPPED,
            OrderStatus.DELIVERED,
        },
        OrderStatus.REFUSED: {OrderStatus.REFUSED},
    }

    def _approve(self, *, order_id: str, decision: OrderStatus) -> ApprovalOutcome:
        path = f"/orders/{_quote(order_id)}/approval-status"
        try:
            # The snake_case key is what the known clients send (reference 3.5).
            self._post(path, json_body={"approval_status": decision})
        except PermanentChannelError as exc:
            if exc.status != 409:
                raise
            # Read the order rather than parse the message: its status says whether it is done.
            current = self._json(self._get(f"/orders/{_quote(order_id)}"), "GET", path)
            status = current.get("status") if isinstance(current, dict) else None
            if status in self._DONE_STATES[decision]:
                return ApprovalOutcome.ALREADY_DONE
            raise
        return ApprovalOutcome.APPLIED


def _quote(value: str) -> str:
    return quote(str(value), safe="")
