"""A package made from the marketplace's parcel is dated in the company's calendar (SPEC S4)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import SyncRun
from channels.sandbox import PinnedClock
from channels.services import download_run_now
from orders.models import Package
from tests.channels.sandbox_helpers import account_for
from tests.factories import CdiscountAccountFactory, CompanyFactory, MembershipFactory, UserFactory

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


def test_download_orders_dates_are_the_companys_days(client, settings, django_capture_on_commit_callbacks, monkeypatch):
    # The server's day (Pago Pago, UTC-11) is always at least a day behind Kiritimati's (UTC+14).
    settings.TIME_ZONE = "Pacific/Pago_Pago"
    company = CompanyFactory(time_zone="Pacific/Kiritimati")
    account = CdiscountAccountFactory(company=company)
    manager = UserFactory()
    MembershipFactory(user=manager, company=company, can_manage_channel=True)
    client.force_login(manager)
    monkeypatch.setattr("channels.tasks.download_account_task.delay", lambda *args: None)
    today = timezone.localdate(timezone=ZoneInfo("Pacific/Kiritimati"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cdiscount_download", args=[company.pk]),
            {"date_from": today.isoformat(), "date_to": today.isoformat()},
        )

    run = SyncRun.objects.get(account=account)
    assert response.status_code == 302 and run.is_backfill
    assert run.window_from == datetime.combine(today, datetime.min.time(), ZoneInfo("Pacific/Kiritimati"))
