"""An invoice is a document of record: printed again after the order changed, it still shows
what was issued; markup in order data prints as text and nothing is fetched from the network."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest

from invoices.fetcher import BASE_URL, FetchRefused, OfflineFetcher, local_path
from invoices.models import InvoicePreference, InvoiceType
from invoices.renderers.base import PrintJob, html_to_pdf
from invoices.services import invoice_print
from orders.choices import Channel
from orders.models import Order
from tests.invoices.conftest import make_order, pdf_text


def test_a_reprint_after_the_order_changed_shows_what_was_issued(pinned_clock, legal_company, client_admin):
    order = make_order(legal_company, [("LAMP", "Lampe Élise en laiton", 2, "49.90", "4.99")])
    first = invoice_print(order=order, by=client_admin)

    # when the order changes after the invoice was issued
    item = order.items.get()
    item.title, item.unit_price = "Lampe modifiée", Decimal("99.00")
    item.save()
    Order.objects.filter(pk=order.pk).update(customer_name="Quelqu'un d'autre", grand_total=Decimal("202.99"))
    order.refresh_from_db()
    again = invoice_print(order=order, by=client_admin)

    # then the second print shows the first's content
    text = pdf_text(again.pdf)
    assert "Lampe Élise en laiton" in text and "Lampe modifiée" not in text
    assert "104.79" in text and "202.99" not in text
    assert again.invoice.number == first.invoice.number and again.invoice.printed_count == 2


@pytest.fixture
def listening_socket():
    """A socket on loopback that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.3)
    yield server
    server.close()


def connections_received(server: socket.socket) -> int:
    received = 0
    try:
        while True:
            conn, _ = server.accept()
            conn.close()
            received += 1
    except TimeoutError:
        return received


@pytest.mark.parametrize("invoice_type", [InvoiceType.STANDARD, InvoiceType.CHANNEL_SPECIFIC])
def test_markup_in_order_data_prints_as_text_and_fetches_nothing(
    invoice_type, legal_company, client_admin, listening_socket
):
    port = listening_socket.getsockname()[1]
    title = f'<img src="http://127.0.0.1:{port}/x">'
    InvoicePreference.objects.create(company=legal_company, channel=Channel.CDISCOUNT, invoice_type=invoice_type)
    order = make_order(legal_company, [("LAMP", title, 1, "10.00", "0.00")], customer_name="<b>Hélène</b>")

    text = pdf_text(invoice_print(order=order, by=client_admin).pdf)

    assert title.replace(" ", "") in text.replace(" ", "")  # printed as text (wrapped in its column)
    assert connections_received(listening_socket) == 0


def test_the_fetcher_refuses_every_url_but_our_static_and_media(listening_socket, settings, tmp_path):
    port = listening_socket.getsockname()[1]
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "logo.png").write_bytes(b"\x89PNG")

    assert local_path(f"{BASE_URL}static/invoices/invoice.css") is not None
    assert local_path(f"{BASE_URL}media/logos/logo.png") == tmp_path / "logos" / "logo.png"
    for url in (
        f"http://127.0.0.1:{port}/x",
        "file:///etc/passwd",
        f"{BASE_URL}media/../../etc/passwd",
        f"{BASE_URL}static/../sellercloud/settings.py",
        f"{BASE_URL}other/file.css",
        "http://169.254.169.254/latest/meta-data/",
    ):
        assert local_path(url) is None, url
        with pytest.raises(FetchRefused):
            OfflineFetcher().fetch(url)
    assert connections_received(listening_socket) == 0


def test_weasyprint_never_opens_a_url_that_reaches_it(listening_socket, monkeypatch, caplog):
    port = listening_socket.getsockname()[1]
    monkeypatch.setattr(
        "invoices.renderers.base.render_to_string",
        lambda *a, **k: (
            f'<p>Lampe</p><img src="http://127.0.0.1:{port}/x">'
            f'<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">'
        ),
    )

    pdf = html_to_pdf("unused.html", PrintJob(snapshot={}))

    assert pdf.startswith(b"%PDF")
    assert connections_received(listening_socket) == 0
    # WeasyPrint did ask, and the fetcher refused both
    assert caplog.text.count(f"event=invoice_fetch_refused url=http://127.0.0.1:{port}/") == 2
