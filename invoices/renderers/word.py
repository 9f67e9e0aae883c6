"""Word to PDF: the invoice's Word template filled from the snapshot (invoices.word.templates)
and converted by the LibreOffice kept running (invoices.word.converter)."""

from __future__ import annotations

import logging

from jinja2 import TemplateError

from ..models import WordTemplate
from ..word.converter import ConversionFailed, ConverterUnavailable, docx_to_pdf, libreoffice_missing
from ..word.templates import template_fill, word_context
from .base import PrintJob, RenderError
from .standard import StandardRenderer

logger = logging.getLogger(__name__)


def word_pdf(template: bytes, job: PrintJob) -> bytes:
    """The PDF of `job` printed with a Word template (also the upload's preview)."""
    if reason := libreoffice_missing():
        raise RenderError(f"Word to PDF cannot print on this server: {reason}")
    try:
        filled = template_fill(template, word_context(job.snapshot, printed_count=job.printed_count))
    except TemplateError as e:
        raise RenderError(f"The Word template could not be filled: {e.message}") from e
    try:
        return docx_to_pdf(filled)
    except (ConverterUnavailable, ConversionFailed) as e:
        raise RenderError(str(e)) from e


class WordRenderer:
    """The Word to PDF Invoice Type: the template the invoice was issued with."""

    key = "word"
    label = "Word to PDF"

    def render(self, job: PrintJob) -> bytes:
        if job.is_packing_slip:
            # A Word template prints prices; with Show Prices off the packing slip is the Standard one.
            return StandardRenderer().render(job)
        template_id = job.snapshot.get("word_template_id") or 0
        content = WordTemplate.objects.filter(pk=template_id).values_list("content", flat=True).first()
        if content is None:
            raise RenderError("The Word template this invoice was issued with no longer exists.")
        return word_pdf(bytes(content), job)
