"""Cdiscount General Settings: view, Edit/Save, Actions, permissions and secrets (issue #6, SPEC S3, S7, S12)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channels.models import CdiscountAccount, Environment, SettingsChange, SyncRun
from channels.services import DOWNLOAD
from orders.choices import OrderStatus, UploadStatus
from tests.factories import (
    CdiscountAccountFactory,
    OrderFactory,
    PackageFactory,
)

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-Value-never-shown"


@pytest.fixture
def account(company):
    return CdiscountAccountFactory(company=company, client_secret=SECRET, environment=Environment.SANDBOX)


@pytest.fixture
def admin_client(client_admin):
    c = Client()
    c.force_login(client_admin)
    return c


def form_data(account: CdiscountAccount, **overrides) -> dict[str, str]:
    """What the Edit form posts when nothing is touched, with `overrides` applied."""
    data = {
        "client_id": account.client_id,
        "client_secret": "",
        "seller_id": account.seller_id,
        "sales_channel_id": account.sales_channel_id,
        "environment": account.environment,
        "custom_api_base_url": account.custom_api_base_url,
        "custom_token_url": account.custom_token_url,
        "download_interval_minutes": str(account.download_interval_minutes),
        "lookback_days": str(account.lookback_days),
        "upload_interval_minutes": str(account.upload_interval_minutes),
        "carriers-TOTAL_FORMS": "0",
        "carriers-INITIAL_FORMS": "0",
    }
    flags = ("enabled", "download_enabled", "allow_unpaid_orders", "auto_accept_orders", "upload_enabled")
    for flag in (*flags, "invoice_upload_enabled"):
        if getattr(account, flag):
            data[flag] = "on"
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def edit_url(account):
    return reverse("cdiscount_settings_edit", args=[account.company_id])


def settings_url(account):
    return reverse("cdiscount_settings", args=[account.company_id])


def days_ago(account, days: int) -> str:
    """A date in the company's calendar, `days` before its today: tests pass on any day they run."""
    today = timezone.localdate(timezone=ZoneInfo(account.company.time_zone))
    return (today - timedelta(days=days)).isoformat()


def snapshot(account) -> dict:
    row = CdiscountAccount.objects.get(pk=account.pk)
    return {f.name: getattr(row, f.name) for f in CdiscountAccount._meta.concrete_fields if f.name != "updated_at"}


# --- Viewing ----------------------------------------------------------------------------------


def test_toolbox_links_to_general_settings(admin_client, account):
    page = admin_client.get(reverse("company_settings", args=[account.company_id])).content.decode()
    assert f'href="{settings_url(account)}"' in page


def test_settings_page_shows_the_panels_and_the_secret_only_as_set(admin_client, account):
    response = admin_client.get(settings_url(account))
    page = response.content.decode()
    assert response.status_code == 200
    for heading in ("Credentials", "Orders", "Fulfillment", "Changes", "Health"):
        assert f">{heading}</h2>" in page
    assert "Enable Order Download" in page and "Allow UnPaid Order" in page
    assert "Enable Order Fulfillment Upload" in page
    assert ">set</span>" in page
    assert SECRET not in page


def test_token_dates_are_shown_in_the_company_time_zone(admin_client, account):
    account.company.time_zone = "America/New_York"
    account.company.save()
    received = datetime(2026, 11, 29, 14, 2, tzinfo=UTC)
    CdiscountAccount.objects.filter(pk=account.pk).update(
        token_received_at=received, token_expires_at=received + timedelta(hours=2)
    )
    page = admin_client.get(settings_url(account)).content.decode()
    assert "29/11/2026 09:02" in page  # 14:02 UTC in New York
    assert "29/11/2026 11:02" in page


def test_health_card_counts_what_waits(admin_client, account):
    # given two orders waiting for acceptance (one of them cancelled here), a pending and a failed upload
    OrderFactory(company=account.company, channel_account=account, channel_status="WaitingAcceptance")
    OrderFactory(
        company=account.company,
        channel_account=account,
        channel_status="WaitingAcceptance",
        status=OrderStatus.CANCELED,
    )
    order = OrderFactory(company=account.company, channel_account=account, channel_status="Shipped")
    PackageFactory(order=order, upload_status=UploadStatus.PENDING)
    PackageFactory(order=OrderFactory(company=account.company, channel_account=account), upload_status="failed")
    SyncRun.objects.create(account=account, kind="download", status="completed", created=12, finished_at=timezone.now())

    # when
    response = admin_client.get(settings_url(account))

    # then
    health = response.context["health"]
    assert health.waiting_acceptance == 1
    assert (health.pending_uploads, health.failed_uploads) == (1, 1)
    assert "12 new" in response.content.decode()


def test_reader_sees_the_page_read_only(reader_client, account):
    page = reader_client.get(settings_url(account)).content.decode()
    assert "Read-only" in page
    assert f'href="{edit_url(account)}"' not in page
    assert "Needs the Manage channel permission" in page  # the Actions say why they are disabled


@pytest.mark.parametrize(
    "name", ["cdiscount_settings_edit", "cdiscount_get_token", "cdiscount_download", "cdiscount_download_order"]
)
def test_reader_is_refused_every_change(reader_client, account, name):
    before = snapshot(account)
    response = reader_client.post(reverse(name, args=[account.company_id]), form_data(account, enabled=None))
    assert response.status_code in (403, 404)
    assert snapshot(account) == before
    assert not SettingsChange.objects.exists()
    assert not SyncRun.objects.exists()


@pytest.mark.parametrize(
    "name",
    [
        "cdiscount_settings",
        "cdiscount_settings_edit",
        "cdiscount_get_token",
        "cdiscount_download",
        "cdiscount_download_order",
    ],
)
def test_another_company_gets_404(outsider_client, account, name):
    assert outsider_client.get(reverse(name, args=[account.company_id])).status_code in (404, 405)
    assert outsider_client.post(reverse(name, args=[account.company_id]), form_data(account)).status_code == 404


# --- Edit and Save ----------------------------------------------------------------------------


def test_edit_form_never_renders_the_secret(manager_client, account):
    response = manager_client.get(edit_url(account))
    assert response.status_code == 200
    assert SECRET not in response.content.decode()
    assert "Current secret: <strong>set</strong>" in response.content.decode()


def test_save_writes_one_audit_row_per_changed_field(manager_client, manager, account):
    response = manager_client.post(
        edit_url(account), form_data(account, download_interval_minutes="5", seller_id="12345")
    )
    assert response.status_code == 302
    changes = {c.field: (c.old_value, c.new_value, c.user) for c in SettingsChange.objects.all()}
    assert changes == {
        "Download interval (minutes)": ("15", "5", manager),
        "Seller ID": ("98979", "12345", manager),
    }


def test_empty_secret_keeps_it_and_new_secret_is_masked_in_the_audit(manager_client, account):
    manager_client.post(edit_url(account), form_data(account))
    assert CdiscountAccount.objects.get(pk=account.pk).client_secret == SECRET
    assert not SettingsChange.objects.exists()

    response = manager_client.post(edit_url(account), form_data(account, client_secret="brand-new-secret"), follow=True)
    assert CdiscountAccount.objects.get(pk=account.pk).client_secret == "brand-new-secret"
    change = SettingsChange.objects.get()
    assert (change.old_value, change.new_value) == (SettingsChange.MASK, SettingsChange.MASK)
    assert "brand-new-secret" not in response.content.decode()
    assert SECRET not in response.content.decode()


def test_clear_removes_the_secret(manager_client, account):
    manager_client.post(edit_url(account), form_data(account, clear_client_secret="on"))
    assert CdiscountAccount.objects.get(pk=account.pk).client_secret == ""
    change = SettingsChange.objects.get()
    assert (change.old_value, change.new_value) == (SettingsChange.MASK, "")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"download_interval_minutes": "0"}, "Enter a whole number from 1 to 10080."),
        ({"upload_interval_minutes": "0"}, "Enter a whole number from 1 to 10080."),
        ({"lookback_days": "-3"}, "Enter a whole number from 1 to 365."),
        # A schedule of 2**63 minutes overflows every datetime (SQLite stored it, the beat crashed).
        ({"download_interval_minutes": "99999999999"}, "Enter a whole number from 1 to 10080."),
        ({"upload_interval_minutes": "9223372036854775807"}, "Enter a whole number from 1 to 10080."),
        ({"download_interval_minutes": "10081"}, "Enter a whole number from 1 to 10080."),
        (
            {
                "environment": "custom",
                "custom_api_base_url": "ftp://api.example.com",
                "custom_token_url": "https://a.example.com/t",
            },
            "http:// or https://",
        ),
        ({"environment": "custom", "custom_api_base_url": "", "custom_token_url": ""}, "Needed for the Custom URL"),
        ({"client_secret": "new-one", "clear_client_secret": "on"}, "not both"),
        (
            {
                "carriers-TOTAL_FORMS": "1",
                "carriers-0-carrier": "Colissimo",
                "carriers-0-cdiscount_carrier": "COLISSIMO",
                "carriers-0-tracking_url_template": "https://t.example/?n=1",
            },
            "{tracking_number}",
        ),
        (
            {
                "carriers-TOTAL_FORMS": "1",
                "carriers-0-carrier": "Colissimo",
                "carriers-0-cdiscount_carrier": "COLISSIMO",
                "carriers-0-tracking_url_template": "https://t.example/\u202e?n={tracking_number}",
            },
            "The tracking URL of Colissimo holds a space or an invisible character: type it again.",
        ),
    ],
)
def test_bad_input_saves_nothing_and_says_why(admin_client, account, overrides, message):
    before = snapshot(account)
    response = admin_client.post(edit_url(account), form_data(account, seller_id="changed-too", **overrides))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert message in page
    assert snapshot(account) == before
    assert not SettingsChange.objects.exists()
    assert SECRET not in page and "new-one" not in page


def test_turning_download_on_makes_the_account_due_now(manager_client, account):
    CdiscountAccount.objects.filter(pk=account.pk).update(
        download_enabled=False, next_download_at=timezone.now() + timedelta(days=1)
    )
    account.refresh_from_db()
    manager_client.post(edit_url(account), form_data(account, download_enabled="on"))
    account.refresh_from_db()
    assert account.download_enabled
    assert account.next_download_at <= timezone.now()


def test_turning_allow_unpaid_on_starts_a_backfill_of_the_lookback(
    manager_client, account, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("channels.tasks.download_account_task.delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(edit_url(account), form_data(account, allow_unpaid_orders="on"), follow=True)
    run = SyncRun.objects.get()
    assert run.is_backfill
    assert run.window_to - run.window_from == timedelta(days=account.lookback_days)
    assert queued == [(account.pk, run.pk)]
    assert f"a download of the last {account.lookback_days} days started (run {run.pk}" in response.content.decode()


def test_carrier_mapping_is_saved_and_audited(manager_client, account):
    data = form_data(
        account,
        **{
            "carriers-TOTAL_FORMS": "2",
            "carriers-0-carrier": "Colissimo",
            "carriers-0-cdiscount_carrier": "COLISSIMO",
            "carriers-0-tracking_url_template": "https://www.laposte.fr/suivi?code={tracking_number}",
        },
    )
    response = manager_client.post(edit_url(account), data, follow=True)
    mapping = account.carrier_mappings.get()
    assert (mapping.carrier, mapping.cdiscount_carrier) == ("Colissimo", "COLISSIMO")
    assert SettingsChange.objects.get().field == "Carrier mapping: Colissimo"
    assert "https://www.laposte.fr/suivi?code={tracking_number}" in response.content.decode()


def test_carrier_names_fall_back_to_free_text_when_carriers_cannot_be_read(manager_client, account, settings):
    settings.CDISCOUNT_SANDBOX_URL = "http://127.0.0.1:9"  # nothing listens there
    page = manager_client.get(edit_url(account)).content.decode()
    assert "Could not load Cdiscount&#x27;s carriers" in page
    assert 'name="carriers-0-cdiscount_carrier"' in page and '<select name="carriers-0-cdiscount_carrier"' not in page


# --- Actions ----------------------------------------------------------------------------------


def test_actions_menu_lists_the_actions(admin_client, account):
    page = admin_client.get(settings_url(account)).content.decode()
    for label in ("Get Token", "Download Orders", "Download Order by ID", "Upload Fulfillment Now", "View Sync Log"):
        assert label in page
    assert f'action="{reverse("cdiscount_upload", args=[account.company_id])}"' in page


def test_download_orders_refuses_from_after_to(manager_client, account):
    url = reverse("cdiscount_download", args=[account.company_id])
    response = manager_client.post(url, {"date_from": days_ago(account, 10), "date_to": days_ago(account, 20)})
    assert response.status_code == 200
    assert "From must be on or before To." in response.content.decode()
    assert not SyncRun.objects.exists()


@pytest.mark.parametrize(
    "dates",
    [
        {"date_to": "9999-12-31"},  # the end of that day does not exist: a 500 on both databases
        {"date_from": "0001-01-01"},  # before year 1 in UTC: queued, then a 500 or a failed run
        {"date_from": "1999-12-31", "date_to": "2000-01-02"},
    ],
)
def test_download_orders_dates_outside_the_sane_range_queue_nothing(manager_client, account, dates, monkeypatch):
    monkeypatch.setattr("channels.tasks.download_account_task.delay", lambda *args: pytest.fail("queued"))
    url = reverse("cdiscount_download", args=[account.company_id])

    response = manager_client.post(url, dates)

    assert response.status_code == 200
    assert "Enter a date from 01/01/2000 to " in response.content.decode()
    assert not SyncRun.objects.exists()


def test_download_orders_queues_a_run_and_shows_its_progress(
    manager_client, account, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("channels.tasks.download_account_task.delay", lambda *args: queued.append(args))
    url = reverse("cdiscount_download", args=[account.company_id])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url, {"date_from": days_ago(account, 30), "date_to": days_ago(account, 29)})
    run = SyncRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("sync_run", args=[run.pk])
    assert run.is_backfill and queued == [(account.pk, run.pk)]
    page = manager_client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Queued" in page


def test_download_while_one_runs_links_to_that_run(manager_client, account):
    running = SyncRun.objects.create(account=account, kind="download", status="processing")
    lock = DOWNLOAD.lock(account.pk)  # held by that run
    assert lock.acquire()
    try:
        response = manager_client.post(reverse("cdiscount_download", args=[account.company_id]), {}, follow=True)
    finally:
        lock.release()
    assert response.redirect_chain[-1][0] == reverse("sync_run", args=[running.pk])
    assert "already running" in response.content.decode()
    assert SyncRun.objects.count() == 1


def test_get_token_reports_the_marketplace_refusal(manager_client, account, settings):
    settings.CDISCOUNT_SANDBOX_URL = "http://127.0.0.1:9"
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.001
    response = manager_client.post(reverse("cdiscount_get_token", args=[account.company_id]), follow=True)
    assert "Get Token failed" in response.content.decode()
    assert SECRET not in response.content.decode()
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED


def test_download_order_by_id_queues_a_run_for_that_order(
    manager_client, account, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("channels.tasks.download_account_task.delay", lambda *args: queued.append(args))
    url = reverse("cdiscount_download_order", args=[account.company_id])
    assert "Letters, digits" in manager_client.post(url, {"channel_order_id": "not an id"}).content.decode()
    assert not SyncRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url, {"channel_order_id": " 2611291365RKJRZ "})
    run = SyncRun.objects.get()
    assert run.channel_order_id == "2611291365RKJRZ" and not run.is_backfill
    assert response["Location"] == reverse("sync_run", args=[run.pk]) and queued == [(account.pk, run.pk)]
