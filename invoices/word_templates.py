"""Word templates on Invoice Settings: the upload (checked, then saved with its audit row, or
refused with nothing saved) and the preview on a sample order (SPEC S9, issue 20)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from sellercloud.models import Company, User

from .models import InvoiceSettingsChange, WordTemplate
from .renderers.base import PrintJob
from .renderers.word import word_pdf
from .word.sample import sample_snapshot
from .word.templates import TemplateRefused, template_check, word_context

logger = logging.getLogger(__name__)


def word_template_upload(*, company: Company, by: User | None, name: str, file: UploadedFile) -> WordTemplate:
    """Check an uploaded .docx and keep it as one of the company's Word templates.

    Refused (TemplateRefused, nothing saved) unless it is a real .docx within the size limit,
    without outside links, whose placeholders are all ours and which fills on a sample order.
    """
    limit = settings.WORD_TEMPLATE_MAX_BYTES
    # The declared size first: a 30 MB upload is refused without being read into memory.
    if file.size is None or file.size > limit:
        size = f"{file.size / 1024 / 1024:.1f} MB" if file.size else "of unknown size"
        raise TemplateRefused(f"The file is {size}; a Word template may be at most {limit / 1024 / 1024:.0f} MB.")
    name = (name or file.name or "").strip()[:100]
    if not name:
        raise TemplateRefused("Give the template a name.")
    if WordTemplate.objects.filter(company=company, name=name).exists():
        raise TemplateRefused(f"A Word template named “{name}” exists already: give this one another name.")
    data = file.read()
    placeholders = template_check(data, max_bytes=limit, sample=word_context(sample_snapshot(company)))
    with transaction.atomic():
        template = WordTemplate.objects.create(
            company=company,
            name=name,
            content=data,
            size=len(data),
            placeholders=placeholders,
            uploaded_by=by if by is not None and by.is_authenticated else None,
        )
        InvoiceSettingsChange.objects.create(
            company=company, user=template.uploaded_by, field="Word template uploaded", new_value=name
        )
    logger.info("event=word_template_uploaded company=%s template=%s size=%s", company.pk, template.pk, len(data))
    return template


def word_template_preview(*, template: WordTemplate) -> bytes:
    """The template printed on the sample order (raises RenderError when it cannot be)."""
    job = PrintJob(snapshot=sample_snapshot(template.company), printed_count=1)
    return word_pdf(bytes(template.content), job)
