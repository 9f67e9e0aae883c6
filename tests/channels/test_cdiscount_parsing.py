"""Parsing of Octopia Seller API v2 payloads recorded from the reference (tests/fixtures/cdiscount)."""

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from channels.cdiscount.exceptions import ChannelAPIError, PermanentChannelError
from channels.cdiscount.parsing import iter_page_items, parse_carriers, parse_order, parse_order_page
from channels.cdiscount.schemas import LineStatus, OrderParseError, OrderStatus

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cdiscount"


def load(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def connector_order():
    return load("connector_order.json")


def test_connector_order_parses_into_typed_fields(connector_order):
    order = parse_order(connector_order)

    assert order.order_id == "2101011234THLDJ"
    assert order.reference is None
    assert order.status is OrderStatus.IN_PREPARATION
    assert order.sales_channel_id == "CDISFR"
    assert order.seller_id == "98979"
    assert order.customer_reference == "CUST-123"
    assert order.currency_code == "EUR"
    assert order.payment_method == "Card"
    assert order.updated_at == datetime(2026, 9, 2, 9, 20, tzinfo=UTC)
    assert order.total_price.selling_price == Decimal("205.0")
    assert order.billing_address.full_name == "Camille Durand"
    assert order.billing_address.address_line2 == "Bât. B"

    (line,) = order.lines
    assert line.order_line_id == "EO7E"
    assert line.status is LineStatus.IN_PREPARATION
    assert line.quantity == 2
    assert line.offer.seller_product_id == "ORD-CD-1"
    assert line.offer.product_gtin == "3760000000000"
    assert line.offer.supply_mode == "Seller"
    assert line.selling_price.unit_sales_price == Decimal("100.0")
    assert line.selling_price.shipping_cost == Decimal("5.0")
    assert line.offer_price.commission.amount_with_vat == Decimal("12.0")
    assert line.offer_price.commission.rate == Decimal("12")
    assert line.delivery.mode == "TrackedHomeDelivery"
    assert order.shipping_address.city == "Lyon"
    assert [p.parcel_number for p in order.parcels] == ["34GFRTG43"]


def test_money_is_decimal_and_datetimes_are_aware(connector_order):
    order = parse_order(connector_order)

    assert isinstance(order.lines[0].selling_price.unit_sales_price, Decimal)
    for value in (order.created_at, order.updated_at, order.purchased_at, order.lines[0].delivery.promised_at_max):
        assert value.tzinfo is not None
        assert value.utcoffset().total_seconds() == 0


def test_unknown_fields_are_ignored(connector_order):
    connector_order["brandNewField"] = {"anything": [1, 2]}
    connector_order["lines"][0]["offer"]["futureFlag"] = True

    assert parse_order(connector_order).order_id == "2101011234THLDJ"


def test_official_sample_page_header_parses_and_truncated_order_names_lines():
    # The official sample (reference 3.3) stops before `lines`: a page item must name that.
    page = parse_order_page(load("official_sample_page.json"), page_index=1, page_size=100)

    (item,) = list(iter_page_items(page.raw_items))
    assert page.is_last
    assert item.raw["orderId"] == "SCID01210525142759UT8E"
    assert not item.ok
    assert item.error.order_id == "SCID01210525142759UT8E"
    assert item.error.field == "lines"


def test_official_sample_header_fields_parse_when_lines_are_present(connector_order):
    sample = load("official_sample_page.json")["items"][0]
    sample["lines"] = connector_order["lines"]

    order = parse_order(sample)

    assert order.status is OrderStatus.WAITING_ACCEPTANCE
    assert order.business_order is True
    assert order.sales_channel_name == "SalesChannel01"
    assert order.currency_code == "ALL"
    assert order.purchased_at == datetime(2026, 3, 19, 9, 57, 29, tzinfo=UTC)
    assert order.shipped_at_max == datetime(2021, 2, 19, 9, 57, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda o: o.pop("lines"), "lines", "missing"),
        (lambda o: o.update(lines="EO7E"), "lines", "expected a list"),
        (lambda o: o.update(status="Teleported"), "status", "unknown status"),
        (lambda o: o["lines"][0].update(status="Lost"), "lines[0].status", "unknown status"),
        (
            lambda o: o["lines"][0]["sellingPrice"].update(unitSalesPrice="douze euros"),
            "lines[0].sellingPrice.unitSalesPrice",
            "expected a number",
        ),
        (
            lambda o: o["lines"][0]["sellingPrice"].update(unitSalesPrice=True),
            "lines[0].sellingPrice.unitSalesPrice",
            "expected a number",
        ),
        (lambda o: o["lines"][0].update(quantity="2"), "lines[0].quantity", "whole number"),
        (lambda o: o.update(updatedAt="yesterday"), "updatedAt", "ISO-8601"),
        (lambda o: o["lines"][0]["offer"].pop("sellerProductId"), "lines[0].offer.sellerProductId", "missing"),
        (lambda o: o.update(currencyCode=None), "currencyCode", "missing"),
    ],
)
def test_malformed_order_error_names_order_and_field(connector_order, mutate, field, words):
    mutate(connector_order)

    with pytest.raises(OrderParseError) as caught:
        parse_order(connector_order)

    assert caught.value.order_id == "2101011234THLDJ"
    assert caught.value.field == field
    assert words in caught.value.problem
    assert "2101011234THLDJ" in str(caught.value) and field in str(caught.value)


def test_one_malformed_item_does_not_stop_the_others(connector_order):
    good_1 = copy.deepcopy(connector_order)
    bad = copy.deepcopy(connector_order)
    bad["orderId"] = "2101011234BADXX"
    bad["lines"][0]["sellingPrice"]["unitSalesPrice"] = {"amount": 1}
    good_2 = copy.deepcopy(connector_order)
    good_2["orderId"] = "2101011234GOODY"

    items = list(iter_page_items([good_1, bad, "not an order", good_2]))

    assert [i.ok for i in items] == [True, False, False, True]
    assert items[1].raw is bad  # the raw dict to store with the SyncProblem
    assert items[1].error.order_id == "2101011234BADXX"
    assert items[2].error.order_id is None
    assert items[3].order.order_id == "2101011234GOODY"


def test_timestamps_with_seven_fraction_digits_or_no_offset_are_utc():
    order = {**load("connector_order.json"), "updatedAt": "2026-09-02T11:20:00.1234567+02:00"}
    order["createdAt"] = "2026-09-02T09:15:00"

    parsed = parse_order(order)

    assert parsed.updated_at == datetime(2026, 9, 2, 9, 20, 0, 123456, tzinfo=UTC)
    assert parsed.created_at == datetime(2026, 9, 2, 9, 15, tzinfo=UTC)


def test_page_wrapper_must_have_a_list_of_items():
    with pytest.raises(ValueError, match="items"):
        parse_order_page({"itemsPerPage": 0}, page_index=1, page_size=100)


def test_full_page_is_not_the_last_one(connector_order):
    page = parse_order_page({"items": [connector_order] * 2}, page_index=1, page_size=2)

    assert not page.is_last


def test_carriers_parse_labels():
    carriers = parse_carriers([{"code": "pcc", "label": "Colissimo", "additionalParametersRequired": False}])

    assert carriers[0].label == "Colissimo" and carriers[0].code == "pcc"


def test_problem_json_becomes_error_with_title_detail_and_field_errors():
    error = PermanentChannelError.from_problem(
        status=400, body=load("problem_validation.json"), method="POST", path="/orders/x/shipments"
    )

    assert isinstance(error, ChannelAPIError)
    assert error.title == "Validation Failed"
    assert error.detail == "…"
    assert error.errors == {"orderLineIds": ["…"]}
    assert error.trace_id.startswith("00-4bf92f3577b34da6a3ce929d0e0e4736")
    assert "Validation Failed" in str(error) and "orderLineIds" in str(error)
