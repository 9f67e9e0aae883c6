"""What French law asks an invoice to say about the seller, and which of it a company lacks.

An invoice is refused, and no number used, while any of these is missing (issue 18). The list
names the fields as Company Settings labels them, so the message says what to fill in.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from sellercloud.models import Company, LegalForm, validate_siren_or_siret

# "EI" (entrepreneur individuel) must stand beside a sole trader's name since 15 May 2022.
_EI = re.compile(r"(^|[\s(,])(EI|E\.I\.|entrepreneur individuel)($|[\s),])", re.IGNORECASE)


def missing_legal_mentions(company: Company) -> list[str]:
    """The legal details an invoice of `company` would lack, as labels; empty when complete."""
    missing = []
    if not company.legal_name.strip():
        missing.append("Legal name")
    if not (company.address_line1.strip() and company.postal_code.strip() and company.city.strip()):
        missing.append("Address (street, postal code and city)")
    if not _siren_ok(company.siret):
        missing.append("SIREN/SIRET")
    if not company.vat_franchise and not company.vat_number.strip():
        missing.append("VAT number (or the VAT franchise)")
    if company.legal_form == LegalForm.COMPANY:
        if not company.company_type.strip():
            missing.append("Company type (e.g. SAS)")
        if company.share_capital is None:
            missing.append("Share capital")
        if not company.rcs_city.strip():
            missing.append("RCS city")
    elif company.legal_form == LegalForm.SOLE_TRADER:
        if company.legal_name.strip() and not _EI.search(company.legal_name):
            missing.append('"EI" beside the legal name (sole trader)')
    else:
        missing.append("Legal form")
    return missing


def siren_of(siret: str) -> str:
    """The SIREN (the first 9 digits) of a SIREN or SIRET."""
    return siret[:9]


def _siren_ok(value: str) -> bool:
    try:
        validate_siren_or_siret(value)
    except ValidationError:
        return False
    return True
