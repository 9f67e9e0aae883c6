"""Create RMA and RMA Details through the pages (issue 22): permissions, company isolation (404),
messages, and the Order Details entries (Actions menu, RMAs panel, replacement links)."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from orders.models import RMA, Refund
from orders.rma_choices import ReceivedStatus
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

from .rma_helpers import create, item, receive, shipped_order, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return shipped_order()


@pytest.fixture
def admin_client(client, client_admin):
    client.force_login(client_admin)
    return client


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def create_data(order, **lines):
    """Form data ticking `lines` (sku=qty), with one reason for all."""
    data = {"reason_for_all": "Damaged", "description": "", "channel_reference": "RET-1"}
    for sku, qty in lines.items():
        pk = item(order, sku.replace("_", "-")).pk
        data |= {f"return_{pk}": "on", f"qty_{pk}": str(qty)}
    return data


def test_create_rma_from_order_details(admin_client, order):
    page = admin_client.get(reverse("orders:create_rma", args=[order.pk]))
    assert page.status_code == 200 and "Return Reason For All Items" in page.text

    response = admin_client.post(
        reverse("orders:create_rma", args=[order.pk]), create_data(order, LAMP_1=1), follow=True
    )

    rma = RMA.objects.get()
    assert response.redirect_chain[-1][0] == reverse("rmas:detail", args=[rma.pk])
    assert messages_of(response) == ["RMA-000001 created: status Open, Not Received."]
    assert "RMA-000001" in response.text and "Not Received" in response.text
    detail = admin_client.get(reverse("orders:detail", args=[order.pk])).text
    assert reverse("rmas:detail", args=[rma.pk]) in detail  # the RMAs panel
    assert "RMA-000001 created: 1 x LAMP-1 (Damaged)" in detail  # the history


def test_create_rma_refusals_are_messages_and_change_nothing(admin_client, order):
    before = snapshot()
    response = admin_client.post(reverse("orders:create_rma", args=[order.pk]), create_data(order, LAMP_1=5))

    assert response.status_code == 200
    assert any("more than can be returned" in m for m in messages_of(response))
    bad = admin_client.post(reverse("orders:create_rma", args=[order.pk]), create_data(order, LAMP_1="deux"))
    assert messages_of(bad) == ["Nothing was changed: correct the fields marked below."]
    assert snapshot() == before


def test_set_cancelled_internally_on_a_ship_confirmed_order_links_to_create_rma_and_issue_refund(admin_client, order):
    page = admin_client.get(reverse("orders:detail", args=[order.pk])).text

    assert "cancel is not allowed, issue a refund or create an RMA" in page
    assert f'href="{reverse("orders:create_rma", args=[order.pk])}">→ Create RMA' in page
    assert f'href="{reverse("orders:refund", args=[order.pk])}">→ Issue Refund' in page


def test_create_rma_is_disabled_on_an_unshipped_order(admin_client):
    from tests.factories import OrderFactory

    unshipped = OrderFactory()
    page = admin_client.get(reverse("orders:detail", args=[unshipped.pk])).text

    assert 'Create RMA<small class="menu-reason">The order has not shipped' in page


def test_rma_pages_need_manage_rmas_and_are_404_outside_the_company(client, order, client_admin):
    rma = create(order, client_admin, ("LAMP-1", 1))
    viewer = UserFactory()
    MembershipFactory(user=viewer, company=order.company)  # view orders only
    stranger = UserFactory()
    MembershipFactory(user=stranger, company=CompanyFactory(), can_manage_rmas=True)
    before = snapshot()

    client.force_login(viewer)
    assert client.get(reverse("rmas:detail", args=[rma.pk])).status_code == 200
    assert client.get(reverse("orders:create_rma", args=[order.pk])).status_code == 403
    for name in ("receive", "resolution"):
        assert client.get(reverse(f"rmas:{name}", args=[rma.pk])).status_code == 403
    for name in ("hold", "release", "close", "cancel"):
        assert client.post(reverse(f"rmas:{name}", args=[rma.pk])).status_code == 403
    assert client.get(reverse("rmas:refund", args=[rma.pk])).status_code == 403

    client.force_login(stranger)
    assert client.get(reverse("rmas:detail", args=[rma.pk])).status_code == 404
    assert client.get(reverse("orders:create_rma", args=[order.pk])).status_code == 404
    assert client.post(reverse("rmas:cancel", args=[rma.pk])).status_code == 404
    assert snapshot() == before


def test_receive_resolution_refund_and_replace_through_the_pages(admin_client, order, client_admin):
    rma = create(order, client_admin, ("LAMP-1", 1), ("SHADE-1", 1))
    lamp, shade = rma.items.get(order_item__sku="LAMP-1"), rma.items.get(order_item__sku="SHADE-1")

    # receive more than expected: refused, nothing changes
    before = snapshot()
    data = {f"received_{lamp.pk}": "2", f"condition_{lamp.pk}": "sellable", f"condition_{shade.pk}": "sellable"}
    response = admin_client.post(reverse("rmas:receive", args=[rma.pk]), data)
    assert any("more than expected" in m for m in messages_of(response)) and snapshot() == before

    data |= {f"received_{lamp.pk}": "1", f"received_{shade.pk}": "1"}
    admin_client.post(reverse("rmas:receive", args=[rma.pk]), data)
    assert RMA.objects.get().received_status == ReceivedStatus.RECEIVED

    # Refund opens Issue Refund, pre-filled with the item's value and the RMA's reference
    response = admin_client.post(
        reverse("rmas:resolution", args=[rma.pk]), {"items": [lamp.pk], "resolution": "refund", "comment": "ok"}
    )
    assert response.url == reverse("rmas:refund", args=[rma.pk])
    form = admin_client.get(response.url)
    assert form.context["form"].initial["amount"] == Decimal("49.90")
    assert form.context["form"].initial["reference_number"] == "RMA-000001"
    fields = {**form.context["form"].initial, "payment": order.payments.get().pk}
    admin_client.post(response.url, {k: v for k, v in fields.items() if v is not None})
    assert Refund.objects.get().rma_id == rma.pk and Refund.objects.get().amount == Decimal("49.90")

    # Replace: the replacement order is listed on both orders
    admin_client.post(reverse("rmas:resolution", args=[rma.pk]), {"items": [shade.pk], "resolution": "replace"})
    replacement = order.replacements.get()
    assert (
        f'href="{reverse("orders:detail", args=[replacement.pk])}"'
        in admin_client.get(reverse("orders:detail", args=[order.pk])).text
    )
    assert "Replacement of order" in admin_client.get(reverse("orders:detail", args=[replacement.pk])).text


def test_order_details_reads_rmas_and_replacements_in_a_fixed_number_of_queries(admin_client, client_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.rma.services import rma_set_resolution

    def queries(order):
        admin_client.get(reverse("orders:detail", args=[order.pk]))  # warm
        with CaptureQueriesContext(connection) as captured:
            admin_client.get(reverse("orders:detail", args=[order.pk]))
        return len(captured)

    few, many = shipped_order(), shipped_order()
    create(few, client_admin, ("LAMP-1", 1))
    for sku in ("LAMP-1", "LAMP-1", "SHADE-1"):
        rma = create(many, client_admin, (sku, 1))
        receive(rma, client_admin, sku, 1)
        rma_set_resolution(rma=rma, by=client_admin, item_ids=[rma.items.get().pk], resolution="replace")

    assert queries(many) == queries(few)
    assert many.replacements.count() == 3
