"""The demo's invoice setup (`manage.py seed_demo`): complete, plausible legal details for the
demo company, a logo in our media, Cdiscount printed as a French Facture, and the sample Word
template uploaded (for a channel to choose), so that Print Invoice works at once on `make run`.

Only blank details are filled: a re-run, or a demo someone edited, keeps what is there.
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from orders.choices import Channel
from sellercloud.models import Company, LegalForm

from .models import InvoicePreference, InvoiceType, WordTemplate
from .word.sample import SAMPLE_TEMPLATE, sample_snapshot
from .word.templates import template_check, word_context

# Fictional, consistent with the core's demo company (SIREN 732 829 320: its SIRET and VAT
# number pass their checksums).
DEMO_LEGAL_DETAILS = {
    "legal_form": LegalForm.COMPANY,
    "company_type": "SAS",
    "share_capital": Decimal("20000.00"),
    "rcs_city": "Paris",
    "invoice_footer": (
        "Maison Lumière SAS — luminaires et objets de décoration. Service client : bonjour@maison-lumiere.example"
    ),
}
_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def demo_logo_png() -> bytes:
    """A small logo drawn here (no binary in the repository): a lamp-gold disc and the name."""
    image = Image.new("RGBA", (520, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 112, 112), fill=(214, 160, 43, 255))
    draw.ellipse((38, 30, 82, 74), fill=(255, 246, 214, 255))
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font = ImageFont.truetype(_FONT, 40)
    except OSError:
        font = ImageFont.load_default()
    draw.text((130, 36), "Maison Lumière", fill=(31, 95, 168, 255), font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def demo_seed_legal_details(*, company: Company) -> list[str]:
    """Fill the demo company's blank legal details, give it a logo, print Cdiscount as a Facture."""
    made = []
    blank = [name for name, value in DEMO_LEGAL_DETAILS.items() if getattr(company, name) in ("", None)]
    for name in blank:
        setattr(company, name, DEMO_LEGAL_DETAILS[name])
    if not company.logo:
        company.logo.save("maison-lumiere.png", ContentFile(demo_logo_png()), save=False)
        blank.append("logo")
    if blank:
        company.full_clean()
        company.save(update_fields=blank)
        made.append("legal details for invoices")
    _, created = InvoicePreference.objects.get_or_create(
        company=company, channel=Channel.CDISCOUNT, defaults={"invoice_type": InvoiceType.CHANNEL_SPECIFIC}
    )
    if created:
        made.append("Invoice Settings: Cdiscount prints a Facture (Channel Specific)")
    if not WordTemplate.objects.filter(company=company).exists():
        content = SAMPLE_TEMPLATE.read_bytes()
        used = template_check(content, max_bytes=len(content), sample=word_context(sample_snapshot(company)))
        WordTemplate.objects.create(
            company=company, name="Facture (exemple)", content=content, size=len(content), placeholders=used
        )
        made.append("the sample Word template")
    return made
