"""Manage Orders bulk actions (SPEC S6, S7): Set On Hold / Release Hold through the one hold
service, on the ticked or on all filtered orders, in the background with progress when many, safe
to run twice at once; favourites in the Actions menu."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from orders.bulk import bulk_apply
from orders.choices import Channel, EventKind, OrderStatus
from orders.models import BulkActionFavorite, Order, OrderEvent
from tests.factories import CompanyFactory, MembershipFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

BULK = reverse("orders:bulk")


@pytest.fixture
def company_a(db):
    return CompanyFactory(name="Maison Lumière SAS")


@pytest.fixture
def processor(company_a):
    """An employee of company A who may view and process orders there."""
    user = UserFactory(username="jeanne")
    MembershipFactory(user=user, company=company_a, can_view_orders=True, can_process_orders=True)
    return user


@pytest.fixture
def processor_client(client, processor):
    client.force_login(processor)
    return client


def hold_events(order: Order) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order, kind=EventKind.HOLD))


# --- On the ticked orders ---------------------------------------------------------------------------


def test_set_on_hold_asks_for_a_reason_then_holds_each_ticked_order_with_an_event(
    processor_client, processor, company_a
):
    first, second = OrderFactory(company=company_a), OrderFactory(company=company_a)
    untouched = OrderFactory(company=company_a)
    ticked = {"action": "hold", "ids": [first.pk, second.pk], "query": "channel=cdiscount"}

    # when the user picks Set On Hold: a confirmation that says how many, asking the reason
    confirm = processor_client.post(BULK, ticked)
    assert confirm.status_code == 200
    assert "Set On Hold on <strong>2 orders</strong>" in confirm.content.decode()
    assert Order.objects.filter(status=OrderStatus.ON_HOLD).count() == 0

    # and confirms it with a reason
    done = processor_client.post(BULK, {**ticked, "confirmed": "1", "text": "Adresse à vérifier"}, follow=True)

    # then both are On Hold, each with its own event by this user, and the grid says so
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == OrderStatus.ON_HOLD
        assert order.hold_reason == "Adresse à vérifier"
        [event] = hold_events(order)
        assert event.user == processor
    untouched.refresh_from_db()
    assert untouched.status == OrderStatus.IN_PROCESS
    assert "Set On Hold: 2 of 2 orders changed." in done.content.decode()
    assert done.redirect_chain[-1][0].endswith("?channel=cdiscount")  # back to the same filters


def test_a_hold_without_a_reason_changes_nothing(processor_client, company_a):
    order = OrderFactory(company=company_a)
    response = processor_client.post(BULK, {"action": "hold", "ids": [order.pk], "confirmed": "1", "text": "  "})
    assert response.status_code == 200
    assert "Give a reason" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS


def test_release_hold_restores_the_status_before_the_hold(processor_client, processor, company_a):
    order = OrderFactory(company=company_a, status=OrderStatus.PROBLEM)
    bulk_apply(action="hold", order_ids=[order.pk], user=processor, text="Contrôle")

    processor_client.post(BULK, {"action": "release_hold", "ids": [order.pk], "confirmed": "1", "text": "OK"})

    order.refresh_from_db()
    assert order.status == OrderStatus.PROBLEM
    assert OrderEvent.objects.filter(order=order, kind=EventKind.RELEASE).count() == 1


def test_orders_that_cannot_be_held_are_reported_and_the_others_held(processor_client, company_a):
    open_order = OrderFactory(company=company_a)
    completed = OrderFactory(company=company_a, status=OrderStatus.COMPLETED)
    held = OrderFactory(company=company_a, status=OrderStatus.ON_HOLD, status_before_hold=OrderStatus.IN_PROCESS)

    response = processor_client.post(
        BULK,
        {"action": "hold", "ids": [open_order.pk, completed.pk, held.pk], "confirmed": "1", "text": "Stock"},
        follow=True,
    )

    html = response.content.decode()
    assert "1 of 3 orders changed, 1 already so" in html
    assert f"Order {completed.pk}: The order is Completed: there is nothing left to hold." in html
    held.refresh_from_db()
    assert held.status_before_hold == OrderStatus.IN_PROCESS  # a second hold never overwrites it
    assert hold_events(held) == []


def test_nothing_ticked_says_what_to_do(processor_client):
    response = processor_client.post(BULK, {"action": "hold"}, follow=True)
    assert "Select at least one order" in response.content.decode()


def test_an_unknown_action_answers_404(processor_client, company_a):
    order = OrderFactory(company=company_a)
    assert processor_client.post(BULK, {"action": "delete", "ids": [order.pk]}).status_code == 404


# --- On all filtered orders -------------------------------------------------------------------------


def test_all_filtered_orders_after_a_confirmation_that_says_how_many(processor_client, company_a):
    cdiscount = [OrderFactory(company=company_a, channel=Channel.CDISCOUNT) for _ in range(3)]
    amazon = OrderFactory(company=company_a, channel=Channel.AMAZON)
    every = {"action": "hold", "all": "1", "query": "channel=cdiscount"}

    confirm = processor_client.post(BULK, every)
    assert "Set On Hold on <strong>3 orders</strong> (every order matching the filters)" in confirm.content.decode()

    processor_client.post(BULK, {**every, "confirmed": "1", "text": "Inventaire"})

    assert all(Order.objects.get(pk=o.pk).status == OrderStatus.ON_HOLD for o in cdiscount)
    assert Order.objects.get(pk=amazon.pk).status == OrderStatus.IN_PROCESS


# --- Isolation and permissions ------------------------------------------------------------------------


def test_another_company_orders_are_never_touched_even_by_id(processor_client, company_a):
    mine = OrderFactory(company=company_a)
    theirs = OrderFactory(company=CompanyFactory())

    confirm = processor_client.post(BULK, {"action": "hold", "ids": [mine.pk, theirs.pk]})
    assert "on <strong>1 order</strong>" in confirm.content.decode()
    processor_client.post(BULK, {"action": "hold", "ids": [mine.pk, theirs.pk], "confirmed": "1", "text": "x"})
    processor_client.post(BULK, {"action": "hold", "all": "1", "confirmed": "1", "text": "x"})

    theirs.refresh_from_db()
    assert theirs.status == OrderStatus.IN_PROCESS
    assert hold_events(theirs) == []


def test_without_process_orders_holds_are_shown_disabled_and_refused(client, company_a):
    viewer = UserFactory()
    MembershipFactory(user=viewer, company=company_a, can_view_orders=True, can_process_orders=False)
    order = OrderFactory(company=company_a)
    client.force_login(viewer)

    menu = {e.key: e for e in client.get(reverse("orders:list")).context["action_entries"]}
    assert menu["hold"].disabled_reason and not menu["export_csv"].disabled_reason

    client.post(BULK, {"action": "hold", "ids": [order.pk], "confirmed": "1", "text": "x"})
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS


def test_process_without_view_orders_cannot_hold_orders_it_cannot_open(client, company_a):
    # given a member who may process but not view the orders of company A
    member = UserFactory()
    MembershipFactory(user=member, company=company_a, can_view_orders=False, can_process_orders=True)
    order = OrderFactory(company=company_a)
    client.force_login(member)
    assert client.get(reverse("orders:detail", args=[order.pk])).status_code == 404

    # when they post a confirmed hold of it, ticked or as all filtered orders
    confirm = client.post(BULK, {"action": "hold", "ids": [order.pk]})
    client.post(BULK, {"action": "hold", "ids": [order.pk], "confirmed": "1", "text": "x"})
    client.post(BULK, {"action": "hold", "all": "1", "confirmed": "1", "text": "x"})

    # then nothing reaches the order
    assert "on <strong>0 orders</strong>" in confirm.content.decode()
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (OrderStatus.IN_PROCESS, "")
    assert OrderEvent.objects.filter(order=order).count() == 0


def test_a_background_chunk_rechecks_view_orders(company_a):
    member = UserFactory()
    MembershipFactory(user=member, company=company_a, can_view_orders=False, can_process_orders=True)
    order = OrderFactory(company=company_a)

    result = bulk_apply(action="hold", order_ids=[order.pk], user=member, text="x")

    assert result.changed == 0
    assert result.failed == [(order.pk, f"You may not view and process orders of {company_a.name}.")]
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS
    assert hold_events(order) == []


# --- Odd input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("odd", ["²", "①", "٣", "0", "-1", "1.0", "9223372036854775808", "99999999999999999999"])
@pytest.mark.parametrize("confirmed", ["", "1"])
def test_an_id_that_is_no_order_id_gets_a_message_and_changes_nothing(processor_client, company_a, odd, confirmed):
    order = OrderFactory(company=company_a)

    response = processor_client.post(
        BULK, {"action": "hold", "ids": [order.pk, odd], "confirmed": confirmed, "text": "x"}, follow=True
    )

    assert response.status_code == 200
    assert "Nothing was done: The selection holds something that is not an ID" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS
    assert hold_events(order) == []


def test_all_filtered_orders_with_a_filter_not_applied_changes_nothing(processor_client, company_a):
    order = OrderFactory(company=company_a)

    response = processor_client.post(
        BULK, {"action": "hold", "all": "1", "query": "date_to=9999-12-31", "confirmed": "1", "text": "x"}, follow=True
    )

    html = response.content.decode()
    assert "Nothing was done: Order Date to: Enter a date from 01/01/2000 to " in html
    assert "Correct the filters before acting on all matching orders." in html
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROCESS


def test_a_reason_with_a_nul_character_gets_a_message_and_changes_nothing(processor_client, company_a):
    # PostgreSQL cannot store a NUL in text: it used to answer 500 there.
    order = OrderFactory(company=company_a)

    response = processor_client.post(
        BULK, {"action": "hold", "ids": [order.pk], "confirmed": "1", "text": "Stock\x00"}, follow=True
    )

    assert "The text holds a NUL character, which cannot be stored: type it again." in response.content.decode()
    order.refresh_from_db()
    assert (order.status, order.hold_reason) == (OrderStatus.IN_PROCESS, "")
    assert hold_events(order) == []


# --- In the background ----------------------------------------------------------------------------------


def test_many_orders_run_in_the_background_with_progress(
    processor_client, processor, company_a, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.ORDERS_BULK_INLINE_LIMIT = 2
    orders = [OrderFactory(company=company_a) for _ in range(5)]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = processor_client.post(
            BULK, {"action": "hold", "all": "1", "query": "", "confirmed": "1", "text": "Grève transporteur"}
        )

    assert len(callbacks) == 1  # one task per chunk of ids, enqueued once the request commits
    assert response.status_code == 302
    job_url = response["Location"]
    status = processor_client.get(job_url, {"format": "json"}).json()
    assert status["finished"] is True
    assert (status["total"], status["changed"], status["failed"]) == (5, 5, 0)
    assert "5 of 5 orders done" in processor_client.get(job_url).content.decode()
    assert all(len(hold_events(o)) == 1 for o in orders)


def test_a_job_is_only_visible_to_its_owner(
    client, processor_client, company_a, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.ORDERS_BULK_INLINE_LIMIT = 0
    order = OrderFactory(company=company_a)
    with django_capture_on_commit_callbacks(execute=True):
        job_url = processor_client.post(BULK, {"action": "hold", "ids": [order.pk], "confirmed": "1", "text": "x"})[
            "Location"
        ]

    other = UserFactory()
    MembershipFactory(user=other, company=company_a)
    client.force_login(other)
    assert client.get(job_url).status_code == 404


def test_a_chunk_delivered_twice_changes_each_order_once(processor, company_a):
    orders = [OrderFactory(company=company_a) for _ in range(3)]
    ids = [o.pk for o in orders]

    first = bulk_apply(action="hold", order_ids=ids, user=processor, text="Doublon")
    second = bulk_apply(action="hold", order_ids=ids, user=processor, text="Doublon")

    assert (first.changed, second.changed, second.unchanged) == (3, 0, 3)
    assert all(len(hold_events(o)) == 1 for o in orders)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_bulk_hold_twice_at_once_holds_each_order_once():
    # given 30 open orders, some of them Problem Orders
    company = CompanyFactory()
    user = UserFactory(is_client_admin=True)
    orders = [
        OrderFactory(company=company, status=OrderStatus.PROBLEM if i % 3 == 0 else OrderStatus.IN_PROCESS)
        for i in range(30)
    ]
    ids = [o.pk for o in orders]
    barrier = threading.Barrier(2)
    changed: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            changed.append(bulk_apply(action="hold", order_ids=ids, user=user, text="Deux fois").changed)
        finally:
            connection.close()

    # when the same bulk hold runs twice at once (acks_late redelivery, or two clicks)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then every order was held once: one event each, and the status before the hold kept
    assert sum(changed) == 30
    for order in orders:
        fresh = Order.objects.get(pk=order.pk)
        assert fresh.status == OrderStatus.ON_HOLD
        assert fresh.status_before_hold == order.status
        assert OrderEvent.objects.filter(order=order, kind=EventKind.HOLD).count() == 1


# --- Favourites ---------------------------------------------------------------------------------------------


def test_a_starred_action_goes_to_the_top_of_this_users_menu(processor_client, processor, company_a):
    OrderFactory(company=company_a)
    before = [e.key for e in processor_client.get(reverse("orders:list")).context["action_entries"]]
    assert before[0] == "hold"

    processor_client.post(reverse("orders:bulk_favorite"), {"action": "export_csv"})

    entries = processor_client.get(reverse("orders:list")).context["action_entries"]
    assert entries[0].key == "export_csv" and entries[0].favorite
    other = UserFactory()
    assert not BulkActionFavorite.objects.filter(user=other).exists()

    processor_client.post(reverse("orders:bulk_favorite"), {"action": "export_csv"})  # unstar
    assert not BulkActionFavorite.objects.filter(user=processor).exists()


def test_starring_an_unknown_action_answers_404(processor_client):
    assert processor_client.post(reverse("orders:bulk_favorite"), {"action": "drop_tables"}).status_code == 404
