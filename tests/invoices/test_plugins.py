"""Invoice plugins: the shipped thermal-label plugin found through its entry point and printed
(a 4x6 inch page); plugins from the INVOICE_PLUGINS setting; a plugin that raises names itself
in the message instead of a 500; a plugin uninstalled after being chosen falls back to Standard
with a warning on Invoice Settings."""

from __future__ import annotations

import io
import shutil
from importlib import metadata

import pytest
from django.urls import reverse
from pypdf import PdfReader

from invoices.models import Invoice, InvoicePreference, InvoiceSettingsChange, InvoiceType
from invoices.renderers.plugins import ENTRY_POINT_GROUP, plugin_registry
from invoices.services import invoice_print
from orders.choices import Channel
from tests.invoices.conftest import make_order, pdf_text
from tests.invoices.test_pictures import to_png
from tests.invoices.test_views import settings_data

CUSTOMER = {"first_name": "Hélène", "last_name": "Lefèvre", "line1": "3 rue Pasteur", "postal_code": "69003"}
CUSTOMER |= {"city": "Lyon", "country_code": "FR"}
LINES = [("LAMP-7", "Lampe de chevet « Élise »", 2, "19.99", "4.99"), ("BOOK-1", "Le Petit Prince", 1, "12.99", "0")]


@pytest.fixture
def admin(client, client_admin):
    client.force_login(client_admin)
    return client


def choose_plugin(company, key: str, channel=Channel.CDISCOUNT) -> None:
    InvoicePreference.objects.create(company=company, channel=channel, invoice_type=InvoiceType.PLUGIN, plugin=key)


def test_the_thermal_plugin_is_found_through_its_entry_point():
    entry = next(e for e in metadata.entry_points(group=ENTRY_POINT_GROUP) if e.name == "thermal_4x6")
    plugin = plugin_registry().plugins["thermal_4x6"]

    assert entry.dist is not None and entry.dist.name == "sellercloud-thermal-invoice"
    assert plugin.label == "Thermal label 4x6 (half label, half packing slip)"
    assert plugin.source == f"entry point thermal_4x6 of sellercloud-thermal-invoice {entry.dist.version}"


def test_invoice_settings_offers_the_registered_plugins_and_says_where_each_comes_from(admin, legal_company, settings):
    settings.INVOICE_PLUGINS = ["tests.invoices.plugin_samples.ExplodingInvoice", "tests.invoices.nowhere.Gone"]

    html = admin.get(reverse("invoice_settings", args=[legal_company.pk])).content.decode()

    assert '<option value="thermal_4x6">Thermal label 4x6 (half label, half packing slip)</option>' in html
    assert '<option value="exploding">Exploding invoice</option>' in html
    assert "entry point thermal_4x6 of sellercloud-thermal-invoice" in html and "setting INVOICE_PLUGINS" in html
    assert "tests.invoices.nowhere.Gone" in html and "not loaded" in html
    assert 'value="Gone"' not in html


def test_choosing_the_thermal_plugin_prints_a_4x6_label_invoice(admin, legal_company, tmp_path):
    admin.post(
        reverse("invoice_settings", args=[legal_company.pk]),
        settings_data(type_cdiscount=InvoiceType.PLUGIN, plugin_cdiscount="thermal_4x6"),
    )
    order = make_order(legal_company, LINES, billing_address=CUSTOMER, shipping_address=CUSTOMER)

    response = admin.post(reverse("print_invoice", args=[order.pk]))

    invoice = Invoice.objects.get(order=order)
    assert invoice.invoice_type == InvoiceType.PLUGIN and invoice.snapshot["plugin"] == "thermal_4x6"
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) == 1  # the label and the packing slip on one label
    page = pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (288, 432)  # 4 x 6 in
    text = pdf_text(response.content)
    assert f"FACTURE {invoice.number}" in text and "Hélène Lefèvre" in text and order.channel_order_id in text
    assert "Lampe de chevet « Élise »" in text and "Total TTC 57.96 EUR" in text
    issued = invoice.snapshot["issue_date"].split("-")
    assert f"Date : {issued[2]}/{issued[1]}/{issued[0]}" in text  # the French way
    change = InvoiceSettingsChange.objects.get(field="Invoice Type: Cdiscount")
    assert change.new_value == "Plugin: Thermal label 4x6 (half label, half packing slip)"
    if shutil.which("pdftoppm"):
        to_png(response.content, tmp_path, "plugin-thermal-4x6")


def test_a_plugin_that_raises_gives_a_message_naming_it(admin, legal_company, settings):
    settings.INVOICE_PLUGINS = ["tests.invoices.plugin_samples.ExplodingInvoice"]
    choose_plugin(legal_company, "exploding")
    order = make_order(legal_company, LINES)

    response = admin.post(reverse("print_invoice", args=[order.pk]), follow=True)

    html = response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert response.status_code == 200
    number = Invoice.objects.get(order=order).number
    assert f"Invoice {number} is issued, but its PDF could not be made" in html
    assert "The invoice plugin “Exploding invoice” (exploding, setting INVOICE_PLUGINS) failed" in html
    assert "RuntimeError: the label printer template is missing" in html


def test_a_plugin_uninstalled_after_being_chosen_falls_back_to_standard_with_a_warning(admin, legal_company):
    choose_plugin(legal_company, "uninstalled_label")
    order = make_order(legal_company, LINES)

    page = admin.get(reverse("invoice_settings", args=[legal_company.pk])).content.decode()
    text = pdf_text(admin.post(reverse("print_invoice", args=[order.pk])).content)

    assert "The plugin “uninstalled_label” chosen for Cdiscount is no longer installed" in page
    assert "print as Standard Invoice" in page
    assert "INVOICE" in text and Invoice.objects.get(order=order).invoice_type == InvoiceType.STANDARD


def test_an_invoice_issued_with_a_plugin_since_removed_prints_as_standard(legal_company, client_admin, settings):
    settings.INVOICE_PLUGINS = ["tests.invoices.plugin_samples.ExplodingInvoice"]
    choose_plugin(legal_company, "exploding")
    order = make_order(legal_company, LINES)
    with pytest.raises(Exception, match="Exploding invoice"):
        invoice_print(order=order, by=client_admin)
    settings.INVOICE_PLUGINS = []

    text = pdf_text(invoice_print(order=order, by=client_admin).pdf)

    assert "INVOICE" in text and Invoice.objects.get(order=order).number in text


def test_a_plugin_that_is_not_a_renderer_is_not_offered(settings):
    settings.INVOICE_PLUGINS = ["tests.invoices.plugin_samples.NotARenderer"]

    registry = plugin_registry()

    assert "not_a_renderer" not in registry.plugins
    assert any("it has no `label`" in error.error for error in registry.errors)
