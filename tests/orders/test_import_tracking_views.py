"""Manage Orders > Actions > Import Tracking (SPEC S8, S12): the upload page, the background job
and its report, a bad file, an oversized file, who may import, CSRF."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.choices import OrderStatus, PaymentStatus, ShippingStatus
from orders.models import Order, Package, TrackingImportJob
from orders.services import TRACKING_NUMBER_INVALID
from orders.tracking_import import MAX_BYTES
from tests.factories import CdiscountAccountFactory, CompanyFactory, MembershipFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

IMPORT = "orders:import_tracking"
REPORT = "orders:import_tracking_report"
JOB = "orders:import_tracking_job"


@pytest.fixture
def company_a():
    return CompanyFactory(name="Maison A")


@pytest.fixture
def clerk(company_a):
    """May process the orders of company A only."""
    user = UserFactory()
    MembershipFactory(user=user, company=company_a, can_process_orders=True)
    return user


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def paid(company, **fields) -> Order:
    return OrderFactory(company=company, payment_status=PaymentStatus.CHARGED, **fields)


def upload(name: str, content: bytes, content_type: str = "text/csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def import_file(client, name: str, content: bytes, django_capture_on_commit_callbacks):
    """Upload `content`, check that the request only queued it (one task, on commit), run that
    task here, and return the job's page as the browser would find it after the redirect."""
    packages = Package.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse(IMPORT), {"file": upload(name, content)})
    job = TrackingImportJob.objects.latest("pk")
    assert response.status_code == 302 and response.url == reverse(JOB, args=[job.pk])
    assert len(callbacks) == 1 and Package.objects.count() == packages  # nothing shipped in the request
    callbacks[0]()  # the task, run eagerly
    return client.get(response.url)


def report_rows(response) -> list[dict]:
    return [
        {"row": r.row, "order_ref": r.order_ref, "shipped": r.outcome == "shipped", "message": r.message}
        for r in response.context["page"]
    ]


def state(order: Order) -> tuple:
    order.refresh_from_db()
    return (order.status, order.shipping_status, order.packages.count(), order.events.count())


def test_the_menu_offers_import_tracking_and_the_page_says_the_columns(clerk_client, company_a):
    OrderFactory(company=company_a)
    entries = {e.key: e for e in clerk_client.get(reverse("orders:list")).context["action_entries"]}
    assert entries["import_tracking"].url == reverse(IMPORT) and not entries["import_tracking"].disabled_reason
    # picked from the menu with the grid's form (any selection): it opens its page
    response = clerk_client.post(reverse("orders:bulk"), {"action": "import_tracking", "ids": ["1"]})
    assert response.status_code == 302 and response.url == reverse(IMPORT)

    html = clerk_client.get(reverse(IMPORT)).content.decode()
    assert 'enctype="multipart/form-data"' in html and "csrfmiddlewaretoken" in html
    assert '<label for="id_file">CSV file' in html
    for column in ("Order ID", "Channel Order ID", "Carrier", "Tracking Number", "Ship Date"):
        assert f"<strong>{column}</strong>" in html
    assert "Order ID,Channel Order ID,Carrier,Tracking Number,Ship Date\n1234,,La Poste Colissimo" in html


def test_each_row_is_reported_and_only_the_good_order_changes(
    clerk_client, company_a, eager_celery, django_capture_on_commit_callbacks
):
    # given a good order, one whose row has a tracking number with a space, one of another company
    CdiscountAccountFactory(company=company_a, upload_enabled=True)
    good, spaced = paid(company_a), paid(company_a)
    foreign = paid(CompanyFactory(name="Maison B"))
    before = {o.pk: state(o) for o in (spaced, foreign)}
    today = timezone.localdate()
    text = (
        "Order ID,Carrier,Tracking Number,Ship Date\n"
        f"{good.pk},Colissimo,6A0000000001,{today:%d/%m/%Y}\n"
        f"{spaced.pk},Colissimo,6A 0002,{today.isoformat()}\n"
        f"{foreign.pk},Colissimo,6A0000000003,{today.isoformat()}\n"
    )

    # when
    response = import_file(clerk_client, "tracking.csv", text.encode(), django_capture_on_commit_callbacks)

    # then the report: row number, order reference, Shipped or the reason, and the counts
    html = response.content.decode()
    rows = report_rows(response)
    assert [(r["row"], r["order_ref"], r["shipped"]) for r in rows] == [
        (2, str(good.pk), True),
        (3, str(spaced.pk), False),
        (4, str(foreign.pk), False),
    ]
    assert rows[0]["message"].startswith("Shipped with Colissimo 6A0000000001")
    assert rows[1]["message"] == TRACKING_NUMBER_INVALID
    assert rows[2]["message"] == f"Order {foreign.pk} not found."
    assert "<strong>3</strong> of 3 rows done (100%)" in html and "1 shipped" in html and "2 errors" in html
    assert response.context["job"].status == TrackingImportJob.Status.COMPLETED
    assert "hx-trigger" not in html  # finished: the page no longer polls
    assert "Tracking number may hold only letters A-Z, digits 0-9 and hyphens (-)" in html
    assert f"Order {foreign.pk} not found." in html
    assert f'<a href="{reverse("orders:detail", args=[good.pk])}">{good.pk}</a>' in html
    # and only the good order changed
    good.refresh_from_db()
    assert (good.status, good.shipping_status) == (OrderStatus.COMPLETED, ShippingStatus.FULLY_SHIPPED)
    assert good.packages.get().tracking_number == "6A0000000001"
    assert {o.pk: state(o) for o in (spaced, foreign)} == before

    # reloading the report imports nothing again; the last report's old address leads to it
    assert clerk_client.get(response.wsgi_request.path).status_code == 200
    job_url = response.wsgi_request.path
    assert clerk_client.get(reverse(REPORT)).url == job_url
    assert Package.objects.count() == 1
    # and the Import Tracking page lists it among the recent imports
    assert f'<a href="{job_url}">tracking.csv</a>' in clerk_client.get(reverse(IMPORT)).content.decode()


def test_a_shipping_cost_its_column_cannot_hold_is_reported_and_the_order_still_opens(
    clerk_client, company_a, eager_celery, django_capture_on_commit_callbacks
):
    order = paid(company_a)
    before = state(order)
    text = f"Order ID,Carrier,Tracking Number,Ship Date,Shipping Cost\n{order.pk},Colissimo,6A01,,99999999999\n"

    response = import_file(clerk_client, "t.csv", text.encode(), django_capture_on_commit_callbacks)

    rows = report_rows(response)
    message = "Shipping cost must be an amount such as 12.50 (at most 10 digits before the decimal point and 2 after)."
    assert [(r["row"], r["shipped"], r["message"]) for r in rows] == [(2, False, message)]
    assert message in response.content.decode()
    assert state(order) == before and not Package.objects.exists()
    assert clerk_client.get(reverse("orders:detail", args=[order.pk])).status_code == 200


def test_markup_in_a_row_is_shown_as_text(clerk_client, company_a, eager_celery, django_capture_on_commit_callbacks):
    text = "Channel Order ID,Carrier,Tracking Number\n<script>alert(1)</script>,Colissimo,6A01\n"
    name = "<img src=x>.csv"
    html = import_file(clerk_client, name, text.encode(), django_capture_on_commit_callbacks).content.decode()
    assert "<script>alert(1)" not in html
    assert "Order &lt;script&gt;alert(1)&lt;/script&gt; not found." in html
    assert "<img src=x>" not in html and "&lt;img src=x&gt;.csv" in html


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("orders.xlsx", b"PK\x03\x04\x14\x00\x06\x00binary spreadsheet", "This is not a CSV file"),
        ("picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV file"),
        ("empty.csv", b"", "The file is empty."),
        ("blank.csv", b"  \n\n", "The file is empty."),
        ("bom.csv", b"\xef\xbb\xbf", "The file is empty."),
        ("bom-lines.csv", b"\xef\xbb\xbf\r\n\r\n", "The file is empty."),
        ("notes.csv", b"Hello,World\nfoo,bar\n", "The first row must be a header with the columns"),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(clerk_client, company_a, name, content, message):
    order = paid(company_a)
    before = state(order)

    response = clerk_client.post(reverse(IMPORT), {"file": upload(name, content)})

    assert response.status_code == 200  # the form again, with the message on top
    html = response.content.decode()
    assert '<div class="message message-error" role="alert">Nothing was imported: ' in html
    assert message in html
    assert state(order) == before
    assert not Package.objects.exists() and not TrackingImportJob.objects.exists()
    assert clerk_client.get(reverse(REPORT)).status_code == 302


def test_no_file_and_an_oversized_file_are_refused(clerk_client, company_a):
    order = paid(company_a)
    before = state(order)
    html = clerk_client.post(reverse(IMPORT), {}).content.decode()
    assert "Nothing was imported: Choose a CSV file to import." in html

    big = b"Order ID,Carrier,Tracking Number,Ship Date\n" + b"x" * MAX_BYTES
    html = clerk_client.post(reverse(IMPORT), {"file": upload("big.csv", big)}).content.decode()

    assert "Nothing was imported: The file is too large (2.0 MB): at most 2 MB. Split it into several files." in html
    assert state(order) == before


def test_without_process_orders_the_page_and_the_post_are_403(client, company_a):
    viewer = UserFactory()
    MembershipFactory(user=viewer, company=company_a, can_view_orders=True, can_process_orders=False)
    order = paid(company_a)
    before = state(order)
    client.force_login(viewer)

    entries = {e.key: e for e in client.get(reverse("orders:list")).context["action_entries"]}
    assert entries["import_tracking"].disabled_reason
    assert client.get(reverse(IMPORT)).status_code == 403
    text = f"Order ID,Carrier,Tracking Number\n{order.pk},Colissimo,6A01\n".encode()
    assert client.post(reverse(IMPORT), {"file": upload("t.csv", text)}).status_code == 403
    assert client.get(reverse(REPORT)).status_code == 403
    assert state(order) == before


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse(IMPORT))
    assert response.status_code == 302 and "/login" in response.url


def test_the_post_needs_the_csrf_token(clerk, company_a):
    order = paid(company_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    text = f"Order ID,Carrier,Tracking Number\n{order.pk},Colissimo,6A01\n".encode()

    assert client.post(reverse(IMPORT), {"file": upload("t.csv", text)}).status_code == 403
    assert not Package.objects.exists()


# --- The job's page (issue 14, point 2) --------------------------------------------------------------


def make_job(user, company, *, rows: int = 3, **fields) -> TrackingImportJob:
    from orders.tracking_import_jobs import tracking_import_job_create

    orders = [paid(company) for _ in range(rows)]
    text = "Order ID,Carrier,Tracking Number\n" + "".join(f"{o.pk},Colissimo,6A{i:04}\n" for i, o in enumerate(orders))
    job = tracking_import_job_create(file=text.encode(), user=user, name="suivi.csv")
    if fields:
        TrackingImportJob.objects.filter(pk=job.pk).update(**fields)
        job.refresh_from_db()
    return job


def test_a_running_job_shows_its_progress_and_polls_until_it_ends(clerk_client, clerk, company_a):
    # given a job half done
    job = make_job(clerk, company_a, rows=4, status="running", runner="r", heartbeat_at=timezone.now(), next_row=2)

    # when its page is opened
    html = clerk_client.get(reverse(JOB, args=[job.pk])).content.decode()

    # then it shows the progress, asks for it again every second, and no report yet
    progress_url = reverse("orders:import_tracking_job_progress", args=[job.pk])
    assert f'hx-get="{progress_url}" hx-trigger="every 1s"' in html
    assert "<strong>2</strong> of 4 rows done (50%)" in html and "Running in the background" in html
    assert "Import Tracking report" not in html and 'src="/static/js/htmx.min.js"' in html

    # when htmx asks while it runs: the panel; once it is done: the panel and a reload of the page
    polled = clerk_client.get(progress_url, HTTP_HX_REQUEST="true")
    assert "hx-trigger" in polled.content.decode() and "HX-Refresh" not in polled.headers
    TrackingImportJob.objects.filter(pk=job.pk).update(status="completed", next_row=4, runner="")
    polled = clerk_client.get(progress_url, HTTP_HX_REQUEST="true")
    assert polled.headers["HX-Refresh"] == "true" and "hx-trigger" not in polled.content.decode()
    html = clerk_client.get(reverse(JOB, args=[job.pk])).content.decode()
    assert "Import Tracking report" in html and "htmx.min.js" not in html


def test_a_stale_job_is_shown_failed_and_resume_queues_it_once(
    clerk_client, clerk, company_a, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from orders.tasks import tracking_import_job_task

    # given a job whose worker stopped giving signs of life after 2 of its 3 rows
    settings.ORDERS_IMPORT_STALE_SECONDS = 120
    long_ago = timezone.now() - timezone.timedelta(minutes=5)
    job = make_job(clerk, company_a, status="running", runner="r", heartbeat_at=long_ago, next_row=2)

    # when its page is opened: Failed, where it stopped, the rows done, and Resume
    html = clerk_client.get(reverse(JOB, args=[job.pk])).content.decode()
    assert "The import stopped at row 4: its worker gave no sign of life since" in html
    assert ">Resume</button>" in html and "hx-trigger" not in html
    job.refresh_from_db()
    assert job.status == TrackingImportJob.Status.FAILED

    # when the user resumes it: one task, queued on commit
    queued = []
    monkeypatch.setattr(tracking_import_job_task, "delay", lambda job_id: queued.append(job_id))
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(reverse("orders:import_tracking_job_resume", args=[job.pk]), follow=True)
    assert queued == [job.pk]
    assert "Import resumed from row 4." in response.content.decode()
    job.refresh_from_db()
    assert job.status == TrackingImportJob.Status.QUEUED and job.next_row == 2

    # and resuming it again (a double click) queues nothing more
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(reverse("orders:import_tracking_job_resume", args=[job.pk]), follow=True)
    assert queued == [job.pk] and "This import is not stopped: there is nothing to resume." in response.content.decode()


def test_a_job_is_its_owners_only(client, clerk, company_a):
    # given a job of the clerk, and a colleague who may process the same orders, and a Client Admin
    job = make_job(clerk, company_a)
    colleague = UserFactory()
    MembershipFactory(user=colleague, company=company_a, can_process_orders=True)
    admin = UserFactory(is_client_admin=True)
    urls = [
        reverse(JOB, args=[job.pk]),
        reverse("orders:import_tracking_job_progress", args=[job.pk]),
    ]
    resume = reverse("orders:import_tracking_job_resume", args=[job.pk])

    for other in (colleague, admin):
        client.force_login(other)
        assert [client.get(url).status_code for url in urls] == [404, 404]
        assert client.post(resume).status_code == 404
        assert "suivi.csv" not in client.get(reverse(IMPORT)).content.decode()
    job.refresh_from_db()
    assert job.status == TrackingImportJob.Status.QUEUED


def test_the_report_is_paged_and_can_list_only_the_errors(clerk_client, clerk, company_a, monkeypatch):
    from orders.models import TrackingImportRow
    from orders.views import tracking_import as views

    monkeypatch.setattr(views, "REPORT_PAGE_ROWS", 2)
    job = make_job(clerk, company_a, rows=0, status="completed", total_rows=5, next_row=5, shipped=3, errors=2)
    for row, outcome in [(2, "shipped"), (3, "error"), (4, "shipped"), (5, "error"), (6, "shipped")]:
        TrackingImportRow.objects.create(job=job, row=row, order_ref=f"R{row}", outcome=outcome, message=f"m{row}")
    url = reverse(JOB, args=[job.pk])

    page_1 = clerk_client.get(url)
    assert [r.row for r in page_1.context["page"]] == [2, 3]
    assert "Rows 1–2 of 5 · page 1 of 3" in page_1.content.decode()
    assert [r.row for r in clerk_client.get(url, {"page": 3}).context["page"]] == [6]
    assert 'href="?page=2"' in page_1.content.decode()
    errors = clerk_client.get(url, {"show": "errors"})
    assert [r.row for r in errors.context["page"]] == [3, 5]
    assert "Rows with an error" in errors.content.decode()
