"""Invoice Settings, Print Invoice and credit notes (included at the root by sellercloud.urls)."""

from django.urls import path

from . import views

urlpatterns = [
    path("companies/<int:company_id>/invoice-settings/", views.invoice_settings, name="invoice_settings"),
    path("orders/<int:order_id>/print-invoice/", views.print_invoice, name="print_invoice"),
    path("orders/<int:order_id>/invoices/", views.order_invoices, name="order_invoices"),
    path("refunds/<int:refund_id>/credit-note/", views.print_refund_credit_note, name="print_refund_credit_note"),
    path("credit-notes/<int:credit_note_id>/print/", views.print_credit_note, name="print_credit_note"),
]
