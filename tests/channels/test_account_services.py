"""channels.account_services against the sandbox over real HTTP: Get Token, carriers, settings (issue #6)."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from channels.account_services import CarrierRow, account_update_settings
from channels.account_status import account_carriers, account_get_token
from channels.models import CdiscountAccount, SettingsChange, SyncRun
from tests.factories import CdiscountAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_client(settings):
    settings.CDISCOUNT_HTTP_TIMEOUT = 0.5
    settings.CDISCOUNT_BACKOFF_BASE = 0.005


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def sandbox_account(cdiscount_sandbox, company):
    sandbox = cdiscount_sandbox
    return CdiscountAccountFactory(
        company=company,
        environment="custom",
        custom_api_base_url=sandbox.api_base_url,
        custom_token_url=sandbox.token_url,
        client_id=sandbox.config.client_id,
        client_secret=sandbox.config.client_secret,
        seller_id=sandbox.config.seller_id,
    )


def test_get_token_forces_a_new_token_and_shows_its_expiry(sandbox_account, cdiscount_sandbox):
    first = account_get_token(account=sandbox_account)
    second = account_get_token(account=sandbox_account)
    assert first.ok and second.ok
    sandbox_account.refresh_from_db()
    assert sandbox_account.has_valid_token
    assert second.expires_at == sandbox_account.token_expires_at
    # Forced: two Get Token clicks are two calls to the auth server, not one cached answer.
    assert len([r for r in cdiscount_sandbox.requests() if r.is_token]) == 2
    assert list(SyncRun.objects.values_list("kind", "status")) == [("token", "completed")] * 2


def test_get_token_with_a_wrong_secret_gives_the_marketplace_message(sandbox_account):
    CdiscountAccount.objects.filter(pk=sandbox_account.pk).update(client_id="someone-else")
    sandbox_account.refresh_from_db()
    result = account_get_token(account=sandbox_account)
    assert not result.ok
    assert "HTTP 401" in result.message or "HTTP 400" in result.message
    assert sandbox_account.client_secret not in result.message
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED


def test_carriers_come_from_the_marketplace_and_are_cached(sandbox_account, cdiscount_sandbox):
    first = account_carriers(account=sandbox_account)
    second = account_carriers(account=sandbox_account)
    assert first.labels and first.labels == second.labels and not first.error
    assert len(cdiscount_sandbox.requests(path_contains="/carriers")) == 1


def test_carriers_fall_back_with_a_reason_when_the_marketplace_fails(sandbox_account, cdiscount_sandbox):
    cdiscount_sandbox.server.stop()
    result = account_carriers(account=sandbox_account)
    assert result.labels == () and "Could not load" in result.error


def test_nothing_is_saved_when_one_value_is_bad(sandbox_account):
    with pytest.raises(ValidationError):
        account_update_settings(account=sandbox_account, by=None, changes={"seller_id": "1", "lookback_days": -3})
    with pytest.raises(ValidationError):
        account_update_settings(
            account=sandbox_account, by=None, changes={"seller_id": "1"},
            carrier_mappings=[CarrierRow("Colissimo", "COLISSIMO", "ftp://x/{tracking_number}")],
        )  # fmt: skip
    sandbox_account.refresh_from_db()
    assert sandbox_account.seller_id != "1"
    assert not SettingsChange.objects.exists()


def test_secrets_are_masked_in_the_audit_trail(sandbox_account):
    account_update_settings(account=sandbox_account, by=None, changes={"client_secret": "another"})
    change = SettingsChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == (
        "Client Secret",
        SettingsChange.MASK,
        SettingsChange.MASK,
    )


def test_the_first_save_creates_the_account(company):
    account = CdiscountAccount(company=company)
    update = account_update_settings(account=account, by=None, changes={"client_id": "abc", "seller_id": "42"})
    assert account.pk is not None and set(update.changed) == {"client_id", "seller_id"}
    assert CdiscountAccount.objects.get(company=company).client_id == "abc"
