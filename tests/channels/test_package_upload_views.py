"""Order Details > Packages: Retry upload of a Failed package and Upload to Cdiscount by hand of a
Not Required one (issue #9), against the sandbox over real HTTP; who may press them; escaping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channels.models import CarrierMapping, SyncRun
from channels.services import download_run_now
from channels.upload import upload_run_now
from orders.choices import UploadStatus
from orders.models import Order, Package
from orders.selectors import order_details_context
from orders.services import company_today, order_ship
from tests.channels.sandbox_helpers import account_for
from tests.factories import (
    CompanyFactory,
    MembershipFactory,
    OrderFactory,
    OrderItemFactory,
    PackageFactory,
    PaymentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_client(settings):
    # SPEC S12: small timeouts and millisecond backoff in CI.
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    settings.CDISCOUNT_MAX_ATTEMPTS = 8


def shipped_on_sandbox(sandbox, *, upload_enabled=True) -> Package:
    """One InPreparation order of the sandbox, downloaded and shipped here."""
    account = account_for(sandbox, upload_enabled=upload_enabled)
    CarrierMapping.objects.create(account=account, carrier="La Poste Colissimo", cdiscount_carrier="Colissimo")
    (cid,) = sandbox.control.create_orders(count=1, status="InPreparation")
    now = timezone.now()
    run = download_run_now(
        account=account,
        trigger=SyncRun.Trigger.COMMAND,
        date_from=now - timedelta(days=1),
        date_to=now + timedelta(hours=1),
    )
    assert run is not None and run.status == SyncRun.Status.COMPLETED
    order = Order.objects.get(channel_account=account, channel_order_id=cid)
    return order_ship(
        order=order, by=None, carrier="La Poste Colissimo", tracking_number=f"6A{cid}", ship_date=company_today(order)
    )


def shipment_posts(sandbox, cid):
    return [r for r in sandbox.requests(path_contains=f"/orders/{cid}/shipments") if r.method == "POST"]


def detail_html(client, order) -> str:
    response = client.get(reverse("orders:detail", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def retry_url(package) -> str:
    return reverse("orders:channel_package_action", args=[package.order_id, package.pk, "retry-upload"])


def upload_url(package) -> str:
    return reverse("orders:channel_package_action", args=[package.order_id, package.pk, "upload"])


def channel_manager(company):
    user = UserFactory()
    MembershipFactory(user=user, company=company, can_view_orders=True, can_manage_channel=True)
    return user


def test_retry_of_a_failed_package_reports_failed_again_then_uploads_once(client, make_cdiscount_sandbox):
    # given a package Cdiscount refused: the order was moved back to Accepted
    sandbox = make_cdiscount_sandbox(orders=0)
    package = shipped_on_sandbox(sandbox)
    order, cid = package.order, package.order.channel_order_id
    sandbox.control.set_status(cid, "Accepted")
    upload_run_now(account=order.channel_account, trigger=SyncRun.Trigger.COMMAND)
    package.refresh_from_db()
    assert package.upload_status == UploadStatus.FAILED
    client.force_login(channel_manager(order.company))

    # then the panel shows the status, the attempts, Cdiscount's words and a Retry upload button
    html = detail_html(client, order)
    assert ">Failed</span>" in html
    assert "is Accepted, not InPreparation" in html
    assert f'action="{retry_url(package)}"' in html and ">Retry upload</button>" in html

    # when the user retries before fixing it on Cdiscount: still Failed, with the marketplace's message on top
    response = client.post(retry_url(package), follow=True)
    assert response.redirect_chain == [(reverse("orders:detail", args=[order.pk]), 302)]
    page = response.content.decode()
    assert f"Upload of tracking 6A{cid} failed again: Cdiscount refused the shipment (HTTP 400)" in page
    assert '<div class="message message-error" role="alert">' in page
    package.refresh_from_db()
    assert package.upload_status == UploadStatus.FAILED

    # when it is fixed on Cdiscount and the user retries
    sandbox.control.set_status(cid, "InPreparation")
    response = client.post(retry_url(package), follow=True)

    # then Uploaded, said at the top of the page; the sandbox recorded exactly one shipment
    assert f"Tracking 6A{cid} uploaded to Cdiscount." in response.content.decode()
    package.refresh_from_db()
    assert package.upload_status == UploadStatus.UPLOADED
    assert [r.status for r in shipment_posts(sandbox, cid)].count(201) == 1
    parcels = {p["parcelNumber"] for line in sandbox.control.order(cid)["lines"] for p in line.get("parcels", [])}
    assert parcels == {f"6A{cid}"}
    # and there is nothing left to retry: the button is gone, a second POST is refused politely
    assert ">Retry upload</button>" not in detail_html(client, order)
    response = client.post(retry_url(package), follow=True)
    assert "there is nothing to retry" in response.content.decode()
    assert [r.status for r in shipment_posts(sandbox, cid)].count(201) == 1


def test_a_not_required_package_is_uploaded_by_hand(client, make_cdiscount_sandbox):
    sandbox = make_cdiscount_sandbox(orders=0)
    package = shipped_on_sandbox(sandbox, upload_enabled=False)
    assert package.upload_status == UploadStatus.NOT_REQUIRED
    order, cid = package.order, package.order.channel_order_id
    client.force_login(channel_manager(order.company))
    assert f'action="{upload_url(package)}"' in detail_html(client, order)

    response = client.post(upload_url(package), follow=True)

    assert f"Tracking 6A{cid} uploaded to Cdiscount." in response.content.decode()
    package.refresh_from_db()
    assert package.upload_status == UploadStatus.UPLOADED
    assert [r.status for r in shipment_posts(sandbox, cid)] == [201]
    # a second click: refused with the reason, nothing posted
    response = client.post(upload_url(package), follow=True)
    assert "it is not uploaded by hand" in response.content.decode()
    assert len(shipment_posts(sandbox, cid)) == 1


def failed_package(company=None, **fields) -> Package:
    order = OrderFactory(company=company or CompanyFactory(), payment_status="charged")
    values = {"upload_status": UploadStatus.FAILED, "upload_attempts": 1, "upload_error": "Unknown carrier"}
    return PackageFactory(order=order, **{**values, **fields})


def test_without_manage_channel_there_is_no_button_and_both_posts_are_403(client):
    failed = failed_package()
    not_required = failed_package(failed.order.company, upload_status=UploadStatus.NOT_REQUIRED)
    processor = UserFactory()
    MembershipFactory(user=processor, company=failed.order.company, can_process_orders=True)
    client.force_login(processor)

    html = detail_html(client, failed.order)
    assert "Retry upload" not in html and "Upload to Cdiscount" not in html
    assert client.post(retry_url(failed)).status_code == 403
    assert client.post(upload_url(not_required)).status_code == 403
    failed.refresh_from_db()
    assert (failed.upload_status, failed.upload_attempts) == (UploadStatus.FAILED, 1)


def test_another_companys_package_is_404_and_get_is_refused(client):
    mine, theirs = CompanyFactory(), CompanyFactory()
    failed = failed_package(theirs)
    not_required = failed_package(theirs, upload_status=UploadStatus.NOT_REQUIRED)
    own = failed_package(mine)
    client.force_login(channel_manager(mine))

    assert client.post(retry_url(failed)).status_code == 404
    assert client.post(upload_url(not_required)).status_code == 404
    # a package id of another order in the URL of one's own order: 404 too
    assert (
        client.post(
            reverse("orders:channel_package_action", args=[own.order_id, failed.pk, "retry-upload"])
        ).status_code
        == 404
    )
    assert client.get(retry_url(own)).status_code == 405  # a state change is a POST only
    failed.refresh_from_db()
    assert failed.upload_attempts == 1


def test_the_posts_need_the_csrf_token(client_admin):
    package = failed_package()
    client = Client(enforce_csrf_checks=True)
    client.force_login(client_admin)

    html = detail_html(client, package.order)
    assert "csrfmiddlewaretoken" in html.split(retry_url(package))[1].split("</form>")[0]
    assert client.post(retry_url(package)).status_code == 403


def test_an_error_with_markup_is_shown_as_text_in_the_panel_and_the_message(client, client_admin, monkeypatch):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    package = failed_package(upload_error=evil, tracking_number="6A00000000099")
    client.force_login(client_admin)

    html = detail_html(client, package.order)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html

    # the retry's outcome, Cdiscount's words in the message at the top: escaped too
    def still_failed(*, package, by):
        return package

    monkeypatch.setattr("channels.upload.package_retry_upload", still_failed)
    page = client.post(retry_url(package), follow=True).content.decode()
    assert "failed again: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x" in page
    assert "<script>alert" not in page


def test_the_page_stays_within_its_query_budget_with_upload_buttons(
    client, client_admin, django_assert_max_num_queries
):
    order = OrderFactory(payment_status="charged")
    OrderItemFactory(order=order)
    PaymentFactory(order=order)
    client.force_login(client_admin)

    def queries() -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as captured:
            html = detail_html(client, order)
        return html, [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]

    PackageFactory(order=order, upload_status=UploadStatus.FAILED, upload_error="x")
    _, few = queries()
    for status in (UploadStatus.FAILED, UploadStatus.NOT_REQUIRED, UploadStatus.UPLOADED) * 4:
        PackageFactory(order=order, upload_status=status)
    html, many = queries()

    # the same budget as Order Details without the buttons (test_order_detail_view), flat in the rows
    assert html.count(">Retry upload</button>") == 5 and html.count(">Upload to Cdiscount</button>") == 4
    assert len(many) == len(few)
    assert len(many) <= 12, "\n".join(many)
    manager = channel_manager(order.company)
    with django_assert_max_num_queries(8):
        details = order_details_context(order_id=order.pk, user=manager)
    labels = [row.upload_action.label for row in details.package_rows if row.upload_action]
    assert labels.count("Retry upload") == 5 and labels.count("Upload to Cdiscount") == 4
