"""Stored secrets and their keys (issue 14, point 7): `manage.py rotate_encryption_keys` re-encrypts
every EncryptedTextField value with the newest key; the system check refuses a malformed key."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from channels.models import CdiscountAccount
from tests.factories import CdiscountAccountFactory

pytestmark = pytest.mark.django_db


def stored(account: CdiscountAccount, field: str) -> str:
    """The ciphertext in the column, not decrypted."""
    rows = CdiscountAccount.objects.annotate(raw=Cast(field, TextField())).values_list("raw", flat=True)
    return rows.get(pk=account.pk)


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_secrets(settings):
    """Two accounts whose secrets were written with the demo's key (derived from the secret key)
    and one with none; then FIELD_ENCRYPTION_KEYS gets a key."""
    settings.FIELD_ENCRYPTION_KEYS = []
    accounts = [
        CdiscountAccountFactory(client_secret="secret-a", access_token="token-a"),
        CdiscountAccountFactory(client_secret="secret-b", access_token=""),
        CdiscountAccountFactory(client_secret=""),
    ]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    return accounts, new_key


def test_rotation_re_encrypts_every_secret_with_the_newest_key(demo_secrets):
    accounts, new_key = demo_secrets
    a, b, empty = accounts

    # when
    output = rotate()

    # then the stored values decrypt with the new key alone, and read as before
    new = Fernet(new_key)
    assert new.decrypt(stored(a, "client_secret").encode()) == b"secret-a"
    assert new.decrypt(stored(a, "access_token").encode()) == b"token-a"
    assert new.decrypt(stored(b, "client_secret").encode()) == b"secret-b"
    assert stored(b, "access_token") == stored(empty, "client_secret") == ""
    assert [x.client_secret for x in CdiscountAccount.objects.order_by("pk")] == ["secret-a", "secret-b", ""]
    assert "channels.CdiscountAccount.client_secret: 2 re-encrypted, 0 already on the newest key" in output
    assert "channels.CdiscountAccount.access_token: 1 re-encrypted, 0 already on the newest key" in output


def test_rotation_twice_changes_nothing_the_second_time(demo_secrets):
    accounts, _ = demo_secrets
    rotate()
    before = [stored(account, "client_secret") for account in accounts]

    output = rotate()

    assert [stored(account, "client_secret") for account in accounts] == before
    assert "channels.CdiscountAccount.client_secret: 0 re-encrypted, 2 already on the newest key" in output


def test_a_dry_run_counts_and_changes_nothing(demo_secrets):
    accounts, _ = demo_secrets
    before = [stored(account, "client_secret") for account in accounts]

    output = rotate("--dry-run")

    assert [stored(account, "client_secret") for account in accounts] == before
    assert "channels.CdiscountAccount.client_secret: 2 to re-encrypt, 0 already on the newest key" in output


def test_a_secret_no_key_decrypts_is_reported_and_the_others_rotated(demo_secrets):
    accounts, new_key = demo_secrets
    a, b, _ = accounts
    foreign = Fernet(Fernet.generate_key()).encrypt(b"written-elsewhere").decode()
    CdiscountAccount.objects.filter(pk=b.pk).update(client_secret=Value(foreign, output_field=TextField()))

    with pytest.raises(CommandError, match=rf"channels\.CdiscountAccount\.client_secret \(pk {b.pk}\)"):
        rotate()

    assert stored(b, "client_secret") == foreign  # left as it was
    assert Fernet(new_key).decrypt(stored(a, "client_secret").encode()) == b"secret-a"


def test_a_malformed_encryption_key_fails_the_system_check(settings):
    from sellercloud.checks import check_field_encryption_keys

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), "not-a-key"]

    errors = check_field_encryption_keys()

    assert [e.id for e in errors] == ["sellercloud.E001"]
    assert "key 2 is not a Fernet key" in errors[0].msg
