"""Services behind Cdiscount General Settings: saving the settings with their audit trail (SPEC
S7, S12). Get Token, the carriers and the health card are account_status.py's.

Views call these and nothing else writes an account's settings, so every change is audited in
one place and secrets are masked in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from orders.links import is_http_url
from sellercloud.db import model_field
from sellercloud.models import User

from . import runs
from .accounts import AccountTokenStore
from .dispatch import RunRequest, download_request
from .models import CarrierMapping, CdiscountAccount, Environment, SettingsChange

logger = logging.getLogger(__name__)

# The fields General Settings edits, in the order the audit trail lists them.
EDITABLE_FIELDS = (
    "enabled",
    "client_id",
    "client_secret",
    "seller_id",
    "sales_channel_id",
    "environment",
    "custom_api_base_url",
    "custom_token_url",
    "download_enabled",
    "download_interval_minutes",
    "allow_unpaid_orders",
    "auto_accept_orders",
    "lookback_days",
    "upload_enabled",
    "upload_interval_minutes",
    "invoice_upload_enabled",
)
# Whole-number settings and the largest each takes: a week between runs, a year of look-back. Far
# beyond any use, and the schedule stays a date (now + 2**63 minutes overflows every datetime,
# which SQLite would have stored and the beat would have met).
POSITIVE_FIELDS = {
    "download_interval_minutes": 7 * 24 * 60,
    "upload_interval_minutes": 7 * 24 * 60,
    "lookback_days": 365,
}
# Where the credentials are sent: a Client Admin's alone to change (SPEC S12).
ENDPOINT_FIELDS = ("environment", "custom_api_base_url", "custom_token_url")
# A change to any of these makes the cached token one obtained with other credentials.
CREDENTIAL_FIELDS = ("client_id", "client_secret", *ENDPOINT_FIELDS)
ENDPOINT_ADMIN_ONLY = "Only a Client Admin may change the environment or the marketplace URLs."
SECRET_CLEARED = "The marketplace URLs changed, so the client secret was cleared: enter it again for the new address."
SELLER_TAKEN = (
    "This Seller ID is already connected to another company's Cdiscount account: two companies importing "
    "one seller's orders would double them. Disconnect it there first."
)

_http_url = URLValidator(schemes=["http", "https"], message="Enter a URL that starts with http:// or https://.")


@dataclass(frozen=True)
class CarrierRow:
    """One row of the carrier mapping as the settings form hands it over."""

    carrier: str
    cdiscount_carrier: str
    tracking_url_template: str = ""


@dataclass(frozen=True)
class SettingsUpdate:
    """What a Save did: the fields that changed, and the backfill it started, if any."""

    changed: tuple[str, ...]
    backfill: RunRequest | None = None
    secret_cleared: bool = False  # the URLs changed without a new secret: it must be typed again


# --- Settings ---------------------------------------------------------------------------------


def may_change_endpoint(user: User | None) -> bool:
    """Whether `user` may change the environment and its URLs: a Client Admin, or the system
    (a command, the demo seed). Anyone else could send the client secret to a listener of theirs."""
    return user is None or (user.is_active and user.is_client_admin)


def _reschedule(account: CdiscountAccount, changed: list[str], turned_on: set[str], now: datetime) -> None:
    """A new interval, or download or upload switched on, moves the next run at once (issue 24)."""
    for kind, (enabled, _due, interval) in runs.SCHEDULES.items():
        if enabled in turned_on or (interval in changed and getattr(account, enabled)):
            runs.reschedule(account, kind=kind, now=now)


def account_update_settings(
    *,
    account: CdiscountAccount,
    by: User | None,
    changes: Mapping[str, Any],
    clear_client_secret: bool = False,
    carrier_mappings: Sequence[CarrierRow] | None = None,
) -> SettingsUpdate:
    """Apply General Settings' Save: write the changed fields and one SettingsChange per field.

    `changes` maps field names of EDITABLE_FIELDS to new values; an empty `client_secret` keeps
    the current secret (the form never shows it), `clear_client_secret` removes it. The carrier
    mapping, when given, replaces the current rows. Invalid input raises ValidationError and
    saves nothing. Turning Allow UnPaid Order on starts a backfill of the look-back window
    (SPEC S5); a new interval, or download or upload switched on, moves the next run at once.
    """
    values = _clean_changes(changes, clear_client_secret=clear_client_secret)
    rows = _clean_carrier_rows(carrier_mappings) if carrier_mappings is not None else None
    now = timezone.now()
    with transaction.atomic():
        if account.pk is None:
            account.save()  # the company's first Save creates its account
        # Locked and read fresh: the audit trail records what was really there before.
        current = CdiscountAccount.objects.select_for_update().get(pk=account.pk)
        values = _endpoint_values(current, values)
        before = {name: getattr(current, name) for name in (*values, "client_secret")}
        changed = [name for name, value in values.items() if before[name] != value]
        _validate_environment(current, values)
        moved = [name for name in changed if name in ENDPOINT_FIELDS and (name == "environment" or values[name])]
        if moved and not may_change_endpoint(by):
            raise ValidationError({"environment": ENDPOINT_ADMIN_ONLY})
        urls_before = (current.api_base_url, current.token_url)
        for name in changed:
            setattr(current, name, values[name])
        secret_cleared = _clear_secret_if_moved(current, urls_before, changed)
        _check_seller_free(current)
        if any(name in CREDENTIAL_FIELDS for name in changed):
            _forget_token(current)
        turned_on = {name for name in changed if values.get(name) is True}
        _reschedule(current, changed, turned_on, now)
        if "invoice_upload_enabled" in turned_on:
            # Only orders Ship Confirmed from now on: older ones were invoiced (or not) by hand.
            current.invoice_upload_since = now
        current.full_clean(exclude=["company", "access_token"])
        token_fields = ["access_token", "token_fingerprint", "token_received_at", "token_expires_at"]
        schedule_fields = ["next_download_at", "next_upload_at", "next_invoice_upload_at", "invoice_upload_since"]
        current.save(
            update_fields=[*changed, *token_fields, *schedule_fields, "updated_at"] if changed else ["updated_at"]
        )
        audit = [_audit_row(current, by, name, before[name], getattr(current, name), now) for name in changed]
        carrier_audit = _replace_carrier_rows(current, by, rows, now) if rows is not None else []
        SettingsChange.objects.bulk_create(audit + carrier_audit)
    _copy_fields(current, account)
    backfill = None
    if "allow_unpaid_orders" in turned_on:
        # Orders already behind the watermark arrive only through a backfill of the look-back.
        backfill = download_request(
            account=current, user=by, date_from=now - timedelta(days=current.lookback_days), date_to=now
        )
    logger.info("event=account_settings_saved account=%s fields=%s", current.pk, ",".join(changed) or "-")
    if carrier_audit:
        changed.append("carrier_mappings")
    return SettingsUpdate(changed=tuple(changed), backfill=backfill, secret_cleared=secret_cleared)


def _endpoint_values(current: CdiscountAccount, values: dict[str, Any]) -> dict[str, Any]:
    # Production and Local sandbox have fixed URLs (settings); custom ones are kept only for
    # the Custom URL environment, so no URL lingers to be used later without anyone seeing it.
    if values.get("environment", current.environment) != Environment.CUSTOM:
        values = {**values, "custom_api_base_url": "", "custom_token_url": ""}
    return values


def _clear_secret_if_moved(current: CdiscountAccount, urls_before: tuple[str, str], changed: list[str]) -> bool:
    """Clear the stored secret when the URLs it would be sent to changed and no new one was typed."""
    if (current.api_base_url, current.token_url) == urls_before or "client_secret" in changed:
        return False
    if not current.client_secret:
        return False
    current.client_secret = ""
    changed.append("client_secret")
    return True


def _check_seller_free(current: CdiscountAccount) -> None:
    """One seller, one company: the same Seller ID on the same marketplace is refused."""
    if not current.seller_id:
        return
    others = CdiscountAccount.objects.filter(seller_id=current.seller_id).exclude(pk=current.pk)
    if any(other.api_base_url == current.api_base_url for other in others):
        raise ValidationError({"seller_id": SELLER_TAKEN})


def _forget_token(current: CdiscountAccount) -> None:
    # The token was obtained with the old credentials (it would be ignored anyway: see
    # AccountTokenStore); General Settings must not show it as valid either.
    current.access_token = ""
    current.token_fingerprint = ""
    current.token_received_at = None
    current.token_expires_at = None
    cache.delete(AccountTokenStore.key_for(current.pk))


def _clean_changes(changes: Mapping[str, Any], *, clear_client_secret: bool) -> dict[str, Any]:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not a General Settings field: {', '.join(sorted(unknown))}")
    values = dict(changes)
    if clear_client_secret:
        if values.get("client_secret"):
            raise ValidationError({"client_secret": "Enter a new secret or clear it, not both."})
        values["client_secret"] = ""
    elif not values.get("client_secret"):
        values.pop("client_secret", None)  # empty means: keep the current secret
    errors: dict[str, str] = {}
    for name, largest in POSITIVE_FIELDS.items():
        if name in values and (not isinstance(values[name], int) or not 1 <= values[name] <= largest):
            errors[name] = whole_number_message(largest)
    for name in ("custom_api_base_url", "custom_token_url"):
        if values.get(name):
            try:
                _http_url(values[name])
            except ValidationError as exc:
                errors[name] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    return values


def whole_number_message(largest: int) -> str:
    return f"Enter a whole number from 1 to {largest}."


def _validate_environment(current: CdiscountAccount, values: Mapping[str, Any]) -> None:
    environment = values.get("environment", current.environment)
    if environment != Environment.CUSTOM:
        return
    missing = {
        name: "Needed for the Custom URL environment."
        for name in ("custom_api_base_url", "custom_token_url")
        if not values.get(name, getattr(current, name))
    }
    if missing:
        raise ValidationError(missing)


def _clean_carrier_rows(rows: Sequence[CarrierRow]) -> list[CarrierRow]:
    cleaned: list[CarrierRow] = []
    seen: set[str] = set()
    for row in rows:
        carrier, target, template = (
            row.carrier.strip(),
            row.cdiscount_carrier.strip(),
            row.tracking_url_template.strip(),
        )
        if not carrier and not target and not template:
            continue
        if not carrier or not target:
            raise ValidationError("Each carrier mapping needs our carrier name and the Cdiscount carrier.")
        if carrier.casefold() in seen:
            raise ValidationError(f"The carrier {carrier} is mapped twice.")
        seen.add(carrier.casefold())
        if template:
            if "{tracking_number}" not in template:
                raise ValidationError(f"The tracking URL of {carrier} must contain {{tracking_number}}.")
            try:
                _http_url(template.replace("{tracking_number}", "X"))
            except ValidationError:
                raise ValidationError(f"The tracking URL of {carrier} must start with http:// or https://.") from None
            if not is_http_url(template.replace("{tracking_number}", "X")):
                # What Ship Order would refuse to store (orders.links): controls, U+202E, zero-width spaces.
                raise ValidationError(
                    f"The tracking URL of {carrier} holds a space or an invisible character: type it again."
                )
        cleaned.append(CarrierRow(carrier, target, template))
    return cleaned


def _replace_carrier_rows(
    account: CdiscountAccount, by: User | None, rows: list[CarrierRow], now: datetime
) -> list[SettingsChange]:
    existing = {m.carrier: m for m in account.carrier_mappings.all()}
    wanted = {row.carrier: row for row in rows}
    audit = []
    for name in sorted(existing.keys() | wanted.keys()):
        old, new = existing.get(name), wanted.get(name)
        old_text = f"{old.cdiscount_carrier} {old.tracking_url_template}".strip() if old else ""
        new_text = f"{new.cdiscount_carrier} {new.tracking_url_template}".strip() if new else ""
        if old_text == new_text:
            continue
        if new is None:
            assert old is not None  # both absent would be equal above
            old.delete()
        else:
            CarrierMapping.objects.update_or_create(
                account=account,
                carrier=name,
                defaults={
                    "cdiscount_carrier": new.cdiscount_carrier,
                    "tracking_url_template": new.tracking_url_template,
                },
            )
        audit.append(
            SettingsChange(
                account=account,
                user=by,
                field=f"Carrier mapping: {name}",
                old_value=old_text,
                new_value=new_text,
                changed_at=now,
            )
        )
    return audit


def _audit_row(
    account: CdiscountAccount, by: User | None, name: str, old: Any, new: Any, now: datetime
) -> SettingsChange:
    """One audit entry; a secret is written as the mask (or empty when there is none)."""
    if name in CdiscountAccount.SENSITIVE_FIELDS:
        old_text, new_text = (SettingsChange.MASK if old else ""), (SettingsChange.MASK if new else "")
    else:
        old_text, new_text = _display(account, name, old), _display(account, name, new)
    label = str(model_field(CdiscountAccount, name).verbose_name)
    return SettingsChange(
        account=account,
        user=by,
        field=label[:1].upper() + label[1:],
        old_value=old_text,
        new_value=new_text,
        changed_at=now,
    )


def _display(account: CdiscountAccount, name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if name == "environment":
        return str(Environment(value).label) if value in Environment.values else str(value)
    return "" if value is None else str(value)


def _copy_fields(source: CdiscountAccount, target: CdiscountAccount) -> None:
    # The caller's instance shows what was saved without another query.
    for name in (*EDITABLE_FIELDS, "next_download_at", "invoice_upload_since", "updated_at", "pk"):
        setattr(target, name, getattr(source, name))
