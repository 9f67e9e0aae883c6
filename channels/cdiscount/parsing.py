"""The pure functions that turn the API's JSON into the typed payloads of schemas.py.

Parsing is strict on what we rely on (ids, status, dates, money, lines) and tolerant of everything
else: unknown fields are ignored, because Octopia adds fields without notice.

A malformed order raises OrderParseError naming the order and the field, so that the download can
set that one order aside (a SyncProblem with its raw payload) while the rest of the page imports:
`iter_page_items` yields, for every raw item, the raw dict plus either the parsed Order or the error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Literal, overload

from .schemas import (
    Address,
    Carrier,
    Commission,
    Delivery,
    LinePrice,
    LineStatus,
    Offer,
    Order,
    OrderLine,
    OrderPage,
    OrderParseError,
    OrderStatus,
    PageItem,
    Parcel,
    PricePair,
)


class _FieldError(Exception):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f"the text {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _FieldError(path, f"expected an object, got {_kind(value)}")
    return value


def _opt_obj(data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any] | None:
    value = data.get(key)
    return None if value is None else _obj(value, f"{path}{key}")


def _str(data: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise _FieldError(f"{path}{key}", "missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _FieldError(f"{path}{key}", f"expected text, got {_kind(value)}")
    # Ids sometimes arrive as numbers (seller.id): text is what we store.
    return str(value)


def _req_str(data: Mapping[str, Any], key: str, path: str) -> str:
    value = _str(data, key, path, required=True)
    assert value is not None
    return value


def _bool(data: Mapping[str, Any], key: str, path: str) -> bool:
    value = data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _FieldError(f"{path}{key}", f"expected true or false, got {_kind(value)}")
    return value


def _decimal(value: Any, path: str) -> Decimal:
    # Numbers arrive as JSON numbers; numeric text is accepted too. Anything else (a boolean,
    # words, an object) is a wrong type: guessing an amount would be worse than refusing it.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _FieldError(path, f"expected a number, got {_kind(value)}")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise _FieldError(path, f"expected a number, got {_kind(value)}") from None
    if not result.is_finite():
        raise _FieldError(path, f"expected a number, got {_kind(value)}")
    return result


def _money(data: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> Decimal | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _FieldError(f"{path}{key}", "missing")
        return None
    return _decimal(value, f"{path}{key}")


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_datetime(value: str) -> datetime:
    """Parse an API timestamp into an aware UTC datetime.

    Accepts `Z` or an offset and more than six fractional digits (.NET writes seven). A
    timestamp without an offset is taken as UTC, which is what the API's clocks use.
    """
    text = _FRACTION.sub(r"\1", value.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@overload
def _dt(data: Mapping[str, Any], key: str, path: str, *, required: Literal[True]) -> datetime: ...
@overload
def _dt(data: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> datetime | None: ...
def _dt(data: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> datetime | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise _FieldError(f"{path}{key}", "missing")
        return None
    if not isinstance(value, str):
        raise _FieldError(f"{path}{key}", f"expected a date-time, got {_kind(value)}")
    try:
        return parse_datetime(value)
    except ValueError:
        raise _FieldError(f"{path}{key}", f"expected an ISO-8601 date-time, got {_kind(value)}") from None


def _address(data: Mapping[str, Any] | None, path: str) -> Address | None:
    if data is None:
        return None
    return Address(
        civility=_str(data, "civility", path),
        first_name=_str(data, "firstName", path),
        last_name=_str(data, "lastName", path),
        company_name=_str(data, "companyName", path),
        company_vat_number=_str(data, "companyVatNumber", path),
        address_line1=_str(data, "addressLine1", path),
        address_line2=_str(data, "addressLine2", path),
        address_line3=_str(data, "addressLine3", path),
        postal_code=_str(data, "postalCode", path),
        city=_str(data, "city", path),
        state_or_region=_str(data, "stateOrRegion", path),
        country_code=_str(data, "countryCode", path),
    )


def _price_pair(data: Mapping[str, Any] | None, path: str) -> PricePair | None:
    if data is None:
        return None
    return PricePair(
        offer_price=_money(data, "offerPrice", path),
        selling_price=_money(data, "sellingPrice", path),
    )


def _line_price(data: Mapping[str, Any], path: str) -> LinePrice:
    commission_data = _opt_obj(data, "commission", path)
    commission = None
    if commission_data is not None:
        cpath = f"{path}commission."
        commission = Commission(
            amount_with_vat=_money(commission_data, "amountWithVat", cpath),
            amount_without_vat=_money(commission_data, "amountWithoutVat", cpath),
            rate=_money(commission_data, "rate", cpath),
        )
    return LinePrice(
        unit_sales_price=_money(data, "unitSalesPrice", path, required=True) or Decimal(0),
        shipping_cost=_money(data, "shippingCost", path) or Decimal(0),
        commission=commission,
    )


def _enum(value: Any, enum: type[StrEnum], path: str) -> Any:
    if value is None or value == "":
        raise _FieldError(path, "missing")
    try:
        return enum(value)
    except ValueError:
        raise _FieldError(path, f"unknown status {_kind(value)}") from None


def _line(data: Any, path: str) -> OrderLine:
    line = _obj(data, path[:-1])
    offer = _obj(line.get("offer"), f"{path}offer")
    opath = f"{path}offer."
    quantity = line.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise _FieldError(f"{path}quantity", f"expected a whole number of items, got {_kind(quantity)}")
    delivery_data = _opt_obj(line, "delivery", path)
    delivery = None
    if delivery_data is not None:
        dpath = f"{path}delivery."
        delivery = Delivery(
            mode=_str(delivery_data, "mode", dpath),
            promised_at_min=_dt(delivery_data, "promisedAtMin", dpath),
            promised_at_max=_dt(delivery_data, "promisedAtMax", dpath),
            shipped_at_max=_dt(delivery_data, "shippedAtMax", dpath),
        )
    parcels_data = line.get("parcels") or []
    if not isinstance(parcels_data, list):
        raise _FieldError(f"{path}parcels", f"expected a list, got {_kind(parcels_data)}")
    parcels = []
    for j, parcel_data in enumerate(parcels_data):
        ppath = f"{path}parcels[{j}]."
        parcel = _obj(parcel_data, ppath[:-1])
        parcels.append(
            Parcel(
                parcel_number=_req_str(parcel, "parcelNumber", ppath),
                carrier_name=_str(parcel, "carrierName", ppath),
                tracking_url=_str(parcel, "trackingUrl", ppath),
            )
        )
    offer_price_data = _opt_obj(line, "offerPrice", path)
    return OrderLine(
        order_line_id=_req_str(line, "orderLineId", path),
        status=_enum(line.get("status"), LineStatus, f"{path}status"),
        quantity=quantity,
        offer=Offer(
            id=_str(offer, "id", opath),
            seller_product_id=_req_str(offer, "sellerProductId", opath),
            product_id=_str(offer, "productId", opath),
            product_gtin=_str(offer, "productGtin", opath),
            product_title=_str(offer, "productTitle", opath),
            condition=_str(offer, "condition", opath),
            supply_mode=_str(offer, "supplyMode", opath),
        ),
        selling_price=_line_price(_obj(line.get("sellingPrice"), f"{path}sellingPrice"), f"{path}sellingPrice."),
        offer_price=None if offer_price_data is None else _line_price(offer_price_data, f"{path}offerPrice."),
        total_price=_price_pair(_opt_obj(line, "totalPrice", path), f"{path}totalPrice."),
        delivery=delivery,
        shipping_address=_address(_opt_obj(line, "shippingAddress", path), f"{path}shippingAddress."),
        parcels=tuple(parcels),
    )


def raw_order_id(raw: Any) -> str | None:
    """The orderId of a raw item if it has a usable one (for naming a malformed order)."""
    if isinstance(raw, Mapping):
        value = raw.get("orderId")
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value)
    return None


def parse_order(raw: Any) -> Order:
    """Turn one raw order (a dict from the API) into an Order, or raise OrderParseError."""
    order_id = raw_order_id(raw)
    try:
        data = _obj(raw, "order")
        if order_id is None:
            raise _FieldError("orderId", "missing")
        lines_data = data.get("lines")
        if not isinstance(lines_data, list):
            raise _FieldError("lines", "missing" if lines_data is None else f"expected a list, got {_kind(lines_data)}")
        if not lines_data:
            raise _FieldError("lines", "the order has no lines")
        sales_channel = _opt_obj(data, "salesChannel", "")
        seller = _opt_obj(data, "seller", "")
        customer = _opt_obj(data, "customer", "")
        payment = _opt_obj(data, "payment", "")
        currency = _req_str(data, "currencyCode", "")
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise _FieldError("currencyCode", f"expected an ISO 4217 code, got {_kind(currency)}")
        return Order(
            order_id=order_id,
            reference=_str(data, "reference", ""),
            business_order=_bool(data, "businessOrder", ""),
            sales_channel_id=None if sales_channel is None else _str(sales_channel, "id", "salesChannel."),
            sales_channel_name=None if sales_channel is None else _str(sales_channel, "name", "salesChannel."),
            seller_id=None if seller is None else _str(seller, "id", "seller."),
            customer_reference=None if customer is None else _str(customer, "reference", "customer."),
            purchased_at=_dt(data, "purchasedAt", ""),
            created_at=_dt(data, "createdAt", "", required=True),
            updated_at=_dt(data, "updatedAt", "", required=True),
            shipped_at_max=_dt(data, "shippedAtMax", ""),
            status=_enum(data.get("status"), OrderStatus, "status"),
            payment_method=None if payment is None else _str(payment, "method", "payment."),
            currency_code=currency,
            billing_address=_address(_opt_obj(data, "billingAddress", ""), "billingAddress."),
            total_price=_price_pair(_opt_obj(data, "totalPrice", ""), "totalPrice."),
            lines=tuple(_line(line, f"lines[{i}].") for i, line in enumerate(lines_data)),
        )
    except _FieldError as exc:
        raise OrderParseError(order_id=order_id, field=exc.path, problem=exc.problem) from None


def parse_page_item(raw: Any) -> PageItem:
    """Parse one raw item, never raising: the error (if any) is in the result."""
    try:
        return PageItem(raw=raw, order=parse_order(raw), error=None)
    except OrderParseError as exc:
        return PageItem(raw=raw, order=None, error=exc)


def iter_page_items(raw_items: Iterable[Any]) -> Iterator[PageItem]:
    """Yield a PageItem for every raw item, in order: one bad order never stops the others."""
    for raw in raw_items:
        yield parse_page_item(raw)


def parse_order_page(body: Any, *, page_index: int, page_size: int, next_link: str | None = None) -> OrderPage:
    """Check the page wrapper `{"itemsPerPage": n, "items": [...]}` and keep its items raw.

    Raises ValueError when the wrapper itself is wrong (not one order but the whole answer).
    """
    if not isinstance(body, Mapping):
        raise ValueError(f"expected an object with items, got {_kind(body)}")
    items = body.get("items")
    if not isinstance(items, list):
        raise ValueError(f"expected items to be a list, got {_kind(items)}")
    extra = {k: v for k, v in body.items() if k != "items"}
    return OrderPage(page_index=page_index, page_size=page_size, raw_items=items, next_link=next_link, extra=extra)


def parse_carriers(body: Any) -> list[Carrier]:
    """Parse GET /carriers: a list of {code, label, additionalParametersRequired}."""
    if isinstance(body, Mapping) and isinstance(body.get("items"), list):
        body = body["items"]  # tolerate a wrapped list
    if not isinstance(body, list):
        raise ValueError(f"expected a list of carriers, got {_kind(body)}")
    carriers = []
    for i, entry in enumerate(body):
        data = _obj(entry, f"[{i}]") if isinstance(entry, Mapping) else None
        if data is None:
            raise ValueError(f"carrier {i}: expected an object, got {_kind(entry)}")
        label = data.get("label") or data.get("name") or data.get("code")
        if not isinstance(label, str) or not label:
            raise ValueError(f"carrier {i}: no label")
        code = data.get("code")
        carriers.append(
            Carrier(
                code=str(code) if code is not None else None,
                label=label,
                additional_parameters_required=bool(data.get("additionalParametersRequired", False)),
            )
        )
    return carriers
