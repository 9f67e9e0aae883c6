"""Invoice Settings' Word templates: upload one (checked, or refused with its reason and nothing
saved) and preview one on a sample order. Thin views: the work is invoices.word_templates'."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.permissions import Permission, company_for_user_or_404, user_can

from .forms import WordTemplateUploadForm
from .models import WordTemplate
from .renderers.base import RenderError
from .word.templates import TemplateRefused
from .word_templates import word_template_preview, word_template_upload


@login_required
@require_POST
def word_template_upload_view(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Upload a .docx template (Manage invoice settings)."""
    company = company_for_user_or_404(request.user, company_id)
    if not user_can(request.user, Permission.MANAGE_INVOICES, company):
        raise PermissionDenied("Uploading Word templates needs the Manage invoice settings permission.")
    form = WordTemplateUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [f"{form[name].label}: {' '.join(str(m) for m in e)}" for name, e in form.errors.items()]
        messages.error(request, "Nothing was uploaded. " + " ".join(errors))
    else:
        try:
            template = word_template_upload(
                company=company, by=request.user, name=form.cleaned_data["name"], file=form.cleaned_data["file"]
            )
        except TemplateRefused as refused:
            messages.error(request, f"The Word template was refused, nothing was saved: {refused}")
        else:
            messages.success(request, f"Word template “{template.name}” uploaded: choose it for a channel below.")
    return redirect("invoice_settings", company_id=company.pk)


@login_required
def word_template_preview_view(request: AuthenticatedHttpRequest, template_id: int) -> HttpResponse:
    """The template printed on a sample order, as a PDF shown in the browser."""
    template = get_object_or_404(WordTemplate, pk=template_id)
    company = company_for_user_or_404(request.user, template.company_id)
    try:
        pdf = word_template_preview(template=template)
    except RenderError as e:
        messages.error(request, f"No preview of “{template.name}”: {e}")
        return redirect("invoice_settings", company_id=company.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="preview-{template.pk}.pdf"'
    return response
