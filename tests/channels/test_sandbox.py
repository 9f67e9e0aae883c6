"""The sandbox marketplace answers as the real Octopia Seller API v2 does (SPEC S10, reference 6)."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from channels.cdiscount.parsing import parse_order
from channels.sandbox import PinnedClock, SandboxConfig, SandboxServer

PROBLEM = "application/problem+json"
# Order ids and dates carry the sandbox's "today": what depends on them runs on seven
# consecutive pinned days (a month's and a year's end among them) and must come out the same.
SEVEN_DAYS = [datetime(2026, 12, 28, 23, 59, 30, tzinfo=UTC) + timedelta(days=n) for n in range(7)]


@pytest.fixture
def sandbox(cdiscount_sandbox):
    return cdiscount_sandbox


@pytest.fixture(params=SEVEN_DAYS, ids=lambda day: day.date().isoformat())
def pinned_day(request):
    return request.param


@pytest.fixture
def pinned_sandbox(make_cdiscount_sandbox, pinned_day):
    """A sandbox whose clock starts at `pinned_day`, whatever the date the suite runs on."""
    return make_cdiscount_sandbox(clock=PinnedClock(pinned_day))


@pytest.fixture
def steady_sandbox(make_cdiscount_sandbox, pinned_day):
    """A pinned sandbox where no customer cancels and no control rejects: the lifecycle's main road."""
    return make_cdiscount_sandbox(
        clock=PinnedClock(pinned_day), customer_cancel_rate=0, reject_rate=0, cancel_request_rate=0
    )


def token_for(sandbox, **overrides):
    form = {"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"}
    form.update(overrides)
    return requests.post(sandbox.token_url, data=form, timeout=5)


@pytest.fixture
def api(sandbox):
    """GET/POST on the Seller API with a valid token and SellerId unless told otherwise."""
    token = token_for(sandbox).json()["access_token"]

    def call(method, path, *, headers=None, **kwargs):
        sent = {"Authorization": f"Bearer {token}", "SellerId": "98979"}
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v is not None}
        return requests.request(method, sandbox.api_base_url + path, headers=sent, timeout=5, **kwargs)

    return call


def assert_problem(response, status):
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["traceId"]
    return body


# --- token endpoint ----------------------------------------------------------------------------


def test_token_endpoint_issues_a_two_hour_bearer_token(sandbox):
    response = token_for(sandbox)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 7200
    assert body["access_token"].count(".") == 2  # JWT-looking


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "someone-else"}, 401, "invalid_client"),
        ({"client_id": ""}, 400, "invalid_request"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
def test_token_endpoint_refuses_wrong_credentials(sandbox, form, status, error):
    body = assert_problem(token_for(sandbox, **form), status)

    assert body["error"] == error


def test_credentials_are_configurable_and_the_secret_is_not_kept_in_the_request_log(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0, client_id="acme", client_secret="s3cret-acme", seller_id="12345")

    assert token_for(sandbox).status_code == 401
    assert token_for(sandbox, client_id="acme", client_secret="s3cret-acme").status_code == 200
    logged = json.dumps([r.body for r in sandbox.requests()])
    assert "s3cret-acme" not in logged and "demo-secret" not in logged


# --- bad input gets the real API's answers -----------------------------------------------------


def test_page_size_above_100_is_a_400(api):
    body = assert_problem(api("GET", "/orders", params={"pageSize": 101}), 400)

    assert "pageSize" in body["errors"]


def test_page_index_starts_at_1(api):
    assert_problem(api("GET", "/orders", params={"pageIndex": 0}), 400)


def test_missing_seller_id_is_a_400(api):
    body = assert_problem(api("GET", "/orders", headers={"SellerId": None}), 400)

    assert "SellerId" in body["errors"]


def test_another_seller_id_is_a_403(api):
    assert_problem(api("GET", "/orders", headers={"SellerId": "1"}), 403)


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic ZGVtbzpkZW1v"])
def test_no_valid_token_is_a_401(api, authorization):
    response = api("GET", "/orders", headers={"Authorization": authorization})

    assert_problem(response, 401)
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_unknown_order_is_a_404(api):
    assert_problem(api("GET", "/orders/2611010000NOPEX"), 404)


def test_bad_filters_are_400(api):
    assert "updatedAtMin" in assert_problem(api("GET", "/orders", params={"updatedAtMin": "hier"}), 400)["errors"]
    assert "status" in assert_problem(api("GET", "/orders", params={"status": "Teleported"}), 400)["errors"]


def test_unknown_path_is_a_404(api):
    assert_problem(api("GET", "/nothing-here"), 404)


# --- listing -----------------------------------------------------------------------------------


def test_pages_have_no_total_a_link_to_the_next_and_count_is_a_bare_integer(api):
    first = api("GET", "/orders", params={"pageSize": 15, "pageIndex": 1})
    last = api("GET", "/orders", params={"pageSize": 15, "pageIndex": 2})
    count = api("GET", "/orders/count")

    assert set(first.json()) == {"itemsPerPage", "items"}
    assert first.json()["itemsPerPage"] == 15
    assert 'rel="next"' in first.headers["Link"] and "pageIndex=2" in first.headers["Link"]
    assert len(last.json()["items"]) == 5 and "Link" not in last.headers
    assert count.text.strip() == "20"


def test_filters_by_status_reference_and_sales_channel(sandbox, api):
    (order_id,) = sandbox.control.create_orders(status="Accepted")

    by_reference = api("GET", "/orders", params={"reference": order_id}).json()["items"]
    accepted = api("GET", "/orders", params={"status": "Accepted"}).json()["items"]
    other_channel = api("GET", "/orders/count", params={"salesChannelId": "SCID01"}).json()

    assert [o["orderId"] for o in by_reference] == [order_id]
    assert order_id in {o["orderId"] for o in accepted} and {o["status"] for o in accepted} == {"Accepted"}
    assert other_channel == 0


def test_every_change_moves_updated_at_so_incremental_polling_sees_it(sandbox, api):
    order_id = sandbox.control.create_orders(status="InPreparation")[0]
    before = api("GET", f"/orders/{order_id}").json()["updatedAt"]
    mark = datetime.now(UTC).isoformat()

    sandbox.control.request_line_cancel(order_id, sandbox.control.order(order_id)["lines"][0]["orderLineId"])
    changed = api("GET", "/orders", params={"updatedAtMin": mark}).json()["items"]

    assert [o["orderId"] for o in changed] == [order_id]
    assert changed[0]["updatedAt"] > before
    assert changed[0]["lines"][0]["status"] == "CancelRequest"


def test_created_at_filters(sandbox, api):
    mark = datetime.now(UTC).isoformat()
    new_ids = sandbox.control.create_orders(count=2)

    created = api("GET", "/orders", params={"createdAtMin": mark}).json()["items"]
    older = api("GET", "/orders/count", params={"createdAtMax": mark}).json()

    assert sorted(o["orderId"] for o in created) == sorted(new_ids)
    assert older == 20


# --- generated data ----------------------------------------------------------------------------


def all_keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from all_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from all_keys(item)


def ean_ok(code):
    digits = [int(c) for c in code]
    return len(digits) == 13 and sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0


def test_generated_orders_are_realistic_french_orders_without_contact_details(api):
    orders = api("GET", "/orders", params={"pageSize": 100}).json()["items"]

    assert len(orders) == 20
    for raw in orders:
        order = parse_order(raw)  # every generated order has the documented shape
        assert order.currency_code == "EUR" and order.sales_channel_id == "CDISFR"
        assert order.billing_address.country_code == "FR" and order.billing_address.last_name
        assert order.customer_reference.startswith("CUST-")
        assert 1 <= len(order.lines) <= 3
        assert all(ean_ok(line.offer.product_gtin) for line in order.lines)
        assert all(line.selling_price.unit_sales_price > 0 for line in order.lines)
    keys = {k.lower() for k in all_keys(orders)}
    assert not {k for k in keys if "mail" in k or "phone" in k}
    names = "".join(o["billingAddress"]["firstName"] + o["billingAddress"]["lastName"] for o in orders)
    titles = "".join(line["offer"]["productTitle"] for o in orders for line in o["lines"])
    assert any(ch in names + titles for ch in "éèêëàâçîïôûü")


def test_shipping_address_appears_from_in_preparation_only(sandbox, api):
    (order_id,) = sandbox.control.create_orders(status="Accepted")

    hidden = api("GET", f"/orders/{order_id}").json()
    sandbox.control.set_status(order_id, "InPreparation")
    shown = api("GET", f"/orders/{order_id}").json()

    assert "shippingAddress" not in hidden["lines"][0]
    assert shown["lines"][0]["shippingAddress"]["countryCode"] == "FR"


def test_same_seed_gives_the_same_orders(make_cdiscount_sandbox, pinned_day):
    first = make_cdiscount_sandbox(orders=3, seed=7, clock=PinnedClock(pinned_day)).server.state
    second = make_cdiscount_sandbox(orders=3, seed=7, clock=PinnedClock(pinned_day)).server.state

    names = [[o["billingAddress"]["lastName"] for o in s.orders.values()] for s in (first, second)]
    assert names[0] == names[1]
    assert list(first.orders) == list(second.orders)  # the same ids, dated by the pinned clock


def test_order_ids_and_dates_come_from_the_sandbox_clock(pinned_sandbox, pinned_day):
    (order_id,) = pinned_sandbox.control.create_orders()
    order = pinned_sandbox.control.order(order_id)

    assert order_id.startswith(f"{pinned_day:%y%m%d}")
    created = datetime.fromisoformat(order["createdAt"].replace("Z", "+00:00"))
    assert pinned_day <= created < pinned_day + timedelta(minutes=5)
    seeded = [o["_c"] for o in pinned_sandbox.server.state.orders.values() if o["orderId"] != order_id]
    assert max(seeded) < pinned_day.timestamp()  # seeded orders lie in the pinned day's past


# --- lifecycle ---------------------------------------------------------------------------------


def test_advance_moves_an_order_along_its_lifecycle(steady_sandbox):
    sandbox = steady_sandbox
    (order_id,) = sandbox.control.create_orders(status="Processing")
    seen = [sandbox.control.order(order_id)["status"]]

    for _ in range(6):
        sandbox.control.advance(order_ids=[order_id])
        seen.append(sandbox.control.order(order_id)["status"])

    # Waits in WaitingAcceptance for the seller (2 steps), then the portal accepts it.
    assert seen == [
        "Processing",
        "WaitingAcceptance",
        "WaitingAcceptance",
        "WaitingAcceptance",
        "Accepted",
        "InPreparation",
        "InPreparation",
    ]


def test_customers_cancel_and_controls_reject_at_the_configured_rates(make_cdiscount_sandbox, pinned_day):
    always = make_cdiscount_sandbox(clock=PinnedClock(pinned_day), customer_cancel_rate=1)
    (waiting,) = always.control.create_orders(status="WaitingAcceptance")
    strict = make_cdiscount_sandbox(clock=PinnedClock(pinned_day), customer_cancel_rate=0, reject_rate=1)
    (accepted,) = strict.control.create_orders(status="Accepted")

    always.control.advance(order_ids=[waiting])
    strict.control.advance(order_ids=[accepted])

    assert always.control.order(waiting)["status"] == "Cancelled"
    assert strict.control.order(accepted)["status"] == "Rejected"


def test_shipped_orders_get_delivered_and_fulfillment_orders_ship_themselves(pinned_sandbox):
    sandbox = pinned_sandbox
    (shipped,) = sandbox.control.create_orders(status="Shipped")
    (warehouse,) = sandbox.control.create_orders(status="InPreparation", supply_mode="Fulfillment")

    sandbox.control.advance(order_ids=[shipped, warehouse])

    assert sandbox.control.order(shipped)["status"] == "Delivered"
    after = sandbox.control.order(warehouse)
    assert after["status"] == "Shipped" and after["lines"][0]["parcels"]


def test_a_line_cancel_request_becomes_cancelled_and_cancels_a_one_line_order(pinned_sandbox):
    sandbox = pinned_sandbox
    (order_id,) = sandbox.control.create_orders(status="InPreparation", lines=1)
    line_id = sandbox.control.order(order_id)["lines"][0]["orderLineId"]
    sandbox.control.request_line_cancel(order_id, line_id)

    sandbox.control.advance(order_ids=[order_id])

    assert sandbox.control.order(order_id)["status"] == "Cancelled"


def test_many_advances_never_move_an_order_back(make_cdiscount_sandbox, pinned_day):
    sandbox = make_cdiscount_sandbox(orders=60, seed=99, clock=PinnedClock(pinned_day))
    rank = {
        "Processing": 0,
        "WaitingAcceptance": 1,
        "Accepted": 2,
        "InPreparation": 3,
        "Shipped": 4,
        "Delivered": 5,
        "Refused": 9,
        "Rejected": 9,
        "Cancelled": 9,
    }
    before = {o["orderId"]: o["status"] for o in sandbox.server.state.orders.values()}

    sandbox.control.advance(steps=5)

    after = {o["orderId"]: o["status"] for o in sandbox.server.state.orders.values()}
    assert all(rank[after[i]] >= rank[before[i]] for i in before)
    assert after != before


def test_state_survives_a_restart(make_cdiscount_sandbox, tmp_path):
    state_file = tmp_path / "kept.json"
    first = make_cdiscount_sandbox(orders=5, state_file=state_file)
    (order_id,) = first.control.create_orders(status="InPreparation")
    first.control.set_status(order_id, "Shipped")
    first.server.stop()

    second = SandboxServer(config=SandboxConfig(orders=50, seed=5, state_file=state_file)).start()
    try:
        orders = second.state.orders
        assert len(orders) == 6  # loaded, not generated again
        assert orders[order_id]["status"] == "Shipped"
    finally:
        second.stop()


# --- approval and shipment rules ---------------------------------------------------------------


def test_approval_accepts_both_key_casings_and_only_in_waiting_acceptance(sandbox, api):
    first, second = sandbox.control.create_orders(count=2, status="WaitingAcceptance")

    assert api("POST", f"/orders/{first}/approval-status", json={"approval_status": "Accepted"}).status_code == 204
    assert api("POST", f"/orders/{second}/approval-status", json={"approvalStatus": "Refused"}).status_code == 204
    assert_problem(api("POST", f"/orders/{first}/approval-status", json={"approval_status": "Refused"}), 409)
    assert_problem(api("POST", f"/orders/{first}/approval-status", json={"approval_status": "Maybe"}), 400)
    assert sandbox.control.order(first)["status"] == "Accepted"
    assert sandbox.control.order(second)["status"] == "Refused"


def parcel(order, **overrides):
    body = {
        "parcelNumber": "6A12345678901",
        "carrierName": "Colissimo",
        "trackingUrl": "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
        "orderLineIds": [line["orderLineId"] for line in order["lines"]],
    }
    body.update(overrides)
    return body


@pytest.fixture
def ready(sandbox):
    (order_id,) = sandbox.control.create_orders(status="InPreparation", lines=2)
    return sandbox.control.order(order_id)


def test_shipment_records_the_parcel_on_the_lines(api, ready):
    response = api("POST", f"/orders/{ready['orderId']}/shipments", json=[parcel(ready)])

    assert response.status_code == 201
    order = api("GET", f"/orders/{ready['orderId']}").json()
    assert order["status"] == "Shipped"
    assert all(line["parcels"][0]["parcelNumber"] == "6A12345678901" for line in order["lines"])


def test_a_bare_object_body_is_accepted_too(api, ready):
    assert api("POST", f"/orders/{ready['orderId']}/shipments", json=parcel(ready)).status_code == 201


def test_two_parcels_in_one_shipment_are_refused(api, ready):
    second = parcel(ready, parcelNumber="6A00000000002")

    assert_problem(api("POST", f"/orders/{ready['orderId']}/shipments", json=[parcel(ready), second]), 400)


def test_a_second_shipment_is_refused(api, ready):
    api("POST", f"/orders/{ready['orderId']}/shipments", json=[parcel(ready)])

    body = assert_problem(
        api("POST", f"/orders/{ready['orderId']}/shipments", json=[parcel(ready, parcelNumber="6A2")]), 409
    )
    assert "one parcel per complete order" in body["detail"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"parcelNumber": "6A 123"}, "parcelNumber"),
        ({"parcelNumber": ""}, "parcelNumber"),
        ({"carrierName": "Pigeon voyageur"}, "carrierName"),
        ({"orderLineIds": ["NOPE"]}, "orderLineIds"),
    ],
)
def test_shipment_field_errors_name_the_field(api, ready, overrides, field):
    body = assert_problem(api("POST", f"/orders/{ready['orderId']}/shipments", json=[parcel(ready, **overrides)]), 400)

    assert field in body["errors"]


def test_a_partial_shipment_is_refused(api, ready):
    partial = parcel(ready, orderLineIds=[ready["lines"][0]["orderLineId"]])

    assert (
        "orderLineIds"
        in assert_problem(api("POST", f"/orders/{ready['orderId']}/shipments", json=[partial]), 400)["errors"]
    )


def test_only_in_preparation_orders_of_supply_mode_seller_ship(sandbox, api):
    (accepted,) = sandbox.control.create_orders(status="Accepted")
    (warehouse,) = sandbox.control.create_orders(status="InPreparation", supply_mode="Fulfillment")

    for order_id in (accepted, warehouse):
        order = sandbox.control.order(order_id)
        assert_problem(api("POST", f"/orders/{order_id}/shipments", json=[parcel(order)]), 400)
        assert sandbox.control.order(order_id)["status"] == order["status"]


def test_a_customer_cancel_request_line_can_still_be_shipped(sandbox, api, ready):
    sandbox.control.request_line_cancel(ready["orderId"], ready["lines"][0]["orderLineId"])

    assert api("POST", f"/orders/{ready['orderId']}/shipments", json=[parcel(ready)]).status_code == 201


# --- faults, malformed orders, request log, concurrency ----------------------------------------


def test_faults_can_be_switched_at_run_time(sandbox, api):
    sandbox.control.set_faults(next_errors=1, next_rate_limits=1, retry_after=2)

    assert_problem(api("GET", "/orders/count"), 503)
    limited = api("GET", "/orders/count")
    assert_problem(limited, 429)
    assert limited.headers["Retry-After"] == "2"
    assert api("GET", "/orders/count").status_code == 200
    assert sandbox.control.reset_faults()["next_errors"] == 0


def test_a_timeout_fault_leaves_the_client_without_an_answer(sandbox, api):
    sandbox.control.set_faults(next_timeouts=1)

    with pytest.raises(requests.ReadTimeout):
        requests.get(
            sandbox.api_base_url + "/orders/count",
            headers={"Authorization": "Bearer x", "SellerId": "98979"},
            timeout=0.3,
        )


@pytest.mark.parametrize(
    ("kind", "field"),
    [("missing_lines", "lines"), ("bad_price", "lines[0].sellingPrice.unitSalesPrice"), ("unknown_status", "status")],
)
def test_malformed_orders_can_be_made_and_repaired(sandbox, api, kind, field):
    (order_id,) = sandbox.control.create_orders()
    sandbox.control.malform(order_id, kind)

    with pytest.raises(ValueError) as caught:
        parse_order(api("GET", f"/orders/{order_id}").json())
    assert caught.value.field == field and caught.value.order_id == order_id

    sandbox.control.repair(order_id)
    assert parse_order(api("GET", f"/orders/{order_id}").json()).order_id == order_id


def test_seeded_malformed_orders(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=10, malformed=3)

    assert len(sandbox.control.health()["malformed"]) == 3


def test_request_log_has_refused_and_accepted_requests(sandbox, api):
    sandbox.control.clear_requests()
    api("GET", "/orders", params={"pageSize": 101})
    api("POST", "/orders/NOPE/shipments", json=[{"parcelNumber": "X"}])
    api("GET", "/orders/count")

    log = sandbox.requests()

    assert [(r.method, r.path, r.status) for r in log] == [
        ("GET", "/seller/v2/orders", 400),
        ("POST", "/seller/v2/orders/NOPE/shipments", 404),
        ("GET", "/seller/v2/orders/count", 200),
    ]
    assert log[0].query == {"pageSize": ["101"]}
    assert log[1].body == [{"parcelNumber": "X"}]


def test_answers_many_requests_at_once(sandbox, api):
    sandbox.control.set_faults(latency=0.05)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(lambda _: api("GET", "/orders", params={"pageSize": 5}), range(40)))

    assert {a.status_code for a in answers} == {200}
    assert all(len(a.json()["items"]) == 5 for a in answers)


def test_the_sandbox_index_lists_its_control_endpoints_and_the_faults_in_force(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=3)
    base = sandbox.server.base_url
    requests.post(f"{base}/_sandbox/faults", json={"error_rate": 0.25}, timeout=5)

    for path in ("/_sandbox", "/_sandbox/"):
        page = requests.get(f"{base}{path}", timeout=5)

        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert "3 orders" in page.text and "error_rate = 0.25" in page.text
        assert "/_sandbox/faults/reset" in page.text and "/_sandbox/orders/{orderId}" in page.text
