"""The Sync Log, a run's page with its live progress, and Retry of a problem (issue #6, SPEC S3, S7, S12)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import SyncProblem, SyncRun
from channels.services import download_run_now
from orders.models import Order
from tests.channels.conftest import logged_in
from tests.factories import CdiscountAccountFactory, CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(company):
    return CdiscountAccountFactory(company=company)


@pytest.fixture
def other_account():
    return CdiscountAccountFactory(company=CompanyFactory(name="Autre Maison SARL"))


def run_of(account, minutes_ago=0, **fields) -> SyncRun:
    values = {"kind": SyncRun.Kind.DOWNLOAD, "status": SyncRun.Status.COMPLETED}
    values.update(fields)
    return SyncRun.objects.create(account=account, queued_at=timezone.now() - timedelta(minutes=minutes_ago), **values)


def listed_ids(response) -> list[int]:
    return [run.pk for run in response.context["page"]]


def test_sync_log_is_in_the_navigation(manager_client):
    page = manager_client.get(reverse("home")).content.decode()
    assert f'href="{reverse("sync_log")}"' in page and ">Sync</h2>" in page


def test_lists_only_the_users_companies_runs_newest_first(manager_client, account, other_account):
    old, new = run_of(account, minutes_ago=10), run_of(account, minutes_ago=1)
    run_of(other_account)
    response = manager_client.get(reverse("sync_log"))
    assert listed_ids(response) == [new.pk, old.pk]
    assert "Autre Maison" not in response.content.decode()


def test_filters_live_in_the_url_and_survive_paging(manager_client, account, company):
    failed = [run_of(account, minutes_ago=i, status=SyncRun.Status.FAILED) for i in range(55)]
    run_of(account, kind=SyncRun.Kind.TOKEN)
    response = manager_client.get(reverse("sync_log"), {"company": company.pk, "kind": "download", "status": "failed"})
    assert len(listed_ids(response)) == 50
    assert set(listed_ids(response)) <= {r.pk for r in failed}
    page = response.content.decode()
    assert f"company={company.pk}&amp;kind=download&amp;status=failed&amp;page=2" in page
    second = manager_client.get(
        reverse("sync_log"), {"company": company.pk, "kind": "download", "status": "failed", "page": 2}
    )
    assert len(listed_ids(second)) == 5


def test_filtering_on_another_company_shows_nothing(manager_client, account, other_account):
    run_of(account)
    run_of(other_account)
    response = manager_client.get(reverse("sync_log"), {"company": other_account.company_id})
    assert listed_ids(response) == []


def test_run_page_shows_window_counts_log_and_problems_as_text(manager_client, account):
    account.company.time_zone = "Europe/Paris"
    account.company.save()
    start = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)
    run = run_of(
        account,
        window_from=start,
        window_to=start + timedelta(hours=1),
        status=SyncRun.Status.PARTIAL,
        created=7,
        failed=1,
        api_calls=3,
        log="2611290001ABC: accepted",
    )
    SyncProblem.objects.create(
        run=run, channel_order_id="2611290002XYZ", message="bad price", raw_payload={"customer": "<script>x</script>"}
    )
    page = manager_client.get(reverse("sync_run", args=[run.pk])).content.decode()
    assert "29/11/2026 14:00" in page and "29/11/2026 15:00" in page  # Paris time
    assert 'data-count="created">7<' in page and "Partial Success" in page
    assert "2611290001ABC: accepted" in page and "bad price" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert 'hx-trigger="every 2s"' not in page  # finished: no polling


def test_progress_partial_polls_only_while_the_run_is_active(manager_client, account):
    run = run_of(account, status=SyncRun.Status.PROCESSING, pages=2, created=150)
    partial = manager_client.get(reverse("sync_run_progress", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in partial and 'data-count="created">150<' in partial
    assert "<html" not in partial
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.COMPLETED, finished_at=timezone.now())
    partial = manager_client.get(reverse("sync_run_progress", args=[run.pk])).content.decode()
    assert "hx-trigger" not in partial and "Completed" in partial


def test_another_companys_run_problem_and_retry_are_404(manager_client, other_account):
    run = run_of(other_account)
    problem = SyncProblem.objects.create(run=run, channel_order_id="X1", message="bad")
    assert manager_client.get(reverse("sync_run", args=[run.pk])).status_code == 404
    assert manager_client.get(reverse("sync_run_progress", args=[run.pk])).status_code == 404
    assert manager_client.post(reverse("sync_problem_retry", args=[problem.pk])).status_code == 404
    assert SyncRun.objects.count() == 1


def test_retry_needs_the_manage_channel_permission(reader_client, account):
    problem = SyncProblem.objects.create(run=run_of(account), channel_order_id="X1", message="bad")
    page = reader_client.get(reverse("sync_run", args=[problem.run_id])).content.decode()
    assert ">Retry<" not in page
    assert reader_client.post(reverse("sync_problem_retry", args=[problem.pk])).status_code == 403
    assert SyncRun.objects.count() == 1


PAYLOAD = {
    "orderId": "2611290002XYZ",
    "billingAddress": {"firstName": "Hélène", "lastName": "Lefèvre", "street": "12 rue des Lilas"},
}


@pytest.mark.parametrize("grants", [{"can_manage_channel": True}, {}], ids=["manage-channel", "no-permission"])
def test_without_view_orders_a_run_shows_its_counts_but_no_payload_log_or_problem(account, company, grants):
    # given a member of the company without View orders, and a run with a problem and a log
    member = UserFactory()
    MembershipFactory(user=member, company=company, can_view_orders=False, **grants)
    client = logged_in(member)
    run = run_of(account, status=SyncRun.Status.PARTIAL, created=7, failed=1, log="2611290001ABC: accepted")
    problem = SyncProblem.objects.create(
        run=run, channel_order_id="2611290002XYZ", message="Hélène Lefèvre: bad price", raw_payload=PAYLOAD
    )

    # when they open the run, its live part, and post a retry of the problem
    pages = [client.get(reverse(name, args=[run.pk])) for name in ("sync_run", "sync_run_progress")]
    retry = client.post(reverse("sync_problem_retry", args=[problem.pk]))

    # then the counts show, the customer, the order ids and the log do not; the retry is refused
    for response in pages:
        page = response.content.decode()
        assert response.status_code == 200
        assert 'data-count="created">7<' in page and "Partial Success" in page
        assert "1 order could not be taken" in page and "Needs the View orders permission" in page
        for secret in ("Hélène", "Lefèvre", "rue des Lilas", "2611290002XYZ", "2611290001ABC", "bad price"):
            assert secret not in page
    assert retry.status_code == 403
    problem.refresh_from_db()
    assert problem.resolved_at is None and SyncRun.objects.count() == 1


def test_with_view_orders_a_run_shows_its_problems_payloads_and_log(reader_client, account):
    run = run_of(account, failed=1, log="2611290001ABC: accepted")
    SyncProblem.objects.create(run=run, channel_order_id="2611290002XYZ", message="bad price", raw_payload=PAYLOAD)

    page = reader_client.get(reverse("sync_run", args=[run.pk])).content.decode()

    assert "rue des Lilas" in page and "2611290002XYZ" in page and "2611290001ABC: accepted" in page


def test_retry_is_post_only(manager_client, account):
    problem = SyncProblem.objects.create(run=run_of(account), channel_order_id="X1", message="bad")
    assert manager_client.get(reverse("sync_problem_retry", args=[problem.pk])).status_code == 405


@pytest.fixture
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005


def test_retry_imports_a_repaired_order_and_resolves_the_problem(
    manager_client, company, make_cdiscount_sandbox, fast_client
):
    # given a download where one order came malformed
    sandbox = make_cdiscount_sandbox(orders=5)
    account = CdiscountAccountFactory(
        company=company,
        environment="custom",
        custom_api_base_url=sandbox.api_base_url,
        custom_token_url=sandbox.token_url,
        client_id=sandbox.config.client_id,
        client_secret=sandbox.config.client_secret,
        seller_id=sandbox.config.seller_id,
    )
    [order_id] = sandbox.control.create_orders(status="InPreparation", malformed="bad_price")
    run = download_run_now(account=account, trigger=SyncRun.Trigger.COMMAND)
    problem = SyncProblem.objects.get(run=run, channel_order_id=order_id)
    retry_url = reverse("sync_problem_retry", args=[problem.pk])

    # when Retry while it is still malformed: it says why and stays unresolved
    response = manager_client.post(retry_url, follow=True)
    assert f"Retry of order {order_id} failed" in response.content.decode()
    problem.refresh_from_db()
    assert problem.resolved_at is None

    # when the marketplace repairs it and Retry again
    sandbox.control.repair(order_id)
    response = manager_client.post(retry_url, follow=True)

    # then the order exists once and the problem shows Resolved
    page = response.content.decode()
    assert f"Order {order_id} imported" in page
    assert Order.objects.filter(channel_account=account, channel_order_id=order_id).count() == 1
    problem.refresh_from_db()
    assert problem.resolved_at is not None
    assert "Resolved" in page


def test_the_list_and_the_run_page_name_a_user_the_same_way(manager_client, account):
    jeanne = UserFactory(username="jdupre", first_name="Jeanne", last_name="Dupré")
    run = run_of(account, trigger=SyncRun.Trigger.MANUAL, user=jeanne)

    listing = manager_client.get(reverse("sync_log")).content.decode()
    page = manager_client.get(reverse("sync_run", args=[run.pk])).content.decode()

    assert "Manual by Jeanne Dupré" in listing and "Manual by Jeanne Dupré" in page
    assert "by jdupre" not in listing
