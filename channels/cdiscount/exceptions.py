"""Errors of marketplace API calls, split into the two kinds a caller must tell apart.

TransientChannelError: trying again later may work (timeouts, connection errors, 5xx, 429).
PermanentChannelError: the marketplace refused the request (400, 403, 404, 409, business rules);
sending it again unchanged gives the same answer, so record it and do not retry.

Each error carries what an `application/problem+json` answer said (title, detail, field errors),
so the Sync Log can show the marketplace's own words. Never put a secret or a token in one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ChannelAPIError(Exception):
    """A marketplace call that did not succeed."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        title: str | None = None,
        detail: str | None = None,
        errors: Mapping[str, list[str]] | None = None,
        trace_id: str | None = None,
        retry_after: float | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.title = title
        self.detail = detail
        self.errors: dict[str, list[str]] = dict(errors or {})
        self.trace_id = trace_id
        self.retry_after = retry_after
        self.method = method
        self.path = path

    @property
    def marketplace_words(self) -> str:
        """The marketplace's own words (reference 3.9): title, detail and each field error, in one
        sentence for a person; our summary when it said none. The one place this is phrased."""
        parts = [p for p in (self.title, self.detail) if p]
        parts += [f"{name}: {' '.join(msgs)}" if name else " ".join(msgs) for name, msgs in self.errors.items()]
        return ". ".join(p.rstrip(".") for p in parts) if parts else self.message

    @classmethod
    def from_problem(
        cls,
        *,
        status: int | None,
        body: Any,
        retry_after: float | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> ChannelAPIError:
        """Build the error from a problem+json body (RFC 9457), or from the status alone.

        The caller passes a body only when the answer was problem+json: the body of any other
        answer (a proxy page, whatever listens at a mistyped URL) is never repeated. Tolerant
        on purpose: `errors` may be a map of field -> [messages], a map of field -> message, or
        a list of {field, message}.
        """
        title = detail = trace_id = None
        errors: dict[str, list[str]] = {}
        if isinstance(body, Mapping):
            title = _as_text(body.get("title"))
            detail = _as_text(body.get("detail"))
            trace_id = _as_text(body.get("traceId"))
            errors = _field_errors(body.get("errors"))
        parts = [f"HTTP {status}" if status is not None else "HTTP error"]
        if method and path:
            parts.append(f"on {method} {path}")
        summary = " ".join(parts)
        if title:
            summary += f": {title}"
        if detail:
            summary += f" - {detail}"
        for field, messages in errors.items():
            summary += f"; {field}: {' '.join(messages)}"
        return cls(
            summary,
            status=status,
            title=title,
            detail=detail,
            errors=errors,
            trace_id=trace_id,
            retry_after=retry_after,
            method=method,
            path=path,
        )


class TransientChannelError(ChannelAPIError):
    """A temporary fault: retrying later may succeed.

    `request_may_have_been_processed` is True when a POST was sent but no answer came back
    (timeout, dropped connection, 5xx): the marketplace may have recorded it, so the caller must
    read the order before deciding to send it again.
    """

    def __init__(self, message: str, *, request_may_have_been_processed: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_may_have_been_processed = request_may_have_been_processed


class PermanentChannelError(ChannelAPIError):
    """The marketplace refused the request; the same request will be refused again."""


class ChannelAuthError(PermanentChannelError):
    """Credentials refused (token endpoint 400/401, a 401 even with a fresh token, or a 403
    because the client id is not linked to the seller id): the account's settings need fixing."""


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _field_errors(value: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if isinstance(value, Mapping):
        for field, messages in value.items():
            if isinstance(messages, list | tuple):
                errors[str(field)] = [str(m) for m in messages]
            else:
                errors[str(field)] = [str(messages)]
    elif isinstance(value, list):
        for entry in value:
            if isinstance(entry, Mapping):
                field = str(entry.get("field") or entry.get("name") or entry.get("propertyName") or "")
                message = str(entry.get("message") or entry.get("errorMessage") or entry)
                errors.setdefault(field, []).append(message)
            else:
                errors.setdefault("", []).append(str(entry))
    return errors
