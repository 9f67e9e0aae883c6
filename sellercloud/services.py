"""Core services: companies, employees and their memberships, and the demo seed.

Views and commands are thin entry points that call these keyword-only functions (STYLE 3.1).
The demo seed makes the company and its Client Admin; to add an app's demo rows, call
`register_demo_seed(fn)` in your app's `AppConfig.ready()` (this module imports no other app).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from .models import Company, Membership, Permission, User

logger = logging.getLogger(__name__)

# Company fields a Client Admin may edit on Company Settings (code is used by commands: kept).
COMPANY_EDITABLE_FIELDS = (
    "name",
    "legal_name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country_code",
    "vat_number",
    "siret",
    "legal_form",
    "company_type",
    "share_capital",
    "rcs_city",
    "vat_franchise",
    "invoice_footer",
    "logo",
    "time_zone",
    "currency",
    "default_vat_rate",
)


class ServiceError(Exception):
    """A request the rules refuse; the message is shown to the user as it is."""


# What a Client Admin grants per company: the permissions of that membership. A company missing
# from the mapping is not assigned (no membership).
Grants = Mapping[Company, Iterable[Permission]]


# --- Companies -------------------------------------------------------------------------------


COMPANY_CREATE_FIELDS = ("name", "code", "time_zone", "currency", "default_vat_rate")


@transaction.atomic
def company_create(*, values: Mapping[str, Any], by: User) -> Company:
    """Add Company (Client Admins only; issue 24): its name, code, time zone and currency. The
    legal details an invoice needs are filled in on Edit afterwards. Every Client Admin sees it."""
    if not (by.is_active and by.is_client_admin):
        raise ServiceError("Only a Client Admin can add a company.")
    unknown = set(values) - set(COMPANY_CREATE_FIELDS)
    if unknown:
        raise ServiceError(f"Not accepted when adding a company: {', '.join(sorted(unknown))}.")
    company = Company(**values)
    company.full_clean()  # the code's uniqueness included, with its own message
    company.save()
    logger.info("event=company_created company=%s code=%s by=%s", company.pk, company.code, by.pk)
    return company


@transaction.atomic
def company_update(*, company: Company, changes: Mapping[str, Any], by: User) -> Company:
    """Save the edited details of `company` (Client Admin only; the view checks the role).

    Only `COMPANY_EDITABLE_FIELDS` are written, and only those that differ from the stored row
    (compared under a row lock, so two editors do not silently undo each other's other fields).
    """
    unknown = set(changes) - set(COMPANY_EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Not editable: {', '.join(sorted(unknown))}.")
    stored = Company.objects.select_for_update().get(pk=company.pk)
    changed = [name for name, value in changes.items() if getattr(stored, name) != value]
    for name in changed:
        setattr(stored, name, changes[name])
    if changed:
        stored.full_clean()
        stored.save(update_fields=changed)
        logger.info("event=company_updated company=%s user=%s fields=%s", stored.pk, by.pk, ",".join(changed))
    return stored


# --- Users -----------------------------------------------------------------------------------


@transaction.atomic
def employee_create(
    *,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    grants: Grants,
    by: User,
) -> User:
    """Create an Employee with an initial password and one membership per granted company."""
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    # The same validators as password change: an initial password is a real password.
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    user_set_memberships(user=user, grants=grants, by=by)
    logger.info("event=employee_created user=%s by=%s companies=%d", user.pk, by.pk, len(grants))
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    is_client_admin: bool,
    by: User,
) -> User:
    """Save a user's name, email and role. A Client Admin cannot demote themselves (lock-out)."""
    if user.pk == by.pk and user.is_client_admin and not is_client_admin:
        raise ServiceError("You cannot remove your own Client Admin role; ask another Client Admin.")
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.is_client_admin = is_client_admin
    user.full_clean()
    user.save(update_fields=["first_name", "last_name", "email", "is_client_admin"])
    logger.info("event=user_updated user=%s by=%s client_admin=%s", user.pk, by.pk, is_client_admin)
    return user


@transaction.atomic
def user_edit(
    *,
    user: User,
    first_name: str,
    last_name: str,
    email: str,
    is_client_admin: bool,
    grants: Grants,
    by: User,
) -> User:
    """Edit User's Save: the name, email and role, and the memberships, all or nothing (a refused
    membership change must not leave the name change saved under an error message)."""
    user_update(
        user=user, first_name=first_name, last_name=last_name, email=email, is_client_admin=is_client_admin, by=by
    )
    user_set_memberships(user=user, grants=grants, by=by)
    return user


@transaction.atomic
def user_set_memberships(*, user: User, grants: Grants, by: User) -> None:
    """Make `user`'s memberships exactly `grants`: one per company listed, with exactly those
    permissions; memberships of companies not listed are removed."""
    existing = {m.company_id: m for m in Membership.objects.select_for_update().filter(user=user)}
    wanted = {company.pk: set(permissions) for company, permissions in grants.items()}
    for company_id, permissions in wanted.items():
        values = {p.value: p in permissions for p in Permission}
        membership = existing.get(company_id)
        if membership is None:
            Membership.objects.create(user=user, company_id=company_id, **values)
            continue
        changed = [name for name, value in values.items() if getattr(membership, name) != value]
        if changed:
            for name in changed:
                setattr(membership, name, values[name])
            membership.save(update_fields=changed)
    removed = set(existing) - set(wanted)
    if removed:
        Membership.objects.filter(user=user, company_id__in=removed).delete()
    # The permission cache lives on the user object; drop it so this request sees the change.
    if hasattr(user, "_membership_cache"):
        del user._membership_cache
    logger.info("event=memberships_set user=%s by=%s companies=%s", user.pk, by.pk, sorted(wanted))


def user_deactivate(*, user: User, by: User) -> User:
    """Stop `user` from logging in; their open sessions stop working at the next request
    (the auth backend refuses inactive users). History that names them stays."""
    if user.pk == by.pk:
        raise ServiceError("You cannot deactivate yourself.")
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        logger.info("event=user_deactivated user=%s by=%s", user.pk, by.pk)
    return user


def user_reactivate(*, user: User, by: User) -> User:
    """Let a deactivated user log in again, with the memberships they had."""
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        logger.info("event=user_reactivated user=%s by=%s", user.pk, by.pk)
    return user


def password_reset_send(*, email: str, domain: str, use_https: bool) -> None:
    """Email a password reset link to every active user with `email` who has a usable password
    (Django's rules); send nothing when there is none.

    It runs in a worker (sellercloud.tasks.password_reset_send_task): the request enqueues the
    task whatever the email, so the page answers as fast for an unknown email as for a known one
    and its timing does not tell which addresses have an account. `domain` is the host the
    request came to (checked against ALLOWED_HOSTS), for the link.
    """
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)
    logger.info("event=password_reset_processed")


# --- Demo seed -------------------------------------------------------------------------------

DEMO_COMPANY_CODE = "maison"
DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_DEFAULT_PASSWORD = "lumiere-demo-2026"

# A fictitious company with numbers that pass the real checks: SIREN 732 829 320 and SIRET
# (SIREN + NIC 00017) pass the Luhn test; the VAT key is (12 + 3 * (SIREN mod 97)) mod 97.
DEMO_COMPANY = {
    "name": "Maison Lumière SAS",
    "legal_name": "Maison Lumière SAS",
    "address_line1": "18 rue des Francs-Bourgeois",
    "address_line2": "",
    "postal_code": "75003",
    "city": "Paris",
    "country_code": "FR",
    "vat_number": "FR44732829320",
    "siret": "73282932000017",
    "time_zone": "Europe/Paris",
    "currency": "EUR",
    "default_vat_rate": Decimal("20.00"),
}


class DemoSeedContribution(Protocol):
    """What an app adds to the demo: it makes its rows for the demo company, if they are missing,
    and returns the labels of what it made ("Cdiscount account (Local sandbox)"), none on a re-run.
    It runs inside the seed's transaction, so a failure leaves no half-seeded demo."""

    def __call__(self, *, company: Company) -> Sequence[str]: ...


_demo_seed_contributions: list[DemoSeedContribution] = []


def register_demo_seed(contribution: DemoSeedContribution) -> None:
    """Have `demo_seed` run `contribution` after it made the company and its Client Admin.

    Call it from your app's `AppConfig.ready()`: the core makes what it knows, each app adds its
    own demo rows (the channels app: the sandbox Cdiscount account). Contributions run in the
    order they were registered, which is INSTALLED_APPS order.
    """
    if contribution not in _demo_seed_contributions:  # a second ready() must not run it twice
        _demo_seed_contributions.append(contribution)


@dataclass(frozen=True)
class DemoSeed:
    """What `demo_seed` found or made, for the command to print."""

    company: Company
    admin: User
    password_works: bool  # False when someone changed the admin's password since the seed
    created: tuple[str, ...]  # labels of what this run created; empty on a re-run


@transaction.atomic
def demo_seed(*, admin_password: str) -> DemoSeed:
    """Create the demo company, its Client Admin and what each app adds to the demo, once.

    Idempotent: what exists is left as it is (a re-run changes nothing, not even a password
    that a user changed on purpose).

    Refused (ServiceError, nothing created) on a database that holds companies other than the
    demo's, unless the demo company and its admin are there already (a demo database someone
    added companies to): the demo admin is a Client Admin of every company with a published
    password, which a real installation must never get by running the wrong command.
    """
    others = list(Company.objects.exclude(code=DEMO_COMPANY_CODE).order_by("pk").values_list("name", flat=True)[:4])
    seeded = (
        Company.objects.filter(code=DEMO_COMPANY_CODE).exists()
        and User.objects.filter(username=DEMO_ADMIN_USERNAME).exists()
    )
    if others and not seeded:
        names = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise ServiceError(
            f"This database already holds companies other than the demo's ({names}): the demo would add "
            f"a Client Admin '{DEMO_ADMIN_USERNAME}' with a published password to it. Nothing was created. "
            "Seed the demo on an empty database (set DATABASE_URL to a new one)."
        )
    created: list[str] = []
    company, made = Company.objects.get_or_create(code=DEMO_COMPANY_CODE, defaults=DEMO_COMPANY)
    if made:
        created.append(f"company {company.name}")

    admin = User.objects.filter(username=DEMO_ADMIN_USERNAME).first()
    if admin is None:
        admin = User(
            username=DEMO_ADMIN_USERNAME,
            first_name="Jeanne",
            last_name="Dupré",
            email="admin@maison-lumiere.example",
            is_client_admin=True,
        )
        admin.set_password(admin_password)
        admin.save()
        created.append(f"Client Admin {admin.username}")

    for contribution in _demo_seed_contributions:
        created.extend(contribution(company=company))
    return DemoSeed(company, admin, admin.check_password(admin_password), tuple(created))
