"""Invoice Settings (permission, audit trail, bad input) and Print Invoice from Order Details:
the menu item, the PDF answer, and the Per Channel Preferences choosing the renderer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from invoices.models import (
    Invoice,
    InvoicePreference,
    InvoiceSettings,
    InvoiceSettingsChange,
    InvoiceType,
    SkuVatRate,
)
from orders.choices import Channel
from orders.selectors import order_details_context
from tests.factories import MembershipFactory, UserFactory
from tests.invoices.conftest import make_order, pdf_text

LINES = [("LAMP", "Lampe Élise", 1, "49.90", "4.99")]


def settings_data(**overrides):
    data = {f"type_{channel.value}": InvoiceType.STANDARD for channel in Channel}
    data.update({f"fx_{channel.value}": "business" for channel in Channel})
    data.update({"show_prices": "on", "rate_rows": "3", "sku_0": "", "rate_0": ""})
    data.update(overrides)
    return data


@pytest.fixture
def admin(client, client_admin):
    client.force_login(client_admin)
    return client


def test_invoice_settings_lists_every_channel_with_or_without_an_account(admin, legal_company):
    html = admin.get(reverse("invoice_settings", args=[legal_company.pk])).content.decode()

    for label in ("Cdiscount", "Amazon", "eBay", "Walmart", "BigCommerce", "Website", "Local Store"):
        assert f'<th scope="row">{label}</th>' in html
    assert "Standard Invoice" in html and "Channel Specific" in html
    assert "Show Prices" in html and "Print Printed Count" in html


def test_saving_invoice_settings_records_each_change(admin, legal_company, client_admin):
    data = settings_data(type_cdiscount=InvoiceType.CHANNEL_SPECIFIC, print_printed_count="on")
    data.update(sku_0="BOOK-1", rate_0="5.5")

    response = admin.post(reverse("invoice_settings", args=[legal_company.pk]), data, follow=True)

    assert "Invoice Settings saved (3 changes)." in response.content.decode()
    assert InvoicePreference.objects.get(company=legal_company, channel="cdiscount").invoice_type == "channel_specific"
    assert SkuVatRate.objects.get(company=legal_company, sku="BOOK-1").rate == 5.5
    changes = {(c.field, c.old_value, c.new_value, c.user_id) for c in InvoiceSettingsChange.objects.all()}
    assert changes == {
        ("Invoice Type: Cdiscount", "Standard Invoice", "Channel Specific", client_admin.pk),
        ("Print Printed Count", "No", "Yes", client_admin.pk),
        ("VAT rate: SKU BOOK-1", "", "5.5", client_admin.pk),
    }
    assert "VAT rate: SKU BOOK-1" in response.content.decode()  # the Changes panel


def test_factur_x_is_turned_on_per_company_and_chosen_per_channel_with_each_change_recorded(
    admin, legal_company, client_admin
):
    page = admin.get(reverse("invoice_settings", args=[legal_company.pk])).content.decode()
    assert "Factur-X invoices" in page and "does not by itself meet France" in page
    assert 'name="fx_cdiscount"' in page and "Business orders" in page

    data = settings_data(factur_x="on", fx_amazon="all", fx_ebay="never")
    response = admin.post(reverse("invoice_settings", args=[legal_company.pk]), data, follow=True)

    assert "Invoice Settings saved (3 changes)." in response.content.decode()
    assert InvoiceSettings.objects.get(company=legal_company).factur_x is True
    chosen = dict(InvoicePreference.objects.filter(company=legal_company).values_list("channel", "factur_x"))
    assert chosen == {"amazon": "all", "ebay": "never"}
    changes = {(c.field, c.old_value, c.new_value) for c in InvoiceSettingsChange.objects.all()}
    assert changes == {
        ("Factur-X invoices", "No", "Yes"),
        ("Factur-X: Amazon", "Business orders", "Every order"),
        ("Factur-X: eBay", "Business orders", "Never"),
    }


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"sku_0": "BOOK-1", "rate_0": "150"}, "less than or equal to 100"),
        ({"sku_0": "BOOK-1", "rate_0": ""}, "Give the VAT rate of BOOK-1"),
        ({"sku_0": "", "rate_0": "5.5"}, "A VAT rate needs its SKU."),
        ({"type_cdiscount": "pdf"}, "Select a valid choice"),
        ({"type_cdiscount": "word"}, "Choose the Word template Cdiscount prints with."),
        ({"type_cdiscount": "plugin"}, "Choose the plugin Cdiscount prints with."),
        ({"factur_x": "on", "fx_cdiscount": "always"}, "Select a valid choice"),
        ({"sku_0": "BOOK-1", "rate_0": "5.5", "sku_1": "BOOK-1", "rate_1": "10"}, "listed more than once"),
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(admin, legal_company, overrides, error):
    response = admin.post(reverse("invoice_settings", args=[legal_company.pk]), settings_data(**overrides), follow=True)

    assert error in response.content.decode()
    assert not InvoiceSettings.objects.exists() and not InvoicePreference.objects.exists()
    assert not SkuVatRate.objects.exists() and not InvoiceSettingsChange.objects.exists()


def test_only_the_manage_invoice_settings_permission_changes_them(client, legal_company):
    reader, manager = UserFactory(), UserFactory()
    MembershipFactory(user=reader, company=legal_company, can_process_orders=True)
    MembershipFactory(user=manager, company=legal_company, can_manage_invoices=True)
    url = reverse("invoice_settings", args=[legal_company.pk])
    data = settings_data(type_amazon=InvoiceType.CHANNEL_SPECIFIC)

    client.force_login(reader)
    assert "Read-only" in client.get(url).content.decode()
    assert client.post(url, data).status_code == 403
    assert not InvoicePreference.objects.exists()

    client.force_login(manager)
    assert client.post(url, data).status_code == 302
    assert InvoicePreference.objects.get(channel="amazon").invoice_type == InvoiceType.CHANNEL_SPECIFIC


def test_another_companys_invoice_settings_and_invoices_are_404(client, legal_company):
    from tests.factories import CompanyFactory

    other = CompanyFactory()
    user = UserFactory()
    MembershipFactory(user=user, company=other, can_manage_invoices=True, can_process_orders=True)
    order = make_order(legal_company, LINES)
    client.force_login(user)

    assert client.get(reverse("invoice_settings", args=[legal_company.pk])).status_code == 404
    assert client.post(reverse("print_invoice", args=[order.pk])).status_code == 404
    assert not Invoice.objects.exists()


def test_print_invoice_is_a_post_that_answers_with_the_pdf(admin, legal_company):
    order = make_order(legal_company, LINES)
    url = reverse("print_invoice", args=[order.pk])

    assert admin.get(url).status_code == 405
    response = admin.post(url)

    assert response["Content-Type"] == "application/pdf"
    number = Invoice.objects.get(order=order).number
    assert response["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
    assert number in pdf_text(response.content)


def test_the_actions_menu_offers_print_invoice_or_says_why_not(legal_company, client_admin):
    paid, unpaid = make_order(legal_company, LINES), make_order(legal_company, LINES, pay=False)

    def item(order):
        actions = order_details_context(order_id=order.pk, user=client_admin).actions
        return next(a for a in actions if a.label == "Print Invoice")

    assert item(paid).is_post and not item(paid).disabled_reason
    assert item(paid).url == reverse("print_invoice", args=[paid.pk])
    assert "No payment" in item(unpaid).disabled_reason
    legal_company.rcs_city = ""
    legal_company.save()
    assert "RCS city" in item(paid).disabled_reason


@pytest.mark.parametrize(
    ("channel", "invoice_type", "title"),
    [
        (Channel.CDISCOUNT, None, "INVOICE"),
        (Channel.CDISCOUNT, InvoiceType.STANDARD, "INVOICE"),
        (Channel.CDISCOUNT, InvoiceType.CHANNEL_SPECIFIC, "FACTURE"),
        (Channel.WEBSITE, InvoiceType.CHANNEL_SPECIFIC, "FACTURE"),
        (Channel.WEBSITE, InvoiceType.STANDARD, "INVOICE"),
    ],
)
def test_the_per_channel_preference_decides_the_renderer(admin, legal_company, channel, invoice_type, title):
    if invoice_type:
        InvoicePreference.objects.create(company=legal_company, channel=channel, invoice_type=invoice_type)
    # the other channel's choice does not matter
    other = Channel.WEBSITE if channel == Channel.CDISCOUNT else Channel.CDISCOUNT
    InvoicePreference.objects.create(company=legal_company, channel=other, invoice_type=InvoiceType.CHANNEL_SPECIFIC)
    order = make_order(legal_company, LINES, channel=channel)

    text = pdf_text(admin.post(reverse("print_invoice", args=[order.pk])).content)

    assert title in text and ({"INVOICE", "FACTURE"} - {title}).pop() not in text
    assert Invoice.objects.get(order=order).invoice_type == (invoice_type or InvoiceType.STANDARD)


def test_with_show_prices_off_a_packing_slip_takes_no_number(admin, legal_company):
    InvoiceSettings.objects.create(company=legal_company, show_prices=False)
    order = make_order(legal_company, LINES)

    text = pdf_text(admin.post(reverse("print_invoice", args=[order.pk])).content)

    assert "PACKING SLIP" in text and "Lampe Élise" in text
    assert "49.90" not in text and "F20" not in text
    assert not Invoice.objects.exists()
