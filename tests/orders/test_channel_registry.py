"""A channel plugs its actions into Order Details through the registry orders owns (STYLE 3.4).

The fake Amazon adapter below is registered the way a channel app does it in ready(); nothing in
orders/ names it, yet its action shows in the Actions menu with its refusal reason and runs
through the one generic view.
"""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.urls import reverse

from orders.channel_registry import ActionResult, ChannelAction, PlainAdapter, adapter_for, register, unregister
from orders.choices import Channel, EventKind, OrderStatus, UploadStatus
from orders.events import order_event
from orders.models import Order
from orders.payments import order_refresh_payment_status
from orders.rules import OrderRuleError
from orders.services import company_today, order_cancel_internally, order_ship
from sellercloud.permissions import Permission
from tests.factories import MembershipFactory, OrderFactory, PaymentFactory, UserFactory

pytestmark = pytest.mark.django_db

HELD = "Amazon sells no label for an order On Hold: release the hold first."


class LabelForm(forms.Form):
    service = forms.ChoiceField(choices=[("", "—"), ("prime", "Prime"), ("standard", "Standard")])


def why_not_label(order, package):
    return HELD if order.status == OrderStatus.ON_HOLD else None


def buy_label(*, order, by, data, **_):
    if reason := why_not_label(order, None):
        raise OrderRuleError(reason)
    order_event(order=order, kind=EventKind.NOTE, message=f"Label bought ({data['service']})", user=by)
    return ActionResult(f"Amazon sold a {data['service']} label.")


class FakeAmazonAdapter(PlainAdapter):
    actions = (
        ChannelAction(
            key="buy-label",
            label="Buy Shipping Label",
            permission=Permission.PROCESS_ORDERS,
            run=buy_label,
            why_not=why_not_label,
            form=LabelForm,
            hidden_unless_allowed=False,
        ),
    )


@pytest.fixture
def amazon():
    register(Channel.AMAZON, FakeAmazonAdapter("Amazon"))
    yield
    unregister(Channel.AMAZON)


@pytest.fixture
def amazon_order(amazon):
    return OrderFactory(channel=Channel.AMAZON, channel_account=None, channel_order_id="111-2223334-5556667")


@pytest.fixture
def admin_client(client, client_admin):
    client.force_login(client_admin)
    return client


def action_url(order):
    return reverse("orders:channel_action", args=[order.pk, "buy-label"])


def page_of(client, order):
    return client.get(reverse("orders:detail", args=[order.pk])).content.decode()


def test_a_registered_channels_action_is_in_the_menu_and_runs_through_the_generic_view(admin_client, amazon_order):
    assert "Buy Shipping Label" in page_of(admin_client, amazon_order)
    assert action_url(amazon_order) in page_of(admin_client, amazon_order)
    form_page = admin_client.get(action_url(amazon_order))
    assert form_page.status_code == 200 and 'name="service"' in form_page.content.decode()

    invalid = admin_client.post(action_url(amazon_order), {"service": ""})
    assert invalid.status_code == 200 and not amazon_order.events.exists()

    done = admin_client.post(action_url(amazon_order), {"service": "prime"}, follow=True)

    assert [str(m) for m in get_messages(done.wsgi_request)] == ["Amazon sold a prime label."]
    assert amazon_order.events.get().message == "Label bought (prime)"


def test_its_refusal_reason_shows_in_the_menu_and_a_post_is_refused(admin_client, amazon_order):
    Order.objects.filter(pk=amazon_order.pk).update(status=OrderStatus.ON_HOLD)

    page = page_of(admin_client, amazon_order)
    refused = admin_client.post(action_url(amazon_order), {"service": "prime"}, follow=True)

    assert "Buy Shipping Label" in page and HELD in page
    assert [str(m) for m in get_messages(refused.wsgi_request)] == [HELD]
    assert not amazon_order.events.exists()


def test_its_permission_is_checked(client, amazon_order):
    viewer = UserFactory()
    MembershipFactory(user=viewer, company=amazon_order.company, can_view_orders=True)
    client.force_login(viewer)

    assert "Buy Shipping Label" not in page_of(client, amazon_order)
    assert client.post(action_url(amazon_order), {"service": "prime"}).status_code == 403
    assert not amazon_order.events.exists()


def test_another_channels_order_does_not_offer_it(admin_client, amazon):
    website = OrderFactory(channel=Channel.WEBSITE, channel_account=None)

    assert "Buy Shipping Label" not in page_of(admin_client, website)
    assert admin_client.post(action_url(website), {"service": "prime"}).status_code == 404


def test_a_channel_without_an_adapter_gets_the_plain_one(client_admin):
    order = OrderFactory(channel=Channel.WEBSITE, channel_account=None)
    PaymentFactory(order=order)
    order_refresh_payment_status(order=order)

    package = order_ship(
        order=order, by=client_admin, carrier="Colissimo", tracking_number="6A123", ship_date=company_today(order)
    )
    cancelled = OrderFactory(channel=Channel.LOCAL, channel_account=None)
    order_cancel_internally(order=cancelled, by=client_admin, reason="Customer changed their mind")

    assert isinstance(adapter_for(order), PlainAdapter) and adapter_for(order).label == "Website"
    assert package.upload_status == UploadStatus.NOT_REQUIRED
    assert (
        cancelled.events.get(kind=EventKind.CANCEL).message == "Set Cancelled Internally: Customer changed their mind"
    )
