"""Where the credentials go is a Client Admin's decision, and one seller belongs to one company
(SPEC S3, S12). Before, anyone with Manage channel could point the token URL at a listener of
theirs and click Get Token to receive the client secret in clear."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from channels.account_services import ENDPOINT_ADMIN_ONLY, SECRET_CLEARED, SELLER_TAKEN, account_update_settings
from channels.accounts import AccountTokenStore
from channels.models import CdiscountAccount, Environment, SettingsChange
from tests.factories import CdiscountAccountFactory, CompanyFactory

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-Value-never-shown"
LISTENER = "https://listener.example.net/token"


@pytest.fixture
def account(company):
    return CdiscountAccountFactory(
        company=company,
        client_secret=SECRET,
        environment=Environment.SANDBOX,
        access_token="eyJ.cached.token",
        token_fingerprint="f" * 64,
    )


@pytest.fixture
def admin_client(client_admin):
    browser = Client()
    browser.force_login(client_admin)
    return browser


def edit_url(account):
    return reverse("cdiscount_settings_edit", args=[account.company_id])


def post_data(account, **overrides):
    data = {
        "client_id": account.client_id,
        "seller_id": account.seller_id,
        "sales_channel_id": account.sales_channel_id,
        "environment": account.environment,
        "custom_api_base_url": account.custom_api_base_url,
        "custom_token_url": account.custom_token_url,
        "download_interval_minutes": "15",
        "lookback_days": "30",
        "upload_interval_minutes": "5",
        "carriers-TOTAL_FORMS": "0",
        "carriers-INITIAL_FORMS": "0",
        "enabled": "on",
    }
    data.update(overrides)
    return data


def snapshot(account) -> dict:
    row = CdiscountAccount.objects.get(pk=account.pk)
    return {f.name: getattr(row, f.name) for f in CdiscountAccount._meta.concrete_fields if f.name != "updated_at"}


def to_listener(account, **extra):
    return post_data(
        account, environment="custom", custom_api_base_url="https://listener.example.net/v2",
        custom_token_url=LISTENER, **extra,
    )  # fmt: skip


def test_a_channel_manager_sees_the_environment_locked_and_cannot_move_it(manager_client, account):
    page = manager_client.get(edit_url(account)).content.decode()
    assert 'name="environment" disabled' in page or "disabled" in page.split('name="environment"')[1][:200]
    assert ENDPOINT_ADMIN_ONLY in page
    before = snapshot(account)

    manager_client.post(edit_url(account), to_listener(account))

    assert snapshot(account) == before
    assert not SettingsChange.objects.exists()


def test_the_service_refuses_an_employee_even_without_the_form(manager, account):
    before = snapshot(account)

    with pytest.raises(ValidationError) as refused:
        account_update_settings(
            account=account, by=manager, changes={"environment": "custom", "custom_api_base_url": "https://x.example/v2",
                                                  "custom_token_url": LISTENER},
        )  # fmt: skip

    assert ENDPOINT_ADMIN_ONLY in str(refused.value)
    assert snapshot(account) == before and not SettingsChange.objects.exists()


def test_a_client_admin_moving_the_urls_clears_the_secret_and_the_token(admin_client, account):
    cache.set(AccountTokenStore.key_for(account.pk), {"access_token": "x", "fingerprint": "f" * 64})

    response = admin_client.post(edit_url(account), to_listener(account), follow=True)

    assert escape(SECRET_CLEARED) in response.content.decode()
    row = CdiscountAccount.objects.get(pk=account.pk)
    assert (row.environment, row.custom_token_url) == ("custom", LISTENER)
    assert row.client_secret == "" and row.access_token == "" and row.token_expires_at is None
    assert cache.get(AccountTokenStore.key_for(account.pk)) is None
    secret_change = SettingsChange.objects.get(field="Client Secret")
    assert (secret_change.old_value, secret_change.new_value) == (SettingsChange.MASK, "")


def test_a_secret_typed_with_the_new_urls_is_kept(admin_client, account):
    admin_client.post(edit_url(account), to_listener(account, client_secret="typed-for-the-new-server"))

    assert CdiscountAccount.objects.get(pk=account.pk).client_secret == "typed-for-the-new-server"


def test_production_and_sandbox_urls_are_fixed(admin_client, account):
    admin_client.post(
        edit_url(account), post_data(account, custom_api_base_url="https://x.example/v2", custom_token_url=LISTENER)
    )

    row = CdiscountAccount.objects.get(pk=account.pk)
    assert (row.custom_api_base_url, row.custom_token_url) == ("", "")
    assert row.token_url.startswith("http://127.0.0.1") and row.client_secret == SECRET


def test_leaving_the_urls_alone_keeps_the_secret(admin_client, account):
    admin_client.post(edit_url(account), post_data(account, lookback_days="20"))

    row = CdiscountAccount.objects.get(pk=account.pk)
    assert row.lookback_days == 20 and row.client_secret == SECRET


def test_a_seller_already_connected_to_another_company_is_refused(manager_client, account):
    other = CdiscountAccountFactory(
        company=CompanyFactory(name="Autre Maison SARL"), seller_id="55501", environment=Environment.SANDBOX
    )
    before = snapshot(account)

    response = manager_client.post(edit_url(account), post_data(account, seller_id=other.seller_id))

    page = response.content.decode()
    assert response.status_code == 200 and escape(SELLER_TAKEN) in page
    assert "Autre Maison" not in page  # another company's name is not shown
    assert snapshot(account) == before and not SettingsChange.objects.exists()


def test_the_same_seller_id_on_another_marketplace_is_allowed(admin_client, account):
    CdiscountAccountFactory(company=CompanyFactory(), seller_id="55501", environment=Environment.PRODUCTION)

    admin_client.post(edit_url(account), post_data(account, seller_id="55501"))

    assert CdiscountAccount.objects.get(pk=account.pk).seller_id == "55501"
