"""Invoice Settings, Print Invoice and credit notes (included at the root by sellercloud.urls)."""

from django.urls import path

from . import views, views_bulk, views_word

urlpatterns = [
    path("invoices/bulk-print/<str:job_id>/", views_bulk.bulk_print_job, name="bulk_print_job"),
    path("invoices/bulk-print/<str:job_id>/pdf/", views_bulk.bulk_print_download, name="bulk_print_pdf"),
    path("companies/<int:company_id>/invoice-settings/", views.invoice_settings, name="invoice_settings"),
    path(
        "companies/<int:company_id>/invoice-settings/word-templates/",
        views_word.word_template_upload_view,
        name="word_template_upload",
    ),
    path(
        "word-templates/<int:template_id>/preview/",
        views_word.word_template_preview_view,
        name="word_template_preview",
    ),
    path("orders/<int:order_id>/print-invoice/", views.print_invoice, name="print_invoice"),
    path("orders/<int:order_id>/invoices/", views.order_invoices, name="order_invoices"),
    path("refunds/<int:refund_id>/credit-note/", views.print_refund_credit_note, name="print_refund_credit_note"),
    path("credit-notes/<int:credit_note_id>/print/", views.print_credit_note, name="print_credit_note"),
]
