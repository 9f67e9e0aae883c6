"""Builds the sample French Word template, static/invoices/word/facture-exemple.docx, with
python-docx, so the committed file can be made again and reviewed as code:

    .venv/bin/python -m invoices.word.sample_docx

It uses the placeholders docs/word-templates.md documents: `{{ ... }}` for a value, `{%p ... %}`
for a paragraph repeated or shown on a condition, `{%tr ... %}` for the items table's rows.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt, RGBColor

OUT = Path(__file__).resolve().parent.parent.parent / "static" / "invoices" / "word" / "facture-exemple.docx"
BLUE = RGBColor(0x1F, 0x5F, 0xA8)
COLUMNS = [
    ("Désignation", "{{ line.designation }}", 5.8),
    ("Réf.", "{{ line.sku }}", 2.0),
    ("Qté", "{{ line.quantity }}", 1.1),
    ("PU HT", "{{ line.unit_price_ht|money }}", 1.9),
    ("TVA", "{{ line.vat_rate|replace('.', ',') }} %", 1.4),
    ("Total HT", "{{ line.ht|money }}", 2.2),
    ("Total TTC", "{{ line.ttc|money }}", 2.4),
]


def _paragraph(cell_or_doc, text: str = "", *, bold: bool = False, size: float | None = None, align=None):
    existing = getattr(cell_or_doc, "paragraphs", [])
    # A table cell starts with one empty paragraph: use it rather than leave a blank line.
    reuse = hasattr(cell_or_doc, "width") and len(existing) == 1 and not existing[0].text
    paragraph = existing[0] if reuse else cell_or_doc.add_paragraph()
    run = paragraph.add_run(text)  # one run per placeholder: Word would split it on retyping
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(1)
    return paragraph


def _lines(cell, loop: str, variable: str) -> None:
    """One paragraph per element of a list (an address)."""
    _paragraph(cell, f"{{%p for {variable} in {loop} %}}")
    _paragraph(cell, f"{{{{ {variable} }}}}")
    _paragraph(cell, "{%p endfor %}")


def build() -> DocxDocument:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.6))
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "DejaVu Sans", Pt(9)

    title = _paragraph(document, "FACTURE N° {{ number }}", bold=True, size=16)
    title.runs[0].font.color.rgb = BLUE
    _paragraph(document, "Date de facturation : {{ issue_date|date }} — Date de la vente : {{ sale_date|date }}")
    _paragraph(
        document, "Commande {{ order.channel_label }} n° {{ order.channel_order_id }} du {{ order.order_date|date }}"
    )
    _paragraph(document, "{%p if printed_count %}")
    _paragraph(document, "Exemplaire imprimé n° {{ printed_count }}")
    _paragraph(document, "{%p endif %}")

    parties = document.add_table(rows=2, cols=3)
    for n, label in enumerate(("Vendeur", "Facturé à", "Livré à")):
        parties.cell(0, n).paragraphs[0].add_run(label).bold = True
    seller = parties.cell(1, 0)
    _paragraph(seller, "{{ seller.legal_name }}{% if seller.is_sole_trader %} EI{% endif %}", bold=True)
    _lines(seller, "seller.address", "address_line")
    _paragraph(seller, "SIRET : {{ seller.siret }}")
    _paragraph(seller, "{%p if seller.vat_number %}")
    _paragraph(seller, "N° TVA : {{ seller.vat_number }}")
    _paragraph(seller, "{%p endif %}")
    _paragraph(seller, "{%p if seller.rcs_city %}")
    _paragraph(seller, "RCS {{ seller.rcs_city }} {{ seller.siren }}")
    _paragraph(seller, "{%p endif %}")
    _lines(parties.cell(1, 1), "billing_address", "billing_line")
    _paragraph(parties.cell(1, 1), "{%p if buyer.vat_number %}")
    _paragraph(parties.cell(1, 1), "N° TVA client : {{ buyer.vat_number }}")
    _paragraph(parties.cell(1, 1), "{%p endif %}")
    _lines(parties.cell(1, 2), "shipping_address", "shipping_line")
    _paragraph(document)

    # The items table: docxtpl repeats the row between the {%tr for %} and {%tr endfor %} rows.
    items = document.add_table(rows=4, cols=len(COLUMNS))
    items.style = "Table Grid"
    items.autofit = False
    items.alignment = WD_TABLE_ALIGNMENT.CENTER
    for n, (header, value, width) in enumerate(COLUMNS):
        items.cell(0, n).paragraphs[0].add_run(header).bold = True
        items.cell(2, n).paragraphs[0].add_run(value)
        items.columns[n].width = Cm(width)
        for row in range(4):
            items.cell(row, n).width = Cm(width)
        if n >= 2:
            for row in (0, 2):
                items.cell(row, n).paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    items.cell(1, 0).paragraphs[0].add_run("{%tr for line in lines %}")
    items.cell(3, 0).paragraphs[0].add_run("{%tr endfor %}")
    _paragraph(document)

    rates = document.add_table(rows=4, cols=4)
    rates.style = "Table Grid"
    for n, header in enumerate(("Taux de TVA", "Base HT", "TVA", "TTC")):
        rates.cell(0, n).paragraphs[0].add_run(header).bold = True
    values: tuple[str, ...] = ("{{ rate.rate|replace('.', ',') }} %", "{{ rate.ht|money }}", "{{ rate.vat|money }}")
    values += ("{{ rate.ttc|money }}",)
    for n, value in enumerate(values):
        rates.cell(2, n).paragraphs[0].add_run(value)
    rates.cell(1, 0).paragraphs[0].add_run("{%tr for rate in vat_breakdown %}")
    rates.cell(3, 0).paragraphs[0].add_run("{%tr endfor %}")
    _paragraph(document)

    right = WD_ALIGN_PARAGRAPH.RIGHT
    _paragraph(document, "Total HT : {{ totals.ht|money }} {{ currency }}", align=right)
    _paragraph(document, "Total TVA : {{ totals.vat|money }} {{ currency }}", align=right)
    _paragraph(document, "Total TTC : {{ totals.ttc|money }} {{ currency }}", bold=True, size=11, align=right)
    _paragraph(document, "{%p for payment in payments %}")
    _paragraph(
        document, "Payé le {{ payment.date|date }} ({{ payment.label }}) : {{ payment.amount|money }} {{ currency }}"
    )
    _paragraph(document, "{%p endfor %}")
    _paragraph(document, "{%p if seller.vat_franchise %}")
    _paragraph(document, "TVA non applicable, art. 293 B du CGI.")
    _paragraph(document, "{%p endif %}")
    _paragraph(document, "{{ seller.footer }}", size=8)
    return document


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    document = build()
    # A fixed date keeps the file the same from one run to the next (python-docx stamps "now").
    from datetime import datetime

    document.core_properties.created = document.core_properties.modified = datetime(2026, 1, 1)
    document.core_properties.title = "Facture (modèle Word de Sellercloud)"
    document.save(str(out))
    print(f"written {out}")


if __name__ == "__main__":
    main()
