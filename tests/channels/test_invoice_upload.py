"""Invoices uploaded to Cdiscount exactly once (issue 21; SPEC S9), against the sandbox over real
HTTP on loopback.

Each test turns Upload invoices to Cdiscount on, downloads InPreparation orders, ships them here
and uploads their tracking (Ship Confirmed), then runs invoice uploads and checks both sides: our
invoice uploads, invoices and history, and every POST the sandbox received.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from channels.account_services import account_update_settings
from channels.invoice_upload import invoice_upload_retry, invoice_upload_run_now
from channels.models import InvoiceUpload, SyncRun
from invoices.models import Invoice
from orders.choices import EventKind
from orders.models import Order, OrderEvent
from orders.rules import OrderRuleError
from orders.services import company_today, refund_issue
from tests.channels.test_upload import download, setup_shipped, ship, upload
from tests.factories import CompanyFactory, UserFactory
from tests.invoices.conftest import LEGAL

pytestmark = pytest.mark.django_db
Status = InvoiceUpload.Status


@pytest.fixture(autouse=True)
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005
    settings.CDISCOUNT_MAX_ATTEMPTS = 8
    settings.UPLOAD_BACKOFF_BASE_SECONDS = 60


def invoice_sandbox(make_cdiscount_sandbox, **config):
    """A sandbox whose imports end at their first read (a lifecycle step would do the same)."""
    return make_cdiscount_sandbox(orders=0, invoice_import_seconds=config.pop("invoice_import_seconds", 0), **config)


def turn_on(account) -> None:
    account_update_settings(account=account, by=None, changes={"invoice_upload_enabled": True})
    account.refresh_from_db()


def shipped_with_invoice_upload(sandbox, *, count=1, company=None):
    """Invoice upload on, then `count` orders shipped here and their tracking uploaded: Ship Confirmed."""
    acct, packages = setup_shipped(sandbox, count=0, company=company or CompanyFactory(**LEGAL))
    turn_on(acct)
    orders = ship_more(sandbox, acct, count)
    return acct, orders


def ship_more(sandbox, acct, count) -> list[Order]:
    ids = sandbox.control.create_orders(count=count, status="InPreparation")
    download(acct)
    orders = [Order.objects.get(channel_account=acct, channel_order_id=cid) for cid in ids]
    for order in orders:
        ship(order)
    run = upload(acct)
    assert run.uploaded == count
    return [Order.objects.get(pk=o.pk) for o in orders]


def invoice_run(account) -> SyncRun:
    run = invoice_upload_run_now(account=account, trigger=SyncRun.Trigger.COMMAND)
    assert run is not None
    run.refresh_from_db()
    return run


def invoice_posts(sandbox, order_id=None):
    """Every POST of an invoice the sandbox received (for one order, or all), accepted or refused."""
    path = f"/orders/{order_id}/invoice-documents" if order_id else "/invoice-documents"
    return [r for r in sandbox.requests(path_contains=path) if r.method == "POST"]


def accepted(posts):
    """The POSTs the sandbox recorded (answered 201, or answered 201 and the answer lost)."""
    return [r for r in posts if r.status == 201]


def upload_of(order) -> InvoiceUpload:
    return InvoiceUpload.objects.select_related("invoice").get(order=order)


def time_passes():
    """Waiting invoice uploads become due (as after their backoff or the import's poll interval)."""
    InvoiceUpload.objects.filter(status__in=InvoiceUpload.WAITING).update(next_attempt_at=timezone.now())


def db_state(order):
    row = InvoiceUpload.objects.filter(order=order).values().first()
    return row, Invoice.objects.filter(order=order).count(), OrderEvent.objects.filter(order=order).count()


# The happy path ------------------------------------------------------------------------------


def test_each_ship_confirmed_orders_invoice_is_issued_posted_once_and_uploaded(make_cdiscount_sandbox):
    # given two orders Ship Confirmed after the option was turned on, with no invoice yet
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, orders = shipped_with_invoice_upload(sandbox, count=2)
    assert not Invoice.objects.filter(order__in=orders).exists()

    # when an invoice upload runs
    run = invoice_run(acct)

    # then each order got its invoice, posted once as a PDF named after its number, and Uploaded
    assert (run.kind, run.status, run.uploaded, run.failed) == ("invoice_upload", "completed", 2, 0)
    for order in orders:
        row = upload_of(order)
        assert row.status == Status.UPLOADED and row.uploaded_at is not None
        assert row.invoice == Invoice.objects.get(order=order, kind=Invoice.Kind.INVOICE)
        (post,) = invoice_posts(sandbox, order.channel_order_id)
        assert post.status == 201
        assert post.body["file"]["fileName"] == f"{row.invoice.number}.pdf"
        assert post.body["file"]["contentType"] == "application/pdf" and post.body["file"]["size"] > 1000
        history = list(OrderEvent.objects.filter(order=order, kind=EventKind.INVOICE).values_list("message", flat=True))
        assert f"Invoice {row.invoice.number} uploaded to Cdiscount (import {row.import_id}: Success)" in history
    # ... and an upload is not a print
    assert set(Invoice.objects.filter(order__in=orders).values_list("printed_count", flat=True)) == {0}

    # when another run comes: nothing is posted again
    again = invoice_run(acct)
    assert again.uploaded == 0 and len(invoice_posts(sandbox)) == 2


def test_an_import_still_running_is_followed_by_a_later_run_without_posting_again(make_cdiscount_sandbox):
    sandbox = invoice_sandbox(make_cdiscount_sandbox, invoice_import_seconds=3600)
    acct, (order,) = shipped_with_invoice_upload(sandbox)

    first = invoice_run(acct)
    assert upload_of(order).status == Status.IMPORTING
    assert "still importing" in first.log and first.status == "completed"

    sandbox.control.advance(order_ids=[order.channel_order_id])  # a lifecycle step: the import ends
    time_passes()
    invoice_run(acct)

    assert upload_of(order).status == Status.UPLOADED
    assert len(invoice_posts(sandbox)) == 1


def test_an_order_ship_confirmed_before_the_option_was_turned_on_is_not_posted(make_cdiscount_sandbox):
    # given an order Ship Confirmed while Upload invoices to Cdiscount was off
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, _ = setup_shipped(sandbox, count=0, company=CompanyFactory(**LEGAL))
    (before,) = ship_more(sandbox, acct, 1)
    # when the option is turned on, and another order ships after
    turn_on(acct)
    assert acct.invoice_upload_since > before.ship_confirmed_at
    (after,) = ship_more(sandbox, acct, 1)
    run = invoice_run(acct)

    # then only the later one is posted
    assert run.uploaded == 1
    assert invoice_posts(sandbox, before.channel_order_id) == []
    assert len(accepted(invoice_posts(sandbox, after.channel_order_id))) == 1
    assert not InvoiceUpload.objects.filter(order=before).exists()


def test_nothing_is_posted_while_the_option_is_off(make_cdiscount_sandbox):
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, _ = setup_shipped(sandbox, count=0, company=CompanyFactory(**LEGAL))
    ship_more(sandbox, acct, 1)

    run = invoice_run(acct)

    assert run.uploaded == 0 and invoice_posts(sandbox) == [] and not InvoiceUpload.objects.exists()


# Exactly once --------------------------------------------------------------------------------


def test_a_lost_answer_is_found_by_the_read_back_and_never_posted_again(make_cdiscount_sandbox):
    # given a post Cdiscount records but whose answer is lost
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, (order,) = shipped_with_invoice_upload(sandbox)
    sandbox.control.set_faults(next_lost_answers=1)

    first = invoice_run(acct)
    row = upload_of(order)
    assert row.status == Status.PENDING and row.attempts == 1 and "retried later" in row.error
    assert first.status == "partial"

    # when a later run takes it
    time_passes()
    invoice_run(acct)

    # then it read the documents first, found the invoice there and did not post it again
    row = upload_of(order)
    assert row.status == Status.UPLOADED
    posts = invoice_posts(sandbox, order.channel_order_id)
    assert [(p.status, p.fault) for p in posts] == [(201, "lost_answer")]
    reads = [r for r in sandbox.requests(path_contains="/invoice-documents") if r.method == "GET"]
    assert len(reads) == 1
    messages = OrderEvent.objects.filter(order=order, kind=EventKind.INVOICE).values_list("message", flat=True)
    assert any("already on Cdiscount" in m for m in messages)


def test_a_5xx_on_the_post_is_retried_with_backoff_after_reading_the_documents(make_cdiscount_sandbox):
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, (order,) = shipped_with_invoice_upload(sandbox)
    sandbox.control.set_faults(next_errors=1)

    invoice_run(acct)
    row = upload_of(order)
    assert row.status == Status.PENDING and row.next_attempt_at > timezone.now() + timedelta(seconds=30)
    # not due yet: a run now leaves it alone
    invoice_run(acct)
    assert len(invoice_posts(sandbox)) == 1

    time_passes()
    invoice_run(acct)

    assert upload_of(order).status == Status.UPLOADED
    assert [p.status for p in invoice_posts(sandbox)] == [503, 201]


# Refusals ------------------------------------------------------------------------------------


def test_a_refusal_is_failed_with_cdiscounts_words_and_only_a_user_retries_it(make_cdiscount_sandbox):
    # given an order Ship Confirmed here that Cdiscount does not show shipped (yet)
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, (order,) = shipped_with_invoice_upload(sandbox)
    sandbox.control.update_order(order.channel_order_id, status="InPreparation")

    # when an invoice upload runs
    run = invoice_run(acct)

    # then it is Failed with Cdiscount's words, in the order's history and the run's log
    row = upload_of(order)
    assert row.status == Status.FAILED
    assert row.error.startswith("Cdiscount refused the invoice (HTTP 400): Validation Failed")
    assert f"Order {order.channel_order_id} is InPreparation: an invoice is uploaded once the order is shipped" in (
        row.error
    )
    assert run.status == "partial" and run.failed == 1 and row.error in run.log
    assert OrderEvent.objects.filter(order=order, message__contains="upload to Cdiscount failed").exists()

    # when later runs come, even after time passes: no post
    time_passes()
    before = db_state(order)
    invoice_run(acct)
    assert db_state(order) == before
    assert len(invoice_posts(sandbox)) == 1

    # when Cdiscount shows it shipped and a user retries
    sandbox.control.update_order(order.channel_order_id, status="Shipped")
    user = UserFactory()
    done = invoice_upload_retry(order=order, by=user)

    # then its documents were read first, it was posted once more and is Uploaded
    assert (done.status, done.error, done.attempts) == (Status.UPLOADED, "", 2)
    calls = [(r.method, r.status) for r in sandbox.requests(path_contains="/invoice-documents")]
    assert calls == [("POST", 400), ("GET", 200), ("POST", 201)]
    retry = OrderEvent.objects.get(order=order, message__startswith="Upload retry of invoice")
    assert retry.user == user
    assert SyncRun.objects.filter(account=acct, kind="invoice_upload", trigger="retry").count() == 1


def test_retry_refuses_an_upload_that_is_not_failed_and_changes_nothing(make_cdiscount_sandbox):
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, (order,) = shipped_with_invoice_upload(sandbox)
    invoice_run(acct)
    before = db_state(order)

    with pytest.raises(OrderRuleError, match="The invoice upload is Uploaded: only a Failed one is retried"):
        invoice_upload_retry(order=order, by=None)

    assert db_state(order) == before and len(invoice_posts(sandbox)) == 1


def test_a_failed_import_is_failed_with_cdiscounts_words(make_cdiscount_sandbox):
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, (order,) = shipped_with_invoice_upload(sandbox)
    sandbox.control.set_faults(next_import_failures=1)

    invoice_run(acct)

    row = upload_of(order)
    assert row.status == Status.FAILED
    assert row.error == (
        f"Cdiscount's import {row.import_id} ended Failure at step FileCheck: The invoice file could not be read."
    )


def test_an_invoice_that_cannot_be_issued_is_failed_with_the_reason_and_never_posted(make_cdiscount_sandbox):
    # given a company whose legal details are incomplete (no SIRET, no VAT number)
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, (order,) = shipped_with_invoice_upload(sandbox, company=CompanyFactory())

    invoice_run(acct)

    row = upload_of(order)
    assert row.status == Status.FAILED and row.error.startswith("No invoice could be issued: No invoice can be issued")
    assert row.invoice is None and not Invoice.objects.filter(order=order).exists()
    assert invoice_posts(sandbox) == []


def test_a_credit_note_is_never_posted(make_cdiscount_sandbox, django_capture_on_commit_callbacks):
    # given an uploaded invoice, then a refund that issues a credit note
    sandbox = invoice_sandbox(make_cdiscount_sandbox)
    acct, (order,) = shipped_with_invoice_upload(sandbox)
    invoice_run(acct)
    payment = order.payments.get()
    with django_capture_on_commit_callbacks(execute=True):
        refund_issue(
            order=order,
            payment=payment,
            amount=payment.amount,
            refund_date=company_today(order),
            notes="Colis perdu",
            by=UserFactory(),
            form_token=uuid.uuid4(),
        )
    assert Invoice.objects.filter(order=order, kind=Invoice.Kind.CREDIT_NOTE).exists()

    # when more runs come
    time_passes()
    invoice_run(acct)

    # then only the invoice was ever posted
    assert len(invoice_posts(sandbox)) == 1
