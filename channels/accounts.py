"""Glue between a CdiscountAccount row and the HTTP client: the client factory, the shared token
store that also keeps the account's token fields current, and the per-account Redis lock."""

import hashlib
import hmac
import logging
import time
from datetime import UTC, datetime
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from redis.lock import Lock

from sellercloud.crypto import decrypt, encrypt

from .cdiscount.client import CdiscountClient
from .cdiscount.tokens import TokenRecord
from .models import CdiscountAccount

logger = logging.getLogger(__name__)


def credentials_fingerprint(account: CdiscountAccount) -> str:
    """An HMAC of the token URL, client id and secret, keyed by the app's secret: what a cached
    token was obtained with. A token whose fingerprint differs from the account's is never used."""
    message = "\0".join((account.token_url, account.client_id, account.client_secret)).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


class AccountTokenStore:
    """The account's access token in Redis (all workers share it), mirrored on the account row,
    encrypted, so General Settings can show Received On / Expires On and a Redis restart costs
    nothing. Keyed by the account (never shared with another one, even with the same client id)
    and stamped with the credentials' fingerprint: a token obtained with other credentials (the
    secret changed, or another company typed this client id) is ignored, never used (SPEC S12)."""

    def __init__(self, *, account_id: int, fingerprint: str) -> None:
        self.account_id = account_id
        self.fingerprint = fingerprint

    @staticmethod
    def key_for(account_id: int) -> str:
        return f"cdiscount:token:account:{account_id}"

    def get(self, key: str) -> TokenRecord | None:
        value = django_cache.get(key)
        if isinstance(value, dict) and value.get("fingerprint") == self.fingerprint:
            try:
                return TokenRecord(access_token=decrypt(str(value["access_token"])), expires_at=value["expires_at"])
            except (ImproperlyConfigured, KeyError, TypeError):
                pass  # a rotated key or a damaged entry: fetch a new token instead
        row = (
            CdiscountAccount.objects.filter(pk=self.account_id, token_fingerprint=self.fingerprint)
            .exclude(access_token="")
            .values("access_token", "token_expires_at")
            .first()
        )
        if row and row["token_expires_at"]:
            # The row's token was obtained with these very credentials: put it back in Redis.
            record = TokenRecord(access_token=row["access_token"], expires_at=row["token_expires_at"].timestamp())
            self._cache_set(key, record)
            return record
        return None

    def set(self, key: str, record: TokenRecord) -> None:
        self._cache_set(key, record)
        # Saved through the model so the token is encrypted at rest.
        account = CdiscountAccount(pk=self.account_id)
        account.access_token = record["access_token"]
        account.token_fingerprint = self.fingerprint
        account.token_received_at = datetime.now(UTC)
        account.token_expires_at = datetime.fromtimestamp(record["expires_at"], UTC)
        try:
            account.save(update_fields=["access_token", "token_fingerprint", "token_received_at", "token_expires_at"])
        except DatabaseError:
            # The mirror is for display; the shared token itself is in the cache already.
            logger.warning("event=token_mirror_failed account=%s", self.account_id)

    def delete(self, key: str) -> None:
        # The row first: a worker missing Redis in between would put the row's token back there.
        CdiscountAccount.objects.filter(pk=self.account_id).update(
            access_token="", token_fingerprint="", token_expires_at=None
        )
        django_cache.delete(key)

    def _cache_set(self, key: str, record: TokenRecord) -> None:
        # Encrypted before it reaches Redis (SPEC S6); the entry expires with the token.
        ttl = max(1, int(record["expires_at"] - time.time()))
        value = {
            "access_token": encrypt(record["access_token"]),
            "expires_at": record["expires_at"],
            "fingerprint": self.fingerprint,
        }
        django_cache.set(key, value, timeout=ttl)


def client_for(account: CdiscountAccount, **overrides: Any) -> CdiscountClient:
    """A client for this account's environment and credentials, with the account's own token."""
    options: dict[str, Any] = {
        "timeout": settings.CDISCOUNT_HTTP_TIMEOUT,
        "max_attempts": settings.CDISCOUNT_MAX_ATTEMPTS,
        "backoff_base": settings.CDISCOUNT_BACKOFF_BASE,
        "allowed_networks": settings.CDISCOUNT_ALLOWED_PRIVATE_NETWORKS,
    }
    options.update(overrides)
    return CdiscountClient(
        api_base_url=account.api_base_url,
        token_url=account.token_url,
        client_id=account.client_id,
        client_secret=account.client_secret,
        seller_id=account.seller_id,
        token_store=AccountTokenStore(account_id=account.pk, fingerprint=credentials_fingerprint(account)),
        token_key=AccountTokenStore.key_for(account.pk),
        **options,
    )


def carrier_labels(account: CdiscountAccount, *, client: CdiscountClient | None = None, **options: Any) -> list[str]:
    """Cdiscount's carrier labels for this account (GET /carriers), sorted. The one cache of them,
    for General Settings' mapping and the upload alike, kept UPLOAD_CARRIERS_CACHE_SECONDS and keyed
    by where and as whom they were asked. Raises ChannelAPIError when the marketplace fails."""
    where = hashlib.sha256(f"{account.api_base_url}|{account.client_id}|{account.seller_id}".encode()).hexdigest()
    key = f"cdiscount:carriers:{account.pk}:{where[:16]}"
    labels: list[str] | None = django_cache.get(key)
    if labels is not None:
        return labels
    own = client is None
    client = client or client_for(account, **options)
    try:
        labels = sorted({carrier.label for carrier in client.list_carriers()})
    finally:
        if own:
            client.close()
    django_cache.set(key, labels, settings.UPLOAD_CARRIERS_CACHE_SECONDS)
    return labels


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


class AccountLock:
    """One job of a kind per account at a time (SPEC S6): a Redis lock with an owner token and a
    short expiry, renewed by its owner after every page and released only by its owner."""

    def __init__(self, *, account_id: int, kind: str, ttl: float) -> None:
        self.name = f"lock:cdiscount:{kind}:{account_id}"
        self._lock = Lock(_redis(), self.name, timeout=ttl, thread_local=False)

    def acquire(self) -> bool:
        return bool(self._lock.acquire(blocking=False))

    def renew(self) -> bool:
        """Reset the expiry; False when the lock was lost (expired and taken by another run)."""
        try:
            self._lock.reacquire()
        except redis.exceptions.LockError:
            return False
        return True

    def release(self) -> None:
        try:
            self._lock.release()
        except redis.exceptions.LockError:
            logger.warning("event=lock_release_not_owner lock=%s", self.name)

    def is_held(self) -> bool:
        return bool(self._lock.locked())
