"""Invoice documents on the sandbox (reference 3.12): the upload, its asynchronous import, the list.

- POST /orders/{orderId}/invoice-documents, multipart with the field `file` (at most 10 MB): 201
  with an `importId` and status Running. Refused in problem+json: an order not shipped yet
  (Shipped or Delivered), a file that is not a PDF, UBL XML or ZIP, no `file` part, too large.
  Posting again replaces the order's document, as on Cdiscount.
- GET /order-invoice-imports/{importId}: Running until a lifecycle step (advance / tick) or until
  `invoice_import_seconds` have passed, then Success (or Failure when a test asked for one with
  the `next_import_failures` fault).
- GET /orders/{orderId}/invoice-documents: the order's current document, with its import.

Every POST is in the request log with its file's name, size, type and SHA-256 (not its bytes).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from channels.cdiscount.invoice_documents import MAX_FILE_BYTES, MULTIPART_FIELD

from .config import Faults, SandboxConfig, SandboxError
from .generator import _stamp

SHIPPED = frozenset({"Shipped", "Delivered"})
# What a file must start with: PDF, UBL 2.1 XML, ZIP (reference 3.12: the accepted formats).
SIGNATURES = (b"%PDF-", b"<?xml", b"<Invoice", b"PK\x03\x04")


def multipart_file(content_type: str, raw: bytes) -> dict[str, Any] | None:
    """The `file` part of a multipart/form-data body: {name, type, data}, or None without one."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise SandboxError(
            400, "Validation Failed", "The body must be multipart/form-data.", {"file": ["multipart expected"]}
        )
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    for part in message.iter_parts() if message.is_multipart() else []:
        if part.get_param("name", header="content-disposition") == MULTIPART_FIELD:
            data = part.get_payload(decode=True)
            return {
                "name": part.get_filename() or "",
                "type": part.get_content_type(),
                "data": data if isinstance(data, bytes) else b"",
            }
    return None


def loggable_file(content_type: str, raw: bytes) -> dict[str, Any]:
    """What the request log keeps of an upload: never the bytes, enough to tell posts apart."""
    try:
        part = multipart_file(content_type, raw)
    except SandboxError:
        part = None
    if part is None:
        return {"file": None, "bytes": len(raw)}
    data = part["data"]
    return {
        "file": {
            "fileName": part["name"],
            "contentType": part["type"],
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    }


class InvoiceDocuments:
    """Part of SandboxState: invoice uploads, their imports and the documents they leave."""

    config: SandboxConfig
    faults: Faults
    lock: threading.RLock
    dirty: bool
    invoice_imports: dict[str, dict[str, Any]]  # importId -> the import, oldest first

    get: Callable[[str], dict[str, Any]]  # SandboxState's
    now: Callable[[], datetime]

    def upload_invoice(self, order_id: str, part: dict[str, Any] | None) -> dict[str, Any]:
        """POST /orders/{orderId}/invoice-documents: record the file, start its import."""
        order = self.get(order_id)
        if part is None:
            raise SandboxError(
                400, "Validation Failed", "One or more validation errors occurred.", {"file": ["The file is required."]}
            )
        data = part["data"]
        if len(data) > MAX_FILE_BYTES:
            raise SandboxError(
                413, "Payload Too Large", f"The file is {len(data)} bytes: at most {MAX_FILE_BYTES} bytes are accepted."
            )
        if not data.lstrip()[:8].startswith(SIGNATURES):
            raise SandboxError(
                400,
                "Validation Failed",
                "One or more validation errors occurred.",
                {"file": ["The file must be a PDF, a UBL 2.1 XML invoice or a ZIP archive."]},
            )
        if order["status"] not in SHIPPED:
            raise SandboxError(
                400,
                "Validation Failed",
                f"Order {order_id} is {order['status']}: an invoice is uploaded once the order is shipped.",
                {"orderId": [f"Order status is {order['status']}"]},
            )
        fail = self.faults.next_import_failures > 0
        if fail:
            self.faults.next_import_failures -= 1
        import_id = secrets.token_hex(12)
        stamp = _stamp(self.now())
        for earlier in self.invoice_imports.values():
            if earlier["orderId"] == order_id:
                earlier["_replaced"] = True  # uploading again replaces the order's invoice
        self.invoice_imports[import_id] = {
            "importId": import_id,
            "orderId": order_id,
            "fileName": part["name"],
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "status": "Running",
            "integrationStatus": "OrderCheck",
            "createdAt": stamp,
            "updatedAt": stamp,
            "_posted": time.time(),
            "_fail": fail,
            "_replaced": False,
        }
        self.dirty = True
        return {"importId": import_id, "status": "Running"}

    def invoice_import(self, import_id: str) -> dict[str, Any]:
        """GET /order-invoice-imports/{importId}."""
        record = self.invoice_imports.get(import_id)
        if record is None:
            raise SandboxError(404, "Not Found", f"Import {import_id} was not found.")
        if record["status"] == "Running" and time.time() - record["_posted"] >= self.config.invoice_import_seconds:
            self._finish_import(record)
        return self._render_import(record)

    def invoice_documents(self, order_id: str) -> dict[str, Any]:
        """GET /orders/{orderId}/invoice-documents: the order's current document (none, or one)."""
        self.get(order_id)
        items = [
            {
                "fileName": r["fileName"],
                "importId": r["importId"],
                "status": r["status"],
                "createdAt": r["createdAt"],
            }
            for r in self.invoice_imports.values()
            if r["orderId"] == order_id and not r["_replaced"]
        ]
        return {"items": items, "nextCursor": None}

    def finish_imports(self) -> list[str]:
        """A lifecycle step: every Running import ends. Returns their ids."""
        done = [r for r in self.invoice_imports.values() if r["status"] == "Running"]
        for record in done:
            self._finish_import(record)
        return [r["importId"] for r in done]

    def _finish_import(self, record: dict[str, Any]) -> None:
        if record["_fail"]:
            record.update(status="Failure", integrationStatus="FileCheck")
            record["errors"] = [{"code": "InvalidFile", "message": "The invoice file could not be read."}]
        else:
            record.update(status="Success", integrationStatus="ExtractUpload")
        record["updatedAt"] = _stamp(self.now())
        self.dirty = True

    @staticmethod
    def _render_import(record: dict[str, Any]) -> dict[str, Any]:
        file = {
            "fileName": record["fileName"],
            "orderId": record["orderId"],
            "status": record["status"],
            "integrationStatus": record["integrationStatus"],
            "errors": record.get("errors", []),
        }
        keys = ("importId", "status", "integrationStatus", "createdAt", "updatedAt")
        return {**{k: record[k] for k in keys}, "errors": [], "files": [file]}
