"""Invoice Settings and Print Invoice (included at the root by sellercloud.urls)."""

from django.urls import path

from . import views

urlpatterns = [
    path("companies/<int:company_id>/invoice-settings/", views.invoice_settings, name="invoice_settings"),
    path("orders/<int:order_id>/print-invoice/", views.print_invoice, name="print_invoice"),
]
