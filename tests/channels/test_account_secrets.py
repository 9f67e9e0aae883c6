"""Secrets are encrypted at rest: the raw column never holds them."""

import pytest
from django.db import connection

from channels.models import CdiscountAccount
from tests.factories import CdiscountAccountFactory

pytestmark = pytest.mark.django_db


def raw_column(account_id: int, column: str) -> str:
    table = CdiscountAccount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [account_id])  # noqa: S608
        return cursor.fetchone()[0]


def test_client_secret_and_token_are_stored_encrypted():
    account = CdiscountAccountFactory(client_secret="s3cr3t-Octopia-value", access_token="eyJtoken.part.two")

    raw_secret = raw_column(account.pk, "client_secret")
    raw_token = raw_column(account.pk, "access_token")
    assert "s3cr3t-Octopia-value" not in raw_secret
    assert "eyJtoken" not in raw_token
    # and the model still reads them back
    fresh = CdiscountAccount.objects.get(pk=account.pk)
    assert fresh.client_secret == "s3cr3t-Octopia-value"
    assert fresh.access_token == "eyJtoken.part.two"


def test_empty_secret_stays_empty_meaning_not_set():
    account = CdiscountAccountFactory(client_secret="")

    assert raw_column(account.pk, "client_secret") == ""
    assert CdiscountAccount.objects.get(pk=account.pk).client_secret == ""


def test_account_urls_follow_the_environment(settings):
    settings.CDISCOUNT_SANDBOX_URL = "http://127.0.0.1:8100"
    account = CdiscountAccountFactory(environment="sandbox")

    assert account.api_base_url == "http://127.0.0.1:8100/seller/v2"
    assert account.token_url == "http://127.0.0.1:8100/auth/realms/maas/protocol/openid-connect/token"
    account.environment = "production"
    assert account.api_base_url == "https://api.octopia-io.net/seller/v2"
