"""A package made from the marketplace's parcel is dated in the company's calendar (SPEC S4)."""

from datetime import UTC, date, datetime

import pytest

from channels.models import SyncRun
from channels.sandbox import PinnedClock
from channels.services import download_run_now
from orders.models import Package
from tests.channels.sandbox_helpers import account_for
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("time_zone, day", [("America/New_York", date(2026, 9, 2)), ("Europe/Paris", date(2026, 9, 3))])
def test_a_parcel_from_the_marketplace_gets_the_companys_day(make_cdiscount_sandbox, settings, time_zone, day):
    # given an order the marketplace reports Shipped at 02:00 UTC on 3 September (evening of the
    # 2nd in New York, morning of the 3rd in Paris)
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    sandbox = make_cdiscount_sandbox(orders=0, clock=PinnedClock(datetime(2026, 9, 3, 2, 0, tzinfo=UTC)))
    (order_id,) = sandbox.control.create_orders(status="Shipped")
    account = account_for(sandbox, company=CompanyFactory(time_zone=time_zone))

    # when it is downloaded (a backfill of those days)
    run = download_run_now(
        account=account,
        trigger=SyncRun.Trigger.COMMAND,
        date_from=datetime(2026, 9, 1, tzinfo=UTC),
        date_to=datetime(2026, 9, 4, tzinfo=UTC),
    )

    # then its package is dated that day in the company's calendar
    assert run is not None and run.status == SyncRun.Status.COMPLETED
    assert Package.objects.get(order__channel_order_id=order_id).ship_date == day
