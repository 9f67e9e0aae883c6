"""CdiscountClient against the sandbox marketplace over real HTTP on loopback (SPEC S5, S6, S12)."""

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from channels.cdiscount.client import ApprovalOutcome, CdiscountClient, OrderQuery
from channels.cdiscount.exceptions import ChannelAuthError, PermanentChannelError, TransientChannelError
from channels.cdiscount.parsing import iter_page_items
from channels.cdiscount.schemas import OrderStatus
from channels.cdiscount.tokens import InMemoryTokenStore

ORDERS = "/seller/v2/orders"


@pytest.fixture
def sandbox(make_cdiscount_sandbox):
    # An empty marketplace: each test creates exactly the orders it talks about.
    return make_cdiscount_sandbox(orders=0)


@pytest.fixture
def client(sandbox):
    client = sandbox.make_client(max_attempts=4)
    yield client
    client.close()


def statuses(sandbox, path_contains):
    return [(r.status, r.fault) for r in sandbox.requests(path_contains=path_contains)]


# --- listing -----------------------------------------------------------------------------------


def test_pages_until_a_short_page_and_sends_page_parameters(sandbox, client):
    ids = sandbox.control.create_orders(count=7)

    pages = list(client.iter_order_pages(query=OrderQuery(sales_channel_id="CDISFR"), page_size=3))

    assert [len(p.raw_items) for p in pages] == [3, 3, 1]
    assert sorted(item.order.order_id for p in pages for item in iter_page_items(p.raw_items)) == sorted(ids)
    sent = [r.query for r in sandbox.requests(path_contains=ORDERS)]
    assert [q["pageIndex"] for q in sent] == [["1"], ["2"], ["3"]]
    assert all(q["pageSize"] == ["3"] and q["salesChannelId"] == ["CDISFR"] for q in sent)
    assert pages[0].next_link and "pageIndex=2" in pages[0].next_link


def test_an_exact_multiple_of_the_page_size_ends_on_an_empty_page(sandbox, client):
    sandbox.control.create_orders(count=4)

    pages = list(client.iter_order_pages(query=OrderQuery(), page_size=2))

    assert [len(p.raw_items) for p in pages] == [2, 2, 0]


def test_updated_window_returns_only_orders_changed_in_it_and_count_agrees(sandbox, client):
    first, second = sandbox.control.create_orders(count=2)
    time.sleep(0.002)  # the API writes milliseconds: `since` must fall in a later one than `first`
    since = datetime.now(UTC)
    time.sleep(0.002)
    sandbox.control.set_status(second, "Accepted")
    query = OrderQuery(updated_at_min=since, updated_at_max=datetime.now(UTC) + timedelta(seconds=5))

    orders = [item.order for item in client.iter_orders(query=query)]

    assert [o.order_id for o in orders] == [second]
    assert orders[0].status is OrderStatus.ACCEPTED
    assert client.count_orders(query=query) == 1
    assert client.count_orders(query=OrderQuery()) == 2


def test_naive_datetimes_are_refused_before_any_call(client):
    with pytest.raises(ValueError, match="timezone-aware"):
        client.count_orders(query=OrderQuery(updated_at_min=datetime(2026, 1, 1)))  # noqa: DTZ001


def test_a_malformed_order_is_set_aside_and_the_rest_of_the_page_imports(sandbox, client):
    good_1, bad, good_2 = sandbox.control.create_orders(count=3)
    sandbox.control.malform(bad, "bad_price")

    items = list(client.iter_orders(query=OrderQuery()))

    assert [i.order_id for i in items if i.ok] == [good_1, good_2]
    (failed,) = [i for i in items if not i.ok]
    assert failed.error.order_id == bad
    assert failed.error.field == "lines[0].sellingPrice.unitSalesPrice"
    assert failed.raw["orderId"] == bad  # the raw payload to keep with the SyncProblem


def test_fetch_order_gives_the_raw_order_and_its_parsed_form(sandbox, client):
    (order_id,) = sandbox.control.create_orders(status="InPreparation", lines=2)

    item = client.fetch_order(order_id=order_id)

    assert item.order is not None and item.error is None
    assert item.order.order_id == order_id and len(item.order.lines) == 2
    assert item.order.shipping_address is not None
    assert item.raw["orderId"] == order_id


def test_list_carriers(client):
    labels = {c.label for c in client.list_carriers()}

    assert {"Colissimo", "Chronopost"} <= labels


# --- token -------------------------------------------------------------------------------------


def test_one_token_is_shared_by_clients_using_the_same_store(sandbox):
    store = InMemoryTokenStore()
    worker_1 = sandbox.make_client(token_store=store)
    worker_2 = sandbox.make_client(token_store=store)

    worker_1.count_orders(query=OrderQuery())
    worker_2.count_orders(query=OrderQuery())
    worker_2.count_orders(query=OrderQuery())

    assert len(sandbox.requests(path_contains="/token")) == 1
    # An idle poll with a cached token costs one API call and no token call.
    assert worker_2.calls.snapshot() == {"token": 0, "api": 2, "retry": 0, "rate_limit": 0, "wait_seconds": 0.0}


def test_token_is_renewed_when_it_gets_close_to_expiry(make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0, token_lifetime=200)
    client = sandbox.make_client(token_renew_margin=300)  # a 200 s token is always "about to expire"

    client.count_orders(query=OrderQuery())
    client.count_orders(query=OrderQuery())

    assert client.calls.snapshot() == {"token": 2, "api": 2, "retry": 0, "rate_limit": 0, "wait_seconds": 0.0}


def test_token_expiring_mid_pagination_is_renewed_once(sandbox, client):
    ids = sandbox.control.create_orders(count=7)
    seen = []

    for page in client.iter_order_pages(query=OrderQuery(), page_size=3):
        seen += [item.order_id for item in iter_page_items(page.raw_items)]
        if page.page_index == 1:
            sandbox.control.expire_tokens()

    assert sorted(seen) == sorted(ids)
    assert len(sandbox.requests(path_contains="/token")) == 2
    assert [s for s, _ in statuses(sandbox, ORDERS)] == [200, 401, 200, 200]


class StoreThatGetsTheTokenBack(InMemoryTokenStore):
    """A shared store where another worker puts the refused token back right after it was
    deleted (as a worker reading the account row's mirror between two steps of a delete does)."""

    def delete(self, key):
        record = self.get(key)
        super().delete(key)
        if record is not None:
            self.set(key, record)


def test_a_401_renews_the_token_even_when_the_store_hands_back_the_refused_one(sandbox):
    # given a client whose token the marketplace revoked, and a store that gets it back once deleted
    client = sandbox.make_client(token_store=StoreThatGetsTheTokenBack())
    sandbox.control.create_orders(count=1)
    client.count_orders(query=OrderQuery())
    sandbox.control.expire_tokens()

    # when it calls again
    count = client.count_orders(query=OrderQuery())

    # then the 401 made it fetch a new token (never resend with the refused one), and the call went through
    assert count == 1
    assert len(sandbox.requests(path_contains="/token")) == 2
    assert [s for s, _ in statuses(sandbox, ORDERS)] == [200, 401, 200]


def test_a_401_even_with_a_fresh_token_is_an_auth_error_not_a_loop(sandbox, client):
    sandbox.control.set_faults(token_ttl=0)  # every token is dead on arrival

    with pytest.raises(ChannelAuthError) as caught:
        client.count_orders(query=OrderQuery())

    assert caught.value.status == 401
    assert client.calls.snapshot() == {"token": 2, "api": 2, "retry": 0, "rate_limit": 0, "wait_seconds": 0.0}


def test_wrong_credentials_are_a_permanent_auth_error_with_the_servers_message(sandbox):
    client = sandbox.make_client(client_secret="not-the-secret")

    with pytest.raises(ChannelAuthError) as caught:
        client.count_orders(query=OrderQuery())

    assert caught.value.status == 401
    assert "Invalid client credentials" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)
    assert len(sandbox.requests(path_contains="/token")) == 1  # not retried
    assert sandbox.requests(path_contains=ORDERS) == []


def test_the_token_is_never_logged(sandbox, client, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox.control.create_orders(count=1)
    sandbox.control.set_faults(next_errors=1)

    list(client.iter_orders(query=OrderQuery()))

    token = client.token_store.get(client._token_key)["access_token"]
    assert token not in caplog.text
    assert sandbox.config.client_secret not in caplog.text
    assert token not in repr(client) and sandbox.config.client_secret not in repr(client)


def test_a_shared_store_never_hands_a_token_to_other_credentials(sandbox):
    store = InMemoryTokenStore()
    owner = sandbox.make_client(token_store=store)
    owner.count_orders(query=OrderQuery())
    intruder = sandbox.make_client(token_store=store, client_secret="guessed-wrong")  # same client id

    with pytest.raises(ChannelAuthError):
        intruder.count_orders(query=OrderQuery())

    assert intruder.calls.snapshot() == {
        "token": 1,
        "api": 0,
        "retry": 0,
        "rate_limit": 0,
        "wait_seconds": 0.0,
    }  # asked for its own token, refused
    assert [r.status for r in sandbox.requests(path_contains=ORDERS)] == [200]


# --- temporary faults: retried and survived ----------------------------------------------------


def test_5xx_answers_to_a_get_are_retried(sandbox, client):
    (order_id,) = sandbox.control.create_orders()
    sandbox.control.set_faults(next_errors=2)

    assert client.fetch_order(order_id=order_id).order.order_id == order_id
    assert [s for s, _ in statuses(sandbox, ORDERS)] == [503, 503, 200]


def test_a_timed_out_get_is_retried(sandbox, client):
    (order_id,) = sandbox.control.create_orders()
    sandbox.control.set_faults(next_timeouts=1)

    assert client.fetch_order(order_id=order_id).order.order_id == order_id
    assert statuses(sandbox, ORDERS) == [(None, "timeout"), (200, None)]


def test_a_429_burst_is_retried_after_the_retry_after_delay(sandbox):
    delays = []
    client = sandbox.make_client(sleep=delays.append, backoff_base=0.001)
    sandbox.control.create_orders(count=2)
    sandbox.control.set_faults(next_rate_limits=3, retry_after=0.2)

    assert client.count_orders(query=OrderQuery()) == 2
    assert [s for s, _ in statuses(sandbox, ORDERS)] == [429, 429, 429, 200]
    assert len(delays) == 3 and all(d >= 0.2 for d in delays)


def test_a_retry_after_longer_than_the_client_waits_is_raised_with_it(sandbox):
    client = sandbox.make_client(max_retry_after=5)
    sandbox.control.set_faults(next_rate_limits=1, retry_after=120)

    with pytest.raises(TransientChannelError) as caught:
        client.count_orders(query=OrderQuery())

    assert caught.value.status == 429 and caught.value.retry_after == 120
    assert len(sandbox.requests(path_contains=ORDERS)) == 1


def test_retries_are_bounded(sandbox):
    client = sandbox.make_client(max_attempts=3)
    sandbox.control.set_faults(error_rate=1.0)

    with pytest.raises(TransientChannelError) as caught:
        client.count_orders(query=OrderQuery())

    assert caught.value.status == 503
    assert len(sandbox.requests(path_contains=ORDERS)) == 3


# --- permanent faults: surfaced with the marketplace's message, never retried ------------------


def test_unknown_order_is_a_permanent_404_with_the_marketplace_message(sandbox, client):
    with pytest.raises(PermanentChannelError) as caught:
        client.fetch_order(order_id="2611010000NOPEX")

    assert caught.value.status == 404
    assert caught.value.title == "Not Found"
    assert "2611010000NOPEX" in caught.value.detail
    assert len(sandbox.requests(path_contains=ORDERS)) == 1


def test_wrong_seller_id_is_an_auth_error(sandbox):
    client = sandbox.make_client(seller_id="11111")

    with pytest.raises(ChannelAuthError) as caught:
        client.count_orders(query=OrderQuery())

    assert caught.value.status == 403


# --- approval ----------------------------------------------------------------------------------


def test_accept_then_accept_again_counts_as_done(sandbox, client):
    (order_id,) = sandbox.control.create_orders(status="WaitingAcceptance")

    assert client.accept_order(order_id=order_id) is ApprovalOutcome.APPLIED
    assert client.accept_order(order_id=order_id) is ApprovalOutcome.ALREADY_DONE
    assert sandbox.control.order(order_id)["status"] == "Accepted"
    posts = [r for r in sandbox.requests(path_contains="/approval-status")]
    assert [r.body for r in posts] == [{"approval_status": "Accepted"}] * 2
    assert [r.status for r in posts] == [204, 409]


def test_accepting_an_order_already_in_preparation_counts_as_done(sandbox, client):
    (order_id,) = sandbox.control.create_orders(status="InPreparation")

    assert client.accept_order(order_id=order_id) is ApprovalOutcome.ALREADY_DONE


def test_refusing_an_accepted_order_is_a_permanent_conflict(sandbox, client):
    (order_id,) = sandbox.control.create_orders(status="Accepted")

    with pytest.raises(PermanentChannelError) as caught:
        client.refuse_order(order_id=order_id)

    assert caught.value.status == 409
    assert "WaitingAcceptance" in caught.value.detail


def test_refuse(sandbox, client):
    (order_id,) = sandbox.control.create_orders(status="WaitingAcceptance")

    assert client.refuse_order(order_id=order_id) is ApprovalOutcome.APPLIED
    assert sandbox.control.order(order_id)["status"] == "Refused"


# --- shipments ---------------------------------------------------------------------------------


def ship(client, order, number="6A12345678901"):
    client.ship_order(
        order_id=order["orderId"],
        parcel_number=number,
        carrier_name="Colissimo",
        tracking_url=f"https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        order_line_ids=[line["orderLineId"] for line in order["lines"]],
    )


def test_ship_sends_one_parcel_and_the_order_shows_it(sandbox, client):
    (order_id,) = sandbox.control.create_orders(status="InPreparation", lines=2)
    order = sandbox.control.order(order_id)

    ship(client, order)

    (post,) = sandbox.requests(path_contains="/shipments")
    assert post.status == 201
    assert post.body == [
        {
            "parcelNumber": "6A12345678901",
            "carrierName": "Colissimo",
            "orderLineIds": [line["orderLineId"] for line in order["lines"]],
            "trackingUrl": "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
        }
    ]
    shipped = client.fetch_order(order_id=order_id).order
    assert shipped.status is OrderStatus.SHIPPED
    assert [p.parcel_number for p in shipped.parcels] == ["6A12345678901"]


def test_a_second_parcel_is_refused_with_the_marketplace_message(sandbox, client):
    (order_id,) = sandbox.control.create_orders(status="InPreparation")
    order = sandbox.control.order(order_id)
    ship(client, order)

    with pytest.raises(PermanentChannelError) as caught:
        ship(client, order, number="6A99999999999")

    assert caught.value.status == 409
    assert "one parcel per complete order" in caught.value.detail


def test_shipping_an_order_not_in_preparation_is_refused(sandbox, client):
    (order_id,) = sandbox.control.create_orders(status="Accepted")

    with pytest.raises(PermanentChannelError) as caught:
        ship(client, sandbox.control.order(order_id))

    assert caught.value.status == 400
    assert caught.value.title == "Validation Failed"
    assert "status" in caught.value.errors


@pytest.mark.parametrize("fault", ["next_errors", "next_timeouts", "next_lost_answers"])
def test_a_shipment_post_is_never_sent_twice_by_the_client(sandbox, client, fault):
    (order_id,) = sandbox.control.create_orders(status="InPreparation")
    order = sandbox.control.order(order_id)
    sandbox.control.set_faults(**{fault: 1})

    with pytest.raises(TransientChannelError) as caught:
        ship(client, order)

    assert caught.value.request_may_have_been_processed
    assert len(sandbox.requests(path_contains="/shipments")) == 1


def test_after_a_lost_answer_reading_the_order_shows_the_recorded_parcel(sandbox, client):
    (order_id,) = sandbox.control.create_orders(status="InPreparation")
    sandbox.control.set_faults(next_lost_answers=1)

    with pytest.raises(TransientChannelError):
        ship(client, sandbox.control.order(order_id))

    # The caller's way to decide: the marketplace did record it, so it must not be posted again.
    order = client.fetch_order(order_id=order_id).order
    assert order.status is OrderStatus.SHIPPED
    assert [p.parcel_number for p in order.parcels] == ["6A12345678901"]


def test_approval_post_is_not_resent_after_a_5xx(sandbox, client):
    (order_id,) = sandbox.control.create_orders(status="WaitingAcceptance")
    sandbox.control.set_faults(next_errors=1)

    with pytest.raises(TransientChannelError):
        client.accept_order(order_id=order_id)

    assert len(sandbox.requests(path_contains="/approval-status")) == 1


def test_client_retries_can_be_configured_off(sandbox):
    client = CdiscountClient(
        api_base_url=sandbox.api_base_url,
        token_url=sandbox.token_url,
        client_id="demo-client",
        client_secret="demo-secret",
        seller_id="98979",
        token_store=InMemoryTokenStore(),
        timeout=0.5,
        max_attempts=1,
        allowed_networks=["127.0.0.0/8"],
    )
    sandbox.control.set_faults(next_errors=1)

    with pytest.raises(TransientChannelError):
        client.count_orders(query=OrderQuery())
    assert client.count_orders(query=OrderQuery()) == 0
