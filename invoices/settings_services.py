"""Invoice Settings' Save: default options, Per Channel Preferences and VAT rates per SKU, with
one audit row per change (the pattern of the channel settings' trail, for invoices)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orders.choices import Channel
from sellercloud.models import Company, User

from .models import (
    FacturX,
    InvoicePreference,
    InvoiceSettings,
    InvoiceSettingsChange,
    InvoiceType,
    SkuVatRate,
    WordTemplate,
)
from .renderers.plugins import plugin_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelChoice:
    """One channel's Per Channel Preference: its Invoice Type, and the Word template or plugin
    the type prints with (None / "" for the other types)."""

    invoice_type: str
    word_template_id: int | None = None
    plugin: str = ""
    factur_x: str = FacturX.BUSINESS  # which orders get Factur-X once the company turns it on


@dataclass(frozen=True)
class SkuRate:
    """One row of the VAT rates per SKU table."""

    sku: str
    rate: Decimal


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _rate_text(rate: Decimal | None) -> str:
    return "" if rate is None else format(rate.normalize(), "f")


def _check(company: Company, channels: Mapping[str, ChannelChoice], sku_rates: Sequence[SkuRate]) -> None:
    errors = []
    unknown = sorted(set(channels) - set(Channel.values))
    if unknown:
        errors.append(f"Unknown channels: {', '.join(unknown)}.")
    bad_types = sorted({c.invoice_type for c in channels.values() if c.invoice_type not in InvoiceType.values})
    if bad_types:
        errors.append(f"Unknown invoice types: {', '.join(bad_types)}.")
    templates = {c.word_template_id for c in channels.values() if c.invoice_type == InvoiceType.WORD}
    ours = set(WordTemplate.objects.filter(company=company, pk__in=templates - {None}).values_list("pk", flat=True))
    if templates - ours:
        errors.append("Word to PDF needs one of the company's Word templates: upload one, then choose it.")
    for channel, choice in channels.items():
        if choice.invoice_type == InvoiceType.PLUGIN and plugin_for(choice.plugin) is None:
            errors.append(f"The plugin {choice.plugin!r} chosen for {channel} is not registered.")
    skus = [row.sku for row in sku_rates]
    twice = sorted({sku for sku in skus if skus.count(sku) > 1})
    if twice:
        errors.append(f"Each SKU takes one rate; listed more than once: {', '.join(twice)}.")
    for row in sku_rates:
        if not row.sku.strip():
            errors.append("A VAT rate row needs its SKU.")
        if not Decimal("0") <= row.rate <= Decimal("100"):
            errors.append(f"The VAT rate of {row.sku} must be between 0 and 100.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def invoice_settings_update(
    *,
    company: Company,
    by: User | None,
    show_prices: bool,
    print_printed_count: bool,
    channels: Mapping[str, ChannelChoice],
    sku_rates: Sequence[SkuRate],
    factur_x: bool = False,
) -> list[str]:
    """Save Invoice Settings and record each change; returns the labels of what changed.

    Invalid input raises ValidationError and saves nothing. `sku_rates` is the whole table: a SKU
    left out loses its rate (back to the company's).
    """
    _check(company, channels, sku_rates)
    changes = [
        *_save_options(company, show_prices=show_prices, print_printed_count=print_printed_count, factur_x=factur_x),
        *_save_preferences(company, channels),
        *_save_rates(company, sku_rates),
    ]
    now = timezone.now()
    InvoiceSettingsChange.objects.bulk_create(
        InvoiceSettingsChange(company=company, user=by, field=field, old_value=old, new_value=new, changed_at=now)
        for field, old, new in changes
    )
    logger.info("event=invoice_settings_saved company=%s changes=%s", company.pk, len(changes))
    return [field for field, _, _ in changes]


# Each saver writes what differs and returns (field label, old, new) per change, for the trail.
Change = tuple[str, str, str]


_OPTION_LABELS = {
    "show_prices": "Show Prices",
    "print_printed_count": "Print Printed Count",
    "factur_x": "Factur-X invoices",
}


def _save_options(company: Company, *, show_prices: bool, print_printed_count: bool, factur_x: bool) -> list[Change]:
    options, _ = InvoiceSettings.objects.select_for_update().get_or_create(company=company)
    changes = []
    wanted = {"show_prices": show_prices, "print_printed_count": print_printed_count, "factur_x": factur_x}
    for name, value in wanted.items():
        if getattr(options, name) != value:
            label = _OPTION_LABELS[name]
            changes.append((label, _yes_no(getattr(options, name)), _yes_no(value)))
            setattr(options, name, value)
    options.save()
    return changes


def _choice_text(choice: ChannelChoice, template_names: Mapping[int, str]) -> str:
    label = InvoiceType(choice.invoice_type).label
    if choice.invoice_type == InvoiceType.WORD and choice.word_template_id:
        return f"{label}: {template_names.get(choice.word_template_id, '?')}"
    if choice.invoice_type == InvoiceType.PLUGIN:
        plugin = plugin_for(choice.plugin)
        return f"{label}: {plugin.label if plugin else choice.plugin + ' (not installed)'}"
    return label


def _save_preferences(company: Company, channels: Mapping[str, ChannelChoice]) -> list[Change]:
    current = {p.channel: p for p in InvoicePreference.objects.select_for_update().filter(company=company)}
    names = dict(WordTemplate.objects.filter(company=company).values_list("pk", "name"))
    changes = []
    for channel, choice in channels.items():
        saved = current.get(channel)
        before = (
            ChannelChoice(saved.invoice_type, saved.word_template_id, saved.plugin, saved.factur_x)
            if saved
            else ChannelChoice(InvoiceType.STANDARD)
        )
        if before != choice:
            InvoicePreference.objects.update_or_create(
                company=company,
                channel=channel,
                defaults={
                    "invoice_type": choice.invoice_type,
                    "word_template_id": choice.word_template_id,
                    "plugin": choice.plugin,
                    "factur_x": choice.factur_x,
                },
            )
            if before.factur_x != choice.factur_x:
                label = f"Factur-X: {Channel(channel).label}"
                changes.append((label, FacturX(before.factur_x).label, FacturX(choice.factur_x).label))
            if (before.invoice_type, before.word_template_id, before.plugin) != (
                choice.invoice_type,
                choice.word_template_id,
                choice.plugin,
            ):
                label = f"Invoice Type: {Channel(channel).label}"
                changes.append((label, _choice_text(before, names), _choice_text(choice, names)))
    return changes


def _save_rates(company: Company, sku_rates: Sequence[SkuRate]) -> list[Change]:
    rates = {r.sku: r for r in SkuVatRate.objects.select_for_update().filter(company=company)}
    wanted = {row.sku.strip(): row.rate for row in sku_rates}
    changes = []
    for sku in sorted(rates.keys() | wanted.keys()):
        old, new = (rates[sku].rate if sku in rates else None), wanted.get(sku)
        if old == new:
            continue
        if new is None:
            rates[sku].delete()
        else:
            SkuVatRate.objects.update_or_create(company=company, sku=sku, defaults={"rate": new})
        changes.append((f"VAT rate: SKU {sku}", _rate_text(old), _rate_text(new)))
    return changes
