"""orders.action_registry: an app above orders adds an order action to Order Details' Actions
menu without orders importing it (as invoices does with Print Invoice)."""

from __future__ import annotations

import pytest
from django.db.models import Value

from orders.action_registry import RegisteredOrderAction, register_order_action, unregister_order_action
from orders.selectors import order_details_context
from sellercloud.permissions import Permission
from tests.factories import MembershipFactory, OrderFactory, UserFactory


@pytest.fixture
def stamp_action():
    seen = []

    def why_not(order):
        seen.append(order.stamp_flag)  # read from the annotation: no query of its own
        return None if order.channel_order_id.endswith("ok") else "Not stampable: the reason."

    register_order_action(
        RegisteredOrderAction(
            key="stamp",
            label="Stamp Order",
            permission=Permission.MANAGE_RMAS,
            url_name="orders:detail",
            why_not=why_not,
            position=900,
            annotations=lambda: {"stamp_flag": Value(True)},
        )
    )
    yield seen
    unregister_order_action("stamp")


def test_a_registered_action_is_listed_last_with_its_reason(stamp_action, client_admin):
    allowed, refused = OrderFactory(channel_order_id="A-ok"), OrderFactory(channel_order_id="B-no")

    def item(order):
        return order_details_context(order_id=order.pk, user=client_admin).actions[-1]

    assert (item(allowed).label, item(allowed).disabled_reason, item(allowed).is_post) == ("Stamp Order", "", True)
    assert item(refused).disabled_reason == "Not stampable: the reason."
    assert stamp_action and all(stamp_action)


def test_a_user_without_the_permission_does_not_see_it(db, stamp_action):
    order = OrderFactory(channel_order_id="A-ok")
    employee = UserFactory()
    MembershipFactory(user=employee, company=order.company, can_process_orders=True)

    labels = [a.label for a in order_details_context(order_id=order.pk, user=employee).actions]

    assert "Stamp Order" not in labels
