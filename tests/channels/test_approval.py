"""Accept Order / Refuse Order against the Cdiscount sandbox over real HTTP (SPEC S5, S7)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from channels.approval import order_accept, order_refuse
from channels.models import Environment, SyncRun
from channels.services import download_run_now
from orders.choices import EventKind, OrderStatus
from orders.models import Order, OrderEvent
from orders.rules import OrderRuleError
from tests.channels.sandbox_helpers import account_for
from tests.factories import CdiscountAccountFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(cdiscount_sandbox):
    return CdiscountAccountFactory(
        environment=Environment.CUSTOM,
        custom_api_base_url=cdiscount_sandbox.api_base_url,
        custom_token_url=cdiscount_sandbox.token_url,
        client_id=cdiscount_sandbox.config.client_id,
        client_secret=cdiscount_sandbox.config.client_secret,
        seller_id=cdiscount_sandbox.config.seller_id,
    )


@pytest.fixture
def waiting(account, cdiscount_sandbox):
    """A local order for a sandbox order waiting for acceptance."""
    [order_id] = cdiscount_sandbox.control.create_orders(status="WaitingAcceptance")
    return OrderFactory(
        company=account.company, channel_account=account, channel_order_id=order_id, channel_status="WaitingAcceptance"
    )


@pytest.fixture
def admin_client(client, client_admin):
    client.force_login(client_admin)
    return client


def approval_posts(sandbox):
    return [r for r in sandbox.requests(path_contains="/approval-status") if r.method == "POST"]


def test_accept_tells_cdiscount_and_records_it(waiting, cdiscount_sandbox, client_admin):
    order_accept(order=waiting, by=client_admin)

    waiting.refresh_from_db()
    assert cdiscount_sandbox.control.order(waiting.channel_order_id)["status"] == "Accepted"
    assert waiting.channel_status == "Accepted"
    assert waiting.status == OrderStatus.IN_PROCESS
    event = waiting.events.get(kind=EventKind.ACCEPTANCE)
    assert event.user == client_admin and "Accepted on Cdiscount" in event.message


def test_refuse_tells_cdiscount_and_cancels_the_order_keeping_our_reason(waiting, cdiscount_sandbox, client_admin):
    order_refuse(order=waiting, by=client_admin, reason="Produit en rupture de stock")

    waiting.refresh_from_db()
    assert cdiscount_sandbox.control.order(waiting.channel_order_id)["status"] == "Refused"
    assert (waiting.channel_status, waiting.status) == ("Refused", OrderStatus.CANCELED)
    event = waiting.events.get(kind=EventKind.ACCEPTANCE)
    assert event.message == "Refused on Cdiscount: the order is Canceled. Reason: Produit en rupture de stock"
    assert event.data["reason"] == "Produit en rupture de stock"


def test_refuse_order_asks_for_a_reason_and_without_one_changes_nothing(admin_client, waiting, cdiscount_sandbox):
    url = reverse("orders:channel_action", args=[waiting.pk, "refuse"])

    form = admin_client.get(url)
    response = admin_client.post(url, {"reason": "  "})

    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    waiting.refresh_from_db()
    assert (waiting.status, waiting.channel_status) == (OrderStatus.IN_PROCESS, "WaitingAcceptance")
    assert not waiting.events.exists()
    assert not [r for r in cdiscount_sandbox.requests(path_contains="/approval-status") if r.method == "POST"]


def test_an_order_not_waiting_is_refused_before_any_call(account, cdiscount_sandbox, client_admin):
    order = OrderFactory(company=account.company, channel_account=account, channel_status="InPreparation")

    with pytest.raises(OrderRuleError, match="only orders waiting for acceptance"):
        order_accept(order=order, by=client_admin)

    assert approval_posts(cdiscount_sandbox) == []


def test_accept_through_the_page_shows_the_marketplace_answer(admin_client, waiting, cdiscount_sandbox):
    page = admin_client.get(reverse("orders:detail", args=[waiting.pk])).content.decode()
    assert "Accept Order" in page and reverse("orders:channel_action", args=[waiting.pk, "accept"]) in page

    response = admin_client.post(reverse("orders:channel_action", args=[waiting.pk, "accept"]), follow=True)

    assert "Cdiscount accepted the order." in [str(m) for m in get_messages(response.wsgi_request)]
    assert len(approval_posts(cdiscount_sandbox)) == 1
    # once accepted, the page offers Accept / Refuse no more
    assert "Accept Order" not in response.content.decode()


def test_accept_already_done_on_the_portal_counts_as_done(admin_client, waiting, cdiscount_sandbox):
    cdiscount_sandbox.control.set_status(waiting.channel_order_id, "Accepted")

    response = admin_client.post(reverse("orders:channel_action", args=[waiting.pk, "accept"]), follow=True)

    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Cdiscount accepted the order (it already had this decision)." in messages
    assert Order.objects.get(pk=waiting.pk).channel_status == "Accepted"


def test_marketplace_refusal_reads_the_order_back_and_shows_what_cdiscount_has(
    admin_client, waiting, cdiscount_sandbox
):
    cdiscount_sandbox.control.set_status(waiting.channel_order_id, "Accepted")  # too late to refuse

    response = admin_client.post(
        reverse("orders:channel_action", args=[waiting.pk, "refuse"]), {"reason": "Rupture"}, follow=True
    )

    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith(
        "Cdiscount did not refuse the order: Cdiscount shows this order Accepted (last changed on "
    )
    waiting.refresh_from_db()
    # read back and applied at once: the page no longer offers Accept / Refuse on a stale status
    assert (waiting.status, waiting.channel_status) == (OrderStatus.IN_PROCESS, "Accepted")
    assert OrderEvent.objects.filter(order=waiting, message__startswith="Cdiscount did not refuse").exists()
    assert "Refuse Order" not in admin_client.get(reverse("orders:detail", args=[waiting.pk])).content.decode()


def test_accept_on_an_order_the_customer_cancelled_says_so_and_cancels_it_here(
    admin_client, waiting, cdiscount_sandbox
):
    cdiscount_sandbox.control.set_status(waiting.channel_order_id, "Cancelled")

    response = admin_client.post(reverse("orders:channel_action", args=[waiting.pk, "accept"]), follow=True)

    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Cdiscount did not accept the order: Cdiscount cancelled this order on ")
    waiting.refresh_from_db()
    assert (waiting.status, waiting.channel_status) == (OrderStatus.CANCELED, "Cancelled")


def test_an_unknown_order_on_cdiscount_gives_its_404_message(admin_client, account, cdiscount_sandbox):
    order = OrderFactory(
        company=account.company,
        channel_account=account,
        channel_order_id="NOPE000000",
        channel_status="WaitingAcceptance",
    )

    response = admin_client.post(reverse("orders:channel_action", args=[order.pk, "accept"]), follow=True)

    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Cdiscount did not accept the order:")
    assert Order.objects.get(pk=order.pk).channel_status == "WaitingAcceptance"


def test_auto_accept_and_accept_order_leave_the_same_channel_status_and_event(
    make_cdiscount_sandbox, client_admin, settings
):
    # given two orders waiting for acceptance on one marketplace, imported unpaid
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    sandbox = make_cdiscount_sandbox(orders=0)
    by_hand, automatic = sandbox.control.create_orders(count=2, status="WaitingAcceptance")
    account = account_for(sandbox, allow_unpaid_orders=True)
    download_run_now(account=account, trigger=SyncRun.Trigger.COMMAND)
    manual = Order.objects.get(channel_order_id=by_hand)

    # when a user accepts one, and the next download auto-accepts the other
    order_accept(order=manual, by=client_admin)
    account.auto_accept_orders = True
    account.save()
    download_run_now(account=account, trigger=SyncRun.Trigger.COMMAND)

    # then both orders say Accepted and their history lines carry the same data
    manual.refresh_from_db()
    auto = Order.objects.get(channel_order_id=automatic)
    assert manual.channel_status == auto.channel_status == "Accepted"
    manual_event = manual.events.get(kind=EventKind.ACCEPTANCE)
    auto_event = auto.events.get(kind=EventKind.ACCEPTANCE)
    assert (
        manual_event.data
        == auto_event.data
        == {
            "decision": "Accepted",
            "outcome": "applied",
            "channel_status_before": "WaitingAcceptance",
        }
    )
    assert (manual_event.user, manual_event.message) == (client_admin, "Accepted on Cdiscount.")
    assert (auto_event.user, auto_event.source, auto_event.message) == (
        None,
        "Cdiscount",
        "Auto-accepted on Cdiscount.",
    )
