"""Where the OAuth2 access token is kept between calls, shared by every worker (SPEC S6).

A token store is a tiny key/value protocol so that the client stays free of Django: tests use
InMemoryTokenStore, the product channels.accounts.AccountTokenStore (Redis, one token per
account, checked against the credentials it was obtained with), so all workers on all machines
share one token and an idle poll costs one API call, not two. The token is never logged.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Protocol, TypedDict


class TokenRecord(TypedDict):
    access_token: str
    expires_at: float  # Unix time (seconds) at which the auth server says the token expires


class TokenStore(Protocol):
    """get / set / delete of a TokenRecord under a key."""

    def get(self, key: str) -> TokenRecord | None: ...

    def set(self, key: str, record: TokenRecord) -> None: ...

    def delete(self, key: str) -> None: ...


def token_store_key(*, token_url: str, client_id: str, client_secret: str) -> str:
    """The default key: one token per (auth server, client id, secret), so that a token is never
    handed to a caller holding other credentials. The product keys by account instead."""
    digest = hashlib.sha256(f"{token_url}\0{client_id}\0{client_secret}".encode()).hexdigest()[:32]
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
