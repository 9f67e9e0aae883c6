"""Dates an order page tells are in the order's company's calendar, not the server's (SPEC S4)."""

from datetime import UTC, datetime

import pytest

from orders.rules import Action, why_not
from tests.factories import CompanyFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_the_ship_confirmed_day_of_a_cancel_refusal_is_the_companys_day():
    # 03:00 UTC on the 14th is still the evening of the 13th in New York (and the 14th in Paris).
    confirmed = datetime(2027, 1, 14, 3, 0, tzinfo=UTC)
    new_york = OrderFactory(company=CompanyFactory(time_zone="America/New_York"), ship_confirmed_at=confirmed)
    paris = OrderFactory(company=CompanyFactory(time_zone="Europe/Paris"), ship_confirmed_at=confirmed)

    assert why_not(new_york, Action.CANCEL).startswith("Ship Confirmed on 13/01/2027:")
    assert why_not(paris, Action.CANCEL).startswith("Ship Confirmed on 14/01/2027:")
