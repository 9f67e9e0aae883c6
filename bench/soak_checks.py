"""What `make soak` checks once the system has settled (SPEC S12), as counts: each must be 0.

Django must be set up (bench/soak.py does it). `requests` are the sandbox's request log entries
the soak gathered as it went (the sandbox keeps only its last 50,000).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

SHIPMENT = re.compile(r"/orders/(?P<id>[^/]+)/shipments$")
INVOICE = re.compile(r"/orders/(?P<id>[^/]+)/invoice-documents$")
FAULTS = ("error", "timeout", "rate_limit", "lost_answer")


@dataclass
class Outcome:
    """The counts that must be 0 (`checks`) and the others printed beside them (`figures`)."""

    checks: dict[str, int] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(self.checks.values())


def _accepted_posts(requests: list[dict[str, Any]], pattern: re.Pattern[str]) -> Counter[str]:
    """Per order: the POSTs the sandbox recorded (answered 201, or answered 201 and the answer lost)."""
    accepted: Counter[str] = Counter()
    for entry in requests:
        if entry["method"] == "POST" and entry["status"] == 201 and (match := pattern.search(entry["path"])):
            accepted[match["id"]] += 1
    return accepted


def check_orders(outcome: Outcome, *, account_id: int, sandbox: dict[str, str], allow_unpaid: bool) -> None:
    """Local orders == the sandbox's importable ones: none missing, duplicated or extra, none stale."""
    from django.db.models import Count

    from channels.download.mapping import imported_when_first_seen
    from orders.models import Order

    importable = {
        cid for cid, status in sandbox.items() if imported_when_first_seen(status=status, allow_unpaid=allow_unpaid)
    }
    rows = Order.objects.filter(channel_account_id=account_id)
    local = dict(rows.values_list("channel_order_id", "channel_status"))
    doubled = rows.order_by().values("channel_order_id").annotate(n=Count("id")).filter(n__gt=1)
    stale = [cid for cid in importable & local.keys() if local[cid] != sandbox[cid]]
    outcome.checks["soak_orders_missing"] = len(importable - local.keys())
    outcome.checks["soak_orders_duplicated"] = sum(row["n"] - 1 for row in doubled)
    outcome.checks["soak_orders_extra"] = len(local.keys() - importable)
    outcome.checks["soak_orders_stale"] = len(stale)
    outcome.figures["soak_orders_sandbox"] = len(sandbox)
    outcome.figures["soak_orders_importable"] = len(importable)
    outcome.figures["soak_orders_local"] = rows.count()
    for cid in sorted(importable - local.keys())[:5]:
        outcome.notes.append(f"missing: {cid} ({sandbox[cid]})")
    for cid in sorted(stale)[:5]:
        outcome.notes.append(f"stale: {cid} is {local[cid]} here, {sandbox[cid]} on the sandbox")


def check_shipments(outcome: Outcome, *, account_id: int, staff_id: int, requests: list[dict[str, Any]]) -> None:
    """Exactly one recorded shipment POST per package staff shipped and we uploaded (Ship
    Confirmed), none for any other order; every such package uploaded or failed with Cdiscount's
    words. (A download makes packages too, Uploaded, from Cdiscount's parcel; it also confirms one
    whose POST was recorded but whose answer was lost.)"""
    from orders.choices import UploadStatus
    from orders.models import Package

    accepted = _accepted_posts(requests, SHIPMENT)
    packages = Package.objects.filter(order__channel_account_id=account_id, created_by_id=staff_id).exclude(
        upload_status__in=[UploadStatus.NOT_REQUIRED, UploadStatus.WITHDRAWN]
    )
    expected: Counter[str] = Counter()
    unfinished = failed = 0
    for cid, status, confirmed in packages.values_list(
        "order__channel_order_id", "upload_status", "order__ship_confirmed_at"
    ):
        if status == UploadStatus.UPLOADED and confirmed is not None:
            expected[cid] += 1
        elif status == UploadStatus.FAILED:
            failed += 1
        else:
            unfinished += 1
    outcome.checks["soak_shipment_posts_extra"] = sum(max(0, n - expected[cid]) for cid, n in accepted.items())
    outcome.checks["soak_shipment_posts_missing"] = sum(max(0, n - accepted[cid]) for cid, n in expected.items())
    outcome.checks["soak_packages_not_uploaded"] = unfinished
    outcome.figures["soak_ship_confirmed_by_upload"] = sum(expected.values())
    outcome.figures["soak_packages_failed"] = failed
    outcome.figures["soak_shipment_posts"] = sum(accepted.values())


def check_invoices(outcome: Outcome, *, account_id: int, requests: list[dict[str, Any]]) -> None:
    """One recorded invoice POST per uploaded invoice, none otherwise; none left waiting; every
    order Ship Confirmed since the option went on has its invoice uploaded."""
    from channels.models import CdiscountAccount, InvoiceUpload
    from orders.models import Order

    accepted = _accepted_posts(requests, INVOICE)
    account = CdiscountAccount.objects.get(pk=account_id)
    uploads = InvoiceUpload.objects.filter(account_id=account_id)
    expected: Counter[str] = Counter()
    for cid in uploads.filter(status=InvoiceUpload.Status.UPLOADED).values_list("order__channel_order_id", flat=True):
        expected[cid] += 1
    confirmed = Order.objects.filter(channel_account_id=account_id, ship_confirmed_at__gte=account.invoice_upload_since)
    outcome.checks["soak_invoice_posts_extra"] = sum(max(0, n - expected[cid]) for cid, n in accepted.items())
    outcome.checks["soak_invoice_posts_missing"] = sum(max(0, n - accepted[cid]) for cid, n in expected.items())
    outcome.checks["soak_invoices_not_uploaded"] = confirmed.exclude(
        invoice_upload__status=InvoiceUpload.Status.UPLOADED
    ).count()
    outcome.figures["soak_invoices_uploaded"] = sum(expected.values())


def check_runs(outcome: Outcome, *, account_id: int, requests: list[dict[str, Any]]) -> None:
    """No run left Queued or Processing; every Failed or Partial run says why in the Sync Log; the
    faults the sandbox injected show in the runs' logs."""
    from django.db.models import Count, Q

    from channels.models import SyncRun

    runs = SyncRun.objects.filter(account_id=account_id).annotate(problem_count=Count("problems"))
    outcome.checks["soak_runs_processing"] = runs.filter(status__in=SyncRun.ACTIVE_STATUSES).count()
    # A Failed run says why in its error; a Partial one in its error, its problems or its log.
    failed_silently = runs.filter(status=SyncRun.Status.FAILED, error="").count()
    partial_silently = runs.filter(status=SyncRun.Status.PARTIAL, error="", problem_count=0, log="").count()
    outcome.checks["soak_runs_failed_silently"] = failed_silently + partial_silently
    injected = Counter(entry["fault"] for entry in requests if entry["fault"] in FAULTS)
    recording = runs.filter(~Q(error="") | Q(log__contains="On the way") | Q(problem_count__gt=0)).count()
    # Faults met and not one run saying so would be failures hidden from the Sync Log.
    outcome.checks["soak_faults_unrecorded"] = int(bool(injected) and recording == 0)
    by_kind = Counter(f"{kind}:{status}" for kind, status in runs.values_list("kind", "status"))
    outcome.figures["soak_runs"] = dict(sorted(by_kind.items()))
    outcome.figures["soak_runs_recording_faults"] = recording
    outcome.figures["soak_runs_killed"] = runs.filter(error__contains="no heartbeat").count()
    outcome.figures["soak_faults_injected"] = dict(sorted(injected.items()))
    outcome.figures["soak_token_refusals"] = sum(1 for e in requests if e["status"] == 401)
    outcome.figures["soak_api_requests"] = len(requests)


def check_all(*, account_id: int, staff_id: int, sandbox: dict[str, str], requests: list[dict[str, Any]]) -> Outcome:
    from channels.models import CdiscountAccount

    outcome = Outcome()
    allow_unpaid = CdiscountAccount.objects.get(pk=account_id).allow_unpaid_orders
    check_orders(outcome, account_id=account_id, sandbox=sandbox, allow_unpaid=allow_unpaid)
    check_shipments(outcome, account_id=account_id, staff_id=staff_id, requests=requests)
    check_invoices(outcome, account_id=account_id, requests=requests)
    check_runs(outcome, account_id=account_id, requests=requests)
    return outcome
