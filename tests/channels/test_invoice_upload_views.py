"""Upload invoices to Cdiscount on the pages (issue 21): the General Settings option, Order Details'
invoice panel with Retry, the Sync Log's invoice upload runs, and Failed Uploads with Retry."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import CdiscountAccount, InvoiceUpload, SettingsChange, SyncRun
from invoices.credit_notes import credit_note_for_cancel
from invoices.models import Invoice
from orders.choices import OrderStatus
from orders.models import Order
from tests.channels.test_invoice_upload import (
    invoice_posts,
    invoice_run,
    invoice_sandbox,
    shipped_with_invoice_upload,
    upload_of,
)
from tests.channels.test_settings_views import form_data
from tests.factories import CdiscountAccountFactory, MembershipFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = InvoiceUpload.Status


@pytest.fixture(autouse=True)
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    settings.CDISCOUNT_MAX_ATTEMPTS = 8


@pytest.fixture
def account(company):
    return CdiscountAccountFactory(company=company)


@pytest.fixture
def queued(monkeypatch):
    """The invoice upload tasks enqueued (after commit), as (account id, run id)."""
    calls = []
    monkeypatch.setattr("channels.tasks.invoice_upload_account_task.delay", lambda *args: calls.append(args))
    return calls


def failed_upload(account, **fields) -> InvoiceUpload:
    order = OrderFactory(company=account.company, channel_account=account, ship_confirmed_at=timezone.now())
    values = {"status": Status.FAILED, "error": "Cdiscount refused the invoice (HTTP 400): <b>bad</b>", "attempts": 1}
    values.update(fields)
    return InvoiceUpload.objects.create(account=account, order=order, **values)


def manager_of(account):
    user = UserFactory()
    MembershipFactory(user=user, company=account.company, can_manage_channel=True, can_view_orders=True)
    return user


# --- General Settings -------------------------------------------------------------------------


def test_turning_the_option_on_records_when_and_is_audited(manager_client, manager, account):
    before = timezone.now()

    response = manager_client.post(
        reverse("cdiscount_settings_edit", args=[account.company_id]),
        form_data(account, invoice_upload_enabled="on"),
    )

    assert response.status_code == 302
    account = CdiscountAccount.objects.get(pk=account.pk)
    assert account.invoice_upload_enabled and account.invoice_upload_since >= before
    assert account.next_invoice_upload_at is not None and account.next_invoice_upload_at <= timezone.now()
    change = SettingsChange.objects.get(field="Upload invoices to Cdiscount")
    assert (change.old_value, change.new_value, change.user) == ("No", "Yes", manager)
    page = manager_client.get(reverse("cdiscount_settings", args=[account.company_id])).content.decode()
    assert "Upload invoices to Cdiscount" in page and "credit notes stay here" in page


def test_the_edit_form_offers_the_option_under_fulfillment(manager_client, account):
    page = manager_client.get(reverse("cdiscount_settings_edit", args=[account.company_id])).content.decode()
    fulfillment = page[page.index('id="fulfillment-h"') :]
    assert '<label for="id_invoice_upload_enabled"' in fulfillment


def test_turning_it_off_keeps_the_date_and_on_again_moves_it(manager_client, account):
    CdiscountAccount.objects.filter(pk=account.pk).update(
        invoice_upload_enabled=True, invoice_upload_since=timezone.now() - timezone.timedelta(days=3)
    )
    account.refresh_from_db()
    first = account.invoice_upload_since
    url = reverse("cdiscount_settings_edit", args=[account.company_id])

    manager_client.post(url, form_data(account, invoice_upload_enabled=None))
    account.refresh_from_db()
    assert not account.invoice_upload_enabled and account.invoice_upload_since == first

    manager_client.post(url, form_data(account, invoice_upload_enabled="on"))
    account.refresh_from_db()
    assert account.invoice_upload_since > first


# --- Order Details ----------------------------------------------------------------------------


def test_order_details_shows_the_invoice_uploaded_with_its_history(make_cdiscount_sandbox, client):
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, (order,) = shipped_with_invoice_upload(sandbox)
    invoice_run(acct)
    client.force_login(manager_of(acct))

    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()

    row = upload_of(order)
    panel = page[page.index('id="od-invoice-uploads"') :]
    assert f"Invoice {row.invoice.number}" in panel
    assert 'data-testid="invoice-upload-status">Uploaded<' in panel
    assert f"Invoice {row.invoice.number} posted to Cdiscount (import {row.import_id}: Running)" in panel
    assert f"Invoice {row.invoice.number} uploaded to Cdiscount (import {row.import_id}: Success)" in panel
    assert "Retry invoice upload" not in page


def test_order_details_says_a_credit_note_stays_local(make_cdiscount_sandbox, client):
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, (order,) = shipped_with_invoice_upload(sandbox)
    invoice_run(acct)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELED)
    credit_note_for_cancel(order_id=order.pk)  # what orders' cancel hook does after invoicing
    credit_note = Invoice.objects.get(order=order, kind=Invoice.Kind.CREDIT_NOTE)
    client.force_login(manager_of(acct))

    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()

    assert f"Credit note {credit_note.number}" in page
    assert "Stays local" in page
    assert f"Credit note {credit_note.number} stays local: Cdiscount&#x27;s API does not take credit notes" in page


def test_order_details_offers_retry_of_a_failed_invoice_upload_and_it_runs(make_cdiscount_sandbox, client):
    # given an invoice Cdiscount refused because the order was not shipped there yet
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, (order,) = shipped_with_invoice_upload(sandbox)
    sandbox.control.update_order(order.channel_order_id, status="InPreparation")
    invoice_run(acct)
    client.force_login(manager_of(acct))
    url = reverse("orders:channel_action", args=[order.pk, "retry_invoice_upload"])

    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert 'data-testid="invoice-upload-status">Failed<' in page
    assert "is InPreparation: an invoice is uploaded once the order is shipped" in page
    assert f'action="{url}"' in page

    # when Cdiscount shows it shipped and the user retries from Order Details
    sandbox.control.update_order(order.channel_order_id, status="Shipped")
    response = client.post(url, follow=True)

    # then it is uploaded, and the page says so
    assert upload_of(order).status == Status.UPLOADED
    assert f"Invoice {upload_of(order).invoice.number} uploaded to Cdiscount." in response.content.decode()
    assert [p.status for p in invoice_posts(sandbox)] == [400, 201]


def test_retry_by_a_user_without_manage_channel_is_refused_and_changes_nothing(account, client):
    row = failed_upload(account)
    reader = UserFactory()
    MembershipFactory(user=reader, company=account.company, can_view_orders=True)
    client.force_login(reader)

    response = client.post(reverse("orders:channel_action", args=[row.order_id, "retry_invoice_upload"]))

    assert response.status_code in (302, 403)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert not SyncRun.objects.exists()


# --- Sync Log ---------------------------------------------------------------------------------


def test_the_sync_log_lists_invoice_upload_runs_and_a_runs_page_counts_invoices(manager_client, account):
    run = SyncRun.objects.create(account=account, kind=SyncRun.Kind.INVOICE_UPLOAD, status="completed", uploaded=3)

    listing = manager_client.get(reverse("sync_log"), {"kind": "invoice_upload"}).content.decode()
    page = manager_client.get(reverse("sync_run", args=[run.pk])).content.decode()

    assert "Invoice upload" in listing and f'href="{reverse("sync_run", args=[run.pk])}"' in listing
    assert "invoices uploaded" in page and "Refused invoices" in page


# --- Failed Uploads ---------------------------------------------------------------------------


def test_failed_uploads_lists_failed_invoices_with_cdiscounts_words_as_text(manager_client, account):
    row = failed_upload(account)
    other = failed_upload(CdiscountAccountFactory())

    page = manager_client.get(reverse("cdiscount_failed_uploads", args=[account.company_id])).content.decode()

    section = page[page.index('id="failed-invoices-h"') :]
    assert f'data-invoice-upload="{row.pk}"' in section
    assert f'data-invoice-upload="{other.pk}"' not in section
    assert "&lt;b&gt;bad&lt;/b&gt;" in section and "<b>bad</b>" not in section
    assert "Retry invoice upload (all 1)" in section


def test_failed_uploads_retry_sets_them_pending_and_queues_one_run(
    manager_client, account, queued, django_capture_on_commit_callbacks
):
    row, untouched = failed_upload(account), failed_upload(account)
    url = reverse("cdiscount_failed_invoice_uploads_retry", args=[account.company_id])

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url, {"scope": "selected", "upload_ids": [str(row.pk)]}, follow=True)

    row.refresh_from_db()
    untouched.refresh_from_db()
    assert (row.status, row.attempts, untouched.status) == (Status.PENDING, 1, Status.FAILED)
    run = SyncRun.objects.get(kind=SyncRun.Kind.INVOICE_UPLOAD)
    assert queued == [(account.pk, run.pk)]
    assert "1 invoice(s) set back to Pending" in response.content.decode()


def test_failed_uploads_retry_without_a_selection_says_so_and_changes_nothing(manager_client, account, queued):
    row = failed_upload(account)
    url = reverse("cdiscount_failed_invoice_uploads_retry", args=[account.company_id])

    response = manager_client.post(url, {"scope": "selected"}, follow=True)

    assert "Select at least one invoice, or retry all of them." in response.content.decode()
    row.refresh_from_db()
    assert row.status == Status.FAILED and queued == [] and not SyncRun.objects.exists()


def test_failed_uploads_retry_ignores_another_accounts_ids(manager_client, account, queued):
    other = failed_upload(CdiscountAccountFactory())
    url = reverse("cdiscount_failed_invoice_uploads_retry", args=[account.company_id])

    response = manager_client.post(url, {"scope": "all"}, follow=True)

    other.refresh_from_db()
    assert other.status == Status.FAILED and queued == []
    assert "Nothing to retry" in response.content.decode()


def test_failed_uploads_retry_is_refused_to_a_reader(reader_client, account, queued):
    row = failed_upload(account)
    url = reverse("cdiscount_failed_invoice_uploads_retry", args=[account.company_id])

    response = reader_client.post(url, {"scope": "all"})

    assert response.status_code == 403
    row.refresh_from_db()
    assert row.status == Status.FAILED and queued == []


def test_the_health_card_counts_failed_invoice_uploads_with_the_failed_uploads(manager_client, account):
    failed_upload(account)
    failed_upload(account, status=Status.UPLOADED, error="")

    page = manager_client.get(reverse("cdiscount_settings", args=[account.company_id])).content.decode()

    card = page[page.index("<dt>Failed uploads</dt>") :]
    assert '<span class="status status-bad">1</span>' in card[:400]


def test_another_companys_user_gets_404_on_every_invoice_upload_url_and_changes_nothing(
    outsider_client, account, queued
):
    row = failed_upload(account)

    responses = [
        outsider_client.post(
            reverse("cdiscount_failed_invoice_uploads_retry", args=[account.company_id]), {"scope": "all"}
        ),
        outsider_client.post(reverse("orders:channel_action", args=[row.order_id, "retry_invoice_upload"])),
        outsider_client.get(reverse("orders:detail", args=[row.order_id])),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 1) and queued == []
