"""Where the OAuth2 access token is kept between calls, shared by every worker (SPEC S6).

A token store is a tiny key/value protocol so that the client stays free of Django: tests use
InMemoryTokenStore, the product uses CacheTokenStore (Django's cache, i.e. Redis), so all
workers on all machines share one token and an idle poll costs one API call, not two.
The key is derived from the token URL and the client id; the token itself is never logged.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any, Protocol, TypedDict


class TokenRecord(TypedDict):
    access_token: str
    expires_at: float  # Unix time (seconds) at which the auth server says the token expires


class TokenStore(Protocol):
    """get / set / delete of a TokenRecord under a key."""

    def get(self, key: str) -> TokenRecord | None: ...

    def set(self, key: str, record: TokenRecord) -> None: ...

    def delete(self, key: str) -> None: ...


def token_store_key(*, token_url: str, client_id: str) -> str:
    """One token per (auth server, client id): two accounts with the same client share it."""
    digest = hashlib.sha256(f"{token_url}|{client_id}".encode()).hexdigest()[:32]
    return f"cdiscount:token:{digest}"


class InMemoryTokenStore:
    """A dict behind a lock: for tests and single-process tools."""

    def __init__(self) -> None:
        self._data: dict[str, TokenRecord] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> TokenRecord | None:
        with self._lock:
            record = self._data.get(key)
            return None if record is None else TokenRecord(**record)

    def set(self, key: str, record: TokenRecord) -> None:
        with self._lock:
            self._data[key] = TokenRecord(**record)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)


class CacheTokenStore:
    """Django's cache (Redis in every deployment): shared by all workers on all machines.

    The token is encrypted with the project's field keys (sellercloud.crypto) before it reaches
    Redis (SPEC S6: cached encrypted). The entry expires with the token.
    """

    def __init__(self, *, cache: Any = None) -> None:
        if cache is None:
            from django.core.cache import cache as default_cache

            cache = default_cache
        self._cache = cache

    def get(self, key: str) -> TokenRecord | None:
        from sellercloud.crypto import decrypt

        value = self._cache.get(key)
        if not isinstance(value, dict) or "access_token" not in value or "expires_at" not in value:
            return None
        try:
            token = decrypt(str(value["access_token"]))
        except Exception:  # a rotated key or a foreign entry: fetch a new token instead
            return None
        return TokenRecord(access_token=token, expires_at=float(value["expires_at"]))

    def set(self, key: str, record: TokenRecord) -> None:
        import time

        from sellercloud.crypto import encrypt

        ttl = max(1, int(record["expires_at"] - time.time()))
        self._cache.set(
            key, {"access_token": encrypt(record["access_token"]), "expires_at": record["expires_at"]}, timeout=ttl
        )

    def delete(self, key: str) -> None:
        self._cache.delete(key)
