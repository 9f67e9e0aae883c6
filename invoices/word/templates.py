"""Word templates are untrusted input: checked on upload, filled in Jinja's sandbox.

A template is refused (TemplateRefused, with a message naming the problem) unless it is a real
.docx (a zip holding word/document.xml), within the size limits, without macros, without links
to outside resources (LibreOffice would fetch a linked picture while converting), and every
placeholder it uses is one we fill. It is then filled once on a sample invoice with undefined
names and unsafe attributes raising, so `{{ ''.__class__ }}` is refused at upload; at print the
same sandbox renders anything unsafe as empty. The context is the snapshot's plain values
(JSON-round-tripped: no model object, no callable), escaped for XML.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..templatetags.invoice_tags import dmy, fr_money

DOCX_CONTENT = "word/document.xml"
MAX_PARTS = 500
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024  # a zip bomb stops here, before anything is parsed
# What each top-level placeholder holds (docs/word-templates.md lists every field).
PLACEHOLDERS = {
    "number": "the invoice number (F2026-000123)",
    "issue_date": "the date of issue (2026-05-14)",
    "sale_date": "the date of sale",
    "currency": "the order's currency (EUR)",
    "printed_count": "how many times it was printed, this print included (Print Printed Count on), else empty",
    "seller": "your company: name, legal_name, address (lines), siret, siren, vat_number, ...",
    "buyer": "the customer: name, company, vat_number, is_business",
    "billing_address": "the billing address, one line each",
    "shipping_address": "the shipping address, one line each",
    "order": "id, channel_label, channel_order_id, order_date",
    "items": "the product lines (the items table): designation, sku, quantity, unit_price_ht, ...",
    "lines": "the product lines then the shipping lines, as the Facture lists them",
    "vat_breakdown": "one row per VAT rate: rate, ht, vat, ttc",
    "totals": "subtotal_ttc, shipping_ttc, ht, vat, ttc",
    "payments": "label, date, amount",
    "refunds": "label, date, amount",
}
_EXTERNAL_OK = {"http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"}
_TARGET_MODE = re.compile(r"<Relationship\b[^>]*TargetMode=\"External\"[^>]*>")
_TYPE = re.compile(r'Type="([^"]*)"')
_TARGET = re.compile(r'Target="([^"]*)"')
# Field codes that make Word or LibreOffice load a file or URL when the document is opened.
_FETCHING_FIELDS = re.compile(r"\b(INCLUDEPICTURE|INCLUDETEXT|LINK|DDE|DDEAUTO|IMPORT)\b")


class TemplateRefused(ValueError):
    """The file is not a Word template we accept; the message says why."""


class _InvoiceSandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox (no private attributes, no mutating the context), without Jinja's globals
    (range, lipsum...: a template needs only our values), and without `*` or `**` making huge
    strings, lists or numbers: an uploaded template must not exhaust the server's memory."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            sequence, times = (left, right) if isinstance(left, str | list | tuple) else (right, left)
            if isinstance(sequence, str | list | tuple) and isinstance(times, int) and len(sequence) * times > 100_000:
                raise SecurityError("a repetition this long is not allowed in an invoice template")
        elif all(isinstance(v, int | float) for v in (left, right)) and (abs(right) > 100 or abs(left) > 10**6):
            raise SecurityError("a power this large is not allowed in an invoice template")
        return super().call_binop(context, operator, left, right)


def _environment(*, strict: bool) -> ImmutableSandboxedEnvironment:
    # A new environment per use: docxtpl sets autoescape on the one it is given.
    env = _InvoiceSandbox(undefined=StrictUndefined if strict else ChainableUndefined, autoescape=True)
    env.globals.clear()
    # The same formats as our HTML invoices (invoices.templatetags.invoice_tags).
    env.filters["money"] = fr_money
    env.filters["date"] = dmy
    return env


def word_context(snapshot: dict[str, Any], *, printed_count: int | None = None) -> dict[str, Any]:
    """What a template is filled with: the snapshot's plain values, nothing else."""
    context = {
        "number": snapshot.get("number", ""),
        "issue_date": snapshot.get("issue_date", ""),
        "sale_date": snapshot.get("sale_date", ""),
        "currency": snapshot.get("currency", ""),
        "printed_count": printed_count or "",
        "seller": snapshot.get("seller", {}),
        "buyer": snapshot.get("buyer", {}),
        "billing_address": snapshot.get("billing_address", []),
        "shipping_address": snapshot.get("shipping_address", []),
        "order": snapshot.get("order", {}),
        "items": [line for line in snapshot.get("lines", []) if line.get("kind") == "item"],
        "lines": snapshot.get("lines", []),
        "vat_breakdown": snapshot.get("vat_breakdown", []),
        "totals": snapshot.get("totals", {}),
        "payments": snapshot.get("payments", []),
        "refunds": snapshot.get("refunds", []),
    }
    # Round-tripped through JSON: whatever the snapshot holds, the template sees only plain
    # dicts, lists, strings and numbers.
    return json.loads(json.dumps(context, default=str))


def _check_package(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise TemplateRefused(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; a Word template may be at most "
            f"{max_bytes / 1024 / 1024:.0f} MB."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        raise TemplateRefused(
            "This is not a Word document (.docx): save the template from Word or LibreOffice as .docx."
        ) from None
    with archive:
        if DOCX_CONTENT not in names or "[Content_Types].xml" not in names:
            raise TemplateRefused("This zip file is not a Word document (.docx): it has no word/document.xml.")
        if len(names) > MAX_PARTS or sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
            raise TemplateRefused("This document is too large once unzipped to be a Word template.")
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise TemplateRefused("This document holds macros: save it as a plain .docx (not .docm).")
        for name in names:
            if name.endswith(".rels") or (name.startswith("word/") and name.endswith(".xml")):
                _check_part(name, archive.read(name).decode("utf-8", "replace"))


def _check_part(name: str, xml: str) -> None:
    if name.endswith(".rels"):
        for rel in _TARGET_MODE.findall(xml):
            kind = _TYPE.search(rel)
            if kind is None or kind.group(1) not in _EXTERNAL_OK:
                target = _TARGET.search(rel)
                where = target.group(1)[:100] if target else "an outside file"
                raise TemplateRefused(
                    f"The template links to an outside resource ({where}): embed pictures and "
                    "files in the document instead of linking them."
                )
        return
    codes = re.findall(r"<w:instrText[^>]*>([^<]*)<", xml) + re.findall(r'w:instr="([^"]*)"', xml)
    if field := _FETCHING_FIELDS.search(" ".join(codes)):
        raise TemplateRefused(f"The template has a {field.group(1)} field, which loads an outside file: remove it.")


def template_check(data: bytes, *, max_bytes: int, sample: dict[str, Any]) -> list[str]:
    """Refuse (TemplateRefused) a file that is not a Word template we accept; else return the
    placeholders it uses. `sample` is a word_context it is filled with once, strictly."""
    from docxtpl import DocxTemplate

    _check_package(data, max_bytes)
    try:
        used = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables(jinja_env=_environment(strict=True))
    except TemplateError as e:
        raise TemplateRefused(f"A placeholder is written wrong: {e.message or e}.") from None
    except Exception:  # python-docx on a broken package: the user needs the message, not the trace
        raise TemplateRefused(
            "This file could not be read as a Word document: open it in Word and save it again."
        ) from None
    unknown = sorted(used - PLACEHOLDERS.keys())
    if unknown:
        raise TemplateRefused(
            f"Unknown placeholders: {', '.join(unknown)}. A template may use: {', '.join(PLACEHOLDERS)}."
        )
    try:
        template_fill(data, sample, strict=True)
    except TemplateError as e:
        raise TemplateRefused(f"The template could not be filled: {e.message or e}.") from None
    return sorted(used)


def template_fill(data: bytes, context: dict[str, Any], *, strict: bool = False) -> bytes:
    """The template filled with `context`, as .docx bytes. Sandboxed and XML-escaped; not
    strict (at print) an unknown field or an unsafe attribute prints as nothing."""
    from docxtpl import DocxTemplate

    document = DocxTemplate(io.BytesIO(data))
    document.render(context, jinja_env=_environment(strict=strict), autoescape=True)
    out = io.BytesIO()
    document.save(out)
    filled = out.getvalue()
    _check_package(filled, MAX_UNZIPPED_BYTES)  # nothing the filling added links outside either
    return filled
