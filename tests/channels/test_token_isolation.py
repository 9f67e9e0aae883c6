"""No account ever uses an access token obtained with other credentials (SPEC S12).

The attack this guards against: company B's account is set up with company A's client id and
seller id and a wrong secret. Before, B's runs picked up the token A's scheduled download had
cached, imported A's customers into B and posted B's shipments to A's marketplace orders.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from channels.accounts import AccountTokenStore, client_for, credentials_fingerprint
from channels.cdiscount.client import OrderQuery
from channels.models import CdiscountAccount, SyncRun
from channels.services import download_run_now
from channels.upload import upload_run_now
from orders.choices import UploadStatus
from orders.models import Order, Package
from tests.channels.sandbox_helpers import account_for, local
from tests.factories import OrderFactory, OrderItemFactory, PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005


def download(account) -> SyncRun:
    now = timezone.now()
    run = download_run_now(
        account=account, trigger=SyncRun.Trigger.COMMAND, date_from=now - timedelta(days=30), date_to=now
    )
    assert run is not None
    run.refresh_from_db()
    return run


def token_requests(sandbox) -> int:
    return len([r for r in sandbox.requests() if r.is_token])


def test_another_company_with_a_borrowed_client_id_gets_nothing_of_the_owners(make_cdiscount_sandbox):
    # given company A's account, whose scheduled download has cached A's token
    sandbox = make_cdiscount_sandbox(orders=30)
    (target,) = sandbox.control.create_orders(status="InPreparation")
    owner = account_for(sandbox)
    assert download(owner).status == SyncRun.Status.COMPLETED
    assert target in local(owner)
    # and company B, set up with A's client id and seller id but not A's secret
    intruder = account_for(sandbox, client_secret="a-guessed-secret", upload_enabled=True)
    tokens_before = token_requests(sandbox)

    # when B downloads
    run = download(intruder)

    # then B asked for a token of its own, was refused, and imported nothing
    assert run.status == SyncRun.Status.FAILED
    assert run.error.startswith("HTTP 401 on POST token")
    assert token_requests(sandbox) == tokens_before + 1
    assert not Order.objects.filter(company=intruder.company).exists()

    # when B ships an order bearing A's order id and uploads it
    order = OrderFactory(company=intruder.company, channel_account=intruder, channel_order_id=target)
    for line in sandbox.control.order(target)["lines"]:
        OrderItemFactory(order=order, channel_line_id=line["orderLineId"])
    package = PackageFactory(order=order, tracking_number="ATTACKER123", upload_status=UploadStatus.PENDING)
    upload = upload_run_now(account=intruder, trigger=SyncRun.Trigger.COMMAND)

    # then nothing reached A's order on the marketplace
    assert upload is not None and upload.status == SyncRun.Status.FAILED
    assert not [r for r in sandbox.requests(path_contains="/shipments") if r.method == "POST"]
    assert sandbox.control.order(target)["status"] == "InPreparation"
    assert Package.objects.get(pk=package.pk).upload_status == UploadStatus.PENDING

    # and A's own downloads still reuse A's token
    tokens_before = token_requests(sandbox)
    assert download(owner).status == SyncRun.Status.COMPLETED
    assert download(owner).status == SyncRun.Status.COMPLETED
    assert token_requests(sandbox) == tokens_before


def test_a_cached_token_obtained_with_the_old_secret_is_ignored(cdiscount_sandbox):
    account = account_for(cdiscount_sandbox)
    client = client_for(account)
    client.count_orders(query=OrderQuery())
    account.refresh_from_db()
    assert account.access_token and account.token_fingerprint == credentials_fingerprint(account)

    # The secret changes (a rotation on the Octopia portal, typed in General Settings).
    CdiscountAccount.objects.filter(pk=account.pk).update(client_secret="rotated-elsewhere")
    account.refresh_from_db()
    stale = AccountTokenStore(account_id=account.pk, fingerprint=credentials_fingerprint(account))

    # Neither Redis nor the row's mirror hands the old token out.
    assert stale.get(AccountTokenStore.key_for(account.pk)) is None
    cache.delete(AccountTokenStore.key_for(account.pk))
    assert stale.get(AccountTokenStore.key_for(account.pk)) is None


def test_the_token_is_encrypted_in_redis_and_shared_by_the_accounts_clients(cdiscount_sandbox):
    account = account_for(cdiscount_sandbox)
    first, second = client_for(account), client_for(account)

    first.count_orders(query=OrderQuery())
    second.count_orders(query=OrderQuery())

    assert second.calls.snapshot()["token"] == 0
    assert token_requests(cdiscount_sandbox) == 1
    account.refresh_from_db()
    assert account.access_token not in str(cache.get(AccountTokenStore.key_for(account.pk)))


def test_a_deleted_token_is_not_put_back_by_a_worker_reading_between_the_deletes_steps(cdiscount_sandbox, monkeypatch):
    # given an account whose token is in Redis and mirrored on its row
    account = account_for(cdiscount_sandbox)
    client_for(account).count_orders(query=OrderQuery())
    account.refresh_from_db()
    store = AccountTokenStore(account_id=account.pk, fingerprint=credentials_fingerprint(account))
    key = AccountTokenStore.key_for(account.pk)
    assert store.get(key) is not None

    # when the token is deleted (refused with a 401) while another worker reads it just after the
    # Redis entry went
    class ReadRightAfterTheCacheDelete:
        def __getattr__(self, name):
            return getattr(cache, name)

        def delete(self, *args, **kwargs):
            cache.delete(*args, **kwargs)
            store.get(key)  # the other worker: a cache miss, then the row

    monkeypatch.setattr("channels.accounts.django_cache", ReadRightAfterTheCacheDelete())
    store.delete(key)

    # then the refused token is gone for good: nobody gets it from Redis or the row again
    assert store.get(key) is None
