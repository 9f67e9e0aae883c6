"""Uploading Word templates on Invoice Settings: the list (who, when), the choice per channel,
and every bad file refused with its reason and nothing saved (no LibreOffice needed: the checks
read the .docx, they do not convert it)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document

from invoices.models import InvoicePreference, InvoiceSettingsChange, InvoiceType, WordTemplate
from orders.choices import Channel
from tests.factories import MembershipFactory, UserFactory
from tests.invoices.test_views import settings_data
from tests.invoices.word_fixtures import sample_upload


@pytest.fixture
def admin(client, client_admin):
    client.force_login(client_admin)
    return client


def docx_with(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def with_linked_picture(data: bytes) -> bytes:
    """The .docx with a picture linked from a URL (LibreOffice would fetch it when converting)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "word/_rels/document.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/image" Target="http://169.254.169.254/latest/meta-data" TargetMode="External"/>'
                    b"</Relationships>",
                )
            target.writestr(item, content)
    return out.getvalue()


def upload(client, company, name: str, content: bytes, title: str = ""):
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    url = reverse("word_template_upload", args=[company.pk])
    return client.post(url, {"name": title, "file": file}, follow=True).content.decode()


def test_an_uploaded_template_is_listed_with_who_and_when_and_can_be_chosen(admin, legal_company, client_admin):
    html = admin.post(
        reverse("word_template_upload", args=[legal_company.pk]), {"file": sample_upload()}, follow=True
    ).content.decode()

    template = WordTemplate.objects.get(company=legal_company)
    assert "Word template “facture-exemple.docx” uploaded" in html
    assert template.uploaded_by == client_admin
    assert f"<td>{client_admin.get_full_name() or client_admin.username}</td>" in html
    assert "Preview on a sample order" in html and template.uploaded_at.strftime("%d/%m/%Y") in html
    assert {"number", "lines", "totals"} <= set(template.placeholders)

    data = settings_data(type_cdiscount=InvoiceType.WORD, word_cdiscount=str(template.pk))
    admin.post(reverse("invoice_settings", args=[legal_company.pk]), data)

    preference = InvoicePreference.objects.get(company=legal_company, channel=Channel.CDISCOUNT)
    assert (preference.invoice_type, preference.word_template) == (InvoiceType.WORD, template)
    change = InvoiceSettingsChange.objects.get(field="Invoice Type: Cdiscount")
    assert (change.old_value, change.new_value) == ("Standard Invoice", "Word to PDF: facture-exemple.docx")


def test_a_template_uploaded_by_nobody_is_listed(admin, legal_company):
    # the demo's sample template, and any uploaded by a user deleted since
    from invoices.demo import demo_seed_legal_details

    demo_seed_legal_details(company=legal_company)

    html = admin.get(reverse("invoice_settings", args=[legal_company.pk])).content.decode()

    assert "<td>Facture (exemple)</td><td>—</td>" in html


BAD_FILES = [
    ("notes.docx", b"Bonjour, ceci est un fichier texte.\n", "This is not a Word document (.docx)"),
    ("archive.docx", None, "This zip file is not a Word document (.docx): it has no word/document.xml."),
    (
        "inconnu.docx",
        docx_with("{{ number }} {{ client_name }} {{ total_amount }}"),
        "Unknown placeholders: client_name, total_amount.",
    ),
    (
        "dunder.docx",
        docx_with("{{ ''.__class__.__mro__ }}"),
        "access to attribute '__class__' of 'str' object is unsafe",
    ),
    ("globals.docx", docx_with("{{ lines.__class__.__init__.__globals__ }}"), "is unsafe"),
    ("repeat.docx", docx_with("{{ number * 1000 * 1000 }}"), "a repetition this long is not allowed"),
    ("range.docx", docx_with("{% for i in range(10**6) %}{{ number }}{% endfor %}"), "Unknown placeholders: range."),
    ("syntax.docx", docx_with("{{ number "), "A placeholder is written wrong"),
    ("field.docx", docx_with("{{ seller.no_such_field }}"), "has no attribute 'no_such_field'"),
    (
        "linked.docx",
        with_linked_picture(docx_with("{{ number }}")),
        "links to an outside resource (http://169.254.169.254/latest/meta-data)",
    ),
    ("huge.docx", b"PK" + b"\0" * (30 * 1024 * 1024), "The file is 30.0 MB; a Word template may be at most 5 MB."),
]


def _zip_without_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES, ids=[row[0] for row in BAD_FILES])
def test_a_bad_template_is_refused_with_its_reason_and_nothing_is_saved(admin, legal_company, name, content, message):
    html = upload(admin, legal_company, name, content if content is not None else _zip_without_document())

    assert "The Word template was refused, nothing was saved" in html
    assert message in html.replace("&#x27;", "'").replace("&quot;", '"')
    assert not WordTemplate.objects.exists() and not InvoiceSettingsChange.objects.exists()


def test_a_second_template_of_the_same_name_is_refused(admin, legal_company):
    upload(admin, legal_company, "facture.docx", docx_with("{{ number }}"))

    html = upload(admin, legal_company, "facture.docx", docx_with("{{ number }} bis"))

    assert "A Word template named “facture.docx” exists already" in html
    assert WordTemplate.objects.count() == 1


def test_only_the_manage_invoice_settings_permission_uploads(client, legal_company):
    reader = UserFactory()
    MembershipFactory(user=reader, company=legal_company, can_process_orders=True)
    client.force_login(reader)

    response = client.post(reverse("word_template_upload", args=[legal_company.pk]), {"file": sample_upload()})

    assert response.status_code == 403 and not WordTemplate.objects.exists()
    assert ">Upload</button>" not in client.get(reverse("invoice_settings", args=[legal_company.pk])).content.decode()


def test_word_to_pdf_needs_one_of_the_companys_own_templates(admin, legal_company):
    from tests.factories import CompanyFactory

    other = WordTemplate.objects.create(company=CompanyFactory(), name="theirs", content=b"x", size=1)
    data = settings_data(type_cdiscount=InvoiceType.WORD, word_cdiscount=str(other.pk))

    html = admin.post(reverse("invoice_settings", args=[legal_company.pk]), data, follow=True).content.decode()

    assert "Select a valid choice" in html
    assert not InvoicePreference.objects.exists() and not InvoiceSettingsChange.objects.exists()
