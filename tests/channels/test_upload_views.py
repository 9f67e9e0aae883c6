"""Upload Fulfillment Now, the Failed Uploads page with its bulk Retry upload, and upload runs in the
Sync Log (issue #9 point 2; SPEC S3, S7, S8)."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from channels.models import CdiscountAccount, SyncRun
from channels.upload import UPLOAD
from orders.choices import EventKind, UploadStatus
from orders.models import OrderEvent, Package
from tests.channels.conftest import logged_in
from tests.channels.run_helpers import held
from tests.factories import (
    CdiscountAccountFactory,
    MembershipFactory,
    OrderFactory,
    PackageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REFUSAL = "Order 2611 is not InPreparation (status Accepted): <b>refused</b> & not shipped"


@pytest.fixture
def account(company):
    company.time_zone = "Europe/Paris"
    company.save(update_fields=["time_zone"])
    return CdiscountAccountFactory(company=company)


@pytest.fixture
def queued(monkeypatch):
    """The upload tasks enqueued (after commit), as (account id, run id)."""
    calls = []
    monkeypatch.setattr("channels.tasks.upload_account_task.delay", lambda *args: calls.append(args))
    return calls


def failed_package(account: CdiscountAccount, **fields) -> Package:
    values = {"upload_status": UploadStatus.FAILED, "upload_error": "Carrier unknown", "upload_attempts": 1}
    values.update(fields)
    return PackageFactory(order=OrderFactory(company=account.company, channel_account=account), **values)


def upload_url(account) -> str:
    return reverse("cdiscount_upload", args=[account.company_id])


def failed_url(account) -> str:
    return reverse("cdiscount_failed_uploads", args=[account.company_id])


def retry_url(account) -> str:
    return reverse("cdiscount_failed_uploads_retry", args=[account.company_id])


def status_of(package) -> str:
    package.refresh_from_db()
    return package.upload_status


# --- Upload Fulfillment Now -------------------------------------------------------------------


def test_upload_now_is_in_the_actions_menu_as_a_post(manager_client, account):
    page = manager_client.get(reverse("cdiscount_settings", args=[account.company_id])).content.decode()
    assert f'<form method="post" action="{upload_url(account)}"' in page
    assert "Upload Fulfillment Now" in page


def test_upload_now_queues_one_run_and_shows_its_progress(
    manager_client, account, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(upload_url(account))
    run = SyncRun.objects.get()
    assert (run.kind, run.status, run.trigger) == (SyncRun.Kind.UPLOAD, SyncRun.Status.QUEUED, SyncRun.Trigger.MANUAL)
    assert run.user.username == "manager"
    assert queued == [(account.pk, run.pk)]
    assert response.status_code == 302 and response["Location"] == reverse("sync_run", args=[run.pk])
    page = manager_client.get(response["Location"]).content.decode()
    assert f"Upload started (run {run.pk})" in page
    assert 'hx-trigger="every 2s"' in page and 'data-count="uploaded"' in page


def test_upload_now_while_one_runs_links_to_that_run(manager_client, account, queued):
    running = SyncRun.objects.create(account=account, kind=SyncRun.Kind.UPLOAD, status=SyncRun.Status.PROCESSING)
    with held(UPLOAD.lock(account.pk)):
        response = manager_client.post(upload_url(account), follow=True)
    assert response.redirect_chain[-1][0] == reverse("sync_run", args=[running.pk])
    assert f"An upload of this account is already running (run {running.pk})" in response.content.decode()
    assert SyncRun.objects.count() == 1 and queued == []


def test_upload_now_is_disabled_without_credentials(manager_client, account, queued):
    account.client_secret = ""
    account.save()
    page = manager_client.get(reverse("cdiscount_settings", args=[account.company_id])).content.decode()
    assert f'action="{upload_url(account)}"' not in page
    assert "Enter the Client ID and Client Secret first" in page
    response = manager_client.post(upload_url(account), follow=True)
    assert "Enter the Client ID and Client Secret first" in response.content.decode()
    assert not SyncRun.objects.exists() and queued == []


def test_upload_now_is_a_post_only(manager_client, account):
    assert manager_client.get(upload_url(account)).status_code == 405
    assert not SyncRun.objects.exists()


# --- Failed Uploads -----------------------------------------------------------------------------


def test_the_health_card_links_its_upload_counts_to_failed_uploads(manager_client, account):
    failed_package(account)
    failed_package(account, upload_status=UploadStatus.PENDING, upload_error="")
    page = manager_client.get(reverse("cdiscount_settings", args=[account.company_id])).content.decode()
    assert f'<a href="{failed_url(account)}" data-failed-uploads><span class="status status-bad">1</span></a>' in page
    assert f'<a href="{failed_url(account)}#pending">1</a>' in page


def test_failed_uploads_lists_only_this_accounts_failed_packages(manager_client, account):
    mine = [failed_package(account), failed_package(account, carrier="Chronopost", upload_attempts=3)]
    failed_package(account, upload_status=UploadStatus.PENDING, upload_error="")
    failed_package(account, upload_status=UploadStatus.UPLOADED, upload_error="")
    other = failed_package(CdiscountAccountFactory())

    response = manager_client.get(failed_url(account))

    page = response.content.decode()
    assert response.status_code == 200
    listed = {int(p.split('"')[0]) for p in page.split('data-package="')[1:]}
    assert listed == {p.pk for p in mine}
    assert f'href="{reverse("orders:detail", args=[mine[1].order_id])}"' in page
    for text in (mine[1].order.channel_order_id, "Chronopost", mine[1].tracking_number, "Carrier unknown"):
        assert text in page
    assert other.tracking_number not in page
    assert "1 other package waits as Pending" in page
    assert 'name="package_ids"' in page and "Retry upload (all 2)" in page


def test_the_last_attempt_is_shown_in_the_companys_time_zone(manager_client, account):
    package = failed_package(account)
    event = OrderEvent.objects.create(order=package.order, kind=EventKind.UPLOAD, message="failed")
    OrderEvent.objects.filter(pk=event.pk).update(created_at=datetime(2026, 11, 29, 13, 5, tzinfo=UTC))
    page = manager_client.get(failed_url(account)).content.decode()
    assert "29/11/2026 14:05" in page  # Europe/Paris, UTC+1 in November


def test_markup_in_the_marketplaces_message_is_shown_as_text(manager_client, account):
    failed_package(account, upload_error=REFUSAL + '<script>alert("x")</script>')
    page = manager_client.get(failed_url(account)).content.decode()
    assert "&lt;b&gt;refused&lt;/b&gt; &amp; not shipped&lt;script&gt;" in page
    assert "<b>refused</b>" not in page and '<script>alert("x")' not in page


def test_retry_selected_sets_them_pending_and_queues_one_run(
    manager_client, account, queued, django_capture_on_commit_callbacks
):
    first, second = failed_package(account), failed_package(account)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(retry_url(account), {"scope": "selected", "package_ids": [first.pk]})
    run = SyncRun.objects.get(kind=SyncRun.Kind.UPLOAD)
    assert response.status_code == 302 and response["Location"] == failed_url(account)
    assert (status_of(first), status_of(second)) == (UploadStatus.PENDING, UploadStatus.FAILED)
    assert queued == [(account.pk, run.pk)]
    page = manager_client.get(response["Location"]).content.decode()
    assert "1 package(s) set back to Pending, queued for upload in" in page
    assert f'<a href="{reverse("sync_run", args=[run.pk])}">run {run.pk}</a>' in page


def test_retry_all_retries_every_failed_package_of_the_account(
    manager_client, account, queued, django_capture_on_commit_callbacks
):
    packages = [failed_package(account) for _ in range(3)]
    other = failed_package(CdiscountAccountFactory())
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(retry_url(account), {"scope": "all"})
    assert [status_of(p) for p in packages] == [UploadStatus.PENDING] * 3
    assert status_of(other) == UploadStatus.FAILED
    assert len(queued) == 1


def test_retry_ignores_another_accounts_package_ids(manager_client, account, queued):
    other = failed_package(CdiscountAccountFactory())
    response = manager_client.post(retry_url(account), {"scope": "selected", "package_ids": [other.pk]}, follow=True)
    assert status_of(other) == UploadStatus.FAILED
    assert "Nothing to retry" in response.content.decode()
    assert not SyncRun.objects.exists() and queued == []


def test_retry_selected_without_a_selection_says_so(manager_client, account, queued):
    package = failed_package(account)
    response = manager_client.post(retry_url(account), {"scope": "selected"}, follow=True)
    assert "Select at least one package, or retry all of them." in response.content.decode()
    assert status_of(package) == UploadStatus.FAILED and queued == []


@pytest.mark.parametrize("odd", ["9223372036854775808", "99999999999999999999", "²", "①", "0", "-1"])
def test_retry_with_an_id_that_is_no_package_id_gets_a_message_and_changes_nothing(
    manager_client, account, queued, odd
):
    # 99999999999999999999 used to pass str.isdigit() and reach SQLite, which cannot bind it: a 500.
    package = failed_package(account)

    response = manager_client.post(
        retry_url(account), {"scope": "selected", "package_ids": [package.pk, odd]}, follow=True
    )

    assert response.status_code == 200
    assert "Nothing was retried: The selection holds something that is not an ID" in response.content.decode()
    assert status_of(package) == UploadStatus.FAILED
    assert not SyncRun.objects.exists() and queued == []


def test_retry_while_an_upload_runs_says_they_go_with_the_next_run(manager_client, account, queued):
    package = failed_package(account)
    running = SyncRun.objects.create(account=account, kind=SyncRun.Kind.UPLOAD, status=SyncRun.Status.PROCESSING)
    with held(UPLOAD.lock(account.pk)):
        response = manager_client.post(retry_url(account), {"scope": "all"}, follow=True)
    assert status_of(package) == UploadStatus.PENDING
    page = response.content.decode()
    assert "an upload is already running; they go with the next run after" in page and f"run {running.pk}<" in page
    assert SyncRun.objects.count() == 1 and queued == []


# --- Permissions and isolation ------------------------------------------------------------------


def test_a_reader_sees_failed_uploads_read_only_and_gets_403_on_posts(reader_client, account, queued):
    package = failed_package(account)
    response = reader_client.get(failed_url(account))
    page = response.content.decode()
    assert response.status_code == 200 and package.tracking_number in page
    assert 'name="package_ids"' not in page and "Retry upload" not in page and 'id="retry-form"' not in page
    assert reader_client.post(retry_url(account), {"scope": "all"}).status_code == 403
    assert reader_client.post(upload_url(account)).status_code == 403
    assert status_of(package) == UploadStatus.FAILED
    assert not SyncRun.objects.exists() and queued == []


def test_manage_channel_without_view_orders_gets_403_on_failed_uploads_and_changes_nothing(company, account, queued):
    # given a channel manager who may not view the company's orders
    member = UserFactory()
    MembershipFactory(user=member, company=company, can_manage_channel=True, can_view_orders=False)
    client = logged_in(member)
    package = failed_package(account, tracking_number="6A12345678901")

    # when they open Failed Uploads or retry from it
    listing = client.get(failed_url(account))
    retries = [client.post(retry_url(account), data) for data in ({"scope": "all"}, {"package_ids": [package.pk]})]

    # then both are refused, the package stays Failed and no run is queued
    assert listing.status_code == 403 and "6A12345678901" not in listing.content.decode()
    assert [r.status_code for r in retries] == [403, 403]
    assert status_of(package) == UploadStatus.FAILED
    assert not SyncRun.objects.exists() and queued == []
    # and the settings page offers neither the menu entry nor the health card's links
    settings_page = client.get(reverse("cdiscount_settings", args=[company.pk]))
    menu = {item.label: item for item in settings_page.context["actions"]}
    assert menu["Failed Uploads"].disabled_reason == "Needs the View orders permission for this company."
    assert "data-failed-uploads" not in settings_page.content.decode()


def test_another_companys_user_gets_404_everywhere(outsider_client, account, queued):
    package = failed_package(account)
    assert outsider_client.get(failed_url(account)).status_code == 404
    assert outsider_client.post(retry_url(account), {"scope": "all"}).status_code == 404
    assert outsider_client.post(upload_url(account)).status_code == 404
    assert status_of(package) == UploadStatus.FAILED
    assert not SyncRun.objects.exists() and queued == []


def test_failed_uploads_of_a_company_without_an_account_is_404(manager_client, company):
    assert manager_client.get(reverse("cdiscount_failed_uploads", args=[company.pk])).status_code == 404


# --- Upload runs in the Sync Log ----------------------------------------------------------------


def test_an_upload_runs_page_shows_the_upload_counts(manager_client, account):
    run = SyncRun.objects.create(
        account=account, kind=SyncRun.Kind.UPLOAD, status=SyncRun.Status.PARTIAL, uploaded=7, failed=2, skipped=1
    )
    page = manager_client.get(reverse("sync_run", args=[run.pk])).content.decode()
    assert 'data-count="uploaded">7<' in page and 'data-count="failed">2<' in page
    assert 'data-count="created"' not in page and 'data-count="pages"' not in page
    assert f'href="{failed_url(account)}"' in page
    log = manager_client.get(reverse("sync_log")).content.decode()
    assert "<span>7 uploaded</span>" in log


def test_a_download_runs_page_keeps_the_download_counts(manager_client, account):
    run = SyncRun.objects.create(account=account, kind=SyncRun.Kind.DOWNLOAD, status="completed", created=5)
    page = manager_client.get(reverse("sync_run", args=[run.pk])).content.decode()
    assert 'data-count="created">5<' in page and 'data-count="uploaded"' not in page
