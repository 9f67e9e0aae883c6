"""What General Settings shows of an account: Get Token, the carriers offered for the mapping, and
the health card (SPEC S7)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from orders.channel_registry import HealthCard
from orders.choices import OrderStatus, UploadStatus
from orders.models import Order, Package
from sellercloud.models import User

from . import reconcile
from .accounts import carrier_labels, client_for
from .cdiscount.exceptions import ChannelAPIError
from .cdiscount.schemas import OrderStatus as CdiscountStatus
from .models import CdiscountAccount, InvoiceUpload, SyncProblem, SyncRun

logger = logging.getLogger(__name__)

# GET /carriers is asked while a page renders: fail fast rather than make the user wait.
CARRIERS_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class TokenResult:
    """Get Token's outcome: the expiry on success, or the marketplace's message."""

    ok: bool
    expires_at: datetime | None = None
    message: str = ""


@dataclass(frozen=True)
class CarrierChoices:
    """The Cdiscount carrier names to offer; `error` says why there are none (free text then)."""

    labels: tuple[str, ...] = ()
    error: str = ""


@dataclass(frozen=True)
class AccountHealth:
    """The health card of General Settings."""

    last_success: SyncRun | None
    last_run: SyncRun | None
    next_download_at: datetime | None
    consecutive_failures: int
    token_expires_at: datetime | None
    waiting_acceptance: int
    pending_uploads: int
    failed_uploads: int
    active_run: SyncRun | None = None
    last_upload: SyncRun | None = None  # the newest upload run (Upload Fulfillment Now, schedule, retry)
    last_reconciliation: SyncRun | None = None
    drift_count: int | None = None  # open rows of the last reconciliation; None before the first
    open_problems: int = 0  # orders a download could not take, not resolved yet
    notes: list[str] = field(default_factory=list)


# --- Token and carriers -----------------------------------------------------------------------


def account_get_token(*, account: CdiscountAccount, by: User | None = None) -> TokenResult:
    """Get Token: drop the cached token and obtain a new one from the auth server.

    Recorded as a Token run in the Sync Log, so a refused token is visible there too.
    """
    run = SyncRun.objects.create(
        account=account,
        kind=SyncRun.Kind.TOKEN,
        trigger=SyncRun.Trigger.MANUAL,
        user=by,
        status=SyncRun.Status.PROCESSING,
        started_at=timezone.now(),
    )
    client = client_for(account, max_attempts=2)
    try:
        client.renew_token()
    except ChannelAPIError as exc:
        result = TokenResult(ok=False, message=str(exc))
    else:
        account.refresh_from_db(fields=["access_token", "token_received_at", "token_expires_at"])
        result = TokenResult(ok=True, expires_at=account.token_expires_at)
    finally:
        client.close()
    run.status = SyncRun.Status.COMPLETED if result.ok else SyncRun.Status.FAILED
    run.error = result.message[:2000]
    run.api_calls = client.calls.snapshot().get("token", 0)
    run.finished_at = timezone.now()
    run.progress = "Token received" if result.ok else "Token refused"
    run.save(update_fields=["status", "error", "api_calls", "finished_at", "progress"])
    logger.info("event=account_get_token account=%s ok=%s", account.pk, result.ok)
    return result


def account_carriers(*, account: CdiscountAccount) -> CarrierChoices:
    """The carrier labels GET /carriers offers, cached a few hours; on failure, the reason."""
    if account.pk is None or not (account.client_id and account.client_secret and account.seller_id):
        return CarrierChoices(error="Enter the Client ID, Client Secret and Seller ID to load Cdiscount's carriers.")
    try:
        labels = carrier_labels(account, timeout=CARRIERS_TIMEOUT_SECONDS, max_attempts=1)
    except ChannelAPIError as exc:
        return CarrierChoices(error=f"Could not load Cdiscount's carriers ({exc}).")
    return CarrierChoices(labels=tuple(labels))


# --- Health -----------------------------------------------------------------------------------


def account_health(*, account: CdiscountAccount) -> AccountHealth:
    """What the health card shows: last good download, schedule, failures, token, work waiting."""
    downloads = account.sync_runs.filter(kind=SyncRun.Kind.DOWNLOAD)
    waiting = (
        Order.objects.filter(channel_account=account, channel_status=CdiscountStatus.WAITING_ACCEPTANCE)
        .exclude(status=OrderStatus.CANCELED)
        .count()
    )
    packages = Package.objects.filter(order__channel_account=account)
    scheduled = account.enabled and account.download_enabled
    reconciled = reconcile.latest_reconciliation(account)
    return AccountHealth(
        last_success=downloads.filter(status__in=SyncRun.SUCCESS_STATUSES).order_by("-finished_at").first(),
        last_run=downloads.first(),
        next_download_at=account.next_download_at if scheduled else None,
        consecutive_failures=account.consecutive_failures,
        token_expires_at=account.token_expires_at,
        waiting_acceptance=waiting,
        pending_uploads=packages.filter(upload_status=UploadStatus.PENDING).count(),
        # Failed Uploads lists both: packages and invoices (issue 21) Cdiscount refused.
        failed_uploads=packages.filter(upload_status=UploadStatus.FAILED).count()
        + InvoiceUpload.objects.filter(account=account, status=InvoiceUpload.Status.FAILED).count(),
        active_run=downloads.filter(status__in=SyncRun.ACTIVE_STATUSES).first(),
        last_upload=account.sync_runs.filter(kind=SyncRun.Kind.UPLOAD).first(),
        last_reconciliation=reconciled,
        drift_count=len(reconcile.open_drifts(reconciled)) if reconciled else None,
        open_problems=SyncProblem.objects.filter(run__account=account, resolved_at__isnull=True).count(),
    )


def health_cards(company_ids: list[int]) -> list[HealthCard]:
    """The dashboard's cards: each account of these companies (orders.channel_registry)."""
    accounts = CdiscountAccount.objects.filter(company_id__in=company_ids).select_related("company")
    return [_card(account, account_health(account=account)) for account in accounts]


def _card(account: CdiscountAccount, health: AccountHealth) -> HealthCard:
    company = account.company
    ids = [company.pk]
    return HealthCard(
        channel="Cdiscount",
        company_id=company.pk,
        company_name=company.name,
        time_zone=company.time_zone,
        url=reverse("cdiscount_settings", args=ids),
        last_download_at=health.last_success.finished_at if health.last_success else None,
        last_upload_at=_last_good_upload(account),
        next_run_at=health.next_download_at,
        consecutive_failures=health.consecutive_failures,
        token_expires_at=health.token_expires_at,
        drift_count=health.drift_count,
        drift_url=reverse("cdiscount_reconciliation", args=ids),
        waiting_acceptance=health.waiting_acceptance,
        failed_uploads=health.failed_uploads,
        failed_uploads_url=reverse("cdiscount_failed_uploads", args=ids),
        open_problems=health.open_problems,
        problems_url=reverse("sync_log") + f"?company={company.pk}&status={SyncRun.Status.PARTIAL}",
    )


def _last_good_upload(account: CdiscountAccount) -> datetime | None:
    return (
        account.sync_runs.filter(kind=SyncRun.Kind.UPLOAD, status__in=SyncRun.SUCCESS_STATUSES)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
