"""The Seller API's HTTP plumbing: the bearer token, retries of GETs, errors, one POST per call.

CdiscountClient (client.py) adds the endpoints on top. Knows HTTP and JSON, nothing of our models:
- OAuth2 client-credentials token from the token URL, valid about 2 h. It is kept in a TokenStore
  passed in (shared by all workers), renewed a few minutes before expiry and once on a 401.
- Every API call carries `Authorization: Bearer` and `SellerId`.
- GETs are retried with bounded backoff on temporary faults (connection errors, timeouts, 5xx,
  429 with Retry-After). POSTs are never re-sent after they may have reached the API: a
  timed-out shipment may have been recorded, so the caller reads the order and decides.
- Errors are application/problem+json; they become TransientChannelError or PermanentChannelError.
  The body of any other answer is never repeated: the URL may be a user's, pointing anywhere.
- Connections go only to public addresses or to networks listed as allowed (transport.py);
  redirects are never followed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from .calls import CallCounter
from .exceptions import (
    ChannelAPIError,
    ChannelAuthError,
    PermanentChannelError,
    TransientChannelError,
)
from .tokens import TokenRecord, TokenStore, token_store_key
from .transport import AddressNotAllowed, AddressPolicy, checked_session

logger = logging.getLogger(__name__)

# Multipart parts: field name -> (file name, content, content type).
Files = dict[str, tuple[str, bytes, str]]

DEFAULT_TOKEN_LIFETIME = 7200.0  # "Your token is available for 2h" when expires_in is absent

# Answers worth trying again later; every other 4xx is the API refusing the request itself.
_TRANSIENT_STATUSES = frozenset({408, 425, 429})
_PROBLEM_JSON = "application/problem+json"
# The token endpoint's errors are OAuth2's (RFC 6749 5.2), not problem+json: only their code
# is kept, in our own words, so that whatever answers at a mistyped URL is never shown back.
_OAUTH_ERRORS = {
    "invalid_client": "the client ID or client secret is wrong",
    "unauthorized_client": "this client may not obtain a token with its credentials",
    "invalid_request": "the token request was refused as malformed",
    "invalid_grant": "the grant was refused",
    "unsupported_grant_type": "client credentials are not accepted by this token endpoint",
    "invalid_scope": "the scope was refused",
}


class ApiSession:
    """Calls to one seller's Seller API with a valid token. Thread-safe enough to share between
    threads of one process."""

    def __init__(
        self,
        *,
        api_base_url: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        seller_id: str,
        token_store: TokenStore,
        timeout: float = 30.0,
        connect_timeout: float | None = None,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        max_retry_after: float = 60.0,
        token_renew_margin: float = 300.0,
        token_key: str | None = None,
        allowed_networks: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`token_key` names the token in the store (by default one per token URL, client id and
        secret); `allowed_networks` lists the private networks the client may connect to."""
        self.api_base_url = api_base_url.rstrip("/")
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.seller_id = seller_id
        self.token_store = token_store
        self.timeout = (connect_timeout if connect_timeout is not None else timeout, timeout)
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.token_renew_margin = token_renew_margin
        self.session = checked_session(AddressPolicy(allowed_networks))
        self.session.headers.update({"Accept": "application/json", "User-Agent": "sellercloud-oms/1.0"})
        self.calls = CallCounter()
        self._sleep = sleep
        self._token_key = token_key or token_store_key(
            token_url=token_url, client_id=client_id, client_secret=client_secret
        )
        self._token_lock = threading.Lock()

    def __repr__(self) -> str:  # never show the secret
        return f"<CdiscountClient {self.api_base_url} client_id={self.client_id} seller_id={self.seller_id}>"

    def close(self) -> None:
        """Close the HTTP connections."""
        self.session.close()

    # --- HTTP --------------------------------------------------------------------------------

    def _get(self, path: str, *, params: dict[str, str] | None = None) -> requests.Response:
        """GET with retries on temporary faults (bounded exponential backoff, Retry-After honoured)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._call("GET", path, params=params)
            except TransientChannelError as exc:
                delay = self._retry_delay(attempt, exc)
                if delay is None:
                    raise
                logger.info(
                    "event=cdiscount_retry method=GET path=%s attempt=%d status=%s delay_s=%.3f",
                    path,
                    attempt,
                    exc.status,
                    delay,
                )
                self.calls.add("rate_limit" if exc.status == 429 else "retry")
                self.calls.waited(delay)
                self._sleep(delay)

    def _post(self, path: str, *, json_body: Any = None, files: Files | None = None) -> requests.Response:
        """POST once (JSON, or multipart when `files` are given). Only a 401 (the request was
        refused before being processed) is sent again, with a new token; any other failure is
        raised for the caller to decide."""
        return self._call("POST", path, json_body=json_body, files=files)

    def _retry_delay(self, attempt: int, exc: TransientChannelError) -> float | None:
        if attempt >= self.max_attempts:
            return None
        delay = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        delay *= 0.5 + random.random() / 2  # jitter, so several workers do not retry in step
        if exc.retry_after is not None:
            if exc.retry_after > self.max_retry_after:
                return None  # too long to wait here; the caller reschedules
            delay = max(delay, exc.retry_after)
        return delay

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: Any = None,
        files: Files | None = None,
    ) -> requests.Response:
        """One request with a valid token; on a 401 renew the token once and send it again."""
        token = self._access_token()
        response = self._send(method, path, token=token, params=params, json_body=json_body, files=files)
        if response.status_code == 401:
            # The token expired early or was revoked: a 401 means the request was not processed.
            self._forget_token(token)
            # Never the refused token again, even if the shared store holds it once more: another
            # worker may have put it back from the account row's mirror between our delete's steps.
            token = self._access_token(refused=token)
            response = self._send(method, path, token=token, params=params, json_body=json_body, files=files)
            if response.status_code == 401:
                raise self._error(response, method, path, ChannelAuthError)
        if response.ok:
            return response
        status = response.status_code
        if status in _TRANSIENT_STATUSES or status >= 500:
            error = self._error(response, method, path, TransientChannelError)
            # A 5xx on a POST may come after the change was recorded (a proxy timing out).
            if method != "GET" and status >= 500:
                assert isinstance(error, TransientChannelError)
                error.request_may_have_been_processed = True
            raise error
        raise self._error(response, method, path, ChannelAuthError if status == 403 else PermanentChannelError)

    def _send(
        self,
        method: str,
        path: str,
        *,
        token: str,
        params: dict[str, str] | None,
        json_body: Any,
        files: Files | None = None,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "SellerId": self.seller_id}
        self.calls.add("api")
        try:
            response = self.session.request(
                method,
                self.api_base_url + path,
                params=params,
                json=json_body,
                files=files,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except AddressNotAllowed as exc:
            raise PermanentChannelError(f"{exc} ({method} {path})", method=method, path=path) from None
        except requests.ConnectTimeout as exc:
            # Nothing reached the server: safe to say it was not processed.
            raise TransientChannelError(
                f"Connection to Cdiscount timed out on {method} {path}", method=method, path=path
            ) from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            reached = not isinstance(exc, requests.ConnectionError) or _maybe_reached(exc)
            kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
            raise TransientChannelError(
                f"Cdiscount {kind} on {method} {path}: {type(exc).__name__}",
                method=method,
                path=path,
                request_may_have_been_processed=method != "GET" and reached,
            ) from exc
        _refuse_redirect(response, method, path)
        return response

    @staticmethod
    def _error(response: requests.Response, method: str, path: str, cls: type[ChannelAPIError]) -> ChannelAPIError:
        body: Any = None
        content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type == _PROBLEM_JSON:
            try:
                body = response.json()
            except ValueError:
                body = None
        elif path == "token":
            body = _oauth_error(response)
        return cls.from_problem(
            status=response.status_code,
            body=body,
            retry_after=_retry_after(response.headers.get("Retry-After")),
            method=method,
            path=path,
        )

    @staticmethod
    def _json(response: requests.Response, method: str, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise PermanentChannelError(
                f"Cdiscount answered {method} {path} with something that is not JSON",
                status=response.status_code,
                method=method,
                path=path,
            ) from None

    # --- token -------------------------------------------------------------------------------

    def renew_token(self) -> None:
        """Get Token: drop the shared token and obtain a new one from the auth server now."""
        with self._token_lock:
            self.token_store.delete(self._token_key)
        self._access_token()

    def _access_token(self, *, refused: str | None = None) -> str:
        """A token valid for at least the renew margin, from the shared store or the auth server;
        never `refused` (the one a 401 just turned down)."""
        if token := self._stored_token(refused):
            return token
        # One fetch per process at a time; other processes may fetch too, harmlessly (last wins).
        with self._token_lock:
            if token := self._stored_token(refused):
                return token
            record = self._fetch_token()
            self.token_store.set(self._token_key, record)
            return record["access_token"]

    def _stored_token(self, refused: str | None) -> str | None:
        """The shared store's token if it is good for the renew margin and not `refused`."""
        record = self.token_store.get(self._token_key)
        if record is None or record["access_token"] == refused:
            return None
        return record["access_token"] if record["expires_at"] - self.token_renew_margin > time.time() else None

    def _forget_token(self, token: str) -> None:
        with self._token_lock:
            record = self.token_store.get(self._token_key)
            # Another worker may already have stored a new one: only drop the token that failed.
            if record is not None and record["access_token"] == token:
                self.token_store.delete(self._token_key)

    def _fetch_token(self) -> TokenRecord:
        """POST the client credentials to the token URL. Safe to repeat, so retried like a GET."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._fetch_token_once()
            except TransientChannelError as exc:
                delay = self._retry_delay(attempt, exc)
                if delay is None:
                    raise
                self._sleep(delay)

    def _fetch_token_once(self) -> TokenRecord:
        self.calls.add("token")
        data = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._client_secret}
        try:
            response = self.session.post(self.token_url, data=data, timeout=self.timeout, allow_redirects=False)
        except AddressNotAllowed as exc:
            raise ChannelAuthError(f"Token URL refused: {exc}", method="POST", path="token") from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TransientChannelError(
                f"Cdiscount token request failed: {type(exc).__name__}", method="POST", path="token"
            ) from exc
        _refuse_redirect(response, "POST", "token")
        if response.status_code in _TRANSIENT_STATUSES or response.status_code >= 500:
            raise self._error(response, "POST", "token", TransientChannelError)
        if not response.ok:
            # 400/401: wrong client id or secret (the body says which, never echoes the secret).
            raise self._error(response, "POST", "token", ChannelAuthError)
        try:
            body = response.json()
            token = body["access_token"]
            expires_in = float(body.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
        except (ValueError, KeyError, TypeError):
            raise ChannelAuthError(
                "Cdiscount token answer has no access_token", status=response.status_code, method="POST", path="token"
            ) from None
        if not isinstance(token, str) or not token:
            raise ChannelAuthError("Cdiscount token answer has an empty access_token", method="POST", path="token")
        logger.info("event=cdiscount_token_renewed client_id=%s expires_in=%d", self.client_id, expires_in)
        return TokenRecord(access_token=token, expires_at=time.time() + expires_in)


def _refuse_redirect(response: requests.Response, method: str, path: str) -> None:
    # A redirect is not followed: it could lead anywhere, the credentials or the token with it.
    if 300 <= response.status_code < 400:
        raise PermanentChannelError(
            f"HTTP {response.status_code} on {method} {path}: the marketplace answered with a redirect, "
            "which is not followed; check the URL",
            status=response.status_code,
            method=method,
            path=path,
        )


def _oauth_error(response: requests.Response) -> dict[str, str] | None:
    """An OAuth2 error answer of the token endpoint, in our words; None for anything else."""
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("error") if isinstance(body, dict) else None
    if code not in _OAUTH_ERRORS:
        return None
    return {"title": code, "detail": _OAUTH_ERRORS[code]}


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (a number, or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _maybe_reached(exc: requests.ConnectionError) -> bool:
    """False only when the connection was refused or never made (the request cannot have been
    processed); a connection dropped after sending may have been processed."""
    text = repr(exc)
    return not any(s in text for s in ("NewConnectionError", "Connection refused", "NameResolutionError"))
