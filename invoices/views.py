"""Invoice Settings (Company Settings > Toolbox) and Print Invoice (Order Details > Actions).

Thin views: they check who may do what (sellercloud.permissions), call one service, and answer.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from orders.choices import Channel
from orders.models import Refund
from orders.selectors import order_for_user_or_404
from sellercloud.http import AuthenticatedHttpRequest
from sellercloud.models import Company
from sellercloud.permissions import Permission, company_for_user_or_404, user_can
from sellercloud.shell import integrated_channels, toolbox_for

from .credit_notes import CreditNoteRefused, credit_note_print, credit_note_print_for_refund, order_documents
from .forms import EMPTY_RATE_ROWS, InvoiceSettingsForm, WordTemplateUploadForm
from .models import FacturX, Invoice, InvoicePreference, InvoiceSettingsChange, InvoiceType, SkuVatRate, WordTemplate
from .renderers.plugins import plugin_for, plugin_registry
from .services import InvoiceRefused, InvoiceRenderFailed, PrintedDocument, invoice_print, invoice_settings_for
from .settings_services import invoice_settings_update
from .word.converter import libreoffice_missing
from .word.templates import PLACEHOLDERS


def _initial(company: Company, rates: list[SkuVatRate]) -> dict[str, object]:
    options = invoice_settings_for(company)
    initial: dict[str, object] = {
        "show_prices": options.show_prices,
        "print_printed_count": options.print_printed_count,
        "factur_x": options.factur_x,
    }
    preferences = {p.channel: p for p in InvoicePreference.objects.filter(company=company)}
    for channel in Channel:
        preference = preferences.get(channel.value)
        invoice_type = preference.invoice_type if preference else InvoiceType.STANDARD
        if preference and invoice_type == InvoiceType.PLUGIN and plugin_for(preference.plugin) is None:
            invoice_type = InvoiceType.STANDARD  # what it prints now (the page warns about it)
        initial[f"type_{channel.value}"] = invoice_type
        initial[f"word_{channel.value}"] = preference.word_template_id if preference else None
        initial[f"plugin_{channel.value}"] = preference.plugin if preference else ""
        initial[f"fx_{channel.value}"] = preference.factur_x if preference else FacturX.BUSINESS
    for n, row in enumerate(rates):
        initial[f"sku_{n}"], initial[f"rate_{n}"] = row.sku, row.rate
    return initial


@login_required
def invoice_settings(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Default options, Per Channel Preferences and VAT rates per SKU; Save needs the
    manage-invoice-settings permission, everyone else of the company reads them."""
    company = company_for_user_or_404(request.user, company_id)
    can_edit = user_can(request.user, Permission.MANAGE_INVOICES, company)
    rates = list(SkuVatRate.objects.filter(company=company))
    templates = list(WordTemplate.objects.filter(company=company).defer("content").select_related("uploaded_by"))
    registry = plugin_registry()
    choices: dict[str, Any] = {
        "word_templates": [(t.pk, t.name) for t in templates],
        "plugins": [(p.key, p.label) for p in registry.plugins.values()],
    }
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Changing Invoice Settings needs the Manage invoice settings permission.")
        form = InvoiceSettingsForm(request.POST, rate_rows=InvoiceSettingsForm.posted_rows(request.POST), **choices)
        if form.is_valid() and _save(request, company, form):
            return redirect("invoice_settings", company_id=company.pk)
    else:
        form = InvoiceSettingsForm(initial=_initial(company, rates), rate_rows=len(rates) + EMPTY_RATE_ROWS, **choices)
    return render(
        request,
        "invoices/invoice_settings.html",
        {
            "title": f"Invoice Settings — {company.name}",
            "company": company,
            "toolbox": toolbox_for(request, company),
            "form": form,
            "can_edit": can_edit,
            "integrated": set(integrated_channels([company.pk]).get(company.pk, [])),
            "changes": InvoiceSettingsChange.objects.filter(company=company).select_related("user")[:50],
            "word_templates": templates,
            "upload_form": WordTemplateUploadForm(),
            "libreoffice_missing": libreoffice_missing(),
            "placeholders": list(PLACEHOLDERS.items()),
            "plugins": registry.plugins.values(),
            "plugin_errors": registry.errors,
            "missing_plugins": _missing_plugins(company),
        },
    )


def _missing_plugins(company: Company) -> list[tuple[str, str]]:
    """(channel, plugin) of the preferences whose plugin is no longer registered."""
    chosen = InvoicePreference.objects.filter(company=company, invoice_type=InvoiceType.PLUGIN)
    return [(p.get_channel_display(), p.plugin) for p in chosen if plugin_for(p.plugin) is None]


def _save(request: AuthenticatedHttpRequest, company: Company, form: InvoiceSettingsForm) -> bool:
    """Save a valid form through the service; the outcome becomes a message."""
    try:
        changed = invoice_settings_update(
            company=company,
            by=request.user,
            show_prices=form.cleaned_data["show_prices"],
            print_printed_count=form.cleaned_data["print_printed_count"],
            factur_x=form.cleaned_data["factur_x"],
            channels=form.channel_choices(),
            sku_rates=form.sku_rates(),
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return False
    messages.success(request, f"Invoice Settings saved ({len(changed)} changes)." if changed else "No changes.")
    return True


@login_required
@require_POST
def print_invoice(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """Print Invoice: issues the number at the first print, answers with the PDF."""
    order = order_for_user_or_404(request.user, order_id)
    if not user_can(request.user, Permission.PROCESS_ORDERS, order.company):
        raise PermissionDenied("Printing invoices needs the Process orders permission.")
    try:
        printed = invoice_print(order=order, by=request.user)
    except InvoiceRefused as refused:
        if refused.missing:
            url = reverse("company_edit", args=[order.company_id])
            messages.error(request, format_html('{} <a href="{}">Edit Company Settings</a>', str(refused), url))
        else:
            messages.error(request, str(refused))
        return redirect("orders:detail", order_id=order.pk)
    except InvoiceRenderFailed as failed:
        messages.error(request, str(failed))
        return redirect("orders:detail", order_id=order.pk)
    return _pdf_response(printed)


def _pdf_response(printed: PrintedDocument) -> HttpResponse:
    response = HttpResponse(printed.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{printed.filename}"'
    return response


@login_required
@require_POST
def print_refund_credit_note(request: AuthenticatedHttpRequest, refund_id: int) -> HttpResponse:
    """The Refunds panel's Credit Note: prints the refund's credit note, issuing it if missing."""
    refund = get_object_or_404(Refund.objects.select_related("order"), pk=refund_id)
    order = order_for_user_or_404(request.user, refund.order_id)
    if not user_can(request.user, Permission.PROCESS_ORDERS, order.company):
        raise PermissionDenied("Printing credit notes needs the Process orders permission.")
    try:
        return _pdf_response(credit_note_print_for_refund(refund=refund, by=request.user))
    except (CreditNoteRefused, InvoiceRenderFailed) as refused:
        messages.error(request, str(refused))
        return redirect("orders:detail", order_id=order.pk)


@login_required
@require_POST
def print_credit_note(request: AuthenticatedHttpRequest, credit_note_id: int) -> HttpResponse:
    """Print an issued credit note again (the order's invoice list)."""
    note = get_object_or_404(Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE), pk=credit_note_id)
    order = order_for_user_or_404(request.user, note.order_id)
    if not user_can(request.user, Permission.PROCESS_ORDERS, order.company):
        raise PermissionDenied("Printing credit notes needs the Process orders permission.")
    try:
        return _pdf_response(credit_note_print(credit_note=note, by=request.user))
    except (CreditNoteRefused, InvoiceRenderFailed) as refused:
        messages.error(request, str(refused))
        return redirect("orders:detail", order_id=order.pk)


@login_required
def order_invoices(request: AuthenticatedHttpRequest, order_id: int) -> HttpResponse:
    """The order's invoice list: its invoice and credit notes, each printable again."""
    order = order_for_user_or_404(request.user, order_id)
    return render(
        request,
        "invoices/order_invoices.html",
        {
            "title": f"Invoices and Credit Notes — Order {order.pk}",
            "order": order,
            "documents": order_documents(order),
            "can_print": user_can(request.user, Permission.PROCESS_ORDERS, order.company),
        },
    )
