"""Invoice documents sent to Cdiscount (reference 3.12): what the three calls answer, parsed.

- `POST /orders/{orderId}/invoice-documents` (multipart, field `file`) answers 201 with an import:
  `{"importId": "...", "status": "Running"}`.
- `GET /order-invoice-imports/{importId}` follows it: status Running, Success, PartialSuccess or
  Failure; `integrationStatus` names the step reached (order check, file check, extract/upload);
  each file has its own status and errors.
- `GET /orders/{orderId}/invoice-documents` lists the order's documents (`pageSize`, `cursor`).

The portal confirms the calls, the statuses and the asynchronous import; the exact keys beyond
`importId` and `status` are not published (I), so parsing is tolerant: an unknown key is kept in
`raw`, a missing optional one is None. Posting again replaces the order's invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MULTIPART_FIELD = "file"  # reference 3.12: not published; our sandbox's choice
MAX_FILE_BYTES = 10 * 1024 * 1024  # idem: the sandbox refuses more


class ImportStatus(StrEnum):
    """An import's status (reference 3.12)."""

    RUNNING = "Running"
    SUCCESS = "Success"
    PARTIAL_SUCCESS = "PartialSuccess"
    FAILURE = "Failure"


@dataclass(frozen=True, slots=True)
class InvoiceImport:
    """One import of invoice files, as POST and GET /order-invoice-imports/{importId} answer."""

    import_id: str
    status: str
    integration_status: str | None
    errors: tuple[str, ...]  # the import's and its files' error messages, for a person
    raw: dict[str, Any]

    @property
    def finished(self) -> bool:
        return self.status != ImportStatus.RUNNING

    @property
    def succeeded(self) -> bool:
        # One file per order upload: a partial success of one file cannot happen; still, only
        # Success counts, so nothing is called uploaded that Cdiscount did not take.
        return self.status == ImportStatus.SUCCESS

    @property
    def words(self) -> str:
        """What Cdiscount said about a failed import, in one sentence."""
        step = f" at step {self.integration_status}" if self.integration_status else ""
        said = "; ".join(self.errors) or "no reason given"
        return f"Cdiscount's import {self.import_id} ended {self.status}{step}: {said}"


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """One invoice document Cdiscount holds for an order (GET /orders/{orderId}/invoice-documents)."""

    file_name: str | None
    import_id: str | None
    status: str | None  # the file's import status when given
    raw: dict[str, Any]

    @property
    def counts_as_uploaded(self) -> bool:
        """A document there (not one whose import failed) is our invoice: posting again would
        replace it, so it counts as uploaded."""
        return self.status != ImportStatus.FAILURE


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value).strip() else None


def _messages(value: Any) -> list[str]:
    """Error messages from a list of strings or of {code, message} objects."""
    out: list[str] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            text = _text(item.get("message")) or _text(item.get("detail")) or _text(item.get("code"))
        else:
            text = _text(item)
        if text:
            out.append(text)
    return out


def parse_import(body: Any) -> InvoiceImport:
    """An import from POST .../invoice-documents or GET /order-invoice-imports/{importId}.
    Raises ValueError when it has no importId or no status."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    import_id, status = _text(body.get("importId")), _text(body.get("status"))
    if import_id is None or status is None:
        raise ValueError("importId and status are required")
    errors = _messages(body.get("errors"))
    for file in body.get("files") or []:
        if isinstance(file, dict):
            errors += _messages(file.get("errors"))
    return InvoiceImport(
        import_id=import_id,
        status=status,
        integration_status=_text(body.get("integrationStatus")),
        errors=tuple(dict.fromkeys(errors)),
        raw=body,
    )


def parse_documents(body: Any) -> tuple[list[InvoiceDocument], str | None]:
    """One page of an order's invoice documents and the cursor of the next page (None at the end).
    Raises ValueError when there is no list of items."""
    items = body.get("items") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise ValueError("expected a list of items")
    documents = [
        InvoiceDocument(
            file_name=_text(item.get("fileName")),
            import_id=_text(item.get("importId")),
            status=_text(item.get("status")),
            raw=item,
        )
        for item in items
        if isinstance(item, dict)
    ]
    cursor = _text(body.get("nextCursor") or body.get("cursor")) if isinstance(body, dict) else None
    return documents, cursor
